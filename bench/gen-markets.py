#!/usr/bin/env python3
"""gen-markets.py N [FIXTURES] - N real-shaped Gamma markets, one per line.

Clones the recorded markets in FIXTURES (default tests/fixtures) with new
ids, condition ids, token ids and events (one set of events per pass over
the recorded markets, so groups do not grow), so the data has the real
shape, size and oddities but no duplicates.  Deterministic: the same N
gives the same bytes.
"""
import json
import os
import random
import sys


def load(fixtures):
    seeds = []
    for name in sorted(os.listdir(fixtures)):
        if not name.startswith("gamma-markets") or not name.endswith(".json"):
            continue
        with open(os.path.join(fixtures, name)) as f:
            doc = json.load(f)
        seeds.extend(doc["markets"] if isinstance(doc, dict) else doc)
    return seeds


def main():
    n = int(sys.argv[1])
    here = os.path.dirname(os.path.abspath(__file__))
    fixtures = sys.argv[2] if len(sys.argv) > 2 else \
        os.path.join(here, "..", "tests", "fixtures")
    seeds = load(fixtures)
    rnd = random.Random(42)
    out = sys.stdout
    for i in range(n):
        m = dict(seeds[i % len(seeds)])
        m["id"] = str(3000000 + i)
        m["slug"] = "%s-%d" % (m.get("slug", "m"), i)
        m["conditionId"] = "0x%064x" % rnd.getrandbits(256)
        if m.get("clobTokenIds"):
            k = len(json.loads(m["clobTokenIds"]))
            m["clobTokenIds"] = json.dumps(
                [str(rnd.getrandbits(255)) for _ in range(k)])
        # Each pass over the seeds gets events of its own, so groups keep
        # their size as N grows (N/len(seeds) times as many groups).
        r = i // len(seeds)
        if m.get("events"):
            m["events"] = [dict(e, id="%s%04d" % (e.get("id"), r),
                                slug="%s-%d" % (e.get("slug", "e"), r))
                           for e in m["events"]]
        out.write(json.dumps(m, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
