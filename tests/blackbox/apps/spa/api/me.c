/* GET /api/me: who the session cookie says the caller is (the SPA's
 * credentialed call; "anonymous" without the cookie). PUT /api/me: a
 * method a page on another origin must ask for in a preflight. */
#include <kiln.h>

KILN_GET(me)
{
    kiln_str sid = kiln_cookie(c, "sid");
    kiln_set_header(c, "X-Request-Cost", "1");
    return kiln_jsonf(c, 200, "{user: %S}",
                      sid.p ? sid : KILN_STR("anonymous"));
}

KILN_PUT(rename_me)
{
    return kiln_jsonf(c, 200, "{renamed: %b}", 1);
}
