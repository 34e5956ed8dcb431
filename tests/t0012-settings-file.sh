#!/bin/bash
# The settings file (.env): one set of rules for every program and the
# driver (lib/dotenv.c, pipelines.sh's env_file_pairs; pm-pipelines(7)).
. "$(dirname "$0")/lib.sh"

RULES=$TESTS_DIR/fixtures/env/rules.env

# pipelines.sh's own reader, taken out of the driver.
sh_pairs() {
	bash -c "$(sed -n '/^env_file_pairs()/,/^}/p' "$TOP/pipelines.sh")
		env_file_pairs \"\$1\"" sh "$1"
}

test_expect_success 'the C reader and the driver read every rule alike' '
	run "$PM_UNIT/test-dotenv" --dump "$RULES" && expect_status 0 &&
	mv out c.out && sh_pairs "$RULES" >sh.out && test_cmp c.out sh.out &&
	cat >want <<-\EOF &&
	A=1
	CRLF=crlf
	B=two words
	C=x
	D=x#kept
	E=a # b $HOME
	F=say "hi" \ \n
	G=
	H=$HOME
	_u1=postgresql://u:p@h/db?sslmode=require
	exportX=1
	EOF
	test_cmp want c.out
'

test_expect_success 'a bad line refuses the whole file, by line number, in both' '
	for bad in "just words" "A=\"open" "A='"'"'x'"'"' y" "1A=x" "A B=x"; do
		printf "OK=1\n# c\n%s\nZ=2\n" "$bad" >bad.env &&
		run "$PM_UNIT/test-dotenv" --dump bad.env && expect_status 2 &&
		grep -q "^test-dotenv: bad.env:3: " err && test ! -s out &&
		msg=$(sed "s/^test-dotenv: //" err) &&
		! sh_pairs bad.env >sh.out && test "$(tail -1 sh.out)" = "$msg" ||
		{ echo "line: $bad"; cat err sh.out; exit 1; }
	done
'

test_expect_success 'pm-store alone reads ./.env: the database the driver would use' '
	printf "DATABASE_URL=mydata.db # the team db\r\n" >.env &&
	echo "{\"kind\":\"skip\",\"stage\":\"group\",\"event_key\":\"e\",\"why\":\"filtered\"}" >in.ndjson &&
	run pm-store in.ndjson && expect_status 0 &&
	test -f mydata.db && test ! -e data/pm.db &&
	ls >files && ! grep -q "$(printf "\r")" files
'

test_expect_success 'the environment wins over .env, and --db over both' '
	echo "DATABASE_URL=file.db" >.env &&
	echo "{\"kind\":\"skip\",\"stage\":\"group\",\"event_key\":\"e\",\"why\":\"filtered\"}" >in.ndjson &&
	DATABASE_URL=env.db run pm-store in.ndjson && expect_status 0 &&
	test -f env.db && test ! -e file.db &&
	DATABASE_URL=env.db run pm-store --db opt.db in.ndjson && test -f opt.db &&
	test ! -e file.db
'

test_expect_success 'a bad .env stops every program with its line, exit 2, nothing made' '
	printf "A=1\nthis is not a setting\n" >.env &&
	for p in pm-fetch pm-normalize pm-group pm-experiment pm-store pm-summary; do
		run "$p" </dev/null && expect_status 2 &&
		grep -q "^$p: .env:2: not KEY=VALUE" err || exit 1
	done &&
	test ! -e data &&
	run "$TOP/pipelines.sh" status && expect_status 2 &&
	grep -q "^pipelines.sh: ./.env:2: not KEY=VALUE" err
'

test_expect_success 'the driver reads PM_ENV_FILE, and refuses a named file it cannot read' '
	echo "DATABASE_URL=prod.db" >prod.env &&
	PM_ENV_FILE=prod.env run "$TOP/pipelines.sh" status && expect_status 3 &&
	test_grep "no database at prod.db" err &&
	PM_ENV_FILE=prod.env run pm-summary --status && expect_status 3 &&
	test_grep "no database at prod.db" err &&
	PM_ENV_FILE=none.env run "$TOP/pipelines.sh" status --env-file prod.env &&
	expect_status 3 && test_grep "no database at prod.db" err &&
	for f in prdo.env . ""; do
		run "$TOP/pipelines.sh" status --env-file "$f" && expect_status 2 &&
		test_grep "^pipelines.sh: $f: " err || exit 1
	done &&
	for f in prdo.env .; do
		PM_GAMMA_URL=http://127.0.0.1:9 PM_ENV_FILE=$f \
		    run "$TOP/pipelines.sh" events && expect_status 2 &&
		test_grep "^pipelines.sh: $f: " err || exit 1
	done &&
	PM_ENV_FILE=prdo.env run pm-summary --status && expect_status 2 &&
	run "$TOP/pipelines.sh" status --env-file /dev/null && expect_status 3 &&
	test ! -e data
'

test_done
