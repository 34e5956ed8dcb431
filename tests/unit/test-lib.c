/*
 * test-lib.c - unit tests for lib/: timestamps, the JSON writer and its
 * UTF-8 cleaning, number checks, bounded buffers, hashes, the simdjson
 * wrapper and input positions.  Prints one
 * line per failed check and "unit: N checks, N failed"; exit 1 on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "jw.h"
#include "msg.h"
#include "ratelimit.h"
#include "sha.h"
#include "timefmt.h"

static int checks, failed;

#define CHECK(c) do { checks++; if (!(c)) { failed++; \
	printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); } } while (0)

static void
ts(const char *in, const char *want)
{
	char out[TS_MAX];
	int r = ts_parse(in, strlen(in), out);

	checks++;
	if (want == NULL ? r != -1 : (r != 0 || strcmp(out, want) != 0)) {
		failed++;
		printf("FAIL ts_parse(\"%s\"): got %s, want %s\n", in,
		    r ? "error" : out, want ? want : "error");
	}
	/* what pm-normalize writes, pm-store takes */
	if (r == 0)
		CHECK(ts_is_utc(out, strlen(out)));
}

#define UTC(s) ts_is_utc(s, sizeof s - 1)

static void
test_utc(void)
{
	CHECK(UTC("2026-12-04T10:00:00Z"));
	CHECK(UTC("2026-12-04T10:00:00.5Z"));
	CHECK(UTC("2026-12-04T10:00:00.123456789Z"));
	CHECK(UTC("2024-02-29T00:00:00Z"));
	CHECK(UTC("2016-12-31T23:59:60Z"));	/* a leap second */
	CHECK(UTC("0001-01-01T00:00:00Z"));
	CHECK(UTC("9999-12-31T23:59:59.999Z"));
	CHECK(!UTC("yesterday"));
	CHECK(!UTC(""));
	CHECK(!UTC("2026-13-45T99:00:00Z"));
	CHECK(!UTC("2026-02-30T00:00:00Z"));
	CHECK(!UTC("2023-02-29T00:00:00Z"));
	CHECK(!UTC("2026-12-04T24:00:00Z"));
	CHECK(!UTC("2026-12-04T10:60:00Z"));
	CHECK(!UTC("2026-12-04T10:00:60Z"));
	CHECK(!UTC("2026-12-04"));
	CHECK(!UTC("2026-12-04T10:00Z"));
	CHECK(!UTC("2026-12-04T10:00:00"));
	CHECK(!UTC("2026-12-04T10:00:00+02:00"));
	CHECK(!UTC("2026-12-04T10:00:00+00:00"));
	CHECK(!UTC("2026-12-04 10:00:00Z"));
	CHECK(!UTC("2026-12-04t10:00:00z"));
	CHECK(!UTC("2026-12-04T10:00:00.Z"));
	CHECK(!UTC("2026-12-04T10:00:00.1234567890Z"));
	CHECK(!UTC("2026-12-04T10:00:00.12aZ"));
	CHECK(!UTC("2026-12-04T10:00:00ZZ"));
	CHECK(!UTC("+2026-12-04T10:00:00Z"));
	CHECK(!UTC("1791258810641"));
	CHECK(!ts_is_utc("2026-12-04T10:00:00Z", 19));
}

/* ts_bound: stored times compare with it as text as in time */
static void
test_bound(void)
{
	static const char *const before[] = { "2026-02-28T23:59:59Z",
	    "2026-02-28T23:59:59.999Z", "2026-02-28T23:59:59.999999999Z" };
	static const char *const after[] = { "2026-03-01T00:00:00Z",
	    "2026-03-01T00:00:00.000Z", "2026-03-01T00:00:00.5Z",
	    "2026-03-01T00:00:00.500Z", "2026-03-01T00:00:01Z" };
	static const char *const cuts[] = { "2026-03-01",
	    "2026-03-01T00:00:00Z", "2026-03-01T00:00:00.000Z" };
	char b[TS_MAX];
	size_t i, j;

	for (i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		ts_bound(cuts[i], b);
		CHECK(strcmp(b, "2026-03-01T00:00:00.000000000Z") == 0);
		for (j = 0; j < sizeof before / sizeof before[0]; j++)
			CHECK(strcmp(before[j], b) < 0);
		for (j = 0; j < sizeof after / sizeof after[0]; j++)
			CHECK(strcmp(after[j], b) >= 0);
	}
	ts_bound("2026-03-01T00:00:00.5Z", b);
	CHECK(strcmp(b, "2026-03-01T00:00:00.500000000Z") == 0);
	CHECK(strcmp("2026-03-01T00:00:00.499Z", b) < 0);
	CHECK(strcmp("2026-03-01T00:00:00.500Z", b) >= 0);
	CHECK(strcmp("2026-03-01T00:00:00.5Z", b) >= 0);
	ts_bound("2026-03-01T00:00:00.123456789Z", b);
	CHECK(strcmp(b, "2026-03-01T00:00:00.123456789Z") == 0);
}

static void
test_time(void)
{
	char out[TS_MAX];

	ts("2024-06-17T03:51:23.112Z", "2024-06-17T03:51:23.112Z");
	ts("2024-06-17T03:51:23Z", "2024-06-17T03:51:23Z");
	ts("2026-03-21T07:58:17.582157Z", "2026-03-21T07:58:17.582157Z");
	ts("2023-11-02 21:03:54+00", "2023-11-02T21:03:54Z");
	ts("2023-11-02 21:03:54.55+00", "2023-11-02T21:03:54.55Z");
	ts("2024-06-17", "2024-06-17T00:00:00Z");
	ts("2500-12-31", "2500-12-31T00:00:00Z");
	ts("1791258810641", "2026-10-06T03:53:30.641Z");
	ts("1774165200", "2026-03-22T07:40:00Z");
	ts("2024-06-17T05:00:00+02:00", "2024-06-17T03:00:00Z");
	ts("2024-06-17T00:30:00-01:00", "2024-06-17T01:30:00Z");
	ts("2024-02-29", "2024-02-29T00:00:00Z");
	ts("2023-02-29", NULL);
	ts("2024-13-01", NULL);
	ts("2024-06-17T25:00:00Z", NULL);
	ts("2024-06-17T03:51:23.Z", NULL);
	ts("yesterday", NULL);
	ts("", NULL);
	ts("2024-06-17Tjunk", NULL);
	ts("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z");
	ts("1969-12-31T23:59:59.5Z", "1969-12-31T23:59:59.5Z");
	ts("0000-01-01T00:30:00+01:00", NULL);
	ts("9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z");
	ts("9999-12-31T23:30:00-01:00", NULL);
	/* second 60 only as a leap second, 23:59 UTC in whatever offset */
	ts("2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z");
	ts("2017-01-01T01:59:60+02:00", "2017-01-01T00:00:00Z");
	ts("2016-12-31T22:59:60-01:00", "2017-01-01T00:00:00Z");
	ts("2024-06-17T03:51:60Z", NULL);
	ts("2016-12-31T23:59:60+02:00", NULL);
	test_utc();
	CHECK(ts_epoch(0, out) == 0 && strcmp(out, "1970-01-01T00:00:00Z") == 0);
	CHECK(ts_epoch(-1, out) == -1);
	{
		int64_t sec;
		CHECK(ts_sec("2024-06-17T05:00:00.999+02:00", 29, &sec) == 0 &&
		    sec == 1718593200);
		CHECK(ts_sec("1791258810641", 13, &sec) == 0 && sec == 1791258810);
		CHECK(ts_sec("1969-12-31T23:59:59Z", 20, &sec) == -1);
		CHECK(ts_sec("2024-02-30", 10, &sec) == -1);
	}
	{
		double ms;
		CHECK(ts_ms("1970-01-01T00:00:01.5Z", 22, &ms) == 0 && ms == 1500);
		CHECK(ts_ms("1791258810641", 13, &ms) == 0 && ms == 1791258810641.0);
		CHECK(ts_ms("2024-06-17T05:00:00+02:00", 25, &ms) == 0 &&
		    ms == 1718593200000.0);
		CHECK(ts_ms("2024-13-01", 10, &ms) == -1);
	}
	/* a delay a server asks for: whatever it sends, a long or -1 */
	CHECK(ts_delay_ms(1.5) == 1500 && ts_delay_ms(0) == 0);
	CHECK(ts_delay_ms(-1) == -1 && ts_delay_ms(strtod("nan", NULL)) == -1);
	CHECK(ts_delay_ms(1e300) == TS_DELAY_MAX &&
	    ts_delay_ms(strtod("inf", NULL)) == TS_DELAY_MAX);
	/* a seed from a monotonic clock 30 days up: its microseconds pass
	 * 2^32, and are taken modulo 2^32 */
	CHECK(rl_seed(86400.0 * 30) == (unsigned)(86400ULL * 30 * 1000000 %
	    4294967296ULL) && rl_seed(1.5) == 1500000);
}

static void
test_jw(void)
{
	struct buf b;

	buf_init(&b, 0);
	jw_open(&b, '{');
	jw_key(&b, "a");
	jw_str(&b, "q\"\\\n\x01", 5);
	jw_key(&b, "b");
	jw_open(&b, '[');
	jw_int(&b, -3);
	jw_double(&b, 0.1);
	jw_bool(&b, 1);
	jw_null(&b);
	jw_close(&b, ']');
	jw_key(&b, "c");
	jw_double(&b, 1.0 / 0.0);
	jw_close(&b, '}');
	CHECK(strcmp(b.data,
	    "{\"a\":\"q\\\"\\\\\\n\\u0001\",\"b\":[-3,0.1,true,null],\"c\":null}")
	    == 0);
	buf_release(&b);
}

/* utf8_clean of in (n bytes) gives want; jw_text writes it quoted */
static void
clean(const char *in, size_t n, const char *want)
{
	char t[32];
	struct buf b;

	checks++;
	memcpy(t, in, n);
	utf8_clean(t, n);
	if (memcmp(t, want, n) != 0) {
		failed++;
		printf("FAIL utf8_clean: got %.*s, want %s\n", (int)n, t, want);
	}
	buf_init(&b, 0);
	jw_text(&b, in, n);
	CHECK(b.len == n + 2 && memcmp(b.data + 1, want, n) == 0);
	buf_release(&b);
}

/* What simdjson (json.h) accepts, and nothing else: RFC 3629. */
static void
test_utf8(void)
{
#define CLEAN(in, want) clean(in, sizeof in - 1, want)
	CLEAN("ascii", "ascii");
	CLEAN("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	CLEAN("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");	/* U+10FFFF */
	CLEAN("\xed\x9f\xbf", "\xed\x9f\xbf");		/* U+D7FF */
	CLEAN("a\xc3", "a?");			/* cut after a lead byte */
	CLEAN("a\xe2\x82", "a??");		/* cut inside: each byte */
	CLEAN("\x80x", "?x");			/* a lone continuation */
	CLEAN("\xc0\xaf", "??");			/* overlong '/' */
	CLEAN("\xc1\xbf", "??");
	CLEAN("\xe0\x80\xaf", "???");		/* overlong, 3 bytes */
	CLEAN("\xf0\x80\x80\xaf", "????");		/* overlong, 4 bytes */
	CLEAN("\xed\xa0\x80", "???");		/* a surrogate (CESU-8) */
	CLEAN("\xf4\x90\x80\x80", "????");		/* past U+10FFFF */
	CLEAN("\xf5\x80\x80\x80", "????");
	CLEAN("\xff\xfeok\xc3\xa9", "??ok\xc3\xa9");
#undef CLEAN
	CHECK(utf8_valid("ab\xc3\xa9\xc3", 5) == 4);
	{
		/* random strings of the bytes where the rules turn: valid
		 * for utf8_valid exactly when simdjson takes them, and
		 * always once cleaned */
		static const unsigned char pick[] = { 'A', 0x80, 0x8f, 0x90,
		    0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xed,
		    0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff };
		json_parser *p = json_parser_new(1 << 10);
		unsigned long x = 1, i, bad = 0;
		char q[16];
		json_val root;
		const char *err;
		size_t n, k;
		int json_ok;

		for (i = 0; i < 200000 && p; i++) {
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			n = (x >> 60) % 7;
			q[0] = '"';
			for (k = 0; k < n; k++)
				q[1 + k] = (char)pick[(x >> (8 * k + 3)) %
				    sizeof pick];
			q[n + 1] = '"';
			json_ok = json_parse(p, q, n + 2, 0, &root, &err) == 0;
			if (json_ok != (utf8_valid(q + 1, n) == n))
				bad++;
			utf8_clean(q + 1, n);
			if (json_parse(p, q, n + 2, 0, &root, &err) != 0)
				bad++;
		}
		CHECK(p != NULL && bad == 0);
		json_parser_free(p);
	}
	CHECK(utf8_valid("", 0) == 0);
	{
		struct buf b;

		buf_init(&b, 0);
		jw_textz(&b, NULL);
		jw_textz(&b, "\"\xc3");
		CHECK(strcmp(b.data, "null,\"\\\"?\"") == 0);
		buf_release(&b);
	}
}

static void
test_numbers(void)
{
	CHECK(json_is_number("0", 1));
	CHECK(json_is_number("-0.510", 6));
	CHECK(json_is_number("1e-7", 4));
	CHECK(json_is_number("0.0000004113679809846114013590098187297978", 42));
	CHECK(!json_is_number(".5", 2));
	CHECK(!json_is_number("01", 2));
	CHECK(!json_is_number("1.", 2));
	CHECK(!json_is_number("NaN", 3));
	CHECK(!json_is_number("", 0));
	CHECK(!json_is_number("1e", 2));
}

static void
test_buf(void)
{
	struct buf b;

	buf_init(&b, 8);
	CHECK(buf_add(&b, "12345678", 8) == 0);
	CHECK(buf_add(&b, "9", 1) == -1);
	CHECK(b.len == 8 && strcmp(b.data, "12345678") == 0);
	buf_release(&b);
	CHECK(b.data == NULL && b.len == 0);
}

static void
test_sha(void)
{
	char hex[65];

	CHECK(sha256_hex("abc", 3, hex) == 0);
	CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad") == 0);
	CHECK(sha256_is_hex(hex, 64));
	CHECK(!sha256_is_hex("ABC", 3));
}

/*
 * json_minify against the plain definition (white space out, strings kept)
 * on texts made of random pieces: strings with escaped quotes and
 * backslashes, long and short, punctuation, numbers, with white space
 * between them or not, so both the copy of a minified text and
 * simdjson's minify are taken, quotes falling anywhere in 16 bytes.
 */
static void
test_minify_random(void)
{
	static const char *const pieces[] = { "\"a b\"", "\"\\\"\"",
	    "\"\\\\\"", "\"0123456789abcdef\\\"x y\"", "\"\"", "\"x\\n\"",
	    "\"0123456789abcde \\\\ 0123456789\"", "{", "}", "[", "]", ":", ",",
	    "12", "-0.5e3", "true", "null" };
	static const char ws[] = " \t\n\r";
	char text[512], want[512], got[512];
	size_t n, w, i, k;
	unsigned seed = 1;
	int bad = 0, copies = 0;

	for (k = 0; k < 20000; k++) {
		n = w = 0;
		while (n < 400) {
			seed = seed * 1103515245 + 12345;
			if ((seed >> 16) % 8 == 0 && k % 2)
				text[n++] = ws[(seed >> 8) % 4];
			else {
				const char *pc = pieces[(seed >> 16) %
				    (sizeof pieces / sizeof *pieces)];
				memcpy(text + n, pc, strlen(pc));
				memcpy(want + w, pc, strlen(pc));
				n += strlen(pc);
				w += strlen(pc);
			}
		}
		copies += w == n;
		i = json_minify(text, n, got);
		bad += i != w || memcmp(got, want, w) != 0;
	}
	CHECK(bad == 0);
	CHECK(copies >= 10000 && copies < 20000);	/* both kinds */
}

static void
test_json(void)
{
	static const char *const names[] = { "a", "b", "zz" };
	char text[] = "{\"b\":[1,\"x\"],\"a\":12345678901234567890,\"zz\":null}";
	char min[64];
	json_parser *p = json_parser_new(1 << 20);
	json_val root, f[3], e;
	json_iter it;
	const char *err, *s;
	double d;
	int n = 0;

	CHECK(p != NULL);
	CHECK(json_parse(p, text, strlen(text), 0, &root, &err) == 0);
	CHECK(root.type == JSON_OBJECT && json_count(&root) == 3);
	json_pick(&root, names, 3, f);
	CHECK(f[0].type == JSON_UINT && json_double(&f[0], &d) == 0);
	CHECK(f[1].type == JSON_ARRAY && f[2].type == JSON_NULL);
	json_iter_init(&it, &f[1]);
	while (json_iter_next(&it, NULL, NULL, &e))
		n++;
	CHECK(n == 2);
	json_get(&root, "missing", &e);
	CHECK(e.type == JSON_ABSENT);
	CHECK(json_parse(p, "{\"a\":", 5, 0, &root, &err) == -1);
	CHECK(strcmp(err, "invalid JSON: truncated") == 0 ||
	    strncmp(err, "invalid JSON", 12) == 0);
	CHECK(json_parse(p, "\"\xff\"", 3, 0, &root, &err) == -1 &&
	    strcmp(err, "invalid UTF-8") == 0);
	CHECK(json_parse(p, "\"x\"", 3, 0, &root, &err) == 0 &&
	    (s = json_str(&root, NULL)) != NULL && strcmp(s, "x") == 0);
	CHECK(json_minify("{ \"a\" : [1, 2] }", 16, min) == 11 &&
	    memcmp(min, "{\"a\":[1,2]}", 11) == 0);
	/* minified already: the bytes as they are, escapes and all, also
	 * where a quote or backslash falls past 16 bytes of a string */
#define MINI(in, out) CHECK(json_minify(in, sizeof in - 1, min) == \
	    sizeof out - 1 && memcmp(min, out, sizeof out - 1) == 0)
	MINI("{\"a\":\"x \\\" y\\\\\",\"b\":[1,2]}",
	    "{\"a\":\"x \\\" y\\\\\",\"b\":[1,2]}");
	MINI("[\"0123456789abcdef \\\" \", 1]", "[\"0123456789abcdef \\\" \",1]");
	MINI("[\"0123456789abcde\\\"\"] ", "[\"0123456789abcde\\\"\"]");
	MINI("{\"a\":1}\r\n", "{\"a\":1}");	/* minified but for the end */
#undef MINI
	/* a string left open, in the copy's 16-byte steps or not: no text */
	CHECK(json_minify("[\"0123456789abcdef0", 19, min) == (size_t)-1);
	CHECK(json_minify("[1, \"ab", 7, min) == (size_t)-1);
	CHECK(json_names_sorted(names, 3));
	json_parser_free(p);
}

/* A position keeps its line number whatever the name's length: it keys
 * the failure, and two lines of one file must not share one. */
static void
test_pos(void)
{
	char pos[32], pos2[32], name[64];

	CHECK(strcmp(msg_pos(pos, sizeof pos, "in.ndjson", 12),
	    "in.ndjson:12") == 0);
	memset(name, 'd', 63);
	name[63] = 0;
	memcpy(name + 58, "/f.nd", 5);
	CHECK(strcmp(msg_pos(pos, sizeof pos, name, 4294967295UL),
	    "...dddddddddddd/f.nd:4294967295") == 0);
	CHECK(strcmp(msg_pos(pos, sizeof pos, name, 1),
	    msg_pos(pos2, sizeof pos2, name, 2)) != 0);
	/* cut after a UTF-8 sequence, never inside one (é at 36) */
	memset(name, 'd', 63);
	memcpy(name + 36, "\xc3\xa9", 2);
	CHECK(strcmp(msg_pos(pos, sizeof pos, name, 7),
	    "...ddddddddddddddddddddddddd:7") == 0);
}

/* Control characters from the data never reach a terminal as they are;
 * UTF-8 text and tabs do, and newlines where the text is lines. */
static void
test_clean(void)
{
	char a[] = "x\033[2J\ty\r\nz\x7f\xc2\x9b" "1m \xc3\xa9\xc2\xa0", b[sizeof a];

	memcpy(b, a, sizeof a);
	msg_clean(a, sizeof a - 1, 0);
	CHECK(strcmp(a, "x?[2J\ty  z???1m \xc3\xa9\xc2\xa0") == 0);
	msg_clean(b, sizeof b - 1, 1);
	CHECK(strcmp(b, "x?[2J\ty \nz???1m \xc3\xa9\xc2\xa0") == 0);
}

/* Bytes that are not UTF-8 (a lone 0x9b is CSI on an 8-bit terminal, a
 * Latin-1 name, a sequence cut short or overlong) are '?' one by one;
 * the valid sequences beside them stay. */
static void
test_clean_bytes(void)
{
	char a[] = "a\x9b" "2Jb\xe9t\xe2\x82 \xc0\xaf\xed\xa0\x80"
	    "\xf4\x90\x80\x80" "\xe2\x82\xac\xf0\x9f\x98\x80\xc3";

	msg_clean(a, sizeof a - 1, 0);
	CHECK(strcmp(a, "a?2Jb?t?? ?????????\xe2\x82\xac\xf0\x9f\x98\x80?") ==
	    0);
}

int
main(void)
{
	test_time();
	test_bound();
	test_jw();
	test_utf8();
	test_numbers();
	test_buf();
	test_sha();
	test_json();
	test_minify_random();
	test_pos();
	test_clean();
	test_clean_bytes();
	printf("unit: %d checks, %d failed\n", checks, failed);
	return failed != 0;
}
