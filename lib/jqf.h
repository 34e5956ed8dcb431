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
 * output, -1 error (reason in err). */
int jqf_test(struct jqf *f, const char *json, size_t len, char *err,
    size_t errlen);

/* First output as compact JSON into out: 1 written, 0 no output, -1
 * error (reason in err). */
int jqf_eval(struct jqf *f, const char *json, size_t len, struct buf *out,
    char *err, size_t errlen);

#endif
