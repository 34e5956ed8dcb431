/* gamma.c - partitioned, parallel Gamma listings (see gamma.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "gamma.h"
#include "http.h"
#include "jspan.h"
#include "jw.h"
#include "msg.h"
#include "out.h"
#include "raw.h"
#include "record.h"
#include "strset.h"
#include "timefmt.h"

#define DAY 86400.0

struct gamma;

struct part {
	struct gamma	*g;
	int		 idx;
	char		 end_min[TS_MAX], end_max[TS_MAX];	/* "": open */
	const char	*closed;
	int		 id_off, id_n;
	int		 order;		/* 0: the API's (id); 1: endDate
					 * ascending; -1: descending */
	int		 unordered;	/* the API ignored the order: no stop */
	int		 stale_order;	/* --updated-since, and the API ignored
					 * order=updatedAt: older ones skipped,
					 * not the end */
	double		 upd_prev;	/* ms: last updatedAt seen, or -1 */
	double		 stop;		/* ordered: ms past which (ascending)
					 * or before which (descending) the
					 * rest belongs to another partition */
	double		 first, edge;	/* ms: first and last end date seen */
	unsigned long	 dated;		/* objects with an end date seen */
	int		 done;
	int		 failed;	/* a failure record said so */
	char		*cursor;	/* next after_cursor, NULL at start */
	unsigned long	 offset, pages;
};

struct gamma {
	const struct gamma_query *q;
	struct fetch	*f;
	struct rl_bucket *bucket;
	struct strset	*seen, *cursors;
	struct part	**parts;
	int		 nparts, cap;
	int		 active;	/* partitions with a page to come */
	int		 want;		/* cursors that keep the budget busy */
	struct gamma_result *res;
	char		 endpoint[32];
	double		 since_ms;
	int		 stop;		/* --limit reached */
};

/* Both the URL query and the request object get each parameter. */
static int
param(struct buf *qs, struct buf *req, const char *k, const char *v)
{
	if (v == NULL || *v == 0)
		return 0;
	if (http_query_add(qs, k, v) == -1 || jw_key(req, k) == -1 ||
	    jw_strz(req, v) == -1)
		return -1;
	return 0;
}

static int
id_params(struct part *p, struct buf *qs, struct buf *req)
{
	const struct gamma_query *q = p->g->q;
	int i;

	if (p->id_n == 0)
		return 0;
	jw_key(req, "id");
	jw_open(req, '[');
	for (i = p->id_off; i < p->id_off + p->id_n; i++)
		if (http_query_add(qs, "id", q->ids[i]) == -1 ||
		    jw_strz(req, q->ids[i]) == -1)
			return -1;
	return jw_close(req, ']');
}

/* The URL and request object of a partition's next page. */
static int
page_query(struct part *p, struct buf *qs, struct buf *req)
{
	const struct gamma_query *q = p->g->q;
	char num[32];
	int r;

	jw_open(req, '{');
	snprintf(num, sizeof num, "%d", q->page_size);
	r = param(qs, req, "closed", p->closed) |
	    param(qs, req, "active", q->active) |
	    param(qs, req, "end_date_min", p->end_min) |
	    param(qs, req, "end_date_max", p->end_max) |
	    param(qs, req, "tag_id", q->tag) | id_params(p, qs, req);
	if (p->order)
		r |= param(qs, req, "order", "endDate") |
		    param(qs, req, "ascending", p->order > 0 ? "true" : "false");
	if (q->updated_since)
		r |= param(qs, req, "order", "updatedAt") |
		    param(qs, req, "ascending", "false");
	r |= param(qs, req, "limit", num);
	if (q->offset_mode) {
		snprintf(num, sizeof num, "%lu", p->offset);
		r |= param(qs, req, "offset", num);
	} else
		r |= param(qs, req, "after_cursor", p->cursor);
	return r | jw_close(req, '}');
}

static void page_done(struct fetch *, struct fetch_job *,
    const struct fetch_answer *);

/* A page is its array (a legacy listing) or an object holding it. */
static const char *
page_shape(const struct fetch_job *j, const json_val *root)
{
	const struct gamma *g = ((const struct part *)j->ctx)->g;
	json_val list = *root;

	if (!g->q->offset_mode)
		json_get(root, g->q->what, &list);
	if (list.type == JSON_ARRAY)
		return NULL;
	return g->q->offset_mode ? "answer is not an array" :
	    "answer has no array of listed objects";
}

static int
queue_page(struct part *p)
{
	struct gamma *g = p->g;
	struct buf qs, req, url;
	struct fetch_job *j = NULL;
	int r = -1;

	buf_init(&qs, 0);
	buf_init(&req, 0);
	buf_init(&url, 0);
	if (page_query(p, &qs, &req) == -1 ||
	    buf_printf(&url, "%s/%s?%s", g->q->base, g->endpoint, qs.data) == -1)
		goto out;
	if ((j = fetch_job_new(url.data, NULL, 0)) == NULL)
		goto out;
	j->ctx = p;
	j->bucket = g->bucket;
	j->done = page_done;
	j->shape = page_shape;
	if ((j->req = strdup(req.data)) == NULL) {
		fetch_job_free(j);
		goto out;
	}
	r = fetch_add(g->f, j);
out:
	if (r == -1)
		msg("out of memory");
	buf_release(&qs);
	buf_release(&req);
	buf_release(&url);
	return r;
}

static void
fail(struct gamma *g, const char *url, int retriable, const char *detail)
{
	rec_failure(&(struct failure){ .stage = "fetch",
	    .reason = "fetch_failed", .retriable = retriable, .url = url,
	    .detail = detail });
	g->res->failures++;
}

/* The id of a listed object as text, for the written-once set. */
static const char *
object_id(const json_val *o, char *tmp, size_t tl, size_t *n)
{
	json_val id;
	int64_t i;
	const char *s;

	json_get(o, "id", &id);
	if ((s = json_str(&id, n)) != NULL)
		return s;
	if (json_int64(&id, &i) == 0) {
		*n = (size_t)snprintf(tmp, tl, "%lld", (long long)i);
		return tmp;
	}
	return NULL;
}

/* Older than --updated-since: the listing (newest first) is over.  The
 * watermark is a time on our clock, updatedAt one on the API's: when the
 * API's lags ours (skew_ms, from its Date header), the watermark moves
 * back as far, or a market changed just after the last run began would
 * look older than it. */
static int
too_old(struct gamma *g, const json_val *o, double skew_ms)
{
	json_val u;
	const char *s;
	size_t n;
	double ms;

	if (g->since_ms < 0)
		return 0;
	json_get(o, "updatedAt", &u);
	if ((s = json_str(&u, &n)) == NULL || ts_ms(s, n, &ms) == -1)
		return 0;
	return ms < g->since_ms + (skew_ms < 0 ? skew_ms : 0);
}

/*
 * Where an object of an ordered partition stands: 0 it is the
 * partition's (no end date, or on its side of the stop), 1 it and all
 * after it belong to another partition.  Keeps the partition's progress.
 */
static int
past_stop(struct part *p, const json_val *o)
{
	json_val e;
	const char *s;
	size_t n;
	double ms;

	if (p->order == 0 || p->unordered)
		return 0;
	json_get(o, "endDate", &e);
	if ((s = json_str(&e, &n)) == NULL || ts_ms(s, n, &ms) == -1)
		return 0;	/* no end date: the null pass's */
	/* Half-open ranges, [lo, stop) ascending and [stop, ...]
	 * descending, so that an object on a boundary is one partition's:
	 * which page wrote it does not depend on timing. */
	if (p->order > 0 ? ms >= p->stop : ms < p->stop)
		return 1;
	if (p->dated++ == 0)
		p->first = ms;
	p->edge = ms;
	return 0;
}

/*
 * Are the times under key of a page's objects in order (dir > 0
 * ascending, else descending), after *prev when *have?  Objects without
 * a time are passed over; *prev ends at the last time read in order.
 */
static int
in_order(const json_val *list, const char *key, int dir, double *prev,
    int *have)
{
	json_val o, t;
	json_iter it;
	const char *s;
	size_t n;
	double ms;

	json_iter_init(&it, list);
	while (json_iter_next(&it, NULL, NULL, &o)) {
		json_get(&o, key, &t);
		if ((s = json_str(&t, &n)) == NULL || ts_ms(s, n, &ms) == -1)
			continue;
		if (*have && (dir > 0 ? ms < *prev : ms > *prev))
			return 0;
		*prev = ms;
		*have = 1;
	}
	return 1;
}

/*
 * Is an ordered partition's page in end-date order, after what came
 * before?  If the API ignored order=endDate, a stop would cut the
 * listing short: the partition then lists its whole cursor (nothing is
 * lost, objects met twice are written once), and says so once.
 */
static void
check_order(struct part *p, const json_val *list, const char *url)
{
	static int said;
	double prev = p->dated ? p->edge : 0;
	int have = p->dated > 0;

	if (p->order == 0 || p->unordered ||
	    in_order(list, "endDate", p->order, &prev, &have))
		return;
	p->unordered = 1;
	if (!said++)
		msg("%s: not in end-date order: each partition lists all of "
		    "its cursor (slower; --partitions 1 does the same in one)",
		    url);
}

/*
 * Is a page of a delta newest first, after what came before?  If the API
 * ignored order=updatedAt, the first older market would end the listing
 * with the changed ones after it unread: the partition then lists its
 * whole cursor and skips the older ones, and says so once.
 */
static void
check_updated_order(struct part *p, const json_val *list, const char *url)
{
	static int said;
	int have = p->upd_prev >= 0;

	if (p->g->since_ms < 0 || p->stale_order ||
	    in_order(list, "updatedAt", -1, &p->upd_prev, &have))
		return;
	p->stale_order = 1;
	if (!said++)
		msg("%s: not in updatedAt order: the delta lists all of it "
		    "(slower)", url);
}

/* Write each object of a page once; returns objects on the page, or -1
 * when its array is missing.  *old is set when the delta is complete,
 * *past when the partition has reached its stop. */
static long
emit_page(struct part *p, const struct fetch_job *j,
    const struct fetch_answer *a, int *old, int *past)
{
	struct gamma *g = p->g;
	struct raw_src src = { .source = "gamma", .endpoint = g->endpoint,
	    .url = j->url, .fetched_at = a->fetched_at, .request = j->req,
	    .requestlen = strlen(j->req) };
	struct jspan arr, e;
	json_val list, o;
	json_iter it;
	const char *id;
	char tmp[32], idz[136];
	size_t pos, n;
	long count = 0;

	if (g->q->offset_mode) {
		list = a->root;
		arr.off = 0;
	} else {
		json_get(&a->root, g->q->what, &list);
		if (jspan_member(a->text, a->len, g->q->what, &arr) == -1)
			return -1;
	}
	if (list.type != JSON_ARRAY)
		return -1;
	check_order(p, &list, j->url);
	check_updated_order(p, &list, j->url);
	pos = arr.off;
	json_iter_init(&it, &list);
	while (json_iter_next(&it, NULL, NULL, &o) &&
	    jspan_next(a->text, a->len, &pos, &e) == 1) {
		count++;
		if (g->stop)
			break;
		/* a raw record's payload is an object (pm-records(5)): a
		 * number, string or null in its place is the API's failure */
		if (o.type != JSON_OBJECT) {
			snprintf(idz, sizeof idz, ".%s[%ld] is %s, not an "
			    "object: not written", g->q->offset_mode ? "" :
			    g->q->what, count - 1,
			    o.type == JSON_NULL ? "null" :
			    o.type == JSON_STRING ? "a string" :
			    o.type == JSON_ARRAY ? "an array" :
			    o.type == JSON_BOOL ? "a boolean" : "a number");
			fail(g, j->url, 0, idz);
			continue;
		}
		if (too_old(g, &o, a->skew_ms)) {
			if (p->stale_order)
				continue;
			*old = 1;
			break;
		}
		if ((*past = past_stop(p, &o)))
			break;
		id = object_id(&o, tmp, sizeof tmp, &n);
		if (id && strset_add(g->seen, id, n) == 0) {
			g->res->duplicates++;
			continue;
		}
		/* a record too long to write: its failure names it */
		snprintf(idz, sizeof idz, "%.*s",
		    id ? (int)(n < 128 ? n : 128) : 0, id ? id : "");
		if (strcmp(g->q->what, "events") == 0)
			src.event_key = idz[0] ? idz : NULL;
		else
			src.market_id = idz[0] ? idz : NULL;
		raw_emit(&src, a->text + e.off, e.len, NULL);
		g->res->records++;
		fetch_stats(g->f)->records++;
		if (g->q->limit && g->res->records >= g->q->limit)
			g->stop = 1;
	}
	return count;
}

/* A keyset page is in: follow next_cursor unless absent or seen; 0 when
 * the next page is queued. */
static int
next_cursor(struct part *p, const struct fetch_job *j,
    const struct fetch_answer *a)
{
	struct gamma *g = p->g;
	char key[32], detail[160];
	json_val c;
	const char *s;
	size_t n;
	struct buf k;

	json_get(&a->root, "next_cursor", &c);
	/* absent, null or "": the last page; a number or an object is no
	 * cursor to follow, and no end either */
	if (c.type != JSON_ABSENT && c.type != JSON_NULL &&
	    c.type != JSON_STRING) {
		fail(g, j->url, 1, "next_cursor is not a string: the pages "
		    "after this one cannot be asked for");
		return -1;
	}
	if ((s = json_str(&c, &n)) == NULL || n == 0)
		return -1;
	/* Cursors are per partition: the same text elsewhere is fine. */
	buf_init(&k, 0);
	snprintf(key, sizeof key, "%d:", p->idx);
	if (buf_adds(&k, key) == -1 || buf_add(&k, s, n) == -1 ||
	    strset_add(g->cursors, k.data, k.len) != 1) {
		snprintf(detail, sizeof detail, "next_cursor repeats a cursor "
		    "already followed (page %lu): stopping this listing to "
		    "avoid a loop", p->pages);
		fail(g, j->url, 0, detail);
		buf_release(&k);
		return -1;
	}
	buf_release(&k);
	free(p->cursor);
	if ((p->cursor = strndup(s, n)) == NULL) {
		msg("out of memory");
		return -1;
	}
	return queue_page(p);
}

static void
failed_page(struct part *p, const struct fetch_job *j,
    const struct fetch_answer *a)
{
	char detail[600];

	if (p->g->q->offset_mode && a->status == 422) {
		snprintf(detail, sizeof detail, "offset %lu is past the "
		    "legacy listing's offset ceiling (%s); use keyset paging "
		    "(--pagination keyset)", p->offset, a->detail);
		fail(p->g, j->url, 0, detail);
	} else
		fail(p->g, j->url, a->retriable, a->detail);
}

static struct part *
new_part(struct gamma *g, const struct part *like)
{
	struct part *p, **pp;

	if (g->nparts == g->cap) {
		if ((pp = realloc(g->parts, sizeof *pp *
		    (size_t)(g->cap * 2 + 8))) == NULL)
			return NULL;
		g->parts = pp;
		g->cap = g->cap * 2 + 8;
	}
	if ((p = calloc(1, sizeof *p)) == NULL)
		return NULL;
	if (like)
		*p = *like;
	p->g = g;
	p->idx = g->nparts;
	p->cursor = NULL;
	p->offset = p->pages = p->dated = 0;
	p->upd_prev = -1;
	p->done = 0;
	g->parts[g->nparts++] = p;
	return p;
}

static int
start_part(struct part *p)
{
	p->g->active++;
	if (queue_page(p) == 0)
		return 0;
	p->done = 1;
	p->g->active--;
	return -1;
}

static void
bound(char out[TS_MAX], double ms, int up)
{
	double sec = ms / 1000;
	int64_t s = (int64_t)sec;

	if (up && (double)s < sec)
		s++;
	ts_epoch(s, out);
}

/*
 * Keep the budget busy to the end: when fewer cursors are left than it
 * takes, the rest of a partition that still has pages to come is halved,
 * and a new cursor lists the far half.  The old cursor stops where the
 * new one begins (its stop moves there); an object on that boundary is
 * written once like any other.
 */
static void
maybe_split(struct part *p)
{
	struct gamma *g = p->g;
	struct part *n;
	double lo, hi, covered, left, mid;

	if (p->order == 0 || p->unordered || p->dated < 2 ||
	    g->active >= g->want ||
	    g->nparts >= 4 * g->want + 16 || g->stop)
		return;
	lo = p->order > 0 ? p->edge : p->stop;
	hi = p->order > 0 ? p->stop : p->edge;
	covered = p->order > 0 ? p->edge - p->first : p->first - p->edge;
	if (hi - lo < 2000 || covered <= 0)
		return;
	/* Objects still to come, at the density seen so far. */
	left = (double)p->dated * (hi - lo) / covered;
	if (left < 2.0 * g->q->page_size)
		return;
	mid = (double)(int64_t)((lo + (hi - lo) / 2) / 1000) * 1000;
	if (mid <= lo || (n = new_part(g, p)) == NULL)
		return;
	n->order = 1;
	if (p->order > 0) {
		bound(n->end_min, mid, 0);
		if (n->end_max[0] == 0)
			bound(n->end_max, hi, 1);
		n->stop = hi;
	} else {
		bound(n->end_min, lo, 0);
		bound(n->end_max, mid, 1);
		n->stop = mid;
	}
	p->stop = mid;
	start_part(n);
}

static void
page_done(struct fetch *f, struct fetch_job *j, const struct fetch_answer *a)
{
	struct part *p = j->ctx;
	struct gamma *g = p->g;
	unsigned long failures = g->res->failures;
	int old = 0, past = 0;
	long count;

	(void)f;
	/* The reader has gone (| head): no page more is asked for, or the
	 * whole listing would be, for nothing. */
	if (out_failed() != OUT_OK)
		goto done;
	if (!a->ok) {
		failed_page(p, j, a);
		goto done;
	}
	p->pages++;
	fetch_stats(g->f)->pages++;
	if ((count = emit_page(p, j, a, &old, &past)) == -1) {
		fail(g, j->url, 1, g->q->offset_mode ? "answer is not an "
		    "array" : "answer has no array of listed objects");
		goto done;
	}
	if (g->stop || old || past)
		goto done;
	if (g->q->offset_mode) {
		if (count < g->q->page_size)
			goto done;
		p->offset += (unsigned long)count;
		if (queue_page(p) == -1)
			goto done;
	} else if (next_cursor(p, j, a) == -1)
		goto done;
	maybe_split(p);
	return;
done:
	p->failed |= g->res->failures != failures;
	p->done = 1;
	g->active--;
}

static struct part *
add_part(struct gamma *g, const char *min, const char *max, int id_off,
    int id_n, int order, double stop)
{
	struct part *p = NULL;
	int k, twice = g->q->closed == NULL;

	/* closed=any is two listings: the API defaults closed to false. */
	for (k = 0; k <= twice; k++) {
		if ((p = new_part(g, NULL)) == NULL) {
			msg("out of memory");
			return NULL;
		}
		snprintf(p->end_min, sizeof p->end_min, "%s", min ? min : "");
		snprintf(p->end_max, sizeof p->end_max, "%s", max ? max : "");
		p->closed = g->q->closed ? g->q->closed : k ? "true" : "false";
		p->id_off = id_off;
		p->id_n = id_n;
		p->order = order;
		p->stop = stop;
	}
	return p;
}

/*
 * Disjoint end-date ranges, each listed in end-date order so that it can
 * be halved while it runs (maybe_split).  An open end is split over a
 * default window (a month back, a year ahead).  An open end is listed
 * from the open side inward, and stops at its range's inner bound; with
 * both ends open, without an end-date filter: that is how objects
 * without an end date are listed, which no end-date filter matches; they
 * sort before all others on one side (PostgreSQL: last ascending, first
 * descending), and each open end reads them on its side.  With the
 * other end bounded, the inner bound is its filter: a bounded range has
 * none of them, as the API's filters and --partitions 1 have none.
 * Boundaries are inclusive on both sides at the API; the written-once
 * set absorbs an object on one.
 */
static int
date_parts(struct gamma *g, int n)
{
	const struct gamma_query *q = g->q;
	double lo, hi, now = (double)time(NULL) * 1000, a, b, t0, t1;
	char bmin[TS_MAX], bmax[TS_MAX];
	int i;

	if (q->end_min && ts_ms(q->end_min, strlen(q->end_min), &lo)) {
		msg("end date not understood: %s", q->end_min);
		return -1;
	}
	if (q->end_max && ts_ms(q->end_max, strlen(q->end_max), &hi)) {
		msg("end date not understood: %s", q->end_max);
		return -1;
	}
	/* The default window from the start of the day: the same
	 * boundaries, hence the same requests, all day long. */
	now -= fmod(now, DAY * 1000);
	a = q->end_min ? lo : now - 30 * DAY * 1000;
	b = q->end_max ? hi + 1 : now + 365 * DAY * 1000;
	if (n <= 1 || b - a < n * 1000.0)
		return add_part(g, q->end_min, q->end_max, 0, 0, 0, 0) ?
		    0 : -1;
	for (i = 0; i < n; i++) {
		t0 = i == 0 ? a : (double)(int64_t)((a + (b - a) * i / n) /
		    1000) * 1000;
		t1 = i == n - 1 ? b : (double)(int64_t)((a + (b - a) *
		    (i + 1) / n) / 1000) * 1000;
		ts_epoch((int64_t)(t0 / 1000), bmin);
		ts_epoch((int64_t)(t1 / 1000), bmax);
		/* Offset paging: plain filters, but for the top of a fully
		 * open range, listed as with keyset paging (from the top
		 * down, no filter): what has no end date, which no filter
		 * matches, is listed there. */
		if (q->offset_mode && (q->end_min || q->end_max ||
		    i < n - 1)) {
			if (!add_part(g, i == 0 ? q->end_min : bmin,
			    i == n - 1 ? q->end_max : bmax, 0, 0, 0, 0))
				return -1;
		} else if (i == 0 && !q->end_min) {
			if (!add_part(g, NULL, q->end_max ? bmax : NULL, 0, 0,
			    1, t1))
				return -1;
		} else if (i == n - 1 && !q->end_max) {
			if (!add_part(g, q->end_min ? bmin : NULL, NULL, 0, 0,
			    -1, t0))
				return -1;
		} else if (!add_part(g, i == 0 ? q->end_min : bmin,
		    i == n - 1 ? q->end_max : bmax, 0, 0, 1, t1))
			return -1;
	}
	return 0;
}

static int
make_parts(struct gamma *g)
{
	const struct gamma_query *q = g->q;
	int i, n = q->nids ? (q->nids + 99) / 100 : q->partitions;

	if (q->updated_since)
		n = 1;	/* newest first, one cursor, stop at the watermark */
	g->want = q->partitions > 1 ? q->partitions : 1;
	if (q->nids == 0)
		return date_parts(g, n);
	/* At most 100 ids a URL: long URLs get a 414. */
	for (i = 0; i < q->nids; i += 100)
		if (!add_part(g, q->end_min, q->end_max, i,
		    q->nids - i < 100 ? q->nids - i : 100, 0, 0))
			return -1;
	return 0;
}

/*
 * An id asked for that no answer listed, when no filter could have left
 * it out: Gamma has no such object, which is said rather than nothing
 * written.  Ids of a batch whose listing failed were not heard of, and
 * the listing that reached --limit did not list all of them.
 */
static void
report_unknown(struct gamma *g)
{
	const struct gamma_query *q = g->q;
	char id[32], detail[160];
	int i, k, heard;

	if (q->nids == 0 || g->stop || out_failed() != OUT_OK || q->closed ||
	    q->active || q->end_min || q->end_max || q->tag ||
	    q->updated_since)
		return;
	for (i = 0; i < q->nids; i++) {
		for (heard = 1, k = 0; k < g->nparts; k++)
			if (g->parts[k]->id_n > 0 &&
			    i >= g->parts[k]->id_off &&
			    i < g->parts[k]->id_off + g->parts[k]->id_n &&
			    (g->parts[k]->failed || !g->parts[k]->done))
				heard = 0;
		/* the id as the API writes it: --id 007 is 7 */
		snprintf(id, sizeof id, "%lld", strtoll(q->ids[i], NULL, 10));
		if (!heard || strset_add(g->seen, id, strlen(id)) != 1)
			continue;
		snprintf(detail, sizeof detail, "--id %s: Gamma lists no %s "
		    "with that id", q->ids[i], strcmp(q->what, "events") ?
		    "market" : "event");
		rec_failure(&(struct failure){ .stage = "fetch",
		    .reason = "fetch_failed", .retriable = 0,
		    .market_id = strcmp(q->what, "markets") ? NULL : id,
		    .detail = detail });
		g->res->failures++;
	}
}

int
gamma_list(struct fetch *f, struct rl_table *rl, const struct gamma_query *q,
    struct gamma_result *res)
{
	struct gamma g = { 0 };
	int i, n, rc = -1;

	g.q = q;
	g.f = f;
	g.res = res;
	g.since_ms = -1;
	snprintf(g.endpoint, sizeof g.endpoint, "%s%s", q->what,
	    q->offset_mode ? "" : "/keyset");
	g.bucket = rl_get(rl, g.endpoint);
	if (q->updated_since && ts_ms(q->updated_since,
	    strlen(q->updated_since), &g.since_ms) == -1) {
		msg("--updated-since: not a timestamp: %s", q->updated_since);
		return -1;
	}
	g.seen = strset_new();
	g.cursors = strset_new();
	if (g.seen == NULL || g.cursors == NULL || make_parts(&g) == -1)
		goto out;
	for (i = 0, n = g.nparts; i < n; i++)
		if (start_part(g.parts[i]) == -1)
			goto out;
	fetch_run(f, 0);
	report_unknown(&g);
	rc = 0;
out:
	for (i = 0; i < g.nparts; i++) {
		free(g.parts[i]->cursor);
		free(g.parts[i]);
	}
	free(g.parts);
	strset_free(g.seen);
	strset_free(g.cursors);
	return rc;
}
