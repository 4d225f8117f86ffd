/* folder's row rule: a staff user sees the folders they own; a superuser
   every folder. Two users show the other ways a hook may end: "grumpy"
   is answered 403 by the hook itself, "broken" makes it fail. */
#include <kiln.h>

#include <string.h>

#include "models.h"

static int own_folders(kiln_ctx *c, kiln_api_where *w)
{
    const kiln_user *u = kiln_user_current(c);
    if (u && u->superuser)
        return 0; /* no condition: every row */
    if (u && strcmp(u->username, "grumpy") == 0) {
        kiln_problem(c, 403, "grumpy may not see folders");
        return 1;
    }
    if (u && strcmp(u->username, "broken") == 0)
        return KILN_EINVAL;
    w->sql = "owner = $1";
    w->params[0] = KILN_INT(u ? u->id : 0);
    w->nparams = 1;
    return 0;
}

KILN_API_HOOKS(folder) = {.query = own_folders};
