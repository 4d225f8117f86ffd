/*
 * redis/client.c - the Redis client of redis/redis.h: connections per
 * worker on its event loop, pipelined commands, timeouts, reconnection
 * with backoff, and the blocking connection used outside workers.
 *
 * Ownership. A redis_conn belongs to its worker's redis_worker (or, the
 * blocking one, to the client) and is freed when it breaks, unless a
 * callback is still on the stack (busy), in which case the last one out
 * frees it. A redis_op belongs to its connection's FIFO until its reply
 * arrives or the connection breaks; then to the caller waiting for it, or,
 * if the caller gave up (abandoned), to whoever completes it, who frees
 * it. Replies are hiredis's until redis_call copies them into the
 * caller's arena.
 *
 * Threads. A redis_worker is touched by its worker's thread only. The
 * blocking connection and the SHA-1s of scripts are guarded by locks.
 * Coroutines are resumed only from the loop (callbacks and the turn-end
 * hook), never from another coroutine: a caller that times out marks its
 * connection (kill) and the hook drops it.
 */
#include "redis/hr.h"
#include "redis/redis.h"

#include "coro/coro.h"
#include "server/worker.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define REDIS_MAX_WORKERS 1024 /* as server.workers */
#define REDIS_BACKOFF_MIN 50
#define REDIS_READ_CHUNK 16384
#define REDIS_FREE_OPS 256 /* idle operations kept per worker */

typedef struct redis_conn redis_conn;
typedef struct redis_worker redis_worker;

/* One command in flight. */
typedef struct redis_op {
    struct redis_op *next;
    waiter *wt;        /* the parked coroutine, or NULL */
    redisReply *reply; /* hiredis's, once done */
    int rc;            /* 0, or why no reply will come */
    bool done;         /* a reply arrived or the connection broke */
    bool abandoned;    /* its caller gave up: free on completion */
    bool setup;        /* AUTH or SELECT: an error reply breaks the
                          connection */
    char err[200];     /* the message of rc */
} redis_op;

/* Backoff between connection attempts. */
typedef struct redis_backoff {
    int64_t retry_at; /* no attempt before (ms, monotonic) */
    int ms;           /* the current pause; 0 after a success */
    char err[256];    /* why the last attempt failed */
} redis_backoff;

struct redis_conn {
    loop_io io; /* first: the loop hands us &io */
    redis_client *cl;
    redis_worker *rw; /* NULL: the client's blocking connection */
    redis_conn *next;
    bool connecting; /* connect(2) in progress */
    bool broken;
    bool registered; /* io is in the worker's loop */
    bool want_write; /* write interest registered */
    bool kill;       /* a caller timed out: drop it at the turn's end */
    redis_op *late;  /* with kill: the operation that timed out */
    bool free_pending;
    int busy; /* callbacks of this connection on the stack */
    kiln_buf out;
    size_t out_off;
    redisReader *reader;
    redis_op *head, *tail;
    int nops;
};

/* A worker's connections (on its thread only). */
struct redis_worker {
    redis_client *cl;
    worker *w;
    worker_hook hook; /* flushes what the turn queued (rw_turn_end) */
    redis_conn *conns;
    int nconns;
    redis_backoff bo;
    redis_op *free_ops;
    int nfree_ops;
};

struct redis_client {
    redis_url url;
    char addr[300];
    int pool, connect_ms, timeout_ms, backoff_max_ms;
    /* each worker's state, made on its thread on first use */
    redis_worker *per_worker[REDIS_MAX_WORKERS];
    pthread_mutex_t lock; /* tool and tool_bo */
    redis_conn *tool;     /* the blocking connection, or NULL */
    redis_backoff tool_bo;
};

static _Thread_local char last_err[256];
static pthread_mutex_t script_lock = PTHREAD_MUTEX_INITIALIZER;

const char *redis_last_error(void)
{
    return last_err;
}

static void set_err(const char *fmt, ...) KILN_PRINTF(1, 2);

static void set_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_err, sizeof last_err, fmt, ap);
    va_end(ap);
}

const char *redis_client_addr(const redis_client *c)
{
    return c->addr;
}

/* ---- encoding ------------------------------------------------------------ */

int redis_encode(kiln_buf *b, size_t argc, const kiln_str *argv)
{
    size_t before = b->n;
    size_t need = 16;
    for (size_t i = 0; i < argc; i++)
        need += argv[i].n + 24;
    if (kiln_buf_reserve(b, need) != 0)
        return KILN_ENOMEM;
    int rc = kiln_buf_putc(b, '*');
    rc |= kiln_buf_put_i64(b, (int64_t)argc);
    rc |= kiln_buf_append(b, "\r\n", 2);
    for (size_t i = 0; i < argc && rc == 0; i++) {
        rc |= kiln_buf_putc(b, '$');
        rc |= kiln_buf_put_i64(b, (int64_t)argv[i].n);
        rc |= kiln_buf_append(b, "\r\n", 2);
        if (argv[i].n)
            rc |= kiln_buf_append(b, argv[i].p, argv[i].n);
        rc |= kiln_buf_append(b, "\r\n", 2);
    }
    if (rc != 0) {
        b->n = before;
        return KILN_ENOMEM;
    }
    return 0;
}

/* ---- operations ---------------------------------------------------------- */

static redis_op *op_new(redis_worker *rw)
{
    redis_op *op;
    if (rw && rw->free_ops) {
        op = rw->free_ops;
        rw->free_ops = op->next;
        rw->nfree_ops--;
    } else {
        op = malloc(sizeof *op);
        if (!op)
            return NULL;
    }
    memset(op, 0, offsetof(redis_op, err));
    op->err[0] = '\0';
    return op;
}

/* Frees op and its reply, if any (into rw's free list when there is one). */
static void op_free(redis_worker *rw, redis_op *op)
{
    if (op->reply)
        hr_fn.freeReplyObject(op->reply);
    op->reply = NULL;
    if (rw && rw->nfree_ops < REDIS_FREE_OPS) {
        op->next = rw->free_ops;
        rw->free_ops = op;
        rw->nfree_ops++;
        return;
    }
    free(op);
}

/* Ends op: hands it to its waiting caller (resuming it) or frees it. */
static void op_done(redis_conn *c, redis_op *op)
{
    op->done = true;
    if (op->abandoned || op->setup) {
        op_free(c->rw, op);
        return;
    }
    if (op->wt) {
        waiter *wt = op->wt;
        op->wt = NULL;
        worker_unpark(wt, 0);
    }
}

static void enqueue(redis_conn *c, redis_op *op)
{
    op->next = NULL;
    if (c->tail)
        c->tail->next = op;
    else
        c->head = op;
    c->tail = op;
    c->nops++;
}

static redis_op *dequeue(redis_conn *c)
{
    redis_op *op = c->head;
    if (op) {
        c->head = op->next;
        if (!c->head)
            c->tail = NULL;
        c->nops--;
        op->next = NULL;
    }
    return op;
}

/* ---- connections --------------------------------------------------------- */

static void rconn_free(redis_conn *c)
{
    if (c->busy) {
        c->free_pending = true;
        return;
    }
    while (c->head)
        op_free(c->rw, dequeue(c));
    if (c->reader)
        hr_fn.redisReaderFree(c->reader);
    kiln_buf_deinit(&c->out);
    free(c);
}

static void backoff_fail(redis_client *cl, redis_backoff *bo, const char *msg)
{
    if (bo->ms == 0)
        kiln_log(KILN_LOG_WARN, "redis: cannot connect to %s: %s", cl->addr,
                 msg);
    bo->ms = bo->ms ? bo->ms * 2 : REDIS_BACKOFF_MIN;
    if (bo->ms > cl->backoff_max_ms)
        bo->ms = cl->backoff_max_ms;
    bo->retry_at = kiln_now_ms() + bo->ms;
    snprintf(bo->err, sizeof bo->err, "%s", msg);
}

static redis_backoff *backoff_of(redis_conn *c)
{
    return c->rw ? &c->rw->bo : &c->cl->tool_bo;
}

/*
 * The connection is gone: unlinks and closes it, fails every operation in
 * flight with code and msg (resuming their callers), and frees it (later,
 * if a callback of it is on the stack). From the loop, the hook or the
 * blocking path only: it resumes coroutines.
 */
static void rconn_broken(redis_conn *c, int code, const char *msg)
{
    if (c->broken)
        return;
    c->broken = true;
    if (c->connecting)
        backoff_fail(c->cl, backoff_of(c), msg);
    else
        kiln_log(KILN_LOG_WARN, "redis: lost the connection to %s: %s",
                 c->cl->addr, msg);
    if (c->rw) {
        for (redis_conn **pp = &c->rw->conns; *pp; pp = &(*pp)->next)
            if (*pp == c) {
                *pp = c->next;
                c->rw->nconns--;
                break;
            }
        if (c->registered)
            loop_del(&c->rw->w->loop, &c->io);
    } else if (c->cl->tool == c) {
        c->cl->tool = NULL;
    }
    c->registered = false;
    if (c->io.fd >= 0)
        close(c->io.fd);
    c->io.fd = -1;
    c->busy++; /* resumed callers may queue more: not on c */
    redis_op *op;
    while ((op = dequeue(c))) {
        op->rc = code;
        snprintf(op->err, sizeof op->err, "Redis at %.60s: %.120s", c->cl->addr,
                 msg);
        op_done(c, op);
    }
    c->busy--;
    rconn_free(c);
}

int redis_socket_open(const redis_url *u, bool *pending, char *err,
                      size_t errlen)
{
    *pending = false;
    if (u->unix_socket) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            snprintf(err, errlen, "socket: %s", strerror(errno));
            return -1;
        }
        struct sockaddr_un sa;
        memset(&sa, 0, sizeof sa);
        sa.sun_family = AF_UNIX;
        memcpy(sa.sun_path, u->path, strlen(u->path) + 1);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
            return fd;
        if (errno == EINPROGRESS || errno == EAGAIN) {
            *pending = true;
            return fd;
        }
        snprintf(err, errlen, "%s", strerror(errno));
        close(fd);
        return -1;
    }
    /* a host name is resolved here (blocking; an address is not) */
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    char port[8];
    snprintf(port, sizeof port, "%d", u->port);
    int g = getaddrinfo(u->host, port, &hints, &res);
    if (g != 0) {
        snprintf(err, errlen, "cannot resolve %.80s: %.60s", u->host,
                 gai_strerror(g));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family,
                    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            snprintf(err, errlen, "socket: %s", strerror(errno));
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        if (errno == EINPROGRESS) {
            *pending = true;
            break;
        }
        snprintf(err, errlen, "%s", strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static void on_io(loop *l, loop_io *io, unsigned ev);

/* Queues AUTH and SELECT when the URL asks for them. */
static int queue_setup(redis_conn *c)
{
    const redis_url *u = &c->cl->url;
    kiln_str argv[3];
    char db[16];
    for (int step = 0; step < 2; step++) {
        size_t argc = 0;
        if (step == 0 && u->password[0]) {
            argv[argc++] = KILN_STR("AUTH");
            if (u->user[0])
                argv[argc++] = kiln_str_c(u->user);
            argv[argc++] = kiln_str_c(u->password);
        } else if (step == 1 && u->db) {
            snprintf(db, sizeof db, "%d", u->db);
            argv[argc++] = KILN_STR("SELECT");
            argv[argc++] = kiln_str_c(db);
        } else {
            continue;
        }
        redis_op *op = op_new(c->rw);
        if (!op || redis_encode(&c->out, argc, argv) != 0) {
            if (op)
                op_free(c->rw, op);
            return KILN_ENOMEM;
        }
        op->setup = true;
        enqueue(c, op);
    }
    return 0;
}

/* A new connection (connecting, or connected) for rw (NULL: the blocking
   one). NULL with err filled; a failed attempt starts the backoff. */
static redis_conn *rconn_new(redis_client *cl, redis_worker *rw, char *err,
                             size_t errlen)
{
    redis_backoff *bo = rw ? &rw->bo : &cl->tool_bo;
    bool pending;
    int fd = redis_socket_open(&cl->url, &pending, err, errlen);
    if (fd < 0) {
        backoff_fail(cl, bo, err);
        return NULL;
    }
    redis_conn *c = calloc(1, sizeof *c);
    if (!c || !(c->reader = hr_fn.redisReaderCreate())) {
        free(c);
        close(fd);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->io.fd = fd;
    c->io.cb = on_io;
    c->cl = cl;
    c->rw = rw;
    c->connecting = pending;
    kiln_buf_init(&c->out);
    if (queue_setup(c) != 0) {
        close(fd);
        c->io.fd = -1;
        rconn_free(c);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (rw) {
        if (loop_add(&rw->w->loop, &c->io,
                     LOOP_READ | (pending ? LOOP_WRITE : 0), 1) != 0) {
            close(fd);
            c->io.fd = -1;
            rconn_free(c);
            snprintf(err, errlen, "cannot register the connection");
            return NULL;
        }
        c->registered = true;
        c->want_write = pending;
        c->next = rw->conns;
        rw->conns = c;
        rw->nconns++;
    } else {
        cl->tool = c;
    }
    if (!pending && bo->ms) {
        kiln_log(KILN_LOG_INFO, "redis: connected to %s again", cl->addr);
        bo->ms = 0;
    }
    return c;
}

/* Sets the write interest of c to want. */
static void want_write(redis_conn *c, bool want)
{
    if (want == c->want_write)
        return;
    c->want_write = want;
    if (c->registered)
        loop_mod(&c->rw->w->loop, &c->io, LOOP_READ | (want ? LOOP_WRITE : 0),
                 1);
}

/* Writes what is queued. 0 (all written, or the rest waits for the socket),
   or -1 with errno. */
static int rconn_flush(redis_conn *c)
{
    if (c->connecting || c->broken)
        return 0;
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
        kiln_buf_deinit(&c->out); /* a large command passed: give it back */
    want_write(c, false);
    return 0;
}

/* connect(2) finished: checks how. */
static void rconn_connected(redis_conn *c)
{
    int e = 0;
    socklen_t len = sizeof e;
    if (getsockopt(c->io.fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
        e = errno;
    if (e != 0) {
        rconn_broken(c, KILN_EUNAVAIL, strerror(e));
        return;
    }
    c->connecting = false;
    redis_backoff *bo = backoff_of(c);
    if (bo->ms)
        kiln_log(KILN_LOG_INFO, "redis: connected to %s again", c->cl->addr);
    bo->ms = 0;
}

/* A reply arrived: hands it to the operation at the head of the FIFO. */
static void dispatch(redis_conn *c, redisReply *r)
{
    redis_op *op = dequeue(c);
    if (!op) {
        hr_fn.freeReplyObject(r);
        rconn_broken(c, KILN_EUNAVAIL, "a reply nobody asked for");
        return;
    }
    if (op->setup && r->type == REDIS_REPLY_ERROR) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "the server refused the connection's "
                 "setup (AUTH or SELECT): %.*s",
                 (int)(r->len < 150 ? r->len : 150), r->str);
        hr_fn.freeReplyObject(r);
        op_free(c->rw, op);
        c->connecting = true; /* as a failed attempt: back off */
        rconn_broken(c, KILN_EUNAVAIL, msg);
        return;
    }
    op->reply = r;
    op_done(c, op);
}

/* Reads what arrived and completes the operations it answers. */
static void rconn_read(redis_conn *c)
{
    char buf[REDIS_READ_CHUNK];
    c->busy++;
    while (!c->broken) {
        ssize_t n = read(c->io.fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            rconn_broken(c, KILN_EUNAVAIL,
                         n == 0 ? "the server closed the connection"
                                : strerror(errno));
            break;
        }
        if (hr_fn.redisReaderFeed(c->reader, buf, (size_t)n) != REDIS_OK) {
            rconn_broken(c, KILN_EUNAVAIL, "out of memory reading a reply");
            break;
        }
        for (;;) {
            void *r = NULL;
            if (hr_fn.redisReaderGetReply(c->reader, &r) != REDIS_OK) {
                char msg[200];
                snprintf(msg, sizeof msg, "malformed reply: %s",
                         c->reader->errstr);
                rconn_broken(c, KILN_EUNAVAIL, msg);
                break;
            }
            if (!r)
                break;
            dispatch(c, r);
            if (c->broken)
                break;
        }
        if ((size_t)n < sizeof buf)
            break; /* level-triggered: the loop calls again if more came */
    }
    c->busy--;
    if (c->free_pending)
        rconn_free(c);
}

static void on_io(loop *l, loop_io *io, unsigned ev)
{
    (void)l;
    redis_conn *c = (redis_conn *)io;
    c->busy++;
    if (c->connecting)
        rconn_connected(c);
    if (!c->broken && (ev & LOOP_WRITE) && rconn_flush(c) != 0)
        rconn_broken(c, KILN_EUNAVAIL, strerror(errno));
    if (!c->broken && (ev & (LOOP_READ | LOOP_ERROR)))
        rconn_read(c);
    c->busy--;
    if (c->free_pending)
        rconn_free(c);
}

/* The end of a loop turn: sends what this turn queued; drops connections
   whose caller timed out. */
static void rw_turn_end(void *arg)
{
    redis_worker *rw = arg;
    for (bool again = true; again;) {
        again = false;
        for (redis_conn *c = rw->conns; c; c = c->next) {
            if (c->kill) {
                /* its reply may have come in the meantime: then the server
                   answers after all, and the connection stays */
                bool waiting = false;
                for (redis_op *op = c->head; op && !waiting; op = op->next)
                    waiting = op == c->late;
                c->kill = waiting;
                c->late = waiting ? c->late : NULL;
            }
            if (c->kill) {
                rconn_broken(c, KILN_ETIMEDOUT,
                             "a command got no reply in time; dropping the "
                             "connection");
                again = true; /* the list changed */
                break;
            }
            if (c->out_off < c->out.n && !c->want_write &&
                rconn_flush(c) != 0) {
                rconn_broken(c, KILN_EUNAVAIL, strerror(errno));
                again = true;
                break;
            }
        }
    }
}

/* The calling worker's state for cl, made on first use. */
static redis_worker *worker_state(redis_client *cl, worker *w)
{
    if (w->id < 0 || w->id >= REDIS_MAX_WORKERS)
        return NULL;
    redis_worker *rw = cl->per_worker[w->id];
    if (rw && rw->w == w)
        return rw;
    if (rw) { /* a new server run reuses the slot: the old loop is gone */
        while (rw->conns) {
            redis_conn *c = rw->conns;
            rw->conns = c->next;
            if (c->io.fd >= 0)
                close(c->io.fd);
            c->rw = NULL;
            rconn_free(c);
        }
        while (rw->free_ops) {
            redis_op *op = rw->free_ops;
            rw->free_ops = op->next;
            free(op);
        }
        free(rw);
        cl->per_worker[w->id] = NULL;
    }
    rw = calloc(1, sizeof *rw);
    if (!rw)
        return NULL;
    rw->cl = cl;
    rw->w = w;
    rw->hook.fn = rw_turn_end;
    rw->hook.arg = rw;
    worker_hook_add(w, &rw->hook);
    cl->per_worker[w->id] = rw;
    return rw;
}

/* A connection for the next command: the least busy, or a new one while
   the pool has room and all are busy. NULL (last_err set) while Redis is
   unreachable. */
static redis_conn *pick(redis_worker *rw)
{
    redis_client *cl = rw->cl;
    redis_conn *best = NULL;
    for (redis_conn *c = rw->conns; c; c = c->next)
        if (!c->broken && !c->kill && (!best || c->nops < best->nops))
            best = c;
    if (best && (best->nops == 0 || rw->nconns >= cl->pool))
        return best;
    if (kiln_now_ms() < rw->bo.retry_at) {
        if (best)
            return best;
        set_err("Redis at %s is unavailable: %s", cl->addr, rw->bo.err);
        return NULL;
    }
    char err[200];
    redis_conn *c = rconn_new(cl, rw, err, sizeof err);
    if (c)
        return c;
    if (best)
        return best;
    set_err("Redis at %s is unavailable: %s", cl->addr, err);
    return NULL;
}

/* ---- replies ------------------------------------------------------------- */

static redis_value *value_copy(kiln_arena *a, const redisReply *r)
{
    redis_value *v = kiln_arena_calloc(a, sizeof *v);
    if (!v)
        return NULL;
    switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR: {
        v->type = r->type == REDIS_REPLY_STRING   ? REDIS_T_STRING
                  : r->type == REDIS_REPLY_STATUS ? REDIS_T_STATUS
                                                  : REDIS_T_ERROR;
        char *s = kiln_arena_alloc(a, r->len + 1);
        if (!s)
            return NULL;
        if (r->len)
            memcpy(s, r->str, r->len);
        s[r->len] = '\0';
        v->s = (kiln_str){s, r->len};
        break;
    }
    case REDIS_REPLY_INTEGER:
        v->type = REDIS_T_INT;
        v->i = r->integer;
        break;
    case REDIS_REPLY_ARRAY:
        v->type = REDIS_T_ARRAY;
        v->n = r->elements;
        if (r->elements) {
            v->elems = kiln_arena_calloc(a, r->elements * sizeof *v->elems);
            if (!v->elems)
                return NULL;
        }
        for (size_t i = 0; i < r->elements; i++) {
            redis_value *e = value_copy(a, r->element[i]);
            if (!e)
                return NULL;
            v->elems[i] = *e;
        }
        break;
    default:
        v->type = REDIS_T_NIL;
        break;
    }
    return v;
}

/* Takes op's outcome (and frees op): its reply into a, or its error. */
static int op_take(redis_worker *rw, redis_op *op, kiln_arena *a,
                   redis_value **out)
{
    int rc = op->rc;
    if (rc) {
        set_err("%s", op->err);
    } else {
        *out = value_copy(a, op->reply);
        if (!*out) {
            rc = KILN_ENOMEM;
            set_err("out of memory");
        }
    }
    op_free(rw, op);
    return rc;
}

/* ---- calls --------------------------------------------------------------- */

/* redis_call outside a worker's coroutine: the blocking connection. */
static int call_blocking(redis_client *cl, kiln_arena *a, size_t argc,
                         const kiln_str *argv, redis_value **out)
{
    pthread_mutex_lock(&cl->lock);
    redis_conn *c = cl->tool;
    char err[200];
    if (!c) {
        if (kiln_now_ms() < cl->tool_bo.retry_at) {
            set_err("Redis at %s is unavailable: %s", cl->addr,
                    cl->tool_bo.err);
            pthread_mutex_unlock(&cl->lock);
            return KILN_EUNAVAIL;
        }
        c = rconn_new(cl, NULL, err, sizeof err);
        if (!c) {
            set_err("Redis at %s is unavailable: %s", cl->addr, err);
            pthread_mutex_unlock(&cl->lock);
            return KILN_EUNAVAIL;
        }
    }
    redis_op *op = op_new(NULL);
    if (!op || redis_encode(&c->out, argc, argv) != 0) {
        free(op);
        set_err("out of memory");
        pthread_mutex_unlock(&cl->lock);
        return KILN_ENOMEM;
    }
    enqueue(c, op);
    int64_t deadline =
        kiln_now_ms() + cl->timeout_ms + (c->connecting ? cl->connect_ms : 0);
    int rc = 0;
    while (!op->done) {
        if (rconn_flush(c) != 0) {
            rconn_broken(c, KILN_EUNAVAIL, strerror(errno));
            break;
        }
        int64_t left = deadline - kiln_now_ms();
        if (left <= 0) {
            op->abandoned = true; /* freed by rconn_broken */
            rconn_broken(c, c->connecting ? KILN_EUNAVAIL : KILN_ETIMEDOUT,
                         c->connecting ? "connecting timed out"
                                       : "no reply in time");
            set_err("Redis at %s: no reply within %d ms", cl->addr,
                    cl->timeout_ms);
            rc = KILN_ETIMEDOUT;
            break;
        }
        int ev =
            c->connecting
                ? KILN_WRITABLE
                : KILN_READABLE | (c->out_off < c->out.n ? KILN_WRITABLE : 0);
        int r = kiln_wait_fd(c->io.fd, ev, left);
        if (r == KILN_ETIMEDOUT)
            continue;
        if (r < 0) {
            rconn_broken(c, KILN_EUNAVAIL, "waiting for the server failed");
            break;
        }
        on_io(NULL, &c->io,
              (r & KILN_READABLE ? LOOP_READ : 0) |
                  (r & KILN_WRITABLE ? LOOP_WRITE : 0));
    }
    if (rc == 0)
        rc = op_take(NULL, op, a, out);
    pthread_mutex_unlock(&cl->lock);
    return rc;
}

int redis_call(redis_client *cl, kiln_arena *a, size_t argc,
               const kiln_str *argv, redis_value **out)
{
    *out = NULL;
    worker *w = worker_current();
    if (!w || !coro_current())
        return call_blocking(cl, a, argc, argv, out);
    redis_worker *rw = worker_state(cl, w);
    if (!rw) {
        set_err("out of memory");
        return KILN_ENOMEM;
    }
    redis_conn *c = pick(rw);
    if (!c)
        return KILN_EUNAVAIL;
    redis_op *op = op_new(rw);
    if (!op || redis_encode(&c->out, argc, argv) != 0) {
        if (op)
            op_free(rw, op);
        set_err("out of memory");
        return KILN_ENOMEM;
    }
    enqueue(c, op);
    int64_t timeout = cl->timeout_ms + (c->connecting ? cl->connect_ms : 0);
    waiter wt;
    op->wt = &wt;
    int r = worker_park(&wt, timeout);
    if (!op->done) {
        /* timed out or cancelled: the reply, if it comes, is nobody's; a
           server that does not answer has the connection dropped, so the
           commands behind this one fail at once */
        op->wt = NULL;
        op->abandoned = true;
        if (r == KILN_ETIMEDOUT) {
            c->kill = true;
            c->late = op;
            set_err("Redis at %s: no reply within %lld ms", cl->addr,
                    (long long)timeout);
        } else {
            set_err("Redis at %s: %s", cl->addr, kiln_strerror(r));
        }
        return r < 0 ? r : KILN_EUNAVAIL;
    }
    return op_take(rw, op, a, out);
}

int redis_eval(redis_client *cl, kiln_arena *a, redis_script *s, size_t nkeys,
               size_t nargs, const kiln_str *argv, redis_value **out)
{
    *out = NULL;
    if (!__atomic_load_n(&s->loaded, __ATOMIC_ACQUIRE)) {
        kiln_str load[3] = {KILN_STR("SCRIPT"), KILN_STR("LOAD"),
                            kiln_str_c(s->src)};
        redis_value *v;
        int rc = redis_call(cl, a, 3, load, &v);
        if (rc)
            return rc;
        if (v->type != REDIS_T_STRING || v->s.n != 40) {
            *out = v; /* the server's error */
            return 0;
        }
        pthread_mutex_lock(&script_lock);
        memcpy(s->sha, v->s.p, 40);
        s->sha[40] = '\0';
        __atomic_store_n(&s->loaded, 1, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&script_lock);
    }
    size_t n = 3 + nkeys + nargs;
    kiln_str *av = kiln_arena_alloc(a, n * sizeof *av);
    char *nk = kiln_arena_printf(a, "%zu", nkeys);
    if (!av || !nk) {
        set_err("out of memory");
        return KILN_ENOMEM;
    }
    av[0] = KILN_STR("EVALSHA");
    av[1] = (kiln_str){s->sha, 40};
    av[2] = kiln_str_c(nk);
    if (nkeys + nargs)
        memcpy(av + 3, argv, (nkeys + nargs) * sizeof *av);
    int rc = redis_call(cl, a, n, av, out);
    if (rc == 0 && (*out)->type == REDIS_T_ERROR &&
        strncmp((*out)->s.p, "NOSCRIPT", 8) == 0) {
        /* the server forgot it (SCRIPT FLUSH, a restart): send it whole */
        av[0] = KILN_STR("EVAL");
        av[1] = kiln_str_c(s->src);
        rc = redis_call(cl, a, n, av, out);
    }
    return rc;
}

/* ---- the client ---------------------------------------------------------- */

redis_client *redis_client_new(const redis_opts *o, char *err, size_t errlen)
{
    redis_client *cl = calloc(1, sizeof *cl);
    if (!cl) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (redis_url_parse(o->url, &cl->url, err, errlen) != 0 ||
        hr_load(err, errlen) != 0) {
        free(cl);
        return NULL;
    }
    if (cl->url.unix_socket)
        snprintf(cl->addr, sizeof cl->addr, "unix:%s", cl->url.path);
    else if (strchr(cl->url.host, ':'))
        snprintf(cl->addr, sizeof cl->addr, "[%s]:%d", cl->url.host,
                 cl->url.port);
    else
        snprintf(cl->addr, sizeof cl->addr, "%s:%d", cl->url.host,
                 cl->url.port);
    cl->pool = o->pool > 0 ? o->pool : 1;
    cl->connect_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 1000;
    cl->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 2000;
    cl->backoff_max_ms = o->backoff_max_ms > 0 ? o->backoff_max_ms : 1000;
    if (cl->backoff_max_ms < REDIS_BACKOFF_MIN)
        cl->backoff_max_ms = REDIS_BACKOFF_MIN;
    pthread_mutex_init(&cl->lock, NULL);
    return cl;
}

/* Closes c without resuming anyone (no loop runs any more). */
static void rconn_close_quiet(redis_conn *c)
{
    if (c->io.fd >= 0)
        close(c->io.fd);
    c->io.fd = -1;
    c->busy = 0;
    rconn_free(c);
}

void redis_client_free(redis_client *cl)
{
    if (!cl)
        return;
    for (int i = 0; i < REDIS_MAX_WORKERS; i++) {
        redis_worker *rw = cl->per_worker[i];
        if (!rw)
            continue;
        while (rw->conns) {
            redis_conn *c = rw->conns;
            rw->conns = c->next;
            rconn_close_quiet(c);
        }
        while (rw->free_ops) {
            redis_op *op = rw->free_ops;
            rw->free_ops = op->next;
            free(op);
        }
        free(rw);
    }
    if (cl->tool)
        rconn_close_quiet(cl->tool);
    pthread_mutex_destroy(&cl->lock);
    free(cl);
}
