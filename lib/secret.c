/* secret.c - secrets, child environments and masking (see secret.h). */
#define _GNU_SOURCE	/* memmem */
#include <stdlib.h>
#include <string.h>

#include "secret.h"

extern char **environ;

static const char *const fixed[] = { "DATABASE_URL", "SUPABASE_DB_URL",
    "PGPASSWORD", "PM_NOTIFY_URL", "OPENAI_API_KEY", "GEMINI_API_KEY" };
static const char *const suffixes[] = { "_KEY", "_TOKEN", "_SECRET",
    "_PASSWORD" };
static const char *const allowed[] = { "PATH", "HOME", "LANG", "TZ",
    "TMPDIR" };

struct secrets {
	char	**v;		/* longest first, so a URL goes before its
				 * password */
	size_t	  n;
};

int
secret_name(const char *name, char *const extra[], size_t nextra)
{
	size_t i, nl = strlen(name), sl;

	for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		if (strcmp(name, fixed[i]) == 0)
			return 1;
	for (i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		sl = strlen(suffixes[i]);
		if (nl > sl && strcmp(name + nl - sl, suffixes[i]) == 0)
			return 1;
	}
	for (i = 0; i < nextra; i++)
		if (extra[i] && *extra[i] && strcmp(name, extra[i]) == 0)
			return 1;
	return 0;
}

static int
add(struct secrets *s, const char *p, size_t n)
{
	char **v, *c;
	size_t i;

	if (n < SECRET_MIN)
		return 0;
	for (i = 0; i < s->n; i++)
		if (strlen(s->v[i]) == n && memcmp(s->v[i], p, n) == 0)
			return 0;
	if ((c = strndup(p, n)) == NULL ||
	    (v = realloc(s->v, (s->n + 1) * sizeof *v)) == NULL) {
		free(c);
		return -1;
	}
	s->v = v;
	v[s->n++] = c;
	return 0;
}

static int
hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A password as written and percent-decoded. */
static int
add_password(struct secrets *s, const char *p, size_t n)
{
	char *d;
	size_t i, o = 0;
	int rc;

	if (add(s, p, n) == -1 || (d = malloc(n + 1)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (p[i] == '%' && i + 2 < n &&
		    hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
			d[o++] = (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
			i += 2;
		} else
			d[o++] = p[i];
	rc = add(s, d, o);
	free(d);
	return rc;
}

/* A quoted value of a key=value string from q (after its quote), as
 * libpq reads it: \' and \\ are ' and \. */
static int
add_quoted(struct secrets *s, const char *q)
{
	char *d;
	size_t o = 0;
	int rc;

	if ((d = malloc(strlen(q) + 1)) == NULL)
		return -1;
	for (; *q && *q != '\''; q++)
		d[o++] = *q == '\\' && q[1] ? *++q : *q;
	rc = add(s, d, o);
	free(d);
	return rc;
}

/* user:password@ of a URL, and password=... of a connection string
 * (password = '...' quoted too). */
static int
add_parts(struct secrets *s, const char *v)
{
	const char *a, *end, *at, *colon, *q, *e;

	if ((a = strstr(v, "://")) != NULL) {
		a += 3;
		end = a + strcspn(a, "/?#");
		for (at = end; at > a && at[-1] != '@'; at--)
			;
		if (at > a && (colon = memchr(a, ':', (size_t)(at - 1 - a))) &&
		    add_password(s, colon + 1, (size_t)(at - 2 - colon)) == -1)
			return -1;
	}
	for (q = v; (q = strstr(q, "password")) != NULL; q = e) {
		e = q + 8 + strspn(q + 8, " \t");
		if (*e != '=')
			continue;
		e += 1 + strspn(e + 1, " \t");
		if (*e == '\'' ? add_quoted(s, e + 1) == -1 :
		    add_password(s, e, strcspn(e, "& \t")) == -1)
			return -1;
	}
	return 0;
}

/* The value as it reads inside a JSON string, when that differs. */
static int
add_json(struct secrets *s, const char *v)
{
	size_t n = strlen(v), i, o = 0;
	char *e;
	int rc;

	if (strpbrk(v, "\"\\/") == NULL)
		return 0;
	if ((e = malloc(2 * n + 1)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] == '"' || v[i] == '\\' || v[i] == '/')
			e[o++] = '\\';
		e[o++] = v[i];
	}
	rc = add(s, e, o);
	free(e);
	return rc;
}

static int
longest_first(const void *a, const void *b)
{
	size_t x = strlen(*(char *const *)a), y = strlen(*(char *const *)b);

	return x < y ? 1 : x > y ? -1 : 0;
}

struct secrets *
secrets_new(char *const extra[], size_t nextra)
{
	struct secrets *s;
	char **e, name[256];
	const char *eq;
	size_t i, n0;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	for (e = environ; e && *e; e++) {
		if ((eq = strchr(*e, '=')) == NULL ||
		    (size_t)(eq - *e) >= sizeof name)
			continue;
		memcpy(name, *e, (size_t)(eq - *e));
		name[eq - *e] = 0;
		if (!secret_name(name, extra, nextra))
			continue;
		n0 = s->n;
		if (add(s, eq + 1, strlen(eq + 1)) == -1 ||
		    add_parts(s, eq + 1) == -1)
			goto fail;
		for (i = n0; i < s->n && i < n0 + 8; i++)
			if (add_json(s, s->v[i]) == -1)
				goto fail;
	}
	if (s->n)
		qsort(s->v, s->n, sizeof *s->v, longest_first);
	return s;
fail:
	secrets_free(s);
	return NULL;
}

void
secrets_free(struct secrets *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	free(s);
}

size_t
secret_mask(const struct secrets *s, char *p, size_t n)
{
	size_t i, vl, off;
	char *hit;

	for (i = 0; s && i < s->n; i++) {
		vl = strlen(s->v[i]);
		off = 0;
		while (off + vl <= n &&
		    (hit = memmem(p + off, n - off, s->v[i], vl)) != NULL) {
			memcpy(hit, "***", 3);
			memmove(hit + 3, hit + vl, n - (size_t)(hit + vl - p));
			n -= vl - 3;
			off = (size_t)(hit + 3 - p);
		}
	}
	return n;
}

size_t
secret_longest(const struct secrets *s)
{
	return s && s->n ? strlen(s->v[0]) : 0;	/* longest first */
}

void
secret_mask_str(const struct secrets *s, char *str)
{
	size_t n = secret_mask(s, str, strlen(str));

	str[n] = 0;
}

static int
allowed_name(const char *e, const char *eq)
{
	size_t i, n = (size_t)(eq - e);

	if (n > 3 && strncmp(e, "LC_", 3) == 0)
		return 1;
	for (i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		if (strlen(allowed[i]) == n && strncmp(e, allowed[i], n) == 0)
			return 1;
	return 0;
}

static int
listed(const char *e, const char *eq, char *const names[], size_t n)
{
	size_t i, l = (size_t)(eq - e);

	for (i = 0; i < n; i++)
		if (strlen(names[i]) == l && strncmp(e, names[i], l) == 0)
			return 1;
	return 0;
}

char **
secret_env(char *const names[], size_t n)
{
	char **env, **e;
	const char *eq;
	size_t k = 0, cap = 1;

	for (e = environ; e && *e; e++)
		cap++;
	if ((env = calloc(cap, sizeof *env)) == NULL)
		return NULL;
	for (e = environ; e && *e; e++) {
		if ((eq = strchr(*e, '=')) == NULL || (!allowed_name(*e, eq) &&
		    !listed(*e, eq, names, n)))
			continue;
		if ((env[k++] = strdup(*e)) == NULL) {
			secret_env_free(env);
			return NULL;
		}
	}
	return env;
}

void
secret_env_free(char **env)
{
	char **e;

	for (e = env; e && *e; e++)
		free(*e);
	free(env);
}
