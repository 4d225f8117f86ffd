/*
 * auth/jose.h - JSON Web Tokens as a strict resource server reads them:
 * compact JWS parsing (RFC 7515), JWK sets (RFC 7517/7518/8037) turned into
 * OpenSSL keys, signature and claims verification (RFC 7519, RFC 9068), the
 * claim-path lookup the user sync needs, and PKCE/state/nonce values for the
 * code flow (RFC 7636).
 *
 * Pure: no sockets, no files, no clock unless the caller leaves opts.now 0.
 * Fetching discovery documents and JWKS, caching them and refetching on an
 * unknown kid belong to src/auth/oidc.c and jwks.c (they call this module).
 *
 * The rules (docs/auth.md, "How bearer tokens are verified"):
 *   - a token longer than JOSE_TOKEN_MAX bytes is refused before any work;
 *   - exactly three segments, each strict base64url without padding
 *     (no '=', '+', '/', whitespace; the unused low bits of the last
 *     character must be zero, so a token has one spelling only);
 *   - header and payload are JSON objects (kiln/json.h's strict parser)
 *     with no duplicate member names;
 *   - alg is one of RS256, PS256, ES256, EdDSA; "none" and every HS* are
 *     refused whatever the key; a "crit" header is refused (we understand
 *     no extension); "jku", "x5u", "jwk", "x5c" are never read;
 *   - a "typ" header, when present, is "JWT" or "at+jwt" (RFC 9068; either
 *     with "application/", any case); a "typ" claim of "ID", "Refresh",
 *     "Logout" or "Offline" (Keycloak's other token kinds) is refused, so
 *     an ID token is not taken for an access token;
 *   - the key is chosen by kid only, among the set's keys whose type fits
 *     alg (and whose own "alg", when present, equals it); a token without a
 *     kid is accepted only when exactly one key of the set fits its alg;
 *   - claims: iss equals opts.issuer byte for byte; aud (a string or an
 *     array of strings) contains opts.audience, or, when opts.azp lists
 *     client ids, azp equals one of them; exp is required; exp, nbf and
 *     iat are checked with opts.leeway; sub is a non-empty string.
 *
 * Every refusal has its own jose_reason, a stable name for logs
 * (jose_reason_name) and a message for a 401's error_description.
 *
 * Threads: a jose_keyset is immutable after jose_keyset_parse and may be
 * used by any number of threads at once; it is reference counted so that
 * the JWKS cache can swap in a new set while requests still verify with
 * the old one. Every other function is reentrant.
 */
#ifndef KILN_AUTH_JOSE_H
#define KILN_AUTH_JOSE_H

#include "core/base64.h"

#include <kiln/core.h>
#include <kiln/json.h>

/** The longest compact token accepted, in bytes (checked first). */
#define JOSE_TOKEN_MAX (16 * 1024)
/** The longest JWKS document accepted, in bytes. */
#define JOSE_JWKS_MAX (256 * 1024)
/** The most keys a JWKS may hold (usable or not). */
#define JOSE_JWKS_KEYS_MAX 64
/** Default leeway for exp/nbf/iat, in seconds. */
#define JOSE_LEEWAY_DEFAULT 60
/** The smallest RSA modulus accepted, in bits (smaller keys are skipped). */
#define JOSE_RSA_MIN_BITS 2048

/** The signature algorithms verified. JOSE_ALG_UNKNOWN: anything else. */
typedef enum jose_alg {
    JOSE_ALG_UNKNOWN = 0,
    JOSE_ALG_RS256 = 1 << 0, /**< RSASSA-PKCS1-v1_5 with SHA-256 */
    JOSE_ALG_PS256 = 1 << 1, /**< RSASSA-PSS, SHA-256, MGF1-SHA-256, 32-byte
                                salt */
    JOSE_ALG_ES256 = 1 << 2, /**< ECDSA P-256 with SHA-256, r||s (64 bytes) */
    JOSE_ALG_EDDSA = 1 << 3  /**< Ed25519 (RFC 8037) */
} jose_alg;

/** Every algorithm above: the default allow-list. */
#define JOSE_ALGS_ALL                                                          \
    (JOSE_ALG_RS256 | JOSE_ALG_PS256 | JOSE_ALG_ES256 | JOSE_ALG_EDDSA)

/** Why a token, a key set or a claim was refused. 0 is success. */
typedef enum jose_reason {
    JOSE_OK = 0,
    JOSE_ENOMEM,           /**< an allocation failed (not the token's fault) */
    JOSE_ETOO_LARGE,       /**< longer than the limit */
    JOSE_ESEGMENTS,        /**< not exactly three '.'-separated segments */
    JOSE_EBASE64,          /**< a segment is not strict base64url */
    JOSE_EHEADER,          /**< the header is not a JSON object */
    JOSE_EDUPLICATE,       /**< a member name appears twice */
    JOSE_EPAYLOAD,         /**< the payload is not a JSON object */
    JOSE_EALG_MISSING,     /**< no "alg" string in the header */
    JOSE_EALG_NONE,        /**< alg "none" (unsigned) */
    JOSE_EALG_HMAC,        /**< alg HS256/384/512 (never with a public key) */
    JOSE_EALG_UNSUPPORTED, /**< any other alg, or one not allowed by opts */
    JOSE_ECRIT,            /**< a "crit" header */
    JOSE_ETYP,             /**< typ says another kind of token (an ID,
                                refresh or logout token) */
    JOSE_EKID,             /**< "kid" present but not a string */
    JOSE_EKID_UNKNOWN,     /**< no key of the set has this kid (refetch?) */
    JOSE_EKID_MISSING,     /**< no kid, and not exactly one key fits alg */
    JOSE_EKEY_MISMATCH,    /**< the kid's key is of another type or alg */
    JOSE_ESIGNATURE,       /**< the signature does not verify */
    JOSE_EISS,             /**< iss missing or not the issuer */
    JOSE_EAUD,             /**< neither aud nor (when allowed) azp fits */
    JOSE_EEXP_MISSING,     /**< no exp claim */
    JOSE_EEXP_INVALID,     /**< exp is not a NumericDate */
    JOSE_EEXPIRED,         /**< exp + leeway is past */
    JOSE_ENBF_INVALID,     /**< nbf is not a NumericDate */
    JOSE_ENOT_YET_VALID,   /**< nbf - leeway is in the future */
    JOSE_EIAT_INVALID,     /**< iat is not a NumericDate */
    JOSE_EIAT_FUTURE,      /**< iat - leeway is in the future */
    JOSE_ESUB,             /**< sub missing, not a string, or empty */
    JOSE_EJWKS,            /**< a JWKS document is malformed */
    JOSE_EREASON_COUNT     /* not a reason: the number of them */
} jose_reason;

/** A refusal: its reason and a one-line English message with the detail. */
typedef struct jose_error {
    jose_reason reason; /**< public: JOSE_OK when nothing failed */
    char msg[160];      /**< public: NUL-terminated; never holds key
                             material or the whole token */
} jose_error;

/** A stable snake_case name for r ("alg_none", "expired"...), for logs. */
const char *jose_reason_name(jose_reason r);

/**
 * Sets err (when not NULL) to r and a printf-formatted message, in which
 * every byte outside printable ASCII, '"' and '\\' becomes '?'; returns r.
 */
jose_reason jose_error_set(jose_error *err, jose_reason r, const char *fmt, ...)
    KILN_PRINTF(3, 4);

/* ---- key sets ---------------------------------------------------------- */

/** An opaque, immutable, reference-counted set of verification keys. */
typedef struct jose_keyset jose_keyset;

/**
 * Parses a JWKS document ({"keys": [...]}) into a new set with a count of 1
 * (the caller owns it: jose_keyset_release). Each usable key is turned into
 * an OpenSSL EVP_PKEY once, here. A key is skipped (counted, with the
 * first skip's cause kept for the log) when: "use" is present and not
 * "sig"; "key_ops" is present without "verify"; kty is not RSA, EC or OKP;
 * its "alg" is present and not one of ours or not fitting its type; the
 * curve is not P-256 (EC) or Ed25519 (OKP); RSA n is under
 * JOSE_RSA_MIN_BITS; the numbers do not make a valid public key; or an
 * earlier usable key has the same kid, type and alg (the first one in
 * document order wins, so a duplicate kid is deterministic). Private
 * members ("d", "p"...) are ignored. A set with zero usable keys is
 * valid (every token then fails with JOSE_EKID_UNKNOWN/MISSING).
 * Errors: JOSE_ETOO_LARGE (over JOSE_JWKS_MAX bytes or
 * JOSE_JWKS_KEYS_MAX keys), JOSE_EJWKS (not JSON, no "keys" array, a key
 * not an object), JOSE_ENOMEM; *out is NULL then.
 */
jose_reason jose_keyset_parse(const char *json, size_t n, jose_keyset **out,
                              jose_error *err);

/** Adds a reference to ks (thread-safe); returns ks. */
jose_keyset *jose_keyset_retain(jose_keyset *ks);
/** Drops a reference (thread-safe); the last one frees the set. NULL ok. */
void jose_keyset_release(jose_keyset *ks);

/**
 * A number that identifies ks among every set this process parsed (never
 * reused, never 0): the verified-token cache remembers it, so that a
 * token is verified again once the set changed.
 */
uint64_t jose_keyset_generation(const jose_keyset *ks);

/** The number of usable keys in ks. */
size_t jose_keyset_count(const jose_keyset *ks);
/** The number of keys of the document that were skipped. */
size_t jose_keyset_skipped(const jose_keyset *ks);
/** Why the first skipped key was skipped ("" when none); owned by ks. */
const char *jose_keyset_skip_reason(const jose_keyset *ks);
/**
 * True when ks has a usable key with this kid (kid_n bytes at kid), of any
 * type: the JWKS cache asks it before refetching on JOSE_EKID_UNKNOWN.
 */
bool jose_keyset_has_kid(const jose_keyset *ks, const char *kid, size_t kid_n);

/* ---- tokens ------------------------------------------------------------ */

/** A parsed compact JWS. Views point into the token or the arena. */
typedef struct jose_jws {
    jose_alg alg;             /**< JOSE_ALG_UNKNOWN never leaves a success */
    kiln_str kid;             /**< p NULL when the header has no kid */
    const kiln_json *header;  /**< the header object (arena) */
    const kiln_json *payload; /**< the claims object (arena) */
    kiln_str signing_input;   /**< "header.payload", as in the token */
    const uint8_t *sig;       /**< the decoded signature (arena) */
    size_t sig_n;
} jose_jws;

/**
 * Parses tok[0..n) as a compact JWS with the rules above, up to and
 * including the header checks (alg allow-list from algs, 0 meaning
 * JOSE_ALGS_ALL; crit; typ; kid type); verifies nothing cryptographic and no
 * claim. Everything decoded lives in arena a (the request's). Returns
 * JOSE_OK and fills *out, or a reason (err filled when not NULL).
 */
jose_reason jose_jws_parse(kiln_arena *a, const char *tok, size_t n,
                           unsigned algs, jose_jws *out, jose_error *err);

/* ---- a cache of verified signatures ------------------------------------ */

/** The longest token the cache keeps, in bytes (longer ones are not). */
#define JOSE_CACHE_TOKEN_MAX 4096
/** The entries of a thread's cache (jose_cache_thread). */
#define JOSE_CACHE_SLOTS 256

/**
 * Remembers which tokens' signatures verified, so that a client sending
 * the same access token again (an SPA does, for minutes) costs a parse
 * and the claims checks but not the public-key operation, which is most
 * of the time of a verification. An entry is the token's exact bytes and
 * the generation of the key set that verified it: a hit needs both, so a
 * changed set verifies again, and no hash collision can make one token
 * pass for another. Claims (exp...) are checked on every use. Direct-
 * mapped, so a flood of other tokens only evicts entries. Not
 * thread-safe: one per worker thread.
 */
typedef struct jose_cache jose_cache;

/**
 * A cache of slots entries (rounded up to a power of two, at most 65536;
 * 0 means 256). Each entry holds up to JOSE_CACHE_TOKEN_MAX bytes,
 * allocated when first used. The caller owns it: jose_cache_free. NULL
 * when out of memory.
 */
jose_cache *jose_cache_new(size_t slots);
/** Frees c and its entries; NULL is fine. */
void jose_cache_free(jose_cache *c);
/**
 * The calling thread's own cache (JOSE_CACHE_SLOTS entries), made on its
 * first call and freed when the thread ends: a worker verifying bearer
 * tokens sets opts.cache = jose_cache_thread(). NULL when out of memory
 * (verification then simply does not cache). Never free it.
 */
jose_cache *jose_cache_thread(void);
/** True when tok[0..n) verified with the set of this generation. */
bool jose_cache_has(const jose_cache *c, const char *tok, size_t n,
                    uint64_t generation);
/** Records that tok[0..n) verified with that set (an allocation failure
    or a long token records nothing: the next use verifies again). */
void jose_cache_put(jose_cache *c, const char *tok, size_t n,
                    uint64_t generation);

/** What jose_jwt_verify checks the claims against. Zero-initialise. */
typedef struct jose_verify_opts {
    const char *issuer;     /**< required: iss must equal it exactly */
    const char *audience;   /**< aud must be or contain it; NULL: only azp */
    const char *const *azp; /**< client ids accepted in azp when aud does
                                 not fit (Keycloak); NULL: azp not used */
    size_t azp_n;
    bool no_audience;  /**< true: skip the aud/azp check (only for an
                            issuer that issues tokens to this app alone);
                            otherwise a NULL audience and no azp refuse
                            every token */
    int leeway;        /**< seconds; 0 means JOSE_LEEWAY_DEFAULT, a
                            negative value means none */
    int64_t now;       /**< seconds since the epoch; 0: time(NULL) */
    unsigned algs;     /**< allowed jose_alg bits; 0: JOSE_ALGS_ALL */
    jose_cache *cache; /**< this thread's cache of verified tokens, or
                            NULL: every token is verified in full */
} jose_verify_opts;

/**
 * Chooses the key of ks for jws (by kid only; without a kid, the one key
 * that fits jws->alg when there is exactly one) and checks the signature
 * over jws->signing_input. Returns JOSE_OK, JOSE_EKID_UNKNOWN,
 * JOSE_EKID_MISSING, JOSE_EKEY_MISMATCH (the kid names keys, none of a
 * type/alg fitting jws->alg), JOSE_ESIGNATURE or JOSE_ENOMEM. Thread-safe.
 */
jose_reason jose_keyset_verify(const jose_keyset *ks, const jose_jws *jws,
                               jose_error *err);

/** A verified token's claims. */
typedef struct jose_claims {
    const kiln_json *json; /**< the whole payload object (arena) */
    kiln_str iss, sub;     /**< NUL-terminated views into json */
    int64_t exp;           /**< seconds since the epoch (floored) */
    int64_t iat;           /**< 0 when absent */
    jose_alg alg;          /**< the algorithm that verified it */
    kiln_str kid;          /**< p NULL when the token had none */
} jose_claims;

/**
 * Verifies the compact JWS tok[0..n) against the keys of ks and the claims
 * rules of o, in this order: size, segments, base64url, header (alg, crit,
 * typ, kid), payload JSON, key by kid, signature (skipped when o->cache
 * holds the token for this set), iss, aud/azp, typ, exp, nbf, iat, sub.
 * The signature is checked before any claim is trusted. Returns
 * JOSE_OK and fills *out (its json and views live in arena a and the
 * token), or the first failing reason with err filled when not NULL; a
 * token refused after its header parsed still has out->alg and out->kid
 * set (the rest zero), so that the JWKS cache can decide on a refetch
 * when the reason is JOSE_EKID_UNKNOWN. Never crashes on any bytes; never
 * reads jku/x5u/jwk/x5c.
 */
jose_reason jose_jwt_verify(kiln_arena *a, const char *tok, size_t n,
                            const jose_keyset *ks, const jose_verify_opts *o,
                            jose_claims *out, jose_error *err);

/* ---- claims ------------------------------------------------------------ */

/**
 * The value at a dotted path ("realm_access.roles") below obj, or NULL
 * when a step is missing or not an object. Member names containing '.'
 * need jose_claim_at.
 */
const kiln_json *jose_claim_path(const kiln_json *obj, const char *path);

/** The value at keys[0]...keys[n-1] below obj, or NULL. */
const kiln_json *jose_claim_at(const kiln_json *obj, const char *const *keys,
                               size_t n);

/**
 * The strings of v in an arena array: v an array gives its string items
 * (other items are ignored), v a string gives itself, anything else (or
 * NULL) gives none. *out gets NULL-free pointers to the NUL-terminated
 * strings inside the tree, *n their number. Returns 0 or KILN_ENOMEM.
 * Roles: jose_claim_strings(a, jose_claim_path(cl->json,
 * "realm_access.roles"), &roles, &nroles).
 */
int jose_claim_strings(kiln_arena *a, const kiln_json *v,
                       const char *const **out, size_t *n);

/* ---- the code flow: random values and PKCE ----------------------------- */

/** Length of jose_random_b64 output for 32 random bytes (no NUL). */
#define JOSE_RANDOM_LEN 43

/**
 * Fills out with base64url of 32 bytes from the OS CSPRNG (OpenSSL's
 * RAND_bytes): a state, a nonce or a PKCE code_verifier (43 characters of
 * the unreserved set, RFC 7636 section 4.1). out has room for
 * JOSE_RANDOM_LEN + 1 bytes. Returns 0, or KILN_EIO when the generator
 * fails (out then holds "").
 */
int jose_random_b64(char out[JOSE_RANDOM_LEN + 1]);

/**
 * The S256 code_challenge of verifier (n bytes): base64url(SHA-256), 43
 * characters and a NUL into out.
 */
void jose_pkce_challenge(const char *verifier, size_t n,
                         char out[JOSE_RANDOM_LEN + 1]);

#endif
