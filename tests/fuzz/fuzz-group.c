/*
 * fuzz-group.c - libFuzzer target: pm-group's grouper (lib/group.c).
 * The input is an NDJSON stream read by lib/ndjson.c from memory; market
 * and event records go to the grouper as pm-group gives them, then every
 * group is built.  Group lines are checked to be JSON objects, the one
 * thing every consumer downstream counts on.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "group.h"
#include "json.h"
#include "ndjson.h"
#include "out.h"

#define MAX_LINE (1 << 16)

static struct ndjson nd;	/* its reader kept from input to input */
static json_parser *jp;

static int
one(struct rec *r, void *arg)
{
	struct grouper *g = arg;
	const char *err;

	if (rec_is(r, "market"))
		(void)grouper_add_market(g, r, &err);
	else if (rec_is(r, "event"))
		(void)grouper_add_event(g, r, &err);
	return 0;
}

static int
on_group(void *arg, const char *key, struct buf *line)
{
	json_val v;
	const char *err;

	(void)arg;
	if (key == NULL || *key == 0)
		abort();
	/* a group line is a JSON object: parse it as pm-experiment would */
	if (json_parse(jp, line->data, line->len, 0, &v, &err) == -1 ||
	    v.type != JSON_OBJECT)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct grouper *g;

	if (jp == NULL) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		out_init();
		/* messages still formatted, written 64K at a time: not a
		 * write(2) per bad line */
		setvbuf(stderr, NULL, _IOFBF, 1 << 16);
		jp = json_parser_new(1 << 24);
	}
	if ((g = grouper_new()) == NULL)
		abort();
	nd.records = nd.bad = nd.blank = 0;
	nd.stage = "fuzz";
	nd.max_line = MAX_LINE;
	nd.fn = one;
	nd.arg = g;
	ndjson_run_mem(&nd, "fuzz", (const char *)data, size);
	(void)grouper_finish(g, on_group, NULL);
	grouper_free(g);
	out_flush();
	return 0;
}
