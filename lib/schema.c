/*
 * schema.c - the migrations (see schema.h).  Append a migration, never
 * edit one that has shipped: databases out there already ran it.
 *
 * "@ID@" stands for a surrogate key column, the one spelling the engines
 * do not share.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "db_impl.h"
#include "msg.h"
#include "schema.h"
#include "timefmt.h"

struct migration {
	int		 version;
	const char	*name;
	const char	*sql;
};

/* The views of migration 8 (pm-schema(5)): what the engines spell
 * differently is JSON, so each engine has its own text (pg_sql[8]). */
#define LATEST_PRICES \
"CREATE VIEW latest_prices AS\n" \
"SELECT token_id, market_id, outcome, side, ts, price FROM (\n" \
"  SELECT token_id, market_id, outcome, side, ts, price,\n" \
"    ROW_NUMBER() OVER (PARTITION BY token_id ORDER BY ts DESC, side) AS n\n" \
"  FROM price_history) h WHERE n = 1;\n"
#define MARKET_COLS \
"SELECT m.source, m.market_id, m.event_id, m.event_slug, m.slug,\n" \
"  m.question, m.close_time, m.active, m.closed, m.volume,\n" \
"  m.liquidity, m.resolution_status, m.updated_at,\n"
#define CONTRACT_PRICE \
"COALESCE((SELECT h.price FROM price_history h\n" \
"    WHERE h.token_id = c.token_id ORDER BY h.ts DESC, h.side LIMIT 1),\n" \
"    c.price)"
#define CONTRACTS_OF_M \
"FROM contracts c WHERE c.source = m.source AND c.market_id = m.market_id"

#define VIEWS_SQLITE \
LATEST_PRICES \
"CREATE VIEW market_outcomes AS\n" \
MARKET_COLS \
"  (SELECT json_group_array(outcome) FROM (SELECT c.outcome\n" \
"    " CONTRACTS_OF_M " ORDER BY c.outcome_index)) AS outcomes,\n" \
"  (SELECT json_group_array(token_id) FROM (SELECT c.token_id\n" \
"    " CONTRACTS_OF_M " ORDER BY c.outcome_index)) AS token_ids,\n" \
"  (SELECT json_group_array(p) FROM (SELECT " CONTRACT_PRICE " AS p\n" \
"    " CONTRACTS_OF_M " ORDER BY c.outcome_index)) AS prices\n" \
"FROM markets m;\n" \
"CREATE VIEW forecasts AS\n" \
"SELECT r.event_key, r.experiment_id, r.suite, r.stage, r.variant,\n" \
"  r.fingerprint, r.run_id, r.finished_at, m.key AS market_id,\n" \
"  o.key AS outcome, o.value AS probability\n" \
"FROM experiment_results r,\n" \
"  json_each(CASE WHEN json_valid(r.probabilities)\n" \
"    THEN r.probabilities ELSE '{}' END) m,\n" \
"  json_each(CASE WHEN m.type = 'object' THEN m.value ELSE '{}' END) o\n" \
"WHERE r.status = 'ok' AND o.type IN ('integer', 'real');\n"

#define MARKET_OUTCOMES_PG \
"CREATE VIEW market_outcomes AS\n" \
MARKET_COLS \
"  (SELECT json_agg(c.outcome ORDER BY c.outcome_index)\n" \
"    " CONTRACTS_OF_M ")::text AS outcomes,\n" \
"  (SELECT json_agg(c.token_id ORDER BY c.outcome_index)\n" \
"    " CONTRACTS_OF_M ")::text AS token_ids,\n" \
"  (SELECT json_agg(" CONTRACT_PRICE " ORDER BY c.outcome_index)\n" \
"    " CONTRACTS_OF_M ")::text AS prices\n" \
"FROM markets m;\n"
#define VIEWS_PG \
LATEST_PRICES \
MARKET_OUTCOMES_PG \
"CREATE VIEW forecasts AS\n" \
"SELECT r.event_key, r.experiment_id, r.suite, r.stage, r.variant,\n" \
"  r.fingerprint, r.run_id, r.finished_at, m.key AS market_id,\n" \
"  o.key AS outcome, (o.value::text)::double precision AS probability\n" \
"FROM experiment_results r\n" \
"  CROSS JOIN LATERAL json_each(CASE WHEN json_typeof(\n" \
"    r.probabilities::json) = 'object' THEN r.probabilities::json\n" \
"    ELSE '{}'::json END) m\n" \
"  CROSS JOIN LATERAL json_each(CASE WHEN json_typeof(m.value) =\n" \
"    'object' THEN m.value ELSE '{}'::json END) o\n" \
"WHERE r.status = 'ok' AND json_typeof(o.value) = 'number';\n"

/* Migration 6 on both engines but for how the new keys are joined. */
#define V6_KEYS_HEAD \
"CREATE TABLE event_keys_v6 (old TEXT PRIMARY KEY, new TEXT NOT NULL);\n" \
"INSERT INTO event_keys_v6 SELECT k, 'event:' || k FROM (\n" \
"  SELECT event_key AS k FROM processed_events\n" \
"  UNION SELECT event_key FROM processed_markets\n" \
"  UNION SELECT event_key FROM processed_contracts\n" \
"  UNION SELECT event_key FROM experiment_results\n" \
"  UNION SELECT event_key FROM research_artifacts\n" \
"  UNION SELECT event_key FROM experiment_markets\n" \
"  UNION SELECT event_key FROM processing_failures) a\n" \
"  WHERE substr(k, 1, 6) = 'event:' OR (substr(k, 1, 7) = 'market:'\n" \
"  AND EXISTS (SELECT 1 FROM processed_markets p WHERE p.event_key = k)\n" \
"  AND (length(k) <> 6 + (SELECT sum(length(p.market_id) + 1)\n" \
"    FROM processed_markets p WHERE p.event_key = k)\n" \
"  OR EXISTS (SELECT 1 FROM processed_markets p WHERE p.event_key = k\n" \
"    AND replace(',' || substr(k, 8) || ',', ',' || p.market_id || ',',\n" \
"    '') = ',' || substr(k, 8) || ',')));\n" \
"INSERT INTO event_keys_v6 SELECT DISTINCT p.event_key, '' FROM\n" \
"  processed_markets p WHERE substr(p.event_key, 1, 7) = 'market:'\n" \
"  AND replace(replace(p.market_id, ',', ''), '%', '') <> p.market_id\n" \
"  AND p.event_key NOT IN (SELECT old FROM event_keys_v6);\n"
#define V6_KEYS_TAIL \
"UPDATE processed_events SET record = (SELECT replace(record,\n" \
"  '\"event_key\":\"' || old || '\"', '\"event_key\":\"' || new || '\"')\n" \
"  FROM event_keys_v6 WHERE old = event_key)\n" \
"  WHERE event_key IN (SELECT old FROM event_keys_v6);\n" \
"UPDATE processed_events SET event_key = (SELECT new FROM event_keys_v6\n" \
"  WHERE old = event_key) WHERE event_key IN (SELECT old FROM event_keys_v6);\n" \
"UPDATE processed_markets SET event_key = (SELECT new FROM event_keys_v6\n" \
"  WHERE old = event_key) WHERE event_key IN (SELECT old FROM event_keys_v6);\n" \
"UPDATE processed_contracts SET event_key = (SELECT new FROM event_keys_v6\n" \
"  WHERE old = event_key) WHERE event_key IN (SELECT old FROM event_keys_v6);\n" \
"UPDATE experiment_results SET event_key = (SELECT new FROM event_keys_v6\n" \
"  WHERE old = event_key) WHERE event_key IN (SELECT old FROM event_keys_v6);\n" \
"UPDATE research_artifacts SET event_key = (SELECT new FROM event_keys_v6\n" \
"  WHERE old = event_key) WHERE event_key IN (SELECT old FROM event_keys_v6);\n" \
"UPDATE experiment_markets SET event_key = (SELECT new FROM event_keys_v6\n" \
"  WHERE old = event_key) WHERE event_key IN (SELECT old FROM event_keys_v6);\n" \
"UPDATE processing_failures SET event_key = (SELECT new FROM event_keys_v6\n" \
"  WHERE old = event_key) WHERE event_key IN (SELECT old FROM event_keys_v6);\n" \
"DROP TABLE event_keys_v6;\n"

static const struct migration migrations[] = {
{ 1, "initial tables",
"CREATE TABLE raw_responses (\n"
"  id @ID@,\n"
"  sha256 TEXT NOT NULL UNIQUE,\n"
"  source TEXT, endpoint TEXT, url TEXT, fetched_at TEXT,\n"
"  request TEXT, payload TEXT NOT NULL,\n"
"  run_id TEXT,\n"
"  stored_at TEXT NOT NULL);\n"
"CREATE TABLE markets (\n"
"  source TEXT NOT NULL, market_id TEXT NOT NULL,\n"
"  condition_id TEXT, question_id TEXT, slug TEXT, question TEXT,\n"
"  description TEXT, event_id TEXT, event_slug TEXT, close_time TEXT,\n"
"  start_time TEXT, closed_time TEXT, updated_at TEXT,\n"
"  active BIGINT, closed BIGINT, archived BIGINT, neg_risk BIGINT,\n"
"  group_item_title TEXT, resolution_status TEXT,\n"
"  volume DOUBLE PRECISION, liquidity DOUBLE PRECISION,\n"
"  best_bid DOUBLE PRECISION, best_ask DOUBLE PRECISION,\n"
"  last_trade_price DOUBLE PRECISION,\n"
"  event TEXT, tags TEXT, raw_sha256 TEXT, fetched_at TEXT,\n"
"  record TEXT NOT NULL, record_sha256 TEXT NOT NULL, run_id TEXT,\n"
"  first_seen_at TEXT NOT NULL, stored_at TEXT NOT NULL,\n"
"  PRIMARY KEY (source, market_id));\n"
"CREATE TABLE contracts (\n"
"  source TEXT NOT NULL, market_id TEXT NOT NULL,\n"
"  outcome_index BIGINT NOT NULL, outcome TEXT, token_id TEXT,\n"
"  price DOUBLE PRECISION,\n"
"  PRIMARY KEY (source, market_id, outcome_index));\n"
"CREATE INDEX contracts_token ON contracts (token_id);\n"
"CREATE TABLE events (\n"
"  source TEXT NOT NULL, event_id TEXT NOT NULL,\n"
"  slug TEXT, title TEXT, description TEXT, start_time TEXT,\n"
"  end_time TEXT, updated_at TEXT,\n"
"  active BIGINT, closed BIGINT, archived BIGINT, neg_risk BIGINT,\n"
"  volume DOUBLE PRECISION, liquidity DOUBLE PRECISION,\n"
"  tags TEXT, market_ids TEXT, raw_sha256 TEXT, fetched_at TEXT,\n"
"  record TEXT NOT NULL, record_sha256 TEXT NOT NULL, run_id TEXT,\n"
"  first_seen_at TEXT NOT NULL, stored_at TEXT NOT NULL,\n"
"  PRIMARY KEY (source, event_id));\n"
"CREATE TABLE tags (\n"
"  source TEXT NOT NULL, tag_id TEXT NOT NULL, slug TEXT, label TEXT,\n"
"  PRIMARY KEY (source, tag_id));\n"
"CREATE TABLE price_history (\n"
"  token_id TEXT NOT NULL, side TEXT NOT NULL, ts TEXT NOT NULL,\n"
"  price DOUBLE PRECISION NOT NULL, market_id TEXT, outcome TEXT,\n"
"  raw_sha256 TEXT, run_id TEXT,\n"
"  PRIMARY KEY (token_id, side, ts));\n"
"CREATE TABLE processing_runs (\n"
"  run_id TEXT PRIMARY KEY, flow TEXT, run_date TEXT, target_date TEXT,\n"
"  window_days BIGINT, started_at TEXT, finished_at TEXT, status TEXT,\n"
"  counts TEXT, git_sha TEXT, environment TEXT, options TEXT,\n"
"  stored_at TEXT NOT NULL);\n"
"CREATE TABLE processed_events (\n"
"  event_key TEXT PRIMARY KEY, run_id TEXT, event_id TEXT,\n"
"  n_markets BIGINT, n_results BIGINT, record TEXT NOT NULL,\n"
"  processed_at TEXT NOT NULL);\n"
"CREATE TABLE processed_markets (\n"
"  event_key TEXT NOT NULL, market_id TEXT NOT NULL, run_id TEXT,\n"
"  question TEXT, close_time TEXT, volume DOUBLE PRECISION,\n"
"  liquidity DOUBLE PRECISION, active BIGINT, closed BIGINT,\n"
"  record TEXT NOT NULL,\n"
"  PRIMARY KEY (event_key, market_id));\n"
"CREATE TABLE processed_contracts (\n"
"  event_key TEXT NOT NULL, market_id TEXT NOT NULL,\n"
"  outcome_index BIGINT NOT NULL, run_id TEXT, outcome TEXT,\n"
"  token_id TEXT, price DOUBLE PRECISION,\n"
"  PRIMARY KEY (event_key, market_id, outcome_index));\n"
"CREATE TABLE experiments (\n"
"  experiment_id TEXT PRIMARY KEY, suite TEXT, stage TEXT, variant TEXT,\n"
"  type TEXT);\n"
"CREATE TABLE experiment_runs (\n"
"  run_id TEXT NOT NULL, experiment_id TEXT NOT NULL, status TEXT NOT NULL,\n"
"  n_ok BIGINT NOT NULL, n_failed BIGINT NOT NULL,\n"
"  n_skipped BIGINT NOT NULL, started_at TEXT, finished_at TEXT,\n"
"  PRIMARY KEY (run_id, experiment_id));\n"
"CREATE TABLE experiment_results (\n"
"  event_key TEXT NOT NULL, experiment_id TEXT NOT NULL, run_id TEXT,\n"
"  suite TEXT, stage TEXT, variant TEXT, type TEXT, status TEXT,\n"
"  output TEXT, probabilities TEXT, started_at TEXT, finished_at TEXT,\n"
"  latency_ms DOUBLE PRECISION, error TEXT,\n"
"  PRIMARY KEY (event_key, experiment_id));\n"
"CREATE TABLE research_artifacts (\n"
"  event_key TEXT NOT NULL, experiment_id TEXT NOT NULL, run_id TEXT,\n"
"  content TEXT,\n"
"  PRIMARY KEY (event_key, experiment_id));\n"
"CREATE TABLE processing_failures (\n"
"  id @ID@,\n"
"  failure_sha256 TEXT NOT NULL UNIQUE, run_id TEXT, stage TEXT,\n"
"  reason TEXT NOT NULL, retriable BIGINT, market_id TEXT,\n"
"  event_key TEXT, input TEXT, url TEXT, detail TEXT,\n"
"  recorded_at TEXT NOT NULL);\n" },
{ 2, "indexes for the prices flow, summaries and failure retries",
"CREATE INDEX markets_active ON markets (active, closed);\n"
"CREATE INDEX price_history_market ON price_history (market_id, ts);\n"
"CREATE INDEX processed_events_run ON processed_events (run_id);\n"
"CREATE INDEX processing_failures_run ON processing_failures (run_id);\n"
"CREATE INDEX raw_responses_run ON raw_responses (run_id);\n" },
/*
 * Idempotency per experiment: a result is keyed by its variant's
 * fingerprint and the markets it covers, so a changed variant, a new one
 * and a market that joined an event later each get rows of their own.
 * Rows written before have fingerprint '' (unknown: they count as done
 * for the variant whatever its fingerprint now) and markets '' (the
 * event's markets when it was processed, listed in experiment_markets).
 */
{ 3, "fingerprints, lead times, results per experiment and market",
"ALTER TABLE experiments ADD COLUMN fingerprint TEXT;\n"
"ALTER TABLE experiments ADD COLUMN version TEXT;\n"
"ALTER TABLE experiments ADD COLUMN description TEXT;\n"
"ALTER TABLE experiment_runs ADD COLUMN fingerprint TEXT;\n"
"ALTER TABLE experiment_runs ADD COLUMN version TEXT;\n"
"ALTER TABLE experiment_runs ADD COLUMN description TEXT;\n"
"CREATE TABLE experiment_results_v3 (\n"
"  event_key TEXT NOT NULL, experiment_id TEXT NOT NULL, run_id TEXT,\n"
"  suite TEXT, stage TEXT, variant TEXT, type TEXT, status TEXT,\n"
"  output TEXT, probabilities TEXT, started_at TEXT, finished_at TEXT,\n"
"  latency_ms DOUBLE PRECISION, error TEXT,\n"
"  fingerprint TEXT NOT NULL, version TEXT, markets TEXT NOT NULL,\n"
"  lead TEXT,\n"
"  PRIMARY KEY (event_key, experiment_id, fingerprint, markets));\n"
"INSERT INTO experiment_results_v3 SELECT event_key, experiment_id,\n"
"  run_id, suite, stage, variant, type, status, output, probabilities,\n"
"  started_at, finished_at, latency_ms, error, '', NULL, '', NULL\n"
"  FROM experiment_results;\n"
"DROP TABLE experiment_results;\n"
"ALTER TABLE experiment_results_v3 RENAME TO experiment_results;\n"
"CREATE TABLE research_artifacts_v3 (\n"
"  event_key TEXT NOT NULL, experiment_id TEXT NOT NULL, run_id TEXT,\n"
"  content TEXT, fingerprint TEXT NOT NULL, markets TEXT NOT NULL,\n"
"  provenance TEXT,\n"
"  PRIMARY KEY (event_key, experiment_id, fingerprint, markets));\n"
"INSERT INTO research_artifacts_v3 SELECT event_key, experiment_id,\n"
"  run_id, content, '', '', NULL FROM research_artifacts;\n"
"DROP TABLE research_artifacts;\n"
"ALTER TABLE research_artifacts_v3 RENAME TO research_artifacts;\n"
"CREATE TABLE experiment_markets (\n"
"  event_key TEXT NOT NULL, experiment_id TEXT NOT NULL,\n"
"  fingerprint TEXT NOT NULL, markets TEXT NOT NULL,\n"
"  market_id TEXT NOT NULL, run_id TEXT, close_time TEXT,\n"
"  lead_h DOUBLE PRECISION,\n"
"  PRIMARY KEY (event_key, experiment_id, fingerprint, markets,\n"
"    market_id));\n"
"INSERT INTO experiment_markets SELECT r.event_key, r.experiment_id,\n"
"  '', '', p.market_id, r.run_id, p.close_time, NULL\n"
"  FROM experiment_results r JOIN processed_markets p\n"
"  ON p.event_key = r.event_key;\n" },
/*
 * Payloads once, observations apart: a payload is kept once under its
 * sha256 (compressed where that pays, its encoding beside it), and every
 * fetch that brought it is a row of its own, so a rebuild from bronze
 * sees prices fetched twice with one body twice, and A, B, A as A.
 * raw_responses stays as a view, one row per observation (payload text
 * when stored plain).  Markets and events keep their record column only
 * when the columns cannot give the record back (record NULL otherwise).
 */
#define V4_RAW(BLOB, TOBLOB) \
"CREATE TABLE raw_payloads (\n" \
"  sha256 TEXT PRIMARY KEY, encoding TEXT, payload " BLOB " NOT NULL);\n" \
"CREATE TABLE raw_dicts (\n" \
"  dict_id TEXT PRIMARY KEY, endpoint TEXT, dict " BLOB " NOT NULL,\n" \
"  stored_at TEXT NOT NULL);\n" \
"CREATE TABLE raw_observations (\n" \
"  id @ID@,\n" \
"  sha256 TEXT NOT NULL, source TEXT, endpoint TEXT, url TEXT,\n" \
"  fetched_at TEXT, request TEXT, run_id TEXT, stored_at TEXT NOT NULL);\n" \
"INSERT INTO raw_payloads SELECT sha256, NULL, " TOBLOB \
"  FROM raw_responses;\n" \
"INSERT INTO raw_observations (id, sha256, source, endpoint, url,\n" \
"  fetched_at, request, run_id, stored_at) SELECT id, sha256, source,\n" \
"  endpoint, url, fetched_at, request, run_id, stored_at\n" \
"  FROM raw_responses;\n" \
"DROP TABLE raw_responses;\n" \
"CREATE UNIQUE INDEX raw_observations_key ON raw_observations (sha256,\n" \
"  COALESCE(fetched_at, ''), COALESCE(endpoint, ''), COALESCE(url, ''));\n" \
"CREATE INDEX raw_observations_run ON raw_observations (run_id);\n"
#define V4_VIEW(TOTEXT) \
"CREATE VIEW raw_responses AS SELECT o.id, o.sha256, o.source,\n" \
"  o.endpoint, o.url, o.fetched_at, o.request,\n" \
"  CASE WHEN p.encoding IS NULL THEN " TOTEXT " END AS payload,\n" \
"  o.run_id, o.stored_at, p.encoding\n" \
"  FROM raw_observations o JOIN raw_payloads p ON p.sha256 = o.sha256;\n"
/* SQLite drops a NOT NULL only by making the table again */
#define V4_SQLITE_TABLE(T, COLS, KEY) \
"CREATE TABLE " T "_v4 (\n" COLS \
"  record TEXT, record_sha256 TEXT NOT NULL, run_id TEXT,\n" \
"  first_seen_at TEXT NOT NULL, stored_at TEXT NOT NULL,\n" \
"  PRIMARY KEY " KEY ");\n" \
"INSERT INTO " T "_v4 SELECT * FROM " T ";\n" \
"DROP TABLE " T ";\n" \
"ALTER TABLE " T "_v4 RENAME TO " T ";\n"
{ 4, "raw payloads once, observations apart, records only when needed",
V4_RAW("BLOB", "CAST(payload AS BLOB)")
V4_VIEW("CAST(p.payload AS TEXT)")
V4_SQLITE_TABLE("markets",
"  source TEXT NOT NULL, market_id TEXT NOT NULL,\n"
"  condition_id TEXT, question_id TEXT, slug TEXT, question TEXT,\n"
"  description TEXT, event_id TEXT, event_slug TEXT, close_time TEXT,\n"
"  start_time TEXT, closed_time TEXT, updated_at TEXT,\n"
"  active BIGINT, closed BIGINT, archived BIGINT, neg_risk BIGINT,\n"
"  group_item_title TEXT, resolution_status TEXT,\n"
"  volume DOUBLE PRECISION, liquidity DOUBLE PRECISION,\n"
"  best_bid DOUBLE PRECISION, best_ask DOUBLE PRECISION,\n"
"  last_trade_price DOUBLE PRECISION,\n"
"  event TEXT, tags TEXT, raw_sha256 TEXT, fetched_at TEXT,\n",
"(source, market_id)")
"CREATE INDEX markets_active ON markets (active, closed);\n"
V4_SQLITE_TABLE("events",
"  source TEXT NOT NULL, event_id TEXT NOT NULL,\n"
"  slug TEXT, title TEXT, description TEXT, start_time TEXT,\n"
"  end_time TEXT, updated_at TEXT,\n"
"  active BIGINT, closed BIGINT, archived BIGINT, neg_risk BIGINT,\n"
"  volume DOUBLE PRECISION, liquidity DOUBLE PRECISION,\n"
"  tags TEXT, market_ids TEXT, raw_sha256 TEXT, fetched_at TEXT,\n",
"(source, event_id)") },
/*
 * Trades from the Data API: one row per fill (trade_key, pm-records(5)),
 * found by market and time for the watermark pm-store --export market
 * carries, and by wallet.
 */
{ 5, "trades, order books, market activity, resolutions, quotes",
"CREATE TABLE trades (\n"
"  trade_key TEXT PRIMARY KEY, condition_id TEXT NOT NULL,\n"
"  token_id TEXT, side TEXT NOT NULL, size DOUBLE PRECISION NOT NULL,\n"
"  price DOUBLE PRECISION NOT NULL, ts TEXT NOT NULL, wallet TEXT,\n"
"  outcome TEXT, outcome_index BIGINT, transaction_hash TEXT,\n"
"  count BIGINT, raw_sha256 TEXT, run_id TEXT);\n"
"CREATE INDEX trades_market_ts ON trades (condition_id, ts);\n"
"CREATE INDEX trades_wallet ON trades (wallet, ts);\n"
"ALTER TABLE markets ADD COLUMN volume_24h DOUBLE PRECISION;\n"
"ALTER TABLE markets ADD COLUMN volume_1wk DOUBLE PRECISION;\n"
"ALTER TABLE markets ADD COLUMN spread DOUBLE PRECISION;\n"
"ALTER TABLE markets ADD COLUMN one_day_price_change DOUBLE PRECISION;\n"
"ALTER TABLE markets ADD COLUMN resolution TEXT;\n"
"ALTER TABLE markets ADD COLUMN resolved_outcome TEXT;\n"
"ALTER TABLE markets ADD COLUMN resolved_at TEXT;\n"
"ALTER TABLE contracts ADD COLUMN best_bid DOUBLE PRECISION;\n"
"ALTER TABLE contracts ADD COLUMN best_ask DOUBLE PRECISION;\n"
"ALTER TABLE contracts ADD COLUMN midpoint DOUBLE PRECISION;\n"
"ALTER TABLE contracts ADD COLUMN quoted_at TEXT;\n"
"CREATE TABLE books (\n"
"  token_id TEXT NOT NULL, ts TEXT NOT NULL, side TEXT NOT NULL,\n"
"  level BIGINT NOT NULL, price DOUBLE PRECISION NOT NULL,\n"
"  size DOUBLE PRECISION NOT NULL, market_id TEXT, raw_sha256 TEXT,\n"
"  run_id TEXT,\n"
"  PRIMARY KEY (token_id, ts, side, level));\n"
"CREATE VIEW book_summary AS\n"
"  SELECT token_id, ts, market_id, best_bid, best_ask,\n"
"    best_ask - best_bid AS spread, (best_bid + best_ask) / 2 AS midpoint,\n"
"    (SELECT COALESCE(SUM(l.size), 0) FROM books l\n"
"      WHERE l.token_id = b.token_id AND l.ts = b.ts AND\n"
"      ABS(l.price - (b.best_bid + b.best_ask) / 2) <=\n"
"      0.01 * (b.best_bid + b.best_ask) / 2) AS depth_1pct,\n"
"    (SELECT COALESCE(SUM(l.size), 0) FROM books l\n"
"      WHERE l.token_id = b.token_id AND l.ts = b.ts AND\n"
"      ABS(l.price - (b.best_bid + b.best_ask) / 2) <=\n"
"      0.05 * (b.best_bid + b.best_ask) / 2) AS depth_5pct\n"
"  FROM (SELECT token_id, ts, MAX(market_id) AS market_id,\n"
"    MAX(CASE WHEN side = 'bid' AND level = 0 THEN price END) AS best_bid,\n"
"    MAX(CASE WHEN side = 'ask' AND level = 0 THEN price END) AS best_ask\n"
"    FROM books GROUP BY token_id, ts) b;\n" },
/*
 * Event keys without collisions (pm-records(5) EVENT KEY): an event id
 * that starts with "market:" or "event:" now has "event:" before it, and
 * the market ids in a "market:" key have '%' and ',' escaped.  Which old
 * "market:" keys were event ids is told by the markets processed under
 * them: a key of markets is exactly their ids joined.  Every other key
 * stays as it was, so older dumps replay into the same rows.
 */
{ 6, "event keys without collisions",
V6_KEYS_HEAD
"UPDATE event_keys_v6 SET new = (SELECT 'market:' || group_concat(e, ',') FROM\n"
"  (SELECT replace(replace(p.market_id, '%', '%25'), ',', '%2C') AS e\n"
"  FROM processed_markets p WHERE p.event_key = old\n"
"  ORDER BY p.market_id))\n"
"   WHERE new = '';\n"
V6_KEYS_TAIL },
/*
 * pipelines.sh's run lock on a server database (lib/lease.c): one lease
 * row per flow, taken and renewed by single statements, so it works
 * through a transaction pooler and across machines; expires_at is the
 * server's clock in epoch seconds.  status_alerts: the freshness last
 * told to the webhook (pm-summary --status --notify), so a change from
 * fresh to stale is told once, not at every check.
 */
{ 7, "run leases, status alert state",
"CREATE TABLE run_locks (\n"
"  lock_key TEXT PRIMARY KEY, holder TEXT NOT NULL,\n"
"  acquired_at TEXT NOT NULL, expires_at BIGINT NOT NULL);\n"
"CREATE TABLE status_alerts (\n"
"  alert_key TEXT PRIMARY KEY, level TEXT NOT NULL,\n"
"  changed_at TEXT NOT NULL);\n" },
/* Views to look at the data with (pm-schema(5)); nothing stored changes. */
{ 8, "views: market_outcomes, forecasts, latest_prices", VIEWS_SQLITE },
/* PostgreSQL's key columns compared as bytes (pg_sql[10]); SQLite's
 * text compares so already. */
{ 10, "key columns in binary order",
"-- nothing to do: SQLite compares text as bytes\n" },
/* n_markets counts the markets that joined a processed group later (a
 * rerun after a cut-short run adds them too); rows written before
 * counted the first run's only. */
{ 11, "processed_events.n_markets counts joined markets",
"UPDATE processed_events SET n_markets = (SELECT count(*)\n"
"  FROM processed_markets m WHERE m.event_key = processed_events.event_key)\n"
"WHERE n_markets < (SELECT count(*) FROM processed_markets m\n"
"  WHERE m.event_key = processed_events.event_key);\n" },
/*
 * pm-summary --status takes a flow's freshness from the newest fetch of
 * its endpoints (lib/status.c): without an index that is a scan of every
 * fetch ever kept, a row per answer.  With one on the endpoint and the
 * time the status reads (the fetch's, else the storing's: the very
 * expression it asks for), it is one step down from the bound.  Rows
 * come in time order, so each insert adds at the index's right edge.
 */
{ 12, "raw observations by endpoint and fetch time",
"CREATE INDEX raw_observations_fetched ON raw_observations (endpoint,\n"
"  COALESCE(fetched_at, stored_at));\n" },
/*
 * A price point keeps the fetch time of the record that wrote it, and a
 * record fetched before the row's leaves the row as it is, as markets and
 * events do (store_tbl.h): a dump replayed after a later run no longer
 * puts an older value of a revised point back.  Rows stored before have
 * none (unknown), so any record replaces them, as before.
 */
{ 13, "price_history.fetched_at: the latest fetch of a point wins",
"ALTER TABLE price_history ADD COLUMN fetched_at TEXT;\n" },
/*
 * A contract's quote keeps the fetch time of its moment, so that of one
 * quoted_at (a book's server timestamp) fetched twice the later fetch's
 * quote wins, as price_history's point does (store_quote.c).  Quotes
 * stored before have none, so any record of their quoted_at replaces
 * them, as before.
 */
{ 14, "contracts.quote_fetched_at: the latest fetch of a quote wins",
"ALTER TABLE contracts ADD COLUMN quote_fetched_at TEXT;\n" },
};

#define NMIG (sizeof migrations / sizeof migrations[0])

/* A migration's SQL for PostgreSQL where it is not the SQLite text. */
static const char *const pg_sql[] = {
[4] =
/* the payloads are compressed already: no second try by TOAST */
V4_RAW("BYTEA", "convert_to(payload, 'UTF8')")
"ALTER TABLE raw_payloads ALTER COLUMN payload SET STORAGE EXTERNAL;\n"
"SELECT setval(pg_get_serial_sequence('raw_observations', 'id'),\n"
"  COALESCE(MAX(id), 0) + 1, false) FROM raw_observations;\n"
V4_VIEW("convert_from(p.payload, 'UTF8')")
"ALTER TABLE markets ALTER COLUMN record DROP NOT NULL;\n"
"ALTER TABLE events ALTER COLUMN record DROP NOT NULL;\n",
[6] =	/* an ordered aggregate */
V6_KEYS_HEAD
"UPDATE event_keys_v6 SET new = (SELECT 'market:' || string_agg(\n"
"  replace(replace(p.market_id, '%', '%25'), ',', '%2C'), ','\n"
"  ORDER BY p.market_id COLLATE \"C\")\n"
"  FROM processed_markets p WHERE p.event_key = old)\n"
"   WHERE new = '';\n"
V6_KEYS_TAIL,
[8] =	/* JSON spelled PostgreSQL's way */
VIEWS_PG,
/*
 * The keys pm-store writes most, compared byte by byte (COLLATE "C"), not
 * by the database's locale: a B-tree insert or conflict check then
 * compares with memcmp, not strcoll, and keys order as on SQLite.  The
 * indexes on them are built again; the views on them are made again as
 * they were.
 */
[10] =
"DROP VIEW market_outcomes;\n"
"DROP VIEW latest_prices;\n"
"DROP VIEW raw_responses;\n"
"ALTER TABLE raw_payloads ALTER COLUMN sha256 TYPE TEXT COLLATE \"C\";\n"
"ALTER TABLE raw_observations\n"
"  ALTER COLUMN sha256 TYPE TEXT COLLATE \"C\",\n"
"  ALTER COLUMN endpoint TYPE TEXT COLLATE \"C\",\n"
"  ALTER COLUMN url TYPE TEXT COLLATE \"C\",\n"
"  ALTER COLUMN fetched_at TYPE TEXT COLLATE \"C\",\n"
"  ALTER COLUMN run_id TYPE TEXT COLLATE \"C\";\n"
"ALTER TABLE markets ALTER COLUMN source TYPE TEXT COLLATE \"C\",\n"
"  ALTER COLUMN market_id TYPE TEXT COLLATE \"C\";\n"
"ALTER TABLE contracts ALTER COLUMN source TYPE TEXT COLLATE \"C\",\n"
"  ALTER COLUMN market_id TYPE TEXT COLLATE \"C\",\n"
"  ALTER COLUMN token_id TYPE TEXT COLLATE \"C\";\n"
"ALTER TABLE events ALTER COLUMN source TYPE TEXT COLLATE \"C\",\n"
"  ALTER COLUMN event_id TYPE TEXT COLLATE \"C\";\n"
"ALTER TABLE tags ALTER COLUMN source TYPE TEXT COLLATE \"C\",\n"
"  ALTER COLUMN tag_id TYPE TEXT COLLATE \"C\";\n"
"ALTER TABLE price_history ALTER COLUMN token_id TYPE TEXT COLLATE \"C\",\n"
"  ALTER COLUMN side TYPE TEXT COLLATE \"C\",\n"
"  ALTER COLUMN ts TYPE TEXT COLLATE \"C\",\n"
"  ALTER COLUMN market_id TYPE TEXT COLLATE \"C\";\n"
LATEST_PRICES
MARKET_OUTCOMES_PG
V4_VIEW("convert_from(p.payload, 'UTF8')"),
};

static const char *
sql_for(int engine, const struct migration *m)
{
	if (engine == DB_PG && (size_t)m->version < sizeof pg_sql /
	    sizeof pg_sql[0] && pg_sql[m->version])
		return pg_sql[m->version];
	return m->sql;
}

int
schema_latest(void)
{
	return migrations[NMIG - 1].version;
}

/* One migration's SQL for an engine, @ID@ spelled out. */
static int
expand(int engine, const char *sql, struct buf *out)
{
	const char *id = engine == DB_PG ?
	    "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" :
	    "INTEGER PRIMARY KEY";
	const char *p;

	while ((p = strstr(sql, "@ID@")) != NULL) {
		if (buf_add(out, sql, (size_t)(p - sql)) == -1 ||
		    buf_adds(out, id) == -1)
			return -1;
		sql = p + 4;
	}
	return buf_adds(out, sql);
}

int
schema_text(int engine, struct buf *out)
{
	size_t i;

	for (i = 0; i < NMIG; i++)
		if (buf_printf(out, "-- migration %d: %s\n", migrations[i].version,
		    migrations[i].name) == -1 ||
		    expand(engine, sql_for(engine, &migrations[i]), out) == -1 ||
		    buf_adds(out, "\n") == -1)
			return -1;
	return 0;
}

/* One integer from sql (arg, if any, its ?1) into *v; -1 when it cannot
 * be read. */
static int
query_int(struct db *db, const char *sql, const char *arg, int64_t *v)
{
	struct db_stmt *st;
	int rc = -1;

	st = db_prepare(db, sql);
	if (st && (arg == NULL || db_bind_str(st, 1, arg) == 0) &&
	    db_step(st) == DB_ROW) {
		*v = db_col_int(st, 0);
		rc = 0;
	}
	if (st)
		db_reset(st);
	db_finalize(st);
	return rc;
}

/*
 * A database without schema_migrations is empty (0), asked of the
 * catalog: a lock or a lost server is an error (-1), never "empty",
 * or a reader would take a database it could not read for a new one.
 * So is a schema_migrations without a version: pm-store fills it in
 * the transaction that creates it, so it was emptied or edited by hand,
 * and the tables are there all the same.
 */
int
schema_has_table(struct db *db, const char *name)
{
	int64_t n;

	if (query_int(db, db_engine(db) == DB_PG ?
	    "SELECT CASE WHEN to_regclass(CAST(?1 AS TEXT)) IS NULL "
	    "THEN 0 ELSE 1 END" : db_engine(db) == DB_CLICKHOUSE ?
	    "SELECT count() FROM system.tables WHERE database = "
	    "currentDatabase() AND name = ?1" :
	    "SELECT count(*) FROM sqlite_master WHERE name = ?1", name,
	    &n) == -1)
		return -1;
	return n > 0;
}

/*
 * Which of the known migrations schema_migrations holds (have[i] for
 * migrations[i]) and the highest version it holds, known or not.  A
 * version may be missing below one that is there: builds of the main
 * line from branches merged apart ran migration 7 before 4, 5 and 6
 * existed ([1,2,3,7]), or 4, 6 and 7 before 5.
 */
static int
applied(struct db *db, unsigned char have[], int64_t *max)
{
	struct db_stmt *st;
	int64_t v;
	size_t i;
	int rc;

	memset(have, 0, NMIG);
	*max = 0;
	if ((st = db_prepare(db, "SELECT version FROM schema_migrations")) ==
	    NULL)
		return -1;
	while ((rc = db_step(st)) == DB_ROW) {
		v = db_col_int(st, 0);
		if (v > *max)
			*max = v;
		for (i = 0; i < NMIG; i++)
			if (migrations[i].version == v)
				have[i] = 1;
	}
	db_finalize(st);
	return rc == DB_DONE ? 0 : -1;
}

/* ClickHouse numbers its migrations apart and makes them there
 * (lib/schema_ch.c, pm-store); its readers only ask whether there is
 * one.  A schema_migrations without a version is said, as above. */
static int
ch_version(struct db *db)
{
	int64_t max;

	if (query_int(db, "SELECT toInt64(max(version)) FROM "
	    "schema_migrations", NULL, &max) == -1)
		return -1;
	if (max < 1) {
		db_seterr(db, "schema_migrations holds no schema version "
		    "(emptied or edited by hand?)");
		return -1;
	}
	return max > INT_MAX ? INT_MAX : (int)max;
}

/*
 * The version up to which every migration has run: a database at
 * [1,2,3,7] has the tables of 3 and not those of 4, so it is at 3, read
 * and upgraded as such (apply() runs 4, 5 and 6 then, and skips 7).  A
 * version newer than this build knows is said as it is, to be refused.
 */
int
schema_version(struct db *db)
{
	unsigned char have[NMIG];
	int64_t max;
	size_t i;
	int t, v;

	if ((t = schema_has_table(db, "schema_migrations")) <= 0)
		return t;
	if (db_engine(db) == DB_CLICKHOUSE)
		return ch_version(db);
	if (applied(db, have, &max) == -1)
		return -1;
	if (max < 1 || max > INT_MAX) {
		db_seterr(db, "schema_migrations holds no schema version "
		    "(emptied or edited by hand?)");
		return -1;
	}
	if (max > schema_latest())
		return (int)max;
	for (v = 0, i = 0; i < NMIG && have[i]; i++)
		v = migrations[i].version;
	if (v == 0) {
		db_seterr(db, "schema_migrations holds no migration %d "
		    "(edited by hand?)", migrations[0].version);
		return -1;
	}
	return v;
}

static int
record(struct db *db, const struct migration *m)
{
	struct db_stmt *st;
	char now[TS_MAX];
	int rc;

	st = db_prepare(db, "INSERT INTO schema_migrations "
	    "(version, name, applied_at) VALUES (?1, ?2, ?3)");
	if (st == NULL)
		return DB_ERR;
	db_bind_int(st, 1, m->version);
	db_bind_str(st, 2, m->name);
	ts_now(now);
	db_bind_str(st, 3, now);
	rc = db_step(st);
	db_finalize(st);
	return rc;
}

int
schema_newer(int v, char *err, size_t errlen)
{
	if (v <= schema_latest())
		return 0;
	snprintf(err, errlen, "database schema version %d is newer than "
	    "this %s knows (%d)", v, msg_prog(), schema_latest());
	return 1;
}

static int
apply(struct db *db, int to, char *err, size_t errlen)
{
	unsigned char have[NMIG];
	struct buf sql;
	int64_t max = 0;
	size_t i;
	int v, rc, late;

	/* read committed, whatever default_transaction_isolation says:
	 * serializable or repeatable read would keep the snapshot of the
	 * lock's statement, taken before the wait, and a pm-store that
	 * waited while another made the schema would not see its rows */
	if (db_engine(db) == DB_PG &&
	    ((rc = db_exec(db, "SET TRANSACTION ISOLATION LEVEL READ "
	    "COMMITTED")) != DB_DONE ||
	    (rc = db_exec(db, "SELECT pg_advisory_xact_lock(7370001)")) !=
	    DB_DONE))
		return rc;
	/* asked before the table is made: a new one is empty.  Made only
	 * then: PostgreSQL checks the right to create in the schema before
	 * whether the table exists, and a role that may only read and
	 * write the tables stores into a database at the latest schema */
	if ((v = schema_version(db)) == -1 || schema_newer(v, err, errlen))
		return DB_ERR;
	if (v == 0 && (rc = db_exec(db, "CREATE TABLE IF NOT EXISTS "
	    "schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT "
	    "NULL, applied_at TEXT NOT NULL)")) != DB_DONE)
		return rc;
	/* each migration not there yet, also one below a version that is */
	if (applied(db, have, &max) == -1)
		return DB_ERR;
	buf_init(&sql, 0);
	rc = DB_DONE;
	for (i = 0; i < NMIG && rc == DB_DONE; i++) {
		if (have[i] || migrations[i].version > to)
			continue;
		/*
		 * One that runs after a later one: on SQLite, migration 4
		 * makes markets again under its name, which the views of
		 * migration 8 name; the rename is not to check them (they
		 * read the new table as they read the old).
		 */
		late = db_engine(db) == DB_SQLITE &&
		    max > migrations[i].version;
		buf_reset(&sql);
		if (expand(db_engine(db), sql_for(db_engine(db),
		    &migrations[i]), &sql) == -1)
			rc = DB_ERR;
		if (rc == DB_DONE && late)
			rc = db_exec(db, "PRAGMA legacy_alter_table = ON");
		if (rc == DB_DONE)
			rc = db_exec(db, sql.data);
		if (late)
			db_exec(db, "PRAGMA legacy_alter_table = OFF");
		if (rc == DB_DONE && migrations[i].version == 6)
			rc = schema_long_keys(db);
		if (rc == DB_DONE)
			rc = record(db, &migrations[i]);
		if (migrations[i].version > max)
			max = migrations[i].version;
	}
	buf_release(&sql);
	return rc;
}

int
schema_migrate(struct db *db, int to, char *err, size_t errlen)
{
	int attempt, began, rc = DB_ERR;

	if (to <= 0 || to > schema_latest())
		to = schema_latest();
	for (attempt = 0; attempt < DB_RETRIES; attempt++) {
		err[0] = 0;
		began = 0;
		if ((rc = db_begin(db)) == DB_DONE && (began = 1) &&
		    (rc = apply(db, to, err, errlen)) == DB_DONE &&
		    (rc = db_commit(db)) == DB_DONE)
			return 0;
		/* not begun: the lock was held, no migration was tried */
		if (err[0] == 0)
			snprintf(err, errlen, "%s%s", began ? "migration: " : "",
			    db_errmsg(db));
		db_rollback(db);
		if (rc != DB_BUSY)
			break;
		db_backoff(attempt);
	}
	return -1;
}

struct db_stmt *
schema_processed(struct db *db)
{
	return db_prepare(db, "SELECT 1 FROM processed_events "
	    "WHERE event_key = ?1");
}
