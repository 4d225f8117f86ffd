/*
 * server/worker.h - the private structures of the server layer: the worker
 * (one thread, one loop, one listener), its connections and the request
 * context a handler sees as kiln_ctx. Nothing here is shared between
 * workers; the app and its route table are read-only once serving starts.
 *
 * Life of a connection (conn.c):
 *   HEAD    waiting for / parsing a request head (header timer armed from
 *           the first byte; idle timer while nothing is buffered)
 *   BODY    head parsed, body still arriving (body timer, re-armed on
 *           progress); chunked framing is decoded as it arrives
 *   HANDLER a handler coroutine owns the request; reading pauses, so the
 *           request's views into the input buffer stay valid (a streamed
 *           body is read by the handler itself, see below)
 *   DRAIN   the handler is done with a streamed body it did not read to
 *           the end: the rest (a bounded amount) is read and discarded so
 *           the next pipelined request can follow
 *   LINGER  response sent, write side shut; unread input is drained for a
 *           moment so the peer gets our answer instead of a reset
 * Responses are appended to conn->out and written once per batch of
 * pipelined requests (one write(2) in the common case). A response may end
 * in a file body (file_fd, respond_file): it is sent with sendfile(2) right
 * after out, and no further pipelined request is handled until it is sent,
 * so responses stay in order.
 *
 * Streamed bodies (body.c): a multipart/form-data request is routed as
 * soon as its head is in, and its handler runs while the body arrives. Its
 * head is first copied into the request's arena (the views move there, once,
 * before the handler sees them), so the input buffer holds only body bytes,
 * which the handler's coroutine takes as it reads them (body_peek,
 * body_take); when none are buffered it parks on conn->read_wait until the
 * socket is readable or the body timeout passes. The input buffer stays at
 * its pooled size whatever the body's size.
 */
#ifndef KILN_SERVER_WORKER_H
#define KILN_SERVER_WORKER_H

#include <kiln/app.h>

#include "coro/coro.h"
#include "http/parse.h"
#include "http/url.h"
#include "loop/loop.h"
#include "loop/timer.h"
#include "router/router.h"
#include "ws/ws.h"

#include <pthread.h>
#include <time.h>

typedef struct worker worker;
typedef struct conn conn;

struct static_mount;

/**
 * A layer above the server that runs along with it (the task runners and
 * services of src/tasks/): kiln_serve calls begin before the workers
 * start (a negative return stops it from serving), start on each worker's
 * thread before its loop runs, end once they all stopped; kiln_app_free
 * calls free. Any of them may be NULL. The extension is owned by whoever
 * added it; free is its last call.
 */
typedef struct app_ext {
    int (*begin)(void *arg, const kiln_server_opts *o);
    void (*start)(void *arg, worker *w);
    void (*end)(void *arg);
    void (*free)(void *arg);
    void *arg;
    struct app_ext *next;
} app_ext;

/** An application: routes (read-only while serving). */
struct kiln_app {
    router *routes;
    struct static_mount *statics; /* kiln_static_mount; static_mounts_free */
    kiln_error_page error_page;   /* kiln_app_set_error_page, or NULL */
    /* GET and HEAD matching no route (kiln_static_spa), or NULL; its data
       is one of statics */
    kiln_handler fallback;
    void *fallback_data;
    struct cors *cors; /* kiln_app_cors, or NULL: no CORS headers */
    void *error_page_data;
    bool capture_log; /* kiln_app_capture_log */
    void **kept;      /* app_keep: freed by kiln_app_free */
    size_t nkept;
    app_ext *exts;           /* app_ext_add, in the order added */
    struct tasks_app *tasks; /* src/tasks/: defined tasks and services */
    /* src/auth/ (session.c, csrf.c, headers.c): its settings (NULL: the
       defaults), the check run before the handler of every request whose
       method is not GET, HEAD, OPTIONS or TRACE (CSRF: 0 goes on to the
       handler, 1 answered, < 0 a failure), and the header lines added to
       every response (the security headers, made once at start-up) */
    struct auth_conf *auth;
    int (*guard)(kiln_ctx *x);
    const char *resp_extra; /* "Name: value\r\n" lines, or NULL */
    size_t resp_extra_n;
};

/** Adds e to app's extensions (after those already there). */
void app_ext_add(kiln_app *app, app_ext *e);

/**
 * A look at a response about to be written, set on a request by a layer
 * that wraps its handler (cache/route.c keeps a copy of what it may cache
 * and adds its headers). Called once, before the head is appended, by
 * respond_head_body (body_len < 0: a stream, body NULL) and by respond_file
 * (body NULL, body_len the file's length, flagged by file); it may add
 * headers with kiln_set_header. Storage is the setter's (the request's
 * arena, usually).
 */
typedef struct respond_hook {
    void (*fn)(kiln_ctx *x, struct respond_hook *h, int status,
               const char *ctype, const void *body, long long body_len,
               bool file);
} respond_hook;

enum conn_state { CONN_HEAD, CONN_BODY, CONN_HANDLER, CONN_LINGER, CONN_DRAIN };

/** One client connection. Owned by its worker; freed by conn_close. */
struct conn {
    loop_io io; /* first: the loop hands us &io */
    worker *w;
    conn *prev, *next; /* worker's list of connections */
    timer t;           /* the one timeout armed for the current state */
    kiln_buf in;       /* received bytes; [in_off, in.n) not yet consumed */
    size_t in_off;
    kiln_buf out; /* bytes to send; [out_off, out.n) not yet sent */
    size_t out_off;
    kiln_ctx *ctx;            /* the request in progress, if any */
    coro *write_waiter;       /* a streaming handler waiting for the socket */
    struct waiter *read_wait; /* a handler waiting for body bytes (body.c);
                                 the waiter is on its stack */
    uint64_t drain_left;      /* CONN_DRAIN: body bytes still to discard */
    uint8_t state;
    bool readable;     /* the socket may have unread bytes */
    bool eof;          /* the peer shut its write side */
    bool close_after;  /* close (linger) once out is sent */
    bool dead;         /* closed; freed when nothing references it */
    bool head_started; /* bytes of the next head have arrived */
    bool reparse;      /* the input moved: parse the head again */
    bool sent_continue;
    int file_fd;       /* file body sent after out, or -1; owned */
    int64_t file_off;  /* next byte of file_fd to send */
    int64_t file_left; /* bytes of file_fd still to send */
    size_t body_pos;   /* chunked: first undecoded byte in in */
    http_chunked chunked;
    uint64_t requests; /* served on this connection */
    bool ws;           /* upgraded to a WebSocket (ws.c): its reading and
                          writing are ws.c's; idle, it holds no buffers */
    bool memory;       /* testreq.c: no socket; the request is in `in`
                          whole, the response stays in `out` */
};

/**
 * The parsed request head a handler sees: http_request's fields, but its
 * header array lives in the request's arena, sized to the headers sent.
 * http_request has room for HTTP_MAX_HEADERS (3.2 KiB): the parser fills
 * the worker's one (worker.parse) and ctx_set_request copies what it
 * found, so a request that waits for a long time (a WebSocket, an event
 * stream, a sleeping handler) does not keep that room.
 */
typedef struct ctx_request {
    kiln_str method;
    kiln_str target;
    kiln_str path;
    kiln_str query;
    bool has_query;
    int minor;
    http_header *headers; /* nheaders of them, in the arena */
    unsigned nheaders;
    kiln_str host;
    http_body_kind body;
    uint64_t content_length;
    bool keep_alive;
    bool expect_continue;
    size_t head_len;
} ctx_request;

/** The request context behind kiln_ctx. Pooled per worker. */
struct kiln_ctx {
    worker *w;
    conn *conn;
    coro *co;
    kiln_ctx *next_free;
    ctx_request req; /* views into conn->in (the array: in the arena) */
    kiln_arena arena;
    kiln_str path; /* normalised, NUL-terminated, in arena */
    route_match match;
    kiln_str body;         /* in memory: whole (or, streamed, what
                              kiln_body read); p == NULL until then */
    kiln_buf body_buf;     /* decoded chunked body; kiln_body's copy of a
                              streamed one */
    kiln_buf trailers_buf; /* raw trailer lines */
    http_header *trailers;
    int ntrailers; /* -1: not parsed yet */
    http_kv *query;
    long nquery; /* -1: not parsed yet */
    /* request body reading (body.c) */
    bool body_stream;    /* read as it arrives (a multipart request) */
    bool body_eof;       /* streamed: framing complete, conn->in is past
                            the body */
    int body_err;        /* the KILN_E* that stopped a streamed read, or 0 */
    int body_status;     /* the HTTP status that answers body_err */
    uint64_t body_left;  /* streamed, Content-Length: bytes still to take
                            from conn->in */
    uint64_t body_taken; /* streamed: bytes handed out by body_take */
    size_t body_off;     /* in memory: bytes of body taken */
    kiln_buf stream_buf; /* streamed chunked: decoded bytes, taken from
                            stream_off on */
    size_t stream_off;
    struct form_state *form; /* form.c: the parsed form, in the arena */
    kiln_buf part_buf;       /* form.c: the part being parsed */
    /* response */
    kiln_buf resp;         /* body buffer for kiln_send & co. */
    kiln_buf resp_headers; /* extra "Name: value\r\n" lines */
    int status;
    char ctype[128];
    bool responded;
    bool streaming;
    bool stream_close; /* HTTP/1.0 stream: delimit by closing */
    bool head_only;
    bool in_error_page; /* the app's error page runs: no second call */
    int handler_rc;
    struct ctx_defer *defers; /* kiln_defer callbacks, newest first */
    struct bg_job *bg;        /* bg.c: a context without a connection */
    bool cancelled;           /* bg_cancel: every wait fails at once */
    void *db;                 /* db/db.c: the request's kiln_dbc, if any */
    void *input;              /* app/: the endpoint schema's input, if any */
    void *auth;               /* auth/identity.c: the resolved identity */
    void *session;            /* auth/session.c: the session, once asked */
    struct kiln_ws *ws;       /* ws.c: the request's WebSocket, if any */
    struct kiln_sse *sse;     /* sse.c: its event stream, if any */
    struct pubsub_sub *sub;   /* pubsub/sub.c: its subscriptions, if any */
    bool upgraded;            /* 101 sent: the head was consumed at the
                                 upgrade, the connection ends with it */
    bool conn_upgrade;        /* respond.c adds "Connection: Upgrade"
                                 (a 426 or 101 names the upgrade) */
    bool head_owned;          /* ws_own_head: the head is in the arena */
    respond_hook *on_respond; /* see respond_hook; NULL once it ran */
    uint64_t id;
    char id_str[32];
    int64_t start_ms;
    kiln_buf log; /* kiln_request_log: lines captured while it ran */
};

/** A callback run at the end of each loop turn, before the worker waits
    (the data layer sends what requests queued during the turn). */
typedef struct worker_hook {
    void (*fn)(void *arg);
    void *arg;
    struct worker_hook *next;
} worker_hook;

/**
 * A message for a worker from any thread (worker_post): fn runs on the
 * worker's thread, in its loop, outside any coroutine. Embed it in what
 * it carries. The sender owns it until fn is called, fn from then on.
 */
typedef struct worker_msg {
    struct worker_msg *next;
    void (*fn)(worker *w, struct worker_msg *m);
} worker_msg;

/** One worker thread. */
struct worker {
    int id;
    pthread_t thread;
    const kiln_app *app;
    const kiln_server_opts *opts;
    http_limits lim;      /* the limits (max_body for bodies in memory) */
    http_limits head_lim; /* lim without a body limit: heads are parsed with
                             it (conn.c checks Content-Length against
                             lim.max_body unless the body is streamed, which
                             has the limits of the form layer) */
    http_request parse;   /* every head is parsed here, then copied into
                             its context (ctx_set_request) */
    loop loop;
    int listen_fd;
    loop_io listen_io;
    int wake_fd; /* eventfd: the main thread asks us to stop */
    loop_io wake_io;
    timer_heap sleeps;
    timer_list header_q, idle_q, body_q, linger_q;
    /* WebSockets: keep-alive Ping, idle close, close handshake; event
       streams: keep-alive comments (ws.c, sse.c) */
    timer_list ws_ping_q, ws_idle_q, ws_close_q, sse_q;
    timer_list nap_q; /* worker_park_idle: stacks to hibernate */
    ws_zpool zpool;   /* zlib streams for permessage-deflate */
    coro_pool coros;
    int64_t now_ms;
    time_t date_sec;
    char date_hdr[48]; /* "Date: <IMF-fixdate>\r\n" */
    size_t date_len;
    kiln_ctx *free_ctx;
    unsigned nfree_ctx;
    char *bufs[64]; /* idle I/O buffers of WORKER_BUF bytes */
    unsigned nbufs;
    conn *conns;
    unsigned nconns;
    uint64_t next_id;
    int stop; /* atomic: set by the main thread */
    bool draining;
    int64_t drain_deadline;
    int exit_code;
    struct waiter *waiters;  /* coroutines waiting on fds or timers */
    worker_hook *hooks;      /* worker_hook_add; owned by who added them */
    worker_msg *inbox;       /* atomic: worker_post's pushes, newest first */
    struct bg_job *bg_ready; /* bg.c: spawned, not started yet (FIFO) */
    struct bg_job *bg_ready_tail;
    struct bg_job *bg_live; /* bg.c: started and not ended */
    unsigned nbg;           /* background coroutines spawned, not ended */
};

/** Size of pooled I/O buffers. */
#define WORKER_BUF 16384
/** How long a closing WebSocket waits for the peer's Close (and for its
    send queue to drain) before the connection is cut. */
#define WS_CLOSE_WAIT_MS 5000

/** A coroutine waiting for an fd and/or a deadline (on its own stack, or
    for worker_park_idle elsewhere). */
typedef struct waiter {
    timer t;
    timer nap; /* worker_park_idle: on nap_q while it waits */
    loop_io io;
    coro *co;
    int result;
    bool io_armed;
    struct waiter *prev, *next;
} waiter;

/* worker.c */
/** Runs h->fn(h->arg) at the end of every loop turn of w from now on. h is
    the caller's and stays valid as long as the worker runs. */
void worker_hook_add(worker *w, worker_hook *h);
/**
 * Parks the running handler coroutine on wt (storage owned by the caller,
 * usually on its stack) until worker_unpark(wt, result), the timeout
 * (KILN_ETIMEDOUT; -1 for none) or the end of a shutdown's drain time
 * (KILN_ECANCELED). Returns the result; KILN_ESTATE outside a coroutine.
 */
int worker_park(waiter *wt, int64_t timeout_ms);
/**
 * worker_park for a wait that may last (a WebSocket or an event stream
 * waiting for its client): once it has lasted WORKER_NAP_MS, the
 * coroutine's stack pages go back to the kernel (coro_hibernate) until it
 * is resumed, so an idle connection costs no stack. wt must not be on the
 * coroutine's own stack, and nothing may touch that stack meanwhile.
 */
int worker_park_idle(waiter *wt, int64_t timeout_ms);
/** How long a worker_park_idle wait lasts before its stack hibernates. */
#define WORKER_NAP_MS 1000
/** Resumes the coroutine parked on wt with result. Only from the loop
    (outside any coroutine). */
void worker_unpark(waiter *wt, int result);
/** Forgets the park on wt without resuming its coroutine (which is being
    discarded): wt leaves the worker's lists and timers. */
void worker_park_cancel(waiter *wt);
/** The worker running on this thread (NULL elsewhere). */
worker *worker_current(void);
/**
 * Posts m to w from any thread, without a lock: a push onto w's inbox
 * (compare-and-swap), and a write to w's eventfd when the inbox was
 * empty, so a burst of posts wakes the worker once. w drains the inbox at
 * every loop turn (worker_inbox_drain), oldest first per sender. This is
 * how another worker or a thread reaches connections it does not own:
 * the message's fn, on the owner's thread, sends to them.
 */
void worker_post(worker *w, worker_msg *m);
/** Runs the fn of every message posted to w so far, in the order each
    sender posted them. Only on w's thread, outside any coroutine. */
void worker_inbox_drain(worker *w);
/**
 * Makes w the worker of the calling thread (testreq.c: a worker without
 * threads of its own): its coroutines, clock and the data layer's per-worker
 * state now work here. Undone by worker_detach. Returns 0, or KILN_ENOMEM
 * when the stack overflow guard could not be set up (logged; it still runs).
 */
int worker_attach(worker *w);
/** Forgets the thread's worker (after worker_attach). */
void worker_detach(worker *w);
/**
 * One turn of w's loop on the calling thread (after worker_attach): what
 * is posted and spawned starts, the end-of-turn hooks run (the data layer
 * sends its queries), then it waits up to timeout_ms (-1: until the next
 * timer or event) and runs what became ready.
 */
void worker_turn(worker *w, int timeout_ms);
/** Refreshes w->now_ms and the cached Date header. */
void worker_update_clock(worker *w);
/** Takes a pooled I/O buffer into b (if b has none). KILN_ENOMEM on failure. */
int worker_buf_take(worker *w, kiln_buf *b);
/** Gives b's memory back to the pool (b must be empty) or frees it. */
void worker_buf_give(worker *w, kiln_buf *b);
/** Runs the worker loop until it has drained; thread entry point. */
void *worker_main(void *arg);
/** Resumes a suspended handler coroutine and handles its outcome. */
void worker_resume(worker *w, coro *co);
/**
 * Ends the wait co is in (if any) with KILN_ECANCELED once its context is
 * marked cancelled: its deadline becomes now, so the worker resumes it in
 * this loop turn (never from inside this call; a coroutine may call it).
 */
void worker_cancel_wait(worker *w, coro *co);
/** Resumes the coroutine parked on wt in this loop turn, with
    KILN_ETIMEDOUT (never from inside this call: a coroutine may call it,
    and wake-ups within one turn coalesce). */
void worker_unpark_soon(waiter *wt);

/* conn.c */
/** Accepts an already non-blocking socket fd as a new connection. */
void conn_open(worker *w, int fd);
/**
 * A connection without a socket (testreq.c): c->memory set, no fd, not
 * in the loop. Its request bytes are put in c->in by the caller and
 * handled by conn_run_memory; responses accumulate in c->out, which is
 * never written anywhere. NULL when out of memory. Freed by conn_close.
 */
conn *conn_open_memory(worker *w);
/** Handles every complete request in c->in (a memory connection); a
    handler that waits continues from the worker's loop (worker_turn). */
void conn_run_memory(conn *c);
/** Handles a timer of c that expired. */
void conn_timeout(conn *c);
/** Called when the handler coroutine of c finished or crashed. */
void conn_handler_done(conn *c, int coro_state);
/** Closes c now (no linger). */
void conn_close(conn *c);
/**
 * Closes c and frees it even while a handler is suspended on it (its
 * coroutine is discarded): the end of a drain that ran out of time.
 */
void conn_abort(conn *c);
/** Graceful shutdown: closes an idle keep-alive connection; one that is
    mid-request, or accepted and silent so far (2 s grace), closes after. */
void conn_shutdown(conn *c);
/**
 * Flushes out, then the file body if any (closing its fd once sent);
 * returns 0, 1 when bytes remain, or KILN_ECLOSED.
 */
int conn_flush(conn *c);
/** True while c has output (bytes or a file body) not yet sent. */
static inline bool conn_pending(const conn *c)
{
    return c->out_off < c->out.n || c->file_left > 0;
}

/* ctx.c */
/** Takes a context from the pool for a request on c. NULL on failure. */
kiln_ctx *ctx_acquire(worker *w, conn *c);
/**
 * Sets x->path from the request-target's path, decoded and normalised (in
 * x's arena). Returns 0, KILN_EINVAL (a path that is malformed, or not
 * origin- or absolute-form) or KILN_ENOMEM.
 */
int ctx_set_path(kiln_ctx *x);
/** Starts (on) or stops capturing kiln_log lines into x->log, when the
    app captures them (kiln_app_capture_log); a no-op otherwise. */
void ctx_capture_log(kiln_ctx *x, bool on);
/** Runs x's kiln_defer callbacks (newest first) with rc, then forgets
    them. Called in the handler's coroutine, or with KILN_ECANCELED by
    ctx_release when the coroutine was lost. */
void ctx_run_defers(kiln_ctx *x, int rc);
/**
 * Sets x->req from the head just parsed into r (views into the same
 * buffer), the headers copied into x's arena. Returns 0 or KILN_ENOMEM.
 */
int ctx_set_request(kiln_ctx *x, const http_request *r);
/**
 * Parses the head at p[0..n) into x->req (through the worker's parse
 * buffer). Returns what http_parse_request returns, or -503 when the
 * arena is out of memory.
 */
int ctx_parse_head(kiln_ctx *x, const char *p, size_t n);
/** Makes in the request's kiln_input (schema/body.c). */
void ctx_set_input(kiln_ctx *x, void *in);
/** The request's resolved identity (auth/identity.c owns what it points
    to, in the request's arena); NULL until resolved. */
void *ctx_auth(kiln_ctx *c);
/** Sets it (auth/identity.c). */
void ctx_set_auth(kiln_ctx *c, void *a);
/** Returns x to the pool, freeing its request memory. */
void ctx_release(kiln_ctx *x);
/** Releases every pooled context (worker exit). */
void ctx_pool_free(worker *w);

/* body.c */
/** True when the request of x (a head with a body) is streamed: its
    Content-Type is multipart/form-data. */
bool body_wants_stream(kiln_ctx *x);
/**
 * Starts streaming the body of c's request: copies the head into the
 * request's arena (its views move there), consumes it from c->in, and sets
 * up the framing. Returns 0 or KILN_ENOMEM.
 */
int body_stream_begin(conn *c);
/**
 * Waits (in the handler's coroutine) until body bytes are available and
 * views them in *out, valid until the next body_* call. Returns 1, 0 at the
 * end of the body, or a negative code: KILN_ETIMEDOUT (the body timeout),
 * KILN_ECLOSED (the client went), KILN_EPARSE (bad chunked framing),
 * KILN_ELIMIT, KILN_ECANCELED (shutdown), KILN_ESTATE (outside the
 * handler). A streamed body's error is kept in x->body_err and returned
 * again by later calls.
 */
int body_peek(kiln_ctx *x, kiln_str *out);
/** Consumes n bytes (at most what body_peek viewed). */
void body_take(kiln_ctx *x, size_t n);
/** Records err as the error that stopped reading x's streamed body, with
    the HTTP status that answers it. Returns err. */
int body_fail(kiln_ctx *x, int err, int status);
/**
 * True when the connection may carry another request after x: its body
 * was read to the end, or what is left of it is small enough to drain
 * (Content-Length, at most BODY_DRAIN_MAX bytes, no 100 Continue owed).
 */
bool body_keeps_conn(const kiln_ctx *x);
/** Most bytes of an unread streamed body drained to keep a connection. */
#define BODY_DRAIN_MAX (256 * 1024)

/* respond.c */
/**
 * Appends a complete response to x->conn->out: status line, Server, Date,
 * Content-Type (if ctype), the handler's extra headers, Content-Length or
 * chunked framing, Connection, then the body (unless HEAD). body_len < 0
 * starts a chunked stream. Returns 0 or KILN_ENOMEM.
 */
int respond_head_body(kiln_ctx *x, int status, const char *ctype,
                      const void *body, long long body_len);
/**
 * Like respond_head_body with a body of len bytes of the open file fd from
 * offset off, sent with sendfile(2) after the head (see conn.c). fd is owned
 * by the connection from this call on, also on failure: it is closed once
 * sent, at once for HEAD, or when the connection closes. Returns 0 or
 * KILN_ENOMEM.
 */
int respond_file(kiln_ctx *x, int status, const char *ctype, int fd,
                 int64_t off, int64_t len);
/**
 * Offers the error (status, detail) to the app's error page
 * (kiln_app_set_error_page), unless x has none, runs it already or has
 * answered. Returns true when x is answered.
 */
bool respond_error_page(kiln_ctx *x, int status, const char *detail);
/**
 * Answers an error for x: the app's error page first (respond_error_page),
 * else a problem+json (status, detail). Returns 0 or KILN_ENOMEM.
 */
int respond_problem(kiln_ctx *x, int status, const char *detail);
/**
 * Appends a minimal error response for a request that could not be parsed
 * (no context), with Connection: close.
 */
int respond_raw_error(conn *c, int status);
/**
 * Appends "101 Switching Protocols" for x: Server, Date, the handler's
 * headers, then lines (complete "Name: value\r\n" lines: Upgrade,
 * Connection, the protocol's own) and the blank line. Returns 0 or
 * KILN_ENOMEM.
 */
int respond_switching(kiln_ctx *x, const char *lines, size_t n);
/**
 * Appends n bytes of a streamed response (kiln_stream_start) as one chunk
 * to the output without writing or waiting: the caller flushes. Returns
 * 0, KILN_ESTATE when x is not streaming, KILN_ENOMEM.
 */
int respond_chunk(kiln_ctx *x, const void *p, size_t n);

/* ws.c */
/**
 * Sets the check of a WebSocket handshake's credentials, run after the
 * Origin check and before the 101 (the auth layer sets it at start-up:
 * src/auth/identity.c). fn answers the request itself (401...) and returns
 * 1 to refuse, or returns 0. NULL: none.
 */
void ws_set_authorizer(int (*fn)(kiln_ctx *x));
/** Handles loop events of c, a WebSocket whose handler runs. */
void ws_conn_event(conn *c, unsigned ev);
/** Handles the expiry of a timer on one of the worker's ws_* lists. */
void ws_timeout(worker *w, timer *t);
/** Graceful shutdown: closes x's WebSocket with 1001 (Going Away) and
    wakes its handler. */
void ws_shutdown(kiln_ctx *x);
/** Releases what x's WebSocket holds (timers, reader, buffers); the
    request is over (ctx_release). */
void ws_release(kiln_ctx *x);
/**
 * Called once x's head (p, parsed) is known, before anything else goes
 * into its arena: a GET asking for a WebSocket upgrade gets a small arena
 * (WS_ARENA_CHUNK) instead of the request's 4 KiB one, with its head
 * copied in and parsed there, since it may wait for hours. Other requests
 * are left alone. Returns 0, or a negated HTTP status (503: no memory).
 */
int ws_own_head(kiln_ctx *x, const char *p);

/* sse.c */
/** Handles loop events of c while an event stream's handler runs (after
    conn.c has written what it could). */
void sse_conn_event(conn *c, unsigned ev);
/** Handles the expiry of an event stream's keep-alive timer. */
void sse_timeout(worker *w, timer *t);
/** Graceful shutdown: wakes x's event stream handler if it waits. */
void sse_shutdown(kiln_ctx *x);
/** Releases what x's event stream holds (its timer). */
void sse_release(kiln_ctx *x);

/* server.c */
/**
 * Sets w up for app with options o (complete: see kiln_server_opts_default)
 * as worker number id: loop, eventfd, timers, pools, and a listener unless
 * o->tasks_only (shared_fd >= 0: a duplicate of that socket). o must outlive
 * w. Returns 0 or KILN_EIO; worker_deinit releases what it set up, also
 * after a failure.
 */
int worker_init(worker *w, int id, const kiln_app *app,
                const kiln_server_opts *o, int shared_fd);
/** Releases what worker_init set up (the worker's thread has ended). */
void worker_deinit(worker *w);
/** Hands p (malloc'd) to app: kiln_app_free frees it. 0 or KILN_ENOMEM
    (p is freed then too). */
int app_keep(kiln_app *app, void *p);

/* bg.c: coroutines without a connection (tasks, services) */

/** The body of a background coroutine: fn(x, arg), x its context. */
typedef int (*bg_fn)(kiln_ctx *x, void *arg);
/**
 * Called once a background coroutine ended, outside any coroutine: rc is
 * what its body returned, or KILN_ECANCELED when it crashed (crashed:
 * its stack overflowed, caught by the guard page) or was discarded at the
 * end of a drain that ran out of time.
 */
typedef void (*bg_done_fn)(void *arg, int rc, bool crashed);

/**
 * Spawns fn(x, arg) in a coroutine of w (the calling thread's worker) with
 * a context x of its own: the request API works on it (kiln_alloc, its
 * arena, kiln_defer, kiln_db, the waiting calls) but it has no request
 * (empty) and no response (the response calls return KILN_ESTATE). It
 * starts at the end of the current loop turn (bg_start_ready), so this may
 * be called from a coroutine. label ("task-42") is what kiln_request_id
 * gives in logs (copied). done(arg, ...) runs when it ended. *out (may be
 * NULL) gets x, valid until done runs. Returns 0 or KILN_ENOMEM.
 */
int bg_spawn(worker *w, bg_fn fn, bg_done_fn done, void *arg, const char *label,
             kiln_ctx **out);
/** Starts what bg_spawn queued (the worker's loop calls it each turn). */
void bg_start_ready(worker *w);
/**
 * Cancels x (a background context): the wait it is in ends with
 * KILN_ECANCELED (in this loop turn) and every later wait fails so at
 * once, so that its body unwinds through its error paths. May be called
 * from a coroutine. A body that computes without waiting is not
 * interrupted.
 */
void bg_cancel(kiln_ctx *x);
/** The arg given to bg_spawn for background context x (NULL for a
    request's context). */
void *bg_arg(const kiln_ctx *x);
/**
 * Ends one unit of a long-lived background context's work: its kiln_defer
 * callbacks run with 0 (the database lease goes back; an open transaction
 * is rolled back and logged) and its arena is emptied. In x's coroutine.
 */
void bg_recycle(kiln_ctx *x);
/** Completes a background coroutine that returned or crashed (st). */
void bg_resumed(kiln_ctx *x, int st);
/** Discards every background coroutine of w still running: the end of a
    drain that ran out of time. */
void bg_abort_all(worker *w);

/* static/static.c */
/** Frees the static mounts of app (kiln_app_free). */
void static_mounts_free(kiln_app *app);

#endif
