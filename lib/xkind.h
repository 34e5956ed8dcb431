/*
 * xkind.h - the experiment kinds (builtin, jq, command, openai) and the
 * worker state they use; internal to lib/experiment.c and lib/xkind.c.
 *
 * Ownership: the worker owns everything in it; a struct xres owns its
 * buffers (xres_reset() empties them for the next variant).  Views into
 * the parsed group (group, markets) are valid for the whole group, as the
 * group parser is not used again until the next group; the scratch
 * parser sp is for anything else and is reused freely.
 * libjq is driven under xjq_lock only: jq 1.6 is not known to be safe
 * across threads, and jq work is cheap next to commands and HTTP.
 */
#ifndef PM_XKIND_H
#define PM_XKIND_H

#include <pthread.h>

#include "buf.h"
#include "config.h"
#include "experiment.h"
#include "json.h"
#include "jqf.h"
#include "llm.h"

enum { XR_OK, XR_SKIPPED, XR_FAILED };

struct xres {
	int		 status;
	struct buf	 output;	/* JSON; empty: null */
	struct buf	 probs;		/* JSON object; empty: null */
	struct buf	 err_text;	/* a command's standard error */
	int		 has_stderr;
	char		 error[1024];	/* empty: null */
};

struct xworker {
	const struct xopts *o;
	json_parser	*gp, *sp;	/* the group; scratch */
	json_val	 group, markets;
	const char	*event_key;
	struct jqf	**jq;		/* compiled per variant, lazily */
	struct llm	*llm;
	struct buf	 input, results, tmp, tmp2;
	struct xres	*res;		/* per variant, for this group */
};

extern pthread_mutex_t xjq_lock;

void xres_reset(struct xres *r);
void xres_fail(struct xres *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Each fills r from variant vi on the document in[0..n). */
void xk_builtin(struct xworker *w, size_t vi, struct xres *r);
void xk_jq(struct xworker *w, size_t vi, const char *in, size_t n,
    struct xres *r);
void xk_command(struct xworker *w, size_t vi, const char *in, size_t n,
    struct xres *r);
void xk_openai(struct xworker *w, size_t vi, const char *in, size_t n,
    struct xres *r);

/* Save a payload under --dump-dir (no-op without it). */
void xdump(struct xworker *w, size_t vi, const char *what, const char *p,
    size_t n);

/* Fill {{ jq }} placeholders from doc; caller holds xjq_lock.  -1 with
 * the reason in err. */
int tmpl_fill(const char *tmpl, const char *doc, size_t len, json_parser *sp,
    struct buf *out, char *err, size_t errlen);

#endif
