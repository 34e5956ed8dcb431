/* clob.c - CLOB prices and history as raw records (see clob.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clob.h"
#include "http.h"
#include "json.h"
#include "jw.h"
#include "msg.h"
#include "raw.h"
#include "record.h"
#include "strset.h"

struct clob {
	const struct clob_query *q;
	struct fetch	*f;
	struct rl_bucket *bucket;
	struct strset	*asked;
	json_parser	*jp;	/* a POST /prices request, to check its
				   answer against */
	struct buf	 body, req;	/* the POST /prices batch being built */
	int		 nbatch;
	unsigned long	 failures, records;
};

static const char *const endpoints[] = { "prices", "price", "midpoint",
    "book", "last-trade-price", "prices-history" };

int
clob_endpoint_known(const char *e)
{
	size_t i;

	for (i = 0; i < sizeof endpoints / sizeof *endpoints; i++)
		if (strcmp(e, endpoints[i]) == 0)
			return 1;
	return 0;
}

struct clob *
clob_new(struct fetch *f, struct rl_table *rl, const struct clob_query *q)
{
	struct clob *c;

	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	c->q = q;
	c->f = f;
	c->bucket = rl_get(rl, q->endpoint);
	buf_init(&c->body, 0);
	buf_init(&c->req, 0);
	if ((c->asked = strset_new()) == NULL ||
	    (c->jp = json_parser_new(CLOB_REQ_MAX)) == NULL) {
		strset_free(c->asked);
		free(c);
		return NULL;
	}
	return c;
}

void
clob_free(struct clob *c)
{
	if (c == NULL)
		return;
	strset_free(c->asked);
	json_parser_free(c->jp);
	buf_release(&c->body);
	buf_release(&c->req);
	free(c);
}

unsigned long
clob_failures(const struct clob *c)
{
	return c->failures;
}

unsigned long
clob_records(const struct clob *c)
{
	return c->records;
}

/*
 * POST /prices leaves out a token it has no book of (a market closed
 * since its record was fetched): a skip record of its own, not a token
 * that silently gets no price, nor a failure that would make every
 * prices run after a market closed partial.
 */
static void
missing(struct clob *c, const struct fetch_job *j,
    const struct fetch_answer *a)
{
	json_val req, tokens, ctx, mid, v;
	json_iter it;
	const char *tok, *err;
	char id[128];
	size_t tn;

	if (json_parse(c->jp, j->req, strlen(j->req), 0, &req, &err) == -1)
		return;		/* ours: it parses */
	json_get(&req, "tokens", &tokens);
	json_iter_init(&it, &tokens);
	while (json_iter_next(&it, &tok, &tn, &ctx)) {
		json_get(&a->root, tok, &v);
		if (v.type != JSON_ABSENT)
			continue;
		json_get(&ctx, "market_id", &mid);
		snprintf(id, sizeof id, "%.*s", (int)(tn < 120 ? tn : 120), tok);
		rec_skip_market("fetch", json_str(&mid, NULL), id,
		    "no_order_book");
	}
}

static void
answer(struct fetch *f, struct fetch_job *j, const struct fetch_answer *a)
{
	struct clob *c = j->ctx;
	struct raw_src src = { .source = "clob", .endpoint = c->q->endpoint,
	    .url = j->url, .fetched_at = a->fetched_at, .request = j->req,
	    .requestlen = strlen(j->req) };
	json_val req, mid = { .type = JSON_ABSENT }, win = mid;
	const char *err;

	/* a single token's request names its market: so does its failure,
	 * or that of its record when too long to write (a batch's has
	 * many, and names none) */
	if (!a->unasked &&
	    json_parse(c->jp, j->req, strlen(j->req), 0, &req, &err) == 0) {
		json_get(&req, "market_id", &mid);
		json_get(&req, "startTs", &win);
	}
	if (a->ok) {
		src.market_id = json_str(&mid, NULL);
		raw_emit(&src, a->text, a->len, NULL);
		c->records++;
		fetch_stats(f)->pages++;
		fetch_stats(f)->records++;
		if (strcmp(c->q->endpoint, "prices") == 0 &&
		    a->root.type == JSON_OBJECT)
			missing(c, j, a);
		return;
	}
	if (a->unasked)
		return;		/* the reader has gone */
	/* A history window goes a day a request: a day refused (a 403, a
	 * 404) while newer ones were stored is missing all the same, and
	 * only a retriable failure keeps the token's watermark before it. */
	rec_failure(&(struct failure){ .stage = "fetch",
	    .reason = "fetch_failed",
	    .retriable = a->retriable || win.type != JSON_ABSENT,
	    .market_id = json_str(&mid, NULL), .url = j->url,
	    .detail = a->detail });
	c->failures++;
}

/*
 * What each endpoint answers with, checked so that a gateway's 200
 * {"error":...} is retried and then failed, not taken for a batch of
 * tokens without a book or for a price that is not there.
 */
static const char *
shape(const struct fetch_job *j, const json_val *root)
{
	struct clob *c = j->ctx;
	const char *ep = c->q->endpoint, *tok, *err;
	json_val req, tokens, v, w;
	json_iter it;

	if (root->type != JSON_OBJECT)
		return "answer is not an object";
	if (strcmp(ep, "prices") == 0) {
		if (json_parse(c->jp, j->req, strlen(j->req), 0, &req,
		    &err) == -1)
			return NULL;	/* ours: it parses */
		json_get(&req, "tokens", &tokens);
		json_iter_init(&it, root);
		while (json_iter_next(&it, &tok, NULL, &v)) {
			json_get(&tokens, tok, &w);
			if (v.type != JSON_OBJECT || w.type == JSON_ABSENT)
				return "answer is not a map of the tokens "
				    "asked to their prices";
		}
		return NULL;
	}
	if (strcmp(ep, "book") == 0) {
		json_get(root, "bids", &v);
		json_get(root, "asks", &w);
		return v.type == JSON_ARRAY || w.type == JSON_ARRAY ? NULL :
		    "answer has no bids or asks array";
	}
	if (strcmp(ep, "prices-history") == 0) {
		json_get(root, "history", &v);
		return v.type == JSON_ARRAY ? NULL :
		    "answer has no history array";
	}
	json_get(root, strcmp(ep, "midpoint") == 0 ? "mid" : "price", &v);
	return v.type != JSON_ABSENT ? NULL : strcmp(ep, "midpoint") == 0 ?
	    "answer has no mid" : "answer has no price";
}

static int
submit(struct clob *c, const char *url, const char *post, size_t postlen,
    const char *req)
{
	struct fetch_job *j;

	if ((j = fetch_job_new(url, post, postlen)) == NULL ||
	    (j->req = strdup(req)) == NULL) {
		fetch_job_free(j);
		msg("out of memory");
		return -1;
	}
	j->ctx = c;
	j->bucket = c->bucket;
	j->done = answer;
	j->shape = shape;
	fetch_add(c->f, j);
	return 0;
}

/* POST /prices with the batch built so far. */
static int
send_batch(struct clob *c)
{
	struct buf url;
	int r;

	if (c->nbatch == 0)
		return 0;
	buf_init(&url, 0);
	jw_close(&c->body, ']');
	jw_close(&c->req, '}');
	jw_close(&c->req, '}');
	r = buf_printf(&url, "%s/prices", c->q->base) == -1 ? -1 :
	    submit(c, url.data, c->body.data, c->body.len, c->req.data);
	buf_release(&url);
	buf_reset(&c->body);
	buf_reset(&c->req);
	c->nbatch = 0;
	return r;
}

static int
batch_add(struct clob *c, const char *tok, size_t tn, const char *mid,
    size_t mn, const char *out, size_t on)
{
	static const char *const sides[] = { "BUY", "SELL" };
	int i, r = 0;

	if (c->nbatch == 0) {
		r |= jw_open(&c->body, '[');
		r |= jw_open(&c->req, '{') | jw_key(&c->req, "tokens") |
		    jw_open(&c->req, '{');
	}
	for (i = 0; i < 2; i++)
		r |= jw_open(&c->body, '{') | jw_key(&c->body, "token_id") |
		    jw_str(&c->body, tok, tn) | jw_key(&c->body, "side") |
		    jw_strz(&c->body, sides[i]) | jw_close(&c->body, '}');
	/* The token is a key: jw_key() wants it NUL-terminated. */
	r |= jw_str(&c->req, tok, tn) | buf_addc(&c->req, ':') |
	    jw_open(&c->req, '{') |
	    jw_key(&c->req, "market_id") | jw_str(&c->req, mid, mn) |
	    jw_key(&c->req, "outcome") | jw_str(&c->req, out, on) |
	    jw_close(&c->req, '}');
	if (r)
		return -1;
	if (++c->nbatch < c->q->batch)
		return 0;
	r = send_batch(c);
	fetch_run(c->f, 64);
	return r;
}

/* Both the URL query and the request object get each parameter. */
static int
param(struct buf *qs, struct buf *req, const char *k, const char *v)
{
	if (v == NULL)
		return 0;
	return http_query_add(qs, k, v) | jw_key(req, k) | jw_strz(req, v);
}

/* One GET for one token (and side); prices-history over the window
 * [win[0], win[1]] in epoch seconds when win is not NULL, instead of the
 * query's interval, start and end. */
static int
single(struct clob *c, const char *tok, const char *mid, size_t mn,
    const char *out, size_t on, const char *side, const long long *win)
{
	const struct clob_query *q = c->q;
	struct buf qs, req, url;
	int hist = strcmp(q->endpoint, "prices-history") == 0, r;
	char ws[2][24];

	buf_init(&qs, 0);
	buf_init(&req, 0);
	buf_init(&url, 0);
	/* prices-history names the token `market`, despite the name. */
	r = http_query_add(&qs, hist ? "market" : "token_id", tok) |
	    jw_open(&req, '{') | jw_key(&req, "token_id") | jw_strz(&req, tok);
	r |= param(&qs, &req, "side", side);
	r |= jw_key(&req, "market_id") | jw_str(&req, mid, mn) |
	    jw_key(&req, "outcome") | jw_str(&req, out, on);
	if (hist && win) {
		snprintf(ws[0], sizeof ws[0], "%lld", win[0]);
		snprintf(ws[1], sizeof ws[1], "%lld", win[1]);
		r |= param(&qs, &req, "fidelity", q->fidelity) |
		    param(&qs, &req, "startTs", ws[0]) |
		    param(&qs, &req, "endTs", ws[1]);
	} else if (hist)
		r |= param(&qs, &req, "interval", q->interval) |
		    param(&qs, &req, "fidelity", q->fidelity) |
		    param(&qs, &req, "startTs", q->start_ts) |
		    param(&qs, &req, "endTs", q->end_ts);
	r |= jw_close(&req, '}');
	if (r == 0 && buf_printf(&url, "%s/%s?%s", q->base, q->endpoint,
	    qs.data) == 0)
		r = submit(c, url.data, NULL, 0, req.data);
	else
		r = -1;
	buf_release(&qs);
	buf_release(&req);
	buf_release(&url);
	return r;
}

/* A token's history from its watermark to the end (now, or a closed
 * market's close), or over the window given (--start-ts, --end-ts), a
 * day a request, the newest first; each request is a record of its own. */
static int
resume(struct clob *c, const char *tok, const char *mid, size_t mn,
    const char *out, size_t on, long long since, long long end)
{
	long long win[2];
	int r = 0;

	for (win[1] = end; r == 0 && win[1] > since; win[1] = win[0]) {
		win[0] = win[1] - since > CLOB_HISTORY_CHUNK ?
		    win[1] - CLOB_HISTORY_CHUNK : since;
		r = single(c, tok, mid, mn, out, on, NULL, win);
		fetch_run(c->f, 256);
	}
	return r;
}

int
clob_token(struct clob *c, const char *tok, size_t tn, const char *mid,
    size_t mn, const char *out, size_t on, const struct clob_market *m)
{
	const char *side = c->q->side;
	int hist = strcmp(c->q->endpoint, "prices-history") == 0;
	long long since = m->since, end = c->q->now;
	char *t;
	int r = 0;

	if (m->closed && !hist)
		return 0;	/* no book: the CLOB answers 404 */
	/* a closed market's history ends at its close: asked up to it, and
	 * the day before it when it has no watermark (closed before any
	 * run saw it open) */
	if (hist && c->q->resume && m->closed && m->closed_at >= 0) {
		if (m->closed_at < end - CLOB_CLOSE_MARGIN)
			end = m->closed_at + CLOB_CLOSE_MARGIN;
		if (since >= end)
			return 0;
		if (since < 0)
			since = end - CLOB_HISTORY_CHUNK;
	}
	switch (strset_add(c->asked, tok, tn)) {
	case 0:
		return 0;
	case -1:
		return -1;
	}
	if (strcmp(c->q->endpoint, "prices") == 0)
		return batch_add(c, tok, tn, mid, mn, out, on);
	if ((t = strndup(tok, tn)) == NULL)
		return -1;
	if (strcmp(c->q->endpoint, "price") == 0 && side == NULL)
		r = single(c, t, mid, mn, out, on, "BUY", NULL) |
		    single(c, t, mid, mn, out, on, "SELL", NULL);
	else if (c->q->resume && since >= 0 && since < end)
		r = resume(c, t, mid, mn, out, on, since, end);
	else if (hist && c->q->start_ts && c->q->start < c->q->end)
		r = resume(c, t, mid, mn, out, on, c->q->start, c->q->end);
	else if (hist && c->q->start_ts)	/* a window of one instant: */
		r = single(c, t, mid, mn, out, on, NULL, (long long[]){
		    c->q->start, c->q->end });	/* with its end, not open */
	else
		r = single(c, t, mid, mn, out, on,
		    strcmp(c->q->endpoint, "price") == 0 ? side : NULL, NULL);
	free(t);
	/* Keep a few rounds of work queued, no more: input is unbounded. */
	fetch_run(c->f, 256);
	fetch_poke(c->f);
	return r;
}

void
clob_finish(struct clob *c)
{
	send_batch(c);
	fetch_progress_total(c->f);
	fetch_run(c->f, 0);
}
