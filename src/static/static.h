/*
 * static/static.h - the pure helpers of static file serving (cond.c): the
 * request path check, Range, If-None-Match / If-Match lists, HTTP dates,
 * Accept-Encoding and content-hashed names. Each is a function over bytes,
 * with no I/O and no allocation, unit-tested in tests/static.
 */
#ifndef KILN_STATIC_INT_H
#define KILN_STATIC_INT_H

#include <kiln/core.h>

#include <stdint.h>

/**
 * True when rel (a path relative to the mount, from the normalised request
 * path) may name a served file: not empty, no empty segment, no "." or ".."
 * segment, no segment starting with '.', no backslash, no NUL, control or
 * DEL byte, and no trailing '/'.
 */
bool static_path_ok(kiln_str rel);

/** The outcome of static_range_parse. */
enum static_range {
    STATIC_RANGE_NONE, /**< no Range, malformed, or several: send all */
    STATIC_RANGE_OK,   /**< one satisfiable range: 206 [*first, *last] */
    STATIC_RANGE_UNSAT /**< not satisfiable: 416, bytes star/size */
};

/**
 * Parses a Range value ("bytes=a-b", "bytes=a-", "bytes=-n"; unit case-
 * insensitive, optional whitespace around the range) against a
 * representation of size bytes. On STATIC_RANGE_OK sets *first and *last
 * (inclusive, last clamped to size - 1). A list of several ranges, a
 * malformed value or an empty representation give STATIC_RANGE_NONE.
 */
int static_range_parse(kiln_str v, int64_t size, int64_t *first, int64_t *last);

/**
 * True when the entity-tag list v (If-None-Match, If-Match: "*" or
 * comma-separated tags, W/ allowed) matches etag (a quoted strong tag).
 * weak: weak comparison (If-None-Match); otherwise strong (If-Match, and a
 * weak tag in v never matches).
 */
bool static_etag_match(kiln_str v, kiln_str etag, bool weak);

/**
 * Parses an HTTP-date: IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), or
 * the obsolete RFC 850 and asctime forms. Returns 0 and sets *t (seconds
 * since the epoch), or KILN_EINVAL.
 */
int static_http_date_parse(kiln_str v, int64_t *t);

/** Content codings a client accepts, as parsed from Accept-Encoding. */
typedef struct static_accept {
    int br;   /**< q of br, times 1000 (0: not acceptable) */
    int gzip; /**< q of gzip / x-gzip, times 1000 */
} static_accept;

/** Parses Accept-Encoding (a missing header accepts neither coding). */
static_accept static_accept_parse(kiln_str v);

/**
 * True when the last segment of path names content-hashed bytes: before
 * its extension, a part delimited by '.' or '-' of 8 or more hex digits
 * ("app.3f9a1c2b.js", "chunk-0123abcd.css", "3f9a1c2b.js").
 */
bool static_name_hashed(const char *path);

/** A 64-bit hash of n bytes (for content ETags; not cryptographic). */
uint64_t static_hash(const void *p, size_t n);

#endif
