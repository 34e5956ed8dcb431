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

-- migration 4: raw payloads once, observations apart, records only when needed
CREATE TABLE raw_payloads (
  sha256 TEXT PRIMARY KEY, encoding TEXT, payload BLOB NOT NULL);
CREATE TABLE raw_dicts (
  dict_id TEXT PRIMARY KEY, endpoint TEXT, dict BLOB NOT NULL,
  stored_at TEXT NOT NULL);
CREATE TABLE raw_observations (
  id INTEGER PRIMARY KEY,
  sha256 TEXT NOT NULL, source TEXT, endpoint TEXT, url TEXT,
  fetched_at TEXT, request TEXT, run_id TEXT, stored_at TEXT NOT NULL);
INSERT INTO raw_payloads SELECT sha256, NULL, CAST(payload AS BLOB)  FROM raw_responses;
INSERT INTO raw_observations (id, sha256, source, endpoint, url,
  fetched_at, request, run_id, stored_at) SELECT id, sha256, source,
  endpoint, url, fetched_at, request, run_id, stored_at
  FROM raw_responses;
DROP TABLE raw_responses;
CREATE UNIQUE INDEX raw_observations_key ON raw_observations (sha256,
  COALESCE(fetched_at, ''), COALESCE(endpoint, ''), COALESCE(url, ''));
CREATE INDEX raw_observations_run ON raw_observations (run_id);
CREATE VIEW raw_responses AS SELECT o.id, o.sha256, o.source,
  o.endpoint, o.url, o.fetched_at, o.request,
  CASE WHEN p.encoding IS NULL THEN CAST(p.payload AS TEXT) END AS payload,
  o.run_id, o.stored_at, p.encoding
  FROM raw_observations o JOIN raw_payloads p ON p.sha256 = o.sha256;
CREATE TABLE markets_v4 (
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
  record TEXT, record_sha256 TEXT NOT NULL, run_id TEXT,
  first_seen_at TEXT NOT NULL, stored_at TEXT NOT NULL,
  PRIMARY KEY (source, market_id));
INSERT INTO markets_v4 SELECT * FROM markets;
DROP TABLE markets;
ALTER TABLE markets_v4 RENAME TO markets;
CREATE INDEX markets_active ON markets (active, closed);
CREATE TABLE events_v4 (
  source TEXT NOT NULL, event_id TEXT NOT NULL,
  slug TEXT, title TEXT, description TEXT, start_time TEXT,
  end_time TEXT, updated_at TEXT,
  active BIGINT, closed BIGINT, archived BIGINT, neg_risk BIGINT,
  volume DOUBLE PRECISION, liquidity DOUBLE PRECISION,
  tags TEXT, market_ids TEXT, raw_sha256 TEXT, fetched_at TEXT,
  record TEXT, record_sha256 TEXT NOT NULL, run_id TEXT,
  first_seen_at TEXT NOT NULL, stored_at TEXT NOT NULL,
  PRIMARY KEY (source, event_id));
INSERT INTO events_v4 SELECT * FROM events;
DROP TABLE events;
ALTER TABLE events_v4 RENAME TO events;

-- migration 5: trades, order books, market activity, resolutions, quotes
CREATE TABLE trades (
  trade_key TEXT PRIMARY KEY, condition_id TEXT NOT NULL,
  token_id TEXT, side TEXT NOT NULL, size DOUBLE PRECISION NOT NULL,
  price DOUBLE PRECISION NOT NULL, ts TEXT NOT NULL, wallet TEXT,
  outcome TEXT, outcome_index BIGINT, transaction_hash TEXT,
  count BIGINT, raw_sha256 TEXT, run_id TEXT);
CREATE INDEX trades_market_ts ON trades (condition_id, ts);
CREATE INDEX trades_wallet ON trades (wallet, ts);
ALTER TABLE markets ADD COLUMN volume_24h DOUBLE PRECISION;
ALTER TABLE markets ADD COLUMN volume_1wk DOUBLE PRECISION;
ALTER TABLE markets ADD COLUMN spread DOUBLE PRECISION;
ALTER TABLE markets ADD COLUMN one_day_price_change DOUBLE PRECISION;
ALTER TABLE markets ADD COLUMN resolution TEXT;
ALTER TABLE markets ADD COLUMN resolved_outcome TEXT;
ALTER TABLE markets ADD COLUMN resolved_at TEXT;
ALTER TABLE contracts ADD COLUMN best_bid DOUBLE PRECISION;
ALTER TABLE contracts ADD COLUMN best_ask DOUBLE PRECISION;
ALTER TABLE contracts ADD COLUMN midpoint DOUBLE PRECISION;
ALTER TABLE contracts ADD COLUMN quoted_at TEXT;
CREATE TABLE books (
  token_id TEXT NOT NULL, ts TEXT NOT NULL, side TEXT NOT NULL,
  level BIGINT NOT NULL, price DOUBLE PRECISION NOT NULL,
  size DOUBLE PRECISION NOT NULL, market_id TEXT, raw_sha256 TEXT,
  run_id TEXT,
  PRIMARY KEY (token_id, ts, side, level));
CREATE VIEW book_summary AS
  SELECT token_id, ts, market_id, best_bid, best_ask,
    best_ask - best_bid AS spread, (best_bid + best_ask) / 2 AS midpoint,
    (SELECT COALESCE(SUM(l.size), 0) FROM books l
      WHERE l.token_id = b.token_id AND l.ts = b.ts AND
      ABS(l.price - (b.best_bid + b.best_ask) / 2) <=
      0.01 * (b.best_bid + b.best_ask) / 2) AS depth_1pct,
    (SELECT COALESCE(SUM(l.size), 0) FROM books l
      WHERE l.token_id = b.token_id AND l.ts = b.ts AND
      ABS(l.price - (b.best_bid + b.best_ask) / 2) <=
      0.05 * (b.best_bid + b.best_ask) / 2) AS depth_5pct
  FROM (SELECT token_id, ts, MAX(market_id) AS market_id,
    MAX(CASE WHEN side = 'bid' AND level = 0 THEN price END) AS best_bid,
    MAX(CASE WHEN side = 'ask' AND level = 0 THEN price END) AS best_ask
    FROM books GROUP BY token_id, ts) b;

-- migration 6: event keys without collisions
CREATE TABLE event_keys_v6 (old TEXT PRIMARY KEY, new TEXT NOT NULL);
INSERT INTO event_keys_v6 SELECT k, 'event:' || k FROM (
  SELECT event_key AS k FROM processed_events
  UNION SELECT event_key FROM processed_markets
  UNION SELECT event_key FROM processed_contracts
  UNION SELECT event_key FROM experiment_results
  UNION SELECT event_key FROM research_artifacts
  UNION SELECT event_key FROM experiment_markets
  UNION SELECT event_key FROM processing_failures) a
  WHERE substr(k, 1, 6) = 'event:' OR (substr(k, 1, 7) = 'market:'
  AND EXISTS (SELECT 1 FROM processed_markets p WHERE p.event_key = k)
  AND (length(k) <> 6 + (SELECT sum(length(p.market_id) + 1)
    FROM processed_markets p WHERE p.event_key = k)
  OR EXISTS (SELECT 1 FROM processed_markets p WHERE p.event_key = k
    AND replace(',' || substr(k, 8) || ',', ',' || p.market_id || ',',
    '') = ',' || substr(k, 8) || ',')));
INSERT INTO event_keys_v6 SELECT DISTINCT p.event_key, '' FROM
  processed_markets p WHERE substr(p.event_key, 1, 7) = 'market:'
  AND replace(replace(p.market_id, ',', ''), '%', '') <> p.market_id
  AND p.event_key NOT IN (SELECT old FROM event_keys_v6);
UPDATE event_keys_v6 SET new = (SELECT 'market:' || group_concat(e, ',') FROM
  (SELECT replace(replace(p.market_id, '%', '%25'), ',', '%2C') AS e
  FROM processed_markets p WHERE p.event_key = old
  ORDER BY p.market_id))
   WHERE new = '';
UPDATE processed_events SET record = (SELECT replace(record,
  '"event_key":"' || old || '"', '"event_key":"' || new || '"')
  FROM event_keys_v6 WHERE old = event_key)
  WHERE event_key IN (SELECT old FROM event_keys_v6);
UPDATE processed_events SET event_key = (SELECT new FROM event_keys_v6
  WHERE old = event_key) WHERE event_key IN (SELECT old FROM event_keys_v6);
UPDATE processed_markets SET event_key = (SELECT new FROM event_keys_v6
  WHERE old = event_key) WHERE event_key IN (SELECT old FROM event_keys_v6);
UPDATE processed_contracts SET event_key = (SELECT new FROM event_keys_v6
  WHERE old = event_key) WHERE event_key IN (SELECT old FROM event_keys_v6);
UPDATE experiment_results SET event_key = (SELECT new FROM event_keys_v6
  WHERE old = event_key) WHERE event_key IN (SELECT old FROM event_keys_v6);
UPDATE research_artifacts SET event_key = (SELECT new FROM event_keys_v6
  WHERE old = event_key) WHERE event_key IN (SELECT old FROM event_keys_v6);
UPDATE experiment_markets SET event_key = (SELECT new FROM event_keys_v6
  WHERE old = event_key) WHERE event_key IN (SELECT old FROM event_keys_v6);
UPDATE processing_failures SET event_key = (SELECT new FROM event_keys_v6
  WHERE old = event_key) WHERE event_key IN (SELECT old FROM event_keys_v6);
DROP TABLE event_keys_v6;

-- migration 7: run leases, status alert state
CREATE TABLE run_locks (
  lock_key TEXT PRIMARY KEY, holder TEXT NOT NULL,
  acquired_at TEXT NOT NULL, expires_at BIGINT NOT NULL);
CREATE TABLE status_alerts (
  alert_key TEXT PRIMARY KEY, level TEXT NOT NULL,
  changed_at TEXT NOT NULL);

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

-- migration 10: key columns in binary order
-- nothing to do: SQLite compares text as bytes

-- migration 11: processed_events.n_markets counts joined markets
UPDATE processed_events SET n_markets = (SELECT count(*)
  FROM processed_markets m WHERE m.event_key = processed_events.event_key)
WHERE n_markets < (SELECT count(*) FROM processed_markets m
  WHERE m.event_key = processed_events.event_key);

-- migration 12: raw observations by endpoint and fetch time
CREATE INDEX raw_observations_fetched ON raw_observations (endpoint,
  COALESCE(fetched_at, stored_at));

-- migration 13: price_history.fetched_at: the latest fetch of a point wins
ALTER TABLE price_history ADD COLUMN fetched_at TEXT;

-- migration 14: contracts.quote_fetched_at: the latest fetch of a quote wins
ALTER TABLE contracts ADD COLUMN quote_fetched_at TEXT;

