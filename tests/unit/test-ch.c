/*
 * test-ch.c - unit tests for lib/ch.c and lib/schema_ch.c.
 *
 *	test-ch				what needs no server: URLs, redaction,
 *					number checks, quoting, the DDL text,
 *					a server down at the start
 *	test-ch server URL		a fresh 18.16 server: the schema, blocks,
 *					re-inserts, bad rows, credentials
 *	test-ch down URL PIDFILE	the server stopped, then killed (PIDFILE:
 *					its pid); PM_DB_TIMEOUT a few seconds
 *	test-ch cluster NAME URL URL	two servers, one shard each of NAME
 *	test-ch tls URL CAFILE		clickhouses:// to a server whose
 *					certificate CAFILE signed
 *
 * The server modes are run by tests/t0480-ch-client.sh, which starts the
 * servers (tests/ch.sh).  Prints one line per failed check and "unit: N
 * checks, N failed"; exit 1 on failure.
 */
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "ch.h"
#include "http.h"
#include "schema.h"
#include "schema_ch.h"
#include "timefmt.h"

static int checks, failed;

#define CHECK(c) do { checks++; if (!(c)) { failed++; \
	printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); } } while (0)
#define CHECKMSG(c, m) do { checks++; if (!(c)) { failed++; \
	printf("FAIL %s:%d: %s: %s\n", __FILE__, __LINE__, #c, m); } } while (0)

static const char *const int_keys[] = { "active", "outcome_index", NULL };

/* Bad rows the block reported: their ids, and the last reason. */
struct bad {
	uint64_t ids[16];
	size_t	 n;
	char	 reason[512];
};

static void
on_bad(void *arg, uint64_t id, const char *row, size_t n, const char *why)
{
	struct bad *b = arg;

	(void)row;
	(void)n;
	if (b->n < 16)
		b->ids[b->n] = id;
	b->n++;
	snprintf(b->reason, sizeof b->reason, "%s", why);
}

static void
url(const char *in, int want, const char *user, const char *pw,
    const char *host, int port, const char *db)
{
	struct ch_url u;
	char err[256];
	int r = ch_url_parse(in, &u, err, sizeof err);

	checks++;
	if (want != r || (r == 0 && (strcmp(u.user, user) ||
	    strcmp(u.password, pw) || strcmp(u.host, host) || u.port != port ||
	    strcmp(u.database, db)))) {
		failed++;
		printf("FAIL ch_url_parse(\"%s\"): %d %s\n", in, r,
		    r ? err : u.host);
	}
}

/* a URL refused with a reason holding part */
static void
url_err(const char *in, const char *part)
{
	struct ch_url u;
	char err[256] = "";

	checks++;
	if (ch_url_parse(in, &u, err, sizeof err) != -1 ||
	    strstr(err, part) == NULL) {
		failed++;
		printf("FAIL ch_url_parse(\"%.40s...\"): \"%s\"\n", in, err);
	}
}

static void
redact(const char *in, const char *want)
{
	char out[512];

	ch_redact(in, out, sizeof out);
	CHECKMSG(strcmp(out, want) == 0, out);
}

static void
rowcheck(const char *row, int want, const char *why_part)
{
	char why[256] = "";
	int r = ch_row_check(row, strlen(row), int_keys, why, sizeof why);

	checks++;
	if (r != want || (why_part && strstr(why, why_part) == NULL)) {
		failed++;
		printf("FAIL ch_row_check(%s): %d \"%s\"\n", row, r, why);
	}
}

static void
offline(void)
{
	struct ch_opts o = { 1000, 0, 0, 0 };
	struct buf b;
	struct ch *c;
	char err[512];

	url("clickhouse://h/db", 0, "", "", "h", 8123, "db");
	url("clickhouses://h", 0, "", "", "h", 8443, "default");
	url("clickhouse://u:p%40ss@127.0.0.1:9/x_1", 0, "u", "p@ss", "127.0.0.1",
	    9, "x_1");
	url("clickhouse://u@[::1]:8124/", 0, "u", "", "::1", 8124, "default");
	url("clickhouse://u:@h:1/d", 0, "u", "", "h", 1, "d");
	url("clickhouse://h:0/d", -1, 0, 0, 0, 0, 0);
	url("clickhouse://h:99999/d", -1, 0, 0, 0, 0, 0);
	url("clickhouse://h:12x/d", -1, 0, 0, 0, 0, 0);
	url("clickhouse:///d", -1, 0, 0, 0, 0, 0);
	url("clickhouse://h/d?x=1", -1, 0, 0, 0, 0, 0);
	url("clickhouse://u:%zz@h/d", -1, 0, 0, 0, 0, 0);
	url("clickhouse://u:a%0D%0AX-Evil:%201@h/d", -1, 0, 0, 0, 0, 0);
	url("postgresql://h/d", -1, 0, 0, 0, 0, 0);
	/* too long is said as such, not as a bad escape */
	{
		char in[700], pw[256], db[128];

		snprintf(in, sizeof in, "clickhouse://%0128d@h/d", 0);
		url_err(in, "user name or password too long");
		snprintf(in, sizeof in, "clickhouse://u:%0256d@h/d", 0);
		url_err(in, "user name or password too long");
		snprintf(in, sizeof in, "clickhouse://h/%0128d", 0);
		url_err(in, "database name too long (at most 127 bytes)");
		snprintf(in, sizeof in, "clickhouse://u:%%zz@h/%0127d", 0);
		url_err(in, "bad user name or password");
		snprintf(pw, sizeof pw, "%0255d", 0);
		snprintf(db, sizeof db, "%0127d", 0);
		snprintf(in, sizeof in, "clickhouse://u:%s@h/%s", pw, db);
		url(in, 0, "u", pw, "h", 8123, db);
	}
	CHECK(ch_url_is("clickhouses://x") && !ch_url_is("clickhousex://x"));

	redact("clickhouse://u:secret@h:1/db", "clickhouse://u@h:1/db");
	redact("clickhouses://u:se%40cret@h/db", "clickhouses://u@h:8443/db");
	redact("clickhouse://h", "clickhouse://h:8123/default");
	redact("clickhouse://u:secret@h:bad/db", "clickhouse://<unparsable>");

	rowcheck("{\"a\":1,\"b\":-2.5e10,\"c\":[1,2e300],\"d\":\"1e400\"}", 0, 0);
	rowcheck("{\"volume\":1e400}", -1, "volume: number out of range: 1e400");
	rowcheck("{\"x\":[1,-1e999]}", -1, "number out of range");
	rowcheck("{\"active\":1.5}", -1, "active: not an integer");
	rowcheck("{\"active\":99999999999999999999}", -1,
	    "active: integer out of range");
	rowcheck("{\"active\":-9223372036854775808,\"volume\":"
	    "99999999999999999999}", 0, 0);
	rowcheck("{\"s\":\"a\\\"b\",\"active\" : 1e3}", -1, "not an integer");
	rowcheck("{\"n\":{\"active\":1.5}}", 0, 0);
	/* strings skipped whole: a backslash before their closing quote,
	 * quotes and numbers inside them */
	rowcheck("{\"s\":\"a\\\\\",\"volume\":1e400}", -1,
	    "volume: number out of range");
	rowcheck("{\"s\":\"x\\\\\\\"1e400\\\"\",\"active\":2}", 0, 0);
	rowcheck("{\"active\":-12,\"volume\":123456789012345678901234}", 0,
	    0);
	rowcheck("{\"active\":-123456789012345678901}", -1,
	    "integer out of range");

	buf_init(&b, 0);
	CHECK(ch_quote(&b, "it's a \\") == 0 && strcmp(b.data,
	    "'it\\'s a \\\\'") == 0);
	buf_reset(&b);
	CHECK(ch_ident(&b, "a`b") == 0 && strcmp(b.data, "`a\\`b`") == 0);
	buf_reset(&b);
	CHECK(schema_ch_text(NULL, &b) == 0 &&
	    strstr(b.data, "CREATE TABLE IF NOT EXISTS markets (") &&
	    strstr(b.data, "ORDER BY (source, event_id)") &&
	    strstr(b.data, "ReplacingMergeTree(row_version)") &&
	    !strstr(b.data, "Distributed") && !strstr(b.data, "CODEC") &&
	    !strstr(b.data, "DateTime64") && !strstr(b.data, "ON CLUSTER"));
	buf_reset(&b);
	CHECK(schema_ch_text("two", &b) == 0 &&
	    strstr(b.data, "CREATE TABLE IF NOT EXISTS markets_local (") &&
	    strstr(b.data, "CREATE TABLE IF NOT EXISTS markets AS markets_local "
	    "ENGINE = Distributed('two', currentDatabase(), 'markets_local', "
	    "cityHash64(source, market_id))"));
	buf_release(&b);

	/* Nothing listens on port 1: an error at once, no wait, no password. */
	c = ch_open("clickhouse://u:s3cret@127.0.0.1:1/db", &o, err, sizeof err);
	CHECKMSG(c == NULL && strstr(err, "clickhouse://u@127.0.0.1:1/db: ") &&
	    !strstr(err, "s3cret") && !strstr(err, "PM_DB_TIMEOUT"), err);
	ch_close(c);
}

static long
num(struct ch *c, const char *sql)
{
	struct buf a;
	long v = -1;

	buf_init(&a, 1 << 16);
	if (ch_query(c, sql, &a) == 0 && a.len > 0)
		v = strtol(a.data, NULL, 10);
	else
		printf("query failed: %s: %s\n", sql, ch_errmsg(c));
	buf_release(&a);
	return v;
}

/* A market row; version v, a bad one of kind bad (0: good). */
static size_t
market(char *out, size_t n, long i, long v, int bad)
{
	return (size_t)snprintf(out, n, "{\"source\":\"polymarket\","
	    "\"market_id\":\"m%ld\",\"question\":\"q %ld?\",\"active\":%s,"
	    "\"volume\":%s,\"record\":\"{}\",\"record_sha256\":\"h%ld\"%s"
	    "\"first_seen_at\":\"2026-01-02T03:04:05.678Z\",\"stored_at\":"
	    "\"2026-01-02T03:04:05.678Z\",\"row_version\":%ld,\"unknown\":1}",
	    i, i, bad == 1 ? "\"yes\"" : "1", bad == 2 ? "\"lots\"" : "12.5", i,
	    bad == 3 ? " " : ",", v);
}

static int
insert(struct ch *c, const char *table, long from, long to, long v,
    const long *bad_at, struct bad *bad, int sync)
{
	struct ch_block_opts bo = { 0 };
	struct ch_block *b;
	char row[1024];
	long i;
	int k = 0, r = 0;

	bo.max_rows = 20000;
	bo.int_keys = int_keys;
	bo.bad = on_bad;
	bo.arg = bad;
	bo.distributed_sync = sync;
	b = ch_block_new(c, table, &bo);
	for (i = from; i < to && r == 0; i++) {
		/* the k-th bad row is bad in the k-th way */
		for (k = 0; bad_at && bad_at[k] >= 0 && bad_at[k] != i; k++)
			;
		r = ch_block_add(b, row, market(row, sizeof row, i, v,
		    bad_at && bad_at[k] == i ? k + 1 : 0), (uint64_t)i);
	}
	if (r == 0)
		r = ch_block_flush(b);
	ch_block_free(b);
	return r;
}

static struct ch *
open_or_fail(const char *u, long wait_ms, long timeout_ms)
{
	struct ch_opts o = { wait_ms, timeout_ms, 0, 0 };
	char err[512];
	struct ch *c = ch_open(u, &o, err, sizeof err);

	CHECKMSG(c != NULL, err);
	return c;
}

static void
credentials(const char *base)
{
	const char *hp = strstr(base, "://") + 3;
	struct ch_opts o = { 1000, 0, 0, 0 };
	char u[512], err[512];
	struct ch *c;

	/* The server sees the password (it refuses it), messages do not. */
	snprintf(u, sizeof u, "clickhouse://default:s3cret@%s", hp);
	c = ch_open(u, &o, err, sizeof err);
	CHECKMSG(c == NULL && strstr(err, "Code: 193") &&
	    strstr(err, "clickhouse://default@") && !strstr(err, "s3cret") &&
	    !strchr(err, '\n') && !strstr(err, "e.what()"), err);
	ch_close(c);
	snprintf(u, sizeof u, "clickhouse://default:@%s", hp);
	c = ch_open(u, &o, err, sizeof err);
	CHECKMSG(c != NULL, err);
	ch_close(c);
}

/* Each table has the columns it has on the other engines (SQLite's, from
 * lib/schema.c), less their surrogate ids, plus row_version: rows are
 * written by the same names. */
static void
same_columns(struct ch *c)
{
	static const char *const tables[] = { "raw_responses", "markets",
	    "contracts", "events", "tags", "price_history", "processing_runs",
	    "processing_failures", "trades", "books", NULL };
	const char *const *t;
	struct buf sql, ch;
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	const char *lite;
	size_t n;

	buf_init(&sql, 0);
	buf_init(&ch, 0);
	CHECK(schema_text(DB_SQLITE, &sql) == 0 &&
	    sqlite3_open(":memory:", &db) == SQLITE_OK &&
	    sqlite3_exec(db, sql.data, NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT group_concat(name, ',') FROM "
	    "(SELECT name FROM pragma_table_info(?1) WHERE name <> 'id' "
	    /* raw_responses' encoding: ClickHouse compresses by itself;
	     * the contracts' quotes: the contract_quotes view there
	     * (pm-store(1), ClickHouse) */
	    "AND name <> 'encoding' AND NOT (?1 = 'contracts' AND name IN "
	    "('best_bid', 'best_ask', 'midpoint', 'quoted_at', "
	    "'quote_fetched_at')) "
	    "ORDER BY name)", -1, &st, NULL) == SQLITE_OK);
	for (t = tables; st && *t; t++) {
		buf_reset(&sql);
		buf_reset(&ch);
		buf_printf(&sql, "SELECT arrayStringConcat(arraySort(groupArray("
		    "name)), ',') FROM system.columns WHERE database = "
		    "currentDatabase() AND table = '%s' AND name <> "
		    "'row_version'", *t);
		sqlite3_bind_text(st, 1, *t, -1, SQLITE_STATIC);
		lite = sqlite3_step(st) == SQLITE_ROW ?
		    (const char *)sqlite3_column_text(st, 0) : NULL;
		CHECK(ch_query(c, sql.data, &ch) == 0);
		for (n = ch.len; n > 0 && ch.data[n - 1] == '\n'; n--)
			ch.data[n - 1] = 0;
		CHECKMSG(lite && ch.data && strcmp(lite, ch.data) == 0, *t);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	buf_release(&sql);
	buf_release(&ch);
}

/*
 * Sends in flight: a block that fills sends its rows and goes on
 * gathering; everything it was given is stored once waited for.  A send
 * queued behind a failed one fails unsent, with the first cause, its rows
 * held; sent again, they are stored.
 */
static void
pipelined(struct ch *c)
{
	struct ch_block_opts bo = { 0 };
	struct ch_block *a, *x, *y;
	char row[1024];
	unsigned long req;
	long i;

	CHECK(ch_query(c, "CREATE TABLE m3 AS markets", NULL) == 0);
	bo.max_rows = 100;
	a = ch_block_new(c, "m3", &bo);
	for (i = 0; i < 250; i++)
		CHECK(ch_block_add(a, row, market(row, sizeof row, i, 1, 0),
		    (uint64_t)i) == 0);
	CHECK(ch_block_rows(a) >= 50 && ch_block_rows(a) <= 150);
	CHECK(ch_block_flush(a) == 0 && ch_block_rows(a) == 0);
	CHECK(ch_block_stats(a)->rows == 250 && ch_block_stats(a)->inserts == 3);
	CHECK(num(c, "SELECT count() FROM m3") == 250);
	ch_block_free(a);

	x = ch_block_new(c, "nosuch", &bo);
	y = ch_block_new(c, "m3", &bo);
	for (i = 0; i < 10; i++) {
		CHECK(ch_block_add(x, row, market(row, sizeof row, i, 2, 0),
		    0) == 0);
		CHECK(ch_block_add(y, row, market(row, sizeof row, 500 + i, 2,
		    0), 0) == 0);
	}
	req = ch_requests(c);
	CHECK(ch_block_send(x) == 0 && ch_block_send(y) == 0);
	CHECK(ch_block_wait(x) == -1 && ch_block_rows(x) == 10);
	CHECK(ch_block_wait(y) == -1 && ch_block_rows(y) == 10);
	CHECKMSG(strstr(ch_errmsg(c), "Code: 60") && ch_alive(c),
	    ch_errmsg(c));
	CHECK(ch_requests(c) - req == 1);
	CHECK(ch_block_flush(y) == 0 && ch_block_rows(y) == 0);
	CHECK(num(c, "SELECT count() FROM m3") == 260);
	ch_block_free(x);
	ch_block_free(y);
}

static void
server(const char *u)
{
	static const long bad_at[] = { 10, 500, 999, -1 };
	struct bad bad = { { 0 }, 0, "" };
	struct ch *c = open_or_fail(u, 5000, 0);
	struct buf b;
	char err[512];
	unsigned long req;
	long ins;

	if (c == NULL)
		return;
	credentials(u);
	CHECK(schema_ch_version(c) == 0);
	CHECKMSG(schema_ch_migrate(&c, 1, NULL, err, sizeof err) == 0, err);
	CHECK(schema_ch_version(c) == schema_ch_latest());
	CHECKMSG(schema_ch_migrate(&c, 1, NULL, err, sizeof err) == 0, err);
	CHECK(num(c, "SELECT count() FROM schema_migrations FINAL") ==
	    schema_ch_latest());
	/* 11 tables, and run_leases since schema 3 */
	CHECK(num(c, "SELECT count() FROM system.tables WHERE database = "
	    "currentDatabase() AND engine = 'ReplacingMergeTree'") == 12);
	same_columns(c);

	/* 10,000 rows, one request, one INSERT on the server. */
	ins = num(c, "SELECT value FROM system.events WHERE event = 'InsertQuery'");
	req = ch_requests(c);
	CHECK(insert(c, "markets", 0, 10000, 1, NULL, &bad, 0) == 0);
	CHECK(ch_requests(c) - req == 1);
	CHECK(num(c, "SELECT value FROM system.events WHERE "
	    "event = 'InsertQuery'") - ins == 1);
	CHECK(num(c, "SELECT count() FROM markets") == 10000);

	/* Again, a newer version: one row each under FINAL, the newer. */
	CHECK(insert(c, "markets", 0, 10000, 2, NULL, &bad, 0) == 0);
	CHECK(num(c, "SELECT count() FROM markets FINAL") == 10000);
	CHECK(num(c, "SELECT uniqExact(market_id) FROM markets FINAL "
	    "WHERE row_version = 2") == 10000);
	CHECK(bad.n == 0);

	/* 3 bad rows among 1,000: 997 stored, exactly those 3 reported. */
	CHECK(ch_query(c, "CREATE TABLE m2 AS markets", NULL) == 0);
	CHECK(insert(c, "m2", 0, 1000, 1, bad_at, &bad, 0) == 0);
	CHECK(bad.n == 3 && bad.ids[0] == 10 && bad.ids[1] == 500 &&
	    bad.ids[2] == 999);
	CHECKMSG(strstr(bad.reason, "Code: 27") != NULL, bad.reason);
	CHECK(num(c, "SELECT count() FROM m2") == 997);
	CHECK(num(c, "SELECT countIf(market_id IN ('m10', 'm500', 'm999')) "
	    "FROM m2") == 0);

	/* Checked before it goes in: 1e400 would be stored as null. */
	buf_init(&b, 0);
	bad.n = 0;
	{
		struct ch_block_opts bo = { 0 };
		struct ch_block *blk;
		static const char r1[] = "{\"source\":\"s\",\"market_id\":\"big\","
		    "\"volume\":1e400}";

		bo.bad = on_bad;
		bo.arg = &bad;
		blk = ch_block_new(c, "m2", &bo);
		req = ch_requests(c);
		CHECK(ch_block_add(blk, r1, sizeof r1 - 1, 7) == 0);
		CHECK(ch_block_rows(blk) == 0 && bad.n == 1 && bad.ids[0] == 7 &&
		    ch_requests(c) == req);
		CHECK(ch_block_flush(blk) == 0 && ch_requests(c) == req);
		ch_block_free(blk);
	}
	/* Not the data's fault: the block fails whole, no bisecting. */
	{
		struct ch_block_opts bo = { 0 };
		struct ch_block *blk = ch_block_new(c, "nosuch", &bo);
		char row[1024];
		long i;

		for (i = 0; i < 100; i++)
			CHECK(ch_block_add(blk, row, market(row, sizeof row, i, 1, 0),
			    0) == 0);
		req = ch_requests(c);
		CHECK(ch_block_flush(blk) == -1 && ch_requests(c) - req == 1);
		CHECKMSG(strstr(ch_errmsg(c), "Code: 60") && ch_alive(c),
		    ch_errmsg(c));
		CHECK(ch_block_rows(blk) == 100);
		ch_block_free(blk);
	}
	pipelined(c);
	CHECK(ch_query(c, "SELEC 1", &b) == -1 && b.len == 0);
	CHECKMSG(strstr(ch_errmsg(c), "Code: 62, e.displayText() = "
	    "DB::Exception: Syntax error") && !strchr(ch_errmsg(c), '\n'),
	    ch_errmsg(c));
	buf_release(&b);
	ch_close(c);
}

static long
read_pid(const char *file)
{
	FILE *f = fopen(file, "r");
	long pid = -1;

	if (f && fscanf(f, "%ld", &pid) != 1)
		pid = -1;
	if (f)
		fclose(f);
	return pid;
}

static long
env_wait_ms(void)
{
	const char *s = getenv("PM_DB_TIMEOUT");

	return s ? (long)(atof(s) * 1000) : 10000;
}

static void
down(const char *u, const char *pidfile)
{
	struct bad bad = { { 0 }, 0, "" };
	long pid = read_pid(pidfile), t0, wait = env_wait_ms();
	struct ch *c = open_or_fail(u, 10000, 500);
	unsigned long req;
	pid_t kid;

	CHECK(pid > 1);
	if (c == NULL || pid <= 1)
		return;
	CHECK(ch_query(c, "CREATE TABLE d (source String, market_id String, "
	    "row_version UInt64) ENGINE = ReplacingMergeTree(row_version) "
	    "ORDER BY (source, market_id)", NULL) == 0);
	/* Stopped for 1.5 s: requests time out, are tried again, succeed. */
	CHECK(kill((pid_t)pid, SIGSTOP) == 0);
	if ((kid = fork()) == 0) {
		usleep(1500000);
		kill((pid_t)pid, SIGCONT);
		_exit(0);
	}
	req = ch_requests(c);
	t0 = ts_mono_ms();
	CHECK(insert(c, "d", 0, 100, 1, NULL, &bad, 0) == 0);
	CHECK(ts_mono_ms() - t0 >= 1400 && ch_requests(c) - req > 1);
	waitpid(kid, NULL, 0);
	CHECK(num(c, "SELECT count() FROM d FINAL") == 100);
	ch_close(c);

	/* Killed: tried for PM_DB_TIMEOUT, then the cause; gone for good. */
	c = open_or_fail(u, wait, 0);
	if (c == NULL)
		return;
	CHECK(kill((pid_t)pid, SIGKILL) == 0);
	usleep(200000);
	t0 = ts_mono_ms();
	CHECK(insert(c, "d", 100, 200, 1, NULL, &bad, 0) == -1);
	CHECK(ts_mono_ms() - t0 >= wait && ts_mono_ms() - t0 < wait + 3000);
	CHECKMSG(strstr(ch_errmsg(c), "not reachable within") &&
	    strstr(ch_errmsg(c), "(PM_DB_TIMEOUT): ") &&
	    strstr(ch_errmsg(c), "onnect"), ch_errmsg(c));
	CHECK(!ch_alive(c));
	t0 = ts_mono_ms();
	CHECK(ch_query(c, "SELECT 1", NULL) == -1 && ts_mono_ms() - t0 < 100);
	CHECK(bad.n == 0);
	ch_close(c);
}

static void
cluster(const char *name, const char *u1, const char *u2)
{
	struct bad bad = { { 0 }, 0, "" };
	struct ch *c[2];
	char err[512];
	long a, b;

	c[0] = open_or_fail(u1, 5000, 0);
	c[1] = open_or_fail(u2, 5000, 0);
	if (c[0] == NULL || c[1] == NULL)
		goto out;
	CHECKMSG(schema_ch_migrate(c, 2, "nosuch", err, sizeof err) == -1 &&
	    strstr(err, "cluster nosuch has 0 shards"), err);
	CHECKMSG(schema_ch_migrate(c, 2, name, err, sizeof err) == 0, err);
	CHECKMSG(schema_ch_migrate(c, 2, name, err, sizeof err) == 0, err);
	CHECK(schema_ch_version(c[0]) == schema_ch_latest() &&
	    schema_ch_version(c[1]) == schema_ch_latest());
	/* Through the first server, then again through the second. */
	CHECK(insert(c[0], "markets", 0, 5000, 1, NULL, &bad, 1) == 0);
	CHECK(insert(c[1], "markets", 0, 5000, 2, NULL, &bad, 1) == 0);
	a = num(c[0], "SELECT count() FROM markets_local FINAL");
	b = num(c[1], "SELECT count() FROM markets_local FINAL");
	CHECKMSG(a > 1000 && b > 1000 && a + b == 5000, "shards unbalanced");
	CHECK(num(c[0], "SELECT count() FROM markets FINAL") == 5000);
	CHECK(num(c[1], "SELECT uniqExact(market_id) FROM markets FINAL") ==
	    5000);
	CHECK(num(c[1], "SELECT count() FROM markets FINAL WHERE "
	    "row_version = 2") == 5000);
out:
	ch_close(c[0]);
	ch_close(c[1]);
}

static void
tls(const char *u, const char *ca)
{
	struct ch_opts o = { 5000, 0, 0, 0 };
	struct ch *c;
	char err[512];
	long t0;

	/* libcurl's own CAs do not know the test's: refused, at once */
	CHECKMSG(http_tls_init(NULL, err, sizeof err) == 0, err);
	t0 = ts_mono_ms();
	c = ch_open(u, &o, err, sizeof err);
	CHECKMSG(c == NULL && strstr(err, ": certificate verification failed: ")
	    && ts_mono_ms() - t0 < 2000, err);
	ch_close(c);
	/* the CA of --cacert (or PM_CA_BUNDLE), as for pm-fetch */
	CHECKMSG(http_tls_init(ca, err, sizeof err) == 0, err);
	if ((c = open_or_fail(u, 5000, 0)) != NULL)
		CHECK(num(c, "SELECT 42") == 42);
	ch_close(c);
}

int
main(int argc, char **argv)
{
	if (argc == 1)
		offline();
	else if (argc == 3 && strcmp(argv[1], "server") == 0)
		server(argv[2]);
	else if (argc == 4 && strcmp(argv[1], "down") == 0)
		down(argv[2], argv[3]);
	else if (argc == 5 && strcmp(argv[1], "cluster") == 0)
		cluster(argv[2], argv[3], argv[4]);
	else if (argc == 4 && strcmp(argv[1], "tls") == 0)
		tls(argv[2], argv[3]);
	else {
		fprintf(stderr, "usage: test-ch [server URL | down URL PIDFILE | "
		    "cluster NAME URL URL | tls URL CAFILE]\n");
		return 2;
	}
	printf("unit: %d checks, %d failed\n", checks, failed);
	return failed ? 1 : 0;
}
