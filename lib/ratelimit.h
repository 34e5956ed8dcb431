/*
 * ratelimit.h - one token bucket per API endpoint, sized from Polymarket's
 * published budgets (N requests per W seconds, Cloudflare sliding windows).
 *
 * A bucket never lets more than N requests through in any window of W
 * seconds: it refills at slightly under N/W and holds only a small burst,
 * so the limiter, not the server, is what slows a crawl down.  A bucket
 * can have a parent that every request also takes a token from: the
 * /markets and /events listings share the "listing" budget.  A bucket
 * can also be paused (a Retry-After from the server applies to the whole
 * endpoint).  Times are seconds on the monotonic clock (rl_now()), which
 * every process of the machine shares.
 *
 * Budgets are per client, not per process: after rl_share(), the buckets
 * of one API (its base URL's host and port) live in a small state file
 * that every pm-fetch of the user reads and writes under flock(2), so two
 * flows running at once stay under each budget together.  The file is
 * $PM_STATE_DIR, else ~/.cache/pm (never $XDG_RUNTIME_DIR, which cron
 * lacks), then budget-HOST-PORT; it is opened without following a
 * symbolic link, mode 0600, and refused unless it is a regular file of
 * the user's in a directory of the user's that nobody else can write to.
 *
 * Ownership: a struct rl_table owns its buckets, their names and the
 * state files' descriptors; buckets returned by rl_get() are borrowed
 * until rl_free().
 */
#ifndef PM_RATELIMIT_H
#define PM_RATELIMIT_H

struct rl_shared;

struct rl_bucket {
	char	*name;		/* "markets", "prices", ... */
	double	 rate;		/* tokens per second */
	double	 burst;		/* bucket size */
	double	 tokens;
	double	 last;		/* when tokens was computed */
	double	 paused_until;
	unsigned long taken;
	struct rl_bucket *parent;	/* also pays a token, or NULL */
	int	 api;		/* which API (RL_GAMMA, ...), RL_LOCAL */
	int	 slot;		/* its record in the state file */
	int	 set;		/* given by --rate */
	double	 next_try;	/* shared: not worth asking before */
	double	 pause_seen;	/* shared: a longer pause than ours, */
	double	 pause_cut;	/* and when we stop waiting for it */
	struct rl_shared *sh;	/* NULL: this process's alone */
};

/* The APIs a budget belongs to; RL_LOCAL: never shared. */
enum { RL_LOCAL, RL_GAMMA, RL_CLOB, RL_DATA, RL_NAPI };

struct rl_table;

double rl_now(void);
/* A seed (rand_r) from a clock reading t, as rl_now() gives: its
 * microseconds modulo 2^32 (they pass 2^32 after 72 minutes of uptime). */
unsigned int rl_seed(double t);

/* A table with Polymarket's published budgets for every endpoint. */
struct rl_table *rl_new(void);
void rl_free(struct rl_table *t);

/* Override from "NAME=N/SECONDS" or "NAME=N" (per 10 s); -1 when the
 * text does not parse (err says why). */
int rl_set(struct rl_table *t, const char *spec, char *err, int errlen);

/*
 * Share the budgets of one API (RL_GAMMA, RL_CLOB) with every other
 * process of the user that talks to base (a URL).  Call after rl_set()
 * and before any rl_take().  0 when shared or when there is no state
 * directory to share through (no HOME: the budget stays this process's);
 * -1 when the state file is unsafe (a symbolic link, another owner, a
 * directory others can write to), reported with msg(), the budget then
 * being this process's only.
 */
int rl_share(struct rl_table *t, int api, const char *base);

/* The bucket for an endpoint ("markets/keyset" uses "markets"); one
 * generous bucket for names without a published budget. */
struct rl_bucket *rl_get(struct rl_table *t, const char *endpoint);

/* Take a token (and one of the parent's): 0 when taken, else the seconds
 * to wait before asking again (never 0). */
double rl_take(struct rl_bucket *b, double now);

void rl_pause(struct rl_bucket *b, double until);

/* The longest pause another process's Retry-After (through the state
 * file) makes this one wait, in seconds: its own --retry-after-max, not
 * the other's (default 86400).  Call before rl_take(). */
void rl_pause_max(struct rl_table *t, double seconds);

#endif
