/*
 * jqf.h - user jq expressions through libjq 1.6 (--where, jq experiments).
 *
 * libjq is the engine only for what users write; the hot path never goes
 * through jv.  Ownership: a struct jqf owns its jq_state and is freed with
 * jqf_free(); inputs are borrowed JSON text; results are written into the
 * caller's buffers.
 *
 * Threads: every call here holds one lock of this file's, as libjq 1.6 is
 * not known to be safe across threads (and jq work is cheap next to
 * commands and HTTP); callers need no lock of their own.
 */
#ifndef PM_JQF_H
#define PM_JQF_H

#include <stddef.h>

#include "buf.h"

struct jqf;

/* NULL on a compile error, with the reason in err. */
struct jqf *jqf_compile(const char *expr, char *err, size_t errlen);
void jqf_free(struct jqf *f);

/* jq truth of the first output on JSON text: 1 true, 0 false or no
 * output, -1 error (reason in err; a halt_error is one, as jq(1) exits
 * non-zero, halt is no output). */
int jqf_test(struct jqf *f, const char *json, size_t len, char *err,
    size_t errlen);

/* A --where of a reader (pm-store --export): 1 keep the record, 0 not.
 * An error is taken as false and said once for f, "--where: ERR (taken
 * as false)", so that an expression that fails on every record is not
 * an export that silently writes nothing. */
int jqf_where(struct jqf *f, const char *json, size_t len);

/* The output as compact JSON into out: 1 written, 0 no output, -1
 * error (reason in err), also more than one output or an error (or a
 * halt_error) after the first. */
int jqf_eval(struct jqf *f, const char *json, size_t len, struct buf *out,
    char *err, size_t errlen);

/*
 * jqf_eval() of the program expr, compiled and run in a worker process
 * (this program again, /proc/self/exe --jq-worker: see jqf_worker()), so
 * that a program that loops or eats memory fails this call, not the
 * caller: the worker is killed at the timeout or when its resident memory
 * passes max_mb (watched every 10 ms; outside AddressSanitizer builds
 * also an address-space rlimit, which then reads "out of memory").  It
 * runs in the environment env (NULL: ours), which is also jq's $ENV.
 * Same results as jqf_eval(), but a result holding a NaN (which jq
 * writes null) is an error; err says "timed out after N s" or "over N MB
 * of memory (max_memory_mb)".
 */
struct jqf_bounds {
	long		 timeout_ms;	/* 0: a day */
	long		 max_mb;
	char *const	*env;
};

/* The worker: what a program calls, first thing in main(), when its
 * arguments are exactly --jq-worker.  Reads "LEN MAXMB\n", the program
 * (LEN bytes) and the JSON text on standard input, writes a status byte
 * and the answer on standard output; never returns. */
int jqf_worker(void) __attribute__((noreturn));

int jqf_eval_bounded(const char *expr, const char *json, size_t len,
    struct buf *out, const struct jqf_bounds *b, char *err, size_t errlen);

#endif
