/*
 * tests/http/test_http.c - request-head parser, chunked decoder, URL units.
 */
#include "test.h"

#include "http/parse.h"
#include "http/url.h"

static http_limits lim;
static http_request req;

static int parse(const char *s)
{
    http_limits_default(&lim);
    return http_parse_request(s, strlen(s), &lim, &req);
}

/* Every prefix of a valid request is "incomplete", never an error. */
static void check_prefixes(const char *s)
{
    int full = parse(s);
    CHECK(full > 0);
    for (size_t k = 0; k < (size_t)full; k++)
        CHECK_INT(http_parse_request(s, k, &lim, &req), 0);
}

TEST(parse_simple_get)
{
    const char *s = "GET /a/b?x=1 HTTP/1.1\r\nHost: example.com\r\n"
                    "User-Agent:  curl \t\r\n\r\nNEXT";
    int rc = parse(s);
    CHECK_INT(rc, (int)strlen(s) - 4);
    CHECK_VIEW(req.method, "GET");
    CHECK_VIEW(req.target, "/a/b?x=1");
    CHECK_VIEW(req.path, "/a/b");
    CHECK_VIEW(req.query, "x=1");
    CHECK_INT(req.minor, 1);
    CHECK_INT(req.nheaders, 2);
    CHECK_VIEW(req.headers[1].name, "User-Agent");
    CHECK_VIEW(req.headers[1].value, "curl");
    CHECK_VIEW(req.host, "example.com");
    CHECK(req.keep_alive);
    CHECK_INT(req.body, HTTP_BODY_NONE);
    check_prefixes(s);
}

/* ---- request-line and field rules ------------------------------------- */

static void expect_status(const char *s, int status)
{
    int rc = parse(s);
    if (rc != -status)
        test_fail(__FILE__, __LINE__, "parse(%s) = %d, expected %d", s, rc,
                  -status);
}

TEST(parse_rejections)
{
    expect_status("GET / HTTP/1.1\r\n\r\n", 400); /* no Host */
    expect_status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n",
                  400);
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
                  "Content-Length: 2\r\n\r\n",
                  400);
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\n",
                  400);
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n",
                  400);
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5a\r\n\r\n",
                  400);
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
                  400);
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n",
                  400);
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: "
                  "99999999999999999999999\r\n\r\n",
                  413);
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10485761\r\n"
                  "\r\n",
                  413);
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, "
                  "gzip\r\n\r\n",
                  400);
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, "
                  "chunked\r\n\r\n",
                  501);
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n",
                  400);
    expect_status("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n",
                  400);
    expect_status("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1\r\nHost: a\r\nX : a\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1\r\nHost: a\r\nX\t: a\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1\r\nHost: a\r\n: a\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1\nHost: a\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1\r\nHost: a\n\r\n", 400);
    expect_status("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
    expect_status("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505);
    expect_status("GET / http/1.1\r\nHost: a\r\n\r\n", 400);
    expect_status("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400);
    expect_status("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    expect_status("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    expect_status("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    expect_status("GET foo HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    expect_status("GET /#frag HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    expect_status("GET http://user@h/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", 417);
    char nul[] = "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n";
    http_limits_default(&lim);
    CHECK_INT(http_parse_request(nul, sizeof nul - 1, &lim, &req), -400);
}

TEST(parse_limits_while_incomplete)
{
    http_limits_default(&lim);
    static char big[40000];
    memcpy(big, "GET /", 5);
    memset(big + 5, 'a', 9000);
    CHECK_INT(http_parse_request(big, 9005, &lim, &req), -414);
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    memset(big + 19, 'b', 17000);
    CHECK_INT(http_parse_request(big, 19 + 17000, &lim, &req), -431);
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_puts(&b, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 0; i < 100; i++)
        kiln_buf_printf(&b, "X-%d: v\r\n", i);
    kiln_buf_puts(&b, "\r\n");
    CHECK_INT(http_parse_request(b.p, b.n, &lim, &req), -431);
    kiln_buf_deinit(&b);
}

TEST(parse_accepts)
{
    CHECK(parse("GET / HTTP/1.0\r\n\r\n") > 0);
    CHECK(!req.keep_alive);
    CHECK(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") > 0);
    CHECK(req.keep_alive);
    CHECK(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, Close\r\n\r\n") >
          0);
    CHECK(!req.keep_alive);
    CHECK(parse("\r\n\r\nGET / HTTP/1.1\r\nHost: a:80\r\n\r\n") > 0);
    CHECK_VIEW(req.method, "GET");
    CHECK(parse("OPTIONS * HTTP/1.1\r\nHost: [::1]:8000\r\n\r\n") > 0);
    CHECK_VIEW(req.path, "*");
    CHECK(parse("GET http://example.com:8080/x/y?q=1 HTTP/1.1\r\nHost: "
                "example.com\r\n\r\n") > 0);
    CHECK_VIEW(req.path, "/x/y");
    CHECK_VIEW(req.query, "q=1");
    CHECK(parse("GET HTTP://example.com HTTP/1.1\r\nHost: e\r\n\r\n") > 0);
    CHECK_VIEW(req.path, "/");
    CHECK(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n"
                "Content-Length: 5\r\n\r\n") > 0);
    CHECK_INT(req.body, HTTP_BODY_LENGTH);
    CHECK_INT(req.content_length, 5);
    CHECK(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n"
                "Expect: 100-Continue\r\n\r\n") > 0);
    CHECK_INT(req.body, HTTP_BODY_CHUNKED);
    CHECK(req.expect_continue);
    CHECK(parse("GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\nY:\r\n\r\n") >
          0);
    CHECK_VIEW(req.headers[2].value, "");
    check_prefixes("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n");
}

/* ---- chunked ------------------------------------------------------------ */

/* Decodes s fed in pieces of `step` bytes; returns the final status. */
static int dechunk(const char *s, size_t n, size_t step, kiln_buf *body,
                   kiln_buf *tr, size_t *used_total)
{
    http_chunked c;
    http_chunked_init(&c);
    http_limits_default(&lim);
    size_t off = 0;
    int rc = 0;
    while (off < n) {
        size_t k = n - off < step ? n - off : step, used = 0;
        rc = http_chunked_feed(&c, &lim, s + off, k, &used, body, tr);
        if (rc < 0)
            return rc;
        off += used;
        if (rc == 1)
            break;
        CHECK_INT(used, k);
    }
    *used_total = off;
    return rc;
}

TEST(chunked_every_split)
{
    const char s[] = "5;name=val;q=\"a\\\"b\"\r\nhello\r\n6\r\n world\r\n"
                     "0\r\nX-Trailer: yes\r\nY: 2\r\n\r\nNEXT";
    size_t n = sizeof s - 1;
    for (size_t step = 1; step <= n; step++) {
        kiln_buf b, t;
        kiln_buf_init(&b);
        kiln_buf_init(&t);
        size_t used = 0;
        CHECK_INT(dechunk(s, n, step, &b, &t, &used), 1);
        CHECK_INT(used, n - 4);
        CHECK_STR(b.p, "hello world");
        CHECK_STR(t.p, "X-Trailer: yes\r\nY: 2\r\n");
        http_header h[4];
        CHECK_INT(http_parse_fields(t.p, t.n, h, 4), 2);
        CHECK_VIEW(h[0].name, "X-Trailer");
        CHECK_VIEW(h[1].value, "2");
        kiln_buf_deinit(&b);
        kiln_buf_deinit(&t);
    }
}

static int dechunk_c(const char *s)
{
    kiln_buf b, t;
    kiln_buf_init(&b);
    kiln_buf_init(&t);
    size_t used;
    int rc = dechunk(s, strlen(s), 1000000, &b, &t, &used);
    kiln_buf_deinit(&b);
    kiln_buf_deinit(&t);
    return rc;
}

TEST(chunked_rejections)
{
    CHECK_INT(dechunk_c("zz\r\n"), -400);
    CHECK_INT(dechunk_c("fffffffffffffffffff\r\n"), -400);
    CHECK_INT(dechunk_c("ffffffff\r\n"), -413);
    CHECK_INT(dechunk_c("5\nhello\r\n0\r\n\r\n"), -400);
    CHECK_INT(dechunk_c("5\r\nhelloX\r\n"), -400);
    CHECK_INT(dechunk_c("5\r\nhello\n0\r\n\r\n"), -400);
    CHECK_INT(dechunk_c("5 ;\r\nhello\r\n"), -400);
    CHECK_INT(dechunk_c("5;a=\"x\r\n"), -400);
    CHECK_INT(dechunk_c("5;a b\r\n"), -400);
    CHECK_INT(dechunk_c("-5\r\n"), -400);
    CHECK_INT(dechunk_c("0x5\r\n"), -400);
    CHECK_INT(dechunk_c("0\r\nBad Name: x\r\n\r\n"), -400);
    CHECK_INT(dechunk_c("0\r\nX: a\nY: b\r\n\r\n"), -400);
    CHECK_INT(dechunk_c("5\r\nhello\r\n0\r\n\n"), -400);
    CHECK_INT(dechunk_c("0 \t; ext\r\n\r\n"), 1);
    CHECK_INT(dechunk_c("0 \t; ext \r\n\r\n"), -400);
    CHECK_INT(dechunk_c("a \r\n0123456789\r\n0\r\n\r\n"), -400);
    CHECK_INT(dechunk_c("1;a=b ;c\r\nx\r\n0\r\n\r\n"), 1);
}

/* ---- URL ---------------------------------------------------------------- */

static void norm(const char *in, const char *want)
{
    char out[256];
    size_t n = 0;
    int rc = http_path_normalize(in, strlen(in), out, &n);
    if (!want) {
        if (rc != -400)
            test_fail(__FILE__, __LINE__, "%s: accepted as %s", in, out);
        return;
    }
    if (rc != 0 || strcmp(out, want) != 0 || n != strlen(want))
        test_fail(__FILE__, __LINE__, "%s: got rc %d \"%s\", want \"%s\"", in,
                  rc, rc ? "" : out, want);
}

TEST(path_normalize)
{
    norm("/", "/");
    norm("/a/b/c", "/a/b/c");
    norm("/a/b/../c", "/a/c");
    norm("/a/./b", "/a/b");
    norm("/a/b/..", "/a/");
    norm("/a/b/.", "/a/b/");
    norm("/..", "/");
    norm("/../../etc/passwd", "/etc/passwd");
    norm("/a/%2e%2e/%2E%2e/etc", "/etc");
    norm("/a/%2e%2e%2f%2e%2e%2fetc", "/etc");
    norm("//a///b//", "/a/b/");
    norm("/a%20b", "/a b");
    norm("/caf%C3%A9", "/caf\xc3\xa9");
    norm("/a\\..\\b", "/a\\..\\b");
    norm("/a/...", "/a/...");
    norm("/a/..b", "/a/..b");
    norm("/%00", NULL);
    norm("/%0", NULL);
    norm("/%zz", NULL);
    norm("/a%", NULL);
    norm("/a%0a", NULL);
    norm("a/b", NULL);
}

TEST(query_parse)
{
    kiln_arena a;
    kiln_arena_init(&a, 0);
    http_kv *kv;
    long n = http_query_parse(&a, KILN_STR("a=1&&b=x%20y+z&c&=e&d=%41"), &kv);
    CHECK_INT(n, 5);
    CHECK_VIEW(kv[0].name, "a");
    CHECK_VIEW(kv[0].value, "1");
    CHECK_VIEW(kv[1].value, "x y z");
    CHECK_VIEW(kv[2].name, "c");
    CHECK_VIEW(kv[2].value, "");
    CHECK_VIEW(kv[3].name, "");
    CHECK_VIEW(kv[4].value, "A");
    CHECK_INT(http_query_parse(&a, KILN_STR("a=%zz"), &kv), -400);
    CHECK_INT(http_query_parse(&a, KILN_STR(""), &kv), 0);
    kiln_arena_deinit(&a);
}
