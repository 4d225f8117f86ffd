/*
 * tests/router/test_router.c - route table: literals, params, rest, 404,
 * 405 with Allow, HEAD from GET, automatic OPTIONS, conflicts.
 */
#include "test.h"

#include "router/router.h"

static int h_a(kiln_ctx *c)
{
    (void)c;
    return 1;
}
static int h_b(kiln_ctx *c)
{
    (void)c;
    return 2;
}
static int h_c(kiln_ctx *c)
{
    (void)c;
    return 3;
}
static int h_d(kiln_ctx *c)
{
    (void)c;
    return 4;
}

static route_match m;

static void match(router *r, const char *method, const char *path)
{
    router_match(r, kiln_str_c(method), kiln_str_c(path), &m);
}

TEST(router_literals_params_rest)
{
    router *r = router_new();
    CHECK(router_add(r, "GET", "/", h_a, NULL) == 0);
    CHECK(router_add(r, "GET", "/users/me", h_b, NULL) == 0);
    CHECK(router_add(r, "GET", "/users/{id}", h_c, NULL) == 0);
    CHECK(router_add(r, "GET", "/files/{...path}", h_d, NULL) == 0);
    match(r, "GET", "/");
    CHECK(m.status == 200 && m.handler == h_a);
    match(r, "GET", "/users/me");
    CHECK(m.status == 200 && m.handler == h_b && m.nparams == 0);
    match(r, "GET", "/users/42");
    CHECK(m.status == 200 && m.handler == h_c && m.nparams == 1);
    CHECK_VIEW(m.names[0], "id");
    CHECK_VIEW(m.values[0], "42");
    match(r, "GET", "/users/42/");
    CHECK(m.status == 200 && m.handler == h_c);
    CHECK_VIEW(m.values[0], "42");
    match(r, "GET", "/files/a/b/c.txt");
    CHECK(m.status == 200 && m.handler == h_d);
    CHECK_VIEW(m.values[0], "a/b/c.txt");
    match(r, "GET", "/users/42/posts");
    CHECK_INT(m.status, 404);
    match(r, "GET", "/nope");
    CHECK_INT(m.status, 404);
    router_free(r);
}

TEST(router_backtracks_to_param)
{
    router *r = router_new();
    CHECK(router_add(r, "GET", "/a/b/c", h_a, NULL) == 0);
    CHECK(router_add(r, "GET", "/a/{x}/d", h_b, NULL) == 0);
    match(r, "GET", "/a/b/d");
    CHECK(m.status == 200 && m.handler == h_b);
    CHECK_VIEW(m.values[0], "b");
    router_free(r);
}

TEST(router_405_head_options)
{
    router *r = router_new();
    CHECK(router_add(r, "GET", "/users/{id}", h_a, NULL) == 0);
    CHECK(router_add(r, "DELETE", "/users/{id}", h_b, NULL) == 0);
    match(r, "POST", "/users/1");
    CHECK_INT(m.status, 405);
    CHECK_STR(m.allow, "GET, HEAD, DELETE, OPTIONS");
    match(r, "HEAD", "/users/1");
    CHECK(m.status == 200 && m.handler == h_a && m.head_from_get);
    match(r, "OPTIONS", "/users/1");
    CHECK(m.status == 200 && m.handler == NULL);
    CHECK_STR(m.allow, "GET, HEAD, DELETE, OPTIONS");
    match(r, "OPTIONS", "/zzz");
    CHECK_INT(m.status, 404);
    router_free(r);
}

TEST(router_method_on_lower_priority_route)
{
    router *r = router_new();
    CHECK(router_add(r, "GET", "/users/me", h_a, NULL) == 0);
    CHECK(router_add(r, "DELETE", "/users/{id}", h_b, NULL) == 0);
    match(r, "DELETE", "/users/me");
    CHECK(m.status == 200 && m.handler == h_b);
    match(r, "PUT", "/users/me");
    CHECK_INT(m.status, 405);
    CHECK_STR(m.allow, "GET, HEAD, DELETE, OPTIONS");
    router_free(r);
}

TEST(router_rejects_bad_patterns_and_conflicts)
{
    router *r = router_new();
    CHECK(router_add(r, "GET", "users", h_a, NULL) == KILN_EINVAL);
    CHECK(router_add(r, "GET", "/a//b", h_a, NULL) == KILN_EINVAL);
    CHECK(router_add(r, "GET", "/a/{}", h_a, NULL) == KILN_EINVAL);
    CHECK(router_add(r, "GET", "/a/{x", h_a, NULL) == KILN_EINVAL);
    CHECK(router_add(r, "GET", "/a/{...r}/b", h_a, NULL) == KILN_EINVAL);
    CHECK(router_add(r, "get", "/a", h_a, NULL) == KILN_EINVAL);
    CHECK(router_add(r, "GET", "/a/{x}", h_a, NULL) == 0);
    CHECK(router_add(r, "GET", "/a/{x}", h_b, NULL) == KILN_ESTATE);
    CHECK(router_add(r, "GET", "/a/{y}/z", h_b, NULL) == KILN_ESTATE);
    CHECK(router_add(r, "GET", "/a/{x}/", h_b, NULL) == KILN_ESTATE);
    CHECK(router_add(r, "POST", "/a/{x}", h_b, NULL) == 0);
    router_free(r);
}

TEST(router_many_literals_sorted)
{
    router *r = router_new();
    char pat[32];
    static kiln_handler hs[] = {h_a, h_b, h_c, h_d};
    for (int i = 0; i < 200; i++) {
        snprintf(pat, sizeof pat, "/r%d", (i * 37) % 200);
        CHECK(router_add(r, "GET", pat, hs[((i * 37) % 200) % 4], NULL) == 0);
    }
    for (int i = 0; i < 200; i++) {
        snprintf(pat, sizeof pat, "/r%d", i);
        match(r, "GET", pat);
        CHECK(m.status == 200 && m.handler == hs[i % 4]);
    }
    router_free(r);
}
