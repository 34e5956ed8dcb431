/*
 * strset.h - a set of strings (open addressing, FNV-1a), for "written
 * once" checks: market and event ids across partitions, cursors already
 * followed; and, with strset_index(), a name's number for tallies keyed
 * by name (failure reasons, variants) without a linear search.
 *
 * Ownership: the set owns copies of the strings added; strset_free()
 * releases them all.
 */
#ifndef PM_STRSET_H
#define PM_STRSET_H

#include <stddef.h>

struct strset;

struct strset *strset_new(void);
void strset_free(struct strset *s);

/* 1 when added, 0 when already there, -1 when out of memory. */
int strset_add(struct strset *s, const char *p, size_t n);
/* p's number, 0, 1, 2 ... in the order names were first added (adding
 * p when new), or -1 when out of memory. */
long strset_index(struct strset *s, const char *p, size_t n);
size_t strset_count(const struct strset *s);

#endif
