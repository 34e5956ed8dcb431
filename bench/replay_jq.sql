-- bench/replay_jq.sql - the sqlite3 half of "jq -> sqlite3 .import": the
-- staging rows bench/replay.jq made, upserted into the same tables as
-- bench/replay_baseline.py.  SQLite has no sha256(): the raw key is the
-- shell's sha3(), the same job (naming the payload's bytes).
INSERT INTO raw_responses SELECT lower(hex(sha3(b, 256))), 'gamma',
  'markets', b FROM stage WHERE t = 'r' ON CONFLICT (sha256) DO NOTHING;
INSERT INTO markets SELECT 'polymarket', b, nullif(c, ''), nullif(d, ''),
  nullif(e, ''), nullif(f, ''), nullif(g, ''), CAST(nullif(h, '') AS INT),
  CAST(nullif(i, '') AS INT), CAST(nullif(j, '') AS REAL),
  CAST(nullif(k, '') AS REAL), NULL, l FROM stage WHERE t = 'm'
  ON CONFLICT (source, market_id) DO UPDATE SET
  condition_id = excluded.condition_id, slug = excluded.slug,
  question = excluded.question, event_id = excluded.event_id,
  close_time = excluded.close_time, active = excluded.active,
  closed = excluded.closed, volume = excluded.volume,
  liquidity = excluded.liquidity, record = excluded.record;
INSERT INTO contracts SELECT 'polymarket', b, CAST(c AS INT), nullif(d, ''),
  nullif(e, ''), CAST(nullif(f, '') AS REAL) FROM stage WHERE t = 'c'
  ON CONFLICT (source, market_id, outcome_index) DO UPDATE SET
  outcome = excluded.outcome, token_id = excluded.token_id,
  price = excluded.price;
DROP TABLE stage;
