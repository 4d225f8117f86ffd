/*
 * fetch/fetch_impl.h - the outgoing HTTP client behind kiln/fetch.h, for
 * the layers that fetch without a request context of their own (the OIDC
 * key cache refreshing in the background, the command line).
 */
#ifndef KILN_FETCH_IMPL_H
#define KILN_FETCH_IMPL_H

#include <kiln/fetch.h>

/**
 * kiln_fetch with the response stored in a (any arena of the calling
 * thread). In a worker's coroutine the coroutine waits on the worker's
 * loop; elsewhere the thread blocks. Same returns as kiln_fetch.
 */
int fetch_do(kiln_arena *a, const kiln_fetch_req *req, kiln_fetch_resp *resp);

/** kiln_fetch_json into arena a; see fetch_do and kiln_fetch_json. */
int fetch_do_json(kiln_arena *a, const kiln_fetch_req *req,
                  kiln_fetch_resp *resp, const kiln_json **out);

/**
 * Checks that url is an absolute http:// or https:// URL with a host
 * (scheme case-insensitive), the only ones a fetch accepts. Pure. Returns
 * 1 for https, 0 for http, KILN_EINVAL otherwise.
 */
int fetch_url_scheme(const char *url);

/** Checks one "Name: value" request header line: a token name, a colon,
    no CR, LF or NUL anywhere. Pure. */
bool fetch_header_ok(const char *line);

/**
 * Parses the raw response header lines (status line excluded or not:
 * lines without a colon are skipped; obsolete folded lines are dropped)
 * in p[0..n) into an array in a. Pure. Returns 0 or KILN_ENOMEM.
 */
int fetch_parse_headers(kiln_arena *a, const char *p, size_t n,
                        kiln_fetch_header **out, size_t *nout);

#endif
