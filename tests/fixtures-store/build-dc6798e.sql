-- A database written by the pm-* programs built at commit dc6798e
-- (2026-12-02, the main line after the merges of 4 and 6, before that
-- of 5), schema migrations 1, 2, 3, 4, 6 and 7 applied as that build
-- made them. Input: the raw records of build-c51f474-run{1,2,3}.ndjson
-- (a daily run of one event with experiments, then two static runs),
-- normalized, grouped and experimented on by that build's programs
-- and stored by its pm-store into a new database.  sqlite3 .dump.
-- Read by tests/t0944-store-upgrade-old-builds.sh.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
INSERT INTO schema_migrations VALUES(1,'initial tables','2026-12-04T21:08:09.452Z');
INSERT INTO schema_migrations VALUES(2,'indexes for the prices flow, summaries and failure retries','2026-12-04T21:08:09.452Z');
INSERT INTO schema_migrations VALUES(3,'fingerprints, lead times, results per experiment and market','2026-12-04T21:08:09.460Z');
INSERT INTO schema_migrations VALUES(4,'raw payloads once, observations apart, records only when needed','2026-12-04T21:08:09.470Z');
INSERT INTO schema_migrations VALUES(6,'event keys without collisions','2026-12-04T21:08:09.471Z');
INSERT INTO schema_migrations VALUES(7,'run leases, status alert state','2026-12-04T21:08:09.471Z');
CREATE TABLE contracts (
  source TEXT NOT NULL, market_id TEXT NOT NULL,
  outcome_index BIGINT NOT NULL, outcome TEXT, token_id TEXT,
  price DOUBLE PRECISION,
  PRIMARY KEY (source, market_id, outcome_index));
INSERT INTO contracts VALUES('polymarket','30',0,'Yes','301',1.0);
INSERT INTO contracts VALUES('polymarket','30',1,'No','302',0.0);
INSERT INTO contracts VALUES('polymarket','40',0,'Yes','401',0.5500000000000000444);
INSERT INTO contracts VALUES('polymarket','40',1,'No','402',0.4500000000000000111);
CREATE TABLE tags (
  source TEXT NOT NULL, tag_id TEXT NOT NULL, slug TEXT, label TEXT,
  PRIMARY KEY (source, tag_id));
CREATE TABLE price_history (
  token_id TEXT NOT NULL, side TEXT NOT NULL, ts TEXT NOT NULL,
  price DOUBLE PRECISION NOT NULL, market_id TEXT, outcome TEXT,
  raw_sha256 TEXT, run_id TEXT,
  PRIMARY KEY (token_id, side, ts));
INSERT INTO price_history VALUES('301','buy','2026-12-02T07:00:02.000Z',0.91000000000000003108,'30','Yes','abd00b18791de6cb17de4e72e4d5d4763953a4766cc1bdb8ba963fb8b016f8b9','20261202T070000Z-static-0b02');
INSERT INTO price_history VALUES('301','sell','2026-12-02T07:00:02.000Z',0.93000000000000004884,'30','Yes','abd00b18791de6cb17de4e72e4d5d4763953a4766cc1bdb8ba963fb8b016f8b9','20261202T070000Z-static-0b02');
INSERT INTO price_history VALUES('302','buy','2026-12-02T07:00:02.000Z',0.070000000000000006661,'30','No','abd00b18791de6cb17de4e72e4d5d4763953a4766cc1bdb8ba963fb8b016f8b9','20261202T070000Z-static-0b02');
INSERT INTO price_history VALUES('302','sell','2026-12-02T07:00:02.000Z',0.089999999999999996669,'30','No','abd00b18791de6cb17de4e72e4d5d4763953a4766cc1bdb8ba963fb8b016f8b9','20261202T070000Z-static-0b02');
CREATE TABLE processing_runs (
  run_id TEXT PRIMARY KEY, flow TEXT, run_date TEXT, target_date TEXT,
  window_days BIGINT, started_at TEXT, finished_at TEXT, status TEXT,
  counts TEXT, git_sha TEXT, environment TEXT, options TEXT,
  stored_at TEXT NOT NULL);
INSERT INTO processing_runs VALUES('20261201T070000Z-daily-0a01','daily','2026-12-01','2026-12-08',7,'2026-12-01T07:00:00.000Z','2026-12-04T21:08:09.480Z','partial','{"records":3,"inserted":3,"updated":0,"unchanged":0,"duplicates":0,"skipped":0,"failed":0}','dc6798e8e258da66ffa4ed4c3ca6dccfc92d8523','development','{}','2026-12-04T21:08:09.475Z');
INSERT INTO processing_runs VALUES('20261202T070000Z-static-0b02','static','2026-12-01',NULL,NULL,'2026-12-02T07:00:00.000Z','2026-12-04T21:08:09.516Z','completed','{"records":9,"inserted":8,"updated":1,"unchanged":0,"duplicates":0,"skipped":0,"failed":0}','dc6798e8e258da66ffa4ed4c3ca6dccfc92d8523','development','{}','2026-12-04T21:08:09.508Z');
INSERT INTO processing_runs VALUES('20261203T070000Z-static-0c03','static','2026-12-01',NULL,NULL,'2026-12-03T07:00:00.000Z','2026-12-04T21:08:09.551Z','completed','{"records":2,"inserted":1,"updated":1,"unchanged":0,"duplicates":0,"skipped":0,"failed":0}','dc6798e8e258da66ffa4ed4c3ca6dccfc92d8523','development','{}','2026-12-04T21:08:09.543Z');
CREATE TABLE processed_events (
  event_key TEXT PRIMARY KEY, run_id TEXT, event_id TEXT,
  n_markets BIGINT, n_results BIGINT, record TEXT NOT NULL,
  processed_at TEXT NOT NULL);
INSERT INTO processed_events VALUES('e3','20261201T070000Z-daily-0a01','e3',1,3,'{"kind":"group","event_key":"e3","event":{"event_id":"e3","slug":"ev-e3","title":"Event e3","tags":[]},"markets":[{"kind":"market","source":"polymarket","market_id":"30","condition_id":"0xc30","question_id":null,"slug":"m-30","question":"Will 30 happen?","description":null,"event_id":"e3","event_slug":"ev-e3","event":{"event_id":"e3","slug":"ev-e3","title":"Event e3","tags":[]},"close_time":"2026-12-08T12:00:00Z","start_time":null,"closed_time":null,"updated_at":null,"active":true,"closed":false,"archived":null,"neg_risk":null,"group_item_title":null,"resolution_status":null,"volume":300,"liquidity":null,"best_bid":null,"best_ask":null,"last_trade_price":null,"contracts":[{"outcome":"Yes","token_id":"301","price":0.9},{"outcome":"No","token_id":"302","price":0.1}],"tags":[],"raw_sha256":"f5facd0a0a4cc28d665c381df8b4221a71d23715811778a7d19d3d6567d7c01b","fetched_at":"2026-12-01T07:00:01.003Z"}],"results":[{"experiment_id":"s:research:r","suite":"s","stage":"research","variant":"r","type":"jq","status":"ok","output":{"n":1},"probabilities":null,"started_at":"2026-12-04T21:08:09.033Z","finished_at":"2026-12-04T21:08:09.092Z","latency_ms":59,"error":null,"fingerprint":"7e81354a6a503ff9","market_ids":["30"],"provenance":{"type":"jq","model":null,"host":null,"prompt_fingerprint":"2a54e15f885a4374","parameters":{"max_tokens":0,"search":false,"temperature":0.0}}},{"experiment_id":"s:forecast:market","suite":"s","stage":"forecast","variant":"market","type":"builtin","status":"ok","output":{"markets":1,"priced":1},"probabilities":{"30":{"Yes":0.9,"No":0.1}},"started_at":"2026-12-04T21:08:09.092Z","finished_at":"2026-12-04T21:08:09.092Z","latency_ms":0,"error":null,"fingerprint":"677910cdcaade691","market_ids":["30"],"lead":{"30":{"close_time":"2026-12-08T12:00:00Z","lead_h":86.86414111111111}}},{"experiment_id":"s:forecast:odd","suite":"s","stage":"forecast","variant":"odd","type":"command","status":"failed","output":null,"probabilities":null,"started_at":"2026-12-04T21:08:09.092Z","finished_at":"2026-12-04T21:08:09.140Z","latency_ms":48,"error":"exit status 3","stderr":null,"fingerprint":"8e1b33e225e8a409","market_ids":["30"],"lead":{"30":{"close_time":"2026-12-08T12:00:00Z","lead_h":86.86414111111111}}}]}','2026-12-04T21:08:09.476Z');
CREATE TABLE processed_markets (
  event_key TEXT NOT NULL, market_id TEXT NOT NULL, run_id TEXT,
  question TEXT, close_time TEXT, volume DOUBLE PRECISION,
  liquidity DOUBLE PRECISION, active BIGINT, closed BIGINT,
  record TEXT NOT NULL,
  PRIMARY KEY (event_key, market_id));
INSERT INTO processed_markets VALUES('e3','30','20261201T070000Z-daily-0a01','Will 30 happen?','2026-12-08T12:00:00Z',300.0,NULL,1,0,'{"kind":"market","source":"polymarket","market_id":"30","condition_id":"0xc30","question_id":null,"slug":"m-30","question":"Will 30 happen?","description":null,"event_id":"e3","event_slug":"ev-e3","event":{"event_id":"e3","slug":"ev-e3","title":"Event e3","tags":[]},"close_time":"2026-12-08T12:00:00Z","start_time":null,"closed_time":null,"updated_at":null,"active":true,"closed":false,"archived":null,"neg_risk":null,"group_item_title":null,"resolution_status":null,"volume":300,"liquidity":null,"best_bid":null,"best_ask":null,"last_trade_price":null,"contracts":[{"outcome":"Yes","token_id":"301","price":0.9},{"outcome":"No","token_id":"302","price":0.1}],"tags":[],"raw_sha256":"f5facd0a0a4cc28d665c381df8b4221a71d23715811778a7d19d3d6567d7c01b","fetched_at":"2026-12-01T07:00:01.003Z"}');
CREATE TABLE processed_contracts (
  event_key TEXT NOT NULL, market_id TEXT NOT NULL,
  outcome_index BIGINT NOT NULL, run_id TEXT, outcome TEXT,
  token_id TEXT, price DOUBLE PRECISION,
  PRIMARY KEY (event_key, market_id, outcome_index));
INSERT INTO processed_contracts VALUES('e3','30',0,'20261201T070000Z-daily-0a01','Yes','301',0.9000000000000000222);
INSERT INTO processed_contracts VALUES('e3','30',1,'20261201T070000Z-daily-0a01','No','302',0.10000000000000000555);
CREATE TABLE experiments (
  experiment_id TEXT PRIMARY KEY, suite TEXT, stage TEXT, variant TEXT,
  type TEXT, fingerprint TEXT, version TEXT, description TEXT);
INSERT INTO experiments VALUES('s:research:r','s','research','r','jq','7e81354a6a503ff9',NULL,NULL);
INSERT INTO experiments VALUES('s:forecast:market','s','forecast','market','builtin','677910cdcaade691',NULL,NULL);
INSERT INTO experiments VALUES('s:forecast:odd','s','forecast','odd','command','8e1b33e225e8a409',NULL,NULL);
CREATE TABLE experiment_runs (
  run_id TEXT NOT NULL, experiment_id TEXT NOT NULL, status TEXT NOT NULL,
  n_ok BIGINT NOT NULL, n_failed BIGINT NOT NULL,
  n_skipped BIGINT NOT NULL, started_at TEXT, finished_at TEXT, fingerprint TEXT, version TEXT, description TEXT,
  PRIMARY KEY (run_id, experiment_id));
INSERT INTO experiment_runs VALUES('20261201T070000Z-daily-0a01','s:research:r','completed',1,0,0,'2026-12-04T21:08:09.476Z','2026-12-04T21:08:09.480Z','7e81354a6a503ff9',NULL,NULL);
INSERT INTO experiment_runs VALUES('20261201T070000Z-daily-0a01','s:forecast:market','completed',1,0,0,'2026-12-04T21:08:09.476Z','2026-12-04T21:08:09.480Z','677910cdcaade691',NULL,NULL);
INSERT INTO experiment_runs VALUES('20261201T070000Z-daily-0a01','s:forecast:odd','failed',0,1,0,'2026-12-04T21:08:09.476Z','2026-12-04T21:08:09.480Z','8e1b33e225e8a409',NULL,NULL);
CREATE TABLE processing_failures (
  id INTEGER PRIMARY KEY,
  failure_sha256 TEXT NOT NULL UNIQUE, run_id TEXT, stage TEXT,
  reason TEXT NOT NULL, retriable BIGINT, market_id TEXT,
  event_key TEXT, input TEXT, url TEXT, detail TEXT,
  recorded_at TEXT NOT NULL);
INSERT INTO processing_failures VALUES(1,'a13166273ccc9de9484a236dae0f1b18687c4decd8d3fcd2697ee49c480af5ec','20261201T070000Z-daily-0a01','experiment','experiment_failed',1,NULL,'e3','stdin:3',NULL,'s:forecast:odd: exit status 3','2026-12-04T21:08:09.480Z');
CREATE TABLE IF NOT EXISTS "experiment_results" (
  event_key TEXT NOT NULL, experiment_id TEXT NOT NULL, run_id TEXT,
  suite TEXT, stage TEXT, variant TEXT, type TEXT, status TEXT,
  output TEXT, probabilities TEXT, started_at TEXT, finished_at TEXT,
  latency_ms DOUBLE PRECISION, error TEXT,
  fingerprint TEXT NOT NULL, version TEXT, markets TEXT NOT NULL,
  lead TEXT,
  PRIMARY KEY (event_key, experiment_id, fingerprint, markets));
INSERT INTO experiment_results VALUES('e3','s:research:r','20261201T070000Z-daily-0a01','s','research','r','jq','ok','{"n":1}',NULL,'2026-12-04T21:08:09.033Z','2026-12-04T21:08:09.092Z',59.0,NULL,'7e81354a6a503ff9',NULL,'30',NULL);
INSERT INTO experiment_results VALUES('e3','s:forecast:market','20261201T070000Z-daily-0a01','s','forecast','market','builtin','ok','{"markets":1,"priced":1}','{"30":{"Yes":0.9,"No":0.1}}','2026-12-04T21:08:09.092Z','2026-12-04T21:08:09.092Z',0.0,NULL,'677910cdcaade691',NULL,'30','{"30":{"close_time":"2026-12-08T12:00:00Z","lead_h":86.86414111111111}}');
INSERT INTO experiment_results VALUES('e3','s:forecast:odd','20261201T070000Z-daily-0a01','s','forecast','odd','command','failed',NULL,NULL,'2026-12-04T21:08:09.092Z','2026-12-04T21:08:09.140Z',48.0,'exit status 3','8e1b33e225e8a409',NULL,'30','{"30":{"close_time":"2026-12-08T12:00:00Z","lead_h":86.86414111111111}}');
CREATE TABLE IF NOT EXISTS "research_artifacts" (
  event_key TEXT NOT NULL, experiment_id TEXT NOT NULL, run_id TEXT,
  content TEXT, fingerprint TEXT NOT NULL, markets TEXT NOT NULL,
  provenance TEXT,
  PRIMARY KEY (event_key, experiment_id, fingerprint, markets));
INSERT INTO research_artifacts VALUES('e3','s:research:r','20261201T070000Z-daily-0a01','{"n":1}','7e81354a6a503ff9','30','{"type":"jq","model":null,"host":null,"prompt_fingerprint":"2a54e15f885a4374","parameters":{"max_tokens":0,"search":false,"temperature":0.0}}');
CREATE TABLE experiment_markets (
  event_key TEXT NOT NULL, experiment_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL, markets TEXT NOT NULL,
  market_id TEXT NOT NULL, run_id TEXT, close_time TEXT,
  lead_h DOUBLE PRECISION,
  PRIMARY KEY (event_key, experiment_id, fingerprint, markets,
    market_id));
INSERT INTO experiment_markets VALUES('e3','s:research:r','7e81354a6a503ff9','30','30','20261201T070000Z-daily-0a01','2026-12-08T12:00:00Z',NULL);
INSERT INTO experiment_markets VALUES('e3','s:forecast:market','677910cdcaade691','30','30','20261201T070000Z-daily-0a01','2026-12-08T12:00:00Z',86.864141111111109697);
INSERT INTO experiment_markets VALUES('e3','s:forecast:odd','8e1b33e225e8a409','30','30','20261201T070000Z-daily-0a01','2026-12-08T12:00:00Z',86.864141111111109697);
CREATE TABLE raw_payloads (
  sha256 TEXT PRIMARY KEY, encoding TEXT, payload BLOB NOT NULL);
INSERT INTO raw_payloads VALUES('f5facd0a0a4cc28d665c381df8b4221a71d23715811778a7d19d3d6567d7c01b','zstd',X'28b52ffd603a00ad060012ce2b23406d9b03c7d34cf6f1bbce807a12521d163b3303c9f74fe524a895fae9cd638ea26b021147c4eac9be470456df6d5b25ba7a431df73dba93f30fe460e4e4844ccd54666100a4c22c8a8249c6eaaf33c0de9d0e4156fda8ed729c1e9db3a0668f4caa25155bbc3b408602746b4964402257831838dcc002374972138fe0a66175fc03d7425079ac66805c5c1069355b3cd8b6b107979305de1f0fa721499538d70eac7eb06d3cf4e0e45456b3e6880d0032626c7f630e9b1fe04d3b403b30dc517922351c18ee2892116a5dcc76d40a0a0a');
INSERT INTO raw_payloads VALUES('954081f0a7f2711b6f5204631804eccd6646792c175c245a608391b4eae4878b','zstd',X'28b52ffd607c00f5070066503323404dab03c7d9944503b28f525f4ab841c787995e619f2b941ff7c7e5e44e651806700329002a002800cff50fb03d3591d7af8563d66c3956472770eb7038104826a435b670bd63d66fa1c4d1335dbfd82902ac9573b4f0d1fab56fc994692ddc4630e3c04da5a2d803a1f1860fde20e8cd5b86378cebdf3eac1a7212ac93b86919fad76ee31e3d03d2f5fbc0c6f1e80d999aa98bc20c64b22889c092cbf5db4ec172bb31155f1b1bbf7d5cff603bade098356cfc36c179e0d13301524114c6ac7d8d8aa745da6d34b87e5b07110030e88d024f9cce322dc80867fddd3261e53d2601471557546e43e549d490a2c63d8a10845a17b31db5828202');
INSERT INTO raw_payloads VALUES('24df59e94697edb23916da89fafe3034caf7bad240bf4fe36392f63b53f47213','zstd',X'28b52ffd600300d50500a20c2822404dab03c706dc4503b28f124d191fd4d064eac37804e14e7d137faa9088a228e60613574ddf73335f377e8ea0baaa8b1445802248410090a2ef59ae8106f9872743eeb9e1245b3f1cdf62d8378e4893a2a931901f5ab1d08f2d29d1654994394681c255135c1de72af2c155c2f7919b667236d27cdf305ffcb92616a1df3706b693aec1663f1780bc582c8743d3f19e33f81eb6939127c4cf357ddfdc25020800479581d4184965afd420480d72142108b58e443bcd');
INSERT INTO raw_payloads VALUES('abd00b18791de6cb17de4e72e4d5d4763953a4766cc1bdb8ba963fb8b016f8b9','zstd',X'28b52ffd2047ad010094027b22333031223a7b22425559223a22302e3931222c2253454c4c33227d2c2233303230373039227d7d030080c346716e0c730c');
INSERT INTO raw_payloads VALUES('53aba3b6d3421b52311dab25d5df0157a11820d0c76a4db64b2a96587264696e','zstd',X'28b52ffd607c00f5070066503323306dab035844288d11c22fe14f20fea36162461b2ecc02ca48d676fb1d4c5c1818940a29002a002800cff50db03d1591d7af8563d66c3956471770eb70380e4826a4359670bd63d66f21c4d1335dbfd82502ac9573b4f0d1fab56fc994692ddc3e30c3c04da5a2d8c3a0f1860bde20e8cd5b85378cebdf3eac1a7212ac93b86919fad76ee31e3d15e9fa7d60e378f4854ccdd445610232599444b1e472fdb633b0dc6e0c135f1b1bbf7d5cff603b8de098356cfcf6c079e0d13301524114c6ac7d8d89a745da6d24b87e5b07110030e88d024f9cce322dc80867fddd3261e53d2601471557546e43e549d490a2c63d8a10845a17b31db5828202');
CREATE TABLE raw_dicts (
  dict_id TEXT PRIMARY KEY, endpoint TEXT, dict BLOB NOT NULL,
  stored_at TEXT NOT NULL);
CREATE TABLE raw_observations (
  id INTEGER PRIMARY KEY,
  sha256 TEXT NOT NULL, source TEXT, endpoint TEXT, url TEXT,
  fetched_at TEXT, request TEXT, run_id TEXT, stored_at TEXT NOT NULL);
INSERT INTO raw_observations VALUES(1,'f5facd0a0a4cc28d665c381df8b4221a71d23715811778a7d19d3d6567d7c01b','gamma','markets/keyset','http://127.0.0.1:8/markets/keyset','2026-12-01T07:00:01.003Z','{"limit":"100"}','20261201T070000Z-daily-0a01','2026-12-04T21:08:09.475Z');
INSERT INTO raw_observations VALUES(2,'954081f0a7f2711b6f5204631804eccd6646792c175c245a608391b4eae4878b','gamma','markets/keyset','http://127.0.0.1:8/markets/keyset','2026-12-02T07:00:01.001Z','{"limit":"100"}','20261202T070000Z-static-0b02','2026-12-04T21:08:09.514Z');
INSERT INTO raw_observations VALUES(3,'24df59e94697edb23916da89fafe3034caf7bad240bf4fe36392f63b53f47213','gamma','markets/keyset','http://127.0.0.1:8/markets/keyset','2026-12-02T07:00:01.002Z','{"limit":"100"}','20261202T070000Z-static-0b02','2026-12-04T21:08:09.514Z');
INSERT INTO raw_observations VALUES(4,'abd00b18791de6cb17de4e72e4d5d4763953a4766cc1bdb8ba963fb8b016f8b9','clob','prices','http://127.0.0.1:8/prices','2026-12-02T07:00:02.000Z','{"tokens":{"301":{"market_id":"30","outcome":"Yes"},"302":{"market_id":"30","outcome":"No"}}}','20261202T070000Z-static-0b02','2026-12-04T21:08:09.514Z');
INSERT INTO raw_observations VALUES(5,'53aba3b6d3421b52311dab25d5df0157a11820d0c76a4db64b2a96587264696e','gamma','markets/keyset','http://127.0.0.1:8/markets/keyset','2026-12-03T07:00:01.000Z','{"limit":"100"}','20261203T070000Z-static-0c03','2026-12-04T21:08:09.549Z');
CREATE TABLE IF NOT EXISTS "markets" (
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
INSERT INTO markets VALUES('polymarket','30','0xc30',NULL,'m-30','Will 30 happen?',NULL,'e3','ev-e3','2026-12-08T12:00:00Z',NULL,'2026-12-01T10:00:00Z',NULL,1,1,NULL,NULL,NULL,'resolved',360.0,NULL,NULL,NULL,NULL,'{"event_id":"e3","slug":"ev-e3","title":"Event e3","tags":[]}','[]','53aba3b6d3421b52311dab25d5df0157a11820d0c76a4db64b2a96587264696e','2026-12-03T07:00:01.000Z',NULL,'53a82b6d42f91aca8ebb90bd125bfe5af78741b61001f0875f54bed5c487682e','20261203T070000Z-static-0c03','2026-12-04T21:08:09.476Z','2026-12-04T21:08:09.549Z');
INSERT INTO markets VALUES('polymarket','40','0xc40',NULL,'m-40','Will 40 happen?',NULL,NULL,NULL,'2026-12-08T12:00:00Z',NULL,NULL,NULL,1,0,NULL,NULL,NULL,NULL,400.0,NULL,NULL,NULL,NULL,NULL,'[]','24df59e94697edb23916da89fafe3034caf7bad240bf4fe36392f63b53f47213','2026-12-02T07:00:01.002Z',NULL,'ef5423547d8223985f1c76d6b6d851b25850ba95eb0232af65f05f2498d7912e','20261202T070000Z-static-0b02','2026-12-04T21:08:09.514Z','2026-12-04T21:08:09.514Z');
CREATE TABLE IF NOT EXISTS "events" (
  source TEXT NOT NULL, event_id TEXT NOT NULL,
  slug TEXT, title TEXT, description TEXT, start_time TEXT,
  end_time TEXT, updated_at TEXT,
  active BIGINT, closed BIGINT, archived BIGINT, neg_risk BIGINT,
  volume DOUBLE PRECISION, liquidity DOUBLE PRECISION,
  tags TEXT, market_ids TEXT, raw_sha256 TEXT, fetched_at TEXT,
  record TEXT, record_sha256 TEXT NOT NULL, run_id TEXT,
  first_seen_at TEXT NOT NULL, stored_at TEXT NOT NULL,
  PRIMARY KEY (source, event_id));
CREATE TABLE run_locks (
  lock_key TEXT PRIMARY KEY, holder TEXT NOT NULL,
  acquired_at TEXT NOT NULL, expires_at BIGINT NOT NULL);
CREATE TABLE status_alerts (
  alert_key TEXT PRIMARY KEY, level TEXT NOT NULL,
  changed_at TEXT NOT NULL);
CREATE INDEX contracts_token ON contracts (token_id);
CREATE INDEX price_history_market ON price_history (market_id, ts);
CREATE INDEX processed_events_run ON processed_events (run_id);
CREATE INDEX processing_failures_run ON processing_failures (run_id);
CREATE UNIQUE INDEX raw_observations_key ON raw_observations (sha256,
  COALESCE(fetched_at, ''), COALESCE(endpoint, ''), COALESCE(url, ''));
CREATE INDEX raw_observations_run ON raw_observations (run_id);
CREATE VIEW raw_responses AS SELECT o.id, o.sha256, o.source,
  o.endpoint, o.url, o.fetched_at, o.request,
  CASE WHEN p.encoding IS NULL THEN CAST(p.payload AS TEXT) END AS payload,
  o.run_id, o.stored_at, p.encoding
  FROM raw_observations o JOIN raw_payloads p ON p.sha256 = o.sha256;
CREATE INDEX markets_active ON markets (active, closed);
COMMIT;
