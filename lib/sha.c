/* sha.c - SHA-256 through libcrypto's EVP interface (see sha.h). */
#include <openssl/evp.h>
#include <pthread.h>

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
sha256_hex(const void *p, size_t n, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	pthread_once(&md256_once, md256_fetch);
	if (md256 == NULL || !EVP_Digest(p, n, md, &mdlen, md256, NULL) ||
	    mdlen != 32) {
		out[0] = 0;
		return -1;
	}
	for (i = 0; i < mdlen; i++) {
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
