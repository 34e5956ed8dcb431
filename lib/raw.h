/*
 * raw.h - write `raw` records (pm-records(5)): one API object as received,
 * with where and when it came from and the SHA-256 of its bytes.
 *
 * Ownership: everything is borrowed for the call; the record goes to
 * standard output through out.h.  The payload must be minified JSON text
 * (json_minify); it is written byte for byte and hashed as written.
 * A NULL url or fetched_at is written null; a NULL request leaves the
 * member out (a bare payload wrapped by pm-normalize was never asked for).
 */
#ifndef PM_RAW_H
#define PM_RAW_H

#include <stddef.h>

struct raw_src {
	const char	*source;	/* "gamma" or "clob" */
	const char	*endpoint;	/* "markets/keyset", "prices", ... */
	const char	*url;		/* no secrets; or NULL */
	const char	*fetched_at;	/* or NULL */
	const char	*request;	/* a JSON object's text, or NULL */
	size_t		 requestlen;
	/* what the payload is about, or NULL: named by a failure in its
	 * place */
	const char	*market_id;
	const char	*event_key;
};

/* 0, or -1 when out of memory (nothing written).  sha, when not NULL,
 * gets the payload's hash: 64 hex digits and a NUL. */
int raw_emit(const struct raw_src *s, const char *payload, size_t len,
    char *sha);

#endif
