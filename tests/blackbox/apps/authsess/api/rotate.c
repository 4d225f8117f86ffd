/* POST /api/rotate: a new session id, same user and data. */
#include <kiln.h>

KILN_POST(rotate)
{
    int rc = kiln_session_rotate(c);
    return rc ? kiln_problem(c, 500, "%s", kiln_strerror(rc))
              : kiln_jsonf(c, 200, "{user:%lld}",
                           (long long)kiln_session_user(c));
}
