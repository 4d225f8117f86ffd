/* The form of pages/form.html: POST /form stores the note, flashes a
   message and redirects to /messages (post, redirect, get). */
#include <kiln.h>

KILN_POST(save)
{
    kiln_str note = kiln_form(c, "note");
    if (!note.p)
        return kiln_problem(c, 400, "note is missing");
    int rc = kiln_session_set(c, "note", note);
    if (rc == 0)
        rc = kiln_flash(c, "info", "Saved %s.", note.p);
    if (rc)
        return kiln_problem(c, 500, "%s", kiln_strerror(rc));
    return kiln_redirect(c, 303, "/messages");
}
