/*
 * trades.h - the Data API's GET /trades as raw records (source "data",
 * endpoint "trades"): the trades of the markets read (their condition ids
 * batched into market= lists), of one wallet (user=), or the unscoped
 * feed.  Every answer page is one raw record, the page array as received.
 *
 * Pages go newest first by offset.  The API refuses an offset past its
 * cap with a 400; a scope with start/end (a market list or a user) then
 * narrows its window to end at the oldest trade seen and starts again at
 * offset 0, so it is fetched completely however many trades it has.  The
 * unscoped feed ignores start/end: past its cap it cannot go on, and says
 * so with a failure record.
 *
 * No trade without its market: a trade whose condition id was not among
 * the markets handed in gets its market fetched from Gamma by condition
 * id (closed=false, then closed=true: Gamma hides closed markets unless
 * asked) and written as a raw Gamma market record.
 *
 * Ownership: a struct trades borrows the fetch, the rate table and the
 * query (they must outlive it); trades_free() releases what it owns.
 */
#ifndef PM_TRADES_H
#define PM_TRADES_H

#include "fetch.h"
#include "ratelimit.h"

struct trades_query {
	const char	*base;		/* https://data-api.polymarket.com */
	const char	*gamma;		/* Gamma, for markets by condition id */
	const char	*user;		/* user=ADDR, or NULL */
	int		 feed;		/* the unscoped feed */
	const char	*taker_only;	/* "true", "false", or NULL (the API's
					 * default: true) */
	const char	*side;		/* BUY, SELL or NULL */
	const char	*filter_type;	/* CASH, TOKENS or NULL */
	const char	*filter_amount;
	long long	 start, end;	/* epoch seconds inclusive, -1: none */
	int		 batch;		/* condition ids a request */
	int		 page_size;	/* limit= */
};

struct trades;

struct trades *trades_new(struct fetch *f, struct rl_table *rl,
    const struct trades_query *q);
void trades_free(struct trades *t);

/* A market read: its condition id and its watermark (epoch seconds, -1
 * none).  Fetched for its trades unless --user or the feed is the scope;
 * either way its trades need no market lookup.  -1 when out of memory. */
int trades_market(struct trades *t, const char *cond, size_t n,
    long long since);

/* Input is over: the user or feed scope, what is batched, the markets
 * still unknown; waits for every answer. */
void trades_finish(struct trades *t);

unsigned long trades_failures(const struct trades *t);

#endif
