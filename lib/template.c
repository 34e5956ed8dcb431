/* template.c - prompt templates with {{ jq }} placeholders (see experiment_kinds.h).
 *
 * A placeholder is a jq expression run on the document (the group, with
 * the research it depends on); a string result goes in as its text, any
 * other as compact JSON, no output as nothing.  It ends at the first "}}",
 * so an object literal inside needs spaces: { a: { b: 1 } }. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment_kinds.h"

static int
one(const char *expr, size_t n, const char *doc, size_t len, json_parser *sp,
    struct buf *out, char *err, size_t errlen)
{
	struct buf val;
	struct jqf *f;
	json_val v;
	const char *s, *e;
	char *x, e2[256];
	size_t sl;
	int k = -1;

	buf_init(&val, 0);
	if ((x = strndup(expr, n)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((f = jqf_compile(x, e2, sizeof e2)) == NULL ||
	    (k = jqf_eval(f, doc, len, &val, e2, sizeof e2)) == -1)
		snprintf(err, errlen, "{{%s}}: %s", x, e2);
	else if (k == 1 && json_parse(sp, val.data, val.len, 0, &v, &e) == 0 &&
	    (s = json_str(&v, &sl)) != NULL)
		k = buf_add(out, s, sl);
	else if (k == 1)
		k = buf_add(out, val.data, val.len);
	jqf_free(f);
	free(x);
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
