#!/usr/bin/env python3
"""A fake OpenAI-compatible chat-completions endpoint for the tests.

usage: fake-llm.py [--tls CERT KEY] PORTFILE LOGFILE

Listens on 127.0.0.1 on a free port, writes the port to PORTFILE, and
appends one JSON line per request to LOGFILE.  With --tls it speaks HTTPS
only, with that certificate chain and key (PEM); a client that refuses the
certificate sends no request and leaves no line.  The request's model says
how to answer:

  valid     {"probabilities": {id: 0.6}} for every "market_id ID" in the
            prompt, wrapped in prose and a code fence as models do
  research  a plain text summary
  garbage   a body that is not JSON
  500       HTTP 500
  slow      sleeps 3 s, then answers like valid
"""
import argparse
import json
import os
import re
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fake_tls import tls_wrap


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, code, body):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        req = json.loads(self.rfile.read(n) or b"{}")
        with open(self.server.logfile, "a") as log:
            log.write(json.dumps({"path": self.path,
                                  "auth": self.headers.get("Authorization"),
                                  "request": req}) + "\n")
        model = req.get("model", "")
        prompt = req["messages"][-1]["content"]
        if model == "500":
            return self.send(500, '{"error":{"message":"upstream down"}}')
        if model == "garbage":
            return self.send(200, "<html>this is not json")
        if model == "research":
            content = "Summary: nothing decisive is known."
        else:
            if model == "slow":
                time.sleep(3)
            ids = re.findall(r"market_id (\S+):", prompt)
            probs = {i: 0.6 for i in ids}
            content = ("Here is my estimate:\n```json\n" +
                       json.dumps({"probabilities": probs}) + "\n```")
        self.send(200, json.dumps({
            "id": "chatcmpl-test", "object": "chat.completion",
            "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant",
                                     "content": content}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5,
                      "total_tokens": 15}}))



def main():
    ap = argparse.ArgumentParser(description="a fake chat-completions endpoint")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("portfile")
    ap.add_argument("logfile")
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.logfile = args.logfile
    if args.tls:
        tls_wrap(srv, *args.tls)
    with open(args.portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.portfile + ".tmp", args.portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
