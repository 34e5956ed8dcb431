# shellcheck shell=bash
# tests/fake-llm.sh - start tests/fake-llm.py for a test script (source it
# after lib.sh): llm_start [OPTION...] serves the recorded LLM answers on
# 127.0.0.1 (fake-llm.py's options, as --mutate SEED),
# sets port (its port) and srv (its pid), logs requests to $TMP/llm.log
# (emptied once it is up), and stops the server when the script exits.
llm_stop() {
	[ -z "${srv:-}" ] || kill "$srv" 2>/dev/null
	return 0
}

# shellcheck disable=SC2120 # options are optional
llm_start() {
	local _
	rm -f "$TMP/port"
	python3 "$TESTS_DIR/fake-llm.py" "$@" "$TMP/port" "$TMP/llm.log" &
	srv=$!
	trap 'test_exit_cleanup llm_stop' EXIT
	for _ in $(seq 600); do [ -s "$TMP/port" ] && break; sleep 0.05; done
	port=$(cat "$TMP/port")
	: >"$TMP/llm.log"
}
