/* template.c - prompt templates with {{ jq }} placeholders (see experiment_kinds.h).
 *
 * A placeholder is a jq expression run on the document (the group, with
 * the research it depends on); a string result goes in as its text, any
 * other as compact JSON, no output as nothing.  It ends at the first "}}",
 * so an object literal inside needs spaces: { a: { b: 1 } }.
 *
 * The expressions run as a jq variant's program does, in a process of
 * their own (jqf_eval_bounded; one for all of a template's, each in a try
 * of its own), killed at the variant's timeout or memory bound: one that
 * loops fails the variant, not the run.  That process gets the
 * allow-list of a command's environment (secret.h), never a secret, which
 * would go to the provider in the prompt through $ENV or env. */
#define _GNU_SOURCE	/* strndup */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment_kinds.h"
#include "jw.h"
#include "secret.h"

static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static char **env;	/* the allow-list, for the process's life; or NULL */

static void
env_make(void)
{
	env = secret_env(NULL, 0);
}

/* The placeholders of t as one jq program: an array of {v: [the outputs]}
 * or {e: the error}, one per placeholder, in order.  -1 with the reason in
 * err. */
static int
program(const char *t, struct buf *p, char *err, size_t errlen)
{
	const char *a, *z;
	int rc = buf_adds(p, "[");

	for (; (a = strstr(t, "{{")) != NULL; t = z + 2) {
		if ((z = strstr(a + 2, "}}")) == NULL) {
			snprintf(err, errlen, "a {{ without }}");
			return -1;
		}
		if (strspn(a + 2, " \t\r\n") >= (size_t)(z - a - 2)) {
			/* not [ ], which jq takes */
			snprintf(err, errlen, "{{%.*s}}: no expression",
			    (int)(z - a - 2), a + 2);
			return -1;
		}
		/* a new line ends a # comment of the expression */
		rc |= buf_adds(p, p->len > 1 ? ",(try {v: [" : "(try {v: [");
		rc |= buf_add(p, a + 2, (size_t)(z - a - 2));
		rc |= buf_adds(p, "\n]} catch {e: .})");
	}
	if (rc | buf_adds(p, "]")) {
		snprintf(err, errlen, "prompt too large");
		return -1;
	}
	return 0;
}

int
tmpl_check(const char *t, char *err, size_t errlen)
{
	const char *a, *z;
	struct buf p;
	struct jqf *f;
	char ce[256], *x;
	int rc;

	buf_init(&p, 0);
	rc = program(t, &p, err, errlen);
	buf_release(&p);
	for (; rc == 0 && (a = strstr(t, "{{")) != NULL; t = z + 2) {
		z = strstr(a + 2, "}}");
		if ((x = strndup(a + 2, (size_t)(z - a - 2))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		f = jqf_compile(x, ce, sizeof ce);
		free(x);
		if (f == NULL) {
			snprintf(err, errlen, "{{%.*s}}: %s", (int)(z - a - 2),
			    a + 2, ce);
			return -1;
		}
		jqf_free(f);
	}
	return rc;
}

/* Placeholder expr[0..n)'s outcome e, {v: [its outputs]} or {e: its
 * error}, into out: a string as its text, any other value as JSON. */
static int
fill(const char *expr, size_t n, const json_val *e, struct buf *out,
    struct buf *tmp, char *err, size_t errlen)
{
	json_val v, x;
	json_iter it;
	const char *s;
	size_t sl;

	json_get(e, "e", &x);
	json_get(e, "v", &v);
	buf_reset(tmp);
	if (x.type != JSON_ABSENT && (s = json_str(&x, &sl)) != NULL)
		buf_add(tmp, s, sl);
	else if (x.type != JSON_ABSENT)
		jw_val(tmp, &x);
	else if (json_count(&v) > 1)
		buf_adds(tmp, "more than one output (a result is one value: "
		    "gather several into one, [ ... ])");
	if (x.type != JSON_ABSENT || json_count(&v) > 1) {
		snprintf(err, errlen, "{{%.*s}}: %.*s", (int)n, expr,
		    (int)tmp->len, tmp->data);
		return -1;
	}
	json_iter_init(&it, &v);
	if (!json_iter_next(&it, NULL, NULL, &x))
		return 0;	/* no output: nothing */
	if ((s = json_str(&x, &sl)) != NULL)
		return buf_add(out, s, sl);
	buf_reset(tmp);		/* jw_val(out) would write a ',' first */
	if (jw_val(tmp, &x) == -1)
		return -1;
	return buf_add(out, tmp->data, tmp->len);
}

int
tmpl_fill(const char *t, const char *doc, size_t len, json_parser *sp,
    const struct jqf_bounds *b, struct buf *out, char *err, size_t errlen)
{
	struct jqf_bounds eb = *b;
	struct buf prog, val;
	json_iter it = { 0 };
	json_val root, e;
	const char *a, *z, *pe;
	char e2[256];
	int rc = -1;

	buf_init(&prog, 0);
	buf_init(&val, 0);
	pthread_once(&env_once, env_make);
	eb.env = env;
	if (program(t, &prog, err, errlen) == -1)
		goto out;
	if (env == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* one process for them all, not one each */
	if (prog.len > 2 && jqf_eval_bounded(prog.data, doc, len, &val, &eb,
	    e2, sizeof e2) == -1) {
		if (tmpl_check(t, err, errlen) == 0)
			snprintf(err, errlen, "%s", e2);
		goto out;
	}
	if (prog.len > 2 && json_parse(sp, val.data, val.len, 0, &root,
	    &pe) == -1) {
		snprintf(err, errlen, "placeholders: %s", pe);
		goto out;
	}
	if (prog.len > 2)
		json_iter_init(&it, &root);
	for (; (a = strstr(t, "{{")) != NULL; t = z + 2) {
		z = strstr(a + 2, "}}");
		if (!json_iter_next(&it, NULL, NULL, &e)) {
			snprintf(err, errlen, "placeholders: no answer");
			goto out;
		}
		if (buf_add(out, t, (size_t)(a - t)) == -1 ||
		    fill(a + 2, (size_t)(z - a - 2), &e, out, &prog, err,
		    errlen) == -1)
			goto out;
	}
	rc = buf_add(out, t, strlen(t));
	if (rc == -1)
		snprintf(err, errlen, "prompt too large");
out:
	buf_release(&prog);
	buf_release(&val);
	return rc;
}
