/* dotenv.c - see dotenv.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotenv.h"
#include "msg.h"

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_key(char c, int first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (!first && c >= '0' && c <= '9');
}

/* After a closing quote: only blanks, then the end or a comment. */
static int
rest_is_empty(const char *p, const char *end)
{
	while (p < end && is_blank(*p))
		p++;
	return p == end || *p == '#';
}

/* A quoted value, p at its opening quote. */
static int
quoted(const char *p, const char *end, char *out, const char **why)
{
	char q = *p;

	for (p++; p < end && *p != q; p++) {
		if (q == '"' && *p == '\\' && p + 1 < end &&
		    (p[1] == '"' || p[1] == '\\'))
			p++;
		*out++ = *p;
	}
	*out = 0;
	if (p == end) {
		*why = q == '"' ? "unterminated double quote" :
		    "unterminated single quote";
		return -1;
	}
	if (!rest_is_empty(p + 1, end)) {
		*why = "text after the closing quote";
		return -1;
	}
	return 0;
}

/* An unquoted value: up to a blank-preceded '#', trailing blanks cut. */
static void
unquoted(const char *p, const char *end, char *out)
{
	const char *v = p, *e = p;

	for (; p < end; p++) {
		if (*p == '#' && p > v && is_blank(p[-1]))
			break;
		if (!is_blank(*p))
			e = p + 1;
	}
	memcpy(out, v, (size_t)(e - v));
	out[e - v] = 0;
}

int
dotenv_line(const char *line, size_t len, char *key, char *val,
    const char **why)
{
	const char *p = line, *end = line + len;
	size_t k = 0;

	if (end > p && end[-1] == '\r')
		end--;
	while (p < end && is_blank(*p))
		p++;
	if (p == end || *p == '#')
		return 0;
	if (end - p > 7 && memcmp(p, "export", 6) == 0 && is_blank(p[6]))
		for (p += 6; p < end && is_blank(*p); p++)
			;
	while (p < end && is_key(*p, k == 0))
		key[k++] = *p++;
	key[k] = 0;
	while (p < end && is_blank(*p))
		p++;
	if (k == 0 || p == end || *p != '=') {
		*why = "not KEY=VALUE";
		return -1;
	}
	for (p++; p < end && is_blank(*p); p++)
		;
	if (p < end && (*p == '"' || *p == '\''))
		return quoted(p, end, val, why) == -1 ? -1 : 1;
	unquoted(p, end, val);
	return 1;
}

/* Every line of f parsed first; set only when all are good. */
static int
load(FILE *f, const char *path)
{
	char *line = NULL, *key = NULL, *val = NULL, *all = NULL;
	size_t cap = 0, n_all = 0, lineno = 0;
	ssize_t n;
	const char *why;
	int rc = 0, r;

	while (rc == 0 && (n = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			n--;
		free(key);
		free(val);
		key = malloc((size_t)n + 1);
		val = malloc((size_t)n + 1);
		if (key == NULL || val == NULL) {
			msg("out of memory");
			rc = -1;
			break;
		}
		if ((r = dotenv_line(line, (size_t)n, key, val, &why)) == -1) {
			msg_at(path, lineno, "%s", why);
			rc = -1;
		} else if (r == 1) {
			size_t kl = strlen(key) + 1, vl = strlen(val) + 1;
			char *na = realloc(all, n_all + kl + vl);

			if (na == NULL) {
				msg("out of memory");
				rc = -1;
				break;
			}
			all = na;
			memcpy(all + n_all, key, kl);
			memcpy(all + n_all + kl, val, vl);
			n_all += kl + vl;
		}
	}
	for (size_t i = 0; rc == 0 && i < n_all;) {
		const char *k = all + i, *v = k + strlen(k) + 1;

		setenv(k, v, 0);
		i = (size_t)(v - all) + strlen(v) + 1;
	}
	free(line);
	free(key);
	free(val);
	free(all);
	return rc;
}

int
dotenv_load(const char *path, int must_exist)
{
	FILE *f = fopen(path, "r");
	int rc;

	if (f == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		msg("%s: %s", path, strerror(errno));
		return -1;
	}
	rc = load(f, path);
	fclose(f);
	return rc;
}

int
dotenv_settings(void)
{
	const char *f = getenv("PM_ENV_FILE");

	if (f != NULL && *f != 0)
		return dotenv_load(f, 1);
	return dotenv_load(".env", 0);
}
