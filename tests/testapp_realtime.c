/*
 * tests/testapp_realtime.c - the WebSocket and server-sent event routes of
 * tests/testapp (tests/blackbox/test_ws.py and test_sse.py drive them).
 */
#include <kiln.h>

#include <stdio.h>
#include <string.h>

void testapp_realtime_routes(kiln_app *app);

/* /ws/echo: every text and binary message back, unchanged (the standard
   conformance target). */
static int ws_echo(kiln_ctx *c, kiln_ws *ws)
{
    (void)c;
    kiln_ws_msg m;
    while (kiln_ws_recv(ws, &m) == 0)
        if (kiln_ws_send(ws, m.type, m.data.p, m.data.n) != 0)
            break;
    return 0;
}

/* /ws/proto: accepts with the subprotocols "chat.v2, chat.v1", says which
   was agreed (or "none") and what the request carried, then echoes. */
static int ws_proto(kiln_ctx *c, kiln_ws *ws)
{
    if (kiln_ws_accept(ws, "chat.v2, chat.v1") != 0)
        return KILN_EIO;
    const char *p = kiln_ws_protocol(ws);
    kiln_str q = kiln_query(c, "x");
    kiln_str ua = kiln_header(c, "User-Agent");
    if (kiln_ws_send_json(ws, "{protocol:%s,x:%S,ua:%S,path:%S}",
                          p ? p : "none", q, ua, kiln_path(c)) != 0)
        return 0;
    return ws_echo(c, ws);
}

/* /ws/refuse: answers 401 before accepting, as an auth check would. */
static int ws_refuse(kiln_ctx *c, kiln_ws *ws)
{
    (void)ws;
    return kiln_problem(c, 401, "Log in first.");
}

/* /ws/close?code=N&reason=R: closes at once with that code and reason. */
static int ws_close(kiln_ctx *c, kiln_ws *ws)
{
    int64_t code = kiln_query_int(c, "code", 1000);
    kiln_str reason = kiln_query(c, "reason");
    int rc = kiln_ws_close(ws, (int)code, reason.p);
    if (rc == KILN_EINVAL)
        kiln_ws_close(ws, 3400, "refused");
    kiln_ws_msg m;
    while (kiln_ws_recv(ws, &m) == 0) /* until the peer's Close */
        ;
    return 0;
}

/* /ws/parts: sends "Hello, world" in three fragments, a binary message in
   two, then echoes. */
static int ws_parts(kiln_ctx *c, kiln_ws *ws)
{
    if (kiln_ws_send_part(ws, KILN_WS_TEXT, "Hello", 5, false) ||
        kiln_ws_send_part(ws, KILN_WS_TEXT, ", wor", 5, false) ||
        kiln_ws_send_part(ws, KILN_WS_TEXT, "ld", 2, true) ||
        kiln_ws_send_part(ws, KILN_WS_BINARY, "\x00\x01", 2, false) ||
        kiln_ws_send_part(ws, KILN_WS_BINARY, "\x02", 1, true))
        return 0;
    /* text that is not UTF-8 is refused, the connection stays usable */
    if (kiln_ws_send(ws, KILN_WS_TEXT, "\xff", 1) != KILN_EINVAL)
        kiln_ws_send_text(ws, "bad UTF-8 was sent");
    return ws_echo(c, ws);
}

/* /ws/big?n=BYTES: one binary message of n bytes (i % 251), then echoes. */
static int ws_big(kiln_ctx *c, kiln_ws *ws)
{
    int64_t n = kiln_query_int(c, "n", 70000);
    if (n < 0 || n > 64 << 20)
        return kiln_problem(c, 400, "n out of range");
    char *p = kiln_alloc(c, (size_t)n + 1);
    if (!p)
        return KILN_ENOMEM;
    for (int64_t i = 0; i < n; i++)
        p[i] = (char)(i % 251);
    if (kiln_ws_send(ws, KILN_WS_BINARY, p, (size_t)n) != 0)
        return 0;
    return ws_echo(c, ws);
}

/* /ws/flood?n=COUNT&size=BYTES: sends without waiting for the reader;
   a reader that does not keep up is closed (ws.max_send_queue). */
static int ws_flood(kiln_ctx *c, kiln_ws *ws)
{
    int64_t n = kiln_query_int(c, "n", 1000),
            size = kiln_query_int(c, "size", 65536);
    if (size < 1 || size > 1 << 20)
        return kiln_problem(c, 400, "size out of range");
    char *p = kiln_alloc(c, (size_t)size);
    if (!p)
        return KILN_ENOMEM;
    memset(p, 'x', (size_t)size);
    for (int64_t i = 0; i < n; i++)
        if (kiln_ws_send(ws, KILN_WS_BINARY, p, (size_t)size) != 0)
            break;
    kiln_ws_msg m;
    while (kiln_ws_recv(ws, &m) == 0)
        ;
    return 0;
}

/* /ws/paced?n=COUNT&size=BYTES: the same, at the reader's pace
   (kiln_ws_drain between messages): never closed for it. */
static int ws_paced(kiln_ctx *c, kiln_ws *ws)
{
    int64_t n = kiln_query_int(c, "n", 100),
            size = kiln_query_int(c, "size", 65536);
    if (size < 1 || size > 1 << 20)
        return kiln_problem(c, 400, "size out of range");
    char *p = kiln_alloc(c, (size_t)size);
    if (!p)
        return KILN_ENOMEM;
    memset(p, 'y', (size_t)size);
    for (int64_t i = 0; i < n; i++) {
        if (kiln_ws_send(ws, KILN_WS_BINARY, p, (size_t)size) != 0)
            return 0;
        if (kiln_ws_queued(ws) > 128 * 1024 && kiln_ws_drain(ws, 10000) != 0)
            return 0;
    }
    kiln_ws_send_text(ws, "done");
    kiln_ws_msg m;
    while (kiln_ws_recv(ws, &m) == 0)
        ;
    return 0;
}

/* /ws/quiet: receives with a timeout: says "timeout" each time nothing
   came within 200 ms, echoes what comes; reports how it ended. */
static int ws_quiet(kiln_ctx *c, kiln_ws *ws)
{
    (void)c;
    kiln_ws_msg m;
    for (;;) {
        int rc = kiln_ws_recv_timeout(ws, &m, 200);
        if (rc == KILN_ETIMEDOUT) {
            if (kiln_ws_send_text(ws, "timeout") != 0)
                return 0;
            continue;
        }
        if (rc != 0)
            return 0;
        if (kiln_ws_send(ws, m.type, m.data.p, m.data.n) != 0)
            return 0;
    }
}

/* /ws/sleepy?ms=N: sleeps N ms before receiving: Pings are answered
   meanwhile, by the loop. */
static int ws_sleepy(kiln_ctx *c, kiln_ws *ws)
{
    if (kiln_ws_accept(ws, NULL) != 0)
        return KILN_EIO;
    kiln_sleep_ms(kiln_query_int(c, "ms", 500));
    kiln_ws_send_text(ws, "awake");
    return ws_echo(c, ws);
}

/* /ws/fail: returns an error after accepting: closed with 1011. */
static int ws_fail(kiln_ctx *c, kiln_ws *ws)
{
    (void)c;
    kiln_ws_send_text(ws, "failing");
    return KILN_EIO;
}

/* ---- server-sent events ------------------------------------------------ */

static long sse_left_count;

/* /sse/ticks?n=N&ms=M: retry 1500, then N "tick" events from the id after
   Last-Event-ID (1 without), each with two data lines, M ms apart. */
static KILN_HANDLER(sse_ticks)
{
    int64_t n = kiln_query_int(c, "n", 3), ms = kiln_query_int(c, "ms", 0);
    int64_t from = 0;
    kiln_str last = kiln_sse_last_id(c);
    if (last.p && kiln_str_to_i64(last, &from) != 0)
        return kiln_problem(c, 400, "Last-Event-ID is not a number");
    kiln_sse *s = kiln_sse_start(c);
    if (!s)
        return 0;
    if (kiln_sse_retry(s, 1500) != 0)
        return 0;
    for (int64_t i = from + 1; i <= from + n; i++) {
        char id[24], data[64];
        snprintf(id, sizeof id, "%lld", (long long)i);
        int k =
            snprintf(data, sizeof data, "tick %lld\nline two", (long long)i);
        if (kiln_sse_send(s, "tick", id, data, (size_t)k) != 0)
            return 0;
        if (ms && kiln_sse_wait(s, ms) != 0)
            return 0;
    }
    return kiln_sse_end(s);
}

/* /sse/idle?ms=M: nothing for M ms (keep-alive comments only), then one
   default event and the end. */
static KILN_HANDLER(sse_idle)
{
    kiln_sse *s = kiln_sse_start(c);
    if (!s)
        return 0;
    if (kiln_sse_wait(s, kiln_query_int(c, "ms", 300)) != 0)
        return 0;
    if (kiln_sse_send(s, NULL, NULL, "done", 4) != 0)
        return 0;
    return kiln_sse_end(s);
}

/* /sse/forever: waits until the client leaves, then counts it. */
static KILN_HANDLER(sse_forever)
{
    kiln_sse *s = kiln_sse_start(c);
    if (!s)
        return 0;
    kiln_sse_comment(s, "hello");
    if (kiln_sse_wait(s, -1) == KILN_ECLOSED)
        __atomic_add_fetch(&sse_left_count, 1, __ATOMIC_RELAXED);
    return 0;
}

static KILN_HANDLER(sse_left)
{
    return kiln_jsonf(c, 200, "{left:%ld}",
                      __atomic_load_n(&sse_left_count, __ATOMIC_RELAXED));
}

/* /sse/bad: the checks on names, ids and comments. */
static KILN_HANDLER(sse_bad)
{
    kiln_sse *s = kiln_sse_start(c);
    if (!s)
        return 0;
    int a = kiln_sse_send(s, "a\nb", NULL, "x", 1);
    int b = kiln_sse_send(s, NULL, "1\r2", "x", 1);
    int d = kiln_sse_comment(s, "x\ny");
    int e = kiln_sse_retry(s, -1);
    char line[96];
    int k = snprintf(line, sizeof line, "%d %d %d %d", a, b, d, e);
    kiln_sse_send(s, "result", "", line, (size_t)k);
    return kiln_sse_end(s);
}

void testapp_realtime_routes(kiln_app *app)
{
    kiln_route_ws(app, "/ws/echo", ws_echo);
    kiln_route_ws(app, "/ws/proto/{name}", ws_proto);
    kiln_route_ws(app, "/ws/refuse", ws_refuse);
    kiln_route_ws(app, "/ws/close", ws_close);
    kiln_route_ws(app, "/ws/parts", ws_parts);
    kiln_route_ws(app, "/ws/big", ws_big);
    kiln_route_ws(app, "/ws/flood", ws_flood);
    kiln_route_ws(app, "/ws/paced", ws_paced);
    kiln_route_ws(app, "/ws/quiet", ws_quiet);
    kiln_route_ws(app, "/ws/sleepy", ws_sleepy);
    kiln_route_ws(app, "/ws/fail", ws_fail);
    kiln_route(app, "GET", "/sse/ticks", sse_ticks);
    kiln_route(app, "GET", "/sse/idle", sse_idle);
    kiln_route(app, "GET", "/sse/forever", sse_forever);
    kiln_route(app, "GET", "/sse/left", sse_left);
    kiln_route(app, "GET", "/sse/bad", sse_bad);
}
