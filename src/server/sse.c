/*
 * server/sse.c - server-sent events (kiln/sse.h): a streamed response
 * (kiln_stream_*'s chunked framing) of text/event-stream, written as the
 * WHATWG HTML standard's "event stream interpretation" reads it.
 *
 * Like a WebSocket's, an event's bytes go to conn->out and are written at
 * once, without waiting: any code on the worker may send (the handler, a
 * pub/sub delivery). A reader that falls more than sse.max_send_queue
 * bytes behind is cut off. The keep-alive comment comes from a timer on
 * the worker's sse_q list, so it is written while the handler waits on
 * anything (kiln_sse_wait, a database query, a sleep); its wait is on a
 * waiter inside the kiln_sse, and conn.c passes read events here so that
 * a client that leaves wakes it (a peek for EOF; bytes the client may
 * have pipelined stay unread).
 */
#include "server/worker.h"

#include "pubsub/pubsub.h"

#include <kiln/sse.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

struct kiln_sse {
    kiln_ctx *x;
    timer ka;      /* keep-alive, on w->sse_q */
    waiter wait;   /* kiln_sse_wait */
    bool waiting;  /* the handler is parked on wait */
    bool for_pub;  /* ... in kiln_sse_recv: a publication wakes it */
    bool gone;     /* the client left or was cut off */
    bool canceled; /* the server is shutting down */
};

kiln_str kiln_sse_last_id(kiln_ctx *c)
{
    kiln_str v = kiln_header(c, "Last-Event-ID");
    if (v.p && memchr(v.p, '\0', v.n))
        return KILN_STR_NULL;
    return v;
}

/* The client is gone: no more writes, and the waiting handler is told. */
static void sse_gone(kiln_sse *s)
{
    s->gone = true;
    timer_list_disarm(&s->ka);
}

/* Wakes the handler if it waits and has a reason to stop waiting. Only
   from the loop, as the caller's last step. */
static void sse_wake(kiln_sse *s)
{
    if (s->waiting && (s->gone || s->canceled) && !coro_current())
        worker_unpark(&s->wait, 0);
}

/* Writes what the socket takes; cuts off a reader too far behind. */
static int sse_flush(kiln_sse *s)
{
    conn *c = s->x->conn;
    if (c->dead || c->eof) {
        sse_gone(s);
        return KILN_ECLOSED;
    }
    int r = conn_flush(c);
    if (r < 0) {
        c->eof = true;
        sse_gone(s);
        return KILN_ECLOSED;
    }
    if (r == 1 &&
        c->out.n - c->out_off > (uint64_t)s->x->w->opts->sse_max_send_queue) {
        kiln_log(KILN_LOG_INFO,
                 "%s: event stream cut off: its reader is %zu bytes behind",
                 kiln_request_id(s->x), c->out.n - c->out_off);
        shutdown(c->io.fd, SHUT_RDWR);
        c->eof = true;
        sse_gone(s);
        return KILN_ECLOSED;
    }
    return 0;
}

/* Appends bytes as one chunk and writes; restarts the keep-alive clock. */
static int sse_put(kiln_sse *s, const char *p, size_t n)
{
    kiln_ctx *x = s->x;
    if (s->gone)
        return KILN_ECLOSED;
    int rc = respond_chunk(x, p, n);
    if (rc)
        return rc;
    if (x->w->opts->sse_keepalive_ms > 0)
        timer_list_arm(&x->w->sse_q, &s->ka, x->w->now_ms);
    return sse_flush(s);
}

kiln_sse *kiln_sse_start(kiln_ctx *c)
{
    if (c->responded || c->sse)
        return NULL;
    kiln_sse *s = kiln_arena_calloc(&c->arena, sizeof *s);
    if (!s) {
        kiln_problem(c, 503, "The server is out of memory.");
        return NULL;
    }
    s->x = c;
    /* no cache may keep it, no proxy may hold it back */
    if (kiln_set_header(c, "Cache-Control", "no-cache") ||
        kiln_set_header(c, "X-Accel-Buffering", "no") ||
        respond_head_body(c, 200, "text/event-stream", NULL, -1) != 0) {
        if (!c->responded)
            kiln_problem(c, 503, "The server is out of memory.");
        return NULL;
    }
    c->sse = s;
    if (c->head_only) {
        s->gone = true; /* HEAD: the head is the whole answer */
        kiln_stream_end(c);
    } else if (c->w->opts->sse_keepalive_ms > 0)
        timer_list_arm(&c->w->sse_q, &s->ka, c->w->now_ms);
    sse_flush(s);
    return s;
}

/* True when s (n bytes) holds no line break (and, when nul, no NUL). */
static bool one_line(const char *s, size_t n, bool nul)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\r' || s[i] == '\n' || (nul && s[i] == '\0'))
            return false;
    return true;
}

int kiln_sse_send(kiln_sse *s, const char *event, const char *id,
                  const char *data, size_t n)
{
    size_t en = event ? strlen(event) : 0, in = id ? strlen(id) : 0;
    if (!one_line(event, en, false) || !one_line(id, in, true) || (n && !data))
        return KILN_EINVAL;
    if (s->gone)
        return KILN_ECLOSED;
    kiln_buf *b = &s->x->resp; /* unused by a stream: scratch */
    kiln_buf_clear(b);
    if (en) {
        kiln_buf_puts(b, "event: ");
        kiln_buf_append(b, event, en);
        kiln_buf_putc(b, '\n');
    }
    if (id) {
        kiln_buf_puts(b, "id: ");
        kiln_buf_append(b, id, in);
        kiln_buf_putc(b, '\n');
    }
    /* one data: line per line of data, whatever ends it (CRLF, CR, LF);
       a line break at the end gives an empty last line, so the client's
       data ends with it too */
    for (size_t i = 0;;) {
        size_t j = i;
        while (j < n && data[j] != '\r' && data[j] != '\n')
            j++;
        kiln_buf_puts(b, "data: ");
        kiln_buf_append(b, data + i, j - i);
        kiln_buf_putc(b, '\n');
        if (j >= n)
            break;
        if (data[j] == '\r' && j + 1 < n && data[j + 1] == '\n')
            j++;
        i = j + 1;
    }
    if (kiln_buf_putc(b, '\n') != 0) {
        kiln_buf_clear(b);
        return KILN_ENOMEM;
    }
    int rc = sse_put(s, b->p, b->n);
    kiln_buf_clear(b);
    return rc;
}

int kiln_sse_retry(kiln_sse *s, int64_t ms)
{
    if (ms < 0)
        return KILN_EINVAL;
    char line[40];
    int k = snprintf(line, sizeof line, "retry: %lld\n\n", (long long)ms);
    return sse_put(s, line, (size_t)k);
}

int kiln_sse_comment(kiln_sse *s, const char *text)
{
    size_t n = text ? strlen(text) : 0;
    if (!one_line(text, n, false))
        return KILN_EINVAL;
    kiln_buf *b = &s->x->resp;
    kiln_buf_clear(b);
    kiln_buf_puts(b, ": ");
    kiln_buf_append(b, text, n);
    if (kiln_buf_putc(b, '\n') != 0)
        return KILN_ENOMEM;
    int rc = sse_put(s, b->p, b->n);
    kiln_buf_clear(b);
    return rc;
}

int kiln_sse_wait(kiln_sse *s, int64_t timeout_ms)
{
    if (s->gone)
        return KILN_ECLOSED;
    if (s->canceled)
        return KILN_ECANCELED;
    if (s->waiting)
        return KILN_ESTATE;
    s->waiting = true;
    int rc = worker_park_idle(&s->wait, timeout_ms < 0 ? -1 : timeout_ms);
    s->waiting = false;
    if (s->gone)
        return KILN_ECLOSED;
    if (s->canceled || rc == KILN_ECANCELED)
        return KILN_ECANCELED;
    return rc == KILN_ETIMEDOUT ? 0 : rc;
}

/* A publication arrived for the request while its queue was empty. From
   the loop. */
static void sse_on_pub(void *arg)
{
    kiln_sse *s = arg;
    if (s->waiting && s->for_pub && !coro_current())
        worker_unpark(&s->wait, 0);
}

int kiln_sse_recv(kiln_sse *s, kiln_pub_msg *m, int64_t timeout_ms)
{
    pubsub_sub *sub = pubsub_sub_of(s->x);
    if (!sub || s->waiting)
        return KILN_ESTATE;
    int64_t deadline = timeout_ms >= 0 ? kiln_now_ms() + timeout_ms : -1;
    for (;;) {
        if (s->gone)
            return KILN_ECLOSED;
        if (s->canceled)
            return KILN_ECANCELED;
        if (pubsub_sub_take(sub, m))
            return 0;
        int64_t left = -1;
        if (deadline >= 0 && (left = deadline - kiln_now_ms()) <= 0)
            return KILN_ETIMEDOUT;
        pubsub_sub_set_notify(sub, sse_on_pub, s);
        s->waiting = s->for_pub = true;
        int rc = worker_park_idle(&s->wait, left);
        s->waiting = s->for_pub = false;
        if (rc == KILN_ECANCELED)
            return s->gone ? KILN_ECLOSED : KILN_ECANCELED;
        if (rc < 0 && rc != KILN_ETIMEDOUT)
            return rc;
        if ((sub = pubsub_sub_of(s->x)) == NULL)
            return KILN_ESTATE;
    }
}

int kiln_sse_end(kiln_sse *s)
{
    kiln_ctx *x = s->x;
    timer_list_disarm(&s->ka);
    int rc = kiln_stream_end(x);
    if (rc == 0 && !s->gone)
        sse_flush(s);
    s->gone = true;
    return rc;
}

/* ---- the loop's side ----------------------------------------------------- */

void sse_conn_event(conn *c, unsigned ev)
{
    kiln_sse *s = c->ctx->sse;
    if (s->gone)
        return;
    if (c->eof || c->dead) {
        sse_gone(s); /* a write failed (conn.c) */
    } else if (ev & LOOP_READ) {
        /* the client sends nothing on an event stream: a read event is
           its leaving (or a pipelined request, left where it is) */
        char b;
        ssize_t r = recv(c->io.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                       errno != EINTR)) {
            c->eof = true;
            sse_gone(s);
        }
    }
    sse_wake(s);
}

void sse_timeout(worker *w, timer *t)
{
    kiln_sse *s = (kiln_sse *)((char *)t - offsetof(kiln_sse, ka));
    timer_list_disarm(t);
    if (!s->gone && s->x->streaming) {
        static const char ka[] = ": keep-alive\n";
        sse_put(s, ka, sizeof ka - 1); /* re-arms */
    }
    (void)w;
    sse_wake(s);
}

void sse_shutdown(kiln_ctx *x)
{
    kiln_sse *s = x->sse;
    s->canceled = true;
    if (s->waiting && !coro_current())
        worker_unpark(&s->wait, 0);
}

void sse_release(kiln_ctx *x)
{
    kiln_sse *s = x->sse;
    timer_list_disarm(&s->ka);
    if (s->waiting) /* its coroutine was discarded */
        worker_park_cancel(&s->wait);
    s->waiting = false;
    x->sse = NULL;
}
