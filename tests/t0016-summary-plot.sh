#!/bin/bash
# Pictures: pm-summary --score --plot FILE.svg (the reliability diagram,
# parsed as XML: one point per non-empty bucket per variant), --score on a
# terminal draws it in text, --status ends with a sparkline of the runs.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/score-data.sh"
scored "$TMP/d.db" || exit 1

# points.py SVG: "variant n1 n2 ..." per series, the counts of its points
cat >"$TMP/points.py" <<'PY'
import sys
import xml.etree.ElementTree as ET
ns = {"s": "http://www.w3.org/2000/svg"}
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
assert root.find(".//s:line[@class='diagonal']", ns) is not None, "no diagonal"
for g in root.findall(".//s:g[@class='series']", ns):
    pts = g.findall("s:circle[@class='point']", ns)
    counts = [t.text for t in g.findall("s:text[@class='count']", ns)]
    assert counts == [p.get("data-n") for p in pts], (counts, pts)
    for p in pts:
        x, y = float(p.get("cx")), float(p.get("cy"))
        assert 70 <= x <= 470 and 40 <= y <= 440, (x, y)
    print(g.get("data-variant"), *[p.get("data-n") for p in pts])
PY

test_expect_success '--plot: an SVG with one point per non-empty bucket per variant' '
	run pm-summary --score --db "$TMP/d.db" --plot plots/r.svg && expect_status 0 &&
	test -s plots/r.svg && python3 "$TMP/points.py" plots/r.svg >got &&
	pm-summary --score --db "$TMP/d.db" --json |
	    jq -r ".variants[] | \"\(.suite):\(.variant) (\(.stage))\" + ([.calibration[] | select(.n > 0) | \" \(.n)\"] | add // \"\")" >want &&
	test_cmp want got && test_line_count got 3 &&
	test "$(awk "{ n += NF - 2 } END { print n }" got)" -gt 3
'

test_expect_success '--plot: the points are the buckets of the JSON report' '
	pm-summary --score --db "$TMP/d.db" --plot p.svg --buckets 4 --json >j &&
	python3 - <<PY
import json, xml.etree.ElementTree as ET
ns = {"s": "http://www.w3.org/2000/svg"}
rep = json.load(open("j"))
root = ET.parse("p.svg").getroot()
gs = root.findall(".//s:g[@class=\"series\"]", ns)
assert len(gs) == len(rep["variants"])
for g, v in zip(gs, rep["variants"]):
    want = [(b["mean_forecast"], b["observed"]) for b in v["calibration"] if b["n"]]
    got = [(float(c.get("cx")), float(c.get("cy"))) for c in g.findall("s:circle", ns)]
    assert len(want) == len(got), (want, got)
    for (f, o), (x, y) in zip(want, got):
        assert abs(70 + f * 400 - x) < 0.06 and abs(440 - o * 400 - y) < 0.06, (f, o, x, y)
PY
'

test_expect_success '--score on a terminal: the diagram in text; piped: none' '
	script -qfc "pm-summary --score --db $TMP/d.db" typescript >/dev/null </dev/null &&
	test_grep "^reliability (forecast across" typescript &&
	test_grep "^  A .*: n per bucket" typescript &&
	test_grep "^ 0.0 |" typescript &&
	run pm-summary --score --db "$TMP/d.db" && expect_status 0 &&
	test_grep -v "^reliability" out
'

test_expect_success '--status: the runs as a sparkline, oldest first, and the freshness' '
	run pm-summary --status --db "$TMP/d.db" && expect_status 5 &&
	test_grep "^runs: \(█\|▄\|▁\|·\)\{2\} (oldest first: .*); data very_stale$" out &&
	run pm-summary --status --db "$TMP/d.db" --flow static && expect_status 0 &&
	test_grep "^runs: █ (oldest first: .*); data fresh$" out &&
	run pm-summary --status --db "$TMP/d.db" --json && expect_status 5 &&
	test_grep -v "^runs: " out
'

test_expect_success '--status --runs 0: no runs listed, no legend of an empty sparkline' '
	run pm-summary --status --db "$TMP/d.db" --runs 0 && expect_status 5 &&
	test_grep -x "runs: none listed; data very_stale" out &&
	test_grep -v "oldest first" out
'

test_expect_success 'a failed run is a low bar in the sparkline' '
	cp "$TMP/d.db" f.db &&
	sqlite3 f.db "UPDATE processing_runs SET status = '"'failed'"' WHERE run_id = '"'r1'"'" &&
	run pm-summary --status --db f.db && test_grep "^runs: ▁█ " out
'

# An abandoned run (its holder died: pm-summary --hold marks it) is
# counted failed, and was drawn as the dot of a run still going; a run
# still going (its status null until pm-store ends it) was a question
# mark that the legend does not have.
test_expect_success 'the sparkline draws each run as the runs line counts it' '
	cp "$TMP/d.db" a.db &&
	sqlite3 a.db "UPDATE processing_runs SET status = '"'abandoned'"' WHERE run_id = '"'r1'"'" &&
	run pm-summary --status --db a.db && test_grep "^runs: .* 1 failed, 0 running" out &&
	test_grep "^runs: ▁█ " out &&
	sqlite3 a.db "UPDATE processing_runs SET status = NULL WHERE run_id = '"'r1'"'" &&
	run pm-summary --status --db a.db && test_grep "^runs: .* 0 failed, 1 running" out &&
	test_grep "^runs: ·█ " out
'

# A variant's name as stored (from the configuration) with an escape
# sequence in it: the text report showed it as "?", but the diagram drawn
# on a terminal sent the escape to it, and the SVG held a control
# character, which XML does not allow: no browser drew the file.
test_expect_success 'the diagram: a control character in a name is "?", on a terminal and in SVG' '
	cp "$TMP/d.db" e.db &&
	sqlite3 e.db "UPDATE experiment_results SET variant = '"'l'"' || char(27) || '"'[31mred'"'
		WHERE variant = '"'llm'"'" &&
	script -qfc "pm-summary --score --db e.db --plot e.svg" typescript >/dev/null </dev/null &&
	test_grep "^  [A-Z] s:l?\[31mred (forecast): n per bucket" typescript &&
	not grep -q "$(printf "\033")\[31m" typescript &&
	python3 "$TMP/points.py" e.svg >got && test_grep "^s:l?\[31mred (forecast) " got
'

# A name longer than the diagram keeps (255 bytes) was cut mid-character:
# "é" cut in two is no UTF-8, and the SVG no XML.
test_expect_success 'the diagram: a long name is cut between characters' '
	cp "$TMP/d.db" u.db &&
	sqlite3 u.db "UPDATE experiment_results SET variant = '"'vv'"' ||
		replace(hex(zeroblob(127)), '"'00'"', '"'é'"') WHERE variant = '"'llm'"'" &&
	run pm-summary --score --db u.db --plot u.svg && expect_status 0 &&
	python3 "$TMP/points.py" u.svg >got && test_grep "^s:vvéé*é [0-9]" got
'

# A newline in a name split its line of the score report in two.
test_expect_success 'score: a newline in a variant'"'"'s name is a space, its line one line' '
	cp "$TMP/d.db" n.db &&
	sqlite3 n.db "UPDATE experiment_results SET variant = '"'l'"' || char(10) || '"'m'"'
		WHERE variant = '"'llm'"'" &&
	run pm-summary --score --db n.db && expect_status 0 &&
	test_grep "^s:l m (forecast) .* 0\.800$" out && test_grep -v "^m (forecast)" out
'

# A variant whose settings changed is scored apart, its fingerprint after
# its name on its line; the diagram named both lines alike, two series
# "s:llm (forecast)" no one could tell apart.
test_expect_success 'the diagram: a variant of two fingerprints, each named with its own' '
	cp "$TMP/d.db" f.db &&
	sqlite3 f.db "UPDATE experiment_results SET fingerprint = '"'fp2'"'
		WHERE variant = '"'llm'"' AND event_key = '"'e2'"'" &&
	run pm-summary --score --db f.db && test_grep "^s:llm (forecast) fp2 " out &&
	script -qfc "pm-summary --score --db f.db --plot f.svg" typescript >/dev/null </dev/null &&
	test_grep "^  [A-Z] s:llm (forecast): n per bucket" typescript &&
	test_grep "^  [A-Z] s:llm (forecast) fp2: n per bucket" typescript &&
	python3 "$TMP/points.py" f.svg >got &&
	test_grep -E "^s:llm \(forecast\) fp2( |$)" got && test_grep "^s:llm (forecast) [0-9]" got
'

# --runs lists up to 10000 runs; the sparkline drew the newest 64 of them
# alone, its "oldest first" not the oldest listed.
test_expect_success 'the sparkline draws every run listed, past 64' '
	for i in $(seq 70); do
		rec_run_start "r$i" static |
			jq -c --arg t "$(printf "2026-11-23T%02d:%02d:00Z" $((i / 60)) $((i % 60)))" \
				".started_at = \$t" || return 1
	done | pm-store --db m.db >/dev/null 2>&1 &&
	sqlite3 m.db "UPDATE processing_runs SET status = '"'failed'"' WHERE run_id = '"'r1'"'" &&
	run pm-summary --status --db m.db --runs 100 && expect_status 5 &&
	test_grep "^runs: last 70: 69 completed, 0 partial, 1 failed" out &&
	test_grep "^runs: ▁\(█\)\{69\} (oldest first" out
'

# 55 variants (lines): the diagram drew the first 26 alone, in the SVG
# too, whose legend would have run off its bottom; the text diagram
# letters 52 and says how many more it left out.
test_expect_success 'the diagram: every variant in the SVG, 52 in text and the rest counted' '
	cp "$TMP/d.db" v.db &&
	sqlite3 v.db "CREATE TEMP TABLE t AS SELECT * FROM experiment_results
			WHERE variant = '"'llm'"';
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 52)
		INSERT INTO experiment_results SELECT event_key,
			'"'s:forecast:w'"' || printf('"'%02d'"', i), run_id, suite, stage,
			'"'w'"' || printf('"'%02d'"', i), type, status, output, probabilities,
			started_at, finished_at, latency_ms, error, fingerprint, version,
			markets, lead FROM t, n" &&
	pm-summary --score --db v.db --json --plot v.svg >j &&
	test_eq 55 "$(jq ".variants | length" j)" &&
	python3 "$TMP/points.py" v.svg >got && test_line_count got -eq 55 &&
	test_grep "^s:w52 (forecast) " got &&
	python3 -c "import sys, xml.etree.ElementTree as ET
r = ET.parse(\"v.svg\").getroot(); h = float(r.get(\"height\"))
ys = [float(t.get(\"y\")) for t in r.iter(\"{http://www.w3.org/2000/svg}text\")]
sys.exit(0 if max(ys) < h else 1)" &&
	script -qfc "pm-summary --score --db v.db" typescript >/dev/null </dev/null &&
	test_grep "^  z s:w49 (forecast): n per bucket" typescript &&
	test_grep "^  a s:w24 (forecast): n per bucket" typescript &&
	test_grep "^  3 variants more, not drawn here" typescript
'

test_expect_success '--plot: only with --score; a path it cannot write is exit 3' '
	run pm-summary --status --db "$TMP/d.db" --plot x.svg && expect_status 2 &&
	test_grep "plot: only with --score" err && test ! -e x.svg &&
	: >file && run pm-summary --score --db "$TMP/d.db" --plot file/x.svg &&
	expect_status 3 && test_grep "file" err
'

test_done
