/*
 * http/location.h - the target of a redirect, checked and written for a
 * Location header (kiln_redirect). A pure function over bytes: the caller
 * provides the output memory.
 */
#ifndef KILN_HTTP_LOCATION_H
#define KILN_HTTP_LOCATION_H

#include <stddef.h>

/**
 * Writes in[0..n), a redirect target as an author gives it, as the value of
 * a Location header (RFC 9110 10.2.2: a URI reference, RFC 3986 4.1):
 *
 *  - a relative reference ("/notes", "notes/5", "?page=2", "#top",
 *    "//host/path") or an absolute http or https URL with a host
 *    ("https://example.com/x"); any other scheme ("javascript:",
 *    "data:", "ftp:") is refused, and so is a first path segment holding
 *    ':' that is no such scheme ("a:b" would read as a scheme);
 *  - a control byte (0x00-0x1f, 0x7f: CR and LF above all, which would end
 *    the header and start another) is refused, never stripped;
 *  - bytes a URI may not hold raw are percent-encoded: space, '"', '<', '\',
 *    '>', '^', '`', '{', '|', '}', every byte >= 0x80 (UTF-8 is
 *    written as its %XX escapes, as browsers do), and a '%' that does not
 *    start an escape (two hex digits); an escape already written is kept.
 *    So a target never carries a raw backslash, which browsers would read
 *    as '/' ("/\evil.example" as "//evil.example").
 *
 * out must have room for 3 * n + 1 bytes; the result is NUL-terminated and
 * *out_n set to its length. Returns 0, or why in is refused (out then holds
 * nothing useful): HTTP_LOCATION_EMPTY, HTTP_LOCATION_CONTROL or
 * HTTP_LOCATION_SCHEME.
 */
int http_location_encode(const char *in, size_t n, char *out, size_t *out_n);

/** Why http_location_encode refused a target. */
enum {
    HTTP_LOCATION_EMPTY = -1,   /* no bytes */
    HTTP_LOCATION_CONTROL = -2, /* a control byte (CR, LF, NUL, tab...) */
    HTTP_LOCATION_SCHEME = -3   /* not http(s)://host, nor relative */
};

#endif
