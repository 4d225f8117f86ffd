/*
 * api/_hooks/task.c - the generated task API (/api/tasks, [api] in
 * models/task.toml) tells the boards' watchers of each change, as the
 * pages' actions do (board_changed): a task made, changed or deleted
 * through the API shows on every open board of its project at once. A
 * user sees only the tasks of its projects (board_members_only).
 */
#include "pages/_board.h"
#include "models.h"

static int created(kiln_ctx *c, kiln_dbc *db, void *row, kiln_errors *errs)
{
    (void)db;
    (void)errs;
    const Task *t = row;
    board_changed(c, t->project, t->id, "added");
    return 0;
}

/* A task moved to another project leaves its old board too. */
static int updating(kiln_ctx *c, kiln_dbc *db, void *row, kiln_errors *errs)
{
    (void)errs;
    const Task *t = row;
    Task old;
    if (task_get(db, t->id, &old) == 0 && old.project != t->project)
        board_changed(c, old.project, t->id, "deleted");
    return 0;
}

static int updated(kiln_ctx *c, kiln_dbc *db, void *row, kiln_errors *errs)
{
    (void)db;
    (void)errs;
    const Task *t = row;
    board_changed(c, t->project, t->id, "changed");
    return 0;
}

static int deleted(kiln_ctx *c, kiln_dbc *db, void *row, kiln_errors *errs)
{
    (void)db;
    (void)errs;
    const Task *t = row;
    board_changed(c, t->project, t->id, "deleted");
    return 0;
}

/* Row level: the tasks of the projects the user is a member of. */
static int members_only(kiln_ctx *c, kiln_api_where *w)
{
    return board_members_only(c, w, "project_id");
}

KILN_API_HOOKS(task) = {.query = members_only,
                        .after_create = created,
                        .before_update = updating,
                        .after_update = updated,
                        .after_delete = deleted};
