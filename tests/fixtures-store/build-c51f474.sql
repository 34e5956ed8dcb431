-- A database written by the pm-* programs built at commit c51f474
-- (2026-12-02, the main line after the 'ch' merge, before those of
-- 4, 5 and 6), schema migrations 1, 2, 3 and 7 applied as that build
-- made them. Input: the raw records of build-c51f474-run{1,2,3}.ndjson
-- (a daily run of one event with experiments, then two static runs),
-- normalized, grouped and experimented on by that build's programs
-- and stored by its pm-store into a new database.  sqlite3 .dump.
-- Read by tests/t0944-store-upgrade-old-builds.sh.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
INSERT INTO schema_migrations VALUES(1,'initial tables','2026-12-04T21:08:10.157Z');
INSERT INTO schema_migrations VALUES(2,'indexes for the prices flow, summaries and failure retries','2026-12-04T21:08:10.158Z');
INSERT INTO schema_migrations VALUES(3,'fingerprints, lead times, results per experiment and market','2026-12-04T21:08:10.161Z');
INSERT INTO schema_migrations VALUES(7,'run leases, status alert state','2026-12-04T21:08:10.161Z');
CREATE TABLE raw_responses (
  id INTEGER PRIMARY KEY,
  sha256 TEXT NOT NULL UNIQUE,
  source TEXT, endpoint TEXT, url TEXT, fetched_at TEXT,
  request TEXT, payload TEXT NOT NULL,
  run_id TEXT,
  stored_at TEXT NOT NULL);
INSERT INTO raw_responses VALUES(1,'f5facd0a0a4cc28d665c381df8b4221a71d23715811778a7d19d3d6567d7c01b','gamma','markets/keyset','http://127.0.0.1:8/markets/keyset','2026-12-01T07:00:01.003Z','{"limit":"100"}','{"id":"30","question":"Will 30 happen?","conditionId":"0xc30","slug":"m-30","outcomes":"[\"Yes\", \"No\"]","outcomePrices":"[\"0.9\", \"0.1\"]","clobTokenIds":"[\"301\", \"302\"]","closed":false,"active":true,"endDate":"2026-12-08T12:00:00Z","volume":"300","events":[{"id":"e3","slug":"ev-e3","title":"Event e3"}]}','20261201T070000Z-daily-0a01','2026-12-04T21:08:10.163Z');
INSERT INTO raw_responses VALUES(2,'954081f0a7f2711b6f5204631804eccd6646792c175c245a608391b4eae4878b','gamma','markets/keyset','http://127.0.0.1:8/markets/keyset','2026-12-02T07:00:01.001Z','{"limit":"100"}','{"id":"30","question":"Will 30 happen?","conditionId":"0xc30","slug":"m-30","outcomes":"[\"Yes\", \"No\"]","outcomePrices":"[\"1\", \"0\"]","clobTokenIds":"[\"301\", \"302\"]","closed":true,"active":true,"endDate":"2026-12-08T12:00:00Z","volume":"350","events":[{"id":"e3","slug":"ev-e3","title":"Event e3"}],"closedTime":"2026-12-01 10:00:00+00","umaResolutionStatus":"resolved"}','20261202T070000Z-static-0b02','2026-12-04T21:08:10.184Z');
INSERT INTO raw_responses VALUES(3,'24df59e94697edb23916da89fafe3034caf7bad240bf4fe36392f63b53f47213','gamma','markets/keyset','http://127.0.0.1:8/markets/keyset','2026-12-02T07:00:01.002Z','{"limit":"100"}','{"id":"40","question":"Will 40 happen?","conditionId":"0xc40","slug":"m-40","outcomes":"[\"Yes\", \"No\"]","outcomePrices":"[\"0.55\", \"0.45\"]","clobTokenIds":"[\"401\", \"402\"]","closed":false,"active":true,"endDate":"2026-12-08T12:00:00Z","volume":"400"}','20261202T070000Z-static-0b02','2026-12-04T21:08:10.184Z');
INSERT INTO raw_responses VALUES(4,'abd00b18791de6cb17de4e72e4d5d4763953a4766cc1bdb8ba963fb8b016f8b9','clob','prices','http://127.0.0.1:8/prices','2026-12-02T07:00:02.000Z','{"tokens":{"301":{"market_id":"30","outcome":"Yes"},"302":{"market_id":"30","outcome":"No"}}}','{"301":{"BUY":"0.91","SELL":"0.93"},"302":{"BUY":"0.07","SELL":"0.09"}}','20261202T070000Z-static-0b02','2026-12-04T21:08:10.184Z');
INSERT INTO raw_responses VALUES(5,'53aba3b6d3421b52311dab25d5df0157a11820d0c76a4db64b2a96587264696e','gamma','markets/keyset','http://127.0.0.1:8/markets/keyset','2026-12-03T07:00:01.000Z','{"limit":"100"}','{"id":"30","question":"Will 30 happen?","conditionId":"0xc30","slug":"m-30","outcomes":"[\"Yes\", \"No\"]","outcomePrices":"[\"1\", \"0\"]","clobTokenIds":"[\"301\", \"302\"]","closed":true,"active":true,"endDate":"2026-12-08T12:00:00Z","volume":"360","events":[{"id":"e3","slug":"ev-e3","title":"Event e3"}],"closedTime":"2026-12-01 10:00:00+00","umaResolutionStatus":"resolved"}','20261203T070000Z-static-0c03','2026-12-04T21:08:10.203Z');
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
INSERT INTO markets VALUES('polymarket','30','0xc30',NULL,'m-30','Will 30 happen?',NULL,'e3','ev-e3','2026-12-08T12:00:00Z',NULL,'2026-12-01T10:00:00Z',NULL,1,1,NULL,NULL,NULL,'resolved',360.0,NULL,NULL,NULL,NULL,'{"event_id":"e3","slug":"ev-e3","title":"Event e3","tags":[]}','[]','53aba3b6d3421b52311dab25d5df0157a11820d0c76a4db64b2a96587264696e','2026-12-03T07:00:01.000Z','{"kind":"market","source":"polymarket","market_id":"30","condition_id":"0xc30","question_id":null,"slug":"m-30","question":"Will 30 happen?","description":null,"event_id":"e3","event_slug":"ev-e3","event":{"event_id":"e3","slug":"ev-e3","title":"Event e3","tags":[]},"close_time":"2026-12-08T12:00:00Z","start_time":null,"closed_time":"2026-12-01T10:00:00Z","updated_at":null,"active":true,"closed":true,"archived":null,"neg_risk":null,"group_item_title":null,"resolution_status":"resolved","volume":360,"liquidity":null,"best_bid":null,"best_ask":null,"last_trade_price":null,"contracts":[{"outcome":"Yes","token_id":"301","price":1},{"outcome":"No","token_id":"302","price":0}],"tags":[],"raw_sha256":"53aba3b6d3421b52311dab25d5df0157a11820d0c76a4db64b2a96587264696e","fetched_at":"2026-12-03T07:00:01.000Z"}','53a82b6d42f91aca8ebb90bd125bfe5af78741b61001f0875f54bed5c487682e','20261203T070000Z-static-0c03','2026-12-04T21:08:10.165Z','2026-12-04T21:08:10.203Z');
INSERT INTO markets VALUES('polymarket','40','0xc40',NULL,'m-40','Will 40 happen?',NULL,NULL,NULL,'2026-12-08T12:00:00Z',NULL,NULL,NULL,1,0,NULL,NULL,NULL,NULL,400.0,NULL,NULL,NULL,NULL,NULL,'[]','24df59e94697edb23916da89fafe3034caf7bad240bf4fe36392f63b53f47213','2026-12-02T07:00:01.002Z','{"kind":"market","source":"polymarket","market_id":"40","condition_id":"0xc40","question_id":null,"slug":"m-40","question":"Will 40 happen?","description":null,"event_id":null,"event_slug":null,"event":null,"close_time":"2026-12-08T12:00:00Z","start_time":null,"closed_time":null,"updated_at":null,"active":true,"closed":false,"archived":null,"neg_risk":null,"group_item_title":null,"resolution_status":null,"volume":400,"liquidity":null,"best_bid":null,"best_ask":null,"last_trade_price":null,"contracts":[{"outcome":"Yes","token_id":"401","price":0.55},{"outcome":"No","token_id":"402","price":0.45}],"tags":[],"raw_sha256":"24df59e94697edb23916da89fafe3034caf7bad240bf4fe36392f63b53f47213","fetched_at":"2026-12-02T07:00:01.002Z"}','ef5423547d8223985f1c76d6b6d851b25850ba95eb0232af65f05f2498d7912e','20261202T070000Z-static-0b02','2026-12-04T21:08:10.184Z','2026-12-04T21:08:10.184Z');
CREATE TABLE contracts (
  source TEXT NOT NULL, market_id TEXT NOT NULL,
  outcome_index BIGINT NOT NULL, outcome TEXT, token_id TEXT,
  price DOUBLE PRECISION,
  PRIMARY KEY (source, market_id, outcome_index));
INSERT INTO contracts VALUES('polymarket','30',0,'Yes','301',1.0);
INSERT INTO contracts VALUES('polymarket','30',1,'No','302',0.0);
INSERT INTO contracts VALUES('polymarket','40',0,'Yes','401',0.5500000000000000444);
INSERT INTO contracts VALUES('polymarket','40',1,'No','402',0.4500000000000000111);
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
INSERT INTO price_history VALUES('301','buy','2026-12-02T07:00:02.000Z',0.91000000000000003108,'30','Yes','abd00b18791de6cb17de4e72e4d5d4763953a4766cc1bdb8ba963fb8b016f8b9','20261202T070000Z-static-0b02');
INSERT INTO price_history VALUES('301','sell','2026-12-02T07:00:02.000Z',0.93000000000000004884,'30','Yes','abd00b18791de6cb17de4e72e4d5d4763953a4766cc1bdb8ba963fb8b016f8b9','20261202T070000Z-static-0b02');
INSERT INTO price_history VALUES('302','buy','2026-12-02T07:00:02.000Z',0.070000000000000006661,'30','No','abd00b18791de6cb17de4e72e4d5d4763953a4766cc1bdb8ba963fb8b016f8b9','20261202T070000Z-static-0b02');
INSERT INTO price_history VALUES('302','sell','2026-12-02T07:00:02.000Z',0.089999999999999996669,'30','No','abd00b18791de6cb17de4e72e4d5d4763953a4766cc1bdb8ba963fb8b016f8b9','20261202T070000Z-static-0b02');
CREATE TABLE processing_runs (
  run_id TEXT PRIMARY KEY, flow TEXT, run_date TEXT, target_date TEXT,
  window_days BIGINT, started_at TEXT, finished_at TEXT, status TEXT,
  counts TEXT, git_sha TEXT, environment TEXT, options TEXT,
  stored_at TEXT NOT NULL);
INSERT INTO processing_runs VALUES('20261201T070000Z-daily-0a01','daily','2026-12-01','2026-12-08',7,'2026-12-01T07:00:00.000Z','2026-12-04T21:08:10.165Z','partial','{"records":3,"inserted":3,"updated":0,"unchanged":0,"duplicates":0,"skipped":0,"failed":0}','c51f4749d5d53724b31a92290fd96ac25c0c338b','development','{}','2026-12-04T21:08:10.163Z');
INSERT INTO processing_runs VALUES('20261202T070000Z-static-0b02','static','2026-12-01',NULL,NULL,'2026-12-02T07:00:00.000Z','2026-12-04T21:08:10.186Z','completed','{"records":9,"inserted":8,"updated":1,"unchanged":0,"duplicates":0,"skipped":0,"failed":0}','c51f4749d5d53724b31a92290fd96ac25c0c338b','development','{}','2026-12-04T21:08:10.183Z');
INSERT INTO processing_runs VALUES('20261203T070000Z-static-0c03','static','2026-12-01',NULL,NULL,'2026-12-03T07:00:00.000Z','2026-12-04T21:08:10.205Z','completed','{"records":2,"inserted":1,"updated":1,"unchanged":0,"duplicates":0,"skipped":0,"failed":0}','c51f4749d5d53724b31a92290fd96ac25c0c338b','development','{}','2026-12-04T21:08:10.203Z');
CREATE TABLE processed_events (
  event_key TEXT PRIMARY KEY, run_id TEXT, event_id TEXT,
  n_markets BIGINT, n_results BIGINT, record TEXT NOT NULL,
  processed_at TEXT NOT NULL);
INSERT INTO processed_events VALUES('e3','20261201T070000Z-daily-0a01','e3',1,3,'{"kind":"group","event_key":"e3","event":{"event_id":"e3","slug":"ev-e3","title":"Event e3","tags":[]},"markets":[{"kind":"market","source":"polymarket","market_id":"30","condition_id":"0xc30","question_id":null,"slug":"m-30","question":"Will 30 happen?","description":null,"event_id":"e3","event_slug":"ev-e3","event":{"event_id":"e3","slug":"ev-e3","title":"Event e3","tags":[]},"close_time":"2026-12-08T12:00:00Z","start_time":null,"closed_time":null,"updated_at":null,"active":true,"closed":false,"archived":null,"neg_risk":null,"group_item_title":null,"resolution_status":null,"volume":300,"liquidity":null,"best_bid":null,"best_ask":null,"last_trade_price":null,"contracts":[{"outcome":"Yes","token_id":"301","price":0.9},{"outcome":"No","token_id":"302","price":0.1}],"tags":[],"raw_sha256":"f5facd0a0a4cc28d665c381df8b4221a71d23715811778a7d19d3d6567d7c01b","fetched_at":"2026-12-01T07:00:01.003Z"}],"results":[{"experiment_id":"s:research:r","suite":"s","stage":"research","variant":"r","type":"jq","status":"ok","output":{"n":1},"probabilities":null,"started_at":"2026-12-04T21:08:09.826Z","finished_at":"2026-12-04T21:08:09.860Z","latency_ms":33,"error":null,"fingerprint":"7e81354a6a503ff9","market_ids":["30"],"provenance":{"type":"jq","model":null,"host":null,"prompt_fingerprint":"2a54e15f885a4374","parameters":{"max_tokens":0,"search":false,"temperature":0.0}}},{"experiment_id":"s:forecast:market","suite":"s","stage":"forecast","variant":"market","type":"builtin","status":"ok","output":{"markets":1,"priced":1},"probabilities":{"30":{"Yes":0.9,"No":0.1}},"started_at":"2026-12-04T21:08:09.860Z","finished_at":"2026-12-04T21:08:09.860Z","latency_ms":0,"error":null,"fingerprint":"677910cdcaade691","market_ids":["30"],"lead":{"30":{"close_time":"2026-12-08T12:00:00Z","lead_h":86.86392777777777}}},{"experiment_id":"s:forecast:odd","suite":"s","stage":"forecast","variant":"odd","type":"command","status":"failed","output":null,"probabilities":null,"started_at":"2026-12-04T21:08:09.860Z","finished_at":"2026-12-04T21:08:09.923Z","latency_ms":63,"error":"exit status 3","stderr":null,"fingerprint":"8e1b33e225e8a409","market_ids":["30"],"lead":{"30":{"close_time":"2026-12-08T12:00:00Z","lead_h":86.86392777777777}}}]}','2026-12-04T21:08:10.165Z');
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
INSERT INTO experiment_runs VALUES('20261201T070000Z-daily-0a01','s:research:r','completed',1,0,0,'2026-12-04T21:08:10.165Z','2026-12-04T21:08:10.165Z','7e81354a6a503ff9',NULL,NULL);
INSERT INTO experiment_runs VALUES('20261201T070000Z-daily-0a01','s:forecast:market','completed',1,0,0,'2026-12-04T21:08:10.165Z','2026-12-04T21:08:10.165Z','677910cdcaade691',NULL,NULL);
INSERT INTO experiment_runs VALUES('20261201T070000Z-daily-0a01','s:forecast:odd','failed',0,1,0,'2026-12-04T21:08:10.165Z','2026-12-04T21:08:10.165Z','8e1b33e225e8a409',NULL,NULL);
CREATE TABLE processing_failures (
  id INTEGER PRIMARY KEY,
  failure_sha256 TEXT NOT NULL UNIQUE, run_id TEXT, stage TEXT,
  reason TEXT NOT NULL, retriable BIGINT, market_id TEXT,
  event_key TEXT, input TEXT, url TEXT, detail TEXT,
  recorded_at TEXT NOT NULL);
INSERT INTO processing_failures VALUES(1,'a13166273ccc9de9484a236dae0f1b18687c4decd8d3fcd2697ee49c480af5ec','20261201T070000Z-daily-0a01','experiment','experiment_failed',1,NULL,'e3','stdin:3',NULL,'s:forecast:odd: exit status 3','2026-12-04T21:08:10.165Z');
CREATE TABLE IF NOT EXISTS "experiment_results" (
  event_key TEXT NOT NULL, experiment_id TEXT NOT NULL, run_id TEXT,
  suite TEXT, stage TEXT, variant TEXT, type TEXT, status TEXT,
  output TEXT, probabilities TEXT, started_at TEXT, finished_at TEXT,
  latency_ms DOUBLE PRECISION, error TEXT,
  fingerprint TEXT NOT NULL, version TEXT, markets TEXT NOT NULL,
  lead TEXT,
  PRIMARY KEY (event_key, experiment_id, fingerprint, markets));
INSERT INTO experiment_results VALUES('e3','s:research:r','20261201T070000Z-daily-0a01','s','research','r','jq','ok','{"n":1}',NULL,'2026-12-04T21:08:09.826Z','2026-12-04T21:08:09.860Z',33.0,NULL,'7e81354a6a503ff9',NULL,'30',NULL);
INSERT INTO experiment_results VALUES('e3','s:forecast:market','20261201T070000Z-daily-0a01','s','forecast','market','builtin','ok','{"markets":1,"priced":1}','{"30":{"Yes":0.9,"No":0.1}}','2026-12-04T21:08:09.860Z','2026-12-04T21:08:09.860Z',0.0,NULL,'677910cdcaade691',NULL,'30','{"30":{"close_time":"2026-12-08T12:00:00Z","lead_h":86.86392777777777}}');
INSERT INTO experiment_results VALUES('e3','s:forecast:odd','20261201T070000Z-daily-0a01','s','forecast','odd','command','failed',NULL,NULL,'2026-12-04T21:08:09.860Z','2026-12-04T21:08:09.923Z',63.0,'exit status 3','8e1b33e225e8a409',NULL,'30','{"30":{"close_time":"2026-12-08T12:00:00Z","lead_h":86.86392777777777}}');
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
INSERT INTO experiment_markets VALUES('e3','s:forecast:market','677910cdcaade691','30','30','20261201T070000Z-daily-0a01','2026-12-08T12:00:00Z',86.863927777777774959);
INSERT INTO experiment_markets VALUES('e3','s:forecast:odd','8e1b33e225e8a409','30','30','20261201T070000Z-daily-0a01','2026-12-08T12:00:00Z',86.863927777777774959);
CREATE TABLE run_locks (
  lock_key TEXT PRIMARY KEY, holder TEXT NOT NULL,
  acquired_at TEXT NOT NULL, expires_at BIGINT NOT NULL);
CREATE TABLE status_alerts (
  alert_key TEXT PRIMARY KEY, level TEXT NOT NULL,
  changed_at TEXT NOT NULL);
CREATE INDEX contracts_token ON contracts (token_id);
CREATE INDEX markets_active ON markets (active, closed);
CREATE INDEX price_history_market ON price_history (market_id, ts);
CREATE INDEX processed_events_run ON processed_events (run_id);
CREATE INDEX processing_failures_run ON processing_failures (run_id);
CREATE INDEX raw_responses_run ON raw_responses (run_id);
COMMIT;
