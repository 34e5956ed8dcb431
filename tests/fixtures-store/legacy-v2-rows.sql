-- rows a database of schema 2 holds for event 16183 of run.ndjson:
-- processed by the builtin suite before fingerprints existed
INSERT INTO processed_events (event_key, run_id, event_id, n_markets,
  n_results, record, processed_at) VALUES ('16183', 'r1', '16183', 4, 2,
  '{}', '2026-11-01T07:00:00Z');
INSERT INTO processed_markets (event_key, market_id, run_id, close_time,
  record) VALUES ('16183', '1642124', 'r1', '2026-11-08T00:00:00Z', '{}'),
  ('16183', '516950', 'r1', '2026-11-08T00:00:00Z', '{}'),
  ('16183', '678876', 'r1', '2026-11-08T00:00:00Z', '{}'),
  ('16183', '691547', 'r1', '2026-11-08T00:00:00Z', '{}');
INSERT INTO experiment_results (event_key, experiment_id, run_id, suite,
  stage, variant, type, status, output) VALUES
  ('16183', 'builtin:research:baseline', 'r1', 'builtin', 'research',
   'baseline', 'builtin', 'ok', '{"legacy":true}'),
  ('16183', 'builtin:forecast:market', 'r1', 'builtin', 'forecast',
   'market', 'builtin', 'ok', NULL);
INSERT INTO research_artifacts (event_key, experiment_id, run_id, content)
  VALUES ('16183', 'builtin:research:baseline', 'r1', '{"legacy":true}');
