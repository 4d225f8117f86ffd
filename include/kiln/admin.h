/*
 * kiln/admin.h - actions an app adds to the admin's change lists
 * (docs/admin.md, "Actions"). The admin itself needs no code: it is made
 * from the models and their [admin] tables.
 *
 *   // admin/task.c (any compiled file of the app will do)
 *   #include <kiln.h>
 *   #include <kiln/admin.h>
 *
 *   KILN_ADMIN_ACTION(task, mark_done, "Mark as done")
 *   {
 *       for (size_t i = 0; i < n; i++)
 *           if (kiln_db_exec(db, "UPDATE task SET status = 'done' "
 *                                "WHERE id = $1", KILN_INT(ids[i])) < 0)
 *               return -1;
 *       return 0;
 *   }
 *
 * An action runs inside one transaction with the selected ids (already
 * checked: rows of the model the user may change). It returns 0 (done:
 * the admin goes back to the list with a message), an HTTP status >= 400
 * (the admin answers it, rolled back), or a negative error (500, rolled
 * back). It may answer itself (a page, a file): the admin then sends
 * nothing more.
 */
#ifndef KILN_ADMIN_H
#define KILN_ADMIN_H

#include "db.h"
#include "http.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An action's function: ids[0..n) are the selected rows' ids. */
typedef int (*kiln_admin_action_fn)(kiln_ctx *c, kiln_dbc *db,
                                    const int64_t *ids, size_t n);

/** One action of a model's change list. Static storage (linked, never
    copied). */
typedef struct kiln_admin_action {
    const char *model; /**< the model's name ("task") */
    const char *name;  /**< what the form posts (action=NAME) */
    const char *label; /**< shown in the actions menu */
    kiln_admin_action_fn fn;
    /* private: set by kiln_admin_action_add */
    struct kiln_admin_action *next;
} kiln_admin_action;

/**
 * Registers a (static storage) for its model. Call before the server
 * starts; KILN_ADMIN_ACTION does it from a constructor. An action of the
 * same model and name replaces the first; "delete" is the admin's own and
 * cannot be replaced.
 */
void kiln_admin_action_add(kiln_admin_action *a);

/**
 * Defines action NAME of model MODEL, shown as LABEL, followed by its
 * body: `KILN_ADMIN_ACTION(task, mark_done, "Mark as done") { ... }`. The
 * body sees c, db, ids and n.
 */
#define KILN_ADMIN_ACTION(MODEL, NAME, LABEL)                                  \
    static int kiln_admin_fn_##MODEL##_##NAME(kiln_ctx *c, kiln_dbc *db,       \
                                              const int64_t *ids, size_t n);   \
    static kiln_admin_action kiln_admin_act_##MODEL##_##NAME = {               \
        #MODEL, #NAME, LABEL, kiln_admin_fn_##MODEL##_##NAME, NULL};           \
    __attribute__((constructor)) static void kiln_admin_reg_##MODEL##_##NAME(  \
        void)                                                                  \
    {                                                                          \
        kiln_admin_action_add(&kiln_admin_act_##MODEL##_##NAME);               \
    }                                                                          \
    static int kiln_admin_fn_##MODEL##_##NAME(kiln_ctx *c, kiln_dbc *db,       \
                                              const int64_t *ids, size_t n)

#ifdef __cplusplus
}
#endif
#endif
