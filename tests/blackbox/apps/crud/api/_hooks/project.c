/* Projects named "hidden..." are left out of lists, and of a task's
   ?expand=project (null there). */
#include <kiln.h>

static int visible(kiln_ctx *c, kiln_api_where *w)
{
    (void)c;
    w->sql = "name NOT LIKE $1";
    w->params[0] = KILN_TEXT("hidden%");
    w->nparams = 1;
    return 0;
}

KILN_API_HOOKS(project) = {.query = visible};
