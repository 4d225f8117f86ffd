/*
 * fuzz/fuzz_jwt.c - libFuzzer target for src/auth/jwt.c and jwk.c.
 *
 * The first byte of the input picks what the rest is:
 *   0  a JWKS document for jose_keyset_parse;
 *   1  a compact token for jose_jws_parse and jose_jwt_verify against a
 *      fixed set (one RSA, one P-256 and one Ed25519 key, kids "rsa",
 *      "ec", "ed");
 *   2  a header and a payload (JSON text, split at the first '\n'), which
 *      the target encodes and signs with the Ed25519 key of the set, so
 *      that the claims checks (only reached after a good signature) are
 *      fuzzed too; then the claim-path helpers run on what verified.
 * Checks: no crash or leak, a refusal always has a reason and a printable
 * message, a success always has an issuer, a subject and an alg, and a
 * verification through the verified-token cache (jose_cache) answers as
 * one without it.
 *
 * Built by fuzz/meson.build with -Dfuzz=true. Seeds: fuzz/seeds/fuzz_jwt/.
 * The keys are test keys made for this file; nothing else uses them.
 */
#include "auth/jose.h"

#include <openssl/evp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Aborts with a message when cond is false; active with NDEBUG too. */
#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n", __FILE__,        \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

static const char fuzz_jwks[] =
    "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"rsa\",\"e\":\"AQAB\",\"n\":\""
    "v3Fd-O97SnX9VtrVqQpaG4Npw6X_tzLHnifjfqRKmABkricD_6C4YR_Qlm0rZKzA"
    "HwenROcbmx9pxKhOs4T5IHOFQ3EsxonLkpuT3mUfvIyaoAZkqiCQMuEr_jzGTiAr"
    "QxoZPMrZlIrY88sBmqxnm7jLGFV8nQE3Zorqmwp4B8OGFW3bkqlNevegpnzNri9q"
    "bfMFGjmBHfgbRBT_2BFZZEvthmn1S5f_76ujmyXamyd9tKi4YE4IKsDC5Ln-yYJU"
    "_tyRjwOdVfFMO3BQBXkQbpvWYieqU2W2uvoQKycryisJ0aGtwkWDGJ5ctaYos8YV"
    "KMHGlkJjuVWxlI7lL4WKhw"
    "\"},{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"ec\",\"x\":\"cg_"
    "AAuCpXTgygTz1iQ9Du0g_ayvGHZiZsvSpYaRSn7I\","
    "\"y\":\"jVrIG7BjTjQjio8ESRIVcrBtsnQKfTGc_oKdKgAeHJU\"},{\"kty\":\"OKP\","
    "\"crv\":\"Ed25519\",\"kid\":\"ed\","
    "\"x\":\"2UbTXI6jHJyb91IZRMIEvXI6INcDtGFKQWchdujYMI4\"}]}";

/* The private half of the "ed" key (RFC 8032 seed). */
static const unsigned char fuzz_ed_seed[32] =
    "\xdf\x7e\x20\x8a\xaa\x41\x2a\x5b\xf5\x37\x01\x2c\xb4\x6c\xfc\xf4\x15\xc7"
    "\x74\xb5\x25\x4f\xa9\x1b\xce\xac\x33\xc0\x4e\x06\xd8\x74";

static jose_keyset *fuzz_keys;
static jose_cache *fuzz_cache;
static EVP_PKEY *fuzz_ed;

/* A refusal or a success, as the API promises. */
static void fuzz_check_result(jose_reason r, const jose_error *err)
{
    FUZZ_CHECK(r >= JOSE_OK && r < JOSE_EREASON_COUNT);
    FUZZ_CHECK(err->reason == r);
    if (r == JOSE_OK)
        return;
    FUZZ_CHECK(err->msg[0] != '\0');
    for (const char *c = err->msg; *c; c++)
        FUZZ_CHECK(*c >= 0x20 && *c <= 0x7e && *c != '"' && *c != '\\');
}

/* Verifies tok[0..n) with the fixed set; runs the claim helpers on it. */
static void fuzz_verify(const char *tok, size_t n)
{
    kiln_arena a;
    jose_error err;
    jose_jws jws;
    jose_claims cl;
    const char *const azp[] = {"spa"};
    jose_verify_opts o = {.issuer = "https://issuer.test",
                          .audience = "api",
                          .azp = azp,
                          .azp_n = 1,
                          .now = 1700000000};
    kiln_arena_init(&a, 0);
    jose_reason r = jose_jws_parse(&a, tok, n, 0, &jws, &err);
    fuzz_check_result(r, &err);
    if (r == JOSE_OK)
        FUZZ_CHECK(jws.alg != JOSE_ALG_UNKNOWN && jws.header && jws.payload);
    r = jose_jwt_verify(&a, tok, n, fuzz_keys, &o, &cl, &err);
    fuzz_check_result(r, &err);
    /* through the cache, twice (the second may be a hit): the same answer */
    o.cache = fuzz_cache;
    for (int i = 0; i < 2; i++) {
        jose_claims cl2;
        jose_error err2;
        FUZZ_CHECK(jose_jwt_verify(&a, tok, n, fuzz_keys, &o, &cl2, &err2) ==
                   r);
    }
    o.cache = NULL;
    if (r == JOSE_OK) {
        const char *const *s;
        size_t ns;
        FUZZ_CHECK(cl.alg != JOSE_ALG_UNKNOWN && cl.json && cl.sub.n > 0 &&
                   strcmp(cl.iss.p, o.issuer) == 0);
        FUZZ_CHECK(jose_claim_strings(
                       &a, jose_claim_path(cl.json, "realm_access.roles"), &s,
                       &ns) == 0);
        for (size_t i = 0; i < ns; i++)
            FUZZ_CHECK(s[i] != NULL);
        const char *const keys[] = {"resource_access", "spa", "roles"};
        FUZZ_CHECK(jose_claim_strings(&a, jose_claim_at(cl.json, keys, 3), &s,
                                      &ns) == 0);
    }
    kiln_arena_deinit(&a);
}

/* Mode 2: header '\n' payload, encoded and signed with the "ed" key. */
static void fuzz_signed(const char *p, size_t n)
{
    const char *nl = memchr(p, '\n', n);
    size_t hn = nl ? (size_t)(nl - p) : n;
    size_t pn = nl ? n - hn - 1 : 0;
    if (B64URL_LEN(hn) + B64URL_LEN(pn) + 100 > JOSE_TOKEN_MAX + 64)
        return;
    char *tok = malloc(JOSE_TOKEN_MAX + 256);
    FUZZ_CHECK(tok != NULL);
    size_t o = b64url_encode(p, hn, tok);
    tok[o++] = '.';
    o += b64url_encode(nl ? nl + 1 : "", pn, tok + o);
    unsigned char sig[64];
    size_t sig_n = sizeof sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    FUZZ_CHECK(
        md &&
        EVP_DigestSignInit_ex(md, NULL, NULL, NULL, NULL, fuzz_ed, NULL) == 1 &&
        EVP_DigestSign(md, sig, &sig_n, (unsigned char *)tok, o) == 1);
    EVP_MD_CTX_free(md);
    tok[o++] = '.';
    o += b64url_encode(sig, sig_n, tok + o);
    fuzz_verify(tok, o);
    free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer entry point: see the file comment. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fuzz_keys) {
        jose_error err;
        FUZZ_CHECK(jose_keyset_parse(fuzz_jwks, sizeof fuzz_jwks - 1,
                                     &fuzz_keys, &err) == JOSE_OK);
        FUZZ_CHECK(jose_keyset_count(fuzz_keys) == 3);
        fuzz_cache = jose_cache_new(16);
        FUZZ_CHECK(fuzz_cache != NULL);
        fuzz_ed = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
                                               fuzz_ed_seed, 32);
        FUZZ_CHECK(fuzz_ed != NULL);
    }
    if (size == 0)
        return 0;
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    switch (data[0] % 3) {
    case 0: {
        jose_keyset *ks;
        jose_error err;
        jose_reason r = jose_keyset_parse(p, n, &ks, &err);
        fuzz_check_result(r, &err);
        FUZZ_CHECK((r == JOSE_OK) == (ks != NULL));
        if (ks) {
            FUZZ_CHECK(jose_keyset_count(ks) + jose_keyset_skipped(ks) <=
                       JOSE_JWKS_KEYS_MAX);
            jose_keyset_release(ks);
        }
        break;
    }
    case 1:
        fuzz_verify(p, n);
        break;
    case 2:
        fuzz_signed(p, n);
        break;
    }
    return 0;
}
