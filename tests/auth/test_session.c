/*
 * tests/auth/test_session.c - the pure pieces of sessions and CSRF
 * (src/auth/session.c, csrf.c): cookie ids, Set-Cookie values, masked CSRF
 * tokens and origin matching; and the [session], [csrf] and [security]
 * settings as auth_configure applies them (headers.c's block).
 */
#include "test.h"

#include "auth/session_impl.h"
#include "server/worker.h"

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

/* ---- settings: auth_configure ------------------------------------------- */

/* An app configured from the environment env (NULL-terminated); the
   result of auth_configure in *rc, its message in err. */
static kiln_app *configured(char **env, int *rc, char *err, size_t n)
{
    char *argv[] = {"app", NULL};
    kiln_settings_in in = {
        .root = "/nonexistent-kiln-root", .argc = 1, .argv = argv, .envp = env};
    kiln_settings *s = NULL;
    char lerr[512];
    if (kiln_settings_load(&in, &s, lerr, sizeof lerr) != 0)
        test_fail(__FILE__, __LINE__, "settings: %s", lerr);
    kiln_app *app = kiln_app_new();
    CHECK(app != NULL);
    *rc = auth_configure(app, s, err, n);
    kiln_settings_free(s);
    return app;
}

TEST(configure_defaults)
{
    char *env[] = {NULL};
    char err[256] = "";
    int rc;
    kiln_app *app = configured(env, &rc, err, sizeof err);
    CHECK_INT(rc, 0);
    const auth_conf *a = app->auth;
    CHECK_STR(a->cookie, "kiln_session");
    CHECK_STR(a->csrf_cookie, "kiln_csrf");
    CHECK(!a->secure && !a->https && !a->strict);
    CHECK_INT(a->idle_ms, INT64_C(1209600000));
    CHECK_INT(a->max_age_ms, INT64_C(2592000000));
    CHECK_INT(a->touch_ms, 60000);
    CHECK_INT(a->ntrusted, 0);
    kiln_str h = {app->resp_extra, app->resp_extra_n};
    CHECK_VIEW(h, "X-Content-Type-Options: nosniff\r\n"
                  "Referrer-Policy: strict-origin-when-cross-origin\r\n"
                  "X-Frame-Options: DENY\r\n"
                  "Content-Security-Policy: frame-ancestors 'none'\r\n");
    kiln_app_free(app);
}

TEST(configure_behind_tls)
{
    char *env[] = {"KILN_SECURITY_BEHIND_TLS=true",
                   "KILN_SESSION_SAME_SITE=strict",
                   "KILN_SESSION_IDLE_TIMEOUT=20",
                   "KILN_SESSION_COOKIE_NAME=sid",
                   "KILN_SECURITY_CSP=default-src 'self'",
                   "KILN_SECURITY_REFERRER_POLICY=",
                   "KILN_SECURITY_HSTS_SUBDOMAINS=true",
                   "KILN_CSRF_TRUSTED_ORIGINS=https://A.example.com:443, "
                   "https://*.Other.test",
                   NULL};
    char err[256] = "";
    int rc;
    kiln_app *app = configured(env, &rc, err, sizeof err);
    CHECK_INT(rc, 0);
    const auth_conf *a = app->auth;
    CHECK_STR(a->cookie, "__Host-sid");
    CHECK_STR(a->csrf_cookie, "__Host-kiln_csrf");
    CHECK(a->secure && a->https && a->strict);
    CHECK_INT(a->touch_ms, 2000); /* a tenth of the idle timeout */
    CHECK_INT(a->ntrusted, 2);
    CHECK_STR(a->trusted[0], "https://a.example.com");
    CHECK_STR(a->trusted[1], "https://*.other.test");
    kiln_str h = {app->resp_extra, app->resp_extra_n};
    CHECK_VIEW(h, "X-Content-Type-Options: nosniff\r\n"
                  "X-Frame-Options: DENY\r\n"
                  "Content-Security-Policy: default-src 'self'\r\n"
                  "Strict-Transport-Security: max-age=31536000; "
                  "includeSubDomains\r\n");
    kiln_app_free(app);
}

TEST(configure_secure_never_and_frames_off)
{
    char *env[] = {
        "KILN_SECURITY_BEHIND_TLS=true",   "KILN_SESSION_SECURE=never",
        "KILN_SECURITY_FRAME_OPTIONS=off", "KILN_SECURITY_HSTS_MAX_AGE=0",
        "KILN_SECURITY_NOSNIFF=false",     NULL};
    char err[256] = "";
    int rc;
    kiln_app *app = configured(env, &rc, err, sizeof err);
    CHECK_INT(rc, 0);
    CHECK_STR(app->auth->cookie, "kiln_session");
    CHECK(!app->auth->secure && app->auth->https);
    kiln_str h = {app->resp_extra, app->resp_extra_n};
    CHECK_VIEW(h, "Referrer-Policy: strict-origin-when-cross-origin\r\n");
    kiln_app_free(app);
}

TEST(configure_rejects_a_bad_origin)
{
    char *env[] = {"KILN_CSRF_TRUSTED_ORIGINS=https://ok.test,example.com",
                   NULL};
    char err[256] = "";
    int rc;
    kiln_app *app = configured(env, &rc, err, sizeof err);
    CHECK_INT(rc, KILN_EINVAL);
    CHECK_STR(err, "csrf.trusted_origins: 'example.com' is not an origin "
                   "(scheme://host[:port])");
    kiln_app_free(app);
}
