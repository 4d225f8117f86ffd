/*
 * /tasks/{id}: one task with its comments.
 *   GET     the task
 *   POST    a comment (422 with the form's errors)
 *   DELETE  the task (its comments go with it: on_delete cascade); the
 *           board's watchers are told (board_changed)
 * Every method needs a logged-in user (kiln_login_required) and a task of
 * a project the user may see (board_may_see: else 404); a change needs its
 * permission (comment.add, task.delete: a viewer gets 403).
 */
#include <kiln.h>

#include "pages/_board.h"
#include "models.h"
#include "routes.h"

KILN_NAME("task");

/* Task id, when the user may see its project (board_may_see); else 404
   answered and 1. */
static int this_task(kiln_ctx *c, kiln_dbc *db, int64_t id, Task *t)
{
    int rc = task_get(db, id, t);
    if (rc == 0)
        rc = board_may_see(c, db, t->project);
    if (rc == 0)
        return 0;
    task_fail(c, db, rc);
    return 1;
}

KILN_LOAD(load_task)
{
    if (kiln_login_required(c))
        return 0;
    int64_t id;
    if (!kiln_param_id(c, "id", &id))
        return 0;
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    kiln_arena *a = kiln_ctx_arena(c);
    Task t;
    Project p;
    CommentList comments;
    TagList tags;
    if (this_task(c, db, id, &t))
        return 0;
    int rc = task_project_get(db, &t, &p);
    if (rc == 0)
        rc = comment_list_by_task(db, id, NULL, &comments);
    if (rc == 0)
        rc = task_tags_list(db, id, &tags);
    User who;
    if (rc == 0 && t.has_assignee)
        rc = task_assignee_get(db, &t, &who);
    if (rc)
        return task_fail(c, db, rc);
    if (t.has_assignee)
        kiln_value_set(ctx, "assignee",
                       kiln_value_str(who.name.n ? who.name : who.username));
    kiln_value_set(ctx, "tags", tag_list_value(&tags, a));
    kiln_value_set(ctx, "task", task_value(&t, a));
    kiln_value_set(ctx, "project", project_value(&p, a));
    return kiln_value_set(ctx, "comments", comment_list_value(&comments, a));
}

KILN_POST(add_comment)
{
    if (kiln_login_required(c) || kiln_require(c, "comment.add"))
        return 0;
    int64_t id;
    if (!kiln_param_id(c, "id", &id))
        return 0;
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    Task t;
    if (this_task(c, db, id, &t))
        return 0;
    Comment cm;
    kiln_errors errs;
    kiln_errors_init(&errs, kiln_ctx_arena(c));
    int rc = comment_decode(c, db, KILN_DECODE_CREATE, &cm, NULL, &errs);
    if (rc == KILN_EINVAL)
        return kiln_page_invalid(c, &errs);
    if (rc)
        return 0;
    cm.task = id;
    rc = comment_insert(db, &cm);
    if (rc)
        return comment_fail(c, db, rc);
    return board_go(c, url_task(c, id));
}

KILN_DELETE(delete_task)
{
    if (kiln_login_required(c) || kiln_require(c, "task.delete"))
        return 0;
    int64_t id;
    if (!kiln_param_id(c, "id", &id))
        return 0;
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    Task t;
    if (this_task(c, db, id, &t))
        return 0;
    int rc = task_delete(db, id);
    if (rc)
        return task_fail(c, db, rc);
    board_changed(c, t.project, id, "deleted");
    return board_go(c, url_project(c, t.project));
}
