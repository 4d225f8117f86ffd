/* POST /api/flash?text=...: queues a flash message and redirects to the
   page that shows them. */
#include <kiln.h>

KILN_POST(flash)
{
    kiln_str text = kiln_query(c, "text");
    int rc = kiln_flash(c, "success", "%s", text.p ? text.p : "saved");
    if (rc)
        return kiln_problem(c, 500, "%s", kiln_strerror(rc));
    return kiln_redirect(c, 303, "/messages");
}
