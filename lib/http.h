/*
 * http.h - the project's face of libcurl's multi interface.
 *
 * Many transfers in flight on one multi handle, so connections are reused
 * (HTTP keep-alive, one cache for all transfers), answers are asked for
 * gzip-compressed and decoded by libcurl, and every request carries the
 * User-Agent "pm-fetch/VERSION" (Cloudflare refuses some defaults).  This
 * layer does not retry or rate-limit: lib/fetch.c does, on top of it.
 *
 * Ownership: a struct http owns the multi handle and a pool of easy
 * handles.  A struct http_xfer is the caller's: it must stay put from
 * http_start() until it is handed back by http_run(); its body buffer is
 * filled here and released by the caller (buf_release).  url and post
 * are borrowed for the same span.  Never put a secret in a URL: URLs are
 * printed in records and messages.
 */
#ifndef PM_HTTP_H
#define PM_HTTP_H

#include <stddef.h>

#include "buf.h"

/* Why a transfer ended without an HTTP answer worth reading. */
enum http_err {
	HTTP_OK = 0,		/* an HTTP status arrived with the whole body */
	HTTP_TIMEOUT,
	HTTP_CONNECT,		/* refused, unreachable, DNS */
	HTTP_RESET,		/* dropped, reset, nothing received */
	HTTP_TRUNCATED,		/* fewer bytes than Content-Length */
	HTTP_TOOBIG,		/* body over the buffer's limit */
	HTTP_OTHER
};

struct http_xfer {
	/* set by the caller */
	const char	*url;
	const char	*post;		/* JSON body for a POST, or NULL */
	size_t		 postlen;
	void		*arg;
	/* set by http_run() before the transfer is handed back */
	long		 status;	/* HTTP status, 0 when none */
	long		 retry_after_ms;	/* -1 when absent */
	int		 err;		/* enum http_err */
	char		 errmsg[256];
	struct buf	 body;
	/* private */
	void		*easy;
};

struct http_opts {
	long	 timeout_ms;	/* whole transfer */
	long	 connect_timeout_ms;
	size_t	 max_body;	/* answers over this fail as HTTP_TOOBIG */
};

struct http *http_new(const struct http_opts *o);
void http_free(struct http *h);

/* Start a transfer; -1 (out of memory, curl refused) leaves x untouched. */
int http_start(struct http *h, struct http_xfer *x);

/*
 * Move the transfers on, waiting at most wait_ms for something to happen,
 * and hand each finished one to done().  Returns the number finished.
 */
int http_run(struct http *h, long wait_ms,
    void (*done)(struct http_xfer *, void *), void *arg);

int http_inflight(const struct http *h);

/* name=value&... with value URL-encoded; -1 on overflow. */
int http_query_add(struct buf *q, const char *name, const char *value);

#endif
