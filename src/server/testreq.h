/*
 * server/testreq.h - requests without a socket, for the in-process test
 * client (app/testing.c, kiln/testing.h).
 *
 * A test worker is a worker (worker.h) that runs on the caller's thread:
 * no listener, no thread of its own. A request given as the bytes a client
 * would send is put in a memory connection (conn_open_memory) and handled
 * by conn.c exactly as bytes read from a socket are: head parsing, routing,
 * 404/405, the route's handler in a coroutine (endpoint schemas, pages,
 * error pages, the app's hooks), and respond.c's response. A handler that
 * waits (the database, kiln_sleep_ms) is resumed by the worker's loop,
 * turned here until the response is complete. The response is the bytes
 * the server would have written.
 */
#ifndef KILN_SERVER_TESTREQ_H
#define KILN_SERVER_TESTREQ_H

#include <kiln/app.h>
#include <kiln/core.h>

typedef struct worker worker;

/**
 * Starts a test worker for app on the calling thread, with server options
 * o (copied; unset fields get the defaults). The app must outlive it.
 * Returns the worker (owned by the caller, ended with testreq_end) or NULL
 * when out of memory or file descriptors (logged).
 */
worker *testreq_begin(const kiln_app *app, const kiln_server_opts *o);
/**
 * Handles the request in req[0..n) (one complete HTTP/1.1 request: head
 * and body) on w and appends the raw response to out (status line,
 * headers, body; a file body is read into it). Waits at most timeout_ms for
 * the handler to finish. Returns 0, KILN_ETIMEDOUT (the handler is
 * discarded, nothing is appended), KILN_EPARSE (the bytes were not a
 * complete request: nothing answered) or KILN_ENOMEM.
 */
int testreq_run(worker *w, const char *req, size_t n, int64_t timeout_ms,
                kiln_buf *out);
/** Ends w: what it still runs is discarded, its memory freed, and the
    calling thread has no worker any more. */
void testreq_end(worker *w);

#endif
