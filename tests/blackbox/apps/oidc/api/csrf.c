/* GET /api/csrf: the session's CSRF token (for POST /auth/oidc/logout). */
#include <kiln.h>

KILN_GET(csrf)
{
    return kiln_jsonf(c, 200, "{token: %S}", kiln_csrf_token(c));
}
