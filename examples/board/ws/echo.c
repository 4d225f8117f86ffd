/*
 * /ws/echo: a WebSocket that sends every text and binary message back
 * unchanged - the standard conformance target (Autobahn and the like), and
 * the first piece of the board's live updates (docs/realtime.md).
 */
#include <kiln.h>

KILN_WS(echo)
{
    kiln_ws_msg m;
    while (kiln_ws_recv(ws, &m) == 0)
        if (kiln_ws_send(ws, m.type, m.data.p, m.data.n) != 0)
            break;
    return 0;
}
