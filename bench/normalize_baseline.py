#!/usr/bin/env python3
"""The Python a user would write instead of pm-normalize: json in, the
same decoding (JSON-in-string arrays, numbers from strings), json out."""
import json
import sys

from replay_baseline import arr, num  # the same decoding helpers


out = sys.stdout
for line in sys.stdin:
    m = json.loads(line)
    ev = (m.get("events") or [None])[0] or {}
    o, p, t = arr(m.get("outcomes")), arr(m.get("outcomePrices")), \
        arr(m.get("clobTokenIds"))
    n = max(len(o), len(p), len(t))
    rec = {"kind": "market", "source": "polymarket", "market_id": str(m["id"]),
           "condition_id": m.get("conditionId") or None,
           "slug": m.get("slug"), "question": m.get("question"),
           "event_id": ev.get("id"), "close_time": m.get("endDate"),
           "active": m.get("active"), "closed": m.get("closed"),
           "volume": num(m.get("volume", m.get("volumeNum"))),
           "liquidity": num(m.get("liquidity", m.get("liquidityNum"))),
           "contracts": [{"outcome": o[i] if i < len(o) else None,
                          "token_id": t[i] if i < len(t) else None,
                          "price": num(p[i]) if i < len(p) else None}
                         for i in range(n)],
           "tags": [{"id": x.get("id"), "slug": x.get("slug"),
                     "label": x.get("label")}
                    for x in (m.get("tags") or ev.get("tags") or [])]}
    out.write(json.dumps(rec, separators=(",", ":")) + "\n")
