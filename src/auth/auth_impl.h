/*
 * auth/auth_impl.h - what the files of src/auth/ share: password hashing
 * and policy (password.c), API token format and rows (token.c), login
 * throttling (throttle.c), the identity hook for OIDC bearers
 * (identity.c), and the routes Kiln adds (login.c, me.c).
 */
#ifndef AUTH_IMPL_H
#define AUTH_IMPL_H

#include "auth/user.h"
#include "kiln/app.h"
#include "kiln/config.h"
#include "kiln/errors.h"
#include "kiln/project.h"
#include "kiln/rate.h"

#include <sodium.h>

/* ---- password.c --------------------------------------------------------- */

/** Room for a hash string (argon2id's encoded form, NUL included). */
#define AUTH_HASH_MAX crypto_pwhash_STRBYTES
/** The longest password accepted (bytes). */
#define AUTH_PASSWORD_MAX 1024

/** The argon2id cost: passes and memory in bytes. */
typedef struct auth_cost {
    unsigned long long ops;
    size_t mem;
} auth_cost;

/** The cost from [auth] hash_opslimit and hash_memlimit (s may be NULL:
    libsodium's INTERACTIVE). */
auth_cost auth_cost_of(const kiln_settings *s);

/**
 * Hashes pw (n bytes) with argon2id at cost into out. Off the worker's
 * loop when called in a handler (a thread does it; the coroutine waits),
 * blocking elsewhere. Returns 0, KILN_ENOMEM (the memory limit cannot be
 * had), KILN_EINVAL (n past AUTH_PASSWORD_MAX).
 */
int auth_password_hash(const char *pw, size_t n, auth_cost cost,
                       char out[AUTH_HASH_MAX]);

/**
 * Checks pw against hash (NUL-terminated); a hash that is not a valid
 * argon2id string ("" included) is checked against a dummy hash made once,
 * so that the time is the same either way, and never matches. Off the loop
 * as auth_password_hash. *ok says whether it matched; *rehash (may be
 * NULL) whether the hash's cost differs from cost. Returns 0 or
 * KILN_ENOMEM.
 */
int auth_password_verify(const char *hash, const char *pw, size_t n,
                         auth_cost cost, bool *ok, bool *rehash);

/**
 * Makes the dummy hash for cost on a thread of its own, so that the first
 * login for an unknown account does not pay for it (and its answer takes
 * no longer than a wrong password's). Returns at once.
 */
void auth_password_warm(auth_cost cost);

/** The password policy, from [auth] (minimum length, common list). */
typedef struct auth_policy {
    size_t min_length;
    bool common;
} auth_policy;

/** The policy of s (NULL: the defaults). */
auth_policy auth_policy_of(const kiln_settings *s);

/**
 * Checks pw against the policy and the account's own names: adds one error
 * to e at pointer for each failing rule (codes too_short, too_long,
 * too_common, like_username, like_email). username and email may be NULL.
 * Returns the number of errors added.
 */
int auth_password_check(const auth_policy *p, kiln_str pw, const char *username,
                        const char *email, kiln_errors *e, const char *pointer);

/** True when pw is on the common list (share/auth/common-passwords.txt)
    or is an entry followed by at most five digits or symbols. */
bool auth_password_common(kiln_str pw);

/* ---- token.c ------------------------------------------------------------ */

/** "kiln_" + 8 visible characters + "_" + 40 secret ones, base62. */
#define AUTH_TOKEN_TAG "kiln_"
#define AUTH_TOKEN_PREFIX_LEN 8
#define AUTH_TOKEN_SECRET_LEN 40
#define AUTH_TOKEN_LEN (5 + AUTH_TOKEN_PREFIX_LEN + 1 + AUTH_TOKEN_SECRET_LEN)

/**
 * Parses a token: on success copies its visible prefix (8 characters and
 * a NUL) to prefix and returns 0; KILN_EPARSE for anything not of the
 * exact form. Pure; never reads past t.n.
 */
int auth_token_parse(kiln_str t, char prefix[AUTH_TOKEN_PREFIX_LEN + 1]);

/**
 * Parses an Authorization header value: "Bearer" (any case), one or more
 * spaces, a token68 (RFC 9110 11.2). Returns 1 with *token set to the
 * credentials, 0 when the scheme is another, KILN_EPARSE when malformed.
 */
int auth_bearer_parse(kiln_str value, kiln_str *token);

/** Makes a new token (CSPRNG): out gets AUTH_TOKEN_LEN characters and a
    NUL, prefix its visible part. */
void auth_token_make(char out[AUTH_TOKEN_LEN + 1],
                     char prefix[AUTH_TOKEN_PREFIX_LEN + 1]);

/** The hex SHA-256 of t (what kiln_token.hash stores). */
void auth_token_hash(kiln_str t, char hex[65]);

/** A stored token, as listed. Strings in the arena of the call. */
typedef struct auth_token_row {
    int64_t id, user_id;
    const char *name, *prefix;
    int64_t created, expires, last_used, revoked; /* µs since the epoch; 0 */
} auth_token_row;

/**
 * Creates a token for user (expires_us 0: never), writing the whole token
 * (shown once) to out. Returns the new id (> 0) or a negative error.
 */
int64_t auth_token_create(kiln_dbc *db, int64_t user, const char *name,
                          int64_t expires_us, char out[AUTH_TOKEN_LEN + 1]);

/**
 * Looks t up: a live (not revoked, not expired) token whose hash matches,
 * compared in constant time. Returns its user id (> 0), 0 when no live
 * token matches, or a negative error. Writes last_used when it is more
 * than a minute old.
 */
int64_t auth_token_check(kiln_dbc *db, kiln_str t);

/**
 * What auth_token_check does, and the token's user with its roles, in one
 * query (kiln_token joined to kiln_user and kiln_user_role): what a request
 * with a token costs. *out (allocated from a) is set on success. Returns
 * 0, KILN_ENOTFOUND when no live token matches, or a negative error.
 */
int auth_token_user(kiln_dbc *db, kiln_arena *a, kiln_str t, kiln_user **out);

/**
 * The user of token t for request c: from the credential cache when it
 * holds t (no database: the token's expiry is checked against the cached
 * row, its last_used written at most once a minute), else
 * auth_token_user on c's connection, then cached. *out in c's arena.
 * Returns 0, KILN_ENOTFOUND (no live token), KILN_EUNAVAIL (no database
 * connection: answered 503 already) or a database error.
 */
int auth_token_resolve(kiln_ctx *c, kiln_str t, const kiln_user **out);

/** Lists user's tokens (user 0: everyone's) into *out (arena a). Returns
    the count or a negative error. */
int auth_token_list(kiln_dbc *db, kiln_arena *a, int64_t user,
                    auth_token_row **out);

/** Revokes token id (of user when user > 0). Returns 1, 0 (none), or a
    negative error. */
int auth_token_revoke(kiln_dbc *db, int64_t id, int64_t user);

/* ---- throttle.c --------------------------------------------------------- */

/**
 * Before checking a password: whether the account (login, lowercased) and
 * the client's address may still try. Returns 0 (go on), KILN_ELIMIT with
 * *retry_s, or the store's error (then logged and allowed).
 */
int auth_throttle_check(kiln_ctx *c, kiln_str login, int64_t *retry_s);
/** After a failed attempt: takes a token from both buckets. */
void auth_throttle_fail(kiln_ctx *c, kiln_str login);
/** After a success: refills the account's bucket. */
void auth_throttle_reset(kiln_ctx *c, kiln_str login);

/* ---- identity.c, login.c, me.c ----------------------------------------- */

/**
 * The OIDC bearer verifier (D's oidc_bearer_user), set at start-up when
 * [auth.oidc] is configured: returns 0 with *out, or a negative error for
 * a token that does not verify, with *why a short reason for the client
 * (the challenge's error_description; c's arena or static; may stay
 * NULL). NULL: every non-Kiln bearer is refused.
 */
typedef int (*auth_bearer_fn)(kiln_ctx *c, kiln_str token,
                              const kiln_user **out, const char **why);
void auth_set_bearer_verifier(auth_bearer_fn fn);

/**
 * The permissions of u for GET /api/auth/me, set by the permissions module
 * (E): appends JSON strings separated by commas to b. NULL: none.
 */
typedef int (*auth_perms_fn)(kiln_ctx *c, const kiln_user *u, kiln_buf *b);
void auth_set_permissions_fn(auth_perms_fn fn);
auth_perms_fn auth_permissions_fn(void);

/** Makes kiln_rate_key(c, "user") the current user's id. */
void auth_identity_init(void);

/** Appends u as the JSON of GET /api/auth/me. 0 or KILN_ENOMEM. */
int auth_user_json(kiln_ctx *c, const kiln_user *u, kiln_buf *b);

/**
 * Parses a duration: a positive integer, optionally followed by s, m, h, d
 * or w ("30d"), at most a century, into seconds. 0 or KILN_EPARSE. Pure.
 */
int auth_duration_parse(kiln_str s, int64_t *seconds);

/** True when next (a ?next= value) is a path on this site: "/x", never
    "//host", "/\\host", a URL with a scheme, or a control byte. Pure. */
bool auth_next_ok(const char *next);

/* The handlers of the routes auth_register adds. */
int auth_me(kiln_ctx *c);
int auth_tokens_list(kiln_ctx *c);
int auth_tokens_create(kiln_ctx *c);
int auth_tokens_delete(kiln_ctx *c);

/** One route Kiln's auth adds (kiln routes lists them). */
typedef struct auth_route {
    const char *method, *pattern;
    const char *name; /* as kiln routes shows it */
    kiln_handler fn;
} auth_route;

/** The routes auth_register adds, unless the app routes the same. */
extern const auth_route auth_routes[];
extern const size_t auth_nroutes;
/** The OIDC login flow's routes (oidc_flow.c), added when [auth.oidc]
    client_id is set. Their names are defined whether or not it is, so
    that url('auth.oidc.login') builds in every app (app/url.c). */
extern const auth_route oidc_flow_routes[];
extern const size_t oidc_flow_nroutes;

/**
 * Routes POST /api/auth/login, /api/auth/logout, GET /api/auth/me,
 * GET/POST /api/auth/tokens, DELETE /api/auth/tokens/{id}, and GET/POST
 * /login unless the project routes the same method and path itself.
 * Returns 0 or the router's error.
 */
int auth_register(kiln_app *app, const kiln_route_def *routes, size_t n);

#endif
