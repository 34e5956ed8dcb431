/*
 * test-opt.c - unit tests for lib/opt.c: what a numeric option accepts,
 * what it refuses, and the one message it gives.  Prints one line per
 * failed check and "unit: N checks, N failed"; exit 1 on failure.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "opt.h"

static int checks, failed;
static int err = -1;	/* stderr goes here, to check the messages */

#define CHECK(c) do { checks++; if (!(c)) { failed++; \
	printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); } } while (0)

/* The message of the last call, without its newline. */
static const char *
said(void)
{
	static char line[256];
	ssize_t n = pread(err, line, sizeof line - 1, 0);

	line[n > 0 ? n : 0] = 0;
	line[strcspn(line, "\n")] = 0;
	if (ftruncate(err, 0) == -1 || lseek(err, 0, SEEK_SET) == -1)
		strcpy(line, "cannot truncate");
	return line;
}

static void
int_ok(const char *s, long long lo, long long hi, long long want)
{
	long long v = -42;

	checks++;
	if (opt_int("-n", s, lo, hi, &v) != 0 || v != want || *said()) {
		failed++;
		printf("FAIL opt_int(\"%s\", %lld, %lld): got %lld\n", s, lo,
		    hi, v);
	}
}

static void
int_bad(const char *s, long long lo, long long hi, const char *want)
{
	long long v = -42;
	int r = opt_int("--limit", s, lo, hi, &v);
	const char *m = said();

	checks++;
	if (r != -1 || v != -42 || strcmp(m, want) != 0) {
		failed++;
		printf("FAIL opt_int(\"%s\"): value %lld, message \"%s\"\n", s,
		    v, m);
	}
}

static void
test_int(void)
{
	int_ok("5", 1, 10, 5);
	int_ok("0", 0, 0, 0);
	int_ok("007", 1, 10, 7);
	int_ok("-3", -5, 5, -3);
	int_ok("9223372036854775807", 0, 9223372036854775807LL,
	    9223372036854775807LL);
	int_ok("17179869184", 64, 1LL << 34, 17179869184LL);
	int_bad(" 5", 1, 10, "test-opt: --limit: \" 5\" is not a number "
	    "from 1 to 10");
	int_bad("5 ", 1, 10, "test-opt: --limit: \"5 \" is not a number "
	    "from 1 to 10");
	int_bad("+5", 1, 10, "test-opt: --limit: \"+5\" is not a number "
	    "from 1 to 10");
	int_bad("", 1, 10, "test-opt: --limit: \"\" is not a number "
	    "from 1 to 10");
	int_bad("-", -10, 10, "test-opt: --limit: \"-\" is not a number "
	    "from -10 to 10");
	int_bad("0x10", 1, 100, "test-opt: --limit: \"0x10\" is not a number "
	    "from 1 to 100");
	int_bad("1.5", 1, 10, "test-opt: --limit: \"1.5\" is not a number "
	    "from 1 to 10");
	int_bad("0", 1, 10, "test-opt: --limit: \"0\" is not a number "
	    "from 1 to 10");
	int_bad("11", 1, 10, "test-opt: --limit: \"11\" is not a number "
	    "from 1 to 10");
	int_bad("-1", 0, 10, "test-opt: --limit: \"-1\" is not a number "
	    "from 0 to 10");
	int_bad("99999999999999999999", 0, 9223372036854775807LL,
	    "test-opt: --limit: \"99999999999999999999\" is not a number "
	    "from 0 to 9223372036854775807");
}

static void
test_real(void)
{
	double v = -42;

	CHECK(opt_real("--clamp", "0.001", 0, 0.5, 1, &v) == 0 &&
	    v == 0.001 && *said() == 0);
	CHECK(opt_real("--clamp", "1e-3", 0, 0.5, 1, &v) == 0 &&
	    v == 0.001 && *said() == 0);
	CHECK(opt_real("p", "100", 0, 100, 0, &v) == 0 && v == 100);
	CHECK(opt_real("p", "0", 0, 100, 0, &v) == 0 && v == 0);
	CHECK(opt_real("p", "2.5", 0, 100, 0, &v) == 0 && v == 2.5);
	v = -42;
	CHECK(opt_real("--clamp", "0.5", 0, 0.5, 1, &v) == -1 && v == -42 &&
	    strcmp(said(), "test-opt: --clamp: \"0.5\" is not a number "
	    "above 0 and below 0.5") == 0);
	CHECK(opt_real("--clamp", "0", 0, 0.5, 1, &v) == -1 && v == -42 &&
	    *said());
	CHECK(opt_real("p", "100.5", 0, 100, 0, &v) == -1 && v == -42 &&
	    strcmp(said(), "test-opt: p: \"100.5\" is not a number "
	    "from 0 to 100") == 0);
	CHECK(opt_real("p", " 1", 0, 100, 0, &v) == -1 && *said());
	CHECK(opt_real("p", ".5", 0, 100, 0, &v) == -1 && *said());
	CHECK(opt_real("p", "nan", 0, 100, 0, &v) == -1 && *said());
	CHECK(opt_real("p", "inf", 0, 1e300, 0, &v) == -1 && *said());
	CHECK(opt_real("p", "1e999", 0, 1e300, 0, &v) == -1 && *said());
	CHECK(opt_real("p", "0x1p3", 0, 100, 0, &v) == -1 && *said());
	CHECK(opt_real("p", "1e", 0, 100, 0, &v) == -1 && *said());
	CHECK(opt_real("p", "1.2.3", 0, 100, 0, &v) == -1 && *said());
	CHECK(v == -42);
}

int
main(int argc, char **argv)
{
	FILE *tmp;

	(void)argc;
	msg_init(argv[0]);
	if ((tmp = tmpfile()) == NULL ||
	    (err = dup2(fileno(tmp), STDERR_FILENO)) == -1) {
		printf("unit: cannot redirect stderr\n");
		return 1;
	}
	test_int();
	test_real();
	printf("unit: %d checks, %d failed\n", checks, failed);
	return failed != 0;
}
