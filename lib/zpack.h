/*
 * zpack.h - how pm-store keeps archival bytes (raw payloads): compressed
 * with zstd when that pays, else as they are, with the encoding named
 * beside them so either reads back byte for byte.
 *
 * Ownership: the caller owns out; each call resets it.  A zpack keeps
 * one compression context per thread of its own (not shared).
 */
#ifndef PM_ZPACK_H
#define PM_ZPACK_H

#include <stddef.h>

#include "buf.h"

/* The encoding names stored beside the bytes: NULL (as they came) or: */
#define ZPACK_ZSTD	"zstd"

struct zpack;

struct zpack *zpack_new(void);		/* NULL: out of memory */
void zpack_free(struct zpack *z);	/* NULL-safe */

/* p[0..n) into out, compressed when that saves at least an eighth;
 * returns the encoding (NULL: out holds nothing, store p itself), or
 * ZPACK_ZSTD.  Never fails: compressing is only an economy. */
const char *zpack_pack(struct zpack *z, const void *p, size_t n,
    struct buf *out);

/* Stored bytes back: with encoding NULL they are the payload itself (*res
 * = p); else decoded into out (*res = out->data).  0, or -1 with an
 * unknown encoding or damaged bytes. */
int zpack_unpack(struct zpack *z, const char *encoding, const void *p, size_t n,
    struct buf *out, const char **res, size_t *reslen);

#endif
