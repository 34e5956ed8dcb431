# pm-* toolchain.  Plain make: `make`, `make test`, `make install`.
#
#   make                 programs into bin/
#   make test            -Wall -Wextra -Werror, ASan+UBSan, the whole suite
#   make test T='t01*'   only the named test scripts
#   make valgrind        the suite, every program under valgrind (T= too)
#   make midnight        the suite, UTC midnight seconds into each test (T=)
#   make bench           benchmarks (never part of the tests; B=ch: one)
#   make install PREFIX=/usr/local [DESTDIR=]   (make uninstall: the same)
#   make lint            mandoc -T lint and shellcheck
#
# O= names the build directory (objects); BINDIR= where programs go.

VERSION    = 0.1.0
PREFIX    ?= /usr/local
MANDIR    ?= $(PREFIX)/share/man
O         ?= build
BINDIR    ?= bin
PKG_CONFIG ?= pkg-config
CC        ?= cc
CXX       ?= c++
CFLAGS    ?= -O2 -g
CXXFLAGS  ?= -O2 -g
SANITIZE  ?=
WERROR    ?=

# One pkg-config call per library, each with a fallback; libjq 1.6 ships
# no .pc file at all.
pc = $(shell $(PKG_CONFIG) $(1) $(2) 2>/dev/null || echo $(3))
LIB_CFLAGS := $(call pc,--cflags,libcurl,) $(call pc,--cflags,sqlite3,) \
	$(call pc,--cflags,libpq,-I/usr/include/postgresql) \
	$(call pc,--cflags,simdjson,)
LIBS := $(call pc,--libs,libcurl,-lcurl) $(call pc,--libs,sqlite3,-lsqlite3) \
	$(call pc,--libs,libpq,-lpq) $(call pc,--libs,libcrypto,-lcrypto) \
	$(call pc,--libs,simdjson,-lsimdjson) $(call pc,--libs,libjq,-ljq -lonig) \
	$(call pc,--libs,libzstd,-lzstd) -lpthread -lm

WARN = -Wall -Wextra $(if $(WERROR),-Werror)
SAN  = $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer)
ALL_CFLAGS   = -std=gnu11 $(WARN) $(SAN) $(CPPFLAGS) $(CFLAGS) -Ilib $(LIB_CFLAGS) \
	-DPM_VERSION='"$(VERSION)"' -MMD -MP
ALL_CXXFLAGS = -std=c++17 $(WARN) $(SAN) $(CPPFLAGS) $(CXXFLAGS) -Ilib $(LIB_CFLAGS) -MMD -MP
ALL_LDFLAGS  = $(SAN) $(LDFLAGS)

PROGRAMS = pm-fetch pm-normalize pm-group pm-experiment pm-store pm-summary

LIB_OBJ  = $(patsubst lib/%.c,$(O)/lib/%.o,$(wildcard lib/*.c)) \
	   $(patsubst lib/%.cc,$(O)/lib/%.o,$(wildcard lib/*.cc))
UNIT     = $(patsubst tests/unit/%.c,$(O)/unit/%,$(wildcard tests/unit/*.c))

all: $(addprefix $(BINDIR)/,$(PROGRAMS))

$(O)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/lib/%.o: lib/%.cc
	@mkdir -p $(@D)
	$(CXX) $(ALL_CXXFLAGS) -c -o $@ $<

# --version names the git revision and libjq's version as built (libjq
# 1.6 has no run-time call); the stamp changes only when they do, so
# version.o is rebuilt then and only then.
GIT_REV := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
JQ_VERSION := $(shell dpkg-query -W -f='$${Version}' libjq-dev 2>/dev/null | sed 's/-.*//')
$(O)/version.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(GIT_REV) $(JQ_VERSION)' | cmp -s - $@ || \
	    echo '$(GIT_REV) $(JQ_VERSION)' >$@
$(O)/lib/version.o: $(O)/version.stamp
$(O)/lib/version.o: ALL_CFLAGS += -DPM_GIT_REV='"$(GIT_REV)"' \
	-DPM_JQ_VERSION='"$(or $(JQ_VERSION),unknown)"'
FORCE:

$(O)/libpm.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(O)/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(addprefix $(BINDIR)/,$(PROGRAMS)): $(BINDIR)/%: $(O)/tools/%.o $(O)/libpm.a
	@mkdir -p $(@D)
	$(CXX) $(ALL_LDFLAGS) -o $@ $< $(O)/libpm.a $(LIBS)

$(O)/unit/%: tests/unit/%.c $(O)/libpm.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@.o $<
	$(CXX) $(ALL_LDFLAGS) -o $@ $@.o $(O)/libpm.a $(LIBS)

unit: $(UNIT)

deps:
	@sh tools/install-deps.sh

# The test build: warnings are errors, sanitizers on, its own directories.
# GCC's undefined leaves out float-cast-overflow (a double out of an
# integer's range, as a server's Retry-After: 1e300 made one): named too.
TEST_O ?= build/test
TEST_SANITIZE = address,undefined,float-cast-overflow
test: deps all
	@$(MAKE) --no-print-directory O=$(TEST_O) BINDIR=$(TEST_O)/bin \
	    SANITIZE=$(TEST_SANITIZE) WERROR=1 CFLAGS='-O1 -g' \
	    CXXFLAGS='-O1 -g' all unit
	@PM_BIN=$(CURDIR)/$(TEST_O)/bin PM_UNIT=$(CURDIR)/$(TEST_O)/unit \
	    bash tests/run.sh $(T)

bench: all
	@B='$(B)' bash bench/run.sh

# The main job end to end on the embedded SQLite database, offline.
# needs only the build and the fake server, not the test toolchain
demo: deps-demo all
	@bash tools/demo.sh

deps-demo:
	@sh tools/install-deps.sh --demo

lint:
	mandoc -T lint -W warning man/*.[1-9]
	shellcheck -x pipelines.sh tools/*.sh bench/*.sh completion/*.bash
	# test bodies are single-quoted on purpose: they are eval'd later, and
	# the variables they use look unused to shellcheck
	cd tests && shellcheck -x -e SC2016,SC1091,SC2034 *.sh

DOCDIR    ?= $(PREFIX)/share/doc/pm-tools
COMPDIR   ?= $(PREFIX)/share/bash-completion/completions

# The driver goes on PATH as pm-pipelines; it runs the programs beside it.
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(DOCDIR)/examples
	install -m 755 $(addprefix $(BINDIR)/,$(PROGRAMS)) $(DESTDIR)$(PREFIX)/bin
	install -m 755 pipelines.sh $(DESTDIR)$(PREFIX)/bin/pm-pipelines
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(wildcard man/*.5) $(DESTDIR)$(MANDIR)/man5
	install -m 644 $(wildcard man/*.7) $(DESTDIR)$(MANDIR)/man7
	cd examples && find . -type f | while read -r f; do \
	    install -D -m 644 "$$f" "$(DESTDIR)$(DOCDIR)/examples/$$f" || exit 1; done
	install -d $(DESTDIR)$(COMPDIR)
	for c in $(PROGRAMS) pm-pipelines; do \
	    install -m 644 completion/pm-tools.bash $(DESTDIR)$(COMPDIR)/$$c || exit 1; done

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(PROGRAMS) pm-pipelines)
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(wildcard man/*.1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(wildcard man/*.5)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(wildcard man/*.7)))
	rm -rf $(DESTDIR)$(DOCDIR)
	rm -f $(addprefix $(DESTDIR)$(COMPDIR)/,$(PROGRAMS) pm-pipelines)

clean:
	rm -rf build bin

.PHONY: all unit deps test bench demo deps-demo lint install uninstall clean FORCE
-include $(LIB_OBJ:.o=.d) $(O)/tools/*.d

# libFuzzer targets (clang), ASan+UBSan on: tests/fuzz/fuzz-*.c.
# make fuzz [FUZZ_RUNS=10000000] [FUZZ_JOBS=cores]: each target in turn,
# FUZZ_JOBS processes sharing the work, fastest first (see
# tests/fuzz/run.sh); the corpus grows in build/fuzz/corpus, one summary
# line per target in build/fuzz/summary.txt.  Inputs of at most 4K (two or
# three records) keep runs fast; the long-line paths are the shell tests'
# (t0101, t0910).
FUZZ_O    = build/fuzz
FUZZ_RUNS ?= 10000000
FUZZ_MAX_LEN ?= 4096
FUZZ_JOBS ?= 1
FUZZ_TARGETS ?= fuzz-group fuzz-llm fuzz-ndjson fuzz-normalize fuzz-store
FUZZERS   = $(patsubst tests/fuzz/%.c,$(FUZZ_O)/%,$(wildcard tests/fuzz/fuzz-*.c))
fuzz-build:
	@$(MAKE) --no-print-directory O=$(FUZZ_O) CC=clang CXX=clang++ \
	    SANITIZE=fuzzer-no-link,address,undefined CFLAGS='-O1 -g' \
	    CXXFLAGS='-O1 -g' $(FUZZ_O)/libpm.a $(FUZZERS)
$(FUZZ_O)/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_O)/libpm.a
	clang -std=gnu11 -g -O1 -Ilib -fsanitize=fuzzer,address,undefined \
	    -c -o $@.o $<
	clang++ -fsanitize=fuzzer,address,undefined -o $@ $@.o \
	    $(FUZZ_O)/libpm.a $(LIBS)
# The JSON writer and the byte buffer turn every byte the same way whatever
# the input means: comparison tracing there (libFuzzer's trace-cmp, a call
# per 8-byte compare of the escaping loop) cost about half of each
# execution and guides nothing.  They keep edge coverage, ASan and UBSan.
$(FUZZ_O)/lib/jw.o $(FUZZ_O)/lib/buf.o: \
    ALL_CFLAGS += -fno-sanitize-coverage=trace-cmp
fuzz: fuzz-build
	@FUZZ_JOBS=$(FUZZ_JOBS) bash tests/fuzz/run.sh $(FUZZ_O) $(FUZZ_RUNS) $(FUZZ_MAX_LEN) \
	    $(FUZZ_TARGETS)
.PHONY: fuzz fuzz-build

# kill -9 at random points of each stage of the daily flow, then a rerun:
# the database equals an uninterrupted run's.  make stress [STRESS_TRIALS=60]
STRESS_TRIALS ?= 60
stress: all
	@PM_BIN=$(CURDIR)/$(BINDIR) STRESS_TRIALS=$(STRESS_TRIALS) bash tests/stress.sh
.PHONY: stress

# make valgrind [T='t04*']: the test suite with every pm-* program under
# valgrind.  The release binaries (make all: -O2 -g, no sanitizers, which
# do not mix with valgrind) are run through wrapper scripts in
# build/valgrind/wrap that PM_BIN points at, one valgrind log per program
# run in build/valgrind/logs; a quick pipeline runs first.  Prints the
# suite's "N passed, N failed" (timing-bound cases may fail under
# valgrind: not the verdict), then the runs checked and each non-empty
# log.  Fails only when valgrind reported an error (invalid access,
# uninitialised value, definite leak).  Suppressions, third-party
# libraries only: tests/valgrind.supp.  See tests/valgrind.sh.
valgrind: all unit
	@PM_BIN=$(CURDIR)/$(BINDIR) PM_UNIT=$(CURDIR)/$(O)/unit \
	    bash tests/valgrind.sh $(T)
.PHONY: valgrind

# make midnight [T='t07*'] [MIDNIGHT_AT=5] [MIDNIGHT_DAY=2027-01-01]: the
# test suite with the clock (libfaketime) crossing UTC midnight (the next
# one, or the start of MIDNIGHT_DAY) MIDNIGHT_AT seconds into each test
# script: a run on one day and its rerun or check on the next.  The
# release binaries, as for valgrind.  See tests/midnight.sh.
midnight: all unit
	@PM_BIN=$(CURDIR)/$(BINDIR) PM_UNIT=$(CURDIR)/$(O)/unit \
	    bash tests/midnight.sh $(T)
.PHONY: midnight
