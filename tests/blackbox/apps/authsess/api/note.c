/* POST /api/note (a form or JSON-less body with note=...): stores the
   value in the session (making an anonymous one when there is none). */
#include <kiln.h>

KILN_POST(note)
{
    kiln_str v = kiln_form(c, "note");
    if (!v.p)
        v = kiln_query(c, "note");
    if (!v.p)
        return kiln_problem(c, 400, "note= is missing");
    int rc = kiln_session_set(c, "note", v);
    return rc ? kiln_problem(c, 500, "%s", kiln_strerror(rc))
              : kiln_jsonf(c, 200, "{note:%s}", v.p);
}
