/* jspan.c - value byte ranges in JSON text (see jspan.h). */
#include <string.h>

#include "jspan.h"

static size_t
ws(const char *t, size_t n, size_t i)
{
	while (i < n && (t[i] == ' ' || t[i] == '\n' || t[i] == '\t' ||
	    t[i] == '\r'))
		i++;
	return i;
}

/* One past the string whose quote is t[i], or 0.  memchr does the long
 * runs (descriptions, whole payloads' worth of text) at memory speed. */
static size_t
str_end(const char *t, size_t n, size_t i)
{
	const char *q;
	size_t j = i + 1, k;

	while (j < n && (q = memchr(t + j, '"', n - j)) != NULL) {
		j = (size_t)(q - t);
		for (k = j; k > i + 1 && t[k - 1] == '\\'; k--)
			;
		if ((j - k) % 2 == 0)
			return j + 1;
		j++;
	}
	return 0;
}

/* One past the end of the value starting at t[i], or 0 on error. */
static size_t
value_end(const char *t, size_t n, size_t i)
{
	int depth = 0;

	if (i >= n)
		return 0;
	if (t[i] == '"')
		return str_end(t, n, i);
	if (t[i] != '{' && t[i] != '[') {
		while (i < n && t[i] != ',' && t[i] != '}' && t[i] != ']' &&
		    t[i] != ' ' && t[i] != '\n' && t[i] != '\t' && t[i] != '\r')
			i++;
		return i;
	}
	for (; i < n; i++) {
		switch (t[i]) {
		case '"':
			if ((i = str_end(t, n, i)) == 0)
				return 0;
			i--;
			break;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (--depth == 0)
				return i + 1;
			break;
		}
	}
	return 0;
}

int
jspan_member(const char *t, size_t n, const char *key, struct jspan *out)
{
	size_t i = ws(t, n, 0), kl = strlen(key), ke, vs, ve;
	int found = -1;

	/* the last of duplicate keys, as json_get(): read to the end */
	if (i >= n || t[i] != '{')
		return -1;
	for (i = ws(t, n, i + 1); i < n && t[i] == '"'; i = ws(t, n, i + 1)) {
		if ((ke = str_end(t, n, i)) == 0)
			return -1;
		vs = ws(t, n, ke);
		if (vs >= n || t[vs] != ':')
			return -1;
		vs = ws(t, n, vs + 1);
		if ((ve = value_end(t, n, vs)) == 0)
			return -1;
		if (ke - i - 2 == kl && memcmp(t + i + 1, key, kl) == 0) {
			out->off = vs;
			out->len = ve - vs;
			found = 0;
		}
		i = ws(t, n, ve);
		if (i < n && t[i] == '}')
			return found;
		if (i >= n || t[i] != ',')
			return -1;
	}
	return found;
}

int
jspan_last(const char *t, size_t n, const char *key, struct jspan *out)
{
	size_t i = ws(t, n, 0), kl = strlen(key), ke, vs, ve, end = n;

	while (end > 0 && (t[end - 1] == ' ' || t[end - 1] == '\n' ||
	    t[end - 1] == '\t' || t[end - 1] == '\r'))
		end--;
	if (end == 0 || t[--end] != '}' || i >= end || t[i] != '{')
		return -1;
	for (i = ws(t, end, i + 1); i < end && t[i] == '"';
	    i = ws(t, end, i + 1)) {
		if ((ke = str_end(t, end, i)) == 0)
			return -1;
		vs = ws(t, end, ke);
		if (vs >= end || t[vs] != ':')
			return -1;
		vs = ws(t, end, vs + 1);
		if (ke - i - 2 == kl && memcmp(t + i + 1, key, kl) == 0) {
			/* the last member: its value runs to the brace */
			for (ve = end; ve > vs && (t[ve - 1] == ' ' ||
			    t[ve - 1] == '\n' || t[ve - 1] == '\t' ||
			    t[ve - 1] == '\r'); ve--)
				;
			if (ve == vs)
				return -1;
			out->off = vs;
			out->len = ve - vs;
			return 0;
		}
		if ((ve = value_end(t, end, vs)) == 0)
			return -1;
		i = ws(t, end, ve);
		if (i >= end || t[i] != ',')
			return -1;
	}
	return -1;
}

int
jspan_next(const char *t, size_t n, size_t *pos, struct jspan *e)
{
	size_t i = *pos, end;

	if (i >= n)
		return -1;
	if (t[i] == '[' || t[i] == ',')
		i++;
	else if (t[i] != ']')
		return -1;
	i = ws(t, n, i);
	if (i >= n)
		return -1;
	if (t[i] == ']') {
		*pos = i;
		return 0;
	}
	if ((end = value_end(t, n, i)) == 0)
		return -1;
	e->off = i;
	e->len = end - i;
	*pos = ws(t, n, end);
	return 1;
}
