/*
 * core/base64.h - base64url (RFC 4648 section 5) without padding, strict
 * (only A-Z a-z 0-9 '-' '_', no padding, no whitespace, zero unused bits):
 * one spelling per byte string, so a value cannot be altered into another
 * that decodes the same. Pure; no allocation.
 */
#ifndef KILN_CORE_BASE64_H
#define KILN_CORE_BASE64_H

#include <stddef.h>
#include <stdint.h>

/** Bytes b64url_encode writes for n input bytes (no NUL counted). */
#define B64URL_LEN(n) (((n) / 3) * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))

/**
 * Writes p[0..n) as base64url without padding into out, which has room for
 * B64URL_LEN(n) + 1 bytes; NUL-terminates. Returns the length.
 */
size_t b64url_encode(const void *p, size_t n, char *out);

/**
 * Decodes s[0..n) strictly (see above; n % 4 != 1). out has room for
 * n * 3 / 4 bytes. Returns 0 and sets *outn, or -1 when s is not strict
 * base64url.
 */
int b64url_decode(const char *s, size_t n, uint8_t *out, size_t *outn);

#endif
