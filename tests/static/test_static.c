/*
 * tests/static/test_static.c - the pure helpers of static serving
 * (src/static/cond.c, mime.c): path checks, Range, entity-tag lists, HTTP
 * dates, Accept-Encoding, hashed names, MIME types.
 */
#include "test.h"

#include <kiln/static.h>

#include "static/static.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int range(const char *v, int64_t size, int64_t *a, int64_t *b)
{
    *a = *b = -1;
    return static_range_parse(kiln_str_c(v), size, a, b);
}

TEST(path_ok_accepts_plain_paths)
{
    CHECK(static_path_ok(KILN_STR("a.txt")));
    CHECK(static_path_ok(KILN_STR("css/app.3f9a1c2b.css")));
    CHECK(static_path_ok(KILN_STR("a..b/c.d")));        /* dots inside a name */
    CHECK(static_path_ok(KILN_STR("caf\xc3\xa9.txt"))); /* UTF-8 */
}

TEST(path_ok_rejects_escapes_and_dotfiles)
{
    CHECK(!static_path_ok(KILN_STR("")));
    CHECK(!static_path_ok(KILN_STR("..")));
    CHECK(!static_path_ok(KILN_STR("../etc/passwd")));
    CHECK(!static_path_ok(KILN_STR("a/../../b")));
    CHECK(!static_path_ok(KILN_STR("a/./b")));
    CHECK(!static_path_ok(KILN_STR(".env")));
    CHECK(!static_path_ok(KILN_STR("a/.git/config")));
    CHECK(!static_path_ok(KILN_STR("..\\..\\x")));
    CHECK(!static_path_ok(KILN_STR("a\\b")));
    CHECK(!static_path_ok(KILN_STR("/etc/passwd"))); /* empty first segment */
    CHECK(!static_path_ok(KILN_STR("a//b")));
    CHECK(!static_path_ok(KILN_STR("dir/")));
    CHECK(!static_path_ok((kiln_str){"a\0b", 3}));
    CHECK(!static_path_ok(KILN_STR("a\nb")));
    CHECK(!static_path_ok(KILN_STR("a\x7f")));
}

TEST(range_forms)
{
    int64_t a, b;
    CHECK_INT(range("bytes=0-3", 10, &a, &b), STATIC_RANGE_OK);
    CHECK_INT(a, 0);
    CHECK_INT(b, 3);
    CHECK_INT(range("bytes=5-", 10, &a, &b), STATIC_RANGE_OK);
    CHECK_INT(a, 5);
    CHECK_INT(b, 9);
    CHECK_INT(range("bytes=-4", 10, &a, &b), STATIC_RANGE_OK);
    CHECK_INT(a, 6);
    CHECK_INT(b, 9);
    CHECK_INT(range("bytes=-40", 10, &a, &b), STATIC_RANGE_OK); /* all */
    CHECK_INT(a, 0);
    CHECK_INT(b, 9);
    CHECK_INT(range("bytes=2-400", 10, &a, &b), STATIC_RANGE_OK); /* clamp */
    CHECK_INT(b, 9);
    CHECK_INT(range("Bytes= 1-1 ", 10, &a, &b), STATIC_RANGE_OK);
    CHECK_INT(a, 1);
    CHECK_INT(b, 1);
    CHECK_INT(range("bytes=9-9", 10, &a, &b), STATIC_RANGE_OK);
}

TEST(range_unsatisfiable)
{
    int64_t a, b;
    CHECK_INT(range("bytes=10-", 10, &a, &b), STATIC_RANGE_UNSAT);
    CHECK_INT(range("bytes=10-20", 10, &a, &b), STATIC_RANGE_UNSAT);
    CHECK_INT(range("bytes=-0", 10, &a, &b), STATIC_RANGE_UNSAT);
    CHECK_INT(range("bytes=99999999999999999999999-", 10, &a, &b),
              STATIC_RANGE_UNSAT);
}

TEST(range_ignored_when_malformed_or_multiple)
{
    int64_t a, b;
    const char *bad[] = {
        "bytes=",     "bytes=-",   "bytes=a-b",  "bytes=3-1",
        "items=0-1",  "bytes 0-1", "bytes=0-1,", "bytes=0-1,3-4",
        "bytes=1-2x", "bytes=--1", "",           "bytes=0x1-2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (range(bad[i], 10, &a, &b) != STATIC_RANGE_NONE)
            test_fail(__FILE__, __LINE__, "'%s' not ignored", bad[i]);
    }
    CHECK_INT(range("bytes=0-1", 0, &a, &b), STATIC_RANGE_NONE); /* empty */
}

TEST(etag_lists)
{
    kiln_str e = KILN_STR("\"abc\"");
    CHECK(static_etag_match(KILN_STR("\"abc\""), e, true));
    CHECK(static_etag_match(KILN_STR("W/\"abc\""), e, true));
    CHECK(!static_etag_match(KILN_STR("W/\"abc\""), e, false));
    CHECK(static_etag_match(KILN_STR("\"x\", \"abc\""), e, true));
    CHECK(static_etag_match(KILN_STR("\"x\",W/\"abc\""), e, true));
    CHECK(static_etag_match(KILN_STR("*"), e, true));
    CHECK(static_etag_match(KILN_STR("*"), e, false));
    CHECK(!static_etag_match(KILN_STR("\"abcd\""), e, true));
    CHECK(!static_etag_match(KILN_STR("abc"), e, true)); /* unquoted */
    CHECK(!static_etag_match(KILN_STR("\"ab"), e, true));
    CHECK(static_etag_match(KILN_STR("\"a,b\", \"abc\""), e, true));
}

TEST(http_dates)
{
    int64_t t = 0;
    CHECK_INT(
        static_http_date_parse(KILN_STR("Sun, 06 Nov 1994 08:49:37 GMT"), &t),
        0);
    CHECK_INT(t, 784111777);
    t = 0;
    CHECK_INT(
        static_http_date_parse(KILN_STR("Sunday, 06-Nov-94 08:49:37 GMT"), &t),
        0);
    CHECK_INT(t, 784111777);
    t = 0;
    CHECK_INT(static_http_date_parse(KILN_STR("Sun Nov  6 08:49:37 1994"), &t),
              0);
    CHECK_INT(t, 784111777);
    CHECK_INT(
        static_http_date_parse(KILN_STR("Thu, 01 Jan 1970 00:00:00 GMT"), &t),
        0);
    CHECK_INT(t, 0);
    CHECK(static_http_date_parse(KILN_STR("yesterday"), &t) != 0);
    CHECK(static_http_date_parse(KILN_STR("Sun, 06 Nov 1994 08:49:37 UTC"),
                                 &t) != 0);
    CHECK(static_http_date_parse(KILN_STR("Sun, 06 Foo 1994 08:49:37 GMT"),
                                 &t) != 0);
    CHECK(static_http_date_parse(KILN_STR("Sun, 06 Nov 1994 25:49:37 GMT"),
                                 &t) != 0);
}

TEST(accept_encoding)
{
    static_accept a = static_accept_parse(KILN_STR("gzip, deflate, br"));
    CHECK_INT(a.br, 1000);
    CHECK_INT(a.gzip, 1000);
    a = static_accept_parse(KILN_STR("br;q=0, gzip;q=0.5"));
    CHECK_INT(a.br, 0);
    CHECK_INT(a.gzip, 500);
    a = static_accept_parse(KILN_STR("*"));
    CHECK_INT(a.br, 1000);
    CHECK_INT(a.gzip, 1000);
    a = static_accept_parse(KILN_STR("*;q=0.2, br;q=0"));
    CHECK_INT(a.br, 0);
    CHECK_INT(a.gzip, 200);
    a = static_accept_parse(KILN_STR("identity"));
    CHECK_INT(a.br, 0);
    CHECK_INT(a.gzip, 0);
    a = static_accept_parse(KILN_STR_NULL);
    CHECK_INT(a.br, 0);
    a = static_accept_parse(KILN_STR("x-gzip ; q=0.25"));
    CHECK_INT(a.gzip, 250);
    a = static_accept_parse(KILN_STR("BR;Q=0.001"));
    CHECK_INT(a.br, 1);
}

TEST(hashed_names)
{
    CHECK(static_name_hashed("app.3f9a1c2b.js"));
    CHECK(static_name_hashed("css/chunk-0123abcd.css"));
    CHECK(static_name_hashed("3f9a1c2b.js"));
    CHECK(static_name_hashed("a/b/app.3F9A1C2BDEADBEEF.min.js"));
    CHECK(!static_name_hashed("app.js"));
    CHECK(!static_name_hashed("app.3f9a1c2.js"));  /* 7 digits */
    CHECK(!static_name_hashed("app.3f9a1c2g.js")); /* not hex */
    CHECK(!static_name_hashed("x3f9a1c2b.js"));    /* not a whole part */
    CHECK(!static_name_hashed("app.3f9a1c2b"));    /* the extension */
    CHECK(!static_name_hashed("3f9a1c2b/app.js")); /* a folder */
    CHECK(!static_name_hashed("my-document.pdf"));
}

TEST(mime_types)
{
    CHECK_STR(kiln_mime_type("a.html"), "text/html; charset=utf-8");
    CHECK_STR(kiln_mime_type("A.CSS"), "text/css; charset=utf-8");
    CHECK_STR(kiln_mime_type("x/app.mjs"), "text/javascript; charset=utf-8");
    CHECK_STR(kiln_mime_type("a.json"), "application/json");
    CHECK_STR(kiln_mime_type("a.svg"), "image/svg+xml");
    CHECK_STR(kiln_mime_type("a.woff2"), "font/woff2");
    CHECK_STR(kiln_mime_type("a.wasm"), "application/wasm");
    CHECK_STR(kiln_mime_type("a.webmanifest"), "application/manifest+json");
    CHECK_STR(kiln_mime_type("a.md"), "text/markdown; charset=utf-8");
    CHECK_STR(kiln_mime_type("a.jpeg"), "image/jpeg");
    CHECK_STR(kiln_mime_type("a.unknownext"), "application/octet-stream");
    CHECK_STR(kiln_mime_type("noext"), "application/octet-stream");
    CHECK_STR(kiln_mime_type("dir.d/noext"), "application/octet-stream");
    CHECK_STR(kiln_mime_type("trailing."), "application/octet-stream");
    CHECK_STR(kiln_mime_type(NULL), "application/octet-stream");
}

TEST(hash_differs)
{
    CHECK(static_hash("abc", 3) != static_hash("abd", 3));
    CHECK(static_hash("", 0) != static_hash("\0", 1));
    CHECK(static_hash("0123456789abcdef", 16) ==
          static_hash("0123456789abcdef", 16));
}

TEST(mount_rejects_bad_options)
{
    kiln_app *app = kiln_app_new();
    CHECK(app);
    kiln_static_opts none = {0};
    CHECK_INT(kiln_static_mount(app, "/s/", &none), KILN_EINVAL);
    kiln_static_opts o = {.dir = "/nonexistent/kiln-static-test"};
    CHECK_INT(kiln_static_mount(app, "/s/", &o), KILN_EINVAL);
    o.dir = "tests/static/test_static.c"; /* a file, not a folder */
    CHECK_INT(kiln_static_mount(app, "/s/", &o), KILN_EINVAL);
    o.dir = "tests";
    CHECK_INT(kiln_static_mount(app, "s/", &o), KILN_EINVAL);
    CHECK_INT(kiln_static_mount(app, "/{x}/", &o), KILN_EINVAL);
    CHECK_INT(kiln_static_mount(app, "/s", &o), 0);
    CHECK_INT(kiln_static_mount(app, "/s/", &o), KILN_ESTATE); /* same route */
    kiln_app_free(app);
}

/* kiln_static_spa_at: a prefix is a path, and one SPA per app. */
TEST(spa_at_checks_its_prefix)
{
    char dir[] = "/tmp/kiln-spa-at-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char index[64];
    snprintf(index, sizeof index, "%s/index.html", dir);
    FILE *f = fopen(index, "w");
    CHECK(f != NULL);
    fputs("<!doctype html>", f);
    fclose(f);
    kiln_app *app = kiln_app_new();
    CHECK(app);
    kiln_static_opts o = {.dir = dir};
    static const char *const bad[] = {"app",  "",     "/a{b}/", "/a//b/",
                                      "/a?b", "/a#b", "/a\\b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(kiln_static_spa_at(app, bad[i], &o), KILN_EINVAL);
    CHECK_INT(kiln_static_spa_at(app, "/app", &o), 0);
    CHECK_INT(kiln_static_spa_at(app, "/other/", &o), KILN_ESTATE);
    CHECK_INT(kiln_static_spa(app, &o), KILN_ESTATE);
    kiln_app_free(app);
    unlink(index);
    rmdir(dir);
}
