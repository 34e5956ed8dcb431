/*
 * zpack.h - how pm-store keeps archival bytes (raw payloads): compressed
 * with zstd when that pays, else as they are, with the encoding named
 * beside them so either reads back byte for byte.
 *
 * Payloads of one endpoint are small and alike (a market is 5 KB of the
 * same keys): alone each compresses 2.4x, with a dictionary trained on
 * the endpoint's first payloads 7x (make bench).  So the first
 * ZPACK_SAMPLES payloads of an endpoint are packed alone and kept as
 * samples; then a dictionary is trained from them, and every later
 * payload of that endpoint is packed with it, its encoding naming the
 * dictionary ("zstd:" and 16 hex digits of the dictionary's sha256).
 * Training is deterministic: the same payloads make the same dictionary,
 * whichever engine stores them.  The caller keeps dictionaries (raw_dicts)
 * and gives them back with zpack_add_dict().
 *
 * Ownership: the caller owns out; each call resets it.  A zpack is used
 * by one thread at a time and owns its contexts, samples and dictionaries.
 */
#ifndef PM_ZPACK_H
#define PM_ZPACK_H

#include <stddef.h>

#include "buf.h"

#define ZPACK_ZSTD	"zstd"	/* an encoding: zstd without a dictionary */
#define ZPACK_IDLEN	16	/* hex digits of a dictionary id */

struct zpack;

struct zpack *zpack_new(void);		/* NULL: out of memory */
void zpack_free(struct zpack *z);	/* NULL-safe */

/* A dictionary for endpoint (NULL: only to read with), id its name.
 * 0, or -1 when the bytes are not a dictionary or memory ran out. */
int zpack_add_dict(struct zpack *z, const char *endpoint, const char *id,
    const void *p, size_t n);
/* Has endpoint been asked about (zpack_add_dict, or a pack)? */
int zpack_knows(struct zpack *z, const char *endpoint);
/* Is dictionary id at hand? */
int zpack_has_dict(struct zpack *z, const char *id);

/* p[0..n) of endpoint into out, compressed when that saves an eighth;
 * returns the encoding (NULL: out holds nothing, keep p itself), valid
 * until the next call.  When the call trained a dictionary, *dict_id,
 * *dict and *dictlen name it (else *dict is NULL): the caller keeps it.
 * Never fails: compressing is only an economy. */
const char *zpack_pack(struct zpack *z, const char *endpoint,
    const void *p, size_t n, struct buf *out, const char **dict_id,
    const void **dict, size_t *dictlen);

/* The dictionary endpoint packs with now, if any: its id, bytes. */
int zpack_dict_of(struct zpack *z, const char *endpoint, const char **id,
    const void **p, size_t *n);

/* Stored bytes back: with encoding NULL they are the payload itself (*res
 * = p); else decoded into out (*res = out->data).  0, or -1 with an
 * unknown encoding, a dictionary not at hand, or damaged bytes. */
int zpack_unpack(struct zpack *z, const char *encoding, const void *p,
    size_t n, struct buf *out, const char **res, size_t *reslen);

#endif
