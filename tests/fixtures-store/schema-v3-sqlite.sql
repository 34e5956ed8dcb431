-- a database made by pm-store of schema 3 (before migration 4): the raw
-- golden inputs (tests/golden/raw-*.in) and what pm-normalize makes of them
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
INSERT INTO schema_migrations VALUES(1,'initial tables','2026-12-02T10:12:45.667Z');
INSERT INTO schema_migrations VALUES(2,'indexes for the prices flow, summaries and failure retries','2026-12-02T10:12:45.667Z');
INSERT INTO schema_migrations VALUES(3,'fingerprints, lead times, results per experiment and market','2026-12-02T10:12:45.678Z');
CREATE TABLE raw_responses (
  id INTEGER PRIMARY KEY,
  sha256 TEXT NOT NULL UNIQUE,
  source TEXT, endpoint TEXT, url TEXT, fetched_at TEXT,
  request TEXT, payload TEXT NOT NULL,
  run_id TEXT,
  stored_at TEXT NOT NULL);
INSERT INTO raw_responses VALUES(1,'6fbd3bde6e84363c4f0eb30a66b3758b3b3f4288366809e28a78b2f2fd5c0c6b','gamma','markets/keyset','http://127.0.0.1:8080/markets/keyset?limit=1&closed=false','2026-03-22T07:55:20.512Z','{"limit":"1","closed":"false"}','{"id":"1669969","question":"Bitcoin Up or Down - March 22, 3:50AM-3:55AM ET","conditionId":"0xba3509c3c29a52bb2f8cf8204755314a38461825e61e77e6350f5abd4b848e05","slug":"btc-updown-5m-1774165800","endDate":"2026-03-22T07:55:00Z","liquidity":"19748.9135","startDate":"2026-03-21T07:58:17.582157Z","description":"This market will resolve to \"Up\" if the Bitcoin price at the end of the time range specified in the title is greater than or equal to the price at the beginning of that range.","outcomes":"[\"Up\", \"Down\"]","outcomePrices":"[\"0.005\", \"0.995\"]","volume":"61531.93476599994","active":true,"closed":false,"updatedAt":"2026-03-22T07:55:14.901374Z","archived":false,"questionID":"0x261553ac1c50df33b3cde1f92b876f1642ef613d60c28d69bb01cddecb81afb7","clobTokenIds":"[\"94242206871221370391055736153305071391564432448684801902267396130896523340261\", \"22943400237250229318795315882775337816951160275867284205243766113690886285726\"]","negRisk":false,"events":[{"id":"292275","ticker":"btc-updown-5m-1774165800","slug":"btc-updown-5m-1774165800","title":"Bitcoin Up or Down - March 22, 3:50AM-3:55AM ET","tags":[]}],"lastTradePrice":0.01,"bestAsk":0.01}',NULL,'2026-12-02T10:12:45.690Z');
INSERT INTO raw_responses VALUES(2,'81c798cad36d20c98757f548ee44d77a6887dc10a5c4a54c38b419cee9c27bef','gamma','events/keyset','http://127.0.0.1:8080/events/keyset?limit=1&closed=false','2026-03-22T07:55:21.004Z','{"limit":"1","closed":"false"}','{"id":"16183","ticker":"kraken-ipo-in-2025","slug":"kraken-ipo-in-2025","title":"Kraken IPO by ___ ?","description":"This market will resolve to \"Yes\" if Kraken (US-based cryptocurrency exchange) completes an Initial Public Offering (IPO) by December 31, 2025, 11:59 PM ET, as confirmed by official company announcements or credible news sources.","startDate":"2024-12-31T19:05:45.901363Z","endDate":"2027-01-01T05:00:00Z","active":true,"closed":false,"archived":false,"liquidity":4389.7606,"volume":1589281.8920590016,"updatedAt":"2026-07-25T05:48:59.856425Z","negRisk":false,"markets":[{"id":"678876","question":"Kraken IPO by March 31, 2026?","conditionId":"0x9b3c3177fe473124c756b01e123b4b03e3a99880844ed8dea21b0a7879ca04aa","slug":"kraken-ipo-by-march-31-2026","endDate":"2026-04-01T04:00:00Z","startDate":"2025-11-12T19:19:58.313791Z","description":"This market will resolve to \"Yes\" if Kraken completes an Initial Public Offering (IPO) by the listed date ET, as confirmed by official company announcements and credible news sources.","outcomes":"[\"Yes\", \"No\"]","outcomePrices":"[\"0\", \"1\"]","volume":"545638.9248109999","active":true,"closed":true,"updatedAt":"2026-04-28T11:03:47.827628Z","closedTime":"2026-04-01 08:25:09+00","archived":false,"groupItemTitle":"March 31, 2026","questionID":"0x47fcdd597ecb28eedd232bd26886b902f9a49b77d563c028867032905f7974f5","umaResolutionStatus":"resolved","clobTokenIds":"[\"33799186820745984796925628555218896548353763534512103584425851114581900224385\", \"103693433518125527001416636574099415821922498558487623412396163292963814003978\"]","negRisk":false,"lastTradePrice":0.001,"bestAsk":0.001},{"id":"691547","question":"Kraken IPO by December 31, 2026?","conditionId":"0xced0cb8725bad43d78fda0cd0e5fa9e31804625cb3502b2c7897f8e8f7fa9e1f","slug":"kraken-ipo-by-december-31-2026-513","endDate":"2027-01-01T05:00:00Z","liquidity":"4389.7606","startDate":"2025-11-19T15:49:34.522Z","description":"This market will resolve to \"Yes\" if Kraken completes an Initial Public Offering (IPO) by the listed date ET, as confirmed by official company announcements and credible news sources.","outcomes":"[\"Yes\", \"No\"]","outcomePrices":"[\"0.265\", \"0.735\"]","volume":"549126.4347080018","active":true,"closed":false,"updatedAt":"2026-07-25T05:48:49.059195Z","archived":false,"groupItemTitle":"December 31, 2026","questionID":"0xb6cc06fbb46f67a90062d501b29778c2bf41b0fac19a8647039ba21e884d7f1e","clobTokenIds":"[\"34626184950254225208692030156208941308358060420950772251072421141618169142241\", \"28557614648090529004584076028720900603196666949274543515794672175624115225556\"]","negRisk":false,"lastTradePrice":0.24,"bestBid":0.22,"bestAsk":0.31}],"tags":[{"id":"21","label":"Crypto","slug":"crypto"},{"id":"101300","label":"exchange","slug":"exchange"}]}',NULL,'2026-12-02T10:12:45.690Z');
INSERT INTO raw_responses VALUES(3,'5e189c9431b103753e51e1920b8cbe011c5a0f458b251fb3a088ddf3cf5b61d2','clob','price','http://127.0.0.1:8080/price?token_id=34626184950254225208692030156208941308358060420950772251072421141618169142241&side=BUY','2026-03-22T07:56:00.250Z','{"token_id":"34626184950254225208692030156208941308358060420950772251072421141618169142241","side":"BUY","market_id":"691547","outcome":"Yes"}','{"price":"0.26"}',NULL,'2026-12-02T10:12:45.690Z');
INSERT INTO raw_responses VALUES(4,'0c4f2414b7600afa2f58603980b9631d92e48ca80c31ea07a529cec1c051ceca','clob','prices-history','http://127.0.0.1:8080/prices-history?market=34626184950254225208692030156208941308358060420950772251072421141618169142241&interval=1d&fidelity=5','2026-03-22T07:56:00.250Z','{"token_id":"34626184950254225208692030156208941308358060420950772251072421141618169142241","market_id":"691547","outcome":"Yes","interval":"1d","fidelity":"5"}','{"history":[{"t":1774165200,"p":0.42},{"t":1774165500,"p":0.5}]}',NULL,'2026-12-02T10:12:45.690Z');
INSERT INTO raw_responses VALUES(5,'f49275eac6045327f9165ecbc1d947aaa5147f24fce98c6112e48c9369d00121','clob','midpoint','http://127.0.0.1:8080/midpoint?token_id=34626184950254225208692030156208941308358060420950772251072421141618169142241','2026-03-22T07:56:00.250Z','{"token_id":"34626184950254225208692030156208941308358060420950772251072421141618169142241","market_id":"691547","outcome":"Yes"}','{"mid":"0.265"}',NULL,'2026-12-02T10:12:45.690Z');
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
INSERT INTO markets VALUES('polymarket','1669969','0xba3509c3c29a52bb2f8cf8204755314a38461825e61e77e6350f5abd4b848e05','0x261553ac1c50df33b3cde1f92b876f1642ef613d60c28d69bb01cddecb81afb7','btc-updown-5m-1774165800','Bitcoin Up or Down - March 22, 3:50AM-3:55AM ET','This market will resolve to "Up" if the Bitcoin price at the end of the time range specified in the title is greater than or equal to the price at the beginning of that range.','292275','btc-updown-5m-1774165800','2026-03-22T07:55:00Z','2026-03-21T07:58:17.582157Z',NULL,'2026-03-22T07:55:14.901374Z',1,0,0,0,NULL,NULL,61531.934765999940282,19748.913499999998748,NULL,0.010000000000000000208,0.010000000000000000208,'{"event_id":"292275","slug":"btc-updown-5m-1774165800","title":"Bitcoin Up or Down - March 22, 3:50AM-3:55AM ET","tags":[]}','[]','6fbd3bde6e84363c4f0eb30a66b3758b3b3f4288366809e28a78b2f2fd5c0c6b','2026-03-22T07:55:20.512Z','{"kind":"market","source":"polymarket","market_id":"1669969","condition_id":"0xba3509c3c29a52bb2f8cf8204755314a38461825e61e77e6350f5abd4b848e05","question_id":"0x261553ac1c50df33b3cde1f92b876f1642ef613d60c28d69bb01cddecb81afb7","slug":"btc-updown-5m-1774165800","question":"Bitcoin Up or Down - March 22, 3:50AM-3:55AM ET","description":"This market will resolve to \"Up\" if the Bitcoin price at the end of the time range specified in the title is greater than or equal to the price at the beginning of that range.","event_id":"292275","event_slug":"btc-updown-5m-1774165800","event":{"event_id":"292275","slug":"btc-updown-5m-1774165800","title":"Bitcoin Up or Down - March 22, 3:50AM-3:55AM ET","tags":[]},"close_time":"2026-03-22T07:55:00Z","start_time":"2026-03-21T07:58:17.582157Z","closed_time":null,"updated_at":"2026-03-22T07:55:14.901374Z","active":true,"closed":false,"archived":false,"neg_risk":false,"group_item_title":null,"resolution_status":null,"volume":61531.93476599994,"liquidity":19748.9135,"best_bid":null,"best_ask":0.01,"last_trade_price":0.01,"contracts":[{"outcome":"Up","token_id":"94242206871221370391055736153305071391564432448684801902267396130896523340261","price":0.005},{"outcome":"Down","token_id":"22943400237250229318795315882775337816951160275867284205243766113690886285726","price":0.995}],"tags":[],"raw_sha256":"6fbd3bde6e84363c4f0eb30a66b3758b3b3f4288366809e28a78b2f2fd5c0c6b","fetched_at":"2026-03-22T07:55:20.512Z"}','12a8f33680d11f73e8b8b8c8b70f409599c96b6a486ec22e4f877b0645955778',NULL,'2026-12-02T10:12:45.690Z','2026-12-02T10:12:45.690Z');
INSERT INTO markets VALUES('polymarket','678876','0x9b3c3177fe473124c756b01e123b4b03e3a99880844ed8dea21b0a7879ca04aa','0x47fcdd597ecb28eedd232bd26886b902f9a49b77d563c028867032905f7974f5','kraken-ipo-by-march-31-2026','Kraken IPO by March 31, 2026?','This market will resolve to "Yes" if Kraken completes an Initial Public Offering (IPO) by the listed date ET, as confirmed by official company announcements and credible news sources.','16183','kraken-ipo-in-2025','2026-04-01T04:00:00Z','2025-11-12T19:19:58.313791Z','2026-04-01T08:25:09Z','2026-04-28T11:03:47.827628Z',1,1,0,0,'March 31, 2026','resolved',545638.92481099988797,NULL,NULL,0.0010000000000000000208,0.0010000000000000000208,'{"event_id":"16183","slug":"kraken-ipo-in-2025","title":"Kraken IPO by ___ ?","tags":[{"id":"21","slug":"crypto","label":"Crypto"},{"id":"101300","slug":"exchange","label":"exchange"}]}','[{"id":"21","slug":"crypto","label":"Crypto"},{"id":"101300","slug":"exchange","label":"exchange"}]','81c798cad36d20c98757f548ee44d77a6887dc10a5c4a54c38b419cee9c27bef','2026-03-22T07:55:21.004Z','{"kind":"market","source":"polymarket","market_id":"678876","condition_id":"0x9b3c3177fe473124c756b01e123b4b03e3a99880844ed8dea21b0a7879ca04aa","question_id":"0x47fcdd597ecb28eedd232bd26886b902f9a49b77d563c028867032905f7974f5","slug":"kraken-ipo-by-march-31-2026","question":"Kraken IPO by March 31, 2026?","description":"This market will resolve to \"Yes\" if Kraken completes an Initial Public Offering (IPO) by the listed date ET, as confirmed by official company announcements and credible news sources.","event_id":"16183","event_slug":"kraken-ipo-in-2025","event":{"event_id":"16183","slug":"kraken-ipo-in-2025","title":"Kraken IPO by ___ ?","tags":[{"id":"21","slug":"crypto","label":"Crypto"},{"id":"101300","slug":"exchange","label":"exchange"}]},"close_time":"2026-04-01T04:00:00Z","start_time":"2025-11-12T19:19:58.313791Z","closed_time":"2026-04-01T08:25:09Z","updated_at":"2026-04-28T11:03:47.827628Z","active":true,"closed":true,"archived":false,"neg_risk":false,"group_item_title":"March 31, 2026","resolution_status":"resolved","volume":545638.9248109999,"liquidity":null,"best_bid":null,"best_ask":0.001,"last_trade_price":0.001,"contracts":[{"outcome":"Yes","token_id":"33799186820745984796925628555218896548353763534512103584425851114581900224385","price":0},{"outcome":"No","token_id":"103693433518125527001416636574099415821922498558487623412396163292963814003978","price":1}],"tags":[{"id":"21","slug":"crypto","label":"Crypto"},{"id":"101300","slug":"exchange","label":"exchange"}],"raw_sha256":"81c798cad36d20c98757f548ee44d77a6887dc10a5c4a54c38b419cee9c27bef","fetched_at":"2026-03-22T07:55:21.004Z"}','cbf29b8d713e10ad34ba2695625108852b9d3f3224d512fc83a35ee50c84d3c4',NULL,'2026-12-02T10:12:45.690Z','2026-12-02T10:12:45.690Z');
INSERT INTO markets VALUES('polymarket','691547','0xced0cb8725bad43d78fda0cd0e5fa9e31804625cb3502b2c7897f8e8f7fa9e1f','0xb6cc06fbb46f67a90062d501b29778c2bf41b0fac19a8647039ba21e884d7f1e','kraken-ipo-by-december-31-2026-513','Kraken IPO by December 31, 2026?','This market will resolve to "Yes" if Kraken completes an Initial Public Offering (IPO) by the listed date ET, as confirmed by official company announcements and credible news sources.','16183','kraken-ipo-in-2025','2027-01-01T05:00:00Z','2025-11-19T15:49:34.522Z',NULL,'2026-07-25T05:48:49.059195Z',1,0,0,0,'December 31, 2026',NULL,549126.43470800179055,4389.7605999999996127,0.22000000000000000111,0.30999999999999999777,0.23999999999999999111,'{"event_id":"16183","slug":"kraken-ipo-in-2025","title":"Kraken IPO by ___ ?","tags":[{"id":"21","slug":"crypto","label":"Crypto"},{"id":"101300","slug":"exchange","label":"exchange"}]}','[{"id":"21","slug":"crypto","label":"Crypto"},{"id":"101300","slug":"exchange","label":"exchange"}]','81c798cad36d20c98757f548ee44d77a6887dc10a5c4a54c38b419cee9c27bef','2026-03-22T07:55:21.004Z','{"kind":"market","source":"polymarket","market_id":"691547","condition_id":"0xced0cb8725bad43d78fda0cd0e5fa9e31804625cb3502b2c7897f8e8f7fa9e1f","question_id":"0xb6cc06fbb46f67a90062d501b29778c2bf41b0fac19a8647039ba21e884d7f1e","slug":"kraken-ipo-by-december-31-2026-513","question":"Kraken IPO by December 31, 2026?","description":"This market will resolve to \"Yes\" if Kraken completes an Initial Public Offering (IPO) by the listed date ET, as confirmed by official company announcements and credible news sources.","event_id":"16183","event_slug":"kraken-ipo-in-2025","event":{"event_id":"16183","slug":"kraken-ipo-in-2025","title":"Kraken IPO by ___ ?","tags":[{"id":"21","slug":"crypto","label":"Crypto"},{"id":"101300","slug":"exchange","label":"exchange"}]},"close_time":"2027-01-01T05:00:00Z","start_time":"2025-11-19T15:49:34.522Z","closed_time":null,"updated_at":"2026-07-25T05:48:49.059195Z","active":true,"closed":false,"archived":false,"neg_risk":false,"group_item_title":"December 31, 2026","resolution_status":null,"volume":549126.4347080018,"liquidity":4389.7606,"best_bid":0.22,"best_ask":0.31,"last_trade_price":0.24,"contracts":[{"outcome":"Yes","token_id":"34626184950254225208692030156208941308358060420950772251072421141618169142241","price":0.265},{"outcome":"No","token_id":"28557614648090529004584076028720900603196666949274543515794672175624115225556","price":0.735}],"tags":[{"id":"21","slug":"crypto","label":"Crypto"},{"id":"101300","slug":"exchange","label":"exchange"}],"raw_sha256":"81c798cad36d20c98757f548ee44d77a6887dc10a5c4a54c38b419cee9c27bef","fetched_at":"2026-03-22T07:55:21.004Z"}','ea7d8a33fc49d2c698f9da9eb159dcbaf4930b7176def512094f61fb27015358',NULL,'2026-12-02T10:12:45.690Z','2026-12-02T10:12:45.690Z');
CREATE TABLE contracts (
  source TEXT NOT NULL, market_id TEXT NOT NULL,
  outcome_index BIGINT NOT NULL, outcome TEXT, token_id TEXT,
  price DOUBLE PRECISION,
  PRIMARY KEY (source, market_id, outcome_index));
INSERT INTO contracts VALUES('polymarket','1669969',0,'Up','94242206871221370391055736153305071391564432448684801902267396130896523340261',0.005000000000000000104);
INSERT INTO contracts VALUES('polymarket','1669969',1,'Down','22943400237250229318795315882775337816951160275867284205243766113690886285726',0.99499999999999999555);
INSERT INTO contracts VALUES('polymarket','678876',0,'Yes','33799186820745984796925628555218896548353763534512103584425851114581900224385',0.0);
INSERT INTO contracts VALUES('polymarket','678876',1,'No','103693433518125527001416636574099415821922498558487623412396163292963814003978',1.0);
INSERT INTO contracts VALUES('polymarket','691547',0,'Yes','34626184950254225208692030156208941308358060420950772251072421141618169142241',0.26500000000000001332);
INSERT INTO contracts VALUES('polymarket','691547',1,'No','28557614648090529004584076028720900603196666949274543515794672175624115225556',0.73499999999999998667);
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
INSERT INTO events VALUES('polymarket','16183','kraken-ipo-in-2025','Kraken IPO by ___ ?','This market will resolve to "Yes" if Kraken (US-based cryptocurrency exchange) completes an Initial Public Offering (IPO) by December 31, 2025, 11:59 PM ET, as confirmed by official company announcements or credible news sources.','2024-12-31T19:05:45.901363Z','2027-01-01T05:00:00Z','2026-07-25T05:48:59.856425Z',1,0,0,0,1589281.8920590016059,4389.7605999999996127,'[{"id":"21","slug":"crypto","label":"Crypto"},{"id":"101300","slug":"exchange","label":"exchange"}]','["678876","691547"]','81c798cad36d20c98757f548ee44d77a6887dc10a5c4a54c38b419cee9c27bef','2026-03-22T07:55:21.004Z','{"kind":"event","source":"polymarket","event_id":"16183","slug":"kraken-ipo-in-2025","title":"Kraken IPO by ___ ?","description":"This market will resolve to \"Yes\" if Kraken (US-based cryptocurrency exchange) completes an Initial Public Offering (IPO) by December 31, 2025, 11:59 PM ET, as confirmed by official company announcements or credible news sources.","start_time":"2024-12-31T19:05:45.901363Z","end_time":"2027-01-01T05:00:00Z","updated_at":"2026-07-25T05:48:59.856425Z","active":true,"closed":false,"archived":false,"neg_risk":false,"volume":1589281.8920590016,"liquidity":4389.7606,"tags":[{"id":"21","slug":"crypto","label":"Crypto"},{"id":"101300","slug":"exchange","label":"exchange"}],"market_ids":["678876","691547"],"raw_sha256":"81c798cad36d20c98757f548ee44d77a6887dc10a5c4a54c38b419cee9c27bef","fetched_at":"2026-03-22T07:55:21.004Z"}','d8449a4828f43c9a2608c926ccfe7dc35780631e4f36c3b1f3ab3cafb26a85c2',NULL,'2026-12-02T10:12:45.690Z','2026-12-02T10:12:45.690Z');
CREATE TABLE tags (
  source TEXT NOT NULL, tag_id TEXT NOT NULL, slug TEXT, label TEXT,
  PRIMARY KEY (source, tag_id));
INSERT INTO tags VALUES('polymarket','21','crypto','Crypto');
INSERT INTO tags VALUES('polymarket','101300','exchange','exchange');
CREATE TABLE price_history (
  token_id TEXT NOT NULL, side TEXT NOT NULL, ts TEXT NOT NULL,
  price DOUBLE PRECISION NOT NULL, market_id TEXT, outcome TEXT,
  raw_sha256 TEXT, run_id TEXT,
  PRIMARY KEY (token_id, side, ts));
INSERT INTO price_history VALUES('34626184950254225208692030156208941308358060420950772251072421141618169142241','buy','2026-03-22T07:56:00.250Z',0.26000000000000000888,'691547','Yes','5e189c9431b103753e51e1920b8cbe011c5a0f458b251fb3a088ddf3cf5b61d2',NULL);
INSERT INTO price_history VALUES('34626184950254225208692030156208941308358060420950772251072421141618169142241','history','2026-03-22T07:40:00Z',0.41999999999999998445,'691547','Yes','0c4f2414b7600afa2f58603980b9631d92e48ca80c31ea07a529cec1c051ceca',NULL);
INSERT INTO price_history VALUES('34626184950254225208692030156208941308358060420950772251072421141618169142241','history','2026-03-22T07:45:00Z',0.5,'691547','Yes','0c4f2414b7600afa2f58603980b9631d92e48ca80c31ea07a529cec1c051ceca',NULL);
INSERT INTO price_history VALUES('34626184950254225208692030156208941308358060420950772251072421141618169142241','mid','2026-03-22T07:56:00.250Z',0.26500000000000001332,'691547','Yes','f49275eac6045327f9165ecbc1d947aaa5147f24fce98c6112e48c9369d00121',NULL);
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
  type TEXT, fingerprint TEXT, version TEXT, description TEXT);
CREATE TABLE experiment_runs (
  run_id TEXT NOT NULL, experiment_id TEXT NOT NULL, status TEXT NOT NULL,
  n_ok BIGINT NOT NULL, n_failed BIGINT NOT NULL,
  n_skipped BIGINT NOT NULL, started_at TEXT, finished_at TEXT, fingerprint TEXT, version TEXT, description TEXT,
  PRIMARY KEY (run_id, experiment_id));
CREATE TABLE processing_failures (
  id INTEGER PRIMARY KEY,
  failure_sha256 TEXT NOT NULL UNIQUE, run_id TEXT, stage TEXT,
  reason TEXT NOT NULL, retriable BIGINT, market_id TEXT,
  event_key TEXT, input TEXT, url TEXT, detail TEXT,
  recorded_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS "experiment_results" (
  event_key TEXT NOT NULL, experiment_id TEXT NOT NULL, run_id TEXT,
  suite TEXT, stage TEXT, variant TEXT, type TEXT, status TEXT,
  output TEXT, probabilities TEXT, started_at TEXT, finished_at TEXT,
  latency_ms DOUBLE PRECISION, error TEXT,
  fingerprint TEXT NOT NULL, version TEXT, markets TEXT NOT NULL,
  lead TEXT,
  PRIMARY KEY (event_key, experiment_id, fingerprint, markets));
CREATE TABLE IF NOT EXISTS "research_artifacts" (
  event_key TEXT NOT NULL, experiment_id TEXT NOT NULL, run_id TEXT,
  content TEXT, fingerprint TEXT NOT NULL, markets TEXT NOT NULL,
  provenance TEXT,
  PRIMARY KEY (event_key, experiment_id, fingerprint, markets));
CREATE TABLE experiment_markets (
  event_key TEXT NOT NULL, experiment_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL, markets TEXT NOT NULL,
  market_id TEXT NOT NULL, run_id TEXT, close_time TEXT,
  lead_h DOUBLE PRECISION,
  PRIMARY KEY (event_key, experiment_id, fingerprint, markets,
    market_id));
CREATE INDEX contracts_token ON contracts (token_id);
CREATE INDEX markets_active ON markets (active, closed);
CREATE INDEX price_history_market ON price_history (market_id, ts);
CREATE INDEX processed_events_run ON processed_events (run_id);
CREATE INDEX processing_failures_run ON processing_failures (run_id);
CREATE INDEX raw_responses_run ON raw_responses (run_id);
COMMIT;
