/*
 * store_rec.c - market and event records made again from their columns,
 * so that a row keeps its record column only when the columns cannot
 * give the record back (another member, another order: written by a
 * newer pm-normalize, or by hand).  The member order is pm-normalize's
 * (pm-records(5)); values are written as canon_json() writes them, so a
 * record that comes back the same is the same bytes, and record_sha256,
 * the hash of those bytes, never moves.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jqf.h"
#include "msg.h"
#include "ndjson.h"
#include "out.h"

#include "jw.h"
#include "sha.h"
#include "store_impl.h"
#include "timefmt.h"

#define MAXCONTRACTS	32	/* more: the record column keeps them */

/* The members of each record in order; "kind" and "contracts" are not
 * columns of the row. */
static const char *const market_members[] = { "kind", "source",
	"market_id", "condition_id", "question_id", "slug", "question",
	"description", "event_id", "event_slug", "event", "close_time",
	"start_time", "closed_time", "updated_at", "active", "closed",
	"archived", "neg_risk", "group_item_title", "resolution_status",
	"volume", "liquidity", "best_bid", "best_ask", "last_trade_price",
	"volume_24h", "volume_1wk", "spread", "one_day_price_change",
	"contracts", "resolution", "resolved_outcome", "resolved_at", "tags",
	"raw_sha256", "fetched_at", NULL };
static const char *const event_members[] = { "kind", "source", "event_id",
	"slug", "title", "description", "start_time", "end_time",
	"updated_at", "active", "closed", "archived", "neg_risk", "volume",
	"liquidity", "tags", "market_ids", "raw_sha256", "fetched_at", NULL };

#define NMEMBERS 40
#define M_KIND		(-1)
#define M_CONTRACTS	(-2)

/* Member i's column in table t, made once. */
static const int *
member_cols(enum tbl t, const char *const *names)
{
	static int map[T_COUNT][NMEMBERS];
	static int made[T_COUNT];
	const struct table *tb = &store_tables[t];
	int i, c;

	if (made[t])
		return map[t];
	for (i = 0; names[i]; i++) {
		map[t][i] = strcmp(names[i], "kind") == 0 ? M_KIND :
		    M_CONTRACTS;
		for (c = 0; c < tb->ncols; c++)
			if (!(tb->cols[c].flags & F_X) &&
			    strcmp(tb->cols[c].sql, names[i]) == 0)
				map[t][i] = c;
	}
	made[t] = 1;
	return map[t];
}

/* A member's name as jw_key() writes it, after a comma unless it is
 * the object's first: names are plain ASCII, nothing to escape (a
 * record made again is most of storing a market's cost). */
static int
put_key(struct buf *b, const char *name)
{
	size_t n = strlen(name);
	int first = b->len > 0 && b->data[b->len - 1] == '{';

	if (buf_reserve(b, n + 4) == -1)
		return -1;
	if (!first)
		b->data[b->len++] = ',';
	b->data[b->len++] = '"';
	memcpy(b->data + b->len, name, n);
	b->len += n;
	b->data[b->len++] = '"';
	b->data[b->len++] = ':';
	b->data[b->len] = 0;
	return 0;
}

/* One column's value as the canonical record has it. */
static int
put_val(struct buf *b, const struct col *c, const struct val *v)
{
	if (v->t == V_NULL)
		return jw_null(b);
	switch (c->type) {
	case C_BOOL:
		return jw_bool(b, v->i != 0);
	case C_NUM:
		/* JSON's integers were kept as such (jw_val): an integral
		 * double is written as one (one written 1.0 keeps its
		 * record column: the text differs) */
		if (v->d > -9007199254740992.0 && v->d < 9007199254740992.0 &&
		    v->d == (double)(int64_t)v->d &&
		    !(v->d == 0 && signbit(v->d)))
			return jw_int(b, (int64_t)v->d);
		return jw_double(b, v->d);
	case C_JSON:
		return jw_raw(b, v->s, v->n);
	}
	return jw_str(b, v->s, v->n);
}

/* rec_rebuild, and into *cut (unless NULL) where the members that say
 * where the record came from, not what it says, begin: raw_sha256 and
 * fetched_at, the last two (0 if they are not). */
static int
rebuild(struct buf *out, enum tbl t, const struct val *v,
    const struct val *cv, size_t nc, size_t *cut)
{
	const char *const *names = t == T_MARKETS ? market_members :
	    event_members;
	const struct col *cc = store_tables[T_CONTRACTS].cols;
	const int *map = member_cols(t, names);
	size_t k;
	int i, j, rc;

	if (cut)
		*cut = 0;
	rc = jw_open(out, '{');
	for (i = 0; rc == 0 && names[i]; i++) {
		if (cut && strcmp(names[i], "raw_sha256") == 0 &&
		    names[i + 1] && strcmp(names[i + 1], "fetched_at") == 0 &&
		    names[i + 2] == NULL)
			*cut = out->len;	/* at the comma before it */
		rc = put_key(out, names[i]);
		if (rc == 0 && map[i] == M_KIND)
			rc = jw_strz(out, t == T_MARKETS ? "market" : "event");
		else if (rc == 0 && map[i] == M_CONTRACTS) {
			rc = jw_open(out, '[');
			for (k = 0; rc == 0 && k < nc; k++) {
				rc = jw_open(out, '{');
				for (j = CONTRACTS_OUTCOME; rc == 0 &&
				    j < T_CONTRACTS_NCOLS; j++)
					if ((rc = put_key(out, cc[j].sql)) == 0)
						rc = put_val(out, &cc[j],
						    &cv[k * T_CONTRACTS_NCOLS + j]);
				if (rc == 0)
					rc = jw_close(out, '}');
			}
			if (rc == 0)
				rc = jw_close(out, ']');
		} else if (rc == 0)
			rc = put_val(out, &store_tables[t].cols[map[i]],
			    &v[map[i]]);
	}
	return rc == 0 ? jw_close(out, '}') : -1;
}

int
rec_rebuild(struct buf *out, enum tbl t, const struct val *v,
    const struct val *cv, size_t nc)
{
	return rebuild(out, t, v, cv, nc, NULL);
}

/* A number put_val() writes with jw_double() although it is integral
 * (past 2^53, or -0): text that might not read back as the same kind of
 * number, so the line is not taken as its own canonical text.  Also a
 * long key (a market id past KEY_MAX bytes): the row keeps its short
 * form, which a record made again from the row would say. */
static int
odd_num(const struct col *c, const struct val *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((c[i].type == C_NUM && v[i].t == V_DBL &&
		    (v[i].d <= -9007199254740992.0 ||
		    v[i].d >= 9007199254740992.0 ||
		    (v[i].d == 0 && signbit(v[i].d)))) ||
		    tbl_key_shortened(&c[i], &v[i]))
			return 1;
	return 0;
}

/* odd_num() of a record's columns, and of a market's contracts as its
 * check kept them (s->mc); nc their number, or 0. */
static int
odd_rec(struct store *s, enum tbl t, const struct val *v, size_t nc)
{
	const struct table *tb = &store_tables[t];
	const struct col *cc = store_tables[T_CONTRACTS].cols;
	size_t k;

	for (k = 0; k < nc; k++)
		if (odd_num(cc, s->mc.v + k * T_CONTRACTS_NCOLS,
		    T_CONTRACTS_NCOLS))
			return 1;
	return odd_num(tb->cols, v, (size_t)tb->ncols);
}

/* Also not when a number is odd: SQLite keeps a -0 it is given as 0,
 * and the record rebuilt from its columns would not be the one stored
 * (an export stored again, an update); nor when a key is long. */
int
rec_rebuildable(struct store *s, enum tbl t, const struct val *v,
    const struct buf *canon)
{
	size_t nc = 0;

	if (t == T_MARKETS) {
		/* its contracts as its check kept them (s->mc) */
		if (!s->mc_array || s->mc.n > MAXCONTRACTS)
			return 0;
		nc = s->mc.n;
	}
	if (odd_rec(s, t, v, nc))
		return 0;
	buf_reset(&s->rebuilt);
	if (rec_rebuild(&s->rebuilt, t, v, s->mc.v, nc) == -1)
		return 0;
	return s->rebuilt.len == canon->len &&
	    memcmp(s->rebuilt.data, canon->data, canon->len) == 0;
}

int
rec_is_line(struct store *s, enum tbl t, const struct val *v,
    const char *line, size_t n, char sha[65])
{
	size_t nc = 0, cut;

	if (t == T_MARKETS) {
		if (!s->mc_array || s->mc.n > MAXCONTRACTS)
			return 0;
		nc = s->mc.n;
	}
	if (odd_rec(s, t, v, nc))
		return 0;
	buf_reset(&s->rebuilt);
	if (rebuild(&s->rebuilt, t, v, s->mc.v, nc, &cut) == -1 ||
	    cut == 0 || s->rebuilt.len != n ||
	    memcmp(s->rebuilt.data, line, n) != 0)
		return 0;
	/* the content: the record without its last two members */
	s->rebuilt.data[cut] = '}';
	return sha256_hex(s->rebuilt.data, cut + 1, sha) == 0;
}

/* A value read back from column i of st, as tbl_extract would have made
 * it from the record; its text copied into keep (at the offset noted in
 * .i until fix_texts() points into keep). */
static void
read_val(struct db_stmt *st, int i, const struct col *c, struct val *v,
    struct buf *keep)
{
	const char *p;
	size_t n;

	*v = (struct val){ .t = V_NULL };
	if (db_col_null(st, i))
		return;
	switch (c->type) {
	case C_BOOL:
	case C_INT:
		*v = vint(db_col_int(st, i));
		return;
	case C_NUM:
		v->t = V_DBL;
		v->d = db_col_double(st, i);
		return;
	}
	p = db_col_text(st, i, &n);
	v->t = V_TEXT;
	v->i = (int64_t)keep->len;
	v->n = n;
	buf_add(keep, p ? p : "", n);
}

static void
fix_texts(struct val *v, size_t n, const struct buf *keep)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].t == V_TEXT)
			v[i].s = keep->data + v[i].i;
}

/*
 * The runs that fetched a market's trades, or a token's history, whole:
 * pages come newest first and a history window goes in chunks, so a run
 * killed or failed (not completed or partial), or partial with a
 * retriable failure of a request to that endpoint naming the market or
 * token (no '?' in the pattern: PostgreSQL's statements take it for a
 * parameter), may have stored its newest rows and not the older ones:
 * its rows do not count, and the next run asks again from the watermark
 * before it.  Rows of no run, or of a run not stored, count.
 */
#define WHOLE_RUN(row, path, key) \
	"NOT EXISTS (SELECT 1 FROM processing_runs r WHERE " \
	"r.run_id = " row ".run_id AND (r.status IS NULL OR r.status NOT IN " \
	"('completed', 'partial') OR (r.status = 'partial' AND EXISTS " \
	"(SELECT 1 FROM processing_failures f WHERE f.run_id = r.run_id " \
	"AND f.retriable = 1 AND f.url LIKE '%" path "%' AND " \
	"f.url LIKE '%' || " key " || '%'))))"

/* The trades flow's watermark: the newest trade of each market stored
 * by a run that fetched the market's trades whole. */
#define NEWEST_TRADE \
	", (SELECT t.ts FROM trades t WHERE t.condition_id = m.condition_id " \
	"AND " WHOLE_RUN("t", "/trades", "m.condition_id") " " \
	"ORDER BY t.ts DESC LIMIT 1)"

/* The prices flow's: of each token of the market, the newest history
 * point stored by a run that fetched the token's history whole; the
 * oldest of them, none while a token has none (its history is asked
 * as before: the last day). */
#define NEWEST_HISTORY \
	", (SELECT CASE WHEN count(*) = count(w.ts) THEN min(w.ts) END " \
	"FROM (SELECT (SELECT h.ts FROM price_history h WHERE " \
	"h.token_id = k.token_id AND h.side = 'history' AND " \
	WHOLE_RUN("h", "/prices-history", "h.token_id") " " \
	"ORDER BY h.ts DESC LIMIT 1) AS ts FROM contracts k WHERE " \
	"k.source = m.source AND k.market_id = m.market_id AND " \
	"k.token_id <> '') w)"

/* The SELECT of rec_export: the record column, the row's own columns
 * (those read from records), and a market's contracts when its record
 * column is empty, one row each, in order.  A database of schema v
 * below 5, read as it is (a reader does not upgrade it), has neither
 * the market columns of schema 5 (NULL, as the upgrade leaves them)
 * nor trades (no watermark). */
static void
export_sql(struct buf *b, enum tbl t, int active, int v)
{
	const struct table *tb = &store_tables[t];
	int i, old = v > 0 && v < 5;

	buf_adds(b, "SELECT m.record");
	for (i = 0; i < tb->ncols; i++)
		if (tb->cols[i].flags & F_X)
			continue;
		else if (old && t == T_MARKETS && i >= MARKETS_VOLUME_24H &&
		    i <= MARKETS_RESOLVED_AT)
			buf_adds(b, ", NULL");
		else
			buf_printf(b, ", m.%s", tb->cols[i].sql);
	if (t == T_EVENTS) {
		buf_adds(b, ", NULL, NULL, NULL, NULL FROM events m WHERE "
		    "(CAST(?1 AS TEXT) IS NULL OR m.run_id = ?1) "
		    "ORDER BY m.source, m.event_id");
		return;
	}
	buf_printf(b, ", c.outcome_index, c.outcome, c.token_id, c.price%s "
	    "FROM %s m "
	    "LEFT JOIN contracts c ON m.record IS NULL AND "
	    "c.source = m.source AND c.market_id = m.market_id "
	    "WHERE %s(CAST(?1 AS TEXT) IS NULL OR m.run_id = ?1) "
	    "ORDER BY m.source, m.market_id, c.outcome_index",
	    !active ? "" : old ? ", NULL" NEWEST_HISTORY : NEWEST_TRADE
	    NEWEST_HISTORY, tb->name,
	    /* the markets that still trade, and for the trades and prices
	     * flows those closed since their last run too (?2) */
	    active ? "(m.active = 1 AND (m.closed IS NULL OR m.closed = 0) "
	    "OR (m.closed = 1 AND " TS_SQL_SINCE("m.fetched_at",
	    "CAST(?2 AS TEXT)") ")) AND " :
	    "");
}

/* A watermark on an exported market (trades_since, history_since): its
 * newest stored trade or history point less an overlap (trades reach the
 * Data API a little late, the newest history point is of a minute not
 * over), so that pm-fetch asks for what is new and a little more
 * without reading the database. */
#define SINCE_OVERLAP 3600	/* seconds */

void
rec_add_since(struct buf *b, const char *key, const char *newest, size_t n)
{
	char ts[TS_MAX];
	int64_t sec;

	if (n == 0 || ts_sec(newest, n, &sec) == -1 ||
	    b->len < 2 || b->data[b->len - 1] != '}' ||
	    ts_epoch(sec > SINCE_OVERLAP ? sec - SINCE_OVERLAP : 0, ts) == -1)
		return;
	b->len--;
	jw_key(b, key);
	jw_strz(b, ts);
	buf_addc(b, '}');
}

/*
 * The record as it was (its first n bytes) when the watermarks made it
 * longer than the line cap: a record stored near it (a store takes
 * PM_MAX_LINE less its annotation; the two watermarks add some 80 bytes)
 * was written as a failure record in its place, exit 1.  Without them
 * pm-fetch fetches the market's trades and history whole.
 */
void
rec_since_fit(struct buf *b, size_t n)
{
	if (b->len > ndjson_max_line() && n > 0 && n <= b->len) {
		b->len = n;
		b->data[n - 1] = '}';
	}
}

static void
watermarks(struct buf *b, const char *trades, const char *history)
{
	size_t n = b->len;

	rec_add_since(b, "trades_since", trades, strlen(trades));
	rec_add_since(b, "history_since", history, strlen(history));
	rec_since_fit(b, n);
}

int
rec_stored_ok(json_parser *jp, const char *what, const char *key,
    const char *p, size_t n)
{
	json_val root;
	const char *e = "out of memory";

	/* past the line cap it is not parsed here: the output refuses it
	 * as it refuses any line too long (a failure record, exit 1) */
	if (n > ndjson_max_line())
		return 0;
	if (jp && json_parse(jp, p, n, 0, &root, &e) == 0) {
		if (root.type == JSON_OBJECT)
			return 0;
		e = "not an object";
	}
	msg("--export %s: the stored record of %s is not a JSON record (%s): "
	    "left out", what, key, e);
	return -1;
}

struct exporter {
	json_parser	*jp;
	unsigned long	 bad;	/* stored records left out */
	struct buf	 rec, keep;
	int		 active;	/* --export market: the watermarks too */
	const char	*what;		/* the kind as named, for messages */
	unsigned long	 limit;		/* at most so many records, 0: all */
	char		 newest[TS_MAX + 8];	/* of the open market: trade */
	char		 hnewest[TS_MAX + 8];	/* and history point */
	struct val	 v[MAXCOL];
	struct val	 cv[MAXCONTRACTS * T_CONTRACTS_NCOLS];
	size_t		 nc;
	int		 open, toomany;
	char		*key;	/* source \x1f market_id of the open one */
};

static int
emit(struct exporter *x, enum tbl t, struct jqf *where,
    unsigned long *count)
{

	if (!x->open)
		return 0;
	x->open = 0;
	if (x->limit && *count >= x->limit)
		return 0;
	fix_texts(x->v, MAXCOL, &x->keep);
	fix_texts(x->cv, x->nc * T_CONTRACTS_NCOLS, &x->keep);
	buf_reset(&x->rec);
	if (x->toomany || rec_rebuild(&x->rec, t, x->v, x->cv, x->nc) == -1)
		return -1;
	if (x->active)
		watermarks(&x->rec, x->newest, x->hnewest);
	if (where && !jqf_where(where, x->rec.data, x->rec.len))
		return 0;
	out_line(x->rec.data, x->rec.len);
	(*count)++;
	return 0;
}

/* A row of the statement: a record whole, or a market's columns and
 * its first contract, or one more contract of the open market. */
static int
export_row(struct exporter *x, struct db_stmt *st, enum tbl t,
    struct jqf *where, unsigned long *count)
{
	const struct table *tb = &store_tables[t];
	const struct col *cc = store_tables[T_CONTRACTS].cols;
	const char *p, *src, *id, *w = NULL, *hw = NULL;
	char key[600];
	size_t n;
	int i, k, nx = 0;

	for (i = 0; i < tb->ncols; i++)
		nx += !(tb->cols[i].flags & F_X);
	/* this row's newest trade and history point: after the record, the
	 * columns, a contract; x->newest and x->hnewest are the open
	 * market's until it is emitted */
	if (x->active && (w = db_col_text(st, nx + 5, NULL)) == NULL)
		w = "";
	if (x->active && (hw = db_col_text(st, nx + 6, NULL)) == NULL)
		hw = "";
	if ((p = db_col_text(st, 0, &n)) != NULL) {
		if (emit(x, t, where, count) == -1)
			return -1;
		if (x->limit && *count >= x->limit)
			return 0;
		src = db_col_text(st, 1, NULL);
		id = db_col_text(st, 2, NULL);
		snprintf(key, sizeof key, "%s %s/%s", t == T_MARKETS ?
		    "market" : "event", src ? src : "", id ? id : "");
		if (rec_stored_ok(x->jp, x->what, key, p, n) == -1) {
			x->bad++;
			return 0;
		}
		if (w) {
			snprintf(x->newest, sizeof x->newest, "%s", w);
			snprintf(x->hnewest, sizeof x->hnewest, "%s", hw);
		}
		buf_reset(&x->rec);
		buf_add(&x->rec, p, n);
		if (x->active)
			watermarks(&x->rec, x->newest, x->hnewest);
		if (where && !jqf_where(where, x->rec.data, x->rec.len))
			return 0;
		out_line(x->rec.data, x->rec.len);
		(*count)++;
		return 0;
	}
	src = db_col_text(st, 1, NULL);
	id = db_col_text(st, 2, NULL);
	snprintf(key, sizeof key, "%s\x1f%s", src ? src : "", id ? id : "");
	if (!x->open || strcmp(key, x->key) != 0) {
		if (emit(x, t, where, count) == -1)
			return -1;
		if (w) {
			snprintf(x->newest, sizeof x->newest, "%s", w);
			snprintf(x->hnewest, sizeof x->hnewest, "%s", hw);
		}
		free(x->key);
		if ((x->key = strdup(key)) == NULL)
			return -1;
		buf_reset(&x->keep);
		for (i = 0, k = 1; i < tb->ncols; i++) {
			x->v[i] = (struct val){ .t = V_NULL };
			if (!(tb->cols[i].flags & F_X))
				read_val(st, k++, &tb->cols[i], &x->v[i],
				    &x->keep);
		}
		x->nc = 0;
		x->toomany = 0;
		x->open = 1;
	}
	k = 1;
	for (i = 0; i < tb->ncols; i++)
		if (!(tb->cols[i].flags & F_X))
			k++;
	if (db_col_null(st, k))	/* no contract: LEFT JOIN's nulls */
		return 0;
	if (x->nc == MAXCONTRACTS) {
		x->toomany = 1;
		return 0;
	}
	for (i = CONTRACTS_OUTCOME; i < T_CONTRACTS_NCOLS; i++)
		read_val(st, k + 1 + i - CONTRACTS_OUTCOME, &cc[i],
		    &x->cv[x->nc * T_CONTRACTS_NCOLS + i], &x->keep);
	x->nc++;
	return 0;
}

int
rec_export(struct db *db, int v, const char *what, enum tbl t, int active,
    struct jqf *where, const char *run_id, const char *closed_since,
    unsigned long limit, unsigned long *count)
{
	struct exporter x = { .open = 0, .active = active && t == T_MARKETS,
	    .limit = limit, .what = what };
	struct db_stmt *st;
	struct buf sql;
	int rc = DB_ERR;

	buf_init(&sql, 0);
	buf_init(&x.rec, 0);
	buf_init(&x.keep, 0);
	x.jp = json_parser_new(ndjson_max_line());
	export_sql(&sql, t, active, v);
	if ((st = db_prepare(db, sql.data)) != NULL &&
	    db_bind_str(st, 1, run_id) == 0 && (!x.active ||
	    db_bind_str(st, 2, closed_since) == 0)) {
		db_stream(st);	/* a row at a time */
		while ((limit == 0 || *count < limit) &&
		    (rc = db_step(st)) == DB_ROW && out_failed() == OUT_OK)
			if (export_row(&x, st, t, where, count) == -1) {
				rc = DB_ERR;
				break;
			}
		if (rc == DB_ROW)
			rc = DB_DONE;
		if (rc == DB_DONE && emit(&x, t, where, count) == -1)
			rc = DB_ERR;
	}
	if (rc != DB_DONE)
		msg("--export %s: %s", what, db_errmsg(db));
	db_finalize(st);
	json_parser_free(x.jp);
	buf_release(&sql);
	buf_release(&x.rec);
	buf_release(&x.keep);
	free(x.key);
	return rc == DB_DONE && x.bad == 0 ? 0 : -1;
}
