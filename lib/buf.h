/*
 * buf.h - a growable byte buffer with a hard limit.
 *
 * Ownership: a struct buf owns data; buf_release() frees it and leaves an
 * empty buffer that can be used again.  data is always NUL-terminated when
 * non-NULL.  Every append fails (-1, nothing appended) rather than grow
 * past max, so one record can never take unbounded memory.
 */
#ifndef PM_BUF_H
#define PM_BUF_H

#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;	/* 0: no limit */
};

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
int buf_reserve(struct buf *b, size_t extra);
int buf_add(struct buf *b, const void *p, size_t n);
int buf_addc(struct buf *b, char c);
int buf_adds(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void buf_reset(struct buf *b) { b->len = 0; if (b->data) b->data[0] = 0; }

/* A string literal as the (bytes, length) pair of buf_add, memcmp, ...:
 * the compiler counts, not the reader (curl's STRCONST). */
#define STRCONST(s) ("" s ""), (sizeof(s) - 1)

#endif
