/*
 * ratelimit.h - one token bucket per API endpoint, sized from Polymarket's
 * published budgets (N requests per W seconds, Cloudflare sliding windows).
 *
 * A bucket never lets more than N requests through in any window of W
 * seconds: it refills at slightly under N/W and holds only a small burst,
 * so the limiter, not the server, is what slows a crawl down.  A bucket
 * can also be paused (a Retry-After from the server applies to the whole
 * endpoint).  Times are seconds on the monotonic clock (rl_now()).
 *
 * Ownership: a struct rl_table owns its buckets and their names; buckets
 * returned by rl_get() are borrowed until rl_free().
 */
#ifndef PM_RATELIMIT_H
#define PM_RATELIMIT_H

struct rl_bucket {
	char	*name;		/* "markets", "prices", ... */
	double	 rate;		/* tokens per second */
	double	 burst;		/* bucket size */
	double	 tokens;
	double	 last;		/* when tokens was computed */
	double	 paused_until;
	unsigned long taken;
};

struct rl_table;

double rl_now(void);

/* A table with Polymarket's published budgets for every endpoint. */
struct rl_table *rl_new(void);
void rl_free(struct rl_table *t);

/* Override from "NAME=N/SECONDS" or "NAME=N" (per 10 s); -1 when the
 * text does not parse (err says why). */
int rl_set(struct rl_table *t, const char *spec, char *err, int errlen);

/* The bucket for an endpoint ("markets/keyset" uses "markets"); one
 * generous bucket for names without a published budget. */
struct rl_bucket *rl_get(struct rl_table *t, const char *endpoint);

/* Take a token: 0 when taken, else the seconds to wait before asking
 * again (never 0). */
double rl_take(struct rl_bucket *b, double now);

void rl_pause(struct rl_bucket *b, double until);

#endif
