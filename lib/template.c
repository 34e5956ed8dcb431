/* template.c - prompt templates with {{ jq }} placeholders (see experiment_kinds.h).
 *
 * A placeholder is a jq expression run on the document (the group, with
 * the research it depends on); a string result goes in as its text, any
 * other as compact JSON, no output as nothing.  It ends at the first "}}",
 * so an object literal inside needs spaces: { a: { b: 1 } }.
 *
 * The expression runs as a jq variant's program does, in a process of its
 * own (jqf_eval_bounded), killed at the variant's timeout or memory bound:
 * one that loops fails the variant, not the run.  That process gets the
 * allow-list of a command's environment (secret.h), never a secret, which
 * would go to the provider in the prompt through $ENV or env. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment_kinds.h"
#include "secret.h"

static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static char **env;	/* the allow-list, for the process's life; or NULL */

static void
env_make(void)
{
	env = secret_env(NULL, 0);
}

static int
one(const char *expr, size_t n, const char *doc, size_t len, json_parser *sp,
    const struct jqf_bounds *b, struct buf *out, char *err, size_t errlen)
{
	struct jqf_bounds eb = *b;
	struct buf prog, val;
	json_val v;
	const char *s, *e;
	char e2[256];
	size_t sl;
	int k = -1;

	buf_init(&prog, 0);
	buf_init(&val, 0);
	pthread_once(&env_once, env_make);
	eb.env = env;
	if (env == NULL || buf_add(&prog, expr, n) == -1) {
		buf_release(&prog);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((k = jqf_eval_bounded(prog.data, doc, len, &val, &eb, e2,
	    sizeof e2)) == -1)
		snprintf(err, errlen, "{{%.*s}}: %s", (int)n, expr, e2);
	else if (k == 1 && json_parse(sp, val.data, val.len, 0, &v, &e) == 0 &&
	    (s = json_str(&v, &sl)) != NULL)
		k = buf_add(out, s, sl);
	else if (k == 1)
		k = buf_add(out, val.data, val.len);
	buf_release(&prog);
	buf_release(&val);
	return k == -1 ? -1 : 0;
}

int
tmpl_fill(const char *t, const char *doc, size_t len, json_parser *sp,
    const struct jqf_bounds *b, struct buf *out, char *err, size_t errlen)
{
	const char *a, *z;

	while ((a = strstr(t, "{{")) != NULL) {
		if ((z = strstr(a + 2, "}}")) == NULL) {
			snprintf(err, errlen, "a {{ without }}");
			return -1;
		}
		if (buf_add(out, t, (size_t)(a - t)) == -1 ||
		    one(a + 2, (size_t)(z - a - 2), doc, len, sp, b, out,
		    err, errlen) == -1)
			return -1;
		t = z + 2;
	}
	if (buf_add(out, t, strlen(t)) == -1) {
		snprintf(err, errlen, "prompt too large");
		return -1;
	}
	return 0;
}
