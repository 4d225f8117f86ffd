/* GET /api/ping: answers at once (the worker stays free while a render
 * waits for the sidecar). */
#include <kiln.h>

KILN_GET(ping)
{
    return kiln_text(c, 200, "pong");
}
