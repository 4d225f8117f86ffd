/*
 * tests/auth/test_token.c - the API token format, the Authorization
 * header's Bearer credentials, durations and the ?next= check.
 */
#include "test.h"

#include "auth/auth_impl.h"

static const char good[] =
    "kiln_Ab3dEf9h_0123456789abcdefghijABCDEFGHIJklmnopqrst";

TEST(token_parse)
{
    char pre[AUTH_TOKEN_PREFIX_LEN + 1];
    CHECK_INT((int)strlen(good), AUTH_TOKEN_LEN);
    CHECK_INT(auth_token_parse(kiln_str_c(good), pre), 0);
    CHECK_STR(pre, "Ab3dEf9h");
    const char *bad[] = {
        "",
        "kiln_",
        "kiln_Ab3dEf9h",
        "kiln_Ab3dEf9h_0123456789abcdefghijABCDEFGHIJklmnopqrs",   /* short */
        "kiln_Ab3dEf9h_0123456789abcdefghijABCDEFGHIJklmnopqrstu", /* long */
        "kiln-Ab3dEf9h_0123456789abcdefghijABCDEFGHIJklmnopqrst",
        "KILN_Ab3dEf9h_0123456789abcdefghijABCDEFGHIJklmnopqrst",
        "kiln_Ab3dEf9h-0123456789abcdefghijABCDEFGHIJklmnopqrst",
        "kiln_Ab3d_f9h_0123456789abcdefghijABCDEFGHIJklmnopqrst",
        "kiln_Ab3dEf9h_0123456789abcdefghij-BCDEFGHIJklmnopqrst",
        "kiln_Ab3dEf9h_0123456789abcdefghij BCDEFGHIJklmnopqrst",
        "xxxx_Ab3dEf9h_0123456789abcdefghijABCDEFGHIJklmnopqrst",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (auth_token_parse(kiln_str_c(bad[i]), pre) != KILN_EPARSE)
            test_fail(__FILE__, __LINE__, "accepted '%s'", bad[i]);
    /* a NUL inside is not a character of the alphabet */
    char nul[sizeof good];
    memcpy(nul, good, sizeof good);
    nul[20] = 0;
    CHECK_INT(auth_token_parse((kiln_str){nul, sizeof good - 1}, pre),
              KILN_EPARSE);
    CHECK_INT(auth_token_parse(KILN_STR_NULL, pre), KILN_EPARSE);
}

TEST(token_make_parses_and_differs)
{
    char t1[AUTH_TOKEN_LEN + 1], t2[AUTH_TOKEN_LEN + 1];
    char p1[AUTH_TOKEN_PREFIX_LEN + 1], p2[AUTH_TOKEN_PREFIX_LEN + 1], pp[9];
    auth_token_make(t1, p1);
    auth_token_make(t2, p2);
    CHECK_INT((int)strlen(t1), AUTH_TOKEN_LEN);
    CHECK_INT(auth_token_parse(kiln_str_c(t1), pp), 0);
    CHECK_STR(pp, p1);
    CHECK(strcmp(t1, t2) != 0);
    CHECK(strncmp(t1 + 5, p1, 8) == 0);
}

TEST(token_hash_is_sha256)
{
    char hex[65];
    auth_token_hash(kiln_str_c("abc"), hex);
    CHECK_STR(
        hex,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(bearer_parse)
{
    kiln_str t;
    CHECK_INT(auth_bearer_parse(kiln_str_c("Bearer abc.def-ghi"), &t), 1);
    CHECK_VIEW(t, "abc.def-ghi");
    CHECK_INT(auth_bearer_parse(kiln_str_c("bearer   xyz=="), &t), 1);
    CHECK_VIEW(t, "xyz==");
    CHECK_INT(auth_bearer_parse(kiln_str_c("  BEARER tok  "), &t), 1);
    CHECK_VIEW(t, "tok");
    CHECK_INT(auth_bearer_parse(kiln_str_c("Basic dXNlcjpwYXNz"), &t), 0);
    CHECK_INT(auth_bearer_parse(kiln_str_c("Bearerx tok"), &t), 0);
    CHECK_INT(auth_bearer_parse(kiln_str_c(""), &t), 0);
    CHECK_INT(auth_bearer_parse(kiln_str_c("Bearer"), &t), KILN_EPARSE);
    CHECK_INT(auth_bearer_parse(kiln_str_c("Bearer "), &t), KILN_EPARSE);
    CHECK_INT(auth_bearer_parse(kiln_str_c("Bearer a b"), &t), KILN_EPARSE);
    CHECK_INT(auth_bearer_parse(kiln_str_c("Bearer a=b"), &t), KILN_EPARSE);
    CHECK_INT(auth_bearer_parse(kiln_str_c("Bearer ==="), &t), KILN_EPARSE);
    CHECK_INT(auth_bearer_parse(kiln_str_c("Bearer a\"b"), &t), KILN_EPARSE);
    CHECK_INT(auth_bearer_parse(kiln_str_c("Bearer a,b"), &t), KILN_EPARSE);
}

TEST(durations)
{
    int64_t s;
    CHECK_INT(auth_duration_parse(kiln_str_c("3600"), &s), 0);
    CHECK(s == 3600);
    CHECK_INT(auth_duration_parse(kiln_str_c("90m"), &s), 0);
    CHECK(s == 5400);
    CHECK_INT(auth_duration_parse(kiln_str_c("30d"), &s), 0);
    CHECK(s == 30 * 86400);
    CHECK_INT(auth_duration_parse(kiln_str_c("2w"), &s), 0);
    CHECK(s == 14 * 86400);
    const char *bad[] = {"",   "0",    "d",  "30x",         "30dd",
                         "-5", "1.5h", " 3", "99999999999", "36501d"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (auth_duration_parse(kiln_str_c(bad[i]), &s) != KILN_EPARSE)
            test_fail(__FILE__, __LINE__, "accepted '%s'", bad[i]);
}

TEST(next_is_same_site)
{
    CHECK(auth_next_ok("/"));
    CHECK(auth_next_ok("/tasks?page=2#x"));
    CHECK(!auth_next_ok("//evil.example/"));
    CHECK(!auth_next_ok("/\\evil.example/"));
    CHECK(!auth_next_ok("https://evil.example/"));
    CHECK(!auth_next_ok("javascript:alert(1)"));
    CHECK(!auth_next_ok("tasks"));
    CHECK(!auth_next_ok("/a\r\nSet-Cookie: x=1"));
    CHECK(!auth_next_ok("/a\\b"));
    CHECK(!auth_next_ok(""));
    CHECK(!auth_next_ok(NULL));
}
