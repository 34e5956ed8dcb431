#!/usr/bin/env python3
"""replay_lean.py sqlite DB | pg < gamma-markets.ndjson

The lean script a user of the bronze -> silver design would write
instead of pm-normalize | pm-store: json.loads per line, one markets row
(12 columns and the raw line itself) and its contracts rows, upserted
with executemany in one transaction (WAL, synchronous=NORMAL).  No
hashing, no record JSON, no separate bronze table: the raw line is the
bronze.  With "pg" it writes a psql script (COPY into temporary tables,
INSERT ... ON CONFLICT, one transaction) to be piped into psql.
"""
import json
import sys

SCHEMA = """
CREATE TABLE IF NOT EXISTS markets (source TEXT NOT NULL,
  market_id TEXT NOT NULL, condition_id TEXT, slug TEXT, question TEXT,
  event_id TEXT, close_time TEXT, updated_at TEXT, active BIGINT,
  closed BIGINT, volume DOUBLE PRECISION, liquidity DOUBLE PRECISION,
  raw TEXT, PRIMARY KEY (source, market_id));
CREATE TABLE IF NOT EXISTS contracts (source TEXT NOT NULL,
  market_id TEXT NOT NULL, outcome_index BIGINT NOT NULL, outcome TEXT,
  token_id TEXT, price DOUBLE PRECISION,
  PRIMARY KEY (source, market_id, outcome_index));
"""
MCOLS = ("source", "market_id", "condition_id", "slug", "question",
         "event_id", "close_time", "updated_at", "active", "closed",
         "volume", "liquidity", "raw")
CCOLS = ("source", "market_id", "outcome_index", "outcome", "token_id",
         "price")
UPD_M = ", ".join("%s = excluded.%s" % (c, c) for c in MCOLS[2:])
UPD_C = ", ".join("%s = excluded.%s" % (c, c) for c in CCOLS[3:])


def num(v):
    try:
        return float(v) if v not in (None, "") else None
    except (TypeError, ValueError):
        return None


def arr(v):
    return json.loads(v) if isinstance(v, str) and v else (v or [])


def flag(v):
    return None if v is None else int(bool(v))


def rows(src):
    for line in src:
        raw = line.rstrip("\n")
        m = json.loads(raw)
        ev = (m.get("events") or [None])[0] or {}
        mid = str(m["id"])
        o, p, t = arr(m.get("outcomes")), arr(m.get("outcomePrices")), \
            arr(m.get("clobTokenIds"))
        yield ("polymarket", mid, m.get("conditionId") or None,
               m.get("slug"), m.get("question"),
               None if ev.get("id") is None else str(ev["id"]),
               m.get("endDate"), m.get("updatedAt"), flag(m.get("active")),
               flag(m.get("closed")),
               num(m.get("volume", m.get("volumeNum"))),
               num(m.get("liquidity", m.get("liquidityNum"))), raw), \
            [("polymarket", mid, i, o[i] if i < len(o) else None,
              t[i] if i < len(t) else None,
              num(p[i]) if i < len(p) else None)
             for i in range(max(len(o), len(p), len(t)))]


def sqlite(path):
    import sqlite3
    db = sqlite3.connect(path)
    db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                     + SCHEMA)
    markets, contracts = [], []
    for m, cs in rows(sys.stdin):
        markets.append(m)
        contracts.extend(cs)
    with db:
        db.executemany("INSERT INTO markets VALUES (%s) ON CONFLICT (source,"
                       " market_id) DO UPDATE SET %s"
                       % (",".join("?" * len(MCOLS)), UPD_M), markets)
        db.executemany("INSERT INTO contracts VALUES (?,?,?,?,?,?)"
                       " ON CONFLICT (source, market_id, outcome_index)"
                       " DO UPDATE SET " + UPD_C, contracts)


def copy_field(v):
    if v is None:
        return "\\N"
    if isinstance(v, float):
        return repr(v)
    return str(v).replace("\\", "\\\\").replace("\t", "\\t") \
        .replace("\n", "\\n").replace("\r", "\\r")


def pg():
    out = sys.stdout
    out.write("\\set ON_ERROR_STOP on\n" + SCHEMA + "BEGIN;\n")
    for name in ("markets", "contracts"):
        out.write("CREATE TEMP TABLE tmp_%s (LIKE %s) ON COMMIT DROP;\n"
                  % (name, name))
    cs_all = []
    out.write("COPY tmp_markets FROM STDIN;\n")
    for m, cs in rows(sys.stdin):
        out.write("\t".join(map(copy_field, m)) + "\n")
        cs_all.extend(cs)
    out.write("\\.\nCOPY tmp_contracts FROM STDIN;\n")
    for c in cs_all:
        out.write("\t".join(map(copy_field, c)) + "\n")
    out.write("\\.\n"
              "INSERT INTO markets SELECT * FROM tmp_markets ON CONFLICT"
              " (source, market_id) DO UPDATE SET %s;\n"
              "INSERT INTO contracts SELECT * FROM tmp_contracts ON CONFLICT"
              " (source, market_id, outcome_index) DO UPDATE SET %s;\n"
              "COMMIT;\n" % (UPD_M, UPD_C))


if __name__ == "__main__":
    if sys.argv[1:2] == ["sqlite"] and len(sys.argv) == 3:
        sqlite(sys.argv[2])
    elif sys.argv[1:2] == ["pg"]:
        pg()
    else:
        sys.exit("usage: replay_lean.py sqlite DB | pg")
