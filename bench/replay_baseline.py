#!/usr/bin/env python3
"""replay_baseline.py sqlite DB | pg < gamma-markets.ndjson

The Python a user would write instead of pm-normalize | pm-store: the
standard library's json, hashlib and sqlite3.  Per raw Gamma market: the
raw payload under its sha256, one markets row (the decoded columns and the
record as JSON) and one contracts row per outcome, upserted with
executemany in one transaction, the same keys and ON CONFLICT rules as
pm-store.  With "pg" it writes a psql script instead (COPY into temporary
tables, then INSERT ... ON CONFLICT), to be piped into psql: the machine
has no Python PostgreSQL driver, and COPY is how one loads in bulk anyway.
"""
import hashlib
import json
import sys

SCHEMA = """
CREATE TABLE IF NOT EXISTS raw_responses (sha256 TEXT PRIMARY KEY,
  source TEXT, endpoint TEXT, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS markets (source TEXT NOT NULL,
  market_id TEXT NOT NULL, condition_id TEXT, slug TEXT, question TEXT,
  event_id TEXT, close_time TEXT, active BIGINT, closed BIGINT,
  volume DOUBLE PRECISION, liquidity DOUBLE PRECISION, raw_sha256 TEXT,
  record TEXT, PRIMARY KEY (source, market_id));
CREATE TABLE IF NOT EXISTS contracts (source TEXT NOT NULL,
  market_id TEXT NOT NULL, outcome_index BIGINT NOT NULL, outcome TEXT,
  token_id TEXT, price DOUBLE PRECISION,
  PRIMARY KEY (source, market_id, outcome_index));
"""
MCOLS = ("source", "market_id", "condition_id", "slug", "question",
         "event_id", "close_time", "active", "closed", "volume", "liquidity",
         "raw_sha256", "record")
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
    """Yield (raw, market, contracts) per input line."""
    for line in src:
        payload = line.rstrip("\n")
        sha = hashlib.sha256(payload.encode()).hexdigest()
        m = json.loads(payload)
        ev = (m.get("events") or [None])[0] or {}
        o, p, t = arr(m.get("outcomes")), arr(m.get("outcomePrices")), \
            arr(m.get("clobTokenIds"))
        cs = [(o[i] if i < len(o) else None, t[i] if i < len(t) else None,
               num(p[i]) if i < len(p) else None)
              for i in range(max(len(o), len(p), len(t)))]
        rec = {"kind": "market", "source": "polymarket",
               "market_id": str(m["id"]),
               "condition_id": m.get("conditionId") or None,
               "slug": m.get("slug"), "question": m.get("question"),
               "event_id": None if ev.get("id") is None else str(ev["id"]),
               "close_time": m.get("endDate"), "active": m.get("active"),
               "closed": m.get("closed"),
               "volume": num(m.get("volume", m.get("volumeNum"))),
               "liquidity": num(m.get("liquidity", m.get("liquidityNum"))),
               "raw_sha256": sha,
               "contracts": [{"outcome": a, "token_id": b, "price": c}
                             for a, b, c in cs]}
        mrow = (rec["source"], rec["market_id"], rec["condition_id"],
                rec["slug"], rec["question"], rec["event_id"],
                rec["close_time"], flag(rec["active"]), flag(rec["closed"]),
                rec["volume"], rec["liquidity"], sha,
                json.dumps(rec, separators=(",", ":"), ensure_ascii=False))
        crows = [("polymarket", rec["market_id"], i) + c
                 for i, c in enumerate(cs)]
        yield (sha, "gamma", "markets", payload), mrow, crows


def sqlite(path):
    import sqlite3
    db = sqlite3.connect(path)
    db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                     + SCHEMA)
    raws, markets, contracts = [], [], []
    for r, m, cs in rows(sys.stdin):
        raws.append(r)
        markets.append(m)
        contracts.extend(cs)
    with db:
        db.executemany("INSERT INTO raw_responses VALUES (?,?,?,?)"
                       " ON CONFLICT (sha256) DO NOTHING", raws)
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
    tables = (("raw_responses", ("sha256", "source", "endpoint", "payload")),
              ("markets", MCOLS), ("contracts", CCOLS))
    for name, _ in tables:
        out.write("CREATE TEMP TABLE tmp_%s (LIKE %s) ON COMMIT DROP;\n"
                  % (name, name))
    buf = ([], [], [])
    for r, m, cs in rows(sys.stdin):
        buf[0].append(r)
        buf[1].append(m)
        buf[2].extend(cs)
    for (name, _), data in zip(tables, buf):
        out.write("COPY tmp_%s FROM STDIN;\n" % name)
        for row in data:
            out.write("\t".join(map(copy_field, row)) + "\n")
        out.write("\\.\n")
    out.write("INSERT INTO raw_responses SELECT * FROM tmp_raw_responses"
              " ON CONFLICT (sha256) DO NOTHING;\n"
              "INSERT INTO markets SELECT * FROM tmp_markets ON CONFLICT"
              " (source, market_id) DO UPDATE SET %s;\n"
              "INSERT INTO contracts SELECT * FROM tmp_contracts ON CONFLICT"
              " (source, market_id, outcome_index) DO UPDATE SET %s;\n"
              "COMMIT;\n" % (UPD_M, UPD_C))


if __name__ == "__main__":
    if sys.argv[1:2] == ["sqlite"]:
        sqlite(sys.argv[2])
    elif sys.argv[1:2] == ["pg"]:
        pg()
    else:
        sys.exit("usage: replay_baseline.py sqlite DB | pg")
