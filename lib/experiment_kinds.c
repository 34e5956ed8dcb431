/* experiment_kinds.c - builtin, jq, command and openai experiments (see
 * experiment_kinds.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "command.h"
#include "experiment_kinds.h"
#include "jw.h"
#include "msg.h"
#include "secret.h"
#include "sha.h"

void
xres_reset(struct xres *r)
{
	*r = (struct xres){ .output = r->output, .probs = r->probs,
	    .err_text = r->err_text };
	buf_reset(&r->output);
	buf_reset(&r->probs);
	buf_reset(&r->err_text);
}

void
xres_fail(struct xres *r, const char *fmt, ...)
{
	va_list ap;

	r->status = XR_FAILED;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof r->error, fmt, ap);
	va_end(ap);
}

/* A name for the event's dump directory: safe characters only, and short
 * (a market: key can list many ids), still unique through a hash. */
static void
dump_name(const char *key, char *out, size_t n)
{
	char sha[65];
	size_t i, len = strlen(key);

	for (i = 0; i < len && i + 1 < n; i++)
		out[i] = (key[i] >= 'a' && key[i] <= 'z') || (key[i] >= 'A' &&
		    key[i] <= 'Z') || (key[i] >= '0' && key[i] <= '9') ||
		    key[i] == '-' || key[i] == '_' || key[i] == '.' ||
		    key[i] == ',' ? key[i] : '_';
	out[i] = 0;
	if (len > 100 && n > 120) {
		sha256_hex(key, len, sha);
		snprintf(out + 80, n - 80, "-%.16s", sha);
	}
	if (strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		out[0] = '_';
}

/* Why path could not be written; a long path is cut short here, not the
 * reason (msg() keeps 2047 bytes and a path may have 4095). */
static void
dump_fail(const char *path, int e)
{
	size_t n = strlen(path);

	msg("--dump-dir: %.*s%s: %s", (int)(n > 1000 ? 1000 : n), path,
	    n > 1000 ? "..." : "", strerror(e));
}

void
xdump(struct xworker *w, size_t vi, const char *what, const char *p,
    size_t n)
{
	const struct variant *v = &w->o->cfg->v[vi];
	char name[160], path[4096];
	size_t dirlen;
	int short_write;
	FILE *f;

	if (w->o->dump_dir == NULL)
		return;
	dump_name(w->event_key, name, sizeof name);
	/* A path cut short names another file: the request and the answer
	 * were cut to one name, the answer overwrote the request. */
	if ((size_t)snprintf(path, sizeof path, "%s/%s/%s.%s.%s.%s.%s",
	    w->o->dump_dir, name, v->suite, config_stage_name(v->stage),
	    v->name, what, strcmp(what, "stderr") == 0 ? "txt" : "json") >=
	    sizeof path) {
		dump_fail(w->o->dump_dir, ENAMETOOLONG);
		return;
	}
	dirlen = strlen(w->o->dump_dir) + 1 + strlen(name);
	path[dirlen] = '\0';		/* the event's directory */
	if ((mkdir(w->o->dump_dir, 0777) == -1 && errno != EEXIST) ||
	    (mkdir(path, 0777) == -1 && errno != EEXIST))
		goto fail;
	path[dirlen] = '/';
	if ((f = fopen(path, "w")) == NULL)
		goto fail;
	short_write = n && fwrite(p, 1, n, f) != n;
	if (fclose(f) == EOF || short_write)	/* closed either way */
		goto fail;
	return;
fail:
	dump_fail(path, errno);
}

static int
prob_ok(const json_val *v, double *p)
{
	return json_double(v, p) == 0 && isfinite(*p) && *p >= 0 && *p <= 1;
}

/* The probability of contract i out of n given e, a number (the first
 * outcome's; a binary market's second gets the rest) or {outcome: p}.
 * 1 written to *p, 0 none given, -1 not a probability. */
static int
outcome_prob(const json_val *e, const char *name, size_t i, size_t n,
    double *p)
{
	json_val pv;
	double q;

	if (e->type == JSON_OBJECT) {
		json_get(e, name, &pv);
		if (pv.type == JSON_ABSENT)
			return 0;
		return prob_ok(&pv, p) ? 1 : -1;
	}
	if (!prob_ok(e, &q))
		return -1;
	if (i == 0)
		*p = q;
	else if (i == 1 && n == 2)
		*p = 1 - q;
	else
		return 0;
	return 1;
}

/* Whether every key of obj is the string member of an element of arr (a
 * market id of the group, an outcome of the market): a key repeated is
 * one, its last value counting (json_get), as pm-records(5) reads. */
static int
keys_in(const json_val *obj, const json_val *arr, const char *member)
{
	json_iter ki, ai;
	json_val x, e, m;
	const char *k, *s;
	size_t kl, sl;
	int found;

	json_iter_init(&ki, obj);
	while (json_iter_next(&ki, &k, &kl, &x)) {
		found = 0;
		json_iter_init(&ai, arr);
		while (!found && json_iter_next(&ai, NULL, NULL, &e)) {
			json_get(&e, member, &m);
			found = (s = json_str(&m, &sl)) != NULL && sl == kl &&
			    memcmp(s, k, kl) == 0;
		}
		if (!found)
			return 0;
	}
	return 1;
}

static int
market_probs(struct buf *b, const json_val *contracts, const json_val *e,
    char *err, size_t errlen)
{
	size_t n = json_count(contracts), i = 0, used = 0, nl;
	json_iter it;
	json_val c, o;
	const char *name;
	double p;
	int k;

	jw_open(b, '{');
	json_iter_init(&it, contracts);
	for (; json_iter_next(&it, NULL, NULL, &c); i++) {
		json_get(&c, "outcome", &o);
		if ((name = json_str(&o, &nl)) == NULL)
			continue;
		if ((k = outcome_prob(e, name, i, n, &p)) == -1) {
			snprintf(err, errlen, "%s: not a probability from 0 to 1",
			    name);
			return -1;
		}
		if (k == 1) {
			jw_key(b, name);
			jw_double(b, p);
			used++;
		}
	}
	jw_close(b, '}');
	if (used == 0 || (e->type == JSON_OBJECT &&
	    !keys_in(e, contracts, "outcome"))) {
		snprintf(err, errlen, "outcomes that are not the market's");
		return -1;
	}
	return 0;
}

/* map: {market_id: number | {outcome: p}} checked against the group's
 * markets and written in the group's market order; b left part written
 * when it fails. */
static int
probs_fill(struct xworker *w, const json_val *map, struct buf *b, char *err,
    size_t errlen)
{
	json_iter it;
	json_val m, id, e, contracts;
	const char *mid;
	size_t n = 0, idl;
	char e2[256];

	if (map->type != JSON_OBJECT) {
		snprintf(err, errlen, "not an object of market ids");
		return -1;
	}
	buf_reset(b);
	jw_open(b, '{');
	json_iter_init(&it, &w->markets);
	while (json_iter_next(&it, NULL, NULL, &m)) {
		json_get(&m, "market_id", &id);
		if ((mid = json_str(&id, &idl)) == NULL)
			continue;
		json_get(map, mid, &e);
		if (e.type == JSON_ABSENT)
			continue;
		jw_key(b, mid);
		if (e.type == JSON_NULL) {	/* declined: run_one splits */
			jw_null(b);
			n++;
			continue;
		}
		json_get(&m, "contracts", &contracts);
		if (market_probs(b, &contracts, &e, e2, sizeof e2) == -1) {
			snprintf(err, errlen, "market %s: %s", mid, e2);
			return -1;
		}
		n++;
	}
	jw_close(b, '}');
	if (n == 0 || !keys_in(map, &w->markets, "market_id")) {
		snprintf(err, errlen, n ? "a market id not in the group" :
		    "names no market of the group");
		return -1;
	}
	return 0;
}

/* b is empty when it fails: a failed result has no probabilities, and a
 * part written would make its record, the group's line, not JSON. */
int
probs_write(struct xworker *w, const json_val *map, struct buf *b, char *err,
    size_t errlen)
{
	if (probs_fill(w, map, b, err, errlen) == 0)
		return 0;
	buf_reset(b);
	return -1;
}

/* status: absent or null is ok, else one of XR_*'s names. */
static int
parse_status(const json_val *s, int *st)
{
	static const char *const names[] = { "ok", "skipped", "failed" };
	const char *v = json_str(s, NULL);

	for (*st = XR_OK; v && *st <= XR_FAILED; ++*st)
		if (strcmp(v, names[*st]) == 0)
			return 0;
	*st = XR_OK;
	return s->type == JSON_ABSENT || s->type == JSON_NULL ? 0 : -1;
}

/*
 * A result a jq program or a command gave: an object with any of status,
 * output, probabilities, error; anything else is the output itself (for
 * research) or the probabilities themselves (for a forecast).
 */
static void
interpret_text(struct xworker *w, const struct variant *v, const char *text,
    size_t len, struct xres *r)
{
	static const char *const names[] = { "error", "output",
	    "probabilities", "status" };
	json_val root, m[4], pv = { .type = JSON_ABSENT };
	const char *e, *s;
	char err[512];
	size_t sl;

	if (json_parse(w->sp, text, len, 0, &root, &e) == -1) {
		xres_fail(r, "result is not JSON: %s", e);
		return;
	}
	json_pick(&root, names, 4, m);
	if (root.type == JSON_OBJECT && (m[0].type != JSON_ABSENT ||
	    m[1].type != JSON_ABSENT || m[2].type != JSON_ABSENT ||
	    m[3].type != JSON_ABSENT)) {
		if (parse_status(&m[3], &r->status) == -1) {
			xres_fail(r, "status is not ok, skipped or failed");
			return;
		}
		if ((s = json_str(&m[0], &sl)) != NULL)
			snprintf(r->error, sizeof r->error, "%s", s);
		if (m[1].type != JSON_ABSENT)
			jw_val(&r->output, &m[1]);
		pv = m[2];
	} else if (v->stage == XS_RESEARCH)
		jw_val(&r->output, &root);
	else
		pv = root;
	if (r->status == XR_FAILED && r->error[0] == 0)
		xres_fail(r, "the experiment says it failed");
	if (r->status != XR_OK || v->stage != XS_FORECAST)
		return;
	if (pv.type == JSON_ABSENT || pv.type == JSON_NULL)
		xres_fail(r, "no probabilities");
	else if (probs_write(w, &pv, &r->probs, err, sizeof err) == -1)
		xres_fail(r, "probabilities: %s", err);
}

/* The text was masked, but a secret JSON-escaped there (Python's
 * json.dumps writes a non-ASCII one as \u00e4...) is itself only once
 * decoded: the output and error are masked again as they are written. */
static void
interpret(struct xworker *w, const struct variant *v, const char *text,
    size_t len, struct xres *r)
{
	interpret_text(w, v, text, len, r);
	r->output.len = secret_mask(w->o->secrets, r->output.data,
	    r->output.len);
	secret_mask_str(w->o->secrets, r->error);
}

void
copy_member(struct buf *b, const json_val *obj, const char *key)
{
	json_val v;

	json_get(obj, key, &v);
	jw_key(b, key);
	if (v.type == JSON_ABSENT)
		jw_null(b);
	else
		jw_val(b, &v);
}

/* A snapshot of the normalized markets and their contracts. */
static void
baseline(struct xworker *w, struct xres *r)
{
	static const char *const keys[] = { "market_id", "question",
	    "close_time", "active", "closed", "volume", "liquidity",
	    "best_bid", "best_ask", "last_trade_price", "contracts" };
	struct buf *b = &r->output;
	json_iter it;
	json_val m, ev;
	size_t i;

	jw_open(b, '{');
	jw_key(b, "event_key");
	jw_strz(b, w->event_key);
	json_get(&w->group, "event", &ev);
	copy_member(b, &ev, "title");	/* null when there is no event */
	jw_key(b, "markets");
	jw_open(b, '[');
	json_iter_init(&it, &w->markets);
	while (json_iter_next(&it, NULL, NULL, &m)) {
		jw_open(b, '{');
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
			copy_member(b, &m, keys[i]);
		jw_close(b, '}');
	}
	jw_close(b, ']');
	jw_close(b, '}');
}

/* A market's contract prices as {outcome: price}, when all are numbers. */
static int
market_price(struct buf *b, const json_val *m)
{
	json_val cs, c, o, p;
	json_iter it;
	const char *name;
	size_t nl, n = 0;
	double d;

	json_get(m, "contracts", &cs);
	json_iter_init(&it, &cs);
	while (json_iter_next(&it, NULL, NULL, &c)) {
		json_get(&c, "outcome", &o);
		json_get(&c, "price", &p);
		if (json_str(&o, &nl) == NULL || !prob_ok(&p, &d))
			return 0;
		n++;
	}
	if (n == 0)
		return 0;
	jw_open(b, '{');
	json_iter_init(&it, &cs);
	while (json_iter_next(&it, NULL, NULL, &c)) {
		json_get(&c, "outcome", &o);
		json_get(&c, "price", &p);
		name = json_str(&o, &nl);
		jw_key(b, name);
		jw_val(b, &p);
	}
	jw_close(b, '}');
	return 1;
}

/* The benchmark: the market price is the forecast. */
static void
market(struct xworker *w, struct xres *r)
{
	json_iter it;
	json_val m, id;
	const char *mid;
	size_t idl, n = 0, priced = 0;

	jw_open(&r->probs, '{');
	json_iter_init(&it, &w->markets);
	while (json_iter_next(&it, NULL, NULL, &m)) {
		json_get(&m, "market_id", &id);
		n++;
		if ((mid = json_str(&id, &idl)) == NULL)
			continue;
		buf_reset(&w->tmp);
		if (!market_price(&w->tmp, &m))
			continue;
		jw_key(&r->probs, mid);
		jw_raw(&r->probs, w->tmp.data, w->tmp.len);
		priced++;
	}
	jw_close(&r->probs, '}');
	buf_printf(&r->output, "{\"markets\":%zu,\"priced\":%zu}", n, priced);
	if (priced == 0) {
		buf_reset(&r->probs);
		r->status = XR_SKIPPED;
		snprintf(r->error, sizeof r->error, "no market has prices");
	}
}

static void
xk_builtin(struct xworker *w, size_t vi, const char *in, size_t n,
    struct xres *r)
{
	(void)in;
	(void)n;
	if (w->o->cfg->v[vi].builtin == XB_BASELINE)
		baseline(w, r);
	else
		market(w, r);
}

static void
xk_jq(struct xworker *w, size_t vi, const char *in, size_t n,
    struct xres *r)
{
	const struct variant *v = &w->o->cfg->v[vi];
	char err[512];
	int k;

	buf_reset(&w->tmp);
	/* In a process of its own: a program that loops or eats memory is
	 * this variant's failure, not pm-experiment's.  Its output is
	 * capped as a command's is, at the line cap: past it the group
	 * line could not be written, and the whole group would be lost. */
	w->tmp.max = w->o->max_line;
	k = jqf_eval_bounded(v->program, in, n, &w->tmp,
	    &(struct jqf_bounds){ .timeout_ms = v->timeout_ms,
	    .max_mb = v->max_mb, .env = v->envp }, err, sizeof err);
	w->tmp.max = 0;
	xdump(w, vi, "request", in, n);
	w->tmp.len = secret_mask(w->o->secrets, w->tmp.data, w->tmp.len);
	if (k == -1) {
		secret_mask_str(w->o->secrets, err);
		xres_fail(r, "jq: %s", err);
		return;
	}
	xdump(w, vi, "response", w->tmp.data, w->tmp.len);
	if (k == 0) {
		r->status = XR_SKIPPED;
		snprintf(r->error, sizeof r->error, "the program gave no output");
		return;
	}
	interpret(w, v, w->tmp.data, w->tmp.len, r);
}

#define STDERR_MAX	(64 * 1024)

/* The last non-empty line of a program's standard error, for messages. */
static void
last_line(const struct buf *b, char *out, size_t n)
{
	size_t e = b->len, s;

	while (e > 0 && (b->data[e - 1] == '\n' || b->data[e - 1] == '\r'))
		e--;
	for (s = e; s > 0 && b->data[s - 1] != '\n'; s--)
		;
	snprintf(out, n, "%.*s", (int)(e - s), e ? b->data + s : "");
}

static void
xk_command(struct xworker *w, size_t vi, const char *in, size_t n,
    struct xres *r)
{
	const struct variant *v = &w->o->cfg->v[vi];
	struct cmd_result cr;
	size_t keep = STDERR_MAX - 64;
	char tail[256];

	/* stderr: the first 64 KiB, the note of what was cut included; read
	 * a secret's length beyond, that one the cut falls in is masked
	 * whole (its first bytes were kept in clear) */
	cmd_result_init(&cr, w->o->max_line, keep +
	    secret_longest(w->o->secrets));
	xdump(w, vi, "request", in, n);
	if (cmd_run(v->argv, v->envp, in, n, v->timeout_ms, &cr) == -1) {
		secret_mask_str(w->o->secrets, cr.why);
		xres_fail(r, "%s", cr.why);
		goto out;
	}
	/* Before anything is derived from them: a secret the command was
	 * given, or read itself, is never recorded. */
	cr.out.len = secret_mask(w->o->secrets, cr.out.data, cr.out.len);
	cr.err.len = secret_mask(w->o->secrets, cr.err.data, cr.err.len);
	if (cr.err.len > keep) {
		cr.err_dropped += cr.err.len - keep;
		cr.err.len = keep;
	}
	cr.err.max = STDERR_MAX;
	if (cr.err_dropped)
		buf_printf(&cr.err, "\n[standard error cut: %zu more bytes]\n",
		    cr.err_dropped);
	utf8_clean(cr.err.data, cr.err.len);
	if (cr.err.len) {
		r->has_stderr = 1;
		buf_add(&r->err_text, cr.err.data, cr.err.len);
		xdump(w, vi, "stderr", cr.err.data, cr.err.len);
	}
	xdump(w, vi, "response", cr.out.data, cr.out.len);
	last_line(&cr.err, tail, sizeof tail);
	if (cr.timed_out)
		xres_fail(r, "timed out after %.3g s", v->timeout_ms / 1000.0);
	else if (cr.signal) {
		cmd_killed(cr.signal, tail, sizeof tail);
		xres_fail(r, "%s", tail);
	}
	else if (cr.exit_code != 0)
		xres_fail(r, "exit status %d%s%s", cr.exit_code, *tail ? ": " :
		    "", tail);
	else if (cr.out.len == 0)
		xres_fail(r, "no output");
	else
		interpret(w, v, cr.out.data, cr.out.len, r);
out:
	cmd_result_release(&cr);
}

const struct xkind_ops xkinds[] = {
	[XT_BUILTIN] = { .run = xk_builtin },
	[XT_JQ] = { .run = xk_jq },
	[XT_COMMAND] = { .run = xk_command, .has_stderr = 1 },
	[XT_OPENAI] = { .run = xk_llm },
	[XT_GEMINI] = { .run = xk_llm },
};
