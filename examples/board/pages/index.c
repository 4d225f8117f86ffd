/*
 * GET / lists the projects the user may see (board_members_only) with their
 * open tasks; POST / creates one (project.add: an admin). A name already
 * taken or too long re-renders the form with its error (422). Nobody sees
 * anything without logging in (kiln_login_required).
 */
#include <kiln.h>

#include "pages/_board.h"
#include "models.h"
#include "routes.h"

KILN_LOAD(load_projects)
{
    if (kiln_login_required(c))
        return 0; /* a browser goes to /login?next=/ */
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    /* the projects the user is a member of (all for an admin), as in the
       API (board_members_only) */
    kiln_list_opts o = {0};
    kiln_api_where w;
    int rc = board_only_mine(c, &o, &w, "id");
    if (rc)
        return rc;
    ProjectList projects;
    rc = project_list(db, &o, &projects);
    if (rc)
        return project_fail(c, db, rc);
    /* open tasks per project: plain SQL beside the generated calls */
    kiln_rows *r = kiln_db_query(db, "SELECT project_id, count(*) FROM task "
                                     "WHERE status <> 'done' GROUP BY "
                                     "project_id");
    if (!r)
        return kiln_db_fail(c, db);
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value counts = kiln_value_map(a);
    while (kiln_rows_next(r)) {
        char *id = kiln_arena_printf(a, "%lld", (long long)kiln_row_int(r, 0));
        if (!id ||
            kiln_value_set(counts, id, kiln_value_int(kiln_row_int(r, 1))))
            return KILN_ENOMEM;
    }
    if (kiln_rows_error(r) < 0)
        return kiln_db_fail(c, db);
    kiln_value_set(ctx, "counts", counts);
    return kiln_value_set(ctx, "projects", project_list_value(&projects, a));
}

KILN_POST(create_project)
{
    if (kiln_login_required(c) || kiln_require(c, "project.add"))
        return 0; /* answered: the login page, 401 or 403 */
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    Project p;
    kiln_errors errs;
    kiln_errors_init(&errs, kiln_ctx_arena(c));
    int rc = project_decode(c, db, KILN_DECODE_CREATE, &p, NULL, &errs);
    if (rc == KILN_EINVAL)
        return kiln_page_invalid(c, &errs);
    if (rc)
        return 0; /* not a form: answered */
    rc = project_insert(db, &p);
    if (rc == KILN_EDB &&
        kiln_db_violation_of(db, NULL) == KILN_DB_VIOLATION_UNIQUE) {
        kiln_errors_add(&errs, "/name", "unique",
                        "There is a project of that name already.");
        return kiln_page_invalid(c, &errs);
    }
    if (rc)
        return project_fail(c, db, rc);
    return board_go(c, url_project(c, p.id));
}
