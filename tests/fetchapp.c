/*
 * tests/fetchapp.c - the server the outgoing HTTP client's black-box tests
 * talk to (tests/blackbox/test_fetch.py): its handlers fetch what the
 * query names and answer with what came back.
 *
 *   build/tests/fetchapp [kiln_main flags...]
 *
 *   GET  /fetch?url=U[&timeout=MS][&max=BYTES][&method=M][&redirects=1]
 *        [&insecure=1]   {rc, status, body, error, ctype}
 *   POST /fetch?url=U    the same, sending the request's body (and its
 *                        Content-Type) to U
 *   GET  /json?url=U     kiln_fetch_json: {rc, status, type, error}
 *   GET  /ping           "pong" (a request that does not fetch)
 */
#include <kiln.h>

#include <stdio.h>
#include <string.h>

static char *qdup(kiln_ctx *c, const char *name)
{
    kiln_str s = kiln_query(c, name);
    return s.p ? kiln_arena_strndup(kiln_ctx_arena(c), s.p, s.n) : NULL;
}

static KILN_HANDLER(do_fetch)
{
    kiln_fetch_req req = {
        .url = qdup(c, "url"),
        .method = qdup(c, "method"),
        .timeout_ms = (int)kiln_query_int(c, "timeout", 0),
        .max_bytes = (size_t)kiln_query_int(c, "max", 0),
        .follow_redirects = kiln_query_int(c, "redirects", 0) != 0,
        .insecure = kiln_query_int(c, "insecure", 0) != 0,
    };
    const char *hdrs[3] = {NULL, NULL, NULL};
    if (kiln_str_eq(kiln_method(c), KILN_STR("POST"))) {
        req.body = kiln_body(c);
        if (!req.body.p)
            req.body = KILN_STR("");
        kiln_str ct = kiln_header(c, "Content-Type");
        if (ct.p)
            hdrs[0] = kiln_arena_printf(kiln_ctx_arena(c), "Content-Type: %.*s",
                                        (int)ct.n, ct.p);
    }
    kiln_str h = kiln_query(c, "header");
    if (h.p)
        hdrs[hdrs[0] ? 1 : 0] = qdup(c, "header");
    req.headers = hdrs;
    kiln_fetch_resp r;
    int rc = kiln_fetch(c, &req, &r);
    kiln_str ct = kiln_fetch_header_get(&r, "Content-Type");
    return kiln_jsonf(c, 200,
                      "{rc: %s, status: %d, body: %S, error: %s, "
                      "ctype: %S, nheaders: %zu}",
                      rc ? kiln_strerror(rc) : "ok", r.status, r.body, r.error,
                      ct, r.nheaders);
}

static KILN_HANDLER(do_json)
{
    kiln_fetch_req req = {.url = qdup(c, "url")};
    kiln_fetch_resp r;
    const kiln_json *v;
    int rc = kiln_fetch_json(c, &req, &r, &v);
    static const char *const types[] = {"null",   "bool",  "number",
                                        "string", "array", "object"};
    const kiln_json *name = v ? kiln_json_get(v, "name") : NULL;
    return kiln_jsonf(c, 200,
                      "{rc: %s, status: %d, type: %s, error: %s, "
                      "name: %S}",
                      rc ? kiln_strerror(rc) : "ok", r.status,
                      v ? types[v->type] : NULL, r.error,
                      name && name->type == KILN_JSON_STRING ? name->u.string
                                                             : KILN_STR_NULL);
}

static KILN_HANDLER(ping)
{
    return kiln_text(c, 200, "pong");
}

int main(int argc, char **argv)
{
    kiln_app *app = kiln_app_new();
    kiln_route(app, "GET", "/fetch", do_fetch);
    kiln_route(app, "POST", "/fetch", do_fetch);
    kiln_route(app, "GET", "/json", do_json);
    kiln_route(app, "GET", "/ping", ping);
    return kiln_main(app, argc, argv);
}
