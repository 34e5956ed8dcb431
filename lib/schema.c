/*
 * schema.c - the migrations (see schema.h).  Append a migration, never
 * edit one that has shipped: databases out there already ran it.
 *
 * "@ID@" stands for a surrogate key column, the one spelling the engines
 * do not share.
 */
#include <stdio.h>
#include <string.h>

#include "schema.h"
#include "timefmt.h"

struct migration {
	int		 version;
	const char	*name;
	const char	*sql;
};

/* The views of migration 8 (pm-schema(5)): what the engines spell
 * differently is JSON, so each engine has its own text, SQLite's then
 * PostgreSQL's after a line "@PG@". */
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

#define VIEWS_PG \
LATEST_PRICES \
"CREATE VIEW market_outcomes AS\n" \
MARKET_COLS \
"  (SELECT json_agg(c.outcome ORDER BY c.outcome_index)\n" \
"    " CONTRACTS_OF_M ")::text AS outcomes,\n" \
"  (SELECT json_agg(c.token_id ORDER BY c.outcome_index)\n" \
"    " CONTRACTS_OF_M ")::text AS token_ids,\n" \
"  (SELECT json_agg(" CONTRACT_PRICE " ORDER BY c.outcome_index)\n" \
"    " CONTRACTS_OF_M ")::text AS prices\n" \
"FROM markets m;\n" \
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
/* Views to look at the data with (pm-schema(5)); nothing stored changes. */
{ 8, "views: market_outcomes, forecasts, latest_prices",
  VIEWS_SQLITE "@PG@\n" VIEWS_PG },
};

#define NMIG (sizeof migrations / sizeof migrations[0])



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
	const char *p, *pg = strstr(sql, "@PG@\n"), *end;

	/* A migration the engines spell differently: SQLite's text, then
	 * "@PG@" and PostgreSQL's. */
	if (pg && engine == DB_PG)
		sql = pg + 5;
	end = pg && engine != DB_PG ? pg : sql + strlen(sql);
	while ((p = strstr(sql, "@ID@")) != NULL && p < end) {
		if (buf_add(out, sql, (size_t)(p - sql)) == -1 ||
		    buf_adds(out, id) == -1)
			return -1;
		sql = p + 4;
	}
	return buf_add(out, sql, (size_t)(end - sql));
}

int
schema_text(int engine, struct buf *out)
{
	size_t i;

	for (i = 0; i < NMIG; i++)
		if (buf_printf(out, "-- migration %d: %s\n", migrations[i].version,
		    migrations[i].name) == -1 ||
		    expand(engine, migrations[i].sql, out) == -1 ||
		    buf_adds(out, "\n") == -1)
			return -1;
	return 0;
}

int
schema_version(struct db *db)
{
	struct db_stmt *st;
	int v = -1;

	st = db_prepare(db, "SELECT COALESCE(MAX(version), 0) "
	    "FROM schema_migrations");
	if (st && db_step(st) == DB_ROW)
		v = (int)db_col_int(st, 0);
	if (st)
		db_reset(st);
	db_finalize(st);
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

static int
apply(struct db *db, int to, char *err, size_t errlen)
{
	struct buf sql;
	size_t i;
	int v, rc;

	if (db_engine(db) == DB_PG &&
	    (rc = db_exec(db, "SELECT pg_advisory_xact_lock(7370001)")) != DB_DONE)
		return rc;
	if ((rc = db_exec(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
	    "applied_at TEXT NOT NULL)")) != DB_DONE)
		return rc;
	if ((v = schema_version(db)) == -1)
		return DB_ERR;
	if (v > schema_latest()) {
		snprintf(err, errlen, "database schema version %d is newer "
		    "than this pm-store knows (%d)", v, schema_latest());
		return DB_ERR;
	}
	buf_init(&sql, 0);
	rc = DB_DONE;
	for (i = 0; i < NMIG && rc == DB_DONE; i++) {
		if (migrations[i].version <= v || migrations[i].version > to)
			continue;
		buf_reset(&sql);
		if (expand(db_engine(db), migrations[i].sql, &sql) == -1)
			rc = DB_ERR;
		if (rc == DB_DONE)
			rc = db_exec(db, sql.data);
		if (rc == DB_DONE)
			rc = record(db, &migrations[i]);
	}
	buf_release(&sql);
	return rc;
}

int
schema_migrate(struct db *db, int to, char *err, size_t errlen)
{
	int attempt, rc = DB_ERR;

	if (to <= 0 || to > schema_latest())
		to = schema_latest();
	for (attempt = 0; attempt < DB_RETRIES; attempt++) {
		err[0] = 0;
		if ((rc = db_begin(db)) == DB_DONE &&
		    (rc = apply(db, to, err, errlen)) == DB_DONE &&
		    (rc = db_commit(db)) == DB_DONE)
			return 0;
		if (err[0] == 0)
			snprintf(err, errlen, "migration: %s", db_errmsg(db));
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
