/*
 * kiln/url.h - route names: building a route's path from its name and
 * parameters (Django's reverse), so links never hard-code paths.
 *
 * Every route of a project has a name (docs/routing.md, "Route names"):
 * api/projects/[id].c is "api.projects.id", pages/index.html "index",
 * a generated CRUD route its operationId ("getTask"). The generated
 * main() defines each name before serving; afterwards the table is
 * read-only and shared by every worker.
 *
 *   const char *u = kiln_url(c, "projects.id", "id", "3", NULL);
 *   // "/projects/3", in the request's arena; NULL: no such route, or a
 *   // parameter missing or not in the pattern
 *
 * A project's gen/routes.h has one typed function per name as well
 * (url_projects_id(c, 3)), so a misspelt name fails to compile; templates
 * call url('projects.id', id=3), checked by `kiln build`.
 */
#ifndef KILN_URL_H
#define KILN_URL_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_ctx kiln_ctx;

/** The longest route name. */
#define KILN_ROUTE_NAME_MAX 128

/**
 * True when name can name a route: 1 to KILN_ROUTE_NAME_MAX bytes, a
 * letter or digit first, then letters, digits, '_', '-' and '.' (no '.'
 * last, no two in a row).
 */
bool kiln_route_name_ok(const char *name);

/**
 * Builds pattern ("/projects/{id}", "/files/{...path}") with the n
 * parameters keys[i] = vals[i], snprintf's way: writes at most cap bytes
 * of the path to out, NUL-terminated when cap > 0, and sets *len to its
 * full length (without the NUL; a result with *len >= cap was cut). A
 * {name} value is percent-encoded as one path segment: every byte but
 * RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~) becomes %XX,
 * '/' included. A {...name} value keeps its '/' and encodes the rest
 * alike; it may be empty. A pure function: no table, no allocation.
 * Returns 0; KILN_EINVAL with a message in err (may be NULL) for a
 * parameter of the pattern not given ("missing parameter 'id'"), one
 * given that the pattern does not have ("unexpected parameter 'x'"), one
 * given twice, an empty {name} value, or a segment that would be "." or
 * ".." (which clients remove from paths).
 */
int kiln_url_build(const char *pattern, const kiln_str *keys,
                   const kiln_str *vals, size_t n, char *out, size_t cap,
                   size_t *len, char *err, size_t errlen);

/**
 * kiln_url_build into arena a: *out is the path (NUL-terminated, owned by
 * a). Returns as kiln_url_build, or KILN_ENOMEM when a is exhausted.
 */
int kiln_url_arena(kiln_arena *a, const char *pattern, const kiln_str *keys,
                   const kiln_str *vals, size_t n, kiln_str *out, char *err,
                   size_t errlen);

/**
 * Gives route pattern the name name in the process's table (both copied).
 * Called before serving (the generated main() names every route of its
 * table; code that routes more, such as generated CRUD routes, names its
 * own): the table must not change while requests read it. Defining a name
 * again with the same pattern is a no-op (one name covers every method of
 * a path). Returns 0; KILN_EINVAL for a bad name (kiln_route_name_ok) or
 * a pattern not starting with '/'; KILN_ESTATE when name already names
 * another pattern; KILN_ENOMEM.
 */
int kiln_url_define(const char *name, const char *pattern);

/** The pattern named name ("/projects/{id}"), or NULL. Owned by the
    table: valid until kiln_url_clear. */
const char *kiln_url_pattern(const char *name);

/** The number of names defined; kiln_url_name(i) is the i-th in byte
    order (NULL past the end). For listings and suggestions. */
size_t kiln_url_count(void);
/** See kiln_url_count. */
const char *kiln_url_name(size_t i);

/** Empties the table and frees it (at exit; tests). */
void kiln_url_clear(void);

/**
 * The templates' url() through the table: a kiln_tpl_options.url (ud
 * unused) that looks name up with kiln_url_pattern and builds the path
 * with kiln_url_arena in a. Returns 0, KILN_ENOTFOUND ("no route named
 * 'x'" in err), or as kiln_url_arena. Kiln's pages use it.
 */
int kiln_url_tpl(void *ud, kiln_str name, const kiln_str *keys,
                 const kiln_str *vals, size_t n, kiln_arena *a, kiln_str *out,
                 char *err, size_t errlen);

/**
 * The path of route name with its parameters: after name come pairs of
 * const char * (parameter name, value), ended by NULL:
 *   kiln_url(c, "api.files.path", "path", "a b/c.txt", NULL)
 *   -> "/api/files/a%20b/c.txt"
 * The result lives in c's arena (until the request ends). Returns NULL
 * when no route has that name, a parameter is missing, unexpected or
 * bad (see kiln_url_build), or memory ran out; the reason is logged at
 * warn level with the name.
 */
const char *kiln_url(kiln_ctx *c, const char *name, ...);

#ifdef __cplusplus
}
#endif
#endif
