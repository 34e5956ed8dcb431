/*
 * dburl.c - database URLs, parsed and never guessed, and the redaction
 * of their passwords from URLs and from any message that may quote them
 * (libpq quotes a malformed URL, or a piece of it, in its own errors).
 * See db.h.
 */
#define _GNU_SOURCE	/* memmem */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_impl.h"

/* The libpq keywords a key=value connection string starts with. */
static const char *const pg_keys[] = {
	"host", "hostaddr", "port", "dbname", "user", "password", "passfile",
	"service", "sslmode", "options", "application_name",
	"connect_timeout", "target_session_attrs", "client_encoding",
};

/* "key =" at the start of s, key one of pg_keys. */
static int
is_conninfo(const char *s)
{
	size_t i, n = strspn(s, "abcdefghijklmnopqrstuvwxyz_");

	for (i = 0; i < sizeof pg_keys / sizeof *pg_keys; i++)
		if (strlen(pg_keys[i]) == n && strncmp(s, pg_keys[i], n) == 0)
			return s[n + strspn(s + n, " \t")] == '=';
	return 0;
}

/* An SQLite name that keeps nothing once the process ends. */
static int
is_memory(const char *path)
{
	return strcmp(path, ":memory:") == 0 || (strncmp(path, "file:", 5) == 0 &&
	    (strncmp(path + 5, ":memory:", 8) == 0 || strstr(path, "mode=memory")));
}

/* key=value added to a PostgreSQL URL or key=value string that does not
 * set key, nor its environment variable. */
static int
add_param(struct db_url *u, const char *key, const char *value,
    const char *env)
{
	size_t o = strlen(u->target);
	const char *sep = strstr(u->target, "://") == NULL ? " " :
	    strchr(u->target, '?') ? "&" : "?";

	if (strstr(u->target, key) || (getenv(env) && *getenv(env)))
		return 0;
	return snprintf(u->target + o, sizeof u->target - o, "%s%s=%s", sep,
	    key, value) < (int)(sizeof u->target - o) ? 0 : -1;
}

static int
set(struct db_url *u, int engine, const char *pre, const char *rest,
    int flags)
{
	u->engine = engine;
	if (snprintf(u->target, sizeof u->target, "%s%s", pre, rest) >=
	    (int)sizeof u->target)
		return -1;
	if (engine != DB_PG || !(flags & DB_TLS))
		return 0;
	return add_param(u, "sslmode", "require", "PGSSLMODE") == 0 &&
	    add_param(u, "target_session_attrs", "read-write",
	    "PGTARGETSESSIONATTRS") == 0 ? 0 : -1;
}

int
db_url_parse(const char *url, int flags, struct db_url *u, char *err,
    size_t errlen)
{
	const char *p = url, *sep = strstr(url, "://");
	size_t n = strspn(url, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");

	err[0] = 0;
	if (strncmp(p, "postgresql://", 13) == 0 || strncmp(p, "postgres://", 11) == 0)
		return set(u, DB_PG, "", url, flags);
	if (strncmp(p, "postgresql+psycopg://", 21) == 0 ||
	    strncmp(p, "postgresql+psycopg2://", 22) == 0)
		return set(u, DB_PG, "postgresql://", sep + 3, flags);
	if (is_conninfo(p))
		return set(u, DB_PG, "", url, flags);
	/* ClickHouse: pm-store's market store (lib/store_ch.c), which
	 * reads the URL itself; production wants it over TLS */
	if (strncmp(p, "clickhouses://", 14) == 0 ||
	    (strncmp(p, "clickhouse://", 13) == 0 && !(flags & DB_TLS)))
		return set(u, DB_CLICKHOUSE, "", url, 0);
	if (strncmp(p, "clickhouse://", 13) == 0)
		snprintf(err, errlen, "clickhouse://: production needs "
		    "ClickHouse over TLS (clickhouses://)");
	else if (strncmp(p, "sqlite:", 7) == 0)
		p += strncmp(p + 7, "//", 2) == 0 ? 9 : 7;
	else if (sep && sep == url + n && n > 0)
		snprintf(err, errlen, "%.*s: not a database URL scheme (a path, "
		    "sqlite:, postgresql://, clickhouse[s]:// or a libpq "
		    "key=value string)", (int)n, url);
	if (err[0] == 0 && *p == 0)
		snprintf(err, errlen, "an empty database path");
	else if (err[0] == 0 && is_memory(p) && !(flags & DB_MEMORY))
		snprintf(err, errlen, "%s: an in-memory database keeps nothing; "
		    "give a file", p);
	else if (err[0] == 0 && strncmp(p, "file:", 5) == 0 && !is_memory(p))
		/* SQLite would open the URI's file, every existence check
		 * (a reader's "no database here") test the path as written */
		snprintf(err, errlen, "%s: a file: URI, not a path; give the "
		    "path", p);
	else if (err[0] == 0 && (flags & DB_TLS))
		snprintf(err, errlen, "%s: SQLite cannot be reached over TLS",
		    p);
	if (err[0] == 0 && set(u, DB_SQLITE, "", p, 0) == -1)
		snprintf(err, errlen, "a database path too long");
	return err[0] ? -1 : 0;
}

/* s starts a key=value pair: blanks, a word, blanks and '='. */
static int
at_pair(const char *s)
{
	s += strspn(s, " \t");
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	s += strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_");
	return s[strspn(s, " \t")] == '=';
}

/* The '@' that ends a URI's user and password, after "//" at p: the
 * last one before the query, the first '?' a key= follows (an '@' of
 * application_name=pm@cron or sslrootcert=/home/ann@corp/ca.pem ends no
 * password), else the last of all (a password with a '?' in it);
 * NULL when there is none. */
static const char *
userinfo_end(const char *p)
{
	const char *q, *at = NULL, *a;

	for (q = strchr(p, '?'); q != NULL && !at_pair(q + 1) && q[1] != 0;
	    q = strchr(q + 1, '?'))
		;
	for (a = p; q != NULL && (a = memchr(a, '@', (size_t)(q - a))) != NULL;
	    a++)
		at = a;
	return at != NULL ? at : strrchr(p, '@');
}

/* Where a password sits in url: a URI's user:password@ (from the first
 * ':' after "//" to the '@' userinfo_end finds, generously) and every password=
 * value: unquoted, up to the next '&' in a URI, up to the next key=
 * or the end in a key=value string (a password with a blank that was
 * not quoted is libpq's error, and no piece of it may show in one).
 * Calls fn for each [start, end). */
static void
each_secret(const char *url, void (*fn)(const char *, const char *, void *),
    void *arg)
{
	const char *s, *at, *colon, *p, *e;

	if ((s = strstr(url, "://")) != NULL &&
	    (at = userinfo_end(s + 3)) != NULL &&
	    (colon = memchr(s + 3, ':', (size_t)(at - s - 3))) != NULL &&
	    colon + 1 < at)
		fn(colon + 1, at, arg);
	for (p = url; (p = strstr(p, "password")) != NULL; p = e) {
		e = p + 8 + strspn(p + 8, " \t");
		if (*e != '=')
			continue;
		e += 1 + strspn(e + 1, " \t");
		if (*e == '\'') {
			p = ++e;
			while (*e && !(*e == '\'' && e[-1] != '\\'))
				e++;
		} else {
			for (p = e; *e && *e != '&' && (s != NULL ||
			    !isspace((unsigned char)*e)); e++)
				;
			while (s == NULL && *e && !at_pair(e) &&
			    e[strspn(e, " \t")] != 0)
				e += strspn(e, " \t") + strcspn(e +
				    strspn(e, " \t"), " \t");
		}
		if (e > p)
			fn(p, e, arg);
	}
}

struct cut {
	char		*out;
	size_t		 n;
	const char	*src;
	const char	*done;	/* src copied up to here */
};

static void
cut_one(const char *start, const char *end, void *arg)
{
	struct cut *c = arg;
	size_t o = strlen(c->out);

	if (start < c->done)
		return;
	snprintf(c->out + o, c->n - o, "%.*s***", (int)(start - c->done),
	    c->done);
	c->done = end;
}

void
db_redact(const char *url, char *out, size_t n)
{
	struct cut c = { out, n, url, url };
	size_t o;

	out[0] = 0;
	each_secret(url, cut_one, &c);
	o = strlen(out);
	snprintf(out + o, n - o, "%s", c.done);
}

static void
star_one(const char *start, const char *end, void *arg)
{
	(void)arg;
	memset((char *)start, '*', (size_t)(end - start));
}

char *
db_url_hide(char *arg)
{
	static char *kept;
	char *copy;

	if (arg == NULL || (copy = strdup(arg)) == NULL)
		return arg;
	free(kept);
	kept = copy;
	each_secret(arg, star_one, NULL);
	return copy;
}

struct scrub {
	const char	*url;
	const char	*secret[8];	/* in url, but for dec */
	size_t		 len[8];
	int		 n;
	char		 dec[256];	/* the URI password, %-decoded */
};

static void
scrub_add(const char *start, const char *end, void *arg)
{
	struct scrub *sc = arg;
	const char *p;
	size_t o = 0;
	unsigned x;

	if (sc->n < 7) {
		sc->secret[sc->n] = start;
		sc->len[sc->n++] = (size_t)(end - start);
	}
	if (sc->dec[0] || sc->n != 1)
		return;
	for (p = start; p < end && o + 1 < sizeof sc->dec; p++)
		if (*p == '%' && end - p > 2 && sscanf(p + 1, "%2x", &x) == 1) {
			sc->dec[o++] = (char)x;
			p += 2;
		} else
			sc->dec[o++] = *p;
	sc->dec[o] = 0;
	sc->secret[sc->n] = sc->dec;
	sc->len[sc->n++] = o;
}

/* The text p..p+n is a piece of a secret, or url has it where a
 * password sits (an occurrence that overlaps one). */
static int
hides(const struct scrub *sc, const char *p, size_t n)
{
	const char *u, *s;
	int i;

	for (i = 0; i < sc->n; i++) {
		s = sc->secret[i];
		if (memmem(s, sc->len[i], p, n) != NULL)
			return 1;
		if (s == sc->dec)
			continue;
		for (u = sc->url; (u = memmem(u, strlen(u), p, n)) != NULL &&
		    u < s + sc->len[i]; u++)
			if (u + n > s)
				return 1;
	}
	return 0;
}

/* What to skip at p: a secret that starts there, or, right after a
 * '"', the longest quoted piece (up to a later '"' or the end) that
 * hides one: libpq quotes the part of a URL it could not read, which
 * may begin or end inside the password or hold a '"' of it.  0 if
 * neither. */
static size_t
secret_at(const struct scrub *sc, const char *m, const char *p)
{
	const char *q;
	size_t best = 0;
	int i;

	for (i = 0; i < sc->n; i++)
		if (sc->len[i] > best && strncmp(p, sc->secret[i],
		    sc->len[i]) == 0)
			best = sc->len[i];
	if (p == m || p[-1] != '"')
		return best;
	for (q = p; *q; q++)
		if (q[1] == 0 || q[1] == '"')
			if ((size_t)(q + 1 - p) > best &&
			    hides(sc, p, (size_t)(q + 1 - p)))
				best = (size_t)(q + 1 - p);
	return best;
}

void
db_redact_msg(const char *url, const char *m, char *out, size_t n)
{
	struct scrub sc = { .url = url, .n = 0 };
	const char *p;
	size_t o = 0, skip;

	each_secret(url, scrub_add, &sc);
	for (p = m; *p && o + 4 < n; ) {
		if ((skip = secret_at(&sc, m, p)) != 0) {
			memcpy(out + o, "***", 3);
			o += 3;
			p += skip;
		} else
			out[o++] = *p++;
	}
	out[o] = 0;
}
