/* POST /api/everywhere: logs the request's user out of every session. */
#include <kiln.h>

KILN_POST(everywhere)
{
    int64_t user = kiln_session_user(c);
    if (!user)
        return kiln_problem(c, 401, "not logged in");
    int n = kiln_session_logout_all(c, user);
    if (n < 0)
        return kiln_problem(c, 500, "%s", kiln_strerror(n));
    return kiln_jsonf(c, 200, "{ended:%d}", n);
}
