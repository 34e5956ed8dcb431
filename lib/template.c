/* template.c - prompt templates with {{ jq }} placeholders (see experiment_kinds.h).
 *
 * A placeholder is a jq expression run on the document (the group, with
 * the research it depends on); a string result goes in as its text, any
 * other as compact JSON, no output as nothing.  It ends at the first "}}",
 * so an object literal inside needs spaces: { a: { b: 1 } }.
 *
 * The expression runs here, in pm-experiment, whose environment holds the
 * keys: its $ENV and env are the allow-list of a command's (secret.h),
 * never a secret, which would go to the provider in the prompt. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment_kinds.h"
#include "jw.h"
#include "secret.h"

static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static char *env_def;	/* "<object> as $ENV | def env: $ENV; ", or NULL */

static void
env_make(void)
{
	struct buf b;
	char **env, **e, *eq;

	if ((env = secret_env(NULL, 0)) == NULL)
		return;
	buf_init(&b, 0);
	jw_open(&b, '{');
	for (e = env; *e; e++)
		if ((eq = strchr(*e, '=')) != NULL) {
			jw_str(&b, *e, (size_t)(eq - *e));
			buf_addc(&b, ':');
			jw_strz(&b, eq + 1);
		}
	jw_close(&b, '}');
	if (buf_adds(&b, " as $ENV | def env: $ENV; ") == 0)
		env_def = strdup(b.data);
	buf_release(&b);
	secret_env_free(env);
}

static int
one(const char *expr, size_t n, const char *doc, size_t len, json_parser *sp,
    struct buf *out, char *err, size_t errlen)
{
	struct buf val;
	struct jqf *f;
	json_val v;
	const char *s, *e;
	char e2[256];
	size_t sl;
	int k = -1;

	buf_init(&val, 0);
	pthread_once(&env_once, env_make);
	if (env_def == NULL || buf_adds(&val, env_def) == -1 ||
	    buf_add(&val, expr, n) == -1) {
		buf_release(&val);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	f = jqf_compile(val.data, e2, sizeof e2);
	buf_reset(&val);
	if (f == NULL ||
	    (k = jqf_eval(f, doc, len, &val, e2, sizeof e2)) == -1)
		snprintf(err, errlen, "{{%.*s}}: %s", (int)n, expr, e2);
	else if (k == 1 && json_parse(sp, val.data, val.len, 0, &v, &e) == 0 &&
	    (s = json_str(&v, &sl)) != NULL)
		k = buf_add(out, s, sl);
	else if (k == 1)
		k = buf_add(out, val.data, val.len);
	jqf_free(f);
	buf_release(&val);
	return k == -1 ? -1 : 0;
}

int
tmpl_fill(const char *t, const char *doc, size_t len, json_parser *sp,
    struct buf *out, char *err, size_t errlen)
{
	const char *a, *z;

	while ((a = strstr(t, "{{")) != NULL) {
		if ((z = strstr(a + 2, "}}")) == NULL) {
			snprintf(err, errlen, "a {{ without }}");
			return -1;
		}
		if (buf_add(out, t, (size_t)(a - t)) == -1 ||
		    one(a + 2, (size_t)(z - a - 2), doc, len, sp, out, err,
		    errlen) == -1)
			return -1;
		t = z + 2;
	}
	if (buf_add(out, t, strlen(t)) == -1) {
		snprintf(err, errlen, "prompt too large");
		return -1;
	}
	return 0;
}
