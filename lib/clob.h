/*
 * clob.h - current prices and price history of tokens, as raw records.
 *
 * Tokens are handed in one by one (from market records) and fetched as
 * they come: in batches through POST /prices (both sides of every token),
 * or one request per token (GET /price, /midpoint, /book,
 * /last-trade-price, /prices-history) with many in flight.  Each answer
 * becomes one raw record whose request object says which token, market
 * and outcome it is about, which is what pm-normalize needs to make price
 * records of it.  A token already asked for is not asked for again.  A
 * request that fails is a failure record, naming its market when it is
 * one token's; each token a POST /prices answer leaves out (it has no
 * book) is a skip record (no_order_book).
 *
 * Ownership: a struct clob borrows the fetch, the rate table and the
 * query (they must outlive it) and owns its pending batch; clob_free()
 * releases it without sending it (call clob_finish() first).
 */
#ifndef PM_CLOB_H
#define PM_CLOB_H

#include "fetch.h"
#include "ratelimit.h"

struct clob_query {
	const char	*base;		/* https://clob.polymarket.com */
	const char	*endpoint;	/* prices, price, midpoint, book,
					 * last-trade-price, prices-history */
	const char	*side;		/* price: "BUY", "SELL", NULL both */
	int		 batch;		/* prices: tokens a request, 1-500 */
	const char	*interval;	/* prices-history, each NULL or text */
	const char	*fidelity;
	const char	*start_ts;
	const char	*end_ts;
	int		 resume;	/* prices-history: a token's watermark,
					 * when it has one, instead of the
					 * interval (none of the above given) */
	long long	 now;		/* the run's clock, epoch seconds */
	long long	 start, end;	/* prices-history with start_ts: the
					 * window, end_ts or else now, epoch
					 * seconds */
};

/* A prices-history window asked from a watermark goes in requests of at
 * most a day each: the span of the interval=1d asked without one, which
 * the API answers at any fidelity (it refuses a window of some two
 * weeks, and caps fine ones). */
#define CLOB_HISTORY_CHUNK 86400	/* seconds */

/* A closed market's history is asked up to its close and so much after
 * it: the CLOB's clock and Gamma's closedTime may not quite agree. */
#define CLOB_CLOSE_MARGIN 3600	/* seconds */

/* The longest POST /prices request object (500 tokens of 80 digits, each
 * with its market id and outcome): a bound, not a size. */
#define CLOB_REQ_MAX (16 * 1024 * 1024)

/* What a market record says of its tokens (pm-store --export market). */
struct clob_market {
	long long	 since;		/* history_since, epoch seconds; -1 none */
	int		 closed;	/* closed: it has no order book */
	long long	 closed_at;	/* closed_time, epoch seconds; -1 none */
};

struct clob;

struct clob *clob_new(struct fetch *f, struct rl_table *rl,
    const struct clob_query *q);
void clob_free(struct clob *c);

/* Ask for a token's prices; -1 when out of memory.  May run the fetch
 * for a while so that what waits stays bounded.  A closed market's
 * tokens have no quotes to ask (the CLOB has no book of them), only a
 * history.  prices-history with resume set asks from the market's
 * watermark to q->now, in windows of CLOB_HISTORY_CHUNK, where it is
 * before q->now; a closed market's window ends at its close (and
 * CLOB_CLOSE_MARGIN), nothing asked when the watermark is past it, the
 * day before it without a watermark.  A window given (start_ts) goes in
 * the same requests, from q->start to q->end, when it is not empty. */
int clob_token(struct clob *c, const char *token, size_t tn,
    const char *market_id, size_t mn, const char *outcome, size_t on,
    const struct clob_market *m);

/* Send what is left and wait for every answer. */
void clob_finish(struct clob *c);

unsigned long clob_failures(const struct clob *c);
unsigned long clob_records(const struct clob *c);

/* 1 when the endpoint is one clob_query knows. */
int clob_endpoint_known(const char *e);

#endif
