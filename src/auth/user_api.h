/*
 * auth/user_api.h - Kiln's side of the generated CRUD API of the extended
 * user (user_api.c): the create that hashes a password, the delete that
 * ends the user's sessions. Called by api/crud.c for a model marked
 * KILN_MF_BUILTIN.
 */
#ifndef AUTH_USER_API_H
#define AUTH_USER_API_H

#include "kiln/db.h"
#include "kiln/schema.h"

typedef struct kiln_ctx kiln_ctx;

/**
 * The model a create of user model m decodes its body into (c's arena): m
 * with username, email (checked as an email) and name writable, created
 * stamped at the insert, and a write-only field "password" (column
 * password) appended after m's struct: a row of it starts with m's row,
 * so m encodes it. NULL when the arena is exhausted.
 */
const kiln_model *auth_user_create_model(kiln_ctx *c, const kiln_model *m);

/**
 * After obj was decoded with v (auth_user_create_model): checks that it has
 * a username (1 to 150 letters, digits and @.+-_) or an email, and that
 * its password passes the policy
 * ([auth] password_min_length, common passwords, not like the username or
 * email), answering a 422 listing every failure (returns 1), then replaces
 * the password in obj with its argon2id hash (off the worker's loop).
 * Returns 0, 1 (answered), KILN_ENOMEM or the hash's error.
 */
int auth_user_create_password(kiln_ctx *c, const kiln_model *v, void *obj);

/**
 * True when u is a username kiln user create, the API's create and the
 * admin take: 1 to 150 letters, digits and @.+-_ (cli/user.c says the
 * same).
 */
bool auth_username_ok(const char *u);

/**
 * What deleting user id takes besides its row (whose tokens and roles go
 * with it, ON DELETE CASCADE): its sessions (kiln_session has no foreign
 * key). Run it in the delete's transaction. Returns 0 or the database's
 * error (negative).
 */
int auth_user_deleted(kiln_dbc *db, int64_t id);

#endif
