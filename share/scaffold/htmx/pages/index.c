/*
 * GET / lists the notes; POST / adds one from the page's form. A form the
 * model refuses (no title, one too long) is shown again with its errors
 * (422); htmx swaps in just the form's block (docs/forms.md, "HTMX").
 */
#include <kiln.h>

#include "models.h"

KILN_LOAD(load_notes)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    NoteList notes;
    kiln_list_opts o = {.limit = 100};
    int rc = note_list(db, &o, &notes);
    if (rc)
        return note_fail(c, db, rc);
    return kiln_value_set(ctx, "notes",
                          note_list_value(&notes, kiln_ctx_arena(c)));
}

KILN_POST(add_note)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    Note n;
    kiln_errors errs;
    kiln_errors_init(&errs, kiln_ctx_arena(c));
    int rc = note_decode(c, db, KILN_DECODE_CREATE, &n, NULL, &errs);
    if (rc == KILN_EINVAL)
        return kiln_page_invalid(c, &errs); /* 422: the form, its errors */
    if (rc)
        return 0; /* not a form: answered */
    rc = note_insert(db, &n);
    if (rc)
        return note_fail(c, db, rc);
    /* htmx follows the 303 with its headers: the block comes back */
    return kiln_redirect(c, 303, "/");
}
