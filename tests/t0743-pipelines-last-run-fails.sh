#!/bin/bash
# The delta, prices and trades flows read their watermark (pm-store
# --last-run) once they hold the run lock; when that read fails (here
# pm-store refusing it while the database takes writes), the run is a
# failed run: recorded failed (stage pm-store, its message), alerted by
# --notify, exit 3.  Before, the driver died with "cannot read the last
# ... run": no run recorded, no alert, a run that broke looking like
# none had run at all.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/fake-polymarket.sh"	# webhook_start; fake_stop_all stops it

P=$TOP/pipelines.sh
DB=$TMP/pm.db
q() { sqlite3 "$DB" "$1"; }
# the programs, with a pm-store whose --last-run fails
mkdir "$TMP/bin" && for p in "$PM_BIN"/pm-*; do ln -s "$p" "$TMP/bin/"; done
rm "$TMP/bin/pm-store" && cat >"$TMP/bin/pm-store" <<PMSTORE
#!/bin/bash
for a; do
	if [ "\$a" = --last-run ]; then
		echo "pm-store: $DB: database disk image is malformed" >&2
		exit 3
	fi
done
exec "$PM_BIN/pm-store" "\$@"
PMSTORE
chmod +x "$TMP/bin/pm-store"

webhook_start /hook

for flow in delta prices trades; do
	test_expect_success "$flow: the watermark unreadable: a failed run, recorded and alerted" '
		PM_BIN=$TMP/bin PM_GAMMA_URL=http://127.0.0.1:9 \
		    PM_CLOB_URL=http://127.0.0.1:9 run "$P" $flow \
		    --env-file /dev/null --db "$DB" --notify "$HOOK" \
		    --summary-path s.json &&
		expect_status 3 &&
		test_grep "cannot read the last $flow run from the database" err &&
		id=$(jq -r .run_id s.json) &&
		test_eq "$flow failed" "$(q "SELECT flow, status FROM processing_runs
			WHERE run_id = '\''$id'\''" | tr "|" " ")" &&
		test_eq "pm-store|exit 3: $DB: database disk image is malformed" \
		    "$(q "SELECT stage, detail FROM processing_failures WHERE
			run_id = '\''$id'\'' AND reason = '\''stage_failed'\''")" &&
		jq -c --arg id "$id" "select(.run_id == \$id)" "$TMP/hook.log" >posts &&
		test_line_count posts 1 && jq -e \
		    ".run_status == \"failed\" and
		     .failed_stage == \"pm-store\"" posts >/dev/null &&
		! test_grep "cannot record" err
	'
done

test_done
