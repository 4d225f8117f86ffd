/* pages/_board.c - helpers of the board's pages (see _board.h). */
#include "pages/_board.h"

int board_go(kiln_ctx *c, const char *to)
{
    if (!to)
        return KILN_ENOMEM;
    kiln_str hx = kiln_header(c, "HX-Request");
    if (hx.p && kiln_str_ieq_c(hx, "true")) {
        kiln_set_header(c, "HX-Redirect", to);
        return kiln_respond(c, 204, NULL, "", 0);
    }
    return kiln_redirect(c, 303, to);
}
