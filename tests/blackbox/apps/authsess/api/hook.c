/* POST /api/hook: a webhook, exempt from the CSRF check (api/hook.toml). */
#include <kiln.h>

KILN_POST(hook)
{
    return kiln_jsonf(c, 200, "{hooked:true}");
}
