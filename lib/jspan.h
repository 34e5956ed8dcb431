/*
 * jspan.h - byte ranges of values inside JSON text.
 *
 * simdjson's DOM forgets where a value came from, and a raw record must
 * carry each listed object's bytes exactly as received (key order, number
 * text, escapes), and pm-store keeps a raw payload as it came.  These
 * scanners find them in text json_parse() accepted (minified or not:
 * white space between tokens is skipped), so they need no error recovery
 * of their own: on anything unexpected they return -1.
 *
 * No ownership: spans point into the caller's text.
 */
#ifndef PM_JSPAN_H
#define PM_JSPAN_H

#include <stddef.h>

struct jspan {
	size_t	 off, len;
};

/* The value of top-level member `key` of the object t[0..n), the last of
 * duplicates as json_get() takes it; -1 if absent. */
int jspan_member(const char *t, size_t n, const char *key, struct jspan *out);

/* The same for a member the caller knows (from json_parse()'s tree) to
 * be the object's last and its only one named key: the members before it
 * are scanned, its value is taken to the closing brace without reading
 * it (a raw record's payload: most of its bytes).  -1 if it is not
 * found where it should be. */
int jspan_last(const char *t, size_t n, const char *key, struct jspan *out);

/*
 * Element iteration over the array at *pos (set *pos to the '[' first):
 * returns 1 and sets e to the next element, 0 at the end, -1 on error.
 */
int jspan_next(const char *t, size_t n, size_t *pos, struct jspan *e);

#endif
