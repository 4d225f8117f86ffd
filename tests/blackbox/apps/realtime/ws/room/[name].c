/* /ws/room/{name}: a room that greets the client by the room's name
   and the subprotocol agreed, then repeats each message with a count. */
#include <kiln.h>

KILN_WS(room)
{
    if (kiln_ws_accept(ws, "room.v1") != 0)
        return KILN_EIO;
    kiln_str name = kiln_param(c, "name");
    const char *proto = kiln_ws_protocol(ws);
    if (kiln_ws_send_json(ws, "{room:%S,protocol:%s}", name,
                          proto ? proto : "none") != 0)
        return 0;
    kiln_ws_msg m;
    for (long n = 1; kiln_ws_recv(ws, &m) == 0; n++)
        if (kiln_ws_send_json(ws, "{n:%ld,text:%S}", n, m.data) != 0)
            break;
    return 0;
}
