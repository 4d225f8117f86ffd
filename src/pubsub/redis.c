/*
 * pubsub/redis.c - the Redis backend of pub/sub: two connections of the
 * process's own, on the first worker's loop, outside the client pool of
 * redis/client.c (a connection in SUBSCRIBE mode takes no other command):
 *
 *   sub  SUBSCRIBE CHANNEL:TOPIC for every topic some worker has (the
 *        registry, pubsub_topics_walk), UNSUBSCRIBE when none has it any
 *        more; each "message" is decoded and delivered (pubsub_received);
 *   pub  PUBLISH CHANNEL:TOPIC ENVELOPE for every publication made here,
 *        pipelined: appended as they come, written at the end of the
 *        loop turn (a worker hook), their replies counted.
 *
 * Both connect when first needed, and again by themselves after a
 * failure, with a backoff (50 ms doubling to 1 s). A connection that owes
 * a reply for timeout_ms, or that connects for longer, is dropped; an
 * idle one is pinged every PING_MS, so a server that stopped answering
 * (or a dead network) is noticed.
 *
 * What is lost and told. When sub breaks after it was up, publications
 * of other instances are lost until it is back: it is logged once, and
 * once the new connection's SUBSCRIBEs are all confirmed every subscriber
 * of the process gets a gap (pubsub_gap_all). When pub breaks, the
 * PUBLISHes without a reply may or may not have gone out: they are
 * counted as lost, like those made while it is down (pubsub_backend_lost).
 * While pub connects (the first time, or after a backoff), up to backlog
 * publications wait in its buffer.
 *
 * Timers: a timerfd on the worker's loop, armed for the earliest of the
 * connections' deadlines (retry, connect, reply, ping).
 */
#include "pubsub/pubsub.h"

#include "redis/hr.h"
#include "redis/redis.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 1000
#define PING_MS 5000
#define READ_CHUNK 16384
/* PUBLISHes written but not taken by a Redis that stopped reading: past
   this, new ones are lost (until the reply timeout drops the connection) */
#define OUT_MAX (16 * 1024 * 1024)

enum { RC_DOWN, RC_CONNECTING, RC_UP };

typedef struct ps_redis ps_redis;

/* One of the backend's two connections. */
typedef struct rconn {
    loop_io io; /* first: the loop hands us &io */
    ps_redis *r;
    bool sub;    /* the SUBSCRIBE connection (else the PUBLISH one) */
    int state;   /* RC_* */
    bool wanted; /* it has a reason to be connected */
    bool registered, want_write;
    bool established; /* connected (and AUTH taken): a failure is a loss */
    bool failing;     /* attempts fail: logged once */
    bool gap_owed;    /* sub: lost after it was up; a gap once resubscribed */
    bool auth_owed;   /* the next reply is AUTH's */
    kiln_buf out;
    size_t out_off;
    redisReader *reader;
    int backoff_ms;
    int64_t retry_at;         /* RC_DOWN: no attempt before */
    int64_t connect_deadline; /* RC_CONNECTING */
    int64_t reply_deadline;   /* a reply is owed by then (0: none) */
    int64_t quiet_since;      /* nothing read since (a ping after PING_MS) */
    int64_t down_since;       /* sub: lost at */
    uint32_t owed;            /* replies owed */
    uint64_t unanswered;      /* pub: PUBLISHes sent, no reply yet */
    uint64_t waiting;         /* pub: PUBLISHes queued while connecting */
} rconn;

struct ps_redis {
    pubsub_backend base; /* first */
    redis_url url;
    char addr[300];
    char prefix[66]; /* channel + ':' */
    size_t prefix_n;
    int timeout_ms, backlog;
    rconn sub, pub;
    kiln_buf scratch; /* a channel name, an envelope */
    int tfd;          /* timerfd, or -1 */
    loop_io tio;
    int64_t armed_at; /* the timer's deadline (0: disarmed) */
    worker_hook hook; /* writes what the turn queued */
    bool stopped;
};

static void rc_fail(rconn *c, const char *why);
static void rc_established(rconn *c);
static void arm(ps_redis *r);
static void sub_settled(rconn *c);

/* ---- writing ------------------------------------------------------------- */

static void set_write(rconn *c, bool want)
{
    if (c->want_write == want || !c->registered)
        return;
    c->want_write = want;
    loop_mod(&c->r->base.w->loop, &c->io, LOOP_READ | (want ? LOOP_WRITE : 0),
             1);
}

/* Writes what is queued (once connected). 0, or -1 with errno. */
static int rc_flush(rconn *c)
{
    if (c->state != RC_UP)
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
            set_write(c, true);
            return 0;
        }
        return -1;
    }
    c->out.n = c->out_off = 0;
    if (c->out.cap > 1024 * 1024)
        kiln_buf_deinit(&c->out);
    set_write(c, false);
    return 0;
}

/* Appends a command that owes a reply. 0 or KILN_ENOMEM. */
static int rc_command(rconn *c, size_t argc, const kiln_str *argv)
{
    if (redis_encode(&c->out, argc, argv) != 0)
        return KILN_ENOMEM;
    if (c->owed++ == 0 && c->state == RC_UP)
        c->reply_deadline = kiln_now_ms() + c->r->timeout_ms;
    return 0;
}

/* The channel of topic (CHANNEL:TOPIC) in r->scratch. */
static kiln_str channel_of(ps_redis *r, const char *topic, size_t n)
{
    kiln_buf_clear(&r->scratch);
    if (kiln_buf_append(&r->scratch, r->prefix, r->prefix_n) != 0 ||
        kiln_buf_append(&r->scratch, topic, n) != 0)
        return KILN_STR_NULL;
    return kiln_buf_str(&r->scratch);
}

/* ---- subscribing
 * ------------------------------------------------------------- */

/* SUBSCRIBE or UNSUBSCRIBE one topic on sub (pubsub_topics_walk). */
static void sub_topic(void *arg, const char *topic, bool on)
{
    rconn *c = arg;
    kiln_str ch = channel_of(c->r, topic, strlen(topic));
    kiln_str argv[2] = {on ? KILN_STR("SUBSCRIBE") : KILN_STR("UNSUBSCRIBE"),
                        ch};
    if (!ch.p || rc_command(c, 2, argv) != 0)
        kiln_log(KILN_LOG_WARN, "pubsub: out of memory subscribing to '%s'",
                 topic);
}

/* ---- connecting
 * -------------------------------------------------------------- */

/* Starts a connection: AUTH first when the URL has a password; then, for
   sub, a SUBSCRIBE of every topic. */
static void rc_connect(rconn *c)
{
    ps_redis *r = c->r;
    worker *w = r->base.w;
    char err[256];
    bool pending = false;
    int fd = redis_socket_open(&r->url, &pending, err, sizeof err);
    if (fd >= 0 && !(c->reader = hr_fn.redisReaderCreate())) {
        close(fd);
        fd = -1;
        snprintf(err, sizeof err, "out of memory");
    }
    if (fd < 0) {
        c->state = RC_CONNECTING; /* so that the failure counts as one */
        c->io.fd = -1;
        rc_fail(c, err);
        return;
    }
    c->io.fd = fd;
    c->state = RC_CONNECTING;
    c->connect_deadline = w->now_ms + r->timeout_ms;
    c->owed = 0;
    c->reply_deadline = 0;
    c->out_off = 0;
    kiln_buf_clear(&c->out);
    if (loop_add(&w->loop, &c->io, LOOP_READ | LOOP_WRITE, 1) != 0) {
        rc_fail(c, "cannot register the connection");
        return;
    }
    c->registered = true;
    c->want_write = true;
    if (r->url.password[0]) {
        kiln_str argv[3];
        size_t argc = 0;
        argv[argc++] = KILN_STR("AUTH");
        if (r->url.user[0])
            argv[argc++] = kiln_str_c(r->url.user);
        argv[argc++] = kiln_str_c(r->url.password);
        rc_command(c, argc, argv);
        c->auth_owed = true;
    }
    if (c->sub)
        pubsub_topics_walk(false, sub_topic, c);
    arm(r);
}

/* connect(2) finished: how? */
static void rc_connected(rconn *c)
{
    int e = 0;
    socklen_t len = sizeof e;
    if (getsockopt(c->io.fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
        e = errno;
    if (e != 0) {
        rc_fail(c, strerror(e));
        return;
    }
    worker *w = c->r->base.w;
    c->state = RC_UP; /* writing and reading; AUTH goes first */
    c->quiet_since = w->now_ms;
    if (c->owed)
        c->reply_deadline = w->now_ms + c->r->timeout_ms;
    if (!c->sub) { /* what waited for it goes now */
        c->unanswered += c->waiting;
        c->waiting = 0;
    }
    if (rc_flush(c) != 0)
        rc_fail(c, strerror(errno));
    else if (!c->auth_owed)
        rc_established(c);
}

/* The connection is made (and AUTH, if any, taken). */
static void rc_established(rconn *c)
{
    if (c->failing)
        kiln_log(KILN_LOG_INFO, "pubsub: connected to Redis at %s again",
                 c->r->addr);
    c->failing = false;
    c->backoff_ms = 0;
    c->established = true;
    sub_settled(c); /* there may be nothing to confirm */
}

/* The connection is gone (or could not be made): closes it, counts what
   is lost, and schedules the next attempt when it is still wanted. */
static void rc_fail(rconn *c, const char *why)
{
    ps_redis *r = c->r;
    worker *w = r->base.w;
    bool was_up = c->established;
    c->established = false;
    if (c->registered)
        loop_del(&w->loop, &c->io);
    c->registered = c->want_write = false;
    if (c->io.fd >= 0)
        close(c->io.fd);
    c->io.fd = -1;
    if (c->reader)
        hr_fn.redisReaderFree(c->reader);
    c->reader = NULL;
    kiln_buf_clear(&c->out);
    c->out_off = 0;
    c->owed = 0;
    c->auth_owed = false;
    c->reply_deadline = 0;
    c->state = RC_DOWN;
    if (!c->sub) {
        uint64_t lost = c->unanswered + c->waiting;
        c->unanswered = c->waiting = 0;
        if (lost)
            pubsub_backend_lost(lost, was_up ? "the connection to Redis broke"
                                             : "Redis cannot be reached");
    } else {
        __atomic_store_n(&r->base.up, false, __ATOMIC_RELAXED);
        if (was_up && !c->gap_owed) {
            kiln_log(KILN_LOG_WARN,
                     "pubsub: lost the subscription connection to Redis at "
                     "%s (%s): publications of other instances are lost "
                     "until it is back",
                     r->addr, why);
            c->gap_owed = true;
            c->down_since = w->now_ms;
            pubsub_backend_down();
        }
    }
    if (!was_up && !c->failing) {
        kiln_log(KILN_LOG_WARN, "pubsub: cannot connect to Redis at %s: %s",
                 r->addr, why);
        c->failing = true;
    } else if (was_up && !c->sub) {
        kiln_log(KILN_LOG_WARN,
                 "pubsub: lost the publishing connection to Redis at %s: %s",
                 r->addr, why);
    }
    c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : BACKOFF_MIN_MS;
    if (c->backoff_ms > BACKOFF_MAX_MS)
        c->backoff_ms = BACKOFF_MAX_MS;
    c->retry_at = w->now_ms + c->backoff_ms;
    if (!r->stopped)
        arm(r);
}

/* ---- reading
 * ----------------------------------------------------------------- */

/* sub owes no reply: every SUBSCRIBE is confirmed. After a loss, that is
   when the gap is told: from now on nothing is missed. */
static void sub_settled(rconn *c)
{
    ps_redis *r = c->r;
    if (!c->sub || c->owed || !c->established)
        return;
    __atomic_store_n(&r->base.up, true, __ATOMIC_RELAXED);
    if (!c->gap_owed)
        return;
    c->gap_owed = false;
    uint64_t n = pubsub_topics_count();
    kiln_log(KILN_LOG_INFO,
             "pubsub: subscribed again to %llu topic%s on Redis at %s after "
             "%lld ms: every subscriber is told of the gap",
             (unsigned long long)n, n == 1 ? "" : "s", r->addr,
             (long long)(r->base.w->now_ms - c->down_since));
    pubsub_gap_all();
}

static bool is_str(const redisReply *e, const char *s)
{
    return e &&
           (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS) &&
           e->len == strlen(s) && memcmp(e->str, s, e->len) == 0;
}

/* A "message" push on sub: [message, channel, payload]. */
static void on_message(ps_redis *r, const redisReply *ch, const redisReply *pl)
{
    if (ch->type != REDIS_REPLY_STRING || pl->type != REDIS_REPLY_STRING ||
        ch->len <= r->prefix_n || memcmp(ch->str, r->prefix, r->prefix_n) != 0)
        return; /* not one of ours */
    pubsub_wire wr;
    if (pubsub_wire_decode(pl->str, pl->len, false, &wr) != 0) {
        kiln_log(KILN_LOG_WARN, "pubsub: a malformed envelope on %.*s: dropped",
                 (int)(ch->len < 120 ? ch->len : 120), ch->str);
        return;
    }
    wr.topic = (kiln_str){ch->str + r->prefix_n, ch->len - r->prefix_n};
    if (!pubsub_topic_ok(wr.topic.p, wr.topic.n))
        return;
    pubsub_received(&wr);
}

/* One reply (or push) on c. Returns false when c failed. */
static bool on_reply(rconn *c, const redisReply *rep)
{
    ps_redis *r = c->r;
    if (c->auth_owed) {
        c->auth_owed = false;
        c->owed--;
        if (rep->type == REDIS_REPLY_ERROR) {
            char why[200];
            snprintf(why, sizeof why, "AUTH refused: %.*s",
                     (int)(rep->len < 150 ? rep->len : 150), rep->str);
            rc_fail(c, why); /* a failed attempt, not a loss */
            return false;
        }
        rc_established(c);
        return true;
    }
    if (!c->sub) { /* PUBLISH's count of receivers, or PING's PONG */
        if (c->owed)
            c->owed--;
        if (rep->type == REDIS_REPLY_INTEGER && c->unanswered)
            c->unanswered--;
        else if (rep->type == REDIS_REPLY_ERROR) {
            if (c->unanswered)
                c->unanswered--;
            char why[200];
            snprintf(why, sizeof why, "Redis refused a PUBLISH: %.*s",
                     (int)(rep->len < 150 ? rep->len : 150), rep->str);
            pubsub_backend_lost(1, why);
        }
        return true;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
        char why[200];
        snprintf(why, sizeof why, "Redis refused: %.*s",
                 (int)(rep->len < 150 ? rep->len : 150), rep->str);
        rc_fail(c, why);
        return false;
    }
    if (rep->type == REDIS_REPLY_STATUS && c->owed)
        c->owed--; /* +PONG: PING with nothing subscribed */
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 2) {
        sub_settled(c);
        return true;
    }
    const redisReply *kind = rep->element[0];
    if (is_str(kind, "message") && rep->elements == 3) {
        on_message(r, rep->element[1], rep->element[2]);
    } else if (is_str(kind, "subscribe") || is_str(kind, "unsubscribe") ||
               is_str(kind, "pong")) {
        if (c->owed)
            c->owed--;
    }
    sub_settled(c);
    return true;
}

static void rc_read(rconn *c)
{
    char buf[READ_CHUNK];
    worker *w = c->r->base.w;
    while (c->state == RC_UP) {
        ssize_t n = read(c->io.fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            rc_fail(c, n == 0 ? "the server closed the connection"
                              : strerror(errno));
            return;
        }
        c->quiet_since = w->now_ms;
        if (hr_fn.redisReaderFeed(c->reader, buf, (size_t)n) != REDIS_OK) {
            rc_fail(c, "out of memory reading a reply");
            return;
        }
        for (;;) {
            void *rep = NULL;
            if (hr_fn.redisReaderGetReply(c->reader, &rep) != REDIS_OK) {
                rc_fail(c, "a malformed reply");
                return;
            }
            if (!rep)
                break;
            bool ok = on_reply(c, rep);
            hr_fn.freeReplyObject(rep);
            if (!ok)
                return;
        }
        if ((size_t)n < sizeof buf)
            break;
    }
    if (c->state == RC_UP)
        c->reply_deadline = c->owed ? w->now_ms + c->r->timeout_ms : 0;
}

static void on_io(loop *l, loop_io *io, unsigned ev)
{
    (void)l;
    rconn *c = (rconn *)io;
    if (c->state == RC_CONNECTING && (ev & (LOOP_WRITE | LOOP_ERROR)))
        rc_connected(c);
    if (c->state == RC_UP && (ev & LOOP_WRITE) && rc_flush(c) != 0)
        rc_fail(c, strerror(errno));
    if (c->state == RC_UP && (ev & (LOOP_READ | LOOP_ERROR)))
        rc_read(c);
    arm(c->r);
}

/* ---- timers
 * ------------------------------------------------------------------- */

/* The next deadline of c (0: none). */
static int64_t rc_next(const rconn *c)
{
    switch (c->state) {
    case RC_DOWN:
        return c->wanted ? c->retry_at : 0;
    case RC_CONNECTING:
        return c->connect_deadline;
    default:
        if (c->reply_deadline)
            return c->reply_deadline;
        return c->quiet_since + PING_MS;
    }
}

/* Arms the timerfd for the earliest deadline of the two connections. */
static void arm(ps_redis *r)
{
    if (r->stopped)
        return;
    int64_t a = rc_next(&r->sub), b = rc_next(&r->pub);
    int64_t at = a && b ? (a < b ? a : b) : a ? a : b;
    if (at == r->armed_at)
        return;
    if (r->tfd < 0) {
        r->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        r->tio.fd = r->tfd;
        if (r->tfd < 0 ||
            loop_add(&r->base.w->loop, &r->tio, LOOP_READ, 1) != 0) {
            kiln_log(KILN_LOG_ERROR,
                     "pubsub: no timer (%s): Redis will not "
                     "be reconnected",
                     strerror(errno));
            if (r->tfd >= 0)
                close(r->tfd);
            r->tfd = -1;
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
    timerfd_settime(r->tfd, 0, &its, NULL);
    r->armed_at = at;
}

static void rc_tick(rconn *c, int64_t now)
{
    switch (c->state) {
    case RC_DOWN:
        if (c->wanted && now >= c->retry_at)
            rc_connect(c);
        break;
    case RC_CONNECTING:
        if (now >= c->connect_deadline)
            rc_fail(c, "connecting timed out");
        break;
    default:
        if (c->reply_deadline && now >= c->reply_deadline) {
            char why[80];
            snprintf(why, sizeof why, "no reply within %d ms",
                     c->r->timeout_ms);
            rc_fail(c, why);
        } else if (!c->reply_deadline && now >= c->quiet_since + PING_MS) {
            kiln_str ping = KILN_STR("PING");
            c->quiet_since = now;
            if (rc_command(c, 1, &ping) == 0 && rc_flush(c) != 0)
                rc_fail(c, strerror(errno));
        }
    }
}

static void on_timer(loop *l, loop_io *io, unsigned ev)
{
    (void)l;
    (void)ev;
    ps_redis *r = (ps_redis *)((char *)io - offsetof(ps_redis, tio));
    uint64_t v;
    ssize_t k = read(r->tfd, &v, sizeof v);
    (void)k;
    r->armed_at = 0;
    int64_t now = r->base.w->now_ms;
    rc_tick(&r->sub, now);
    rc_tick(&r->pub, now);
    arm(r);
}

/* The end of each loop turn: writes what the turn queued. */
static void on_turn_end(void *arg)
{
    ps_redis *r = arg;
    if (r->stopped)
        return;
    rconn *cs[2] = {&r->sub, &r->pub};
    for (int i = 0; i < 2; i++)
        if (cs[i]->state == RC_UP && cs[i]->out_off < cs[i]->out.n &&
            !cs[i]->want_write && rc_flush(cs[i]) != 0) {
            rc_fail(cs[i], strerror(errno));
            arm(r);
        }
}

/* ---- the backend's operations
 * -------------------------------------------------- */

/* Makes c wanted, connecting now unless a backoff runs. */
static void rc_want(rconn *c)
{
    c->wanted = true;
    if (c->state == RC_DOWN && c->r->base.w->now_ms >= c->retry_at)
        rc_connect(c);
}

static pubsub_backend *r_start(kiln_pubsub *ps, worker *w)
{
    ps_redis *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    const pubsub_conf *conf = pubsub_conf_of(ps);
    char err[200];
    if (redis_url_parse(conf->url, &r->url, err, sizeof err) != 0) {
        free(r); /* checked by kiln_pubsub_new: not reached */
        return NULL;
    }
    r->base.ops = &pubsub_redis_ops;
    r->base.ps = ps;
    r->base.w = w;
    if (r->url.unix_socket)
        snprintf(r->addr, sizeof r->addr, "unix:%s", r->url.path);
    else if (strchr(r->url.host, ':'))
        snprintf(r->addr, sizeof r->addr, "[%s]:%d", r->url.host, r->url.port);
    else
        snprintf(r->addr, sizeof r->addr, "%s:%d", r->url.host, r->url.port);
    r->prefix_n =
        (size_t)snprintf(r->prefix, sizeof r->prefix, "%s:", conf->channel);
    r->timeout_ms = conf->timeout_ms;
    r->backlog = conf->backlog;
    r->tfd = -1;
    r->tio.fd = -1;
    r->tio.cb = on_timer;
    rconn *cs[2] = {&r->sub, &r->pub};
    for (int i = 0; i < 2; i++) {
        cs[i]->r = r;
        cs[i]->sub = i == 0;
        cs[i]->io.fd = -1;
        cs[i]->io.cb = on_io;
        kiln_buf_init(&cs[i]->out);
    }
    kiln_buf_init(&r->scratch);
    r->hook.fn = on_turn_end;
    r->hook.arg = r;
    worker_hook_add(w, &r->hook);
    return &r->base;
}

static void r_send(pubsub_backend *b, pubsub_msg *m)
{
    ps_redis *r = (ps_redis *)b;
    rconn *c = &r->pub;
    if (!r->stopped)
        rc_want(c);
    if (c->state == RC_DOWN || r->stopped) {
        pubsub_backend_lost(1, "Redis cannot be reached");
        pubsub_msg_release(m);
        return;
    }
    if (c->state == RC_CONNECTING && c->waiting >= (uint64_t)r->backlog) {
        pubsub_backend_lost(1, "the backlog of publications waiting for "
                               "Redis is full (pubsub.backlog)");
        pubsub_msg_release(m);
        return;
    }
    if (c->out.n - c->out_off > OUT_MAX) {
        pubsub_backend_lost(1, "Redis does not take what is sent to it");
        pubsub_msg_release(m);
        return;
    }
    kiln_buf env;
    kiln_buf_init(&env);
    kiln_str ch = channel_of(r, m->topic.p, m->topic.n);
    int rc = ch.p ? pubsub_wire_encode(&env, m->origin, m->seq, KILN_STR_NULL,
                                       m->data)
                  : KILN_ENOMEM;
    kiln_str argv[3] = {KILN_STR("PUBLISH"), ch, kiln_buf_str(&env)};
    if (rc == 0)
        rc = rc_command(c, 3, argv);
    kiln_buf_deinit(&env);
    pubsub_msg_release(m);
    if (rc != 0) {
        pubsub_backend_lost(1, "out of memory");
        return;
    }
    if (c->state == RC_CONNECTING)
        c->waiting++;
    else
        c->unanswered++;
    arm(r);
}

static void r_topics(pubsub_backend *b)
{
    ps_redis *r = (ps_redis *)b;
    rconn *c = &r->sub;
    if (r->stopped)
        return;
    if (c->state == RC_DOWN) {
        /* a connection subscribes to every topic there is then */
        if (pubsub_topics_count() > 0)
            rc_want(c);
        arm(r);
        return;
    }
    pubsub_topics_walk(true, sub_topic, c);
    if (c->state == RC_UP && !c->want_write && rc_flush(c) != 0)
        rc_fail(c, strerror(errno));
    arm(r);
}

static void r_stop(pubsub_backend *b)
{
    ps_redis *r = (ps_redis *)b;
    r->stopped = true;
    if (r->pub.state == RC_CONNECTING && r->pub.waiting)
        pubsub_backend_lost(r->pub.waiting, "the server stopped before "
                                            "Redis could be reached");
    rconn *cs[2] = {&r->sub, &r->pub};
    for (int i = 0; i < 2; i++) {
        rconn *c = cs[i];
        if (c->state == RC_UP && !c->sub)
            rc_flush(c); /* what is queued goes, if the socket takes it */
        if (c->registered)
            loop_del(&r->base.w->loop, &c->io);
        c->registered = false;
        if (c->io.fd >= 0)
            close(c->io.fd);
        c->io.fd = -1;
        if (c->reader)
            hr_fn.redisReaderFree(c->reader);
        c->reader = NULL;
        kiln_buf_deinit(&c->out);
        c->state = RC_DOWN;
    }
    if (r->tfd >= 0) {
        loop_del(&r->base.w->loop, &r->tio);
        close(r->tfd);
        r->tfd = -1;
    }
    kiln_buf_deinit(&r->scratch);
    __atomic_store_n(&r->base.up, false, __ATOMIC_RELAXED);
}

/* ---- publishing without a server
 * ------------------------------------------------- */

static pthread_mutex_t blocking_lock = PTHREAD_MUTEX_INITIALIZER;

static int r_publish_blocking(kiln_pubsub *ps, kiln_str topic, kiln_str data)
{
    const pubsub_conf *conf = pubsub_conf_of(ps);
    void **slot = pubsub_blocking_slot(ps);
    char err[300];
    pthread_mutex_lock(&blocking_lock);
    if (!*slot)
        *slot = redis_client_new(
            &(redis_opts){.url = conf->url,
                          .timeout_ms = conf->timeout_ms,
                          .connect_timeout_ms = conf->timeout_ms},
            err, sizeof err);
    redis_client *cl = *slot;
    pthread_mutex_unlock(&blocking_lock);
    if (!cl)
        return KILN_ENOMEM;
    kiln_buf ch, env;
    kiln_buf_init(&ch);
    kiln_buf_init(&env);
    int rc = kiln_buf_printf(&ch, "%s:", conf->channel);
    rc |= kiln_buf_append(&ch, topic.p, topic.n);
    if (rc == 0)
        rc = pubsub_wire_encode(&env, conf->origin, pubsub_next_seq(ps),
                                KILN_STR_NULL, data);
    if (rc == 0) {
        kiln_arena a;
        kiln_arena_init(&a, 0);
        kiln_str argv[3] = {KILN_STR("PUBLISH"), kiln_buf_str(&ch),
                            kiln_buf_str(&env)};
        redis_value *v;
        rc = redis_call(cl, &a, 3, argv, &v);
        if (rc == 0 && v->type == REDIS_T_ERROR)
            rc = KILN_EUNAVAIL;
        kiln_arena_deinit(&a);
    }
    kiln_buf_deinit(&ch);
    kiln_buf_deinit(&env);
    return rc < 0 ? rc : rc ? KILN_ENOMEM : 0;
}

static void r_blocking_close(kiln_pubsub *ps)
{
    void **slot = pubsub_blocking_slot(ps);
    redis_client_free(*slot);
    *slot = NULL;
}

const pubsub_backend_ops pubsub_redis_ops = {
    .name = "redis",
    .start = r_start,
    .send = r_send,
    .topics = r_topics,
    .stop = r_stop,
    .publish_blocking = r_publish_blocking,
    .blocking_close = r_blocking_close,
};
