/* export.c - markets, events, prices and results as NDJSON, CSV or TSV
 * (see export.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "export.h"
#include "jqf.h"
#include "jw.h"
#include "msg.h"
#include "out.h"
#include "schema.h"

/* A column: its name and how its text is written: s string, n number,
 * b flag (0/1), j JSON text (nested values); in capitals (S) a member of
 * the NDJSON records (and of what --where reads) that is no CSV or TSV
 * column, so that their columns stay as they were. */
struct col {
	const char	*name;
	char		 type;
};

struct table {
	const char		*what;		/* --export KIND */
	const char		*kind;		/* NDJSON "kind", or NULL */
	const char		*record_sql;	/* NDJSON: the stored record */
	const char		*sql;		/* ?1 run_id, ?2 all */
	const struct col	*cols;
	const char		*sql2;		/* of a database below */
	int			 below;		/* this schema, or NULL, 0 */
	const char		*sql_pg;	/* sql, sql2 on PostgreSQL, */
	const char		*sql2_pg;	/* when not the same */
	int			 nkey;		/* rows: the leading columns
						 * naming their record (at
						 * most MAXKEY), one row each
						 * when 0 */
};

#define MAXKEY	2

/* ?2 is bound everywhere; where "all" means nothing, it is read only so. */
#define NOALL "CAST(?2 AS BIGINT) IS NOT NULL"
#define RUN(t) "(CAST(?1 AS TEXT) IS NULL OR " t "run_id = ?1)"
#define ACTIVE(t) "(?2 = 1 OR (" t "active = 1 AND (" t "closed IS NULL OR " \
	t "closed = 0)))"

static const struct col market_cols[] = {
	{ "source", 's' }, { "market_id", 's' }, { "condition_id", 's' },
	{ "event_id", 's' }, { "event_slug", 's' }, { "slug", 's' },
	{ "question", 's' }, { "close_time", 's' }, { "active", 'b' },
	{ "closed", 'b' }, { "resolution_status", 's' }, { "volume", 'n' },
	{ "liquidity", 'n' }, { "outcome_index", 'n' }, { "outcome", 's' },
	{ "token_id", 's' }, { "price", 'n' }, { "tags", 'j' }, { NULL, 0 }
};
static const struct col event_cols[] = {
	{ "source", 's' }, { "event_id", 's' }, { "slug", 's' },
	{ "title", 's' }, { "start_time", 's' }, { "end_time", 's' },
	{ "active", 'b' }, { "closed", 'b' }, { "volume", 'n' },
	{ "liquidity", 'n' }, { "tags", 'j' }, { "market_ids", 'j' },
	{ NULL, 0 }
};
static const struct col price_cols[] = {
	{ "token_id", 's' }, { "market_id", 's' }, { "outcome", 's' },
	{ "side", 's' }, { "ts", 's' }, { "price", 'n' }, { "fetched_at", 'S' },
	{ NULL, 0 }
};
static const struct col result_cols[] = {
	{ "event_key", 's' }, { "experiment_id", 's' }, { "suite", 's' },
	{ "stage", 's' }, { "variant", 's' }, { "type", 's' },
	{ "status", 's' }, { "fingerprint", 's' }, { "run_id", 's' },
	{ "started_at", 's' }, { "finished_at", 's' }, { "latency_ms", 'n' },
	{ "error", 's' }, { "probabilities", 'j' }, { "output", 'j' },
	{ NULL, 0 }
};

#define RESULTS(fingerprint, order) "SELECT event_key, experiment_id, " \
	"suite, stage, variant, type, status, " fingerprint ", run_id, " \
	"started_at, finished_at, latency_ms, error, probabilities, output " \
	"FROM experiment_results WHERE " NOALL " AND " RUN("") " ORDER BY " \
	order
#define PRICES(fetched) "SELECT token_id, market_id, outcome, side, ts, " \
	"price, " fetched " FROM price_history WHERE " NOALL " AND " RUN("") \
	" ORDER BY token_id, side, ts"
#define RESULT_ORDER(c) "event_key" c ", experiment_id" c ", fingerprint" \
	c ", markets" c

static const struct table tables[] = {
	{ "market", NULL,
	  "SELECT record FROM markets WHERE " ACTIVE("") " AND " RUN("")
	  " ORDER BY source, market_id",
	  "SELECT m.source, m.market_id, m.condition_id, m.event_id, "
	  "m.event_slug, m.slug, m.question, m.close_time, m.active, m.closed, "
	  "m.resolution_status, m.volume, m.liquidity, c.outcome_index, "
	  "c.outcome, c.token_id, c.price, m.tags FROM markets m LEFT JOIN "
	  "contracts c ON c.source = m.source AND c.market_id = m.market_id "
	  "WHERE " ACTIVE("m.") " AND " RUN("m.") " ORDER BY m.source, "
	  "m.market_id, c.outcome_index", market_cols, NULL, 0, NULL,
	  NULL, 2 },
	{ "event", NULL,
	  "SELECT record FROM events WHERE " NOALL " AND " RUN("")
	  " ORDER BY source, event_id",
	  "SELECT source, event_id, slug, title, start_time, end_time, active, "
	  "closed, volume, liquidity, tags, market_ids FROM events WHERE "
	  NOALL " AND " RUN("") " ORDER BY source, event_id", event_cols,
	  NULL, 0, NULL, NULL, 0 },
	/* price records as pm-store reads them, with the fetch time that
	 * decides which of two values of a point is kept (a database
	 * before schema 13 has none) */
	{ "price", "price", NULL, PRICES("fetched_at"), price_cols,
	  PRICES("NULL AS fetched_at"), 13, NULL, NULL, 0 },
	{ "result", "result", NULL, RESULTS("fingerprint", RESULT_ORDER("")),
	  result_cols,
	  /* a database before fingerprints (schema 3), read as it is:
	   * its results have none, as the upgrade gives them '' */
	  RESULTS("''", "event_key, experiment_id"), 3,
	  /* PostgreSQL: its keys as bytes, as SQLite orders them, not by
	   * the database's locale (its keys are not COLLATE "C") */
	  RESULTS("fingerprint", RESULT_ORDER(" COLLATE \"C\"")),
	  RESULTS("''", "event_key COLLATE \"C\", experiment_id COLLATE "
	  "\"C\""), 0 },
};
#define NTABLES (sizeof tables / sizeof tables[0])

/* A column of the CSV and TSV rows too (not an NDJSON member only). */
#define TEXTCOL(c) ((c)->type >= 'a' && (c)->type <= 'z')

int
export_format(const char *name)
{
	if (strcmp(name, "ndjson") == 0)
		return EXPORT_NDJSON;
	if (strcmp(name, "csv") == 0)
		return EXPORT_CSV;
	if (strcmp(name, "tsv") == 0)
		return EXPORT_TSV;
	return -1;
}

static const struct table *
find(const char *what)
{
	size_t i;

	for (i = 0; i < NTABLES; i++)
		if (strcmp(tables[i].what, what) == 0)
			return &tables[i];
	return NULL;
}

int
export_known(const char *what)
{
	return find(what) != NULL;
}

/* Nested values were written by pm-store as JSON; anything else (a
 * hand-edited row) goes out as a string, so the line stays JSON. */
static int
looks_json(const char *p, size_t n)
{
	return n > 0 && (p[0] == '{' || p[0] == '[' || (n == 4 &&
	    memcmp(p, "null", 4) == 0));
}

/* A double as the fewest of 15, 16 or 17 digits that read back as it,
 * the same text from every engine: 0.30000000000000004 is not 0.3, and
 * what 15 digits hold is written as before.  -0 is 0, as SQLite and
 * ClickHouse give it back (PostgreSQL's float8 keeps the sign). */
static void
exact(double d, char *out, size_t outlen)
{
	int prec;

	if (d == 0)
		d = 0;
	for (prec = 15; prec < 17; prec++) {
		snprintf(out, outlen, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			return;
	}
	snprintf(out, outlen, "%.17g", d);
}

/* The number whose text is p..p+n into *d (inf when out of range); -1
 * when the text is none. */
static int
num_text(const char *p, size_t n, double *d)
{
	char tmp[64], *end;

	if (n == 0 || n >= sizeof tmp)
		return -1;
	memcpy(tmp, p, n);
	tmp[n] = 0;
	*d = strtod(tmp, &end);
	return *end == 0 ? 0 : -1;
}

/* A number's text as exact() writes it; NULL when the text is no finite
 * number. */
static const char *
num(const char *p, size_t n, char *out, size_t outlen)
{
	double d;

	if (num_text(p, n, &d) == -1 || !isfinite(d))
		return NULL;
	exact(d, out, outlen);
	return out;
}

static void
json_cell(struct buf *b, const struct col *c, const char *p, size_t n)
{
	jw_key(b, c->name);
	if (p == NULL)
		jw_null(b);
	else if (c->type == 'b')
		jw_bool(b, !(n == 1 && p[0] == '0') && !(n == 5 &&
		    memcmp(p, "false", 5) == 0) && !(n == 1 && p[0] == 'f'));
	else if (c->type == 'n') {
		char t[64];

		if (num(p, n, t, sizeof t) && json_is_number(t, strlen(t)))
			jw_raw(b, t, strlen(t));
		else
			jw_null(b);	/* NaN, Infinity: not JSON numbers */
	} else if (c->type == 'j' && looks_json(p, n))
		jw_raw(b, p, n);
	else
		jw_str(b, p, n);
}

static void
text_cell(struct buf *b, int format, const struct col *c, const char *p,
    size_t n)
{
	char t[64];
	size_t i;
	int quote = 0;

	if (p == NULL)
		return;
	if (c->type == 'n') {
		if (num(p, n, t, sizeof t))
			buf_adds(b, t);
		return;
	}
	if (c->type == 'b') {
		buf_adds(b, (n == 1 && p[0] == '0') || (n == 1 && p[0] == 'f') ?
		    "false" : "true");
		return;
	}
	if (format == EXPORT_TSV) {
		for (i = 0; i < n; i++)
			switch (p[i]) {
			case '\t': buf_adds(b, "\\t"); break;
			case '\n': buf_adds(b, "\\n"); break;
			case '\r': buf_adds(b, "\\r"); break;
			case '\\': buf_adds(b, "\\\\"); break;
			default: buf_add(b, p + i, 1);
			}
		return;
	}
	for (i = 0; i < n && !quote; i++)
		quote = p[i] == ',' || p[i] == '"' || p[i] == '\n' ||
		    p[i] == '\r';
	if (!quote && n > 0) {
		buf_add(b, p, n);
		return;
	}
	/* an empty string is "", null nothing, as PostgreSQL's \copy
	 * (FORMAT csv) and DuckDB read them */
	buf_adds(b, "\"");
	for (i = 0; i < n; i++) {
		if (p[i] == '"')
			buf_adds(b, "\"");
		buf_add(b, p + i, 1);
	}
	buf_adds(b, "\"");
}

static void
header(const struct table *t, int format)
{
	struct buf b;
	const struct col *c;

	buf_init(&b, 0);
	for (c = t->cols; c->name && TEXTCOL(c); c++) {
		if (c != t->cols)
			buf_adds(&b, format == EXPORT_TSV ? "\t" : ",");
		buf_adds(&b, c->name);
	}
	out_text_line(b.data, b.len);
	buf_release(&b);
}

/* One row: its JSON object into js (for --where and NDJSON), its CSV or
 * TSV line into line. */
static void
row(const struct table *t, struct db_stmt *st, int format, struct buf *js,
    struct buf *line)
{
	const struct col *c;
	const char *p;
	char t_num[64];
	double d;
	size_t n;
	int i;

	jw_open(js, '{');
	if (t->kind) {
		jw_key(js, "kind");
		jw_strz(js, t->kind);
	}
	for (c = t->cols, i = 0; c->name; c++, i++) {
		p = db_col_text(st, i, &n);
		/* SQLite's text of a double has 15 digits: the double itself
		 * (those digits of one near DBL_MAX read as inf) */
		if (c->type == 'n' && p && num_text(p, n, &d) == 0) {
			exact(db_col_double(st, i), t_num, sizeof t_num);
			p = t_num;
			n = strlen(t_num);
		}
		json_cell(js, c, p, n);
		if (format == EXPORT_NDJSON || !TEXTCOL(c))
			continue;
		if (i > 0)
			buf_adds(line, format == EXPORT_TSV ? "\t" : ",");
		text_cell(line, format, c, p, n);
	}
	jw_close(js, '}');
}

/* Whether a row whose key columns are p[0..t->nkey) (lengths n) starts
 * another record than the row before, whose key is kept in last: a
 * market's rows, one per outcome, are one record for --limit.  The key
 * is written after the last one, compared, then moved in its place: no
 * allocation a row once last has grown. */
static int
next_record(const struct table *t, const char *const *p, const size_t *n,
    struct buf *last)
{
	size_t old = last->len;
	int i, next;

	if (t->nkey == 0)
		return 1;
	for (i = 0; i < t->nkey; i++) {
		buf_add(last, &n[i], sizeof n[i]);	/* none is the prefix
							 * of another */
		if (p[i])
			buf_add(last, p[i], n[i]);
	}
	next = last->len - old != old ||
	    memcmp(last->data, last->data + old, old) != 0;
	memmove(last->data, last->data + old, last->len - old);
	last->len -= old;
	return next;
}

int
export_rows(struct db *db, const char *what, int format, int all,
    struct jqf *where, const char *run_id, unsigned long limit,
    unsigned long *count)
{
	const struct table *t = find(what);
	int records = format == EXPORT_NDJSON && t && t->record_sql;
	struct db_stmt *st;
	struct buf js, line, last;
	const char *p, *kp[MAXKEY];
	size_t n, kn[MAXKEY];
	int rc, v, pg, i;

	if (t == NULL)
		return -1;
	if ((v = t->sql2 ? schema_version(db) : 0) == -1) {
		msg("--export %s: schema version: %s", what, db_errmsg(db));
		return -1;
	}
	pg = db_engine(db) == DB_PG;
	st = db_prepare(db, records ? t->record_sql : v > 0 && v < t->below ?
	    (pg && t->sql2_pg ? t->sql2_pg : t->sql2) :
	    (pg && t->sql_pg ? t->sql_pg : t->sql));
	if (st == NULL || db_bind_str(st, 1, run_id) == -1 ||
	    db_bind_int(st, 2, all ? 1 : 0) == -1) {
		msg("--export %s: %s", what, db_errmsg(db));
		db_finalize(st);
		return -1;
	}
	db_stream(st);	/* a row at a time */
	buf_init(&js, 0);
	buf_init(&line, 0);
	buf_init(&last, 0);
	if (format != EXPORT_NDJSON)
		header(t, format);
	while ((rc = db_step(st)) == DB_ROW && out_failed() == OUT_OK) {
		buf_reset(&js);
		buf_reset(&line);
		if (records) {
			if ((p = db_col_text(st, 0, &n)) != NULL)
				buf_add(&js, p, n);
		} else
			row(t, st, format, &js, &line);
		if (where && !jqf_where(where, js.data, js.len))
			continue;
		for (i = 0; !records && i < t->nkey; i++)
			kp[i] = db_col_text(st, i, &kn[i]);
		if (records || next_record(t, kp, kn, &last)) {
			if (limit && *count >= limit)
				break;		/* rc DB_ROW: reset below */
			(*count)++;
		}
		if (format == EXPORT_NDJSON)
			out_line(js.data, js.len);
		else
			out_text_line(line.data, line.len);
	}
	if (rc == DB_ROW) {
		db_reset(st);
		rc = DB_DONE;
	}
	if (rc != DB_DONE)
		msg("--export %s: %s", what, db_errmsg(db));
	db_finalize(st);
	buf_release(&js);
	buf_release(&line);
	buf_release(&last);
	return rc == DB_DONE ? 0 : -1;
}

/* The same rows for a store read without struct db (ClickHouse,
 * lib/store_ch.c): the caller's query gives the columns of what in
 * order, as texts. */
int
export_header(const char *what, int format)
{
	const struct table *t = find(what);

	if (t == NULL)
		return -1;
	if (format != EXPORT_NDJSON)
		header(t, format);
	return 0;
}

int
export_cells(const char *what, int format, struct jqf *where,
    const char *const *p, const size_t *n, size_t ncells,
    unsigned long limit, struct buf *last, unsigned long *count)
{
	const struct table *t = find(what);
	const struct col *c;
	struct buf js, line;
	size_t ncols = 0;
	int i;

	if (t == NULL)
		return -1;
	for (c = t->cols; c->name; c++)
		ncols++;
	if (ncells != ncols)
		return -2;
	buf_init(&js, 0);
	buf_init(&line, 0);
	jw_open(&js, '{');
	if (t->kind) {
		jw_key(&js, "kind");
		jw_strz(&js, t->kind);
	}
	for (c = t->cols, i = 0; c->name; c++, i++) {
		json_cell(&js, c, p[i], p[i] ? n[i] : 0);
		if (format == EXPORT_NDJSON || !TEXTCOL(c))
			continue;
		if (i > 0)
			buf_adds(&line, format == EXPORT_TSV ? "\t" : ",");
		text_cell(&line, format, c, p[i], p[i] ? n[i] : 0);
	}
	jw_close(&js, '}');
	i = where == NULL || jqf_where(where, js.data, js.len) ? 0 : -1;
	if (i == 0 && next_record(t, p, n, last)) {
		if (limit && *count >= limit)
			i = 1;		/* the limit: not written */
		else
			(*count)++;
	}
	if (i == 0 && format == EXPORT_NDJSON)
		out_line(js.data, js.len);
	else if (i == 0)
		out_text_line(line.data, line.len);
	buf_release(&js);
	buf_release(&line);
	return i == 1;
}
