#!/usr/bin/env python3
"""move-rows.py [--groups] SRC DST - the rows of the market tables and views of SRC
are those of DST, compared exactly: every column both have (doubles to the
last bit, long ids, unicode, NULL), but for those that say when or by which
run this database stored a row.  SRC and DST are an SQLite path, a
postgresql:// URL or a ClickHouse HTTP URL http://host:port/?database=NAME
(read with FINAL: one row per key).  Against ClickHouse, which keeps every
record in its record column and a market's or event's latest fetch, those
two columns are left out, and the contracts' quotes are its contract_quotes
view.  With --groups, the experiments' tables and views too (processed_events,
experiment_results, forecasts).  Exits 1 and says what differs (tests/t0435-store-move.sh)."""
import json
import sqlite3
import subprocess
import sys
import urllib.request

# provenance: when and by which run this database stored the row
SKIP = {"id", "stored_at", "first_seen_at", "row_version", "run_id",
        "recorded_at", "processed_at"}
TABLES = ["markets", "contracts", "events", "tags", "price_history",
          "trades", "books", "latest_prices", "book_summary",
          "raw_observations", "market_outcomes"]
GROUPS = ["forecasts", "experiment_results", "processed_events"]
# not on ClickHouse (raw_observations: its raw_responses keeps one fetch
# per payload; the others are experiments'), and on ClickHouse in another
# shape (market_outcomes: arrays, not JSON text)
NOT_CH = {"raw_observations", "market_outcomes", "forecasts",
          "experiment_results", "processed_events"}
CH_DIFFERS = {"record", "fetched_at"}
# JSON text that PostgreSQL's views write with a space after each comma
JSON_TEXT = {"market_outcomes": {"outcomes", "token_ids", "prices"}}
QUOTES = ("SELECT token_id, quoted_at, best_bid, best_ask, midpoint FROM"
          " contracts WHERE quoted_at IS NOT NULL",
          "SELECT token_id, quoted_at, best_bid, best_ask, midpoint FROM"
          " contract_quotes WHERE token_id IN (SELECT token_id FROM"
          " contracts FINAL WHERE token_id IS NOT NULL)")


def engine(db):
    if db.startswith("postgres"):
        return "pg"
    return "ch" if db.startswith("http") else "sqlite"


def query(db, sql):
    e = engine(db)
    if e == "sqlite":
        with sqlite3.connect(db) as c:
            return c.execute(sql).fetchall()
    if e == "pg":
        out = subprocess.run(["psql", "-XAtq", db, "-c",
                              "SELECT row_to_json(q) FROM (%s) q" % sql],
                             check=True, capture_output=True,
                             text=True).stdout
        # a json column comes as JSON: back to its compact text
        return [[v if v is None or isinstance(v, (str, int, float)) else
                 json.dumps(v, separators=(",", ":"), ensure_ascii=False)
                 for v in json.loads(line).values()]
                for line in out.splitlines() if line]
    req = urllib.request.urlopen(
        db + "&output_format_json_quote_64bit_integers=0",
        (sql + " FORMAT JSONCompact").encode())
    with req as r:
        return json.loads(r.read())["data"]


def columns(db, t):
    e = engine(db)
    if e == "sqlite":
        return [r[1] for r in query(db, "PRAGMA table_info(%s)" % t)]
    if e == "pg":
        return [r[0] for r in query(
            db, "SELECT column_name FROM information_schema.columns WHERE"
            " table_schema = 'public' AND table_name = '%s' ORDER BY"
            " ordinal_position" % t)]
    return [r[0] for r in query(
        db, "SELECT name FROM system.columns WHERE database ="
        " currentDatabase() AND table = '%s'" % t)]


def norm(v):
    """One value as text that says it exactly: a number by its shortest
    repr (1 and 1.0 alike, as SQLite and PostgreSQL differ there): the
    numbers stored are doubles, the ids text."""
    if isinstance(v, bool):
        v = int(v)
    if isinstance(v, int):
        # ClickHouse writes a double past 2^53 as the integer of its
        # shortest digits (1.2345678901234567e+19 as 12345678901234567000)
        return repr(float(v))
    if isinstance(v, float):
        return repr(v)
    return v if v is None else "'" + str(v)


def rows(db, sql, compact=()):
    """The rows sql gives, sorted, each value norm()ed; the columns whose
    indexes are in compact are JSON text made compact first, their
    numbers as doubles (SQLite's json_group_array writes the price 1.0
    as 1.0, PostgreSQL's json_agg as 1)."""
    out = []
    for r in query(db, sql):
        r = [json.dumps(json.loads(v, parse_int=float),
                        separators=(",", ":"),
                        ensure_ascii=False)
             if i in compact and isinstance(v, str) else v
             for i, v in enumerate(r)]
        out.append(tuple(map(norm, r)))
    return sorted(out, key=repr)


def compare(what, a, b, cols):
    if a == b:
        return 0
    sa, sb = set(a), set(b)
    print("%s: %d rows, %d rows; %d only in the first, %d only in the"
          " second (%s)" % (what, len(a), len(b), len(sa - sb),
                            len(sb - sa), ", ".join(cols)))
    for r in sorted(sa - sb, key=repr)[:2]:
        print("  first: ", str(r)[:400])
    for r in sorted(sb - sa, key=repr)[:2]:
        print("  second:", str(r)[:400])
    return 1


def main():
    args = sys.argv[1:]
    tables = TABLES
    if args[:1] == ["--groups"]:
        tables, args = TABLES + GROUPS, args[1:]
    src, dst = args
    ch = "ch" in (engine(src), engine(dst))
    bad = 0
    for t in tables:
        if ch and t in NOT_CH:
            continue
        skip = SKIP | (CH_DIFFERS if ch else set())
        have = set(columns(dst, t))
        cols = [c for c in columns(src, t) if c not in skip and c in have]
        if not cols:
            print("%s: no columns in both" % t)
            bad = 1
            continue
        sel = ["SELECT %s FROM %s%s" % (
            ", ".join(cols), t,
            " FINAL" if engine(db) == "ch" and t not in
            ("latest_prices", "book_summary") else "") for db in (src, dst)]
        js = [i for i, c in enumerate(cols) if c in JSON_TEXT.get(t, ())]
        bad |= compare(t, rows(src, sel[0], js), rows(dst, sel[1], js),
                       cols)
    if ch:
        q = [QUOTES[engine(db) == "ch"] for db in (src, dst)]
        bad |= compare("contract quotes", rows(src, q[0]), rows(dst, q[1]),
                       ["quotes"])
    sys.exit(bad)


if __name__ == "__main__":
    main()
