/*
 * api/_hooks/project.c - the generated project API (/api/projects) shows
 * a user only the projects it is a member of (an admin sees all): the
 * row-level rule, on the list and retrieve query hook (kiln/api.h). A
 * project hidden from a user is a 404 to it, never a 403.
 */
#include "pages/_board.h"

static int members_only(kiln_ctx *c, kiln_api_where *w)
{
    return board_members_only(c, w, "id");
}

KILN_API_HOOKS(project) = {.query = members_only};
