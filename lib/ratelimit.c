/* ratelimit.c - per-endpoint token buckets (see ratelimit.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ratelimit.h"

/* API.md section 5: requests per 10 seconds. */
static const struct {
	const char	*name;
	double		 n;
} published[] = {
	{ "markets", 300 }, { "events", 500 }, { "prices", 500 },
	{ "price", 1500 }, { "book", 1500 }, { "midpoint", 1500 },
	{ "prices-history", 1000 }, { "last-trade-price", 1500 },
	{ "trades", 200 },	/* Data API; the API overall 1,000 */
	{ "other", 4000 },
};
#define NPUB (sizeof published / sizeof *published)
#define WINDOW 10.0

struct rl_table {
	struct rl_bucket b[NPUB];
};

double
rl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * At most burst + rate * W requests can pass in any window of W seconds;
 * keep that at 99% of N so clock jitter between us and the server's
 * window never turns into a 429.
 */
static void
size_bucket(struct rl_bucket *b, double n, double w)
{
	b->burst = 1 + n / 100;
	b->rate = (0.99 * n - b->burst) / w;
	if (b->rate <= 0)
		b->rate = n / w / 2;
	b->tokens = b->burst;
	b->last = rl_now();
}

struct rl_table *
rl_new(void)
{
	struct rl_table *t;
	size_t i;

	if ((t = calloc(1, sizeof *t)) == NULL)
		return NULL;
	for (i = 0; i < NPUB; i++) {
		if ((t->b[i].name = strdup(published[i].name)) == NULL) {
			rl_free(t);
			return NULL;
		}
		size_bucket(&t->b[i], published[i].n, WINDOW);
	}
	return t;
}

void
rl_free(struct rl_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < NPUB; i++)
		free(t->b[i].name);
	free(t);
}

static struct rl_bucket *
find(struct rl_table *t, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NPUB; i++)
		if (strlen(t->b[i].name) == len &&
		    memcmp(t->b[i].name, name, len) == 0)
			return &t->b[i];
	return NULL;
}

int
rl_set(struct rl_table *t, const char *spec, char *err, int errlen)
{
	const char *eq = strchr(spec, '=');
	struct rl_bucket *b;
	double n, w = WINDOW;
	char *end;

	if (eq == NULL || (b = find(t, spec, (size_t)(eq - spec))) == NULL) {
		snprintf(err, (size_t)errlen, "%s: want NAME=N[/SECONDS] with "
		    "NAME one of markets, events, prices, price, book, "
		    "midpoint, prices-history, last-trade-price, other", spec);
		return -1;
	}
	errno = 0;
	n = strtod(eq + 1, &end);
	if (*end == '/')
		w = strtod(end + 1, &end);
	if (errno || *end || !(n >= 1 && n <= 1e7) || !(w >= 0.001 && w <= 3600)) {
		snprintf(err, (size_t)errlen, "%s: N from 1 to 10000000 "
		    "requests per 0.001 to 3600 seconds", spec);
		return -1;
	}
	size_bucket(b, n, w);
	return 0;
}

struct rl_bucket *
rl_get(struct rl_table *t, const char *endpoint)
{
	size_t len = strcspn(endpoint, "/");
	struct rl_bucket *b;

	/* prices-history has a slash-free name of its own; markets/keyset
	 * and markets share the /markets budget. */
	if (strcmp(endpoint, "prices-history") == 0)
		len = strlen(endpoint);
	if ((b = find(t, endpoint, len)) == NULL)
		b = find(t, "other", 5);
	return b;
}

double
rl_take(struct rl_bucket *b, double now)
{
	double wait;

	if (now < b->paused_until)
		return b->paused_until - now;
	if (now > b->last) {
		b->tokens += (now - b->last) * b->rate;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
		b->last = now;
	}
	if (b->tokens >= 1) {
		b->tokens -= 1;
		b->taken++;
		return 0;
	}
	wait = (1 - b->tokens) / b->rate;
	return wait > 1e-4 ? wait : 1e-4;
}

void
rl_pause(struct rl_bucket *b, double until)
{
	if (until > b->paused_until)
		b->paused_until = until;
}
