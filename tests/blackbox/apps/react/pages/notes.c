/* POST /notes: a form action, which a static export cannot answer. */
#include <kiln.h>

KILN_POST(add_note)
{
    return kiln_redirect(c, 303, "/notes");
}
