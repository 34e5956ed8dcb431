/*
 * test-json.c - unit tests for the simdjson wrapper's edges: numbers
 * beyond 64 bits and beyond a double, duplicate keys, the byte ranges of
 * lib/jspan.c, the message for a byte order mark, and lone UTF-16
 * surrogates made U+FFFD.  Prints one line
 * per failed check and "unit: N checks, N failed"; exit 1 on failure.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jspan.h"

static int checks, failed;

#define CHECK(c) do { checks++; if (!(c)) { failed++; \
	printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); } } while (0)

static json_parser *jp;

/* Parse s unpadded; 0 and *root, or -1 and *err. */
static int
parse(const char *s, json_val *root, const char **err)
{
	const char *e = NULL;
	int r = json_parse(jp, s, strlen(s), 0, root, &e);

	if (err)
		*err = e;
	return r;
}

/* The member k of the object s as a double; NAN when refused. */
static double
num(const char *s, const char *k)
{
	json_val root, v;
	double d;

	if (parse(s, &root, NULL) == -1)
		return NAN;
	json_get(&root, k, &v);
	return json_double(&v, &d) == 0 ? d : NAN;
}

static int
type_of(const char *s, const char *k)
{
	json_val root, v;

	if (parse(s, &root, NULL) == -1)
		return -1;
	json_get(&root, k, &v);
	return v.type;
}

static void
test_bigint(void)
{
	json_val root, v;
	const char *err, *str;
	int64_t i;
	double d;
	size_t n;

	CHECK(num("{\"kind\":\"x\",\"n\":123456789012345678901234567890}",
	    "n") == 123456789012345678901234567890.0);
	CHECK(num("{\"n\":-99999999999999999999}", "n") ==
	    -99999999999999999999.0);
	CHECK(type_of("{\"n\":-99999999999999999999}", "n") == JSON_DOUBLE);
	/* the edges of 64 bits stay integers */
	CHECK(type_of("{\"n\":18446744073709551615}", "n") == JSON_UINT);
	CHECK(type_of("{\"n\":18446744073709551616}", "n") == JSON_DOUBLE);
	CHECK(type_of("{\"n\":-9223372036854775808}", "n") == JSON_INT);
	CHECK(type_of("{\"n\":-9223372036854775809}", "n") == JSON_DOUBLE);
	/* a big integer is no integer id */
	CHECK(parse("{\"id\":123456789012345678901234567890}", &root, NULL)
	    == 0);
	json_get(&root, "id", &v);
	CHECK(json_int64(&v, &i) == -1);
	/* a whole text that is one */
	CHECK(parse("123456789012345678901234567890", &root, NULL) == 0 &&
	    json_double(&root, &d) == 0 && d == 1.2345678901234568e29);
	/* big integers in strings and keys are text, left alone */
	CHECK(parse("{\"s\":\"99999999999999999999999\\\"1e999\",\"99999999999"
	    "999999999\":1,\"t\":\"\\\\\",\"n\":99999999999999999999999}",
	    &root, NULL) == 0);
	json_get(&root, "s", &v);
	CHECK((str = json_str(&v, &n)) != NULL &&
	    strcmp(str, "99999999999999999999999\"1e999") == 0);
	json_get(&root, "99999999999999999999", &v);
	CHECK(json_int64(&v, &i) == 0 && i == 1);
	json_get(&root, "t", &v);
	CHECK((str = json_str(&v, &n)) != NULL && strcmp(str, "\\") == 0);
	CHECK(num("{\"s\":\"99999999999999999999999\\\"1e999\",\"99999999999"
	    "999999999\":1,\"t\":\"\\\\\",\"n\":99999999999999999999999}",
	    "n") == 99999999999999999999999.0);
	/* what was bad stays bad, with the message it had */
	CHECK(parse("{\"a\":01,\"b\":99999999999999999999}", &root, &err) == -1);
	CHECK(parse("{\"a\":-}", &root, &err) == -1 &&
	    strcmp(err, "invalid JSON: bad or out-of-range number") == 0);
	CHECK(parse("{\"a\":99999999999999999999,", &root, &err) == -1);
	CHECK(parse("{\"a\":1.5e}", &root, &err) == -1);
	/* bad literals that strtod would read a huge or big number from */
	CHECK(parse("[0.17976931348623159e309e]", &root, &err) == -1);
	CHECK(parse("[7e7302+]", &root, &err) == -1);
	CHECK(parse("[1e400.5]", &root, &err) == -1);
	CHECK(parse("[-1e400-1]", &root, &err) == -1);
	CHECK(parse("[012345678901234567890123]", &root, &err) == -1);
	CHECK(parse("[99999999999999999999999.]", &root, &err) == -1);
	CHECK(parse("[-99999999999999999999999-]", &root, &err) == -1);
	/* many, back to back, in a text at the parser's exact size */
	{
		char buf[4096];
		json_parser *small;
		json_iter it;
		size_t o = 0;
		int k, good = 0;

		buf[o++] = '[';
		for (k = 0; k < 180; k++)
			o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s",
			    k ? "," : "", "-99999999999999999999");
		buf[o++] = ']';
		buf[o] = 0;
		small = json_parser_new(o);
		CHECK(json_parse(small, buf, o, 0, &root, &err) == 0);
		CHECK(json_count(&root) == 180);
		json_iter_init(&it, &root);
		while (json_iter_next(&it, NULL, NULL, &v))
			good += json_double(&v, &d) == 0 &&
			    d == -99999999999999999999.0;
		CHECK(good == 180);
		/* one byte more than the parser takes is refused */
		buf[o] = ' ';
		CHECK(json_parse(small, buf, o + 1, 0, &root, &err) == -1 &&
		    strcmp(err, "JSON text too large") == 0);
		json_parser_free(small);
	}
}

static void
test_huge(void)
{
	const char *t = "[1,[2,{\"a\":3.5,\"b\":1e999}],-1e999,"
	    "99999999999999999999,{\"c\":-0.0,\"d\":1e-999},4]";
	json_val root, v, w;
	json_iter it;
	const char *err;
	double d[8];
	int k = 0, ok[8];
	char big[420];

	/* a double's edges */
	CHECK(num("{\"p\":1.7976931348623157e308}", "p") ==
	    1.7976931348623157e308);
	CHECK(isnan(num("{\"p\":1.7976931348623159e308}", "p")));
	CHECK(isnan(num("{\"p\":1e400}", "p")));
	CHECK(type_of("{\"p\":1e400}", "p") == JSON_HUGE);
	CHECK(num("{\"p\":1e400,\"q\":0.25}", "q") == 0.25);
	CHECK(isnan(num("{\"p\":17976931348623159e292}", "p")));
	CHECK(num("{\"p\":17976931348623157e292,\"q\":1}", "p") ==
	    1.7976931348623157e308);
	CHECK(num("{\"p\":0.000e400,\"q\":1e99999999999}", "p") == 0);
	CHECK(num("{\"p\":1e00000000000000000002,\"q\":1e999}", "p") ==
	    100);
	memset(big, '9', 400);
	memcpy(big, "{\"p\":", 5);
	strcpy(big + 400, "}");
	CHECK(isnan(num(big, "p")));
	big[5 + 308] = '}';	/* 308 nines: a double, if rounded */
	big[5 + 309] = 0;
	CHECK(num(big, "p") == 1e308);
	/* each number keeps its place among the others */
	CHECK(parse(t, &root, &err) == 0);
	json_iter_init(&it, &root);
	while (k < 8 && json_iter_next(&it, NULL, NULL, &v)) {
		if (v.type == JSON_ARRAY) {
			json_iter it2;
			json_iter_init(&it2, &v);
			json_iter_next(&it2, NULL, NULL, &w);
			ok[k] = json_double(&w, &d[k]);
			k++;
			json_iter_next(&it2, NULL, NULL, &w);
			json_get(&w, "a", &v);
			ok[k] = json_double(&v, &d[k]);
			k++;
			json_get(&w, "b", &v);
			ok[k] = json_double(&v, &d[k]);
			k++;
		} else if (v.type == JSON_OBJECT) {
			json_get(&v, "c", &w);
			ok[k] = json_double(&w, &d[k]);
			k++;
			json_get(&v, "d", &w);
			ok[k] = json_double(&w, &d[k]);
			k++;
		} else {
			ok[k] = json_double(&v, &d[k]);
			k++;
		}
	}
	CHECK(k == 8);
	CHECK(ok[0] == 0 && d[0] == 1);
	CHECK(ok[1] == 0 && d[1] == 2);
	CHECK(ok[2] == 0 && d[2] == 3.5);
	CHECK(ok[3] == -1);	/* 1e999 */
	CHECK(ok[4] == -1);	/* -1e999 */
	CHECK(ok[5] == 0 && d[5] == 99999999999999999999.0);
	CHECK(ok[6] == 0 && d[6] == 0 && signbit(d[6]));
	CHECK(ok[7] == 0 && d[7] == 0);
	/* the parser is reused: an ordinary text after the fallback */
	CHECK(num("{\"x\":7}", "x") == 7);
}

static void
test_dup(void)
{
	const char *t = "{\"a\":1,\"b\":{\"a\":9},\"a\":2,\"c\":3,\"a\":4}";
	static const char *const names[] = { "a", "c" };
	json_val root, v, slots[2];
	struct jspan sp;
	int64_t i;

	CHECK(parse(t, &root, NULL) == 0);
	json_get(&root, "a", &v);
	CHECK(json_int64(&v, &i) == 0 && i == 4);
	json_get(&root, "c", &v);
	CHECK(json_int64(&v, &i) == 0 && i == 3);
	json_get(&root, "zz", &v);
	CHECK(v.type == JSON_ABSENT);
	json_pick(&root, names, 2, slots);
	CHECK(json_int64(&slots[0], &i) == 0 && i == 4);
	CHECK(json_int64(&slots[1], &i) == 0 && i == 3);
	/* the byte range of the value json_get() chose */
	CHECK(jspan_member(t, strlen(t), "a", &sp) == 0 &&
	    sp.len == 1 && t[sp.off] == '4');
	CHECK(jspan_member(t, strlen(t), "b", &sp) == 0 &&
	    sp.len == 7 && memcmp(t + sp.off, "{\"a\":9}", 7) == 0);
	CHECK(jspan_member(t, strlen(t), "x", &sp) == -1);
}

static void
test_bom(void)
{
	json_val root;
	const char *err;

	CHECK(parse("\xEF\xBB\xBF{\"kind\":\"x\"}", &root, &err) == -1 &&
	    strstr(err, "byte order mark") != NULL);
	CHECK(parse("{\"kind\":\"\xEF\xBB\xBF\"}", &root, &err) == 0);
	CHECK(parse("[1,", &root, &err) == -1 &&
	    strstr(err, "byte order mark") == NULL);
}

/* fixed(in, want, n): json_fix_surrogates() makes in want, n replaced,
 * and what it gives parses. */
static int
fixed(const char *in, const char *want, size_t n)
{
	char t[256];
	json_val root;
	size_t len = strlen(in), k;

	memcpy(t, in, len + 1);
	k = json_fix_surrogates(t, len);
	return k == n && strcmp(t, want) == 0 && parse(t, &root, NULL) == 0;
}

static void
test_surrogates(void)
{
	json_val root;

	CHECK(parse("{\"a\":\"\\ud800\"}", &root, NULL) == -1);
	CHECK(fixed("{\"a\":\"\\ud800\"}", "{\"a\":\"\\ufffd\"}", 1));
	/* a low one alone, upper case, at the end, twice in a row */
	CHECK(fixed("[\"x\\uDC00\",\"\\uD83D\\uD83D\"]",
	    "[\"x\\ufffd\",\"\\ufffd\\ufffd\"]", 3));
	/* a pair is a character; the high one of a broken pair goes, the
	 * low one after it is kept with its own high one */
	CHECK(fixed("[\"\\ud83d\\ude00\",\"\\ud83d\\ud83d\\ude00\"]",
	    "[\"\\ud83d\\ude00\",\"\\ufffd\\ud83d\\ude00\"]", 1));
	/* an escaped backslash is no escape; keys are strings too */
	CHECK(fixed("{\"\\ud800\":\"\\\\ud800\\\"\\u00e9\"}",
	    "{\"\\ufffd\":\"\\\\ud800\\\"\\u00e9\"}", 1));
	/* outside strings: nothing; a cut escape: left alone */
	CHECK(fixed("[1,true]", "[1,true]", 0));
	{
		char t[] = "[\"\\ud80";
		CHECK(json_fix_surrogates(t, strlen(t)) == 0 &&
		    strcmp(t, "[\"\\ud80") == 0);
	}
	/* an empty answer, whose buffer was never allocated */
	CHECK(json_fix_surrogates(NULL, 0) == 0);
	{
		const char *err = NULL;

		CHECK(json_parse(jp, NULL, 0, 0, &root, &err) == -1 &&
		    strcmp(err, "empty JSON text") == 0);
	}
}

int
main(void)
{
	if ((jp = json_parser_new(1 << 20)) == NULL)
		return 1;
	test_bigint();
	test_huge();
	test_dup();
	test_bom();
	test_surrogates();
	json_parser_free(jp);
	printf("unit: %d checks, %d failed\n", checks, failed);
	return failed ? 1 : 0;
}
