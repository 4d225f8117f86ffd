/* GET /api/ping: the test's sign that the app is up. */
#include <kiln.h>

KILN_GET(ping)
{
    return kiln_jsonf(c, 200, "{ok: %b}", 1);
}
