/*
 * auth/user.h - the built-in user's rows (table kiln_user and
 * kiln_user_role, auth/schema.c), for Kiln's own auth modules: identity
 * resolution, login, the OIDC user sync and the CLI.
 *
 * Every function here runs on a request's context (its database
 * connection and arena) and returns users allocated in that arena.
 */
#ifndef AUTH_USER_H
#define AUTH_USER_H

#include "kiln/auth.h"
#include "kiln/db.h"

/** The most roles a user keeps (more are an error). */
#define AUTH_ROLES_MAX 64

/** What an identity provider says about a user (OIDC claims, mapped). */
typedef struct auth_claims {
    const char *issuer;       /**< iss, exact (required) */
    const char *subject;      /**< sub (required) */
    const char *email;        /**< NULL or "": none */
    const char *name;         /**< NULL or "": none */
    const char *const *roles; /**< Kiln role names (already mapped) */
    size_t nroles;
} auth_claims;

/**
 * Loads user id into *out (c's arena), roles included. Returns 0,
 * KILN_ENOTFOUND, or a database error (logged by the data layer).
 */
int auth_user_load(kiln_ctx *c, int64_t id, const kiln_user **out);

/**
 * Finds or creates the user keyed by (cl->issuer, cl->subject), never by
 * email. A new user is created active with email, name and roles; a known
 * one is updated only when email, name or roles changed (no write
 * otherwise). *out is the user as stored after the call (c's arena).
 * Returns 0, KILN_EINVAL (issuer or subject missing, too many roles), or a
 * database error.
 */
int auth_user_sync(kiln_ctx *c, const auth_claims *cl, const kiln_user **out);

/**
 * auth_user_sync on an explicit connection and arena (tests): *wrote (may
 * be NULL) says whether anything was written.
 */
int auth_user_sync_db(kiln_dbc *db, kiln_arena *a, const auth_claims *cl,
                      kiln_user **out, bool *wrote);

/* The columns of a kiln_user that auth_user_read_joined reads (12 of
   them, the password hash last), and the join that puts the user's roles
   beside them. */
#define AUTH_USER_COLS                                                         \
    "kiln_user.id, username, email, kiln_user.name, active, staff, "           \
    "superuser, issuer, subject, last_login, kiln_user.created, password"
#define AUTH_USER_ROLES                                                        \
    "LEFT JOIN kiln_user_role ON kiln_user_role.user_id = kiln_user.id"

/** Reads the current row of a query for auth_user_read_joined: 0, or an
    error that ends the read. */
typedef int (*auth_row_fn)(kiln_rows *r, void *arg);

/**
 * Reads one user from the rows of a query selecting, from column b on,
 * AUTH_USER_COLS then kiln_user_role.role, FROM kiln_user AUTH_USER_ROLES,
 * ORDER BY role: one row per role, or one with a NULL role, so that a user and
 * its roles cost one query. first, when not NULL, sees the first row before the
 * user is read (the caller's own columns, before b) and may refuse it. Closes r
 * (NULL, a failed query: KILN_EDB). *out and its strings are allocated from a.
 * Returns 0, KILN_ENOTFOUND (no row), first's error, KILN_ENOMEM or the query's
 * error.
 */
int auth_user_read_joined(kiln_rows *r, int b, auth_row_fn first, void *arg,
                          kiln_arena *a, kiln_user **out);

/**
 * The same on an explicit connection and arena (the CLI, tests): loads
 * user id from db into *out allocated in a.
 */
int auth_user_load_db(kiln_dbc *db, kiln_arena *a, int64_t id, kiln_user **out);

/**
 * Finds the local user whose username equals login, or whose email equals
 * it ignoring ASCII case. *pwhash gets the stored hash ("" when the user
 * has no password), in a. Returns 0, KILN_ENOTFOUND or a database error.
 */
int auth_user_find_login(kiln_dbc *db, kiln_arena *a, kiln_str login,
                         kiln_user **out, const char **pwhash);

/**
 * Creates a local user (username required; email, name may be ""; hash an
 * argon2id string or "" for no password). Returns the new id (> 0),
 * KILN_ESTATE when the username or the email is taken, or a database
 * error.
 */
int64_t auth_user_create(kiln_dbc *db, const char *username, const char *email,
                         const char *name, const char *hash, bool staff,
                         bool superuser);

/** Stores a new password hash for user id. 1, 0 (no such user) or an
    error. */
int auth_user_set_hash(kiln_dbc *db, int64_t id, const char *hash);

/** Sets last_login to now. 0 or an error. */
int auth_user_touch_login(kiln_dbc *db, int64_t id);

/** Every user (ordered by id) into *out (arena a), roles included.
    Returns the count or a negative error. */
int auth_user_list(kiln_dbc *db, kiln_arena *a, kiln_user **out);

/** The current time in ms since the epoch (CLOCK_REALTIME). */
int64_t auth_now_ms(void);

#endif
