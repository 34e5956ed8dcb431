/* experiment.c - the variants of a configuration on one group (see
 * experiment.h); the kinds themselves are in experiment_kinds.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jw.h"
#include "sha.h"
#include "msg.h"
#include "timefmt.h"
#include "experiment_kinds.h"

struct xworker *
xworker_new(const struct xopts *o)
{
	struct xworker *w;
	size_t i, n = o->cfg->n;

	if ((w = calloc(1, sizeof *w)) == NULL)
		return NULL;
	w->o = o;
	buf_init(&w->input, 0);
	buf_init(&w->results, 0);
	buf_init(&w->tmp, 0);
	buf_init(&w->tmp2, 0);
	for (i = 0; i < 3; i++)
		buf_init(&w->split[i], 0);
	w->gp = json_parser_new(o->max_line);
	w->sp = json_parser_new(o->max_line + 16 * 1024 * 1024);
	w->jq = calloc(n + 1, sizeof *w->jq);
	w->res = calloc(n + 1, sizeof *w->res);
	w->llm = llm_new();
	if (!w->gp || !w->sp || !w->jq || !w->res || !w->llm) {
		xworker_free(w);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		buf_init(&w->res[i].output, 0);
		buf_init(&w->res[i].probs, 0);
		buf_init(&w->res[i].err_text, 0);
	}
	return w;
}

void
xworker_free(struct xworker *w)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; w->res && i < w->o->cfg->n; i++) {
		buf_release(&w->res[i].output);
		buf_release(&w->res[i].probs);
		buf_release(&w->res[i].err_text);
	}
	for (i = 0; w->jq && i < w->o->cfg->n; i++)
		jqf_free(w->jq[i]);
	free(w->jq);
	free(w->res);
	llm_free(w->llm);
	json_parser_free(w->gp);
	json_parser_free(w->sp);
	buf_release(&w->input);
	buf_release(&w->results);
	buf_release(&w->tmp);
	buf_release(&w->tmp2);
	for (i = 0; i < 3; i++)
		buf_release(&w->split[i]);
	free(w);
}

struct xjob *
xjob_new(const char *text, size_t len, const char *file, unsigned long line)
{
	struct xjob *j;

	if ((j = calloc(1, sizeof *j)) == NULL)
		return NULL;
	if ((j->text = malloc(len + 1)) == NULL) {
		free(j);
		return NULL;
	}
	memcpy(j->text, text, len);
	j->text[len] = 0;
	j->len = len;
	j->file = file;
	j->line = line;
	buf_init(&j->out, 0);
	return j;
}

void
xjob_free(struct xjob *j)
{
	size_t i;

	if (j == NULL)
		return;
	for (i = 0; i < j->nfails; i++)
		free(j->fails[i].detail);
	free(j->fails);
	free(j->tokens);
	free(j->event_key);
	free(j->text);
	buf_release(&j->out);
	free(j);
}

static void
add_fail(struct xjob *j, const char *reason, int retriable, const char *fmt,
    ...)
{
	struct xfail *f;
	va_list ap;
	char d[1200];

	va_start(ap, fmt);
	vsnprintf(d, sizeof d, fmt, ap);
	va_end(ap);
	if ((f = realloc(j->fails, (j->nfails + 1) * sizeof *f)) == NULL)
		return;
	j->fails = f;
	f[j->nfails] = (struct xfail){ .reason = reason,
	    .retriable = retriable, .detail = strdup(d) };
	if (f[j->nfails].detail != NULL)
		j->nfails++;
}

/* Where the group object's closing brace is. */
static size_t
last_brace(const char *t, size_t n)
{
	while (n > 0 && t[n - 1] != '}')
		n--;
	return n ? n - 1 : 0;
}

static void
raw_or_null(struct buf *b, const char *key, const struct buf *v)
{
	jw_key(b, key);
	if (v->len)
		jw_raw(b, v->data, v->len);
	else
		jw_null(b);
}

/* The group, with the output of the research v depends on appended, and
 * the markets to forecast when they are not all of them (todo). */
static void
make_input(struct xworker *w, const struct xjob *j, const struct variant *v,
    const struct buf *todo)
{
	const struct variant *d;
	struct buf *b = &w->input;
	char key[2 * CONFIG_NAME_MAX + 2];	/* suite:variant, config.c's */
	size_t i;

	buf_reset(b);
	buf_add(b, j->text, last_brace(j->text, j->len));
	if (todo) {
		buf_adds(b, ",\"forecast_markets\":");
		buf_add(b, todo->data, todo->len);
	}
	if (v->ndeps == 0) {
		buf_adds(b, "}");
		return;
	}
	buf_adds(b, ",\"research\":{");
	for (i = 0; i < v->ndeps; i++) {
		d = &w->o->cfg->v[v->deps[i]];
		if (strcmp(d->suite, v->suite) == 0)
			snprintf(key, sizeof key, "%s", d->name);
		else
			snprintf(key, sizeof key, "%s:%s", d->suite, d->name);
		raw_or_null(b, key, &w->res[v->deps[i]].output);
	}
	buf_adds(b, "}}");
}

/* 0 when every research v depends on succeeded; else r says why not. */
static int
deps_ok(struct xworker *w, const struct variant *v, struct xres *r)
{
	const struct variant *d;
	size_t i;

	for (i = 0; i < v->ndeps; i++) {
		d = &w->o->cfg->v[v->deps[i]];
		if (w->res[v->deps[i]].status != XR_OK) {
			r->status = XR_SKIPPED;
			snprintf(r->error, sizeof r->error, "research %s %s",
			    d->id, w->res[v->deps[i]].status == XR_SKIPPED ?
			    "was skipped" : "failed");
			return -1;
		}
	}
	return 0;
}

/* The id of market m, or NULL. */
static const char *
market_id(const json_val *m, size_t *n)
{
	json_val x;

	json_get(m, "market_id", &x);
	return json_str(&x, n);
}

/* Whether market m closes before the cutoff (--margin): never forecast.
 * A market without a close time is: nothing says it is late. */
static int
late(const struct xworker *w, const json_val *m)
{
	json_val ct;
	const char *c;
	double ms;
	size_t n;

	json_get(m, "close_time", &ct);
	return w->o->cutoff_ms > 0 && (c = json_str(&ct, &n)) != NULL &&
	    ts_ms(c, n, &ms) == 0 && ms < w->o->cutoff_ms;
}

/* Whether the JSON array of strings ids (text) lists id. */
static int
listed(const struct buf *ids, const char *id, size_t n)
{
	struct buf q;
	const char *p;
	int found = 0;

	/* the ids are strings written by jw: id as jw writes it (a '"' or
	 * '\\' in it escaped: compared unescaped, such an id was never
	 * listed, its probabilities dropped from an ok result), quoted,
	 * between the array's '[' or ',' and ',' or ']' */
	buf_init(&q, n * 6 + 3);
	if (ids->data && jw_str(&q, id, n) == 0)
		for (p = ids->data; !found && (p = strstr(p, q.data)) != NULL;
		    p++)
			found = p > ids->data && (p[-1] == '[' ||
			    p[-1] == ',') && (p[q.len] == ',' ||
			    p[q.len] == ']');
	buf_release(&q);
	return found;
}

/* Per market forecast: its close time as the group has it and the lead
 * time from the result's start, in hours. */
static void
write_lead(struct xworker *w, const struct buf *todo, const char *started)
{
	struct buf *b = &w->results;
	json_iter it;
	json_val m, ct;
	const char *id, *c;
	double t0, t1;
	size_t n, cn;

	jw_key(b, "lead");
	jw_open(b, '{');
	json_iter_init(&it, &w->markets);
	while (json_iter_next(&it, NULL, NULL, &m)) {
		if ((id = market_id(&m, &n)) == NULL || !listed(todo, id, n))
			continue;
		json_get(&m, "close_time", &ct);
		c = json_str(&ct, &cn);
		jw_str(b, id, n);
		buf_addc(b, ':');
		jw_open(b, '{');
		jw_key(b, "close_time");
		if (c)
			jw_str(b, c, cn);
		else
			jw_null(b);
		jw_key(b, "lead_h");
		if (c && ts_ms(c, cn, &t1) == 0 &&
		    ts_ms(started, strlen(started), &t0) == 0)
			jw_double(b, (t1 - t0) / 3600e3);
		else
			jw_null(b);
		jw_close(b, '}');
	}
	jw_close(b, '}');
}

/* Where a research result came from (never a key): the endpoint's host,
 * the model, a fingerprint of its prompts, its sampling parameters. */
static void
write_provenance(struct buf *b, const struct variant *v)
{
	char sha[65];
	struct buf t;

	jw_key(b, "provenance");
	jw_open(b, '{');
	jw_key(b, "type");
	jw_strz(b, config_type_name(v->type));
	jw_key(b, "model");
	jw_strz(b, v->model);
	config_host(b, v->base_url);
	buf_init(&t, 0);
	buf_printf(&t, "%s\n%s\n%s", v->system ? v->system : "",
	    v->prompt ? v->prompt : "", v->program ? v->program : "");
	jw_key(b, "prompt_fingerprint");
	if (t.data && sha256_hex(t.data, t.len, sha) == 0)
		jw_str(b, sha, 16);
	else
		jw_null(b);
	buf_release(&t);
	jw_key(b, "parameters");
	jw_open(b, '{');
	jw_key(b, "max_tokens");
	jw_int(b, v->max_tokens);
	jw_key(b, "search");
	jw_bool(b, v->search);
	jw_key(b, "temperature");	/* an LLM's: a command has none */
	if ((v->type == XT_OPENAI || v->type == XT_GEMINI) &&
	    v->temperature >= 0)
		jw_double(b, v->temperature);
	else
		jw_null(b);
	jw_close(b, '}');
	jw_close(b, '}');
}

/* What identifies the result among the variant's others: fingerprint,
 * declared version and description, the markets it covers. */
static void
write_identity(struct xworker *w, const struct variant *v,
    const struct buf *todo)
{
	struct buf *b = &w->results;

	jw_key(b, "fingerprint");
	jw_strz(b, v->fingerprint);
	if (v->version) {
		jw_key(b, "version");
		jw_strz(b, v->version);
	}
	if (v->description) {
		jw_key(b, "description");
		jw_strz(b, v->description);
	}
	jw_key(b, "market_ids");
	jw_raw(b, todo->data, todo->len);
}

static void
write_result(struct xworker *w, const struct variant *v, const struct xres *r,
    const char *started, const char *finished, long ms,
    const struct buf *todo)
{
	static const char *const st[] = { "ok", "skipped", "failed" };
	struct buf *b = &w->results;

	jw_open(b, '{');
	jw_key(b, "experiment_id");
	jw_strz(b, v->id);
	jw_key(b, "suite");
	jw_strz(b, v->suite);
	jw_key(b, "stage");
	jw_strz(b, config_stage_name(v->stage));
	jw_key(b, "variant");
	jw_strz(b, v->name);
	jw_key(b, "type");
	jw_strz(b, config_type_name(v->type));
	jw_key(b, "status");
	jw_strz(b, st[r->status]);
	raw_or_null(b, "output", &r->output);
	raw_or_null(b, "probabilities", &r->probs);
	jw_key(b, "started_at");
	jw_strz(b, started);
	jw_key(b, "finished_at");
	jw_strz(b, finished);
	jw_key(b, "latency_ms");
	jw_int(b, ms);
	jw_key(b, "error");	/* may hold a cut answer or message */
	jw_textz(b, r->error[0] ? r->error : NULL);
	if (xkinds[v->type].has_stderr) {
		jw_key(b, "stderr");
		if (r->has_stderr)
			jw_str(b, r->err_text.data, r->err_text.len);
		else
			jw_null(b);
	}
	write_identity(w, v, todo);
	if (v->stage == XS_FORECAST)
		write_lead(w, todo, started);
	else
		write_provenance(b, v);
	jw_close(b, '}');
}

/* A forecast of some markets only keeps the probabilities of those.  One
 * that has none of them left did not forecast what it covers: its result,
 * ok with {}, was stored as done and those markets were never forecast
 * (the market benchmark skips itself, as on a group without prices). */
static void
keep_todo(struct xworker *w, const struct variant *v, struct xres *r,
    const struct buf *todo)
{
	json_val root, p;
	json_iter it;
	const char *k, *e;
	size_t kl, kept = 0;

	if (r->probs.len == 0 || json_parse(w->sp, r->probs.data,
	    r->probs.len, 0, &root, &e) == -1)
		return;
	buf_reset(&w->tmp);
	jw_open(&w->tmp, '{');
	json_iter_init(&it, &root);
	while (json_iter_next(&it, &k, &kl, &p))
		if (listed(todo, k, kl)) {
			jw_str(&w->tmp, k, kl);
			buf_addc(&w->tmp, ':');
			jw_val(&w->tmp, &p);
			kept++;
		}
	jw_close(&w->tmp, '}');
	buf_reset(&r->probs);
	if (kept)
		buf_add(&r->probs, w->tmp.data, w->tmp.len);
	else if (v->type == XT_BUILTIN) {
		r->status = XR_SKIPPED;
		snprintf(r->error, sizeof r->error, "no market to forecast "
		    "has prices");
	} else
		xres_fail(r, "probabilities: names none of the markets to "
		    "forecast (forecast_markets)");
}

/*
 * A forecast's markets to forecast (todo) in three, as JSON arrays of ids
 * in the group's order: those it gave probabilities for (sp[0], their
 * probabilities left in r->probs), those it declined with null (sp[1])
 * and those it left out (sp[2], *left of them); how many of todo were
 * not forecast.
 * Builtins are not split: the market benchmark leaves out the markets
 * without prices, which no retry gives it.
 */
static size_t
split(struct xworker *w, const struct variant *v, struct xres *r,
    const struct buf *todo, struct buf sp[3], size_t *left)
{
	json_iter it, pi;
	json_val root, m, p;
	const char *id, *k, *e;
	size_t n, kl, i, not = 0;
	int which;

	*left = 0;

	if (v->stage != XS_FORECAST || v->type == XT_BUILTIN ||
	    r->status != XR_OK || r->probs.len == 0 || json_parse(w->sp,
	    r->probs.data, r->probs.len, 0, &root, &e) == -1)
		return 0;
	for (i = 0; i < 3; i++) {
		buf_reset(&sp[i]);
		jw_open(&sp[i], '[');
	}
	buf_reset(&w->tmp);
	jw_open(&w->tmp, '{');
	json_iter_init(&it, &w->markets);
	while (json_iter_next(&it, NULL, NULL, &m)) {
		if ((id = market_id(&m, &n)) == NULL || !listed(todo, id, n))
			continue;
		which = 2;
		json_iter_init(&pi, &root);
		while (which == 2 && json_iter_next(&pi, &k, &kl, &p))
			if (kl == n && memcmp(k, id, n) == 0)
				which = p.type == JSON_NULL;
		jw_str(&sp[which], id, n);
		if (which == 0) {
			jw_str(&w->tmp, id, n);
			buf_addc(&w->tmp, ':');
			jw_val(&w->tmp, &p);
		} else
			not++;
		*left += which == 2;
	}
	for (i = 0; i < 3; i++)
		jw_close(&sp[i], ']');
	jw_close(&w->tmp, '}');
	buf_reset(&r->probs);
	if (sp[0].len > 2)
		buf_add(&r->probs, w->tmp.data, w->tmp.len);
	return not;
}

/* The results of a forecast split (above): ok on the markets it
 * forecast, skipped on those it declined, failed on those it left out,
 * which are then forecast again (retry-failures, or the next run that
 * has the group) and never taken for done.  r says how the variant did:
 * ok when it forecast any market. */
static void
write_split(struct xworker *w, struct xjob *j, const struct variant *v,
    struct xres *r, const char *started, const char *finished, long ms,
    const struct buf sp[3], size_t left)
{
	struct xres no = { .status = XR_SKIPPED };	/* r's buffers at most, */
	struct xres miss = { .status = XR_FAILED };	/* borrowed */

	/* the first result written keeps the answer (output, stderr) */
	if (sp[0].len <= 2) {
		no.output = miss.output = r->output;
		no.err_text = miss.err_text = r->err_text;
		no.has_stderr = miss.has_stderr = r->has_stderr;
		if (sp[1].len > 2) {
			miss.output.len = miss.err_text.len = 0;
			miss.has_stderr = 0;
		}
	}
	if (sp[0].len > 2)
		write_result(w, v, r, started, finished, ms, &sp[0]);
	if (sp[1].len > 2) {
		snprintf(no.error, sizeof no.error, "declined: probabilities "
		    "null");
		write_result(w, v, &no, started, finished, ms, &sp[1]);
	}
	if (left) {
		xres_fail(&miss, "probabilities: %zu of the markets to "
		    "forecast left out", left);
		write_result(w, v, &miss, started, finished, ms, &sp[2]);
	}
	if (sp[0].len > 2 && left) {
		j->failed++;
		add_fail(j, "experiment_failed", 1, "%s: %s", v->id,
		    miss.error);
	} else if (sp[0].len <= 2) {
		r->status = left ? XR_FAILED : XR_SKIPPED;
		snprintf(r->error, sizeof r->error, "%s", left ? miss.error :
		    no.error);
	}
}

/* todo: the markets to forecast (a JSON array of ids); partial: not all
 * of the group's, which the variant is then told.  A forecast of some of
 * them only is split (above). */
static void
run_one(struct xworker *w, struct xjob *j, size_t vi, const struct buf *todo,
    int partial)
{
	const struct variant *v = &w->o->cfg->v[vi];
	struct xres *r = &w->res[vi];
	char started[TS_MAX], finished[TS_MAX];
	const char *in = j->text;
	size_t n = j->len, left;
	long t0 = ts_mono_ms();

	xres_reset(r);
	ts_now(started);
	if (v->stage == XS_FORECAST && json_count(&w->markets) == 0) {
		/* nothing to forecast, and no retry would give it any */
		r->status = XR_SKIPPED;
		snprintf(r->error, sizeof r->error, "the group has no market "
		    "to forecast");
	} else if ((v->ndeps && deps_ok(w, v, r) == 0) ||
	    (partial && !v->ndeps)) {
		make_input(w, j, v, partial ? todo : NULL);
		in = w->input.data;
		n = w->input.len;
	}
	if (r->status == XR_OK)
		xkinds[v->type].run(w, vi, in, n, r);
	if (partial && r->status == XR_OK)
		keep_todo(w, v, r, todo);
	ts_now(finished);
	if (split(w, v, r, todo, w->split, &left) > 0)
		write_split(w, j, v, r, started, finished, ts_mono_ms() - t0,
		    w->split, left);
	else
		write_result(w, v, r, started, finished, ts_mono_ms() - t0,
		    todo);
	if (v->type == XT_OPENAI || v->type == XT_GEMINI) {
		j->llm_calls++;
		j->llm_ms += ts_mono_ms() - t0;
	}
	if (r->tokens && (j->tokens != NULL || (j->tokens =
	    calloc(w->o->cfg->n, sizeof *j->tokens)) != NULL))
		j->tokens[vi] += r->tokens;
	if (r->status == XR_OK)
		j->ok++;
	else if (r->status == XR_SKIPPED)
		j->skipped++;
	else {
		j->failed++;
		add_fail(j, "experiment_failed", 1, "%s: %s", v->id, r->error);
	}
}

static int
parse_group(struct xworker *w, struct xjob *j)
{
	json_val k;
	const char *e, *s;
	size_t n;

	if (json_parse(w->gp, j->text, j->len, 0, &w->group, &e) == -1) {
		add_fail(j, "bad_record", 0, "%s", e);
		return -1;
	}
	json_get(&w->group, "event_key", &k);
	json_get(&w->group, "markets", &w->markets);
	if ((s = json_str(&k, &n)) == NULL || n == 0 ||
	    w->markets.type != JSON_ARRAY) {
		add_fail(j, "bad_record", 0, "group without event_key or "
		    "markets");
		return -1;
	}
	if ((j->event_key = strdup(s)) == NULL) {
		add_fail(j, "bad_record", 0, "out of memory");
		return -1;
	}
	w->event_key = j->event_key;
	return 0;
}

/* The original bytes up to the closing brace, then the results.  A group
 * that has results already (a dump run again) is the one case written
 * member by member, without its old results. */
static void
write_line(struct xworker *w, struct xjob *j)
{
	struct buf *b = &j->out;
	json_iter it;
	json_val old, v;
	const char *key;
	size_t kl;
	int rc = 0;

	json_get(&w->group, "results", &old);
	if (old.type == JSON_ABSENT)
		rc |= buf_add(b, j->text, last_brace(j->text, j->len));
	else {
		rc |= jw_open(b, '{');
		json_iter_init(&it, &w->group);
		while (json_iter_next(&it, &key, &kl, &v))
			if (strcmp(key, "results") != 0) {
				rc |= jw_key(b, key);
				rc |= jw_val(b, &v);
			}
	}
	rc |= buf_adds(b, ",\"results\":");
	rc |= buf_add(b, w->results.data, w->results.len);
	rc |= buf_addc(b, '}');
	if (rc) {
		buf_reset(b);
		add_fail(j, "bad_record", 0, "group with results too large");
	}
}

/* Whether stored_results entry e is variant v's: its experiment, and its
 * fingerprint or none (stored before fingerprints were). */
static int
stored_mine(const json_val *e, const struct variant *v)
{
	json_val x;
	const char *p;

	json_get(e, "experiment_id", &x);
	if ((p = json_str(&x, NULL)) == NULL || strcmp(p, v->id) != 0)
		return 0;
	json_get(e, "fingerprint", &x);
	p = json_str(&x, NULL);
	return p == NULL || p[0] == 0 || strcmp(p, v->fingerprint) == 0;
}

/* Whether market id is done for v: a stored result of v covers it. */
static int
stored_covers(const json_val *stored, const struct variant *v,
    const char *id, size_t n)
{
	json_iter it, mi;
	json_val e, ids, m;
	const char *p;
	size_t k;

	json_iter_init(&it, stored);
	while (json_iter_next(&it, NULL, NULL, &e)) {
		if (!stored_mine(&e, v))
			continue;
		json_get(&e, "market_ids", &ids);
		json_iter_init(&mi, &ids);
		while (json_iter_next(&mi, NULL, NULL, &m))
			if ((p = json_str(&m, &k)) != NULL && k == n &&
			    memcmp(p, id, n) == 0)
				return 1;
	}
	return 0;
}

/* The markets of the group v has still to do, as a JSON array of ids
 * into todo; how many. */
static size_t
todo_of(struct xworker *w, const json_val *stored, const struct variant *v,
    struct buf *todo)
{
	json_iter it;
	json_val m;
	const char *id;
	size_t n, k = 0;

	buf_reset(todo);
	jw_open(todo, '[');
	json_iter_init(&it, &w->markets);
	while (json_iter_next(&it, NULL, NULL, &m))
		if ((id = market_id(&m, &n)) != NULL && !late(w, &m) &&
		    !stored_covers(stored, v, id, n)) {
			jw_str(todo, id, n);
			k++;
		}
	jw_close(todo, ']');
	return k;
}

/* Research done before: its stored output serves the forecasts again.
 * Stored research without an output skipped itself (one that succeeded
 * has one, if null): its forecasts are skipped, as in its own run. */
static void
reuse_research(struct xworker *w, const json_val *stored, size_t vi)
{
	const struct variant *v = &w->o->cfg->v[vi];
	struct xres *r = &w->res[vi];
	json_iter it;
	json_val e, out;
	int mine = 0, ok = 0;

	xres_reset(r);
	json_iter_init(&it, stored);
	while (json_iter_next(&it, NULL, NULL, &e)) {
		if (!stored_mine(&e, v))
			continue;
		mine = 1;
		json_get(&e, "output", &out);
		if (out.type != JSON_ABSENT) {
			ok = 1;
			buf_reset(&r->output);
			jw_val(&r->output, &out);
		}
	}
	r->status = v->stage == XS_RESEARCH && mine && !ok ? XR_SKIPPED :
	    XR_OK;
}

/* A group with nothing left to do: processed before, or its markets
 * left closing within the margin. */
static void
write_skip(struct xjob *j, const char *why)
{
	buf_adds(&j->out, "{\"kind\":\"skip\",\"stage\":\"experiment\","
	    "\"event_key\":");
	jw_strz(&j->out, j->event_key);
	buf_adds(&j->out, ",\"why\":");
	jw_strz(&j->out, why);
	buf_addc(&j->out, '}');
}

/* Whether the group's retry_experiments (pm-store --export retry: the
 * experiments whose results failed) leave forecast variant v out: one
 * that did not fail there, added since, is not run by a retry.  Research
 * goes by its stored results (done, or run for the forecasts). */
static int
not_retried(const struct xworker *w, const struct variant *v)
{
	json_val ids, id;
	json_iter it;
	const char *p;

	json_get(&w->group, "retry_experiments", &ids);
	if (ids.type != JSON_ARRAY || v->stage != XS_FORECAST)
		return 0;
	json_iter_init(&it, &ids);
	while (json_iter_next(&it, NULL, NULL, &id))
		if ((p = json_str(&id, NULL)) != NULL && strcmp(p, v->id) == 0)
			return 0;
	return 1;
}

/* Variant i on the group, unless the stored results say it is done
 * (its research is then reused), or a retry leaves it out; 1 when it
 * ran. */
static int
run_variant(struct xworker *w, struct xjob *j, const json_val *stored,
    size_t i, struct buf *todo)
{
	const struct variant *v = &w->o->cfg->v[i];
	size_t k, all = json_count(&w->markets);
	int out = not_retried(w, v);

	k = out ? 0 : todo_of(w, stored, v, todo);
	if (k == 0 && (stored->type == JSON_ARRAY || w->late || out)) {
		reuse_research(w, stored, i);	/* a forecast: unused */
		return 0;
	}
	run_one(w, j, i, todo, k < all);
	return 1;
}

void
xworker_run(struct xworker *w, struct xjob *j)
{
	const struct config *c = w->o->cfg;
	unsigned long forecasts = 0, ran = 0;
	struct buf todo;
	json_val stored, m;
	json_iter it;
	size_t i;
	int stage;

	if (parse_group(w, j) == -1)
		return;
	/* pm-store --new-only's word on what is done already */
	json_get(&w->group, "stored_results", &stored);
	w->late = 0;
	json_iter_init(&it, &w->markets);
	while (json_iter_next(&it, NULL, NULL, &m))
		w->late += late(w, &m);
	buf_init(&todo, 0);
	buf_reset(&w->results);
	jw_open(&w->results, '[');
	for (stage = XS_RESEARCH; stage <= XS_FORECAST; stage++)
		for (i = 0; i < c->n; i++)
			if (c->v[i].selected && c->v[i].stage == stage) {
				ran += run_variant(w, j, &stored, i, &todo);
				forecasts += stage == XS_FORECAST &&
				    w->res[i].status == XR_OK;
			}
	jw_close(&w->results, ']');
	buf_release(&todo);
	json_get(&w->group, "retry_experiments", &m);
	if (ran == 0 && (stored.type == JSON_ARRAY || w->late ||
	    m.type == JSON_ARRAY)) {
		write_skip(j, w->late ? "closes_within_margin" :
		    "already_processed");
		return;
	}
	if (w->o->forecast && forecasts == 0)
		add_fail(j, "no_forecast_results", 0, "no forecast variant "
		    "produced a result");
	else if (!w->o->forecast && j->ok == 0)
		add_fail(j, "no_experiment_results", 0, "no variant produced a "
		    "result");
	write_line(w, j);
}
