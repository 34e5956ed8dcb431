/* trades.c - Data API trades as raw records (see trades.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "http.h"
#include "jspan.h"
#include "jw.h"
#include "msg.h"
#include "out.h"
#include "raw.h"
#include "record.h"
#include "sha.h"
#include "strset.h"
#include "trades.h"

#define NBATCH	8	/* market batches open at once, by watermark day */
#define NLOOKUP	20	/* condition ids a Gamma lookup */
#define PAGE_SURE 500	/* a limit= every version of the API's pages
			 * allows: a page shorter than this is the last */

/* Condition ids waiting for a request: a comma list. */
struct batch {
	struct buf	 ids;
	int		 n;
	long long	 day;	/* the watermark's day, -1 none */
	long long	 start;	/* the earliest watermark in it, -1 none */
};

struct trades {
	const struct trades_query *q;
	struct fetch	*f;
	struct rl_bucket *bucket, *gbucket;
	struct strset	*known;		/* condition ids read or looked up */
	struct strset	*found;		/* condition ids Gamma answered, or
					 * whose lookup failed (said so) */
	struct buf	 lookup;	/* comma list not yet looked up */
	int		 nlookup;
	struct buf	 all_asked;	/* every one looked up, comma list */
	struct batch	 b[NBATCH];
	long long	 cap;		/* the least offset refused, 0 none */
	size_t		 most;		/* the longest page answered */
	unsigned long	 failures;
};

/* One paged query: a market list, a user or the feed. */
struct scope {
	struct trades	*t;
	char		*markets;	/* comma list, or NULL */
	long long	 start, end;	/* the window, -1 open */
	long long	 offset;
	long long	 oldest;	/* in this window, -1 none yet */
	int		 read;		/* a page of it written */
	unsigned char	 last[32];	/* the last page's hash */
	int		 same;		/* pages in a row that repeat it */
};

static int submit_page(struct scope *s);

struct trades *
trades_new(struct fetch *f, struct rl_table *rl, const struct trades_query *q)
{
	struct trades *t;
	int i;

	if ((t = calloc(1, sizeof *t)) == NULL)
		return NULL;
	t->q = q;
	t->f = f;
	t->bucket = rl_get(rl, "trades");
	t->gbucket = rl_get(rl, "markets");
	buf_init(&t->lookup, 0);
	buf_init(&t->all_asked, 0);
	for (i = 0; i < NBATCH; i++) {
		buf_init(&t->b[i].ids, 0);
		t->b[i].day = -2;	/* free */
	}
	if ((t->known = strset_new()) == NULL ||
	    (t->found = strset_new()) == NULL) {
		trades_free(t);
		return NULL;
	}
	return t;
}

void
trades_free(struct trades *t)
{
	int i;

	if (t == NULL)
		return;
	strset_free(t->known);
	strset_free(t->found);
	buf_release(&t->lookup);
	buf_release(&t->all_asked);
	for (i = 0; i < NBATCH; i++)
		buf_release(&t->b[i].ids);
	free(t);
}

unsigned long
trades_failures(const struct trades *t)
{
	return t->failures;
}

static void
failure(struct trades *t, const char *url, int retriable, const char *detail)
{
	rec_failure(&(struct failure){ .stage = "fetch",
	    .reason = "fetch_failed", .retriable = retriable, .url = url,
	    .detail = detail });
	t->failures++;
}

static void
scope_free(struct scope *s)
{
	if (s == NULL)
		return;
	free(s->markets);
	free(s);
}

/* A lookup request: its condition ids, a comma list. */
struct lookup {
	struct trades	*t;
	char		*ids;
};

/* A lookup that failed has its failure record: its ids are not also
 * said to be unknown to Gamma, which was not heard. */
static void
lookup_failed(struct lookup *l)
{
	char *p, *next;

	for (p = l->ids; p && *p; p = next) {
		if ((next = strchr(p, ',')) != NULL)
			*next = 0;
		strset_add(l->t->found, p, strlen(p));
		if (next)
			*next++ = ',';
	}
}

/* Markets by condition id, answered: each one a raw Gamma record. */
static void
lookup_done(struct fetch *f, struct fetch_job *j, const struct fetch_answer *a)
{
	struct lookup *l = j->ctx;
	struct trades *t = l->t;
	struct raw_src src = { .source = "gamma", .endpoint = "markets",
	    .url = j->url, .fetched_at = a->fetched_at, .request = j->req,
	    .requestlen = strlen(j->req) };
	struct jspan e;
	json_val o, c;
	json_iter it;
	const char *s;
	size_t n, pos = 0;

	if (a->unasked || !a->ok || a->root.type != JSON_ARRAY) {
		if (!a->unasked)	/* else the reader has gone */
			failure(t, j->url, a->ok ? 0 : a->retriable, a->ok ?
			    "answer is not an array of markets" : a->detail);
		lookup_failed(l);
		free(l->ids);
		free(l);
		return;
	}
	free(l->ids);
	free(l);
	json_iter_init(&it, &a->root);
	while (json_iter_next(&it, NULL, NULL, &o) &&
	    jspan_next(a->text, a->len, &pos, &e) == 1) {
		json_get(&o, "conditionId", &c);
		if ((s = json_str(&c, &n)) != NULL && n > 0)
			strset_add(t->found, s, n);
		raw_emit(&src, a->text + e.off, e.len, NULL);
		fetch_stats(f)->records++;
	}
	fetch_stats(f)->pages++;
}

/* Both the lookup and the trades answer with an array. */
static const char *
array_shape(const struct fetch_job *j, const json_val *root)
{
	(void)j;
	return root->type == JSON_ARRAY ? NULL : "answer is not an array";
}

static int
submit(struct trades *t, const char *url, struct rl_bucket *b, void *ctx,
    const char *req, void (*done)(struct fetch *, struct fetch_job *,
    const struct fetch_answer *))
{
	struct fetch_job *j;

	if ((j = fetch_job_new(url, NULL, 0)) == NULL ||
	    (j->req = strdup(req)) == NULL) {
		fetch_job_free(j);
		msg("out of memory");
		return -1;
	}
	j->ctx = ctx;
	j->bucket = b;
	j->done = done;
	j->shape = array_shape;
	return fetch_add(t->f, j);
}

/* GET /markets?condition_ids=...&closed=false, then closed=true. */
static int
lookup_send(struct trades *t)
{
	static const char *const closed[] = { "false", "true" };
	struct buf qs, url, req;
	struct lookup *l;
	char *ids, *p, *next;
	int i, r = 0;

	if (t->nlookup == 0)
		return 0;
	buf_init(&qs, 0);
	buf_init(&url, 0);
	buf_init(&req, 0);
	for (i = 0; i < 2 && r == 0; i++) {
		buf_reset(&qs);
		buf_reset(&url);
		buf_reset(&req);
		r |= jw_open(&req, '{') | jw_key(&req, "condition_ids") |
		    jw_open(&req, '[');
		ids = t->lookup.data;
		for (p = ids; p && *p; p = next) {
			next = strchr(p, ',');
			if (next)
				*next = 0;
			r |= http_query_add(&qs, "condition_ids", p) |
			    jw_strz(&req, p);
			if (next)
				*next++ = ',';
		}
		r |= jw_close(&req, ']') | jw_key(&req, "closed") |
		    jw_strz(&req, closed[i]) | jw_close(&req, '}') |
		    http_query_add(&qs, "closed", closed[i]) |
		    http_query_add(&qs, "limit", "100");
		l = NULL;
		if (r == 0 && buf_printf(&url, "%s/markets?%s", t->q->gamma,
		    qs.data) == 0 && (l = calloc(1, sizeof *l)) != NULL &&
		    (l->ids = strdup(t->lookup.data)) != NULL) {
			l->t = t;
			r = submit(t, url.data, t->gbucket, l, req.data,
			    lookup_done);
		} else
			r = -1;
		if (r == -1 && l) {
			free(l->ids);
			free(l);
		}
	}
	buf_release(&qs);
	buf_release(&url);
	buf_release(&req);
	buf_reset(&t->lookup);
	t->nlookup = 0;
	return r;
}

/* A trade's market: known, or to be looked up. */
static void
need_market(struct trades *t, const char *cond, size_t n)
{
	if (n == 0 || memchr(cond, ',', n) || strset_add(t->known, cond, n)
	    != 1)
		return;	/* read, or asked for already */
	if ((t->nlookup && buf_addc(&t->lookup, ',') == -1) ||
	    buf_add(&t->lookup, cond, n) == -1 ||
	    (t->all_asked.len && buf_addc(&t->all_asked, ',') == -1) ||
	    buf_add(&t->all_asked, cond, n) == -1) {
		msg("out of memory");
		t->failures++;
		return;
	}
	if (++t->nlookup >= NLOOKUP)
		lookup_send(t);
}

/* The offset cap was met in scope s: narrow its window, or give up. */
static void
narrow(struct scope *s, const char *url)
{
	struct trades *t = s->t;
	char detail[200];

	if (s->markets == NULL && t->q->user == NULL) {
		snprintf(detail, sizeof detail, "the unscoped trades feed "
		    "stops at offset %lld: older trades cannot be reached "
		    "without a market or --user scope", s->offset);
		failure(t, url, 0, detail);
		scope_free(s);
		return;
	}
	if (s->oldest < 0 && s->end < 0) {
		failure(t, url, 0, "trades without timestamps: the window "
		    "cannot be narrowed past the offset cap");
		scope_free(s);
		return;
	}
	if (s->oldest < 0 || (s->end >= 0 && s->oldest >= s->end)) {
		/* More trades in one second than the cap lets through. */
		long long sec = s->oldest < 0 ? s->end : s->oldest;
		snprintf(detail, sizeof detail, "more trades at %lld than the "
		    "offset cap (%lld) reaches: the rest of that second is "
		    "missing", sec, s->offset);
		failure(t, url, 0, detail);
		s->end = sec - 1;
	} else
		s->end = s->oldest;	/* inclusive: that second again */
	s->offset = 0;
	s->oldest = -1;
	if (s->start >= 0 && s->end < s->start) {
		scope_free(s);
		return;
	}
	if (submit_page(s) == -1)
		scope_free(s);
}

/* A page of rows is the last of its scope: shorter than asked, and than
 * what the server answers a page.  A limit= over PAGE_SURE may be cut to
 * the server's own most without a word: a page of PAGE_SURE rows or more
 * but short of the limit is the last only when a page has had more. */
static int
last_page(struct trades *t, size_t rows)
{
	size_t most = t->most;

	if (rows > t->most)
		t->most = rows;
	if (rows >= (size_t)t->q->page_size)
		return 0;
	return rows < PAGE_SURE || rows < most;
}

/*
 * Whether a page repeats the one before it a second time in a row: the
 * server ignores offset, and would be asked the same page up to its
 * offset cap.  One repeat is let through: rows as many as a page, made
 * between two requests, shift the next page onto the last.
 */
static int
repeated(struct scope *s, const struct fetch_answer *a, const char *url)
{
	unsigned char md[32];
	char detail[200];

	if (sha256(a->text, a->len, md) == -1)
		return 0;
	if (s->offset > 0 && s->read && memcmp(md, s->last, sizeof md) == 0) {
		if (++s->same >= 2) {
			snprintf(detail, sizeof detail, "the page at offset "
			    "%lld is the one before it again, the second time "
			    "in a row: the server ignores offset, and the "
			    "trades past it are missing", s->offset);
			failure(s->t, url, 1, detail);
			return 1;
		}
	} else
		s->same = 0;
	memcpy(s->last, md, sizeof md);
	return 0;
}

/* A page of trades: written, its markets seen to, the next one asked. */
static void
page_done(struct fetch *f, struct fetch_job *j, const struct fetch_answer *a)
{
	struct scope *s = j->ctx;
	struct trades *t = s->t;
	struct raw_src src = { .source = "data", .endpoint = "trades",
	    .url = j->url, .fetched_at = a->fetched_at, .request = j->req,
	    .requestlen = strlen(j->req) };
	json_val row, v;
	json_iter it;
	const char *c;
	size_t n, rows = 0;
	double ts;

	/* The reader has gone (| head): no page more, or every trade of
	 * the scope would be asked for, for nothing. */
	if (out_failed() != OUT_OK) {
		scope_free(s);
		return;
	}
	if (!a->ok && a->status == 400 && s->offset > 0) {
		if (t->cap == 0 || s->offset < t->cap)
			t->cap = s->offset;
		narrow(s, j->url);
		return;
	}
	if (a->unasked)
		return;		/* the reader has gone */
	/* Past a page written, the older trades are missing: retriable
	 * whatever the answer, so that the next run asks again from the
	 * same watermark (pm-store counts no trade of the market then). */
	if (!a->ok || a->root.type != JSON_ARRAY) {
		failure(t, j->url, s->read || (!a->ok && a->retriable), a->ok ?
		    "answer is not an array of trades" : a->detail);
		scope_free(s);
		return;
	}
	if (repeated(s, a, j->url)) {
		scope_free(s);
		return;
	}
	raw_emit(&src, a->text, a->len, NULL);
	s->read = 1;
	fetch_stats(f)->pages++;
	json_iter_init(&it, &a->root);
	while (json_iter_next(&it, NULL, NULL, &row)) {
		rows++;
		json_get(&row, "timestamp", &v);
		if (json_double(&v, &ts) == 0 && ts >= 0 && ts < 1e12 &&
		    (s->oldest < 0 || (long long)ts < s->oldest))
			s->oldest = (long long)ts;
		json_get(&row, "conditionId", &v);
		if ((c = json_str(&v, &n)) != NULL)
			need_market(t, c, n);
	}
	fetch_stats(f)->records += rows;
	if (last_page(t, rows)) {
		scope_free(s);
		return;
	}
	s->offset += (long long)rows;
	if (t->cap && s->offset >= t->cap)
		narrow(s, j->url);	/* known to be refused: skip the 400 */
	else if (submit_page(s) == -1)
		scope_free(s);
}

/* Both the query and the request object get each parameter. */
static int
param(struct buf *qs, struct buf *req, const char *k, const char *v)
{
	if (v == NULL)
		return 0;
	return http_query_add(qs, k, v) | jw_key(req, k) | jw_strz(req, v);
}

static int
param_num(struct buf *qs, struct buf *req, const char *k, long long v)
{
	char tmp[32];

	if (v < 0)
		return 0;
	snprintf(tmp, sizeof tmp, "%lld", v);
	return param(qs, req, k, tmp);
}

static int
submit_page(struct scope *s)
{
	struct trades *t = s->t;
	const struct trades_query *q = t->q;
	struct buf qs, req, url;
	int r;

	buf_init(&qs, 0);
	buf_init(&req, 0);
	buf_init(&url, 0);
	r = jw_open(&req, '{');
	r |= param(&qs, &req, "market", s->markets);
	r |= param(&qs, &req, "user", q->user);
	r |= param(&qs, &req, "takerOnly", q->taker_only);
	r |= param(&qs, &req, "side", q->side);
	r |= param(&qs, &req, "filterType", q->filter_type);
	r |= param(&qs, &req, "filterAmount", q->filter_amount);
	r |= param_num(&qs, &req, "start", s->start);
	r |= param_num(&qs, &req, "end", s->end);
	r |= param_num(&qs, &req, "limit", q->page_size);
	r |= param_num(&qs, &req, "offset", s->offset);
	r |= jw_close(&req, '}');
	if (r == 0 && buf_printf(&url, "%s/trades?%s", q->base, qs.data) == 0)
		r = submit(t, url.data, t->bucket, s, req.data, page_done);
	else
		r = -1;
	buf_release(&qs);
	buf_release(&req);
	buf_release(&url);
	return r;
}

static int
scope_start(struct trades *t, const char *markets, long long start)
{
	struct scope *s;

	if ((s = calloc(1, sizeof *s)) == NULL ||
	    (markets && (s->markets = strdup(markets)) == NULL)) {
		free(s);
		msg("out of memory");
		return -1;
	}
	s->t = t;
	s->start = start;
	s->end = t->q->end;
	s->oldest = -1;
	if (submit_page(s) == -1) {
		scope_free(s);
		return -1;
	}
	return 0;
}

static int
batch_send(struct trades *t, struct batch *b)
{
	int r;

	if (b->n == 0)
		return 0;
	r = scope_start(t, b->ids.data, b->start);
	buf_reset(&b->ids);
	b->n = 0;
	b->day = -2;
	/* Keep a few rounds of work queued, no more: input is unbounded. */
	fetch_run(t->f, 256);
	fetch_poke(t->f);
	return r;
}

/* The open batch for a watermark's day: one whose watermarks are close,
 * so no market gets a much older start than its own. */
static struct batch *
batch_for(struct trades *t, long long day)
{
	int i, free_slot = -1;

	for (i = 0; i < NBATCH; i++) {
		if (t->b[i].day == day)
			return &t->b[i];
		if (t->b[i].day == -2 && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0) {
		free_slot = 0;
		batch_send(t, &t->b[0]);
	}
	t->b[free_slot].day = day;
	t->b[free_slot].start = -1;
	return &t->b[free_slot];
}

int
trades_market(struct trades *t, const char *cond, size_t n, long long since)
{
	struct batch *b;
	long long start = t->q->start;

	if (n == 0 || memchr(cond, ',', n))
		return 0;	/* a placeholder market has none */
	switch (strset_add(t->known, cond, n)) {
	case 0:
		return 0;
	case -1:
		return -1;
	}
	if (t->q->user || t->q->feed)
		return 0;
	if (since > start)
		start = since;
	b = batch_for(t, start < 0 ? -1 : start / 86400);
	if ((b->n && buf_addc(&b->ids, ',') == -1) ||
	    buf_add(&b->ids, cond, n) == -1)
		return -1;
	if (b->start < 0 || start < b->start)
		b->start = start;
	if (++b->n >= t->q->batch)
		return batch_send(t, b);
	return 0;
}

/* Condition ids looked up that Gamma did not know. */
static void
report_missing(struct trades *t)
{
	char *p, *next, detail[200];

	for (p = t->all_asked.data; p && *p; p = next) {
		if ((next = strchr(p, ',')) != NULL)
			*next = 0;
		if (strset_add(t->found, p, strlen(p)) == 1) {
			snprintf(detail, sizeof detail, "no market on Gamma for "
			    "condition id %.80s: its trades have no market", p);
			failure(t, NULL, 1, detail);
		}
		if (next)
			*next++ = ',';
	}
}

void
trades_finish(struct trades *t)
{
	int i;

	for (i = 0; i < NBATCH; i++)
		batch_send(t, &t->b[i]);
	if (t->q->user || t->q->feed)
		scope_start(t, NULL, t->q->start);
	fetch_run(t->f, 0);
	lookup_send(t);
	fetch_run(t->f, 0);
	report_missing(t);
}
