/*
 * kiln/http.h - what a handler sees: the request, the response, and the
 * calls that wait (a socket, a timer) without blocking the worker.
 *
 * A handler is a plain function run in its own coroutine:
 *
 *   static int hello(kiln_ctx *c)
 *   {
 *       return kiln_text(c, 200, "Hello, %s!", kiln_param(c, "name").p);
 *   }
 *
 * It returns 0 after producing a response, or a negative KILN_E* code; an
 * error (or returning without a response) is answered with a 500
 * application/problem+json and logged with the request id. Everything a
 * handler gets from the request (views, parsed query, cookies, the body) and
 * everything it allocates with kiln_alloc() lives in the request's arena and
 * is freed when the response is done.
 */
#ifndef KILN_HTTP_H
#define KILN_HTTP_H

#include "core.h"
#include "json.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One request being handled. Opaque; valid only during the handler. */
typedef struct kiln_ctx kiln_ctx;

/** A request handler. Returns 0 or a negative KILN_E* code. */
typedef int (*kiln_handler)(kiln_ctx *c);

/** Declares a handler function: KILN_HANDLER(hello) { ... }. */
#define KILN_HANDLER(name) int name(kiln_ctx *c)

/* ---- request ----------------------------------------------------------- */

/** The request method, as sent ("GET"). */
kiln_str kiln_method(kiln_ctx *c);
/** The decoded, normalised path ("/a/b"; NUL-terminated). */
kiln_str kiln_path(kiln_ctx *c);
/** The request-target exactly as sent. */
kiln_str kiln_target(kiln_ctx *c);
/** The raw query string without '?' (empty when none). */
kiln_str kiln_query_string(kiln_ctx *c);
/**
 * The decoded value of the first query parameter called name, or a view with
 * p == NULL when absent (an empty value has p != NULL, n == 0). Decoded
 * values are NUL-terminated.
 */
kiln_str kiln_query(kiln_ctx *c, const char *name);
/** kiln_query parsed as an integer; def when absent or not a number. */
int64_t kiln_query_int(kiln_ctx *c, const char *name, int64_t def);
/** The value of header name (case-insensitive), p == NULL when absent. */
kiln_str kiln_header(kiln_ctx *c, const char *name);
/** Number of request header fields; use with kiln_header_at. */
unsigned kiln_header_count(kiln_ctx *c);
/** The i-th header field's name and value (i < kiln_header_count). */
void kiln_header_at(kiln_ctx *c, unsigned i, kiln_str *name, kiln_str *value);
/** The value of a chunked-body trailer field, p == NULL when absent. */
kiln_str kiln_trailer(kiln_ctx *c, const char *name);
/** The value of cookie name from the Cookie header(s), p == NULL if absent. */
kiln_str kiln_cookie(kiln_ctx *c, const char *name);
/** The route parameter {name} or {...name}, p == NULL when no such param. */
kiln_str kiln_param(kiln_ctx *c, const char *name);
/** kiln_param parsed as an integer; def when absent or not a number. */
int64_t kiln_param_int(kiln_ctx *c, const char *name, int64_t def);
/** The data given to kiln_route_with() for the matched route (else NULL). */
void *kiln_route_data(kiln_ctx *c);
/** The matched route's pattern ("/users/{id}"), NULL before routing. */
const char *kiln_route_pattern(kiln_ctx *c);
/**
 * The whole request body (empty when none); valid until the response ends.
 * A body is normally read whole, up to server.max_body (413 past it),
 * before the handler runs. A multipart/form-data body is streamed instead:
 * the handler runs as it arrives, and kiln_body then reads what has not
 * been read yet (by kiln_body_read or kiln_form_fields) into memory,
 * waiting for it. If that fails (past server.max_body, the body timeout,
 * the client gone) it answers 413 or 408 itself and returns p == NULL. It
 * does not consume: kiln_body_read still starts where it was.
 */
kiln_str kiln_body(kiln_ctx *c);
/**
 * Reads up to n body bytes into buf, from where the last read stopped, as
 * read(2) does: returns the count (> 0), 0 at the end of the body, or a
 * negative code. On a streamed (multipart) body it waits, yielding the
 * coroutine, until bytes arrive, and sends "100 Continue" first if the
 * client asked for it; the view of the request (headers, path, params)
 * never moves. Errors of a streamed body: KILN_ETIMEDOUT (nothing arrived
 * for server.body_timeout_ms), KILN_ECLOSED (the client went away),
 * KILN_EPARSE (malformed chunked framing), KILN_ECANCELED (shutdown);
 * returning one from the handler answers it (408, none, 400, 503) rather
 * than 500. A streamed body is not bounded by server.max_body here: the
 * form layer applies the uploads.* limits, a handler reading raw bytes its
 * own. A body the handler leaves unread is drained (at most 256 KiB) or
 * the connection is closed after the response.
 */
int64_t kiln_body_read(kiln_ctx *c, void *buf, size_t n);
/**
 * Parses the body (kiln_body) as JSON into the request arena. Returns NULL
 * (and answers nothing, unless kiln_body did) when the body is not valid
 * JSON or could not be read; err, if not NULL, says why.
 */
const kiln_json *kiln_body_json(kiln_ctx *c, kiln_json_error *err);
/* ---- strict parameters ------------------------------------------------ */

/**
 * The route parameter name as a decimal int64: the whole value, an
 * optional '-' then digits, nothing else ("abc", "1e3", " 4", "+4", "4 ",
 * "--1", "", an overflow all fail; "-0" is 0, and leading zeros are
 * accepted, "007" is 7, as Python's int() and so Django read them).
 * Returns 0 with *out set, KILN_ENOTFOUND when the route has no such
 * parameter, KILN_EINVAL when the value is not such a number (*out is
 * unchanged). (kiln_param_int is the lenient form: a default on failure.)
 */
int kiln_param_i64(kiln_ctx *c, const char *name, int64_t *out);
/**
 * The route parameter name as a row id: a strict kiln_param_i64 of 1 or
 * more. Anything else names no row: it answers 404 problem+json and
 * returns false, so a handler's first line is
 *   int64_t id;
 *   if (!kiln_param_id(c, "id", &id))
 *       return 0;
 */
bool kiln_param_id(kiln_ctx *c, const char *name, int64_t *out);
/** kiln_param_i64 for a query parameter (KILN_ENOTFOUND when absent). */
int kiln_query_i64(kiln_ctx *c, const char *name, int64_t *out);

/* ---- forms and uploads ------------------------------------------------- */

/** A file part of a multipart/form-data body. Owned by the request. */
typedef struct kiln_upload {
    kiln_str filename;     /**< read-only: as the client sent it, without any
                                folder part; never a path to trust */
    kiln_str content_type; /**< read-only: the part's type
                                ("application/octet-stream" when absent) */
    int64_t size;          /**< read-only: bytes */
    /** read-only: a temporary file holding the bytes, removed when the
        request ends (move it away with rename(2) to keep it), or NULL
        when the bytes are in data */
    const char *path;
    kiln_str data; /**< read-only: the bytes when they stayed in memory */
} kiln_upload;

/** One field of a form body, in the order sent. */
typedef struct kiln_form_field {
    kiln_str name;           /**< read-only: decoded, NUL-terminated */
    kiln_str value;          /**< read-only: decoded text, NUL-terminated
                                  (empty for a file part) */
    const kiln_upload *file; /**< read-only: a file part, else NULL (also
                                  for a file input with no file chosen:
                                  an empty filename and no bytes) */
} kiln_form_field;

/**
 * Reads the request body as a form, for any method:
 * application/x-www-form-urlencoded (UTF-8: another charset parameter is
 * not a form we take), or multipart/form-data parsed as it arrives (file
 * parts past uploads.memory bytes are streamed to temporary files, each at
 * most uploads.max_file bytes; text fields and files kept in memory share
 * server.max_body; at most uploads.max_parts fields). Parsed once; later
 * calls return the same fields (and the same error). Returns 0 with *out
 * (n fields, in the arena); KILN_ENOTFOUND when the body is not a form
 * (*n = 0: no Content-Type, JSON, another charset...); KILN_EPARSE for a
 * malformed body; KILN_ELIMIT past a limit; KILN_EIO when a temporary file
 * cannot be written; KILN_ENOMEM; or what reading a streamed body returns
 * (KILN_ETIMEDOUT, KILN_ECLOSED: see kiln_body_read). The body is consumed:
 * kiln_body_read has nothing left after it. kiln_form_fail answers these.
 */
int kiln_form_fields(kiln_ctx *c, const kiln_form_field **out, size_t *n);
/**
 * Answers a failed kiln_form_fields as problem+json with a detail that
 * says what went wrong (415 not a form, 400 malformed, 413 past a limit
 * naming it, 408 too slow, 500 a file not stored, 503 out of memory;
 * nothing when the client is gone) and returns 0 (or what sending
 * returns), so that `if (rc) return kiln_form_fail(c, rc);` is the whole
 * error path. Does nothing once a response was started.
 */
int kiln_form_fail(kiln_ctx *c, int rc);
/** The first value of form field name (empty for a file part: see
    kiln_form_file), or p == NULL when absent, when the body is not a form,
    or when kiln_form_fields fails (call it for the reason). */
kiln_str kiln_form(kiln_ctx *c, const char *name);
/**
 * Every value of form field name, in order: stores up to max of them in
 * out and returns how many there are (may exceed max).
 */
size_t kiln_form_values(kiln_ctx *c, const char *name, kiln_str *out,
                        size_t max);
/** The first file part called name, or NULL. */
const kiln_upload *kiln_form_file(kiln_ctx *c, const char *name);

/**
 * The input of a route with an endpoint schema (api/NAME.toml): its path
 * parameters, query and body, decoded and validated before the handler
 * ran, as the struct `kiln` generated for it (models.h: NAME_input(c) is
 * the typed form). NULL for a route without a schema.
 */
const void *kiln_input(kiln_ctx *c);

/**
 * The address of the client's end of the connection, as text ("127.0.0.1",
 * "2001:db8::1"; an IPv4 client of an IPv6 socket is given as IPv4;
 * "local" for a Unix socket), in the request's arena; p == NULL if the
 * socket cannot say. Behind a proxy this is the proxy's address: take the
 * client's from the header the proxy sets (see docs/cache.md).
 */
kiln_str kiln_client_ip(kiln_ctx *c);
/** A process-unique id for this request ("w0-123"), used in logs. */
const char *kiln_request_id(kiln_ctx *c);
/**
 * Registers fn(arg, rc) to run when the handler has returned, newest first,
 * still inside its coroutine (so fn may wait, e.g. roll back a database
 * transaction). rc is the handler's return value, or KILN_ESTATE when it
 * returned 0 without answering. If the handler never returns (its
 * coroutine crashed, or a shutdown ran out of time), fn runs later, outside
 * any coroutine, with rc KILN_ECANCELED: it must not wait then. Returns 0
 * or KILN_ENOMEM.
 */
int kiln_defer(kiln_ctx *c, void (*fn)(void *arg, int rc), void *arg);
/** True once the response has been started (sent, or streaming). */
bool kiln_responded(kiln_ctx *c);
/** The request's arena (freed when the response is done). */
kiln_arena *kiln_ctx_arena(kiln_ctx *c);
/** Allocates n bytes in the request's arena; NULL on failure. */
void *kiln_alloc(kiln_ctx *c, size_t n);

/* ---- response ---------------------------------------------------------- */

/**
 * Adds a response header. name and value are copied. Content-Length, Date,
 * Server, Transfer-Encoding and Connection are managed by Kiln and rejected
 * (KILN_EINVAL). Returns 0 or a negative code.
 */
int kiln_set_header(kiln_ctx *c, const char *name, const char *value);
/** Sets the response status (default 200) for kiln_send(). */
void kiln_set_status(kiln_ctx *c, int status);
/** Sets the Content-Type of the response body buffer (copied). */
void kiln_set_type(kiln_ctx *c, const char *content_type);
/**
 * The response body buffer: append to it (kiln_buf_*, kiln_json_*), then
 * call kiln_send(). Owned by Kiln.
 */
kiln_buf *kiln_body_buf(kiln_ctx *c);
/** Sends the status, headers and the body buffer. Returns 0 or an error. */
int kiln_send(kiln_ctx *c);
/** Sends body (n bytes, copied) with the given status and Content-Type. */
int kiln_respond(kiln_ctx *c, int status, const char *content_type,
                 const void *body, size_t n);
/** Sends formatted text/plain; charset=utf-8. */
int kiln_text(kiln_ctx *c, int status, const char *fmt, ...) KILN_PRINTF(3, 4);
/** Sends application/json built by kiln_json_format() rules. */
int kiln_jsonf(kiln_ctx *c, int status, const char *fmt, ...);
/**
 * Sends an RFC 9457 application/problem+json with the given status, the
 * standard title for it and detail from fmt.
 */
int kiln_problem(kiln_ctx *c, int status, const char *fmt, ...)
    KILN_PRINTF(3, 4);

/**
 * Redirects: answers status with a Location header holding location and
 * an empty body. status is 303 See Other after a form's post (the browser
 * then GETs location), 302 or 307 for a temporary move (307 keeps the
 * method and body), 301 or 308 for a permanent one (308 keeps the method).
 * location is a path ("/notes", "../up", "?page=2"), a network-path
 * ("//host/x") or an absolute http or https URL; it is copied. Bytes a URL
 * cannot hold raw (a space, UTF-8, a backslash) are percent-encoded, and an
 * escape already written is kept ("/search?q=a%20b" stays as it is).
 *
 * Returns 0 once answered. Returns KILN_EINVAL, answering nothing and
 * logging why, for another status, an empty or NULL location, one holding
 * a control byte (CR or LF would end the header and start one of the
 * client's choosing: it is refused, never stripped), or another scheme
 * ("javascript:", "data:"...); KILN_ESTATE once answered already;
 * KILN_ENOMEM. A target taken from the request (a ?next= parameter) is
 * the caller's to check against its own site: any URL passes here.
 */
int kiln_redirect(kiln_ctx *c, int status, const char *location);

/**
 * Starts a streamed response of unknown length (chunked; for HTTP/1.0 the
 * connection is closed at the end instead). Headers set before are sent.
 */
int kiln_stream_start(kiln_ctx *c, int status, const char *content_type);
/**
 * Sends n bytes as one chunk. May wait (yielding the coroutine) until the
 * socket accepts more. KILN_ECLOSED when the client went away.
 */
int kiln_stream_write(kiln_ctx *c, const void *p, size_t n);
/** Ends a streamed response (last chunk). */
int kiln_stream_end(kiln_ctx *c);

/* ---- waiting ----------------------------------------------------------- */

/** Event bits for kiln_wait_fd. */
enum { KILN_READABLE = 1, KILN_WRITABLE = 2 };

/**
 * Waits until fd is readable and/or writable (events), or timeout_ms passes
 * (-1: no timeout). Inside a handler the coroutine yields and the worker
 * serves other connections meanwhile; outside one it blocks in poll(2).
 * Returns the ready events (> 0), KILN_ETIMEDOUT, KILN_ECANCELED on shutdown
 * drain expiry, or KILN_EIO.
 */
int kiln_wait_fd(int fd, int events, int64_t timeout_ms);
/**
 * Sleeps ms milliseconds (yielding inside a handler). Returns 0, or
 * KILN_ECANCELED once a shutdown has run out of drain time.
 */
int kiln_sleep_ms(int64_t ms);
/** Milliseconds of a monotonic clock (cached once per loop turn in a worker).
 */
int64_t kiln_now_ms(void);

#ifdef __cplusplus
}
#endif
#endif
