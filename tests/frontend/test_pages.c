/*
 * tests/frontend/test_pages.c - the pure parts of React pages
 * (frontend/page.c) and of kiln export (frontend/export.c): page names,
 * the JSON-or-HTML decision, the embedded data and the document, and the
 * URL and file of an exported page. The rest is tested black-box:
 * test_frontend_react.py, test_export.py and tests/browser.
 */
#include "test.h"

#include "frontend/export.h"
#include "frontend/frontend.h"

#include <string.h>

TEST(page_names)
{
    kiln_str n;
    CHECK_INT(frontend_page_name("pages/posts/[id].tsx", &n), 0);
    CHECK_VIEW(n, "posts/[id]");
    CHECK_INT(frontend_page_name("pages/index.tsx", &n), 0);
    CHECK_VIEW(n, "index");
    CHECK_INT(frontend_page_name("pages/.tsx", &n), KILN_EINVAL);
    CHECK_INT(frontend_page_name("pages/a.html", &n), KILN_EINVAL);
    CHECK_INT(frontend_page_name("api/a.tsx", &n), KILN_EINVAL);
    kiln_page react = {.file = "pages/a.tsx"}, tpl = {.file = "pages/a.html"};
    CHECK(frontend_page_is_react(&react));
    CHECK(!frontend_page_is_react(&tpl));
    CHECK(!frontend_page_is_react(NULL));
}

TEST(page_accept_json)
{
    CHECK(frontend_accept_wants_json(KILN_STR("application/json")));
    CHECK(frontend_accept_wants_json(
        KILN_STR("text/html;q=0.5, application/json")));
    /* a browser navigating, curl, nothing, JSON refused */
    CHECK(!frontend_accept_wants_json(
        KILN_STR("text/html,application/xhtml+xml,*/*;q=0.8")));
    CHECK(!frontend_accept_wants_json(KILN_STR("*/*")));
    CHECK(!frontend_accept_wants_json(KILN_STR("")));
    CHECK(!frontend_accept_wants_json(KILN_STR_NULL));
    CHECK(!frontend_accept_wants_json(KILN_STR("application/json;q=0")));
    CHECK(!frontend_accept_wants_json(
        KILN_STR("application/json;q=0.5, text/html")));
}

TEST(page_data)
{
    kiln_buf b;
    kiln_buf_init(&b);
    CHECK_INT(frontend_page_data(&b, KILN_STR("posts/[id]"),
                                 KILN_STR("{\"a\": 1}"), -1),
              0);
    CHECK_VIEW(((kiln_str){b.p, b.n}),
               "{\"page\":\"posts/[id]\",\"props\":{\"a\": 1}}");
    kiln_buf_clear(&b);
    CHECK_INT(frontend_page_data(&b, KILN_STR("x"), KILN_STR(""), 0), 0);
    CHECK_VIEW(((kiln_str){b.p, b.n}),
               "{\"page\":\"x\",\"props\":{},\"ssr\":false}");
    kiln_buf_clear(&b);
    CHECK_INT(frontend_page_data(&b, KILN_STR("a<b"), KILN_STR("{}"), 1),
              KILN_EINVAL);
    kiln_buf_deinit(&b);
}

TEST(page_document)
{
    kiln_buf b;
    kiln_buf_init(&b);
    frontend_page_doc d = {
        .title = KILN_STR("A <b> & c"),
        .head = KILN_STR("<script type=\"module\" src=\"/a.js\"></script>"),
        .page = KILN_STR("index"),
        .props = KILN_STR("{\"t\": \"\\u003c/script\\u003e\"}"),
        .html = KILN_STR("<p>hi</p>"),
    };
    CHECK_INT(frontend_page_document(&b, &d), 0);
    kiln_buf_putc(&b, '\0');
    CHECK(strncmp(b.p, "<!DOCTYPE html>\n", 16) == 0);
    CHECK(strstr(b.p, "<title>A &lt;b&gt; &amp; c</title>") != NULL);
    CHECK(strstr(b.p, "<script type=\"module\" src=\"/a.js\"></script>\n"
                      "</head>") != NULL);
    CHECK(strstr(b.p, "<div id=\"kiln-page\"><p>hi</p></div>") != NULL);
    CHECK(strstr(b.p,
                 "<script type=\"application/json\" id=\"kiln-page-"
                 "data\">{\"page\":\"index\",\"props\":{\"t\": "
                 "\"\\u003c/script\\u003e\"},\"ssr\":true}</script>") != NULL);
    /* two </script>: the entry's and the data's (the props hold none) */
    int ends = 0;
    for (const char *q = b.p; (q = strstr(q, "</script>")); q++)
        ends++;
    CHECK_INT(ends, 2);
    /* no server HTML: an empty root, ssr false */
    kiln_buf_clear(&b);
    d.html = KILN_STR_NULL;
    d.head = KILN_STR_NULL;
    CHECK_INT(frontend_page_document(&b, &d), 0);
    kiln_buf_putc(&b, '\0');
    CHECK(strstr(b.p, "</title>\n</head>") != NULL);
    CHECK(strstr(b.p, "<div id=\"kiln-page\"></div>") != NULL);
    CHECK(strstr(b.p, ",\"ssr\":false}</script>") != NULL);
    kiln_buf_deinit(&b);
}

/* frontend_export_path of pattern with n names and values: 0 and the
   URL and file in url and file (NUL-terminated), or the error. */
static int export_path(const char *pattern, const char *const *kv, size_t n,
                       char *url, char *file, char *err)
{
    kiln_str names[8], vals[8];
    for (size_t i = 0; i < n; i++) {
        names[i] = kiln_str_c(kv[2 * i]);
        vals[i] = kiln_str_c(kv[2 * i + 1]);
    }
    kiln_buf u, f;
    kiln_buf_init(&u);
    kiln_buf_init(&f);
    err[0] = '\0';
    int rc = frontend_export_path(pattern, names, vals, n, &u, &f, err, 200);
    snprintf(url, 200, "%.*s", (int)u.n, u.p ? u.p : "");
    snprintf(file, 200, "%.*s", (int)f.n, f.p ? f.p : "");
    kiln_buf_deinit(&u);
    kiln_buf_deinit(&f);
    return rc;
}

TEST(export_paths)
{
    char url[200], file[200], err[200];
    CHECK_INT(export_path("/", NULL, 0, url, file, err), 0);
    CHECK_STR(url, "/");
    CHECK_STR(file, "index.html");
    CHECK_INT(export_path("/about", NULL, 0, url, file, err), 0);
    CHECK_STR(url, "/about");
    CHECK_STR(file, "about/index.html");
    const char *id[] = {"id", "7"};
    CHECK_INT(export_path("/posts/{id}/edit", id, 1, url, file, err), 0);
    CHECK_STR(url, "/posts/7/edit");
    CHECK_STR(file, "posts/7/edit/index.html");
    /* encoded in the URL, as written in the file name */
    const char *sp[] = {"slug", "caf\xc3\xa9 au lait?"};
    CHECK_INT(export_path("/d/{slug}", sp, 1, url, file, err), 0);
    CHECK_STR(url, "/d/caf%C3%A9%20au%20lait%3F");
    CHECK_STR(file, "d/caf\xc3\xa9 au lait?/index.html");
    const char *rest[] = {"path", "a/b c/d"};
    CHECK_INT(export_path("/files/{...path}", rest, 1, url, file, err), 0);
    CHECK_STR(url, "/files/a/b%20c/d");
    CHECK_STR(file, "files/a/b c/d/index.html");
    const char *two[] = {"b", "2", "a", "1"};
    CHECK_INT(export_path("/x/{a}/{b}", two, 2, url, file, err), 0);
    CHECK_STR(url, "/x/1/2");
}

TEST(export_paths_refused)
{
    char url[200], file[200], err[200];
    static const char *const bad[][2] = {
        {"id", ""},    {"id", "."},    {"id", ".."},
        {"id", "a/b"}, {"id", "a\nb"}, {"id", "a\x7f"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(export_path("/p/{id}", bad[i], 1, url, file, err),
                  KILN_EINVAL);
        CHECK(strstr(err, "cannot be the value of 'id'") != NULL);
    }
    static const char *const badrest[][2] = {
        {"r", "a//b"}, {"r", "/a"}, {"r", "a/"}, {"r", "a/../b"}, {"r", "./a"}};
    for (size_t i = 0; i < sizeof badrest / sizeof badrest[0]; i++)
        CHECK_INT(export_path("/f/{...r}", badrest[i], 1, url, file, err),
                  KILN_EINVAL);
    CHECK_INT(export_path("/p/{id}", NULL, 0, url, file, err), KILN_EINVAL);
    CHECK_STR(err, "no value for the parameter 'id'");
    const char *extra[] = {"id", "1", "other", "2"};
    CHECK_INT(export_path("/p/{id}", extra, 2, url, file, err), KILN_EINVAL);
    CHECK_STR(err, "'other' is not a parameter of /p/{id}");
    CHECK_INT(export_path("p", NULL, 0, url, file, err), KILN_EINVAL);
    CHECK_INT(export_path("/p/{id", extra, 1, url, file, err), KILN_EINVAL);
}
