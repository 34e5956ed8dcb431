/* sha.c - SHA-256 through libcrypto's EVP interface (see sha.h). */
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

#include "sha.h"

/*
 * The algorithm fetched once: EVP_sha256() makes OpenSSL 3 look it up
 * again on every digest, which was half the cost of hashing a record.
 * Kept for the life of the process.
 */
static EVP_MD *md256;
static pthread_once_t md256_once = PTHREAD_ONCE_INIT;

static void
md256_fetch(void)
{
	md256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

int
sha256(const void *p, size_t n, unsigned char md[32])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;

	pthread_once(&md256_once, md256_fetch);
	if (md256 == NULL || !EVP_Digest(p, n, d, &dlen, md256, NULL) ||
	    dlen != 32)
		return -1;
	memcpy(md, d, 32);
	return 0;
}

int
sha256_hex(const void *p, size_t n, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int i;

	if (sha256(p, n, md) == -1) {
		out[0] = 0;
		return -1;
	}
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = 0;
	return 0;
}

int
sha256_is_hex(const char *s, size_t n)
{
	size_t i;

	if (s == NULL || n != 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}
