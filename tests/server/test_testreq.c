/*
 * tests/server/test_testreq.c - requests without a socket
 * (src/server/testreq.c): the bytes a client would send go through
 * conn.c's parsing, routing and handler coroutine, and the response is the
 * bytes the server would write: plain, after a wait in the worker's loop,
 * streamed (chunked), refused (404, 405, 400), or cut by the timeout.
 */
#include "test.h"

#include "server/testreq.h"

#include <kiln.h>

#include <string.h>

static int h_plain(kiln_ctx *c)
{
    return kiln_text(c, 200, "hi");
}

static int h_sleep(kiln_ctx *c)
{
    if (kiln_sleep_ms(20) != 0)
        return KILN_EIO;
    return kiln_text(c, 200, "slept");
}

static int h_stream(kiln_ctx *c)
{
    int rc = kiln_stream_start(c, 200, "text/plain");
    if (!rc)
        rc = kiln_stream_write(c, "ab", 2);
    if (!rc)
        rc = kiln_stream_write(c, "cde", 3);
    if (!rc)
        rc = kiln_stream_end(c);
    return rc;
}

static int h_hang(kiln_ctx *c)
{
    kiln_sleep_ms(60000);
    return kiln_text(c, 200, "late");
}

static int h_echo(kiln_ctx *c)
{
    kiln_str b = kiln_body(c);
    return kiln_respond(c, 201, "application/octet-stream", b.p, b.n);
}

static kiln_app *make_app(void)
{
    kiln_app *app = kiln_app_new();
    CHECK(app != NULL);
    CHECK_INT(kiln_route(app, "GET", "/plain", h_plain), 0);
    CHECK_INT(kiln_route(app, "GET", "/sleep", h_sleep), 0);
    CHECK_INT(kiln_route(app, "GET", "/stream", h_stream), 0);
    CHECK_INT(kiln_route(app, "GET", "/hang", h_hang), 0);
    CHECK_INT(kiln_route(app, "POST", "/echo", h_echo), 0);
    return app;
}

/* Runs req on w; returns the raw response (owned by out). */
static int run(worker *w, const char *req, int64_t timeout, kiln_buf *out)
{
    kiln_buf_clear(out);
    return testreq_run(w, req, strlen(req), timeout, out);
}

static bool has(const kiln_buf *b, const char *s)
{
    return b->p && strstr(b->p, s) != NULL;
}

TEST(testreq_answers_like_a_socket)
{
    kiln_app *app = make_app();
    worker *w = testreq_begin(app, NULL);
    CHECK(w != NULL);
    kiln_buf out;
    kiln_buf_init(&out);

    CHECK_INT(run(w, "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n", 5000, &out), 0);
    CHECK(strncmp(out.p, "HTTP/1.1 200 OK\r\n", 17) == 0);
    CHECK(has(&out, "\r\nContent-Type: text/plain; charset=utf-8\r\n"));
    CHECK(has(&out, "\r\nContent-Length: 2\r\n\r\nhi"));

    /* the handler waits: the worker's loop resumes it */
    CHECK_INT(run(w, "GET /sleep HTTP/1.1\r\nHost: x\r\n\r\n", 5000, &out), 0);
    CHECK(has(&out, "200 OK") && has(&out, "\r\n\r\nslept"));

    /* a stream: chunked framing, as on the wire */
    CHECK_INT(run(w, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n", 5000, &out), 0);
    CHECK(has(&out, "Transfer-Encoding: chunked\r\n"));
    CHECK(has(&out, "\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n"));

    /* a body */
    CHECK_INT(run(w,
                  "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
                  "hello",
                  5000, &out),
              0);
    CHECK(has(&out, "HTTP/1.1 201 Created\r\n") && has(&out, "\r\n\r\nhello"));

    /* the router's answers */
    CHECK_INT(run(w, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 5000, &out), 0);
    CHECK(has(&out, "HTTP/1.1 404 Not Found\r\n"));
    CHECK(has(&out, "application/problem+json"));
    CHECK_INT(run(w, "DELETE /plain HTTP/1.1\r\nHost: x\r\n\r\n", 5000, &out),
              0);
    CHECK(has(&out, "HTTP/1.1 405 ") && has(&out, "Allow: GET, HEAD"));

    /* bytes that are no request: the parser's 400, connection closed */
    CHECK_INT(run(w, "GET\x01 / HTTP/1.1\r\n\r\n", 5000, &out), 0);
    CHECK(has(&out, "HTTP/1.1 400 ") && has(&out, "Connection: close"));
    /* half a request: nothing ran */
    CHECK_INT(run(w, "GET /plain HTTP/1.1\r\nHost:", 5000, &out), KILN_EPARSE);
    CHECK_INT((int)out.n, 0);

    /* a handler that does not finish in time is discarded */
    CHECK_INT(run(w, "GET /hang HTTP/1.1\r\nHost: x\r\n\r\n", 50, &out),
              KILN_ETIMEDOUT);
    CHECK_INT((int)out.n, 0);
    /* and the worker goes on */
    CHECK_INT(run(w, "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n", 5000, &out), 0);
    CHECK(has(&out, "\r\n\r\nhi"));

    kiln_buf_deinit(&out);
    testreq_end(w);
    kiln_app_free(app);
}
