#!/usr/bin/env python3
"""A fake LLM provider for the tests: OpenAI chat completions and
responses, and Gemini generateContent.

usage: fake-llm.py [--tls CERT KEY] [--mutate SEED] PORTFILE LOGFILE

Listens on 127.0.0.1 on a free port, writes the port to PORTFILE, and
appends one JSON line per request to LOGFILE ({path, auth, goog_key, t,
request}).  With --tls it speaks HTTPS only, with that certificate chain
and key (PEM); a client that refuses the certificate sends no request and
leaves no line.  With --mutate three 200 answers in four are broken on
purpose (hostile.py): the envelope's values of other types, NaN, huge
numbers, lone surrogates, deep nesting, keys gone, one body in eight not
JSON; and the forecast inside one answer in two broken the same way.  The
same SEED and request (path and body) give the same answer.

.../chat/completions: the request's model says how to answer:
  valid     {"probabilities": {id: 0.6}} for every "market_id ID" in the
            prompt, wrapped in prose and a code fence as models do
  research  a plain text summary
  eos       the summary, its finish_reason "eos" (a compatible provider's
            own word for an answer done, as Together's)
  cut       a summary cut inside its emoji: half of it, a lone UTF-16
            surrogate (\ud83c), as a provider's slicing by UTF-16 units
            gives
  searchpreview  the recorded search-preview answer (url_citation)
  garbage   a body that is not JSON
  empty     a 200 with an empty body
  blank     a 200 whose content is "" (finish_reason length: a reasoning
            model that spent its tokens thinking)
  500       HTTP 500
  flaky=CODE  the first request per model gets HTTP CODE (503: the
            "overloaded" error body), the next ones answer like valid
  reset     the first request per model has its connection reset (RST)
            before any answer; the next ones answer like valid
  drop      the first request per model gets a 200 whose body stops
            half-way (the connection closed); the next ones like valid
  slow      sleeps 3 s, then answers like valid
  error     the recorded OpenAI 400 error body
  echo-key  401 with the key in the message, as a careless provider might
  cut-short a forecast cut at max_tokens (finish_reason length)
  refused   a 200 whose content is null and whose refusal says why
  error-in-200  a 200 whose body is an error object, as proxies send
  error-text-in-200  a 200 whose body's error is a string, 600 bytes
            long, as other proxies send
  trailing  like valid, without the fence: the object holds a "}" in a
            string, and prose after it holds one too, as models write
  parts     like valid, the content a list of parts (as Mistral's
            reasoning models send): a thinking part holding a decoy
            object, then the text in two text parts

.../responses and .../models/MODEL:generateContent answer with the
recorded responses in fixtures/llm: a prompt naming "market_id ID"s gets
a forecast in the API's shape; else a request with tools gets the
search-grounded recording, one without the plain one.  Models (for
Gemini, with a "gemini-" prefix) that ask for trouble:
  busy      the first request per path gets HTTP 429 (OpenAI: retry-after
            1; Gemini: RESOURCE_EXHAUSTED with RetryInfo retryDelay "1s",
            the documented shape), the next ones the normal answer
  busy-long always 429, asking for a 120 s wait
  busy-forever  always 429, asking for 1e300 s (past any clock)
  busy=TEXT, busy-ms=TEXT  (OpenAI) always 429, with "retry-after: TEXT"
            or "retry-after-ms: TEXT", whatever TEXT is
  busy-said (Gemini) always 429, its retryDelay the request's system
            instruction, whatever that is (a model name cannot hold it)
  error     HTTP 400 with the provider's error body
  echo-key  401 with the key in the message
  blank     an answer whose text is ""
  cut-short an answer cut at the token limit: (OpenAI) status incomplete
            (max_output_tokens) with no text, (Gemini) finishReason
            MAX_TOKENS and half a forecast
  refused   (OpenAI) a message whose only part is a refusal
  error-in-200  (OpenAI) a 200 with status failed and its error object
  blocked   (Gemini) no candidate, promptFeedback.blockReason SAFETY
  split     (Gemini) the search-grounded recording, its first segment's
            endIndex one byte into the "\u00b0" it ends on (byte offsets
            that cut a character, as a provider's may)
"""
import argparse
import json
import os
import random
import re
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fake_tls import tls_wrap
from hostile import mutate

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "fixtures", "llm")


# the models always busy, and the wait (seconds) they ask for
BUSY = {"busy-long": "120", "busy-forever": "1e300"}


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def probs_for(prompt, rng):
    """The forecast for the prompt's markets; with an rng (--mutate),
    broken by it one time in two."""
    ids = re.findall(r"market_id (\S+):", prompt)
    text = json.dumps({"probabilities": {i: 0.6 for i in ids}})
    if rng is None or rng.random() < 0.5:
        return text
    return mutate(text.encode(), rng).decode("utf-8", "surrogateescape")


def responses_answer(model, text):
    return json.dumps({
        "id": "resp_test", "object": "response", "model": model,
        "status": "completed",
        "output": [{"type": "message", "role": "assistant", "id": "msg_t",
                    "content": [{"type": "output_text", "annotations": [],
                                 "text": text}]}],
        "usage": {"input_tokens": 10, "output_tokens": 5,
                  "total_tokens": 15}})


def gemini_answer(model, text):
    return json.dumps({
        "candidates": [{"content": {"parts": [{"text": text}],
                                    "role": "model"},
                        "finishReason": "STOP", "index": 0}],
        "modelVersion": model,
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5,
                          "totalTokenCount": 15}})


def gemini_error(code, status, message, details=()):
    return json.dumps({"error": {"code": code, "message": message,
                                 "status": status, "details": list(details)}})


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, code, body, headers=()):
        data = body.encode()
        if self.rng is not None and code == 200 and self.rng.random() < 0.75:
            data = mutate(data, self.rng)
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def first_time(self, key=None):
        key = key or self.path
        with self.server.lock:
            seen = key in self.server.seen
            self.server.seen.add(key)
        return not seen

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        req = json.loads(raw or b"{}")
        # --mutate's draws: the same for the same seed and request
        self.rng = None if self.server.mutate is None else random.Random(
            "%s %s %s" % (self.server.mutate, self.path, raw))
        with open(self.server.logfile, "a") as log:
            log.write(json.dumps({"path": self.path,
                                  "auth": self.headers.get("Authorization"),
                                  "goog_key": self.headers.get("x-goog-api-key"),
                                  # every header's name: one a key smuggled in shows
                                  "headers": sorted(k.lower() for k in self.headers.keys()),
                                  "t": time.time(),
                                  "request": req}) + "\n")
        m = re.search(r"/models/([^/:]+):generateContent$", self.path)
        if m:
            return self.gemini(m.group(1), req)
        if self.path.endswith("/responses"):
            return self.openai_responses(req)
        return self.chat(req)

    def openai_responses(self, req):
        model = req.get("model", "")
        key = self.headers.get("Authorization", "")[len("Bearer "):]
        if model == "error":
            return self.send(400, fixture("openai-error-pydantic-1.json"))
        if model == "echo-key":
            return self.send(401, json.dumps({"error": {
                "message": "Incorrect API key provided: " + key + ".",
                "type": "invalid_request_error", "code": "invalid_api_key"}}))
        name, eq, text = model.partition("=")
        if eq and name in ("busy", "busy-ms"):
            hdr = [("retry-after-ms" if name == "busy-ms" else "retry-after",
                    text)]
        elif model in BUSY or (model == "busy" and self.first_time()):
            hdr = [("retry-after", BUSY.get(model, "1"))]
        else:
            hdr = None
        if hdr:
            return self.send(429, json.dumps({"error": {
                "message": "Rate limit reached for requests",
                "type": "requests", "code": "rate_limit_exceeded"}}), hdr)
        prompt = req.get("input", "")
        if model == "blank":
            return self.send(200, responses_answer(model, ""))
        if model in ("cut-short", "refused", "error-in-200"):
            ans = json.loads(responses_answer(model, ""))
            if model == "cut-short":
                ans.update(status="incomplete", incomplete_details={
                    "reason": "max_output_tokens"}, output=[{
                        "type": "reasoning", "id": "rs_t", "summary": []}])
            elif model == "refused":
                ans["output"][0]["content"] = [{
                    "type": "refusal", "refusal": "I can't help with that."}]
            else:
                ans.update(status="failed", output=[], error={
                    "code": "server_error",
                    "message": "The model failed to generate a response."})
            return self.send(200, json.dumps(ans))
        if "market_id " in prompt:
            return self.send(200, responses_answer(
                model, probs_for(prompt, self.rng)))
        if req.get("tools"):
            return self.send(200, fixture(
                "openai-responses-websearch-pydantic-1.json"))
        return self.send(200, fixture("openai-responses-plain-pydantic-1.json"))

    def gemini(self, model, req):
        key = self.headers.get("x-goog-api-key", "")
        if model == "gemini-error":
            return self.send(400, gemini_error(
                400, "INVALID_ARGUMENT", "Tool use with a response mime "
                "type: 'application/json' is unsupported"))
        if model == "gemini-echo-key":
            return self.send(400, gemini_error(
                400, "INVALID_ARGUMENT", "API key not valid: " + key))
        if model == "gemini-busy-said" or model[len("gemini-"):] in BUSY or (
                model == "gemini-busy" and self.first_time()):
            if model == "gemini-busy-said":
                delay = req["systemInstruction"]["parts"][0]["text"]
            else:
                delay = BUSY.get(model[len("gemini-"):], "1") + "s"
            return self.send(429, gemini_error(
                429, "RESOURCE_EXHAUSTED", "You exceeded your current quota",
                [{"@type": "type.googleapis.com/google.rpc.QuotaFailure",
                  "violations": [{"quotaMetric": "generate_content_requests"}]},
                 {"@type": "type.googleapis.com/google.rpc.RetryInfo",
                  "retryDelay": delay}]))
        prompt = req["contents"][-1]["parts"][0]["text"]
        if model == "gemini-blank":
            return self.send(200, gemini_answer(model, ""))
        if model == "gemini-cut-short":
            ans = json.loads(gemini_answer(model, '{"probabilities": {"m'))
            ans["candidates"][0]["finishReason"] = "MAX_TOKENS"
            return self.send(200, json.dumps(ans))
        if model == "gemini-blocked":
            return self.send(200, json.dumps({
                "promptFeedback": {"blockReason": "SAFETY"},
                "usageMetadata": {"promptTokenCount": 10,
                                  "totalTokenCount": 10}}))
        if "market_id " in prompt:
            return self.send(200, gemini_answer(
                model, probs_for(prompt, self.rng)))
        if model == "gemini-split":
            rec = json.loads(fixture("gemini-grounded-pydantic-1.json"))
            gm = rec["candidates"][0]["groundingMetadata"]
            gm["groundingSupports"][0]["segment"]["endIndex"] = 213
            return self.send(200, json.dumps(rec))
        if req.get("tools"):
            return self.send(200, fixture("gemini-grounded-pydantic-1.json"))
        return self.send(200, fixture("gemini-plain-pydantic-1.json"))

    def chat(self, req):
        model = req.get("model", "")
        prompt = req["messages"][-1]["content"]
        if model == "500":
            return self.send(500, '{"error":{"message":"upstream down"}}')
        name, eq, code = model.partition("=")
        if name == "flaky" and eq and self.first_time(model):
            return self.send(int(code), json.dumps({"error": {
                "message": "Overloaded" if code == "503" else "flaky",
                "type": "overloaded_error"}}))
        if model == "reset" and self.first_time(model):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if model == "drop" and self.first_time(model):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"id": "chatcmpl-test", "choi')
            self.wfile.flush()
            self.close_connection = True
            return
        if model == "garbage":
            return self.send(200, "<html>this is not json")
        if model == "empty":
            return self.send(200, "")
        if model == "error":
            return self.send(400, fixture("openai-error-pydantic-1.json"))
        if model == "searchpreview":
            return self.send(200, fixture(
                "openai-chat-searchpreview-pydantic-1.json"))
        if model == "echo-key":
            key = self.headers.get("Authorization", "")[len("Bearer "):]
            return self.send(401, json.dumps({"error": {
                "message": "Incorrect API key provided: " + key + ".",
                "type": "invalid_request_error"}}))
        if model == "error-in-200":
            return self.send(200, json.dumps({"error": {
                "message": "Provider returned error", "code": 502}}))
        if model == "error-text-in-200":
            return self.send(200, json.dumps({
                "error": "Upstream timed out " + "x" * 581}))
        if model in ("cut-short", "refused"):
            msg = {"role": "assistant", "content": '{"probabilities": {"m'}
            if model == "refused":
                msg = {"role": "assistant", "content": None,
                       "refusal": "I can't help with that."}
            return self.send(200, json.dumps({
                "id": "chatcmpl-test", "object": "chat.completion",
                "model": model,
                "choices": [{"index": 0, "message": msg, "finish_reason":
                             "length" if model == "cut-short" else "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 300,
                          "total_tokens": 310}}))
        if model == "blank":
            return self.send(200, json.dumps({
                "id": "chatcmpl-test", "object": "chat.completion",
                "model": model,
                "choices": [{"index": 0, "finish_reason": "length",
                             "message": {"role": "assistant",
                                         "content": ""}}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 300,
                          "total_tokens": 310}}))
        if model in ("research", "eos"):
            content = "Summary: nothing decisive is known."
        elif model == "cut":
            content = "Summary: the flag \U0001f3c1 and \ud83c"
        elif model == "trailing":
            content = (probs_for(prompt, self.rng)[:-1] +
                       ', "why": "a } in a string"}\n\nNote: the odds '
                       '{as of today} may move.')
        else:
            if model == "slow":
                time.sleep(3)
            content = ("Here is my estimate:\n```json\n" +
                       probs_for(prompt, self.rng) + "\n```")
        if model == "parts":
            content = [{"type": "thinking", "thinking": [
                {"type": "text", "text": '{"probabilities": {"x": 1}}'}]},
                {"type": "text", "text": content[:20]},
                {"type": "text", "text": content[20:]}]
        self.send(200, json.dumps({
            "id": "chatcmpl-test", "object": "chat.completion",
            "model": model,
            "choices": [{"index": 0, "finish_reason":
                         "eos" if model == "eos" else "stop",
                         "message": {"role": "assistant",
                                     "content": content}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5,
                      "total_tokens": 15}}))


def main():
    ap = argparse.ArgumentParser(description="a fake chat-completions endpoint")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--mutate", metavar="SEED")
    ap.add_argument("portfile")
    ap.add_argument("logfile")
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.logfile = args.logfile
    srv.mutate = args.mutate
    srv.lock = threading.Lock()
    srv.seen = set()
    if args.tls:
        tls_wrap(srv, *args.tls)
    with open(args.portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.portfile + ".tmp", args.portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
