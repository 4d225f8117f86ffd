/*
 * openapi/openapi.h - the OpenAPI 3.1 document of a project, written from
 * the compiled model descriptions (kiln/schema.h) and the route table:
 * the generated CRUD API of every model with [api] (kiln_model_api), the
 * api/ handlers with an endpoint schema (kiln_endpoint) and those without
 * one (documented as free-form JSON). Pages and WebSockets are left out.
 *
 * It runs at build time only (`kiln openapi`, `kiln build`, `kiln dev`);
 * the app serves the bytes it wrote. The names it uses (components,
 * operationIds, tags, parameters) are the typed API's conventions
 * (docs/openapi.md).
 *
 *   oapi_doc d = {.title = "board", .version = "1.0.0",
 *                 .models = ms.models, .nmodels = ms.n,
 *                 .routes = routes, .nroutes = n};
 *   kiln_buf out;
 *   kiln_buf_init(&out);
 *   if (oapi_write(&d, &out) == 0) fwrite(out.p, 1, out.n, stdout);
 */
#ifndef KILN_OPENAPI_OPENAPI_H
#define KILN_OPENAPI_OPENAPI_H

#include <kiln.h>

/** One route of the project as the document sees it. Not owned. */
typedef struct oapi_route {
    const char *method;  /**< "GET", "POST"... ("WS" routes are skipped) */
    const char *pattern; /**< "/api/posts/{id}", "/files/{...path}" */
    const char *file;    /**< "api/posts/[id].c", for the description */
    bool page;           /**< a pages/ route: skipped */
    const kiln_endpoint *endpoint; /**< its endpoint schema, or NULL:
                                        documented as free-form JSON */
} oapi_route;

/** What the document is written from. Nothing is owned or changed. */
typedef struct oapi_doc {
    const char *title;         /**< info.title: the project's name */
    const char *version;       /**< info.version ("1.0.0" when NULL) */
    kiln_model *const *models; /**< the project's models (models/) */
    size_t nmodels;
    const oapi_route *routes; /**< the routes (api/, pages/, ws/) */
    size_t nroutes;
    /** the app declares [roles]: a model's API without permissions = ...
        needs its model's permissions (kiln/perm.h) */
    bool roles;
    /** [auth.oidc] issuer, or NULL: adds the openIdConnect scheme */
    const char *oidc_issuer;
} oapi_doc;

/**
 * Appends the OpenAPI 3.1 document of d to out as JSON, indented with two
 * spaces, ending with a newline. Paths are in the order of their text;
 * a hand-written route of the same method and path as a generated CRUD
 * operation replaces it. Returns 0 or KILN_ENOMEM (out then holds a part
 * of the document; the caller discards it).
 */
int oapi_write(const oapi_doc *d, kiln_buf *out);

/** True when d has at least one operation to document (an api/ handler or
    a model with [api]): the app then serves /api/openapi.json. */
bool oapi_has_operations(const oapi_doc *d);

/**
 * Writes name as PascalCase into out (size n, always terminated): the
 * first letter and every letter after '_', '-', '/' or '.' upper case,
 * those separators dropped ("task_comment" -> "TaskComment"). The names
 * of components and operationIds.
 */
void oapi_pascal(const char *name, char *out, size_t n);

/* ---- rules the document and the TypeScript output share ---------------- */

/** True when m is a model with a table (not an endpoint schema's object). */
bool oapi_is_table(const kiln_model *m);

/** The name of the extended user's create body (the object "UserCreate"). */
#define OAPI_USER_CREATE "user_create"

/**
 * The body of the extended user's create (m, KILN_MF_BUILTIN), allocated
 * in a: its login and password besides the app's fields
 * (model_user_create), as the object OAPI_USER_CREATE (no table, no
 * [api]). NULL when a is exhausted.
 */
const kiln_model *oapi_user_create(kiln_arena *a, const kiln_model *m);
/** True when field f is in a model's output (out) or its input (!out):
    write-only fields are not output, server-set ones not input. */
bool oapi_field_in(const kiln_field *f, bool out);
/** True when an input must give f (CREATE and REPLACE). */
bool oapi_field_required(const kiln_field *f);
/** True when fields of kiln_ftype t take the range lookups (lt, gte...)
    and may be ordered. */
bool oapi_type_ordered(int t);
/** True when fields of kiln_ftype t are text (contains, search). */
bool oapi_type_text(int t);
/** A route's operationId: the method and the path after /api/, into out
    (size n, always terminated): POST /api/posts/{id}/like ->
    "postPostsByIdLike". */
void oapi_route_op_id(const oapi_route *r, char *out, size_t n);

#endif
