/*
 * key.h - how a key is stored: market ids, event keys, token ids and the
 * other key columns of pm-store's tables (pm-records(5) LONG KEYS).
 *
 * A key of at most KEY_MAX bytes is stored as it is; a longer one (no
 * btree index takes a 1 MB market id) as its first bytes, whole UTF-8
 * characters, then "#sha256:" and the hex SHA-256 of the whole key:
 * KEY_MAX bytes at most, computed here, so every engine stores the same.
 * A short key that already ends like a stored long one is hashed too, so
 * no key can pass for another.  No ownership: out is the caller's.
 */
#ifndef PM_KEY_H
#define PM_KEY_H

#include <stddef.h>

#define KEY_MAX		256
#define KEY_PREFIX	184	/* KEY_MAX less "#sha256:" and 64 digits */

/* The stored form of s[0..n): s itself (*outn = n) or out, filled. */
const char *key_stored(const char *s, size_t n, char out[KEY_MAX + 1],
    size_t *outn);

/* A market id into a list of them joined by ',' (an event key, a
 * result's markets): '%' and ',' written %25 and %2C, so that no id can
 * pass for a list of them.  0, or -1 out of memory. */
struct buf;
int key_add_id(struct buf *b, const char *id, size_t n);

#endif
