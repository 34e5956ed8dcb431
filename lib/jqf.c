/* jqf.c - a thin wrapper around libjq (see jqf.h). */
#define _GNU_SOURCE	/* strndup */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <jq.h>
#include <jv.h>

#include "command.h"
#include "jqf.h"
#include "msg.h"

struct jqf {
	jq_state	*jq;
	char		 err[256];
	int		 warned;	/* jqf_where() said an error */
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

/*
 * libjq 1.6 calls these without looking whether they are set: input,
 * inputs and debug in an expression crashed the tool (SIGSEGV).  Every
 * expression here reads one value, as jq(1) given that value alone:
 * input fails (jq 1.6 says "break"), inputs gives nothing; debug says
 * its value on standard error as jq(1) does, ["DEBUG:",value].
 */
static jv
no_input(jq_state *jq, void *data)
{
	(void)jq;
	(void)data;
	return jv_invalid();	/* the end: jq 1.6 says "break" */
}

static void
on_debug(void *data, jv v)
{
	jv s = jv_dump_string(JV_ARRAY(jv_string("DEBUG:"), v), 0);

	(void)data;
	fprintf(stderr, "%s\n", jv_string_value(s));
	jv_free(s);
}

/* Under the lock, or in a child process. */
static void
compile(struct jqf *f, const char *expr)
{
	if ((f->jq = jq_init()) != NULL) {
		jq_set_error_cb(f->jq, on_error, f);
		jq_set_input_cb(f->jq, no_input, NULL);
		jq_set_debug_cb(f->jq, on_debug, NULL);
		/* unset, libjq 1.6 aborts (an assertion) on import or
		 * include: none is found, a compile error */
		jq_set_attr(f->jq, jv_string("JQ_LIBRARY_PATH"), jv_array());
		if (!jq_compile(f->jq, expr))
			jq_teardown(&f->jq);
	}
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
	compile(f, expr);
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

/* Whether f stopped at a halt_error: jq(1) exits with its status (5
 * by default) and its input on standard error, a failure, said in err.
 * halt, or halt_error(0), ends the output as jq(1) ends with 0. */
static int
halted(struct jqf *f, char *err, size_t errlen)
{
	jv code, m;
	double st;
	size_t n;

	if (!jq_halted(f->jq))
		return 0;
	code = jq_get_exit_code(f->jq);
	st = jv_get_kind(code) == JV_KIND_NUMBER ? jv_number_value(code) :
	    jv_is_valid(code) ? 5 : 0;
	jv_free(code);
	if (st == 0)
		return 0;
	m = jq_get_error_message(f->jq);
	if (jv_get_kind(m) != JV_KIND_STRING)
		m = jv_dump_string(m, 0);
	n = (size_t)jv_string_length_bytes(jv_copy(m));
	while (n > 0 && jv_string_value(m)[n - 1] == '\n')
		n--;
	snprintf(err, errlen, "halt_error, exit status %g: %.*s", st,
	    (int)(n > 1000 ? 1000 : n), jv_string_value(m));
	jv_free(m);
	return 1;
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
		} else {
			jv_free(r);
			*status = -halted(f, err, errlen);
		}
		return jv_invalid();
	}
	*status = 1;
	return r;
}

/* first(), when it is the only output: a second one, or an error after
 * the first, fails (which of several was meant?  jq(1) would print them
 * all, and its error). */
static jv
only(struct jqf *f, const char *json, size_t len, char *err, size_t errlen,
    int *status)
{
	jv r = first(f, json, len, err, errlen, status), more;

	if (*status != 1)
		return r;
	more = jq_next(f->jq);
	if (jv_is_valid(more)) {
		jv_free(more);
		snprintf(err, errlen, "more than one output (a result is one "
		    "value: gather several into one, [ ... ])");
	} else if (jv_invalid_has_msg(jv_copy(more)))
		copy_msg(jv_invalid_get_msg(more), err, errlen);
	else {
		jv_free(more);
		if (!halted(f, err, errlen))
			return r;
	}
	jv_free(r);
	*status = -1;
	return jv_invalid();
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
jqf_where(struct jqf *f, const char *json, size_t len)
{
	char err[256];
	int r, say;

	r = jqf_test(f, json, len, err, sizeof err);
	pthread_mutex_lock(&lock);	/* warned is f's, as jq is */
	if ((say = r == -1 && !f->warned))
		f->warned = 1;
	pthread_mutex_unlock(&lock);
	if (say)
		msg("--where: %s (taken as false)", err);
	return r == 1;
}

int
jqf_eval(struct jqf *f, const char *json, size_t len, struct buf *out,
    char *err, size_t errlen)
{
	int st;
	jv r, s;

	pthread_mutex_lock(&lock);
	r = only(f, json, len, err, errlen, &st);
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

/* --- evaluation in a worker process (jqf_eval_bounded, jqf_worker) --- */

/* The worker's status byte, then the payload. */
enum { CH_OUTPUT = 'o', CH_NONE = 'n', CH_ERROR = 'e', CH_NOMEM = 'm' };

static void
put(char status, const char *p, size_t n)
{
	ssize_t w;

	if (write(1, &status, 1) != 1)
		_exit(1);
	while (n > 0) {
		if ((w = write(1, p, n)) <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			_exit(1);
		}
		p += w;
		n -= (size_t)w;
	}
}

/* libjq aborts when an allocation fails; say so and leave first. */
static void
on_nomem(void *data)
{
	(void)data;
	put(CH_NOMEM, NULL, 0);
	_exit(0);
}

/* Bound the address space the worker may grow by, where an rlimit can:
 * AddressSanitizer reserves terabytes up front, so there the parent's
 * watch of the resident size (command.h) is the only bound. */
static void
limit(long max_mb)
{
#if !defined(__SANITIZE_ADDRESS__)
	struct rlimit rl;
	unsigned long pages = 0;
	FILE *f;

	if ((f = fopen("/proc/self/statm", "r")) == NULL)
		return;
	if (fscanf(f, "%lu", &pages) == 1) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)pages *
		    (rlim_t)sysconf(_SC_PAGESIZE) + (rlim_t)max_mb * 1048576;
		setrlimit(RLIMIT_AS, &rl);
	}
	fclose(f);
#else
	(void)max_mb;
#endif
}

static char *
slurp(size_t *len)
{
	size_t cap = 65536, n = 0;
	char *p = malloc(cap), *q;
	ssize_t r;

	while (p != NULL) {
		if (n + 1 >= cap) {
			if ((q = realloc(p, cap * 2)) == NULL)
				break;
			p = q;
			cap *= 2;
		}
		if ((r = read(0, p + n, cap - n - 1)) == 0) {
			p[n] = 0;
			*len = n;
			return p;
		}
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0)
			n += (size_t)r;
	}
	free(p);
	return NULL;
}

/* Whether v holds a NaN anywhere: jq writes it null, which is another
 * value (null declines a market's forecast); borrows v. */
static int
has_nan(jv v)
{
	jv k, x;
	int nan = 0, i;

	switch (jv_get_kind(v)) {
	case JV_KIND_NUMBER:
		return jv_number_value(v) != jv_number_value(v);
	case JV_KIND_ARRAY:
		for (i = 0; !nan && i < jv_array_length(jv_copy(v)); i++) {
			x = jv_array_get(jv_copy(v), i);
			nan = has_nan(x);
			jv_free(x);
		}
		return nan;
	case JV_KIND_OBJECT:
		for (i = jv_object_iter(v); !nan && jv_object_iter_valid(v, i);
		    i = jv_object_iter_next(v, i)) {
			k = jv_object_iter_key(v, i);
			x = jv_object_iter_value(v, i);
			nan = has_nan(x);
			jv_free(k);
			jv_free(x);
		}
		return nan;
	default:
		return 0;
	}
}

int
jqf_worker(void)
{
	struct jqf jf = { 0 };
	char err[1024], *in, *nl, *e, *prog;
	unsigned long plen, mb;
	size_t len;
	int st;
	jv r, s;

	if ((in = slurp(&len)) == NULL || (nl = memchr(in, '\n', len)) == NULL)
		_exit(2);
	plen = strtoul(in, &e, 10);
	mb = strtoul(e, NULL, 10);
	if (plen > len - (size_t)(nl + 1 - in))
		_exit(2);
	jv_nomem_handler(on_nomem, NULL);
	limit((long)mb);
	if ((prog = strndup(nl + 1, plen)) == NULL)
		on_nomem(NULL);
	compile(&jf, prog);
	free(prog);
	if (jf.jq == NULL) {
		put(CH_ERROR, jf.err, strlen(jf.err));
		_exit(0);
	}
	/* jq_next() installs the jq_state's handler over jv_nomem_handler(). */
	jq_set_nomem_handler(jf.jq, on_nomem, NULL);
	err[0] = 0;
	r = only(&jf, nl + 1 + plen, len - (size_t)(nl + 1 + plen - in), err,
	    sizeof err, &st);
	if (st == 1 && has_nan(r)) {
		jv_free(r);
		snprintf(err, sizeof err, "the result holds NaN (not a number), "
		    "which JSON has not");
		st = -1;
	}
	if (st == 1) {
		s = jv_dump_string(r, 0);
		put(CH_OUTPUT, jv_string_value(s),
		    (size_t)jv_string_length_bytes(jv_copy(s)));
	} else if (st == 0)
		put(CH_NONE, NULL, 0);
	else
		put(CH_ERROR, err, strlen(err));
	_exit(0);
}

/* What the worker said: its status, the payload left in out (output) or
 * err (an error). */
static int
answer(const struct cmd_result *cr, struct buf *out, char *err,
    size_t errlen)
{
	char st = cr->out.len ? cr->out.data[0] : 0;
	size_t n = cr->out.len ? cr->out.len - 1 : 0;

	if (st == CH_OUTPUT) {
		if (buf_add(out, cr->out.data + 1, n) == -1) {
			snprintf(err, errlen, "result too large");
			return -1;
		}
		return 1;
	}
	if (st == CH_ERROR)
		snprintf(err, errlen, "%.*s", (int)n, cr->out.data + 1);
	else if (st == CH_NOMEM)
		snprintf(err, errlen, "out of memory (max_memory_mb)");
	else if (cr->signal)
		cmd_killed(cr->signal, err, errlen);
	else
		snprintf(err, errlen, "the jq process gave no answer");
	return st == CH_NONE ? 0 : -1;
}

/* This program, as /proc/self/exe names it: resolved once, because
 * under valgrind only readlink(2) of it names the program (an exec of it
 * runs valgrind's own binary); unresolved when the file is gone. */
static char self[4096];
static pthread_once_t self_once = PTHREAD_ONCE_INIT;

static void
find_self(void)
{
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	self[n > 0 ? n : 0] = 0;
	if (n <= 0 || (size_t)n == sizeof self - 1 ||
	    strstr(self, " (deleted)") != NULL)
		snprintf(self, sizeof self, "/proc/self/exe");
}

int
jqf_eval_bounded(const char *expr, const char *json, size_t len,
    struct buf *out, const struct jqf_bounds *b, char *err, size_t errlen)
{
	char *argv[] = { self, "--jq-worker", NULL };
	struct cmd_result cr;
	struct buf in;
	int rc = -1;

	pthread_once(&self_once, find_self);
	buf_init(&in, 0);
	cmd_result_init(&cr, out->max ? out->max + 1 : 0, 4096);
	cr.max_rss_kb = b->max_mb * 1024;
	if (buf_printf(&in, "%zu %ld\n", strlen(expr), b->max_mb) == -1 ||
	    buf_adds(&in, expr) == -1 || buf_add(&in, json, len) == -1)
		snprintf(err, errlen, "out of memory");
	else if (cmd_run(argv, b->env, in.data, in.len, b->timeout_ms > 0 ?
	    b->timeout_ms : 86400000L, &cr) == -1) {
		/* its answer holds a status byte before the output */
		if (cr.over_output)
			snprintf(err, errlen, "output over %zu bytes",
			    out->max);
		else
			snprintf(err, errlen, "%s", cr.why);
	} else if (cr.timed_out)
		snprintf(err, errlen, "timed out after %.3g s",
		    b->timeout_ms / 1000.0);
	else if (cr.over_memory)
		snprintf(err, errlen, "over %ld MB of memory (max_memory_mb)",
		    b->max_mb);
	else
		rc = answer(&cr, out, err, errlen);
	buf_release(&in);
	cmd_result_release(&cr);
	return rc;
}
