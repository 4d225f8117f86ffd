/*
 * http/parse.h - the HTTP/1.1 request-head parser and chunked body decoder
 * (RFC 9110, RFC 9112). Pure functions over bytes: no I/O, no allocation.
 *
 * Errors are reported as the negated HTTP status the server must answer
 * (-400, -413, -414, -431, -501, -505, -417); after any of them the
 * connection is closed. The parser is deliberately strict (see parse.c for
 * every rule and why): obs-fold, whitespace before ':', bare CR or LF, NUL,
 * Content-Length together with Transfer-Encoding, differing Content-Length
 * values and Transfer-Encoding not ending in chunked are all rejected, so no
 * two parties can disagree about where a message ends.
 */
#ifndef KILN_HTTP_PARSE_H
#define KILN_HTTP_PARSE_H

#include <kiln/core.h>

/** Most header fields accepted in one request (more: 431). */
#define HTTP_MAX_HEADERS 100

/** Limits applied while parsing. */
typedef struct http_limits {
    size_t max_target; /**< request-target bytes (8192); more: 414 */
    size_t
        max_header_bytes; /**< header field section bytes (16384); more: 431 */
    unsigned
        max_headers;   /**< fields (100, at most HTTP_MAX_HEADERS); more: 431 */
    uint64_t max_body; /**< body bytes (10 MiB); more: 413 */
} http_limits;

/** Fills l with the defaults above. */
void http_limits_default(http_limits *l);

/** One header field; views into the parsed buffer (value has OWS trimmed). */
typedef struct http_header {
    kiln_str name;
    kiln_str value;
} http_header;

/** How the request body is framed. */
typedef enum http_body_kind {
    HTTP_BODY_NONE,   /**< no body */
    HTTP_BODY_LENGTH, /**< Content-Length bytes follow */
    HTTP_BODY_CHUNKED /**< Transfer-Encoding: chunked */
} http_body_kind;

/**
 * A parsed request head. Every kiln_str points into the caller's buffer, which
 * must outlive the struct.
 */
typedef struct http_request {
    kiln_str method; /**< token, case-sensitive */
    kiln_str target; /**< the request-target as sent */
    kiln_str path;  /**< raw path of target (absolute-form: after authority; "*"
                       for asterisk-form) */
    kiln_str query; /**< raw query without '?' (empty if none) */
    bool has_query; /**< a '?' was present */
    int minor;      /**< 0 for HTTP/1.0, 1 for HTTP/1.1 */
    http_header headers[HTTP_MAX_HEADERS];
    unsigned nheaders;
    kiln_str host;           /**< Host field value (empty when absent on 1.0) */
    http_body_kind body;     /**< framing of the body */
    uint64_t content_length; /**< when body == HTTP_BODY_LENGTH */
    bool keep_alive;         /**< connection persists after this exchange */
    bool expect_continue;    /**< "Expect: 100-continue" was sent */
    size_t head_len;         /**< bytes of the head, including the final CRLF */
} http_request;

/**
 * Parses a request head from buf[0..len).
 * Returns head length (> 0) when a whole head is present and valid (req is
 * filled), 0 when more bytes are needed (and none seen so far is invalid nor
 * over a limit), or a negated HTTP status on error.
 * Leading empty lines (CRLF) before the request line are skipped as RFC 9112
 * section 2.2 allows; they count in head_len.
 */
int http_parse_request(const char *buf, size_t len, const http_limits *lim,
                       http_request *req);

/**
 * Incremental decoder for a chunked body. Zero it (or http_chunked_init)
 * before the first call. Fields are private.
 */
typedef struct http_chunked {
    int state;
    uint64_t remaining;   /* bytes left in the current chunk */
    uint64_t total;       /* body bytes decoded so far */
    size_t line_bytes;    /* bytes of the current size/ext/trailer line */
    size_t trailer_bytes; /* bytes of the trailer section so far */
    unsigned ntrailers;   /* trailer fields so far */
} http_chunked;

/** Resets the decoder for a new body. */
void http_chunked_init(http_chunked *c);

/**
 * Feeds n bytes of chunked framing at in. Decoded body bytes are appended to
 * body; the raw trailer section (field lines, each ending in CRLF, without the
 * final empty line) is appended to trailers. *consumed is set to the bytes of
 * in that were used.
 * Returns 1 when the body is complete (bytes after *consumed belong to the
 * next request), 0 when all of in was used and more is needed, or a negated
 * HTTP status on error (-400 malformed, -413 over lim->max_body, -431 trailer
 * section over lim->max_header_bytes or lim->max_headers fields, -500 when
 * appending to body or trailers fails for lack of memory).
 */
int http_chunked_feed(http_chunked *c, const http_limits *lim, const char *in,
                      size_t n, size_t *consumed, kiln_buf *body,
                      kiln_buf *trailers);

/**
 * Parses trailer field lines produced by http_chunked_feed into out (at most
 * max fields). Returns the number of fields or -400 when a line is malformed.
 */
int http_parse_fields(const char *p, size_t n, http_header *out, unsigned max);

#endif
