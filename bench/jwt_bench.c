/*
 * bench/jwt_bench.c - bearer token verification rate of src/auth/jose.h on
 * one thread: a Keycloak-sized access token (about 1 KB of claims) signed
 * with RS256 (RSA 2048), PS256, ES256 (P-256) and EdDSA (Ed25519), each
 * verified for about a second with jose_jwt_verify (parse, key by kid,
 * signature, claims), then with a jose_cache (the same token again: the
 * signature check is skipped, the parse and claims checks are not), and
 * the parse alone (jose_jws_parse).
 *
 *   build/bench/jwt_bench [SECONDS]     prints one line per algorithm
 *
 * Rates are per second of this thread's CPU time (not wall time), so a
 * busy machine slows the run but not the figures much. What a request
 * pays for a JWT is the "verify" column; compare it with the server's
 * unauthenticated request rate per core (docs/auth.md).
 */
#include "auth/jose.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ISSUER "https://id.example.test/realms/board"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "jwt_bench: %s failed\n", what);
    exit(1);
}

/* base64url of a BIGNUM parameter of k, padded to pad bytes (0: none). */
static void b64_bn(EVP_PKEY *k, const char *param, int pad, char *out)
{
    BIGNUM *bn = NULL;
    unsigned char buf[600];
    if (EVP_PKEY_get_bn_param(k, param, &bn) != 1)
        die("EVP_PKEY_get_bn_param");
    int n = pad ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
    b64url_encode(buf, (size_t)n, out);
    BN_free(bn);
}

/* Signs tbs (n bytes) with k under alg; base64url into out. */
static void sign(const char *alg, EVP_PKEY *k, const char *tbs, size_t n,
                 char *out)
{
    unsigned char sig[600];
    size_t sn = sizeof sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    bool ed = strcmp(alg, "EdDSA") == 0;
    if (EVP_DigestSignInit_ex(md, &pctx, ed ? NULL : "SHA256", NULL, NULL, k,
                              NULL) != 1)
        die("EVP_DigestSignInit_ex");
    if (strcmp(alg, "PS256") == 0 &&
        (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
        die("PSS parameters");
    if (EVP_DigestSign(md, sig, &sn, (const unsigned char *)tbs, n) != 1)
        die("EVP_DigestSign");
    EVP_MD_CTX_free(md);
    if (strcmp(alg, "ES256") == 0) {
        const unsigned char *p = sig;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)sn);
        if (!es)
            die("d2i_ECDSA_SIG");
        BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32);
        BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32);
        ECDSA_SIG_free(es);
        sn = 64;
    }
    b64url_encode(sig, sn, out);
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (!rsa || !ec || !ed)
        die("key generation");

    /* the issuer's JWKS: the three keys and a rotated-out RSA key */
    static char n[400], e[16], x[64], y[64], edx[64], doc[4000];
    unsigned char raw[32];
    size_t rawn = sizeof raw;
    b64_bn(rsa, OSSL_PKEY_PARAM_RSA_N, 0, n);
    b64_bn(rsa, OSSL_PKEY_PARAM_RSA_E, 0, e);
    b64_bn(ec, OSSL_PKEY_PARAM_EC_PUB_X, 32, x);
    b64_bn(ec, OSSL_PKEY_PARAM_EC_PUB_Y, 32, y);
    if (EVP_PKEY_get_raw_public_key(ed, raw, &rawn) != 1)
        die("EVP_PKEY_get_raw_public_key");
    b64url_encode(raw, rawn, edx);
    snprintf(doc, sizeof doc,
             "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"old\",\"use\":\"sig\","
             "\"n\":\"%s\",\"e\":\"%s\"},"
             "{\"kty\":\"RSA\",\"kid\":\"rsa\",\"use\":\"sig\",\"n\":\"%s\","
             "\"e\":\"%s\"},{\"kty\":\"EC\",\"kid\":\"ec\",\"crv\":\"P-256\","
             "\"x\":\"%s\",\"y\":\"%s\"},{\"kty\":\"OKP\",\"kid\":\"ed\","
             "\"crv\":\"Ed25519\",\"x\":\"%s\"}]}",
             n, e, n, e, x, y, edx);
    /* the duplicate of rsa under "old" is fine: another kid */
    jose_keyset *ks;
    jose_error err;
    if (jose_keyset_parse(doc, strlen(doc), &ks, &err) != JOSE_OK)
        die(err.msg);

    /* a Keycloak-like access token */
    long long t = (long long)time(NULL);
    char payload[2000];
    snprintf(payload, sizeof payload,
             "{\"exp\":%lld,\"iat\":%lld,\"jti\":\"3f1c9b0e-8a0d-4a5e-9d3c-"
             "1b2a3c4d5e6f\",\"iss\":\"" ISSUER "\",\"aud\":[\"board-api\","
             "\"account\"],\"sub\":\"6a1f0e9c-2b3d-4c5e-8f70-91a2b3c4d5e6\","
             "\"typ\":\"Bearer\",\"azp\":\"board-spa\",\"session_state\":"
             "\"0f4e2d1c-3b5a-4968-8776-a5b4c3d2e1f0\",\"acr\":\"1\","
             "\"allowed-origins\":[\"https://board.example.test\"],"
             "\"realm_access\":{\"roles\":[\"offline_access\",\"editor\","
             "\"uma_authorization\",\"default-roles-board\"]},"
             "\"resource_access\":{\"board-api\":{\"roles\":[\"editor\"]},"
             "\"account\":{\"roles\":[\"manage-account\",\"manage-account-"
             "links\",\"view-profile\"]}},\"scope\":\"openid email profile\","
             "\"sid\":\"0f4e2d1c-3b5a-4968-8776-a5b4c3d2e1f0\","
             "\"email_verified\":true,\"name\":\"Ada Lovelace\","
             "\"preferred_username\":\"ada\",\"given_name\":\"Ada\","
             "\"family_name\":\"Lovelace\",\"email\":\"ada@example.test\"}",
             t + 3600, t);

    const struct {
        const char *alg, *kid;
        EVP_PKEY **key;
    } algs[] = {{"RS256", "rsa", &rsa},
                {"PS256", "rsa", &rsa},
                {"ES256", "ec", &ec},
                {"EdDSA", "ed", &ed}};
    jose_verify_opts o = {.issuer = ISSUER, .audience = "board-api"};
    kiln_arena a;
    kiln_arena_init(&a, 16384);
    jose_cache *cache = jose_cache_new(0);
    printf("%-6s %6s %12s %12s %12s\n", "alg", "bytes", "verify/s", "cached/s",
           "parse/s");
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        char hdr[100], tok[4000];
        snprintf(hdr, sizeof hdr,
                 "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", algs[i].alg,
                 algs[i].kid);
        size_t len = b64url_encode(hdr, strlen(hdr), tok);
        tok[len++] = '.';
        len += b64url_encode(payload, strlen(payload), tok + len);
        char sig[600];
        sign(algs[i].alg, *algs[i].key, tok, len, sig);
        tok[len++] = '.';
        strcpy(tok + len, sig);
        len = strlen(tok);

        double rate[3];
        for (int mode = 0; mode < 3; mode++) {
            o.cache = mode == 1 ? cache : NULL;
            long iters = 0;
            double start = now_s(), end;
            do {
                for (int k = 0; k < 64; k++) {
                    jose_claims cl;
                    jose_jws jws;
                    jose_reason r =
                        mode < 2
                            ? jose_jwt_verify(&a, tok, len, ks, &o, &cl, &err)
                            : jose_jws_parse(&a, tok, len, 0, &jws, &err);
                    if (r != JOSE_OK)
                        die(err.msg);
                    kiln_arena_reset(&a);
                }
                iters += 64;
                end = now_s();
            } while (end - start < secs);
            rate[mode] = (double)iters / (end - start);
        }
        printf("%-6s %6zu %12.0f %12.0f %12.0f\n", algs[i].alg, len, rate[0],
               rate[1], rate[2]);
    }
    kiln_arena_deinit(&a);
    jose_cache_free(cache);
    jose_keyset_release(ks);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(ed);
    return 0;
}
