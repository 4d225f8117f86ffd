/*
 * server/conn.c - one HTTP/1.1 connection: reading, framing, dispatching to
 * a handler coroutine, writing, timeouts and closing. See worker.h for the
 * states. The rules that keep it fast: the input buffer comes from a
 * per-worker pool and goes back when the connection is idle; every request
 * buffered (pipelining) is handled before anything is written, so a batch of
 * responses leaves in one write(2); nothing here allocates per request.
 */
#include "server/worker.h"

#include "http/url.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

/* Stop handling pipelined requests while this much output is unsent. */
#define OUT_HIGH (256 * 1024)
/* How long a closing connection drains unread input. */
#define LINGER_MS 2000

enum { PROC_MORE, PROC_BUSY, PROC_CLOSED };
enum { RD_OK, RD_AGAIN, RD_EOF, RD_ERR };

static void conn_on_event(loop *l, loop_io *io, unsigned ev);
static void conn_drive(conn *c);

void conn_open(worker *w, int fd)
{
    conn *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return;
    }
    c->io.fd = fd;
    c->io.cb = conn_on_event;
    c->file_fd = -1;
    c->w = w;
    kiln_buf_init(&c->in);
    kiln_buf_init(&c->out);
    if (loop_add(&w->loop, &c->io, LOOP_READ | LOOP_WRITE, 0) != 0) {
        close(fd);
        free(c);
        return;
    }
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;
    w->nconns++;
    /* a new connection must send its first request within the header
       timeout; it is closed silently if it sends nothing */
    timer_list_arm(&w->header_q, &c->t, w->now_ms);
}

conn *conn_open_memory(worker *w)
{
    conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->io.fd = -1;
    c->file_fd = -1;
    c->w = w;
    c->memory = true;
    kiln_buf_init(&c->in);
    kiln_buf_init(&c->out);
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;
    w->nconns++;
    return c;
}

/* Drops the file body of c (sent, or the connection is going away). */
static void file_body_drop(conn *c)
{
    if (c->file_fd >= 0)
        close(c->file_fd);
    c->file_fd = -1;
    c->file_left = 0;
}

/* Frees c's memory; the fd is already closed and nothing refers to c. */
static void conn_free(conn *c)
{
    worker *w = c->w;
    file_body_drop(c);
    timer_list_disarm(&c->t);
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    w->nconns--;
    kiln_buf_clear(&c->in);
    worker_buf_give(w, &c->in);
    kiln_buf_deinit(&c->out);
    free(c);
}

void conn_close(conn *c)
{
    if (c->dead)
        return;
    c->dead = true;
    timer_list_disarm(&c->t);
    if (!c->memory)
        close(c->io.fd);
    file_body_drop(c);
    if (c->state == CONN_HANDLER)
        return; /* freed when the handler finishes */
    if (c->ctx) {
        ctx_release(c->ctx);
        c->ctx = NULL;
    }
    conn_free(c);
}

void conn_abort(conn *c)
{
    if (c->state == CONN_HANDLER) {
        if (c->ctx && c->ctx->co) {
            coro_discard(&c->w->coros, c->ctx->co);
            c->ctx->co = NULL;
        }
        c->write_waiter = NULL;
        c->read_wait = NULL; /* it was on the discarded stack */
        c->state = CONN_HEAD;
        if (c->dead) {
            if (c->ctx) {
                ctx_release(c->ctx);
                c->ctx = NULL;
            }
            conn_free(c);
            return;
        }
    }
    conn_close(c);
}

/* Sends the file body after out: returns 0 when it is all sent (the fd is
 * closed), 1 when the socket is full, or KILN_ECLOSED. */
static int file_body_send(conn *c)
{
    while (c->file_left > 0) {
        off_t off = (off_t)c->file_off;
        size_t want =
            c->file_left > (1 << 30) ? (size_t)1 << 30 : (size_t)c->file_left;
        ssize_t n = sendfile(c->io.fd, c->file_fd, &off, want);
        if (n > 0) {
            c->file_off += n;
            c->file_left -= n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 1;
        /* n == 0: the file shrank under us; the promised length cannot be
           kept, so the connection must end (as nginx does) */
        file_body_drop(c);
        return KILN_ECLOSED;
    }
    file_body_drop(c);
    return 0;
}

int conn_flush(conn *c)
{
    if (c->memory)
        return 0; /* the response stays in out for its reader */
    while (c->out_off < c->out.n) {
        /* MSG_MORE: the head of a file body leaves with its first bytes */
        ssize_t n = send(c->io.fd, c->out.p + c->out_off, c->out.n - c->out_off,
                         MSG_NOSIGNAL | (c->file_left > 0 ? MSG_MORE : 0));
        if (n > 0) {
            c->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 1;
        return KILN_ECLOSED;
    }
    c->out_off = 0;
    kiln_buf_clear(&c->out);
    if (c->ws)
        worker_buf_give(c->w, &c->out); /* an idle WebSocket holds none */
    else if (c->out.cap > 4 * WORKER_BUF)
        kiln_buf_deinit(&c->out); /* do not keep a big buffer per idle conn */
    return c->file_left > 0 ? file_body_send(c) : 0;
}

/* Starts the lingering close: our answer is out, the write side is shut,
 * and unread input is drained until EOF or LINGER_MS. */
static void conn_linger(conn *c)
{
    c->state = CONN_LINGER;
    shutdown(c->io.fd, SHUT_WR);
    kiln_buf_clear(&c->in);
    c->in_off = 0;
    worker_buf_give(c->w, &c->in);
    timer_list_disarm(&c->t);
    c->t.deadline = 0;
    timer_list_arm(&c->w->linger_q, &c->t, c->w->now_ms);
    c->readable = true;
}

static void linger_read(conn *c)
{
    char scratch[4096];
    for (;;) {
        ssize_t n = read(c->io.fd, scratch, sizeof scratch);
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        conn_close(c);
        return;
    }
}

/*
 * Answers a request refused with status and closes after it. With the
 * request's head read (c->ctx: a Content-Length over server.max_body, a
 * body that broke its chunked framing or took too long), the app's error
 * page may answer it as a request; else, and when it declines, a fixed
 * problem+json does.
 */
static void conn_error(conn *c, int status)
{
    kiln_ctx *x = c->ctx;
    c->ctx = NULL;
    c->state = CONN_HEAD;
    if (x && x->w->app->error_page && ctx_set_path(x) == 0) {
        static const struct {
            int status;
            const char *detail;
        } details[] = {
            {400, "The request body is malformed."},
            {408, "The request took too long to arrive."},
            {413, "The request body is larger than the server accepts."},
        };
        const char *detail = "The request was refused.";
        for (size_t i = 0; i < sizeof details / sizeof details[0]; i++)
            if (details[i].status == status)
                detail = details[i].detail;
        x->head_only = kiln_str_eq(x->req.method, KILN_STR("HEAD"));
        x->req.keep_alive = false; /* the rest of the input is not read */
        bool answered = respond_error_page(x, status, detail);
        ctx_release(x);
        if (answered) {
            c->close_after = true;
            return;
        }
    } else if (x) {
        ctx_release(x);
    }
    respond_raw_error(c, status);
    c->close_after = true;
}

/* Reads once into the input buffer. */
static int conn_read(conn *c)
{
    worker *w = c->w;
    if (!c->in.p && worker_buf_take(w, &c->in) != 0)
        return RD_ERR;
    if (c->in_off == c->in.n) {
        c->in_off = 0;
        c->in.n = 0;
    }
    size_t room = c->in.cap - c->in.n - 1;
    if (room < 1024) {
        if (c->in_off > 0 &&
            (c->state == CONN_HEAD || c->state == CONN_DRAIN)) {
            /* slide the unconsumed bytes down */
            memmove(c->in.p, c->in.p + c->in_off, c->in.n - c->in_off);
            c->in.n -= c->in_off;
            c->in_off = 0;
        } else {
            char *old = c->in.p;
            if (kiln_buf_reserve(&c->in, c->in.cap) != 0)
                return RD_ERR;
            if (c->in.p != old)
                c->reparse = true;
        }
        room = c->in.cap - c->in.n - 1;
    }
    ssize_t n = read(c->io.fd, c->in.p + c->in.n, room);
    if (n > 0) {
        c->in.n += (size_t)n;
        c->in.p[c->in.n] = '\0';
        if ((size_t)n < room)
            c->readable = false; /* drained: edge-triggered says when more */
        return RD_OK;
    }
    if (n == 0)
        return RD_EOF;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        c->readable = false;
        return RD_AGAIN;
    }
    if (errno == EINTR)
        return RD_OK;
    return RD_ERR;
}

/* ---- dispatch ---------------------------------------------------------- */

/* True for the methods that change nothing (RFC 9110 section 9.2.1), which
   the app's guard does not see. */
static bool method_safe(kiln_str m)
{
    switch (m.n) {
    case 3:
        return memcmp(m.p, "GET", 3) == 0;
    case 4:
        return memcmp(m.p, "HEAD", 4) == 0;
    case 5:
        return memcmp(m.p, "TRACE", 5) == 0;
    case 7:
        return memcmp(m.p, "OPTIONS", 7) == 0;
    }
    return false;
}

static void run_handler(void *arg)
{
    kiln_ctx *x = arg;
    int (*guard)(kiln_ctx *) = x->w->app->guard;
    int g = guard && !method_safe(x->req.method) ? guard(x) : 0;
    x->handler_rc = g == 0 ? x->match.handler(x) : g < 0 ? g : 0;
    int rc = x->handler_rc;
    if (rc == 0 && !x->responded)
        rc = KILN_ESTATE; /* returned without an answer: a failure */
    ctx_run_defers(x, rc);
}

static void access_log(kiln_ctx *x)
{
    if (!x->w->opts->access_log)
        return;
    kiln_log(KILN_LOG_INFO, "%s %.*s %.*s %d %lldms", kiln_request_id(x),
             (int)x->req.method.n, x->req.method.p, (int)x->req.target.n,
             x->req.target.p, x->status,
             (long long)(x->w->now_ms - x->start_ms));
}

/* The request on c is answered: consume its bytes and get ready for the
 * next one. */
static void request_finish(conn *c)
{
    kiln_ctx *x = c->ctx;
    uint8_t next = CONN_HEAD;
    access_log(x);
    if (!x->req.keep_alive || x->stream_close || c->w->draining)
        c->close_after = true;
    if (x->upgraded) {
        /* a WebSocket: its head went at the upgrade, and the connection
           ends with it */
        c->close_after = true;
    } else if (!x->body_stream) {
        c->in_off += x->req.head_len;
        if (x->req.body == HTTP_BODY_LENGTH)
            c->in_off += x->req.content_length;
    } else if (!x->body_eof) {
        /* a streamed body the handler did not read to the end: its head and
           what was read are consumed already; drain a small rest, else the
           framing is lost and the connection must close */
        if (!c->close_after && body_keeps_conn(x)) {
            c->drain_left = x->body_left;
            next = CONN_DRAIN;
            timer_list_arm(&c->w->body_q, &c->t, c->w->now_ms);
        } else {
            c->close_after = true;
        }
    }
    ctx_release(x);
    c->ctx = NULL;
    c->state = next;
    c->head_started = false;
    c->sent_continue = false;
}

/* Completes a handler run that ended in coro state st. */
static void handler_end(conn *c, int st)
{
    kiln_ctx *x = c->ctx;
    worker *w = c->w;
    ctx_capture_log(x, true); /* the failure's lines belong to the request */
    if (st == CORO_CRASHED) {
        kiln_log(KILN_LOG_ERROR,
                 "%s: %.*s %s: stack overflow in the handler (caught by "
                 "the guard page); answered 500",
                 kiln_request_id(x), (int)x->req.method.n, x->req.method.p,
                 x->path.p);
        if (!x->responded)
            respond_problem(x, 500, "The handler crashed.");
        else
            c->close_after = true;
    } else if (x->body_err && !x->responded) {
        /* the body failed to arrive (a slow or gone client, bad framing):
           that is the answer, not a 500 */
        kiln_log(KILN_LOG_INFO, "%s: %.*s %s: request body: %s",
                 kiln_request_id(x), (int)x->req.method.n, x->req.method.p,
                 x->path.p, kiln_strerror(x->body_err));
        if (x->body_status)
            respond_problem(x, x->body_status,
                            x->body_status == 408
                                ? "The request body stopped arriving."
                                : "The request body could not be read.");
    } else if (x->handler_rc < 0 || !x->responded) {
        kiln_log(KILN_LOG_ERROR, "%s: %.*s %s: handler %s", kiln_request_id(x),
                 (int)x->req.method.n, x->req.method.p, x->path.p,
                 x->handler_rc < 0 ? kiln_strerror(x->handler_rc)
                                   : "returned without a response");
        if (!x->responded)
            respond_problem(x, 500, "The handler failed.");
        else if (x->streaming)
            c->close_after = true; /* cannot finish the stream cleanly */
    } else if (x->streaming) {
        c->close_after = true; /* the stream was never ended */
    }
    if (x->body_err)
        c->close_after = true; /* the body's framing is lost */
    ctx_capture_log(x, false);
    coro_free(&w->coros, x->co);
    x->co = NULL;
    request_finish(c);
}

void conn_handler_done(conn *c, int st)
{
    handler_end(c, st);
    if (c->dead) {
        conn_free(c);
        return;
    }
    conn_drive(c);
}

/* Routes and runs the request whose head and body are complete. */
static int dispatch(conn *c)
{
    kiln_ctx *x = c->ctx;
    worker *w = c->w;
    ctx_request *r = &x->req;
    c->requests++;
    x->start_ms = w->now_ms;
    x->head_only = kiln_str_eq(r->method, KILN_STR("HEAD"));
    timer_list_disarm(&c->t);

    if (r->path.n == 1 && r->path.p[0] == '*') {
        /* asterisk-form: only OPTIONS gets here (the parser checks) */
        kiln_set_header(x, "Allow",
                        "GET, HEAD, POST, PUT, PATCH, DELETE, "
                        "OPTIONS");
        respond_head_body(x, 204, NULL, NULL, 0);
        request_finish(c);
        return PROC_MORE;
    }
    if (r->path.n == 0 || r->path.p[0] != '/') {
        respond_problem(x, 400,
                        "Only origin-form and absolute-form request "
                        "targets are served.");
        c->close_after = true;
        request_finish(c);
        return PROC_MORE;
    }
    int prc = ctx_set_path(x);
    if (prc != 0) {
        if (prc == KILN_ENOMEM) {
            respond_problem(x, 503, "Out of memory.");
        } else {
            respond_problem(x, 400, "The request path is malformed.");
            c->close_after = true;
        }
        request_finish(c);
        return PROC_MORE;
    }
    router_match(w->app->routes, r->method, x->path, &x->match);
    if (x->match.status == 404) {
        respond_problem(x, 404, "No route matches this path.");
        request_finish(c);
        return PROC_MORE;
    }
    if (x->match.status == 405) {
        kiln_set_header(x, "Allow", x->match.allow);
        respond_problem(x, 405, "This path does not accept the method.");
        request_finish(c);
        return PROC_MORE;
    }
    if (!x->match.handler) { /* automatic OPTIONS */
        kiln_set_header(x, "Allow", x->match.allow);
        respond_head_body(x, 204, NULL, NULL, 0);
        request_finish(c);
        return PROC_MORE;
    }
    coro *co = coro_new(&w->coros, run_handler, x);
    if (!co) {
        respond_problem(x, 503, "The server is out of memory.");
        request_finish(c);
        return PROC_MORE;
    }
    coro_set_data(co, x);
    x->co = co;
    c->state = CONN_HANDLER;
    ctx_capture_log(x, true);
    int st = coro_resume(co);
    ctx_capture_log(x, false);
    if (st == CORO_SUSPENDED)
        return PROC_BUSY;
    handler_end(c, st);
    return PROC_MORE;
}

/* Enters the BODY state: the head is parsed, the body is still coming. */
static void enter_body(conn *c)
{
    kiln_ctx *x = c->ctx;
    if (c->state != CONN_BODY) {
        c->state = CONN_BODY;
        timer_list_arm(&c->w->body_q, &c->t, c->w->now_ms);
    }
    if (x->req.expect_continue && x->req.minor == 1 && !c->sent_continue) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        c->sent_continue = true;
        if (kiln_buf_append(&c->out, cont, sizeof cont - 1) == 0)
            conn_flush(c);
    }
}

/* Feeds buffered chunked framing to the decoder, removing what it used.
 * Returns 1 complete, 0 more needed, or a negated status. */
static int feed_chunked(conn *c)
{
    kiln_ctx *x = c->ctx;
    size_t used = 0;
    size_t avail = c->in.n - c->body_pos;
    int rc = http_chunked_feed(&c->chunked, &c->w->lim, c->in.p + c->body_pos,
                               avail, &used, &x->body_buf, &x->trailers_buf);
    if (rc < 0)
        return rc;
    memmove(c->in.p + c->body_pos, c->in.p + c->body_pos + used, avail - used);
    c->in.n -= used;
    c->in.p[c->in.n] = '\0';
    if (rc == 1)
        x->body = kiln_buf_str(&x->body_buf);
    return rc;
}

/* Handles every complete request in the input buffer. */
static int conn_process(conn *c)
{
    worker *w = c->w;
    for (;;) {
        if (c->dead)
            return PROC_CLOSED;
        if (c->close_after || c->state == CONN_HANDLER)
            return c->state == CONN_HANDLER ? PROC_BUSY : PROC_MORE;
        if (c->out.n - c->out_off > OUT_HIGH || c->file_left > 0)
            return PROC_MORE; /* a file body goes out before what follows */
        size_t avail = c->in.n - c->in_off;
        const char *p = c->in.p + c->in_off;
        if (c->state == CONN_HEAD) {
            if (avail == 0)
                return PROC_MORE;
            if (!c->head_started) {
                c->head_started = true;
                timer_list_arm(&w->header_q, &c->t, w->now_ms);
            }
            kiln_ctx *x = ctx_acquire(w, c);
            if (!x) {
                conn_error(c, 503);
                return PROC_MORE;
            }
            int rc = ctx_parse_head(x, p, avail);
            if (rc > 0) {
                int r = ws_own_head(x, p); /* a WebSocket's small arena */
                rc = r < 0 ? r : rc;
            }
            if (rc <= 0) {
                ctx_release(x);
                if (rc < 0)
                    conn_error(c, -rc);
                return PROC_MORE;
            }
            c->ctx = x;
            c->reparse = false;
            if (x->req.body != HTTP_BODY_NONE && body_wants_stream(x)) {
                /* multipart: route now, the handler reads as it comes */
                if (body_stream_begin(c) != 0) {
                    conn_error(c, 503);
                    return PROC_MORE;
                }
            } else if (x->req.body == HTTP_BODY_LENGTH) {
                if (x->req.content_length > w->lim.max_body) {
                    conn_error(c, 413);
                    return PROC_MORE;
                }
                if (avail - x->req.head_len < x->req.content_length) {
                    enter_body(c);
                    return PROC_MORE;
                }
                x->body = (kiln_str){p + x->req.head_len,
                                     (size_t)x->req.content_length};
            } else if (x->req.body == HTTP_BODY_CHUNKED) {
                c->body_pos = c->in_off + x->req.head_len;
                http_chunked_init(&c->chunked);
                int r = feed_chunked(c);
                if (r < 0) {
                    conn_error(c, -r);
                    return PROC_MORE;
                }
                if (r == 0) {
                    enter_body(c);
                    return PROC_MORE;
                }
            }
        } else if (c->state == CONN_BODY) {
            kiln_ctx *x = c->ctx;
            if (c->reparse) {
                int rc = ctx_parse_head(x, p, avail);
                if (rc <= 0) { /* cannot happen: the same bytes parsed */
                    conn_error(c, 500);
                    return PROC_MORE;
                }
                c->reparse = false;
            }
            if (x->req.body == HTTP_BODY_LENGTH) {
                if (avail - x->req.head_len < x->req.content_length)
                    return PROC_MORE;
                x->body = (kiln_str){p + x->req.head_len,
                                     (size_t)x->req.content_length};
            } else {
                int r = feed_chunked(c);
                if (r < 0) {
                    conn_error(c, -r);
                    return PROC_MORE;
                }
                if (r == 0)
                    return PROC_MORE;
            }
            c->state = CONN_HEAD;
        } else if (c->state == CONN_DRAIN) {
            /* the rest of a streamed body nobody read */
            size_t k = avail < c->drain_left ? avail : (size_t)c->drain_left;
            c->in_off += k;
            c->drain_left -= k;
            if (c->drain_left > 0)
                return PROC_MORE;
            timer_list_disarm(&c->t);
            c->state = CONN_HEAD;
            continue;
        } else {
            return PROC_MORE;
        }
        int r = dispatch(c);
        if (r != PROC_MORE)
            return r;
    }
}

/* After a round of work: write, then arm the right timer or close. */
static void conn_after(conn *c)
{
    worker *w = c->w;
    if (c->dead || c->state == CONN_HANDLER || c->memory)
        return;
    if (conn_pending(c)) {
        int r = conn_flush(c);
        if (r < 0) {
            conn_close(c);
            return;
        }
        if (r == 1) {
            /* the peer is slow to read: give it the body timeout */
            if (c->t.list != &w->body_q)
                timer_list_arm(&w->body_q, &c->t, w->now_ms);
            return;
        }
    }
    if (c->state == CONN_LINGER)
        return;
    if (c->close_after) {
        conn_linger(c);
        linger_read(c);
        return;
    }
    if (c->state == CONN_BODY || c->state == CONN_DRAIN)
        return;
    if (c->in.n > c->in_off)
        return; /* a head is arriving: the header timer runs */
    if (c->eof) {
        conn_close(c);
        return;
    }
    /* idle keep-alive: give the buffers back */
    c->in_off = 0;
    kiln_buf_clear(&c->in);
    worker_buf_give(w, &c->in);
    if (c->t.list != &w->idle_q || c->head_started) {
        c->head_started = false;
        timer_list_arm(&w->idle_q, &c->t, w->now_ms);
    }
}

static void conn_drive(conn *c)
{
    if (c->memory) {
        /* no socket: what is in `in` is all there is, out is kept */
        if (!c->dead)
            conn_process(c);
        return;
    }
    for (;;) {
        if (c->dead)
            return;
        if (c->state == CONN_LINGER) {
            linger_read(c);
            return;
        }
        int r = conn_process(c);
        if (r == PROC_CLOSED)
            return;
        if (r == PROC_BUSY)
            break;
        if (c->out.n - c->out_off > OUT_HIGH || c->file_left > 0) {
            /* backpressure: write before handling more buffered requests */
            int f = conn_flush(c);
            if (f < 0) {
                conn_close(c);
                return;
            }
            if (f == 1)
                break; /* the write event resumes us */
            continue;
        }
        if (c->close_after || !c->readable)
            break;
        int rr = conn_read(c);
        if (rr == RD_AGAIN)
            break;
        if (rr == RD_ERR) {
            conn_close(c);
            return;
        }
        if (rr == RD_EOF) {
            c->eof = true;
            c->readable = false;
            if (c->state == CONN_DRAIN) {
                /* the rest of the body will not come: the answer still
                   goes out, then the connection closes */
                c->close_after = true;
                break;
            }
            if (c->state == CONN_BODY || c->in.n > c->in_off) {
                /* the peer gave up in the middle of a request */
                conn_close(c);
                return;
            }
            break;
        }
        if (c->state == CONN_BODY || c->state == CONN_DRAIN)
            timer_list_arm(&c->w->body_q, &c->t, c->w->now_ms);
    }
    conn_after(c);
}

static void conn_on_event(loop *l, loop_io *io, unsigned ev)
{
    (void)l;
    conn *c = (conn *)io;
    if (c->dead)
        return;
    if (ev & LOOP_READ)
        c->readable = true;
    if (c->ws && c->state == CONN_HANDLER) {
        ws_conn_event(c, ev); /* the WebSocket reads and writes itself */
        return;
    }
    if ((ev & LOOP_WRITE) && conn_pending(c)) {
        int r = conn_flush(c);
        if (r < 0 && c->state != CONN_HANDLER) {
            conn_close(c);
            return;
        }
        if (r < 0) {
            /* a streaming handler: it sees KILN_ECLOSED on its next write */
            c->eof = true;
        }
    }
    if (c->write_waiter && (c->out.n - c->out_off <= OUT_HIGH / 2 || c->eof)) {
        coro *co = c->write_waiter;
        c->write_waiter = NULL;
        worker_resume(c->w, co);
        return;
    }
    if (c->read_wait && (ev & LOOP_READ)) {
        /* a handler waits for body bytes (body.c) */
        waiter *wt = c->read_wait;
        c->read_wait = NULL;
        worker_unpark(wt, 0);
        return;
    }
    if (c->state == CONN_HANDLER) {
        if (c->ctx && c->ctx->sse)
            sse_conn_event(c, ev); /* an event stream watches for EOF */
        return;
    }
    conn_drive(c);
}

void conn_run_memory(conn *c)
{
    conn_drive(c);
}

void conn_timeout(conn *c)
{
    worker *w = c->w;
    timer_list *which = c->t.list;
    timer_list_disarm(&c->t);
    if (which == &w->header_q && c->state == CONN_HEAD && c->head_started) {
        conn_error(c, 408);
        conn_after(c);
    } else if (which == &w->body_q && c->state == CONN_BODY) {
        conn_error(c, 408);
        conn_after(c);
    } else if (c->state == CONN_DRAIN) {
        conn_close(c); /* answered already; the rest of the body is late */
    } else if (c->state == CONN_HANDLER) {
        /* a streaming handler waits on a peer that does not read */
        c->eof = true;
        if (c->write_waiter) {
            coro *co = c->write_waiter;
            c->write_waiter = NULL;
            worker_resume(w, co);
        }
    } else {
        conn_close(c);
    }
}

void conn_shutdown(conn *c)
{
    if (c->dead)
        return;
    if (c->state == CONN_HEAD && !conn_pending(c)) {
        if (c->in.n > c->in_off)
            return; /* a head is arriving: answer it (Connection: close) */
        if (c->requests == 0) {
            /*
             * Accepted, nothing read yet: the client connected to send a
             * request, which may be in flight. Closing now would lose it
             * (and `kiln dev` restarts this way), so it gets the linger
             * grace (2 s) to start one.
             */
            timer_list_arm(&c->w->linger_q, &c->t, c->w->now_ms);
            return;
        }
        conn_close(c); /* idle keep-alive: clients retry on a new one */
        return;
    }
    c->close_after = c->state != CONN_BODY;
    if (c->state == CONN_HANDLER && c->ctx) {
        /* long-lived handlers are told, so that they end in time */
        if (c->ctx->ws)
            ws_shutdown(c->ctx);
        else if (c->ctx->sse)
            sse_shutdown(c->ctx);
    }
}
