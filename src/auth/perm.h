/*
 * auth/perm.h - the permissions behind kiln/perm.h: the app's roles
 * (checked against its models when it starts), the pure rules that
 * resolve them, and the requirements of the generated CRUD API and of
 * endpoint schemas (docs/auth.md, "Permissions").
 *
 * perm_init runs once before serving; everything after reads the tables
 * it set and never writes them, so any worker may check at once.
 */
#ifndef KILN_AUTH_PERM_H
#define KILN_AUTH_PERM_H

#include <kiln.h>
#include <kiln/config.h>
#include <kiln/perm.h>
#include <kiln/schema.h>

/**
 * Checks every permission of roles[0..nroles) against models (every model
 * of the app, NULL-terminated; NULL: not checked): a model no role may
 * name is an error "kiln.toml:LINE:COL: roles.editor: 'tsk.view' names no
 * model (did you mean 'task'?)" in err. Pure. Returns 0 or KILN_EINVAL.
 */
int perm_check_roles(const kiln_role *roles, size_t nroles,
                     const kiln_model *const *models, char *err, size_t errlen);

/**
 * Checks the roles (perm_check_roles) and makes them and models the app's
 * (kept by pointer: both must outlive perm_clear). Not thread-safe: call
 * before serving. Returns 0 or KILN_EINVAL with a message in err.
 */
int perm_init(const kiln_role *roles, size_t nroles,
              const kiln_model *const *models, char *err, size_t errlen);

/** Forgets what perm_init set (the app stopped). */
void perm_clear(void);

/** True when the app declares roles ([roles] has at least one). */
bool perm_roles_declared(void);

/** True when role is one of the app's roles. */
bool perm_role_known(const char *role);

/**
 * True when pattern (a role's permission: "task.view", "task.*",
 * "*.view", "*") covers perm ("task.view"). Pure.
 */
bool perm_match(const char *pattern, const char *perm);

/**
 * True when user u holds perm under roles[0..nroles): a superuser always,
 * an inactive user or NULL never, else when a role of u is one of roles
 * and one of its permissions covers perm. Pure: does not ask whether a
 * model defines perm.
 */
bool perm_grants(const kiln_role *roles, size_t nroles, const kiln_user *u,
                 const char *perm);

/** A declarative requirement (an endpoint's or a route's auth = "..."). */
typedef enum perm_need {
    PERM_NEED_NONE,  /**< "public": anybody */
    PERM_NEED_LOGIN, /**< "login": a logged-in user */
    PERM_NEED_PERM,  /**< "perm:task.change" */
    PERM_NEED_ROLE   /**< "role:editor" */
} perm_need;

/**
 * Parses spec ("public", "login", "perm:MODEL.ACTION", "role:NAME") into
 * *need and *arg (a pointer into spec after the colon, or NULL). Checks
 * the form only (a permission's model and a role's existence are the
 * caller's to check). Pure. Returns 0, or KILN_EINVAL with *why (static
 * text).
 */
int perm_need_parse(const char *spec, perm_need *need, const char **arg,
                    const char **why);

/**
 * Checks spec (already valid: perm_need_parse) against models and the
 * app's roles; an error names what is missing in err (no place: the
 * caller adds it). Returns 0 or KILN_EINVAL.
 */
int perm_need_check(const char *spec, const kiln_model *const *models,
                    char *err, size_t errlen);

/**
 * Requires spec of the request: 0 to go on, or 1 once a 401 or 403 is
 * answered (or a negative error).
 */
int perm_need_require(kiln_ctx *c, const char *spec);

/**
 * The access of the generated API of m (its [api] permissions, the
 * default resolved: roles when the app declares roles, else public).
 */
int perm_api_access(const kiln_model *m);

/**
 * Requires the permission of action ("view", "add", "change", "delete")
 * on m for a generated operation, as m's API access says: 0 to go on, or
 * 1 once a 401 or 403 is answered.
 */
int perm_api_require(kiln_ctx *c, const kiln_model *m, const char *action);

/**
 * The request's user as a template value (null when nobody): a map of id,
 * username, email, name, staff, superuser, roles (a list) and permissions
 * (kiln_user_permissions), in the request's arena: the `user` of pages,
 * which can('task.change') reads. Returns 0 or KILN_ENOMEM.
 */
int perm_user_value(kiln_ctx *c, kiln_value *out);

#endif
