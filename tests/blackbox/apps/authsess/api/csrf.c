/* GET /api/csrf: the request's CSRF token (an anonymous session is made
   for it when there is none). */
#include <kiln.h>

KILN_GET(token)
{
    kiln_str t = kiln_csrf_token(c);
    if (!t.p)
        return kiln_problem(c, 500, "no token");
    return kiln_jsonf(c, 200, "{token:%S}", t);
}
