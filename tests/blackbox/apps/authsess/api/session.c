/* The session API driven by the tests: POST /api/session?user=N logs in,
   GET shows the session, DELETE logs out. */
#include <kiln.h>

KILN_GET(show)
{
    kiln_str note = kiln_session_get(c, "note");
    return kiln_jsonf(c, 200, "{user:%lld,note:%s}",
                      (long long)kiln_session_user(c), note.p ? note.p : "");
}

KILN_POST(login)
{
    int64_t user = kiln_query_int(c, "user", 0);
    int rc = kiln_session_login(c, user);
    if (rc)
        return kiln_problem(c, rc == KILN_EINVAL ? 400 : 500, "login: %s",
                            kiln_strerror(rc));
    return kiln_jsonf(c, 200, "{user:%lld}", (long long)user);
}

KILN_DELETE(logout)
{
    int rc = kiln_session_logout(c);
    return rc ? kiln_problem(c, 500, "logout: %s", kiln_strerror(rc))
              : kiln_respond(c, 204, NULL, "", 0);
}
