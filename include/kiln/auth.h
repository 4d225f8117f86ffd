/*
 * kiln/auth.h - who is making the request: the built-in user (table
 * kiln_user, docs/auth.md) and how the request proved it.
 *
 *   KILN_GET(profile)
 *   {
 *       const kiln_user *u = kiln_user_current(c);
 *       if (!u)
 *           return kiln_problem(c, 401, "log in first");
 *       return kiln_jsonf(c, 200, "{name:%s}", u->name);
 *   }
 *
 * The identity is resolved lazily, the first time a handler (or Kiln's
 * own guard) asks, and at most once per request. The order: an
 * Authorization: Bearer header first (a Kiln API token, recognised by its
 * "kiln_" prefix, or else a JWT when [auth.oidc] is configured); without
 * one, the session cookie (kiln/session.h). A bearer that does not verify
 * is answered 401 with WWW-Authenticate: Bearer error="invalid_token" and
 * never falls back to the cookie.
 */
#ifndef KILN_AUTH_H
#define KILN_AUTH_H

#include "http.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A user, as loaded for one request. Every string and the roles array
 * live in the request's arena (or the arena named by the call that made
 * it) and are never NULL except issuer and subject.
 */
typedef struct kiln_user {
    int64_t id;               /**< kiln_user.id (> 0) */
    const char *username;     /**< "" when none (an OIDC user) */
    const char *email;        /**< "" when none */
    const char *name;         /**< display name, "" when none */
    bool active;              /**< false: cannot log in, tokens refused */
    bool staff;               /**< may use staff pages */
    bool superuser;           /**< has every permission */
    const char *const *roles; /**< nroles role names, sorted */
    size_t nroles;
    const char *issuer;  /**< OIDC iss, NULL for a local account */
    const char *subject; /**< OIDC sub, NULL for a local account */
    int64_t last_login;  /**< ms since the epoch; 0: never */
    int64_t created;     /**< ms since the epoch */
} kiln_user;

/** How the current request was authenticated. */
typedef enum kiln_auth_via {
    KILN_AUTH_ANON,    /**< nobody (or not resolved yet: see below) */
    KILN_AUTH_SESSION, /**< the session cookie */
    KILN_AUTH_TOKEN,   /**< a Kiln API token (Authorization: Bearer kiln_...) */
    KILN_AUTH_JWT /**< an OIDC access token (Authorization: Bearer ey...) */
} kiln_auth_via;

/**
 * The user making the request, or NULL when anonymous (or when the
 * request's credentials were refused: see kiln_auth_failed). Resolved on
 * the first call and cached for the rest of the request; the user lives in
 * the request's arena. An inactive user is treated as anonymous.
 */
const kiln_user *kiln_user_current(kiln_ctx *c);

/** How kiln_user_current's user was authenticated (resolving it first). */
kiln_auth_via kiln_auth_via_of(kiln_ctx *c);

/**
 * True when the request carried a bearer token that was refused (bad,
 * expired, revoked, unknown). kiln_user_current is then NULL, and a
 * handler that requires a user answers with kiln_auth_challenge.
 */
bool kiln_auth_failed(kiln_ctx *c);

/**
 * Answers 401 problem+json with the WWW-Authenticate challenge that fits
 * the request: Bearer error="invalid_token" after a refused bearer, else
 * Bearer (and Session realm for browsers). detail may be NULL. Returns what
 * kiln_send returns (0 once answered).
 */
int kiln_auth_challenge(kiln_ctx *c, const char *detail);

/**
 * Checks login and password against the built-in users (login is a
 * username or an email, case-insensitively for the email), throttled per
 * account and per client address (settings [auth] throttle_*), in a time
 * that does not tell an unknown login from a wrong password. On success
 * *out is the user (request arena), last_login is set and the password's
 * hash is upgraded when the settings' cost changed. Returns 0,
 * KILN_ENOTFOUND (wrong login or password, or an inactive user: the
 * caller must not tell them apart),
 * KILN_ELIMIT (throttled: *retry_after_s says for how long, may be NULL),
 * or a database error.
 */
int kiln_authenticate(kiln_ctx *c, kiln_str login, kiln_str password,
                      const kiln_user **out, int64_t *retry_after_s);

/**
 * Tells the credential cache (docs/auth.md, "The credential cache") that
 * user's row changed in a way Kiln did not make itself: active, staff,
 * superuser, roles, deleted. Every session, token and OIDC token of the
 * user is looked up in the database again on its next request, in this
 * process at once and in the app's other instances through pub/sub (when
 * pubsub.backend is "redis" or "postgres"). Kiln's own writes (logout,
 * token revocation, password change, OIDC sync, login) call it already.
 * Call it after the transaction that changed the row committed. From any
 * thread; never fails (a publication that cannot be sent is logged: the
 * other instances then see the change within auth.cache_seconds).
 */
void kiln_auth_forget_user(int64_t user);

/** The same for every user (a bulk change, a database restored). */
void kiln_auth_forget_all(void);

/** True when the user holds role (an exact name). */
bool kiln_user_has_role(const kiln_user *u, const char *role);

#ifdef __cplusplus
}
#endif
#endif
