/*
 * frontend/ssr.c - the SSR service (see ssr.h): the sidecar's supervisor
 * thread and each worker's connections to it.
 *
 * The supervisor. One thread per process forks the sidecar (node ENTRY
 * --socket PATH --components DIR), waits for it with waitpid, and starts
 * it again after a backoff (100 ms doubling to 5 s; a run that lasted
 * 10 s starts the backoff over). The child gets PR_SET_PDEATHSIG, so a
 * Kiln killed with -9 takes its sidecar along.
 *
 * The policy for a stuck sidecar. Node renders one component at a time:
 * a component that loops blocks every render behind it. A render that
 * times out is logged and the caller renders on the client; after
 * ssr.restart_after timeouts in a row (no answer in between, across the
 * workers), the sidecar is killed (SIGKILL) and the supervisor starts it
 * again. Renders in flight on its connections then see EOF and fail at
 * once (client rendering), never a 500.
 *
 * The connections. Each worker has its own, on its own loop (touched by
 * its thread only): up to ssr.pool, the least busy picked, requests
 * multiplexed by id. A render's ssr_op lives on its caller's stack and is
 * linked to its connection while it waits; whoever ends the wait (the
 * answer, the connection's end) unlinks it first, and a caller that timed
 * out unlinks it itself, so a late answer finds no one and is dropped.
 * Callers are resumed with worker_unpark_soon. A connection is broken
 * (closed, freed) from the loop only, never from a coroutine: a handler
 * may run inside the loop's batch of events, which may still hold one for
 * that connection. A write that fails in a coroutine marks it dead, and
 * the end-of-turn hook breaks it.
 *
 * Ownership. The ssr_service is the process's (ssr_start to ssr_stop). A
 * connection is its worker's and is freed when it breaks, later if one of
 * its callbacks is on the stack (busy). The HTML of an answer is copied
 * into the caller's request arena.
 */
#include "frontend/ssr.h"
#include "frontend/ssr_config.h"
#include "frontend/ssr_proto.h"

#include "coro/coro.h"
#include "kiln/ssr.h"
#include "server/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define SSR_MAX_WORKERS 1024 /* as server.workers */
#define SSR_BACKOFF_MIN 100
#define SSR_BACKOFF_MAX 5000
#define SSR_RAN_WELL_MS 10000 /* a run this long starts the backoff over */
#define SSR_READ_CHUNK 65536
#define SSR_START_WAIT_MS 5000
#define SSR_STOP_WAIT_MS 2000

typedef struct ssr_conn ssr_conn;
typedef struct ssr_worker ssr_worker;

/* One render waiting for its answer (on its caller's stack). */
typedef struct ssr_op {
    struct ssr_op *next;
    uint32_t id;
    waiter *wt;
    kiln_arena *a; /* the caller's: the HTML goes there */
    kiln_str html;
    int rc;
    bool done;
} ssr_op;

struct ssr_conn {
    loop_io io; /* first: the loop hands us &io */
    ssr_worker *sw;
    ssr_conn *next;
    bool broken;
    bool dead; /* a write failed in a coroutine: the hook breaks it */
    bool want_write;
    bool free_pending;
    int busy; /* callbacks of this connection on the stack */
    kiln_buf out;
    size_t out_off;
    kiln_buf in;
    kiln_arena scratch; /* one answer's JSON tree at a time */
    ssr_op *ops;
    int nops;
};

/* A worker's connections (its thread only). */
struct ssr_worker {
    worker *w;
    worker_hook hook; /* breaks dead connections (ssr_turn_end) */
    ssr_conn *conns;
    int nconns;
    uint32_t next_id;
};

typedef struct ssr_service {
    char node[1024];       /* the node binary, resolved in PATH */
    char entry[1024];      /* the sidecar's script */
    char socket[108];      /* its Unix socket */
    char components[1024]; /* what it imports components from */
    char pages[1024];      /* the React pages' server bundle, or "" */
    int pool, timeout_ms, restart_after;
    pthread_t thread;
    pthread_mutex_t lock; /* stopping and the cond */
    pthread_cond_t cond;
    bool stopping;
    _Atomic pid_t pid;     /* the running sidecar, or 0 */
    _Atomic int timeouts;  /* timeouts in a row, across workers */
    _Atomic unsigned runs; /* sidecars started so far */
    ssr_worker *per_worker[SSR_MAX_WORKERS];
} ssr_service;

static ssr_service *g_ssr;

/* ---- the supervisor ------------------------------------------------------ */

/* Finds name in PATH (or takes it as written when it has a '/'). */
static int find_program(const char *name, char *out, size_t outlen)
{
    if (strchr(name, '/')) {
        snprintf(out, outlen, "%s", name);
        return access(out, X_OK);
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path; *p;) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n &&
            (size_t)snprintf(out, outlen, "%.*s/%s", (int)n, p, name) <
                outlen &&
            access(out, X_OK) == 0)
            return 0;
        p += n + (e ? 1 : 0);
    }
    return -1;
}

/* Forks and executes the sidecar. Its pid, or -1 (logged). */
static pid_t spawn_sidecar(ssr_service *s)
{
    char *argv[] = {s->node,   s->entry,       "--socket",
                    s->socket, "--components", s->components,
                    "--pages", s->pages,       NULL};
    if (!s->pages[0])
        argv[6] = NULL; /* no React pages */
    pid_t parent = getpid();
    unlink(s->socket); /* a stale one from a previous run */
    pid_t pid = fork();
    if (pid < 0) {
        kiln_log(KILN_LOG_ERROR, "ssr: cannot start the sidecar: fork: %s",
                 strerror(errno));
        return -1;
    }
    if (pid == 0) {
        /* only async-signal-safe calls until execv */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) {
            dup2(null, 0);
            close(null);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv(s->node, argv);
        _exit(127);
    }
    return pid;
}

/* Waits up to ms for stopping; true when it is set. */
static bool wait_stopping(ssr_service *s, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&s->lock);
    while (!s->stopping &&
           pthread_cond_timedwait(&s->cond, &s->lock, &ts) != ETIMEDOUT)
        ;
    bool stop = s->stopping;
    pthread_mutex_unlock(&s->lock);
    return stop;
}

static bool is_stopping(ssr_service *s)
{
    pthread_mutex_lock(&s->lock);
    bool stop = s->stopping;
    pthread_mutex_unlock(&s->lock);
    return stop;
}

static void *supervise(void *arg)
{
    ssr_service *s = arg;
    int64_t backoff = SSR_BACKOFF_MIN;
    while (!is_stopping(s)) {
        int64_t started = kiln_now_ms();
        pid_t pid = spawn_sidecar(s);
        if (pid > 0) {
            atomic_store(&s->pid, pid);
            atomic_fetch_add(&s->runs, 1);
            atomic_store(&s->timeouts, 0);
            if (is_stopping(s)) /* ssr_stop saw no pid to signal */
                kill(pid, SIGTERM);
            int st = 0;
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
            atomic_store(&s->pid, 0);
            if (is_stopping(s))
                break;
            char how[64];
            if (WIFSIGNALED(st))
                snprintf(how, sizeof how, "was killed by signal %d",
                         WTERMSIG(st));
            else
                snprintf(how, sizeof how, "exited with status %d",
                         WEXITSTATUS(st));
            if (kiln_now_ms() - started > SSR_RAN_WELL_MS)
                backoff = SSR_BACKOFF_MIN;
            kiln_log(KILN_LOG_WARN,
                     "ssr: the sidecar (pid %d) %s; starting it again in "
                     "%lld ms",
                     (int)pid, how, (long long)backoff);
        }
        if (wait_stopping(s, backoff))
            break;
        backoff = backoff * 2 > SSR_BACKOFF_MAX ? SSR_BACKOFF_MAX : backoff * 2;
    }
    return NULL;
}

/* True when something accepts connections on path. */
static bool socket_ready(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, path, strlen(path) + 1);
    bool ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

/* Joins path to root unless it is absolute. */
static int root_join(char *out, size_t outlen, const char *root,
                     const char *path)
{
    int n = path[0] == '/' ? snprintf(out, outlen, "%s", path)
                           : snprintf(out, outlen, "%s/%s", root, path);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int ssr_start(const kiln_settings *st, const char *root, char *err,
              size_t errlen)
{
    if (!kiln_settings_bool(st, "ssr.enabled") || g_ssr)
        return 0;
    ssr_service *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "ssr: out of memory");
        return -1;
    }
    const char *node = kiln_settings_str(st, "ssr.node");
    const char *entry = kiln_settings_str(st, "ssr.entry");
    const char *sock = kiln_settings_str(st, "ssr.socket");
    const char *comp = kiln_settings_str(st, "ssr.components");
    char path[1200];
    if (find_program(node, s->node, sizeof s->node) != 0) {
        snprintf(err, errlen,
                 "ssr.node '%s': no such program (install Node.js 20 or "
                 "later, or set ssr.node)",
                 node);
        goto fail;
    }
    if (entry && *entry) {
        if (root_join(s->entry, sizeof s->entry, root, entry) != 0)
            goto toolong;
    } else if (root_join(s->entry, sizeof s->entry, root, "frontend/ssr.mjs") !=
                   0 ||
               access(s->entry, R_OK) != 0) {
        snprintf(s->entry, sizeof s->entry, "%s/share/ssr/server.mjs",
                 KILN_SHARE_PARENT);
    }
    if (access(s->entry, R_OK) != 0) {
        snprintf(err, errlen, "ssr.entry: cannot read %s", s->entry);
        goto fail;
    }
    if (root_join(s->components, sizeof s->components, root, comp) != 0 ||
        root_join(path, sizeof path, root, sock) != 0 ||
        strlen(path) >= sizeof s->socket) {
        snprintf(err, errlen,
                 "ssr.socket: the path %s is too long for a Unix socket (at "
                 "most %zu bytes; set an absolute, shorter one)",
                 path, sizeof s->socket - 1);
        goto fail;
    }
    memcpy(s->socket, path, strlen(path) + 1);
    /* the React pages' bundle: passed when set, even before it is built
       (the sidecar then says so on each page render, and the browser
       renders the pages) */
    const char *pages = kiln_settings_str(st, "ssr.pages");
    if (pages && *pages &&
        root_join(s->pages, sizeof s->pages, root, pages) != 0)
        goto toolong;
    char *slash = strrchr(path, '/');
    if (slash && slash != path) {
        *slash = '\0';
        mkdir(path, 0700); /* .kiln/ */
    }
    s->pool = (int)kiln_settings_int(st, "ssr.pool");
    s->timeout_ms = (int)kiln_settings_int(st, "ssr.timeout_ms");
    s->restart_after = (int)kiln_settings_int(st, "ssr.restart_after");
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    /* the thread takes no signal: SIGTERM and the like stay the server's */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int prc = pthread_create(&s->thread, NULL, supervise, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (prc != 0) {
        snprintf(err, errlen, "ssr: cannot start the supervisor thread");
        pthread_cond_destroy(&s->cond);
        pthread_mutex_destroy(&s->lock);
        goto fail;
    }
    g_ssr = s;
    int64_t deadline = kiln_now_ms() + SSR_START_WAIT_MS;
    while (!socket_ready(s->socket) && kiln_now_ms() < deadline)
        usleep(20000);
    if (socket_ready(s->socket))
        kiln_log(KILN_LOG_INFO, "ssr: the sidecar %s listens on %s", s->entry,
                 s->socket);
    else
        kiln_log(KILN_LOG_WARN,
                 "ssr: the sidecar %s is not listening on %s yet; pages "
                 "render on the client meanwhile",
                 s->entry, s->socket);
    return 0;
toolong:
    snprintf(err, errlen, "ssr.entry: the path is too long");
fail:
    free(s);
    return -1;
}

static void worker_state_free(ssr_worker *sw);

void ssr_stop(void)
{
    ssr_service *s = g_ssr;
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    pid_t pid = atomic_load(&s->pid);
    if (pid > 0) {
        kill(pid, SIGTERM);
        int64_t deadline = kiln_now_ms() + SSR_STOP_WAIT_MS;
        while (atomic_load(&s->pid) == pid && kiln_now_ms() < deadline)
            usleep(10000);
        if (atomic_load(&s->pid) == pid)
            kill(pid, SIGKILL);
    }
    pthread_join(s->thread, NULL);
    unlink(s->socket);
    for (int i = 0; i < SSR_MAX_WORKERS; i++)
        if (s->per_worker[i])
            worker_state_free(s->per_worker[i]);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
    g_ssr = NULL;
}

/* ---- connections --------------------------------------------------------- */

/* Ends op with rc (its HTML already set when rc is 0) and resumes its
   caller. op is unlinked already. */
static void op_end(ssr_op *op, int rc)
{
    op->rc = rc;
    op->done = true;
    if (op->wt)
        worker_unpark_soon(op->wt);
}

static void sconn_free(ssr_conn *c)
{
    if (c->busy) {
        c->free_pending = true;
        return;
    }
    kiln_buf_deinit(&c->out);
    kiln_buf_deinit(&c->in);
    kiln_arena_deinit(&c->scratch);
    free(c);
}

/* The connection is gone: unlinks and closes it and fails every render
   waiting on it (their callers render on the client). */
static void sconn_broken(ssr_conn *c, const char *why)
{
    if (c->broken)
        return;
    c->broken = true;
    if (c->nops)
        kiln_log(KILN_LOG_WARN,
                 "ssr: lost the sidecar (%s); %d render(s) in flight go to "
                 "the client",
                 why, c->nops);
    ssr_worker *sw = c->sw;
    for (ssr_conn **pp = &sw->conns; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            sw->nconns--;
            break;
        }
    if (c->io.fd >= 0) {
        loop_del(&sw->w->loop, &c->io);
        close(c->io.fd);
    }
    c->io.fd = -1;
    while (c->ops) {
        ssr_op *op = c->ops;
        c->ops = op->next;
        c->nops--;
        op_end(op, KILN_EUNAVAIL);
    }
    sconn_free(c);
}

/* Unlinks op from c; false when it was not there. */
static bool sconn_unlink(ssr_conn *c, ssr_op *op)
{
    for (ssr_op **pp = &c->ops; *pp; pp = &(*pp)->next)
        if (*pp == op) {
            *pp = op->next;
            c->nops--;
            return true;
        }
    return false;
}

static void want_write(ssr_conn *c, bool want)
{
    if (want == c->want_write)
        return;
    c->want_write = want;
    loop_mod(&c->sw->w->loop, &c->io, LOOP_READ | (want ? LOOP_WRITE : 0), 1);
}

/* Writes what is queued. 0 (all written, or the rest waits for the
   socket), or -1 with errno. */
static int sconn_flush(ssr_conn *c)
{
    while (c->out_off < c->out.n) {
        ssize_t n = send(c->io.fd, c->out.p + c->out_off, c->out.n - c->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            want_write(c, true);
            return 0;
        }
        return -1;
    }
    c->out.n = c->out_off = 0;
    if (c->out.cap > 1024 * 1024)
        kiln_buf_deinit(&c->out);
    want_write(c, false);
    return 0;
}

/* One answer: hands it to the render waiting for its id (if any). */
static void sconn_answer(ssr_conn *c, kiln_str body)
{
    ssr_response r;
    char err[160];
    kiln_arena_reset(&c->scratch);
    int rc = ssr_decode_response(&c->scratch, body, &r, err, sizeof err);
    if (rc != 0) {
        sconn_broken(c, rc == KILN_ENOMEM ? "out of memory" : err);
        return;
    }
    atomic_store(&g_ssr->timeouts, 0); /* it answers: not stuck */
    ssr_op *op = c->ops;
    while (op && op->id != r.id)
        op = op->next;
    if (!op)
        return; /* its caller timed out */
    sconn_unlink(c, op);
    if (!r.ok) {
        kiln_log(KILN_LOG_WARN, "ssr: render #%u failed in the sidecar: %.300s",
                 r.id, r.error.p);
        op_end(op, KILN_EINVAL);
        return;
    }
    char *h = kiln_arena_strndup(op->a, r.html.p, r.html.n);
    if (!h) {
        op_end(op, KILN_ENOMEM);
        return;
    }
    op->html = (kiln_str){h, r.html.n};
    op_end(op, 0);
}

/* Reads what arrived and completes the renders it answers. */
static void sconn_read(ssr_conn *c)
{
    for (;;) {
        if (kiln_buf_reserve(&c->in, SSR_READ_CHUNK) != 0) {
            sconn_broken(c, "out of memory");
            return;
        }
        ssize_t n = read(c->io.fd, c->in.p + c->in.n, SSR_READ_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            sconn_broken(c,
                         n == 0 ? "it closed the connection" : strerror(errno));
            return;
        }
        c->in.n += (size_t)n;
        c->in.p[c->in.n] = '\0';
        size_t off = 0;
        for (;;) {
            kiln_str body;
            size_t used;
            int r = ssr_frame_next(c->in.p + off, c->in.n - off, &body, &used);
            if (r < 0) {
                sconn_broken(c, "an answer larger than 16 MiB");
                return;
            }
            if (r == 0)
                break;
            sconn_answer(c, body);
            if (c->broken)
                return;
            off += used;
        }
        kiln_buf_consume(&c->in, off);
        if ((size_t)n < SSR_READ_CHUNK)
            break; /* level-triggered: called again if more came */
    }
}

static void on_io(loop *l, loop_io *io, unsigned ev)
{
    (void)l;
    ssr_conn *c = (ssr_conn *)io;
    c->busy++;
    if ((ev & LOOP_WRITE) && sconn_flush(c) != 0)
        sconn_broken(c, strerror(errno));
    if (!c->broken && (ev & (LOOP_READ | LOOP_ERROR)))
        sconn_read(c);
    c->busy--;
    if (c->free_pending)
        sconn_free(c);
}

/* A new connection to the sidecar, or NULL (it is not listening). */
static ssr_conn *sconn_new(ssr_worker *sw)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return NULL;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, g_ssr->socket, strlen(g_ssr->socket) + 1);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd); /* ENOENT, ECONNREFUSED: restarting; EAGAIN: swamped */
        return NULL;
    }
    ssr_conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return NULL;
    }
    c->io.fd = fd;
    c->io.cb = on_io;
    c->sw = sw;
    kiln_buf_init(&c->out);
    kiln_buf_init(&c->in);
    kiln_arena_init(&c->scratch, 0);
    if (loop_add(&sw->w->loop, &c->io, LOOP_READ, 1) != 0) {
        close(fd);
        sconn_free(c);
        return NULL;
    }
    c->next = sw->conns;
    sw->conns = c;
    sw->nconns++;
    return c;
}

/* Closes c without resuming anyone (its loop is gone or stopping). */
static void sconn_close_quiet(ssr_conn *c)
{
    if (c->io.fd >= 0)
        close(c->io.fd);
    c->busy = 0;
    sconn_free(c);
}

static void worker_state_free(ssr_worker *sw)
{
    while (sw->conns) {
        ssr_conn *c = sw->conns;
        sw->conns = c->next;
        sconn_close_quiet(c);
    }
    free(sw);
}

/* The end of a loop turn: breaks the connections a coroutine found dead. */
static void ssr_turn_end(void *arg)
{
    ssr_worker *sw = arg;
    for (ssr_conn *c = sw->conns; c;) {
        ssr_conn *next = c->next;
        if (c->dead)
            sconn_broken(c, "writing to it failed");
        c = next;
    }
}

/* The calling worker's connections, made on first use. */
static ssr_worker *worker_state(worker *w)
{
    if (w->id < 0 || w->id >= SSR_MAX_WORKERS)
        return NULL;
    ssr_worker *sw = g_ssr->per_worker[w->id];
    if (sw && sw->w == w)
        return sw;
    if (sw) /* a new server run reuses the slot: the old loop is gone */
        worker_state_free(sw);
    sw = calloc(1, sizeof *sw);
    if (sw) {
        sw->w = w;
        sw->hook.fn = ssr_turn_end;
        sw->hook.arg = sw;
        worker_hook_add(w, &sw->hook);
    }
    g_ssr->per_worker[w->id] = sw;
    return sw;
}

/* The connection for the next render: the least busy, or a new one while
   the pool has room and all are busy. NULL when the sidecar is down. */
static ssr_conn *pick(ssr_worker *sw)
{
    ssr_conn *best = NULL;
    for (ssr_conn *c = sw->conns; c; c = c->next)
        if (!c->dead && (!best || c->nops < best->nops))
            best = c;
    if (best && (best->nops == 0 || sw->nconns >= g_ssr->pool))
        return best;
    ssr_conn *c = sconn_new(sw);
    return c ? c : best;
}

/* ---- renders ------------------------------------------------------------- */

/* A render timed out: logged, counted; enough in a row kill the sidecar. */
static void timed_out(const char *component)
{
    int n = atomic_fetch_add(&g_ssr->timeouts, 1) + 1;
    pid_t pid = atomic_load(&g_ssr->pid);
    bool kill_it = n >= g_ssr->restart_after && pid > 0;
    kiln_log(KILN_LOG_WARN,
             "ssr: rendering %.100s took longer than %d ms; it renders on "
             "the client%s",
             component, g_ssr->timeout_ms,
             kill_it ? " (the sidecar seems stuck: restarting it)" : "");
    if (kill_it) {
        atomic_store(&g_ssr->timeouts, 0);
        kill(pid, SIGKILL);
    }
}

int frontend_ssr_render(kiln_ctx *x, const char *component, kiln_str props,
                        kiln_str *html)
{
    *html = KILN_STR_NULL;
    worker *w = worker_current();
    if (!g_ssr || !w || !coro_current() || w->draining)
        return KILN_ESTATE;
    ssr_worker *sw = worker_state(w);
    if (!sw)
        return KILN_ENOMEM;
    ssr_conn *c = pick(sw);
    if (!c)
        return KILN_EUNAVAIL;
    ssr_op op = {.id = ++sw->next_id, .a = kiln_ctx_arena(x)};
    int rc = ssr_encode_request(&c->out, op.id, kiln_str_c(component), props);
    if (rc != 0)
        return rc;
    op.next = c->ops;
    c->ops = &op;
    c->nops++;
    if (!c->want_write && sconn_flush(c) != 0)
        c->dead = true; /* the hook breaks it, ending op */
    waiter wt;
    op.wt = &wt;
    int r = worker_park(&wt, g_ssr->timeout_ms);
    if (op.done) { /* answered, or its connection broke */
        *html = op.html;
        return op.rc;
    }
    sconn_unlink(c, &op); /* c lives: it would have ended op */
    if (r == KILN_ETIMEDOUT) {
        timed_out(component);
        return KILN_ETIMEDOUT;
    }
    return r < 0 ? r : KILN_EUNAVAIL;
}

int kiln_ssr_render(kiln_ctx *c, const char *component, kiln_str props_json,
                    kiln_str *html)
{
    return frontend_ssr_render(c, component, props_json, html);
}
