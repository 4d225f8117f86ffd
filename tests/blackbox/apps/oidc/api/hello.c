/* GET /api/hello: who is asking, or 401 with the bearer challenge. */
#include <kiln.h>
#include <kiln/auth.h>

KILN_GET(hello)
{
    const kiln_user *u = kiln_user_current(c);
    if (!u)
        return kiln_auth_challenge(c, NULL);
    return kiln_jsonf(c, 200, "{hello: %s, via: %d}", u->subject,
                      (int)kiln_auth_via_of(c));
}
