#!/usr/bin/env python3
"""A webhook for the tests: 127.0.0.1 only, each POST body one line of the log.

usage: fake-webhook.py --port-file FILE --log FILE [--fail N] [--status S]
  --fail N    answer the first N POSTs with --status (default 500)
"""
import argparse
import http.server
import json
import os


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--fail", type=int, default=0)
    ap.add_argument("--status", type=int, default=500)
    a = ap.parse_args()
    seen = {"n": 0}

    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            seen["n"] += 1
            code = a.status if seen["n"] <= a.fail else 200
            try:
                doc = json.loads(body)
            except ValueError:
                doc = {"unparsed": body.decode("utf-8", "replace")}
            doc["_path"] = self.path
            doc["_answer"] = code
            with open(a.log, "a") as f:
                f.write(json.dumps(doc) + "\n")
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), H)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
