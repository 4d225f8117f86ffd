/*
 * kiln/api.h - hooks around the CRUD API Kiln generates for a model with
 * an [api] table (docs/api.md): C the author adds before and after the
 * generated create, update (PUT and PATCH) and delete, and a query filter
 * for list and retrieve (the place row-level permissions hang).
 *
 *   // api/_hooks/task.c (any compiled file of the app will do)
 *   #include <kiln.h>
 *   #include "models.h"
 *
 *   static int no_done_tasks(kiln_ctx *c, kiln_dbc *db, void *row,
 *                            kiln_errors *errs)
 *   {
 *       const Task *t = row;
 *       if (t->status == TASK_STATUS_DONE)
 *           kiln_errors_add(errs, "/status", "invalid", "create it open");
 *       return 0;
 *   }
 *
 *   KILN_API_HOOKS(task) = {.before_create = no_done_tasks};
 *
 * A hook runs inside the write's transaction. A before hook refuses by
 * adding errors (a 422 listing them, nothing written) or by answering
 * itself (kiln_problem(c, 403, ...)) and returning 1; a negative return
 * is a failure (500, rolled back).
 */
#ifndef KILN_API_H
#define KILN_API_H

#include "app.h"
#include "db.h"
#include "errors.h"
#include "schema.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A write hook: row is the model's struct (before a create or PUT: as
 * decoded, the id set for a PUT; before a PATCH: the current row with the
 * patch applied, of which only the fields sent are written; after: as
 * stored; delete: the row as it was). Returns 0
 * to go on, 1 once it has answered (nothing more is written or sent), or a
 * negative error. Errors added to errs by a before hook refuse the write
 * with a 422.
 */
typedef int (*kiln_api_write_hook)(kiln_ctx *c, kiln_dbc *db, void *row,
                                   kiln_errors *errs);

/** What a query hook adds to a list's or retrieve's WHERE. */
typedef struct kiln_api_where {
    /** an SQL condition over the model's columns, with its parameters
        numbered $1..$nparams, or NULL: no condition ("owner = $1") */
    const char *sql;
    kiln_db_param params[8]; /**< at most 8 */
    size_t nparams;
} kiln_api_where;

/**
 * A query hook: fills *w (zero-filled) with a condition every row a list
 * returns or a retrieve, update or delete touches must meet; a row it
 * hides is a 404. Returns 0, 1 once it has answered (kiln_problem), or a
 * negative error. Strings it points to must live as long as the request
 * (kiln_alloc).
 */
typedef int (*kiln_api_query_hook)(kiln_ctx *c, kiln_api_where *w);

/** The hooks of one model's generated API. Any may be NULL. */
typedef struct kiln_api_hooks {
    kiln_api_write_hook before_create, after_create;
    kiln_api_write_hook before_update, after_update; /**< PUT and PATCH */
    kiln_api_write_hook before_delete, after_delete;
    kiln_api_query_hook query; /**< list and retrieve (and the row an
                                    update or delete reads) */
    /* private: set by kiln_api_hooks_add */
    const char *model;
    struct kiln_api_hooks *next;
} kiln_api_hooks;

/**
 * Registers h (static storage: it is linked into a list, never copied) as
 * the hooks of model (its name, "task"). Call before the server starts;
 * KILN_API_HOOKS does it from a constructor. A second registration for
 * the same model replaces the first.
 */
void kiln_api_hooks_add(const char *model, kiln_api_hooks *h);

/** The hooks registered for model, or NULL. */
const kiln_api_hooks *kiln_api_hooks_of(const char *model);

/**
 * Checks that each reference of obj (a model m row; only the fields in
 * given, NULL: all; NULL values and fields errs already has an error at
 * are skipped) names a row the referred model's query hook shows to this
 * request: a hidden row is one that does not exist, added to errs as
 * "does_not_exist" with the message kiln_model_check_refs gives. So a
 * user cannot point a row at a row it may not see (a task into another
 * team's project). kiln_model_decode, and so the generated API and the
 * admin, check it with the references. Returns 0 (errs tells), 1 when a
 * hook answered the request, or a negative error.
 */
int kiln_api_refs_visible(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                          const void *obj, const kiln_fieldset *given,
                          kiln_errors *errs);

/** Declares the hooks of model MODEL: `KILN_API_HOOKS(task) = {...};`. */
#define KILN_API_HOOKS(MODEL)                                                  \
    static kiln_api_hooks kiln_api_hooks_##MODEL;                              \
    __attribute__((constructor)) static void kiln_api_hooks_reg_##MODEL(void)  \
    {                                                                          \
        kiln_api_hooks_add(#MODEL, &kiln_api_hooks_##MODEL);                   \
    }                                                                          \
    static kiln_api_hooks kiln_api_hooks_##MODEL

/**
 * Routes the generated CRUD API of every model in models (NULL-terminated;
 * models without an api are skipped) on app, leaving out each method and
 * path that the project's routes (routes[0..nroutes)) already answer: a
 * hand-written handler wins. Logs nothing; returns 0 or kiln_route's error.
 * The project runtime calls it; an app built without `kiln` may too.
 */
struct kiln_route_def;
int kiln_api_register(kiln_app *app, const kiln_model *const *models,
                      const struct kiln_route_def *routes, size_t nroutes);

#ifdef __cplusplus
}
#endif
#endif
