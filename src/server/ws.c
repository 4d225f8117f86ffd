/*
 * server/ws.c - WebSockets in the server (kiln/ws.h): the opening
 * handshake checked and answered, then the connection's bytes read and
 * written around the pure protocol units of src/ws/.
 *
 * Who does what. After the 101, the connection stays in CONN_HANDLER and
 * conn.c hands its loop events here (ws_conn_event). Reading is driven by
 * the loop as well as by the handler: ws_pump reads the socket into the
 * pooled input buffer and runs ws_reader over it, answering Pings and
 * taking Pongs and Close frames itself, until a data message is complete.
 * Then it stops reading until the handler takes that message with
 * kiln_ws_recv (TCP pushes back on a client that sends faster than the
 * handler receives). The message is a view into the input buffer (or the
 * reader's message buffer), so it stays put until the next kiln_ws_recv
 * releases it.
 *
 * Sending appends frames to conn->out and writes what the socket takes,
 * never waiting: conn->out is the send queue, bounded by
 * ws.max_send_queue. Anything on the worker may send (the handler,
 * another request's coroutine, a loop callback such as a pub/sub
 * delivery): nothing yields between "append" and "write".
 *
 * Memory. Nothing is held per idle connection beyond the request's
 * context and this struct (in the request's arena): the input buffer and
 * the output buffer go back to the worker's pool when empty, the reader
 * frees its message buffer between messages, zlib streams live in the
 * worker's pool (see src/ws/deflate.c), and the coroutine waits on a
 * waiter inside this struct, not on its own stack.
 *
 * Closing. States: PENDING (handshake checked, 101 not sent), OPEN,
 * CLOSING (our Close sent, the peer's awaited), CLOSED (both Closes, or
 * the connection failed: nothing more is read or sent). Once CLOSED and
 * the queue is written, the write side is shut (the server closes TCP
 * first, RFC 6455 section 7.1.1); a Close that gets no answer, or a queue
 * that does not drain, is cut after WS_CLOSE_WAIT_MS.
 */
#include "server/worker.h"

#include "pubsub/pubsub.h"

#include <kiln/ws.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { WS_PENDING, WS_OPEN, WS_CLOSING, WS_CLOSED };

/* What the handler waits for in ws->wait. */
enum { WAIT_NONE, WAIT_RECV, WAIT_DRAIN, WAIT_CLOSE };

/* Messages shorter than this are sent uncompressed: deflate gains nothing
   on them and costs a zlib call. */
#define WS_DEFLATE_MIN 128

struct kiln_ws {
    kiln_ctx *x;
    uint8_t state;
    uint8_t wait_kind; /* WAIT_*: the handler is parked on wait */
    bool got_close;    /* the peer's Close arrived */
    bool sent_close;   /* ours is queued */
    bool read_done;    /* nothing more is read (both Closes, EOF, error) */
    bool shut;         /* write side shut */
    bool canceled;     /* the server is shutting down */
    bool msg_ready;    /* ev is a message recv has not released */
    bool msg_given;    /* ... and the handler has it */
    bool part_open;    /* kiln_ws_send_part: a message is open */
    bool pub_first;    /* recv: a publication goes before the client's
                          next message (they alternate) */
    uint8_t part_type;
    ws_utf8 part_utf8;
    int close_code; /* kiln_ws_close_code */
    size_t hold;    /* input bytes the ready message occupies */
    ws_event ev;
    ws_reader rd;
    ws_pmd pmd;
    const char *pmd_line; /* our Sec-WebSocket-Extensions, or NULL */
    kiln_str offered;     /* the client's Sec-WebSocket-Protocol list */
    kiln_str key;         /* Sec-WebSocket-Key */
    const char *protocol; /* agreed subprotocol, or NULL */
    char reason[WS_CONTROL_MAX];
    size_t reason_n;
    waiter wait;
    timer ping_t; /* ws_ping_q while open; ws_close_q while closing */
    timer idle_t; /* ws_idle_q */
    uint64_t pings;
};

/* kiln_route_ws's handler, kept by the app (the route's data). */
struct ws_route {
    kiln_ws_handler h;
};

/* ---- handshake ----------------------------------------------------------- */

/* Every value of header name joined with ", " (in the arena when there
   are several); p == NULL when absent. *count gets the number of fields. */
static kiln_str header_list(kiln_ctx *x, const char *name, int *count)
{
    kiln_str out = KILN_STR_NULL;
    int k = 0;
    for (unsigned i = 0; i < x->req.nheaders; i++) {
        if (!kiln_str_ieq_c(x->req.headers[i].name, name))
            continue;
        kiln_str v = x->req.headers[i].value;
        if (k++ == 0) {
            out = v;
            continue;
        }
        char *j = kiln_arena_alloc(&x->arena, out.n + 2 + v.n + 1);
        if (!j)
            break;
        memcpy(j, out.p, out.n);
        memcpy(j + out.n, ", ", 2);
        memcpy(j + out.n + 2, v.p, v.n);
        j[out.n + 2 + v.n] = '\0';
        out = (kiln_str){j, out.n + 2 + v.n};
    }
    if (count)
        *count = k;
    return out;
}

/* Answers 426 Upgrade Required: this route speaks WebSocket (13). */
static void refuse_upgrade(kiln_ctx *x, const char *detail)
{
    kiln_set_header(x, "Upgrade", "websocket");
    kiln_set_header(x, "Sec-WebSocket-Version", "13");
    x->conn_upgrade = true;
    kiln_problem(x, 426, "%s", detail);
}

/* A waiting WebSocket's arena: its head and header array get chunks of
   their own size (more than a quarter of this), the small rest share these */
#define WS_ARENA_CHUNK 512

int ws_own_head(kiln_ctx *x, const char *p)
{
    if (!kiln_str_eq(x->req.method, KILN_STR("GET")) ||
        x->req.body != HTTP_BODY_NONE ||
        !ws_list_has(header_list(x, "Upgrade", NULL), "websocket"))
        return 0;
    size_t hl = x->req.head_len;
    kiln_arena_deinit(&x->arena); /* only the header array was there */
    kiln_arena_init(&x->arena, WS_ARENA_CHUNK);
    char *head = kiln_arena_alloc(&x->arena, hl + 1);
    if (!head)
        return -503;
    memcpy(head, p, hl);
    head[hl] = '\0';
    int rc = ctx_parse_head(x, head, hl);
    if (rc != (int)hl) /* the same bytes parse the same: only memory */
        return rc < 0 ? rc : -500;
    x->head_owned = true;
    return 0;
}

/*
 * Consumes the request head from the input buffer, which from now on
 * holds WebSocket frames only. The head is in the arena already
 * (ws_own_head) or moves there now, so the views a handler gets (headers,
 * target) stay valid while frames come and go.
 */
static int take_head(kiln_ctx *x)
{
    conn *c = x->conn;
    size_t hl = x->req.head_len;
    if (!x->head_owned) {
        const char *old = c->in.p + c->in_off;
        char *head = kiln_arena_alloc(&x->arena, hl + 1);
        if (!head)
            return KILN_ENOMEM;
        memcpy(head, old, hl);
        head[hl] = '\0';
        int rc = ctx_parse_head(x, head, hl);
        if (rc != (int)hl) /* the same bytes parse the same: only memory */
            return rc == -503 ? KILN_ENOMEM : KILN_EPARSE;
        x->head_owned = true;
    }
    c->in_off += hl;
    x->upgraded = true;
    c->close_after = true; /* whatever the handler answers, it is the last */
    return 0;
}

/* The auth layer's check of the handshake's credentials (src/auth/
   identity.c): a bad bearer token is refused before the upgrade, so a
   WebSocket handler never runs for it; a route that needs a user says so
   in its endpoint schema (auth = "login"), checked before the handler. */
static int (*ws_authorizer)(kiln_ctx *x);

void ws_set_authorizer(int (*fn)(kiln_ctx *x))
{
    ws_authorizer = fn;
}

static int ws_authorize(kiln_ctx *x)
{
    return ws_authorizer ? ws_authorizer(x) : 0;
}

kiln_ws *kiln_ws_start(kiln_ctx *c)
{
    if (c->ws)
        return c->ws;
    if (c->responded)
        return NULL;
    const kiln_server_opts *o = c->w->opts;
    /* RFC 6455 section 4.2.1, in the order a client's mistake is told */
    if (!kiln_str_eq(c->req.method, KILN_STR("GET"))) {
        refuse_upgrade(c, "A WebSocket opens with GET.");
        return NULL;
    }
    if (c->req.minor < 1) {
        kiln_problem(c, 400, "A WebSocket needs HTTP/1.1.");
        return NULL;
    }
    if (!ws_list_has(header_list(c, "Upgrade", NULL), "websocket") ||
        !ws_list_has(header_list(c, "Connection", NULL), "upgrade")) {
        refuse_upgrade(c, "This is a WebSocket endpoint: send Upgrade: "
                          "websocket and Connection: Upgrade.");
        return NULL;
    }
    int nver = 0;
    kiln_str ver = header_list(c, "Sec-WebSocket-Version", &nver);
    if (nver != 1 || !kiln_str_eq(ver, KILN_STR("13"))) {
        refuse_upgrade(c, "Only WebSocket version 13 is spoken here.");
        return NULL;
    }
    int nkey = 0;
    kiln_str key = header_list(c, "Sec-WebSocket-Key", &nkey);
    if (nkey != 1 || !ws_key_ok(key)) {
        kiln_problem(c, 400,
                     "Sec-WebSocket-Key must be one base64-encoded 16-byte "
                     "value.");
        return NULL;
    }
    if (c->req.body != HTTP_BODY_NONE) {
        kiln_problem(c, 400, "A WebSocket handshake has no body.");
        return NULL;
    }
    kiln_str origin = header_list(c, "Origin", NULL);
    if (!ws_origin_ok(origin, c->req.host, o->ws_allowed_origins)) {
        kiln_log(KILN_LOG_INFO, "%s: WebSocket from origin %.*s refused",
                 kiln_request_id(c), (int)origin.n, origin.p);
        kiln_problem(c, 403,
                     "This origin may not open a WebSocket here "
                     "(ws.allowed_origins).");
        return NULL;
    }
    int rc = ws_authorize(c);
    if (rc)
        return NULL;
    kiln_ws *ws = kiln_arena_calloc(&c->arena, sizeof *ws);
    char line[160];
    ws_pmd pmd = {0};
    kiln_str ext = header_list(c, "Sec-WebSocket-Extensions", NULL);
    if (ext.p && !o->ws_no_deflate &&
        ws_pmd_negotiate(ext, &pmd, line, sizeof line) == KILN_EPARSE) {
        kiln_problem(c, 400, "Sec-WebSocket-Extensions is malformed.");
        return NULL;
    }
    if (!ws) {
        kiln_problem(c, 503, "The server is out of memory.");
        return NULL;
    }
    ws->x = c;
    ws->state = WS_PENDING;
    ws->pmd = pmd;
    ws->pmd_line =
        pmd.on ? kiln_arena_strndup(&c->arena, line, strlen(line)) : NULL;
    if (pmd.on && !ws->pmd_line)
        ws->pmd.on = false;
    /* the views of the head move with it: copy those first */
    kiln_str offered = header_list(c, "Sec-WebSocket-Protocol", NULL);
    char *okey = kiln_arena_strndup(&c->arena, key.p, key.n);
    char *ooff =
        offered.p ? kiln_arena_strndup(&c->arena, offered.p, offered.n) : NULL;
    if (!okey || (offered.p && !ooff) || take_head(c) != 0) {
        kiln_problem(c, 503, "The server is out of memory.");
        return NULL;
    }
    ws->key = (kiln_str){okey, key.n};
    ws->offered = ooff ? (kiln_str){ooff, offered.n} : KILN_STR_NULL;
    ws_reader_init(&ws->rd);
    c->ws = ws;
    return ws;
}

/* ---- waking the handler -------------------------------------------------- */

/* True when what the parked handler waits for has happened. */
static bool wait_over(const kiln_ws *ws)
{
    switch (ws->wait_kind) {
    case WAIT_RECV:
        return ws->msg_ready || ws->state != WS_OPEN ||
               pubsub_sub_ready(pubsub_sub_of(ws->x));
    case WAIT_DRAIN:
        return !conn_pending(ws->x->conn) || ws->state == WS_CLOSED ||
               ws->x->conn->eof;
    case WAIT_CLOSE:
        return ws->state == WS_CLOSED;
    default:
        return false;
    }
}

/*
 * Resumes the parked handler when its wait is over. Only from the loop,
 * and as the caller's last step: the handler may finish meanwhile, and
 * then ws and its connection are gone.
 */
static void wake(kiln_ws *ws)
{
    if (ws->wait_kind != WAIT_NONE && wait_over(ws) && !coro_current())
        worker_unpark(&ws->wait, 0);
}

/* A publication arrived for the request while its queue was empty. */
static void ws_on_pub(void *arg)
{
    wake(arg);
}

/* Parks the handler until the loop wakes it or timeout_ms passes. */
static int park(kiln_ws *ws, int kind, int64_t timeout_ms)
{
    if (ws->wait_kind != WAIT_NONE)
        return KILN_ESTATE; /* another coroutine waits on it already */
    ws->wait_kind = (uint8_t)kind;
    /* waiting for the client may last: the stack may hibernate (the
       waiter is here, in the arena, not on it) */
    int rc = kind == WAIT_RECV ? worker_park_idle(&ws->wait, timeout_ms)
                               : worker_park(&ws->wait, timeout_ms);
    ws->wait_kind = WAIT_NONE;
    return rc;
}

/* ---- timers -------------------------------------------------------------- */

/* Restarts the keep-alive and idle clocks: the peer sent something. */
static void ws_alive(kiln_ws *ws)
{
    worker *w = ws->x->w;
    if (ws->state != WS_OPEN)
        return;
    if (w->opts->ws_idle_timeout_ms > 0)
        timer_list_arm(&w->ws_idle_q, &ws->idle_t, w->now_ms);
    if (w->opts->ws_ping_interval_ms > 0)
        timer_list_arm(&w->ws_ping_q, &ws->ping_t, w->now_ms);
}

/* Starts the clock of a closing connection: cut after WS_CLOSE_WAIT_MS. */
static void ws_close_clock(kiln_ws *ws)
{
    worker *w = ws->x->w;
    timer_list_disarm(&ws->idle_t);
    timer_list_arm(&w->ws_close_q, &ws->ping_t, w->now_ms);
}

/* ---- writing ------------------------------------------------------------- */

static void ws_cut(kiln_ws *ws);

/* Appends one frame to the send queue. */
static int ws_put(kiln_ws *ws, bool fin, uint8_t rsv, uint8_t op, const void *p,
                  size_t n)
{
    conn *c = ws->x->conn;
    if (c->dead || c->eof || ws->shut)
        return KILN_ECLOSED;
    if (!c->out.p && worker_buf_take(c->w, &c->out) != 0)
        return KILN_ENOMEM;
    uint8_t head[WS_HEAD_MAX];
    size_t hl = ws_frame_head(head, fin, rsv, op, n, NULL);
    if (kiln_buf_reserve(&c->out, hl + n) != 0)
        return KILN_ENOMEM;
    kiln_buf_append(&c->out, head, hl);
    if (n)
        kiln_buf_append(&c->out, p, n);
    return 0;
}

/* Marks the connection gone (the peer reset it, or it was cut). */
static void ws_gone(kiln_ws *ws)
{
    conn *c = ws->x->conn;
    c->eof = true;
    ws->read_done = true;
    if (ws->state != WS_CLOSED && !ws->close_code)
        ws->close_code = WS_CLOSE_ABNORMAL;
    ws->state = WS_CLOSED;
    timer_list_disarm(&ws->ping_t);
    timer_list_disarm(&ws->idle_t);
}

/* Queues our Close (code 0: an empty payload). */
static void ws_send_close(kiln_ws *ws, unsigned code, const char *reason)
{
    uint8_t pl[2 + WS_CONTROL_MAX];
    size_t n = 0;
    if (code) {
        pl[0] = (uint8_t)(code >> 8);
        pl[1] = (uint8_t)code;
        n = 2;
        size_t rn = reason ? strlen(reason) : 0;
        if (rn > WS_CONTROL_MAX - 2)
            rn = WS_CONTROL_MAX - 2;
        if (rn)
            memcpy(pl + 2, reason, rn);
        n += rn;
    }
    ws->sent_close = true;
    ws_put(ws, true, 0, WS_OP_CLOSE, pl, n);
}

/*
 * Writes what the socket takes and applies what follows from the queue:
 * an error ends the connection; an empty queue after the close shuts the
 * write side; a queue past ws.max_send_queue closes the connection (its
 * Close waits behind the queue, and the connection is cut if the queue
 * does not drain within WS_CLOSE_WAIT_MS). Returns 0 or KILN_ECLOSED.
 */
static int ws_flush(kiln_ws *ws)
{
    conn *c = ws->x->conn;
    const kiln_server_opts *o = ws->x->w->opts;
    if (c->dead)
        return KILN_ECLOSED;
    int r = conn_flush(c);
    if (r < 0) {
        ws_gone(ws);
        return KILN_ECLOSED;
    }
    if (r == 0) {
        if (ws->state == WS_CLOSED && !ws->shut && !c->eof) {
            shutdown(c->io.fd, SHUT_WR);
            ws->shut = true;
        }
        return 0;
    }
    if (!ws->sent_close &&
        c->out.n - c->out_off > (uint64_t)o->ws_max_send_queue) {
        kiln_log(KILN_LOG_INFO,
                 "%s: WebSocket closed (%d): its reader is %zu bytes behind",
                 kiln_request_id(ws->x), o->ws_overflow_code,
                 c->out.n - c->out_off);
        ws_send_close(ws, (unsigned)o->ws_overflow_code, "send queue full");
        ws->close_code = o->ws_overflow_code;
        ws->state = WS_CLOSED;
        ws->read_done = true;
        ws_close_clock(ws);
        return KILN_ECLOSED;
    }
    return 0;
}

/* Cuts the connection: the close handshake or the queue took too long. */
static void ws_cut(kiln_ws *ws)
{
    conn *c = ws->x->conn;
    if (!c->dead) {
        shutdown(c->io.fd, SHUT_RDWR);
        c->out_off = 0;
        kiln_buf_clear(&c->out);
        worker_buf_give(c->w, &c->out);
    }
    ws_gone(ws);
}

/* Fails the connection with code (RFC 6455 section 7.1.7): our Close, no
   more reading, the write side shut once it is out. */
static void ws_fail(kiln_ws *ws, unsigned code, const char *why)
{
    kiln_log(KILN_LOG_INFO, "%s: WebSocket closed (%u): %s",
             kiln_request_id(ws->x), code, why);
    if (!ws->sent_close)
        ws_send_close(ws, code, why);
    ws->close_code = (int)code;
    ws->state = WS_CLOSED;
    ws->read_done = true;
    ws_close_clock(ws);
    ws_flush(ws);
}

/* ---- reading ------------------------------------------------------------- */

/* The peer's Close: answered (echoing its code), then the connection is
   done both ways. */
static void ws_peer_closed(kiln_ws *ws, const ws_event *ev)
{
    ws->got_close = true;
    ws->read_done = true;
    ws->close_code = (int)ev->code;
    ws->reason_n = ev->data.n < sizeof ws->reason ? ev->data.n : 0;
    memcpy(ws->reason, ev->data.p, ws->reason_n);
    if (!ws->sent_close)
        ws_send_close(ws, ev->code == WS_CLOSE_NO_STATUS ? 0 : ev->code, NULL);
    ws->state = WS_CLOSED;
    ws_close_clock(ws); /* for the queue to drain */
    ws_flush(ws);
}

/* Reads once from the socket. Returns 1 when bytes came, 0 when none are
   there, -1 when the connection ended. */
static int ws_read(kiln_ws *ws)
{
    conn *c = ws->x->conn;
    worker *w = ws->x->w;
    if (c->dead || c->eof) {
        ws_gone(ws);
        return -1;
    }
    if (!c->in.p && worker_buf_take(w, &c->in) != 0) {
        ws_fail(ws, WS_CLOSE_INTERNAL, "out of memory");
        return -1;
    }
    if (c->in_off == c->in.n) {
        c->in_off = c->in.n = 0;
    } else if (c->in_off > 0) {
        /* the start of a frame head or of a control frame: move it down */
        memmove(c->in.p, c->in.p + c->in_off, c->in.n - c->in_off);
        c->in.n -= c->in_off;
        c->in_off = 0;
    }
    size_t room = c->in.cap - c->in.n - 1;
    for (;;) {
        ssize_t n = read(c->io.fd, c->in.p + c->in.n, room);
        if (n > 0) {
            c->in.n += (size_t)n;
            c->in.p[c->in.n] = '\0';
            /* a short read drained the socket: the next bytes bring an
               event (edge-triggered), no need to read for EAGAIN */
            c->readable = (size_t)n == room;
            ws_alive(ws);
            return 1;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            c->readable = false;
            return 0;
        }
        if (!ws->got_close && ws->state != WS_CLOSED)
            kiln_log(KILN_LOG_DEBUG,
                     "%s: WebSocket: the client left without "
                     "a Close",
                     kiln_request_id(ws->x));
        ws_gone(ws);
        return -1;
    }
}

/* Nothing buffered: an idle connection holds no buffer. */
static void ws_idle_buffers(kiln_ws *ws)
{
    conn *c = ws->x->conn;
    if (c->in.p && c->in_off == c->in.n) {
        c->in_off = 0;
        kiln_buf_clear(&c->in);
        worker_buf_give(c->w, &c->in);
    }
    ws_reader_trim(&ws->rd);
}

/*
 * Reads and parses until a data message is ready, nothing more is there,
 * or reading is over; control frames are handled on the way.
 */
static void ws_pump(kiln_ws *ws)
{
    conn *c = ws->x->conn;
    while (!ws->msg_ready && !ws->read_done && ws->state != WS_PENDING) {
        if (c->in_off < c->in.n) {
            size_t used = 0;
            ws_event ev;
            uint8_t *p = (uint8_t *)c->in.p + c->in_off;
            int t = ws_reader_next(&ws->rd, p, c->in.n - c->in_off, &used, &ev);
            switch (t) {
            case WS_EV_MESSAGE:
                if (ws->sent_close) { /* after our Close: dropped */
                    c->in_off += used;
                    continue;
                }
                ws->ev = ev;
                ws->hold = used;
                ws->msg_ready = true;
                return;
            case WS_EV_PING:
                if (!ws->sent_close &&
                    ws_put(ws, true, 0, WS_OP_PONG, ev.data.p, ev.data.n) == 0)
                    ws_flush(ws);
                c->in_off += used;
                continue;
            case WS_EV_PONG:
                c->in_off += used;
                continue;
            case WS_EV_CLOSE:
                c->in_off += used;
                ws_peer_closed(ws, &ev);
                return;
            case WS_EV_ERROR:
                ws_fail(ws, ev.code,
                        ev.code == WS_CLOSE_TOO_BIG    ? "message too big"
                        : ev.code == WS_CLOSE_BAD_DATA ? "invalid data"
                        : ev.code == WS_CLOSE_INTERNAL ? "out of memory"
                                                       : "protocol error");
                return;
            default: /* WS_EV_MORE: all of it taken or a partial head kept */
                c->in_off += used;
                break;
            }
        }
        if (!c->readable) {
            ws_idle_buffers(ws);
            return;
        }
        if (ws_read(ws) <= 0) {
            if (!ws->read_done)
                ws_idle_buffers(ws);
            return;
        }
    }
}

/* ---- the loop's side ----------------------------------------------------- */

void ws_conn_event(conn *c, unsigned ev)
{
    kiln_ws *ws = c->ctx->ws;
    if ((ev & LOOP_WRITE) && conn_pending(c))
        ws_flush(ws);
    if (ev & LOOP_READ)
        ws_pump(ws);
    wake(ws);
}

void ws_timeout(worker *w, timer *t)
{
    kiln_ws *ws;
    if (t->list == &w->ws_idle_q) {
        ws = (kiln_ws *)((char *)t - offsetof(kiln_ws, idle_t));
        timer_list_disarm(t);
        if (ws->state == WS_OPEN) {
            kiln_log(KILN_LOG_INFO,
                     "%s: WebSocket closed (1001): nothing received for "
                     "%d ms",
                     kiln_request_id(ws->x), w->opts->ws_idle_timeout_ms);
            ws_send_close(ws, WS_CLOSE_GOING_AWAY, "idle timeout");
            ws->state = WS_CLOSING;
            ws->close_code = WS_CLOSE_GOING_AWAY;
            ws_close_clock(ws);
            ws_flush(ws);
        }
    } else {
        ws = (kiln_ws *)((char *)t - offsetof(kiln_ws, ping_t));
        if (t->list == &w->ws_close_q) {
            timer_list_disarm(t);
            ws_cut(ws);
        } else if (ws->state == WS_OPEN) {
            /* keep-alive: a Ping the peer must answer */
            uint8_t pl[8];
            uint64_t k = ++ws->pings;
            for (int i = 0; i < 8; i++)
                pl[i] = (uint8_t)(k >> (56 - 8 * i));
            timer_list_arm(&w->ws_ping_q, t, w->now_ms);
            if (ws_put(ws, true, 0, WS_OP_PING, pl, sizeof pl) == 0)
                ws_flush(ws);
        } else {
            timer_list_disarm(t);
        }
    }
    wake(ws);
}

void ws_shutdown(kiln_ctx *x)
{
    kiln_ws *ws = x->ws;
    ws->canceled = true;
    if (ws->state == WS_OPEN) {
        ws_send_close(ws, WS_CLOSE_GOING_AWAY, "server shutting down");
        ws->state = WS_CLOSING;
        ws->close_code = WS_CLOSE_GOING_AWAY;
        ws_close_clock(ws);
        ws_flush(ws);
    }
    if (ws->wait_kind != WAIT_NONE && !coro_current())
        worker_unpark(&ws->wait, 0);
}

void ws_release(kiln_ctx *x)
{
    kiln_ws *ws = x->ws;
    timer_list_disarm(&ws->ping_t);
    timer_list_disarm(&ws->idle_t);
    if (ws->wait_kind != WAIT_NONE) /* its coroutine was discarded */
        worker_park_cancel(&ws->wait);
    ws->wait_kind = WAIT_NONE;
    ws_reader_deinit(&ws->rd);
    x->ws = NULL;
}

/* ---- the handler's side -------------------------------------------------- */

/* Runs after the handler returned (kiln_defer): closes what is open and
   completes the closing handshake within WS_CLOSE_WAIT_MS. */
static void ws_finish(void *arg, int rc)
{
    kiln_ws *ws = arg;
    conn *c = ws->x->conn;
    if (ws->state == WS_PENDING)
        return; /* never accepted: an HTTP answer (or a 500) ends it */
    if (ws->state == WS_OPEN) {
        ws_send_close(ws, rc < 0 ? WS_CLOSE_INTERNAL : WS_CLOSE_NORMAL, NULL);
        ws->state = WS_CLOSING;
        if (!ws->close_code)
            ws->close_code = rc < 0 ? WS_CLOSE_INTERNAL : WS_CLOSE_NORMAL;
        ws_close_clock(ws);
        ws_flush(ws);
    }
    if (!coro_current())
        return; /* its coroutine is lost: the connection goes as it is */
    while (ws->state == WS_CLOSING && !c->dead) {
        if (ws->msg_ready) { /* a message the handler did not take */
            c->in_off += ws->hold;
            ws->msg_ready = ws->msg_given = false;
        }
        ws_pump(ws);
        if (ws->state != WS_CLOSING || park(ws, WAIT_CLOSE, -1) < 0)
            break;
    }
    /* the queue goes out as the connection lingers (conn.c) */
}

/* Accepts a pending WebSocket with no subprotocol (the first use). */
static int ensure_open(kiln_ws *ws)
{
    if (ws->state == WS_PENDING)
        return kiln_ws_accept(ws, NULL);
    return 0;
}

int kiln_ws_accept(kiln_ws *ws, const char *protocols)
{
    kiln_ctx *x = ws->x;
    conn *c = x->conn;
    if (ws->state != WS_PENDING || x->responded)
        return KILN_ESTATE;
    char accept[WS_ACCEPT_LEN + 1];
    ws_accept_key(ws->key, accept);
    kiln_buf *b = &x->resp; /* unused by a WebSocket: scratch */
    kiln_buf_clear(b);
    kiln_buf_printf(b,
                    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Accept: %s\r\n",
                    accept);
    kiln_str pick = ws_protocol_pick(ws->offered, protocols);
    if (pick.p) {
        ws->protocol = kiln_arena_strndup(&x->arena, pick.p, pick.n);
        kiln_buf_printf(b, "Sec-WebSocket-Protocol: %s\r\n",
                        ws->protocol ? ws->protocol : "");
    }
    if (ws->pmd.on)
        kiln_buf_printf(b, "Sec-WebSocket-Extensions: %s\r\n", ws->pmd_line);
    if (!b->p || (pick.p && !ws->protocol) || kiln_defer(x, ws_finish, ws) ||
        respond_switching(x, b->p, b->n) != 0) {
        kiln_buf_clear(b);
        return KILN_ENOMEM;
    }
    kiln_buf_clear(b);
    ws->state = WS_OPEN;
    ws->rd.max_message = (uint64_t)x->w->opts->ws_max_message;
    ws->rd.flags = WS_PARSE_MASKED | (ws->pmd.on ? WS_PARSE_RSV1 : 0);
    ws->rd.zpool = &x->w->zpool;
    c->ws = true;
    c->readable = true; /* whatever conn.c knew, try the socket once */
    ws_alive(ws);
    ws_flush(ws);
    if (ws->canceled && ws->state == WS_OPEN)
        ws_shutdown(x); /* accepted during a shutdown: closes at once */
    return 0;
}

const char *kiln_ws_protocol(kiln_ws *ws)
{
    return ws->protocol;
}

kiln_ctx *kiln_ws_ctx(kiln_ws *ws)
{
    return ws->x;
}

int kiln_ws_recv_timeout(kiln_ws *ws, kiln_ws_msg *m, int64_t timeout_ms)
{
    conn *c = ws->x->conn;
    int rc = ensure_open(ws);
    if (rc)
        return rc;
    if (ws->msg_given) { /* the last message is done with */
        c->in_off += ws->hold;
        ws->msg_ready = ws->msg_given = false;
    }
    int64_t deadline = timeout_ms >= 0 ? kiln_now_ms() + timeout_ms : -1;
    for (;;) {
        ws_pump(ws);
        pubsub_sub *sub = pubsub_sub_of(ws->x);
        bool pub = ws->state == WS_OPEN && pubsub_sub_ready(sub);
        if (ws->msg_ready && !(pub && ws->pub_first)) {
            m->type =
                ws->ev.opcode == WS_OP_TEXT ? KILN_WS_TEXT : KILN_WS_BINARY;
            m->data = ws->ev.data;
            m->topic = KILN_STR("");
            m->lost = 0;
            ws->msg_given = true;
            ws->pub_first = true;
            return 0;
        }
        if (ws->state != WS_OPEN)
            return ws->canceled ? KILN_ECANCELED : KILN_ECLOSED;
        kiln_pub_msg pm;
        if (pub && pubsub_sub_take(sub, &pm)) {
            m->type = pm.kind == KILN_PUB_GAP ? KILN_WS_GAP : KILN_WS_PUB;
            m->data = pm.data;
            m->topic = pm.topic;
            m->lost = pm.lost;
            ws->pub_first = false;
            return 0;
        }
        if (sub) /* a publication wakes this wait */
            pubsub_sub_set_notify(sub, ws_on_pub, ws);
        int64_t left = -1;
        if (deadline >= 0 && (left = deadline - kiln_now_ms()) <= 0)
            return KILN_ETIMEDOUT;
        rc = park(ws, WAIT_RECV, left);
        if (rc == KILN_ETIMEDOUT)
            return KILN_ETIMEDOUT;
        if (rc < 0)
            return rc == KILN_ECANCELED ? KILN_ECANCELED : KILN_ECLOSED;
    }
}

int kiln_ws_recv(kiln_ws *ws, kiln_ws_msg *m)
{
    return kiln_ws_recv_timeout(ws, m, -1);
}

/* True when the text is UTF-8. */
static bool utf8_ok(const void *p, size_t n)
{
    ws_utf8 u = {{0}, 0};
    return ws_utf8_feed(&u, p, n) && ws_utf8_complete(&u);
}

int kiln_ws_send(kiln_ws *ws, int type, const void *p, size_t n)
{
    if ((type != KILN_WS_TEXT && type != KILN_WS_BINARY) || ws->part_open ||
        (n && !p))
        return KILN_EINVAL;
    int rc = ensure_open(ws);
    if (rc)
        return rc;
    if (ws->state != WS_OPEN)
        return KILN_ECLOSED;
    if (type == KILN_WS_TEXT && !utf8_ok(p, n))
        return KILN_EINVAL;
    uint8_t op = type == KILN_WS_TEXT ? WS_OP_TEXT : WS_OP_BINARY;
    kiln_ctx *x = ws->x;
    if (ws->pmd.on && n >= WS_DEFLATE_MIN) {
        kiln_buf *z = &x->resp; /* scratch */
        kiln_buf_clear(z);
        if (ws_deflate_message(&x->w->zpool, ws->pmd.server_bits, p, n, z) ==
                0 &&
            z->n < n) {
            rc = ws_put(ws, true, WS_RSV1, op, z->p, z->n);
            kiln_buf_clear(z);
            if (z->cap > 4 * WORKER_BUF)
                kiln_buf_deinit(z);
            return rc ? rc : ws_flush(ws);
        }
        kiln_buf_clear(z);
    }
    rc = ws_put(ws, true, 0, op, p, n);
    return rc ? rc : ws_flush(ws);
}

int kiln_ws_send_text(kiln_ws *ws, const char *s)
{
    return kiln_ws_send(ws, KILN_WS_TEXT, s, s ? strlen(s) : 0);
}

int kiln_ws_send_json(kiln_ws *ws, const char *fmt, ...)
{
    kiln_buf b;
    kiln_buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    int rc = kiln_json_vformat(&b, fmt, ap);
    va_end(ap);
    if (rc == 0)
        rc = kiln_ws_send(ws, KILN_WS_TEXT, b.p ? b.p : "", b.n);
    kiln_buf_deinit(&b);
    return rc;
}

int kiln_ws_send_part(kiln_ws *ws, int type, const void *p, size_t n, bool last)
{
    if (n && !p)
        return KILN_EINVAL;
    if (!ws->part_open && type != KILN_WS_TEXT && type != KILN_WS_BINARY)
        return KILN_EINVAL;
    int rc = ensure_open(ws);
    if (rc)
        return rc;
    if (ws->state != WS_OPEN)
        return KILN_ECLOSED;
    bool first = !ws->part_open;
    uint8_t t = first ? (uint8_t)type : ws->part_type;
    if (t == KILN_WS_TEXT) {
        ws_utf8 u = first ? (ws_utf8){{0}, 0} : ws->part_utf8;
        if (!ws_utf8_feed(&u, p, n) || (last && !ws_utf8_complete(&u)))
            return KILN_EINVAL; /* nothing sent: the message stays open */
        ws->part_utf8 = u;
    }
    rc = ws_put(ws, last, 0,
                first ? (t == KILN_WS_TEXT ? WS_OP_TEXT : WS_OP_BINARY)
                      : WS_OP_CONT,
                p, n);
    if (rc)
        return rc;
    ws->part_open = !last;
    ws->part_type = t;
    return ws_flush(ws);
}

int kiln_ws_close(kiln_ws *ws, int code, const char *reason)
{
    size_t rn = reason ? strlen(reason) : 0;
    if ((code && !ws_close_code_ok((unsigned)code)) || (!code && rn) ||
        rn > WS_CONTROL_MAX - 2 || !utf8_ok(reason, rn))
        return KILN_EINVAL;
    int rc = ensure_open(ws);
    if (rc)
        return rc;
    if (ws->state != WS_OPEN)
        return KILN_ESTATE;
    ws_send_close(ws, (unsigned)code, reason);
    ws->state = WS_CLOSING;
    ws->close_code = code ? code : WS_CLOSE_NO_STATUS;
    ws_close_clock(ws);
    ws_flush(ws);
    return 0;
}

int kiln_ws_close_code(kiln_ws *ws)
{
    return ws->state == WS_OPEN || ws->state == WS_PENDING ? 0 : ws->close_code;
}

kiln_str kiln_ws_close_reason(kiln_ws *ws)
{
    return (kiln_str){ws->reason, ws->reason_n};
}

size_t kiln_ws_queued(kiln_ws *ws)
{
    conn *c = ws->x->conn;
    return c->out.n - c->out_off;
}

int kiln_ws_drain(kiln_ws *ws, int64_t timeout_ms)
{
    conn *c = ws->x->conn;
    int64_t deadline = timeout_ms >= 0 ? kiln_now_ms() + timeout_ms : -1;
    for (;;) {
        if (c->dead || c->eof || ws->state == WS_CLOSED)
            return KILN_ECLOSED;
        if (!conn_pending(c))
            return 0;
        int64_t left = -1;
        if (deadline >= 0 && (left = deadline - kiln_now_ms()) <= 0)
            return KILN_ETIMEDOUT;
        int rc = park(ws, WAIT_DRAIN, left);
        if (rc == KILN_ETIMEDOUT || rc == KILN_ECANCELED || rc == KILN_ESTATE)
            return rc;
    }
}

/* ---- routes ----------------------------------------------------------------
 */

int kiln_ws_serve(kiln_ctx *c, kiln_ws_handler h)
{
    kiln_ws *ws = kiln_ws_start(c);
    return ws ? h(c, ws) : 0;
}

/* The handler kiln_route_ws registers: the handshake, then the app's. */
static int ws_route_serve(kiln_ctx *c)
{
    const struct ws_route *r = kiln_route_data(c);
    return kiln_ws_serve(c, r->h);
}

int kiln_route_ws(kiln_app *app, const char *pattern, kiln_ws_handler h)
{
    if (!app || !h)
        return KILN_EINVAL;
    struct ws_route *r = calloc(1, sizeof *r);
    if (!r || app_keep(app, r) != 0) /* kiln_app_free frees it */
        return KILN_ENOMEM;
    r->h = h;
    return kiln_route_with(app, "GET", pattern, ws_route_serve, r);
}
