/* summary.c - the run summary of a stream (see summary.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "jw.h"
#include "msg.h"
#include "strset.h"
#include "outfile.h"
#include "summary.h"

/* What the run records say; NULL members were not seen. */
enum { M_RUN_ID, M_FLOW, M_RUN_DATE, M_TARGET_DATE, M_GIT_SHA,
	M_ENVIRONMENT, M_STARTED_AT, M_FINISHED_AT, M_STATUS, M_COUNT };
static const char *const meta_names[M_COUNT] = { "run_id", "flow",
	"run_date", "target_date", "git_sha", "environment", "started_at",
	"finished_at", "status" };

struct fail {
	char	*market_id, *event_key, *reason, *stage, *detail, *input;
	int	 retriable;
};

struct reason {
	char		*name;
	unsigned long	 n;
};

struct variant {
	char		*suite, *stage, *variant;
	unsigned long	 ok, skipped, failed, other;
	double		*lat;		/* latency_ms of each result that has one */
	size_t		 nlat, caplat;
	uint64_t	 tokens;	/* LLM usage, summed over its results */
	unsigned long	 ntokens;	/* results that reported usage */
};

struct summary {
	char			*meta[M_COUNT];
	char			*failed_stage, *error;	/* the final word's */
	int64_t			 window_days;
	int			 has_window, runs;
	/* runs after the one named (dumps concatenated): how many, the
	 * last one's run_id, the worst status their ends gave */
	int			 more_runs;
	char			*other_id, *other_status;
	/* runs without an end record: the named one, the last other one,
	 * the others before it */
	int			 ended, other_ended, other_unended;
	int			 dry_run;	/* the run record says so */
	struct summary_totals	 t;
	struct fail		*fails;
	size_t			 nfails, capfails;
	unsigned long		 fails_omitted;
	struct reason		*reasons;
	size_t			 nreasons, capreasons;
	struct strset		*reason_ix;	/* name -> index in reasons */
	struct variant		*vars;
	size_t			 nvars, capvars;
	struct strset		*var_ix;	/* suite\0stage\0variant -> index */
};

/* Grow *p (of *cap elements of size sz) to hold one more than n. */
static int
grow(void *pp, size_t *cap, size_t n, size_t sz)
{
	void **p = pp;
	size_t ncap;
	void *np;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	if ((np = realloc(*p, ncap * sz)) == NULL) {
		msg("out of memory");
		return -1;
	}
	*p = np;
	*cap = ncap;
	return 0;
}

/* A copy of a string member, NULL when it is absent or not a string. */
static char *
dupstr(const json_val *obj, const char *key)
{
	json_val v;
	const char *s;
	size_t n;
	char *d;

	json_get(obj, key, &v);
	if ((s = json_str(&v, &n)) == NULL)
		return NULL;
	if ((d = malloc(n + 1)) != NULL) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

/* 1 when obj's member key is the string want. */
static int
member_is(const json_val *obj, const char *key, const char *want)
{
	json_val v;
	const char *s;
	size_t n;

	json_get(obj, key, &v);
	s = json_str(&v, &n);
	return s && n == strlen(want) && memcmp(s, want, n) == 0;
}

struct summary *
summary_new(void)
{
	struct summary *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->reason_ix = strset_new();
	s->var_ix = strset_new();
	if (s->reason_ix == NULL || s->var_ix == NULL) {
		summary_free(s);
		return NULL;
	}
	return s;
}

static void
fail_release(struct fail *f)
{
	free(f->market_id);
	free(f->event_key);
	free(f->reason);
	free(f->stage);
	free(f->detail);
	free(f->input);
}

void
summary_free(struct summary *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < M_COUNT; i++)
		free(s->meta[i]);
	free(s->other_id);
	free(s->other_status);
	free(s->failed_stage);
	free(s->error);
	for (i = 0; i < s->nfails; i++)
		fail_release(&s->fails[i]);
	free(s->fails);
	for (i = 0; i < s->nreasons; i++)
		free(s->reasons[i].name);
	free(s->reasons);
	for (i = 0; i < s->nvars; i++) {
		free(s->vars[i].suite);
		free(s->vars[i].stage);
		free(s->vars[i].variant);
		free(s->vars[i].lat);
	}
	free(s->vars);
	strset_free(s->reason_ix);
	strset_free(s->var_ix);
	free(s);
}

/* How bad a run's status is: an unknown one (running) least. */
static int
status_rank(const char *st)
{
	static const char *const order[] = { "completed", "partial",
	    "abandoned", "failed" };
	size_t i;

	for (i = 0; st && i < sizeof order / sizeof *order; i++)
		if (strcmp(st, order[i]) == 0)
			return (int)i + 1;
	return 0;
}

/* The runs of the input that no end record closed. */
static int
unended_runs(const struct summary *s)
{
	return (s->runs > 0 && !s->ended) + s->other_unended +
	    (s->other_id != NULL && !s->other_ended);
}

/* The run's status: the named run's, or the worst of the runs' when the
 * input holds several.  A run that never ended, beside one that did, was
 * cut short: partial, as pm-store records a dump without its end. */
static const char *
run_status(const struct summary *s)
{
	const char *own = s->meta[M_STATUS], *st;

	st = status_rank(s->other_status) > status_rank(own) ?
	    s->other_status : own;
	if (st && unended_runs(s) && status_rank(st) < status_rank("partial"))
		return "partial";
	return st;
}

/* A run record of a run other than the one named: counted, and its end's
 * status kept when it is the worst.  0, or 1 when it is the named run's. */
static int
other_run(struct summary *s, const json_val *root, int end)
{
	json_val v;
	const char *id;
	size_t n;
	char *st;

	json_get(root, "run_id", &v);
	if (s->meta[M_RUN_ID] == NULL || (id = json_str(&v, &n)) == NULL ||
	    (strlen(s->meta[M_RUN_ID]) == n &&
	    memcmp(s->meta[M_RUN_ID], id, n) == 0))
		return 0;
	if (s->other_id == NULL || strlen(s->other_id) != n ||
	    memcmp(s->other_id, id, n) != 0) {
		s->more_runs++;
		if (s->other_id && !s->other_ended)
			s->other_unended++;
		s->other_ended = 0;
		free(s->other_id);
		s->other_id = dupstr(root, "run_id");
	}
	if (end)
		s->other_ended = 1;
	if (end && (st = dupstr(root, "status")) != NULL) {
		if (status_rank(st) > status_rank(s->other_status)) {
			free(s->other_status);
			s->other_status = st;
		} else
			free(st);
	}
	return 1;
}

/* The first run record names the run; later ones of it only fill gaps,
 * and its end record brings finished_at and status.  Another run's
 * records (dumps concatenated) name nothing: its status counts when it
 * is worse. */
static void
add_run(struct summary *s, const json_val *root)
{
	json_val v, o;
	size_t i;
	int end = member_is(root, "phase", "end"), dry = 0, final = 0;
	int other = other_run(s, root, end);

	s->runs++;
	if (end && !other)
		s->ended = 1;
	for (i = 0; i < M_COUNT && !other; i++) {
		if (s->meta[i] && !(end && (i == M_FINISHED_AT || i == M_STATUS)))
			continue;
		if (s->meta[i] == NULL || end) {
			char *d = dupstr(root, meta_names[i]);

			if (d) {
				free(s->meta[i]);
				s->meta[i] = d;
			}
		}
	}
	/* pipelines.sh's final word (pm-pipelines(7)) names the stage that
	 * failed; it is not one of the run's records.  Another run's does
	 * not take away the stage a run before it named. */
	json_get(root, "final", &v);
	if (end && json_bool(&v, &final) == 0 && final)
		s->t.records--;
	if (end && final && !(other && s->failed_stage)) {
		free(s->failed_stage);
		free(s->error);
		s->failed_stage = dupstr(root, "failed_stage");
		s->error = dupstr(root, "error");
	}
	json_get(root, "window_days", &v);
	if (!s->has_window && json_int64(&v, &s->window_days) == 0)
		s->has_window = 1;
	json_get(root, "options", &o);
	json_get(&o, "dry_run", &v);
	if (json_bool(&v, &dry) == 0 && dry)
		s->dry_run = 1;
}

static int
count_reason(struct summary *s, const char *reason)
{
	long i = strset_index(s->reason_ix, reason, strlen(reason));

	if (i == -1) {
		msg("out of memory");
		return -1;
	}
	if ((size_t)i < s->nreasons) {
		s->reasons[i].n++;
		return 0;
	}
	if (grow(&s->reasons, &s->capreasons, s->nreasons, sizeof *s->reasons))
		return -1;
	if ((s->reasons[s->nreasons].name = strdup(reason)) == NULL) {
		msg("out of memory");
		return -1;
	}
	s->reasons[s->nreasons++].n = 1;
	return 0;
}

/* One failure: counted always, kept while there is room.  Returns 1 when
 * f's strings now belong to the summary, 0 when the caller frees them. */
static int
add_fail(struct summary *s, const struct fail *f)
{
	struct fail *d;

	s->t.failed++;
	if (count_reason(s, f->reason ? f->reason : "unknown") == -1)
		return -1;
	if (s->nfails >= SUMMARY_MAX_FAILURES) {
		s->fails_omitted++;
		return 0;
	}
	if (grow(&s->fails, &s->capfails, s->nfails, sizeof *s->fails) == -1)
		return -1;
	d = &s->fails[s->nfails++];
	*d = *f;
	return 1;
}

static int
add_failure(struct summary *s, const json_val *root)
{
	struct fail f = { 0 };
	json_val v;
	int b = 0;

	f.market_id = dupstr(root, "market_id");
	f.event_key = dupstr(root, "event_key");
	f.reason = dupstr(root, "reason");
	f.stage = dupstr(root, "stage");
	f.detail = dupstr(root, "detail");
	f.input = dupstr(root, "input");
	json_get(root, "retriable", &v);
	f.retriable = json_bool(&v, &b) == 0 && b;
	if (add_fail(s, &f) != 1)
		fail_release(&f);
	return 0;
}

static struct variant *
find_variant(struct summary *s, const char *suite, const char *stage,
    const char *variant)
{
	size_t ls = strlen(suite), lt = strlen(stage), lv = strlen(variant);
	char *key = malloc(ls + lt + lv + 3);
	struct variant *v;
	long i = -1;

	if (key != NULL) {
		memcpy(key, suite, ls + 1);
		memcpy(key + ls + 1, stage, lt + 1);
		memcpy(key + ls + lt + 2, variant, lv + 1);
		i = strset_index(s->var_ix, key, ls + lt + lv + 2);
		free(key);
	}
	if (i == -1) {
		msg("out of memory");
		return NULL;
	}
	if ((size_t)i < s->nvars)
		return &s->vars[i];
	if (grow(&s->vars, &s->capvars, s->nvars, sizeof *s->vars) == -1)
		return NULL;
	v = &s->vars[s->nvars];
	memset(v, 0, sizeof *v);
	v->suite = strdup(suite);
	v->stage = strdup(stage);
	v->variant = strdup(variant);
	s->nvars++;
	if (!v->suite || !v->stage || !v->variant) {
		msg("out of memory");
		return NULL;
	}
	return v;
}

/* An LLM result's tokens: output.usage, in either provider's words
 * (total_tokens: OpenAI; totalTokenCount: Gemini). */
static void
add_tokens(struct variant *v, const json_val *res)
{
	json_val out, usage, t;
	int64_t n;

	json_get(res, "output", &out);
	json_get(&out, "usage", &usage);
	json_get(&usage, "total_tokens", &t);
	if (t.type == JSON_ABSENT)
		json_get(&usage, "totalTokenCount", &t);
	if (json_int64(&t, &n) == 0 && n >= 0) {
		v->tokens += (uint64_t)n;
		v->ntokens++;
	}
}

/* One element of a group's results[]; returns 1 when its status is ok. */
static int
add_result(struct summary *s, const json_val *res)
{
	char *suite = dupstr(res, "suite"), *stage = dupstr(res, "stage");
	char *variant = dupstr(res, "variant");
	struct variant *v;
	json_val lat;
	double d;
	int ok = 0;

	v = find_variant(s, suite ? suite : "?", stage ? stage : "?",
	    variant ? variant : "?");
	free(suite);
	free(stage);
	free(variant);
	if (v == NULL)
		return -1;
	if (member_is(res, "status", "ok"))
		ok = 1, v->ok++;
	else if (member_is(res, "status", "skipped"))
		v->skipped++;
	else if (member_is(res, "status", "failed"))
		v->failed++;
	else
		v->other++;
	add_tokens(v, res);
	json_get(res, "latency_ms", &lat);
	if (json_double(&lat, &d) == 0 && d >= 0) {
		if (grow(&v->lat, &v->caplat, v->nlat, sizeof *v->lat) == -1)
			return -1;
		v->lat[v->nlat++] = d;
	}
	return ok;
}

static int
add_group(struct summary *s, const json_val *root, int not_stored)
{
	json_val markets, results, res;
	json_iter it;
	int ok, any = 0;

	s->t.grouped++;
	json_get(root, "markets", &markets);
	s->t.normalized += json_count(&markets);
	json_get(root, "results", &results);
	if (results.type != JSON_ARRAY)
		return 0;
	json_iter_init(&it, &results);
	while (json_iter_next(&it, NULL, NULL, &res))
		if (res.type == JSON_OBJECT) {
			if ((ok = add_result(s, &res)) == -1)
				return -1;
			any |= ok;
		}
	if (any && !not_stored)
		s->t.processed++;
	return 0;
}

/* The store annotation; returns 1 when the record was not stored (failed,
 * or skipped as already processed).  pm-store follows each such record
 * with a failure or a skip record of its own: those are what count. */
static int
add_stored(struct summary *s, const json_val *root)
{
	json_val v;
	const char *st;
	size_t n;

	json_get(root, "stored", &v);
	if ((st = json_str(&v, &n)) == NULL)
		return 0;
#define IS(w) (n == sizeof(w) - 1 && memcmp(st, w, n) == 0)
	if (IS("inserted"))
		s->t.inserted++;
	else if (IS("updated"))
		s->t.updated++;
	else if (IS("unchanged"))
		s->t.unchanged++;
	else if (IS("duplicate"))
		s->t.duplicates++;
	else if (IS("failed") || IS("skipped"))
		return 1;
#undef IS
	return 0;
}

int
summary_add(struct summary *s, const struct rec *r)
{
	int not_stored;

	s->t.records++;
	not_stored = add_stored(s, &r->root);
	if (rec_is(r, "run"))
		add_run(s, &r->root);
	else if (rec_is(r, "raw"))
		s->t.fetched++;
	else if (rec_is(r, "market") || rec_is(r, "event") ||
	    rec_is(r, "price"))
		s->t.normalized++;
	else if (rec_is(r, "group")) {
		/* pm-store --dry-run stores nothing and says skipped: the
		 * counts are those a real run would have */
		if (s->dry_run && member_is(&r->root, "stored", "skipped"))
			not_stored = 0;
		if (add_group(s, &r->root, not_stored) == -1)
			return -1;
	} else if (rec_is(r, "skip"))
		s->t.skipped++;
	else if (rec_is(r, "failure"))
		return add_failure(s, &r->root);
	return 0;
}

void
summary_badline(struct summary *s, const char *file, unsigned long line,
    const char *detail)
{
	struct fail f = { 0 };
	char pos[MSG_POS_SIZE];

	msg_pos(pos, sizeof pos, file, line);
	s->t.records++;
	f.reason = strdup("bad_record");
	f.stage = strdup("summary");
	f.input = strdup(pos);
	f.detail = strdup(detail);
	if (add_fail(s, &f) != 1)
		fail_release(&f);
}

void
summary_get_totals(const struct summary *s, struct summary_totals *t)
{
	*t = s->t;
}

struct latstats {
	size_t	n;
	double	mean, p50, p95, max;
};

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentiles; the variant's own array is sorted in place
 * (its order means nothing). */
static void
lat_stats(const struct variant *v, struct latstats *ls)
{
	double sum = 0;
	size_t i;

	memset(ls, 0, sizeof *ls);
	if ((ls->n = v->nlat) == 0)
		return;
	qsort(v->lat, v->nlat, sizeof *v->lat, cmp_double);
	for (i = 0; i < v->nlat; i++)
		sum += v->lat[i];
	ls->mean = sum / (double)v->nlat;
	ls->p50 = v->lat[(v->nlat * 50 + 99) / 100 - 1];
	ls->p95 = v->lat[(v->nlat * 95 + 99) / 100 - 1];
	ls->max = v->lat[v->nlat - 1];
}

static void
json_totals(const struct summary *s, struct buf *b)
{
	const struct summary_totals *t = &s->t;

	jw_key(b, "totals");
	jw_open(b, '{');
#define T(name) jw_key(b, #name); jw_int(b, (int64_t)t->name)
	T(records); T(fetched); T(normalized); T(grouped); T(processed);
	T(skipped); T(failed); T(inserted); T(updated); T(unchanged);
	T(duplicates);
#undef T
	jw_close(b, '}');
}

/* The largest count c such that at least k reasons have a count >= c:
 * the count of the k-th most frequent reason, by bisection (linear per
 * step, however many reasons). */
static unsigned long
kth_count(const struct summary *s, size_t k)
{
	unsigned long lo = 1, hi = 0, mid;
	size_t i, n;

	for (i = 0; i < s->nreasons; i++)
		if (s->reasons[i].n > hi)
			hi = s->reasons[i].n;
	while (lo < hi) {
		mid = lo + (hi - lo + 1) / 2;
		for (n = 0, i = 0; i < s->nreasons; i++)
			n += s->reasons[i].n >= mid;
		if (n >= k)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/*
 * The reasons reported by name: all of them when there are at most
 * TOP_REASONS, else the TOP_REASONS most frequent (the first seen first
 * among equals), in the order first seen.  Fills keep[] (nreasons
 * flags); returns the number of failures of the reasons left out.
 */
#define TOP_REASONS 20
static unsigned long
top_reasons(const struct summary *s, unsigned char *keep)
{
	unsigned long floor_, rest = 0;
	size_t i, above = 0, ties;

	memset(keep, 1, s->nreasons);
	if (s->nreasons <= TOP_REASONS)
		return 0;
	floor_ = kth_count(s, TOP_REASONS);
	for (i = 0; i < s->nreasons; i++)
		above += s->reasons[i].n > floor_;
	ties = TOP_REASONS - above;
	for (i = 0; i < s->nreasons; i++) {
		if (s->reasons[i].n > floor_)
			continue;
		if (s->reasons[i].n == floor_ && ties > 0) {
			ties--;
			continue;
		}
		keep[i] = 0;
		rest += s->reasons[i].n;
	}
	return rest;
}

static void
json_failures(const struct summary *s, struct buf *b)
{
	const struct fail *f;
	unsigned char *keep = malloc(s->nreasons + 1);
	unsigned long rest;
	size_t i, left = 0;

	if (keep == NULL) {
		msg("out of memory");
		return;
	}
	rest = top_reasons(s, keep);
	jw_key(b, "failures_by_reason");
	jw_open(b, '{');
	for (i = 0; i < s->nreasons; i++) {
		if (!keep[i]) {
			left++;
			continue;
		}
		jw_key(b, s->reasons[i].name);
		jw_int(b, (int64_t)s->reasons[i].n);
	}
	jw_close(b, '}');
	free(keep);
	if (left > 0) {
		jw_key(b, "failures_by_other_reasons");
		jw_open(b, '{');
		jw_key(b, "reasons");
		jw_int(b, (int64_t)left);
		jw_key(b, "failures");
		jw_int(b, (int64_t)rest);
		jw_close(b, '}');
	}
	jw_key(b, "failures");
	jw_open(b, '[');
	for (i = 0; i < s->nfails; i++) {
		f = &s->fails[i];
		jw_open(b, '{');
		if (f->market_id) {
			jw_key(b, "market_id");
			jw_strz(b, f->market_id);
		}
		if (f->event_key) {
			jw_key(b, "event_key");
			jw_strz(b, f->event_key);
		}
		jw_key(b, "reason");
		jw_strz(b, f->reason);
		jw_key(b, "retriable");
		jw_bool(b, f->retriable);
		jw_key(b, "stage");
		jw_strz(b, f->stage);
		jw_key(b, "input");
		jw_strz(b, f->input);
		jw_key(b, "detail");
		jw_strz(b, f->detail);
		jw_close(b, '}');
	}
	jw_close(b, ']');
	jw_key(b, "failures_omitted");
	jw_int(b, (int64_t)s->fails_omitted);
}

static void
json_variants(const struct summary *s, struct buf *b)
{
	const struct variant *v;
	struct latstats ls;
	size_t i;

	jw_key(b, "suites");
	jw_open(b, '[');
	for (i = 0; i < s->nvars; i++) {
		v = &s->vars[i];
		jw_open(b, '{');
		jw_key(b, "suite");
		jw_strz(b, v->suite);
		jw_key(b, "stage");
		jw_strz(b, v->stage);
		jw_key(b, "variant");
		jw_strz(b, v->variant);
		jw_key(b, "ok");
		jw_int(b, (int64_t)v->ok);
		jw_key(b, "skipped");
		jw_int(b, (int64_t)v->skipped);
		jw_key(b, "failed");
		jw_int(b, (int64_t)v->failed);
		lat_stats(v, &ls);
		jw_key(b, "latency_ms");
		if (ls.n == 0)
			jw_null(b);
		else {
			jw_open(b, '{');
			jw_key(b, "n"); jw_int(b, (int64_t)ls.n);
			jw_key(b, "mean"); jw_double(b, ls.mean);
			jw_key(b, "p50"); jw_double(b, ls.p50);
			jw_key(b, "p95"); jw_double(b, ls.p95);
			jw_key(b, "max"); jw_double(b, ls.max);
			jw_close(b, '}');
		}
		jw_key(b, "tokens");
		if (v->ntokens == 0)
			jw_null(b);
		else
			jw_int(b, (int64_t)v->tokens);
		jw_close(b, '}');
	}
	jw_close(b, ']');
}

int
summary_alert_text(const struct summary *s, struct buf *b)
{
	char *const *m = s->meta;

	buf_printf(b, "pm run %s (flow %s) %s", m[M_RUN_ID] ? m[M_RUN_ID] :
	    "-", m[M_FLOW] ? m[M_FLOW] : "-", run_status(s) ? run_status(s) :
	    "unfinished");
	if (s->failed_stage)
		buf_printf(b, ": %s: %s", s->failed_stage,
		    s->error ? s->error : "-");
	buf_printf(b, "; %lu records, %lu failed", s->t.records, s->t.failed);
	return buf_addc(b, 0) == -1 ? -1 : 0;
}

const char *
summary_run_status(const struct summary *s)
{
	return run_status(s);
}

int
summary_json(const struct summary *s, struct buf *b)
{
	size_t i;

	jw_open(b, '{');
	for (i = 0; i < M_COUNT; i++) {
		jw_key(b, i == M_STATUS ? "run_status" : meta_names[i]);
		jw_strz(b, i == M_STATUS ? run_status(s) : s->meta[i]);
		if (i == M_TARGET_DATE) {
			jw_key(b, "window_days");
			if (s->has_window)
				jw_int(b, s->window_days);
			else
				jw_null(b);
		}
	}
	if (s->failed_stage) {
		jw_key(b, "failed_stage");
		jw_strz(b, s->failed_stage);
		jw_key(b, "error");
		jw_strz(b, s->error);
	}
	json_totals(s, b);
	json_failures(s, b);
	json_variants(s, b);
	jw_close(b, '}');
	return buf_addc(b, '\n');
}

#define TEXT_FAILURES 10	/* failures listed in the text, the rest counted */

static const char *
or_dash(const char *s)
{
	return s ? s : "-";
}

static void
text_run(const struct summary *s, FILE *f)
{
	char *const *m = s->meta;

	if (s->runs == 0) {
		fprintf(f, "run: no run record in the input\n");
		return;
	}
	fprintf(f, "run %s: flow %s, run date %s", or_dash(m[M_RUN_ID]),
	    or_dash(m[M_FLOW]), or_dash(m[M_RUN_DATE]));
	if (m[M_TARGET_DATE])
		fprintf(f, ", target %s", m[M_TARGET_DATE]);
	if (s->has_window)
		fprintf(f, ", window %lld day(s)", (long long)s->window_days);
	fprintf(f, ", git %s, status %s\n", or_dash(m[M_GIT_SHA]),
	    run_status(s) ? run_status(s) : "unfinished");
	if (s->more_runs)
		fprintf(f, "and %d more run%s in the input: the status is the "
		    "worst of theirs\n", s->more_runs,
		    s->more_runs == 1 ? "" : "s");
	if (run_status(s) && unended_runs(s))
		fprintf(f, "%d run%s in the input without an end record (cut "
		    "short): counted partial\n", unended_runs(s),
		    unended_runs(s) == 1 ? "" : "s");
	if (s->failed_stage)
		fprintf(f, "failed stage: %s: %s\n", s->failed_stage,
		    or_dash(s->error));
}

static void
text_failures(const struct summary *s, FILE *f)
{
	const struct fail *x;
	struct buf line;
	unsigned char *keep;
	unsigned long rest;
	size_t i, shown;

	if (s->t.failed == 0)
		return;
	if ((keep = malloc(s->nreasons + 1)) == NULL) {
		msg("out of memory");
		return;
	}
	rest = top_reasons(s, keep);
	fprintf(f, "failures by reason:");
	for (i = 0, shown = 0; i < s->nreasons; i++)
		if (keep[i])
			fprintf(f, "%s %s %lu", shown++ ? "," : "",
			    s->reasons[i].name, s->reasons[i].n);
	if (shown < s->nreasons)
		fprintf(f, ", and %zu other reasons %lu", s->nreasons - shown, rest);
	fputc('\n', f);
	free(keep);
	for (i = 0; i < s->nfails && i < TEXT_FAILURES; i++) {
		x = &s->fails[i];
		buf_init(&line, 0);
		if (x->market_id)
			buf_printf(&line, "  market %s: ", x->market_id);
		else if (x->event_key)
			buf_printf(&line, "  event %s: ", x->event_key);
		else
			buf_printf(&line, "  ");
		buf_printf(&line, "%s%s", or_dash(x->reason),
		    x->retriable ? " (retriable)" : "");
		if (x->input)
			buf_printf(&line, " at %s", x->input);
		if (x->detail)
			buf_printf(&line, ": %s", x->detail);
		/* one line: a newline in a detail (an HTML error page) is a
		 * space, or its lines stood as the summary's own */
		msg_clean(line.data, line.len, 0);
		fprintf(f, "%.*s\n", (int)line.len, line.data ? line.data : "");
		buf_release(&line);
	}
	if (s->t.failed > i)
		fprintf(f, "  ... and %lu more\n", s->t.failed - i);
}

static void
text_variants(const struct summary *s, FILE *f)
{
	const struct variant *v;
	struct latstats ls;
	char name[256];
	size_t i;

	if (s->nvars == 0)
		return;
	fprintf(f, "%-36s %6s %7s %6s %10s %10s %10s\n",
	    "suite:variant (stage)", "ok", "skipped", "failed", "mean ms",
	    "p95 ms", "tokens");
	for (i = 0; i < s->nvars; i++) {
		v = &s->vars[i];
		snprintf(name, sizeof name, "%s:%s (%s)", v->suite, v->variant,
		    v->stage);
		lat_stats(v, &ls);
		fprintf(f, "%s%*s %6lu %7lu %6lu", name, utf8_pad(name, 36), "",
		    v->ok, v->skipped, v->failed);
		if (ls.n)
			fprintf(f, " %10.1f %10.1f", ls.mean, ls.p95);
		else
			fprintf(f, " %10s %10s", "-", "-");
		if (v->ntokens)
			fprintf(f, " %10llu\n", (unsigned long long)v->tokens);
		else
			fprintf(f, " %10s\n", "-");
	}
}

/* The report is made in memory, then made safe for a terminal (ids,
 * reasons and details come from upstream: msg_clean) and written. */
int
summary_text(const struct summary *s, FILE *out)
{
	const struct summary_totals *t = &s->t;
	char *p = NULL;
	size_t n = 0;
	FILE *f;
	int rc = -1;

	if ((f = open_memstream(&p, &n)) == NULL) {
		msg("out of memory");
		return -1;
	}
	text_run(s, f);
	fprintf(f, "records %lu: fetched %lu, normalized %lu, grouped %lu, "
	    "processed %lu, skipped %lu, failed %lu\n", t->records, t->fetched,
	    t->normalized, t->grouped, t->processed, t->skipped, t->failed);
	fprintf(f, "stored: inserted %lu, updated %lu, unchanged %lu, "
	    "duplicates %lu\n", t->inserted, t->updated, t->unchanged,
	    t->duplicates);
	text_failures(s, f);
	text_variants(s, f);
	if (fclose(f) == 0) {
		msg_clean(p, n, 1);
		if (fwrite(p, 1, n, out) == n && fflush(out) == 0)
			rc = 0;
	} else
		msg("out of memory");
	free(p);
	return rc;
}

int
summary_write_file(const char *path, const char *data, size_t len)
{
	return outfile_write(path, data, len);
}
