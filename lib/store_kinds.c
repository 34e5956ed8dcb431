/*
 * store_kinds.c - one function per record kind: check the record against
 * pm-records(5), then write its rows.  Checking comes first, whole, so a
 * bad record writes nothing at all; a record checked good is written with
 * the columns its check extracted, and its canonical text is made once,
 * for its record column and its hash alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jspan.h"
#include "key.h"
#include "msg.h"
#include "sha.h"
#include "store_impl.h"

/* What a check makes of a record: REC_BAD, it breaks the contract (err
 * says how).  Writes return DB_DONE, DB_ERR or DB_BUSY only. */
enum check { REC_GOOD, REC_BAD };

/* Write flags: the rows go with PostgreSQL's bulk statements. */
enum { W_BULK = 1 };

static enum check
say(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s", why);
	return REC_BAD;
}

/* Does v hold a number beyond a double (1e400, a JSON_HUGE) anywhere? */
static int
huge_in(const json_val *v)
{
	json_iter it;
	json_val e;

	if (v->type == JSON_HUGE)
		return 1;
	if (v->type != JSON_ARRAY && v->type != JSON_OBJECT)
		return 0;
	json_iter_init(&it, v);
	while (json_iter_next(&it, NULL, NULL, &e))
		if (huge_in(&e))
			return 1;
	return 0;
}

/*
 * A record kept as its canonical text (a market's or event's record
 * column, a group) cannot keep such a number: the text would say null
 * where the record said 1e400, and an export would give that back.  A
 * member of a number column says so first ("volume is not a number");
 * any other member holding one, at any depth, fails the record too.
 */
static enum check
huge_check(const json_val *obj, char *err, size_t errlen)
{
	json_iter it;
	json_val e;
	const char *k;
	size_t n;

	json_iter_init(&it, obj);
	while (json_iter_next(&it, &k, &n, &e))
		if (huge_in(&e)) {
			snprintf(err, errlen, "%.*s holds a number beyond a "
			    "double", (int)(n < 64 ? n : 64), k);
			return REC_BAD;
		}
	return REC_GOOD;
}

static int
skipped(struct entry *e)
{
	e->status = ST_SKIPPED;
	return DB_DONE;
}

void
entry_fail(struct entry *e, const char *reason, const char *detail)
{
	e->status = ST_FAILED;
	e->reason = reason;
	if (detail != e->detail)
		snprintf(e->detail, sizeof e->detail, "%s", detail);
}

/* A record that breaks the contract: failed, with a processing_failures
 * row so the run remembers it. */
static int
bad(struct store *s, struct entry *e, const char *err)
{
	int rc;

	entry_fail(e, "bad_record", err);
	if ((rc = aw_wait(s)) != DB_DONE)	/* the connection is ours */
		return rc;
	return fail_row(s, e);
}

int
fail_row(struct store *s, struct entry *e)
{
	char sha[65], pos[MSG_POS_SIZE];
	struct buf b;

	if (s->db == NULL)
		return DB_DONE;
	msg_pos(pos, sizeof pos, e->file, e->line);
	buf_init(&b, 0);
	buf_printf(&b, "%s\n%s\n%s\n%s\n%s\n%s", s->run_id ? s->run_id : "",
	    pos, e->reason, e->detail, e->key ? e->key : "",
	    e->market_id ? e->market_id : "");
	sha256_hex(b.data, b.len, sha);
	buf_release(&b);
	return tbl_put(s, T_FAILURES, (struct val[T_FAILURES_NCOLS]){
	    [FAIL_FAILURE_SHA256] = vstr(sha),
	    [FAIL_RUN_ID] = vstr(s->run_id),
	    [FAIL_STAGE] = vstr("store"),
	    [FAIL_REASON] = vstr(e->reason),
	    [FAIL_RETRIABLE] = vint(strcmp(e->reason, "store_failed") == 0),
	    [FAIL_MARKET_ID] = vstr(e->market_id),
	    [FAIL_EVENT_KEY] = vstr(e->key),
	    [FAIL_INPUT] = vstr(pos),
	    [FAIL_URL] = vstr(NULL),
	    [FAIL_DETAIL] = vstr(e->detail),
	    [FAIL_RECORDED_AT] = vstr(s->now) }, NULL);
}

static int
is_str(const json_val *obj, const char *key, const char *want)
{
	json_val v;
	const char *p;

	json_get(obj, key, &v);
	p = json_str(&v, NULL);
	return p != NULL && strcmp(p, want) == 0;
}

static int
absent(const json_val *v)
{
	return v->type == JSON_ABSENT || v->type == JSON_NULL;
}

/* The columns a market or event row (table t, its other columns in v)
 * takes from the record itself: the canonical text, unless the columns
 * give it back (rec_rebuildable), the hash of its content (canon_record),
 * run_id, first_seen_at, stored_at.  s->canon keeps the text. */
_Static_assert(MARKETS_STORED_AT - MARKETS_RECORD == 4 &&
    EVENTS_STORED_AT - EVENTS_RECORD == 4, "record columns in one order");
static int
record_cols(struct store *s, enum tbl t, const json_val *obj,
    const char *line, size_t n, struct val *v)
{
	struct val *rec = &v[t == T_MARKETS ? MARKETS_RECORD : EVENTS_RECORD];

	/* as pm-normalize writes it: neither made again nor kept */
	if (line && rec_is_line(s, t, v, line, n, s->sha)) {
		rec[0] = vstr(NULL);
		goto cols;
	}
	buf_reset(&s->canon);
	buf_reset(&s->content);
	if (canon_record(&s->canon, &s->content, obj) == -1)
		return DB_ERR;	/* out of memory: no limit is set */
	sha256_hex(s->content.data, s->content.len, s->sha);
	rec[0] = vtext(s->canon.data, s->canon.len);
	if (rec_rebuildable(s, t, v, &s->canon))
		rec[0] = vstr(NULL);
cols:
	rec[1] = vstr(s->sha);
	rec[2] = vstr(s->run_id);
	rec[3] = rec[4] = vstr(s->now);
	return DB_DONE;
}

int
vals_reserve(struct val **v, size_t *cap, size_t need)
{
	struct val *n;
	size_t c = *cap ? *cap : 16;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if ((n = realloc(*v, c * sizeof *n)) == NULL)
		return -1;
	*v = n;
	*cap = c;
	return 0;
}

/* Room for one more row of ncols values in r. */
static struct val *
vrows_next(struct vrows *r, int ncols)
{
	if (vals_reserve(&r->v, &r->cap, (r->n + 1) * (size_t)ncols) == -1)
		return NULL;
	return &r->v[r->n * (size_t)ncols];
}

/* An optional array (tags, contracts) of objects, each with the columns
 * of table t, kept in out (unless NULL) as extracted; what names one,
 * prefix goes before a column's complaint. */
static enum check
rows_check(struct store *s, const json_val *a, enum tbl t, const char *what,
    const char *prefix, struct vrows *out, char *err, size_t errlen)
{
	struct val v[MAXCOL], *row;
	char why[120];	/* and a prefix fits in err */
	json_iter it;
	json_val x;

	if (out)
		out->n = 0;
	if (absent(a))
		return REC_GOOD;
	if (a->type != JSON_ARRAY) {
		snprintf(err, errlen, "%ss is not an array", what);
		return REC_BAD;
	}
	json_iter_init(&it, a);
	while (json_iter_next(&it, NULL, NULL, &x)) {
		if (x.type != JSON_OBJECT) {
			snprintf(err, errlen, "a %s is not an object", what);
			return REC_BAD;
		}
		row = v;
		if (out && (row = vrows_next(out,
		    store_tables[t].ncols)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return REC_BAD;
		}
		if (tbl_extract(s, t, &x, row, why, sizeof why) == -1) {
			snprintf(err, errlen, "%s%s", prefix, why);
			return REC_BAD;
		}
		if (out)
			out->n++;
	}
	return REC_GOOD;
}

/* A checked record's tags and, of a market, its contracts, into s->mt
 * and s->mc (groups' markets: their check kept none). */
static int
rows_of(struct store *s, const json_val *m, int market)
{
	json_val a;
	char err[160];

	json_get(m, "tags", &a);
	if (rows_check(s, &a, T_TAGS, "tag", "", &s->mt, err,
	    sizeof err) != REC_GOOD)
		return DB_ERR;
	s->mc.n = 0;
	if (!market)
		return DB_DONE;
	json_get(m, "contracts", &a);
	s->mc_array = a.type == JSON_ARRAY;
	return rows_check(s, &a, T_CONTRACTS, "contract", "", &s->mc, err,
	    sizeof err) == REC_GOOD ? DB_DONE : DB_ERR;
}

/* The tags of an event, or of market mv (entry seq). */
static int
tags_write(struct store *s, const struct vrows *tags, int flags,
    const struct val *mv, size_t seq)
{
	struct val *v;
	size_t i;
	int rc = DB_DONE;

	for (i = 0; rc == DB_DONE && i < tags->n; i++) {
		v = &tags->v[i * T_TAGS_NCOLS];
		v[TAGS_SOURCE] = vstr("polymarket");
		rc = flags & W_BULK ? tbl_copy_tag(s, v, mv, seq) :
		    tbl_put(s, T_TAGS, v, NULL);
	}
	return rc;
}

/* The contracts cs of market mv (its columns), into contracts, or with
 * event_key into the run-scoped processed_contracts. */
static int
contracts_write(struct store *s, const struct vrows *cs, const struct val *mv,
    const char *event_key, int flags)
{
	struct val v[MAXCOL];
	const struct val *c;
	size_t idx;
	int rc = DB_DONE;

	for (idx = 0; rc == DB_DONE && idx < cs->n; idx++) {
		c = &cs->v[idx * T_CONTRACTS_NCOLS];
		if (event_key) {
			v[PCONTRACTS_EVENT_KEY] = vstr(event_key);
			v[PCONTRACTS_MARKET_ID] = mv[MARKETS_MARKET_ID];
			v[PCONTRACTS_OUTCOME_INDEX] = vint((int64_t)idx);
			v[PCONTRACTS_RUN_ID] = vstr(s->run_id);
			v[PCONTRACTS_OUTCOME] = c[CONTRACTS_OUTCOME];
			v[PCONTRACTS_TOKEN_ID] = c[CONTRACTS_TOKEN_ID];
			v[PCONTRACTS_PRICE] = c[CONTRACTS_PRICE];
			rc = tbl_put(s, T_PCONTRACTS, v, NULL);
			continue;
		}
		memcpy(v, c, T_CONTRACTS_NCOLS * sizeof *v);
		v[CONTRACTS_SOURCE] = mv[MARKETS_SOURCE];
		v[CONTRACTS_MARKET_ID] = mv[MARKETS_MARKET_ID];
		v[CONTRACTS_OUTCOME_INDEX] = vint((int64_t)idx);
		rc = flags & W_BULK ? tbl_copy(s, T_CONTRACTS, v, 0) :
		    tbl_put(s, T_CONTRACTS, v, NULL);
	}
	return rc;
}

/* A market whole, its columns into v, its contracts and tags into s->mc
 * and s->mt.  Tags and contracts have no JSON columns: checking them
 * leaves v's JSON scratch buffers alone. */
static enum check
market_check(struct store *s, const json_val *m, struct val *v, char *err,
    size_t errlen)
{
	json_val tags, cs;

	if (m->type != JSON_OBJECT)
		return say(err, errlen, "a market is not an object");
	json_get(m, "tags", &tags);
	json_get(m, "contracts", &cs);
	s->mc_array = cs.type == JSON_ARRAY;
	if (tbl_extract(s, T_MARKETS, m, v, err, errlen) == -1 ||
	    rows_check(s, &tags, T_TAGS, "tag", "tag ", &s->mt, err,
	    errlen) != REC_GOOD ||
	    rows_check(s, &cs, T_CONTRACTS, "contract", "", &s->mc, err,
	    errlen) != REC_GOOD)
		return REC_BAD;
	return huge_check(m, err, errlen);
}

/* A checked market, v complete, its contracts cs and tags tags: its row,
 * then its contracts and tags unless the row was there unchanged (on
 * PostgreSQL the bulk statement decides later, so they go along). */
int
market_write(struct store *s, struct val *v, const struct vrows *cs,
    const struct vrows *tags, int flags, size_t seq, int *status)
{
	int rc;

	if (flags & W_BULK) {
		*status = ST_UNCHANGED;	/* unless the bulk statement says */
		rc = tbl_copy(s, T_MARKETS, v, seq);
	} else
		rc = tbl_put(s, T_MARKETS, v, status);
	if (rc != DB_DONE || (!(flags & W_BULK) && *status == ST_UNCHANGED))
		return rc;
	if ((rc = contracts_write(s, cs, v, NULL, flags)) != DB_DONE)
		return rc;
	if (!(flags & W_BULK) && *status == ST_UPDATED &&
	    (rc = tbl_trim_contracts(s, v, (int64_t)cs->n)) != DB_DONE)
		return rc;
	return tags_write(s, tags, flags, v, seq);
}

static int
market_rec(struct store *s, struct entry *e, const json_val *root,
    size_t seq)
{
	struct val v[MAXCOL];
	char err[160];
	int rc, flags;

	if (market_check(s, root, v, err, sizeof err) == REC_BAD)
		return bad(s, e, err);
	if (s->db == NULL)
		return skipped(e);
	if ((rc = record_cols(s, T_MARKETS, root, s->text.data + e->off, e->len,
	    v)) != DB_DONE)
		return rc;
	if (aw_on(s))
		return aw_market(s, seq, v, &s->mc, &s->mt);
	flags = db_engine(s->db) == DB_PG ? W_BULK : 0;
	return market_write(s, v, &s->mc, &s->mt, flags, seq, &e->status);
}

static enum check
event_check(struct store *s, const json_val *ev, struct val *v, char *err,
    size_t errlen)
{
	json_val tags;

	json_get(ev, "tags", &tags);
	if (tbl_extract(s, T_EVENTS, ev, v, err, errlen) == -1 ||
	    rows_check(s, &tags, T_TAGS, "tag", "tag ", NULL, err, errlen) !=
	    REC_GOOD)
		return REC_BAD;
	return huge_check(ev, err, errlen);
}

static int
event_write(struct store *s, const json_val *ev, struct val *v, int *status)
{
	int rc;

	if ((rc = record_cols(s, T_EVENTS, ev, NULL, 0, v)) != DB_DONE ||
	    (rc = tbl_put(s, T_EVENTS, v, status)) != DB_DONE ||
	    *status == ST_UNCHANGED || (rc = rows_of(s, ev, 0)) != DB_DONE)
		return rc;
	return tags_write(s, &s->mt, 0, NULL, 0);
}

static int
event_rec(struct store *s, struct entry *e, const json_val *root)
{
	struct val v[MAXCOL];
	char err[160];

	if (event_check(s, root, v, err, sizeof err) == REC_BAD)
		return bad(s, e, err);
	if (s->db == NULL)
		return skipped(e);
	return event_write(s, root, v, &e->status);
}

/* The hash names the bytes: a payload that does not match it would poison
 * the bronze table for good.  The bytes hashed may have been minified. */
static int
payload_matches(const char *p, size_t n, const char *want)
{
	char sha[65], *min;
	size_t mn;
	int ok = 0;

	sha256_hex(p, n, sha);
	if (memcmp(sha, want, sizeof sha - 1) == 0)
		return 1;
	if ((min = malloc(n + 1)) == NULL)
		return 0;
	if ((mn = json_minify(p, n, min)) != (size_t)-1) {
		sha256_hex(min, mn, sha);
		ok = memcmp(sha, want, sizeof sha - 1) == 0;
	}
	free(min);
	return ok;
}

/* Is the payload the raw record's last member, and its only one (as
 * pm-normalize and pm-fetch write it)?  Then its bytes need not be
 * scanned to find where they end. */
static int
payload_last(const json_val *root)
{
	json_iter it;
	json_val x;
	const char *k;
	size_t kl;
	int n = 0, last = 0;

	json_iter_init(&it, root);
	while (json_iter_next(&it, &k, &kl, &x)) {
		last = kl == 7 && memcmp(k, "payload", 7) == 0;
		n += last;
	}
	return n == 1 && last;
}

static int
raw_put(struct store *s, struct entry *e, const json_val *root, size_t seq)
{
	const char *text = s->text.data + e->off;
	struct val v[MAXCOL];
	struct jspan span;
	json_val ep;
	char err[160];
	int rc;

	if (tbl_extract(s, T_RAW, root, v, err, sizeof err) == -1)
		return bad(s, e, err);
	json_get(root, "endpoint", &ep);
	if (!sha256_is_hex(v[RAW_SHA256].s, v[RAW_SHA256].n))
		return bad(s, e, "sha256 is not 64 lowercase hex digits");
	if ((payload_last(root) ? jspan_last(text, e->len, "payload", &span) :
	    jspan_member(text, e->len, "payload", &span)) == -1)
		return bad(s, e, "payload missing");
	if (!payload_matches(text + span.off, span.len, v[RAW_SHA256].s))
		return bad(s, e, "sha256 does not match the payload");
	if (s->db == NULL)
		return skipped(e);
	v[RAW_RUN_ID] = vstr(s->run_id);
	v[RAW_STORED_AT] = vstr(s->now);
	if (aw_on(s))
		return aw_raw(s, seq, v, json_str(&ep, NULL), text + span.off,
		    span.len);
	/* the payload once; this fetch of it, always (a repeat is one) */
	if ((rc = tbl_payload(s, &v[RAW_SHA256], json_str(&ep, NULL),
	    text + span.off, span.len, seq, &e->status)) != DB_DONE)
		return rc;
	if (db_engine(s->db) == DB_PG)
		return tbl_copy(s, T_RAW, v, seq);
	return tbl_put(s, T_RAW, v, NULL);
}

static int
price_put(struct store *s, struct entry *e, const json_val *root, size_t seq)
{
	struct val v[MAXCOL];
	char err[160];
	int rc;

	if (tbl_extract(s, T_PRICES, root, v, err, sizeof err) == -1)
		return bad(s, e, err);
	if (s->db == NULL)
		return skipped(e);
	v[PRICES_RUN_ID] = vstr(s->run_id);
	if ((rc = quote_add(s, v)) != DB_DONE)
		return rc;
	if (db_engine(s->db) == DB_PG) {
		e->status = ST_UNCHANGED;
		return tbl_copy(s, T_PRICES, v, seq);
	}
	return tbl_put(s, T_PRICES, v, &e->status);
}

/* A trade: one row per trade_key; a fetch again changes nothing but a
 * count that grew. */
static int
trade_put(struct store *s, struct entry *e, const json_val *root)
{
	struct val v[MAXCOL];
	char err[160];

	if (tbl_extract(s, T_TRADES, root, v, err, sizeof err) == -1)
		return bad(s, e, err);
	if (!sha256_is_hex(v[TRADES_TRADE_KEY].s, v[TRADES_TRADE_KEY].n))
		return bad(s, e, "trade_key is not 64 lowercase hex digits");
	if (s->db == NULL)
		return skipped(e);
	v[TRADES_RUN_ID] = vstr(s->run_id);
	return tbl_put(s, T_TRADES, v, &e->status);
}

/* A time member that is one when present (and when need is set). */
static int
time_ok(const json_val *root, const char *key, int need)
{
	json_val x;
	const char *p;
	size_t n;

	json_get(root, key, &x);
	if ((x.type == JSON_NULL || x.type == JSON_ABSENT) && !need)
		return 1;
	return (p = json_str(&x, &n)) != NULL && ts_is_utc(p, n);
}

/* A book snapshot: a row per level of each side. */
static int
book_put(struct store *s, struct entry *e, const json_val *root)
{
	static const char *const sides[][2] = { { "bids", "bid" },
	    { "asks", "ask" } };
	struct val v[MAXCOL];
	json_val tok, ts, mid, sha, lv, l;
	json_iter it;
	char err[160];
	int i, rc = DB_DONE;

	json_get(root, "token_id", &tok);
	json_get(root, "ts", &ts);
	json_get(root, "market_id", &mid);
	json_get(root, "raw_sha256", &sha);
	if (json_str(&tok, NULL) == NULL || json_str(&ts, NULL) == NULL)
		return bad(s, e, "book without token_id or ts");
	if (!time_ok(root, "ts", 1))
		return bad(s, e, "ts is not " TIME_IS);
	/* kept in each level's row: never a wrong type taken for null */
	if (mid.type != JSON_NULL && mid.type != JSON_ABSENT &&
	    json_str(&mid, NULL) == NULL)
		return bad(s, e, "market_id is not a string");
	if (sha.type != JSON_NULL && sha.type != JSON_ABSENT &&
	    json_str(&sha, NULL) == NULL)
		return bad(s, e, "raw_sha256 is not a string");
	for (i = 0; i < 2; i++) {
		json_get(root, sides[i][0], &lv);
		if (rows_check(s, &lv, T_BOOKS, "book level", "", NULL, err,
		    sizeof err) != REC_GOOD)
			return bad(s, e, err);
	}
	if (s->db == NULL)
		return skipped(e);
	e->status = ST_UNCHANGED;
	for (i = 0; i < 2 && rc == DB_DONE; i++) {
		json_get(root, sides[i][0], &lv);
		json_iter_init(&it, &lv);
		while (rc == DB_DONE && json_iter_next(&it, NULL, NULL, &l)) {
			int st = ST_UNCHANGED;
			if (tbl_extract(s, T_BOOKS, &l, v, NULL, 0) == -1)
				return DB_ERR;	/* checked: cannot be */
			v[BOOKS_TOKEN_ID] = vstr(json_str(&tok, NULL));
			v[BOOKS_TS] = vstr(json_str(&ts, NULL));
			v[BOOKS_SIDE] = vstr(sides[i][1]);
			v[BOOKS_MARKET_ID] = vstr(json_str(&mid, NULL));
			v[BOOKS_RAW_SHA256] = vstr(json_str(&sha, NULL));
			v[BOOKS_RUN_ID] = vstr(s->run_id);
			rc = tbl_put(s, T_BOOKS, v, &st);
			if (st == ST_INSERTED || (st == ST_UPDATED &&
			    e->status != ST_INSERTED))
				e->status = st;
		}
	}
	return rc;
}

/* A failure record from upstream: kept, once per run and content. */
static int
failure_put(struct store *s, struct entry *e, const json_val *root)
{
	struct val v[MAXCOL];
	char err[160];

	if (tbl_extract(s, T_FAILURES, root, v, err, sizeof err) == -1)
		return bad(s, e, err);
	if (s->db == NULL)
		return skipped(e);
	buf_reset(&s->canon);
	if (buf_printf(&s->canon, "%s\n", s->run_id ? s->run_id : "") == -1 ||
	    canon_json(&s->canon, root, 1) == -1)
		return bad(s, e, "record too large");
	sha256_hex(s->canon.data, s->canon.len, s->sha);
	v[FAIL_FAILURE_SHA256] = vstr(s->sha);
	v[FAIL_RUN_ID] = vstr(s->run_id);
	v[FAIL_RECORDED_AT] = vstr(s->now);
	return tbl_put(s, T_FAILURES, v, &e->status);
}

/* An end record replayed from a dump says how that run finished: keep its
 * word, unless this input lost records of the run (store_end_lost).
 * id: the run's run_id column. */
static int
run_end_put(struct store *s, struct entry *e, const json_val *root,
    const struct val *id)
{
	struct db_stmt *st = s->xrunend;
	const char *status;
	json_val x;
	int rc, lost;

	json_get(root, "status", &x);
	status = json_str(&x, NULL);
	lost = s->run_id && id->s && strlen(s->run_id) == id->n &&
	    memcmp(s->run_id, id->s, id->n) == 0 ? store_run_lost(s) : 0;
	if (lost == -1)
		return DB_ERR;
	if (lost && store_end_lost(s->run_id, s->run.failed, lost == 2 ?
	    s->end_kept : NULL, &status, &s->end_as))
		return DB_DONE;
	bind_one(st, 1, id);
	json_get(root, "finished_at", &x);
	db_bind_str(st, 2, json_str(&x, NULL));
	db_bind_str(st, 3, status);
	json_get(root, "counts", &x);
	buf_reset(&s->canon);
	if (x.type == JSON_OBJECT && canon_json(&s->canon, &x, 0) == 0)
		db_bind_text(st, 4, s->canon.data, s->canon.len);
	else
		db_bind_null(st, 4);
	if ((rc = db_step(st)) == DB_DONE && e->status == ST_UNCHANGED &&
	    db_changes(st) > 0)
		e->status = ST_UPDATED;
	return rc;
}

/* The flows pipelines.sh runs (pm-pipelines(7)), trades included: a run
 * record of any other flow is a mistake, not a new flow. */
static const char *const run_flows[] = { "daily", "static", "delta",
	"events", "prices", "replay", "retry-failures", "trades" };
static const char *const run_statuses[] = { "running", "completed",
	"partial", "failed", "abandoned" };

static int
one_of(const char *p, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; p && i < n; i++)
		if (strcmp(p, list[i]) == 0)
			return 1;
	return 0;
}

int
store_flow_known(const char *name)
{
	return one_of(name, run_flows, sizeof run_flows / sizeof *run_flows);
}

const char *
store_flows(void)
{
	static char list[128];
	size_t i, n = 0;

	if (list[0] == 0)
		for (i = 0; i < sizeof run_flows / sizeof *run_flows; i++)
			n += (size_t)snprintf(list + n, sizeof list - n,
			    "%s%s", i ? ", " : "", run_flows[i]);
	return list;
}

/* What status and freshness are computed from must be true: a run_id, a
 * known flow, times that are times, a known status.  NULL or the
 * reason. */
static const char *
run_invalid(const json_val *root, int end)
{
	json_val x;
	const char *p;

	json_get(root, "run_id", &x);
	if ((p = json_str(&x, NULL)) == NULL || *p == 0)
		return "run_id missing or empty";
	json_get(root, "flow", &x);
	if (!one_of(json_str(&x, NULL), run_flows,
	    sizeof run_flows / sizeof *run_flows))
		return "flow is not one of pipelines.sh's flows";
	if (!time_ok(root, "started_at", 0))
		return "started_at is not " TIME_IS;
	if (!time_ok(root, "finished_at", end))
		return "finished_at is not " TIME_IS;
	json_get(root, "status", &x);
	if (end && !one_of(json_str(&x, NULL), run_statuses,
	    sizeof run_statuses / sizeof *run_statuses))
		return "status is not running, completed, partial, failed or "
		    "abandoned";
	return NULL;
}

/* A run record; the run's state (which run is open) is store.c's. */
static int
run_put(struct store *s, struct entry *e, const json_val *root)
{
	struct val v[MAXCOL];
	const char *why;
	char err[160];
	int rc;

	if (!is_str(root, "phase", "start") && !is_str(root, "phase", "end"))
		return bad(s, e, "phase is not start or end");
	if ((why = run_invalid(root, is_str(root, "phase", "end"))) != NULL)
		return bad(s, e, why);
	if (tbl_extract(s, T_RUNS, root, v, err, sizeof err) == -1)
		return bad(s, e, err);
	if (s->db == NULL)
		return skipped(e);
	v[RUNS_STORED_AT] = vstr(s->now);
	if ((rc = tbl_put(s, T_RUNS, v, &e->status)) != DB_DONE ||
	    !is_str(root, "phase", "end"))
		return rc;
	return run_end_put(s, e, root, &v[RUNS_RUN_ID]);
}

/* One forecast of a market: p, or {outcome: p}, each p in [0, 1]. */
static int
prob_ok(const json_val *e)
{
	json_iter it;
	json_val q;
	double d;

	if (e->type != JSON_OBJECT)
		return json_double(e, &d) == 0 && d >= 0 && d <= 1;
	json_iter_init(&it, e);
	while (json_iter_next(&it, NULL, NULL, &q))
		if (json_double(&q, &d) == -1 || !(d >= 0 && d <= 1))
			return 0;
	return 1;
}

/* A result's probabilities, when it has some, are probabilities: what
 * --score reads of it. */
static enum check
probs_check(const json_val *r, char *err, size_t errlen)
{
	json_val pr, e;
	json_iter it;
	const char *id;
	size_t n;

	json_get(r, "probabilities", &pr);
	if (absent(&pr))
		return REC_GOOD;
	if (pr.type != JSON_OBJECT)
		return say(err, errlen, "probabilities is not an object");
	json_iter_init(&it, &pr);
	while (json_iter_next(&it, &id, &n, &e))
		if (!prob_ok(&e)) {
			snprintf(err, errlen, "probabilities of market %.*s: "
			    "not a probability from 0 to 1",
			    (int)(n < 64 ? n : 64), id);
			return REC_BAD;
		}
	return REC_GOOD;
}

/* A forecast's lead, when it has one: each market's close_time a time or
 * null, as its group's market had it (--score reads it when lead_h is
 * not there). */
static enum check
lead_check(const json_val *r, char *err, size_t errlen)
{
	json_val lead, one, ct;
	json_iter it;
	const char *id, *p;
	size_t n, pn;

	json_get(r, "lead", &lead);
	if (lead.type != JSON_OBJECT)
		return REC_GOOD;
	json_iter_init(&it, &lead);
	while (json_iter_next(&it, &id, &n, &one)) {
		json_get(&one, "close_time", &ct);
		if (absent(&ct) || ((p = json_str(&ct, &pn)) != NULL &&
		    ts_is_utc(p, pn)))
			continue;
		snprintf(err, errlen, "lead of market %.*s: close_time is not "
		    TIME_IS, (int)(n < 64 ? n : 64), id);
		return REC_BAD;
	}
	return REC_GOOD;
}

static enum check
result_check(struct store *s, const json_val *r, char *err, size_t errlen)
{
	struct val v[MAXCOL];

	if (r->type != JSON_OBJECT)
		return say(err, errlen, "a result is not an object");
	if (probs_check(r, err, errlen) == REC_BAD ||
	    lead_check(r, err, errlen) == REC_BAD)
		return REC_BAD;
	if (tbl_extract(s, T_EXPERIMENTS, r, v, err, errlen) == -1 ||
	    tbl_extract(s, T_RESULTS, r, v, err, errlen) == -1)
		return REC_BAD;
	return REC_GOOD;
}

static enum check
group_check(struct store *s, const json_val *g, char *err, size_t errlen)
{
	struct val v[MAXCOL];
	json_val k, ms, rs, ev, x;
	json_iter it;
	const char *p;
	size_t n;

	json_get(g, "event_key", &k);
	json_get(g, "markets", &ms);
	json_get(g, "results", &rs);
	json_get(g, "event", &ev);
	if ((p = json_str(&k, &n)) == NULL)
		return say(err, errlen, k.type == JSON_ABSENT ?
		    "event_key missing" : "event_key is not a string");
	if (memchr(p, 0, n))
		return say(err, errlen, "event_key holds U+0000");
	if (ms.type != JSON_ARRAY)
		return say(err, errlen, "markets is not an array");
	json_iter_init(&it, &ms);
	while (json_iter_next(&it, NULL, NULL, &x))
		if (market_check(s, &x, v, err, errlen) == REC_BAD)
			return REC_BAD;
	if (!absent(&rs) && rs.type != JSON_ARRAY)
		return say(err, errlen, "results is not an array");
	json_iter_init(&it, &rs);
	while (json_iter_next(&it, NULL, NULL, &x))
		if (result_check(s, &x, err, errlen) == REC_BAD)
			return REC_BAD;
	if (ev.type == JSON_OBJECT && is_str(&ev, "kind", "event") &&
	    event_check(s, &ev, v, err, errlen) == REC_BAD)
		return REC_BAD;
	if (ev.type != JSON_OBJECT && !absent(&ev))
		return say(err, errlen, "event is not an object");
	return huge_check(g, err, errlen);
}

/* The markets a result covers: its market_ids, or (a record written
 * before results said) every market of its group. */
static int
covered(const json_val *r, const json_val *ms, json_val *out)
{
	json_get(r, "market_ids", out);
	if (out->type == JSON_ARRAY)
		return 1;
	*out = *ms;
	return 0;
}

/* The close time of market id in the group's markets, or NULL. */
static const char *
close_time_of(const json_val *ms, const char *id, size_t n)
{
	json_iter it;
	json_val m, x;
	const char *p;
	size_t k;

	json_iter_init(&it, ms);
	while (json_iter_next(&it, NULL, NULL, &m)) {
		json_get(&m, "market_id", &x);
		if ((p = json_str(&x, &k)) != NULL && k == n &&
		    memcmp(p, id, n) == 0) {
			json_get(&m, "close_time", &x);
			return json_str(&x, NULL);
		}
	}
	return NULL;
}

/* The member of lead named p[0..n), for a key too long for json_get. */
static void
lead_of(const json_val *lead, const char *p, size_t n, json_val *one)
{
	json_iter it;
	const char *k;
	size_t kl;

	one->type = JSON_ABSENT;
	json_iter_init(&it, lead);
	while (json_iter_next(&it, &k, &kl, one))
		if (kl == n && memcmp(k, p, n) == 0)
			return;
	one->type = JSON_ABSENT;
}

/* One experiment_markets row per market result r covers (v: its
 * experiment_results columns), with its lead time when r has one; when r
 * replaced a failed result (replace), the rows of that one take r's. */
static int
result_markets(struct store *s, const json_val *r, const json_val *ms,
    const struct val *v, int replace)
{
	struct val x[T_XMARKETS_NCOLS];
	json_val ids, m, id, lead, one, ct, lh;
	json_iter it;
	const char *p;
	char mid[256];
	size_t n;
	int by_id, rc = DB_DONE;

	by_id = covered(r, ms, &ids);
	json_get(r, "lead", &lead);
	json_iter_init(&it, &ids);
	while (rc == DB_DONE && json_iter_next(&it, NULL, NULL, &m)) {
		if (by_id)
			id = m;
		else
			json_get(&m, "market_id", &id);
		if ((p = json_str(&id, &n)) == NULL)
			continue;
		if (n < sizeof mid) {
			memcpy(mid, p, n);
			mid[n] = 0;
			json_get(&lead, mid, &one);
		} else	/* a long id's lead was left out: looked for */
			lead_of(&lead, p, n, &one);
		json_get(&one, "close_time", &ct);
		json_get(&one, "lead_h", &lh);
		x[XMARKETS_EVENT_KEY] = v[RESULTS_EVENT_KEY];
		x[XMARKETS_EXPERIMENT_ID] = v[RESULTS_EXPERIMENT_ID];
		x[XMARKETS_FINGERPRINT] = v[RESULTS_FINGERPRINT];
		x[XMARKETS_MARKETS] = v[RESULTS_MARKETS];
		x[XMARKETS_MARKET_ID] = vtext(p, n);
		x[XMARKETS_RUN_ID] = vstr(s->run_id);
		x[XMARKETS_CLOSE_TIME] = vstr(json_str(&ct, NULL) ?
		    json_str(&ct, NULL) : close_time_of(ms, p, n));
		x[XMARKETS_LEAD_H] = (struct val){ .t = V_NULL };
		if (json_double(&lh, &x[XMARKETS_LEAD_H].d) == 0)
			x[XMARKETS_LEAD_H].t = V_DBL;
		rc = replace ? tbl_bind_step(s->xretrym, T_XMARKETS, x) :
		    tbl_put(s, T_XMARKETS, x, NULL);
	}
	return rc;
}

/* A research result's artifact: its output and where it came from. */
static int
artifact_put(struct store *s, const json_val *r, const struct val *v)
{
	struct val a[T_ARTIFACTS_NCOLS];
	json_val prov;

	json_get(r, "provenance", &prov);
	buf_reset(&s->content);
	if (prov.type == JSON_OBJECT && canon_json(&s->content, &prov, 0) == -1)
		return DB_ERR;	/* out of memory */
	a[ARTIFACTS_EVENT_KEY] = v[RESULTS_EVENT_KEY];
	a[ARTIFACTS_EXPERIMENT_ID] = v[RESULTS_EXPERIMENT_ID];
	a[ARTIFACTS_RUN_ID] = vstr(s->run_id);
	a[ARTIFACTS_CONTENT] = v[RESULTS_OUTPUT];
	a[ARTIFACTS_FINGERPRINT] = v[RESULTS_FINGERPRINT];
	a[ARTIFACTS_MARKETS] = v[RESULTS_MARKETS];
	a[ARTIFACTS_PROVENANCE] = prov.type == JSON_OBJECT ?
	    vtext(s->content.data, s->content.len) : vstr(NULL);
	return tbl_put(s, T_ARTIFACTS, a, NULL);
}

/* One result written (v: its experiment_results columns, event_key and
 * run_id set; replace: in place of a failed one): its experiment, the
 * markets it covers, its research artifact, and its count in the
 * experiment run.  Experiments have no JSON columns: extracting one
 * leaves v's scratch buffers alone. */
static int
result_put(struct store *s, const json_val *r, const json_val *ms,
    struct val *v, int replace)
{
	struct val x[MAXCOL];
	struct db_stmt *st = s->xrun;
	const char *eid;
	char kb[KEY_MAX + 1];
	size_t eidn;
	int rc;

	if (tbl_extract(s, T_EXPERIMENTS, r, x, NULL, 0) == -1)
		return DB_ERR;	/* checked: cannot be */
	if ((rc = tbl_put(s, T_EXPERIMENTS, x, NULL)) != DB_DONE ||
	    (rc = result_markets(s, r, ms, v, replace)) != DB_DONE)
		return rc;
	if (is_str(r, "stage", "research") && is_str(r, "status", "ok") &&
	    (rc = artifact_put(s, r, v)) != DB_DONE)
		return rc;
	if (s->run_id == NULL)
		return DB_DONE;
	if ((eid = key_stored(v[RESULTS_EXPERIMENT_ID].s,
	    v[RESULTS_EXPERIMENT_ID].n, kb, &eidn)) == NULL)
		return DB_ERR;
	db_bind_str(st, 1, s->run_id);
	db_bind_text(st, 2, eid, eidn);	/* as experiments has it */
	db_bind_int(st, 3, is_str(r, "status", "ok"));
	db_bind_int(st, 4, is_str(r, "status", "failed"));
	db_bind_int(st, 5, is_str(r, "status", "skipped"));
	db_bind_str(st, 6, s->now);
	bind_one(st, 7, &x[EXPERIMENTS_FINGERPRINT]);
	bind_one(st, 8, &x[EXPERIMENTS_VERSION]);
	bind_one(st, 9, &x[EXPERIMENTS_DESCRIPTION]);
	return db_step(st);
}

/* The key columns a result record names: its fingerprint ("" when it
 * has none: written before fingerprints) and its markets, joined by ","
 * into mk ("" when it lists none), escaped as in an event key: a market
 * "a,b" and the markets "a" and "b" were one key, and the second result
 * was taken for the first and dropped. */
static void
result_key(const json_val *r, struct buf *mk, struct val *v)
{
	json_val fp, ids, id;
	json_iter it;
	const char *p;
	size_t n;

	json_get(r, "fingerprint", &fp);
	p = json_str(&fp, &n);
	v[RESULTS_FINGERPRINT] = p ? vtext(p, n) : vtext("", 0);
	buf_reset(mk);
	json_get(r, "market_ids", &ids);
	json_iter_init(&it, &ids);
	while (json_iter_next(&it, NULL, NULL, &id))
		if ((p = json_str(&id, &n)) != NULL) {
			if (mk->len)
				buf_addc(mk, ',');
			key_add_id(mk, p, n);
		}
	v[RESULTS_MARKETS] = vtext(mk->len ? mk->data : "", mk->len);
}

/*
 * The results of group key, checked.  A result is new when no row has its
 * (experiment, fingerprint, markets): a new variant, a changed one, or a
 * market that joined the event later.  Of a group processed before
 * (revisit) a row that failed, or was skipped because its research
 * failed, is replaced by one that did not (the retry-failures flow).  Only
 * what was written is counted for this run, so replaying a dump again
 * changes nothing; *nnew says how many were.
 */
static int
results_write(struct store *s, const char *key, const json_val *rs,
    const json_val *ms, int revisit, unsigned long *nnew)
{
	struct val v[MAXCOL];
	struct buf mk;
	json_iter it;
	json_val r;
	int rc = DB_DONE, st;

	buf_init(&mk, 0);
	json_iter_init(&it, rs);
	while (rc == DB_DONE && json_iter_next(&it, NULL, NULL, &r)) {
		if (tbl_extract(s, T_RESULTS, &r, v, NULL, 0) == -1) {
			rc = DB_ERR;	/* checked: cannot be */
			break;
		}
		v[RESULTS_EVENT_KEY] = vstr(key);
		v[RESULTS_RUN_ID] = vstr(s->run_id);
		result_key(&r, &mk, v);
		st = ST_NONE;
		if (revisit) {
			if ((rc = tbl_bind_step(s->xretry, T_RESULTS, v)) !=
			    DB_DONE)
				break;
			if (db_changes(s->xretry) > 0)
				st = ST_UPDATED;
		}
		if (st == ST_NONE &&
		    (rc = tbl_put(s, T_RESULTS, v, &st)) != DB_DONE)
			break;
		if (st != ST_INSERTED && st != ST_UPDATED)
			continue;
		(*nnew)++;
		rc = result_put(s, &r, ms, v, st == ST_UPDATED);
	}
	buf_release(&mk);
	return rc;
}

/* The markets of group key: each into markets (its canonical text made
 * once) and into the run-scoped processed_markets and _contracts;
 * *added: how many of them processed_markets did not have. */
static int
markets_write(struct store *s, const char *key, const json_val *ms,
    unsigned long *added)
{
	struct val v[MAXCOL], pv[MAXCOL];
	json_iter it;
	json_val m;
	int rc = DB_DONE, st;

	json_iter_init(&it, ms);
	while (rc == DB_DONE && json_iter_next(&it, NULL, NULL, &m)) {
		if (tbl_extract(s, T_MARKETS, &m, v, NULL, 0) == -1 ||
		    tbl_extract(s, T_PMARKETS, &m, pv, NULL, 0) == -1)
			return DB_ERR;	/* checked: cannot be */
		if ((rc = rows_of(s, &m, 1)) != DB_DONE ||
		    (rc = record_cols(s, T_MARKETS, &m, NULL, 0, v)) != DB_DONE ||
		    (rc = market_write(s, v, &s->mc, &s->mt, 0, 0,
		    &st)) != DB_DONE)
			return rc;
		pv[PMARKETS_EVENT_KEY] = vstr(key);
		pv[PMARKETS_RUN_ID] = vstr(s->run_id);
		pv[PMARKETS_RECORD] = vtext(s->canon.data, s->canon.len);
		if ((rc = tbl_put(s, T_PMARKETS, pv, &st)) != DB_DONE)
			return rc;
		*added += st == ST_INSERTED;
		rc = contracts_write(s, &s->mc, v, key, 0);
	}
	return rc;
}

/* A group, in the transaction the caller opened for it alone: the
 * processed_events row goes first, and its unique key decides whether
 * this process writes the group or another one already did. */
static int
group_put(struct store *s, struct entry *e, const json_val *g)
{
	struct val v[MAXCOL];
	json_val k, ms, rs, ev, id;
	const char *key, *event_id;
	char err[160];
	size_t n = 0;
	unsigned long nnew = 0, nadded = 0;
	int rc, st;

	if (group_check(s, g, err, sizeof err) == REC_BAD)
		return bad(s, e, err);
	if (s->db == NULL)
		return skipped(e);
	json_get(g, "event_key", &k);
	json_get(g, "markets", &ms);
	json_get(g, "results", &rs);
	json_get(g, "event", &ev);
	json_get(&ev, "event_id", &id);
	key = json_str(&k, NULL);
	event_id = json_str(&id, &n);
	buf_reset(&s->canon);
	if (canon_json(&s->canon, g, 1) == -1)
		return DB_ERR;	/* out of memory */
	if ((rc = tbl_put(s, T_PEVENTS, (struct val[T_PEVENTS_NCOLS]){
	    [PEVENTS_EVENT_KEY] = vstr(key),
	    [PEVENTS_RUN_ID] = vstr(s->run_id),
	    [PEVENTS_EVENT_ID] = vtext(event_id, n),
	    [PEVENTS_N_MARKETS] = vint((int64_t)json_count(&ms)),
	    [PEVENTS_N_RESULTS] = vint((int64_t)json_count(&rs)),
	    [PEVENTS_RECORD] = vtext(s->canon.data, s->canon.len),
	    [PEVENTS_PROCESSED_AT] = vstr(s->now) }, &st)) != DB_DONE)
		return rc;
	if (st == ST_DUPLICATE) {
		/* processed before: what is new is written, markets that
		 * joined since among it (n_markets counts them); the rows
		 * there stay as they are */
		if ((rc = markets_write(s, key, &ms, &nadded)) != DB_DONE ||
		    (rc = results_write(s, key, &rs, &ms, 1, &nnew)) != DB_DONE ||
		    (rc = tbl_event_grew(s, key, nadded)) != DB_DONE)
			return rc;
		e->status = nnew ? ST_UPDATED : ST_SKIPPED;
		if (nnew == 0)
			e->key = strdup(key);
		return rc;
	}
	if (ev.type == JSON_OBJECT && is_str(&ev, "kind", "event")) {
		if (tbl_extract(s, T_EVENTS, &ev, v, NULL, 0) == -1)
			return DB_ERR;	/* checked: cannot be */
		if ((rc = event_write(s, &ev, v, &st)) != DB_DONE)
			return rc;
	}
	if ((rc = markets_write(s, key, &ms, &nadded)) == DB_DONE &&
	    (rc = results_write(s, key, &rs, &ms, 0, &nnew)) == DB_DONE)
		e->status = ST_INSERTED;
	return rc;
}

int
kind_of(const char *k, size_t n)
{
	static const char *const names[] = { "raw", "market", "event",
	    "price", "group", "run", "failure", "skip", "trade", "book", "end" };
	size_t i;

	for (i = 0; k && i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == n && memcmp(names[i], k, n) == 0)
			return (int)i;
	return K_BAD;
}

const char *
status_name(int st)
{
	static const char *const names[] = { "", "inserted", "updated",
	    "unchanged", "duplicate", "skipped", "failed" };

	return names[st];
}

int
kind_apply(struct store *s, struct entry *e, const json_val *root,
    size_t seq)
{
	switch (e->kind) {
	case K_RAW:	return raw_put(s, e, root, seq);
	case K_MARKET:	return market_rec(s, e, root, seq);
	case K_EVENT:	return event_rec(s, e, root);
	case K_PRICE:	return price_put(s, e, root, seq);
	case K_GROUP:	return s->no_groups ? bad(s, e, s->no_groups) :
			    group_put(s, e, root);
	case K_RUN:	return run_put(s, e, root);
	case K_FAILURE:	return failure_put(s, e, root);
	case K_SKIP:
	case K_END:	return skipped(e);
	case K_TRADE:	return trade_put(s, e, root);
	case K_BOOK:	return book_put(s, e, root);
	case K_BADLINE:
		e->reason = "bad_record";
		return fail_row(s, e);
	}
	return bad(s, e, e->detail[0] ? e->detail : "unknown kind");
}
