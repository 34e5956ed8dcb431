/* jw.c - JSON text writer (see jw.h). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jw.h"

static int
sep(struct buf *b)
{
	char c;

	if (b->len == 0)
		return 0;
	c = b->data[b->len - 1];
	if (c == '{' || c == '[' || c == ':' || c == ',')
		return 0;
	return buf_addc(b, ',');
}

int
jw_open(struct buf *b, char c)
{
	if (sep(b) == -1)
		return -1;
	return buf_addc(b, c);
}

int
jw_close(struct buf *b, char c)
{
	return buf_addc(b, c);
}

int
jw_key(struct buf *b, const char *key)
{
	if (jw_str(b, key, strlen(key)) == -1)
		return -1;
	return buf_addc(b, ':');
}

int
jw_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run;

	if (sep(b) == -1 || buf_reserve(b, n + 2) == -1)
		return -1;
	buf_addc(b, '"');
	for (i = 0; i < n; i = run) {
		unsigned char c;

		/* Copy the longest run that needs no escape in one go; look
		 * at eight bytes at a time while none of them needs one. */
		for (run = i; run + 8 <= n; run += 8) {
			uint64_t w, q, bs, ct;
			memcpy(&w, s + run, 8);
			q = w ^ 0x2222222222222222ULL;		/* '"' */
			bs = w ^ 0x5c5c5c5c5c5c5c5cULL;		/* '\\' */
			ct = w;					/* < 0x20 */
			if ((((q - 0x0101010101010101ULL) & ~q) |
			    ((bs - 0x0101010101010101ULL) & ~bs) |
			    ((ct - 0x2020202020202020ULL) & ~ct)) &
			    0x8080808080808080ULL)
				break;
		}
		for (; run < n; run++) {
			c = (unsigned char)s[run];
			if (c < 0x20 || c == '"' || c == '\\')
				break;
		}
		if (run > i && buf_add(b, s + i, run - i) == -1)
			return -1;
		if (run == n)
			break;
		c = (unsigned char)s[run++];
		switch (c) {
		case '"':  if (buf_add(b, STRCONST("\\\""))) return -1; break;
		case '\\': if (buf_add(b, STRCONST("\\\\"))) return -1; break;
		case '\n': if (buf_add(b, STRCONST("\\n"))) return -1; break;
		case '\r': if (buf_add(b, STRCONST("\\r"))) return -1; break;
		case '\t': if (buf_add(b, STRCONST("\\t"))) return -1; break;
		default: {
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			if (buf_add(b, u, 6) == -1)
				return -1;
		}
		}
	}
	return buf_addc(b, '"');
}

int
jw_strz(struct buf *b, const char *s)
{
	return s ? jw_str(b, s, strlen(s)) : jw_null(b);
}

/* The length of the well-formed UTF-8 sequence at s[0..n), 0 when none
 * begins there (RFC 3629's table: the second byte's range depends on the
 * first). */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, k;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;		/* overlong */
	else if (c == 0xed)
		hi = 0x9f;		/* surrogates */
	else if (c == 0xf0)
		lo = 0x90;		/* overlong */
	else if (c == 0xf4)
		hi = 0x8f;		/* past U+10FFFF */
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (k = 2; k < len; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	return len;
}

size_t
utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = utf8_seq(u + i, n - i)) == 0)
			break;
		i += k;
	}
	return i;
}

/* The terminal columns of code point c: 0 for a combining mark, 2 for
 * the wide (East Asian, emoji) blocks, else 1. */
static int
cp_cols(unsigned long c)
{
	if ((c >= 0x300 && c <= 0x36f) || (c >= 0x200b && c <= 0x200f) ||
	    (c >= 0xfe00 && c <= 0xfe0f))
		return 0;
	if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0x303e) ||
	    (c >= 0x3041 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) ||
	    (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) ||
	    (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) ||
	    (c >= 0x1f300 && c <= 0x1f64f) || (c >= 0x1f900 && c <= 0x1f9ff) ||
	    (c >= 0x20000 && c <= 0x3fffd))
		return 2;
	return 1;
}

int
utf8_pad(const char *s, int width)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, k, j;
	unsigned long c;
	int cols = 0;

	while (i < n && cols < width) {
		if ((k = utf8_seq(u + i, n - i)) <= 1) {
			cols++;		/* ASCII, or a byte shown as one */
			i++;
			continue;
		}
		c = u[i] & (0x7f >> k);
		for (j = 1; j < k; j++)
			c = c << 6 | (u[i + j] & 0x3f);
		cols += cp_cols(c);
		i += k;
	}
	return cols < width ? width - cols : 0;
}

void
utf8_clean(char *s, size_t n)
{
	size_t i;

	for (i = utf8_valid(s, n); i < n; i += utf8_valid(s + i, n - i))
		s[i++] = '?';
}

int
jw_text(struct buf *b, const char *s, size_t n)
{
	char *t;
	int r;

	if (utf8_valid(s, n) == n)
		return jw_str(b, s, n);
	if ((t = malloc(n ? n : 1)) == NULL)
		return -1;
	memcpy(t, s, n);
	utf8_clean(t, n);
	r = jw_str(b, t, n);
	free(t);
	return r;
}

int
jw_textz(struct buf *b, const char *s)
{
	return s ? jw_text(b, s, strlen(s)) : jw_null(b);
}

int
jw_null(struct buf *b)
{
	if (sep(b) == -1)
		return -1;
	return buf_add(b, STRCONST("null"));
}

int
jw_bool(struct buf *b, int v)
{
	if (sep(b) == -1)
		return -1;
	return v ? buf_add(b, STRCONST("true")) :
	    buf_add(b, STRCONST("false"));
}

int
jw_int(struct buf *b, int64_t v)
{
	char t[24];
	int n;

	if (sep(b) == -1)
		return -1;
	n = snprintf(t, sizeof t, "%" PRId64, v);
	return buf_add(b, t, (size_t)n);
}

int
jw_double(struct buf *b, double v)
{
	char t[40];

	if (!isfinite(v))
		return jw_null(b);
	if (sep(b) == -1)
		return -1;
	return buf_add(b, t, json_dtoa(v, t));
}

int
jw_raw(struct buf *b, const char *text, size_t n)
{
	if (sep(b) == -1)
		return -1;
	return buf_add(b, text, n);
}

int
jw_val(struct buf *b, const json_val *v)
{
	json_iter it;
	json_val e;
	const char *k, *s;
	size_t kl, n;
	int64_t i;
	double d;
	int t;

	switch (v->type) {
	case JSON_NULL:
		return jw_null(b);
	case JSON_BOOL:
		json_bool(v, &t);
		return jw_bool(b, t);
	case JSON_INT:
		json_int64(v, &i);
		return jw_int(b, i);
	case JSON_UINT:
	case JSON_DOUBLE:
		json_double(v, &d);
		return jw_double(b, d);
	case JSON_STRING:
		s = json_str(v, &n);
		return jw_str(b, s, n);
	case JSON_ARRAY:
	case JSON_OBJECT:
		if (jw_open(b, v->type == JSON_ARRAY ? '[' : '{') == -1)
			return -1;
		json_iter_init(&it, v);
		while (json_iter_next(&it, &k, &kl, &e)) {
			if (v->type == JSON_OBJECT &&
			    (jw_str(b, k, kl) == -1 || buf_addc(b, ':') == -1))
				return -1;
			if (jw_val(b, &e) == -1)
				return -1;
		}
		return jw_close(b, v->type == JSON_ARRAY ? ']' : '}');
	}
	return jw_null(b);
}

int
json_is_number(const char *s, size_t n)
{
	size_t i = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i >= n)
		return 0;
	if (s[i] == '0')
		i++;
	else if (s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		if (++i >= n || s[i] < '0' || s[i] > '9')
			return 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return i == n;
}
