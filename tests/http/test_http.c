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
