/*
 * kiln/sse.h - server-sent events (the WHATWG HTML "text/event-stream"): a
 * GET handler streams events to a browser's EventSource, which reconnects
 * by itself and says where it stopped (Last-Event-ID):
 *
 *   KILN_GET(ticks)
 *   {
 *       int64_t from = 0;
 *       kiln_str last = kiln_sse_last_id(c);     // resumption
 *       if (last.p)
 *           kiln_str_to_i64(last, &from);
 *       kiln_sse *s = kiln_sse_start(c);
 *       if (!s)
 *           return 0;                            // answered (503)
 *       for (int64_t i = from + 1;; i++) {
 *           char id[24];
 *           snprintf(id, sizeof id, "%lld", (long long)i);
 *           if (kiln_sse_send(s, "tick", id, "{}", 2) != 0 ||
 *               kiln_sse_wait(s, 1000) != 0)
 *               break;                           // the client left
 *       }
 *       return kiln_sse_end(s);
 *   }
 *
 * The response is 200 text/event-stream with Cache-Control: no-cache and
 * X-Accel-Buffering: no (so nginx does not buffer it), chunked, each event
 * written at once. While the handler waits, a comment line keeps the
 * connection alive every sse.keepalive_ms (proxies drop silent
 * connections). Sending never waits: a client that does not read, so
 * that more than sse.max_send_queue bytes wait, is disconnected.
 * As with a kiln_ws, any code on the request's worker may send to it.
 */
#ifndef KILN_SSE_H
#define KILN_SSE_H

#include "http.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An event stream. Lives in its request's arena; opaque. */
typedef struct kiln_sse kiln_sse;

struct kiln_pub_msg; /* kiln/pubsub.h */

/**
 * The Last-Event-ID the client sent (the id of the last event it got
 * before reconnecting), or p == NULL when none. A value with a NUL byte
 * is treated as none.
 */
kiln_str kiln_sse_last_id(kiln_ctx *c);

/**
 * Starts the event stream (headers set before with kiln_set_header are
 * sent too). Returns the stream, or NULL after answering 503 when out of
 * memory, or when a response was already started.
 */
kiln_sse *kiln_sse_start(kiln_ctx *c);
/**
 * Sends one event: its name (NULL or "" for the default "message"), its id
 * (NULL for none; "" resets the client's last id) and its data (n bytes;
 * each line becomes a data: line, whatever the line ends). Returns 0,
 * KILN_EINVAL when the name or id holds a line break (or the id a NUL),
 * KILN_ECLOSED when the client is gone or was disconnected for not
 * reading, KILN_ENOMEM.
 */
int kiln_sse_send(kiln_sse *s, const char *event, const char *id,
                  const char *data, size_t n);
/** Tells the client to wait ms milliseconds before reconnecting. Errors
    as kiln_sse_send (KILN_EINVAL for a negative ms). */
int kiln_sse_retry(kiln_sse *s, int64_t ms);
/** Sends a comment line (ignored by EventSource; text without line
    breaks). Errors as kiln_sse_send. */
int kiln_sse_comment(kiln_sse *s, const char *text);
/**
 * Waits (yielding) timeout_ms (-1: until the client goes), sending
 * keep-alive comments meanwhile. Returns 0 when the time is up,
 * KILN_ECLOSED as soon as the client disconnects, KILN_ECANCELED when
 * the server shuts down.
 */
int kiln_sse_wait(kiln_sse *s, int64_t timeout_ms);
/**
 * Waits (yielding) for the next publication to the request's
 * subscriptions (kiln_subscribe, kiln/pubsub.h), at most timeout_ms (-1:
 * no limit), sending keep-alive comments meanwhile, and views it in *m
 * (valid until the next receive). The handler forwards it as it likes
 * (kiln_sse_send). Returns 0, KILN_ETIMEDOUT, KILN_ECLOSED as soon as the
 * client disconnects (even with publications queued), KILN_ECANCELED
 * when the server shuts down, KILN_ESTATE when the request has no
 * subscription or already waits.
 */
int kiln_sse_recv(kiln_sse *s, struct kiln_pub_msg *m, int64_t timeout_ms);
/** Ends the stream (the last chunk); the handler then returns. */
int kiln_sse_end(kiln_sse *s);

#ifdef __cplusplus
}
#endif
#endif
