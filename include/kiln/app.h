/*
 * kiln/app.h - an application (its routes) and the server that runs it.
 *
 *   int main(int argc, char **argv)
 *   {
 *       kiln_app *app = kiln_app_new();
 *       kiln_route(app, "GET", "/hello/{name}", hello);
 *       return kiln_main(app, argc, argv); // --port, --workers, ...
 *   }
 */
#ifndef KILN_APP_H
#define KILN_APP_H

#include "http.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An application: routes and settings. Opaque; free with kiln_app_free. */
typedef struct kiln_app kiln_app;

/** Creates an empty application; NULL on allocation failure. */
kiln_app *kiln_app_new(void);
/** Frees the application and its route table. */
void kiln_app_free(kiln_app *app);

/**
 * Adds a route. pattern is "/" followed by '/'-separated segments: literal
 * text, "{name}" (one segment) or "{...name}" (the rest of the path, last
 * only). Literal segments win over parameters, parameters over the rest.
 * HEAD is served by GET's handler (body dropped) unless HEAD has its own
 * route; OPTIONS is answered automatically with Allow.
 * Returns 0, KILN_EINVAL for a malformed pattern, or KILN_ESTATE when the
 * same method and pattern (or an equivalent one) is already routed.
 */
int kiln_route(kiln_app *app, const char *method, const char *pattern,
               kiln_handler h);

/**
 * kiln_route with a pointer the handler gets back from kiln_route_data():
 * one handler serving many routes (a page, a static mount). The app does
 * not own data; it must outlive the server.
 */
int kiln_route_with(kiln_app *app, const char *method, const char *pattern,
                    kiln_handler h, void *data);

/* ---- error pages -------------------------------------------------------- */

/**
 * An error page: given the chance to answer an error in another form than
 * problem+json, typically an HTML page for a browser. Kiln calls it
 * whenever it would send an RFC 9457 problem+json for a request it has
 * read: the router's 404 and 405, a handler that failed, returned without
 * an answer or crashed (500), a request refused after its head was read
 * (400 for a bad path or chunked framing, 408, 413), and kiln_problem()
 * from a handler. status and detail are what the problem+json would say.
 *
 * It either answers (kiln_respond and friends; headers set before, such as
 * Allow on a 405, are sent too) or returns without answering, and then the
 * problem+json goes out as it would have, with any headers it set (Vary).
 * It runs inside the handler's coroutine or on the worker's own stack, so
 * it must not wait (no database, no kiln_sleep_ms). It is not called again
 * for the same request while it runs: a kiln_problem() from it, or from
 * anything it calls, sends plain problem+json, so a broken page never
 * loops.
 */
typedef void (*kiln_error_page)(kiln_ctx *c, int status, const char *detail,
                                void *data);

/**
 * Sets app's error page (NULL: none, problem+json always, the default);
 * data is passed back to it and must outlive the server. Projects set one
 * (src/app/errpage.c); an app using libkiln alone may set its own.
 */
void kiln_app_set_error_page(kiln_app *app, kiln_error_page fn, void *data);

/* ---- cross-origin requests (CORS) ------------------------------------- */

/** An app's CORS policy (kiln_app_cors). Lists are comma-separated. */
typedef struct kiln_cors_opts {
    /** Origins whose pages may call the app ("https://app.example.com,
        http://127.0.0.1:5173"), or "*" for any (not with credentials);
        NULL or empty: none, no CORS at all. */
    const char *origins;
    /** Allow cookies and Authorization (Access-Control-Allow-Credentials:
        true; the origin is echoed, never "*"). */
    bool credentials;
    /** Methods a preflight may allow (GET, HEAD and POST always are). */
    const char *methods;
    /** Request headers a preflight may allow ("*": any, not with
        credentials). */
    const char *headers;
    /** Response headers the page's script may read, or NULL. */
    const char *expose_headers;
    /** Seconds a browser may cache a preflight's answer (0: none). */
    int max_age;
} kiln_cors_opts;

/**
 * Sets app's CORS policy, applied right after routing to every request:
 * a preflight (OPTIONS with Origin and Access-Control-Request-Method) on a
 * routed path, from an allowed origin, for an allowed method and headers,
 * is answered 204 with the Access-Control-Allow-* headers and
 * Access-Control-Max-Age; any other request from an allowed origin gets
 * Access-Control-Allow-Origin (the origin echoed, or "*" for any origin
 * without credentials), -Credentials and -Expose-Headers on its answer,
 * errors included; a refused origin, method or header gets no CORS
 * header. Every answer carries Vary: Origin. With no origins the app has
 * no policy and pays nothing. o's strings are copied. Set before
 * kiln_serve. Returns 0, KILN_EINVAL with a message in err (an element
 * that is not an origin or a token, "*" with credentials) or KILN_ENOMEM.
 */
int kiln_app_cors(kiln_app *app, const kiln_cors_opts *o, char *err,
                  size_t errlen);

/**
 * Development: when on, the lines kiln_log writes while a request's handler
 * runs (and while Kiln answers its failure) are kept for that request, for
 * kiln_request_log(). Off by default; it costs a buffer per logging
 * request. Set before kiln_serve.
 */
void kiln_app_capture_log(kiln_app *app, bool on);

/**
 * The log lines captured for request c so far (kiln_app_capture_log), each
 * ending in "\n", at most 64 KiB (later lines are dropped); empty when
 * capture is off. The bytes belong to the request: valid until its
 * response is done.
 */
kiln_str kiln_request_log(kiln_ctx *c);

/** Server settings. Zero or negative values mean "the default". */
typedef struct kiln_server_opts {
    const char *host;      /**< listen address (default "127.0.0.1") */
    int port;              /**< listen port (default 8000) */
    int workers;           /**< worker threads (default: one per core) */
    int header_timeout_ms; /**< request head must arrive within (10000) */
    int idle_timeout_ms; /**< idle keep-alive connection closed after (60000) */
    int body_timeout_ms; /**< body must keep arriving within (30000) */
    int drain_timeout_ms; /**< on SIGTERM, in-flight requests get (10000) */
    int64_t max_body;     /**< request body bytes (10 MiB) */
    int max_target;       /**< request-target bytes (8192) */
    int max_header_bytes; /**< header section bytes (16384) */
    int max_headers;      /**< header fields (100) */
    int max_connections;  /**< per worker (100000) */
    size_t stack_size;    /**< coroutine stack bytes (256 KiB) */
    bool access_log;      /**< one line per request to stderr */
    /** folder of temporary files of uploads (NULL or "": $TMPDIR, else
        /tmp); not owned, must outlive the server */
    const char *uploads_dir;
    int64_t upload_memory;   /**< a file part up to this many bytes stays in
                                  memory (64 KiB) */
    int64_t upload_max_file; /**< largest file part (100 MiB); more: 413 */
    int upload_max_parts;    /**< most fields of a form (1000); more: 413 */
    /* WebSockets (kiln/ws.h) and server-sent events (kiln/sse.h) */
    int64_t ws_max_message;  /**< largest message, bytes (1 MiB); more: 1009 */
    int ws_idle_timeout_ms;  /**< close (1001) after receiving nothing for
                                  (60000); -1: never */
    int ws_ping_interval_ms; /**< Ping after receiving nothing for (20000);
                                  -1: never */
    int64_t ws_max_send_queue; /**< bytes waiting for a slow reader before
                                    it is closed (1 MiB) */
    int ws_overflow_code;      /**< that close code: 1008 (default) or 1013 */
    bool ws_no_deflate;        /**< never negotiate permessage-deflate */
    /** origins that may open a WebSocket: NULL or "" the Host's own, "*"
        any, else a comma- or space-separated list ("https://a.example");
        not owned, must outlive the server */
    const char *ws_allowed_origins;
    int sse_keepalive_ms;       /**< a comment on an idle event stream
                                     every (15000); -1: never */
    int64_t sse_max_send_queue; /**< bytes waiting for a slow event-stream
                                     reader before it is cut off (1 MiB) */
    /** open no listener: the process runs the app's tasks and services
        only (kiln/tasks.h; --tasks, `kiln run --tasks`) */
    bool tasks_only;
} kiln_server_opts;

/** Fills o with the defaults. */
void kiln_server_opts_default(kiln_server_opts *o);

/**
 * Runs the server until SIGTERM or SIGINT: one worker thread per
 * o->workers, each with its own epoll loop and SO_REUSEPORT listener. On a
 * signal it stops accepting, lets requests in flight finish within
 * drain_timeout_ms, and returns 0. Returns a negative code if it cannot
 * start (the reason is logged).
 *
 * With o->tasks_only no listener is opened: the workers run the app's
 * tasks and services (kiln/tasks.h) until the signal.
 *
 * Handed-over socket: when LISTEN_PID is this process and LISTEN_FDS >= 1
 * (systemd socket activation), fd 3 is served instead of opening host:port;
 * the workers share it. When KILN_READY_FD names a pipe, "ready\n" is
 * written to it once the workers accept. `kiln dev` uses both to restart an
 * app without refusing a connection.
 */
int kiln_serve(kiln_app *app, const kiln_server_opts *o);

/**
 * Parses the standard command line (--host, --port, --workers,
 * --header-timeout-ms, --idle-timeout-ms, --body-timeout-ms, --drain-ms,
 * --max-body, --access-log, --uploads-dir, --uploads-memory,
 * --uploads-max-file, --uploads-max-parts, --ws-max-message,
 * --ws-idle-timeout-ms, --ws-ping-interval-ms (0: none), --ws-max-send-queue,
 * --ws-overflow close|retry, --ws-deflate on|off, --ws-allowed-origins,
 * --sse-keepalive-ms (0: none), --sse-max-send-queue, --tasks, --help) into
 * o. Returns 0, 1 when
 * --help was printed, or KILN_EINVAL (with a message on stderr) for a bad flag.
 */
int kiln_opts_parse(kiln_server_opts *o, int argc, char **argv);

/** kiln_opts_parse + kiln_serve + kiln_app_free; returns the exit status. */
int kiln_main(kiln_app *app, int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
