/*
 * fuzz-ndjson.c - libFuzzer target: the shared input loop (lib/ndjson.c)
 * alone.  The first input byte picks the line cap (so short caps, where
 * lines straddle the read buffer and the over-long path runs, are
 * exercised as much as the default); the rest is the stream, read from
 * memory.  Checked: every line is accounted for exactly once (a record, a
 * bad_record or a blank line), and each record is a NUL-terminated object
 * no longer than the cap.  And json_fix_surrogates() (what pm-fetch does
 * to an answer before reading it) on the same bytes: it keeps their
 * length, and leaves nothing for a second pass to fix.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "ndjson.h"
#include "out.h"

static struct ndjson nd;	/* its reader kept from input to input */
static size_t cap;
static int ready;

static int
one(struct rec *r, void *arg)
{
	(void)arg;
	if (r->len > cap || r->text[r->len] != 0 ||
	    r->root.type != JSON_OBJECT || r->line == 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[] = { 64, 65, 100, 127, 1000, 4096, 1 << 16 };
	unsigned long lines = 0;
	const uint8_t *p;
	char *fix;

	if (size == 0)
		return 0;
	if (!ready) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		out_init();
		/* messages still formatted, written 64K at a time: not a
		 * write(2) per bad line */
		setvbuf(stderr, NULL, _IOFBF, 1 << 16);
		ready = 1;
	}
	cap = caps[data[0] % (sizeof caps / sizeof *caps)];
	data++, size--;
	/* memchr: a loop of compares here would cost more than the reader */
	for (p = data; (p = memchr(p, '\n', size - (size_t)(p - data)));
	    p++)
		lines++;
	if (size > 0 && data[size - 1] != '\n')
		lines++;
	nd.records = nd.bad = nd.blank = 0;
	nd.stage = "fuzz";
	nd.max_line = cap;
	nd.fn = one;
	if (ndjson_run_mem(&nd, "fuzz", (const char *)data, size) != 0)
		abort();
	if (nd.records + nd.bad + nd.blank != lines)
		abort();
	out_flush();
	if ((fix = malloc(size + 1)) == NULL)
		abort();
	memcpy(fix, data, size);
	fix[size] = '"';	/* past the end: must not be read */
	json_fix_surrogates(fix, size);
	if (json_fix_surrogates(fix, size) != 0 || fix[size] != '"')
		abort();
	free(fix);
	return 0;
}
