#!/usr/bin/env python3
# year-data.py G [PAYLOAD [KEYLEN]] - a store's year in little: the
# records of a daily run forecasting G events of two markets each (one
# group record each, one forecast variant), then a static run that finds
# every market closed and resolved; with PAYLOAD, each market record
# comes after a raw record of PAYLOAD bytes (so a --export raw is
# G * 2 * PAYLOAD bytes); with KEYLEN, event keys and market ids are
# slugs of KEYLEN bytes (each result's row then three times that).
# NDJSON on stdout, for pm-store, cheap to make in any size.
import hashlib
import json
import sys

G = int(sys.argv[1])
PAYLOAD = int(sys.argv[2]) if len(sys.argv) > 2 else 0
KEYLEN = int(sys.argv[3]) if len(sys.argv) > 3 else 0
out = sys.stdout


def run(rid, flow, day):
    out.write(json.dumps({"kind": "run", "phase": "start", "run_id": rid,
                          "flow": flow, "run_date": day, "target_date": None,
                          "window_days": None,
                          "started_at": day + "T07:00:00Z", "git_sha": "abc",
                          "environment": "test", "options": {}}) + "\n")


def key(k):
    return (k + "-will-it-happen" * KEYLEN)[:max(KEYLEN, len(k))]


def market(i, closed, yes):
    return {"kind": "market", "source": "polymarket",
            "market_id": key("m%d" % i), "question": "Q%d" % i, "event_id": key("e%d" % (i // 2)),
            "close_time": "2026-11-24T00:00:00Z", "active": not closed,
            "closed": closed, "resolution_status": None,
            "contracts": [{"outcome": "Yes", "token_id": "t%dy" % i,
                           "price": yes},
                          {"outcome": "No", "token_id": "t%dn" % i,
                           "price": 1 - yes}], "tags": []}


def raw(i):
    body = json.dumps({"id": "m%d" % i, "pad": "x" * PAYLOAD})
    out.write(json.dumps({"kind": "raw", "source": "polymarket",
                          "endpoint": "markets",
                          "url": "http://127.0.0.1/markets/m%d" % i,
                          "fetched_at": "2026-11-24T07:00:00.000Z",
                          "sha256": hashlib.sha256(body.encode()).hexdigest(),
                          "request": None, "payload": json.loads(body)})
              + "\n")


run("r1", "daily", "2026-11-23")
for g in range(G):
    ms = [market(2 * g, False, 0.5), market(2 * g + 1, False, 0.25)]
    res = {"experiment_id": "s:forecast:llm", "suite": "s",
           "stage": "forecast", "variant": "llm", "type": "builtin",
           "status": "ok", "output": None,
           "probabilities": {m["market_id"]: {"Yes": 0.7, "No": 0.3}
                             for m in ms},
           "started_at": "2026-11-23T07:00:00Z",
           "finished_at": "2026-11-23T07:00:01Z", "latency_ms": 5,
           "error": None}
    out.write(json.dumps({"kind": "group", "event_key": key("e%d" % g),
                          "event": None, "markets": ms,
                          "results": [res]}) + "\n")
run("r2", "static", "2026-11-24")
for i in range(2 * G):
    if PAYLOAD:
        raw(i)
    out.write(json.dumps(market(i, True, 1 if i % 2 == 0 else 0)) + "\n")
