/* The hooks of /api/notes: each refuses a write after the row was written
   and its audit entry recorded, so the whole transaction rolls back. */
#include <kiln.h>

#include "models.h"

/* A title "boom" is refused (422 on /title) once written. */
static int refuse_boom(kiln_ctx *c, kiln_dbc *db, void *row, kiln_errors *errs)
{
    (void)c;
    (void)db;
    const Note *n = row;
    if (kiln_str_eq(n->title, KILN_STR("boom")))
        kiln_errors_add(errs, "/title", "refused", "this title is refused");
    return 0;
}

/* A note titled "keep" cannot be deleted: refused after the DELETE. */
static int keep(kiln_ctx *c, kiln_dbc *db, void *row, kiln_errors *errs)
{
    (void)db;
    (void)errs;
    const Note *n = row;
    if (kiln_str_eq(n->title, KILN_STR("keep"))) {
        kiln_problem(c, 403, "this note is kept");
        return 1;
    }
    return 0;
}

KILN_API_HOOKS(note) = {
    .after_create = refuse_boom,
    .after_update = refuse_boom,
    .after_delete = keep,
};
