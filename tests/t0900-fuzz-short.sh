#!/bin/bash
# The libFuzzer targets (tests/fuzz/fuzz-*.c), briefly: built with clang,
# ASan+UBSan on, each run FUZZ_CI_RUNS times from its committed corpus,
# and every committed crasher (tests/fuzz/crashers/TARGET/) run once: a
# crash found once stays fixed.  `make fuzz` is the long run.
. "$(dirname "$0")/lib.sh"
RUNS=${FUZZ_CI_RUNS:-4000}

test_expect_success 'the fuzz targets build with clang' '
	command -v clang >/dev/null || { echo "clang missing (tools/install-deps.sh)"; false; }
	make -s -C "$TOP" fuzz-build >build.log 2>&1 || { tail -20 build.log; false; }
'

for src in "$TESTS_DIR"/fuzz/fuzz-*.c; do
	t=$(basename "$src" .c)
	test_expect_success "$t: $RUNS runs from the corpus, no crash" '
		bin=$TOP/build/fuzz/'"$t"' &&
		mkdir -p corpus &&
		run "$bin" -runs="$RUNS" -seed=1 -max_len=8192 -close_fd_mask=3 \
		    -artifact_prefix="$PWD/" corpus "$TESTS_DIR/fuzz/corpus/'"$t"'" &&
		expect_status 0 && not ls crash-* leak-* timeout-* 2>/dev/null
	'
	crashers=$TESTS_DIR/fuzz/crashers/$t
	[ -d "$crashers" ] || continue
	test_expect_success "$t: the committed crashers stay fixed" '
		run "$TOP/build/fuzz/'"$t"'" -close_fd_mask=3 "'"$crashers"'"/* &&
		expect_status 0
	'
done
test_done
