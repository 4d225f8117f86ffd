/*
 * server/ctx.c - the request side of kiln_ctx: the pool of contexts and the
 * accessors a handler calls (kiln/http.h). Everything parsed lazily (query,
 * cookies, trailers, params) goes into the request's arena. The body's
 * accessors are in body.c, forms in form.c.
 */
#include "server/worker.h"

#include "core/log.h"
#include "http/url.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define CTX_POOL_MAX 256
#define CTX_ARENA_CHUNK 4096 /* a request's arena (ws_own_head: smaller) */

kiln_ctx *ctx_acquire(worker *w, conn *c)
{
    kiln_ctx *x = w->free_ctx;
    if (x) {
        w->free_ctx = x->next_free;
        w->nfree_ctx--;
    } else {
        x = calloc(1, sizeof(*x));
        if (!x)
            return NULL;
        kiln_arena_init(&x->arena, CTX_ARENA_CHUNK);
        kiln_buf_init(&x->body_buf);
        kiln_buf_init(&x->trailers_buf);
        kiln_buf_init(&x->resp);
        kiln_buf_init(&x->resp_headers);
        kiln_buf_init(&x->stream_buf);
        kiln_buf_init(&x->part_buf);
        kiln_buf_init(&x->log);
    }
    x->w = w;
    x->conn = c;
    x->co = NULL;
    x->path = KILN_STR_NULL;
    x->body = KILN_STR_NULL;
    x->trailers = NULL;
    x->ntrailers = -1;
    x->query = NULL;
    x->nquery = -1;
    x->body_stream = x->body_eof = false;
    x->body_err = x->body_status = 0;
    x->body_left = x->body_taken = 0;
    x->body_off = x->stream_off = 0;
    x->form = NULL;
    x->status = 200;
    x->ctype[0] = '\0';
    x->responded = x->streaming = x->stream_close = x->head_only = false;
    x->in_error_page = false;
    x->handler_rc = 0;
    x->defers = NULL;
    x->bg = NULL;
    x->cancelled = false;
    x->db = NULL;
    x->input = NULL;
    x->auth = NULL;
    x->session = NULL;
    x->ws = NULL;
    x->sse = NULL;
    x->sub = NULL;
    x->upgraded = x->conn_upgrade = x->head_owned = false;
    x->on_respond = NULL;
    x->id = ++w->next_id;
    x->id_str[0] = '\0';
    x->match.nparams = 0;
    return x;
}

/* Frees a context and everything it owns. */
static void ctx_destroy(kiln_ctx *x)
{
    kiln_arena_deinit(&x->arena);
    kiln_buf_deinit(&x->body_buf);
    kiln_buf_deinit(&x->trailers_buf);
    kiln_buf_deinit(&x->resp);
    kiln_buf_deinit(&x->resp_headers);
    kiln_buf_deinit(&x->stream_buf);
    kiln_buf_deinit(&x->part_buf);
    kiln_buf_deinit(&x->log);
    free(x);
}

static void buf_trim(kiln_buf *b)
{
    kiln_buf_clear(b);
    if (b->cap > 64 * 1024)
        kiln_buf_deinit(b);
}

int ctx_set_request(kiln_ctx *x, const http_request *r)
{
    http_header *h = NULL;
    if (r->nheaders) {
        h = kiln_arena_alloc(&x->arena, r->nheaders * sizeof *h);
        if (!h)
            return KILN_ENOMEM;
        memcpy(h, r->headers, r->nheaders * sizeof *h);
    }
    x->req = (ctx_request){.method = r->method,
                           .target = r->target,
                           .path = r->path,
                           .query = r->query,
                           .has_query = r->has_query,
                           .minor = r->minor,
                           .headers = h,
                           .nheaders = r->nheaders,
                           .host = r->host,
                           .body = r->body,
                           .content_length = r->content_length,
                           .keep_alive = r->keep_alive,
                           .expect_continue = r->expect_continue,
                           .head_len = r->head_len};
    return 0;
}

int ctx_parse_head(kiln_ctx *x, const char *p, size_t n)
{
    http_request *r = &x->w->parse;
    int rc = http_parse_request(p, n, &x->w->head_lim, r);
    if (rc > 0 && ctx_set_request(x, r) != 0)
        return -503;
    return rc;
}

typedef struct ctx_defer {
    void (*fn)(void *arg, int rc);
    void *arg;
    struct ctx_defer *next;
} ctx_defer;

int kiln_defer(kiln_ctx *c, void (*fn)(void *arg, int rc), void *arg)
{
    ctx_defer *d = kiln_alloc(c, sizeof *d);
    if (!d)
        return KILN_ENOMEM;
    d->fn = fn;
    d->arg = arg;
    d->next = c->defers;
    c->defers = d;
    return 0;
}

void ctx_run_defers(kiln_ctx *x, int rc)
{
    while (x->defers) {
        ctx_defer *d = x->defers;
        x->defers = d->next;
        d->fn(d->arg, rc);
    }
}

void ctx_release(kiln_ctx *x)
{
    worker *w = x->w;
    ctx_run_defers(x, KILN_ECANCELED); /* its coroutine was lost */
    if (x->ws)
        ws_release(x); /* before the arena that holds it goes */
    if (x->sse)
        sse_release(x);
    if (x->arena.chunk_size == CTX_ARENA_CHUNK) {
        kiln_arena_reset(&x->arena);
    } else { /* a WebSocket's small arena (ws_own_head) */
        kiln_arena_deinit(&x->arena);
        kiln_arena_init(&x->arena, CTX_ARENA_CHUNK);
    }
    buf_trim(&x->body_buf);
    buf_trim(&x->trailers_buf);
    buf_trim(&x->resp);
    buf_trim(&x->resp_headers);
    buf_trim(&x->stream_buf);
    buf_trim(&x->part_buf);
    buf_trim(&x->log);
    if (w->nfree_ctx >= CTX_POOL_MAX) {
        ctx_destroy(x);
        return;
    }
    x->next_free = w->free_ctx;
    w->free_ctx = x;
    w->nfree_ctx++;
}

void ctx_pool_free(worker *w)
{
    while (w->free_ctx) {
        kiln_ctx *x = w->free_ctx;
        w->free_ctx = x->next_free;
        ctx_destroy(x);
    }
    w->nfree_ctx = 0;
}

int ctx_set_path(kiln_ctx *x)
{
    ctx_request *r = &x->req;
    if (r->path.n == 0 || r->path.p[0] != '/')
        return KILN_EINVAL;
    char *path = kiln_arena_alloc(&x->arena, r->path.n + 1);
    size_t plen = 0;
    if (!path)
        return KILN_ENOMEM;
    if (http_path_normalize(r->path.p, r->path.n, path, &plen) != 0)
        return KILN_EINVAL;
    x->path = (kiln_str){path, plen};
    return 0;
}

void ctx_capture_log(kiln_ctx *x, bool on)
{
    if (x->w->app->capture_log)
        log_capture(on ? &x->log : NULL);
}

kiln_str kiln_request_log(kiln_ctx *c)
{
    return kiln_buf_str(&c->log);
}

/* ---- accessors --------------------------------------------------------- */

kiln_str kiln_method(kiln_ctx *c)
{
    return c->req.method;
}

kiln_str kiln_path(kiln_ctx *c)
{
    return c->path;
}

kiln_str kiln_target(kiln_ctx *c)
{
    return c->req.target;
}

kiln_str kiln_query_string(kiln_ctx *c)
{
    return c->req.query;
}

kiln_str kiln_query(kiln_ctx *c, const char *name)
{
    if (c->nquery < 0) {
        c->nquery = http_query_parse(&c->arena, c->req.query, &c->query);
        if (c->nquery < 0) {
            c->nquery = 0; /* malformed escapes: treat as no parameters */
            c->query = NULL;
        }
    }
    size_t n = strlen(name);
    for (long i = 0; i < c->nquery; i++)
        if (c->query[i].name.n == n && memcmp(c->query[i].name.p, name, n) == 0)
            return c->query[i].value;
    return KILN_STR_NULL;
}

int64_t kiln_query_int(kiln_ctx *c, const char *name, int64_t def)
{
    int64_t v;
    kiln_str s = kiln_query(c, name);
    return s.p && kiln_str_to_i64(s, &v) == 0 ? v : def;
}

kiln_str kiln_header(kiln_ctx *c, const char *name)
{
    size_t n = strlen(name);
    kiln_str key = {name, n};
    for (unsigned i = 0; i < c->req.nheaders; i++)
        if (c->req.headers[i].name.n == n &&
            kiln_str_ieq(c->req.headers[i].name, key))
            return c->req.headers[i].value;
    return KILN_STR_NULL;
}

unsigned kiln_header_count(kiln_ctx *c)
{
    return c->req.nheaders;
}

void kiln_header_at(kiln_ctx *c, unsigned i, kiln_str *name, kiln_str *value)
{
    if (i >= c->req.nheaders) {
        *name = *value = KILN_STR_NULL;
        return;
    }
    *name = c->req.headers[i].name;
    *value = c->req.headers[i].value;
}

kiln_str kiln_trailer(kiln_ctx *c, const char *name)
{
    if (c->ntrailers < 0) {
        c->ntrailers = 0;
        if (c->trailers_buf.n) {
            c->trailers = kiln_arena_alloc(&c->arena, HTTP_MAX_HEADERS *
                                                          sizeof(http_header));
            if (c->trailers) {
                int n = http_parse_fields(c->trailers_buf.p, c->trailers_buf.n,
                                          c->trailers, HTTP_MAX_HEADERS);
                c->ntrailers = n < 0 ? 0 : n;
            }
        }
    }
    kiln_str key = kiln_str_c(name);
    for (int i = 0; i < c->ntrailers; i++)
        if (kiln_str_ieq(c->trailers[i].name, key))
            return c->trailers[i].value;
    return KILN_STR_NULL;
}

/* Finds cookie name in one Cookie header value ("a=1; b=2"). */
static kiln_str cookie_in(kiln_str v, kiln_str name)
{
    const char *p = v.p, *end = v.p + v.n;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ';'))
            p++;
        const char *eq = memchr(p, '=', (size_t)(end - p));
        const char *semi = memchr(p, ';', (size_t)(end - p));
        if (!semi)
            semi = end;
        if (eq && eq < semi) {
            kiln_str k = {p, (size_t)(eq - p)};
            while (k.n && (k.p[k.n - 1] == ' ' || k.p[k.n - 1] == '\t'))
                k.n--;
            if (kiln_str_eq(k, name)) {
                const char *vs = eq + 1, *ve = semi;
                while (vs < ve && (*vs == ' ' || *vs == '\t'))
                    vs++;
                while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'))
                    ve--;
                if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"') {
                    vs++;
                    ve--;
                }
                return (kiln_str){vs, (size_t)(ve - vs)};
            }
        }
        p = semi;
    }
    return KILN_STR_NULL;
}

kiln_str kiln_cookie(kiln_ctx *c, const char *name)
{
    kiln_str key = kiln_str_c(name);
    for (unsigned i = 0; i < c->req.nheaders; i++) {
        if (!kiln_str_ieq(c->req.headers[i].name, KILN_STR("Cookie")))
            continue;
        kiln_str v = cookie_in(c->req.headers[i].value, key);
        if (v.p) {
            char *s = kiln_arena_strndup(&c->arena, v.p, v.n);
            return s ? (kiln_str){s, v.n} : KILN_STR_NULL;
        }
    }
    return KILN_STR_NULL;
}

void *kiln_route_data(kiln_ctx *c)
{
    return c->match.data;
}

const char *kiln_route_pattern(kiln_ctx *c)
{
    return c->match.pattern;
}

kiln_str kiln_param(kiln_ctx *c, const char *name)
{
    kiln_str key = kiln_str_c(name);
    for (unsigned i = 0; i < c->match.nparams; i++) {
        if (kiln_str_eq(c->match.names[i], key)) {
            kiln_str v = c->match.values[i];
            char *s = kiln_arena_strndup(&c->arena, v.p, v.n);
            return s ? (kiln_str){s, v.n} : KILN_STR_NULL;
        }
    }
    return KILN_STR_NULL;
}

int64_t kiln_param_int(kiln_ctx *c, const char *name, int64_t def)
{
    int64_t v;
    kiln_str s = kiln_param(c, name);
    return s.p && kiln_str_to_i64(s, &v) == 0 ? v : def;
}

/* kiln_str_to_i64 is the strict parser these need: the whole value, an
 * optional '-' then digits (leading zeros allowed, as Python's int() and
 * so Django's IntegerField do), no sign '+', no space, no overflow. */
int kiln_param_i64(kiln_ctx *c, const char *name, int64_t *out)
{
    kiln_str key = kiln_str_c(name);
    for (unsigned i = 0; i < c->match.nparams; i++)
        if (kiln_str_eq(c->match.names[i], key))
            return kiln_str_to_i64(c->match.values[i], out) == 0 ? 0
                                                                 : KILN_EINVAL;
    return KILN_ENOTFOUND;
}

bool kiln_param_id(kiln_ctx *c, const char *name, int64_t *out)
{
    if (kiln_param_i64(c, name, out) == 0 && *out > 0)
        return true;
    *out = 0;
    kiln_problem(c, 404, "no resource has this %s", name);
    return false;
}

int kiln_query_i64(kiln_ctx *c, const char *name, int64_t *out)
{
    kiln_str v = kiln_query(c, name);
    if (!v.p)
        return KILN_ENOTFOUND;
    return kiln_str_to_i64(v, out) == 0 ? 0 : KILN_EINVAL;
}

bool kiln_is_htmx(kiln_ctx *c)
{
    kiln_str hx = kiln_header(c, "HX-Request");
    return hx.p && kiln_str_ieq_c(hx, "true");
}

const void *kiln_input(kiln_ctx *c)
{
    return c->input;
}

void ctx_set_input(kiln_ctx *x, void *in)
{
    x->input = in;
}

void *ctx_auth(kiln_ctx *c)
{
    return c->auth;
}

void ctx_set_auth(kiln_ctx *c, void *a)
{
    c->auth = a;
}

kiln_str kiln_client_ip(kiln_ctx *c)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char buf[INET6_ADDRSTRLEN];
    const char *ip = NULL;
    if (c->conn && c->conn->memory)
        ip = "127.0.0.1"; /* testreq.c: the test client is local */
    else if (getpeername(c->conn->io.fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
            ip = inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
        } else if (ss.ss_family == AF_INET6) {
            const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
            if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) /* ::ffff:1.2.3.4 */
                ip = inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], buf,
                               sizeof buf);
            else
                ip = inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
        } else if (ss.ss_family == AF_UNIX) {
            ip = "local";
        }
    }
    if (!ip)
        return KILN_STR_NULL;
    char *s = kiln_arena_strndup(&c->arena, ip, strlen(ip));
    return s ? kiln_str_c(s) : KILN_STR_NULL;
}

const char *kiln_request_id(kiln_ctx *c)
{
    if (!c->id_str[0])
        snprintf(c->id_str, sizeof c->id_str, "w%d-%llu", c->w->id,
                 (unsigned long long)c->id);
    return c->id_str;
}

bool kiln_responded(kiln_ctx *c)
{
    return c->responded;
}

kiln_arena *kiln_ctx_arena(kiln_ctx *c)
{
    return &c->arena;
}

void *kiln_alloc(kiln_ctx *c, size_t n)
{
    return kiln_arena_alloc(&c->arena, n);
}
