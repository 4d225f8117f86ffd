/*
 * core/sha1.h - SHA-1 (FIPS 180-4). Only where a protocol demands it: the
 * Sec-WebSocket-Accept of the WebSocket handshake (RFC 6455 section 4.2.2).
 * SHA-1 is broken for collision resistance; never use it to sign or to
 * store secrets (sha256.h is for that).
 */
#ifndef KILN_CORE_SHA1_H
#define KILN_CORE_SHA1_H

#include <stddef.h>
#include <stdint.h>

/** A running hash; fields private. */
typedef struct sha1_ctx {
    uint32_t h[5];
    uint64_t len; /* bytes hashed so far */
    uint8_t buf[64];
    size_t nbuf;
} sha1_ctx;

/** Starts a hash. */
void sha1_init(sha1_ctx *c);
/** Adds n bytes. */
void sha1_update(sha1_ctx *c, const void *p, size_t n);
/** Ends the hash: 20 bytes into out. */
void sha1_final(sha1_ctx *c, uint8_t out[20]);

#endif
