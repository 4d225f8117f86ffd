/* The props of pages/account.tsx: the user, or a redirect to log in. */
#include <kiln.h>

KILN_LOAD(load_account)
{
    const kiln_user *u = kiln_user_current(c);
    if (!u)
        return kiln_redirect(c, 303, "/login?next=/account");
    return kiln_value_set(ctx, "name", kiln_value_str(kiln_str_c(u->username)));
}
