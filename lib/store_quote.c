/*
 * store_quote.c - prices into silver: the contract of a token carries the
 * best bid, best ask and midpoint of its latest CLOB observation
 * (quoted_at, and the fetch that saw it: quote_fetched_at), written once
 * per batch.
 *
 * A moment is a quoted_at and a fetch time: of one quoted_at (a book's
 * server timestamp) fetched twice, the later fetch's is the newer moment,
 * and one without a fetch time is older than any with one, as
 * price_history keeps the latest fetch of a point (store_tbl.h), so that
 * an older dump replayed after a later run puts no older quote back.
 * Taken one by one in input order, an observation older than the stored
 * one changes nothing; one newer starts afresh (the other sides were of
 * another moment); another side of the same moment completes it, a bid or
 * an ask making the midpoint of both once both are there, a midpoint
 * replacing it.  So of a batch only each token's newest moment counts:
 * its last price per side, and whether a midpoint came last.  quote_add()
 * keeps a price record's quote; quote_flush(), at the batch's end (its
 * contracts written, COPY ones too), reduces them to one row per token
 * and applies them with one UPDATE ... FROM: on PostgreSQL the rows go as
 * one JSON parameter (one round trip), on SQLite through a temp table
 * (doubles bound exactly, not reparsed).  Times compare as their text,
 * as the UPDATE compares them (pm-records(5): one RFC 3339 form).
 */
#include <stdlib.h>
#include <string.h>

#include "jw.h"
#include "store_impl.h"

enum { Q_BID, Q_ASK, Q_MID };

struct qobs {
	size_t		 tok, tokn, ts, tsn, f, fn;	/* in text, */
	const char	*tp, *sp, *fp;			/* then here */
	int		 hasf;		/* a fetch time (else null) */
	size_t		 seq;
	double		 price;
	int		 side;
};

struct quotes {
	struct qobs	*o;
	size_t		 n, cap;
	struct buf	 text;		/* the token ids and times */
	struct buf	 rows;		/* PostgreSQL: the JSON parameter */
	struct db_stmt	*mk, *ins, *apply, *clear;
};

/* The stored values after the batch's: a side given at the newest moment,
 * else what the same moment already had; the midpoint as the last step
 * one by one would leave it. */
#define Q_SAME	"contracts.quoted_at = q.t AND " \
	"(contracts.quote_fetched_at = q.f OR " \
	"contracts.quote_fetched_at IS NULL AND q.f IS NULL)"
#define Q_BIDV	"COALESCE(q.bid, CASE WHEN " Q_SAME " " \
		"THEN contracts.best_bid END)"
#define Q_ASKV	"COALESCE(q.ask, CASE WHEN " Q_SAME " " \
		"THEN contracts.best_ask END)"
#define Q_UPDATE \
	"UPDATE contracts SET best_bid = " Q_BIDV ", best_ask = " Q_ASKV ", " \
	"midpoint = CASE WHEN q.lm = 1 THEN q.mid " \
	"WHEN " Q_BIDV " IS NOT NULL AND " Q_ASKV " IS NOT NULL " \
	"THEN (" Q_BIDV " + " Q_ASKV ") / 2 " \
	"ELSE COALESCE(q.mid, CASE WHEN " Q_SAME " " \
	"THEN contracts.midpoint END) END, quoted_at = q.t, " \
	"quote_fetched_at = q.f FROM "
/* not older: a later quoted_at, or the same one fetched no earlier */
#define Q_WHERE	" WHERE contracts.token_id = q.token_id AND " \
	"(contracts.quoted_at IS NULL OR contracts.quoted_at < q.t OR " \
	"contracts.quoted_at = q.t AND (contracts.quote_fetched_at IS NULL " \
	"OR contracts.quote_fetched_at <= q.f))"

static const char q_pg[] = Q_UPDATE "json_to_recordset(?1::json) AS "
    "q(token_id text, t text, f text, bid float8, ask float8, mid float8, "
    "lm int)" Q_WHERE;
static const char q_lite[] = Q_UPDATE "temp.tmp_quotes AS q" Q_WHERE;

/* A price record's quote (v as tbl_extract fills T_PRICES), kept for the
 * batch; last trade and history prices are not quotes. */
int
quote_add(struct store *s, const struct val *v)
{
	static const char *const sides[] = { "buy", "sell", "mid" };
	const struct val *side = &v[PRICES_SIDE];
	struct quotes *q = s->quotes;
	struct qobs *o;
	size_t i;

	for (i = 0; i < 3; i++)
		if (side->s && side->n == strlen(sides[i]) &&
		    memcmp(side->s, sides[i], side->n) == 0)
			break;
	if (i == 3)
		return DB_DONE;
	if (q == NULL && (q = s->quotes = calloc(1, sizeof *q)) != NULL) {
		buf_init(&q->text, 0);
		buf_init(&q->rows, 0);
	}
	if (q == NULL)
		return DB_ERR;
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 256;

		if ((o = realloc(q->o, cap * sizeof *o)) == NULL)
			return DB_ERR;
		q->o = o;
		q->cap = cap;
	}
	o = &q->o[q->n];
	*o = (struct qobs){ .tok = q->text.len, .tokn = v[PRICES_TOKEN_ID].n,
	    .ts = q->text.len + v[PRICES_TOKEN_ID].n, .tsn = v[PRICES_TS].n,
	    .hasf = v[PRICES_FETCHED_AT].t != V_NULL,
	    .seq = q->n, .price = v[PRICES_PRICE].d, .side = (int)i };
	o->f = o->ts + o->tsn;
	o->fn = o->hasf ? v[PRICES_FETCHED_AT].n : 0;
	if (buf_add(&q->text, v[PRICES_TOKEN_ID].s, o->tokn) == -1 ||
	    buf_add(&q->text, v[PRICES_TS].s, o->tsn) == -1 ||
	    (o->hasf && buf_add(&q->text, v[PRICES_FETCHED_AT].s, o->fn)
	    == -1))
		return DB_ERR;
	q->n++;
	return DB_DONE;
}

/* Text as SQL's binary collation orders it. */
static int
textcmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c ? c : (an > bn) - (an < bn);
}

static int
by_token(const void *x, const void *y)
{
	const struct qobs *a = x, *b = y;
	int c = textcmp(a->tp, a->tokn, b->tp, b->tokn);

	return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

/* Two moments in order: quoted_at, then the fetch time (none first). */
static int
momentcmp(const struct qobs *a, const struct qobs *b)
{
	int c = textcmp(a->sp, a->tsn, b->sp, b->tsn);

	if (c != 0 || a->hasf != b->hasf)
		return c ? c : a->hasf - b->hasf;
	return a->hasf ? textcmp(a->fp, a->fn, b->fp, b->fn) : 0;
}

/* One token's row: its newest moment's last price per side (has[side]
 * 0: none) and whether a midpoint came last. */
struct qrow {
	const struct qobs *t;
	double		 price[3];
	int		 has[3], lm;
};

static void
reduce(const struct qobs *o, size_t n, struct qrow *r)
{
	size_t i;

	memset(r, 0, sizeof *r);
	r->t = &o[0];
	for (i = 1; i < n; i++)
		if (momentcmp(&o[i], r->t) > 0)
			r->t = &o[i];
	for (i = 0; i < n; i++) {
		if (momentcmp(&o[i], r->t) != 0)
			continue;
		r->price[o[i].side] = o[i].price;
		r->has[o[i].side] = 1;
		r->lm = o[i].side == Q_MID;
	}
}

static int
row_pg(struct buf *b, const struct qrow *r)
{
	static const char *const key[] = { "bid", "ask", "mid" };
	int i;

	jw_open(b, '{');
	jw_key(b, "token_id");
	jw_str(b, r->t->tp, r->t->tokn);
	jw_key(b, "t");
	jw_str(b, r->t->sp, r->t->tsn);
	jw_key(b, "f");
	if (r->t->hasf)
		jw_str(b, r->t->fp, r->t->fn);
	else
		jw_null(b);
	for (i = 0; i < 3; i++) {
		jw_key(b, key[i]);
		if (r->has[i])
			jw_double(b, r->price[i]);
		else
			jw_null(b);
	}
	jw_key(b, "lm");
	jw_int(b, r->lm);
	return jw_close(b, '}');
}

static int
row_lite(struct db_stmt *st, const struct qrow *r)
{
	int i, rc = DB_DONE;

	if (db_bind_text(st, 1, r->t->tp, r->t->tokn) == -1 ||
	    db_bind_text(st, 2, r->t->sp, r->t->tsn) == -1 ||
	    (r->t->hasf ? db_bind_text(st, 3, r->t->fp, r->t->fn) :
	    db_bind_null(st, 3)) == -1 ||
	    db_bind_int(st, 7, r->lm) == -1)
		rc = DB_ERR;
	for (i = 0; i < 3 && rc == DB_DONE; i++)
		if ((r->has[i] ? db_bind_double(st, 4 + i, r->price[i]) :
		    db_bind_null(st, 4 + i)) == -1)
			rc = DB_ERR;
	if (rc == DB_DONE)
		rc = db_step(st);
	db_reset(st);
	return rc;
}

static int
prepare(struct store *s, struct quotes *q)
{
	int pg = db_engine(s->db) == DB_PG;

	if (pg && q->apply == NULL)
		q->apply = db_prepare(s->db, q_pg);
	if (pg)
		return q->apply ? DB_DONE : DB_ERR;
	/* made again after a rollback took it away; the statements on it
	 * are prepared again by SQLite */
	if (q->mk == NULL && (q->mk = db_prepare(s->db, "CREATE TEMP TABLE "
	    "IF NOT EXISTS tmp_quotes (token_id TEXT, t TEXT, f TEXT, "
	    "bid REAL, ask REAL, mid REAL, lm INTEGER)")) == NULL)
		return DB_ERR;
	if (db_step(q->mk) != DB_DONE)
		return DB_ERR;
	if (q->ins == NULL)
		q->ins = db_prepare(s->db, "INSERT INTO temp.tmp_quotes "
		    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (q->apply == NULL)
		q->apply = db_prepare(s->db, q_lite);
	if (q->clear == NULL)
		q->clear = db_prepare(s->db, "DELETE FROM temp.tmp_quotes");
	return q->ins && q->apply && q->clear ? DB_DONE : DB_ERR;
}

/* The batch's quotes into contracts, inside its transaction, after its
 * rows; then forgotten, written or not. */
int
quote_flush(struct store *s)
{
	struct quotes *q = s->quotes;
	struct qrow r;
	size_t i, j;
	int pg, rc;

	if (q == NULL || q->n == 0)
		return DB_DONE;
	pg = db_engine(s->db) == DB_PG;
	if ((rc = prepare(s, q)) != DB_DONE)
		goto out;
	for (i = 0; i < q->n; i++) {
		q->o[i].tp = q->text.data + q->o[i].tok;
		q->o[i].sp = q->text.data + q->o[i].ts;
		q->o[i].fp = q->text.data + q->o[i].f;
	}
	qsort(q->o, q->n, sizeof *q->o, by_token);
	buf_reset(&q->rows);
	if (pg)
		buf_addc(&q->rows, '[');
	for (i = 0; i < q->n && rc == DB_DONE; i = j) {
		for (j = i + 1; j < q->n && textcmp(q->o[j].tp, q->o[j].tokn,
		    q->o[i].tp, q->o[i].tokn) == 0; j++)
			;
		reduce(&q->o[i], j - i, &r);
		if (pg && i > 0)
			buf_addc(&q->rows, ',');
		if (pg && row_pg(&q->rows, &r) == -1)
			rc = DB_ERR;
		else if (!pg)
			rc = row_lite(q->ins, &r);
	}
	if (pg && (buf_addc(&q->rows, ']') == -1 ||
	    db_bind_text(q->apply, 1, q->rows.data, q->rows.len) == -1))
		rc = DB_ERR;
	if (rc == DB_DONE)
		rc = db_step(q->apply);
	db_reset(q->apply);
	if (!pg && rc == DB_DONE)
		rc = db_step(q->clear);
out:
	quote_reset(s);
	return rc;
}

void
quote_reset(struct store *s)
{
	if (s->quotes) {
		s->quotes->n = 0;
		buf_reset(&s->quotes->text);
	}
}

size_t
quote_count(const struct store *s)
{
	return s->quotes ? s->quotes->n : 0;
}

void
quote_free(struct store *s)
{
	struct quotes *q = s->quotes;

	if (q == NULL)
		return;
	db_finalize(q->mk);
	db_finalize(q->ins);
	db_finalize(q->apply);
	db_finalize(q->clear);
	buf_release(&q->text);
	buf_release(&q->rows);
	free(q->o);
	free(q);
	s->quotes = NULL;
}
