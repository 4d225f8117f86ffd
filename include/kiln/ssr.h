/*
 * kiln/ssr.h - server-side rendering of React components from a handler,
 * through the SSR service (the [ssr] settings; docs/frontend.md, "The SSR
 * service").
 *
 *   kiln_str html;
 *   if (kiln_ssr_render(c, "Greeting", KILN_STR("{\"name\":\"Ada\"}"),
 *                       &html) != 0)
 *       html = KILN_STR("");   // render it on the client instead
 */
#ifndef KILN_SSR_H
#define KILN_SSR_H

#include "kiln/http.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Renders the component named component (an export of the sidecar's
 * components) with the props props_json (one JSON value, copied as
 * written; empty means {}) to HTML. Returns 0 with *html in c's request
 * arena (valid until the request ends). Non-zero means "render it on the
 * client": SSR is off (KILN_ESTATE, also outside a handler), the sidecar
 * is down or died meanwhile (KILN_EUNAVAIL), it did not answer within
 * ssr.timeout_ms (KILN_ETIMEDOUT, logged), the component threw
 * (KILN_EINVAL, logged), KILN_ENOMEM. The handler's coroutine waits; the
 * worker serves other requests meanwhile.
 */
int kiln_ssr_render(kiln_ctx *c, const char *component, kiln_str props_json,
                    kiln_str *html);

#ifdef __cplusplus
}
#endif
#endif
