/*
 * experiment.h - run the selected variants of a configuration on one
 * group record and add their results to it (pm-experiment(1); the result
 * members are in pm-records(5)).
 *
 * Research variants run first, in configuration order; then each forecast
 * variant whose research succeeded, with that research's output in the
 * input it gets.  The new group line is the original bytes up to the final
 * brace, then ,"results":[...]}: the markets are never re-serialised.
 *
 * Threads: one struct xworker per thread (it owns its parsers, its jq
 * programs, its HTTP handle); the configuration is shared read-only.  A
 * job is filled by the worker and read by the caller afterwards.
 *
 * Ownership: an xjob owns its input copy and everything the worker put in
 * it; xjob_free() frees all (NULL-safe).  xworker_free() is NULL-safe.
 */
#ifndef PM_EXPERIMENT_H
#define PM_EXPERIMENT_H

#include <stddef.h>

#include "buf.h"
#include "config.h"

struct llm_pace;
struct secrets;

struct xopts {
	const struct config	*cfg;
	const char		*dump_dir;	/* or NULL */
	int			 forecast;	/* forecast stage selected */
	size_t			 max_line;	/* cap on a group line */
	struct llm_pace		*pace;		/* per variant, shared */
	const struct secrets	*secrets;	/* masked in what commands and
						 * jq programs give */
	double			 cutoff_ms;	/* --margin: a market closing
						 * before it is not forecast;
						 * 0: none */
};

/* A failure record to write after the group. */
struct xfail {
	const char	*reason;	/* static */
	int		 retriable;
	char		*detail;
};

struct xjob {
	char		*text;		/* the input line, owned */
	size_t		 len;
	const char	*file;		/* input position, borrowed */
	unsigned long	 line;
	/* filled by xworker_run() */
	char		*event_key;	/* or NULL when not a group */
	struct buf	 out;		/* the new line; empty: write nothing */
	struct xfail	*fails;
	size_t		 nfails;
	unsigned long	 ok, failed, skipped;	/* results by status */
	unsigned long	*tokens;	/* per variant: LLM tokens; or NULL */
	unsigned long	 llm_calls;	/* LLM variants run, and their time */
	long		 llm_ms;
};

struct xworker;

struct xworker *xworker_new(const struct xopts *o);
void xworker_free(struct xworker *w);

/* NULL when out of memory; the text is copied. */
struct xjob *xjob_new(const char *text, size_t len, const char *file,
    unsigned long line);
void xjob_free(struct xjob *j);

void xworker_run(struct xworker *w, struct xjob *j);

/* Whether every {{ jq }} placeholder of prompt template tmpl compiles: 0,
 * or -1 with the first that does not in err (a configuration error, said
 * before a run: template.c). */
int tmpl_check(const char *tmpl, char *err, size_t errlen);

#endif
