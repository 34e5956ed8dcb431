/* fetch.c - rate-limited, retried, checked requests (see fetch.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "buf.h"
#include "fetch.h"
#include "http.h"
#include "progress.h"
#include "json.h"
#include "msg.h"
#include "timefmt.h"

#define MAX_BODY ((size_t)256 * 1024 * 1024)

struct fetch {
	struct fetch_opts o;
	struct http	*http;
	json_parser	*jp;
	struct buf	 mini;		/* minified answer, padded for simdjson */
	json_val	 root;		/* mini, parsed */
	struct fetch_job *head, *tail;	/* queued: waiting or delayed */
	unsigned long	 queued, inflight, added;
	struct fetch_stats st;
	unsigned int	 seed;
};

struct fetch *
fetch_new(const struct fetch_opts *o)
{
	struct http_opts ho = { 0 };
	struct fetch *f;

	if ((f = calloc(1, sizeof *f)) == NULL)
		return NULL;
	f->o = *o;
	if (f->o.retry_after_max <= 0)
		f->o.retry_after_max = FETCH_RETRY_AFTER_MAX;
	ho.timeout_ms = o->timeout_ms;
	ho.connect_timeout_ms = o->timeout_ms < 10000 ? o->timeout_ms : 10000;
	ho.max_body = MAX_BODY;
	buf_init(&f->mini, MAX_BODY + JSON_PADDING);
	f->http = http_new(&ho);
	f->jp = json_parser_new(MAX_BODY);
	f->seed = rl_seed(rl_now());
	if (f->http == NULL || f->jp == NULL) {
		fetch_free(f);
		return NULL;
	}
	return f;
}

void
fetch_job_free(struct fetch_job *j)
{
	if (j == NULL)
		return;
	free(j->url);
	free(j->post);
	free(j->req);
	free(j->xfer);
	free(j);
}

void
fetch_free(struct fetch *f)
{
	struct fetch_job *j;

	if (f == NULL)
		return;
	while ((j = f->head) != NULL) {
		f->head = j->next;
		fetch_job_free(j);
	}
	http_free(f->http);	/* in-flight jobs only at a fatal exit */
	json_parser_free(f->jp);
	buf_release(&f->mini);
	free(f);
}

struct fetch_job *
fetch_job_new(const char *url, const char *post, size_t postlen)
{
	struct fetch_job *j;

	if ((j = calloc(1, sizeof *j)) == NULL)
		return NULL;
	j->xfer = calloc(1, sizeof(struct http_xfer));
	j->url = strdup(url);
	if (post) {
		j->post = malloc(postlen + 1);
		if (j->post) {
			memcpy(j->post, post, postlen);
			j->post[postlen] = 0;
		}
		j->postlen = postlen;
	}
	if (j->xfer == NULL || j->url == NULL || (post && j->post == NULL)) {
		fetch_job_free(j);
		return NULL;
	}
	return j;
}

static void
enqueue(struct fetch *f, struct fetch_job *j)
{
	j->next = NULL;
	if (f->tail)
		f->tail->next = j;
	else
		f->head = j;
	f->tail = j;
	f->queued++;
}

int
fetch_add(struct fetch *f, struct fetch_job *j)
{
	if (j == NULL)
		return -1;
	j->attempts = 0;
	j->not_before = 0;
	f->added++;
	enqueue(f, j);
	return 0;
}

unsigned long
fetch_pending(const struct fetch *f)
{
	return f->queued + f->inflight;
}

struct fetch_stats *
fetch_stats(struct fetch *f)
{
	return &f->st;
}

/* Uniform in [0, 1). */
static double
frand(struct fetch *f)
{
	return (double)(rand_r(&f->seed) % 1000000) / 1e6;
}

/*
 * The wait before the next try: Retry-After when the server gave one,
 * else exponential backoff, each wait drawn between half of it and all
 * of it (equal jitter: never much shorter).  Either way at least a
 * floor, so a "Retry-After: 0" storm cannot turn into a busy loop.
 */
static double
retry_delay(struct fetch *f, const struct fetch_job *j, long ra_ms)
{
	double d, floor_ = f->o.backoff / 4;

	if (ra_ms >= 0)
		d = (double)ra_ms / 1000 + frand(f) * floor_;
	else {
		d = f->o.backoff * pow(2, j->attempts - 1);
		if (d > f->o.backoff_max)
			d = f->o.backoff_max;
		d = d / 2 + frand(f) * d / 2;
	}
	return d > floor_ ? d : floor_;
}

/* A Retry-After (ms, -1 when none) cut to retry_after_max; what was cut
 * is remembered for the failure's detail. */
static long
capped_retry_after(struct fetch *f, struct fetch_job *j, long ra_ms)
{
	long max_ms = (long)(f->o.retry_after_max * 1000);

	if (ra_ms <= max_ms)
		return ra_ms;
	if (ra_ms > j->asked_ms)
		j->asked_ms = ra_ms;
	return max_ms;
}

/* Is a finished transfer an answer, a retry or a final failure?  Sets
 * detail; returns 1 answer, 0 retry, -1 final. */
static int
judge(struct fetch *f, const struct fetch_job *j, struct http_xfer *x,
    char *detail, size_t dl)
{
	const char *err = NULL, *why;
	size_t n, fixed;

	if (x->err != HTTP_OK) {
		f->st.transport++;
		snprintf(detail, dl, "%s", x->errmsg);
		/* An untrusted certificate stays untrusted: no retry. */
		return x->err == HTTP_TOOBIG || x->err == HTTP_TLS ? -1 : 0;
	}
	f->st.answers++;
	if (x->status == 429)
		f->st.status429++;
	if (x->status >= 500)
		f->st.status5xx++;
	if (x->status == 429 || x->status == 408 || x->status >= 500) {
		snprintf(detail, dl, "HTTP %ld", x->status);
		return 0;
	}
	if (x->status < 200 || x->status > 299) {
		const char *b = x->body.data ? x->body.data : "";
		const char *why = x->status >= 300 && x->status < 400 ?
		    ": a redirect, not followed" : "";

		b += strspn(b, " \t\r\n");
		if (*b)
			snprintf(detail, dl, "HTTP %ld%s: %.200s", x->status,
			    why, b);
		else
			snprintf(detail, dl, "HTTP %ld%s", x->status,
			    *why ? why : " with an empty body");
		return -1;
	}
	buf_reset(&f->mini);
	n = (size_t)-1;
	if (buf_reserve(&f->mini, x->body.len + JSON_PADDING) == 0)
		n = json_minify(x->body.data ? x->body.data : "",
		    x->body.len, f->mini.data);
	if (n != (size_t)-1)	/* simdjson reads the padding (json.h) */
		memset(f->mini.data + n, 0, JSON_PADDING);
	/* A string cut inside a character by the server: its half is no
	 * text, and would cost the whole page.  Said with the URL's
	 * scheme://host/path, as a failure is: a query may name a wallet. */
	if (n != (size_t)-1 &&
	    (fixed = json_fix_surrogates(f->mini.data, n)) > 0)
		msg("%.*s: %zu lone UTF-16 surrogate%s replaced by U+FFFD",
		    (int)strcspn(x->url, "?#"), x->url, fixed,
		    fixed == 1 ? "" : "s");
	if (n == (size_t)-1 ||
	    json_parse(f->jp, f->mini.data, n, 1, &f->root, &err) == -1) {
		/* Most likely cut short on the way: asked again. */
		snprintf(detail, dl, "HTTP %ld with a body that is not JSON "
		    "(%zu bytes: %s)", x->status, x->body.len,
		    err ? err : "truncated?");
		return 0;
	}
	f->mini.len = n;
	f->mini.data[n] = 0;
	/* A gateway's or proxy's 200 with its own JSON is as passing as
	 * its 502 would be: asked again. */
	if (j->shape && (why = j->shape(j, &f->root)) != NULL) {
		snprintf(detail, dl, "HTTP %ld with an answer of the wrong "
		    "shape: %s", x->status, why);
		return 0;
	}
	return 1;
}

/* The server's clock less ours as the answer came in, in ms: its Date
 * is rounded down to the second and was stamped before the answer's way
 * here, so this is never more than the truth. */
static double
server_skew(const struct http_xfer *x)
{
	struct timeval tv;

	if (x->date == (time_t)-1)
		return 0;
	gettimeofday(&tv, NULL);
	return ((double)x->date - (double)tv.tv_sec -
	    (double)tv.tv_usec / 1e6) * 1000;
}

static void
on_done(struct http_xfer *x, void *arg)
{
	struct fetch *f = arg;
	struct fetch_job *j = x->arg;
	struct fetch_answer a = { 0 };
	char detail[512], full[768], ts[TS_MAX];
	int r;

	f->inflight--;
	r = judge(f, j, x, detail, sizeof detail);
	if (r == 0 && j->attempts < f->o.attempts) {
		long ra = capped_retry_after(f, j, x->retry_after_ms);
		double d = retry_delay(f, j, ra);

		/* A 429 is the whole endpoint's: the other cursors wait
		 * too, for its Retry-After or else for this backoff. */
		if (x->status == 429)
			rl_pause(j->bucket, rl_now() +
			    (ra >= 0 ? (double)ra / 1000 : d));
		f->st.retries++;
		j->not_before = rl_now() + d;
		buf_release(&x->body);
		enqueue(f, j);
		return;
	}
	ts_now(ts);
	a.fetched_at = ts;
	a.skew_ms = server_skew(x);
	a.status = x->status;
	if (r == 1) {
		a.ok = 1;
		a.text = f->mini.data;
		a.len = f->mini.len;
		a.root = f->root;
		f->st.ok++;
	} else {
		a.retriable = r == 0;
		if (r == 0 && j->asked_ms > 0)
			snprintf(full, sizeof full, "%s after %d attempt%s "
			    "(the server asked to wait %ld s; waits are cut "
			    "to %g s)",
			    detail, j->attempts, j->attempts == 1 ? "" : "s",
			    j->asked_ms / 1000, f->o.retry_after_max);
		else if (r == 0)
			snprintf(full, sizeof full, "%s after %d attempt%s",
			    detail, j->attempts, j->attempts == 1 ? "" : "s");
		else
			snprintf(full, sizeof full, "%s", detail);
		a.detail = full;
		f->st.failed++;
	}
	buf_release(&x->body);
	j->done(f, j, &a);
	fetch_job_free(j);
}

/* Requests answered (for good) of those asked; the rest in the tail. */
static void
progress(struct fetch *f, int final)
{
	struct fetch_stats *s = &f->st;
	void (*show)(struct progress *, unsigned long, const char *, ...) =
	    final ? progress_end : progress_update;

	show(f->o.progress, s->ok + s->failed, "%lu records, %lu in flight, "
	    "%lu retries, %lu failed", s->records, f->inflight, s->retries,
	    s->failed);
}

void
fetch_progress_end(struct fetch *f)
{
	progress(f, 1);
}

void
fetch_progress_total(struct fetch *f)
{
	progress_total(f->o.progress, f->added, 1);
}

/* Nothing more is worth asking (o.stop): every queued job is done
 * unasked, so that those queued (a few hundred prices) are not sent
 * after the reader has gone.  done() may queue more: those go too. */
static void
cancel(struct fetch *f)
{
	struct fetch_answer a = { .retriable = 1, .unasked = 1,
	    .detail = "not asked: nothing reads the answers" };
	struct fetch_job *j;
	char ts[TS_MAX];

	ts_now(ts);
	a.fetched_at = ts;
	while ((j = f->head) != NULL) {
		if ((f->head = j->next) == NULL)
			f->tail = NULL;
		f->queued--;
		j->done(f, j, &a);
		fetch_job_free(j);
	}
}

/* Start every queued job whose time has come and whose bucket has a
 * token, up to the parallel limit; returns when to look again. */
static double
launch(struct fetch *f, double now)
{
	struct fetch_job *j, *prev = NULL, *next;
	struct http_xfer *x;
	double wake = now + 1, w;

	if (f->o.stop && f->o.stop())
		cancel(f);
	for (j = f->head; j && f->inflight < (unsigned long)f->o.parallel;
	    j = next) {
		next = j->next;
		if (j->not_before > now) {
			if (j->not_before < wake)
				wake = j->not_before;
			prev = j;
			continue;
		}
		if ((w = rl_take(j->bucket, now)) > 0) {
			if (now + w < wake)
				wake = now + w;
			prev = j;
			continue;
		}
		x = j->xfer;
		memset(x, 0, sizeof *x);
		x->url = j->url;
		x->post = j->post;
		x->postlen = j->postlen;
		x->arg = j;
		if (http_start(f->http, x) == -1) {
			wake = now + 0.05;	/* out of handles: later */
			prev = j;
			continue;
		}
		if (prev)
			prev->next = next;
		else
			f->head = next;
		if (f->tail == j)
			f->tail = prev;
		f->queued--;
		f->inflight++;
		f->st.requests++;
		j->attempts++;
	}
	return wake;
}

void
fetch_run(struct fetch *f, unsigned long pending)
{
	double now, wake;
	long ms;

	if (pending == 0)
		pending = 1;
	while (fetch_pending(f) >= pending) {
		now = rl_now();
		wake = launch(f, now);
		if (f->inflight >= (unsigned long)f->o.parallel || f->queued == 0)
			ms = 1000;
		else
			ms = (long)ceil((wake - now) * 1000);
		if (ms < 1)
			ms = 1;
		if (ms > 1000)
			ms = 1000;
		http_run(f->http, ms, on_done, f);
		progress(f, 0);
	}
}

void
fetch_poke(struct fetch *f)
{
	launch(f, rl_now());
	http_run(f->http, 0, on_done, f);
	progress(f, 0);
}
