/*
 * json.h - read-only JSON values, parsed by simdjson (lib/json.cc).
 *
 * The hot path of every tool: one parse per input line, no copies of
 * strings, no re-serialisation.
 *
 * Ownership: a json_parser owns its document.  Every json_val and every
 * string taken from it is a borrowed view into that document, valid until
 * the next json_parse() on the same parser or json_parser_free().  Strings
 * are NUL-terminated and also come with their length (they may hold NULs).
 * Nothing here allocates per value; json_parse() reuses its buffers.
 */
#ifndef PM_JSON_H
#define PM_JSON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes that must be readable (any value) after the end of a buffer given
 * to json_parse() with padded != 0.  lib/ndjson.c keeps them. */
#define JSON_PADDING 64

enum json_type {
	JSON_ABSENT = 0,	/* key not present: json_get() found nothing */
	JSON_NULL,
	JSON_BOOL,
	JSON_INT,		/* fits int64 */
	JSON_UINT,		/* fits uint64 only */
	JSON_DOUBLE,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
	JSON_HUGE		/* a number beyond a double (1e400) */
};

typedef struct json_parser json_parser;

/* A view of one value.  Copy it freely; it owns nothing. */
typedef struct {
	uint64_t opaque[2];	
	int type;		/* enum json_type */
} json_val;

/* An iterator over an array's elements or an object's members. */
typedef struct {
	uint64_t opaque[4];	
	int type;
} json_iter;

/* max_len: the largest document accepted (bounds the parser's memory). */
json_parser *json_parser_new(size_t max_len);
void json_parser_free(json_parser *p);

/*
 * Parse buf[0..len) (at most max_len bytes).  With padded != 0 the caller
 * guarantees JSON_PADDING readable, initialized bytes past len (simdjson
 * reads them: valgrind reports uninitialized ones) and nothing is copied;
 * otherwise the bytes are copied into a padded buffer first.  Returns 0 and
 * sets *root, or -1 and sets *err to a static message (invalid JSON,
 * invalid UTF-8, too deep...).
 *
 * Numbers are valid at any size: an integer beyond 64 bits is a
 * JSON_DOUBLE, its value rounded; a number beyond a double is JSON_HUGE,
 * which has no value (jw_val() writes null).  Only a text holding such
 * numbers pays for this (a second parse, from a rewritten private copy).
 * Whoever passes a value on keeps its bytes, not its parsed number.
 */
int json_parse(json_parser *p, const char *buf, size_t len, int padded,
    json_val *root, const char **err);

/* Member key of object obj; *out gets type JSON_ABSENT when missing.  Of
 * duplicate keys the last counts, as in jq (json_pick() too). */
void json_get(const json_val *obj, const char *key, json_val *out);

/* Scalar accessors: return 0 on success, -1 when the type does not fit. */
const char *json_str(const json_val *v, size_t *len);	/* NULL unless string */
int json_bool(const json_val *v, int *b);
int json_double(const json_val *v, double *d);		/* any number */
int json_int64(const json_val *v, int64_t *i);		/* JSON_INT only */
int json_uint64(const json_val *v, uint64_t *u);	/* JSON_UINT only */

/*
 * One pass over obj's members: for each key found in names[0..n) (sorted
 * by strcmp, checked by json_names_sorted()), slots[i] gets its value;
 * the other slots are JSON_ABSENT.  Much cheaper than n json_get() calls
 * on the wide objects Gamma sends.
 */
void json_pick(const json_val *obj, const char *const *names, size_t n,
    json_val *slots);
int json_names_sorted(const char *const *names, size_t n);

/* Number of elements (array) or members (object), 0 otherwise. */
size_t json_count(const json_val *v);

/* Iterate: key and keylen are set for objects only (may be NULL). */
void json_iter_init(json_iter *it, const json_val *container);
int json_iter_next(json_iter *it, const char **key, size_t *keylen,
    json_val *val);

/* The shortest text that reads back as d (finite d only); out has room
 * for 32 bytes.  Returns its length. */
size_t json_dtoa(double d, char *out);

/*
 * Remove insignificant white space from buf[0..len) into dst (at least len
 * bytes).  Returns the new length, or (size_t)-1 when buf is not JSON text
 * that can be minified.  Strings, key order and number text are kept.
 */
size_t json_minify(const char *buf, size_t len, char *dst);

/*
 * Each \uXXXX escape of a lone UTF-16 surrogate in the strings of
 * t[0..n) (a high one not followed by a low one, a low one alone), which
 * no UTF-8 text can hold and json_parse() refuses, becomes \ufffd, the
 * replacement character, in place (as many bytes).  A server that cut a
 * string inside a character sends them.  Returns how many were replaced.
 */
size_t json_fix_surrogates(char *t, size_t n);

/* The version of the simdjson library built in, e.g. "3.0.1". */
const char *json_lib_version(void);

#ifdef __cplusplus
}
#endif
#endif
