/*
 * tests/auth/test_session.c - the pure pieces of sessions and CSRF
 * (src/auth/session.c, csrf.c): cookie ids, Set-Cookie values, masked CSRF
 * tokens and origin matching.
 */
#include "test.h"

#include "auth/session_impl.h"

#include <kiln.h>

static kiln_str S(const char *s)
{
    return kiln_str_c(s);
}

/* ---- session ids --------------------------------------------------------- */

TEST(session_id_round_trip)
{
    uint8_t id[SESSION_ID_BYTES], back[SESSION_ID_BYTES];
    for (int round = 0; round < 64; round++) {
        session_rand(id, sizeof id);
        if (round == 0)
            memset(id, 0xff, sizeof id); /* every bit set: '_' and the end */
        char text[SESSION_ID_CHARS + 1];
        session_id_encode(id, text);
        CHECK_INT(strlen(text), SESSION_ID_CHARS);
        for (const char *p = text; *p; p++)
            CHECK((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= '0' && *p <= '9') || *p == '-' || *p == '_');
        CHECK_INT(session_id_decode(S(text), back), 0);
        CHECK(memcmp(id, back, sizeof id) == 0);
    }
}

TEST(session_id_known_value)
{
    uint8_t id[SESSION_ID_BYTES] = {0};
    char text[SESSION_ID_CHARS + 1];
    session_id_encode(id, text);
    CHECK_STR(text, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    id[0] = 0xfb;
    id[31] = 0x01;
    session_id_encode(id, text);
    CHECK_STR(text, "-wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE");
}

TEST(session_id_rejects)
{
    uint8_t id[SESSION_ID_BYTES];
    const char *bad[] = {
        "",
        "AAAA",
        /* 42 and 44 characters */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        /* standard base64's + and /, padding, a blank, a NUL */
        "+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "AAAAAAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAA",
        /* not canonical: the last character's unused bits set */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (session_id_decode(S(bad[i]), id) != KILN_EINVAL)
            test_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
    char nul[SESSION_ID_CHARS];
    memset(nul, 'A', sizeof nul);
    nul[10] = '\0';
    CHECK_INT(session_id_decode((kiln_str){nul, sizeof nul}, id), KILN_EINVAL);
}

/* ---- Set-Cookie ------------------------------------------------------------
 */

TEST(cookie_format)
{
    char out[256];
    int n = session_cookie_format(out, sizeof out, "kiln_session", "abc", 60,
                                  true, false, false);
    CHECK_STR(out, "kiln_session=abc; Path=/; Max-Age=60; HttpOnly; "
                   "SameSite=Lax");
    CHECK_INT(n, strlen(out));
    session_cookie_format(out, sizeof out, "__Host-kiln_session", "abc", 60,
                          true, true, true);
    CHECK_STR(out, "__Host-kiln_session=abc; Path=/; Max-Age=60; HttpOnly; "
                   "SameSite=Strict; Secure");
    /* expiring: no value, Max-Age=0 */
    session_cookie_format(out, sizeof out, "kiln_csrf", "abc", 0, false, false,
                          false);
    CHECK_STR(out, "kiln_csrf=; Path=/; Max-Age=0; SameSite=Lax");
    CHECK_INT(session_cookie_format(out, 20, "kiln_session", "abc", 60, true,
                                    false, false),
              KILN_ELIMIT);
}

/* ---- CSRF tokens ------------------------------------------------------------
 */

TEST(csrf_token_masked_and_checked)
{
    uint8_t secret[SESSION_ID_BYTES], other[SESSION_ID_BYTES];
    uint8_t pad1[SESSION_ID_BYTES], pad2[SESSION_ID_BYTES];
    session_rand(secret, sizeof secret);
    session_rand(other, sizeof other);
    session_rand(pad1, sizeof pad1);
    session_rand(pad2, sizeof pad2);
    char t1[CSRF_TOKEN_CHARS + 1], t2[CSRF_TOKEN_CHARS + 1];
    csrf_token_mask(secret, pad1, t1);
    csrf_token_mask(secret, pad2, t2);
    CHECK_INT(strlen(t1), CSRF_TOKEN_CHARS);
    CHECK(strcmp(t1, t2) != 0); /* a different string each time */
    CHECK(csrf_token_check(S(t1), secret));
    CHECK(csrf_token_check(S(t2), secret));
    CHECK(!csrf_token_check(S(t1), other));
    /* one character changed anywhere: refused */
    for (size_t i = 0; i < CSRF_TOKEN_CHARS - 1; i++) {
        char t[CSRF_TOKEN_CHARS + 1];
        memcpy(t, t1, sizeof t);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        if (csrf_token_check(S(t), secret))
            test_fail(__FILE__, __LINE__, "changed at %zu: accepted", i);
    }
    /* a zero pad gives the secret itself: still a valid token form */
    uint8_t zero[SESSION_ID_BYTES] = {0};
    char tz[CSRF_TOKEN_CHARS + 1];
    csrf_token_mask(secret, zero, tz);
    CHECK(csrf_token_check(S(tz), secret));
    CHECK(!csrf_token_check(S(""), secret));
    CHECK(!csrf_token_check(S("short"), secret));
    CHECK(!csrf_token_check((kiln_str){t1, CSRF_TOKEN_CHARS - 1}, secret));
    /* the session id's form (43 characters) is not a token */
    char id[SESSION_ID_CHARS + 1];
    session_id_encode(secret, id);
    CHECK(!csrf_token_check(S(id), secret));
}

/* ---- origins
 * ------------------------------------------------------------------ */

static const char *origin(const char *v)
{
    static char out[300];
    return csrf_origin_of(S(v), out, sizeof out) == 0 ? out : NULL;
}

TEST(origin_of)
{
    CHECK_STR(origin("http://example.com"), "http://example.com");
    CHECK_STR(origin("https://Example.COM:443"), "https://example.com");
    CHECK_STR(origin("http://example.com:80/path?q"), "http://example.com");
    CHECK_STR(origin("HTTP://example.com:8080"), "http://example.com:8080");
    CHECK_STR(origin("https://example.com:80"), "https://example.com:80");
    CHECK_STR(origin("http://127.0.0.1:8000/form#x"), "http://127.0.0.1:8000");
    CHECK_STR(origin("http://[::1]:8000/"), "http://[::1]:8000");
    CHECK_STR(origin("http://[::1]"), "http://[::1]");
    CHECK(origin("null") == NULL);
    CHECK(origin("") == NULL);
    CHECK(origin("ftp://example.com") == NULL);
    CHECK(origin("http://") == NULL);
    CHECK(origin("http://:80") == NULL);
    CHECK(origin("http://user@evil.com@example.com") == NULL);
    CHECK(origin("http://example.com:99999") == NULL);
    CHECK(origin("http://example.com:8a") == NULL);
    CHECK(origin("http://example.com:") == NULL);
    CHECK(origin("http://exa mple.com") == NULL);
    CHECK(origin("javascript:alert(1)") == NULL);
    /* a colon or bracket in a name (found by fuzz_session) */
    CHECK(origin("https://Exa:mple.com:443/path") == NULL);
    CHECK(origin("http://[::1") == NULL);
    CHECK(origin("http://ex[a]mple.com") == NULL);
    CHECK(origin("http://[]") == NULL);
}

TEST(origin_ok)
{
    char *trusted[] = {"https://app.example.com", "https://*.trusted.test"};
    kiln_str host = S("shop.test:8000");
    CHECK(csrf_origin_ok("http://shop.test:8000", host, false, trusted, 2));
    CHECK(!csrf_origin_ok("https://shop.test:8000", host, false, trusted, 2));
    CHECK(csrf_origin_ok("https://shop.test:8000", host, true, trusted, 2));
    CHECK(!csrf_origin_ok("http://shop.test", host, false, trusted, 2));
    CHECK(!csrf_origin_ok("http://evil.test:8000", host, false, trusted, 2));
    /* the Host is compared normalised: case, default port */
    CHECK(
        csrf_origin_ok("https://shop.test", S("SHOP.test:443"), true, NULL, 0));
    CHECK(csrf_origin_ok("https://app.example.com", host, false, trusted, 2));
    CHECK(csrf_origin_ok("https://a.trusted.test", host, false, trusted, 2));
    CHECK(csrf_origin_ok("https://a.b.trusted.test", host, false, trusted, 2));
    CHECK(!csrf_origin_ok("https://trusted.test", host, false, trusted, 2));
    CHECK(!csrf_origin_ok("https://eviltrusted.test", host, false, trusted, 2));
    CHECK(!csrf_origin_ok("http://a.trusted.test", host, false, trusted, 2));
    /* no Host: only the trusted list */
    CHECK(!csrf_origin_ok("http://shop.test:8000", S(""), false, trusted, 2));
}
