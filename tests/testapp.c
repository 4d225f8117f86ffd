/*
 * tests/testapp.c - the server the black-box tests (tests/blackbox) run:
 * one route per behaviour they check. Built to build/tests/testapp.
 */
#include <kiln.h>
#include <kiln/static.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* A form string must be NUL-terminated where its length says. */
#define CHECK_NUL(s)                                                           \
    do {                                                                       \
        if ((s).p[(s).n] != '\0')                                              \
            return kiln_problem(c, 500, "%s is not NUL-terminated", #s);       \
    } while (0)

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

/* GET /redirect?status=N&to=URL: kiln_redirect, or 400 naming its error */
static KILN_HANDLER(redirect)
{
    kiln_str to = kiln_query(c, "to");
    int rc = kiln_redirect(c, (int)kiln_query_int(c, "status", 303), to.p);
    if (rc == 0)
        return 0;
    return kiln_problem(c, 400, "kiln_redirect: %s", kiln_strerror(rc));
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

/* ---- forms and uploads ----------------------------------------------------
 */

static uint32_t crc_table[256]; /* filled by main() before serving */

static void crc32_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

/* The CRC-32 (IEEE, as Python's zlib.crc32) of p[0..n), continuing from
 * crc (0 to start). */
static uint32_t crc32(uint32_t crc, const void *p, size_t n)
{
    const uint32_t *table = crc_table;
    const unsigned char *s = p;
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ s[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

/* Appends an upload as JSON: its metadata and a checksum of its bytes,
 * read back from memory or from its temporary file. */
static int put_upload(kiln_buf *b, const kiln_upload *u)
{
    uint32_t h = 0;
    int64_t got = 0;
    char mode[8] = "";
    if (u->path) {
        int fd = open(u->path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0)
            return KILN_EIO;
        snprintf(mode, sizeof mode, "%o", (unsigned)(st.st_mode & 0777));
        char buf[65536];
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0) {
            h = crc32(h, buf, (size_t)n);
            got += n;
        }
        close(fd);
    } else {
        h = crc32(h, u->data.p, u->data.n);
        got = (int64_t)u->data.n;
    }
    return kiln_json_format(b,
                            "{filename:%S, type:%S, size:%lld, read:%lld, "
                            "on_disk:%b, mode:%s, crc:%lld}",
                            u->filename, u->content_type, (long long)u->size,
                            (long long)got, u->path != NULL, mode,
                            (long long)h);
}

/* Any method /form[?q=NAME]: the form's fields in order as JSON, and for
 * ?q=NAME what kiln_form, kiln_form_values and kiln_form_file say. */
static KILN_HANDLER(form)
{
    const kiln_form_field *f;
    size_t n;
    int rc = kiln_form_fields(c, &f, &n);
    if (rc)
        return kiln_form_fail(c, rc);
    kiln_buf *b = kiln_body_buf(c);
    kiln_buf_puts(b, "{\"method\":");
    kiln_json_put_str(b, kiln_method(c).p, kiln_method(c).n);
    kiln_buf_puts(b, ",\"fields\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            kiln_buf_putc(b, ',');
        kiln_buf_puts(b, "{\"name\":");
        kiln_json_put_str(b, f[i].name.p, f[i].name.n);
        CHECK_NUL(f[i].name);
        CHECK_NUL(f[i].value);
        if (f[i].file) {
            kiln_buf_puts(b, ",\"file\":");
            if (put_upload(b, f[i].file) != 0)
                return KILN_EIO;
        } else {
            kiln_buf_puts(b, ",\"value\":");
            kiln_json_put_str(b, f[i].value.p, f[i].value.n);
        }
        kiln_buf_putc(b, '}');
    }
    kiln_buf_putc(b, ']');
    kiln_str q = kiln_query(c, "q");
    if (q.p) {
        kiln_str first = kiln_form(c, q.p);
        kiln_str vals[4];
        size_t nv = kiln_form_values(c, q.p, vals, 4);
        kiln_buf_puts(b, ",\"first\":");
        if (first.p)
            kiln_json_put_str(b, first.p, first.n);
        else
            kiln_buf_puts(b, "null");
        kiln_buf_printf(b, ",\"count\":%zu,\"values\":[", nv);
        for (size_t i = 0; i < nv && i < 4; i++) {
            if (i)
                kiln_buf_putc(b, ',');
            kiln_json_put_str(b, vals[i].p, vals[i].n);
        }
        const kiln_upload *u = kiln_form_file(c, q.p);
        kiln_buf_puts(b, "],\"file\":");
        if (u)
            kiln_json_put_str(b, u->filename.p, u->filename.n);
        else
            kiln_buf_puts(b, "null");
    }
    kiln_buf_putc(b, '}');
    kiln_set_type(c, "application/json");
    return kiln_send(c);
}

/* POST /form/keep?to=PATH: moves the upload "f" to PATH (kept after the
 * request), then answers its size. */
static KILN_HANDLER(form_keep)
{
    const kiln_form_field *f;
    size_t n;
    int rc = kiln_form_fields(c, &f, &n);
    if (rc)
        return kiln_form_fail(c, rc);
    const kiln_upload *u = kiln_form_file(c, "f");
    kiln_str to = kiln_query(c, "to");
    if (!u || !u->path || !to.p)
        return kiln_problem(c, 400, "need a file f on disk and ?to=");
    if (rename(u->path, to.p) != 0)
        return KILN_EIO;
    return kiln_text(c, 200, "kept %lld", (long long)u->size);
}

/* POST /form/fail?mode=error|crash: reads the form (its files on disk),
 * then returns an error or overflows its stack. */
static KILN_HANDLER(form_fail_route)
{
    const kiln_form_field *f;
    size_t n;
    int rc = kiln_form_fields(c, &f, &n);
    if (rc)
        return kiln_form_fail(c, rc);
    kiln_str mode = kiln_query(c, "mode");
    if (mode.p && kiln_str_eq(mode, KILN_STR("crash")))
        return deep(NULL, 0);
    return KILN_EIO;
}

/* POST /form/ignore: answers without reading the body. */
static KILN_HANDLER(form_ignore)
{
    return kiln_text(c, 200, "ignored");
}

/* POST /body/read: reads the body with kiln_body_read in 1000-byte steps;
 * answers its length and checksum (or the error a read returned). */
static KILN_HANDLER(body_read)
{
    char buf[1000];
    uint32_t h = 0;
    int64_t total = 0, n;
    while ((n = kiln_body_read(c, buf, sizeof buf)) > 0) {
        h = crc32(h, buf, (size_t)n);
        total += n;
    }
    if (n < 0)
        return (int)n;
    return kiln_jsonf(c, 200, "{length:%lld, crc:%lld}", (long long)total,
                      (long long)h);
}

/* POST /body/whole: kiln_body of a streamed body, then its length. */
static KILN_HANDLER(body_whole)
{
    kiln_str b = kiln_body(c);
    if (!b.p)
        return 0; /* kiln_body answered */
    return kiln_jsonf(c, 200, "{length:%zu, crc:%lld}", b.n,
                      (long long)crc32(0, b.p, b.n));
}

/* GET /strict/{id}?n=: kiln_param_i64 and kiln_query_i64, each as its
 * value or its error name. */
static KILN_HANDLER(strict)
{
    int64_t id = 0, n = 0;
    int a = kiln_param_i64(c, "id", &id), q = kiln_query_i64(c, "n", &n);
    int m = kiln_param_i64(c, "missing", &n);
    char sa[32], sq[32];
    snprintf(sa, sizeof sa, "%lld", (long long)id);
    snprintf(sq, sizeof sq, "%lld", (long long)n);
    return kiln_jsonf(c, 200, "{id:%s, n:%s, missing:%s}",
                      a ? kiln_strerror(a) : sa, q ? kiln_strerror(q) : sq,
                      kiln_strerror(m));
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

void testapp_realtime_routes(kiln_app *app); /* testapp_realtime.c */

int main(int argc, char **argv)
{
    crc32_init();
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
    kiln_route(app, "GET", "/redirect", redirect);
    kiln_route(app, "GET", "/overflow", overflow);
    kiln_route(app, "GET", "/stream", stream);
    kiln_route(app, "POST", "/items", items);
    kiln_route(app, "GET", "/waitfd", waitfd);
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH",
                                          "DELETE"};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        kiln_route(app, methods[i], "/form", form);
    kiln_route(app, "POST", "/form/keep", form_keep);
    kiln_route(app, "POST", "/form/ignore", form_ignore);
    kiln_route(app, "POST", "/form/fail", form_fail_route);
    kiln_route(app, "POST", "/body/read", body_read);
    kiln_route(app, "POST", "/body/whole", body_whole);
    kiln_route(app, "GET", "/strict/{id}", strict);
    testapp_realtime_routes(app);
    return kiln_main(app, argc, argv);
}
