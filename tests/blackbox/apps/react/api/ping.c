/* GET /api/ping: the app is up. */
#include <kiln.h>

KILN_GET(ping)
{
    return kiln_text(c, 200, "pong");
}
