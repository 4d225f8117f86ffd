/*
 * tests/testapp.c - the server the black-box tests (tests/blackbox) run:
 * one route per behaviour they check. Built to build/tests/testapp.
 */
#include <kiln.h>
#include <kiln/static.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static KILN_HANDLER(plaintext)
{
    return kiln_respond(c, 200, "text/plain", "Hello, World!", 13);
}

static KILN_HANDLER(json)
{
    return kiln_jsonf(c, 200, "{message:%s}", "Hello, World!");
}

static KILN_HANDLER(echo)
{
    kiln_str b = kiln_body(c);
    char n[32];
    snprintf(n, sizeof n, "%zu", b.n);
    kiln_set_header(c, "X-Body-Length", n);
    return kiln_respond(c, 200, "application/octet-stream", b.p, b.n);
}

static KILN_HANDLER(sleep_ms)
{
    int64_t ms = kiln_query_int(c, "ms", 0);
    kiln_sleep_ms(ms);
    return kiln_text(c, 200, "slept %lld", (long long)ms);
}

static KILN_HANDLER(user_get)
{
    return kiln_text(c, 200, "user %s", kiln_param(c, "id").p);
}

static KILN_HANDLER(user_delete)
{
    return kiln_respond(c, 204, NULL, NULL, 0);
}

static KILN_HANDLER(files)
{
    return kiln_text(c, 200, "rest %s", kiln_param(c, "rest").p);
}

static KILN_HANDLER(path)
{
    kiln_str p = kiln_path(c);
    return kiln_respond(c, 200, "text/plain", p.p, p.n);
}

static KILN_HANDLER(query)
{
    kiln_buf *b = kiln_body_buf(c);
    kiln_str q = kiln_query_string(c);
    kiln_buf_putc(b, '{');
    /* walk the names in order; first value of each */
    const char *p = q.p, *end = q.p + q.n;
    int first = 1;
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        size_t nl = (size_t)((eq ? eq : e) - p);
        if (nl) {
            char raw[256];
            snprintf(raw, sizeof raw, "%.*s", (int)nl, p);
            /* decode the name through a lookup of itself */
            char *name =
                kiln_arena_strndup(kiln_ctx_arena(c), raw, strlen(raw));
            for (char *s = name; *s; s++)
                if (*s == '+')
                    *s = ' ';
            kiln_str v = kiln_query(c, name);
            if (v.p) {
                if (!first)
                    kiln_buf_putc(b, ',');
                first = 0;
                kiln_json_put_str(b, name, strlen(name));
                kiln_buf_putc(b, ':');
                kiln_json_put_str(b, v.p, v.n);
            }
        }
        p = amp ? amp + 1 : end;
    }
    kiln_buf_putc(b, '}');
    kiln_set_type(c, "application/json");
    return kiln_send(c);
}

static KILN_HANDLER(header)
{
    kiln_str name = kiln_query(c, "name");
    kiln_str v = name.p ? kiln_header(c, name.p) : KILN_STR_NULL;
    if (!v.p)
        return kiln_problem(c, 404, "no such header");
    return kiln_respond(c, 200, "text/plain", v.p, v.n);
}

static KILN_HANDLER(cookie)
{
    kiln_str name = kiln_query(c, "name");
    kiln_str v = name.p ? kiln_cookie(c, name.p) : KILN_STR_NULL;
    if (!v.p)
        return kiln_problem(c, 404, "no such cookie");
    return kiln_respond(c, 200, "text/plain", v.p, v.n);
}

static KILN_HANDLER(trailer)
{
    kiln_str name = kiln_query(c, "name");
    kiln_str v = name.p ? kiln_trailer(c, name.p) : KILN_STR_NULL;
    if (!v.p)
        return kiln_problem(c, 404, "no such trailer");
    return kiln_respond(c, 200, "text/plain", v.p, v.n);
}

static KILN_HANDLER(error)
{
    (void)c;
    return KILN_EINVAL;
}

/* Never set: keeps the compiler from proving the recursion endless. */
static volatile int overflow_limit = 0;

/* Recurses until the coroutine stack overflows into its guard page. */
static int deep(volatile char *prev, int n)
{
    volatile char frame[1024];
    frame[0] = (char)n;
    frame[1023] = prev ? prev[0] : 0;
    if (overflow_limit && n > overflow_limit)
        return 0;
    return deep(frame, n + 1) + frame[1];
}

static KILN_HANDLER(overflow)
{
    (void)c;
    return deep(NULL, 0);
}

static KILN_HANDLER(stream)
{
    int64_t n = kiln_query_int(c, "n", 3);
    int64_t size = kiln_query_int(c, "size", 0); /* big chunks, no sleep */
    char *big = NULL;
    if (size > 0 && size <= (1 << 20)) {
        big = kiln_alloc(c, (size_t)size);
        if (!big)
            return KILN_ENOMEM;
        memset(big, 'x', (size_t)size);
    }
    int rc = kiln_stream_start(c, 200, "text/plain");
    for (int64_t i = 0; i < n && rc == 0; i++) {
        if (big) {
            rc = kiln_stream_write(c, big, (size_t)size);
            continue;
        }
        char line[32];
        int len = snprintf(line, sizeof line, "chunk %lld\n", (long long)i);
        rc = kiln_stream_write(c, line, (size_t)len);
        kiln_sleep_ms(10);
    }
    if (rc == 0)
        rc = kiln_stream_end(c);
    else
        kiln_log(KILN_LOG_INFO, "%s: stream ended: %s", kiln_request_id(c),
                 kiln_strerror(rc));
    return rc;
}

/* Waits on a socket: first a timeout, then readiness after a write. */
static KILN_HANDLER(waitfd)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0)
        return KILN_EIO;
    int64_t t0 = kiln_now_ms();
    int first = kiln_wait_fd(sv[0], KILN_READABLE, 50);
    int64_t waited = kiln_now_ms() - t0;
    int w = kiln_wait_fd(sv[1], KILN_WRITABLE, 1000);
    ssize_t n = write(sv[1], "x", 1);
    int second = kiln_wait_fd(sv[0], KILN_READABLE, 1000);
    close(sv[0]);
    close(sv[1]);
    return kiln_jsonf(c, 200,
                      "{timedout:%b, waited_ms:%lld, writable:%b, "
                      "readable:%b}",
                      first == KILN_ETIMEDOUT, (long long)waited,
                      w > 0 && (w & KILN_WRITABLE) && n == 1,
                      second > 0 && (second & KILN_READABLE));
}

static KILN_HANDLER(items)
{
    return kiln_text(c, 201, "created");
}

/* Embedded files for --static-embedded (kiln_static_opts.files). */
static const unsigned char emb_app_js[] = "console.log('embedded');\n";
static const unsigned char emb_app_js_gz[] = "gz-bytes";
static const kiln_static_file emb_files[] = {
    {"app.js", emb_app_js, sizeof emb_app_js - 1, 1700000000},
    {"app.js.gz", emb_app_js_gz, sizeof emb_app_js_gz - 1, 1700000000},
    {"css/site.css", (const unsigned char *)"body{}", 6, 0},
};

/* kiln_static_send: a generated page with the file semantics. */
static KILN_HANDLER(page)
{
    static const char body[] = "<h1>page</h1>\n";
    kiln_set_header(c, "Cache-Control", "no-cache");
    return kiln_static_send(c, body, sizeof body - 1,
                            "text/html; charset=utf-8", 1700000000);
}

/*
 * Takes the testapp's own flags out of argv (kiln_main rejects unknown
 * ones): --static DIR mounts DIR at /static/, --static-immutable marks
 * hashed names immutable, --static-max-age N sets max-age.
 */
static int static_flags(kiln_app *app, int *argc, char **argv)
{
    kiln_static_opts so = {0};
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--static") == 0 && i + 1 < *argc) {
            so.dir = argv[++i];
        } else if (strcmp(argv[i], "--static-immutable") == 0) {
            so.immutable_hashed = true;
        } else if (strcmp(argv[i], "--static-max-age") == 0 && i + 1 < *argc) {
            so.max_age = atoll(argv[++i]);
        } else {
            argv[out++] = argv[i];
        }
    }
    *argc = out;
    argv[out] = NULL;
    if (so.dir) {
        int rc = kiln_static_mount(app, "/static/", &so);
        if (rc) {
            fprintf(stderr, "--static %s: %s\n", so.dir, kiln_strerror(rc));
            return rc;
        }
    }
    kiln_static_opts eo = {.files = emb_files,
                           .nfiles = sizeof emb_files / sizeof emb_files[0],
                           .max_age = 60};
    return kiln_static_mount(app, "/embedded", &eo);
}

/* kiln_defer: counts how handlers ended, by the rc the callback saw */
static long defer_ok, defer_failed, defer_unanswered;

static void defer_count(void *arg, int rc)
{
    (void)arg;
    if (rc == 0)
        __atomic_add_fetch(&defer_ok, 1, __ATOMIC_RELAXED);
    else if (rc == KILN_ESTATE)
        __atomic_add_fetch(&defer_unanswered, 1, __ATOMIC_RELAXED);
    else
        __atomic_add_fetch(&defer_failed, 1, __ATOMIC_RELAXED);
}

/* GET /defer?mode=ok|fail|silent: registers defer_count, then ends so */
static KILN_HANDLER(defer_route)
{
    if (kiln_defer(c, defer_count, NULL) != 0)
        return KILN_ENOMEM;
    kiln_str mode = kiln_query(c, "mode");
    if (mode.p && kiln_str_eq(mode, KILN_STR("fail")))
        return KILN_EIO;
    if (mode.p && kiln_str_eq(mode, KILN_STR("silent")))
        return 0;
    return kiln_text(c, 200, "deferred");
}

static KILN_HANDLER(defer_stats)
{
    return kiln_jsonf(c, 200, "{ok:%ld, failed:%ld, unanswered:%ld}",
                      __atomic_load_n(&defer_ok, __ATOMIC_RELAXED),
                      __atomic_load_n(&defer_failed, __ATOMIC_RELAXED),
                      __atomic_load_n(&defer_unanswered, __ATOMIC_RELAXED));
}

int main(int argc, char **argv)
{
    kiln_app *app = kiln_app_new();
    if (!app)
        return 1;
    if (static_flags(app, &argc, argv) != 0) {
        kiln_app_free(app);
        return 2;
    }
    kiln_route(app, "GET", "/page", page);
    kiln_route(app, "GET", "/plaintext", plaintext);
    kiln_route(app, "GET", "/defer", defer_route);
    kiln_route(app, "GET", "/defer-stats", defer_stats);
    kiln_route(app, "GET", "/json", json);
    kiln_route(app, "POST", "/echo", echo);
    kiln_route(app, "PUT", "/echo", echo);
    kiln_route(app, "GET", "/sleep", sleep_ms);
    kiln_route(app, "GET", "/users/{id}", user_get);
    kiln_route(app, "DELETE", "/users/{id}", user_delete);
    kiln_route(app, "GET", "/files/{...rest}", files);
    kiln_route(app, "GET", "/path", path);
    kiln_route(app, "GET", "/path/{...rest}", path);
    kiln_route(app, "GET", "/query", query);
    kiln_route(app, "GET", "/header", header);
    kiln_route(app, "GET", "/cookie", cookie);
    kiln_route(app, "POST", "/trailer", trailer);
    kiln_route(app, "GET", "/error", error);
    kiln_route(app, "GET", "/overflow", overflow);
    kiln_route(app, "GET", "/stream", stream);
    kiln_route(app, "POST", "/items", items);
    kiln_route(app, "GET", "/waitfd", waitfd);
    return kiln_main(app, argc, argv);
}
