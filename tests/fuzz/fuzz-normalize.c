/*
 * fuzz-normalize.c - libFuzzer target: the input loop and the normalizer.
 * The input is an NDJSON stream: each line goes through lib/ndjson.c and,
 * when it is an object, through every endpoint of lib/normalize.c, both
 * bare and wrapped as a raw record.  Records go to /dev/null.  The input
 * is read from memory (ndjson_run_mem): no file opened per input.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "buf.h"
#include "ndjson.h"
#include "normalize.h"
#include "out.h"

static struct ndjson nd;	/* its reader kept from input to input */
static struct normalizer *norm;

static void on_record(void *a, struct buf *b) { (void)a; (void)b; }
static void on_fail(void *a, const char *m, const char *e, const char *d)
{ (void)a; (void)m; (void)e; (void)d; }

static int
one(struct rec *r, void *arg)
{
	static const char *const eps[] = { "markets", "events", "price",
	    "prices", "prices-history", "midpoint", "book", "last-trade-price" };
	struct norm_sink sink = { on_record, on_fail, NULL };
	struct norm_src src = { "00", "2026-01-01T00:00:00Z", { { 0 }, 0 } };
	json_val payload;
	size_t i;

	(void)arg;
	json_get(&r->root, "request", &src.request);
	json_get(&r->root, "payload", &payload);
	for (i = 0; i < sizeof eps / sizeof *eps; i++) {
		norm_payload(norm, eps[i], &r->root, &src, &sink);
		if (payload.type == JSON_OBJECT)
			norm_payload(norm, eps[i], &payload, &src, &sink);
	}
	norm_detect(&r->root);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (norm == NULL) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		out_init();
		/* messages still formatted, written 64K at a time: not a
		 * write(2) per bad line */
		setvbuf(stderr, NULL, _IOFBF, 1 << 16);
		norm = norm_new(1 << 20);
	}
	nd.records = nd.bad = nd.blank = 0;
	nd.stage = "fuzz";
	nd.max_line = 1 << 16;
	nd.fn = one;
	ndjson_run_mem(&nd, "fuzz", (const char *)data, size);
	out_flush();
	return 0;
}
