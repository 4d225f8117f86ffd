/*
 * http/multipart.h - an incremental multipart/form-data parser (RFC 7578,
 * with the boundary rules of RFC 2046 section 5.1). A pure unit: no I/O,
 * no allocation; its whole state is in http_multipart, so the body may be
 * fed in slices split anywhere (inside a boundary, inside part headers) and
 * the events are the same.
 *
 *   http_multipart *m = ...;      // about 25 KiB: allocate it, do not
 *                                 // put it on a coroutine stack
 *   http_multipart_init(m, content_type_value, 1000);
 *   while (bytes arrive) {
 *       const char *p = buf; size_t n = len;
 *       while (n) {
 *           size_t used; kiln_str data;
 *           int ev = http_multipart_feed(m, p, n, &used, &data);
 *           if (ev < 0) -> http_multipart_strerror(ev)
 *           HTTP_MP_PART: m->part has name, filename, content_type
 *           HTTP_MP_DATA: data holds bytes of the current part
 *           HTTP_MP_PART_END, HTTP_MP_DONE
 *           p += used; n -= used;
 *       }
 *   }
 *   http_multipart_finish(m)   // 0, or HTTP_MP_ETRUNCATED
 *
 * Strictness, and why: a boundary is 1 to 70 bchars not ending in a space
 * (RFC 2046); after a boundary only transport padding (at most
 * HTTP_MP_PAD_MAX spaces or tabs) then CRLF, or "--" for the last one;
 * part header lines are checked like HTTP header fields (token name, ':'
 * right after it, CRLF endings, no obs-fold, at most HTTP_MP_FIELDS_MAX
 * of them in HTTP_MP_HEAD_MAX bytes); each part needs a
 * Content-Disposition of type form-data with a name, given once; a
 * Content-Transfer-Encoding other than 7bit, 8bit or binary is refused
 * (RFC 7578 4.7 deprecates it, and decoding one silently would be worse
 * than saying no). The preamble and the epilogue are ignored.
 *
 * Filenames: filename* (RFC 8187, UTF-8 or ISO-8859-1) wins over filename
 * (RFC 6266 4.3). Browsers send UTF-8 bytes raw in a quoted filename and
 * write '"' as %22 (the HTML standard): Kiln keeps such escapes as sent,
 * since a literal "%22" in a name cannot be told apart. Any folder part is
 * removed ("C:\x\y.txt" and "../../etc/passwd" become "y.txt" and
 * "passwd"; "." and ".." become ""), so a filename never names a path.
 */
#ifndef KILN_HTTP_MULTIPART_H
#define KILN_HTTP_MULTIPART_H

#include <kiln/core.h>

/** Longest boundary (RFC 2046). */
#define HTTP_MP_BOUNDARY_MAX 70
/** Largest header section of one part, in bytes. */
#define HTTP_MP_HEAD_MAX 8192
/** Most header fields in one part. */
#define HTTP_MP_FIELDS_MAX 16
/** Most transport-padding bytes after a boundary. */
#define HTTP_MP_PAD_MAX 64

/** What http_multipart_feed found (errors are negative). */
enum http_mp_event {
    HTTP_MP_MORE = 0,     /**< all of the input was used: feed more */
    HTTP_MP_PART = 1,     /**< a part's headers are complete: see m->part */
    HTTP_MP_DATA = 2,     /**< *data holds bytes of the current part */
    HTTP_MP_PART_END = 3, /**< the current part ended */
    HTTP_MP_DONE = 4      /**< the final boundary: the rest is epilogue */
};

/** Errors (negative; http_multipart_strerror names them). */
enum http_mp_error {
    HTTP_MP_ENOTFORM = -1,     /**< the type is not multipart/form-data */
    HTTP_MP_EBOUNDARY = -2,    /**< no valid boundary parameter */
    HTTP_MP_EDELIMITER = -3,   /**< bytes after a boundary other than
                                    padding and CRLF or "--" */
    HTTP_MP_EHEADER = -4,      /**< a malformed part header */
    HTTP_MP_EHEADER_SIZE = -5, /**< a part header section too large */
    HTTP_MP_EDISPOSITION = -6, /**< no or a bad Content-Disposition */
    HTTP_MP_EENCODING = -7,    /**< a Content-Transfer-Encoding refused */
    HTTP_MP_EPARTS = -8,       /**< more parts than the limit */
    HTTP_MP_ETRUNCATED = -9    /**< the body ended before the last boundary */
};

/** The headers of the current part. Strings live in the parser and stay
    valid until the next HTTP_MP_PART event. */
typedef struct http_mp_part {
    kiln_str name;         /**< decoded; NUL-terminated */
    kiln_str filename;     /**< p == NULL without a filename parameter (a
                                text field); else decoded, folder part
                                removed, NUL-terminated (may be empty) */
    kiln_str content_type; /**< p == NULL when absent; else as sent (OWS
                                trimmed), NUL-terminated */
} http_mp_part;

/** The parser. Fields not marked otherwise are private. */
typedef struct http_multipart {
    http_mp_part part; /**< read-only: the current part */
    unsigned nparts;   /**< read-only: parts begun so far */
    unsigned max_parts;
    int state;
    int err;      /* the error the parser stopped at, or 0 */
    size_t match; /* bytes of delim matched and held back */
    size_t dlen;  /* length of delim */
    size_t pad;   /* transport padding after the current boundary */
    size_t hlen;  /* bytes in head */
    size_t line;  /* start of the current header line in head */
    char delim[4 + HTTP_MP_BOUNDARY_MAX]; /* CRLF "--" boundary */
    char head[HTTP_MP_HEAD_MAX];          /* the current part's headers */
    char dec[2 * HTTP_MP_HEAD_MAX + 8];   /* decoded part strings */
} http_multipart;

/**
 * Prepares m for a body whose Content-Type field value is content_type
 * ("multipart/form-data; boundary=..."; the boundary may be quoted), with
 * at most max_parts parts (0: no limit). Returns 0, HTTP_MP_ENOTFORM
 * (another or a malformed media type) or HTTP_MP_EBOUNDARY.
 */
int http_multipart_init(http_multipart *m, kiln_str content_type,
                        unsigned max_parts);

/**
 * Parses input at in[0..n) up to the next event. *used is set to the bytes
 * consumed; the caller goes on with in + *used. Returns HTTP_MP_MORE (all n
 * bytes used), an event, or a negative HTTP_MP_E* error (and keeps
 * returning it). For HTTP_MP_DATA, *data views the part's bytes (in in, or
 * in m for bytes held back across a slice boundary) until the next call;
 * a part's data may come in any number of events. Bytes after the final
 * boundary are consumed as HTTP_MP_MORE.
 */
int http_multipart_feed(http_multipart *m, const char *in, size_t n,
                        size_t *used, kiln_str *data);

/**
 * Called at the end of the body: 0 when the final boundary was seen, the
 * parser's error if it stopped at one, else HTTP_MP_ETRUNCATED.
 */
int http_multipart_finish(const http_multipart *m);

/** A static, human-readable description of an HTTP_MP_E* error. */
const char *http_multipart_strerror(int err);

#endif
