#!/usr/bin/env python3
# mark-markets.py [q:K,K...] [c:K,K...] - normalized records on stdin,
# the same on stdout, except that the Kth market record (from 1) of a
# q: list asks a question starting "BOOM ", and the first contract of
# one in a c: list has the outcome "BOOM": what pg_refusing's database
# (tests/pg.sh) refuses.
import json
import sys

marks = {"q": set(), "c": set()}
for arg in sys.argv[1:]:
    what, _, ks = arg.partition(":")
    marks[what].update(int(k) for k in ks.split(","))
k = 0
for line in sys.stdin:
    r = json.loads(line)
    if r["kind"] == "market":
        k += 1
        if k in marks["q"]:
            r["question"] = "BOOM " + r["question"]
        if k in marks["c"]:
            r["contracts"][0]["outcome"] = "BOOM"
    print(json.dumps(r, separators=(",", ":")))
