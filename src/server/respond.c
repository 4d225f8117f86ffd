/*
 * server/respond.c - building responses into the connection's output
 * buffer, and the response half of the handler API (kiln/http.h).
 *
 * A response is appended whole (status line, headers, body) to conn->out;
 * the connection writes the buffer once the batch of pipelined requests is
 * handled. Date is the worker's cached line (formatted once per second).
 */
#include "server/worker.h"

#include "http/location.h"
#include "http/status.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SERVER_LINE "Server: kiln\r\n"

static int put_status_line(kiln_buf *b, int status)
{
    char line[64];
    const char *reason = http_status_reason(status);
    size_t rn = strlen(reason);
    memcpy(line, "HTTP/1.1 ", 9);
    line[9] = (char)('0' + status / 100 % 10);
    line[10] = (char)('0' + status / 10 % 10);
    line[11] = (char)('0' + status % 10);
    line[12] = ' ';
    memcpy(line + 13, reason, rn);
    memcpy(line + 13 + rn, "\r\n", 2);
    return kiln_buf_append(b, line, 15 + rn);
}

/* True when the connection closes after this response (also when a
 * streamed body was left unread and cannot be drained, see body.c). */
static bool closing(kiln_ctx *x)
{
    return !x->req.keep_alive || x->conn->close_after || x->w->draining ||
           (x->body_stream && !body_keeps_conn(x));
}

/* Appends the status line and headers of a response whose body is body_len
 * bytes (< 0: a chunked stream), reserving room for extra more bytes. */
static int put_head(kiln_ctx *x, int status, const char *ctype,
                    long long body_len, size_t extra)
{
    conn *c = x->conn;
    worker *w = x->w;
    kiln_buf *b = &c->out;
    size_t ct_len = ctype ? strlen(ctype) : 0;
    const kiln_app *app = w->app;
    if (kiln_buf_reserve(b, 160 + ct_len + x->resp_headers.n +
                                app->resp_extra_n + extra) != 0)
        return KILN_ENOMEM;
    x->status = status;
    x->responded = true;
    put_status_line(b, status);
    kiln_buf_append(b, SERVER_LINE, sizeof SERVER_LINE - 1);
    kiln_buf_append(b, w->date_hdr, w->date_len);
    if (ctype) {
        kiln_buf_append(b, "Content-Type: ", 14);
        kiln_buf_append(b, ctype, ct_len);
        kiln_buf_append(b, "\r\n", 2);
    }
    if (x->resp_headers.n)
        kiln_buf_append(b, x->resp_headers.p, x->resp_headers.n);
    if (app->resp_extra_n)
        kiln_buf_append(b, app->resp_extra, app->resp_extra_n);
    bool no_body = status == 204 || status == 304 || status < 200;
    if (body_len < 0) {
        x->streaming = true;
        if (x->req.minor == 0) {
            x->stream_close = true; /* 1.0: the end is the close */
        } else {
            kiln_buf_append(b, "Transfer-Encoding: chunked\r\n", 28);
        }
    } else if (!no_body) {
        kiln_buf_append(b, "Content-Length: ", 16);
        kiln_buf_put_i64(b, body_len);
        kiln_buf_append(b, "\r\n", 2);
    }
    if (closing(x) || x->stream_close)
        kiln_buf_puts(b, x->conn_upgrade ? "Connection: Upgrade, close\r\n"
                                         : "Connection: close\r\n");
    else if (x->conn_upgrade)
        kiln_buf_puts(b, "Connection: Upgrade\r\n");
    else if (x->req.minor == 0)
        kiln_buf_append(b, "Connection: keep-alive\r\n", 24);
    kiln_buf_append(b, "\r\n", 2);
    return 0;
}

/* True when a response with this status carries the body bytes. */
static bool sends_body(kiln_ctx *x, int status)
{
    return !x->head_only && status != 204 && status != 304 && status >= 200;
}

/* Runs the request's respond_hook, once. */
static void run_hook(kiln_ctx *x, int status, const char *ctype,
                     const void *body, long long len, bool file)
{
    respond_hook *h = x->on_respond;
    if (!h)
        return;
    x->on_respond = NULL;
    h->fn(x, h, status, ctype, body, len, file);
}

int respond_head_body(kiln_ctx *x, int status, const char *ctype,
                      const void *body, long long body_len)
{
    run_hook(x, status, ctype, body, body_len, false);
    bool with_body = body_len > 0 && sends_body(x, status);
    int rc =
        put_head(x, status, ctype, body_len, with_body ? (size_t)body_len : 0);
    if (rc == 0 && with_body)
        kiln_buf_append(&x->conn->out, body, (size_t)body_len);
    return rc;
}

int respond_file(kiln_ctx *x, int status, const char *ctype, int fd,
                 int64_t off, int64_t len)
{
    conn *c = x->conn;
    assert(fd >= 0 && off >= 0 && len >= 0);
    assert(c->file_fd < 0 && c->file_left == 0); /* one file body at a time */
    run_hook(x, status, ctype, NULL, len, true);
    int rc = put_head(x, status, ctype, len, 0);
    if (rc != 0 || len == 0 || !sends_body(x, status)) {
        close(fd);
        return rc;
    }
    c->file_fd = fd;
    c->file_off = off;
    c->file_left = len;
    return 0;
}

static const char *problem_title(int status)
{
    return http_status_reason(status);
}

bool respond_error_page(kiln_ctx *x, int status, const char *detail)
{
    const kiln_app *app = x->w->app;
    if (app->error_page && !x->in_error_page && !x->responded) {
        x->in_error_page = true;
        app->error_page(x, status, detail, app->error_page_data);
        x->in_error_page = false;
    }
    return x->responded;
}

int respond_problem(kiln_ctx *x, int status, const char *detail)
{
    if (respond_error_page(x, status, detail))
        return 0;
    kiln_buf *b = &x->resp;
    kiln_buf_clear(b);
    int rc = kiln_json_format(b,
                              "{type:%s,title:%s,status:%d,detail:%s,"
                              "instance:%S,request_id:%s}",
                              "about:blank", problem_title(status), status,
                              detail, x->path.p ? x->path : x->req.target,
                              kiln_request_id(x));
    if (rc)
        return rc;
    return respond_head_body(x, status, "application/problem+json", b->p,
                             (long long)b->n);
}

int respond_raw_error(conn *c, int status)
{
    /* no parsed request: a fixed body, and the connection closes */
    kiln_buf *b = &c->out;
    worker *w = c->w;
    char body[256];
    int n = snprintf(body, sizeof body,
                     "{\"type\":\"about:blank\",\"title\":\"%s\","
                     "\"status\":%d}",
                     http_status_reason(status), status);
    if (kiln_buf_reserve(b, 256 + (size_t)n) != 0)
        return KILN_ENOMEM;
    put_status_line(b, status);
    kiln_buf_append(b, SERVER_LINE, sizeof SERVER_LINE - 1);
    kiln_buf_append(b, w->date_hdr, w->date_len);
    kiln_buf_puts(b, "Content-Type: application/problem+json\r\n"
                     "Connection: close\r\nContent-Length: ");
    kiln_buf_put_i64(b, n);
    kiln_buf_append(b, "\r\n\r\n", 4);
    kiln_buf_append(b, body, (size_t)n);
    return 0;
}

int respond_switching(kiln_ctx *x, const char *lines, size_t n)
{
    kiln_buf *b = &x->conn->out;
    if (kiln_buf_reserve(b, 64 + x->w->date_len + x->resp_headers.n + n) != 0)
        return KILN_ENOMEM;
    x->status = 101;
    x->responded = true;
    put_status_line(b, 101);
    kiln_buf_append(b, SERVER_LINE, sizeof SERVER_LINE - 1);
    kiln_buf_append(b, x->w->date_hdr, x->w->date_len);
    if (x->resp_headers.n)
        kiln_buf_append(b, x->resp_headers.p, x->resp_headers.n);
    kiln_buf_append(b, lines, n);
    kiln_buf_append(b, "\r\n", 2);
    return 0;
}

/* ---- handler API ------------------------------------------------------- */

static bool header_token_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || strchr("!#$%&'*+-.^_`|~", *s)))
            return false;
    return true;
}

int kiln_set_header(kiln_ctx *c, const char *name, const char *value)
{
    static const char *const managed[] = {"content-length", "date", "server",
                                          "transfer-encoding", "connection"};
    if (c->responded || !header_token_ok(name))
        return c->responded ? KILN_ESTATE : KILN_EINVAL;
    for (size_t i = 0; i < sizeof managed / sizeof managed[0]; i++)
        if (kiln_str_ieq_c(kiln_str_c(name), managed[i]))
            return KILN_EINVAL;
    for (const char *v = value; *v; v++)
        if ((unsigned char)*v < 0x20 && *v != '\t')
            return KILN_EINVAL; /* no header injection */
    kiln_buf *b = &c->resp_headers;
    size_t before = b->n;
    if (kiln_buf_puts(b, name) || kiln_buf_append(b, ": ", 2) ||
        kiln_buf_puts(b, value) || kiln_buf_append(b, "\r\n", 2)) {
        b->n = before;
        return KILN_ENOMEM;
    }
    return 0;
}

void kiln_set_status(kiln_ctx *c, int status)
{
    if (status >= 100 && status <= 999)
        c->status = status;
}

void kiln_set_type(kiln_ctx *c, const char *content_type)
{
    snprintf(c->ctype, sizeof c->ctype, "%s", content_type);
}

kiln_buf *kiln_body_buf(kiln_ctx *c)
{
    return &c->resp;
}

int kiln_send(kiln_ctx *c)
{
    if (c->responded)
        return KILN_ESTATE;
    return respond_head_body(c, c->status, c->ctype[0] ? c->ctype : NULL,
                             c->resp.p, (long long)c->resp.n);
}

int kiln_respond(kiln_ctx *c, int status, const char *content_type,
                 const void *body, size_t n)
{
    if (c->responded)
        return KILN_ESTATE;
    return respond_head_body(c, status, content_type, body, (long long)n);
}

int kiln_text(kiln_ctx *c, int status, const char *fmt, ...)
{
    if (c->responded)
        return KILN_ESTATE;
    va_list ap;
    va_start(ap, fmt);
    kiln_buf_clear(&c->resp);
    int rc = kiln_buf_vprintf(&c->resp, fmt, ap);
    va_end(ap);
    if (rc)
        return rc;
    return respond_head_body(c, status, "text/plain; charset=utf-8", c->resp.p,
                             (long long)c->resp.n);
}

int kiln_jsonf(kiln_ctx *c, int status, const char *fmt, ...)
{
    if (c->responded)
        return KILN_ESTATE;
    va_list ap;
    va_start(ap, fmt);
    kiln_buf_clear(&c->resp);
    int rc = kiln_json_vformat(&c->resp, fmt, ap);
    va_end(ap);
    if (rc)
        return rc;
    return respond_head_body(c, status, "application/json", c->resp.p,
                             (long long)c->resp.n);
}

int kiln_problem(kiln_ctx *c, int status, const char *fmt, ...)
{
    if (c->responded)
        return KILN_ESTATE;
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return respond_problem(c, status, detail);
}

int kiln_redirect(kiln_ctx *c, int status, const char *location)
{
    if (c->responded)
        return KILN_ESTATE;
    const char *id = kiln_request_id(c);
    if (status != 301 && status != 302 && status != 303 && status != 307 &&
        status != 308) {
        kiln_log(KILN_LOG_ERROR,
                 "%s: kiln_redirect: %d is not a redirect status (301, 302, "
                 "303, 307 or 308)",
                 id, status);
        return KILN_EINVAL;
    }
    size_t n = location ? strlen(location) : 0, on = 0;
    char *out = n < SIZE_MAX / 4 ? kiln_alloc(c, 3 * n + 1) : NULL;
    if (!out)
        return KILN_ENOMEM;
    int rc = http_location_encode(location, n, out, &on);
    if (rc == HTTP_LOCATION_CONTROL) {
        /* not printed: the bytes that would have split the header */
        kiln_log(KILN_LOG_ERROR,
                 "%s: kiln_redirect: the location holds a control byte (CR, "
                 "LF, NUL...): refused",
                 id);
        return KILN_EINVAL;
    }
    if (rc) {
        kiln_log(KILN_LOG_ERROR,
                 "%s: kiln_redirect: '%.200s' is no redirect target: give a "
                 "path (\"/notes\") or an http(s)://host URL",
                 id, location ? location : "");
        return KILN_EINVAL;
    }
    if ((rc = kiln_set_header(c, "Location", out)) != 0)
        return rc;
    return respond_head_body(c, status, NULL, "", 0);
}

/* ---- streaming --------------------------------------------------------- */

/* Writes what is buffered; waits (yielding) while the peer is slow. */
static int stream_flush(kiln_ctx *c)
{
    conn *k = c->conn;
    for (;;) {
        if (k->dead || k->eof)
            return KILN_ECLOSED;
        int r = conn_flush(k);
        if (r < 0) {
            k->eof = true;
            return KILN_ECLOSED;
        }
        if (r == 0 || k->out.n - k->out_off <= 256 * 1024)
            return 0;
        if (!coro_current())
            return KILN_ESTATE;
        /* a peer that stops reading gets the body timeout, then we give up */
        timer_list_arm(&k->w->body_q, &k->t, k->w->now_ms);
        k->write_waiter = coro_current();
        coro_yield();
        timer_list_disarm(&k->t);
    }
}

int kiln_stream_start(kiln_ctx *c, int status, const char *content_type)
{
    if (c->responded)
        return KILN_ESTATE;
    int rc = respond_head_body(c, status, content_type, NULL, -1);
    if (rc)
        return rc;
    return stream_flush(c);
}

int respond_chunk(kiln_ctx *c, const void *p, size_t n)
{
    if (!c->streaming)
        return KILN_ESTATE;
    if (n == 0 || c->head_only)
        return 0;
    kiln_buf *b = &c->conn->out;
    size_t before = b->n;
    if (!c->stream_close) {
        char hex[24];
        int hn = snprintf(hex, sizeof hex, "%zx\r\n", n);
        if (kiln_buf_append(b, hex, (size_t)hn))
            return KILN_ENOMEM;
    }
    if (kiln_buf_append(b, p, n) ||
        (!c->stream_close && kiln_buf_append(b, "\r\n", 2))) {
        kiln_buf_truncate(b, before);
        return KILN_ENOMEM;
    }
    return 0;
}

int kiln_stream_write(kiln_ctx *c, const void *p, size_t n)
{
    int rc = respond_chunk(c, p, n);
    if (rc || n == 0 || c->head_only)
        return rc;
    return stream_flush(c);
}

int kiln_stream_end(kiln_ctx *c)
{
    if (!c->streaming)
        return KILN_ESTATE;
    c->streaming = false;
    if (!c->stream_close && !c->head_only &&
        kiln_buf_append(&c->conn->out, "0\r\n\r\n", 5))
        return KILN_ENOMEM;
    return 0;
}
