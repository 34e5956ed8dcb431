/* zpack.c - payloads compressed where it pays (see zpack.h). */
#define ZDICT_STATIC_LINKING_ONLY
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zdict.h>
#include <zstd.h>

#include "sha.h"
#include "zpack.h"

/* Level 1: on the bench's markets level 3 keeps 2% fewer bytes and
 * packs 20% slower. */
#define ZPACK_LEVEL	1
#define ZPACK_MIN	64	/* shorter payloads gain nothing */
#define ZPACK_SAMPLES	1000	/* payloads an endpoint's dictionary learns from */
#define ZPACK_SAMPLE_BYTES (8UL * 1024 * 1024)
#define ZPACK_DICT	(64 * 1024)
#define ZPACK_MAXDICTS	64

struct zdict {
	char		*endpoint;	/* NULL: read with only */
	char		 id[ZPACK_IDLEN + 1];
	void		*bytes;
	size_t		 len;
	ZSTD_CDict	*cd;
	ZSTD_DDict	*dd;
};

/* An endpoint still learning: its samples so far. */
struct zlearn {
	char		*endpoint;
	struct buf	 samples;
	size_t		*sizes;
	unsigned	 n;
	int		 done;	/* a dictionary made, or given up */
};

struct zpack {
	ZSTD_CCtx	*c;
	ZSTD_DCtx	*d;
	struct zdict	 dict[ZPACK_MAXDICTS];
	int		 ndict;
	struct zlearn	 learn[ZPACK_MAXDICTS];
	int		 nlearn;
	char		 enc[8 + ZPACK_IDLEN];
};

struct zpack *
zpack_new(void)
{
	struct zpack *z;

	if ((z = calloc(1, sizeof *z)) == NULL)
		return NULL;
	if ((z->c = ZSTD_createCCtx()) == NULL ||
	    (z->d = ZSTD_createDCtx()) == NULL) {
		zpack_free(z);
		return NULL;
	}
	return z;
}

void
zpack_free(struct zpack *z)
{
	int i;

	if (z == NULL)
		return;
	for (i = 0; i < z->ndict; i++) {
		free(z->dict[i].endpoint);
		free(z->dict[i].bytes);
		ZSTD_freeCDict(z->dict[i].cd);
		ZSTD_freeDDict(z->dict[i].dd);
	}
	for (i = 0; i < z->nlearn; i++) {
		free(z->learn[i].endpoint);
		free(z->learn[i].sizes);
		buf_release(&z->learn[i].samples);
	}
	ZSTD_freeCCtx(z->c);
	ZSTD_freeDCtx(z->d);
	free(z);
}

static struct zdict *
by_endpoint(struct zpack *z, const char *endpoint)
{
	int i;

	for (i = z->ndict - 1; i >= 0; i--)
		if (z->dict[i].endpoint &&
		    strcmp(z->dict[i].endpoint, endpoint) == 0)
			return &z->dict[i];
	return NULL;
}

static struct zdict *
by_id(struct zpack *z, const char *id)
{
	int i;

	for (i = 0; i < z->ndict; i++)
		if (strcmp(z->dict[i].id, id) == 0)
			return &z->dict[i];
	return NULL;
}

static struct zlearn *
learner(struct zpack *z, const char *endpoint, int make)
{
	struct zlearn *l;
	int i;

	for (i = 0; i < z->nlearn; i++)
		if (strcmp(z->learn[i].endpoint, endpoint) == 0)
			return &z->learn[i];
	if (!make || z->nlearn == ZPACK_MAXDICTS)
		return NULL;
	l = &z->learn[z->nlearn];
	memset(l, 0, sizeof *l);
	if ((l->endpoint = strdup(endpoint)) == NULL ||
	    (l->sizes = calloc(ZPACK_SAMPLES, sizeof *l->sizes)) == NULL) {
		free(l->endpoint);
		return NULL;
	}
	buf_init(&l->samples, ZPACK_SAMPLE_BYTES);
	z->nlearn++;
	return l;
}

int
zpack_add_dict(struct zpack *z, const char *endpoint, const char *id,
    const void *p, size_t n)
{
	struct zdict *d;
	struct zlearn *l;

	if (z->ndict == ZPACK_MAXDICTS || strlen(id) != ZPACK_IDLEN)
		return -1;
	d = &z->dict[z->ndict];
	memset(d, 0, sizeof *d);
	memcpy(d->id, id, ZPACK_IDLEN + 1);
	if ((d->bytes = malloc(n)) == NULL)
		return -1;
	memcpy(d->bytes, p, n);
	d->len = n;
	if ((endpoint && (d->endpoint = strdup(endpoint)) == NULL) ||
	    (endpoint && (d->cd = ZSTD_createCDict(d->bytes, n,
	    ZPACK_LEVEL)) == NULL) ||
	    (d->dd = ZSTD_createDDict(d->bytes, n)) == NULL) {
		free(d->endpoint);
		free(d->bytes);
		ZSTD_freeCDict(d->cd);
		return -1;
	}
	z->ndict++;
	if (endpoint && (l = learner(z, endpoint, 1)) != NULL)
		l->done = 1;
	return 0;
}

int
zpack_knows(struct zpack *z, const char *endpoint)
{
	return by_endpoint(z, endpoint) != NULL ||
	    learner(z, endpoint, 0) != NULL;
}

int
zpack_has_dict(struct zpack *z, const char *id)
{
	return by_id(z, id) != NULL;
}

int
zpack_dict_of(struct zpack *z, const char *endpoint, const char **id,
    const void **p, size_t *n)
{
	struct zdict *d = by_endpoint(z, endpoint);

	if (d == NULL)
		return 0;
	*id = d->id;
	*p = d->bytes;
	*n = d->len;
	return 1;
}

/* The endpoint has its samples: its dictionary, from them.  fastCover
 * with fixed parameters (no search: a fraction of a second). */
static struct zdict *
train(struct zpack *z, struct zlearn *l)
{
	ZDICT_fastCover_params_t prm;
	char sha[65];
	void *dict;
	size_t n;

	l->done = 1;
	memset(&prm, 0, sizeof prm);
	prm.k = 200;
	prm.d = 8;
	prm.f = 20;
	prm.accel = 4;
	prm.zParams.compressionLevel = ZPACK_LEVEL;
	if ((dict = malloc(ZPACK_DICT)) == NULL)
		return NULL;
	n = ZDICT_trainFromBuffer_fastCover(dict, ZPACK_DICT,
	    l->samples.data, l->sizes, l->n, prm);
	buf_release(&l->samples);
	if (ZDICT_isError(n) || sha256_hex(dict, n, sha) == -1) {
		free(dict);
		return NULL;
	}
	sha[ZPACK_IDLEN] = 0;
	if (zpack_add_dict(z, l->endpoint, sha, dict, n) == -1) {
		free(dict);
		return NULL;
	}
	free(dict);
	return &z->dict[z->ndict - 1];
}

const char *
zpack_pack(struct zpack *z, const char *endpoint, const void *p, size_t n,
    struct buf *out, const char **dict_id, const void **dict,
    size_t *dictlen)
{
	struct zdict *d;
	struct zlearn *l = NULL;
	size_t bound = ZSTD_compressBound(n), r;

	*dict = NULL;
	buf_reset(out);
	if (n < ZPACK_MIN || buf_reserve(out, bound) == -1)
		return NULL;
	if ((d = by_endpoint(z, endpoint)) == NULL &&
	    (l = learner(z, endpoint, 1)) != NULL && !l->done) {
		/* enough samples, or as many as the sample bytes hold */
		if (buf_add(&l->samples, p, n) == 0)
			l->sizes[l->n++] = n;
		else if (l->n < ZPACK_SAMPLES / 10)
			l->done = 1;
		else
			l->n = ZPACK_SAMPLES;
		if (l->n == ZPACK_SAMPLES && (d = train(z, l)) != NULL) {
			*dict_id = d->id;
			*dict = d->bytes;
			*dictlen = d->len;
		}
	}
	if (d)
		r = ZSTD_compress_usingCDict(z->c, out->data, bound, p, n,
		    d->cd);
	else
		r = ZSTD_compressCCtx(z->c, out->data, bound, p, n,
		    ZPACK_LEVEL);
	if (ZSTD_isError(r) || r > n - n / 8)
		return NULL;
	out->len = r;
	if (d == NULL)
		return ZPACK_ZSTD;
	snprintf(z->enc, sizeof z->enc, "%s:%s", ZPACK_ZSTD, d->id);
	return z->enc;
}

int
zpack_unpack(struct zpack *z, const char *encoding, const void *p,
    size_t n, struct buf *out, const char **res, size_t *reslen)
{
	struct zdict *d = NULL;
	unsigned long long size;
	size_t r;

	if (encoding == NULL || *encoding == 0) {
		*res = p;
		*reslen = n;
		return 0;
	}
	if (strncmp(encoding, ZPACK_ZSTD, 4) != 0 ||
	    (encoding[4] != 0 && (encoding[4] != ':' ||
	    (d = by_id(z, encoding + 5)) == NULL)))
		return -1;
	size = ZSTD_getFrameContentSize(p, n);
	if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR ||
	    size > (size_t)-1 / 2)
		return -1;
	buf_reset(out);
	if (buf_reserve(out, (size_t)size) == -1)
		return -1;
	r = d ? ZSTD_decompress_usingDDict(z->d, out->data, (size_t)size, p, n,
	    d->dd) : ZSTD_decompressDCtx(z->d, out->data, (size_t)size, p, n);
	if (ZSTD_isError(r) || r != size)
		return -1;
	out->len = r;
	out->data[r] = 0;
	*res = out->data;
	*reslen = r;
	return 0;
}
