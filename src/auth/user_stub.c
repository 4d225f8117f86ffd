/*
 * auth/user_stub.c - TEMPORARY, until the users part of issue 13
 * (branch wt-users: identity.c, user.c) lands: nobody is ever logged in.
 * Deleted by the merge that brings kiln_user_current's real definition.
 */
#include <kiln/auth.h>

#include <string.h>

const kiln_user *kiln_user_current(kiln_ctx *c)
{
    (void)c;
    return NULL;
}

int kiln_auth_challenge(kiln_ctx *c, const char *detail)
{
    kiln_set_header(c, "WWW-Authenticate", "Bearer");
    return kiln_problem(c, 401, "%s", detail ? detail : "log in first");
}

bool kiln_user_has_role(const kiln_user *u, const char *role)
{
    for (size_t i = 0; u && role && i < u->nroles; i++)
        if (strcmp(u->roles[i], role) == 0)
            return true;
    return false;
}
