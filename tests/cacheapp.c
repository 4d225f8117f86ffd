/*
 * tests/cacheapp.c - the server the cache black-box tests talk to
 * (tests/blackbox/test_cache.py): the cache API over HTTP, a slow
 * get-or-compute, cached routes of every kind, and rate-limited routes.
 *
 *   build/tests/cacheapp [--cache memory|redis] [--redis URL]
 *                        [--rate-backend memory|redis] [--fail-open]
 *                        [kiln_main flags...]
 *
 * Counters (how many times a handler or a computation ran) are per
 * process: GET /count/NAME reads one.
 */
#include <kiln.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    C_COMPUTE,
    C_PAGE,
    C_COOKIE,
    C_NOSTORE,
    C_MISSING,
    C_OWNVARY,
    C_USER,
    C_PUBLIC,
    C_SHORT,
    C_STREAM,
    C_N
};
static const char *const counter_names[C_N] = {
    "compute", "page", "cookie", "nostore", "missing",
    "ownvary", "user", "public", "short",   "stream"};
static int counters[C_N];

static int bump(int i)
{
    return __atomic_add_fetch(&counters[i], 1, __ATOMIC_SEQ_CST);
}

/* GET /count/{name} */
static KILN_HANDLER(count)
{
    kiln_str n = kiln_param(c, "name");
    for (int i = 0; i < C_N; i++)
        if (kiln_str_eq(n, kiln_str_c(counter_names[i])))
            return kiln_text(c, 200, "%d",
                             __atomic_load_n(&counters[i], __ATOMIC_SEQ_CST));
    return kiln_problem(c, 404, "no counter %.*s", (int)n.n, n.p);
}

/* ---- the cache API ------------------------------------------------------- */

/* GET /c/{key}: the value, 404 */
static KILN_HANDLER(c_get)
{
    kiln_str v;
    int rc = kiln_cache_get(NULL, kiln_param(c, "key"), kiln_ctx_arena(c), &v);
    if (rc == KILN_ENOTFOUND)
        return kiln_problem(c, 404, "no such key");
    if (rc < 0)
        return kiln_cache_fail(c, rc);
    return kiln_respond(c, 200, "application/octet-stream", v.p, v.n);
}

/* PUT /c/{key}?ttl=MS (body: the value) */
static KILN_HANDLER(c_set)
{
    int rc = kiln_cache_set(NULL, kiln_param(c, "key"), kiln_body(c),
                            kiln_query_int(c, "ttl", 0));
    if (rc < 0)
        return kiln_cache_fail(c, rc);
    return kiln_respond(c, 204, NULL, NULL, 0);
}

/* POST /c/{key}/add?ttl=MS: 201 stored, 409 present */
static KILN_HANDLER(c_add)
{
    int rc = kiln_cache_add(NULL, kiln_param(c, "key"), kiln_body(c),
                            kiln_query_int(c, "ttl", 0));
    if (rc < 0)
        return kiln_cache_fail(c, rc);
    return rc == 1 ? kiln_text(c, 201, "added")
                   : kiln_problem(c, 409, "the key is there");
}

/* DELETE /c/{key} */
static KILN_HANDLER(c_delete)
{
    int rc = kiln_cache_delete(NULL, kiln_param(c, "key"));
    if (rc == KILN_ENOTFOUND)
        return kiln_problem(c, 404, "no such key");
    if (rc < 0)
        return kiln_cache_fail(c, rc);
    return kiln_respond(c, 204, NULL, NULL, 0);
}

/* POST /c/{key}/incr?by=N&ttl=MS -> the new value */
static KILN_HANDLER(c_incr)
{
    int64_t v;
    int rc =
        kiln_cache_incr(NULL, kiln_param(c, "key"), kiln_query_int(c, "by", 1),
                        kiln_query_int(c, "ttl", 0), &v);
    if (rc == KILN_EINVAL)
        return kiln_problem(c, 422, "the value is not an integer");
    if (rc < 0)
        return kiln_cache_fail(c, rc);
    return kiln_text(c, 200, "%lld", (long long)v);
}

/* A computation that takes ?ms= milliseconds (yielding) and counts. */
static int slow_value(void *arg, kiln_arena *a, kiln_str *value,
                      int64_t *ttl_ms)
{
    kiln_ctx *c = arg;
    (void)ttl_ms;
    bump(C_COMPUTE);
    kiln_sleep_ms(kiln_query_int(c, "ms", 300));
    kiln_str key = kiln_param(c, "key");
    *value =
        kiln_str_c(kiln_arena_printf(a, "value of %.*s", (int)key.n, key.p));
    return 0;
}

/* GET /compute/{key}?ms=N */
static KILN_HANDLER(compute)
{
    kiln_str v;
    int rc = kiln_cache_get_or_compute(NULL, kiln_param(c, "key"), 60000,
                                       kiln_ctx_arena(c), slow_value, c, &v);
    if (rc < 0)
        return kiln_cache_fail(c, rc);
    return kiln_respond(c, 200, "text/plain", v.p, v.n);
}

/* ---- cached routes ------------------------------------------------------- */

static KILN_HANDLER(page)
{
    kiln_str lang = kiln_header(c, "Accept-Language");
    return kiln_text(c, 200, "page %d lang=%.*s", bump(C_PAGE),
                     lang.p ? (int)lang.n : 4, lang.p ? lang.p : "none");
}

static KILN_HANDLER(page_cookie)
{
    kiln_set_header(c, "Set-Cookie", "sid=abc; HttpOnly");
    return kiln_text(c, 200, "cookie %d", bump(C_COOKIE));
}

static KILN_HANDLER(page_nostore)
{
    kiln_set_header(c, "Cache-Control", "no-store");
    return kiln_text(c, 200, "nostore %d", bump(C_NOSTORE));
}

static KILN_HANDLER(page_missing)
{
    return kiln_problem(c, 404, "missing %d", bump(C_MISSING));
}

static KILN_HANDLER(page_ownvary)
{
    kiln_str f = kiln_header(c, "X-Flavor"), z = kiln_header(c, "X-Size");
    kiln_set_header(c, "Vary", "X-Flavor");
    kiln_set_header(c, "Vary", "X-Size"); /* a second field: a list too */
    kiln_set_header(c, "X-Made", "by the handler");
    return kiln_text(c, 200, "flavour %.*s%s%.*s %d", f.p ? (int)f.n : 4,
                     f.p ? f.p : "none", z.p ? " " : "", z.p ? (int)z.n : 0,
                     z.p ? z.p : "", bump(C_OWNVARY));
}

static KILN_HANDLER(page_user)
{
    kiln_str a = kiln_header(c, "Authorization");
    return kiln_text(c, 200, "user %.*s %d", a.p ? (int)a.n : 4,
                     a.p ? a.p : "anon", bump(C_USER));
}

static KILN_HANDLER(page_public)
{
    return kiln_text(c, 200, "public %d", bump(C_PUBLIC));
}

static KILN_HANDLER(page_short)
{
    return kiln_text(c, 200, "short %d", bump(C_SHORT));
}

static KILN_HANDLER(page_stream)
{
    bump(C_STREAM);
    kiln_stream_start(c, 200, "text/plain");
    kiln_stream_write(c, "streamed", 8);
    return kiln_stream_end(c);
}

/* GET /manual?who=KEY: kiln_rate_limit called by the handler itself */
static KILN_HANDLER(manual)
{
    int rc = kiln_rate_limit(c, "manual", kiln_query(c, "who"));
    if (rc != 0)
        return rc > 0 ? 0 : rc;
    return kiln_text(c, 200, "allowed");
}

static KILN_HANDLER(plaintext)
{
    return kiln_text(c, 200, "Hello, World!");
}

static const kiln_cache_rule r_page = {.ttl = 60, .vary = "Accept-Language"};
static const kiln_cache_rule r_plain = {.ttl = 60};
static const kiln_cache_rule r_user = {.ttl = 60,
                                       .credentials = KILN_CACHE_PER_USER};
static const kiln_cache_rule r_public = {.ttl = 60,
                                         .credentials = KILN_CACHE_IGNORE};
static const kiln_cache_rule r_short = {.ttl = 1};

int main(int argc, char **argv)
{
    kiln_cache_opts o = {0};
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int n = 0;
    rest[n++] = argv[0];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--cache") == 0 && i + 1 < argc)
            o.backend = argv[++i];
        else if (strcmp(argv[i], "--redis") == 0 && i + 1 < argc)
            o.redis_url = argv[++i];
        else if (strcmp(argv[i], "--rate-backend") == 0 && i + 1 < argc)
            o.rate_backend = argv[++i];
        else if (strcmp(argv[i], "--fail-open") == 0)
            o.rate_fail_open = true;
        else
            rest[n++] = argv[i];
    }
    o.redis_timeout_ms = 1000;
    char err[256];
    kiln_cache *k = kiln_cache_new(&o, err, sizeof err);
    if (!k) {
        fprintf(stderr, "cacheapp: %s\n", err);
        free(rest);
        return 2;
    }
    kiln_cache_set_default(k);
    if (kiln_rate_define("manual", "1/min burst 2") != 0)
        return 2;
    kiln_app *app = kiln_app_new();
    kiln_route(app, "GET", "/count/{name}", count);
    kiln_route(app, "GET", "/c/{key}", c_get);
    kiln_route(app, "PUT", "/c/{key}", c_set);
    kiln_route(app, "DELETE", "/c/{key}", c_delete);
    kiln_route(app, "POST", "/c/{key}/add", c_add);
    kiln_route(app, "POST", "/c/{key}/incr", c_incr);
    kiln_route(app, "GET", "/compute/{key}", compute);
    kiln_route(app, "GET", "/manual", manual);
    kiln_route(app, "GET", "/plaintext", plaintext);
    kiln_route_opts(app, "GET", "/page", page,
                    &(kiln_route_options){.cache = &r_page});
    kiln_route_opts(app, "GET", "/page/cookie", page_cookie,
                    &(kiln_route_options){.cache = &r_plain});
    kiln_route_opts(app, "GET", "/page/nostore", page_nostore,
                    &(kiln_route_options){.cache = &r_plain});
    kiln_route_opts(app, "GET", "/page/missing", page_missing,
                    &(kiln_route_options){.cache = &r_plain});
    kiln_route_opts(app, "GET", "/page/ownvary", page_ownvary,
                    &(kiln_route_options){.cache = &r_plain});
    kiln_route_opts(app, "GET", "/page/user", page_user,
                    &(kiln_route_options){.cache = &r_user});
    kiln_route_opts(app, "GET", "/page/public", page_public,
                    &(kiln_route_options){.cache = &r_public});
    kiln_route_opts(app, "GET", "/page/short", page_short,
                    &(kiln_route_options){.cache = &r_short});
    kiln_route_opts(app, "GET", "/page/stream", page_stream,
                    &(kiln_route_options){.cache = &r_plain});
    kiln_route_opts(app, "GET", "/limited", plaintext,
                    &(kiln_route_options){.rate = "4/s burst 3"});
    kiln_route_opts(app, "GET", "/limited/key", plaintext,
                    &(kiln_route_options){.rate = "1/min burst 2",
                                          .rate_by = "header:X-Key"});
    kiln_route_opts(
        app, "GET", "/limited/cached", page_public,
        &(kiln_route_options){.rate = "1/min burst 2", .cache = &r_public});
    int rc = kiln_main(app, n, rest);
    kiln_cache_set_default(NULL);
    kiln_cache_free(k);
    free(rest);
    return rc;
}
