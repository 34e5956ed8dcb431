#!/usr/bin/env python3
"""check_rows.py WORKLOAD DB... - the baselines did the same work: every
DB (an SQLite path or a postgresql:// URL) has the same number of raw,
market and contract rows, the same markets and contracts (compared on the
columns every tool writes, every 1 in 97 rows), and the same raw sha256
keys as the first, except for a DB named with a leading ~ (jq's sqlite3
has no SHA-256), and a DB named with a leading = (bench/replay_lean.py:
its raw lines live in its markets rows) is compared on markets and
contracts alone.
Exits 1 and says what differs."""
import subprocess
import sqlite3
import sys

QUERIES = {
    "counts": "SELECT (SELECT count(*) FROM raw_responses), "
              "(SELECT count(*) FROM markets), (SELECT count(*) FROM contracts)",
    "markets": "SELECT market_id, slug, question, close_time, active, closed,"
               " volume, liquidity FROM markets ORDER BY market_id",
    "contracts": "SELECT market_id, outcome_index, outcome, token_id, price"
                 " FROM contracts ORDER BY market_id, outcome_index",
    "sha": "SELECT sha256 FROM raw_responses ORDER BY sha256",
}


def norm(v):
    if v is None or v == "":
        return None
    try:
        return "%.10g" % float(v)
    except ValueError:
        return str(v)


def query(db, sql):
    if db.startswith("postgres"):
        out = subprocess.run(["psql", "-X", "-At", "-F", "\x1f", "-R", "\x1e",
                              "-P", "null=\x01", db, "-c", sql],
                             check=True, capture_output=True,
                             text=True).stdout.rstrip("\n")
        return [tuple(None if f == "\x01" else f for f in r.split("\x1f"))
                for r in out.split("\x1e") if r]
    with sqlite3.connect(db) as c:
        return c.execute(sql).fetchall()


def main():
    wl = sys.argv[1]
    nosha = [a[1:] for a in sys.argv[2:] if a.startswith("~")]
    lean = [a[1:] for a in sys.argv[2:] if a.startswith("=")]
    dbs = [a.lstrip("~=") for a in sys.argv[2:]]
    bad = 0
    first = {k: [tuple(map(norm, r)) for r in query(dbs[0], q)]
             for k, q in QUERIES.items()}
    for db in dbs[1:]:
        for k, q in QUERIES.items():
            if (k == "sha" and db in nosha) or \
                    (db in lean and k in ("counts", "sha")):
                continue
            rows = [tuple(map(norm, r)) for r in query(db, q)]
            want = first[k] if k in ("counts", "sha") else first[k][::97]
            got = rows if k in ("counts", "sha") else rows[::97]
            if want != got:
                diff = next((a, b) for a, b in zip(want + [None], got + [None])
                            if a != b)
                print("bench: %s: %s differs from %s in %s: %r vs %r"
                      % (wl, db, dbs[0], k, diff[0], diff[1]), file=sys.stderr)
                bad = 1
    if not bad:
        c = first["counts"][0]
        print("%s: %d DBs agree: %s raw, %s markets, %s contracts rows"
              % (wl, len(dbs), c[0], c[1], c[2]))
    return bad


sys.exit(main())
