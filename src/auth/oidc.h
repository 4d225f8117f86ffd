/*
 * auth/oidc.h - an OpenID Connect provider as Kiln's issuer of bearer
 * tokens (docs/auth.md, "OIDC providers"):
 *
 *   oidc.c  the settings ([auth.oidc]), bearer verification with
 *           auth/jose.h, claims mapped to a user (roles through the
 *           configured claim paths and role map) and auth_user_sync;
 *   jwks.c  the issuer's discovery document and key set: fetched over
 *           https (http only for an issuer on loopback), cached per
 *           Cache-Control (30 s..10 min), refreshed in the background
 *           before they expire, refetched on an unknown kid at most once
 *           per JWKS_REFETCH_MS, every fetch bounded by JWKS_TIMEOUT_MS.
 *
 * One issuer per process. The key cache is shared by every worker under
 * a mutex; a request holds a reference to the key set it verifies with,
 * so a refresh may swap the set meanwhile.
 */
#ifndef KILN_AUTH_OIDC_H
#define KILN_AUTH_OIDC_H

#include <kiln/app.h>
#include <kiln/auth.h>
#include <kiln/config.h>
#include <kiln/core.h>

#include "auth/jose.h"

/** The timeout of every discovery or JWKS fetch. */
#define JWKS_TIMEOUT_MS 5000
/** At most one fetch on an unknown kid per this many ms (keys cached), by
    default: the setting auth.oidc.jwks_cooldown changes it. */
#define JWKS_REFETCH_MS 30000
/** The same while no key set could be fetched yet. */
#define JWKS_REFETCH_EMPTY_MS 5000
/** Bounds of the cache lifetime taken from Cache-Control max-age. */
#define JWKS_MIN_AGE_S 30
#define JWKS_MAX_AGE_S 600
/** The largest discovery document accepted. */
#define OIDC_DISCOVERY_MAX (256 * 1024)

/* ---- jwks.c ---------------------------------------------------------------
 */

/**
 * The cache lifetime in seconds that a JWKS response's Cache-Control
 * value cc gives: its max-age clamped to JWKS_MIN_AGE_S..JWKS_MAX_AGE_S;
 * no-store, no-cache or max-age=0 give JWKS_MIN_AGE_S; no header or no
 * max-age give JWKS_MAX_AGE_S. Pure.
 */
int jwks_max_age(kiln_str cc);

/**
 * Whether a fetch of url is allowed for an issuer: https always; http only
 * when allow_http (the issuer itself is on loopback) and url's host is
 * loopback (127.0.0.0/8, [::1], localhost). Pure.
 */
bool oidc_url_allowed(const char *url, bool allow_http);

/** True when url is http(s) to a loopback host. Pure. */
bool oidc_url_loopback(const char *url);

/**
 * Sets the cache up for issuer (copied), with at most one fetch per
 * cooldown_ms on unknown kids (0: JWKS_REFETCH_MS). No fetch yet. Returns 0,
 * KILN_EINVAL (an issuer that is not https, or http off loopback) or
 * KILN_ENOMEM.
 */
int jwks_init(const char *issuer, int64_t cooldown_ms);

/** Frees the cache (the server has stopped). */
void jwks_free(void);

/**
 * Fetches discovery and keys now (start-up, outside a worker: blocking).
 * Returns 0 or the failing KILN_E* code (logged with the reason).
 */
int jwks_load(void);

/**
 * The current key set with a reference for the caller (release it with
 * jose_keyset_release), or NULL when none was ever fetched. Starts a
 * background refresh on the calling worker when the set is near its end
 * (and none runs, and the last attempt is older than JWKS_REFETCH_MS).
 */
jose_keyset *jwks_current(void);

/**
 * A token names kid (kid_n bytes; kid NULL when it has none) that the
 * current set lacks: refetches the set unless one was fetched within the
 * cooldown (JWKS_REFETCH_EMPTY_MS while there is none), sharing a
 * fetch already running (the caller waits for it, up to JWKS_TIMEOUT_MS).
 * Returns 0 when a set with kid may now be there (call jwks_current
 * again), KILN_ELIMIT when too soon (fail fast), or the fetch's error.
 */
int jwks_refetch(const char *kid, size_t kid_n);

/** How many JWKS fetches were started (tests, logs). */
uint64_t jwks_fetch_count(void);

/** The endpoints of the discovery document, NULL until fetched (strings
    owned by the cache, valid until jwks_free). */
typedef struct oidc_endpoints {
    const char *authorization, *token, *end_session, *userinfo;
} oidc_endpoints;

/** Copies the endpoints (strdup'd into a) into *out. 0, KILN_ENOTFOUND
    (no discovery yet) or KILN_ENOMEM. */
int jwks_endpoints(kiln_arena *a, oidc_endpoints *out);

/* ---- oidc.c ------------------------------------------------------------- */

/** The settings of the login flow (oidc_flow.c), owned by oidc.c. */
typedef struct oidc_flow_cfg {
    const char *issuer, *audience; /* audience NULL when not set */
    const char *client_id, *client_secret, *scopes;
    const char *redirect_uri;             /* "": from the request's Host */
    const char *post_logout_redirect_uri; /* "": the site's "/" */
    bool https; /* security.behind_tls: URLs made from Host are https */
} oidc_flow_cfg;

/**
 * Reads [auth.oidc] from s; when an issuer is set, sets the key cache up,
 * fetches the keys once (a failure is logged, not fatal: they are fetched
 * on the first token) and installs oidc_bearer_user as the bearer verifier
 * of auth/identity.c. Returns 0, or KILN_EINVAL with err filled (a bad
 * setting) or KILN_ENOMEM.
 */
int oidc_setup(kiln_app *app, const kiln_settings *s, char *err, size_t errlen);

/**
 * Verifies a bearer token (n bytes at tok) as an access token of the
 * configured issuer and resolves its user (auth_user_sync: created on
 * first sight, email, name and roles updated when they changed). Returns
 * 0 with *out (c's arena), or a negative KILN_E* for every refusal, whose
 * reason is logged at INFO with the request id and set in *why (c's
 * arena: the verifier's message, for the 401's error_description).
 */
int oidc_bearer_user(kiln_ctx *c, kiln_str tok, const kiln_user **out,
                     const char **why);

/**
 * Verifies an ID token (aud must be the client id) with the provider's
 * keys, refetching them once on an unknown kid. Claims into c's arena.
 * Returns JOSE_OK or the reason (err filled when not NULL).
 */
jose_reason oidc_verify_id_token(kiln_ctx *c, kiln_str tok, jose_claims *cl,
                                 jose_error *err);
/** The same for an access token of this API (audience / allow_azp). */
jose_reason oidc_verify_access_token(kiln_ctx *c, kiln_str tok,
                                     jose_claims *cl);
/**
 * auth_user_sync for the user of id's (iss, sub), email and name from id,
 * roles from the roles_claim paths of roles (NULL: id) through role_map.
 * Returns 0 with *out (c's arena) or the sync's error (logged).
 */
int oidc_sync_user(kiln_ctx *c, const jose_claims *id, const jose_claims *roles,
                   const kiln_user **out);

/* ---- oidc_flow.c --------------------------------------------------------- */

/**
 * Adds the login flow's routes (/auth/oidc/login, /callback, /logout) to
 * app; cfg must outlive it. Returns 0 or KILN_ENOMEM.
 */
int oidc_flow_setup(kiln_app *app, const oidc_flow_cfg *cfg);
/** Forgets the settings oidc_flow_setup was given (the app is freed):
    kiln_oidc_access_token answers KILN_ESTATE from then on. */
void oidc_flow_reset(void);

#endif
