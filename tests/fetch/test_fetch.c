/*
 * tests/fetch/test_fetch.c - the pure parts of the outgoing HTTP client
 * (URL scheme check, request header lines, response header parsing) and
 * its blocking path outside a worker (a refused connection, a bad URL).
 * The client on a worker's loop is tested black-box: test_fetch.py.
 */
#include "test.h"

#include "fetch/fetch_impl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

TEST(fetch_url_schemes)
{
    CHECK_INT(fetch_url_scheme("https://idp.example.com/realms/x"), 1);
    CHECK_INT(fetch_url_scheme("HTTP://127.0.0.1:8080/"), 0);
    CHECK_INT(fetch_url_scheme("http://h"), 0);
    CHECK_INT(fetch_url_scheme(NULL), KILN_EINVAL);
    CHECK_INT(fetch_url_scheme(""), KILN_EINVAL);
    CHECK_INT(fetch_url_scheme("file:///etc/passwd"), KILN_EINVAL);
    CHECK_INT(fetch_url_scheme("ftp://h/"), KILN_EINVAL);
    CHECK_INT(fetch_url_scheme("//h/x"), KILN_EINVAL);
    CHECK_INT(fetch_url_scheme("http://"), KILN_EINVAL);
    CHECK_INT(fetch_url_scheme("http:///x"), KILN_EINVAL);
    CHECK_INT(fetch_url_scheme("http://:80/"), KILN_EINVAL);
    CHECK_INT(fetch_url_scheme("http://h/a b"), KILN_EINVAL);
    CHECK_INT(fetch_url_scheme("http://h/\r\nX: y"), KILN_EINVAL);
    CHECK_INT(fetch_url_scheme("httpx://h/"), KILN_EINVAL);
}

TEST(fetch_header_lines)
{
    CHECK(fetch_header_ok("Content-Type: application/json"));
    CHECK(fetch_header_ok("X-Empty:"));
    CHECK(fetch_header_ok("Authorization: Bearer abc.def"));
    CHECK(!fetch_header_ok(NULL));
    CHECK(!fetch_header_ok(""));
    CHECK(!fetch_header_ok(": v"));
    CHECK(!fetch_header_ok("No colon"));
    CHECK(!fetch_header_ok("Bad Name: v"));
    CHECK(!fetch_header_ok("X-A: b\r\nX-B: c"));
    CHECK(!fetch_header_ok("X-A: b\nX-B: c"));
    CHECK(!fetch_header_ok("X-A\r: b"));
}

TEST(fetch_headers_parsed)
{
    kiln_arena a;
    kiln_arena_init(&a, 0);
    const char raw[] = "HTTP/1.1 200 OK\r\n"
                       "Content-Type:  text/plain \r\n"
                       "Cache-Control: max-age=300\r\n"
                       " folded continuation\r\n"
                       "X-Empty:\r\n"
                       ":nameless\r\n"
                       "cache-control: no-store\r\n"
                       "\r\n";
    kiln_fetch_header *h;
    size_t n;
    CHECK_INT(fetch_parse_headers(&a, raw, sizeof raw - 1, &h, &n), 0);
    CHECK_INT((long)n, 4);
    CHECK_STR(h[0].name.p, "Content-Type");
    CHECK_STR(h[0].value.p, "text/plain");
    CHECK_INT((long)h[0].value.n, 10);
    CHECK_STR(h[2].name.p, "X-Empty");
    CHECK_INT((long)h[2].value.n, 0);
    kiln_fetch_resp r = {.headers = h, .nheaders = n};
    kiln_str v = kiln_fetch_header_get(&r, "CACHE-CONTROL");
    CHECK(kiln_str_eq(v, KILN_STR("no-store"))); /* the last one */
    CHECK(kiln_fetch_header_get(&r, "Location").p == NULL);
    CHECK_INT(fetch_parse_headers(&a, "", 0, &h, &n), 0);
    CHECK_INT((long)n, 0);
    CHECK(h == NULL);
    /* no final newline */
    CHECK_INT(fetch_parse_headers(&a, "A: 1\nB: 2", 10, &h, &n), 0);
    CHECK_INT((long)n, 2);
    CHECK_STR(h[1].value.p, "2");
    kiln_arena_deinit(&a);
}

/* Outside a worker the call blocks: a refused connection and a bad URL. */
TEST(fetch_blocking_errors)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_INT(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t len = sizeof sa;
    CHECK_INT(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd); /* nothing listens on the port now */
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", ntohs(sa.sin_port));
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_fetch_resp r;
    CHECK_INT(fetch_do(&a, &(kiln_fetch_req){.url = url}, &r), KILN_EUNAVAIL);
    CHECK(r.error && r.error[0]);
    CHECK_INT(r.status, 0);
    CHECK_INT(fetch_do(&a, &(kiln_fetch_req){.url = "file:///etc/passwd"}, &r),
              KILN_EINVAL);
    CHECK_STR(r.error, "not an absolute http:// or https:// URL");
    const char *bad[] = {"X: 1\r\nY: 2", NULL};
    CHECK_INT(fetch_do(&a, &(kiln_fetch_req){.url = url, .headers = bad}, &r),
              KILN_EINVAL);
    CHECK_INT(
        fetch_do(&a, &(kiln_fetch_req){.url = url, .method = "GET X"}, &r),
        KILN_EINVAL);
    kiln_arena_deinit(&a);
}
