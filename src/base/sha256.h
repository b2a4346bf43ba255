/*
 * sha256.h: SHA-256 (FIPS 180-4), for provenance: the hash of a trace file or of a scenario's
 * effective parameters identifies what a result was computed from.
 */
#ifndef ISM_SHA256_H
#define ISM_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;           /* bytes hashed so far */
	unsigned char buf[64];
	unsigned nbuf;
};

#define SHA256_HEX_LEN 65       /* 64 hex digits and a NUL */

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* Finish and write the digest as lower-case hex into @hex (SHA256_HEX_LEN bytes). */
void sha256_hex(struct sha256 *s, char *hex);
/* Hash a whole file as stored (compressed files are not decompressed). 0 or -ISM_EIO. */
int sha256_file(const char *path, char *hex, uint64_t *bytes);

#endif
