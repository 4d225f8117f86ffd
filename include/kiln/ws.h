/*
 * kiln/ws.h - WebSockets (RFC 6455): a handler takes over its request's
 * connection and then receives and sends messages in straight-line code,
 * in the request's coroutine (a receive that waits yields; the worker
 * serves others meanwhile):
 *
 *   // ws/echo.c  ->  ws://HOST/ws/echo
 *   #include <kiln.h>
 *
 *   KILN_WS(echo)
 *   {
 *       kiln_ws_msg m;
 *       while (kiln_ws_recv(ws, &m) == 0)
 *           if (kiln_ws_send(ws, m.type, m.data.p, m.data.n) != 0)
 *               break;
 *       return 0;                 // closes with 1000 if still open
 *   }
 *
 * A plain libkiln app routes one with kiln_route_ws(app, "/ws/echo", echo)
 * where echo is int echo(kiln_ctx *c, kiln_ws *ws).
 *
 * Before the handler runs, Kiln checks the opening handshake (RFC 6455
 * section 4.2.1) and answers a request that fails it: 426 (with
 * Sec-WebSocket-Version: 13) for a request that is not a WebSocket
 * upgrade or asks for another version, 400 for a bad Sec-WebSocket-Key,
 * a body, or a malformed extension list, 403 for an Origin that
 * ws.allowed_origins does not allow (cross-site WebSocket hijacking). The
 * handler may still refuse with a normal HTTP answer (kiln_problem(c, 401,
 * ...)) before its first kiln_ws_* call; that call, or kiln_ws_accept,
 * sends 101 Switching Protocols.
 *
 * What Kiln does for the handler: Pings are answered; a Ping is sent when
 * nothing arrived for ws.ping_interval_ms, and a connection that receives
 * nothing for ws.idle_timeout_ms is closed (1001); messages are assembled
 * from fragments and text is checked as UTF-8 (1007); a message larger
 * than ws.max_message closes the connection (1009); any protocol error
 * closes with its code (1002) and never stalls the worker; the close
 * handshake is completed both ways; permessage-deflate (RFC 7692) is used
 * when the client offers it and ws.deflate is on. Sending never waits: a
 * message goes to the connection's send queue, and a peer that does not
 * read it fast enough, so that more than ws.max_send_queue bytes wait, is
 * closed (1008, or 1013 with ws.overflow = "retry"). An idle WebSocket
 * holds no buffers.
 *
 * Threads: a kiln_ws belongs to the worker thread that accepted it. Any
 * code on that worker (its handler, another request's coroutine, a loop
 * callback) may send to it; another thread posts to the worker instead
 * (see docs/realtime.md).
 */
#ifndef KILN_WS_H
#define KILN_WS_H

#include "app.h"
#include "http.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An upgraded connection. Lives in its request's arena until the handler
    returns; opaque. */
typedef struct kiln_ws kiln_ws;

/** Message types. */
enum kiln_ws_type {
    KILN_WS_TEXT = 1,   /**< UTF-8 text (checked on receipt and on send) */
    KILN_WS_BINARY = 2, /**< bytes */
    KILN_WS_PUB = 3,    /**< received only: a publication to a topic the
                             request subscribed to (kiln/pubsub.h), not a
                             message of the client */
    KILN_WS_GAP = 4     /**< received only: publications were lost here
                             (see kiln_pub_msg's lost) */
};

/**
 * A received message: the client's (TEXT, BINARY) or, once the handler
 * subscribed to topics (kiln_subscribe), a publication (PUB) or the news
 * that some were lost (GAP), so one loop serves both without threads:
 *
 *   kiln_subscribe(c, "room:lobby");
 *   while (kiln_ws_recv(ws, &m) == 0)
 *       if (m.type == KILN_WS_PUB)           // to this client
 *           kiln_ws_send(ws, KILN_WS_TEXT, m.data.p, m.data.n);
 *       else if (m.type == KILN_WS_TEXT)     // from it, to everyone
 *           kiln_publish("room:lobby", m.data.p, m.data.n);
 *
 * When both wait, they alternate: neither side starves the other.
 */
typedef struct kiln_ws_msg {
    int type;       /**< KILN_WS_TEXT, KILN_WS_BINARY, KILN_WS_PUB or
                         KILN_WS_GAP */
    kiln_str data;  /**< the payload (inflated, unmasked, assembled from its
                         fragments), or the publication's bytes: valid until
                         the next kiln_ws_recv */
    kiln_str topic; /**< PUB: the publication's topic; else empty */
    uint64_t lost;  /**< GAP: publications lost (0: unknown, the pub/sub
                         backend reconnected); else 0 */
} kiln_ws_msg;

/** A WebSocket handler: returns 0, or a negative KILN_E* code (logged, and
    the connection closed with 1011 if still open). */
typedef int (*kiln_ws_handler)(kiln_ctx *c, kiln_ws *ws);

/**
 * Routes GET pattern (kiln_route's syntax) to the WebSocket handler h:
 * the handshake is checked first (see above), then h runs. kiln routes
 * lists it as "WS". The route's kiln_route_data is Kiln's. Returns what
 * kiln_route returns, or KILN_ENOMEM.
 */
int kiln_route_ws(kiln_app *app, const char *pattern, kiln_ws_handler h);

/**
 * Checks c's request as an opening handshake and returns its WebSocket,
 * not yet accepted (the request's arena owns it), or NULL after
 * answering a request that fails (400, 403, 426; see above) or when out
 * of memory (503). A GET handler may call it to upgrade only some
 * requests; kiln_route_ws and KILN_WS call it for theirs.
 */
kiln_ws *kiln_ws_start(kiln_ctx *c);
/** kiln_ws_start, then h(c, ws) when it succeeds; returns h's result (0
    when the handshake was refused: that is answered). */
int kiln_ws_serve(kiln_ctx *c, kiln_ws_handler h);

/**
 * Accepts the upgrade: sends 101 Switching Protocols with the handler's
 * headers (kiln_set_header, e.g. a cookie), the negotiated extension, and
 * the subprotocol: the first of the client's Sec-WebSocket-Protocol list
 * that protocols (comma-separated, e.g. "chat.v2, chat.v1"; NULL for
 * none) names. Without a match the connection opens with no subprotocol
 * (the client decides whether that will do). Returns 0, KILN_ESTATE when
 * already accepted or the request was answered otherwise, KILN_ENOMEM.
 * The first receive or send accepts with no subprotocol when the handler
 * has not.
 */
int kiln_ws_accept(kiln_ws *ws, const char *protocols);
/** The subprotocol agreed by kiln_ws_accept, or NULL. Valid until the
    handler returns. */
const char *kiln_ws_protocol(kiln_ws *ws);
/** The request the WebSocket was opened by (headers, params, cookies stay
    readable for the whole connection). */
kiln_ctx *kiln_ws_ctx(kiln_ws *ws);

/**
 * Waits for the next message (yielding the coroutine) and views it in
 * *m: the client's, or a publication to the request's subscriptions
 * (KILN_WS_PUB, KILN_WS_GAP). Returns 0, or KILN_ECLOSED once the
 * connection is closing or closed
 * (the peer's Close, a protocol error, the idle timeout, the client gone,
 * an overflowing send queue; kiln_ws_close_code says which), or
 * KILN_ECANCELED when the server shuts down (the connection was closed
 * with 1001). Pings, Pongs and Close frames never come out here.
 */
int kiln_ws_recv(kiln_ws *ws, kiln_ws_msg *m);
/** kiln_ws_recv waiting at most timeout_ms (-1: no limit): KILN_ETIMEDOUT
    when nothing came, the connection still open. */
int kiln_ws_recv_timeout(kiln_ws *ws, kiln_ws_msg *m, int64_t timeout_ms);

/**
 * Sends one message of type KILN_WS_TEXT or KILN_WS_BINARY (compressed
 * when permessage-deflate is on and it is large enough to gain). Never
 * waits: the message is written now or queued. Returns 0; KILN_EINVAL for
 * text that is not UTF-8, a bad type, or while kiln_ws_send_part has a
 * message open; KILN_ECLOSED when the connection is closing or closed,
 * including when this message took the send queue past ws.max_send_queue
 * (the connection is then closed with 1008, or 1013); KILN_ENOMEM.
 */
int kiln_ws_send(kiln_ws *ws, int type, const void *p, size_t n);
/** kiln_ws_send of a NUL-terminated text. */
int kiln_ws_send_text(kiln_ws *ws, const char *s);
/** Sends a text message of JSON built by kiln_json_format's rules
    ("{id:%d,name:%s}"); as kiln_ws_send, or KILN_EINVAL for a bad format. */
int kiln_ws_send_json(kiln_ws *ws, const char *fmt, ...);
/**
 * Sends a message in fragments: the first call gives the type, the ones
 * after continue it, the one with last true ends it (each call is one
 * frame, never compressed). No other message may be sent until it ends.
 * Text is checked as UTF-8 across the fragments. Errors as kiln_ws_send.
 */
int kiln_ws_send_part(kiln_ws *ws, int type, const void *p, size_t n,
                      bool last);

/**
 * Starts the closing handshake: sends Close with code (1000 to 1003, 1007
 * to 1014 or 3000 to 4999; 0 sends none) and reason (UTF-8, at most 123
 * bytes; NULL for none). Messages that arrive after are dropped;
 * kiln_ws_recv returns KILN_ECLOSED. The handler's return waits (a few
 * seconds at most) for the peer's Close. Returns 0, KILN_EINVAL for a bad
 * code or reason, KILN_ESTATE when already closing.
 */
int kiln_ws_close(kiln_ws *ws, int code, const char *reason);
/**
 * Why the connection closed: the peer's close code (1005 when its Close
 * had none), the code Kiln closed with (1002, 1007, 1009, 1001 for the
 * idle timeout or shutdown, 1008/1013 for the send queue), 1006 when the
 * connection ended without a Close, or 0 while open.
 */
int kiln_ws_close_code(kiln_ws *ws);
/** The peer's close reason (empty when none). Valid until the handler
    returns. */
kiln_str kiln_ws_close_reason(kiln_ws *ws);

/** Bytes queued to send (0 when the peer has everything). */
size_t kiln_ws_queued(kiln_ws *ws);
/**
 * Waits (yielding) until the send queue is empty, timeout_ms passes (-1:
 * no limit) or the connection closes: lets a handler that produces a lot
 * go at its reader's pace. Returns 0, KILN_ETIMEDOUT, KILN_ECLOSED,
 * KILN_ECANCELED.
 */
int kiln_ws_drain(kiln_ws *ws, int64_t timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
