/* db.c - URLs, redaction and the dispatch to the engines (see db.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db_impl.h"
#include "msg.h"
#include "timefmt.h"

#define WAIT_MS_DEFAULT 10000
#define QUERY_MS_DEFAULT 300000

/* One line: libpq's messages end in a newline and go on over several
 * lines ("\n\tIs the server running locally..."), and the message lands
 * in a single diagnostic line and a failure record's detail. */
void
db_seterr(struct db *db, const char *fmt, ...)
{
	va_list ap;
	char *r, *w;

	va_start(ap, fmt);
	vsnprintf(db->err, sizeof db->err, fmt, ap);
	va_end(ap);
	for (r = w = db->err; *r; r++) {
		if (*r == '\n') {
			while (w > db->err && (w[-1] == ' ' || w[-1] == '\t'))
				w--;
			while (r[1] == ' ' || r[1] == '\t' || r[1] == '\n')
				r++;
			*w++ = ' ';
		} else
			*w++ = *r;
	}
	while (w > db->err && (w[-1] == ' ' || w[-1] == '\t'))
		w--;
	*w = 0;
}

/* Seconds from 0 to 86400 in environment variable name, in ms; else
 * (unset, empty, or not such a number: said) def. */
static long
env_ms(const char *name, long def)
{
	const char *s = getenv(name);
	char *e;
	double v;

	if (s == NULL || *s == 0)
		return def;
	errno = 0;
	v = strtod(s, &e);
	if (errno == 0 && *e == 0 && e != s && v >= 0 && v <= 86400)
		return (long)(v * 1000);
	msg("%s: not a number of seconds from 0 to 86400: %s", name, s);
	return def;
}

/* How long to wait for a database that is locked by another writer or
 * whose server went away, before giving up on it. */
long
db_wait_ms(void)
{
	return env_ms("PM_DB_TIMEOUT", WAIT_MS_DEFAULT);
}

/* How long a ClickHouse query may work before its answer begins. */
long
db_query_ms(void)
{
	return env_ms("PM_DB_QUERY_TIMEOUT", QUERY_MS_DEFAULT);
}

static const struct db_ops *
engine_of(const char *url, int flags, struct db_url *u, char *err, size_t n)
{
	static const struct db_ops *const engines[] = { &db_sqlite_ops,
	    &db_pg_ops, &db_ch_ops };
	size_t i;

	if (db_url_parse(url, flags, u, err, n) == 0)
		for (i = 0; i < sizeof engines / sizeof *engines; i++)
			if (engines[i]->engine == u->engine &&
			    (u->engine != DB_CLICKHOUSE ||
			    (flags & DB_READONLY)))
				return engines[i];
	/* ClickHouse is written by lib/store_ch.c alone, in blocks: read
	 * only here (lib/db_ch.c) */
	if (err[0] == 0 && u->engine == DB_CLICKHOUSE)
		snprintf(err, n, "ClickHouse holds pm-store's market data "
		    "only (pm-store(1)): use the PostgreSQL or SQLite store "
		    "here");
	return NULL;
}

int
db_exists(const char *url)
{
	const struct db_ops *ops;
	struct db_url u;
	char err[256];

	if ((ops = engine_of(url, DB_MEMORY, &u, err, sizeof err)) == NULL)
		return 0;
	return ops->exists == NULL || ops->exists(u.target);
}

struct db *
db_open(const char *url, int flags, char *err, size_t errlen)
{
	const struct db_ops *ops;
	struct db_url u;
	struct db *db;

	if ((ops = engine_of(url, flags, &u, err, errlen)) == NULL)
		return NULL;
	if ((db = calloc(1, ops->size)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	db->ops = ops;
	db->flags = flags;
	db->wait_ms = db_wait_ms();
	if (ops->open(db, u.target, flags) == -1) {
		snprintf(err, errlen, "%s", db->err);
		db_close(db);
		return NULL;
	}
	return db;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	db->ops->close(db);
	free(db);
}

int db_engine(const struct db *db) { return db->ops->engine; }

int
db_alive(const struct db *db)
{
	return !db->down && (db->ops->alive == NULL || db->ops->alive(db));
}
const char *db_errmsg(const struct db *db) { return db->err; }
unsigned db_generation(const struct db *db) { return db->gen; }

int
db_exec(struct db *db, const char *sql)
{
	return db->ops->exec(db, sql);
}

int
db_session(struct db *db, const char *sql)
{
	return db->ops->session ? db->ops->session(db, sql) : db_exec(db, sql);
}

int
db_begin(struct db *db)
{
	return db->ops->tx(db, DBTX_BEGIN);
}

int
db_commit(struct db *db)
{
	return db->ops->tx(db, DBTX_COMMIT);
}

int
db_commit_send(struct db *db)
{
	return db->ops->commit_send ? db->ops->commit_send(db) :
	    db_commit(db);
}

int
db_committed(struct db *db)
{
	return db->ops->committed ? db->ops->committed(db) : DB_DONE;
}

int
db_rollback(struct db *db)
{
	char keep[sizeof db->err];
	int down = db->down, rc;

	/* The error that made us roll back is the one worth reporting, and
	 * a rollback that works says nothing about the database's health. */
	memcpy(keep, db->err, sizeof keep);
	rc = db->ops->tx(db, DBTX_ROLLBACK);
	memcpy(db->err, keep, sizeof keep);
	db->down = down;
	return rc == DB_BUSY ? DB_ERR : rc;
}

struct db_stmt *
db_prepare(struct db *db, const char *sql)
{
	return db->ops->prepare(db, sql);
}

void
db_stream(struct db_stmt *st)
{
	if (st)
		st->stream = 1;
}

void
db_finalize(struct db_stmt *st)
{
	if (st)
		st->db->ops->finalize(st);
}

int
db_bind_text(struct db_stmt *st, int i, const char *s, size_t n)
{
	if (s == NULL)
		return db_bind_null(st, i);
	return st->db->ops->bind(st, i, DBV_TEXT, s, n, 0, 0);
}

int
db_bind_blob(struct db_stmt *st, int i, const void *s, size_t n)
{
	if (s == NULL)
		return db_bind_null(st, i);
	return st->db->ops->bind(st, i, DBV_BLOB, s, n, 0, 0);
}

int
db_bind_str(struct db_stmt *st, int i, const char *s)
{
	return db_bind_text(st, i, s, s ? strlen(s) : 0);
}

int
db_bind_null(struct db_stmt *st, int i)
{
	return st->db->ops->bind(st, i, DBV_NULL, NULL, 0, 0, 0);
}

int
db_bind_int(struct db_stmt *st, int i, int64_t v)
{
	return st->db->ops->bind(st, i, DBV_INT, NULL, 0, v, 0);
}

int
db_bind_double(struct db_stmt *st, int i, double v)
{
	return st->db->ops->bind(st, i, DBV_DOUBLE, NULL, 0, 0, v);
}

int db_step(struct db_stmt *st) { return st->db->ops->step(st); }
void db_reset(struct db_stmt *st) { st->db->ops->reset(st); }
int db_col_null(struct db_stmt *st, int i) { return st->db->ops->col_null(st, i); }
int64_t db_col_int(struct db_stmt *st, int i) { return st->db->ops->col_int(st, i); }
int db_changes(struct db_stmt *st) { return st->db->ops->changes(st); }
int
db_inserted(struct db_stmt *st)
{
	return st->db->ops->inserted ? st->db->ops->inserted(st) : -1;
}

double
db_col_double(struct db_stmt *st, int i)
{
	const char *p;

	if (st->db->ops->col_double)
		return st->db->ops->col_double(st, i);
	/* PostgreSQL's float8 text is the shortest that reads back exact */
	p = db_col_text(st, i, NULL);
	return p ? strtod(p, NULL) : 0;
}

const char *
db_col_text(struct db_stmt *st, int i, size_t *n)
{
	return st->db->ops->col_text(st, i, n);
}

int
db_copy_begin(struct db *db, const char *sql)
{
	if (db->ops->copy_begin == NULL) {
		db_seterr(db, "COPY needs PostgreSQL");
		return DB_ERR;
	}
	return db->ops->copy_begin(db, sql);
}

int db_copy_end(struct db *db) { return db->ops->copy_end(db); }

int
db_copy_put(struct db *db, const char *p, size_t n)
{
	return db->ops->copy_put(db, p, n);
}

/* COPY text format: backslash, tab, newline and carriage return escaped. */
int
db_copy_field(struct buf *b, const char *s, size_t n, int last)
{
	size_t i, run = 0;
	char e[2] = { '\\', 0 };

	if (s == NULL) {
		if (buf_add(b, "\\N", 2) == -1)
			return -1;
	} else {
		for (i = 0; i < n; i++) {
			switch (s[i]) {
			case '\\': e[1] = '\\'; break;
			case '\t': e[1] = 't'; break;
			case '\n': e[1] = 'n'; break;
			case '\r': e[1] = 'r'; break;
			default: continue;
			}
			if (buf_add(b, s + run, i - run) == -1 ||
			    buf_add(b, e, 2) == -1)
				return -1;
			run = i + 1;
		}
		if (buf_add(b, s + run, n - run) == -1)
			return -1;
	}
	return buf_addc(b, last ? '\n' : '\t');
}

static const char hexd[] = "0123456789abcdef";

void
db_hex_bytea(char *out, const void *p, size_t n)
{
	const unsigned char *u = p;
	size_t i;

	*out++ = '\\';
	*out++ = 'x';
	for (i = 0; i < n; i++) {
		*out++ = hexd[u[i] >> 4];
		*out++ = hexd[u[i] & 15];
	}
	*out = 0;
}

int
db_copy_blob(struct buf *b, const void *p, size_t n, int last)
{
	const unsigned char *u = p;
	char *o;
	size_t i;

	if (p == NULL)
		return db_copy_field(b, NULL, 0, last);
	if (buf_reserve(b, 2 * n + 4) == -1)
		return -1;
	o = b->data + b->len;
	*o++ = '\\';
	*o++ = '\\';
	*o++ = 'x';
	for (i = 0; i < n; i++) {
		*o++ = hexd[u[i] >> 4];
		*o++ = hexd[u[i] & 15];
	}
	*o++ = last ? '\n' : '\t';
	b->len = (size_t)(o - b->data);
	b->data[b->len] = 0;
	return 0;
}

static int
unhex(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

const char *
db_col_blob(struct db_stmt *st, int i, size_t *n, struct buf *scratch)
{
	const char *p = db_col_text(st, i, n);
	size_t k;
	int hi, lo;

	if (p == NULL || db_engine(st->db) != DB_PG)
		return p;
	if (*n < 2 || p[0] != '\\' || p[1] != 'x')
		return p;	/* not bytea's hex form: text as it is */
	buf_reset(scratch);
	if (buf_reserve(scratch, *n / 2 + 1) == -1)
		return NULL;
	for (k = 2; k + 1 < *n; k += 2) {
		if ((hi = unhex(p[k])) < 0 || (lo = unhex(p[k + 1])) < 0)
			return NULL;
		scratch->data[scratch->len++] = (char)(hi << 4 | lo);
	}
	scratch->data[scratch->len] = 0;
	*n = scratch->len;
	return scratch->data;
}

void
db_backoff(int attempt)
{
	static unsigned seed;
	long ms = 10L << (attempt < 8 ? attempt : 8);

	if (seed == 0)
		seed = (unsigned)getpid() ^ (unsigned)time(NULL);
	if (ms > 2000)
		ms = 2000;
	ms = ms / 2 + rand_r(&seed) % (ms / 2 + 1);
	ts_sleep_ms(ms);
}

/* PostgreSQL's binary array: ndim, has-nulls, element type, then the one
 * dimension's length and lower bound, all big-endian; the header is
 * filled in by db_bind_array(), once the length is known. */
#define ARR_HDR 20

static void
put32(char *p, uint32_t v)
{
	p[0] = (char)(v >> 24);
	p[1] = (char)(v >> 16);
	p[2] = (char)(v >> 8);
	p[3] = (char)v;
}

void
db_array_init(struct db_array *a)
{
	memset(a, 0, sizeof *a);
	buf_init(&a->b, 0);
}

void
db_array_reset(struct db_array *a, unsigned type)
{
	buf_reset(&a->b);
	a->n = 0;
	a->nulls = 0;
	a->type = type;
}

void
db_array_release(struct db_array *a)
{
	buf_release(&a->b);
	a->n = 0;
}

static int
arr_elem(struct db_array *a, const void *p, size_t n)
{
	char len[4];

	if (n > 0x3fffffff)
		return -1;
	if (a->b.len == 0 && buf_reserve(&a->b, ARR_HDR + 64) == 0) {
		a->b.len = ARR_HDR;
		a->b.data[ARR_HDR] = 0;
	}
	if (a->b.len < ARR_HDR)
		return -1;
	put32(len, p ? (uint32_t)n : 0xffffffffU);
	if (buf_add(&a->b, len, 4) == -1 || (p && buf_add(&a->b, p, n) == -1))
		return -1;
	if (p == NULL)
		a->nulls = 1;
	a->n++;
	return 0;
}

int
db_array_add(struct db_array *a, const void *p, size_t n)
{
	return arr_elem(a, p, n);
}

int
db_array_int(struct db_array *a, int64_t v)
{
	char b[8];

	put32(b, (uint32_t)((uint64_t)v >> 32));
	put32(b + 4, (uint32_t)v);
	return arr_elem(a, b, 8);
}

int
db_array_double(struct db_array *a, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof u);
	return db_array_int(a, (int64_t)u);
}

int
db_bind_array(struct db_stmt *st, int i, struct db_array *a)
{
	if (a->n == 0) {	/* no dimension at all */
		if (buf_reserve(&a->b, ARR_HDR) == -1)
			return -1;
		put32(a->b.data, 0);
		put32(a->b.data + 4, 0);
		put32(a->b.data + 8, a->type);
		return st->db->ops->bind(st, i, DBV_ARRAY, a->b.data, 12, 0, 0);
	}
	put32(a->b.data, 1);
	put32(a->b.data + 4, (uint32_t)a->nulls);
	put32(a->b.data + 8, a->type);
	put32(a->b.data + 12, (uint32_t)a->n);
	put32(a->b.data + 16, 1);
	return st->db->ops->bind(st, i, DBV_ARRAY, a->b.data, a->b.len, 0, 0);
}

int
db_send(struct db_stmt *st, db_row_fn row, void *arg)
{
	if (st->db->ops->send == NULL) {
		db_seterr(st->db, "pipelined statements need PostgreSQL");
		return DB_ERR;
	}
	return st->db->ops->send(st, row, arg);
}

int
db_poll(struct db *db)
{
	return db->ops->poll ? db->ops->poll(db) : DB_DONE;
}

int
db_wait(struct db *db)
{
	return db->ops->wait ? db->ops->wait(db) : DB_DONE;
}
