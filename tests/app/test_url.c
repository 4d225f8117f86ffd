/*
 * tests/app/test_url.c - route names (kiln/url.h): the name rule, paths
 * built from patterns (percent-encoding, missing, unexpected and bad
 * parameters), the table, and the templates' url() with its build-time
 * check (kiln_tpl_check_urls), and the names of Kiln's own routes
 * (app_url_define_kiln).
 */
#include "test.h"

#include "app/project.h"

#include <kiln.h>

/* kiln_url_build into a static buffer: the path, or "ERR: message". */
static const char *build(const char *pattern, const char *const *kv)
{
    static char out[512];
    kiln_str keys[8], vals[8];
    size_t n = 0;
    for (; kv && kv[2 * n]; n++) {
        keys[n] = (kiln_str){kv[2 * n], strlen(kv[2 * n])};
        vals[n] = (kiln_str){kv[2 * n + 1], strlen(kv[2 * n + 1])};
    }
    char err[128] = "";
    size_t len = 0;
    int rc = kiln_url_build(pattern, keys, vals, n, out, sizeof out, &len, err,
                            sizeof err);
    if (rc) {
        CHECK_INT(rc, KILN_EINVAL);
        snprintf(out, sizeof out, "ERR: %s", err);
    } else {
        CHECK_INT((long long)len, (long long)strlen(out));
    }
    return out;
}

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})

TEST(url_name_rule)
{
    CHECK(kiln_route_name_ok("index"));
    CHECK(kiln_route_name_ok("api.projects.id"));
    CHECK(kiln_route_name_ok("task-detail"));
    CHECK(kiln_route_name_ok("listTasks"));
    CHECK(kiln_route_name_ok("2024.archive"));
    CHECK(kiln_route_name_ok("a_b"));
    CHECK(!kiln_route_name_ok(""));
    CHECK(!kiln_route_name_ok(NULL));
    CHECK(!kiln_route_name_ok(".a"));
    CHECK(!kiln_route_name_ok("a."));
    CHECK(!kiln_route_name_ok("a..b"));
    CHECK(!kiln_route_name_ok("-a"));
    CHECK(!kiln_route_name_ok("a b"));
    CHECK(!kiln_route_name_ok("a/b"));
    CHECK(!kiln_route_name_ok("caf\xc3\xa9"));
    char longname[KILN_ROUTE_NAME_MAX + 2];
    memset(longname, 'a', sizeof longname);
    longname[KILN_ROUTE_NAME_MAX] = 0;
    CHECK(kiln_route_name_ok(longname));
    longname[KILN_ROUTE_NAME_MAX] = 'a';
    longname[KILN_ROUTE_NAME_MAX + 1] = 0;
    CHECK(!kiln_route_name_ok(longname));
}

TEST(url_build_params_and_encoding)
{
    CHECK_STR(build("/", NULL), "/");
    CHECK_STR(build("/api/hello", NULL), "/api/hello");
    CHECK_STR(build("/projects/{id}", KV("id", "3")), "/projects/3");
    CHECK_STR(build("/p/{a}/x/{b}", KV("b", "2", "a", "1")), "/p/1/x/2");
    /* one segment: '/' and everything but unreserved encoded */
    CHECK_STR(build("/t/{slug}", KV("slug", "a b/c?d#e&f=g%h")),
              "/t/a%20b%2Fc%3Fd%23e%26f%3Dg%25h");
    CHECK_STR(build("/t/{slug}", KV("slug", "Az09-._~")), "/t/Az09-._~");
    CHECK_STR(build("/t/{slug}", KV("slug", "caf\xc3\xa9")), "/t/caf%C3%A9");
    CHECK_STR(build("/t/{slug}", KV("slug", "<script>\"'")),
              "/t/%3Cscript%3E%22%27");
    CHECK_STR(build("/t/{slug}", KV("slug", "...")), "/t/...");
    /* the rest keeps '/', may be empty */
    CHECK_STR(build("/files/{...path}", KV("path", "a b/c.txt")),
              "/files/a%20b/c.txt");
    CHECK_STR(build("/files/{...path}", KV("path", "")), "/files/");
}

TEST(url_build_refuses_bad_parameters)
{
    CHECK_STR(build("/projects/{id}", NULL), "ERR: missing parameter 'id'");
    CHECK_STR(build("/projects/{id}", KV("id", "1", "x", "2")),
              "ERR: unexpected parameter 'x'");
    CHECK_STR(build("/a", KV("x", "2")), "ERR: unexpected parameter 'x'");
    CHECK_STR(build("/projects/{id}", KV("id", "1", "id", "2")),
              "ERR: parameter 'id' given twice");
    CHECK_STR(build("/projects/{id}", KV("id", "")),
              "ERR: parameter 'id' is empty");
    CHECK_STR(build("/projects/{id}", KV("id", "..")),
              "ERR: parameter 'id' makes a '.' or '..' path segment");
    CHECK_STR(build("/projects/{id}", KV("id", ".")),
              "ERR: parameter 'id' makes a '.' or '..' path segment");
    CHECK_STR(build("/f/{...p}", KV("p", "a/../b")),
              "ERR: parameter 'p' makes a '.' or '..' path segment");
    CHECK_STR(build("/f/{...p}", KV("p", "a/./b")),
              "ERR: parameter 'p' makes a '.' or '..' path segment");
}

TEST(url_build_counts_like_snprintf)
{
    kiln_str k = KILN_STR("id"), v = KILN_STR("a b");
    char out[8];
    size_t len = 0;
    CHECK_INT(kiln_url_build("/projects/{id}", &k, &v, 1, out, sizeof out, &len,
                             NULL, 0),
              0);
    CHECK_INT((long long)len, (long long)strlen("/projects/a%20b"));
    CHECK_STR(out, "/projec"); /* cut, NUL-terminated */
    CHECK_INT(
        kiln_url_build("/projects/{id}", &k, &v, 1, NULL, 0, &len, NULL, 0), 0);
    CHECK_INT((long long)len, 15);
    /* into an arena, longer than the small buffer inside */
    kiln_arena a;
    kiln_arena_init(&a, 0);
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    kiln_str bv = {big, strlen(big)}, outs;
    CHECK_INT(kiln_url_arena(&a, "/t/{id}", &k, &bv, 1, &outs, NULL, 0), 0);
    CHECK_INT((long long)outs.n, 3 + 599);
    CHECK(memcmp(outs.p, "/t/xxx", 6) == 0 && outs.p[outs.n] == 0);
    kiln_arena_deinit(&a);
}

TEST(url_table)
{
    CHECK_INT(kiln_url_define("projects.id", "/projects/{id}"), 0);
    CHECK_INT(kiln_url_define("index", "/"), 0);
    CHECK_INT(kiln_url_define("projects.id", "/projects/{id}"), 0);
    CHECK_INT(kiln_url_define("projects.id", "/other/{id}"), KILN_ESTATE);
    CHECK_INT(kiln_url_define("bad name", "/x"), KILN_EINVAL);
    CHECK_INT(kiln_url_define("x", "no-slash"), KILN_EINVAL);
    CHECK_INT((long long)kiln_url_count(), 2);
    CHECK_STR(kiln_url_name(0), "index");
    CHECK_STR(kiln_url_name(1), "projects.id");
    CHECK(kiln_url_name(2) == NULL);
    CHECK_STR(kiln_url_pattern("projects.id"), "/projects/{id}");
    CHECK(kiln_url_pattern("projects") == NULL);
    CHECK(kiln_url_pattern(NULL) == NULL);
    kiln_url_clear();
    CHECK(kiln_url_pattern("index") == NULL);
    CHECK_INT((long long)kiln_url_count(), 0);
}

/* Renders src with url() through the table; the output or "ERROR: msg". */
static const char *render(const char *src)
{
    static char result[1024];
    kiln_tpl_options opt = {.undefined = KILN_TPL_STRICT, .url = kiln_url_tpl};
    kiln_tpl_set *set = kiln_tpl_set_new(&opt);
    kiln_tpl_error err;
    kiln_arena a;
    kiln_buf out;
    kiln_arena_init(&a, 0);
    kiln_buf_init(&out);
    kiln_value ctx = kiln_value_map(&a);
    kiln_value_set(ctx, "slug", kiln_value_cstr("a b"));
    kiln_value_set(ctx, "n", kiln_value_int(42));
    int rc = kiln_tpl_set_add(set, "t", src, strlen(src), &err);
    if (rc == 0)
        rc = kiln_tpl_render(set, "t", ctx, &a, &out, &err);
    if (rc == 0)
        snprintf(result, sizeof result, "%.*s", (int)out.n, out.p ? out.p : "");
    else
        snprintf(result, sizeof result, "ERROR: %s", err.msg);
    kiln_buf_deinit(&out);
    kiln_arena_deinit(&a);
    kiln_tpl_set_free(set);
    return result;
}

TEST(url_in_templates)
{
    CHECK_INT(kiln_url_define("posts.id", "/posts/{id}"), 0);
    CHECK_INT(kiln_url_define("index", "/"), 0);
    CHECK_INT(kiln_url_define("files", "/files/{...path}"), 0);
    CHECK_STR(render("{{ url('index') }}"), "/");
    CHECK_STR(render("<a href=\"{{ url('posts.id', id=n) }}\">"),
              "<a href=\"/posts/42\">");
    CHECK_STR(render("{{ url('posts.id', id=slug) }}"), "/posts/a%20b");
    CHECK_STR(render("{{ url('files', path='x y/z') }}"), "/files/x%20y/z");
    CHECK_STR(render("{% set r = 'posts.id' %}{{ url(r, id=1) }}"), "/posts/1");
    CHECK_STR(render("{{ url('posts.id') }}"),
              "ERROR: url('posts.id'): missing parameter 'id'");
    CHECK_STR(render("{{ url('posts.id', id=1, x=2) }}"),
              "ERROR: url('posts.id'): unexpected parameter 'x'");
    CHECK_STR(render("{{ url('nope') }}"),
              "ERROR: url('nope'): no route named 'nope'");
    CHECK_STR(render("{{ url('posts.id', 1) }}"),
              "ERROR: url() takes a route name, then its parameters by "
              "keyword: url('posts.id', id=3)");
    CHECK_STR(render("{{ url('posts.id', id=[1]) }}"),
              "ERROR: url('posts.id'): parameter 'id' must be a string or an "
              "integer, not 'list'");
    /* a variable named url hides the function, as in Jinja2 */
    CHECK_STR(render("{% set url = 'u' %}{{ url }}"), "u");
    kiln_url_clear();
    /* a set without the option: url() is a render error */
    kiln_tpl_set *set = kiln_tpl_set_new(NULL);
    kiln_tpl_error err;
    kiln_buf out;
    kiln_buf_init(&out);
    CHECK_INT(kiln_tpl_set_add(set, "t", "{{ url('x') }}", 14, &err), 0);
    CHECK_INT(kiln_tpl_render(set, "t", kiln_value_null(), NULL, &out, &err),
              KILN_EINVAL);
    CHECK(strstr(err.msg, "no route names here") != NULL);
    kiln_buf_deinit(&out);
    kiln_tpl_set_free(set);
}

/* The build-time check: a call's name must be "ok"; reports collected. */
typedef struct seen {
    char names[8][64];
    int n;
    char reports[4][1024];
    int nreports;
} seen;

static int check_call(void *ud, const kiln_tpl_url_call *call, char *msg,
                      size_t msglen)
{
    seen *s = ud;
    snprintf(s->names[s->n++ & 7], 64, "%.*s/%zu/%zu", (int)call->name.n,
             call->name.p, call->nkw, call->npos);
    if (call->name.n == 2 && memcmp(call->name.p, "ok", 2) == 0)
        return 0;
    snprintf(msg, msglen, "no route named '%.*s'", (int)call->name.n,
             call->name.p);
    return 1;
}

static void report_call(void *ud, kiln_tpl_error *te)
{
    seen *s = ud;
    snprintf(s->reports[s->nreports++ & 3], 1024, "%s", te->text);
}

TEST(url_calls_checked_at_build)
{
    kiln_tpl_set *set = kiln_tpl_set_new(NULL);
    kiln_tpl_error err;
    const char *src = "a {{ url('ok', id=1, x=2) }}\n"
                      "{% if x %}{{ url(\"bad\") }}{% endif %}\n"
                      "{{ url(name) }} {{ url('ok', 3) }} {{ x.url('no') }}";
    CHECK_INT(kiln_tpl_set_add(set, "p.html", src, strlen(src), &err), 0);
    seen s = {0};
    CHECK_INT(kiln_tpl_check_urls(set, "p.html", check_call, report_call, &s),
              1);
    CHECK_INT(s.n, 3); /* the literal names only; not x.url(...) */
    CHECK_STR(s.names[0], "ok/2/0");
    CHECK_STR(s.names[1], "bad/0/0");
    CHECK_STR(s.names[2], "ok/0/1");
    CHECK_INT(s.nreports, 1);
    CHECK(strncmp(s.reports[0], "p.html:2:18: no route named 'bad'\n", 34) ==
          0);
    CHECK_INT(kiln_tpl_check_urls(set, "none", check_call, report_call, &s),
              KILN_ENOTFOUND);
    kiln_tpl_set_free(set);
}

/* Kiln's login, logout, auth API and OIDC flow have names in every app;
   a name the app gives one of its own routes stays the app's. */
TEST(url_kilns_own_routes)
{
    CHECK_INT(kiln_url_define("logout", "/bye"), 0); /* the app's */
    CHECK_INT(app_url_define_kiln(), 0);
    CHECK_STR(kiln_url_pattern("login"), "/login");
    CHECK_STR(kiln_url_pattern("logout"), "/bye");
    CHECK_STR(kiln_url_pattern("api.auth.login"), "/api/auth/login");
    CHECK_STR(kiln_url_pattern("api.auth.logout"), "/api/auth/logout");
    CHECK_STR(kiln_url_pattern("api.auth.me"), "/api/auth/me");
    CHECK_STR(kiln_url_pattern("api.auth.tokens"), "/api/auth/tokens");
    CHECK_STR(kiln_url_pattern("api.auth.tokens.id"), "/api/auth/tokens/{id}");
    CHECK_STR(kiln_url_pattern("auth.oidc.login"), "/auth/oidc/login");
    CHECK_STR(kiln_url_pattern("auth.oidc.callback"), "/auth/oidc/callback");
    CHECK_STR(kiln_url_pattern("auth.oidc.logout"), "/auth/oidc/logout");
    CHECK_STR(render("<a href=\"{{ url('login') }}\">"), "<a href=\"/login\">");
    CHECK_STR(render("{{ url('api.auth.tokens.id', id=n) }}"),
              "/api/auth/tokens/42");
    CHECK_INT(app_url_define_kiln(), 0); /* again: nothing changes */
    CHECK_STR(kiln_url_pattern("logout"), "/bye");
    kiln_url_clear();
}
