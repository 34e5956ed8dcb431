/*
 * store_kinds.c - one function per record kind: check the record against
 * pm-records(5), then write its rows.  Checking comes first, whole, so a
 * bad record writes nothing at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jspan.h"
#include "jw.h"
#include "sha.h"
#include "store_impl.h"

/* Returned by the checks: the record breaks the contract (err says how). */
#define BAD 1

/* A record that breaks the contract: failed, with a processing_failures
 * row so the run remembers it. */
static int
bad(struct store *s, struct entry *e, const char *err)
{
	e->status = ST_FAILED;
	e->reason = "bad_record";
	if (err != e->detail)
		snprintf(e->detail, sizeof e->detail, "%s", err);
	return fail_row(s, e);
}

int
fail_row(struct store *s, struct entry *e)
{
	struct val v[MAXCOL] = { 0 };
	struct buf b;
	char sha[65], pos[1100];
	int rc;

	if (s->db == NULL)
		return DB_DONE;
	snprintf(pos, sizeof pos, "%s:%lu", e->file, e->line);
	buf_init(&b, 0);
	buf_printf(&b, "%s\n%s\n%s\n%s\n%s\n%s", s->run_id ? s->run_id : "",
	    pos, e->reason, e->detail, e->key ? e->key : "",
	    e->market_id ? e->market_id : "");
	sha256_hex(b.data, b.len, sha);
	buf_release(&b);
	val_str(&v[0], sha);
	val_str(&v[1], s->run_id);
	val_str(&v[2], "store");
	val_str(&v[3], e->reason);
	v[4].t = V_INT;
	v[4].i = strcmp(e->reason, "store_failed") == 0;
	val_str(&v[5], e->market_id);
	val_str(&v[6], e->key);
	val_str(&v[7], pos);
	val_str(&v[9], e->detail);
	val_str(&v[10], s->now);
	rc = tbl_put(s, T_FAILURES, v, NULL);
	return rc;
}

/* Canonical text of obj into s->canon and the hash of its content
 * (without provenance, see canon_record) into sha. */
static int
canon(struct store *s, const json_val *obj, char sha[65])
{
	buf_reset(&s->canon);
	buf_reset(&s->content);
	if (canon_record(&s->canon, &s->content, obj) == -1)
		return -1;
	return sha256_hex(s->content.data, s->content.len, sha);
}

/* tags [{id, slug, label}]: checked (write 0) or upserted (write 1). */
static int
tags_put(struct store *s, const json_val *tags, int write, int bulk,
    char *err, size_t errlen)
{
	struct val v[MAXCOL];
	json_iter it;
	json_val tag;
	int rc;

	if (tags->type == JSON_ABSENT || tags->type == JSON_NULL)
		return DB_DONE;
	if (tags->type != JSON_ARRAY) {
		snprintf(err, errlen, "tags is not an array");
		return BAD;
	}
	json_iter_init(&it, tags);
	while (json_iter_next(&it, NULL, NULL, &tag)) {
		if (tag.type != JSON_OBJECT) {
			snprintf(err, errlen, "a tag is not an object");
			return BAD;
		}
		if (tbl_extract(s, T_TAGS, &tag, v, err, errlen) == -1) {
			memmove(err + 4, err, strlen(err) + 1 < errlen - 4 ?
			    strlen(err) + 1 : errlen - 4);
			memcpy(err, "tag ", 4);
			return BAD;
		}
		val_str(&v[0], "polymarket");
		if (!write)
			continue;
		rc = bulk ? tbl_copy(s, T_TAGS, v, 0) : tbl_put(s, T_TAGS, v, NULL);
		if (rc != DB_DONE)
			return rc;
	}
	return DB_DONE;
}

/* contracts [{outcome, token_id, price}] of market mv (its values). */
static int
contracts_put(struct store *s, const json_val *m, const struct val *mv,
    const char *event_key, int write, int bulk, char *err, size_t errlen)
{
	struct val v[MAXCOL];
	json_val cs, c;
	json_iter it;
	int64_t idx = 0;
	int rc;

	json_get(m, "contracts", &cs);
	if (cs.type == JSON_ABSENT || cs.type == JSON_NULL)
		return DB_DONE;
	if (cs.type != JSON_ARRAY) {
		snprintf(err, errlen, "contracts is not an array");
		return BAD;
	}
	json_iter_init(&it, &cs);
	for (; json_iter_next(&it, NULL, NULL, &c); idx++) {
		enum tbl t = event_key ? T_PCONTRACTS : T_CONTRACTS;

		if (c.type != JSON_OBJECT) {
			snprintf(err, errlen, "a contract is not an object");
			return BAD;
		}
		if (tbl_extract(s, t, &c, v, err, errlen) == -1)
			return BAD;
		if (!write)
			continue;
		if (event_key) {
			val_str(&v[0], event_key);
			v[1] = mv[1];
			v[2].t = V_INT;
			v[2].i = idx;
			val_str(&v[3], s->run_id);
		} else {
			v[0] = mv[0];
			v[1] = mv[1];
			v[2].t = V_INT;
			v[2].i = idx;
		}
		rc = bulk ? tbl_copy(s, t, v, 0) : tbl_put(s, t, v, NULL);
		if (rc != DB_DONE)
			return rc;
	}
	return DB_DONE;
}

/* The record's own columns, after tbl_extract() of a market or event:
 * record, record_sha256, run_id, first_seen_at, stored_at. */
static void
record_cols(struct store *s, struct val *v, int ncols, const char *sha)
{
	val_text(&v[ncols - 5], s->canon.data, s->canon.len);
	val_str(&v[ncols - 4], sha);
	val_str(&v[ncols - 3], s->run_id);
	val_str(&v[ncols - 2], s->now);
	val_str(&v[ncols - 1], s->now);
}

/* One market: checked whole (write 0), or written (write 1) into markets
 * with its contracts and tags, and with event_key into the run-scoped
 * processed_markets/processed_contracts too.  bulk: through COPY. */
static int
market_put(struct store *s, const json_val *m, const char *event_key,
    int write, int bulk, size_t seq, int *status, char *err, size_t errlen)
{
	const int n = store_tables[T_MARKETS].ncols;
	struct val v[MAXCOL], pv[MAXCOL];
	json_val tags;
	char sha[65];
	int rc;

	if (m->type != JSON_OBJECT) {
		snprintf(err, errlen, "a market is not an object");
		return BAD;
	}
	json_get(m, "tags", &tags);
	if (!write) {
		if (tbl_extract(s, T_MARKETS, m, v, err, errlen) == -1)
			return BAD;
		if ((rc = tags_put(s, &tags, 0, 0, err, errlen)) != DB_DONE)
			return rc;
		return contracts_put(s, m, v, NULL, 0, 0, err, errlen);
	}
	if (canon(s, m, sha) == -1 ||
	    tbl_extract(s, T_MARKETS, m, v, err, errlen) == -1)
		return BAD;
	record_cols(s, v, n, sha);
	if (bulk) {
		*status = ST_UNCHANGED;	/* unless the bulk statement says */
		rc = tbl_copy(s, T_MARKETS, v, seq);
	} else
		rc = tbl_put(s, T_MARKETS, v, status);
	if (rc == DB_DONE && (bulk || *status != ST_UNCHANGED) &&
	    (rc = contracts_put(s, m, v, NULL, 1, bulk, err, errlen)) == DB_DONE)
		rc = tags_put(s, &tags, 1, bulk, err, errlen);
	if (rc != DB_DONE || event_key == NULL)
		return rc;
	if (canon(s, m, sha) == -1 ||
	    tbl_extract(s, T_PMARKETS, m, pv, err, errlen) == -1)
		return BAD;
	val_str(&pv[0], event_key);
	val_str(&pv[2], s->run_id);
	val_text(&pv[9], s->canon.data, s->canon.len);
	if ((rc = tbl_put(s, T_PMARKETS, pv, NULL)) != DB_DONE)
		return rc;
	tbl_extract(s, T_MARKETS, m, v, err, errlen);
	return contracts_put(s, m, v, event_key, 1, 0, err, errlen);
}

static int
event_put(struct store *s, const json_val *ev, int write, int *status,
    char *err, size_t errlen)
{
	const int n = store_tables[T_EVENTS].ncols;
	struct val v[MAXCOL];
	json_val tags;
	char sha[65];
	int rc;

	json_get(ev, "tags", &tags);
	if (!write) {
		if (tbl_extract(s, T_EVENTS, ev, v, err, errlen) == -1)
			return BAD;
		return tags_put(s, &tags, 0, 0, err, errlen);
	}
	if (canon(s, ev, sha) == -1 ||
	    tbl_extract(s, T_EVENTS, ev, v, err, errlen) == -1)
		return BAD;
	record_cols(s, v, n, sha);
	if ((rc = tbl_put(s, T_EVENTS, v, status)) != DB_DONE ||
	    *status == ST_UNCHANGED)
		return rc;
	return tags_put(s, &tags, 1, 0, err, errlen);
}

static int
raw_put(struct store *s, struct entry *e, const json_val *root, size_t seq)
{
	const char *text = s->text.data + e->off, *p;
	struct val v[MAXCOL];
	struct jspan span;
	char err[160], sha[65], *min;
	size_t n, mn;
	int ok;

	if (tbl_extract(s, T_RAW, root, v, err, sizeof err) == -1)
		return bad(s, e, err);
	if (!sha256_is_hex(v[0].s, v[0].n))
		return bad(s, e, "sha256 is not 64 lowercase hex digits");
	if (jspan_member(text, e->len, "payload", &span) == -1)
		return bad(s, e, "payload missing");
	p = text + span.off;
	n = span.len;
	/* The hash names the bytes: a payload that does not match it would
	 * poison the bronze table for good. */
	sha256_hex(p, n, sha);
	if ((ok = memcmp(sha, v[0].s, 64) == 0) == 0 &&
	    (min = malloc(n + 1)) != NULL) {
		if ((mn = json_minify(p, n, min)) != (size_t)-1) {
			sha256_hex(min, mn, sha);
			ok = memcmp(sha, v[0].s, 64) == 0;
		}
		free(min);
	}
	if (!ok)
		return bad(s, e, "sha256 does not match the payload");
	if (s->db == NULL) {
		e->status = ST_SKIPPED;
		return DB_DONE;
	}
	val_text(&v[6], p, n);
	val_str(&v[7], s->run_id);
	val_str(&v[8], s->now);
	if (db_engine(s->db) == DB_PG) {
		e->status = ST_DUPLICATE;
		return tbl_copy(s, T_RAW, v, seq);
	}
	return tbl_put(s, T_RAW, v, &e->status);
}

static int
price_put(struct store *s, struct entry *e, const json_val *root, size_t seq)
{
	struct val v[MAXCOL];
	char err[160];

	if (tbl_extract(s, T_PRICES, root, v, err, sizeof err) == -1)
		return bad(s, e, err);
	if (s->db == NULL) {
		e->status = ST_SKIPPED;
		return DB_DONE;
	}
	val_str(&v[7], s->run_id);
	if (db_engine(s->db) == DB_PG) {
		e->status = ST_UNCHANGED;
		return tbl_copy(s, T_PRICES, v, seq);
	}
	return tbl_put(s, T_PRICES, v, &e->status);
}

/* A failure record from upstream: kept, once per run and content. */
static int
failure_put(struct store *s, struct entry *e, const json_val *root)
{
	struct val v[MAXCOL];
	char err[160], sha[65];
	struct buf b;

	if (tbl_extract(s, T_FAILURES, root, v, err, sizeof err) == -1)
		return bad(s, e, err);
	if (s->db == NULL) {
		e->status = ST_SKIPPED;
		return DB_DONE;
	}
	buf_init(&b, 0);
	if (buf_printf(&b, "%s\n", s->run_id ? s->run_id : "") == -1 ||
	    canon_json(&b, root, 1) == -1) {
		buf_release(&b);
		return bad(s, e, "record too large");
	}
	sha256_hex(b.data, b.len, sha);
	buf_release(&b);
	if (tbl_extract(s, T_FAILURES, root, v, err, sizeof err) == -1)
		return bad(s, e, err);
	val_str(&v[0], sha);
	val_str(&v[1], s->run_id);
	val_str(&v[10], s->now);
	return tbl_put(s, T_FAILURES, v, &e->status);
}

static int
market_rec(struct store *s, struct entry *e, const json_val *root,
    size_t seq)
{
	char err[160];
	int rc, bulk;

	if ((rc = market_put(s, root, NULL, 0, 0, 0, NULL, err,
	    sizeof err)) == BAD)
		return bad(s, e, err);
	if (s->db == NULL) {
		e->status = ST_SKIPPED;
		return DB_DONE;
	}
	bulk = db_engine(s->db) == DB_PG;
	rc = market_put(s, root, NULL, 1, bulk, seq, &e->status, err,
	    sizeof err);
	return rc == BAD ? bad(s, e, err) : rc;
}

static int
event_rec(struct store *s, struct entry *e, const json_val *root)
{
	char err[160];
	int rc;

	if ((rc = event_put(s, root, 0, NULL, err, sizeof err)) == BAD)
		return bad(s, e, err);
	if (s->db == NULL) {
		e->status = ST_SKIPPED;
		return DB_DONE;
	}
	rc = event_put(s, root, 1, &e->status, err, sizeof err);
	return rc == BAD ? bad(s, e, err) : rc;
}

static int
is_str(const json_val *obj, const char *key, const char *want)
{
	json_val v;
	const char *p;

	json_get(obj, key, &v);
	return (p = json_str(&v, NULL)) != NULL && strcmp(p, want) == 0;
}

static int
group_check(struct store *s, const json_val *g, char *err, size_t errlen)
{
	struct val v[MAXCOL];
	json_val k, ms, rs, ev, x;
	json_iter it;
	int rc;

	json_get(g, "event_key", &k);
	json_get(g, "markets", &ms);
	json_get(g, "results", &rs);
	json_get(g, "event", &ev);
	if (json_str(&k, NULL) == NULL) {
		snprintf(err, errlen, k.type == JSON_ABSENT ?
		    "event_key missing" : "event_key is not a string");
		return BAD;
	}
	if (ms.type != JSON_ARRAY) {
		snprintf(err, errlen, "markets is not an array");
		return BAD;
	}
	json_iter_init(&it, &ms);
	while (json_iter_next(&it, NULL, NULL, &x))
		if ((rc = market_put(s, &x, NULL, 0, 0, 0, NULL, err,
		    errlen)) != DB_DONE)
			return rc;
	if (rs.type != JSON_ABSENT && rs.type != JSON_NULL &&
	    rs.type != JSON_ARRAY) {
		snprintf(err, errlen, "results is not an array");
		return BAD;
	}
	json_iter_init(&it, &rs);
	while (json_iter_next(&it, NULL, NULL, &x))
		if (x.type != JSON_OBJECT ||
		    tbl_extract(s, T_EXPERIMENTS, &x, v, err, errlen) == -1 ||
		    tbl_extract(s, T_RESULTS, &x, v, err, errlen) == -1) {
			if (x.type != JSON_OBJECT)
				snprintf(err, errlen, "a result is not an object");
			return BAD;
		}
	if (ev.type == JSON_OBJECT && is_str(&ev, "kind", "event"))
		return event_put(s, &ev, 0, NULL, err, errlen);
	if (ev.type != JSON_OBJECT && ev.type != JSON_NULL &&
	    ev.type != JSON_ABSENT) {
		snprintf(err, errlen, "event is not an object");
		return BAD;
	}
	return DB_DONE;
}


static int
result_put(struct store *s, const char *key, const json_val *r, char *err,
    size_t errlen)
{
	struct val v[MAXCOL], a[4];
	struct db_stmt *st = s->xrun;
	int rc;

	if (tbl_extract(s, T_EXPERIMENTS, r, v, err, errlen) == -1)
		return BAD;
	if ((rc = tbl_put(s, T_EXPERIMENTS, v, NULL)) != DB_DONE)
		return rc;
	if (tbl_extract(s, T_RESULTS, r, v, err, errlen) == -1)
		return BAD;
	val_str(&v[0], key);
	val_str(&v[2], s->run_id);
	if ((rc = tbl_put(s, T_RESULTS, v, NULL)) != DB_DONE)
		return rc;
	if (is_str(r, "stage", "research") && is_str(r, "status", "ok")) {
		val_str(&a[0], key);
		a[1] = v[1];
		val_str(&a[2], s->run_id);
		a[3] = v[8];
		if ((rc = tbl_put(s, T_ARTIFACTS, a, NULL)) != DB_DONE)
			return rc;
	}
	if (s->run_id == NULL)
		return DB_DONE;
	db_bind_str(st, 1, s->run_id);
	db_bind_text(st, 2, v[1].s, v[1].n);
	db_bind_int(st, 3, is_str(r, "status", "ok"));
	db_bind_int(st, 4, is_str(r, "status", "failed"));
	db_bind_int(st, 5, is_str(r, "status", "skipped"));
	db_bind_str(st, 6, s->now);
	return db_step(st);
}

/*
 * A group processed before: its first results stay, except one that failed
 * and now did not (the retry-failures flow).  Only a replaced result is
 * written through and counted for this run, so replaying a dump again
 * changes nothing.
 */
static int
result_replace(struct store *s, const char *key, const json_val *r,
    char *err, size_t errlen)
{
	struct val v[MAXCOL];
	int i, rc;

	if (tbl_extract(s, T_RESULTS, r, v, err, errlen) == -1)
		return BAD;
	val_str(&v[0], key);
	val_str(&v[2], s->run_id);
	for (i = 0; i < 14; i++)
		bind_one(s->xretry, i + 1, &v[i]);
	if ((rc = db_step(s->xretry)) != DB_DONE ||
	    db_changes(s->xretry) == 0)
		return rc;
	return result_put(s, key, r, err, errlen);
}

/* A group, in the transaction the caller opened for it alone: the
 * processed_events row goes first, and its unique key decides whether
 * this process writes the group or another one already did. */
static int
group_put(struct store *s, struct entry *e, const json_val *g)
{
	struct val v[MAXCOL];
	json_val k, ms, rs, ev, x, id;
	json_iter it;
	const char *key;
	char err[160], sha[65];
	int rc, st;

	if ((rc = group_check(s, g, err, sizeof err)) == BAD)
		return bad(s, e, err);
	if (s->db == NULL) {
		e->status = ST_SKIPPED;
		return DB_DONE;
	}
	json_get(g, "event_key", &k);
	json_get(g, "markets", &ms);
	json_get(g, "results", &rs);
	json_get(g, "event", &ev);
	key = json_str(&k, NULL);
	memset(v, 0, sizeof v);
	canon(s, g, sha);
	val_str(&v[0], key);
	val_str(&v[1], s->run_id);
	json_get(&ev, "event_id", &id);
	v[2].s = json_str(&id, &v[2].n);
	v[2].t = v[2].s ? V_TEXT : V_NULL;
	v[3].t = v[4].t = V_INT;
	v[3].i = (int64_t)json_count(&ms);
	v[4].i = (int64_t)json_count(&rs);
	val_text(&v[5], s->canon.data, s->canon.len);
	val_str(&v[6], s->now);
	if ((rc = tbl_put(s, T_PEVENTS, v, &st)) != DB_DONE)
		return rc;
	if (st == ST_DUPLICATE) {
		/* processed before: only failed results may be replaced */
		json_iter_init(&it, &rs);
		while (json_iter_next(&it, NULL, NULL, &x))
			if ((rc = result_replace(s, key, &x, err,
			    sizeof err)) != DB_DONE)
				return rc == BAD ? bad(s, e, err) : rc;
		e->status = ST_SKIPPED;
		e->key = strdup(key);
		return DB_DONE;
	}
	if (ev.type == JSON_OBJECT && is_str(&ev, "kind", "event") &&
	    (rc = event_put(s, &ev, 1, &st, err, sizeof err)) != DB_DONE)
		return rc == BAD ? bad(s, e, err) : rc;
	json_iter_init(&it, &ms);
	while (json_iter_next(&it, NULL, NULL, &x))
		if ((rc = market_put(s, &x, key, 1, 0, 0, &st, err,
		    sizeof err)) != DB_DONE)
			return rc == BAD ? bad(s, e, err) : rc;
	json_iter_init(&it, &rs);
	while (json_iter_next(&it, NULL, NULL, &x))
		if ((rc = result_put(s, key, &x, err, sizeof err)) != DB_DONE)
			return rc == BAD ? bad(s, e, err) : rc;
	e->status = ST_INSERTED;
	return DB_DONE;
}

int
kind_of(const char *k, size_t n)
{
	static const char *const names[] = { "raw", "market", "event",
	    "price", "group", "run", "failure", "skip" };
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

/* Runs are store.c's (they change its state); the rest is here. */
int
kind_apply(struct store *s, struct entry *e, const json_val *root,
    size_t seq)
{
	switch (e->kind) {
	case K_RAW:	return raw_put(s, e, root, seq);
	case K_MARKET:	return market_rec(s, e, root, seq);
	case K_EVENT:	return event_rec(s, e, root);
	case K_PRICE:	return price_put(s, e, root, seq);
	case K_GROUP:	return group_put(s, e, root);
	case K_FAILURE:	return failure_put(s, e, root);
	case K_SKIP:
		e->status = ST_SKIPPED;
		return DB_DONE;
	case K_BADLINE:
		e->reason = "bad_record";
		return fail_row(s, e);
	}
	return bad(s, e, e->detail[0] ? e->detail : "unknown kind");
}
