/*
 * record.h - records every tool writes the same way: failure, skip, end.
 *
 * Ownership: the structs hold borrowed strings; nothing is kept after the
 * call.  Each call writes one record to standard output (out.h) and, for a
 * failure, one message to standard error in the msg.h format.
 */
#ifndef PM_RECORD_H
#define PM_RECORD_H

struct failure {
	const char	*stage;		/* fetch, normalize, group, ... */
	const char	*reason;	/* bad_record, normalization_failed, ... */
	int		 retriable;
	const char	*file;		/* input position, or NULL */
	unsigned long	 line;
	const char	*market_id;	/* or NULL */
	const char	*event_key;	/* or NULL */
	const char	*url;		/* redacted, or NULL */
	const char	*detail;	/* short, human */
};

void rec_failure(const struct failure *f);
void rec_skip(const char *stage, const char *event_key, const char *why);
/* A market (one of its tokens when token_id is not NULL) left out, and
 * why: {kind:skip, stage, market_id, token_id, why}. */
void rec_skip_market(const char *stage, const char *market_id,
    const char *token_id, const char *why);
/* The last line of a stage that ended on its own: {kind:end, stage}. */
void rec_end(const char *stage);

#endif
