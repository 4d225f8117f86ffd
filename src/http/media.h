/*
 * http/media.h - header values made of a leading word and parameters:
 * Content-Type (RFC 9110 8.3.1: "multipart/form-data; boundary=x") and
 * Content-Disposition (RFC 6266 4.1: "form-data; name=\"a\""), with the
 * extended parameter values of RFC 8187 ("filename*=UTF-8''%E2%82%AC").
 * Pure functions over bytes: no allocation; the caller gives the output
 * memory. Used by the form layer (the body's media type) and by the
 * multipart parser (the part headers).
 *
 * Grammar accepted, and where it is kinder than the RFCs:
 *
 *   value      = OWS head OWS *( ";" OWS [ parameter ] OWS )
 *   head       = token [ "/" token ]         (a media type has the "/")
 *   parameter  = token BWS "=" BWS ( token / quoted-string )
 *
 * - Whitespace around "=" is accepted (RFC 6266 allows it, and no reading
 *   of the value changes with it); empty parameters (";;") are skipped.
 * - In a quoted-string, a backslash escapes only '"' and '\'; before any
 *   other byte it is a literal backslash. Old browsers sent Windows paths
 *   ("C:\dir\f.txt") unescaped, and no sender escapes letters, so this
 *   reads both right.
 * - Control bytes other than HTAB are rejected everywhere.
 */
#ifndef KILN_HTTP_MEDIA_H
#define KILN_HTTP_MEDIA_H

#include <kiln/core.h>

/**
 * Splits a header value into its head ("text/plain" or "form-data", with
 * OWS trimmed) and the raw parameter list after it (starting at the first
 * ';', or empty). With media_type, the head must be token "/" token; else
 * a single token. Returns 0 or KILN_EPARSE. head and params view v.
 */
int http_media_split(kiln_str v, bool media_type, kiln_str *head,
                     kiln_str *params);

/** Iterates over a parameter list from http_media_split. Zero-fill it,
    then set p and end. Fields are private. */
typedef struct http_param_iter {
    const char *p, *end;
} http_param_iter;

/**
 * The next parameter: *name is its token (compare with kiln_str_ieq: names
 * are case-insensitive), *raw its value as sent (a token, or a
 * quoted-string with its quotes; decode it with http_param_unquote).
 * Returns 1, 0 at the end of the list, or KILN_EPARSE for a malformed
 * list (after which the iterator stays at the error).
 */
int http_param_next(http_param_iter *it, kiln_str *name, kiln_str *raw);

/**
 * Decodes a raw parameter value: a token is copied, a quoted-string loses
 * its quotes and escapes (see the backslash rule above). out needs raw.n
 * bytes plus one; the result is NUL-terminated. Returns its length.
 * raw must come from http_param_next.
 */
size_t http_param_unquote(kiln_str raw, char *out);

/**
 * Decodes an RFC 8187 ext-value (charset "'" [language] "'" pct-encoded
 * bytes), as in "filename*=UTF-8''na%C3%AFve.txt". The charset is UTF-8
 * or ISO-8859-1 (converted to UTF-8), matched ignoring case; the language
 * is ignored. out needs 2 * raw.n + 1 bytes; the result is NUL-terminated
 * and its length stored in *n. Returns 0, or KILN_EPARSE for another
 * charset, a malformed escape, a byte outside attr-char, or a decoded
 * control byte. (UTF-8 bytes are passed on unchecked, as they are in a
 * quoted-string.)
 */
int http_param_ext_decode(kiln_str raw, char *out, size_t *n);

#endif
