/*
 * normalize.h - Polymarket API objects to market, event and price records
 * (the contract is pm-records(5)).  Used by pm-normalize; kept in lib/ so
 * the unit tests and fuzzers drive exactly the same code.
 *
 * Ownership: a struct normalizer owns its scratch buffers and the parser it
 * uses for the JSON-in-a-string fields; free it with norm_free().  Payloads
 * and sources are borrowed for the call.  Each record built is handed to
 * sink->record() in a buffer that is reused afterwards.
 */
#ifndef PM_NORMALIZE_H
#define PM_NORMALIZE_H

#include "buf.h"
#include "json.h"

struct norm_src {
	const char	*sha256;	/* raw_sha256 of the bronze row */
	const char	*fetched_at;	/* RFC 3339 UTC, or NULL */
	json_val	 request;	/* the raw record's request, or absent */
};

struct norm_sink {
	void	(*record)(void *arg, struct buf *rec);
	void	(*fail)(void *arg, const char *market_id,
		    const char *event_key, const char *detail);
	void	*arg;
};

struct normalizer;

struct normalizer *norm_new(size_t max_len);
void norm_free(struct normalizer *n);

/* Endpoints understood, for --endpoint and the raw records' field. */
int norm_endpoint_known(const char *endpoint);

/* A Gamma keyset page whole ({"$schema", "markets"|"events",
 * "next_cursor"}), not one object of it: the member that holds the list,
 * "markets" or "events"; else NULL. */
const char *norm_envelope(const json_val *payload);

/* A guess for a bare API object: "markets", "events", ... or NULL. */
const char *norm_detect(const json_val *payload);

/* Normalize one payload; returns the number of failures reported. */
int norm_payload(struct normalizer *n, const char *endpoint,
    const json_val *payload, const struct norm_src *src,
    const struct norm_sink *sink);

#endif
