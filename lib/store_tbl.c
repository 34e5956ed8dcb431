/*
 * store_tbl.c - the tables pm-store writes, as column specs, and the SQL
 * made from them once at start (never from data: every value is bound,
 * alone or in an array).  One spec gives the upsert and PostgreSQL's
 * bulk statement, so the two can never disagree about the columns.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_impl.h"
#include "jw.h"
#include "key.h"
#include "store_impl.h"
#include "workq.h"

/* The column lists of store_tbl.h made into specs, one array a table. */
#define SPEC_C(e, name, type, flags)	{ name, name, type, flags },
#define SPEC_N(e, json, name, type, flags) { json, name, type, flags },
#define SPEC_X(e, name, flags)		{ NULL, name, 0, (flags) | F_X },
#define COLS(id, name, cols, bulk) \
	static const struct col id##_cols[] = { \
	    cols(SPEC_C, SPEC_N, SPEC_X) }; \
	_Static_assert(id##_NCOLS <= MAXCOL, "MAXCOL too small");
STORE_TABLES(COLS)

#define TABLE(id, name, cols, bulk) \
	[id] = { name, id##_cols, id##_NCOLS, bulk },
const struct table store_tables[T_COUNT] = { STORE_TABLES(TABLE) };

#define IS(k, kl, lit) ((kl) == sizeof lit - 1 && memcmp(k, lit, (kl)) == 0)

/* Canonical JSON: values re-written by jw (shortest numbers, escapes
 * normalised), so the same content hashes the same whichever tool wrote
 * it; at the top level the store annotation itself is left out. */
int
canon_json(struct buf *b, const json_val *v, int top)
{
	if (!top || v->type != JSON_OBJECT)
		return jw_val(b, v);
	return canon_record(b, NULL, v);
}

/* The canonical record (canon_json(b, v, 1)) and, into content unless it
 * is NULL, the same text without the members that say where and when the
 * record was fetched, not what it says: the text whose hash decides
 * whether a market or event changed (fetched again with the same content,
 * it is unchanged).  Each member is written once and copied, not
 * serialised twice.  trades_since and history_since are left out like
 * the annotation: the watermarks --export market adds, not what the
 * market says. */
int
canon_record(struct buf *b, struct buf *content, const json_val *v)
{
	json_iter it;
	json_val e;
	const char *k;
	size_t kl, start;

	if (v->type != JSON_OBJECT)
		return -1;
	if (jw_open(b, '{') == -1 || (content && buf_addc(content, '{') == -1))
		return -1;
	json_iter_init(&it, v);
	while (json_iter_next(&it, &k, &kl, &e)) {
		if (IS(k, kl, "stored") || IS(k, kl, "trades_since") ||
		    IS(k, kl, "history_since"))
			continue;
		start = b->len;
		if (jw_str(b, k, kl) == -1 || buf_addc(b, ':') == -1 ||
		    jw_val(b, &e) == -1)
			return -1;
		if (!content || IS(k, kl, "fetched_at") ||
		    IS(k, kl, "raw_sha256"))
			continue;
		if (b->data[start] == ',')
			start++;
		if ((content->len > 1 && buf_addc(content, ',') == -1) ||
		    buf_add(content, b->data + start, b->len - start) == -1)
			return -1;
	}
	if (jw_close(b, '}') == -1)
		return -1;
	return content ? buf_addc(content, '}') : 0;
}

void
tbl_cols_list(struct buf *b, const struct table *t, int want,
    const char *pre)
{
	int i, first = 1;

	for (i = 0; i < t->ncols; i++) {
		if (want && !(t->cols[i].flags & want))
			continue;
		buf_printf(b, "%s%s%s", first ? "" : ", ", pre, t->cols[i].sql);
		first = 0;
	}
}

int
tbl_has(const struct table *t, int flag)
{
	int i;

	for (i = 0; i < t->ncols; i++)
		if (t->cols[i].flags & flag)
			return 1;
	return 0;
}

/* The value column i takes on conflict: excluded's, or for F_KEEP the
 * row's when excluded's is null. */
static void
excluded(struct buf *b, const struct table *t, int i)
{
	const char *c = t->cols[i].sql;

	if (t->cols[i].flags & F_KEEP)
		buf_printf(b, "COALESCE(excluded.%s, %s.%s)", c, t->name, c);
	else
		buf_printf(b, "excluded.%s", c);
}

static void
distinct(struct buf *b, const struct table *t, int engine)
{
	int i, first = 1;

	if (!tbl_has(t, F_CMP))
		return;
	buf_adds(b, engine == DB_PG ? " WHERE (" : " WHERE NOT (");
	for (i = 0; i < t->ncols; i++) {
		if (!(t->cols[i].flags & F_CMP))
			continue;
		if (engine == DB_PG)
			buf_printf(b, "%s%s.%s", first ? "" : ", ", t->name,
			    t->cols[i].sql);
		else {
			buf_printf(b, "%s%s.%s IS ", first ? "" : " AND ",
			    t->name, t->cols[i].sql);
			excluded(b, t, i);
		}
		first = 0;
	}
	if (engine == DB_PG) {
		buf_adds(b, ") IS DISTINCT FROM (");
		for (i = 0, first = 1; i < t->ncols; i++) {
			if (!(t->cols[i].flags & F_CMP))
				continue;
			buf_adds(b, first ? "" : ", ");
			excluded(b, t, i);
			first = 0;
		}
	}
	buf_adds(b, ")");
	/* an older observation (a dump replayed after a later run, two
	 * flows at once) leaves the row as it is; times compare as their
	 * text (pm-records(5): one RFC 3339 form); a record without one
	 * replaces only a row without one */
	for (i = 0; i < t->ncols; i++)
		if (t->cols[i].flags & F_NEWER)
			buf_printf(b, " AND (%s.%s IS NULL OR excluded.%s >= "
			    "%s.%s)", t->name, t->cols[i].sql, t->cols[i].sql,
			    t->name, t->cols[i].sql);
}

/* ON CONFLICT ... DO UPDATE SET ... WHERE <something compared moved>, or
 * DO NOTHING for tables whose rows never change once written. */
static void
conflict(struct buf *b, const struct table *t, int engine)
{
	int i, first = 1;

	if (!tbl_has(t, F_KEY)) {	/* a unique index decides, not a key */
		buf_adds(b, " ON CONFLICT DO NOTHING");
		return;
	}
	buf_adds(b, " ON CONFLICT (");
	tbl_cols_list(b, t, F_KEY, "");
	if (!tbl_has(t, F_CMP)) {
		buf_adds(b, ") DO NOTHING");
		return;
	}
	buf_adds(b, ") DO UPDATE SET ");
	for (i = 0; i < t->ncols; i++) {
		if (t->cols[i].flags & (F_KEY | F_NOUPD))
			continue;
		buf_printf(b, "%s%s = ", first ? "" : ", ", t->cols[i].sql);
		excluded(b, t, i);
		first = 0;
	}
	distinct(b, t, engine);
}


static void
put_sql(struct buf *b, const struct table *t, int engine)
{
	int i;

	buf_printf(b, "INSERT INTO %s (", t->name);
	tbl_cols_list(b, t, 0, "");
	buf_adds(b, ") VALUES (");
	for (i = 0; i < t->ncols; i++)
		buf_printf(b, "%s?%d", i ? ", " : "", i + 1);
	buf_adds(b, ")");
	conflict(b, t, engine);
	if (engine == DB_PG)
		buf_adds(b, tbl_has(t, F_CMP) ? " RETURNING (xmax = 0)" :
		    " RETURNING true");
}

int
tbl_prepare(struct store *s)
{
	const struct table *t;
	struct tstmt *ts;
	int e = db_engine(s->db), i;

	for (i = 0; i < T_COUNT; i++) {
		t = &store_tables[i];
		ts = &s->ts[i];
		buf_reset(&s->sql);
		put_sql(&s->sql, t, e);
		/* PM_SCHEMA_VERSION (pm-store: a database stopped at an
		 * older schema, to test upgrades): a table that schema has
		 * without this build's columns (price_history before 13) is
		 * left unprepared on SQLite, which prepares here, and a row
		 * of it stops the store (sqlite_put); PostgreSQL prepares at
		 * first use */
		if ((ts->put = db_prepare(s->db, s->sql.data)) == NULL &&
		    (e != DB_SQLITE || getenv("PM_SCHEMA_VERSION") == NULL))
			return -1;
	}
	if (e == DB_SQLITE && (s->xhaspay = db_prepare(s->db, "SELECT 1 "
	    "FROM raw_payloads WHERE sha256 = ?1")) == NULL)
		return -1;
	if ((s->xdictof = db_prepare(s->db, "SELECT dict_id, dict FROM "
	    "raw_dicts WHERE endpoint = ?1 ORDER BY stored_at DESC, dict_id "
	    "LIMIT 1")) == NULL)
		return -1;
	if ((s->xtrim = db_prepare(s->db, "DELETE FROM contracts WHERE "
	    "source = ?1 AND market_id = ?2 AND outcome_index >= ?3")) == NULL)
		return -1;
	if ((s->xgrew = db_prepare(s->db, "UPDATE processed_events SET "
	    "n_markets = n_markets + ?2 WHERE event_key = ?1")) == NULL)
		return -1;
	if (e == DB_PG && pgb_prepare(s) == -1)
		return -1;
	return 0;
}

static void payloads_stop(struct store *);

void
tbl_release(struct store *s)
{
	int i;

	for (i = 0; i < T_COUNT; i++) {
		db_finalize(s->ts[i].put);
		s->ts[i].put = NULL;
	}
	payloads_stop(s);
	db_finalize(s->xhaspay);
	db_finalize(s->xdictof);
	s->xdictof = NULL;
	db_finalize(s->xtrim);
	db_finalize(s->xgrew);
	s->xhaspay = s->xtrim = s->xgrew = NULL;
	pgb_free(s);
}

/* What every PostgreSQL transaction needs: set once per connection
 * (behind a transaction pooler, db_session() sends it with each BEGIN). */
int
tbl_pg_session(struct store *s)
{
	if (db_engine(s->db) != DB_PG || s->pg_ready == db_generation(s->db) + 1)
		return DB_DONE;
	/* Payloads and records are TOASTed; lz4 halves the server's time
	 * against the default pglz (make bench).  A server built without
	 * lz4 refuses the setting and keeps pglz: nothing else depends on
	 * it. */
	(void)db_session(s->db, "SET default_toast_compression = 'lz4'");
	s->pg_ready = db_generation(s->db) + 1;
	return DB_DONE;
}

/* Text columns cannot hold U+0000 on PostgreSQL: refused on every engine
 * alike (JSON columns keep it escaped). */
static int
nul_free(const struct col *c, const struct val *v, char *err, size_t errlen)
{
	if (memchr(v->s, 0, v->n) == NULL)
		return 0;
	snprintf(err, errlen, "%s holds U+0000", c->json);
	return -1;
}

static int
one_val(struct store *s, const struct col *c, const json_val *j,
    struct val *v, char *err, size_t errlen)
{
	struct buf *jb;
	const char *p;
	size_t n;
	int b;

	v->t = V_NULL;
	if (j->type == JSON_ABSENT || j->type == JSON_NULL) {
		if (!(c->flags & (F_KEY | F_REQ)))
			return 0;
		snprintf(err, errlen, "%s missing", c->json);
		return -1;
	}
	switch (c->type) {
	case C_ID:	/* identifiers are strings, always: pm-records(5) */
	case C_STR:
		if ((p = json_str(j, &n)) == NULL)
			break;
		*v = vtext(p, n);
		return nul_free(c, v, err, errlen);
	case C_TIME:
		/* one form, so text order is time order (MAX, ranges) */
		if ((p = json_str(j, &n)) == NULL || !ts_is_utc(p, n))
			break;
		*v = vtext(p, n);
		return 0;
	case C_DATE:
		if ((p = json_str(j, &n)) == NULL || !date_is_ymd(p, n))
			break;
		*v = vtext(p, n);
		return 0;
	case C_ANY:
		if ((p = json_str(j, &n)) != NULL) {
			*v = vtext(p, n);
			return nul_free(c, v, err, errlen);
		}
		goto json;
	case C_NUM:
		if (json_double(j, &v->d) == -1)
			break;
		v->t = V_DBL;
		return 0;
	case C_INT:
		if (json_int64(j, &v->i) == -1)
			break;
		v->t = V_INT;
		return 0;
	case C_BOOL:
		if (json_bool(j, &b) == -1)
			break;
		v->t = V_INT;
		v->i = b;
		return 0;
	case C_JSON:
	json:
		if (s->njbuf == NJBUF) {
			snprintf(err, errlen, "too many JSON columns");
			return -1;
		}
		jb = &s->jbuf[s->njbuf++];
		buf_reset(jb);
		if (canon_json(jb, j, 0) == -1) {
			snprintf(err, errlen, "%s too large", c->json);
			return -1;
		}
		*v = vtext(jb->data, jb->len);
		return 0;
	}
	snprintf(err, errlen, "%s is not %s", c->json,
	    c->type == C_NUM ? "a number" : c->type == C_BOOL ? "a boolean" :
	    c->type == C_INT ? "an integer" : c->type == C_TIME ? TIME_IS :
	    c->type == C_DATE ? DATE_IS :
	    "a string");
	return -1;
}

/* Each table's member names, sorted and once each, for json_pick(): one
 * pass over a record's members, not one a column (a market has 40).
 * Made once, whichever thread extracts first. */
struct picks {
	const char	*names[MAXCOL];
	int		 slot[MAXCOL];	/* a column's name, or -1 */
	int		 n;
};
static struct picks picks[T_COUNT];
static pthread_once_t picks_once = PTHREAD_ONCE_INIT;

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
picks_make(void)
{
	const struct table *tb;
	struct picks *p;
	int t, i, j;

	for (t = 0; t < T_COUNT; t++) {
		tb = &store_tables[t];
		p = &picks[t];
		for (i = 0; i < tb->ncols; i++) {
			if (tb->cols[i].flags & F_X)
				continue;
			for (j = 0; j < p->n; j++)
				if (strcmp(p->names[j], tb->cols[i].json) == 0)
					break;
			if (j == p->n)
				p->names[p->n++] = tb->cols[i].json;
		}
		qsort(p->names, (size_t)p->n, sizeof p->names[0], by_name);
		for (i = 0; i < tb->ncols; i++) {
			p->slot[i] = -1;
			for (j = 0; !(tb->cols[i].flags & F_X) && j < p->n; j++)
				if (strcmp(p->names[j], tb->cols[i].json) == 0)
					p->slot[i] = j;
		}
	}
}

int
tbl_extract(struct store *s, enum tbl t, const json_val *obj,
    struct val *v, char *err, size_t errlen)
{
	const struct table *tb = &store_tables[t];
	const struct picks *p = &picks[t];
	json_val j[MAXCOL];
	int i;

	pthread_once(&picks_once, picks_make);
	s->njbuf = 0;
	json_pick(obj, p->names, (size_t)p->n, j);
	for (i = 0; i < tb->ncols; i++) {
		v[i].t = V_NULL;
		if (p->slot[i] < 0)
			continue;
		if (one_val(s, &tb->cols[i], &j[p->slot[i]], &v[i], err,
		    errlen) == -1)
			return -1;
	}
	return 0;
}

int
bind_one(struct db_stmt *st, int i, const struct val *v)
{
	switch (v->t) {
	case V_TEXT:
		return db_bind_text(st, i, v->s, v->n);
	case V_INT:
		return db_bind_int(st, i, v->i);
	case V_DBL:
		return db_bind_double(st, i, v->d);
	case V_BLOB:
		return db_bind_blob(st, i, v->s, v->n);
	}
	return db_bind_null(st, i);
}

/* want 0: every column; else the columns with one of those flags. */
static int
bind_all(struct db_stmt *st, const struct table *t, const struct val *v,
    int want)
{
	int i;

	for (i = 0; i < t->ncols; i++)
		if ((!want || (t->cols[i].flags & want)) &&
		    bind_one(st, i + 1, &v[i]) == -1)
			return DB_ERR;
	return DB_DONE;
}

/* One statement: the upsert's own WHERE leaves a row that is there
 * unchanged alone (no change), and whether it inserted or updated one
 * db_inserted() tells; asking first whether the row was there and the
 * same cost a B-tree search and a statement a market. */
static int
sqlite_put(struct store *s, enum tbl t, struct val *v, int *status)
{
	const struct table *tb = &store_tables[t];
	struct tstmt *ts = &s->ts[t];
	int rc, ins;

	if (ts->put == NULL) {	/* tbl_prepare: PM_SCHEMA_VERSION */
		db_seterr(s->db, "table %s is older than this pm-store "
		    "(PM_SCHEMA_VERSION)", tb->name);
		return DB_ERR;
	}
	if (bind_all(ts->put, tb, v, 0) != DB_DONE)
		return DB_ERR;
	if ((rc = db_step(ts->put)) != DB_DONE)
		return rc == DB_ROW ? DB_ERR : rc;
	if (status == NULL)
		return DB_DONE;
	if (!tbl_has(tb, F_CMP))
		*status = db_changes(ts->put) ? ST_INSERTED : ST_DUPLICATE;
	else if (db_changes(ts->put) == 0)
		*status = ST_UNCHANGED;
	else if ((ins = db_inserted(ts->put)) != -1)
		*status = ins ? ST_INSERTED : ST_UPDATED;
	else
		return DB_ERR;	/* db_sqlite.c tells */
	return DB_DONE;
}

static int
pg_put(struct store *s, enum tbl t, struct val *v, int *status)
{
	const struct table *tb = &store_tables[t];
	struct db_stmt *st = s->ts[t].put;
	const char *p;
	int rc;

	if (bind_all(st, tb, v, 0) != DB_DONE)
		return DB_ERR;
	rc = db_step(st);
	if (rc == DB_DONE) {
		*status = tbl_has(tb, F_CMP) ? ST_UNCHANGED : ST_DUPLICATE;
		return DB_DONE;
	}
	if (rc != DB_ROW)
		return rc;
	p = db_col_text(st, 0, NULL);
	*status = p && *p == 't' ? ST_INSERTED : ST_UPDATED;
	db_reset(st);
	return DB_DONE;
}

/* Key columns: what indexes hold, so what a long value cannot be.  Run
 * ids are the run record's to bound: every table has them as given. */
static int
is_keycol(const struct col *c)
{
	if (strcmp(c->sql, "run_id") == 0)
		return 0;
	return (c->flags & F_KEY) || c->type == C_ID ||
	    strcmp(c->sql, "event_key") == 0 ||
	    strcmp(c->sql, "market_id") == 0;
}

int
tbl_key_shortened(const struct col *c, const struct val *v)
{
	char kb[KEY_MAX + 1];
	size_t n;

	return v->t == V_TEXT && is_keycol(c) &&
	    key_stored(v->s, v->n, kb, &n) != v->s;
}

/* The row as stored: kv is v with long keys in their short form, kept
 * in kb (key.h); a text value holding NUL, which no engine's text takes
 * alike, is refused before any of the row is written. */
static int
stored_row(const struct table *tb, const struct val *v, struct val *kv,
    char (*kb)[KEY_MAX + 1])
{
	int i;

	for (i = 0; i < tb->ncols; i++) {
		kv[i] = v[i];
		if (v[i].t != V_TEXT)
			continue;
		if (memchr(v[i].s, 0, v[i].n))
			return DB_ERR;	/* the checks say which: a bug */
		if (is_keycol(&tb->cols[i]) && (kv[i].s = key_stored(v[i].s,
		    v[i].n, kb[i], &kv[i].n)) == NULL)
			return DB_ERR;
	}
	return DB_DONE;
}

/* Every column of a row of t, in order, as stored. */
int
tbl_bind_step(struct db_stmt *st, enum tbl t, const struct val *v)
{
	struct val kv[MAXCOL];
	char kb[MAXCOL][KEY_MAX + 1];

	/* stepped here: the bound keys live in kb (db.h: borrowed) */
	if (stored_row(&store_tables[t], v, kv, kb) != DB_DONE ||
	    bind_all(st, &store_tables[t], kv, 0) != DB_DONE)
		return DB_ERR;
	return db_step(st);
}

/* One row, now; *status: inserted, updated, unchanged or duplicate. */
int
tbl_put(struct store *s, enum tbl t, struct val *v, int *status)
{
	struct val kv[MAXCOL];
	char kb[MAXCOL][KEY_MAX + 1];
	int dummy;

	if (stored_row(&store_tables[t], v, kv, kb) != DB_DONE)
		return DB_ERR;
	if (db_engine(s->db) == DB_PG)
		return pg_put(s, t, kv, status ? status : &dummy);
	return sqlite_put(s, t, kv, status);
}

/* One row whose status nobody asks: on PostgreSQL sent without waiting
 * (db_send), its error read with the batch's, so the batch in flight
 * before it is not waited for (store.c); else tbl_put(). */
static int
tbl_put_nowait(struct store *s, enum tbl t, struct val *v)
{
	struct val kv[MAXCOL];
	char kb[MAXCOL][KEY_MAX + 1];

	if (db_engine(s->db) != DB_PG)
		return tbl_put(s, t, v, NULL);
	if (stored_row(&store_tables[t], v, kv, kb) != DB_DONE ||
	    bind_all(s->ts[t].put, &store_tables[t], kv, 0) != DB_DONE)
		return DB_ERR;
	return db_send(s->ts[t].put, NULL, NULL);
}

/* One row of a bulk table, as stored, into the batch (store_pg.c);
 * seq names its entry. */
int
tbl_copy(struct store *s, enum tbl t, const struct val *rv, size_t seq)
{
	struct val v[MAXCOL];
	char kb[MAXCOL][KEY_MAX + 1];

	if (stored_row(&store_tables[t], rv, v, kb) != DB_DONE)
		return DB_ERR;
	return pgb_row(s, t, v, NULL, seq);
}

/* A tag of market mv (its columns), as tbl_copy: written once the
 * market's row holds mv's fetch time (store_pg.c), so it goes with the
 * market's source, market_id (its two keys, as stored_row stores them)
 * and fetched_at. */
int
tbl_copy_tag(struct store *s, const struct val *rv, const struct val *mv,
    size_t seq)
{
	struct val v[MAXCOL], own[] = { mv[MARKETS_SOURCE],
	    mv[MARKETS_MARKET_ID], mv[MARKETS_FETCHED_AT] };
	char kb[MAXCOL][KEY_MAX + 1], okb[2][KEY_MAX + 1];
	int i;

	if (stored_row(&store_tables[T_TAGS], rv, v, kb) != DB_DONE)
		return DB_ERR;
	for (i = 0; i < 2; i++)
		if (own[i].t == V_TEXT && (own[i].s = key_stored(own[i].s,
		    own[i].n, okb[i], &own[i].n)) == NULL)
			return DB_ERR;
	return pgb_row(s, T_TAGS, v, own, seq);
}

/* The bulk rows of the batch written, just before its commit: the
 * batch's entries whose rows it inserted or changed say so. */
int
tbl_bulk(struct store *s, struct entry *ent, size_t nent)
{
	int rc = tbl_payloads_write(s, 1);

	(void)ent;
	(void)nent;
	return rc == DB_DONE ? pgb_flush(s) : rc;
}

int
tbl_bulk_send(struct store *s)
{
	int rc = tbl_payloads_write(s, 1);

	return rc == DB_DONE ? pgb_send(s) : rc;
}

/* The dictionary endpoint's payloads were packed with, from the
 * database, once per process and endpoint. */
static int
dict_load(struct store *s, const char *endpoint)
{
	struct buf scratch;
	const char *id, *p;
	size_t n;
	int rc;

	if (zpack_knows(s->zp, endpoint))
		return DB_DONE;
	db_bind_str(s->xdictof, 1, endpoint);
	rc = db_step(s->xdictof);
	if (rc == DB_ROW) {
		buf_init(&scratch, 0);
		id = db_col_text(s->xdictof, 0, NULL);
		p = db_col_blob(s->xdictof, 1, &n, &scratch);
		rc = id && p && zpack_add_dict(s->zp, endpoint, id, p, n) == 0 ?
		    DB_DONE : DB_ERR;
		buf_release(&scratch);
		db_reset(s->xdictof);
	}
	return rc;
}

/* A payload packed with dictionary id (bytes p, n): the dictionary is in
 * this transaction too (written again after a rollback; once it is there,
 * ON CONFLICT leaves it). */
static int
dict_keep(struct store *s, const char *endpoint, const char *id,
    const void *p, size_t n)
{
	struct val v[T_DICTS_NCOLS];
	size_t i, slot = 0;

	for (i = 0; i < 8; i++) {
		if (strcmp(s->dict_put[i], id) == 0) {
			if (s->dict_txn[i] == s->txn)
				return DB_DONE;
			slot = i;
			break;
		}
		if (s->dict_txn[i] < s->dict_txn[slot])
			slot = i;
	}
	memcpy(s->dict_put[slot], id, ZPACK_IDLEN + 1);
	s->dict_txn[slot] = s->txn;
	v[DICTS_DICT_ID] = vstr(id);
	v[DICTS_ENDPOINT] = vstr(endpoint);
	v[DICTS_DICT] = (struct val){ .t = V_BLOB, .s = p, .n = n };
	/* the writer thread's batch may be one behind the open one */
	v[DICTS_STORED_AT] = vstr(aw_on(s) ? s->wnow : s->now);
	return tbl_put_nowait(s, T_DICTS, v);
}

/*
 * A payload new to SQLite is packed by a thread of its own while the
 * store goes on with the next records (zstd is a fifth of pm-store's
 * time, make bench), then written, in input order, as soon as it is
 * ready, and at the latest before the batch commits.  One thread keeps
 * the order in which an endpoint's dictionary learns from its first
 * payloads: the same dictionary as when packed in line.  The thread alone
 * uses s->zp while jobs are queued; the store asks it nothing then.
 */
struct zjob {
	size_t		 seq;	/* the raw record's entry */
	int		*stat;	/* its status there: its batch's s->astat
				 * (the writer thread's), or NULL: in
				 * s->ent */
	char		 sha[65];
	char		*endpoint;	/* any length, as PostgreSQL and
				 * ClickHouse keep it; freed when the job's
				 * place serves again */
	const char	*in;	/* the payload, in the batch's text (store.c:
				 * it does not move until the batch is done,
				 * and the batch waits for its jobs) */
	size_t		 inlen;
	struct buf	 out;
	int		 packed;	/* out holds in, packed as enc says */
	char		 enc[8 + ZPACK_IDLEN];
	const char	*dict_id;	/* the endpoint's dictionary, if enc */
	const void	*dict;		/* names one (zpack owns it) */
	size_t		 dictlen;
};

/* Payloads go to the thread ZGROUP at a time: one wake-up each, not one
 * a payload (a futex call and a context switch were 4% of the time). */
#define ZGROUP	32
struct zgroup {
	struct zpack	*zp;
	struct zjob	 j[ZGROUP];
	int		 n;
};

static void
zjob_run(void *state, void *item)
{
	struct zgroup *g = item;
	struct zjob *j;
	const char *enc, *did;
	const void *dict;
	size_t dlen;
	int i;

	(void)state;
	for (i = 0; i < g->n; i++) {
		j = &g->j[i];
		enc = zpack_pack(g->zp, j->endpoint, j->in, j->inlen,
		    &j->out, &did, &dict, &dlen);
		if ((j->packed = enc != NULL))
			snprintf(j->enc, sizeof j->enc, "%s", enc);
		if (enc && enc[4] == ':' && !zpack_dict_of(g->zp,
		    j->endpoint, &j->dict_id, &j->dict, &j->dictlen))
			j->packed = 0;	/* cannot be: its dictionary packed it */
	}
}

static void
zgroup_free(struct zgroup *g)
{
	int i;

	if (g == NULL)
		return;
	for (i = 0; i < ZGROUP; i++) {
		buf_release(&g->j[i].out);
		free(g->j[i].endpoint);
	}
	free(g);
}

/* A packed payload (or the bytes as they are) into raw_payloads; its raw
 * record's status from whether the row was new. */
static int
zjob_write(struct store *s, struct zjob *j)
{
	struct val v[T_PAYLOADS_NCOLS];
	int rc, st = ST_DUPLICATE;

	if (j->packed && j->dict && (rc = dict_keep(s, j->endpoint,
	    j->dict_id, j->dict, j->dictlen)) != DB_DONE)
		return rc;
	v[PAYLOADS_SHA256] = vstr(j->sha);
	v[PAYLOADS_ENCODING] = vstr(j->packed ? j->enc : NULL);
	v[PAYLOADS_PAYLOAD] = j->packed ?
	    (struct val){ .t = V_BLOB, .s = j->out.data, .n = j->out.len } :
	    (struct val){ .t = V_BLOB, .s = j->in, .n = j->inlen };
	if ((rc = tbl_put(s, T_PAYLOADS, v, &st)) != DB_DONE)
		return rc;
	if (st != ST_INSERTED)
		return DB_DONE;
	if (j->stat && j->seq < s->nastat && j->stat[j->seq] != -1)
		j->stat[j->seq] = ST_INSERTED;	/* the writer thread's */
	else if (j->seq < s->nent)
		s->ent[j->seq].status = ST_INSERTED;
	return DB_DONE;
}

/* The group being filled to the thread. */
static int
zgroup_send(struct store *s)
{
	struct zgroup *g = s->zfill;

	if (g == NULL || g->n == 0)
		return DB_DONE;
	if (workq_add(s->zq, g, 1) == -1)
		return DB_ERR;
	s->zfill = NULL;
	return DB_DONE;
}

/* The payloads packed so far (wait: all of them) into the database. */
int
tbl_payloads_write(struct store *s, int wait)
{
	struct zgroup *g;
	int i, rc = DB_DONE;

	if (s->zq == NULL)
		return DB_DONE;
	if (wait)
		rc = zgroup_send(s);
	while ((g = workq_next(s->zq, wait)) != NULL) {
		for (i = 0; i < g->n && rc == DB_DONE; i++)
			rc = zjob_write(s, &g->j[i]);
		g->n = 0;
		if (s->zfill == NULL)
			s->zfill = g;	/* its buffers serve again */
		else
			zgroup_free(g);
	}
	return rc;
}

void
tbl_payloads_drop(struct store *s)
{
	struct zgroup *g;

	if (s->zfill)
		s->zfill->n = 0;
	if (s->zq == NULL)
		return;
	while ((g = workq_next(s->zq, 1)) != NULL)
		zgroup_free(g);
}

/* Stop the packing thread (its jobs dropped): store_free. */
static void
payloads_stop(struct store *s)
{
	size_t i;

	tbl_payloads_drop(s);
	workq_free(s->zq);
	zgroup_free(s->zfill);
	s->zq = NULL;
	s->zfill = NULL;
	for (i = 0; i < sizeof s->zends / sizeof *s->zends; i++) {
		free(s->zends[i]);
		s->zends[i] = NULL;
	}
}

/* Is endpoint's dictionary (if the database has one) in s->zp?  Asked
 * of the database when the thread is idle, once per endpoint (past the
 * few the store remembers, once per payload: still right). */
static int
dict_ready(struct store *s, const char *endpoint)
{
	size_t i, n = sizeof s->zends / sizeof *s->zends;
	int rc;

	for (i = 0; i < n && s->zends[i]; i++)
		if (strcmp(s->zends[i], endpoint) == 0)
			return DB_DONE;
	if ((rc = tbl_payloads_write(s, 1)) != DB_DONE ||
	    (rc = dict_load(s, endpoint)) != DB_DONE)
		return rc;
	if (i < n)
		s->zends[i] = strdup(endpoint);	/* NULL: asked again */
	return DB_DONE;
}

/* SQLite: a payload not kept yet goes to the packing thread. */
static int
payload_queue(struct store *s, const struct val *sha, const char *endpoint,
    const char *p, size_t n, size_t seq)
{
	struct zjob *j;
	int rc;

	if (s->zq == NULL && (s->zq = workq_new(1, NULL, NULL,
	    zjob_run, s)) == NULL)
		return DB_ERR;
	if (sha->n != 64)
		return DB_ERR;	/* raw_put checked the hash: cannot be */
	if ((rc = dict_ready(s, endpoint)) != DB_DONE)
		return rc;
	if (s->zfill == NULL && (s->zfill = calloc(1, sizeof *s->zfill)) == NULL)
		return DB_ERR;
	s->zfill->zp = s->zp;
	j = &s->zfill->j[s->zfill->n];
	free(j->endpoint);
	if ((j->endpoint = strdup(endpoint)) == NULL)
		return DB_ERR;
	j->seq = seq;
	j->stat = aw_on(s) ? s->wstat : NULL;
	memcpy(j->sha, sha->s, 64);
	j->sha[64] = 0;
	j->dict = NULL;
	j->in = p;
	j->inlen = n;
	if (++s->zfill->n == ZGROUP && (rc = zgroup_send(s)) != DB_DONE)
		return rc;
	return tbl_payloads_write(s, 0);
}

/*
 * A raw payload, kept once under its sha256: packed (zpack.h) only when
 * it is not kept yet, which SQLite answers at once (and the row is
 * written when the packing thread is done with it: *status duplicate
 * until then); on PostgreSQL the batch's bulk statement says later
 * whether it was new (*status duplicate until then).
 */
int
tbl_payload(struct store *s, const struct val *sha, const char *endpoint,
    const char *p, size_t n, size_t seq, int *status)
{
	struct val v[T_PAYLOADS_NCOLS];
	const char *enc, *did;
	const void *dict;
	size_t dlen;
	int rc;

	*status = ST_DUPLICATE;
	if (s->zp == NULL && (s->zp = zpack_new()) == NULL)
		return DB_ERR;
	if (endpoint == NULL)
		endpoint = "";
	if (db_engine(s->db) != DB_PG) {
		if (bind_one(s->xhaspay, 1, sha) == -1)
			return DB_ERR;
		rc = db_step(s->xhaspay);
		db_reset(s->xhaspay);
		if (rc == DB_ROW)
			return DB_DONE;
		if (rc != DB_DONE)
			return rc;
		return payload_queue(s, sha, endpoint, p, n, seq);
	}
	if ((rc = dict_load(s, endpoint)) != DB_DONE)
		return rc;
	enc = zpack_pack(s->zp, endpoint, p, n, &s->packed, &did, &dict,
	    &dlen);
	if (enc && enc[4] == ':' && zpack_dict_of(s->zp, endpoint, &did,
	    &dict, &dlen) && (rc = dict_keep(s, endpoint, did, dict,
	    dlen)) != DB_DONE)
		return rc;
	v[PAYLOADS_SHA256] = *sha;
	v[PAYLOADS_ENCODING] = vstr(enc);
	v[PAYLOADS_PAYLOAD] = enc ?
	    (struct val){ .t = V_BLOB, .s = s->packed.data, .n = s->packed.len } :
	    (struct val){ .t = V_BLOB, .s = p, .n = n };
	return tbl_copy(s, T_PAYLOADS, v, seq);
}

/* A market changed: contracts past its n are not its any more (a market
 * record made again from its rows must not find them). */
int
tbl_trim_contracts(struct store *s, const struct val *mv, int64_t n)
{
	bind_one(s->xtrim, 1, &mv[MARKETS_SOURCE]);
	bind_one(s->xtrim, 2, &mv[MARKETS_MARKET_ID]);
	db_bind_int(s->xtrim, 3, n);
	return db_step(s->xtrim);
}

/* Markets joined a group processed before: its n_markets counts the
 * processed_markets rows it now has (its record stays as first
 * processed, and so does n_results: a new variant changes no row). */
int
tbl_event_grew(struct store *s, const char *key, unsigned long markets)
{
	if (markets == 0)
		return DB_DONE;
	db_bind_text(s->xgrew, 1, key, strlen(key));
	db_bind_int(s->xgrew, 2, (int64_t)markets);
	return db_step(s->xgrew);
}

/* The conflict clause of table t, for store_pg.c's statements. */
void
tbl_conflict(struct buf *b, enum tbl t)
{
	conflict(b, &store_tables[t], DB_PG);
}
