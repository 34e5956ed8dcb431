#!/usr/bin/env python3
"""gen-runs.py MARKETS K > run-K.ndjson

Run K (1, 2, ...) of a static flow over the markets of MARKETS (raw Gamma
markets, one a line, as bench/gen-markets.py writes them): its run start
record, then each market as pm-fetch writes it (a raw record from the
keyset listing, 100 to a page, with the run's fetch time).  Between two
runs 10% of the markets change (their volume and updatedAt move); the
rest come back byte for byte, as the API sends them again."""
import hashlib
import json
import sys


def changed(i, k):
    """Does market i change in run k (deterministic, 10% a run)?"""
    h = hashlib.blake2b(b"%d/%d" % (i, k), digest_size=2).digest()
    return k > 1 and int.from_bytes(h, "big") % 10 == 0


def main():
    path, k = sys.argv[1], int(sys.argv[2])
    day, hour = divmod(k - 1, 24)
    when = "2026-12-%02dT%02d:00:00Z" % (1 + day, hour)
    out = sys.stdout
    out.write(json.dumps({"kind": "run", "phase": "start", "run_id":
                          "bench-static-%d" % k, "flow": "static",
                          "started_at": when}) + "\n")
    for i, line in enumerate(open(path)):
        line = line.rstrip("\n")
        version = sum(changed(i, j) for j in range(2, k + 1))
        if version:
            m = json.loads(line)
            m["volume"] = "%d.%d" % (1000 + version, i % 97)
            m["updatedAt"] = "2026-12-01T00:%02d:00Z" % (version % 60)
            line = json.dumps(m, separators=(",", ":"), ensure_ascii=False)
        sha = hashlib.sha256(line.encode()).hexdigest()
        page = i // 100
        url = ("https://gamma-api.polymarket.com/markets/keyset?limit=100"
               "&closed=false" + ("&after_cursor=c%d" % page if page else ""))
        out.write('{"kind":"raw","source":"gamma","endpoint":"markets/keyset",'
                  '"url":%s,"fetched_at":"%s","sha256":"%s","payload":%s}\n'
                  % (json.dumps(url), when, sha, line))


main()
