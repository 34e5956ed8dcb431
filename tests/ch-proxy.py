"""ch-proxy.py PORT UPSTREAM: HTTP to the ClickHouse server on UPSTREAM,
each request on a connection of its own, with faults on demand (by
environment), for tests/t0479 and t0484.  ./proxy.ready once it listens.

INSERTs into markets are counted (every attempt) in ./proxy.log.
  HOLD=K      the K-th is held (./held says so) until ./release exists
  DROP=K-L    the K-th to L-th are read, then their connection closed
              unanswered
  DROP_STATUS=N  or answered with status N and a proxy's page instead
              (a 502 or 504 of a load balancer whose server restarts)
  DIE=K       from the K-th on, every request is
  DIE_ON=RE   from the first request whose SQL matches RE on (any
              statement, a SELECT too), every request is: the server
              lost between two requests
  MATCH=RE    a request whose SQL (the query= parameter or the body)
              matches RE gets a 200 with BODY instead, unsent: an answer
              cut or garbled on its way, a proxy's page
  MATCH_TIMES=K  only the first K such requests (default: all)

A server that hangs with a request in flight, for a request whose SQL
matches RE, once HANG_AFTER (default 0) such requests went through
(./hung says it hangs):
  HANG=RE     read, then never answered
  STALL=RE    sent to the server, whose status, headers and first half
              of its answer are passed on, then nothing more
  TRICKLE=RE  the server's answer passed on in ten pieces, one every
              half second: an answer that is slow but keeps coming
  SLOW=RE     the server's answer passed on whole after four seconds:
              a query the server works on for that long first
"""
import http.client, http.server, os, re, sys, threading, time, urllib.parse

port, upstream = int(sys.argv[1]), int(sys.argv[2])
hold = int(os.environ.get("HOLD", "0"))
lo, hi = (int(x) for x in os.environ.get("DROP", "0-0").split("-"))
die = int(os.environ.get("DIE", "0"))
die_on = re.compile(os.environ["DIE_ON"]) if os.environ.get("DIE_ON") else None
died = False
drop_status = int(os.environ.get("DROP_STATUS", "0"))
match = re.compile(os.environ["MATCH"]) if os.environ.get("MATCH") else None
answer = os.environ.get("BODY", "").encode()
match_times = int(os.environ.get("MATCH_TIMES", "0"))
matched = 0
faults = {k: re.compile(os.environ[k]) for k in ("HANG", "STALL", "TRICKLE",
          "SLOW") if os.environ.get(k)}
hang_after = int(os.environ.get("HANG_AFTER", "0"))
seen = 0
n = 0
lock = threading.Lock()
log = open("proxy.log", "a", buffering=1)


class Relay(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.relay()

    def do_POST(self):
        self.relay()

    def reply(self, status, headers, data, fault=None):
        self.send_response_only(status)
        for h, v in headers:
            if h.lower() not in ("transfer-encoding", "connection",
                                 "content-length", "keep-alive"):
                self.send_header(h, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if fault == "STALL":
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            hang()
        elif fault == "TRICKLE":
            step = len(data) // 10 + 1
            for i in range(0, len(data), step):
                self.wfile.write(data[i:i + step])
                self.wfile.flush()
                time.sleep(0.5)
        else:
            self.wfile.write(data)

    def fault(self, sql):
        global seen
        for k, r in faults.items():
            if any(r.search(s) for s in sql):
                with lock:
                    seen += 1
                    if seen > hang_after:
                        if k not in ("TRICKLE", "SLOW"):
                            open("hung", "w").close()
                        return k
        return None

    def relay(self):
        global n, matched, died
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(
            self.path).query).get("query", [""])[0]
        if match and (match.search(query) or
                      match.search(body.decode("utf-8", "replace"))):
            with lock:
                matched += 1
                mine = not match_times or matched <= match_times
            if mine:
                return self.reply(200, (), answer)
        fault = self.fault((query, body.decode("utf-8", "replace")))
        if fault == "HANG":
            hang()
        k = 0
        with lock:
            if query.startswith("INSERT INTO `markets`"):
                n += 1
                k = n
                log.write("insert %d: %d rows\n" % (k, body.count(b"\n")))
            if die_on and (die_on.search(query) or
                           die_on.search(body.decode("utf-8", "replace"))):
                died = True
            dead = (die and n >= die) or died
        if dead or (k and lo <= k <= hi):
            log.write("dropped %d\n" % k)
            if drop_status and not dead:
                return self.reply(drop_status, (),
                                  b"<html><body>Bad Gateway</body></html>\n")
            self.close_connection = True
            return
        if k and k == hold:
            open("held", "w").close()
            while not os.path.exists("release"):
                time.sleep(0.01)
        c = http.client.HTTPConnection("127.0.0.1", upstream)
        c.request(self.command, self.path, body, {h: v for h, v in
                  self.headers.items() if h.lower() not in ("host",
                  "connection")})
        r = c.getresponse()
        data = r.read()
        c.close()
        if fault == "SLOW":
            time.sleep(4)
        self.reply(r.status, r.getheaders(), data, fault)


def hang():
    """Hold the connection, say nothing, till the proxy is killed."""
    while True:
        time.sleep(60)


s = http.server.ThreadingHTTPServer(("127.0.0.1", port), Relay)
s.daemon_threads = True
open("proxy.ready", "w").close()
s.serve_forever()
