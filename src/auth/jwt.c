/*
 * auth/jwt.c - compact JWS parsing and JWT claims verification (jose.h):
 * strict base64url, the header rules (alg allow-list, crit, typ, kid), the
 * claims rules (iss, aud/azp, typ, exp/nbf/iat with leeway, sub), the
 * reason names, and claim paths. The keys and the signature check are
 * jwk.c's; the cache of verified tokens is jwt_cache.c's.
 *
 * Everything decoded goes to the caller's arena; nothing here allocates
 * with malloc, so a refused token leaves nothing to free.
 */
#include "auth/jose.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Nesting allowed in a header and a payload (Keycloak's is 3 deep). */
#define JWT_HEADER_DEPTH 8
#define JWT_PAYLOAD_DEPTH 32
/* The latest NumericDate accepted: 9999-12-31T23:59:59Z. */
#define JWT_DATE_MAX INT64_C(253402300799)

static const char *const reason_names[JOSE_EREASON_COUNT] = {
    [JOSE_OK] = "ok",
    [JOSE_ENOMEM] = "out_of_memory",
    [JOSE_ETOO_LARGE] = "too_large",
    [JOSE_ESEGMENTS] = "segments",
    [JOSE_EBASE64] = "base64url",
    [JOSE_EHEADER] = "header",
    [JOSE_EDUPLICATE] = "duplicate_member",
    [JOSE_EPAYLOAD] = "payload",
    [JOSE_EALG_MISSING] = "alg_missing",
    [JOSE_EALG_NONE] = "alg_none",
    [JOSE_EALG_HMAC] = "alg_hmac",
    [JOSE_EALG_UNSUPPORTED] = "alg_unsupported",
    [JOSE_ECRIT] = "crit",
    [JOSE_ETYP] = "typ",
    [JOSE_EKID] = "kid_invalid",
    [JOSE_EKID_UNKNOWN] = "kid_unknown",
    [JOSE_EKID_MISSING] = "kid_missing",
    [JOSE_EKEY_MISMATCH] = "key_mismatch",
    [JOSE_ESIGNATURE] = "signature",
    [JOSE_EISS] = "issuer",
    [JOSE_EAUD] = "audience",
    [JOSE_EEXP_MISSING] = "exp_missing",
    [JOSE_EEXP_INVALID] = "exp_invalid",
    [JOSE_EEXPIRED] = "expired",
    [JOSE_ENBF_INVALID] = "nbf_invalid",
    [JOSE_ENOT_YET_VALID] = "not_yet_valid",
    [JOSE_EIAT_INVALID] = "iat_invalid",
    [JOSE_EIAT_FUTURE] = "iat_future",
    [JOSE_ESUB] = "sub",
    [JOSE_EJWKS] = "jwks",
};

/* Short for jose_error_set: every refusal in this file is one line. */
#define fail jose_error_set

const char *jose_reason_name(jose_reason r)
{
    if ((unsigned)r >= JOSE_EREASON_COUNT || !reason_names[r])
        return "unknown";
    return reason_names[r];
}

jose_reason jose_error_set(jose_error *err, jose_reason r, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->reason = r;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        /* the message may quote the token: keep it to printable ASCII
         * without quotes or backslashes, so it fits a log line and a
         * WWW-Authenticate error_description as it is */
        for (char *c = err->msg; *c; c++)
            if (*c < 0x20 || *c > 0x7e || *c == '"' || *c == '\\')
                *c = '?';
    }
    return r;
}

/* ---- JSON checks ---------------------------------------------------------
 */

static int key_cmp(const void *x, const void *y)
{
    const kiln_str *a = *(const kiln_str *const *)x;
    const kiln_str *b = *(const kiln_str *const *)y;
    size_t n = a->n < b->n ? a->n : b->n;
    int c = n ? memcmp(a->p, b->p, n) : 0;
    return c ? c : (a->n > b->n) - (a->n < b->n);
}

/*
 * Finds a member name that appears twice in any object of v. Returns 1 and
 * sets *dup, 0 when none, or -1 when the arena is out of memory. Objects
 * of up to 32 members (a Keycloak token has about 25) are compared
 * pairwise, larger ones sorted (the token limit keeps
 * both cheap). Depth is bounded by the parser's limit.
 */
static int json_find_dup(kiln_arena *a, const kiln_json *v, kiln_str *dup)
{
    if (v->type == KILN_JSON_ARRAY) {
        for (size_t i = 0; i < v->u.array.n; i++) {
            int rc = json_find_dup(a, &v->u.array.items[i], dup);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (v->type != KILN_JSON_OBJECT)
        return 0;
    size_t n = v->u.object.n;
    const kiln_json_member *m = v->u.object.items;
    if (n <= 32) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                if (kiln_str_eq(m[i].key, m[j].key)) {
                    *dup = m[i].key;
                    return 1;
                }
    } else {
        const kiln_str **keys = kiln_arena_alloc(a, n * sizeof *keys);
        if (!keys)
            return -1;
        for (size_t i = 0; i < n; i++)
            keys[i] = &m[i].key;
        qsort(keys, n, sizeof *keys, key_cmp);
        for (size_t i = 1; i < n; i++)
            if (kiln_str_eq(*keys[i - 1], *keys[i])) {
                *dup = *keys[i];
                return 1;
            }
    }
    for (size_t i = 0; i < n; i++) {
        int rc = json_find_dup(a, &m[i].value, dup);
        if (rc)
            return rc;
    }
    return 0;
}

/*
 * Decodes one base64url segment of the token and parses it as a JSON
 * object without duplicate names. what is "header" or "payload" for
 * messages; bad is the reason for a non-object.
 */
static jose_reason decode_object(kiln_arena *a, const char *s, size_t n,
                                 int depth, const char *what, jose_reason bad,
                                 const kiln_json **out, jose_error *err)
{
    uint8_t *buf = kiln_arena_alloc(a, n / 4 * 3 + 3);
    size_t len;
    kiln_json *v;
    kiln_json_error jerr;
    kiln_str dup;
    if (!buf)
        return fail(err, JOSE_ENOMEM, "out of memory");
    if (b64url_decode(s, n, buf, &len) != 0)
        return fail(err, JOSE_EBASE64, "the %s is not base64url", what);
    int rc = kiln_json_parse(a, (const char *)buf, len, depth, &v, &jerr);
    if (rc == KILN_ENOMEM)
        return fail(err, JOSE_ENOMEM, "out of memory");
    if (rc != 0)
        return fail(err, bad, "the %s is not JSON (%s at byte %zu)", what,
                    rc == KILN_ELIMIT ? "nested too deeply" : jerr.msg,
                    jerr.offset);
    if (v->type != KILN_JSON_OBJECT)
        return fail(err, bad, "the %s is not a JSON object", what);
    rc = json_find_dup(a, v, &dup);
    if (rc < 0)
        return fail(err, JOSE_ENOMEM, "out of memory");
    if (rc > 0)
        return fail(err, JOSE_EDUPLICATE, "the %s has '%.40s' twice", what,
                    dup.p);
    *out = v;
    return JOSE_OK;
}

/* ---- the header ----------------------------------------------------------
 */

/* Classifies the header's alg against the allow-list algs. */
static jose_reason header_alg(const kiln_json *h, unsigned algs, jose_alg *out,
                              jose_error *err)
{
    static const struct {
        const char *name;
        jose_alg alg;
    } known[] = {{"RS256", JOSE_ALG_RS256},
                 {"PS256", JOSE_ALG_PS256},
                 {"ES256", JOSE_ALG_ES256},
                 {"EdDSA", JOSE_ALG_EDDSA}};
    const kiln_json *v = kiln_json_get(h, "alg");
    if (!v || v->type != KILN_JSON_STRING)
        return fail(err, JOSE_EALG_MISSING, "the header has no alg string");
    kiln_str s = v->u.string;
    if (kiln_str_ieq_c(s, "none"))
        return fail(err, JOSE_EALG_NONE,
                    "alg none: unsigned tokens are refused");
    if (s.n >= 2 && (s.p[0] == 'H' || s.p[0] == 'h') &&
        (s.p[1] == 'S' || s.p[1] == 's'))
        return fail(err, JOSE_EALG_HMAC,
                    "alg %.16s: HMAC tokens are refused (public keys only)",
                    s.p);
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (kiln_str_eq(s, kiln_str_c(known[i].name))) {
            if (!(algs & known[i].alg))
                break;
            *out = known[i].alg;
            return JOSE_OK;
        }
    return fail(err, JOSE_EALG_UNSUPPORTED, "alg %.16s is not allowed", s.p);
}

/* True when the header's typ names an access token or a plain JWT. */
static bool header_typ_ok(const kiln_json *typ)
{
    if (typ->type != KILN_JSON_STRING)
        return false;
    kiln_str t = typ->u.string;
    if (t.n > 12 &&
        kiln_str_ieq(kiln_str_c("application/"), (kiln_str){t.p, 12})) {
        t.p += 12;
        t.n -= 12;
    }
    return kiln_str_ieq_c(t, "JWT") || kiln_str_ieq_c(t, "at+jwt");
}

jose_reason jose_jws_parse(kiln_arena *a, const char *tok, size_t n,
                           unsigned algs, jose_jws *out, jose_error *err)
{
    const char *dot1, *dot2;
    jose_reason r;
    if (err) {
        err->reason = JOSE_OK;
        err->msg[0] = '\0';
    }
    memset(out, 0, sizeof *out);
    if (algs == 0)
        algs = JOSE_ALGS_ALL;
    if (n > JOSE_TOKEN_MAX)
        return fail(err, JOSE_ETOO_LARGE, "the token is longer than %d bytes",
                    JOSE_TOKEN_MAX);
    dot1 = n ? memchr(tok, '.', n) : NULL;
    dot2 = dot1 ? memchr(dot1 + 1, '.', (size_t)(tok + n - dot1 - 1)) : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', (size_t)(tok + n - dot2 - 1)))
        return fail(err, JOSE_ESEGMENTS,
                    "a token is three base64url segments joined by '.'");
    size_t hn = (size_t)(dot1 - tok), pn = (size_t)(dot2 - dot1 - 1);
    size_t sn = (size_t)(tok + n - dot2 - 1);

    r = decode_object(a, tok, hn, JWT_HEADER_DEPTH, "header", JOSE_EHEADER,
                      &out->header, err);
    if (r)
        return r;
    r = header_alg(out->header, algs, &out->alg, err);
    if (r)
        return r;
    if (kiln_json_get(out->header, "crit"))
        return fail(err, JOSE_ECRIT,
                    "the header has crit: no extension is understood");
    const kiln_json *typ = kiln_json_get(out->header, "typ");
    if (typ && !header_typ_ok(typ))
        return fail(err, JOSE_ETYP, "typ is not JWT or at+jwt");
    const kiln_json *kid = kiln_json_get(out->header, "kid");
    if (kid && kid->type != KILN_JSON_STRING)
        return fail(err, JOSE_EKID, "kid is not a string");
    if (kid)
        out->kid = kid->u.string;
    /* jku, x5u, jwk and x5c are never looked at: keys come from the set */

    r = decode_object(a, dot1 + 1, pn, JWT_PAYLOAD_DEPTH, "payload",
                      JOSE_EPAYLOAD, &out->payload, err);
    if (r)
        return r;

    uint8_t *sig = kiln_arena_alloc(a, sn / 4 * 3 + 3);
    if (!sig)
        return fail(err, JOSE_ENOMEM, "out of memory");
    if (b64url_decode(dot2 + 1, sn, sig, &out->sig_n) != 0)
        return fail(err, JOSE_EBASE64, "the signature is not base64url");
    out->sig = sig;
    out->signing_input = (kiln_str){tok, (size_t)(dot2 - tok)};
    return JOSE_OK;
}

/* ---- claims --------------------------------------------------------------
 */

/*
 * Reads a NumericDate (RFC 7519 section 2): a JSON number of seconds, a
 * fraction allowed (floored), between 0 and year 9999. Returns false for
 * anything else (a string, a negative or huge number).
 */
static bool numeric_date(const kiln_json *v, int64_t *out)
{
    if (v->type != KILN_JSON_NUMBER)
        return false;
    if (v->u.number.is_int) {
        if (v->u.number.i < 0 || v->u.number.i > JWT_DATE_MAX)
            return false;
        *out = v->u.number.i;
        return true;
    }
    double d = v->u.number.d;
    if (!(d >= 0.0 && d <= (double)JWT_DATE_MAX))
        return false;
    *out = (int64_t)floor(d);
    return true;
}

/* True when v is the string s (NUL-terminated) exactly. */
static bool json_is_str(const kiln_json *v, const char *s)
{
    return v && v->type == KILN_JSON_STRING &&
           kiln_str_eq(v->u.string, kiln_str_c(s));
}

/* The aud/azp rule of jose.h. */
static jose_reason check_audience(const kiln_json *cl,
                                  const jose_verify_opts *o, jose_error *err)
{
    if (o->no_audience)
        return JOSE_OK;
    const kiln_json *aud = kiln_json_get(cl, "aud");
    if (o->audience && aud) {
        if (json_is_str(aud, o->audience))
            return JOSE_OK;
        if (aud->type == KILN_JSON_ARRAY)
            for (size_t i = 0; i < aud->u.array.n; i++)
                if (json_is_str(&aud->u.array.items[i], o->audience))
                    return JOSE_OK;
    }
    const kiln_json *azp = kiln_json_get(cl, "azp");
    if (azp && o->azp)
        for (size_t i = 0; i < o->azp_n; i++)
            if (o->azp[i] && json_is_str(azp, o->azp[i]))
                return JOSE_OK;
    if (!o->audience && !o->azp)
        return fail(err, JOSE_EAUD, "no audience is configured");
    if (o->azp)
        return fail(err, JOSE_EAUD,
                    "neither aud nor azp names this application");
    return fail(err, JOSE_EAUD, "aud does not name this application");
}

/* The claims rules, on a payload whose signature verified. */
static jose_reason check_claims(const kiln_json *cl, const jose_verify_opts *o,
                                jose_claims *out, jose_error *err)
{
    int64_t now = o->now ? o->now : (int64_t)time(NULL);
    int64_t leeway = o->leeway == 0  ? JOSE_LEEWAY_DEFAULT
                     : o->leeway < 0 ? 0
                                     : o->leeway;
    const kiln_json *v;
    int64_t t;

    v = kiln_json_get(cl, "iss");
    if (!o->issuer || !json_is_str(v, o->issuer))
        return fail(err, JOSE_EISS, "iss is not the configured issuer");
    out->iss = v->u.string;

    jose_reason r = check_audience(cl, o, err);
    if (r)
        return r;

    /* Keycloak signs its ID, refresh and logout tokens with the same keys
     * and says which is which in a typ claim (access tokens: "Bearer") */
    v = kiln_json_get(cl, "typ");
    if (v && (json_is_str(v, "ID") || json_is_str(v, "Refresh") ||
              json_is_str(v, "Logout") || json_is_str(v, "Offline")))
        return fail(err, JOSE_ETYP, "a %s token is not an access token",
                    v->u.string.p);

    v = kiln_json_get(cl, "exp");
    if (!v)
        return fail(err, JOSE_EEXP_MISSING, "the token has no exp");
    if (!numeric_date(v, &out->exp))
        return fail(err, JOSE_EEXP_INVALID, "exp is not a NumericDate");
    if (now >= out->exp + leeway)
        return fail(err, JOSE_EEXPIRED, "the token expired %lld s ago",
                    (long long)(now - out->exp));

    v = kiln_json_get(cl, "nbf");
    if (v && !numeric_date(v, &t))
        return fail(err, JOSE_ENBF_INVALID, "nbf is not a NumericDate");
    if (v && t > now + leeway)
        return fail(err, JOSE_ENOT_YET_VALID,
                    "the token is not valid for another %lld s",
                    (long long)(t - now));

    v = kiln_json_get(cl, "iat");
    out->iat = 0;
    if (v && !numeric_date(v, &out->iat))
        return fail(err, JOSE_EIAT_INVALID, "iat is not a NumericDate");
    if (v && out->iat > now + leeway)
        return fail(err, JOSE_EIAT_FUTURE,
                    "the token was issued %lld s in the future",
                    (long long)(out->iat - now));

    v = kiln_json_get(cl, "sub");
    if (!v || v->type != KILN_JSON_STRING || v->u.string.n == 0)
        return fail(err, JOSE_ESUB, "sub is missing or empty");
    out->sub = v->u.string;
    out->json = cl;
    return JOSE_OK;
}

jose_reason jose_jwt_verify(kiln_arena *a, const char *tok, size_t n,
                            const jose_keyset *ks, const jose_verify_opts *o,
                            jose_claims *out, jose_error *err)
{
    jose_jws jws;
    memset(out, 0, sizeof *out);
    jose_reason r = jose_jws_parse(a, tok, n, o->algs, &jws, err);
    if (r)
        return r;
    out->alg = jws.alg; /* from here on, even when refused */
    out->kid = jws.kid;
    /* a token seen before with this set needs no second signature check;
     * everything else (the parse above, the claims below) runs again */
    uint64_t gen = o->cache ? jose_keyset_generation(ks) : 0;
    if (!o->cache || !jose_cache_has(o->cache, tok, n, gen)) {
        r = jose_keyset_verify(ks, &jws, err);
        if (r)
            return r;
        if (o->cache)
            jose_cache_put(o->cache, tok, n, gen);
    }
    r = check_claims(jws.payload, o, out, err);
    if (r) {
        out->json = NULL;
        out->iss = out->sub = KILN_STR_NULL;
        out->exp = out->iat = 0;
    }
    return r;
}

/* ---- claim paths ---------------------------------------------------------
 */

const kiln_json *jose_claim_at(const kiln_json *obj, const char *const *keys,
                               size_t n)
{
    const kiln_json *v = obj;
    for (size_t i = 0; i < n && v; i++) {
        if (v->type != KILN_JSON_OBJECT)
            return NULL;
        v = kiln_json_get(v, keys[i]);
    }
    return v;
}

const kiln_json *jose_claim_path(const kiln_json *obj, const char *path)
{
    const kiln_json *v = obj;
    const char *p = path;
    while (v) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        const kiln_json *next = NULL;
        if (v->type != KILN_JSON_OBJECT)
            return NULL;
        /* the last member of that name, as kiln_json_get */
        for (size_t i = 0; i < v->u.object.n; i++) {
            const kiln_json_member *m = &v->u.object.items[i];
            if (m->key.n == len && memcmp(m->key.p, p, len) == 0)
                next = &m->value;
        }
        v = next;
        if (!dot)
            break;
        p = dot + 1;
    }
    return v;
}

int jose_claim_strings(kiln_arena *a, const kiln_json *v,
                       const char *const **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!v)
        return 0;
    if (v->type == KILN_JSON_STRING) {
        const char **s = kiln_arena_alloc(a, sizeof *s);
        if (!s)
            return KILN_ENOMEM;
        s[0] = v->u.string.p;
        *out = s;
        *n = 1;
        return 0;
    }
    if (v->type != KILN_JSON_ARRAY || v->u.array.n == 0)
        return 0;
    const char **s = kiln_arena_alloc(a, v->u.array.n * sizeof *s);
    if (!s)
        return KILN_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < v->u.array.n; i++)
        if (v->u.array.items[i].type == KILN_JSON_STRING)
            s[k++] = v->u.array.items[i].u.string.p;
    *out = s;
    *n = k;
    return 0;
}
