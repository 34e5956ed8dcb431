/* jspan.c - value byte ranges in minified JSON (see jspan.h). */
#include <string.h>

#include "jspan.h"

/* One past the end of the value starting at t[i], or 0 on error. */
static size_t
value_end(const char *t, size_t n, size_t i)
{
	int depth = 0, instr = 0;

	if (i >= n)
		return 0;
	if (t[i] != '"' && t[i] != '{' && t[i] != '[') {
		while (i < n && t[i] != ',' && t[i] != '}' && t[i] != ']')
			i++;
		return i;
	}
	for (; i < n; i++) {
		char c = t[i];

		if (instr) {
			if (c == '\\')
				i++;
			else if (c == '"') {
				instr = 0;
				if (depth == 0)
					return i + 1;
			}
		} else if (c == '"')
			instr = 1;
		else if (c == '{' || c == '[')
			depth++;
		else if ((c == '}' || c == ']') && --depth == 0)
			return i + 1;
	}
	return 0;
}

int
jspan_member(const char *t, size_t n, const char *key, struct jspan *out)
{
	size_t i = 1, kl = strlen(key), ke, ve;

	if (n < 2 || t[0] != '{')
		return -1;
	while (i < n && t[i] == '"') {
		if ((ke = value_end(t, n, i)) == 0 || ke >= n || t[ke] != ':')
			return -1;
		if ((ve = value_end(t, n, ke + 1)) == 0)
			return -1;
		if (ke - i - 2 == kl && memcmp(t + i + 1, key, kl) == 0) {
			out->off = ke + 1;
			out->len = ve - ke - 1;
			return 0;
		}
		i = ve;
		if (i < n && t[i] == ',')
			i++;
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
	*pos = end;
	return 1;
}
