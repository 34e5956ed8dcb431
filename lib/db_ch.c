/*
 * db_ch.c - ClickHouse behind db.h, for reading only (see db_impl.h).
 *
 * pm-store writes ClickHouse through lib/store_ch.c, in blocks; this
 * engine lets the readers written once in SQL (pm-summary --status)
 * read it too.  db_open() gives it only with DB_READONLY, and it runs
 * nothing but SELECT: no tool starts writing ClickHouse this way.
 *
 * A statement keeps its SQL; its first step puts the bound values in
 * for ?N as literals (ch_quote: no value is ever SQL), runs it with
 * FORMAT TabSeparatedWithNamesAndTypes (ch_query) and reads the whole
 * answer, at most ANSWER_MAX bytes: the answers read here are counts and
 * short lists.  The columns are its fields, unescaped in place; \N is
 * NULL.  The two header lines prove it a table: an answer garbled on its
 * way (a proxy's page in a 200) is an error, not a row or none.
 *
 * Ownership: a struct ch_db owns its struct ch; a struct ch_stmt owns
 * its SQL, copies of its bound values and the answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch.h"
#include "db_impl.h"
#include "http.h"

#define MAX_PARAMS	16
#define ANSWER_MAX	(64u << 20)

struct ch_db {
	struct db	 db;
	struct ch	*c;
};

struct field {
	const char	*p;	/* NULL: \N */
	size_t		 n;
};

struct ch_stmt {
	struct db_stmt	 st;
	char		*sql;
	struct buf	 vals[MAX_PARAMS];	/* each value as a literal */
	struct buf	 ans;
	struct field	*f;	/* nrows * ncol */
	size_t		 ncol, nrows, row;
	int		 ran;	/* the answer is read; row: the next one */
};

static int
ch_db_open(struct db *d, const char *target, int flags)
{
	struct ch_db *h = (struct ch_db *)d;
	struct ch_opts o = { d->wait_ms, 0, 0, db_query_ms() };
	char base[4096], shown[600], err[1024], tlserr[256];
	const char *q = strchr(target, '?');
	size_t n = q ? (size_t)(q - target) : strlen(target), sl;

	if (!(flags & DB_READONLY)) {
		db_seterr(d, "ClickHouse is read here only");
		return -1;
	}
	/* a cluster's URL: read through its first shard, whose Distributed
	 * tables have every shard's rows */
	if (ch_url_check(target, err, sizeof err) == -1) {
		db_seterr(d, "%s", err);
		return -1;
	}
	memcpy(base, target, n);
	base[n] = 0;
	if (strncmp(base, "clickhouses://", 14) == 0 &&
	    http_tls_init(NULL, tlserr, sizeof tlserr) == -1) {
		db_seterr(d, "%s", tlserr);
		return -1;
	}
	ch_redact(base, shown, sizeof shown);
	h->c = ch_open(base, &o, err, sizeof err);
	memset(base, 0, sizeof base);	/* the password */
	if (h->c == NULL) {
		/* the caller names the server: not twice */
		sl = strlen(shown);
		db_seterr(d, "%s", strncmp(err, shown, sl) == 0 &&
		    strncmp(err + sl, ": ", 2) == 0 ? err + sl + 2 : err);
		d->down = 1;
		return -1;
	}
	return 0;
}

static int
ch_db_alive(const struct db *d)
{
	const struct ch_db *h = (const struct ch_db *)d;

	return h->c != NULL && ch_alive(h->c);
}

static void
ch_db_close(struct db *d)
{
	ch_close(((struct ch_db *)d)->c);
}

static int
refuse(struct db *d)
{
	db_seterr(d, "ClickHouse is read here only");
	return DB_ERR;
}

static int
ch_db_exec(struct db *d, const char *sql)
{
	(void)sql;
	return refuse(d);
}

static int
ch_db_tx(struct db *d, int what)
{
	return what == DBTX_ROLLBACK ? DB_DONE : refuse(d);
}

static void
clear(struct ch_stmt *s)
{
	free(s->f);
	s->f = NULL;
	s->ncol = s->nrows = s->row = 0;
	s->ran = 0;
	buf_release(&s->ans);
}

static struct db_stmt *
ch_db_prepare(struct db *d, const char *sql)
{
	struct ch_stmt *s;
	size_t i;

	if (strncmp(sql + strspn(sql, " \t\n"), "SELECT", 6) != 0) {
		refuse(d);
		return NULL;
	}
	if ((s = calloc(1, sizeof *s)) == NULL ||
	    (s->sql = strdup(sql)) == NULL) {
		free(s);
		db_seterr(d, "out of memory");
		return NULL;
	}
	s->st.db = d;
	for (i = 0; i < MAX_PARAMS; i++)
		buf_init(&s->vals[i], 0);
	buf_init(&s->ans, ANSWER_MAX);
	return &s->st;
}

static void
ch_db_finalize(struct db_stmt *st)
{
	struct ch_stmt *s = (struct ch_stmt *)st;
	size_t i;

	clear(s);
	for (i = 0; i < MAX_PARAMS; i++)
		buf_release(&s->vals[i]);
	free(s->sql);
	free(s);
}

static int
ch_db_bind(struct db_stmt *st, int i, int type, const char *p, size_t n,
    int64_t iv, double dv)
{
	struct ch_stmt *s = (struct ch_stmt *)st;
	struct buf *b, t;
	int r;

	if (i < 1 || i > MAX_PARAMS) {
		db_seterr(st->db, "parameter ?%d: at most %d", i, MAX_PARAMS);
		return -1;
	}
	b = &s->vals[i - 1];
	buf_reset(b);
	switch (type) {
	case DBV_NULL:
		return buf_adds(b, "NULL");
	case DBV_INT:
		return buf_printf(b, "%lld", (long long)iv);
	case DBV_DOUBLE:
		return buf_printf(b, "%.17g", dv);
	case DBV_TEXT:
	case DBV_BLOB:
		if (memchr(p, 0, n) != NULL) {
			db_seterr(st->db, "parameter ?%d: a NUL byte", i);
			return -1;
		}
		buf_init(&t, 0);
		r = buf_add(&t, p, n) == -1 || buf_addc(&t, 0) == -1 ? -1 :
		    ch_quote(b, t.data);
		buf_release(&t);
		return r;
	}
	db_seterr(st->db, "parameter ?%d: not a value ClickHouse is given "
	    "here", i);
	return -1;
}

/* The SQL with each ?N as its value's literal, outside quotes. */
static int
expand(struct ch_stmt *s, struct buf *out)
{
	const char *p = s->sql;
	char q = 0;
	long k;
	char *e;

	for (; *p; p++) {
		if (q) {
			if (*p == '\\' && p[1])
				buf_addc(out, *p++);
			else if (*p == q)
				q = 0;
		} else if (*p == '\'' || *p == '`' || *p == '"')
			q = *p;
		else if (*p == '?' && p[1] >= '1' && p[1] <= '9') {
			k = strtol(p + 1, &e, 10);
			if (k > MAX_PARAMS || s->vals[k - 1].len == 0) {
				db_seterr(s->st.db, "parameter ?%ld: not bound",
				    k);
				return -1;
			}
			if (buf_add(out, s->vals[k - 1].data,
			    s->vals[k - 1].len) == -1)
				return -1;
			p = e - 1;
			continue;
		}
		if (buf_addc(out, *p) == -1)
			return -1;
	}
	return buf_adds(out, " FORMAT TabSeparatedWithNamesAndTypes");
}

/* A TabSeparated field unescaped in place: its length. */
static size_t
unescape(char *p, size_t n)
{
	size_t r, w = 0;

	for (r = 0; r < n; r++) {
		if (p[r] != '\\' || r + 1 == n) {
			p[w++] = p[r];
			continue;
		}
		switch (p[++r]) {
		case 'b': p[w++] = '\b'; break;
		case 'f': p[w++] = '\f'; break;
		case 'n': p[w++] = '\n'; break;
		case 'r': p[w++] = '\r'; break;
		case 't': p[w++] = '\t'; break;
		case '0': p[w++] = 0; break;
		default: p[w++] = p[r]; break;	/* \\ \' \" */
		}
	}
	return w;
}

/* The answer into rows of fields: every line as many as the names (its
 * first), the types (its second) each a type's name. */
static int
split(struct ch_stmt *s)
{
	char *p = s->ans.data, *end = p + s->ans.len, *e, *t;
	size_t lines = 0, cols = 1, i, k = 0;
	struct field *f;

	if (s->ans.len == 0 || end[-1] != '\n')
		goto garbled;
	for (e = p; e < end; e++)
		lines += *e == '\n';
	for (e = p; *e != '\n'; e++)
		cols += *e == '\t';
	if (lines < 2)
		goto garbled;
	/* the types: as many, each a name such as UInt64 or Nullable(...) */
	for (p = e + 1, i = 0; *p != '\n'; p = t + (*t == '\t'), i++) {
		for (t = p; *t != '\t' && *t != '\n'; t++)
			;
		if (*p < 'A' || *p > 'Z')
			goto garbled;
	}
	if (i != cols)
		goto garbled;
	p++;
	lines -= 2;
	if (lines == 0)
		goto done;
	if (lines > (size_t)-1 / sizeof *f / cols ||
	    (s->f = calloc(lines * cols, sizeof *f)) == NULL) {
		db_seterr(s->st.db, "out of memory");
		return -1;
	}
	for (; p < end; p = e + 1) {
		e = memchr(p, '\n', (size_t)(end - p));
		for (i = 0; i < cols; i++, p = t + 1) {
			t = i + 1 < cols ? memchr(p, '\t', (size_t)(e - p)) : e;
			if (t == NULL || (i + 1 == cols && memchr(p, '\t',
			    (size_t)(e - p))))
				goto garbled;
			f = &s->f[k++];
			if (t - p == 2 && p[0] == '\\' && p[1] == 'N')
				continue;	/* NULL */
			f->n = unescape(p, (size_t)(t - p));
			p[f->n] = 0;
			f->p = p;
		}
	}
done:
	s->ncol = cols;
	s->nrows = lines;
	return 0;
garbled:
	db_seterr(s->st.db, "an answer that is no TabSeparated table (cut "
	    "on its way?)");
	return -1;
}

static int
ch_db_step(struct db_stmt *st)
{
	struct ch_stmt *s = (struct ch_stmt *)st;
	struct ch_db *h = (struct ch_db *)st->db;
	struct buf sql;
	int r;

	if (!s->ran) {
		buf_init(&sql, 0);
		st->db->err[0] = 0;
		r = expand(s, &sql);
		if (r == 0 && ch_query(h->c, sql.data, &s->ans) == -1) {
			db_seterr(st->db, "%s", ch_reason(h->c));
			st->db->down = !ch_alive(h->c);
			r = -1;
		} else if (r == 0)
			r = split(s);
		else if (st->db->err[0] == 0)
			db_seterr(st->db, "out of memory");
		buf_release(&sql);
		if (r == -1) {
			clear(s);
			return DB_ERR;
		}
		s->ran = 1;
		st->db->down = 0;
	} else
		s->row++;
	return s->row < s->nrows ? DB_ROW : DB_DONE;
}

static void
ch_db_reset(struct db_stmt *st)
{
	clear((struct ch_stmt *)st);
}

static const struct field *
field(struct db_stmt *st, int i)
{
	struct ch_stmt *s = (struct ch_stmt *)st;

	if (!s->ran || s->row >= s->nrows || i < 0 || (size_t)i >= s->ncol)
		return NULL;
	return &s->f[s->row * s->ncol + (size_t)i];
}

static int
ch_db_col_null(struct db_stmt *st, int i)
{
	const struct field *f = field(st, i);

	return f == NULL || f->p == NULL;
}

static const char *
ch_db_col_text(struct db_stmt *st, int i, size_t *n)
{
	const struct field *f = field(st, i);

	if (n)
		*n = f && f->p ? f->n : 0;
	return f ? f->p : NULL;
}

static int64_t
ch_db_col_int(struct db_stmt *st, int i)
{
	const struct field *f = field(st, i);

	return f && f->p ? (int64_t)strtoll(f->p, NULL, 10) : 0;
}

static int
ch_db_changes(struct db_stmt *st)
{
	(void)st;
	return 0;
}

const struct db_ops db_ch_ops = {
	.engine = DB_CLICKHOUSE, .size = sizeof(struct ch_db),
	.open = ch_db_open, .alive = ch_db_alive, .exec = ch_db_exec,
	.tx = ch_db_tx, .prepare = ch_db_prepare, .finalize = ch_db_finalize,
	.bind = ch_db_bind, .step = ch_db_step, .reset = ch_db_reset,
	.col_null = ch_db_col_null, .col_text = ch_db_col_text,
	.col_int = ch_db_col_int, .changes = ch_db_changes,
	.close = ch_db_close,
};
