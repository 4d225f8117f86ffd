/*
 * pubsub/postgres.c - the PostgreSQL backend of pub/sub: LISTEN/NOTIFY,
 * no server beside the database. One connection of the process's own, on
 * the first worker's loop, outside the data layer's pools:
 *
 *   LISTEN "CHANNEL" once connected; every notification on it carries an
 *   envelope with its topic (pubsub_wire_decode) and is delivered
 *   (pubsub_received);
 *   publications made here wait in a FIFO and go out in batches, one
 *   round trip for all that waited: SELECT pg_notify($1, p) FROM
 *   unnest($2::text[]) AS p (in their order; one transaction, so a batch
 *   is delivered whole or not at all).
 *
 * Every instance hears every topic (one channel) and keeps what its
 * workers subscribe to. A NOTIFY payload is text shorter than 8000 bytes:
 * kiln_publish refuses what does not fit (hub.c, check_message) before
 * anything is delivered.
 *
 * The connection is made without blocking (PQconnectPoll on the loop's
 * events) when first needed (the first topic or publication), again by
 * itself after a failure with a backoff (50 ms doubling to 1 s); a query
 * that gets no answer within timeout_ms, or a connect that takes longer,
 * drops it; an idle connection sends an empty query every PING_MS. When
 * it breaks after LISTEN was up, notifications meanwhile are lost: it is
 * logged and counted, and once LISTEN is back every subscriber gets a gap
 * (pubsub_gap_all). A batch in flight when it breaks is counted as lost.
 */
#include "pubsub/pubsub.h"

#include "db/pq.h"

#include <kiln/db.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 1000
#define PING_MS 5000
#define BATCH_MAX 512

enum { PG_DOWN, PG_CONNECTING, PG_UP };
/* What the query in flight is. */
enum { Q_NONE, Q_LISTEN, Q_NOTIFY, Q_PING };

typedef struct ps_pg {
    pubsub_backend base; /* first */
    loop_io io;          /* the connection's socket */
    PGconn *pc;
    char *url;
    char channel[64];
    char listen_sql[96];
    int timeout_ms, backlog;
    int state;
    bool wanted, registered, stopped;
    unsigned events;  /* registered with the loop */
    bool listening;   /* LISTEN is up on this connection */
    bool ever_up;     /* LISTEN was up once: a failure then is a loss */
    bool gap_owed;    /* lost after LISTEN was up: a gap once it is back */
    bool failing;     /* attempts fail: logged once */
    int query;        /* Q_*: the query in flight */
    uint32_t batch_n; /* Q_NOTIFY: publications in it */
    int backoff_ms;
    int64_t retry_at, connect_deadline, reply_deadline, quiet_since;
    int64_t down_since;
    /* publications waiting (a FIFO of message references) */
    pubsub_msg **fifo;
    uint32_t head, n, cap;
    kiln_buf arr, env; /* the batch's text[] literal; one envelope */
    int tfd;
    loop_io tio;
    int64_t armed_at;
} ps_pg;

static void pg_fail(ps_pg *g, const char *why);
static void arm(ps_pg *g);
static void pump(ps_pg *g);

/* The first line of libpq's message, for the log. */
static const char *pq_why(ps_pg *g)
{
    static _Thread_local char b[200];
    const char *m = g->pc ? PQerrorMessage(g->pc) : "";
    size_t n = strcspn(m, "\n");
    snprintf(b, sizeof b, "%.*s", (int)(n < 190 ? n : 190),
             n ? m : "the connection broke");
    return b;
}

/* ---- the FIFO of publications
 * --------------------------------------------------- */

static int fifo_push(ps_pg *g, pubsub_msg *m)
{
    if (g->n == g->cap) {
        uint32_t cap = g->cap ? g->cap * 2 : 64;
        pubsub_msg **v = malloc(cap * sizeof *v);
        if (!v)
            return KILN_ENOMEM;
        for (uint32_t i = 0; i < g->n; i++)
            v[i] = g->fifo[(g->head + i) % g->cap];
        free(g->fifo);
        g->fifo = v;
        g->cap = cap;
        g->head = 0;
    }
    g->fifo[(g->head + g->n) % g->cap] = m;
    g->n++;
    return 0;
}

static pubsub_msg *fifo_pop(ps_pg *g)
{
    pubsub_msg *m = g->fifo[g->head];
    g->head = (g->head + 1) % g->cap;
    g->n--;
    return m;
}

/* Drops every publication waiting, counted as lost. */
static void fifo_lose(ps_pg *g, const char *why)
{
    uint64_t k = g->n;
    while (g->n)
        pubsub_msg_release(fifo_pop(g));
    pubsub_backend_lost(k, why);
}

/* ---- the loop's registration
 * ------------------------------------------------------ */

static void on_io(loop *l, loop_io *io, unsigned ev);

/* Registers the connection's socket for events (it may change while
   connecting). */
static int watch(ps_pg *g, unsigned events)
{
    loop *l = &g->base.w->loop;
    int fd = PQsocket(g->pc);
    if (fd < 0)
        return KILN_EIO;
    if (g->registered && fd != g->io.fd) {
        loop_del(l, &g->io);
        g->registered = false;
    }
    g->io.fd = fd;
    if (!g->registered) {
        if (loop_add(l, &g->io, events, 1) != 0)
            return KILN_EIO;
        g->registered = true;
    } else if (events != g->events && loop_mod(l, &g->io, events, 1) != 0 &&
               loop_add(l, &g->io, events, 1) != 0) {
        return KILN_EIO; /* (a socket libpq closed and opened again under
                            the same number was dropped by epoll) */
    }
    g->events = events;
    return 0;
}

/* ---- connecting
 * ------------------------------------------------------------------ */

static void on_notice(void *arg, const char *msg)
{
    (void)arg;
    kiln_log(KILN_LOG_DEBUG, "pubsub: postgres: %.*s", (int)strcspn(msg, "\n"),
             msg);
}

static void pspg_connect(ps_pg *g)
{
    const char *keys[] = {"options", "fallback_application_name", "dbname",
                          NULL};
    const char *vals[] = {"-c TimeZone=UTC", "kiln-pubsub", g->url, NULL};
    g->pc = PQconnectStartParams(keys, vals, 1);
    g->state = PG_CONNECTING;
    g->query = Q_NONE;
    g->listening = false;
    if (!g->pc || PQstatus(g->pc) == CONNECTION_BAD) {
        pg_fail(g, g->pc ? pq_why(g) : "out of memory");
        return;
    }
    PQsetNoticeProcessor(g->pc, on_notice, NULL);
    g->connect_deadline = g->base.w->now_ms + g->timeout_ms;
    if (watch(g, LOOP_WRITE) != 0) { /* PQconnectStart: write first */
        pg_fail(g, "cannot register the connection");
        return;
    }
    arm(g);
}

/* Sends a query of the connection (not a batch). */
static void send_simple(ps_pg *g, const char *sql, int kind)
{
    if (!PQsendQuery(g->pc, sql)) {
        pg_fail(g, pq_why(g));
        return;
    }
    g->query = kind;
    g->reply_deadline = g->base.w->now_ms + g->timeout_ms;
    int f = PQflush(g->pc);
    if (f < 0)
        pg_fail(g, pq_why(g));
    else if (watch(g, LOOP_READ | (f ? LOOP_WRITE : 0)) != 0)
        pg_fail(g, "cannot register the connection");
}

/* PQconnectPoll's next step. */
static void connect_step(ps_pg *g)
{
    PostgresPollingStatusType ps = PQconnectPoll(g->pc);
    if (ps == PGRES_POLLING_FAILED) {
        pg_fail(g, pq_why(g));
        return;
    }
    if (ps != PGRES_POLLING_OK) {
        if (watch(g, ps == PGRES_POLLING_READING ? LOOP_READ : LOOP_WRITE) != 0)
            pg_fail(g, "cannot register the connection");
        return;
    }
    if (PQsetnonblocking(g->pc, 1) != 0) {
        pg_fail(g, pq_why(g));
        return;
    }
    g->state = PG_UP;
    g->quiet_since = g->base.w->now_ms;
    send_simple(g, g->listen_sql, Q_LISTEN);
}

/* LISTEN is up: notifications flow. After a loss, the gap is told now. */
static void listen_up(ps_pg *g)
{
    g->listening = true;
    __atomic_store_n(&g->base.up, true, __ATOMIC_RELAXED);
    if (g->failing)
        kiln_log(KILN_LOG_INFO, "pubsub: connected to PostgreSQL again");
    g->failing = false;
    g->backoff_ms = 0;
    g->ever_up = true;
    if (g->gap_owed) {
        g->gap_owed = false;
        kiln_log(KILN_LOG_INFO,
                 "pubsub: listening on '%s' again after %lld ms: every "
                 "subscriber is told of the gap",
                 g->channel, (long long)(g->base.w->now_ms - g->down_since));
        pubsub_gap_all();
    }
}

/* The connection is gone or could not be made: closes it, counts what is
   lost, schedules the next attempt. */
static void pg_fail(ps_pg *g, const char *why)
{
    worker *w = g->base.w;
    char reason[200];
    snprintf(reason, sizeof reason, "%s", why); /* why may be libpq's */
    if (g->registered)
        loop_del(&w->loop, &g->io);
    g->registered = false;
    g->events = 0;
    if (g->pc)
        PQfinish(g->pc);
    g->pc = NULL;
    bool was_listening = g->listening;
    g->listening = false;
    g->state = PG_DOWN;
    __atomic_store_n(&g->base.up, false, __ATOMIC_RELAXED);
    if (g->query == Q_NOTIFY && g->batch_n)
        pubsub_backend_lost(g->batch_n, "the connection to PostgreSQL broke "
                                        "during a NOTIFY");
    g->query = Q_NONE;
    g->batch_n = 0;
    g->reply_deadline = 0;
    if (was_listening && g->ever_up && !g->gap_owed) {
        kiln_log(KILN_LOG_WARN,
                 "pubsub: lost the LISTEN connection to PostgreSQL (%s): "
                 "publications of other instances are lost until it is back",
                 reason);
        g->gap_owed = true;
        g->down_since = w->now_ms;
        pubsub_backend_down();
    } else if (!was_listening && !g->failing) {
        kiln_log(KILN_LOG_WARN, "pubsub: cannot connect to PostgreSQL: %s",
                 reason);
        g->failing = true;
    }
    /* what waits would wait for a backoff: lost now, said now */
    if (g->n)
        fifo_lose(g, "PostgreSQL cannot be reached");
    g->backoff_ms = g->backoff_ms ? g->backoff_ms * 2 : BACKOFF_MIN_MS;
    if (g->backoff_ms > BACKOFF_MAX_MS)
        g->backoff_ms = BACKOFF_MAX_MS;
    g->retry_at = w->now_ms + g->backoff_ms;
    if (!g->stopped)
        arm(g);
}

/* ---- the queries
 * ------------------------------------------------------------------- */

/* Appends s as one element of a text[] literal: "...", with '"' and '\'
   escaped. */
static int arr_put(kiln_buf *b, kiln_str s)
{
    int rc = kiln_buf_reserve(b, s.n + s.n / 8 + 4);
    rc |= kiln_buf_putc(b, '"');
    for (size_t i = 0; i < s.n && rc == 0; i++) {
        if (s.p[i] == '"' || s.p[i] == '\\')
            rc |= kiln_buf_putc(b, '\\');
        rc |= kiln_buf_putc(b, s.p[i]);
    }
    rc |= kiln_buf_putc(b, '"');
    return rc ? KILN_ENOMEM : 0;
}

/* Sends what waits, as one batch of NOTIFYs. */
static void send_batch(ps_pg *g)
{
    kiln_buf_clear(&g->arr);
    int rc = kiln_buf_putc(&g->arr, '{');
    uint32_t k = 0;
    while (g->n && k < BATCH_MAX && rc == 0) {
        pubsub_msg *m = fifo_pop(g);
        kiln_buf_clear(&g->env);
        rc = pubsub_wire_encode(&g->env, m->origin, m->seq, m->topic, m->data);
        if (rc == 0 && k)
            rc = kiln_buf_putc(&g->arr, ',');
        if (rc == 0)
            rc = arr_put(&g->arr, kiln_buf_str(&g->env));
        pubsub_msg_release(m);
        k++;
    }
    if (rc == 0)
        rc = kiln_buf_putc(&g->arr, '}');
    if (g->env.cap > 64 * 1024)
        kiln_buf_deinit(&g->env);
    if (rc != 0) {
        kiln_buf_deinit(&g->arr);
        pubsub_backend_lost(k, "out of memory");
        return;
    }
    const char *vals[2] = {g->channel, g->arr.p};
    if (!PQsendQueryParams(g->pc,
                           "SELECT pg_notify($1, p) FROM unnest($2::text[]) "
                           "AS p",
                           2, NULL, vals, NULL, NULL, 0)) {
        g->query = Q_NOTIFY;
        g->batch_n = k;
        pg_fail(g, pq_why(g));
        return;
    }
    if (g->arr.cap > 1024 * 1024)
        kiln_buf_deinit(&g->arr);
    g->query = Q_NOTIFY;
    g->batch_n = k;
    g->reply_deadline = g->base.w->now_ms + g->timeout_ms;
    int f = PQflush(g->pc);
    if (f < 0)
        pg_fail(g, pq_why(g));
    else if (watch(g, LOOP_READ | (f ? LOOP_WRITE : 0)) != 0)
        pg_fail(g, "cannot register the connection");
}

/* The query in flight is answered (res: each of its results). */
static void on_result(ps_pg *g, PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK ||
        st == PGRES_EMPTY_QUERY)
        return;
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    char why[240];
    snprintf(why, sizeof why, "PostgreSQL refused: %.200s",
             msg ? msg : "an error");
    if (g->query == Q_NOTIFY) {
        pubsub_backend_lost(g->batch_n, why);
        g->batch_n = 0;
    } else if (g->query == Q_LISTEN) {
        g->query = Q_NONE;
        pg_fail(g, why);
    }
}

/* Reads what came: results of the query in flight, notifications. */
static void pg_read(ps_pg *g)
{
    worker *w = g->base.w;
    if (!PQconsumeInput(g->pc)) {
        pg_fail(g, pq_why(g));
        return;
    }
    g->quiet_since = w->now_ms;
    while (g->state == PG_UP && g->query != Q_NONE && !PQisBusy(g->pc)) {
        PGresult *res = PQgetResult(g->pc);
        if (!res) { /* the query is done */
            int q = g->query;
            g->query = Q_NONE;
            g->batch_n = 0;
            g->reply_deadline = 0;
            if (q == Q_LISTEN)
                listen_up(g);
            break;
        }
        on_result(g, res);
        PQclear(res);
    }
    if (g->state != PG_UP)
        return;
    PGnotify *n;
    while (g->pc && (n = PQnotifies(g->pc))) {
        if (strcmp(n->relname, g->channel) == 0) {
            const char *p = n->extra ? n->extra : "";
            pubsub_wire wr;
            if (pubsub_wire_decode(p, strlen(p), true, &wr) == 0)
                pubsub_received(&wr);
            else
                kiln_log(KILN_LOG_WARN,
                         "pubsub: a notification on '%s' that is neither "
                         "Kiln's envelope nor \"TOPIC DATA\": dropped",
                         g->channel);
        }
        PQfreemem(n);
    }
}

/* Sends the next batch when the connection is free. */
static void pump(ps_pg *g)
{
    if (g->state == PG_UP && g->listening && g->query == Q_NONE && g->n)
        send_batch(g);
}

static void on_io(loop *l, loop_io *io, unsigned ev)
{
    (void)l;
    ps_pg *g = (ps_pg *)((char *)io - offsetof(ps_pg, io));
    if (g->state == PG_CONNECTING) {
        connect_step(g);
    } else if (g->state == PG_UP) {
        if (ev & LOOP_WRITE) {
            int f = PQflush(g->pc);
            if (f < 0)
                pg_fail(g, pq_why(g));
            else if (f == 0 && watch(g, LOOP_READ) != 0)
                pg_fail(g, "cannot register the connection");
        }
        if (g->state == PG_UP && (ev & (LOOP_READ | LOOP_ERROR)))
            pg_read(g);
        pump(g);
    }
    arm(g);
}

/* ---- timers
 * --------------------------------------------------------------------- */

static int64_t next_deadline(const ps_pg *g)
{
    switch (g->state) {
    case PG_DOWN:
        return g->wanted ? g->retry_at : 0;
    case PG_CONNECTING:
        return g->connect_deadline;
    default:
        return g->query != Q_NONE ? g->reply_deadline
                                  : g->quiet_since + PING_MS;
    }
}

static void arm(ps_pg *g)
{
    if (g->stopped)
        return;
    int64_t at = next_deadline(g);
    if (at == g->armed_at)
        return;
    if (g->tfd < 0) {
        g->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        g->tio.fd = g->tfd;
        if (g->tfd < 0 ||
            loop_add(&g->base.w->loop, &g->tio, LOOP_READ, 1) != 0) {
            kiln_log(KILN_LOG_ERROR,
                     "pubsub: no timer (%s): PostgreSQL will "
                     "not be reconnected",
                     strerror(errno));
            if (g->tfd >= 0)
                close(g->tfd);
            g->tfd = -1;
            return;
        }
    }
    struct itimerspec its = {{0, 0}, {0, 0}};
    if (at) {
        int64_t left = at - kiln_now_ms();
        if (left < 1)
            left = 1;
        its.it_value.tv_sec = left / 1000;
        its.it_value.tv_nsec = (left % 1000) * 1000000;
    }
    timerfd_settime(g->tfd, 0, &its, NULL);
    g->armed_at = at;
}

static void on_timer(loop *l, loop_io *io, unsigned ev)
{
    (void)l;
    (void)ev;
    ps_pg *g = (ps_pg *)((char *)io - offsetof(ps_pg, tio));
    uint64_t v;
    ssize_t k = read(g->tfd, &v, sizeof v);
    (void)k;
    g->armed_at = 0;
    int64_t now = g->base.w->now_ms;
    switch (g->state) {
    case PG_DOWN:
        if (g->wanted && now >= g->retry_at)
            pspg_connect(g);
        break;
    case PG_CONNECTING:
        if (now >= g->connect_deadline)
            pg_fail(g, "connecting timed out");
        break;
    default:
        if (g->query != Q_NONE && now >= g->reply_deadline) {
            char why[80];
            snprintf(why, sizeof why, "no answer within %d ms", g->timeout_ms);
            pg_fail(g, why);
        } else if (g->query == Q_NONE && now >= g->quiet_since + PING_MS) {
            g->quiet_since = now;
            send_simple(g, "", Q_PING);
        }
    }
    arm(g);
}

/* ---- the backend's operations
 * ---------------------------------------------------- */

static void want(ps_pg *g)
{
    g->wanted = true;
    if (g->state == PG_DOWN && g->base.w->now_ms >= g->retry_at)
        pspg_connect(g);
}

static pubsub_backend *g_start(kiln_pubsub *ps, worker *w)
{
    ps_pg *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    const pubsub_conf *conf = pubsub_conf_of(ps);
    g->base.ops = &pubsub_pg_ops;
    g->base.ps = ps;
    g->base.w = w;
    g->url = conf->url; /* the pub/sub's, which outlives the run */
    snprintf(g->channel, sizeof g->channel, "%s", conf->channel);
    /* the channel is letters, digits and '_' (pubsub_channel_ok): quoted,
       its case is kept, as pg_notify's argument keeps it */
    snprintf(g->listen_sql, sizeof g->listen_sql, "LISTEN \"%s\"", g->channel);
    g->timeout_ms = conf->timeout_ms;
    g->backlog = conf->backlog;
    g->io.fd = -1;
    g->io.cb = on_io;
    g->tfd = -1;
    g->tio.fd = -1;
    g->tio.cb = on_timer;
    kiln_buf_init(&g->arr);
    kiln_buf_init(&g->env);
    return &g->base;
}

static void g_send(pubsub_backend *b, pubsub_msg *m)
{
    ps_pg *g = (ps_pg *)b;
    if (!g->stopped)
        want(g);
    if (g->state == PG_DOWN || g->stopped) {
        pubsub_msg_release(m);
        pubsub_backend_lost(1, "PostgreSQL cannot be reached");
        return;
    }
    if (g->n >= (uint32_t)g->backlog) {
        pubsub_msg_release(m);
        pubsub_backend_lost(1, "the backlog of publications waiting for "
                               "PostgreSQL is full (pubsub.backlog)");
        return;
    }
    if (fifo_push(g, m) != 0) {
        pubsub_msg_release(m);
        pubsub_backend_lost(1, "out of memory");
        return;
    }
    pump(g);
    arm(g);
}

static void g_topics(pubsub_backend *b)
{
    ps_pg *g = (ps_pg *)b;
    pubsub_topics_walk(true, NULL, NULL); /* one channel: nothing to do */
    if (!g->stopped && pubsub_topics_count() > 0) {
        want(g);
        arm(g);
    }
}

static void g_stop(pubsub_backend *b)
{
    ps_pg *g = (ps_pg *)b;
    g->stopped = true;
    if (g->registered)
        loop_del(&g->base.w->loop, &g->io);
    g->registered = false;
    if (g->pc)
        PQfinish(g->pc);
    g->pc = NULL;
    if (g->n)
        fifo_lose(g, "the server stopped");
    free(g->fifo);
    g->fifo = NULL;
    kiln_buf_deinit(&g->arr);
    kiln_buf_deinit(&g->env);
    if (g->tfd >= 0) {
        loop_del(&g->base.w->loop, &g->tio);
        close(g->tfd);
        g->tfd = -1;
    }
    __atomic_store_n(&g->base.up, false, __ATOMIC_RELAXED);
}

/* ---- publishing without a server
 * ----------------------------------------------- */

static pthread_mutex_t blocking_lock = PTHREAD_MUTEX_INITIALIZER;

static int g_publish_blocking(kiln_pubsub *ps, kiln_str topic, kiln_str data)
{
    const pubsub_conf *conf = pubsub_conf_of(ps);
    void **slot = pubsub_blocking_slot(ps);
    kiln_buf env;
    kiln_buf_init(&env);
    if (pubsub_wire_encode(&env, conf->origin, pubsub_next_seq(ps), topic,
                           data) != 0)
        return KILN_ENOMEM;
    char err[300];
    int rc = 0;
    pthread_mutex_lock(&blocking_lock);
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!*slot && !(*slot = kiln_dbc_open(conf->url, err, sizeof err))) {
            kiln_log(KILN_LOG_WARN, "pubsub: %.*s", (int)strcspn(err, "\n"),
                     err);
            rc = KILN_EUNAVAIL;
            break;
        }
        int64_t r = kiln_db_exec(*slot, "SELECT pg_notify($1, $2)",
                                 KILN_TEXT(conf->channel),
                                 KILN_STRV(kiln_buf_str(&env)));
        kiln_dbc_reset(*slot);
        rc = r < 0 ? (int)r : 0;
        if (rc != KILN_EUNAVAIL)
            break;
        kiln_dbc_close(*slot); /* broken: once more on a new one */
        *slot = NULL;
    }
    pthread_mutex_unlock(&blocking_lock);
    kiln_buf_deinit(&env);
    return rc;
}

static void g_blocking_close(kiln_pubsub *ps)
{
    void **slot = pubsub_blocking_slot(ps);
    kiln_dbc_close(*slot);
    *slot = NULL;
}

const pubsub_backend_ops pubsub_pg_ops = {
    .name = "postgres",
    .start = g_start,
    .send = g_send,
    .topics = g_topics,
    .stop = g_stop,
    .publish_blocking = g_publish_blocking,
    .blocking_close = g_blocking_close,
};
