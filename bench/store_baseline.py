#!/usr/bin/env python3
"""store_baseline.py DB < stream.ndjson - the plain way to beat: Python's
sqlite3 with executemany upserts of the same raw, market and contract
rows pm-store writes (same keys, same ON CONFLICT), one transaction."""
import json
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1])
db.executescript("""
PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
CREATE TABLE IF NOT EXISTS raw_responses (id INTEGER PRIMARY KEY,
  sha256 TEXT NOT NULL UNIQUE, source TEXT, endpoint TEXT, url TEXT,
  fetched_at TEXT, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS markets (source TEXT NOT NULL,
  market_id TEXT NOT NULL, slug TEXT, question TEXT, close_time TEXT,
  active INTEGER, closed INTEGER, volume REAL, liquidity REAL, record TEXT,
  PRIMARY KEY (source, market_id));
CREATE TABLE IF NOT EXISTS contracts (source TEXT NOT NULL,
  market_id TEXT NOT NULL, outcome_index INTEGER NOT NULL, outcome TEXT,
  token_id TEXT, price REAL, PRIMARY KEY (source, market_id, outcome_index));
""")
raws, markets, contracts = [], [], []
for line in sys.stdin:
    r = json.loads(line)
    if r.get("kind") == "raw":
        raws.append((r["sha256"], r["source"], r["endpoint"], r["url"],
                     r["fetched_at"], json.dumps(r["payload"],
                     separators=(",", ":"), ensure_ascii=False)))
    elif r.get("kind") == "market":
        b = lambda v: None if v is None else int(v)
        markets.append((r["source"], r["market_id"], r["slug"], r["question"],
                        r["close_time"], b(r["active"]), b(r["closed"]),
                        r["volume"], r["liquidity"], line.strip()))
        for i, c in enumerate(r.get("contracts") or []):
            contracts.append((r["source"], r["market_id"], i, c["outcome"],
                              c["token_id"], c["price"]))
with db:
    db.executemany("INSERT INTO raw_responses (sha256, source, endpoint, url,"
                   " fetched_at, payload) VALUES (?,?,?,?,?,?)"
                   " ON CONFLICT (sha256) DO NOTHING", raws)
    db.executemany("INSERT INTO markets VALUES (?,?,?,?,?,?,?,?,?,?)"
                   " ON CONFLICT (source, market_id) DO UPDATE SET"
                   " slug=excluded.slug, question=excluded.question,"
                   " close_time=excluded.close_time, active=excluded.active,"
                   " closed=excluded.closed, volume=excluded.volume,"
                   " liquidity=excluded.liquidity, record=excluded.record",
                   markets)
    db.executemany("INSERT INTO contracts VALUES (?,?,?,?,?,?)"
                   " ON CONFLICT (source, market_id, outcome_index) DO UPDATE"
                   " SET outcome=excluded.outcome, token_id=excluded.token_id,"
                   " price=excluded.price", contracts)
