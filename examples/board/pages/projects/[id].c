/*
 * /projects/{id}: the board of a project, its tasks in three columns.
 *   GET    the board
 *   POST   a new task (the form below the board; 422 with its errors)
 *   PATCH  task=ID&status=S moves a task to another column; an HTMX
 *          request gets the board block back
 * Every method needs a logged-in user (kiln_login_required), a project the
 * user may see (board_may_see: else 404) and, to change it, the permission
 * (task.add, task.change: a viewer gets 403).
 * A change is published to the project's watchers (board_changed): their
 * pages fetch the board again (api/projects/[id]/events.c).
 */
#include <kiln.h>

#include "pages/_board.h"
#include "models.h"
#include "routes.h"

KILN_NAME("project");

/* The project of the page: 404 when it does not exist or the user may not
   see it (board_may_see); 0 when it may, else answered (returns 1). */
static int this_project(kiln_ctx *c, kiln_dbc *db, int64_t id, Project *p)
{
    int rc = board_may_see(c, db, id);
    if (rc == 0)
        rc = project_get(db, id, p);
    if (rc == 0)
        return 0;
    project_fail(c, db, rc);
    return 1;
}

KILN_LOAD(load_board)
{
    if (kiln_login_required(c))
        return 0;
    int64_t id;
    if (!kiln_param_id(c, "id", &id))
        return 0; /* 404 answered */
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    kiln_arena *a = kiln_ctx_arena(c);
    Project p;
    if (this_project(c, db, id, &p))
        return 0;
    TaskList tasks;
    TagList tags;
    int rc = task_list_by_project(db, id, NULL, &tasks);
    if (rc == 0)
        rc = tag_list(db, NULL, &tags);
    if (rc)
        return task_fail(c, db, rc);
    /* three columns, in the order of the status enum */
    const kiln_field *status = &task_model.fields[TASK_F_STATUS];
    static const char *const labels[] = {"To do", "Doing", "Done"};
    kiln_value columns = kiln_value_list(a), statuses = kiln_value_list(a),
               status_labels = kiln_value_map(a);
    for (uint32_t s = 0; s < status->nvalues; s++) {
        kiln_value col = kiln_value_map(a), in = kiln_value_list(a);
        for (size_t i = 0; i < tasks.n; i++)
            if ((uint32_t)tasks.v[i].status == s &&
                kiln_value_push(in, task_value(&tasks.v[i], a)) != 0)
                return KILN_ENOMEM;
        kiln_value_set(col, "status", kiln_value_cstr(status->values[s]));
        kiln_value_set(col, "label", kiln_value_cstr(labels[s]));
        kiln_value_set(col, "tasks", in);
        if (kiln_value_push(columns, col) ||
            kiln_value_push(statuses, kiln_value_cstr(status->values[s])) ||
            kiln_value_set(status_labels, status->values[s],
                           kiln_value_cstr(labels[s])))
            return KILN_ENOMEM;
    }
    kiln_value tag_names = kiln_value_map(a);
    for (size_t i = 0; i < tags.n; i++) {
        char *key = kiln_arena_printf(a, "%lld", (long long)tags.v[i].id);
        if (!key ||
            kiln_value_set(tag_names, key, kiln_value_str(tags.v[i].name)))
            return KILN_ENOMEM;
    }
    kiln_value user_names, users;
    rc = board_users(db, a, &user_names, &users);
    if (rc)
        return task_fail(c, db, rc);
    kiln_value_set(ctx, "user_names", user_names);
    kiln_value_set(ctx, "users", users);
    kiln_value_set(ctx, "project", project_value(&p, a));
    kiln_value_set(ctx, "columns", columns);
    kiln_value_set(ctx, "statuses", statuses);
    kiln_value_set(ctx, "status_labels", status_labels);
    return kiln_value_set(ctx, "tag_names", tag_names);
}

KILN_POST(add_task)
{
    if (kiln_login_required(c) || kiln_require(c, "task.add"))
        return 0; /* the login page, 401 or 403 (a viewer) */
    int64_t id;
    if (!kiln_param_id(c, "id", &id))
        return 0;
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    Project p;
    if (this_project(c, db, id, &p))
        return 0;
    Task t;
    kiln_errors errs;
    kiln_errors_init(&errs, kiln_ctx_arena(c));
    int rc = task_decode(c, db, KILN_DECODE_CREATE, &t, NULL, &errs);
    if (rc == KILN_EINVAL)
        return kiln_page_invalid(c, &errs);
    if (rc)
        return 0;   /* not a form: answered */
    t.project = id; /* the page's project, whatever the form said */
    rc = task_insert(db, &t);
    if (rc)
        return task_fail(c, db, rc);
    board_changed(c, id, t.id, "added");
    return board_go(c, url_project(c, id));
}

KILN_PATCH(move_task)
{
    if (kiln_login_required(c) || kiln_require(c, "task.change"))
        return 0;
    int64_t id, task;
    if (!kiln_param_id(c, "id", &id))
        return 0;
    kiln_errors errs;
    kiln_errors_init(&errs, kiln_ctx_arena(c));
    if (kiln_str_to_i64(kiln_form(c, "task"), &task) != 0)
        return kiln_problem(c, 400, "task is a task's id");
    /* status through the model's own validation (a PATCH of one field) */
    kiln_form_field f = {KILN_STR("status"), kiln_form(c, "status"), NULL};
    kiln_decode_opts o = {.mode = KILN_DECODE_PATCH};
    Task t;
    kiln_fieldset given;
    int rc = kiln_decode_form(&task_model, &f, 1, &o, kiln_ctx_arena(c), &t,
                              &given, &errs);
    if (rc == KILN_EINVAL)
        return kiln_problem_errors(c, 422, &errs, NULL);
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    Project p;
    if (this_project(c, db, id, &p))
        return 0;
    Task old;
    rc = task_get(db, task, &old);
    if (rc == 0 && old.project != id)
        rc = KILN_ENOTFOUND; /* not a task of this board */
    if (rc)
        return task_fail(c, db, rc);
    t.id = task;
    rc = task_patch(db, &t, &given);
    if (rc)
        return task_fail(c, db, rc);
    board_changed(c, id, task, "moved");
    /* the page again: an HTMX request (HX-Target: board) gets the board */
    return kiln_page_render(c, kiln_value_null(), 200);
}
