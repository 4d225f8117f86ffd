/*
 * server/cors.h - Cross-Origin Resource Sharing for an app whose front end
 * runs on another origin (cors.c): the app's policy (kiln_app_cors), the
 * headers it adds to a request's answer, and the pure list check the
 * preflight uses (unit-tested in tests/server, fuzzed by fuzz_cors).
 */
#ifndef KILN_SERVER_CORS_H
#define KILN_SERVER_CORS_H

#include <kiln/http.h>

/** An app's CORS policy, built by kiln_app_cors; freed by cors_free. */
typedef struct cors cors;

/** Frees p (NULL is fine). */
void cors_free(cors *p);

/**
 * Applies policy p to request x, just routed (x->match filled), before its
 * handler runs. Without an Origin field: Vary: Origin only. A preflight
 * (OPTIONS with Origin and Access-Control-Request-Method, on a path some
 * route matches) from an allowed origin asking for an allowed method and
 * headers is answered here: 204 with the Access-Control-Allow-* headers,
 * and 1 is returned. Any other request from an allowed origin gets
 * Access-Control-Allow-Origin (and -Credentials, -Expose-Headers) set on
 * its answer, whatever it is; a refused origin or preflight gets no CORS
 * header (the browser then blocks the page's script). Returns 0 (go on),
 * 1 (answered) or KILN_ENOMEM.
 */
int cors_apply(const cors *p, kiln_ctx *x);

/**
 * True when every element of the comma-separated list requested (an
 * Access-Control-Request-Headers value: tokens with optional whitespace,
 * empty elements ignored) is, ASCII case-insensitively, an element of the
 * comma-separated list allowed. An element that is not an HTTP token
 * makes it false; an empty requested list is true.
 */
bool cors_list_subset(kiln_str requested, kiln_str allowed);

#endif
