/*
 * fetch.h - requests that are rate-limited, retried and checked, N at a
 * time, on top of http.h.
 *
 * A job is one logical request (a page, a price batch).  It waits for a
 * token of its endpoint's bucket (ratelimit.h), runs, and is retried with
 * exponential backoff and full jitter on 429, 408, 5xx, timeouts, dropped
 * connections, bodies that are truncated or not JSON and answers of the
 * wrong shape (fetch_job.shape), at most
 * `attempts` times.  A Retry-After is honoured (0 included, at most
 * retry_after_max seconds: a server asking for a day gets a minute, and
 * a final failure says what it asked for) and pauses the whole endpoint; a delay never goes below a floor, so nothing spins.
 * Then done() is called exactly once per job, with the minified, parsed
 * answer or the final failure.
 *
 * Ownership: fetch_job_new() copies url and post; the struct fetch owns a
 * job from fetch_add() on and frees it (url, post, req) after done()
 * returns.  ctx is the caller's and never freed here.  The answer given
 * to done() (text and root) is borrowed for the call only.
 */
#ifndef PM_FETCH_H
#define PM_FETCH_H

#include <stddef.h>

#include "json.h"
#include "ratelimit.h"

struct fetch;

#define FETCH_RETRY_AFTER_MAX 60	/* seconds */

struct fetch_answer {
	int		 ok;		/* 1: status 2xx and JSON */
	long		 status;	/* last HTTP status, 0 when none */
	const char	*text;		/* ok: the body, minified */
	size_t		 len;
	json_val	 root;		/* ok: the body, parsed */
	int		 retriable;	/* !ok: worth another run later */
	int		 unasked;	/* !ok: cancelled unsent (o.stop): no
					 * failure to report, nobody reads */
	const char	*detail;	/* !ok: "HTTP 500 after 5 attempts" */
	const char	*fetched_at;	/* RFC 3339 UTC with milliseconds */
	double		 skew_ms;	/* how far the server's clock (its Date
					 * header) is ahead of ours, at most
					 * the truth; 0 when it sent none */
};

struct fetch_job {
	char		*url;
	char		*post;		/* POST body, or NULL for a GET */
	size_t		 postlen;
	char		*req;		/* the caller's: a raw record's request
					 * object; freed with the job */
	struct rl_bucket *bucket;
	void		(*done)(struct fetch *, struct fetch_job *,
			    const struct fetch_answer *);
	void		*ctx;
	/* NULL, or what is wrong with an answer's shape (a 200 that is
	 * not what was asked for: a gateway's {"error":...}): NULL when
	 * it is right.  A wrong one is retried as a 5xx is. */
	const char	*(*shape)(const struct fetch_job *, const json_val *);
	/* private */
	int		 attempts;
	long		 asked_ms;	/* longest Retry-After cut short, or 0 */
	double		 not_before;
	struct fetch_job *next;
	void		*xfer;
};

struct fetch_opts {
	int	 parallel;	/* transfers in flight */
	int	 attempts;	/* tries per job */
	double	 backoff;	/* first retry delay, seconds */
	double	 backoff_max;
	double	 retry_after_max; /* longest wait a Retry-After gets, seconds;
				  * 0: FETCH_RETRY_AFTER_MAX */
	long	 timeout_ms;
	struct progress *progress; /* the stage's line (progress.h), or NULL */
	int	(*stop)(void);	/* nonzero: nothing more is worth asking (the
				 * reader has gone); the queued jobs are
				 * done unasked (fetch_answer.unasked).
				 * NULL: never */
};

struct fetch_stats {
	unsigned long	 requests, answers, retries, ok, failed;
	unsigned long	 status429, status5xx, transport;
	unsigned long	 pages, records;	/* counted by the callers */
};

struct fetch *fetch_new(const struct fetch_opts *o);
void fetch_free(struct fetch *f);

struct fetch_job *fetch_job_new(const char *url, const char *post,
    size_t postlen);
void fetch_job_free(struct fetch_job *j);

/* Queue a job (NULL-safe: a NULL job is a failed allocation, -1). */
int fetch_add(struct fetch *f, struct fetch_job *j);

/* Run until fewer than `pending` jobs are queued or in flight (0: until
 * none is left).  done() may add jobs. */
void fetch_run(struct fetch *f, unsigned long pending);

/* Start what may start and take in what finished, without waiting. */
void fetch_poke(struct fetch *f);

unsigned long fetch_pending(const struct fetch *f);
struct fetch_stats *fetch_stats(struct fetch *f);

/* The progress line, once more and for good (with a newline on a tty). */
void fetch_progress_end(struct fetch *f);

/* No job will be added any more but those answers make: the jobs added
 * so far are the progress line's total. */
void fetch_progress_total(struct fetch *f);

#endif
