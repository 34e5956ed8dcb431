/*
 * experiment_kinds.h - the experiment kinds (builtin, jq, command, openai,
 * gemini) behind one table, and the worker state they use; internal to
 * lib/experiment.c (which calls down through xkinds[] only),
 * lib/experiment_kinds.c and lib/experiment_llm.c (the LLM kinds).
 *
 * Ownership: the worker owns everything in it; a struct xres owns its
 * buffers (xres_reset() empties them for the next variant).  Views into
 * the parsed group (group, markets) are valid for the whole group, as the
 * group parser is not used again until the next group; the scratch
 * parser sp is for anything else and is reused freely.
 */
#ifndef PM_EXPERIMENT_KINDS_H
#define PM_EXPERIMENT_KINDS_H

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
	unsigned long	 tokens;	/* an LLM answer's total tokens */
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
	struct buf	 split[3];	/* a forecast's markets: forecast,
					 * declined, left out */
	struct xres	*res;		/* per variant, for this group */
	size_t		 late;		/* the group's markets closing before
					 * the cutoff: forecast by none */
};

/* One kind: run fills r from variant vi on the document in[0..n) (the
 * group, with the research it depends on). */
struct xkind_ops {
	void	(*run)(struct xworker *w, size_t vi, const char *in, size_t n,
		    struct xres *r);
	int	  has_stderr;	/* results carry a "stderr" member */
};

/* Indexed by the variant's XT_* type. */
extern const struct xkind_ops xkinds[];

void xres_reset(struct xres *r);

/* The openai and gemini kinds (experiment_llm.c).  xk_llm_answer reads
 * the provider's 2xx answer in resp into r (the output; a forecast's
 * probabilities): xk_llm's second half, after the POST, and
 * tests/fuzz/fuzz-llm.c's way in; r->status says whether it failed. */
void xk_llm(struct xworker *w, size_t vi, const char *in, size_t n,
    struct xres *r);
void xk_llm_answer(struct xworker *w, size_t vi, const struct buf *resp,
    struct xres *r);

/* For the kinds, in experiment_kinds.c: fail r with a message; save a
 * payload under --dump-dir (no-op without it); check a probability map
 * {market_id: number | {outcome: p}} against the group and write it into
 * b; copy obj's member key (null when absent). */
void xres_fail(struct xres *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void xdump(struct xworker *w, size_t vi, const char *what, const char *p,
    size_t n);
int probs_write(struct xworker *w, const json_val *map, struct buf *b,
    char *err, size_t errlen);
void copy_member(struct buf *b, const json_val *obj, const char *key);

/* Fill {{ jq }} placeholders from doc, each run within b's timeout and
 * memory (b's env is not used: see template.c).  -1 with the reason in
 * err. */
int tmpl_fill(const char *tmpl, const char *doc, size_t len, json_parser *sp,
    const struct jqf_bounds *b, struct buf *out, char *err, size_t errlen);

#endif
