/*
 * tests/auth/test_jwt.c - unit tests of src/auth/jose.h (jwt.c, jwk.c,
 * pkce.c): keys made here with OpenSSL (RSA 2048, P-256, Ed25519), tokens
 * signed here, and every attack token of issue 13 refused with its own
 * reason. The keys are made once, before the tests fork.
 */
#include "test.h"

#include "auth/jose.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <pthread.h>
#include <stdarg.h>
#include <time.h>

#define ISSUER "https://id.example.test/realms/board"
#define AUDIENCE "board-api"

/* ---- keys and signing --------------------------------------------------- */

static EVP_PKEY *rsa_key, *rsa_other, *ec_key, *ed_key, *rsa_small;

__attribute__((constructor)) static void make_keys(void)
{
    rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    rsa_other = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    rsa_small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    ec_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    ed_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (!rsa_key || !rsa_other || !rsa_small || !ec_key || !ed_key) {
        fprintf(stderr, "test_jwt: key generation failed\n");
        exit(1);
    }
}

/* base64url of a BIGNUM parameter, padded to pad bytes (0: minimal). */
static void b64_bn(EVP_PKEY *k, const char *param, int pad, char *out)
{
    BIGNUM *bn = NULL;
    unsigned char buf[1024];
    CHECK(EVP_PKEY_get_bn_param(k, param, &bn) == 1);
    int n = pad ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
    CHECK(n > 0);
    b64url_encode(buf, (size_t)n, out);
    BN_free(bn);
}

/* The public JWK of k ({"kty":...}) with kid (NULL: none) and extra
 * members (a JSON fragment starting with ',' or ""), into out. */
static void jwk_of(EVP_PKEY *k, const char *kid, const char *extra, char *out,
                   size_t cap)
{
    char a[1500], b[100], kidm[200] = "";
    if (kid)
        snprintf(kidm, sizeof kidm, ",\"kid\":\"%s\"", kid);
    if (EVP_PKEY_is_a(k, "RSA")) {
        b64_bn(k, OSSL_PKEY_PARAM_RSA_N, 0, a);
        b64_bn(k, OSSL_PKEY_PARAM_RSA_E, 0, b);
        snprintf(out, cap, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"%s%s}", a,
                 b, kidm, extra);
    } else if (EVP_PKEY_is_a(k, "EC")) {
        b64_bn(k, OSSL_PKEY_PARAM_EC_PUB_X, 32, a);
        b64_bn(k, OSSL_PKEY_PARAM_EC_PUB_Y, 32, b);
        snprintf(out, cap,
                 "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"%"
                 "s%s}",
                 a, b, kidm, extra);
    } else {
        unsigned char raw[32];
        size_t n = sizeof raw;
        CHECK(EVP_PKEY_get_raw_public_key(k, raw, &n) == 1);
        b64url_encode(raw, n, a);
        snprintf(out, cap,
                 "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\"%s%s}", a,
                 kidm, extra);
    }
}

/* The test's JWKS: rsa1 (RSA), ec1 (P-256), ed1 (Ed25519). */
static jose_keyset *test_keys(void)
{
    static char r[2000], e[400], d[400], doc[3000];
    jose_keyset *ks;
    jose_error err;
    jwk_of(rsa_key, "rsa1", ",\"use\":\"sig\"", r, sizeof r);
    jwk_of(ec_key, "ec1", ",\"alg\":\"ES256\"", e, sizeof e);
    jwk_of(ed_key, "ed1", "", d, sizeof d);
    snprintf(doc, sizeof doc, "{\"keys\":[%s,%s,%s]}", r, e, d);
    CHECK_INT(jose_keyset_parse(doc, strlen(doc), &ks, &err), JOSE_OK);
    CHECK_INT(jose_keyset_count(ks), 3);
    CHECK_INT(jose_keyset_skipped(ks), 0);
    return ks;
}

/* Parses doc as a JWKS, which must succeed. */
static jose_keyset *keys_from(const char *doc)
{
    jose_keyset *ks;
    jose_error err;
    CHECK_INT(jose_keyset_parse(doc, strlen(doc), &ks, &err), JOSE_OK);
    return ks;
}

/* The signature of tbs by k under alg ("RS256", "PS256", "ES256", "EdDSA",
 * "HS256" with hkey/hkey_n as the secret), base64url into out. */
static void sign(const char *alg, EVP_PKEY *k, const void *hkey, size_t hkey_n,
                 const char *tbs, char *out)
{
    unsigned char sig[1024];
    size_t n = sizeof sig;
    if (strcmp(alg, "HS256") == 0) {
        size_t hn = 0;
        CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, hkey, hkey_n,
                        (const unsigned char *)tbs, strlen(tbs), sig,
                        sizeof sig, &hn) != NULL);
        b64url_encode(sig, hn, out);
        return;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    bool ed = strcmp(alg, "EdDSA") == 0;
    CHECK(EVP_DigestSignInit_ex(md, &pctx, ed ? NULL : "SHA256", NULL, NULL, k,
                                NULL) == 1);
    if (strcmp(alg, "PS256") == 0) {
        CHECK(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
        CHECK(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) ==
              1);
    }
    CHECK(EVP_DigestSign(md, sig, &n, (const unsigned char *)tbs,
                         strlen(tbs)) == 1);
    EVP_MD_CTX_free(md);
    if (strcmp(alg, "ES256") == 0) {
        const unsigned char *p = sig;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
        CHECK(es != NULL);
        BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32);
        BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32);
        ECDSA_SIG_free(es);
        n = 64;
    }
    b64url_encode(sig, n, out);
}

/* Rotating buffers for tokens, so a test can hold a few at once. */
static char *tokbuf(void)
{
    static char bufs[4][80000];
    static int i;
    return bufs[i++ & 3];
}

/* A compact token: header and payload JSON as given, signed by k with alg
 * (the alg of the signature, whatever the header says). */
static char *token(const char *header, const char *payload, const char *alg,
                   EVP_PKEY *k)
{
    char *t = tokbuf();
    size_t o = b64url_encode(header, strlen(header), t);
    t[o++] = '.';
    o += b64url_encode(payload, strlen(payload), t + o);
    char sig[1500];
    sign(alg, k, NULL, 0, t, sig);
    t[o++] = '.';
    strcpy(t + o, sig);
    return t;
}

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

/* A payload with the usual claims; extra (",..." or "") appended. */
static char *claims(const char *extra)
{
    static char bufs[2][4000];
    static int i;
    char *p = bufs[i++ & 1];
    long long now = (long long)now_s();
    snprintf(p, 4000,
             "{\"iss\":\"" ISSUER "\",\"sub\":\"u-42\",\"aud\":\"" AUDIENCE
             "\",\"exp\":%lld,\"iat\":%lld,\"email\":\"ada@example.test\"%s}",
             now + 300, now - 10, extra);
    return p;
}

/* Claims written out fully (no defaults). */
static char *claimsf(const char *fmt, ...)
{
    static char bufs[2][4000];
    static int i;
    char *p = bufs[i++ & 1];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p, 4000, fmt, ap);
    va_end(ap);
    return p;
}

static jose_verify_opts opts(void)
{
    jose_verify_opts o = {.issuer = ISSUER, .audience = AUDIENCE};
    return o;
}

/* Verifies tok with ks and o; returns the reason, checks the message. */
static jose_reason verify_with(jose_keyset *ks, const char *tok,
                               const jose_verify_opts *o, jose_claims *cl)
{
    kiln_arena a;
    jose_error err;
    jose_claims tmp;
    kiln_arena_init(&a, 0);
    jose_reason r =
        jose_jwt_verify(&a, tok, strlen(tok), ks, o, cl ? cl : &tmp, &err);
    CHECK_INT(err.reason, r);
    if (r != JOSE_OK)
        CHECK(err.msg[0] != '\0');
    if (!cl)
        kiln_arena_deinit(&a); /* else the claims stay readable: leaked */
    return r;
}

static jose_reason verify(const char *tok)
{
    jose_keyset *ks = test_keys();
    jose_verify_opts o = opts();
    jose_reason r = verify_with(ks, tok, &o, NULL);
    jose_keyset_release(ks);
    return r;
}

/* ---- valid tokens ------------------------------------------------------- */

TEST(jwt_valid_each_alg)
{
    static const struct {
        const char *alg, *kid;
        EVP_PKEY **key;
        jose_alg want;
    } cases[] = {{"RS256", "rsa1", &rsa_key, JOSE_ALG_RS256},
                 {"PS256", "rsa1", &rsa_key, JOSE_ALG_PS256},
                 {"ES256", "ec1", &ec_key, JOSE_ALG_ES256},
                 {"EdDSA", "ed1", &ed_key, JOSE_ALG_EDDSA}};
    jose_keyset *ks = test_keys();
    jose_verify_opts o = opts();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char h[200];
        jose_claims cl;
        snprintf(h, sizeof h, "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
                 cases[i].alg, cases[i].kid);
        char *t = token(h, claims(""), cases[i].alg, *cases[i].key);
        CHECK_INT(verify_with(ks, t, &o, &cl), JOSE_OK);
        CHECK_INT(cl.alg, cases[i].want);
        CHECK_VIEW(cl.sub, "u-42");
        CHECK_VIEW(cl.iss, ISSUER);
        CHECK_VIEW(cl.kid, cases[i].kid);
        CHECK(cl.exp >= now_s() + 299 && cl.exp <= now_s() + 300);
        const kiln_json *email = kiln_json_get(cl.json, "email");
        CHECK(email && email->type == KILN_JSON_STRING);
        CHECK_VIEW(email->u.string, "ada@example.test");
        /* the allow-list of the options can leave an alg out */
        o.algs = JOSE_ALGS_ALL & ~(unsigned)cases[i].want;
        CHECK_INT(verify_with(ks, t, &o, NULL), JOSE_EALG_UNSUPPORTED);
        o.algs = 0;
    }
    jose_keyset_release(ks);
}

TEST(jwt_ignores_jku_x5u_x5c_headers)
{
    /* a valid token whose header points at other keys still verifies with
     * the set's key: those members are never read */
    char *t = token("{\"alg\":\"RS256\",\"kid\":\"rsa1\","
                    "\"jku\":\"http://127.0.0.1:1/jwks\","
                    "\"x5u\":\"http://127.0.0.1:1/cert\",\"x5c\":[\"AAAA\"]}",
                    claims(""), "RS256", rsa_key);
    CHECK_INT(verify(t), JOSE_OK);
}

/* ---- algorithm attacks -------------------------------------------------- */

TEST(jwt_alg_none_refused)
{
    char *t = tokbuf();
    const char *h = "{\"alg\":\"none\",\"kid\":\"rsa1\"}";
    size_t o = b64url_encode(h, strlen(h), t);
    t[o++] = '.';
    o += b64url_encode(claims(""), strlen(claims("")), t + o);
    strcpy(t + o, ".");
    CHECK_INT(verify(t), JOSE_EALG_NONE);
    /* spelled otherwise, with a signature attached */
    t = token("{\"alg\":\"NoNe\"}", claims(""), "RS256", rsa_key);
    CHECK_INT(verify(t), JOSE_EALG_NONE);
    /* no alg at all, or not a string */
    t = token("{\"kid\":\"rsa1\"}", claims(""), "RS256", rsa_key);
    CHECK_INT(verify(t), JOSE_EALG_MISSING);
    t = token("{\"alg\":256,\"kid\":\"rsa1\"}", claims(""), "RS256", rsa_key);
    CHECK_INT(verify(t), JOSE_EALG_MISSING);
}

TEST(jwt_hs256_with_public_key_refused)
{
    /* the classic confusion: HMAC keyed with the RSA public key's PEM */
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem;
    CHECK(PEM_write_bio_PUBKEY(bio, rsa_key) == 1);
    long pem_n = BIO_get_mem_data(bio, &pem);
    const char *h = "{\"alg\":\"HS256\",\"kid\":\"rsa1\"}";
    char *t = tokbuf();
    size_t o = b64url_encode(h, strlen(h), t);
    t[o++] = '.';
    o += b64url_encode(claims(""), strlen(claims("")), t + o);
    char sig[100];
    sign("HS256", NULL, pem, (size_t)pem_n, t, sig);
    t[o++] = '.';
    strcpy(t + o, sig);
    CHECK_INT(verify(t), JOSE_EALG_HMAC);
    BIO_free(bio);
    /* HS384/HS512 too, and other algs we do not verify */
    t = token("{\"alg\":\"HS512\",\"kid\":\"rsa1\"}", claims(""), "RS256",
              rsa_key);
    CHECK_INT(verify(t), JOSE_EALG_HMAC);
    t = token("{\"alg\":\"RS512\",\"kid\":\"rsa1\"}", claims(""), "RS256",
              rsa_key);
    CHECK_INT(verify(t), JOSE_EALG_UNSUPPORTED);
    t = token("{\"alg\":\"rs256\",\"kid\":\"rsa1\"}", claims(""), "RS256",
              rsa_key);
    CHECK_INT(verify(t), JOSE_EALG_UNSUPPORTED);
}

TEST(jwt_key_type_must_match_alg)
{
    /* an RS256 token naming the EC key: the kid's key is not for RS256 */
    char *t = token("{\"alg\":\"RS256\",\"kid\":\"ec1\"}", claims(""), "RS256",
                    rsa_key);
    CHECK_INT(verify(t), JOSE_EKEY_MISMATCH);
    /* ES256 named with the Ed25519 key */
    t = token("{\"alg\":\"ES256\",\"kid\":\"ed1\"}", claims(""), "ES256",
              ec_key);
    CHECK_INT(verify(t), JOSE_EKEY_MISMATCH);
    /* a key whose own alg is ES256 cannot verify anything else; an RSA key
     * with "alg":"RS256" refuses PS256 */
    char jwk[2000], doc[2100];
    jwk_of(rsa_key, "r", ",\"alg\":\"RS256\"", jwk, sizeof jwk);
    snprintf(doc, sizeof doc, "{\"keys\":[%s]}", jwk);
    jose_keyset *ks = keys_from(doc);
    jose_verify_opts o = opts();
    t = token("{\"alg\":\"PS256\",\"kid\":\"r\"}", claims(""), "PS256",
              rsa_key);
    CHECK_INT(verify_with(ks, t, &o, NULL), JOSE_EKEY_MISMATCH);
    t = token("{\"alg\":\"RS256\",\"kid\":\"r\"}", claims(""), "RS256",
              rsa_key);
    CHECK_INT(verify_with(ks, t, &o, NULL), JOSE_OK);
    jose_keyset_release(ks);
}

TEST(jwt_crit_refused)
{
    char *t = token("{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"crit\":[\"exp\"]}",
                    claims(""), "RS256", rsa_key);
    CHECK_INT(verify(t), JOSE_ECRIT);
    t = token("{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"crit\":[]}", claims(""),
              "RS256", rsa_key);
    CHECK_INT(verify(t), JOSE_ECRIT);
}

/* ---- keys --------------------------------------------------------------- */

TEST(jwt_same_kid_other_key_refused)
{
    char *t = token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", claims(""), "RS256",
                    rsa_other);
    CHECK_INT(verify(t), JOSE_ESIGNATURE);
    t = token("{\"alg\":\"RS256\",\"kid\":\"nobody\"}", claims(""), "RS256",
              rsa_key);
    CHECK_INT(verify(t), JOSE_EKID_UNKNOWN);
    /* the refused token's kid is given back: the JWKS cache refetches on
     * it; and OpenSSL's error queue is left empty */
    jose_keyset *ks = test_keys();
    jose_verify_opts o = opts();
    jose_claims cl;
    CHECK_INT(verify_with(ks, t, &o, &cl), JOSE_EKID_UNKNOWN);
    CHECK_VIEW(cl.kid, "nobody");
    CHECK_INT(cl.alg, JOSE_ALG_RS256);
    CHECK(cl.json == NULL && cl.sub.p == NULL);
    t = token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", claims(""), "RS256",
              rsa_other);
    CHECK_INT(verify_with(ks, t, &o, &cl), JOSE_ESIGNATURE);
    CHECK_VIEW(cl.kid, "rsa1");
    CHECK_INT(ERR_peek_error(), 0);
    jose_keyset_release(ks);
    t = token("{\"alg\":\"RS256\",\"kid\":7}", claims(""), "RS256", rsa_key);
    CHECK_INT(verify(t), JOSE_EKID);
}

TEST(jwt_embedded_jwk_never_used)
{
    /* signed by the attacker's key, which the header carries as jwk (and
     * points at with jku/x5u): the set's keys decide, never the header */
    char jwk[2000], h[2300];
    jwk_of(rsa_other, "attacker", "", jwk, sizeof jwk);
    snprintf(h, sizeof h,
             "{\"alg\":\"RS256\",\"kid\":\"attacker\",\"jwk\":%s,"
             "\"jku\":\"http://127.0.0.1:9/jwks.json\"}",
             jwk);
    char *t = token(h, claims(""), "RS256", rsa_other);
    CHECK_INT(verify(t), JOSE_EKID_UNKNOWN);
    snprintf(h, sizeof h,
             "{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"jwk\":%s,"
             "\"x5u\":\"http://127.0.0.1:9/cert.pem\"}",
             jwk);
    t = token(h, claims(""), "RS256", rsa_other);
    CHECK_INT(verify(t), JOSE_ESIGNATURE);
    /* without a kid: the one RSA key of the set is used, not the header's */
    snprintf(h, sizeof h, "{\"alg\":\"RS256\",\"jwk\":%s}", jwk);
    t = token(h, claims(""), "RS256", rsa_other);
    CHECK_INT(verify(t), JOSE_ESIGNATURE);
}

TEST(jwt_no_kid_needs_exactly_one_fitting_key)
{
    char *t = token("{\"alg\":\"ES256\"}", claims(""), "ES256", ec_key);
    CHECK_INT(verify(t), JOSE_OK); /* one EC key in the set */
    char a[2000], b[2000], doc[4100];
    jwk_of(rsa_key, "k1", "", a, sizeof a);
    jwk_of(rsa_other, "k2", "", b, sizeof b);
    snprintf(doc, sizeof doc, "{\"keys\":[%s,%s]}", a, b);
    jose_keyset *ks = keys_from(doc);
    jose_verify_opts o = opts();
    t = token("{\"alg\":\"RS256\"}", claims(""), "RS256", rsa_key);
    CHECK_INT(verify_with(ks, t, &o, NULL), JOSE_EKID_MISSING);
    t = token("{\"alg\":\"EdDSA\"}", claims(""), "EdDSA", ed_key);
    CHECK_INT(verify_with(ks, t, &o, NULL), JOSE_EKID_MISSING);
    t = token("{\"alg\":\"RS256\",\"kid\":\"k2\"}", claims(""), "RS256",
              rsa_other);
    CHECK_INT(verify_with(ks, t, &o, NULL), JOSE_OK);
    jose_keyset_release(ks);
}

TEST(jwks_duplicate_kid_first_wins)
{
    char a[2000], b[2000], doc[4100];
    jwk_of(rsa_key, "dup", "", a, sizeof a);
    jwk_of(rsa_other, "dup", "", b, sizeof b);
    jose_verify_opts o = opts();
    char *good = token("{\"alg\":\"RS256\",\"kid\":\"dup\"}", claims(""),
                       "RS256", rsa_key);
    char *other = token("{\"alg\":\"RS256\",\"kid\":\"dup\"}", claims(""),
                        "RS256", rsa_other);
    snprintf(doc, sizeof doc, "{\"keys\":[%s,%s]}", a, b);
    jose_keyset *ks = keys_from(doc);
    CHECK_INT(jose_keyset_count(ks), 1);
    CHECK_INT(jose_keyset_skipped(ks), 1);
    CHECK(strstr(jose_keyset_skip_reason(ks), "same kid") != NULL);
    CHECK_INT(verify_with(ks, good, &o, NULL), JOSE_OK);
    CHECK_INT(verify_with(ks, other, &o, NULL), JOSE_ESIGNATURE);
    jose_keyset_release(ks);
    snprintf(doc, sizeof doc, "{\"keys\":[%s,%s]}", b, a);
    ks = keys_from(doc);
    CHECK_INT(verify_with(ks, good, &o, NULL), JOSE_ESIGNATURE);
    CHECK_INT(verify_with(ks, other, &o, NULL), JOSE_OK);
    jose_keyset_release(ks);
}

TEST(jwks_skips_unusable_keys)
{
    char k[2000], doc[20000];
    size_t o = 0;
    o += (size_t)snprintf(doc + o, sizeof doc - o, "{\"keys\":[");
    jwk_of(rsa_key, "enc", ",\"use\":\"enc\"", k, sizeof k);
    o += (size_t)snprintf(doc + o, sizeof doc - o, "%s,", k);
    jwk_of(rsa_key, "badalg", ",\"alg\":\"ES256\"", k, sizeof k);
    o += (size_t)snprintf(doc + o, sizeof doc - o, "%s,", k);
    jwk_of(rsa_key, "hs", ",\"alg\":\"HS256\"", k, sizeof k);
    o += (size_t)snprintf(doc + o, sizeof doc - o, "%s,", k);
    jwk_of(rsa_key, "ops", ",\"key_ops\":[\"encrypt\"]", k, sizeof k);
    o += (size_t)snprintf(doc + o, sizeof doc - o, "%s,", k);
    jwk_of(rsa_small, "small", "", k, sizeof k);
    o += (size_t)snprintf(doc + o, sizeof doc - o, "%s,", k);
    o += (size_t)snprintf(
        doc + o, sizeof doc - o,
        "{\"kty\":\"oct\",\"kid\":\"sym\",\"k\":\"c2VjcmV0\"},"
        /* a point that is not on P-256 */
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"off\","
        "\"x\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
        "\"y\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"},"
        "{\"kty\":\"EC\",\"crv\":\"P-384\",\"kid\":\"p384\","
        "\"x\":\"AQ\",\"y\":\"AQ\"},"
        "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"kid\":\"x\","
        "\"x\":\"AQ\"},"
        "{\"kty\":\"RSA\",\"kid\":\"nonb64\",\"n\":\"a+b/\","
        "\"e\":\"AQAB\"},"
        "{\"kty\":\"RSA\",\"kid\":\"noe\",\"n\":\"AQAB\"},");
    jwk_of(ec_key, "good", "", k, sizeof k);
    snprintf(doc + o, sizeof doc - o, "%s]}", k);
    jose_keyset *ks = keys_from(doc);
    CHECK_INT(jose_keyset_count(ks), 1);
    CHECK_INT(jose_keyset_skipped(ks), 11);
    CHECK_INT(ERR_peek_error(), 0); /* refused keys leave no OpenSSL error */
    CHECK(strstr(jose_keyset_skip_reason(ks), "use") != NULL);
    CHECK(jose_keyset_has_kid(ks, "good", 4));
    CHECK(!jose_keyset_has_kid(ks, "enc", 3));
    jose_verify_opts op = opts();
    char *t = token("{\"alg\":\"RS256\",\"kid\":\"enc\"}", claims(""), "RS256",
                    rsa_key);
    CHECK_INT(verify_with(ks, t, &op, NULL), JOSE_EKID_UNKNOWN);
    t = token("{\"alg\":\"RS256\",\"kid\":\"small\"}", claims(""), "RS256",
              rsa_small);
    CHECK_INT(verify_with(ks, t, &op, NULL), JOSE_EKID_UNKNOWN);
    t = token("{\"alg\":\"ES256\",\"kid\":\"good\"}", claims(""), "ES256",
              ec_key);
    CHECK_INT(verify_with(ks, t, &op, NULL), JOSE_OK);
    /* retain/release: the set lives until the last owner lets go */
    CHECK(jose_keyset_retain(ks) == ks);
    jose_keyset_release(ks);
    CHECK_INT(jose_keyset_count(ks), 1);
    jose_keyset_release(ks);
}

TEST(jwks_malformed_documents)
{
    static const char *const bad[] = {
        "",
        "[]",
        "{}",
        "{\"keys\":{}}",
        "{\"keys\":[1]}",
        "{\"keys\":[{\"kty\":\"RSA\"},]}",
        "{\"keys\":[]",
        "{\"keys\":[]} x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        jose_keyset *ks = (jose_keyset *)1;
        jose_error err;
        CHECK_INT(jose_keyset_parse(bad[i], strlen(bad[i]), &ks, &err),
                  JOSE_EJWKS);
        CHECK(ks == NULL);
        CHECK(err.msg[0] != '\0');
    }
    /* too many keys, too many bytes */
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_puts(&b, "{\"keys\":[");
    for (int i = 0; i <= JOSE_JWKS_KEYS_MAX; i++)
        kiln_buf_puts(&b, i ? ",{}" : "{}");
    kiln_buf_puts(&b, "]}");
    jose_keyset *ks;
    CHECK_INT(jose_keyset_parse(b.p, b.n, &ks, NULL), JOSE_ETOO_LARGE);
    kiln_buf_clear(&b);
    kiln_buf_puts(&b, "{\"keys\":[],\"x\":\"");
    while (b.n <= JOSE_JWKS_MAX)
        kiln_buf_puts(&b, "xxxxxxxxxxxxxxxx");
    kiln_buf_puts(&b, "\"}");
    CHECK_INT(jose_keyset_parse(b.p, b.n, &ks, NULL), JOSE_ETOO_LARGE);
    kiln_buf_deinit(&b);
    /* an empty set parses; every token then fails on its kid */
    ks = keys_from("{\"keys\":[]}");
    CHECK_INT(jose_keyset_count(ks), 0);
    jose_verify_opts o = opts();
    char *t = token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", claims(""), "RS256",
                    rsa_key);
    CHECK_INT(verify_with(ks, t, &o, NULL), JOSE_EKID_UNKNOWN);
    t = token("{\"alg\":\"RS256\"}", claims(""), "RS256", rsa_key);
    CHECK_INT(verify_with(ks, t, &o, NULL), JOSE_EKID_MISSING);
    jose_keyset_release(ks);
}

/* ---- tampering ---------------------------------------------------------- */

TEST(jwt_tampered_parts_refused)
{
    static const char *const algs[] = {"RS256", "ES256", "EdDSA"};
    static const char *const kids[] = {"rsa1", "ec1", "ed1"};
    EVP_PKEY *keys[] = {rsa_key, ec_key, ed_key};
    for (int i = 0; i < 3; i++) {
        char h[100];
        snprintf(h, sizeof h, "{\"alg\":\"%s\",\"kid\":\"%s\"}", algs[i],
                 kids[i]);
        char *t = token(h, claims(""), algs[i], keys[i]);
        CHECK_INT(verify(t), JOSE_OK);
        char *dot1 = strchr(t, '.'), *dot2 = strchr(dot1 + 1, '.');
        /* tampered payload: sub changed, the rest as it was */
        char *t2 = tokbuf();
        const char *p = claims(",\"admin\":true");
        size_t o = (size_t)(dot1 - t) + 1;
        memcpy(t2, t, o);
        o += b64url_encode(p, strlen(p), t2 + o);
        strcpy(t2 + o, dot2);
        CHECK_INT(verify(t2), JOSE_ESIGNATURE);
        /* tampered header: another member, same signature */
        char h2[120];
        snprintf(h2, sizeof h2, "{\"alg\":\"%s\",\"kid\":\"%s\",\"cty\":\"x\"}",
                 algs[i], kids[i]);
        o = b64url_encode(h2, strlen(h2), t2);
        strcpy(t2 + o, dot1);
        CHECK_INT(verify(t2), JOSE_ESIGNATURE);
        /* one signature character changed (a whole 6-bit group) */
        strcpy(t2, t);
        char *last = t2 + strlen(t2) - 8;
        *last = *last == 'A' ? 'B' : 'A';
        CHECK_INT(verify(t2), JOSE_ESIGNATURE);
        /* the signature cut short, or missing */
        strcpy(t2, t);
        t2[strlen(t2) - 4] = '\0';
        jose_reason r = verify(t2); /* stray bits in the last character */
        CHECK(r == JOSE_ESIGNATURE || r == JOSE_EBASE64);
        strcpy(t2, t);
        strchr(strchr(t2, '.') + 1, '.')[1] = '\0';
        CHECK_INT(verify(t2), JOSE_ESIGNATURE);
    }
}

TEST(jwt_es256_der_signature_refused)
{
    /* ES256 is r || s; a DER signature (what OpenSSL makes) is refused */
    const char *h = "{\"alg\":\"ES256\",\"kid\":\"ec1\"}";
    char *t = tokbuf();
    size_t o = b64url_encode(h, strlen(h), t);
    t[o++] = '.';
    o += b64url_encode(claims(""), strlen(claims("")), t + o);
    unsigned char sig[100];
    size_t n = sizeof sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    CHECK(EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, ec_key, NULL) ==
          1);
    t[o] = '\0';
    CHECK(EVP_DigestSign(md, sig, &n, (unsigned char *)t, o) == 1);
    EVP_MD_CTX_free(md);
    t[o++] = '.';
    b64url_encode(sig, n, t + o);
    CHECK_INT(verify(t), JOSE_ESIGNATURE);
}

/* ---- malformed tokens --------------------------------------------------- */

TEST(jwt_segments_and_size)
{
    char *t = token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", claims(""), "RS256",
                    rsa_key);
    char buf[3000];
    CHECK_INT(verify(""), JOSE_ESEGMENTS);
    CHECK_INT(verify("."), JOSE_ESEGMENTS);
    CHECK_INT(verify("abc"), JOSE_ESEGMENTS);
    strcpy(buf, t);
    *strrchr(buf, '.') = '\0'; /* two segments */
    CHECK_INT(verify(buf), JOSE_ESEGMENTS);
    snprintf(buf, sizeof buf, "%s.AAAA", t); /* four */
    CHECK_INT(verify(buf), JOSE_ESEGMENTS);
    snprintf(buf, sizeof buf, "%s.", t);
    CHECK_INT(verify(buf), JOSE_ESEGMENTS);
    CHECK_INT(verify(".."), JOSE_EHEADER);
    /* a huge token is refused on its length, before decoding */
    char *big = malloc(JOSE_TOKEN_MAX + 2);
    memset(big, 'A', JOSE_TOKEN_MAX + 1);
    big[0] = '!'; /* not even base64url: the length is checked first */
    big[JOSE_TOKEN_MAX + 1] = '\0';
    CHECK_INT(verify(big), JOSE_ETOO_LARGE);
    /* a signed token just over the limit: its claims are padding */
    char *pad = malloc(JOSE_TOKEN_MAX);
    memset(pad, 'x', JOSE_TOKEN_MAX - 100);
    pad[JOSE_TOKEN_MAX - 100] = '\0';
    char *extra = malloc(JOSE_TOKEN_MAX + 20);
    snprintf(extra, JOSE_TOKEN_MAX + 20, ",\"pad\":\"%s\"", pad);
    char *p = malloc(JOSE_TOKEN_MAX + 500);
    long long now = (long long)now_s();
    snprintf(p, JOSE_TOKEN_MAX + 500,
             "{\"iss\":\"" ISSUER "\",\"sub\":\"s\",\"aud\":\"" AUDIENCE
             "\",\"exp\":%lld%s}",
             now + 60, extra);
    t = token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", p, "RS256", rsa_key);
    CHECK(strlen(t) > JOSE_TOKEN_MAX);
    CHECK_INT(verify(t), JOSE_ETOO_LARGE);
    free(big);
    free(pad);
    free(extra);
    free(p);
}

TEST(jwt_strict_base64url)
{
    char *t = token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", claims(""), "RS256",
                    rsa_key);
    char buf[3000];
    char *dot1 = strchr(t, '.');
    size_t hn = (size_t)(dot1 - t);
    /* padding added to the header */
    snprintf(buf, sizeof buf, "%.*s==%s", (int)hn, t, dot1);
    CHECK_INT(verify(buf), JOSE_EBASE64);
    /* '+' and '/' (base64, not base64url) */
    static const char *const swaps[] = {"+", "/", " ", "\n", "=", "\t", "%"};
    for (size_t i = 0; i < sizeof swaps / sizeof swaps[0]; i++) {
        strcpy(buf, t);
        buf[hn + 3] = swaps[i][0]; /* inside the payload */
        CHECK_INT(verify(buf), JOSE_EBASE64);
        strcpy(buf, t);
        buf[strlen(buf) - 5] = swaps[i][0]; /* inside the signature */
        CHECK_INT(verify(buf), JOSE_EBASE64);
    }
    /* leading whitespace */
    snprintf(buf, sizeof buf, " %s", t);
    CHECK_INT(verify(buf), JOSE_EBASE64);
    /* a header whose length mod 4 is 1 */
    snprintf(buf, sizeof buf, "%.*sA%s", (int)hn, t, dot1);
    CHECK_INT(verify(buf) == JOSE_EBASE64 || verify(buf) == JOSE_EHEADER, 1);

    uint8_t out[16];
    size_t n;
    CHECK_INT(b64url_decode("QQ", 2, out, &n), 0); /* "A" */
    CHECK_INT(n, 1);
    CHECK_INT(out[0], 'A');
    CHECK_INT(b64url_decode("QR", 2, out, &n), -1); /* stray bits */
    CHECK_INT(b64url_decode("QUI", 3, out, &n), 0);
    CHECK_INT(b64url_decode("QUJ", 3, out, &n), -1);
    CHECK_INT(b64url_decode("QUJD", 4, out, &n), 0);
    CHECK_INT(n, 3);
    CHECK_INT(b64url_decode("QUJDR", 5, out, &n), -1);
    CHECK_INT(b64url_decode("QQ==", 4, out, &n), -1);
    CHECK_INT(b64url_decode("-_", 2, out, &n), -1); /* bits set */
    CHECK_INT(b64url_decode("-_8", 3, out, &n), 0);
    CHECK_INT(out[0], 0xfb);
    CHECK_INT(out[1], 0xff);
    char enc[8];
    CHECK_INT(b64url_encode("\xfb\xff", 2, enc), 3);
    CHECK_STR(enc, "-_8");
    CHECK_INT(b64url_encode("", 0, enc), 0);
    CHECK_STR(enc, "");
}

/* A token with header h (JSON text) and the usual claims, RS256. */
static jose_reason verify_header(const char *h)
{
    return verify(token(h, claims(""), "RS256", rsa_key));
}

TEST(jwt_header_must_be_one_object)
{
    CHECK_INT(verify_header("[\"RS256\"]"), JOSE_EHEADER);
    CHECK_INT(verify_header("\"RS256\""), JOSE_EHEADER);
    CHECK_INT(verify_header("null"), JOSE_EHEADER);
    CHECK_INT(verify_header("{\"alg\":\"RS256\",}"), JOSE_EHEADER);
    CHECK_INT(verify_header("{\"alg\":\"RS256\"} {}"), JOSE_EHEADER);
    CHECK_INT(verify_header("\xef\xbb\xbf{\"alg\":\"RS256\"}"), JOSE_EHEADER);
    CHECK_INT(verify_header("{\"a\":[[[[[[[[[[[[]]]]]]]]]]]]}"), JOSE_EHEADER);
    /* the same name twice: whichever a parser keeps, we refuse */
    CHECK_INT(verify_header("{\"alg\":\"none\",\"alg\":\"RS256\","
                            "\"kid\":\"rsa1\"}"),
              JOSE_EDUPLICATE);
    CHECK_INT(
        verify_header("{\"alg\":\"RS256\",\"kid\":\"x\",\"kid\":\"rsa1\"}"),
        JOSE_EDUPLICATE);
    /* a payload that is not an object, or has a claim twice */
    char *t = token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", "[1,2]", "RS256",
                    rsa_key);
    CHECK_INT(verify(t), JOSE_EPAYLOAD);
    t = token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}",
              claims(",\"sub\":\"admin\""), "RS256", rsa_key);
    CHECK_INT(verify(t), JOSE_EDUPLICATE);
    t = token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}",
              claims(",\"realm_access\":{\"roles\":[],\"roles\":[\"admin\"]}"),
              "RS256", rsa_key);
    CHECK_INT(verify(t), JOSE_EDUPLICATE);
    /* many members (sorted duplicate check) */
    char many[4000] = "{\"alg\":\"RS256\",\"kid\":\"rsa1\"";
    for (int i = 0; i < 40; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many),
                 ",\"m%02d\":%d", i, i);
    char ok[4100];
    snprintf(ok, sizeof ok, "%s}", many);
    CHECK_INT(verify_header(ok), JOSE_OK);
    snprintf(ok, sizeof ok, "%s,\"m17\":0}", many);
    CHECK_INT(verify_header(ok), JOSE_EDUPLICATE);
}

/* ---- claims ------------------------------------------------------------- */

/* Verifies an RS256 token with payload p under o. */
static jose_reason verify_claims(const char *p, const jose_verify_opts *o)
{
    jose_keyset *ks = test_keys();
    char *t =
        token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", p, "RS256", rsa_key);
    jose_reason r = verify_with(ks, t, o, NULL);
    jose_keyset_release(ks);
    return r;
}

#define CL(...) claimsf(__VA_ARGS__)
#define BASE "\"iss\":\"" ISSUER "\",\"sub\":\"u\",\"aud\":\"" AUDIENCE "\""

TEST(jwt_time_claims)
{
    jose_verify_opts o = opts();
    long long now = (long long)now_s();
    CHECK_INT(verify_claims(CL("{" BASE ",\"exp\":%lld}", now - 120), &o),
              JOSE_EEXPIRED);
    CHECK_INT(verify_claims(CL("{" BASE ",\"exp\":%lld}", now - 30), &o),
              JOSE_OK); /* inside the 60 s leeway */
    CHECK_INT(verify_claims(CL("{" BASE ",\"exp\":%lld}", now - 60), &o),
              JOSE_EEXPIRED); /* exp + leeway is now: expired */
    o.leeway = -1;
    CHECK_INT(verify_claims(CL("{" BASE ",\"exp\":%lld}", now - 1), &o),
              JOSE_EEXPIRED);
    o.leeway = 300;
    CHECK_INT(verify_claims(CL("{" BASE ",\"exp\":%lld}", now - 200), &o),
              JOSE_OK);
    o.leeway = 0;
    /* a fixed clock */
    o.now = 2000000000;
    CHECK_INT(verify_claims(CL("{" BASE ",\"exp\":2000000100}"), &o), JOSE_OK);
    CHECK_INT(verify_claims(CL("{" BASE ",\"exp\":1999999000}"), &o),
              JOSE_EEXPIRED);
    o.now = 0;

    CHECK_INT(verify_claims(CL("{" BASE ",\"exp\":%lld,\"nbf\":%lld}",
                               now + 600, now + 120),
                            &o),
              JOSE_ENOT_YET_VALID);
    CHECK_INT(verify_claims(CL("{" BASE ",\"exp\":%lld,\"nbf\":%lld}",
                               now + 600, now + 30),
                            &o),
              JOSE_OK);
    CHECK_INT(verify_claims(CL("{" BASE ",\"exp\":%lld,\"iat\":%lld}",
                               now + 600, now + 120),
                            &o),
              JOSE_EIAT_FUTURE);
    CHECK_INT(verify_claims(CL("{" BASE ",\"exp\":%lld,\"iat\":%lld}",
                               now + 600, now + 30),
                            &o),
              JOSE_OK);
    CHECK_INT(verify_claims(
                  CL("{" BASE ",\"exp\":%lld,\"nbf\":\"0\"}", now + 600), &o),
              JOSE_ENBF_INVALID);
    CHECK_INT(verify_claims(
                  CL("{" BASE ",\"exp\":%lld,\"iat\":null}", now + 600), &o),
              JOSE_EIAT_INVALID);
}

TEST(jwt_exp_numeric_edges)
{
    jose_verify_opts o = opts();
    long long now = (long long)now_s();
    jose_keyset *ks = test_keys();
    jose_claims cl;
    /* a fraction is a NumericDate: floored */
    char *t =
        token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}",
              CL("{" BASE ",\"exp\":%lld.75}", now + 100), "RS256", rsa_key);
    CHECK_INT(verify_with(ks, t, &o, &cl), JOSE_OK);
    CHECK_INT(cl.exp, now + 100);
    t = token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}",
              CL("{" BASE ",\"exp\":%lld.0e0}", now + 100), "RS256", rsa_key);
    CHECK_INT(verify_with(ks, t, &o, &cl), JOSE_OK);
    CHECK_INT(cl.exp, now + 100);
    jose_keyset_release(ks);
    static const char *const bad[] = {
        "1e300",        "-1",     "-1e10",    "99999999999999999999",
        "253402300800", "1e999",  "\"%lld\"", "null",
        "true",         "[%lld]", "{}",       "-0.5",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char fmt[300];
        snprintf(fmt, sizeof fmt, "{" BASE ",\"exp\":%s}", bad[i]);
        char *p = CL(fmt, now + 100);
        CHECK_INT(verify_claims(p, &o), JOSE_EEXP_INVALID);
    }
    CHECK_INT(verify_claims(CL("{" BASE "}"), &o), JOSE_EEXP_MISSING);
    /* the latest date accepted */
    CHECK_INT(verify_claims(CL("{" BASE ",\"exp\":253402300799}"), &o),
              JOSE_OK);
    CHECK_INT(verify_claims(CL("{" BASE ",\"exp\":0}"), &o), JOSE_EEXPIRED);
}

TEST(jwt_issuer_exact)
{
    jose_verify_opts o = opts();
    long long exp = (long long)now_s() + 100;
    static const char *const bad[] = {
        "\"https://evil.example.test/realms/board\"",
        "\"" ISSUER "/\"",
        "\"HTTPS://id.example.test/realms/board\"",
        "[\"" ISSUER "\"]",
        "null",
        "\"" ISSUER "\\u0000\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(
            verify_claims(CL("{\"iss\":%s,\"sub\":\"u\",\"aud\":\"" AUDIENCE
                             "\",\"exp\":%lld}",
                             bad[i], exp),
                          &o),
            JOSE_EISS);
    CHECK_INT(
        verify_claims(
            CL("{\"sub\":\"u\",\"aud\":\"" AUDIENCE "\",\"exp\":%lld}", exp),
            &o),
        JOSE_EISS);
    o.issuer = NULL; /* no issuer configured: nothing is accepted */
    CHECK_INT(verify_claims(CL("{" BASE ",\"exp\":%lld}", exp), &o), JOSE_EISS);
}

TEST(jwt_audience_and_azp)
{
    jose_verify_opts o = opts();
    long long exp = (long long)now_s() + 100;
    const char *fmt = "{\"iss\":\"" ISSUER "\",\"sub\":\"u\",\"exp\":%lld%s}";
    CHECK_INT(verify_claims(CL(fmt, exp, ",\"aud\":\"other\""), &o), JOSE_EAUD);
    CHECK_INT(verify_claims(CL(fmt, exp, ""), &o), JOSE_EAUD);
    CHECK_INT(verify_claims(
                  CL(fmt, exp, ",\"aud\":[\"account\",\"" AUDIENCE "\"]"), &o),
              JOSE_OK);
    CHECK_INT(
        verify_claims(CL(fmt, exp, ",\"aud\":[\"account\",\"other\"]"), &o),
        JOSE_EAUD);
    CHECK_INT(verify_claims(CL(fmt, exp, ",\"aud\":[]"), &o), JOSE_EAUD);
    CHECK_INT(verify_claims(CL(fmt, exp, ",\"aud\":[[\"" AUDIENCE "\"]]"), &o),
              JOSE_EAUD);
    CHECK_INT(verify_claims(CL(fmt, exp, ",\"aud\":\"" AUDIENCE "x\""), &o),
              JOSE_EAUD);
    /* Keycloak: aud "account", the client in azp; only when configured */
    const char *kc = ",\"aud\":\"account\",\"azp\":\"board-spa\"";
    CHECK_INT(verify_claims(CL(fmt, exp, kc), &o), JOSE_EAUD);
    const char *const clients[] = {"board-cli", "board-spa"};
    o.azp = clients;
    o.azp_n = 2;
    CHECK_INT(verify_claims(CL(fmt, exp, kc), &o), JOSE_OK);
    CHECK_INT(
        verify_claims(CL(fmt, exp, ",\"aud\":\"account\",\"azp\":\"evil-spa\""),
                      &o),
        JOSE_EAUD);
    CHECK_INT(verify_claims(CL(fmt, exp, ",\"azp\":[\"board-spa\"]"), &o),
              JOSE_EAUD);
    /* azp alone, no audience configured */
    o.audience = NULL;
    CHECK_INT(verify_claims(CL(fmt, exp, kc), &o), JOSE_OK);
    CHECK_INT(verify_claims(CL(fmt, exp, ",\"aud\":\"" AUDIENCE "\""), &o),
              JOSE_EAUD);
    /* nothing configured: refused unless no_audience says so */
    o.azp = NULL;
    o.azp_n = 0;
    CHECK_INT(verify_claims(CL(fmt, exp, kc), &o), JOSE_EAUD);
    o.no_audience = true;
    CHECK_INT(verify_claims(CL(fmt, exp, kc), &o), JOSE_OK);
}

TEST(jwt_sub_required)
{
    jose_verify_opts o = opts();
    long long exp = (long long)now_s() + 100;
    const char *fmt =
        "{\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE "\",\"exp\":%lld%s}";
    CHECK_INT(verify_claims(CL(fmt, exp, ""), &o), JOSE_ESUB);
    CHECK_INT(verify_claims(CL(fmt, exp, ",\"sub\":\"\""), &o), JOSE_ESUB);
    CHECK_INT(verify_claims(CL(fmt, exp, ",\"sub\":42"), &o), JOSE_ESUB);
    CHECK_INT(verify_claims(CL(fmt, exp, ",\"sub\":\"0\""), &o), JOSE_OK);
}

TEST(jwt_error_messages_are_safe)
{
    /* a message quoting the token holds no quote, backslash or control */
    kiln_arena a;
    jose_error err;
    jose_jws jws;
    kiln_arena_init(&a, 0);
    char *t = token("{\"alg\":\"HS\\\"\\n\\u00e9\",\"kid\":\"k\"}", claims(""),
                    "RS256", rsa_key);
    CHECK_INT(jose_jws_parse(&a, t, strlen(t), 0, &jws, &err), JOSE_EALG_HMAC);
    for (const char *c = err.msg; *c; c++)
        CHECK(*c >= 0x20 && *c <= 0x7e && *c != '"' && *c != '\\');
    /* every reason has its own name */
    for (int i = 0; i < JOSE_EREASON_COUNT; i++) {
        CHECK(strcmp(jose_reason_name((jose_reason)i), "unknown") != 0);
        for (int j = 0; j < i; j++)
            CHECK(strcmp(jose_reason_name((jose_reason)i),
                         jose_reason_name((jose_reason)j)) != 0);
    }
    CHECK_STR(jose_reason_name(JOSE_EALG_NONE), "alg_none");
    CHECK_STR(jose_reason_name((jose_reason)999), "unknown");
    kiln_arena_deinit(&a);
}

/* ---- claim paths, PKCE -------------------------------------------------- */

TEST(jwt_claim_paths)
{
    kiln_arena a;
    kiln_json *v;
    kiln_arena_init(&a, 0);
    const char *doc =
        "{\"realm_access\":{\"roles\":[\"editor\",3,\"viewer\"]},"
        "\"resource_access\":{\"board.web\":{\"roles\":[\"admin\"]}},"
        "\"groups\":\"staff\",\"n\":{\"x\":1}}";
    CHECK_INT(kiln_json_parse(&a, doc, strlen(doc), 0, &v, NULL), 0);
    const char *const *s;
    size_t n;
    CHECK_INT(jose_claim_strings(&a, jose_claim_path(v, "realm_access.roles"),
                                 &s, &n),
              0);
    CHECK_INT(n, 2);
    CHECK_STR(s[0], "editor");
    CHECK_STR(s[1], "viewer");
    const char *const keys[] = {"resource_access", "board.web", "roles"};
    CHECK_INT(jose_claim_strings(&a, jose_claim_at(v, keys, 3), &s, &n), 0);
    CHECK_INT(n, 1);
    CHECK_STR(s[0], "admin");
    CHECK(jose_claim_path(v, "resource_access.board.web.roles") == NULL);
    CHECK_INT(jose_claim_strings(&a, jose_claim_path(v, "groups"), &s, &n), 0);
    CHECK_INT(n, 1);
    CHECK_STR(s[0], "staff");
    CHECK(jose_claim_path(v, "n.x.y") == NULL);
    CHECK(jose_claim_path(v, "missing.roles") == NULL);
    CHECK(jose_claim_path(v, "") == NULL);
    CHECK_INT(jose_claim_strings(&a, jose_claim_path(v, "n"), &s, &n), 0);
    CHECK_INT(n, 0);
    CHECK_INT(jose_claim_strings(&a, NULL, &s, &n), 0);
    CHECK_INT(n, 0);
    kiln_arena_deinit(&a);
}

TEST(pkce_and_random)
{
    /* RFC 7636 appendix B */
    char c[JOSE_RANDOM_LEN + 1];
    const char *v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    jose_pkce_challenge(v, strlen(v), c);
    CHECK_STR(c, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    char r1[JOSE_RANDOM_LEN + 1], r2[JOSE_RANDOM_LEN + 1];
    CHECK_INT(jose_random_b64(r1), 0);
    CHECK_INT(jose_random_b64(r2), 0);
    CHECK_INT(strlen(r1), JOSE_RANDOM_LEN);
    CHECK(strcmp(r1, r2) != 0);
    uint8_t raw[40];
    size_t n;
    CHECK_INT(b64url_decode(r1, strlen(r1), raw, &n), 0);
    CHECK_INT(n, 32);
}

/* ---- the verified-token cache ------------------------------------------- */

TEST(jwt_cache_skips_only_the_signature)
{
    jose_keyset *ks = test_keys();
    jose_cache *c = jose_cache_new(4);
    jose_verify_opts o = opts();
    o.cache = c;
    uint64_t gen = jose_keyset_generation(ks);
    CHECK(gen != 0);
    char *t = token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", claims(""), "RS256",
                    rsa_key);
    size_t n = strlen(t);
    CHECK(!jose_cache_has(c, t, n, gen));
    CHECK_INT(verify_with(ks, t, &o, NULL), JOSE_OK);
    CHECK(jose_cache_has(c, t, n, gen));
    CHECK_INT(verify_with(ks, t, &o, NULL), JOSE_OK); /* a hit */
    /* the claims are checked on every use: later, the same token expired */
    o.now = now_s() + 3600;
    CHECK_INT(verify_with(ks, t, &o, NULL), JOSE_EEXPIRED);
    o.now = 0;
    o.issuer = "https://other.example.test";
    CHECK_INT(verify_with(ks, t, &o, NULL), JOSE_EISS);
    o.issuer = ISSUER;
    /* a token that differs in one byte is not a hit */
    char *t2 = tokbuf();
    strcpy(t2, t);
    t2[n - 10] = t2[n - 10] == 'A' ? 'B' : 'A';
    CHECK(!jose_cache_has(c, t2, n, gen));
    CHECK_INT(verify_with(ks, t2, &o, NULL), JOSE_ESIGNATURE);
    CHECK(!jose_cache_has(c, t2, n, gen));
    /* another set (a refetched JWKS without the key): verified again */
    char e[400], doc[500];
    jwk_of(ec_key, "ec1", "", e, sizeof e);
    snprintf(doc, sizeof doc, "{\"keys\":[%s]}", e);
    jose_keyset *ks2 = keys_from(doc);
    CHECK(jose_keyset_generation(ks2) != gen);
    CHECK_INT(verify_with(ks2, t, &o, NULL), JOSE_EKID_UNKNOWN);
    /* a header refusal comes first whatever the cache holds */
    jose_cache_put(c, "e30.e30.AA", 10, gen);
    CHECK(jose_cache_has(c, "e30.e30.AA", 10, gen));
    CHECK_INT(verify_with(ks, "e30.e30.AA", &o, NULL), JOSE_EALG_MISSING);
    /* many tokens through 4 slots: evictions only */
    for (int i = 0; i < 12; i++) {
        char extra[40];
        snprintf(extra, sizeof extra, ",\"n\":%d", i);
        t = token("{\"alg\":\"ES256\",\"kid\":\"ec1\"}", claims(extra), "ES256",
                  ec_key);
        CHECK_INT(verify_with(ks, t, &o, NULL), JOSE_OK);
        CHECK_INT(verify_with(ks, t, &o, NULL), JOSE_OK);
    }
    /* too long for the cache: verified, not kept */
    char pad[3200]; /* claims() holds 4000 bytes; base64url makes 4/3 */
    memset(pad, 'p', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    char *big = malloc(sizeof pad + 40);
    snprintf(big, sizeof pad + 40, ",\"pad\":\"%s\"", pad);
    t = token("{\"alg\":\"EdDSA\",\"kid\":\"ed1\"}", claims(big), "EdDSA",
              ed_key);
    CHECK(strlen(t) > JOSE_CACHE_TOKEN_MAX);
    CHECK_INT(verify_with(ks, t, &o, NULL), JOSE_OK);
    CHECK(!jose_cache_has(c, t, strlen(t), gen));
    free(big);
    jose_cache_free(c);
    jose_keyset_release(ks);
    jose_keyset_release(ks2);
}

TEST(jwt_typ_access_tokens_only)
{
    CHECK_INT(verify_header("{\"alg\":\"RS256\",\"kid\":\"rsa1\","
                            "\"typ\":\"at+jwt\"}"),
              JOSE_OK);
    CHECK_INT(verify_header("{\"alg\":\"RS256\",\"kid\":\"rsa1\","
                            "\"typ\":\"application/AT+JWT\"}"),
              JOSE_OK);
    CHECK_INT(verify_header("{\"alg\":\"RS256\",\"kid\":\"rsa1\","
                            "\"typ\":\"jwt\"}"),
              JOSE_OK);
    CHECK_INT(verify_header("{\"alg\":\"RS256\",\"kid\":\"rsa1\","
                            "\"typ\":\"logout+jwt\"}"),
              JOSE_ETYP);
    CHECK_INT(verify_header("{\"alg\":\"RS256\",\"kid\":\"rsa1\","
                            "\"typ\":\"application/\"}"),
              JOSE_ETYP);
    CHECK_INT(verify_header("{\"alg\":\"RS256\",\"kid\":\"rsa1\","
                            "\"typ\":1}"),
              JOSE_ETYP);
    /* Keycloak's claim: an ID token is refused, an access token is not */
    char *t = token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}",
                    claims(",\"typ\":\"ID\""), "RS256", rsa_key);
    CHECK_INT(verify(t), JOSE_ETYP);
    t = token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}",
              claims(",\"typ\":\"Refresh\""), "RS256", rsa_key);
    CHECK_INT(verify(t), JOSE_ETYP);
    t = token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}",
              claims(",\"typ\":\"Bearer\""), "RS256", rsa_key);
    CHECK_INT(verify(t), JOSE_OK);
}

/* Verifies the three algorithms' tokens many times from one thread,
 * through the thread's own cache. */
static void *verify_many(void *arg)
{
    jose_keyset *ks = arg;
    jose_verify_opts o = opts();
    o.cache = jose_cache_thread();
    if (!o.cache || jose_cache_thread() != o.cache)
        return (void *)1000L;
    static const char *const algs[] = {"RS256", "ES256", "EdDSA"};
    static const char *const kids[] = {"rsa1", "ec1", "ed1"};
    EVP_PKEY *keys[] = {rsa_key, ec_key, ed_key};
    char toks[3][2000];
    for (int i = 0; i < 3; i++) {
        char h[100];
        snprintf(h, sizeof h, "{\"alg\":\"%s\",\"kid\":\"%s\"}", algs[i],
                 kids[i]);
        /* built here, not in the shared rotating buffers */
        const char *p =
            "{\"iss\":\"" ISSUER "\",\"sub\":\"u\",\"aud\":\"" AUDIENCE
            "\",\"exp\":4000000000}";
        size_t n = b64url_encode(h, strlen(h), toks[i]);
        toks[i][n++] = '.';
        n += b64url_encode(p, strlen(p), toks[i] + n);
        char sig[1500];
        sign(algs[i], keys[i], NULL, 0, toks[i], sig);
        toks[i][n++] = '.';
        strcpy(toks[i] + n, sig);
    }
    kiln_arena a;
    kiln_arena_init(&a, 0);
    long bad = 0;
    for (int k = 0; k < 150; k++) {
        jose_claims cl;
        jose_error err;
        const char *t = toks[k % 3];
        if (jose_jwt_verify(&a, t, strlen(t), ks, &o, &cl, &err) != JOSE_OK)
            bad++;
        kiln_arena_reset(&a);
    }
    kiln_arena_deinit(&a);
    return (void *)bad;
}

TEST(jwt_keyset_shared_by_threads)
{
    /* one set, four threads verifying at once: each copies the keys'
     * prepared contexts into its own (run under ASan in build-asan) */
    jose_keyset *ks = test_keys();
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        CHECK_INT(pthread_create(&th[i], NULL, verify_many, ks), 0);
    for (int i = 0; i < 4; i++) {
        void *bad;
        CHECK_INT(pthread_join(th[i], &bad), 0);
        CHECK_INT((long)bad, 0);
    }
    /* and this thread's cache is its own */
    jose_cache *mine = jose_cache_thread();
    CHECK(mine != NULL && jose_cache_thread() == mine);
    CHECK_INT((long)verify_many(ks), 0);
    jose_keyset_release(ks);
}
