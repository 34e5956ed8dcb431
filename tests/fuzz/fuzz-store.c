/*
 * fuzz-store.c - libFuzzer target: pm-store (lib/store*.c) on a real
 * SQLite database in memory, schema migrated as pm-store does.  The input
 * is an NDJSON stream read by lib/ndjson.c from memory; every record goes
 * through store_record() (checks, batches, upserts, groups, runs) and
 * every bad line through store_badline(), then store_finish().  Records
 * and annotations go to /dev/null.  The database is made again every
 * RENEW inputs so it never grows without bound.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "db.h"
#include "ndjson.h"
#include "out.h"
#include "schema.h"
#include "store.h"

#define MAX_LINE (1 << 16)
#define RENEW 4096

static struct db *db;
static unsigned long inputs;

static void
renew(void)
{
	char err[600];

	db_close(db);
	if ((db = db_open(":memory:", 0, err, sizeof err)) == NULL ||
	    schema_migrate(db, 0, err, sizeof err) == -1) {
		fprintf(stderr, "fuzz-store: %s\n", err);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ndjson nd = { 0 };
	struct store *s;

	if (db == NULL) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		out_init();
	}
	if (inputs++ % RENEW == 0)
		renew();
	if ((s = store_new(db, "fuzz", MAX_LINE)) == NULL)
		abort();
	nd.stage = "store";
	nd.max_line = MAX_LINE;
	nd.fn = store_record;
	nd.on_bad = store_badline;
	nd.arg = s;
	ndjson_run_mem(&nd, "fuzz", (const char *)data, size);
	(void)store_finish(s);
	store_free(s);
	out_flush();
	return 0;
}
