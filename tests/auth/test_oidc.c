/*
 * tests/auth/test_oidc.c - the pure parts of the OIDC key cache
 * (auth/jwks.c): the cache lifetime a JWKS response's Cache-Control gives,
 * and which URLs an issuer's documents may be fetched from. The fetching,
 * caching and refetch limits are tested black-box (test_auth_oidc.py).
 */
#include "test.h"

#include "auth/oidc.h"

static int age(const char *cc)
{
    return jwks_max_age(cc ? kiln_str_c(cc) : KILN_STR_NULL);
}

TEST(jwks_cache_lifetime)
{
    CHECK_INT(age(NULL), JWKS_MAX_AGE_S);
    CHECK_INT(age(""), JWKS_MAX_AGE_S);
    CHECK_INT(age("public"), JWKS_MAX_AGE_S);
    CHECK_INT(age("max-age=300"), 300);
    CHECK_INT(age("public, max-age=120, must-revalidate"), 120);
    CHECK_INT(age("MAX-AGE = 90"), 90);
    CHECK_INT(age("max-age=\"45\""), 45);
    CHECK_INT(age("max-age=86400"), JWKS_MAX_AGE_S); /* at most 10 min */
    CHECK_INT(age("max-age=99999999999999999999999"), JWKS_MAX_AGE_S);
    CHECK_INT(age("max-age=5"), JWKS_MIN_AGE_S); /* at least 30 s */
    CHECK_INT(age("max-age=0"), JWKS_MIN_AGE_S);
    CHECK_INT(age("no-store"), JWKS_MIN_AGE_S);
    CHECK_INT(age("max-age=300, no-cache"), JWKS_MIN_AGE_S);
    CHECK_INT(age("max-age=-5"), JWKS_MAX_AGE_S); /* invalid: ignored */
    CHECK_INT(age("max-age=abc"), JWKS_MAX_AGE_S);
    CHECK_INT(age("max-age"), JWKS_MAX_AGE_S);
    CHECK_INT(age(",,,"), JWKS_MAX_AGE_S);
    CHECK_INT(age("s-maxage=100"), JWKS_MAX_AGE_S);
}

TEST(oidc_urls)
{
    CHECK(oidc_url_allowed("https://kc.example.com/realms/x", false));
    CHECK(oidc_url_allowed("https://kc.example.com/realms/x", true));
    CHECK(!oidc_url_allowed("http://kc.example.com/realms/x", true));
    CHECK(!oidc_url_allowed("http://127.0.0.1:8080/", false));
    CHECK(oidc_url_allowed("http://127.0.0.1:8080/", true));
    CHECK(oidc_url_allowed("http://127.5.6.7/", true));
    CHECK(oidc_url_allowed("http://localhost:3000/x", true));
    CHECK(oidc_url_allowed("http://[::1]:3000/x", true));
    CHECK(!oidc_url_allowed("http://127.0.0.1.evil.com/", true));
    CHECK(!oidc_url_allowed("http://localhost.evil.com/", true));
    CHECK(!oidc_url_allowed("http://evil.com/@127.0.0.1", true));
    CHECK(!oidc_url_allowed("http://127.0.0.1@evil.com/", true));
    CHECK(!oidc_url_allowed("http://128.0.0.1/", true));
    CHECK(!oidc_url_allowed("ftp://127.0.0.1/", true));
    CHECK(!oidc_url_allowed("file:///etc/passwd", true));
    CHECK(!oidc_url_allowed(NULL, true));
    CHECK(oidc_url_loopback("http://127.0.0.1:1/"));
    CHECK(oidc_url_loopback("https://localhost/"));
    CHECK(!oidc_url_loopback("https://10.0.0.1/"));
}

TEST(jwks_init_refuses_plain_http)
{
    CHECK_INT(jwks_init("http://idp.example.com/realms/x", 0), KILN_EINVAL);
    CHECK_INT(jwks_init("ftp://idp.example.com/", 0), KILN_EINVAL);
    CHECK_INT(jwks_init("http://127.0.0.1:9/", 0), 0);
    /* nothing listens: the load fails, the cache stays empty */
    CHECK(jwks_load() < 0);
    CHECK(jwks_current() == NULL);
    CHECK_INT((long)jwks_fetch_count(), 1);
    /* an unknown kid at once: too soon to fetch again (5 s while empty) */
    CHECK_INT(jwks_refetch("k1", 2), KILN_ELIMIT);
    CHECK_INT((long)jwks_fetch_count(), 1);
    jwks_free();
}
