/*
 * kiln/fetch.h - outgoing HTTP requests from a handler, a task or a
 * service: webhooks, another service's API, an identity provider's keys.
 *
 * A fetch never blocks a worker: in a worker's coroutine the request runs
 * on the worker's event loop (libcurl's multi interface) and the calling
 * coroutine waits while the worker serves others; elsewhere (the command
 * line, start-up, a thread of the app's own) it blocks the calling thread.
 * Connections are kept alive per worker and reused.
 *
 * Safe by default: only http and https URLs; TLS certificates and host
 * names verified (an explicit flag turns that off, for a development
 * server only); redirects not followed unless asked (and then only to
 * http/https, at most 5); a 10 s timeout and a 10 MiB response limit
 * unless the request says otherwise.
 *
 *     kiln_fetch_resp r;
 *     int rc = kiln_fetch(c, &(kiln_fetch_req){
 *         .method = "POST", .url = "https://hooks.example.com/x",
 *         .headers = (const char *[]){"Content-Type: application/json",
 *                                     NULL},
 *         .body = KILN_STR("{\"event\":\"signup\"}")}, &r);
 *     if (rc)
 *         return kiln_problem(c, 502, "the hook failed: %s", r.error);
 */
#ifndef KILN_FETCH_H
#define KILN_FETCH_H

#include "kiln/core.h"
#include "kiln/json.h"

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_ctx kiln_ctx;

/** The timeout of a request that sets none (timeout_ms 0). */
#define KILN_FETCH_TIMEOUT_MS 10000
/** The response size limit of a request that sets none (max_bytes 0). */
#define KILN_FETCH_MAX_BYTES (10u << 20)
/** Redirects followed at most, when follow_redirects is set. */
#define KILN_FETCH_MAX_REDIRECTS 5

/** An outgoing request. Everything it points to is the caller's and must
    stay valid for the call. */
typedef struct kiln_fetch_req {
    /** "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"...; NULL: GET, or
        POST when body.p is set */
    const char *method;
    /** an absolute http:// or https:// URL */
    const char *url;
    /** "Name: value" lines, NULL-terminated; NULL for none */
    const char *const *headers;
    /** the request body; body.p == NULL for none */
    kiln_str body;
    /** the whole exchange (connecting included) must end within this;
        0: KILN_FETCH_TIMEOUT_MS */
    int timeout_ms;
    /** a response body longer than this fails with KILN_ELIMIT;
        0: KILN_FETCH_MAX_BYTES */
    size_t max_bytes;
    /** follow 3xx answers with a Location (at most KILN_FETCH_MAX_REDIRECTS,
        http/https only); off by default */
    bool follow_redirects;
    /** do not verify the server's certificate and host name: a development
        server with a self-signed certificate only, never in production */
    bool insecure;
} kiln_fetch_req;

/** A response header (views into the arena of the call). */
typedef struct kiln_fetch_header {
    kiln_str name, value;
} kiln_fetch_header;

/** The outcome of a fetch. Memory: the arena of the call (the request's,
    for kiln_fetch). */
typedef struct kiln_fetch_resp {
    /** the HTTP status of the (last) response; 0 when none came */
    int status;
    /** the body, NUL-terminated (body.p[body.n] == 0); empty when none */
    kiln_str body;
    /** the headers of the (last) response, in order */
    kiln_fetch_header *headers;
    size_t nheaders;
    /** why the call failed, "" on success; never NULL after a call */
    const char *error;
} kiln_fetch_resp;

/**
 * Sends req and waits for its whole response, which is stored in c's
 * arena (resp->body, resp->headers). Any HTTP status is a success: the
 * caller looks at resp->status. Returns 0, or:
 *   KILN_EINVAL     not an absolute http/https URL, a header line with CR
 *                   or LF, or a redirect to another scheme;
 *   KILN_ETIMEDOUT  no complete response within the timeout;
 *   KILN_ELIMIT     the body is longer than max_bytes;
 *   KILN_EUNAVAIL   the host could not be resolved or reached, TLS failed
 *                   (a certificate that does not verify), the connection
 *                   broke;
 *   KILN_ECANCELED  the server is shutting down (or c was cancelled);
 *   KILN_ENOMEM.
 * resp->error says why in every failure (arena, or a static string).
 */
int kiln_fetch(kiln_ctx *c, const kiln_fetch_req *req, kiln_fetch_resp *resp);

/**
 * kiln_fetch, then the body parsed as JSON into c's arena (*out), with
 * "Accept: application/json" added unless req has an Accept line. Any
 * HTTP status with a JSON body succeeds: check resp->status. Returns what
 * kiln_fetch returns, or KILN_EPARSE when the body is not JSON (resp->error
 * says where; *out NULL).
 */
int kiln_fetch_json(kiln_ctx *c, const kiln_fetch_req *req,
                    kiln_fetch_resp *resp, const kiln_json **out);

/** The value of the response's last header called name (case-insensitive),
    or KILN_STR_NULL. */
kiln_str kiln_fetch_header_get(const kiln_fetch_resp *resp, const char *name);

#ifdef __cplusplus
}
#endif
#endif
