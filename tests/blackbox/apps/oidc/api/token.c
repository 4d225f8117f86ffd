/* GET /api/token: the session's access token of the provider
   (kiln_oidc_access_token, refreshed when close to its end). */
#include <kiln.h>

KILN_GET(token)
{
    kiln_str t;
    int rc = kiln_oidc_access_token(c, &t);
    if (rc)
        return kiln_problem(c, 401, "no access token: %s", kiln_strerror(rc));
    return kiln_jsonf(c, 200, "{access_token: %S}", t);
}
