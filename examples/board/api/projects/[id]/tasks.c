/* GET /api/projects/{id}/tasks?status=doing&limit=20 */
#include <kiln.h>

#include "models.h"

KILN_GET(project_tasks)
{
    const ProjectTasks *in = project_tasks_input(c); /* already valid */
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    Project p;
    int rc = project_get(db, in->path.id, &p);
    if (rc)
        return project_fail(c, db, rc); /* 404 */
    kiln_filter f[1];
    kiln_list_opts o = {.filters = f, .limit = in->query.limit};
    if (in->query.has_status)
        f[o.nfilters++] = (kiln_filter){
            "status", KILN_OP_EQ,
            KILN_TEXT(
                task_model.fields[TASK_F_STATUS].values[in->query.status])};
    TaskList tasks;
    rc = task_list_by_project(db, p.id, &o, &tasks);
    return rc ? task_fail(c, db, rc) : task_list_send(c, 200, &tasks);
}
