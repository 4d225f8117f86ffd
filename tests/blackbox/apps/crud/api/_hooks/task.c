/* The hooks of the generated /api/tasks (kiln/api.h). */
#include <kiln.h>

#include "models.h"

/* A title "forbidden" is refused with a 422 on /title. */
static int check_title(kiln_ctx *c, kiln_dbc *db, void *row, kiln_errors *errs)
{
    (void)c;
    (void)db;
    const Task *t = row;
    if (kiln_str_eq(t->title, KILN_STR("forbidden")))
        kiln_errors_add(errs, "/title", "refused", "this title is refused");
    return 0;
}

/* An update sees the whole row (a PATCH merged into the current one): a
   done task needs notes, however the fields were sent. */
static int check_update(kiln_ctx *c, kiln_dbc *db, void *row, kiln_errors *errs)
{
    const Task *t = row;
    if (t->status == TASK_STATUS_DONE && !t->has_notes)
        kiln_errors_add(errs, "/notes", "required", "a done task needs notes");
    return check_title(c, db, row, errs);
}

/* A task titled "keep" cannot be deleted: the hook answers 403 itself. */
static int keep(kiln_ctx *c, kiln_dbc *db, void *row, kiln_errors *errs)
{
    (void)db;
    (void)errs;
    const Task *t = row;
    if (kiln_str_eq(t->title, KILN_STR("keep"))) {
        kiln_problem(c, 403, "this task is kept");
        return 1;
    }
    return 0;
}

/* Tasks whose title starts with "hidden" are never listed nor found. */
static int visible(kiln_ctx *c, kiln_api_where *w)
{
    (void)c;
    w->sql = "title NOT LIKE $1";
    w->params[0] = KILN_TEXT("hidden%");
    w->nparams = 1;
    return 0;
}

KILN_API_HOOKS(task) = {
    .before_create = check_title,
    .before_update = check_update,
    .before_delete = keep,
    .query = visible,
};
