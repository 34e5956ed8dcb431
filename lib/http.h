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
 *
 * TLS: the server's certificate and its host name are always checked;
 * nothing here or anywhere in the project switches that off.  The only
 * choice is which CAs to trust: libcurl's default store, or a bundle set
 * once per process with http_tls_init() and used by every transfer, those
 * of lib/llm.c included (http_tls_apply()).
 */
#ifndef PM_HTTP_H
#define PM_HTTP_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

/* Why a transfer ended without an HTTP answer worth reading. */
enum http_err {
	HTTP_OK = 0,		/* an HTTP status arrived with the whole body */
	HTTP_TIMEOUT,
	HTTP_CONNECT,		/* refused, unreachable, DNS */
	HTTP_RESET,		/* dropped, reset, nothing received */
	HTTP_TRUNCATED,		/* fewer bytes than Content-Length */
	HTTP_TOOBIG,		/* body over the buffer's limit */
	HTTP_TLS,		/* certificate not trusted, or not for this
				 * host: retrying would not help */
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
	time_t		 date;		/* the Date header (the server's
					 * clock), -1 when absent */
	int		 err;		/* enum http_err */
	char		 errmsg[256];
	struct buf	 body;
	/* private */
	void		*easy;
	time_t		 retry_at;	/* a Retry-After date, -1 when none */
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

/*
 * The CA bundle for the whole process: file (--cacert), else
 * $PM_CA_BUNDLE when set and not empty, else none (libcurl's default).
 * It must be a regular, readable file with a PEM certificate in it, so
 * that a wrong path is a usage error before any request rather than a
 * failure per request.  -1 with "FILE: reason (--cacert)" in err.  Call
 * before any transfer and any thread; file is borrowed for the life of the
 * process (argv, environ).
 */
int http_tls_init(const char *file, char *err, size_t errlen);

/* Verification on and the CA bundle, on a curl easy handle (a CURL *). */
void http_tls_apply(void *easy);

/*
 * When rc (a CURLcode) is a failed certificate check, 1, and msg (curl's
 * reason) becomes "ORIGIN: certificate not verified: reason", ORIGIN being
 * url's scheme, host and port without any user name or password; else 0.
 */
int http_tls_refused(int rc, const char *url, char *msg, size_t n);

/* The wait until the HTTP date v (a Retry-After), in milliseconds, on the
 * local clock (http_run()'s transfers count from the answer's Date
 * instead): 0 when it has passed, -1 when v is no date. */
long http_date_delay_ms(const char *v);

/* Can libcurl send a request to url: a host, a port from 0 to 65535, no
 * blank or control character?  0, or -1 with its reason in why. */
int http_url_check(const char *url, char *why, size_t n);
/* name=value&... with value URL-encoded; -1 on overflow. */
int http_query_add(struct buf *q, const char *name, const char *value);

#endif
