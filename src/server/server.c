/*
 * server/server.c - the application object, server settings and the main
 * thread: it opens one SO_REUSEPORT listener per worker, starts the worker
 * threads, waits for SIGTERM/SIGINT, asks the workers to drain, and joins
 * them. Signals are blocked in every worker, so only the main thread sees
 * them (with sigwait: no async-signal-safety worries).
 */
#include "server/cors.h"
#include "server/worker.h"

#include "auth/session_impl.h"

#include "pubsub/pubsub.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

kiln_app *kiln_app_new(void)
{
    kiln_app *app = calloc(1, sizeof(*app));
    if (!app)
        return NULL;
    app->routes = router_new();
    if (!app->routes) {
        free(app);
        return NULL;
    }
    /* every app checks CSRF (src/auth/csrf.c; with the default settings
       until auth_configure gives it the app's) */
    app->guard = csrf_guard;
    return app;
}

void kiln_app_free(kiln_app *app)
{
    if (!app)
        return;
    router_free(app->routes);
    static_mounts_free(app);
    cors_free(app->cors);
    for (app_ext *e = app->exts, *next; e; e = next) {
        next = e->next; /* free may free e itself */
        if (e->free)
            e->free(e->arg);
    }
    for (size_t i = 0; i < app->nkept; i++)
        free(app->kept[i]);
    free(app->kept);
    free(app);
}

void app_ext_add(kiln_app *app, app_ext *e)
{
    app_ext **pp = &app->exts;
    while (*pp)
        pp = &(*pp)->next;
    e->next = NULL;
    *pp = e;
}

void kiln_app_set_error_page(kiln_app *app, kiln_error_page fn, void *data)
{
    app->error_page = fn;
    app->error_page_data = data;
}

void kiln_app_capture_log(kiln_app *app, bool on)
{
    app->capture_log = on;
}

int app_keep(kiln_app *app, void *p)
{
    void **v = realloc(app->kept, (app->nkept + 1) * sizeof *v);
    if (!v) {
        free(p);
        return KILN_ENOMEM;
    }
    v[app->nkept++] = p;
    app->kept = v;
    return 0;
}

int kiln_route(kiln_app *app, const char *method, const char *pattern,
               kiln_handler h)
{
    if (!app)
        return KILN_EINVAL;
    return router_add(app->routes, method, pattern, h, NULL);
}

int kiln_route_with(kiln_app *app, const char *method, const char *pattern,
                    kiln_handler h, void *data)
{
    if (!app)
        return KILN_EINVAL;
    return router_add(app->routes, method, pattern, h, data);
}

void kiln_server_opts_default(kiln_server_opts *o)
{
    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->port = 8000;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    o->workers = n > 0 ? (int)n : 1;
    o->header_timeout_ms = 10000;
    o->idle_timeout_ms = 60000;
    o->body_timeout_ms = 30000;
    o->drain_timeout_ms = 10000;
    o->max_body = 10 * 1024 * 1024;
    o->max_target = 8192;
    o->max_header_bytes = 16384;
    o->max_headers = 100;
    o->max_connections = 100000;
    o->stack_size = 256 * 1024;
    o->access_log = false;
    o->uploads_dir = NULL; /* $TMPDIR or /tmp, when the server starts */
    o->upload_memory = 64 * 1024;
    o->upload_max_file = 100 * 1024 * 1024;
    o->upload_max_parts = 1000;
    o->ws_max_message = 1024 * 1024;
    o->ws_idle_timeout_ms = 60000;
    o->ws_ping_interval_ms = 20000;
    o->ws_max_send_queue = 1024 * 1024;
    o->ws_overflow_code = 1008;
    o->ws_no_deflate = false;
    o->ws_allowed_origins = NULL; /* the Host's own origin */
    o->sse_keepalive_ms = 15000;
    o->sse_max_send_queue = 1024 * 1024;
}

/* Fills unset (<= 0) fields of o with the defaults. */
static void opts_complete(kiln_server_opts *o)
{
    kiln_server_opts d;
    kiln_server_opts_default(&d);
    if (!o->host)
        o->host = d.host;
    if (o->port <= 0)
        o->port = d.port;
#define FILL(f)                                                                \
    if (o->f <= 0)                                                             \
    o->f = d.f
    FILL(workers);
    FILL(header_timeout_ms);
    FILL(idle_timeout_ms);
    FILL(body_timeout_ms);
    FILL(drain_timeout_ms);
    FILL(max_body);
    FILL(max_target);
    FILL(max_header_bytes);
    FILL(max_headers);
    FILL(max_connections);
    FILL(upload_memory);
    FILL(upload_max_file);
    FILL(upload_max_parts);
    FILL(ws_max_message);
    FILL(ws_max_send_queue);
    FILL(sse_max_send_queue);
#undef FILL
    /* 0 is the default, a negative value "never" */
    if (o->ws_idle_timeout_ms == 0)
        o->ws_idle_timeout_ms = d.ws_idle_timeout_ms;
    if (o->ws_ping_interval_ms == 0)
        o->ws_ping_interval_ms = d.ws_ping_interval_ms;
    if (o->sse_keepalive_ms == 0)
        o->sse_keepalive_ms = d.sse_keepalive_ms;
    if (o->ws_overflow_code != 1013)
        o->ws_overflow_code = 1008;
    if (!o->uploads_dir || !o->uploads_dir[0]) {
        const char *t = getenv("TMPDIR");
        o->uploads_dir = t && t[0] ? t : "/tmp";
    }
    if (o->stack_size == 0)
        o->stack_size = d.stack_size;
    if (o->max_headers > HTTP_MAX_HEADERS)
        o->max_headers = HTTP_MAX_HEADERS;
}

/* Opens a listening socket with SO_REUSEPORT; returns fd or -1 (logged). */
static int open_listener(const char *host, int port)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char ports[16];
    snprintf(ports, sizeof ports, "%d", port);
    int rc = getaddrinfo(host, ports, &hints, &res);
    if (rc != 0) {
        kiln_log(KILN_LOG_ERROR, "cannot resolve %s: %s", host,
                 gai_strerror(rc));
        return -1;
    }
    int fd = socket(res->ai_family,
                    res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 4096) != 0) {
        kiln_log(KILN_LOG_ERROR, "cannot listen on %s:%d: %s", host, port,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    return fd;
}

/*
 * A listening socket handed over by the parent, as in systemd's socket
 * activation: LISTEN_PID is our pid and LISTEN_FDS >= 1, the socket is fd 3.
 * `kiln dev` uses it to keep the port open across restarts. Returns the fd
 * (made non-blocking and close-on-exec) or -1; the variables are removed so
 * that children of the app do not take them for theirs.
 */
static int inherited_listener(void)
{
    const char *pid = getenv("LISTEN_PID"), *n = getenv("LISTEN_FDS");
    if (!pid || !n)
        return -1;
    bool ours = strtol(pid, NULL, 10) == (long)getpid() && atoi(n) >= 1;
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    int acc = 0;
    socklen_t len = sizeof acc;
    if (!ours || getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) != 0 ||
        !acc) {
        if (ours)
            kiln_log(KILN_LOG_WARN, "LISTEN_FDS: fd 3 is not a listening "
                                    "socket; opening our own");
        return -1;
    }
    int fl = fcntl(3, F_GETFL);
    fcntl(3, F_SETFL, fl | O_NONBLOCK);
    fcntl(3, F_SETFD, FD_CLOEXEC);
    return 3;
}

/* Tells the parent we accept connections: KILN_READY_FD names a pipe. */
static void notify_ready(void)
{
    const char *v = getenv("KILN_READY_FD");
    if (!v)
        return;
    int fd = atoi(v);
    unsetenv("KILN_READY_FD");
    if (fd > 2) {
        ssize_t r = write(fd, "ready\n", 6);
        (void)r;
        close(fd);
    }
}

void worker_deinit(worker *w)
{
    if (w->listen_fd >= 0)
        close(w->listen_fd);
    if (w->wake_fd >= 0)
        close(w->wake_fd);
    loop_deinit(&w->loop);
    timer_heap_deinit(&w->sleeps);
    ctx_pool_free(w);
    coro_pool_deinit(&w->coros);
    for (unsigned i = 0; i < w->nbufs; i++)
        free(w->bufs[i]);
    w->nbufs = 0;
    ws_zpool_deinit(&w->zpool);
}

int worker_init(worker *w, int id, const kiln_app *app,
                const kiln_server_opts *o, int shared_fd)
{
    memset(w, 0, sizeof *w);
    w->id = id;
    w->app = app;
    w->opts = o;
    w->listen_fd = -1;
    w->wake_fd = -1;
    w->loop.fd = -1;
    http_limits_default(&w->lim);
    w->lim.max_body = (uint64_t)o->max_body;
    w->lim.max_target = (size_t)o->max_target;
    w->lim.max_header_bytes = (size_t)o->max_header_bytes;
    w->lim.max_headers = (unsigned)o->max_headers;
    w->head_lim = w->lim;
    w->head_lim.max_body = UINT64_MAX;
    timer_heap_init(&w->sleeps);
    timer_list_init(&w->header_q, o->header_timeout_ms);
    timer_list_init(&w->idle_q, o->idle_timeout_ms);
    timer_list_init(&w->body_q, o->body_timeout_ms);
    timer_list_init(&w->linger_q, 2000);
    timer_list_init(&w->ws_ping_q, o->ws_ping_interval_ms);
    timer_list_init(&w->ws_idle_q, o->ws_idle_timeout_ms);
    timer_list_init(&w->ws_close_q, WS_CLOSE_WAIT_MS);
    timer_list_init(&w->sse_q, o->sse_keepalive_ms);
    timer_list_init(&w->nap_q, WORKER_NAP_MS);
    ws_zpool_init(&w->zpool);
    coro_pool_init(&w->coros, o->stack_size);
    if (loop_init(&w->loop) != 0)
        return KILN_EIO;
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->wake_fd < 0)
        return KILN_EIO;
    if (o->tasks_only)
        return 0; /* no listener: tasks and services only */
    if (shared_fd >= 0)
        w->listen_fd = fcntl(shared_fd, F_DUPFD_CLOEXEC, 3);
    else
        w->listen_fd = open_listener(o->host, o->port);
    return w->listen_fd < 0 ? KILN_EIO : 0;
}

int kiln_serve(kiln_app *app, const kiln_server_opts *opts)
{
    kiln_server_opts o = *opts;
    opts_complete(&o);
    if (access(o.uploads_dir, W_OK | X_OK) != 0)
        kiln_log(KILN_LOG_WARN,
                 "uploads.dir %s is not a folder we can write to (%s): "
                 "uploaded files past uploads.memory will fail with 500",
                 o.uploads_dir, strerror(errno));
    signal(SIGPIPE, SIG_IGN);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, &old);

    for (app_ext *e = app->exts; e; e = e->next) {
        int r = e->begin ? e->begin(e->arg, &o) : 0;
        if (r < 0) { /* it logged why */
            for (app_ext *u = app->exts; u != e; u = u->next)
                if (u->end)
                    u->end(u->arg);
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            return r;
        }
    }
    worker *ws = calloc((size_t)o.workers, sizeof(*ws));
    if (!ws)
        return KILN_ENOMEM;
    int rc = 0, started = 0;
    int shared_fd = o.tasks_only ? -1 : inherited_listener();
    for (int i = 0; i < o.workers && rc == 0; i++) {
        rc = worker_init(&ws[i], i, app, &o, shared_fd);
        if (rc)
            worker_deinit(&ws[i]);
        else
            started = i + 1;
    }
    if (rc == 0 && pubsub_serve_begin(ws, started) != 0) {
        kiln_log(KILN_LOG_ERROR, "out of memory starting pub/sub");
        rc = KILN_ENOMEM;
        for (int i = 0; i < started; i++)
            worker_deinit(&ws[i]);
        started = 0; /* no thread to join */
    }
    if (rc == 0) {
        const char *plural = o.workers == 1 ? "" : "s";
        if (o.tasks_only)
            kiln_log(KILN_LOG_INFO,
                     "kiln running tasks and services only (%d worker%s)",
                     o.workers, plural);
        else if (shared_fd >= 0)
            kiln_log(KILN_LOG_INFO,
                     "kiln serving the inherited socket (%d worker%s)",
                     o.workers, plural);
        else
            kiln_log(KILN_LOG_INFO,
                     "kiln listening on http://%s:%d/ (%d worker%s)", o.host,
                     o.port, o.workers, plural);
        /* before any worker accepts: a parent that waits for this
           (kiln dev) must not see a request that crashes a worker as a
           start-up failure. A thread that cannot start after it is an
           exit like a crash. */
        notify_ready();
    }
    for (int i = 0; i < started && rc == 0; i++) {
        if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) != 0) {
            kiln_log(KILN_LOG_ERROR, "cannot start worker thread %d", i);
            rc = KILN_EIO;
            started = i;
            for (int j = i; j < o.workers; j++)
                worker_deinit(&ws[j]);
        }
    }
    if (rc == 0) {
        int sig = 0;
        sigwait(&set, &sig);
        kiln_log(KILN_LOG_INFO, "signal %d: draining (up to %d ms)", sig,
                 o.drain_timeout_ms);
    }
    for (int i = 0; i < started; i++) {
        uint64_t one = 1;
        __atomic_store_n(&ws[i].stop, 1, __ATOMIC_RELEASE);
        ssize_t r = write(ws[i].wake_fd, &one, sizeof one);
        (void)r;
    }
    for (int i = 0; i < started; i++) {
        pthread_join(ws[i].thread, NULL);
        if (ws[i].exit_code)
            rc = KILN_EIO;
        worker_deinit(&ws[i]);
    }
    pubsub_serve_end();
    free(ws);
    for (app_ext *e = app->exts; e; e = e->next)
        if (e->end)
            e->end(e->arg);
    if (shared_fd >= 0)
        close(shared_fd);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == 0)
        kiln_log(KILN_LOG_INFO, "stopped");
    return rc;
}

/* ---- command line ------------------------------------------------------ */

static const char usage[] =
    "options:\n"
    "  --host ADDR             listen address (127.0.0.1)\n"
    "  --port N                listen port (8000)\n"
    "  --workers N             worker threads (one per core)\n"
    "  --header-timeout-ms MS  request head deadline (10000)\n"
    "  --idle-timeout-ms MS    idle keep-alive close (60000)\n"
    "  --body-timeout-ms MS    body progress deadline (30000)\n"
    "  --drain-ms MS           graceful shutdown limit (10000)\n"
    "  --max-body BYTES        request body limit (10485760)\n"
    "  --access-log            log one line per request\n"
    "  --uploads-dir DIR       temporary files of uploads ($TMPDIR or /tmp)\n"
    "  --uploads-memory BYTES  file parts kept in memory up to (65536)\n"
    "  --uploads-max-file BYTES  largest uploaded file (104857600)\n"
    "  --uploads-max-parts N   most fields in a form (1000)\n"
    "  --ws-max-message BYTES  largest WebSocket message (1048576)\n"
    "  --ws-idle-timeout-ms MS close a silent WebSocket after (60000; 0 "
    "never)\n"
    "  --ws-ping-interval-ms MS  ping a silent WebSocket after (20000; 0 "
    "never)\n"
    "  --ws-max-send-queue BYTES  unsent bytes before a slow reader is "
    "closed (1048576)\n"
    "  --ws-overflow close|retry  close code for that: 1008 or 1013 "
    "(close)\n"
    "  --ws-deflate on|off     permessage-deflate when offered (on)\n"
    "  --ws-allowed-origins LIST  origins that may open a WebSocket (the "
    "Host's)\n"
    "  --sse-keepalive-ms MS   comment on a silent event stream every "
    "(15000; 0 never)\n"
    "  --sse-max-send-queue BYTES  unsent bytes before an event stream is "
    "cut (1048576)\n"
    "  --tasks                 run the app's tasks and services only, with\n"
    "                          no listener\n"
    "  --help                  this text\n";

static int parse_num(const char *flag, const char *v, long long lo,
                     long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long n = v ? strtoll(v, &end, 10) : 0;
    if (!v || errno || *end || end == v || n < lo || n > hi) {
        fprintf(stderr, "%s: expected a number from %lld to %lld, got '%s'\n",
                flag, lo, hi, v ? v : "");
        return KILN_EINVAL;
    }
    *out = n;
    return 0;
}

int kiln_opts_parse(kiln_server_opts *o, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long long n = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf("usage: %s [options]\n%s", argv[0], usage);
            return 1;
        } else if (strcmp(a, "--access-log") == 0) {
            o->access_log = true;
            continue;
        } else if (strcmp(a, "--tasks") == 0) {
            o->tasks_only = true;
            continue;
        } else if (strcmp(a, "--host") == 0) {
            if (!v) {
                fprintf(stderr, "--host: needs an address\n");
                return KILN_EINVAL;
            }
            o->host = v;
        } else if (strcmp(a, "--ws-allowed-origins") == 0) {
            if (!v) {
                fprintf(stderr, "--ws-allowed-origins: needs a list (\"*\", "
                                "or origins such as https://a.example)\n");
                return KILN_EINVAL;
            }
            o->ws_allowed_origins = v;
        } else if (strcmp(a, "--ws-overflow") == 0) {
            if (!v || (strcmp(v, "close") != 0 && strcmp(v, "retry") != 0)) {
                fprintf(stderr,
                        "--ws-overflow: expected close or retry, got "
                        "'%s'\n",
                        v ? v : "");
                return KILN_EINVAL;
            }
            o->ws_overflow_code = strcmp(v, "retry") == 0 ? 1013 : 1008;
        } else if (strcmp(a, "--ws-deflate") == 0) {
            if (!v || (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)) {
                fprintf(stderr, "--ws-deflate: expected on or off, got '%s'\n",
                        v ? v : "");
                return KILN_EINVAL;
            }
            o->ws_no_deflate = strcmp(v, "off") == 0;
        } else if (strcmp(a, "--uploads-dir") == 0) {
            if (!v || !v[0]) {
                fprintf(stderr, "--uploads-dir: needs a folder\n");
                return KILN_EINVAL;
            }
            o->uploads_dir = v;
        } else {
            static const struct {
                const char *flag;
                long long lo, hi;
            } nums[] = {{"--port", 1, 65535},
                        {"--workers", 1, 1024},
                        {"--header-timeout-ms", 1, 86400000},
                        {"--idle-timeout-ms", 1, 86400000},
                        {"--body-timeout-ms", 1, 86400000},
                        {"--drain-ms", 1, 86400000},
                        {"--max-body", 1, (long long)1 << 40},
                        {"--uploads-memory", 1, (long long)1 << 40},
                        {"--uploads-max-file", 1, (long long)1 << 40},
                        {"--uploads-max-parts", 1, 1000000},
                        {"--ws-max-message", 1, (long long)1 << 40},
                        {"--ws-idle-timeout-ms", 0, 86400000},
                        {"--ws-ping-interval-ms", 0, 86400000},
                        {"--ws-max-send-queue", 1, (long long)1 << 40},
                        {"--sse-keepalive-ms", 0, 86400000},
                        {"--sse-max-send-queue", 1, (long long)1 << 40}};
            size_t k;
            for (k = 0; k < sizeof nums / sizeof nums[0]; k++)
                if (strcmp(a, nums[k].flag) == 0)
                    break;
            if (k == sizeof nums / sizeof nums[0]) {
                fprintf(stderr, "unknown option '%s' (see --help)\n", a);
                return KILN_EINVAL;
            }
            if (parse_num(a, v, nums[k].lo, nums[k].hi, &n))
                return KILN_EINVAL;
            switch (k) {
            case 0:
                o->port = (int)n;
                break;
            case 1:
                o->workers = (int)n;
                break;
            case 2:
                o->header_timeout_ms = (int)n;
                break;
            case 3:
                o->idle_timeout_ms = (int)n;
                break;
            case 4:
                o->body_timeout_ms = (int)n;
                break;
            case 5:
                o->drain_timeout_ms = (int)n;
                break;
            case 6:
                o->max_body = n;
                break;
            case 7:
                o->upload_memory = n;
                break;
            case 8:
                o->upload_max_file = n;
                break;
            case 9:
                o->upload_max_parts = (int)n;
                break;
            case 10:
                o->ws_max_message = n;
                break;
            case 11:
                o->ws_idle_timeout_ms = n ? (int)n : -1;
                break;
            case 12:
                o->ws_ping_interval_ms = n ? (int)n : -1;
                break;
            case 13:
                o->ws_max_send_queue = n;
                break;
            case 14:
                o->sse_keepalive_ms = n ? (int)n : -1;
                break;
            case 15:
                o->sse_max_send_queue = n;
                break;
            }
        }
        i++;
    }
    return 0;
}

int kiln_main(kiln_app *app, int argc, char **argv)
{
    kiln_server_opts o;
    kiln_server_opts_default(&o);
    int rc = kiln_opts_parse(&o, argc, argv);
    if (rc != 0) {
        kiln_app_free(app);
        return rc > 0 ? 0 : 2;
    }
    rc = kiln_serve(app, &o);
    kiln_app_free(app);
    return rc == 0 ? 0 : 1;
}
