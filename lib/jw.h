/*
 * jw.h - write JSON text into a struct buf.
 *
 * Separators are implied: jw_key() and every value written inside an
 * array put the comma themselves, by looking at the last byte written, so
 * callers only open, write and close.  Strings are escaped for JSON; their
 * bytes must already be valid UTF-8 (values from json.h always are), or be
 * written with jw_text(): text cut to a length, a file name, what a
 * program or a server said.  A record with a byte that is not is refused
 * whole by the next stage.
 * All functions return 0, or -1 when the buffer would pass its limit.
 * No ownership: the buffer belongs to the caller.
 */
#ifndef PM_JW_H
#define PM_JW_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "json.h"

int jw_open(struct buf *b, char c);		/* '{' or '[' */
int jw_close(struct buf *b, char c);		/* '}' or ']' */
int jw_key(struct buf *b, const char *key);
int jw_str(struct buf *b, const char *s, size_t n);
int jw_strz(struct buf *b, const char *s);	/* NULL writes null */
/* As jw_str and jw_strz, for bytes that may not be valid UTF-8: each
 * byte that does not begin a well-formed sequence is written as '?'. */
int jw_text(struct buf *b, const char *s, size_t n);
int jw_textz(struct buf *b, const char *s);	/* NULL writes null */
int jw_null(struct buf *b);
int jw_bool(struct buf *b, int v);
int jw_int(struct buf *b, int64_t v);
int jw_double(struct buf *b, double v);		/* shortest round trip */
int jw_raw(struct buf *b, const char *text, size_t n);	/* trusted JSON */
int jw_val(struct buf *b, const json_val *v);	/* copy a parsed value */

/* Make s[0..n) valid UTF-8 in place, as jw_text writes it: each byte
 * that does not begin a well-formed sequence (RFC 3629: no overlong
 * form, no surrogate, nothing past U+10FFFF, nothing cut) becomes '?'.
 * utf8_valid: the length of the longest valid prefix. */
void utf8_clean(char *s, size_t n);
size_t utf8_valid(const char *s, size_t n);
/* The spaces that pad text s to width terminal columns (0 when it is
 * as wide or wider): a character of the wide blocks takes two, a
 * combining mark none, each other character or stray byte one. */
int utf8_pad(const char *s, int width);

/* 1 when s[0..n) is a JSON number literal as RFC 8259 spells it. */
int json_is_number(const char *s, size_t n);

#endif
