/*
 * auth/jwk.c - JWK sets (RFC 7517, 7518 section 6, 8037) as OpenSSL 3
 * keys, and the signature check of a parsed JWS against them (jose.h).
 *
 * Each usable key becomes an EVP_PKEY once, when the set is parsed (via
 * OSSL_PARAM and EVP_PKEY_fromdata); verifying a token then costs one
 * key lookup (a scan of at most JOSE_JWKS_KEYS_MAX keys) and one
 * EVP_DigestVerify. A set never changes after parsing, which is what lets
 * every worker thread verify with it at once; the JWKS cache holds a
 * reference and swaps sets on a refetch.
 */
#include "auth/jose.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Short for jose_error_set, as in jwt.c. */
#define fail jose_error_set

/* Largest RSA modulus accepted, in bits (a bigger key makes every token
 * slower to verify; no issuer uses one). */
#define JWK_RSA_MAX_BITS 8192

typedef enum jwk_kty { JWK_RSA, JWK_EC, JWK_OKP } jwk_kty;

/* The jose_alg bits, as indexes of jwk_key.ready[]. */
#define JWK_NALGS 4

/* One usable key. */
typedef struct jwk_key {
    char *kid;      /* malloc'd, NUL-terminated; NULL when the JWK has none */
    size_t kid_n;   /* bytes of kid (it may hold a NUL) */
    jwk_kty kty;    /* its family */
    unsigned algs;  /* the jose_alg bits it may verify */
    EVP_PKEY *pkey; /* owned; public key only */
    /* per alg of algs, a context already through EVP_DigestVerifyInit
     * (digest, padding): a verification copies it instead of setting one
     * up, which saves OpenSSL's provider lookups (owned; only read after
     * the set is made, so copied by many threads at once) */
    EVP_MD_CTX *ready[JWK_NALGS];
} jwk_key;

/* Where new sets take their generation from (jose_keyset_generation). */
static atomic_uint_fast64_t keyset_generations;

struct jose_keyset {
    atomic_uint refs;    /* owners; the last release frees */
    uint64_t generation; /* unique among the sets of this process */
    size_t n;            /* usable keys in keys[] */
    size_t skipped;      /* keys of the document not usable */
    jwk_key *keys;       /* malloc'd array of n */
    char skip_why[160];  /* the first skip's cause, "" when none */
};

/* The algorithms a key family can verify (before its own "alg"). */
static unsigned kty_algs(jwk_kty k)
{
    switch (k) {
    case JWK_RSA:
        return JOSE_ALG_RS256 | JOSE_ALG_PS256;
    case JWK_EC:
        return JOSE_ALG_ES256;
    case JWK_OKP:
        return JOSE_ALG_EDDSA;
    }
    return 0;
}

/* ---- building keys -------------------------------------------------------
 */

/*
 * Decodes member name of the JWK object k (a base64url string) into buf
 * (room for cap bytes). Returns the length, or -1 with *why set.
 */
static long jwk_bytes(const kiln_json *k, const char *name, uint8_t *buf,
                      size_t cap, const char **why)
{
    const kiln_json *v = kiln_json_get(k, name);
    size_t n;
    if (!v || v->type != KILN_JSON_STRING) {
        *why = "a required member is missing";
        return -1;
    }
    if (v->u.string.n / 4 * 3 + 3 > cap) {
        *why = "a member is too long";
        return -1;
    }
    if (b64url_decode(v->u.string.p, v->u.string.n, buf, &n) != 0) {
        *why = "a member is not base64url";
        return -1;
    }
    return (long)n;
}

/* Makes a public EVP_PKEY of type name from params; NULL on failure. */
static EVP_PKEY *pkey_from(const char *name, OSSL_PARAM *params)
{
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL);
    if (ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

/* An RSA key from n and e. */
static EVP_PKEY *rsa_key(const kiln_json *k, const char **why)
{
    uint8_t nbuf[JWK_RSA_MAX_BITS / 8 + 8], ebuf[16];
    long nn = jwk_bytes(k, "n", nbuf, sizeof nbuf, why);
    long en = nn < 0 ? -1 : jwk_bytes(k, "e", ebuf, sizeof ebuf, why);
    EVP_PKEY *pkey = NULL;
    if (en < 0)
        return NULL;
    BIGNUM *n = BN_bin2bn(nbuf, (int)nn, NULL);
    BIGNUM *e = BN_bin2bn(ebuf, (int)en, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    if (!n || !e || !bld) {
        *why = "out of memory";
        goto done;
    }
    if (BN_num_bits(n) < JOSE_RSA_MIN_BITS) {
        *why = "the RSA modulus is shorter than 2048 bits";
        goto done;
    }
    if (BN_num_bits(n) > JWK_RSA_MAX_BITS) {
        *why = "the RSA modulus is longer than 8192 bits";
        goto done;
    }
    if (!BN_is_odd(e) || BN_num_bits(e) < 2 || BN_num_bits(e) > 64) {
        *why = "the RSA exponent is not valid";
        goto done;
    }
    if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
        !(params = OSSL_PARAM_BLD_to_param(bld))) {
        *why = "out of memory";
        goto done;
    }
    if (!(pkey = pkey_from("RSA", params)))
        *why = "OpenSSL refused the RSA key";
done:
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return pkey;
}

/* A P-256 key from x and y (32 bytes each), checked to be on the curve. */
static EVP_PKEY *ec_key(const kiln_json *k, const char **why)
{
    uint8_t x[48], y[48], pub[65];
    const kiln_json *crv = kiln_json_get(k, "crv");
    if (!crv || crv->type != KILN_JSON_STRING ||
        !kiln_str_eq(crv->u.string, KILN_STR("P-256"))) {
        *why = "the EC curve is not P-256";
        return NULL;
    }
    long xn = jwk_bytes(k, "x", x, sizeof x, why);
    long yn = xn < 0 ? -1 : jwk_bytes(k, "y", y, sizeof y, why);
    if (yn < 0)
        return NULL;
    if (xn != 32 || yn != 32) {
        *why = "the EC coordinates are not 32 bytes";
        return NULL;
    }
    pub[0] = 0x04; /* uncompressed point */
    memcpy(pub + 1, x, 32);
    memcpy(pub + 33, y, 32);
    char group[] = "prime256v1";
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group,
                               sizeof group - 1),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub),
        OSSL_PARAM_END};
    EVP_PKEY *pkey = pkey_from("EC", params);
    if (!pkey) {
        *why = "the EC point is not on P-256";
        return NULL;
    }
    /* fromdata decodes the point; the check makes "on the curve" explicit */
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    int ok = ctx && EVP_PKEY_public_check(ctx) == 1;
    EVP_PKEY_CTX_free(ctx);
    if (!ok) {
        EVP_PKEY_free(pkey);
        *why = "the EC point is not on P-256";
        return NULL;
    }
    return pkey;
}

/* An Ed25519 key from x (32 bytes). */
static EVP_PKEY *okp_key(const kiln_json *k, const char **why)
{
    uint8_t x[48];
    const kiln_json *crv = kiln_json_get(k, "crv");
    if (!crv || crv->type != KILN_JSON_STRING ||
        !kiln_str_eq(crv->u.string, KILN_STR("Ed25519"))) {
        *why = "the OKP curve is not Ed25519";
        return NULL;
    }
    long xn = jwk_bytes(k, "x", x, sizeof x, why);
    if (xn < 0)
        return NULL;
    if (xn != 32) {
        *why = "the Ed25519 key is not 32 bytes";
        return NULL;
    }
    OSSL_PARAM params[] = {
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, x, 32),
        OSSL_PARAM_END};
    EVP_PKEY *pkey = pkey_from("ED25519", params);
    if (!pkey)
        *why = "OpenSSL refused the Ed25519 key";
    return pkey;
}

/* The index of one jose_alg bit in jwk_key.ready[]. */
static int alg_index(jose_alg alg)
{
    switch (alg) {
    case JOSE_ALG_RS256:
        return 0;
    case JOSE_ALG_PS256:
        return 1;
    case JOSE_ALG_ES256:
        return 2;
    case JOSE_ALG_EDDSA:
        return 3;
    default:
        return -1;
    }
}

/*
 * A context ready to verify alg with pkey: the digest (SHA-256, none for
 * EdDSA) and, for PS256, PSS padding with MGF1-SHA-256 and a salt as long
 * as the digest (RFC 7518 section 3.5). NULL when OpenSSL fails.
 */
static EVP_MD_CTX *verify_ctx(EVP_PKEY *pkey, jose_alg alg)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    const char *digest = alg == JOSE_ALG_EDDSA ? NULL : "SHA256";
    int ok = md && EVP_DigestVerifyInit_ex(md, &pctx, digest, NULL, NULL, pkey,
                                           NULL) == 1;
    if (ok && alg == JOSE_ALG_PS256)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) ==
                 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", NULL) == 1;
    if (!ok) {
        EVP_MD_CTX_free(md);
        ERR_clear_error();
        return NULL;
    }
    return md;
}

/* Frees what key_from_jwk made of k. */
static void key_free(jwk_key *k)
{
    for (int i = 0; i < JWK_NALGS; i++)
        EVP_MD_CTX_free(k->ready[i]);
    EVP_PKEY_free(k->pkey);
    free(k->kid);
    memset(k, 0, sizeof *k);
}

/* True when the JWK's "key_ops" is absent or lists "verify". */
static bool ops_allow_verify(const kiln_json *k)
{
    const kiln_json *ops = kiln_json_get(k, "key_ops");
    if (!ops)
        return true;
    if (ops->type != KILN_JSON_ARRAY)
        return false;
    for (size_t i = 0; i < ops->u.array.n; i++) {
        const kiln_json *o = &ops->u.array.items[i];
        if (o->type == KILN_JSON_STRING &&
            kiln_str_eq(o->u.string, KILN_STR("verify")))
            return true;
    }
    return false;
}

/*
 * Turns the JWK object k into *out. Returns 1 when usable, 0 when skipped
 * (*why says why), -1 when out of memory.
 */
static int key_from_jwk(const kiln_json *k, jwk_key *out, const char **why)
{
    const kiln_json *kty = kiln_json_get(k, "kty");
    const kiln_json *use = kiln_json_get(k, "use");
    const kiln_json *alg = kiln_json_get(k, "alg");
    const kiln_json *kid = kiln_json_get(k, "kid");
    memset(out, 0, sizeof *out);
    if (!kty || kty->type != KILN_JSON_STRING) {
        *why = "a key has no kty";
        return 0;
    }
    if (use && !(use->type == KILN_JSON_STRING &&
                 kiln_str_eq(use->u.string, KILN_STR("sig")))) {
        *why = "a key's use is not sig";
        return 0;
    }
    if (!ops_allow_verify(k)) {
        *why = "a key's key_ops do not include verify";
        return 0;
    }
    if (kid && kid->type != KILN_JSON_STRING) {
        *why = "a key's kid is not a string";
        return 0;
    }
    if (kiln_str_eq(kty->u.string, KILN_STR("RSA")))
        out->kty = JWK_RSA;
    else if (kiln_str_eq(kty->u.string, KILN_STR("EC")))
        out->kty = JWK_EC;
    else if (kiln_str_eq(kty->u.string, KILN_STR("OKP")))
        out->kty = JWK_OKP;
    else {
        *why = "a key's kty is not RSA, EC or OKP";
        return 0;
    }
    out->algs = kty_algs(out->kty);
    if (alg) {
        static const struct {
            const char *name;
            jose_alg alg;
        } names[] = {{"RS256", JOSE_ALG_RS256},
                     {"PS256", JOSE_ALG_PS256},
                     {"ES256", JOSE_ALG_ES256},
                     {"EdDSA", JOSE_ALG_EDDSA}};
        unsigned a = 0;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (alg->type == KILN_JSON_STRING &&
                kiln_str_eq(alg->u.string, kiln_str_c(names[i].name)))
                a = names[i].alg;
        if (!(a & out->algs)) {
            *why = "a key's alg is not one we verify or not of its kty";
            return 0;
        }
        out->algs = a;
    }
    switch (out->kty) {
    case JWK_RSA:
        out->pkey = rsa_key(k, why);
        break;
    case JWK_EC:
        out->pkey = ec_key(k, why);
        break;
    case JWK_OKP:
        out->pkey = okp_key(k, why);
        break;
    }
    if (!out->pkey) {
        ERR_clear_error();
        return strcmp(*why, "out of memory") == 0 ? -1 : 0;
    }
    for (unsigned bit = 1; bit < (1u << JWK_NALGS); bit <<= 1)
        if ((out->algs & bit) && !(out->ready[alg_index((jose_alg)bit)] =
                                       verify_ctx(out->pkey, (jose_alg)bit))) {
            key_free(out);
            return -1;
        }
    if (kid) {
        out->kid = malloc(kid->u.string.n + 1);
        if (!out->kid) {
            key_free(out);
            return -1;
        }
        memcpy(out->kid, kid->u.string.p, kid->u.string.n + 1);
        out->kid_n = kid->u.string.n;
    }
    return 1;
}

/* True when a and b have the same kid (both absent counts as the same). */
static bool same_kid(const jwk_key *a, const char *kid, size_t kid_n)
{
    if (!a->kid || !kid)
        return !a->kid && !kid;
    return a->kid_n == kid_n && memcmp(a->kid, kid, kid_n) == 0;
}

/* ---- sets ----------------------------------------------------------------
 */

static void keyset_free(jose_keyset *ks)
{
    for (size_t i = 0; i < ks->n; i++)
        key_free(&ks->keys[i]);
    free(ks->keys);
    free(ks);
}

jose_reason jose_keyset_parse(const char *json, size_t n, jose_keyset **out,
                              jose_error *err)
{
    kiln_arena a;
    kiln_json *doc;
    kiln_json_error jerr;
    jose_reason r = JOSE_OK;
    *out = NULL;
    if (err) {
        err->reason = JOSE_OK;
        err->msg[0] = '\0';
    }
    if (n > JOSE_JWKS_MAX)
        return fail(err, JOSE_ETOO_LARGE, "the JWKS is longer than %d bytes",
                    JOSE_JWKS_MAX);
    kiln_arena_init(&a, 0);
    int rc = kiln_json_parse(&a, json, n, 16, &doc, &jerr);
    if (rc == KILN_ENOMEM) {
        r = fail(err, JOSE_ENOMEM, "out of memory");
        goto done;
    }
    if (rc != 0) {
        r = fail(err, JOSE_EJWKS, "the JWKS is not JSON (%s at byte %zu)",
                 rc == KILN_ELIMIT ? "nested too deeply" : jerr.msg,
                 jerr.offset);
        goto done;
    }
    const kiln_json *keys =
        doc->type == KILN_JSON_OBJECT ? kiln_json_get(doc, "keys") : NULL;
    if (!keys || keys->type != KILN_JSON_ARRAY) {
        r = fail(err, JOSE_EJWKS, "the JWKS has no keys array");
        goto done;
    }
    if (keys->u.array.n > JOSE_JWKS_KEYS_MAX) {
        r = fail(err, JOSE_ETOO_LARGE, "the JWKS has more than %d keys",
                 JOSE_JWKS_KEYS_MAX);
        goto done;
    }
    for (size_t i = 0; i < keys->u.array.n; i++)
        if (keys->u.array.items[i].type != KILN_JSON_OBJECT) {
            r = fail(err, JOSE_EJWKS, "key %zu of the JWKS is not an object",
                     i);
            goto done;
        }

    jose_keyset *ks = calloc(1, sizeof *ks);
    if (!ks || (keys->u.array.n &&
                !(ks->keys = calloc(keys->u.array.n, sizeof *ks->keys)))) {
        free(ks);
        r = fail(err, JOSE_ENOMEM, "out of memory");
        goto done;
    }
    atomic_init(&ks->refs, 1);
    ks->generation = atomic_fetch_add(&keyset_generations, 1) + 1;
    for (size_t i = 0; i < keys->u.array.n; i++) {
        const char *why = "";
        jwk_key k;
        rc = key_from_jwk(&keys->u.array.items[i], &k, &why);
        if (rc < 0) {
            keyset_free(ks);
            r = fail(err, JOSE_ENOMEM, "out of memory");
            goto done;
        }
        /* a later key with the kid, type and algs of an earlier one loses */
        for (size_t j = 0; rc > 0 && j < ks->n; j++)
            if (same_kid(&ks->keys[j], k.kid, k.kid_n) &&
                ks->keys[j].kty == k.kty && (ks->keys[j].algs & k.algs)) {
                why = "an earlier key has the same kid";
                key_free(&k);
                rc = 0;
            }
        if (rc == 0) {
            if (ks->skipped++ == 0)
                snprintf(ks->skip_why, sizeof ks->skip_why, "key %zu: %s", i,
                         why);
            continue;
        }
        ks->keys[ks->n++] = k;
    }
    *out = ks;
done:
    kiln_arena_deinit(&a);
    return r;
}

jose_keyset *jose_keyset_retain(jose_keyset *ks)
{
    atomic_fetch_add_explicit(&ks->refs, 1, memory_order_relaxed);
    return ks;
}

void jose_keyset_release(jose_keyset *ks)
{
    if (ks &&
        atomic_fetch_sub_explicit(&ks->refs, 1, memory_order_acq_rel) == 1)
        keyset_free(ks);
}

uint64_t jose_keyset_generation(const jose_keyset *ks)
{
    return ks->generation;
}

size_t jose_keyset_count(const jose_keyset *ks)
{
    return ks->n;
}

size_t jose_keyset_skipped(const jose_keyset *ks)
{
    return ks->skipped;
}

const char *jose_keyset_skip_reason(const jose_keyset *ks)
{
    return ks->skip_why;
}

bool jose_keyset_has_kid(const jose_keyset *ks, const char *kid, size_t kid_n)
{
    for (size_t i = 0; i < ks->n; i++)
        if (ks->keys[i].kid && same_kid(&ks->keys[i], kid, kid_n))
            return true;
    return false;
}

/* ---- verification --------------------------------------------------------
 */

/*
 * Chooses the key for jws: by kid among keys fitting its alg; without a
 * kid, the only key that fits. Returns the key or NULL with the reason.
 */
static const jwk_key *choose_key(const jose_keyset *ks, const jose_jws *jws,
                                 jose_error *err, jose_reason *r)
{
    const jwk_key *found = NULL;
    size_t fits = 0, named = 0;
    for (size_t i = 0; i < ks->n; i++) {
        const jwk_key *k = &ks->keys[i];
        if (jws->kid.p) {
            if (!k->kid || !same_kid(k, jws->kid.p, jws->kid.n))
                continue;
            named++;
            if ((k->algs & jws->alg) && !found)
                found = k; /* the first in document order */
        } else if (k->algs & jws->alg) {
            fits++;
            found = k;
        }
    }
    if (jws->kid.p && !found)
        *r = named ? fail(err, JOSE_EKEY_MISMATCH,
                          "the key '%.40s' is not for this alg", jws->kid.p)
                   : fail(err, JOSE_EKID_UNKNOWN, "no key has kid '%.40s'",
                          jws->kid.p);
    else if (!jws->kid.p && fits != 1) {
        *r = fail(err, JOSE_EKID_MISSING,
                  "the token has no kid and %zu keys fit its alg", fits);
        found = NULL;
    }
    return found;
}

/*
 * Writes the 64-byte JWS form of an ECDSA P-256 signature (r || s) as the
 * DER SEQUENCE OpenSSL verifies into der (room for 72 bytes). Returns its
 * length.
 */
static size_t ecdsa_der(const uint8_t rs[64], uint8_t der[72])
{
    size_t o = 2;
    for (int half = 0; half < 2; half++) {
        const uint8_t *v = rs + half * 32;
        size_t skip = 0;
        while (skip < 31 && v[skip] == 0)
            skip++;
        size_t len = 32 - skip;
        bool pad = v[skip] & 0x80; /* keep the INTEGER positive */
        der[o++] = 0x02;
        der[o++] = (uint8_t)(len + pad);
        if (pad)
            der[o++] = 0;
        memcpy(der + o, v + skip, len);
        o += len;
    }
    der[0] = 0x30;
    der[1] = (uint8_t)(o - 2);
    return o;
}

/* Each thread's verification context, freed when the thread ends. */
static pthread_once_t thread_ctx_once = PTHREAD_ONCE_INIT;
static pthread_key_t thread_ctx_key;

static void thread_ctx_free(void *md)
{
    EVP_MD_CTX_free(md);
}

static bool thread_ctx_ok; /* the key was made (set once, under once) */

static void thread_ctx_init(void)
{
    thread_ctx_ok = pthread_key_create(&thread_ctx_key, thread_ctx_free) == 0;
}

/* This thread's EVP_MD_CTX (made on first use), or NULL when out of
 * memory (or of thread keys). */
static EVP_MD_CTX *thread_ctx(void)
{
    pthread_once(&thread_ctx_once, thread_ctx_init);
    if (!thread_ctx_ok)
        return NULL;
    EVP_MD_CTX *md = pthread_getspecific(thread_ctx_key);
    if (!md && (md = EVP_MD_CTX_new()) &&
        pthread_setspecific(thread_ctx_key, md) != 0) {
        EVP_MD_CTX_free(md);
        md = NULL;
    }
    return md;
}

jose_reason jose_keyset_verify(const jose_keyset *ks, const jose_jws *jws,
                               jose_error *err)
{
    jose_reason r = JOSE_OK;
    const jwk_key *k = choose_key(ks, jws, err, &r);
    if (!k)
        return r;

    const uint8_t *sig = jws->sig;
    size_t sig_n = jws->sig_n;
    uint8_t der[72];
    switch (jws->alg) {
    case JOSE_ALG_RS256:
    case JOSE_ALG_PS256:
        if (sig_n != (size_t)EVP_PKEY_get_size(k->pkey))
            return fail(err, JOSE_ESIGNATURE,
                        "the signature is not the key's size");
        break;
    case JOSE_ALG_ES256:
        if (sig_n != 64)
            return fail(err, JOSE_ESIGNATURE,
                        "an ES256 signature is 64 bytes (r || s)");
        sig_n = ecdsa_der(sig, der);
        sig = der;
        break;
    case JOSE_ALG_EDDSA:
        if (sig_n != 64)
            return fail(err, JOSE_ESIGNATURE,
                        "an Ed25519 signature is 64 bytes");
        break;
    default:
        return fail(err, JOSE_EALG_UNSUPPORTED, "no algorithm");
    }

    EVP_MD_CTX *md = thread_ctx();
    if (!md || EVP_MD_CTX_copy_ex(md, k->ready[alg_index(jws->alg)]) != 1) {
        ERR_clear_error();
        return fail(err, JOSE_ENOMEM, "OpenSSL could not start verifying");
    }
    int ok = EVP_DigestVerify(md, sig, sig_n,
                              (const unsigned char *)jws->signing_input.p,
                              jws->signing_input.n) == 1;
    if (!ok) {
        ERR_clear_error(); /* the queue is per thread: leave it empty */
        return fail(err, JOSE_ESIGNATURE, "the signature does not verify");
    }
    return JOSE_OK;
}
