/*
 * frontend/ssr.h - the SSR service: a Node sidecar (share/ssr/server.mjs
 * or the app's frontend/ssr.mjs) that Kiln starts, supervises and asks
 * over a Unix socket to render React components to HTML.
 *
 * One sidecar per process, started by ssr_start and watched by a
 * supervisor thread that restarts it with backoff when it exits. Each
 * worker keeps up to ssr.pool connections to it on its own loop; a render
 * parks the calling coroutine until its answer, the timeout or the
 * sidecar's death, so a worker never blocks while the sidecar renders.
 */
#ifndef KILN_FRONTEND_SSR_H
#define KILN_FRONTEND_SSR_H

#include "kiln/config.h"
#include "kiln/http.h"

/**
 * Starts the sidecar when ssr.enabled is set (a no-op otherwise), waiting
 * up to 5 s for its socket, so the first requests render on the server.
 * root is the project folder (the socket and the default entry are under
 * it). 0, or -1 with err filled (a setting that cannot work: no node, no
 * entry script). A sidecar that starts but fails later is only logged and
 * restarted. Not thread-safe: at start-up, before the workers run.
 */
int ssr_start(const kiln_settings *s, const char *root, char *err,
              size_t errlen);

/** Stops the sidecar (SIGTERM, then SIGKILL after 2 s) and its supervisor;
    frees what ssr_start made. Safe when it was not started. After the
    workers stopped. */
void ssr_stop(void);

/**
 * Renders component with props_json (one JSON value; empty means {})
 * through the sidecar. 0 with the markup in *html, allocated in c's
 * request arena; non-zero when the page should render on the client
 * instead: KILN_ESTATE (SSR off, or not in a handler's coroutine),
 * KILN_EUNAVAIL (the sidecar is down or restarting, or died during the
 * render), KILN_ETIMEDOUT (no answer within ssr.timeout_ms; logged),
 * KILN_EINVAL (the component threw: its message is logged), KILN_ENOMEM.
 * Never blocks the worker.
 */
int frontend_ssr_render(kiln_ctx *c, const char *component, kiln_str props_json,
                        kiln_str *html);

#endif
