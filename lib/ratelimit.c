/* ratelimit.c - per-endpoint token buckets, shared between processes
 * through a state file (see ratelimit.h). */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "ratelimit.h"

/* Polymarket's rate-limits page: requests per 10 seconds.  A bucket's
 * place in this list is its record's place in a state file: append. */
static const struct {
	const char	*name;
	double		 n;
	int		 api;
} published[] = {
	{ "markets", 300, RL_GAMMA }, { "events", 500, RL_GAMMA },
	{ "prices", 500, RL_CLOB }, { "price", 1500, RL_CLOB },
	{ "book", 1500, RL_CLOB }, { "midpoint", 1500, RL_CLOB },
	{ "prices-history", 1000, RL_CLOB },
	{ "last-trade-price", 1500, RL_CLOB },
	{ "trades", 200, RL_DATA },	/* Data API; the API overall 1,000 */
	{ "other", 4000, RL_LOCAL },
	{ "listing", 900, RL_GAMMA },	/* /markets + /events listings */
};
#define NPUB (sizeof published / sizeof *published)
#define WINDOW 10.0

/* A state file: a header, then one record per bucket. */
#define MAGIC "pm-budget-1"
struct rec {
	double	 tokens, last, paused_until, valid;
};

struct rl_shared {
	int	 fd;
	double	 pause_max;	/* rl_pause_max() */
};

struct rl_table {
	struct rl_bucket b[NPUB];
	struct rl_shared sh[RL_NAPI];
};

double
rl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

unsigned int
rl_seed(double t)
{
	return (unsigned int)(uint64_t)(t * 1e6);
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

static struct rl_bucket *find(struct rl_table *, const char *, size_t);

struct rl_table *
rl_new(void)
{
	struct rl_table *t;
	size_t i;

	if ((t = calloc(1, sizeof *t)) == NULL)
		return NULL;
	for (i = 0; i < RL_NAPI; i++) {
		t->sh[i].fd = -1;
		t->sh[i].pause_max = 86400;
	}
	for (i = 0; i < NPUB; i++) {
		if ((t->b[i].name = strdup(published[i].name)) == NULL) {
			rl_free(t);
			return NULL;
		}
		size_bucket(&t->b[i], published[i].n, WINDOW);
		t->b[i].api = published[i].api;
		t->b[i].slot = (int)i;
	}
	find(t, "markets", 7)->parent = find(t, "listing", 7);
	find(t, "events", 6)->parent = find(t, "listing", 7);
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
	for (i = 0; i < RL_NAPI; i++)
		if (t->sh[i].fd != -1)
			close(t->sh[i].fd);
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

/* A faster /markets or /events asked for by --rate raises the budget of
 * both listings together to their sum, unless that one was given too. */
static void
raise_listing(struct rl_table *t)
{
	struct rl_bucket *l = find(t, "listing", 7),
	    *m = find(t, "markets", 7), *e = find(t, "events", 6);
	double sum = m->rate + e->rate;

	if (l->set || sum <= l->rate)
		return;
	l->rate = sum;
	l->burst = m->burst + e->burst;
	l->tokens = l->burst;
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
		    "NAME one of markets, events, listing, prices, price, "
		    "book, midpoint, prices-history, last-trade-price, "
		    "trades, other",
		    spec);
		return -1;
	}
	/* strtod() skips blanks: "markets= 10" is no form of the page */
	errno = 0;
	n = strtod(eq + 1, &end);
	if (*end == '/')
		w = strtod(end + 1, &end);
	if (strpbrk(eq + 1, " \t\n\v\f\r") != NULL || errno || *end ||
	    !(n >= 1 && n <= 1e7) || !(w >= 0.001 && w <= 3600)) {
		snprintf(err, (size_t)errlen, "%s: N from 1 to 10000000 "
		    "requests per 0.001 to 3600 seconds", spec);
		return -1;
	}
	size_bucket(b, n, w);
	b->set = 1;
	raise_listing(t);
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

/* -- the state file ------------------------------------------------- */

/* A bucket's record, or a full bucket when there is none yet, it is
 * from before a reboot (the monotonic clock started again) or it is no
 * record a process wrote: a NaN time never refilled, and the process
 * waited for ever; a deep debt for hours (a token is taken only from
 * a bucket holding one, so none is stored below 0). */
static void
load(struct rl_bucket *b, double now)
{
	struct rec r;
	off_t off = (off_t)(sizeof MAGIC + sizeof r * (size_t)b->slot);

	if (pread(b->sh->fd, &r, sizeof r, off) != (ssize_t)sizeof r ||
	    r.valid != 1 || !(r.last <= now + 1) ||
	    !(r.paused_until <= now + 86400) ||
	    !(r.tokens >= -1 && r.tokens <= 1e9)) {
		b->tokens = b->burst;
		b->last = now;
		b->paused_until = 0;
		return;
	}
	/* Another process's --rate may allow a larger burst. */
	b->tokens = r.tokens < b->burst ? r.tokens : b->burst;
	b->last = r.last;
	b->paused_until = r.paused_until;
	/* Another process's pause, cut as this one's own would be, from
	 * when it was first seen here: one that waited up to its
	 * --retry-after-max made every other wait as long, whatever
	 * theirs.  The file keeps the pause (store()). */
	if (r.paused_until > now + b->sh->pause_max) {
		if (r.paused_until != b->pause_seen) {
			b->pause_seen = r.paused_until;
			b->pause_cut = now + b->sh->pause_max;
		}
		b->paused_until = b->pause_cut;
	}
}

static void
store(struct rl_bucket *b)
{
	struct rec r = { b->tokens, b->last, b->paused_until >
	    b->pause_seen ? b->paused_until : b->pause_seen, 1 };
	off_t off = (off_t)(sizeof MAGIC + sizeof r * (size_t)b->slot);

	/* A lost write only makes the next process trust a fuller bucket
	 * for one window: nothing to report. */
	if (pwrite(b->sh->fd, &r, sizeof r, off) != (ssize_t)sizeof r)
		return;
}

static void
refill(struct rl_bucket *b, double now)
{
	if (now > b->last) {
		b->tokens += (now - b->last) * b->rate;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
		b->last = now;
	}
}

/* The wait before b (and p) could give a token; 0 when both can now. */
static double
wait_for(const struct rl_bucket *b, double now)
{
	double w = 0, x;

	if (now < b->paused_until)
		w = b->paused_until - now;
	if (b->tokens < 1 && (x = (1 - b->tokens) / b->rate) > w)
		w = x;
	return w;
}

static double
take(struct rl_bucket *b, struct rl_bucket *p, double now)
{
	double w, x;

	refill(b, now);
	if (p)
		refill(p, now);
	w = wait_for(b, now);
	if (p && (x = wait_for(p, now)) > w)
		w = x;
	if (w > 0)
		return w > 1e-4 ? w : 1e-4;
	b->tokens -= 1;
	b->taken++;
	if (p) {
		p->tokens -= 1;
		p->taken++;
	}
	return 0;
}

double
rl_take(struct rl_bucket *b, double now)
{
	struct rl_bucket *p = b->parent;
	double w;

	if (b->sh == NULL || (p && p->sh != b->sh))
		return take(b, p, now);
	/* Another process may take what is refilling: ask the file again
	 * only when this process's own estimate says it is worth it. */
	if (now < b->next_try)
		return b->next_try - now;
	if (flock(b->sh->fd, LOCK_EX) == -1)
		return take(b, p, now);
	load(b, now);
	if (p)
		load(p, now);
	if ((w = take(b, p, now)) == 0) {
		store(b);
		if (p)
			store(p);
	} else
		b->next_try = now + w;
	flock(b->sh->fd, LOCK_UN);
	return w;
}

void
rl_pause(struct rl_bucket *b, double until)
{
	if (b->sh && flock(b->sh->fd, LOCK_EX) == 0) {
		load(b, rl_now());
		if (until > b->paused_until)
			b->paused_until = until;
		store(b);
		flock(b->sh->fd, LOCK_UN);
	}
	if (until > b->paused_until)
		b->paused_until = until;
	if (until > b->next_try)
		b->next_try = until;
}

void
rl_pause_max(struct rl_table *t, double seconds)
{
	size_t i;

	for (i = 0; i < RL_NAPI; i++)
		t->sh[i].pause_max = seconds;
}

/* mkdir, a directory already there being fine. */
static int
mkdir_ok(const char *path)
{
	return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* The state directory, created 0700 when missing; 0 when there is none
 * to use.  Not $XDG_RUNTIME_DIR: a login session has it and cron has
 * not, and the user's flows of both must meet in one file. */
static int
state_dir(char *dir, size_t n)
{
	const char *s;
	int toolong;

	if ((s = getenv("PM_STATE_DIR")) && *s) {
		/* Asked for by name: say why it cannot be. */
		toolong = (size_t)snprintf(dir, n, "%s", s) >= n;
		if (toolong || mkdir_ok(dir) == -1) {
			msg("PM_STATE_DIR: %s: %s; the rate budget is this "
			    "process's alone", s, toolong ? "too long" :
			    strerror(errno));
			return 0;
		}
		return 1;
	} else if ((s = getenv("HOME")) && *s) {
		if ((size_t)snprintf(dir, n, "%s/.cache", s) >= n ||
		    mkdir_ok(dir) == -1 ||
		    (size_t)snprintf(dir, n, "%s/.cache/pm", s) >= n)
			return 0;
	} else
		return 0;
	return mkdir_ok(dir) == 0;
}

/* A host's or port's characters, as safe in a file name: a host name in
 * lower case (it is case-insensitive), an IPv6 address's colons as '-'. */
static size_t
put_safe(char *out, size_t k, size_t n, const char *s, size_t len)
{
	size_t i;
	char c;

	for (i = 0; i < len && k + 1 < n; i++, k++) {
		c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') :
		    s[i];
		out[k] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' ? c : c == ':' ? '-' : '_';
	}
	out[k] = 0;
	return k;
}

/* budget-HOST-PORT of a base URL: one file for every spelling of a
 * host and port (the host's case, the dot that ends a fully qualified
 * name, a default port given or not, zeros before it). */
static void
file_name(const char *base, char *out, size_t n)
{
	const char *h = strstr(base, "://"), *port;
	size_t len, hl, pl;
	int https = strncasecmp(base, "https:", 6) == 0;

	h = h ? h + 3 : base;
	len = strcspn(h, "/?#");
	if (h[0] == '[' && (port = memchr(h, ']', len)) != NULL)
		port++;
	else
		port = memchr(h, ':', len);
	if (port == NULL)
		port = h + len;
	hl = (size_t)(port - h);
	while (hl > 0 && h[hl - 1] == '.')
		hl--;
	if (port < h + len && *port == ':')
		port++;
	pl = (size_t)(h + len - port);
	while (pl > 1 && *port == '0') {
		port++;
		pl--;
	}
	if (pl == 0) {
		port = https ? "443" : "80";
		pl = strlen(port);
	}
	len = put_safe(out, (size_t)snprintf(out, n, "budget-"), n, h, hl);
	put_safe(out, put_safe(out, len, n, "-", 1), n, port, pl);
}

/* Opened without following a link, the user's, nobody else's to write:
 * a planted link or file would let another user steer our budget, or
 * make us write where they choose. */
static int
open_state(const char *dir, const char *name)
{
	struct stat st;
	ssize_t n;
	int dfd, fd = -1;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		msg("%s: %s; the rate budget is this process's alone", dir,
		    errno == ELOOP || errno == ENOTDIR ? "not a directory, or "
		    "a symbolic link, not followed" : strerror(errno));
		return -1;
	}
	if (fstat(dfd, &st) == -1 || st.st_uid != geteuid() ||
	    (st.st_mode & 022)) {
		msg("%s: not the user's own directory, or others may write "
		    "to it; the rate budget is this process's alone", dir);
		goto out;
	}
	if ((fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1) {
		msg("%s/%s: %s; the rate budget is this process's alone", dir,
		    name, errno == ELOOP ? "a symbolic link, not followed" :
		    strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077)) {
		msg("%s/%s: not a regular file of the user's with mode 0600; "
		    "the rate budget is this process's alone", dir, name);
		close(fd);
		fd = -1;
		goto out;
	}
	/* A full disk, a quota: said, as for any file refused. */
	if (st.st_size == 0 && (n = write(fd, MAGIC, sizeof MAGIC)) !=
	    (ssize_t)sizeof MAGIC) {
		msg("%s/%s: %s; the rate budget is this process's alone", dir,
		    name, n == -1 ? strerror(errno) : "cut short");
		close(fd);
		fd = -1;
	}
out:
	close(dfd);
	return fd;
}

int
rl_share(struct rl_table *t, int api, const char *base)
{
	char dir[4096], name[256];
	size_t i;
	int fd;

	if (api <= RL_LOCAL || api >= RL_NAPI || t->sh[api].fd != -1)
		return 0;
	if (state_dir(dir, sizeof dir) == 0)
		return 0;
	file_name(base, name, sizeof name);
	if ((fd = open_state(dir, name)) == -1)
		return -1;
	t->sh[api].fd = fd;
	for (i = 0; i < NPUB; i++)
		if (t->b[i].api == api)
			t->b[i].sh = &t->sh[api];
	return 0;
}
