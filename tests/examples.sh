# shellcheck shell=bash
# tests/examples.sh - the examples of the man pages and of
# examples/one-liners.sh, as the examples tests run them (source it after
# lib.sh).
#
#   examples_man PAGE... DIR      one file per example of each page's
#   examples_sh FILE DIR          EXAMPLES section (or each command of a
#   examples_readme FILE DIR      one-liners file, or of the README's
#                                 indented blocks) into DIR: N.sh (the
#                                 command, roff escapes undone), N.where
#                                 (page:line) and N.tags (its test: lines)
#
# The convention the pages follow: a comment line just before an example
#
#   .\" test: TAG [ARG]           (in a man page)
#   # test: TAG [ARG]             (in examples/one-liners.sh)
#   <!-- test: TAG [ARG] -->      (in README.md: before a block, for each
#                                 command of the block; a line of a
#                                 block is a command, with the lines it
#                                 continues: after a | or \, or indented)
#
# tells the test what the example needs, so it runs rather than being
# skipped:
#
#   pg URL        a PostgreSQL database holding the scratch dump; URL (as
#                 written in the example) is replaced by its address
#   ch URL        a fresh ClickHouse database; URL (as written in the
#                 example) is replaced by its address
#   tls FILE      the fake API over https; FILE (the CA bundle the example
#                 names) is replaced by the test CA
#   cron          a crontab line: the command after its five time fields
#   status N      the example's documented exit status is N (default 0)
#   text          not a command (a record shown as text): not run
#   make          the command after "make && ": the suite built the programs
#   dry           make and tools/install-deps.sh as dry runs in the
#                 checkout (make -n, --list): the targets exist, the
#                 packages are known; what they do has tests of its own
#
# Every example runs in a fresh copy of a scratch directory with the files
# the examples name (markets.ndjson, dump.ndjson, data/pm.db...), the fake
# API and a fake LLM (examples/experiments.json's base URLs point at it).

# The awk function that writes one example into dir: N.sh, N.tags, N.where
# shellcheck disable=SC2016 # awk, not shell
ex_write='
function write(text, where, tags,   f) {
	f = dir "/" page "-" where
	print text > (f ".sh"); close(f ".sh")
	printf "%s", tags > (f ".tags"); close(f ".tags")
	print page ":" where > (f ".where"); close(f ".where")
}'

examples_man() {
	local dir=${!#} page
	mkdir -p "$dir"
	for page in "${@:1:$#-1}"; do
		awk -v dir="$dir" -v page="${page##*/}" "$ex_write"'
		function emit(text, where) { write(text, where, tags); tags = "" }
		function unroff(s) {
			gsub(/\\e/, "\\", s); gsub(/\\-/, "-", s); gsub(/\\&/, "", s)
			gsub(/\\\(aq/, "\047", s)
			return s
		}
		/^\.Sh / { ex = ($2 == "EXAMPLES"); next }
		!ex { next }
		/^\.\\" test: / { sub(/^\.\\" test: /, ""); tags = tags $0 "\n"; next }
		/^\.Dl / { sub(/^\.Dl /, ""); emit(unroff($0), NR); next }
		/^\.Bd -literal/ { b = 1; c = ""; at = NR; next }
		/^\.Ed/ && b { b = 0; emit(c, at); next }
		b { c = c (c == "" ? "" : "\n") unroff($0) }
		' "$page" || return 1
	done
}

examples_sh() {
	local file=$1 dir=$2
	mkdir -p "$dir"
	awk -v dir="$dir" -v page="${file##*/}" "$ex_write"'
	function emit() { if (c != "") write(c, at, tags); c = ""; tags = "" }
	!go { if ($0 == "exit 0") go = 1; next }
	/^# test: / { emit(); sub(/^# test: /, ""); tags = tags $0 "\n"; next }
	/^#/ || /^[ \t]*$/ { emit(); next }
	{ if (c == "") at = NR; c = c (c == "" ? "" : "\n") $0 }
	END { emit() }
	' "$file"
}

examples_readme() {
	local file=$1 dir=$2
	mkdir -p "$dir"
	awk -v dir="$dir" -v page="${file##*/}" "$ex_write"'
	function emit() { if (c != "") write(c, at, tags); c = "" }
	/^<!-- test: .* -->$/ {
		t = $0; sub(/^<!-- test: /, "", t); sub(/ -->$/, "", t)
		pend = pend t "\n"; next
	}
	/^    / {
		if (!inb) { inb = 1; tags = pend; pend = ""; text = tags ~ /(^|\n)text/ }
		line = substr($0, 5)
		if (c != "" && (text || cont || line ~ /^    /)) c = c "\n" line
		else { emit(); at = NR; c = line }
		cont = line ~ /[|\\][ \t]*$/
		next
	}
	/^[ \t]*$/ { if (inb) { emit(); inb = 0 } next }
	{ if (inb) { emit(); inb = 0 } pend = "" }
	END { emit() }
	' "$file"
}
