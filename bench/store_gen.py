#!/usr/bin/env python3
"""store_gen.py N [--groups] < normalized.ndjson > stream.ndjson

Clone the raw+market pairs pm-normalize made from a fixture into N
markets with new ids (and payloads whose sha256 is recomputed), for the
pm-store benchmark and the crash and concurrency tests.  With --groups,
a run start record first and a group (with one result) per 5 markets.
"""
import hashlib
import json
import sys


def main():
    n = int(sys.argv[1])
    groups = "--groups" in sys.argv[2:]
    pairs, raw = [], None
    for line in sys.stdin:
        r = json.loads(line)
        if r.get("kind") == "raw":
            raw = r
        elif r.get("kind") == "market" and raw is not None:
            pairs.append((raw, r))
            raw = None
    if not pairs:
        sys.exit("store_gen.py: no raw+market pairs on input")
    out = sys.stdout
    dump = lambda o: json.dumps(o, separators=(",", ":"), ensure_ascii=False)
    if groups:
        out.write(dump({"kind": "run", "phase": "start", "run_id": "gen-run",
                        "flow": "replay", "run_date": "2026-11-23",
                        "target_date": None, "window_days": None,
                        "started_at": "2026-11-23T00:00:00Z", "git_sha": None,
                        "environment": "test", "options": {}}) + "\n")
    batch = []
    for i in range(n):
        raw, m = pairs[i % len(pairs)]
        mid = "g%07d" % i
        payload = dict(raw["payload"], id=mid)
        text = dump(payload)
        sha = hashlib.sha256(text.encode()).hexdigest()
        r = dict(raw, sha256=sha)
        r.pop("payload")
        out.write(dump(r)[:-1] + ',"payload":' + text + "}\n")
        m = dict(m, market_id=mid, raw_sha256=sha)
        out.write(dump(m) + "\n")
        batch.append(m)
        if groups and len(batch) == 5:
            key = "market:" + ",".join(x["market_id"] for x in batch)
            res = [{"experiment_id": "s:forecast:v", "suite": "s",
                    "stage": "forecast", "variant": "v", "type": "builtin",
                    "status": "ok", "output": None,
                    "probabilities": {x["market_id"]: {"Yes": 0.5} for x in batch},
                    "started_at": None, "finished_at": None,
                    "latency_ms": 1, "error": None}]
            out.write(dump({"kind": "group", "event_key": key, "event": None,
                            "markets": batch, "results": res}) + "\n")
            batch = []
        elif not groups:
            batch = []


main()
