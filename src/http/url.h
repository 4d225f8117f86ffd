/*
 * http/url.h - percent-decoding, path normalisation and query parsing.
 * Pure functions: the caller provides the output memory.
 */
#ifndef KILN_HTTP_URL_H
#define KILN_HTTP_URL_H

#include <kiln/core.h>

/**
 * Decodes and normalises a request path: percent-decodes it, then removes
 * dot-segments (RFC 3986 section 5.2.4) so the result can never climb above
 * "/", and merges repeated slashes. in must start with '/'. out must have room
 * for n + 1 bytes; the result is NUL-terminated and *out_n set to its length.
 * Returns 0, or -400 for a malformed escape, a control byte raw or encoded
 * (%00, %0a...), or a path not starting with '/'.
 * Note: "%2F" decodes to '/' and then acts as a separator (as in Django).
 */
int http_path_normalize(const char *in, size_t n, char *out, size_t *out_n);

/**
 * Percent-decodes a query component (name or value): "%XX" escapes and '+'
 * as space. out needs n + 1 bytes; result NUL-terminated. Returns the decoded
 * length, or -400 for a malformed escape. Decoded NULs are kept (the length
 * is authoritative).
 */
long http_query_decode(const char *in, size_t n, char *out);

/** One decoded name=value pair of a query string or form body. */
typedef struct http_kv {
    kiln_str name;
    kiln_str value;
} http_kv;

/**
 * Splits a raw query ("a=1&b=x%20y") into decoded pairs allocated in a.
 * Empty pieces ("a&&b") are skipped; a piece without '=' has an empty value.
 * Returns the number of pairs (and sets *out), -400 on a malformed escape, or
 * KILN_ENOMEM.
 */
long http_query_parse(kiln_arena *a, kiln_str query, http_kv **out);

#endif
