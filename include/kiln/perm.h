/*
 * kiln/perm.h - what the current user may do: the permissions of the
 * roles declared in kiln.toml, checked in handlers, by the generated CRUD
 * API, by endpoint schemas and in templates (docs/auth.md, "Permissions").
 *
 *   [roles]
 *   viewer = ["*.view"]
 *   editor = ["task.view", "task.add", "task.change", "project.view"]
 *
 * Every model has four permissions, Django's: MODEL.view, MODEL.add,
 * MODEL.change and MODEL.delete. A role grants a list of them, or
 * "MODEL.*", "*.ACTION", "*". A user (kiln/auth.h) holds roles; a
 * superuser has every permission, an inactive user and nobody none.
 *
 *   KILN_POST(archive)
 *   {
 *       if (kiln_require(c, "task.change"))
 *           return 0;             // answered: 401 or 403 problem+json
 *       ...
 *   }
 *
 * Each permission a role names is checked against the app's models when
 * the app starts: a model that does not exist is an error naming its
 * place in kiln.toml.
 */
#ifndef KILN_PERM_H
#define KILN_PERM_H

#include "auth.h"
#include "http.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * True when the request's user (kiln_user_current) holds perm
 * ("task.change"): a superuser always, an active user when one of its
 * roles grants it, nobody else. A permission no model defines is never
 * held (except by a superuser).
 */
bool kiln_can(kiln_ctx *c, const char *perm);

/**
 * True when user u (may be NULL: false) holds perm under the app's roles:
 * kiln_can for a user other than the request's.
 */
bool kiln_user_can(const kiln_user *u, const char *perm);

/**
 * Requires perm. Returns 0 when the request's user holds it; else answers
 * 401 (nobody logged in: problem+json with WWW-Authenticate, see
 * kiln_auth_challenge) or 403 problem+json naming the permission, and
 * returns 1: `if (kiln_require(c, "task.change")) return 0;`.
 */
int kiln_require(kiln_ctx *c, const char *perm);

/** Requires a logged-in (active) user: 0, or a 401 answered and 1. */
int kiln_require_login(kiln_ctx *c);

/**
 * Requires a logged-in (active) user for a page: returns 0 when there is
 * one. Otherwise answers and returns 1: a browser's request (Accept prefers
 * HTML) is sent to the login page, 303 to `/login?next=PATH` (the
 * request's path and query, percent-encoded; the path alone for a method
 * other than GET or HEAD, whose page a GET shows again), so it comes back
 * after logging in; an HTMX request gets 401 with `HX-Redirect` to the
 * same place (htmx then loads it whole, rather than swapping a login page
 * into a part of the page); anything else (a script, fetch) 401
 * problem+json with WWW-Authenticate, as kiln_require_login (also when
 * the login URL cannot be made: out of memory). A negative error only when
 * no answer could be made at all, as for kiln_require.
 *
 *   KILN_LOAD(load_board)
 *   {
 *       if (kiln_login_required(c))
 *           return 0;
 *       ...
 *   }
 */
int kiln_login_required(kiln_ctx *c);

/** Requires role (an exact name; a superuser passes too): 0, or a 401 or
    403 answered and 1. */
int kiln_require_role(kiln_ctx *c, const char *role);

/**
 * The permissions user u holds (NULL: none), every model's four checked,
 * in the order of the models then view, add, change, delete: what
 * `user.permissions` holds in templates and GET /api/auth/me answers.
 * Sets *out to an array in a (strings static or in a) and returns its
 * length; KILN_ENOMEM.
 */
long kiln_user_permissions(const kiln_user *u, kiln_arena *a,
                           const char *const **out);

#ifdef __cplusplus
}
#endif
#endif
