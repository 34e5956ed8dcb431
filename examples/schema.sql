-- migration 1: initial tables
CREATE TABLE raw_responses (
  id INTEGER PRIMARY KEY,
  sha256 TEXT NOT NULL UNIQUE,
  source TEXT, endpoint TEXT, url TEXT, fetched_at TEXT,
  request TEXT, payload TEXT NOT NULL,
  run_id TEXT,
  stored_at TEXT NOT NULL);
CREATE TABLE markets (
  source TEXT NOT NULL, market_id TEXT NOT NULL,
  condition_id TEXT, question_id TEXT, slug TEXT, question TEXT,
  description TEXT, event_id TEXT, event_slug TEXT, close_time TEXT,
  start_time TEXT, closed_time TEXT, updated_at TEXT,
  active BIGINT, closed BIGINT, archived BIGINT, neg_risk BIGINT,
  group_item_title TEXT, resolution_status TEXT,
  volume DOUBLE PRECISION, liquidity DOUBLE PRECISION,
  best_bid DOUBLE PRECISION, best_ask DOUBLE PRECISION,
  last_trade_price DOUBLE PRECISION,
  event TEXT, tags TEXT, raw_sha256 TEXT, fetched_at TEXT,
  record TEXT NOT NULL, record_sha256 TEXT NOT NULL, run_id TEXT,
  first_seen_at TEXT NOT NULL, stored_at TEXT NOT NULL,
  PRIMARY KEY (source, market_id));
CREATE TABLE contracts (
  source TEXT NOT NULL, market_id TEXT NOT NULL,
  outcome_index BIGINT NOT NULL, outcome TEXT, token_id TEXT,
  price DOUBLE PRECISION,
  PRIMARY KEY (source, market_id, outcome_index));
CREATE INDEX contracts_token ON contracts (token_id);
CREATE TABLE events (
  source TEXT NOT NULL, event_id TEXT NOT NULL,
  slug TEXT, title TEXT, description TEXT, start_time TEXT,
  end_time TEXT, updated_at TEXT,
  active BIGINT, closed BIGINT, archived BIGINT, neg_risk BIGINT,
  volume DOUBLE PRECISION, liquidity DOUBLE PRECISION,
  tags TEXT, market_ids TEXT, raw_sha256 TEXT, fetched_at TEXT,
  record TEXT NOT NULL, record_sha256 TEXT NOT NULL, run_id TEXT,
  first_seen_at TEXT NOT NULL, stored_at TEXT NOT NULL,
  PRIMARY KEY (source, event_id));
CREATE TABLE tags (
  source TEXT NOT NULL, tag_id TEXT NOT NULL, slug TEXT, label TEXT,
  PRIMARY KEY (source, tag_id));
CREATE TABLE price_history (
  token_id TEXT NOT NULL, side TEXT NOT NULL, ts TEXT NOT NULL,
  price DOUBLE PRECISION NOT NULL, market_id TEXT, outcome TEXT,
  raw_sha256 TEXT, run_id TEXT,
  PRIMARY KEY (token_id, side, ts));
CREATE TABLE processing_runs (
  run_id TEXT PRIMARY KEY, flow TEXT, run_date TEXT, target_date TEXT,
  window_days BIGINT, started_at TEXT, finished_at TEXT, status TEXT,
  counts TEXT, git_sha TEXT, environment TEXT, options TEXT,
  stored_at TEXT NOT NULL);
CREATE TABLE processed_events (
  event_key TEXT PRIMARY KEY, run_id TEXT, event_id TEXT,
  n_markets BIGINT, n_results BIGINT, record TEXT NOT NULL,
  processed_at TEXT NOT NULL);
CREATE TABLE processed_markets (
  event_key TEXT NOT NULL, market_id TEXT NOT NULL, run_id TEXT,
  question TEXT, close_time TEXT, volume DOUBLE PRECISION,
  liquidity DOUBLE PRECISION, active BIGINT, closed BIGINT,
  record TEXT NOT NULL,
  PRIMARY KEY (event_key, market_id));
CREATE TABLE processed_contracts (
  event_key TEXT NOT NULL, market_id TEXT NOT NULL,
  outcome_index BIGINT NOT NULL, run_id TEXT, outcome TEXT,
  token_id TEXT, price DOUBLE PRECISION,
  PRIMARY KEY (event_key, market_id, outcome_index));
CREATE TABLE experiments (
  experiment_id TEXT PRIMARY KEY, suite TEXT, stage TEXT, variant TEXT,
  type TEXT);
CREATE TABLE experiment_runs (
  run_id TEXT NOT NULL, experiment_id TEXT NOT NULL, status TEXT NOT NULL,
  n_ok BIGINT NOT NULL, n_failed BIGINT NOT NULL,
  n_skipped BIGINT NOT NULL, started_at TEXT, finished_at TEXT,
  PRIMARY KEY (run_id, experiment_id));
CREATE TABLE experiment_results (
  event_key TEXT NOT NULL, experiment_id TEXT NOT NULL, run_id TEXT,
  suite TEXT, stage TEXT, variant TEXT, type TEXT, status TEXT,
  output TEXT, probabilities TEXT, started_at TEXT, finished_at TEXT,
  latency_ms DOUBLE PRECISION, error TEXT,
  PRIMARY KEY (event_key, experiment_id));
CREATE TABLE research_artifacts (
  event_key TEXT NOT NULL, experiment_id TEXT NOT NULL, run_id TEXT,
  content TEXT,
  PRIMARY KEY (event_key, experiment_id));
CREATE TABLE processing_failures (
  id INTEGER PRIMARY KEY,
  failure_sha256 TEXT NOT NULL UNIQUE, run_id TEXT, stage TEXT,
  reason TEXT NOT NULL, retriable BIGINT, market_id TEXT,
  event_key TEXT, input TEXT, url TEXT, detail TEXT,
  recorded_at TEXT NOT NULL);

-- migration 2: indexes for the prices flow, summaries and failure retries
CREATE INDEX markets_active ON markets (active, closed);
CREATE INDEX price_history_market ON price_history (market_id, ts);
CREATE INDEX processed_events_run ON processed_events (run_id);
CREATE INDEX processing_failures_run ON processing_failures (run_id);
CREATE INDEX raw_responses_run ON raw_responses (run_id);

-- migration 3: fingerprints, lead times, results per experiment and market
ALTER TABLE experiments ADD COLUMN fingerprint TEXT;
ALTER TABLE experiments ADD COLUMN version TEXT;
ALTER TABLE experiments ADD COLUMN description TEXT;
ALTER TABLE experiment_runs ADD COLUMN fingerprint TEXT;
ALTER TABLE experiment_runs ADD COLUMN version TEXT;
ALTER TABLE experiment_runs ADD COLUMN description TEXT;
CREATE TABLE experiment_results_v3 (
  event_key TEXT NOT NULL, experiment_id TEXT NOT NULL, run_id TEXT,
  suite TEXT, stage TEXT, variant TEXT, type TEXT, status TEXT,
  output TEXT, probabilities TEXT, started_at TEXT, finished_at TEXT,
  latency_ms DOUBLE PRECISION, error TEXT,
  fingerprint TEXT NOT NULL, version TEXT, markets TEXT NOT NULL,
  lead TEXT,
  PRIMARY KEY (event_key, experiment_id, fingerprint, markets));
INSERT INTO experiment_results_v3 SELECT event_key, experiment_id,
  run_id, suite, stage, variant, type, status, output, probabilities,
  started_at, finished_at, latency_ms, error, '', NULL, '', NULL
  FROM experiment_results;
DROP TABLE experiment_results;
ALTER TABLE experiment_results_v3 RENAME TO experiment_results;
CREATE TABLE research_artifacts_v3 (
  event_key TEXT NOT NULL, experiment_id TEXT NOT NULL, run_id TEXT,
  content TEXT, fingerprint TEXT NOT NULL, markets TEXT NOT NULL,
  provenance TEXT,
  PRIMARY KEY (event_key, experiment_id, fingerprint, markets));
INSERT INTO research_artifacts_v3 SELECT event_key, experiment_id,
  run_id, content, '', '', NULL FROM research_artifacts;
DROP TABLE research_artifacts;
ALTER TABLE research_artifacts_v3 RENAME TO research_artifacts;
CREATE TABLE experiment_markets (
  event_key TEXT NOT NULL, experiment_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL, markets TEXT NOT NULL,
  market_id TEXT NOT NULL, run_id TEXT, close_time TEXT,
  lead_h DOUBLE PRECISION,
  PRIMARY KEY (event_key, experiment_id, fingerprint, markets,
    market_id));
INSERT INTO experiment_markets SELECT r.event_key, r.experiment_id,
  '', '', p.market_id, r.run_id, p.close_time, NULL
  FROM experiment_results r JOIN processed_markets p
  ON p.event_key = r.event_key;

-- migration 8: views: market_outcomes, forecasts, latest_prices
CREATE VIEW latest_prices AS
SELECT token_id, market_id, outcome, side, ts, price FROM (
  SELECT token_id, market_id, outcome, side, ts, price,
    ROW_NUMBER() OVER (PARTITION BY token_id ORDER BY ts DESC, side) AS n
  FROM price_history) h WHERE n = 1;
CREATE VIEW market_outcomes AS
SELECT m.source, m.market_id, m.event_id, m.event_slug, m.slug,
  m.question, m.close_time, m.active, m.closed, m.volume,
  m.liquidity, m.resolution_status, m.updated_at,
  (SELECT json_group_array(outcome) FROM (SELECT c.outcome
    FROM contracts c WHERE c.source = m.source AND c.market_id = m.market_id ORDER BY c.outcome_index)) AS outcomes,
  (SELECT json_group_array(token_id) FROM (SELECT c.token_id
    FROM contracts c WHERE c.source = m.source AND c.market_id = m.market_id ORDER BY c.outcome_index)) AS token_ids,
  (SELECT json_group_array(p) FROM (SELECT COALESCE((SELECT h.price FROM price_history h
    WHERE h.token_id = c.token_id ORDER BY h.ts DESC, h.side LIMIT 1),
    c.price) AS p
    FROM contracts c WHERE c.source = m.source AND c.market_id = m.market_id ORDER BY c.outcome_index)) AS prices
FROM markets m;
CREATE VIEW forecasts AS
SELECT r.event_key, r.experiment_id, r.suite, r.stage, r.variant,
  r.fingerprint, r.run_id, r.finished_at, m.key AS market_id,
  o.key AS outcome, o.value AS probability
FROM experiment_results r,
  json_each(CASE WHEN json_valid(r.probabilities)
    THEN r.probabilities ELSE '{}' END) m,
  json_each(CASE WHEN m.type = 'object' THEN m.value ELSE '{}' END) o
WHERE r.status = 'ok' AND o.type IN ('integer', 'real');

