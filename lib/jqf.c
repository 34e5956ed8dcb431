/* jqf.c - a thin wrapper around libjq (see jqf.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jq.h>
#include <jv.h>

#include "jqf.h"

struct jqf {
	jq_state	*jq;
	char		 err[256];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void
copy_msg(jv msg, char *err, size_t errlen)
{
	if (jv_get_kind(msg) == JV_KIND_STRING)
		snprintf(err, errlen, "%s", jv_string_value(msg));
	else {
		jv s = jv_dump_string(jv_copy(msg), 0);
		snprintf(err, errlen, "%s", jv_string_value(s));
		jv_free(s);
	}
	jv_free(msg);
}

/* libjq reports compile errors through this callback; keep the first. */
static void
on_error(void *data, jv msg)
{
	struct jqf *f = data;

	if (f->err[0] == 0)
		copy_msg(msg, f->err, sizeof f->err);
	else
		jv_free(msg);
}

struct jqf *
jqf_compile(const char *expr, char *err, size_t errlen)
{
	struct jqf *f;

	if ((f = calloc(1, sizeof *f)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_lock(&lock);
	if ((f->jq = jq_init()) != NULL) {
		jq_set_error_cb(f->jq, on_error, f);
		if (!jq_compile(f->jq, expr))
			jq_teardown(&f->jq);
	}
	pthread_mutex_unlock(&lock);
	if (f->jq == NULL) {
		snprintf(err, errlen, "%s", f->err[0] ? f->err : "cannot compile");
		free(f);
		return NULL;
	}
	return f;
}

void
jqf_free(struct jqf *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&lock);
	jq_teardown(&f->jq);
	pthread_mutex_unlock(&lock);
	free(f);
}

/* Start f on the JSON text; the first output or an invalid jv. */
static jv
first(struct jqf *f, const char *json, size_t len, char *err, size_t errlen,
    int *status)
{
	jv in, r;

	*status = 0;
	in = jv_parse_sized(json, (int)len);
	if (!jv_is_valid(in)) {
		*status = -1;
		copy_msg(jv_invalid_get_msg(in), err, errlen);
		return jv_invalid();
	}
	jq_start(f->jq, in, 0);
	r = jq_next(f->jq);
	if (!jv_is_valid(r)) {
		if (jv_invalid_has_msg(jv_copy(r))) {
			*status = -1;
			copy_msg(jv_invalid_get_msg(r), err, errlen);
		} else
			jv_free(r);
		return jv_invalid();
	}
	*status = 1;
	return r;
}

int
jqf_test(struct jqf *f, const char *json, size_t len, char *err, size_t errlen)
{
	jv_kind k;
	int st;
	jv r;

	pthread_mutex_lock(&lock);
	r = first(f, json, len, err, errlen, &st);
	if (st == 1) {
		k = jv_get_kind(r);
		jv_free(r);
		st = k != JV_KIND_FALSE && k != JV_KIND_NULL;
	}
	pthread_mutex_unlock(&lock);
	return st;
}

int
jqf_eval(struct jqf *f, const char *json, size_t len, struct buf *out,
    char *err, size_t errlen)
{
	int st;
	jv r, s;

	pthread_mutex_lock(&lock);
	r = first(f, json, len, err, errlen, &st);
	if (st == 1) {
		s = jv_dump_string(r, 0);
		if (buf_add(out, jv_string_value(s),
		    (size_t)jv_string_length_bytes(jv_copy(s))) == -1) {
			snprintf(err, errlen, "result too large");
			st = -1;
		}
		jv_free(s);
	}
	pthread_mutex_unlock(&lock);
	return st;
}
