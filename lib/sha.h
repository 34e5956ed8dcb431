/*
 * sha.h - SHA-256 content hashes, from OpenSSL's libcrypto (never our own).
 * No ownership: out is the caller's, 65 bytes, lowercase hex and a NUL;
 * md the caller's 32 bytes of the digest.
 */
#ifndef PM_SHA_H
#define PM_SHA_H

#include <stddef.h>

int sha256(const void *p, size_t n, unsigned char md[32]);
int sha256_hex(const void *p, size_t n, char out[65]);
int sha256_is_hex(const char *s, size_t n);	/* 64 lowercase hex digits */

#endif
