/*
 * core/sha256.h - SHA-256 (FIPS 180-4): checksums of migrations, and the
 * building block for signing (HMAC) later. Streaming or one-shot.
 */
#ifndef KILN_CORE_SHA256_H
#define KILN_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

/** A running hash; fields private. */
typedef struct sha256_ctx {
    uint32_t h[8];
    uint64_t len; /* bytes hashed so far */
    uint8_t buf[64];
    size_t nbuf;
} sha256_ctx;

/** Starts a hash. */
void sha256_init(sha256_ctx *c);
/** Adds n bytes. */
void sha256_update(sha256_ctx *c, const void *p, size_t n);
/** Ends the hash: 32 bytes into out. */
void sha256_final(sha256_ctx *c, uint8_t out[32]);
/** One-shot: the lowercase hex digest of p (65 bytes with the NUL). */
void sha256_hex(const void *p, size_t n, char out[65]);

#endif
