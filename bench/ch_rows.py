#!/usr/bin/env python3
"""ch_rows.py [--every N] DB DB... - the rows of the tables ClickHouse and
the other engines share are the same in every DB: an SQLite path, or a
ClickHouse HTTP URL http://host:port/?database=NAME (read with FINAL, so
one row per key, the last stored; contracts those of their market's
version).  Compared on the columns that say what
a row is, not when or by which run it was stored (run_id, first_seen_at,
stored_at, recorded_at, counts are provenance; record is left out: SQLite
and PostgreSQL keep it only when the columns cannot give it back, and
record_sha256 stands for it); numbers to 10 significant
digits; every N-th row (default 1: all).  Exits 1 and says what differs,
like check_rows.py; the views of both (latest_prices, book_summary) and
the contracts' quotes (the contract_quotes view on ClickHouse) too.  Used
by tests t0482-t0489 and make bench."""
import json
import sqlite3
import sys
import urllib.error
import urllib.request

TABLES = {
    "raw_responses": ("sha256", "sha256, source, endpoint, url, fetched_at"),
    "markets": ("source, market_id",
                "source, market_id, condition_id, question_id, slug, question,"
                " description, event_id, event_slug, close_time, start_time,"
                " closed_time, updated_at, active, closed, archived, neg_risk,"
                " group_item_title, resolution_status, volume, liquidity,"
                " best_bid, best_ask, last_trade_price, event, tags,"
                " raw_sha256, fetched_at, record_sha256, volume_24h,"
                " volume_1wk, spread, one_day_price_change, resolution,"
                " resolved_outcome, resolved_at"),
    "contracts": ("source, market_id, outcome_index",
                  "source, market_id, outcome_index, outcome, token_id, price"),
    "tags": ("source, tag_id", "source, tag_id, slug, label"),
    "events": ("source, event_id",
               "source, event_id, slug, title, description, start_time,"
               " end_time, updated_at, active, closed, archived, neg_risk,"
               " volume, liquidity, tags, market_ids, raw_sha256, fetched_at,"
               " record_sha256"),
    "price_history": ("token_id, side, ts",
                      "token_id, side, ts, price, market_id, outcome,"
                      " raw_sha256, fetched_at"),
    "trades": ("trade_key",
               "trade_key, condition_id, token_id, side, size, price, ts,"
               " wallet, outcome, outcome_index, transaction_hash, count,"
               " raw_sha256"),
    "books": ("token_id, ts, side, level",
              "token_id, ts, side, level, price, size, market_id,"
              " raw_sha256"),
    "processing_runs": ("run_id", "run_id, flow, run_date, started_at"),
    "processing_failures": ("failure_sha256",
                            "failure_sha256, stage, reason, retriable,"
                            " market_id, event_key, input, detail"),
}


# Read on ClickHouse otherwise than with FINAL: contract rows past a
# market's count stay there (a row is not deleted), of an older version
# than the market's; its contracts are those of its version or newer
# (SCHEMA_CH_CONTRACTS, lib/schema_ch.h).
CH_FROM = {
    "contracts": "(SELECT source, market_id, outcome_index, outcome,"
                 " token_id, price FROM (SELECT source, market_id,"
                 " outcome_index, outcome, token_id, price, row_version AS cv"
                 " FROM contracts FINAL) AS c0 GLOBAL ANY INNER JOIN (SELECT"
                 " source, market_id, row_version AS mv FROM markets FINAL)"
                 " AS m0 USING (source, market_id) WHERE cv >= mv) AS cn",
}


# Not a table on ClickHouse: the contracts' quotes are the contract_quotes
# view there (of the tokens that have a contract, as SQLite updates only
# those); the other engines keep them in contracts.
QUOTES = ("SELECT token_id, quoted_at, best_bid, best_ask, midpoint FROM"
          " contracts WHERE quoted_at IS NOT NULL ORDER BY token_id",
          "SELECT token_id, quoted_at, best_bid, best_ask, midpoint FROM"
          " contract_quotes WHERE token_id IN (SELECT token_id FROM "
          + CH_FROM["contracts"] + " WHERE token_id IS NOT NULL) ORDER BY"
          " token_id")
VIEWS = {
    "contract quotes": QUOTES,
    "book_summary": ("SELECT token_id, ts, market_id, best_bid, best_ask,"
                     " spread, midpoint, depth_1pct, depth_5pct FROM"
                     " book_summary ORDER BY token_id, ts",) * 2,
    "latest_prices": ("SELECT token_id, market_id, outcome, side, ts, price"
                      " FROM latest_prices ORDER BY token_id",) * 2,
}


def norm(v):
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return str(int(v))
    try:
        return "%.10g" % float(v)
    except (TypeError, ValueError):
        return str(v)


def run(db, sqlite_sql, ch_sql):
    if db.startswith("http"):
        try:
            with urllib.request.urlopen(db, (ch_sql + " FORMAT JSONCompact")
                                        .encode()) as r:
                return json.loads(r.read())["data"]
        except urllib.error.HTTPError as e:
            sys.exit("%s: %s: %s" % (db, ch_sql, e.read().decode().strip()))
    with sqlite3.connect(db) as c:
        return c.execute(sqlite_sql).fetchall()


def query(db, table, key, cols):
    return run(db, "SELECT %s FROM %s ORDER BY %s" % (cols, table, key),
               # a subquery: 18.16 cannot sort a Distributed table's FINAL
               # by its key ("Cannot find column row_version")
               "SELECT * FROM (SELECT %s FROM %s) ORDER BY %s" % (
                   cols, CH_FROM.get(table, table + " FINAL"), key))


def main():
    args = sys.argv[1:]
    every = 1
    if args[:1] == ["--every"]:
        every = int(args[1])
        args = args[2:]
    bad = 0
    reads = [(t, lambda db, t=t, k=k, c=c: query(db, t, k, c))
             for t, (k, c) in TABLES.items()]
    reads += [(v, lambda db, q=q: run(db, *q)) for v, q in VIEWS.items()]
    for table, read in reads:
        first = None
        for db in args:
            rows = [tuple(map(norm, r)) for r in read(db)]
            if first is None:
                first = rows
                continue
            if len(rows) != len(first):
                print("%s: %s: %d rows, %s: %d" % (table, args[0], len(first),
                                                   db, len(rows)))
                bad = 1
                continue
            for a, b in list(zip(first, rows))[::every]:
                if a != b:
                    print("%s: %s differs from %s:\n  %s\n  %s" % (
                        table, db, args[0], a, b))
                    bad = 1
                    break
    sys.exit(bad)


if __name__ == "__main__":
    main()
