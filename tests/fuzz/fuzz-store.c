/*
 * fuzz-store.c - libFuzzer target: pm-store (lib/store*.c) on a real
 * SQLite database in memory, schema migrated as pm-store does.  The input
 * is an NDJSON stream read by lib/ndjson.c from memory; every record goes
 * through store_record() (checks, batches, upserts, groups, runs) and
 * every bad line through store_badline(), then store_finish().  Records
 * and annotations go to /dev/null.
 *
 * Each input meets the database as migration left it: the tables that
 * were empty then are emptied again after the input (a DELETE of a few
 * rows, prepared once), instead of a new database and schema each time.
 * So the database never grows and no row of an earlier input is there.
 *
 * One store serves RENEW inputs, each ended by store_finish() as one
 * pm-store run ends, instead of a store_new() per input: preparing its
 * statements costs more than storing a typical input.  What a store
 * keeps after store_finish() (counters, the last status) is small, and a
 * store that hit a fatal error is replaced at once.
 */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "db.h"
#include "ndjson.h"
#include "out.h"
#include "schema.h"
#include "store.h"

#define MAX_LINE (1 << 16)
#define MAX_TABLES 64
#define RENEW 256

static struct db *db;
static struct db_stmt *empty[MAX_TABLES], *probe[MAX_TABLES];
static size_t nempty;
static struct ndjson nd;
static struct store *s;
static unsigned long inputs;

static void
die(const char *what)
{
	fprintf(stderr, "fuzz-store: %s: %s\n", what, db ? db_errmsg(db) : "");
	abort();
}

/* 1 when the table probe[i] looks at has a row, 0 when it has none. */
static int
filled(size_t i)
{
	int rc = db_step(probe[i]);

	db_reset(probe[i]);
	if (rc != DB_ROW && rc != DB_DONE)
		die("probe");
	return rc == DB_ROW;
}

/*
 * SQLite for one thread, its pages in a buffer of our own and small
 * allocations from its lookaside: SQLite is not instrumented, and its
 * mallocs through ASan's allocator were a quarter of each execution.
 * Everything of ours still allocates through ASan.
 */
static void
sqlite_fast(void)
{
	static long long pc[(4096 + 512) * 1024 / 8];
	int hdr = 0;

	sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 1024, 2000);
	sqlite3_config(SQLITE_CONFIG_PCACHE_HDRSZ, &hdr);
	if (sqlite3_config(SQLITE_CONFIG_PAGECACHE, pc, 4096 + hdr,
	    (int)(sizeof pc / (size_t)(4096 + hdr))) != SQLITE_OK)
		abort();
}

static void
setup(void)
{
	struct db_stmt *st;
	struct buf sql;
	const char *t;
	char err[600];
	int rc;

	sqlite_fast();
	/* 4K pages, not the 16K pm-store gives a new file: an in-memory
	 * journal keeps a page as 1K chunks, each a malloc */
	if ((db = db_open(":memory:", DB_MEMORY, err, sizeof err)) == NULL ||
	    db_exec(db, "PRAGMA page_size=4096") != DB_DONE ||
	    schema_migrate(db, 0, err, sizeof err) == -1) {
		fprintf(stderr, "fuzz-store: %s\n", err);
		abort();
	}
	buf_init(&sql, 0);
	st = db_prepare(db, "SELECT name FROM sqlite_master WHERE type = "
	    "'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name");
	if (st == NULL)
		die("sqlite_master");
	while ((rc = db_step(st)) == DB_ROW) {
		t = db_col_text(st, 0, NULL);
		if (nempty == MAX_TABLES)
			die("too many tables");
		buf_reset(&sql);
		buf_printf(&sql, "SELECT 1 FROM \"%s\" LIMIT 1", t);
		if ((probe[nempty] = db_prepare(db, sql.data)) == NULL)
			die(sql.data);
		if (filled(nempty)) {	/* migration's rows stay */
			db_finalize(probe[nempty]);
			continue;
		}
		buf_reset(&sql);
		buf_printf(&sql, "DELETE FROM \"%s\"", t);
		if ((empty[nempty++] = db_prepare(db, sql.data)) == NULL)
			die(sql.data);
	}
	if (rc != DB_DONE)
		die("sqlite_master");
	db_finalize(st);
	buf_release(&sql);
}

/*
 * Back to the database migration left.  Only the tables an input wrote
 * to are emptied: a DELETE journals the table's root page even when the
 * table is empty, and that was most of the time of a short input.
 */
static void
empty_tables(void)
{
	size_t i;
	int open = 0;

	for (i = 0; i < nempty; i++) {
		if (!filled(i))
			continue;
		if (!open && db_begin(db) != DB_DONE)
			die("begin");
		open = 1;
		if (db_step(empty[i]) != DB_DONE)
			die("delete");
		db_reset(empty[i]);
	}
	if (open && db_commit(db) != DB_DONE)
		die("commit");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (db == NULL) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		out_init();
		/* messages still formatted, written 64K at a time: not a
		 * write(2) per bad line */
		setvbuf(stderr, NULL, _IOFBF, 1 << 16);
		setup();
	}
	if (s != NULL && (inputs % RENEW == 0 || store_fatal(s))) {
		store_free(s);
		s = NULL;
	}
	inputs++;
	if (s == NULL && (s = store_new(db, "fuzz", MAX_LINE)) == NULL)
		abort();
	nd.records = nd.bad = nd.blank = 0;
	nd.stage = "store";
	nd.max_line = MAX_LINE;
	nd.fn = store_record;
	nd.on_bad = store_badline;
	nd.arg = s;
	ndjson_run_mem(&nd, "fuzz", (const char *)data, size);
	(void)store_finish(s, 1);
	out_flush();
	empty_tables();
	return 0;
}
