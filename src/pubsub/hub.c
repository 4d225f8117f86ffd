/*
 * pubsub/hub.c - the process's pub/sub (kiln/pubsub.h): its settings,
 * publishing, each worker's state while a server runs, the topics the
 * backend subscribes to, and the counters.
 *
 * A run. kiln_serve calls pubsub_serve_begin before its workers start:
 * the run (pubsub_run) gets one pubsub_worker per worker, and the
 * backend's state on the first worker. Each worker calls
 * pubsub_worker_exit when its loop ends, kiln_serve pubsub_serve_end
 * when all have.
 *
 * Publishing without a lock. A publisher (any thread) posts to each
 * worker whose state is open and has subscriptions. A worker that exits
 * must not be posted to afterwards, nor freed while a publisher is about
 * to post: publishers count themselves in ps->inflight around their
 * posts; an exiting worker first closes (open = 0), then waits until no
 * publisher is in flight, then runs what was posted. Every access is
 * sequentially consistent, so a publisher that saw open has finished
 * posting before the worker's last drain, and one that comes later sees
 * it closed. (The wait is a few instructions long; exits are rare.)
 *
 * The topics (the registry). A backend that subscribes per topic (Redis)
 * needs the process's topics: the union of the workers' tables. Each
 * worker counts in the registry once per topic it has (its table's first
 * subscriber in, last one out), under the registry's lock; a change of a
 * topic from wanted to unwanted or back is put on the changed list and
 * the backend's worker is kicked (a post) to act on it. This is off the
 * publishing path: subscribing is per connection, and only a worker's
 * first subscriber of a topic takes the lock.
 */
#include "pubsub/pubsub.h"

#include "db/pq.h"
#include "json/utf8.h"
#include "redis/hr.h"
#include "redis/redis.h"

#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* At most one line about drops or lost publications per this long. */
#define LOG_EVERY_MS 10000

/* A topic some worker has (the registry). */
typedef struct reg_topic {
    struct reg_topic *next;  /* hash chain */
    struct reg_topic *cnext; /* the changed list */
    uint32_t hash;
    int count; /* workers with subscribers of it */
    bool changed;
    char name[];
} reg_topic;

/* A server's run of the pub/sub. */
typedef struct pubsub_run {
    kiln_pubsub *ps;
    int n;
    pubsub_worker *pw;       /* n of them */
    pubsub_backend *backend; /* NULL: local; freed at the run's end */
    int bw;                  /* the backend's worker */
    worker_msg kick;         /* to the backend: the topics changed */
    int kick_posted;         /* atomic: kick is in the inbox */
    pthread_mutex_t reg_lock;
    reg_topic **reg;
    uint32_t nreg_buckets, nreg, nwanted;
    reg_topic *changed;
} pubsub_run;

struct kiln_pubsub {
    pubsub_conf conf;
    pubsub_run *run; /* atomic: the running server's, or NULL */
    int inflight;    /* atomic: publishers posting now */
    uint64_t seq;    /* atomic: publications numbered */
    /* counters (atomic) */
    uint64_t published, received, backend_lost, reconnects;
    uint64_t lost_unlogged;
    int64_t lost_log_at;
    void *blocking; /* the backend's blocking publisher (its own lock) */
    bool internal;  /* made by pubsub_serve_begin: freed at the end */
};

static kiln_pubsub *g_default;               /* kiln_pubsub_set_default */
static char g_tap_topic[KILN_TOPIC_MAX + 1]; /* pubsub_tap_set; "" none */
static void (*g_tap)(kiln_str data);
static kiln_pubsub *g_running; /* atomic: the running server's */

static const char *const backend_names[] = {"local", "redis", "postgres"};

/* ---- the pub/sub and its settings ---------------------------------------- */

static uint64_t random_origin(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        v = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15u ^ (uint64_t)getpid() ^
            (uint64_t)ts.tv_sec << 20;
    }
    return v ? v : 1;
}

kiln_pubsub *kiln_pubsub_new(const kiln_pubsub_opts *o, char *err,
                             size_t errlen)
{
    kiln_pubsub_opts d = {0};
    if (!o)
        o = &d;
    const char *b = o->backend && *o->backend ? o->backend : "local";
    const pubsub_backend_ops *ops = NULL;
    if (strcmp(b, "redis") == 0)
        ops = &pubsub_redis_ops;
    else if (strcmp(b, "postgres") == 0)
        ops = &pubsub_pg_ops;
    else if (strcmp(b, "local") != 0) {
        snprintf(err, errlen,
                 "pubsub.backend '%s' is not local, redis or postgres", b);
        return NULL;
    }
    const char *ch = o->channel && *o->channel ? o->channel : "kiln";
    if (!pubsub_channel_ok(ch)) {
        snprintf(err, errlen,
                 "pubsub.channel '%s' is not 1 to 63 letters, digits or '_'",
                 ch);
        return NULL;
    }
    if (ops && (!o->url || !*o->url)) {
        snprintf(err, errlen, "pubsub.backend = \"%s\" needs a URL (%s)", b,
                 ops == &pubsub_redis_ops ? "pubsub.url or redis.url"
                                          : "pubsub.url or database.url");
        return NULL;
    }
    char e[400];
    if (ops == &pubsub_redis_ops) {
        redis_url u;
        if (redis_url_parse(o->url, &u, e, sizeof e) != 0 ||
            hr_load(e, sizeof e) != 0) {
            snprintf(err, errlen, "pubsub: %s", e);
            return NULL;
        }
    } else if (ops == &pubsub_pg_ops) {
        if (strncmp(o->url, "postgres://", 11) != 0 &&
            strncmp(o->url, "postgresql://", 13) != 0) {
            snprintf(err, errlen,
                     "pubsub.backend = \"postgres\" needs a postgres:// URL");
            return NULL;
        }
        if (pq_load(e, sizeof e) != 0) {
            snprintf(err, errlen, "pubsub: %s", e);
            return NULL;
        }
    }
    kiln_pubsub *ps = calloc(1, sizeof *ps);
    if (!ps || (ops && !(ps->conf.url = strdup(o->url)))) {
        free(ps);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pubsub_conf *c = &ps->conf;
    c->ops = ops;
    snprintf(c->channel, sizeof c->channel, "%s", ch);
    c->queue = o->queue > 0 ? (uint32_t)o->queue : 128;
    c->max_message = o->max_message > 0 ? o->max_message : 1024 * 1024;
    c->backlog = o->backlog > 0 ? o->backlog : 1000;
    c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 2000;
    c->origin = random_origin();
    return ps;
}

void kiln_pubsub_free(kiln_pubsub *ps)
{
    if (!ps)
        return;
    if (ps->conf.ops && ps->blocking)
        ps->conf.ops->blocking_close(ps);
    free(ps->conf.url);
    free(ps);
}

void kiln_pubsub_set_default(kiln_pubsub *ps)
{
    g_default = ps;
}

kiln_pubsub *kiln_pubsub_default(void)
{
    return g_default;
}

uint64_t pubsub_next_seq(kiln_pubsub *ps)
{
    return __atomic_add_fetch(&ps->seq, 1, __ATOMIC_RELAXED);
}

const pubsub_conf *pubsub_conf_of(const kiln_pubsub *ps)
{
    return &ps->conf;
}

void **pubsub_blocking_slot(kiln_pubsub *ps)
{
    return &ps->blocking;
}

/* The pub/sub publications go through now: the running server's, else
   the default (publishing from a tool, before serving). */
static kiln_pubsub *current(void)
{
    kiln_pubsub *ps = __atomic_load_n(&g_running, __ATOMIC_ACQUIRE);
    return ps ? ps : g_default;
}

static pubsub_run *run_of(kiln_pubsub *ps)
{
    return __atomic_load_n(&ps->run, __ATOMIC_SEQ_CST);
}

/* ---- logging at a bounded rate ------------------------------------------- */

static void log_lost(kiln_pubsub *ps, uint64_t n, const char *why)
{
    __atomic_add_fetch(&ps->lost_unlogged, n, __ATOMIC_RELAXED);
    int64_t now = kiln_now_ms();
    int64_t at = __atomic_load_n(&ps->lost_log_at, __ATOMIC_RELAXED);
    if (now < at ||
        !__atomic_compare_exchange_n(&ps->lost_log_at, &at, now + LOG_EVERY_MS,
                                     false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        return;
    uint64_t k = __atomic_exchange_n(&ps->lost_unlogged, 0, __ATOMIC_RELAXED);
    kiln_log(KILN_LOG_WARN,
             "pubsub: %llu publication%s made here did not reach the %s "
             "backend (%s): other instances miss %s (%llu in all)",
             (unsigned long long)k, k == 1 ? "" : "s",
             ps->conf.ops ? ps->conf.ops->name : "local", why,
             k == 1 ? "it" : "them",
             (unsigned long long)__atomic_load_n(&ps->backend_lost,
                                                 __ATOMIC_RELAXED));
}

void pubsub_backend_lost(uint64_t n, const char *why)
{
    kiln_pubsub *ps = current();
    if (!ps || n == 0)
        return;
    __atomic_add_fetch(&ps->backend_lost, n, __ATOMIC_RELAXED);
    log_lost(ps, n, why);
}

void pubsub_backend_down(void)
{
    kiln_pubsub *ps = current();
    if (ps)
        __atomic_add_fetch(&ps->reconnects, 1, __ATOMIC_RELAXED);
}

/* A shutdown began: handlers waiting in kiln_pub_recv end now (a long
   poll would hold the drain until its timeout), and any later wait ends at
   once. Event streams and WebSockets are ended by the server itself. Runs
   from the worker's inbox (pw->cancel, posted by turn_end): like a
   delivery, before the turn's hooks, so what the resumed handlers queue
   (a database query, a Redis command) goes out this turn. */
static void cancel_waits(worker *w, worker_msg *m)
{
    (void)w;
    pubsub_worker *pw =
        (pubsub_worker *)((char *)m - offsetof(pubsub_worker, cancel));
    for (bool again = true; again;) { /* a resumed handler may remove subs */
        again = false;
        for (pubsub_sub *s = pw->table.subs; s; s = s->next) {
            if (s->waiting && !s->canceled) {
                s->canceled = true;
                worker_unpark(&s->wait, KILN_ECANCELED);
                again = true;
                break;
            }
            s->canceled = true;
        }
    }
}

/* The turn's end on each worker: waits ended by a shutdown; the summary of
   drops, once its time has come (the first drop of a quiet period is
   logged at once). */
static void turn_end(void *arg)
{
    pubsub_worker *pw = arg;
    if (pw->w->draining && !pw->canceled) {
        pw->canceled = true;
        pw->cancel.fn = cancel_waits;
        worker_post(pw->w, &pw->cancel); /* the next turn, first thing */
    }
    if (pw->log_dropped == 0 || pw->w->now_ms < pw->log_at)
        return;
    kiln_log(KILN_LOG_WARN,
             "pubsub: %llu more publication%s dropped on worker %d in %d s: "
             "subscribers' queues were full (pubsub.queue = %u; %llu "
             "dropped in all)",
             (unsigned long long)pw->log_dropped,
             pw->log_dropped == 1 ? "" : "s", pw->w->id, LOG_EVERY_MS / 1000,
             pw->queue_max, (unsigned long long)pw->table.dropped);
    pw->log_dropped = 0;
    pw->log_at = pw->w->now_ms + LOG_EVERY_MS;
}

/* n drops of a publication to topic ("": a gap) happened on pw now. */
static void drops_note(pubsub_worker *pw, uint64_t n, const char *topic)
{
    if (pw->w->now_ms >= pw->log_at && pw->log_dropped == 0) {
        kiln_log(KILN_LOG_WARN,
                 "pubsub: a subscriber%s%s%s on worker %d is too slow: its "
                 "queue is full (pubsub.queue = %u), so publications are "
                 "dropped for it (counted; it gets a gap)",
                 *topic ? " of '" : "", topic, *topic ? "'" : "", pw->w->id,
                 pw->queue_max);
        pw->log_at = pw->w->now_ms + LOG_EVERY_MS;
        n--;
    }
    pw->log_dropped += n;
}

/* ---- the workers' states ------------------------------------------------- */

pubsub_worker *pubsub_worker_current(void)
{
    return pubsub_worker_of(worker_current());
}

pubsub_worker *pubsub_worker_of(worker *w)
{
    kiln_pubsub *ps = __atomic_load_n(&g_running, __ATOMIC_ACQUIRE);
    if (!w || !ps)
        return NULL;
    pubsub_run *run = run_of(ps);
    if (!run || w->id < 0 || w->id >= run->n || run->pw[w->id].w != w ||
        !__atomic_load_n(&run->pw[w->id].open, __ATOMIC_SEQ_CST))
        return NULL;
    return &run->pw[w->id];
}

void pubsub_worker_sync(pubsub_worker *pw)
{
    __atomic_store_n(&pw->stat_links, pw->table.nlinks, __ATOMIC_RELEASE);
    __atomic_store_n(&pw->stat_subs, pw->table.nsubs, __ATOMIC_RELEASE);
    __atomic_store_n(&pw->stat_delivered, pw->table.delivered,
                     __ATOMIC_RELAXED);
    __atomic_store_n(&pw->stat_dropped, pw->table.dropped, __ATOMIC_RELAXED);
}

/* Runs on a worker: delivers a publication to its subscribers, then
   resumes those that had nothing to take. */
static void on_deliver(worker *w, worker_msg *m)
{
    pubsub_post *p = (pubsub_post *)m;
    pubsub_run *run = run_of(current());
    pubsub_worker *pw = &run->pw[w->id];
    p->holds = 1; /* the delivery's own, dropped at the end */
    uint64_t dropped = pw->table.dropped;
    pubsub_table_deliver(&pw->table, p);
    if (pw->table.dropped > dropped)
        drops_note(pw, pw->table.dropped - dropped, p->msg->topic.p);
    pubsub_worker_sync(pw);
    pubsub_sub *s;
    while ((s = pubsub_table_next_ready(&pw->table)))
        if (s->notify)
            s->notify(s->notify_arg); /* may resume its handler */
    pubsub_post_drop(p);
}

static bool pw_open(pubsub_worker *pw)
{
    return __atomic_load_n(&pw->open, __ATOMIC_SEQ_CST) != 0;
}

/* Runs on the backend's worker: sends a publication made here (unless the
   worker is stopping: what its last drain finds is lost, and said so). */
static void on_backend_send(worker *w, worker_msg *m)
{
    pubsub_post *p = (pubsub_post *)m;
    pubsub_run *run = run_of(current());
    if (!pw_open(&run->pw[w->id])) {
        pubsub_msg_release(p->msg);
        pubsub_backend_lost(1, "the server is stopping");
        return;
    }
    run->backend->ops->send(run->backend, p->msg); /* takes the reference */
}

/* Runs on the backend's worker: the topics changed. */
static void on_kick(worker *w, worker_msg *m)
{
    pubsub_run *run = (pubsub_run *)((char *)m - offsetof(pubsub_run, kick));
    __atomic_store_n(&run->kick_posted, 0, __ATOMIC_SEQ_CST);
    if (run->backend->ops->topics && pw_open(&run->pw[w->id]))
        run->backend->ops->topics(run->backend);
}

/*
 * Posts m to every open worker that has subscribers (kind MESSAGE: of
 * any topic; GAP: any subscriber), and, when to_backend, to the backend's
 * worker. Between inflight_enter and inflight_leave (see the top).
 * Returns whether the backend got it.
 */
static bool post_all(pubsub_run *run, pubsub_msg *m, bool to_backend)
{
    for (int i = 0; i < run->n; i++) {
        pubsub_worker *pw = &run->pw[i];
        uint64_t have = __atomic_load_n(m->kind == PUBSUB_GAP ? &pw->stat_subs
                                                              : &pw->stat_links,
                                        __ATOMIC_ACQUIRE);
        if (!have || !pw_open(pw))
            continue;
        pubsub_msg_ref(m);
        m->posts[i].m.fn = on_deliver;
        worker_post(pw->w, &m->posts[i].m);
    }
    if (!to_backend)
        return false;
    if (!pw_open(&run->pw[run->bw]))
        return false;
    pubsub_msg_ref(m);
    m->posts[run->n].m.fn = on_backend_send;
    worker_post(run->pw[run->bw].w, &m->posts[run->n].m);
    return true;
}

static void inflight_enter(kiln_pubsub *ps)
{
    __atomic_add_fetch(&ps->inflight, 1, __ATOMIC_SEQ_CST);
}

static void inflight_leave(kiln_pubsub *ps)
{
    __atomic_sub_fetch(&ps->inflight, 1, __ATOMIC_SEQ_CST);
}

static void inflight_wait(kiln_pubsub *ps)
{
    while (__atomic_load_n(&ps->inflight, __ATOMIC_SEQ_CST) != 0)
        sched_yield();
}

/* True when some open worker has subscriptions (of any topic). */
static bool anyone(pubsub_run *run)
{
    for (int i = 0; i < run->n; i++)
        if (__atomic_load_n(&run->pw[i].stat_links, __ATOMIC_ACQUIRE) &&
            pw_open(&run->pw[i]))
            return true;
    return false;
}

/* ---- publishing ---------------------------------------------------------- */

/* Whether the backend can carry the message (PostgreSQL: NOTIFY's text
   and size). */
static int check_message(const kiln_pubsub *ps, size_t topic_n,
                         const void *data, size_t n)
{
    if ((int64_t)n > ps->conf.max_message)
        return KILN_ELIMIT;
    if (ps->conf.ops != &pubsub_pg_ops)
        return 0;
    /* a NOTIFY payload is shorter than 8000 bytes, and text */
    if (PUBSUB_WIRE_HEAD + topic_n + 1 + n > 7999)
        return KILN_ELIMIT;
    const unsigned char *s = data;
    for (size_t i = 0; i < n;) {
        size_t bad = 0, k = s[i] ? json_utf8_len(s + i, n - i, &bad) : 0;
        if (k == 0)
            return KILN_EINVAL; /* a NUL, or not UTF-8 */
        i += k;
    }
    return 0;
}

static int publish(kiln_pubsub *ps, kiln_str topic, kiln_str data)
{
    int rc = check_message(ps, topic.n, data.p, data.n);
    if (rc)
        return rc;
    inflight_enter(ps);
    pubsub_run *run = run_of(ps);
    if (!run) { /* no server: nobody here subscribes; straight to the
                   backend, if any */
        inflight_leave(ps);
        rc = ps->conf.ops ? ps->conf.ops->publish_blocking(ps, topic, data) : 0;
        if (rc == 0)
            __atomic_add_fetch(&ps->published, 1, __ATOMIC_RELAXED);
        return rc;
    }
    bool remote = run->backend != NULL;
    if (!remote && !anyone(run)) {
        inflight_leave(ps);
        __atomic_add_fetch(&ps->published, 1, __ATOMIC_RELAXED);
        return 0;
    }
    pubsub_msg *m =
        pubsub_msg_new(PUBSUB_MESSAGE, topic, data, (uint32_t)run->n + 1);
    if (!m) {
        inflight_leave(ps);
        return KILN_ENOMEM;
    }
    m->origin = ps->conf.origin;
    m->seq = pubsub_next_seq(ps);
    bool sent = post_all(run, m, remote);
    inflight_leave(ps);
    pubsub_msg_release(m);
    __atomic_add_fetch(&ps->published, 1, __ATOMIC_RELAXED);
    if (remote && !sent)
        pubsub_backend_lost(1, "the server is stopping");
    return 0;
}

int kiln_publish(const char *topic, const void *data, size_t n)
{
    size_t tn = topic ? strlen(topic) : 0;
    if (!pubsub_topic_ok(topic, tn) || (n && !data))
        return KILN_EINVAL;
    kiln_pubsub *ps = current();
    if (!ps)
        return 0; /* no server, no backend: nobody can be subscribed */
    return publish(ps, (kiln_str){topic, tn}, (kiln_str){n ? data : "", n});
}

int kiln_publish_json(const char *topic, const char *fmt, ...)
{
    kiln_buf b;
    kiln_buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    int rc = kiln_json_vformat(&b, fmt, ap);
    va_end(ap);
    if (rc == 0)
        rc = kiln_publish(topic, b.p ? b.p : "", b.n);
    kiln_buf_deinit(&b);
    return rc;
}

void pubsub_tap_set(const char *topic, void (*fn)(kiln_str data))
{
    size_t n = topic ? strlen(topic) : 0;
    if (!fn || !pubsub_topic_ok(topic, n)) {
        g_tap = NULL;
        g_tap_topic[0] = '\0';
        return;
    }
    memcpy(g_tap_topic, topic, n + 1);
    g_tap = fn;
}

int pubsub_tap_publish(const char *topic, const void *data, size_t n)
{
    kiln_pubsub *ps = current();
    if (!ps || !ps->conf.ops)
        return 0; /* this process only: nobody else to tell */
    return kiln_publish(topic, data, n);
}

void pubsub_received(const pubsub_wire *wr)
{
    kiln_pubsub *ps = current();
    pubsub_run *run = ps ? run_of(ps) : NULL;
    if (!run || wr->origin == ps->conf.origin)
        return; /* our own: our subscribers had it from us */
    __atomic_add_fetch(&ps->received, 1, __ATOMIC_RELAXED);
    if (g_tap && kiln_str_eq(wr->topic, kiln_str_c(g_tap_topic)))
        g_tap(wr->data.p ? wr->data : KILN_STR(""));
    inflight_enter(ps);
    if (anyone(run)) {
        pubsub_msg *m = pubsub_msg_new(PUBSUB_MESSAGE, wr->topic, wr->data,
                                       (uint32_t)run->n + 1);
        if (m) {
            m->origin = wr->origin;
            m->seq = wr->seq;
            post_all(run, m, false);
            pubsub_msg_release(m);
        } else {
            kiln_log(KILN_LOG_WARN, "pubsub: out of memory: a publication "
                                    "from another instance is lost");
        }
    }
    inflight_leave(ps);
}

void pubsub_gap_all(void)
{
    kiln_pubsub *ps = current();
    pubsub_run *run = ps ? run_of(ps) : NULL;
    if (!run)
        return;
    if (g_tap)
        g_tap(KILN_STR_NULL);
    inflight_enter(ps);
    pubsub_msg *m = pubsub_msg_new(PUBSUB_GAP, KILN_STR(""), KILN_STR(""),
                                   (uint32_t)run->n + 1);
    if (m) {
        post_all(run, m, false);
        pubsub_msg_release(m);
    }
    inflight_leave(ps);
}

/* ---- the registry of topics ---------------------------------------------- */

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

/* Kicks the backend's worker: the topics changed. */
static void kick(kiln_pubsub *ps, pubsub_run *run)
{
    inflight_enter(ps);
    if (pw_open(&run->pw[run->bw]) &&
        !__atomic_exchange_n(&run->kick_posted, 1, __ATOMIC_SEQ_CST))
        worker_post(run->pw[run->bw].w, &run->kick);
    inflight_leave(ps);
}

void pubsub_topic_wanted(const char *topic, bool on)
{
    kiln_pubsub *ps = current();
    pubsub_run *run = run_of(ps);
    if (!run->backend)
        return;
    uint32_t h = name_hash(topic);
    bool flipped = false;
    pthread_mutex_lock(&run->reg_lock);
    if (run->nreg >= run->nreg_buckets) { /* grow (or make) the table */
        uint32_t nb = run->nreg_buckets ? run->nreg_buckets * 2 : 64;
        reg_topic **b = calloc(nb, sizeof *b);
        if (b) {
            for (uint32_t i = 0; i < run->nreg_buckets; i++)
                for (reg_topic *t = run->reg[i], *next; t; t = next) {
                    next = t->next;
                    t->next = b[t->hash & (nb - 1)];
                    b[t->hash & (nb - 1)] = t;
                }
            free(run->reg);
            run->reg = b;
            run->nreg_buckets = nb;
        }
    }
    reg_topic *t = NULL;
    if (run->nreg_buckets) {
        for (t = run->reg[h & (run->nreg_buckets - 1)]; t; t = t->next)
            if (t->hash == h && strcmp(t->name, topic) == 0)
                break;
        if (!t && on && (t = calloc(1, sizeof *t + strlen(topic) + 1))) {
            t->hash = h;
            strcpy(t->name, topic);
            t->next = run->reg[h & (run->nreg_buckets - 1)];
            run->reg[h & (run->nreg_buckets - 1)] = t;
            run->nreg++;
        }
    }
    if (!t) {
        pthread_mutex_unlock(&run->reg_lock);
        if (on)
            kiln_log(KILN_LOG_WARN,
                     "pubsub: out of memory: '%s' is not subscribed on the "
                     "backend",
                     topic);
        return;
    }
    t->count += on ? 1 : -1;
    if ((on && t->count == 1) || (!on && t->count == 0)) {
        flipped = true;
        run->nwanted += on ? 1 : (uint32_t)-1;
        if (!t->changed) {
            t->changed = true;
            t->cnext = run->changed;
            run->changed = t;
        }
    }
    pthread_mutex_unlock(&run->reg_lock);
    if (flipped)
        kick(ps, run);
}

/* Frees t (count 0) from the registry's hash table. Under the lock. */
static void reg_free(pubsub_run *run, reg_topic *t)
{
    reg_topic **pp = &run->reg[t->hash & (run->nreg_buckets - 1)];
    while (*pp != t)
        pp = &(*pp)->next;
    *pp = t->next;
    run->nreg--;
    free(t);
}

void pubsub_topics_walk(bool changed,
                        void (*fn)(void *arg, const char *topic, bool on),
                        void *arg)
{
    pubsub_run *run = run_of(current());
    pthread_mutex_lock(&run->reg_lock);
    if (!changed)
        for (uint32_t i = 0; i < run->nreg_buckets; i++)
            for (reg_topic *t = run->reg[i]; t; t = t->next)
                if (t->count > 0 && fn)
                    fn(arg, t->name, true);
    while (run->changed) {
        reg_topic *t = run->changed;
        run->changed = t->cnext;
        t->changed = false;
        if (changed && fn)
            fn(arg, t->name, t->count > 0);
        if (t->count == 0)
            reg_free(run, t);
    }
    pthread_mutex_unlock(&run->reg_lock);
}

uint64_t pubsub_topics_count(void)
{
    pubsub_run *run = run_of(current());
    pthread_mutex_lock(&run->reg_lock);
    uint64_t n = run->nwanted;
    pthread_mutex_unlock(&run->reg_lock);
    return n;
}

/* ---- a server's run
 * ---------------------------------------------------------- */

int pubsub_serve_begin(worker *ws, int n)
{
    kiln_pubsub *ps = g_default;
    bool internal = false;
    if (!ps) { /* a plain libkiln app: local, with the defaults */
        char err[200];
        if (!(ps = kiln_pubsub_new(NULL, err, sizeof err)))
            return KILN_ENOMEM;
        internal = true;
    }
    pubsub_run *run = calloc(1, sizeof *run);
    if (!run || !(run->pw = calloc((size_t)n, sizeof *run->pw))) {
        free(run);
        if (internal)
            kiln_pubsub_free(ps);
        return KILN_ENOMEM;
    }
    run->ps = ps;
    run->n = n;
    run->bw = 0;
    run->kick.fn = on_kick;
    pthread_mutex_init(&run->reg_lock, NULL);
    for (int i = 0; i < n; i++) {
        pubsub_worker *pw = &run->pw[i];
        pw->w = &ws[i];
        pubsub_table_init(&pw->table);
        pw->open = 1;
        pw->queue_max = ps->conf.queue;
        pw->hook.fn = turn_end;
        pw->hook.arg = pw;
        worker_hook_add(&ws[i], &pw->hook);
    }
    if (ps->conf.ops) {
        run->backend = ps->conf.ops->start(ps, &ws[run->bw]);
        if (!run->backend) {
            pthread_mutex_destroy(&run->reg_lock);
            free(run->pw);
            free(run);
            if (internal)
                kiln_pubsub_free(ps);
            return KILN_ENOMEM;
        }
    }
    ps->internal = internal;
    __atomic_store_n(&ps->run, run, __ATOMIC_SEQ_CST);
    __atomic_store_n(&g_running, ps, __ATOMIC_SEQ_CST);
    if (g_tap && run->backend) /* the backend subscribes to it for good */
        pubsub_topic_wanted(g_tap_topic, true);
    return 0;
}

void pubsub_worker_exit(worker *w)
{
    kiln_pubsub *ps = __atomic_load_n(&g_running, __ATOMIC_ACQUIRE);
    pubsub_run *run = ps ? run_of(ps) : NULL;
    if (!run || w->id < 0 || w->id >= run->n || run->pw[w->id].w != w)
        return;
    pubsub_worker *pw = &run->pw[w->id];
    __atomic_store_n(&pw->open, 0, __ATOMIC_SEQ_CST);
    inflight_wait(ps);
    worker_inbox_drain(w); /* what publishers posted before it closed */
    if (pw->table.nsubs)
        kiln_log(KILN_LOG_WARN,
                 "pubsub: worker %d stops with %llu subscribers left", w->id,
                 (unsigned long long)pw->table.nsubs);
    while (pw->table.subs) {
        pubsub_sub *s = pw->table.subs;
        pubsub_table_sub_remove(&pw->table, s, NULL, NULL);
        s->pw = NULL; /* orphaned: its close does nothing more */
    }
    pubsub_worker_sync(pw);
    if (run->backend && run->backend->w == w)
        run->backend->ops->stop(run->backend);
}

void pubsub_serve_end(void)
{
    kiln_pubsub *ps = __atomic_load_n(&g_running, __ATOMIC_ACQUIRE);
    if (!ps)
        return;
    pubsub_run *run = run_of(ps);
    __atomic_store_n(&ps->run, NULL, __ATOMIC_SEQ_CST);
    inflight_wait(ps);
    __atomic_store_n(&g_running, NULL, __ATOMIC_SEQ_CST);
    if (run) {
        for (int i = 0; i < run->n; i++)
            pubsub_table_deinit(&run->pw[i].table);
        for (uint32_t i = 0; i < run->nreg_buckets; i++)
            for (reg_topic *t = run->reg[i], *next; t; t = next) {
                next = t->next;
                free(t);
            }
        free(run->reg);
        pthread_mutex_destroy(&run->reg_lock);
        free(run->backend);
        free(run->pw);
        free(run);
    }
    if (ps->internal)
        kiln_pubsub_free(ps);
}

/* ---- counters
 * ---------------------------------------------------------------- */

void kiln_pubsub_stats_get(kiln_pubsub_stats *out)
{
    memset(out, 0, sizeof *out);
    out->backend = backend_names[0];
    kiln_pubsub *ps = current();
    if (!ps)
        return;
    const pubsub_backend_ops *ops = ps->conf.ops;
    out->backend = ops == &pubsub_redis_ops ? backend_names[1]
                   : ops == &pubsub_pg_ops  ? backend_names[2]
                                            : backend_names[0];
    out->published = __atomic_load_n(&ps->published, __ATOMIC_RELAXED);
    out->received = __atomic_load_n(&ps->received, __ATOMIC_RELAXED);
    out->backend_lost = __atomic_load_n(&ps->backend_lost, __ATOMIC_RELAXED);
    out->reconnects = __atomic_load_n(&ps->reconnects, __ATOMIC_RELAXED);
    out->connected = !ops;
    inflight_enter(ps); /* the run stays while we read it */
    pubsub_run *run = run_of(ps);
    if (run) {
        for (int i = 0; i < run->n; i++) {
            pubsub_worker *pw = &run->pw[i];
            out->subscribers +=
                __atomic_load_n(&pw->stat_subs, __ATOMIC_RELAXED);
            out->subscriptions +=
                __atomic_load_n(&pw->stat_links, __ATOMIC_RELAXED);
            out->delivered +=
                __atomic_load_n(&pw->stat_delivered, __ATOMIC_RELAXED);
            out->dropped +=
                __atomic_load_n(&pw->stat_dropped, __ATOMIC_RELAXED);
        }
        if (run->backend)
            out->connected =
                __atomic_load_n(&run->backend->up, __ATOMIC_RELAXED);
    }
    inflight_leave(ps);
}

int kiln_pubsub_stats_send(kiln_ctx *c)
{
    kiln_pubsub_stats s;
    kiln_pubsub_stats_get(&s);
    return kiln_jsonf(
        c, 200,
        "{backend:%s,connected:%b,subscribers:%lld,subscriptions:%lld,"
        "published:%lld,received:%lld,delivered:%lld,dropped:%lld,"
        "backend_lost:%lld,reconnects:%lld}",
        s.backend, s.connected, (long long)s.subscribers,
        (long long)s.subscriptions, (long long)s.published,
        (long long)s.received, (long long)s.delivered, (long long)s.dropped,
        (long long)s.backend_lost, (long long)s.reconnects);
}
