/* key.c - the stored form of long keys (see key.h). */
#include <string.h>

#include "buf.h"
#include "key.h"
#include "sha.h"

#define TAG	"#sha256:"
#define TAGLEN	(sizeof TAG - 1)

/* Does s end the way a stored long key does? */
static int
looks_stored(const char *s, size_t n)
{
	return n >= TAGLEN + 64 && memcmp(s + n - 64 - TAGLEN, TAG,
	    TAGLEN) == 0 && sha256_is_hex(s + n - 64, 64);
}

const char *
key_stored(const char *s, size_t n, char out[KEY_MAX + 1], size_t *outn)
{
	size_t p = n < KEY_PREFIX ? n : KEY_PREFIX;

	*outn = n;
	if (n <= KEY_MAX && !looks_stored(s, n))
		return s;
	/* back to a character boundary: never a continuation byte */
	while (p > 0 && p < n && ((unsigned char)s[p] & 0xC0) == 0x80)
		p--;
	memcpy(out, s, p);
	memcpy(out + p, TAG, TAGLEN);
	if (sha256_hex(s, n, out + p + TAGLEN) == -1)
		return NULL;
	*outn = p + TAGLEN + 64;
	return out;
}

int
key_add_id(struct buf *b, const char *id, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++)
		rc = id[i] == '%' ? buf_adds(b, "%25") :
		    id[i] == ',' ? buf_adds(b, "%2C") : buf_addc(b, id[i]);
	return rc;
}
