/*
 * api/_hooks/task_admin.c - an action of the admin's task list
 * (docs/admin.md, "Deletes and actions"): the selected tasks marked done,
 * in one transaction, with the boards showing them told.
 */
#include "pages/_board.h"
#include "models.h"

KILN_ADMIN_ACTION(task, mark_done, "Mark as done")
{
    for (size_t i = 0; i < n; i++) {
        Task t;
        int rc = task_get(db, ids[i], &t);
        if (rc == KILN_ENOTFOUND)
            continue;
        if (rc != 0)
            return rc;
        t.status = TASK_STATUS_DONE;
        if ((rc = task_update(db, &t)) != 0)
            return rc;
        board_changed(c, t.project, t.id, "changed");
    }
    return 0;
}
