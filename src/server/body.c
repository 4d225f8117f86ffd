/*
 * server/body.c - reading a request's body, behind one pair of internal
 * calls (body_peek, body_take) and the handler API (kiln_body,
 * kiln_body_read, kiln_body_json):
 *
 * - in memory, the common case: conn.c buffers the whole body (up to
 *   server.max_body) before the handler runs, and body_peek views it;
 * - streamed: a multipart/form-data request runs its handler as soon as it
 *   is routed, and the handler's coroutine takes body bytes from the input
 *   buffer as they arrive, reading the socket itself and parking on
 *   conn->read_wait (with the body timeout) when nothing is buffered. The
 *   input buffer keeps its pooled size: what was taken is dropped, what is
 *   left is moved down, and nothing else refers to it (the head was copied
 *   to the arena by body_stream_begin). The framing (Content-Length or
 *   chunked) is decoded here; bytes past the body stay for the next
 *   pipelined request.
 *
 * 100 Continue for a streamed body is sent when the handler first needs
 * bytes that have not come, not before: a handler that answers first (a
 * 401, a 413 from the headers) spares the client the upload.
 */
#include "server/worker.h"

#include "http/media.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool body_wants_stream(kiln_ctx *x)
{
    for (unsigned i = 0; i < x->req.nheaders; i++) {
        if (!kiln_str_ieq_c(x->req.headers[i].name, "Content-Type"))
            continue;
        kiln_str type, params;
        return http_media_split(x->req.headers[i].value, true, &type,
                                &params) == 0 &&
               kiln_str_ieq_c(type, "multipart/form-data");
    }
    return false;
}

int body_stream_begin(conn *c)
{
    kiln_ctx *x = c->ctx;
    size_t hl = x->req.head_len;
    char *head = kiln_arena_alloc(&x->arena, hl + 1);
    if (!head)
        return KILN_ENOMEM;
    memcpy(head, c->in.p + c->in_off, hl);
    head[hl] = '\0';
    /* the same bytes parse the same way: only the views move */
    int rc = ctx_parse_head(x, head, hl);
    if (rc != (int)hl)
        return KILN_EPARSE;
    c->in_off += hl;
    x->body_stream = true;
    x->body_left = 0;
    x->body_eof = false;
    if (x->req.body == HTTP_BODY_CHUNKED) {
        http_chunked_init(&c->chunked);
    } else {
        x->body_left = x->req.content_length;
        x->body_eof = x->body_left == 0;
    }
    return 0;
}

int body_fail(kiln_ctx *x, int err, int status)
{
    if (!x->body_err) {
        x->body_err = err;
        x->body_status = status;
    }
    return x->body_err;
}

bool body_keeps_conn(const kiln_ctx *x)
{
    if (!x->body_stream || x->body_eof)
        return true;
    if (x->body_err || x->req.body != HTTP_BODY_LENGTH)
        return false;
    if (x->req.expect_continue && !x->conn->sent_continue)
        return false; /* the client waits for us: the body may never come */
    return x->body_left <= BODY_DRAIN_MAX;
}

/* Sends 100 Continue if the client asked for it and nothing was answered. */
static void send_continue(kiln_ctx *x)
{
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    conn *c = x->conn;
    if (!x->req.expect_continue || x->req.minor != 1 || c->sent_continue ||
        x->responded)
        return;
    c->sent_continue = true;
    if (kiln_buf_append(&c->out, cont, sizeof cont - 1) == 0)
        conn_flush(c); /* if the socket is full, the write event goes on */
}

/* Reads more of the socket into c->in, waiting (parked) for it. Returns 0
 * or a negative code. */
static int body_fill(kiln_ctx *x)
{
    conn *c = x->conn;
    worker *w = x->w;
    if (c->dead || c->eof)
        return KILN_ECLOSED;
    send_continue(x);
    if (!c->in.p && worker_buf_take(w, &c->in) != 0)
        return KILN_ENOMEM;
    if (c->in_off == c->in.n) {
        c->in_off = c->in.n = 0;
    } else if (c->in_off > 0) {
        /* a partial chunk-size line: move it down */
        memmove(c->in.p, c->in.p + c->in_off, c->in.n - c->in_off);
        c->in.n -= c->in_off;
        c->in_off = 0;
    }
    if (c->in.cap - c->in.n < 1024 && kiln_buf_reserve(&c->in, 1024) != 0)
        return KILN_ENOMEM;
    size_t room = c->in.cap - c->in.n - 1;
    for (;;) {
        ssize_t n = read(c->io.fd, c->in.p + c->in.n, room);
        if (n > 0) {
            c->in.n += (size_t)n;
            c->in.p[c->in.n] = '\0';
            c->readable = (size_t)n == room; /* as conn.c's reads */
            return 0;
        }
        if (n == 0) {
            c->eof = true;
            return KILN_ECLOSED;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            c->eof = true;
            return KILN_ECLOSED;
        }
        c->readable = false;
        waiter wt;
        c->read_wait = &wt;
        int rc = worker_park(&wt, w->opts->body_timeout_ms);
        c->read_wait = NULL;
        if (rc < 0)
            return rc; /* KILN_ETIMEDOUT, KILN_ECANCELED, KILN_ESTATE */
        if (c->dead)
            return KILN_ECLOSED;
    }
}

/* The status that answers a failed body read. */
static int fail_status(int err)
{
    switch (err) {
    case KILN_ETIMEDOUT:
        return 408;
    case KILN_ECLOSED:
        return 0; /* nobody to answer */
    case KILN_EPARSE:
        return 400;
    case KILN_ELIMIT:
        return 413;
    case KILN_ENOMEM:
    case KILN_ECANCELED:
        return 503;
    default:
        return 500;
    }
}

/* Decodes more chunked framing from c->in into x->stream_buf. Returns 1
 * when it made progress (bytes decoded, the end seen, or input used), 0
 * when it needs more input, or a negative code. */
static int chunked_more(kiln_ctx *x)
{
    conn *c = x->conn;
    size_t avail = c->in.n - c->in_off;
    if (avail == 0)
        return 0;
    kiln_buf_clear(&x->stream_buf);
    x->stream_off = 0;
    size_t feed = avail < WORKER_BUF ? avail : WORKER_BUF;
    size_t used = 0;
    int rc =
        http_chunked_feed(&c->chunked, &x->w->head_lim, c->in.p + c->in_off,
                          feed, &used, &x->stream_buf, &x->trailers_buf);
    c->in_off += used;
    if (rc < 0) {
        int err = rc == -500   ? KILN_ENOMEM
                  : rc == -413 ? KILN_ELIMIT
                               : KILN_EPARSE;
        return body_fail(x, err, -rc == 500 ? 503 : -rc);
    }
    if (rc == 1)
        x->body_eof = true;
    return 1;
}

int body_peek(kiln_ctx *x, kiln_str *out)
{
    if (!x->body_stream || x->body.p) {
        /* in memory (streamed and then read whole by kiln_body) */
        size_t left = x->body.n - x->body_off;
        if (left == 0)
            return 0;
        *out = (kiln_str){x->body.p + x->body_off, left};
        return 1;
    }
    if (x->body_err)
        return x->body_err;
    conn *c = x->conn;
    for (;;) {
        if (x->req.body == HTTP_BODY_CHUNKED) {
            if (x->stream_off < x->stream_buf.n) {
                *out = (kiln_str){x->stream_buf.p + x->stream_off,
                                  x->stream_buf.n - x->stream_off};
                return 1;
            }
            if (x->body_eof)
                return 0;
            int rc = chunked_more(x);
            if (rc < 0)
                return rc;
            if (rc > 0)
                continue;
        } else {
            if (x->body_left == 0)
                return 0;
            size_t avail = c->in.n - c->in_off;
            if (avail > 0) {
                size_t k = avail < x->body_left ? avail : (size_t)x->body_left;
                *out = (kiln_str){c->in.p + c->in_off, k};
                return 1;
            }
        }
        int rc = body_fill(x);
        if (rc < 0)
            return body_fail(x, rc, fail_status(rc));
    }
}

void body_take(kiln_ctx *x, size_t n)
{
    if (!x->body_stream || x->body.p) {
        assert(n <= x->body.n - x->body_off);
        x->body_off += n;
        return;
    }
    x->body_taken += n;
    if (x->req.body == HTTP_BODY_CHUNKED) {
        assert(n <= x->stream_buf.n - x->stream_off);
        x->stream_off += n;
        return;
    }
    assert(n <= x->body_left && n <= x->conn->in.n - x->conn->in_off);
    x->conn->in_off += n;
    x->body_left -= n;
    if (x->body_left == 0)
        x->body_eof = true;
}

/* ---- handler API -------------------------------------------------------- */

/* Answers a failed streamed read (if anyone is there to hear it). */
static void answer_failure(kiln_ctx *c)
{
    if (c->responded || !c->body_status)
        return;
    char detail[160];
    switch (c->body_status) {
    case 408:
        snprintf(detail, sizeof detail,
                 "The request body stopped arriving for %d ms.",
                 c->w->opts->body_timeout_ms);
        break;
    case 413:
        snprintf(detail, sizeof detail,
                 "The request body is larger than %lld bytes "
                 "(server.max_body).",
                 (long long)c->w->opts->max_body);
        break;
    case 400:
        snprintf(detail, sizeof detail,
                 "The request body's chunked framing is malformed.");
        break;
    default:
        snprintf(detail, sizeof detail, "The request body could not be read.");
    }
    respond_problem(c, c->body_status, detail);
}

/* Contract in kiln/http.h. A streamed body is read here, once. */
kiln_str kiln_body(kiln_ctx *c)
{
    if (!c->body_stream || c->body.p)
        return c->body;
    kiln_buf_clear(&c->body_buf);
    uint64_t max = (uint64_t)c->w->opts->max_body;
    kiln_str v;
    int rc;
    while ((rc = body_peek(c, &v)) > 0) {
        if (c->body_buf.n + v.n > max) {
            rc = body_fail(c, KILN_ELIMIT, 413);
            break;
        }
        if (kiln_buf_append(&c->body_buf, v.p, v.n) != 0) {
            rc = body_fail(c, KILN_ENOMEM, 503);
            break;
        }
        body_take(c, v.n);
    }
    if (rc < 0) {
        answer_failure(c);
        return KILN_STR_NULL;
    }
    c->body = c->body_buf.n ? kiln_buf_str(&c->body_buf) : KILN_STR("");
    c->body_off = 0;
    return c->body;
}

/* Contract in kiln/http.h. */
int64_t kiln_body_read(kiln_ctx *c, void *buf, size_t n)
{
    if (n == 0)
        return 0;
    kiln_str v;
    int rc = body_peek(c, &v);
    if (rc <= 0)
        return rc;
    size_t k = v.n < n ? v.n : n;
    memcpy(buf, v.p, k);
    body_take(c, k);
    return (int64_t)k;
}

/* Contract in kiln/http.h. */
const kiln_json *kiln_body_json(kiln_ctx *c, kiln_json_error *err)
{
    kiln_json *j = NULL;
    kiln_str b = kiln_body(c);
    if (!b.p && c->body_err) {
        if (err) {
            memset(err, 0, sizeof *err);
            snprintf(err->msg, sizeof err->msg,
                     "the body could not be read (%s)",
                     kiln_strerror(c->body_err));
        }
        return NULL;
    }
    if (kiln_json_parse(&c->arena, b.p ? b.p : "", b.n, 0, &j, err) != 0)
        return NULL;
    return j;
}
