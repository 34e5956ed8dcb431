#!/bin/bash
# Experiments validated before any request: a selection that leaves no
# variant, a bad config, a selected variant whose key is unset -> exit 2
# with one message naming it, nothing fetched, no run row, no database,
# no dump (pipelines.sh asks pm-experiment --check first).  A variant
# left out of the selection may lack its key; no --config is the builtin
# suite.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"

P=$TOP/pipelines.sh
NOW=2026-06-01T10:00:00Z
fake_start pm --only-synthetic --markets 16 --spread-days 8 --now "$NOW"
unset PM_T_KEY

# suite a: research only; suite b: a forecast that calls an LLM whose key
# is in PM_T_KEY (at a closed port: it never answers)
cat >"$TMP/x.json" <<'JSON'
{"suites": [
  {"id": "a", "research": [{"variant": "r", "type": "builtin", "builtin": "baseline"}],
   "forecast": [{"variant": "m", "type": "builtin", "builtin": "market"}]},
  {"id": "b", "forecast": [{"variant": "llm", "type": "openai", "model": "x",
    "base_url": "http://127.0.0.1:9/v1", "api_key_env": "PM_T_KEY", "timeout": 2}]}]}
JSON
echo '{"suites": [' >"$TMP/broken.json"

daily() { run "$P" daily --env-file /dev/null --now "$NOW" --db d.db "$@"; }
# refused MESSAGE: exit 2, MESSAGE the only line on stderr, no request,
# nothing created
refused() {
	expect_status 2 && test_line_count err 1 &&
	test_grep -x -F "$1" err &&
	test_eq 0 "$(fake_stats .requests)" requests &&
	test ! -e d.db && test ! -e dumps
}

test_expect_success 'a selection that leaves no variant: named, nothing fetched' '
	fake_reset &&
	daily --config "$TMP/x.json" --suite b --stage research &&
	refused "pm-experiment: no variant selected by --suite b, --stage research" &&
	daily --config "$TMP/x.json" --suite nosuch &&
	refused "pm-experiment: --suite: no suite nosuch" &&
	daily --config "$TMP/x.json" --include-forecast nosuch &&
	refused "pm-experiment: --include-forecast: no forecast variant nosuch"
'

test_expect_success 'a bad config: named, nothing fetched' '
	fake_reset &&
	daily --config "$TMP/broken.json" && expect_status 2 &&
	test_grep "^pm-experiment: .*broken.json: " err && refused "$(cat err)" &&
	daily --config "$TMP/nosuch.json" &&
	refused "pm-experiment: $TMP/nosuch.json: No such file or directory" &&
	daily --config "$TMP/x.json" --experiment-override a:forecast:m.timeout=0 &&
	test_grep "a:forecast:m: timeout" err && refused "$(cat err)"
'

test_expect_success 'a selected variant whose key is unset: named, nothing fetched' '
	fake_reset &&
	daily --config "$TMP/x.json" &&
	refused "pm-experiment: b:forecast:llm: PM_T_KEY is not set" &&
	PM_T_KEY= daily --config "$TMP/x.json" --suite b &&
	refused "pm-experiment: b:forecast:llm: PM_T_KEY is not set"
'

test_expect_success 'retry-failures is checked the same way' '
	fake_reset &&
	run "$P" retry-failures r1 --env-file /dev/null --db d.db --config "$TMP/x.json" &&
	refused "pm-experiment: b:forecast:llm: PM_T_KEY is not set"
'

test_expect_success 'a key left out of the selection is not needed' '
	fake_reset &&
	daily --config "$TMP/x.json" --suite a --no-dump && expect_status 0 &&
	test_num "$(fake_stats .requests)" -gt 0 requests &&
	test_eq 2 "$(sqlite3 d.db "SELECT count(DISTINCT experiment_id) FROM experiment_results")"
'

test_expect_success 'the key from the env file: the run goes on (the LLM fails)' '
	fake_reset &&
	echo "PM_T_KEY=sekrit" >env &&
	run "$P" daily --env-file env --now "$NOW" --db d.db --no-dump \
		--config "$TMP/x.json" --suite b && expect_status 1 &&
	test_num "$(fake_stats .requests)" -gt 0 requests &&
	test_grep "b:forecast:llm" err
'

test_expect_success 'no --config: the builtin suite, checked and run' '
	fake_reset &&
	daily --no-dump && expect_status 0 &&
	sqlite3 d.db "SELECT DISTINCT experiment_id FROM experiment_results ORDER BY 1" >got &&
	printf "builtin:forecast:market\nbuiltin:research:baseline\n" >want &&
	test_cmp want got
'

test_expect_success 'a sqlite: URL is locked by its absolute path, as a path is' '
	: >d.db.daily.lock &&
	(flock -n 8 && exec sleep 30) 8<>d.db.daily.lock &
	holder=$!
	test_when_finished "kill $holder; wait $holder || :" &&
	sleep 0.5 &&
	daily --db sqlite:d.db --no-dump && expect_status 4 &&
	test_grep "another daily run on this database holds .*/d.db.daily.lock" err &&
	mkdir other && cd other &&
	daily --db sqlite:d.db --no-dump && expect_status 0
'

test_expect_success 'pm-experiment --check alone: quiet and 0, or 2 naming it' '
	run pm-experiment -c "$TMP/x.json" --check && expect_status 2 &&
	test_grep -x "pm-experiment: b:forecast:llm: PM_T_KEY is not set" err &&
	PM_T_KEY=k run pm-experiment -c "$TMP/x.json" --check && expect_status 0 &&
	test_line_count out 0 && test_line_count err 0 &&
	run pm-experiment -c "$TMP/x.json" --check --list --suite a &&
	expect_status 0 && test_line_count out 2
'

test_done
