/*
 * gamma.h - list Gamma markets or events as raw records, every page once.
 *
 * The listing is split into partitions (disjoint end-date ranges, closed
 * and open markets apart when both are asked for, id batches), each with
 * its own cursor, and all are paged at once through one struct fetch, so
 * a long listing runs at the endpoint's rate budget rather than at one
 * round trip per page.  Keyset paging sends `after_cursor`, stops when
 * `next_cursor` is absent and refuses a cursor it has already followed;
 * offset paging (the deprecated listing) stops at a short page and turns
 * the API's 422 at its offset ceiling into a clear failure.  An object is
 * written once even when partitions overlap or a page is retried: ids
 * already written are skipped.
 *
 * End-date partitions are listed in end-date order (order=endDate): a
 * partition stops where its range ends, and one that still has pages to
 * come when fewer cursors are left than the budget needs is halved while
 * it runs, so the listing keeps the endpoint's budget busy to its end.
 * An open end of the range is listed without an end-date filter, from
 * the open side inward: objects without an end date, which no end-date
 * filter matches, sort first on one of the two sides and are listed
 * there.  A bounded range (--end-date-min and --end-date-max) excludes
 * them, as the API's filters do.  Id lists are not ordered: their
 * partitions are plain filters; so are offset paging's, but for the top
 * end of a fully open range, ordered as above to read what has no end
 * date.
 *
 * Ownership: the query is borrowed for the call; raw and failure records
 * go to standard output (raw.h, record.h).
 */
#ifndef PM_GAMMA_H
#define PM_GAMMA_H

#include "fetch.h"
#include "ratelimit.h"

struct gamma_query {
	const char	*base;		/* https://gamma-api.polymarket.com */
	const char	*what;		/* "markets" or "events" */
	int		 offset_mode;	/* legacy listing with offset= */
	const char	*closed;	/* "true", "false", NULL: both */
	const char	*active;	/* "true", "false", NULL: not sent */
	const char	*end_min;	/* RFC 3339, inclusive; NULL: open */
	const char	*end_max;	/* RFC 3339, inclusive; NULL: open */
	const char	*updated_since;	/* RFC 3339; NULL: no delta */
	const char	*tag;		/* tag_id */
	char		**ids;
	int		 nids;
	unsigned long	 limit;		/* records in all; 0: no limit */
	int		 page_size;	/* 1 to 100 */
	int		 partitions;	/* end-date ranges, 1 or more; also
					 * the cursors kept busy */
};

struct gamma_result {
	unsigned long	 records;	/* raw records written */
	unsigned long	 duplicates;	/* objects seen twice, written once */
	unsigned long	 failures;	/* failure records written */
};

/* 0, or -1 when out of memory or a date does not parse (reported). */
int gamma_list(struct fetch *f, struct rl_table *rl,
    const struct gamma_query *q, struct gamma_result *res);

#endif
