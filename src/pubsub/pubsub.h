/*
 * pubsub/pubsub.h - the inside of kiln/pubsub.h (prefix pubsub_).
 *
 * The shape of it. A publication is one allocation (pubsub_msg): its
 * topic, its bytes, and one pubsub_post per worker it is posted to. A
 * publish posts it, with worker_post (a lock-free push), to every worker
 * that has subscriptions, and to the backend's worker when the backend
 * is Redis or PostgreSQL. Each worker keeps its own subscriptions in a
 * topic table (pubsub_table: topic -> the subscriptions of that worker's
 * requests), so delivering needs no lock: the worker's inbox handler
 * looks the topic up and appends a pointer to its post to each
 * subscriber's bounded queue (pubsub_queue); ten thousand subscribers
 * hold ten thousand pointers to one copy. The post counts its holders on
 * that worker without atomics; the message counts its posts atomically,
 * and is freed by the last worker done with it.
 *
 * After a delivery the subscribers whose queue was empty are told
 * (their notify function: the WebSocket, the event stream or
 * kiln_pub_recv resumes its handler), from the loop, once the whole
 * delivery is done: a handler that resumes may subscribe, unsubscribe or
 * end while nothing iterates.
 *
 * Files: wire.c (topics, the envelope on the wire: pure), queue.c
 * (messages, posts, the subscriber's queue), table.c (a worker's topic
 * table and the delivery: pure data structures), hub.c (kiln_pubsub,
 * publishing, the workers' states, stats), sub.c (the request's
 * subscription: kiln_subscribe, kiln_pub_recv), redis.c and postgres.c
 * (the backends on a worker's loop).
 */
#ifndef KILN_PUBSUB_PUBSUB_H
#define KILN_PUBSUB_PUBSUB_H

#include <kiln/pubsub.h>

#include "server/worker.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- topics and the envelope (wire.c) ------------------------------------ */

/** True when t (n bytes) is a topic: 1 to KILN_TOPIC_MAX bytes, each of
    them visible ASCII (0x21 to 0x7e). */
bool pubsub_topic_ok(const char *t, size_t n);

/** True when name is a pubsub.channel: 1 to 63 letters, digits or '_'. */
bool pubsub_channel_ok(const char *name);

/** A publication as it travels between instances, decoded. */
typedef struct pubsub_wire {
    uint64_t origin; /**< the publishing process (0: not Kiln's envelope) */
    uint64_t seq;    /**< its number there */
    kiln_str topic;  /**< with_topic: the topic; else empty */
    kiln_str data;   /**< the bytes published (views into the input) */
} pubsub_wire;

/** The envelope's fixed part at most: "~k1 " + 16 + " " + 16 + " ". */
#define PUBSUB_WIRE_HEAD 38

/**
 * Appends the envelope of a publication to b:
 *
 *   "~k1 " ORIGIN " " SEQ " " [TOPIC " "] DATA
 *
 * ORIGIN and SEQ in lowercase hex (1 to 16 digits), TOPIC when topic.p is
 * not NULL (PostgreSQL carries every topic on one channel; a Redis
 * channel names its topic). Returns 0 or KILN_ENOMEM (b as it was).
 */
int pubsub_wire_encode(kiln_buf *b, uint64_t origin, uint64_t seq,
                       kiln_str topic, kiln_str data);

/**
 * Decodes a payload received from the backend (a pure function; the
 * views point into p). Kiln's envelope (above) gives origin, seq, the
 * topic (with_topic) and the data. Anything else was published by
 * another program: with_topic, "TOPIC DATA" (a trigger's
 * pg_notify('kiln', 'board:1 {"id":3}')), the topic up to the first
 * space and the data after it (none without a space); without topic, the
 * whole payload is the data. Returns 0, or KILN_EPARSE for an envelope
 * that is malformed or a topic that is not one (pubsub_topic_ok).
 */
int pubsub_wire_decode(const char *p, size_t n, bool with_topic,
                       pubsub_wire *out);

/* ---- messages, posts and queues (queue.c) -------------------------------- */

typedef struct pubsub_msg pubsub_msg;

/** What a message is. */
enum { PUBSUB_MESSAGE = 1, PUBSUB_GAP = 2 };

/**
 * A message as one worker holds it: posted to the worker's inbox, then
 * pointed to by the queues of that worker's subscribers. holds counts
 * them (and the delivery itself while it runs); only that worker's
 * thread touches it once posted.
 */
typedef struct pubsub_post {
    worker_msg m; /* first: the inbox's node */
    pubsub_msg *msg;
    uint32_t holds;
} pubsub_post;

/** One publication (one allocation with its posts, topic and data). */
struct pubsub_msg {
    int refs;        /* atomic: the publisher's while posting, plus one
                        per post not yet done with */
    uint8_t kind;    /* PUBSUB_MESSAGE or PUBSUB_GAP */
    uint32_t nposts; /* posts[] */
    uint64_t origin; /* the publishing process (0: a foreign payload) */
    uint64_t seq;    /* its number there */
    kiln_str topic;  /* in this allocation, NUL-terminated */
    kiln_str data;   /* in this allocation, NUL-terminated */
    pubsub_post posts[];
};

/**
 * Allocates a message with nposts posts and copies topic and data into
 * it (each NUL-terminated). refs is 1 (the caller's). Returns NULL when
 * out of memory. The caller posts, then releases its reference.
 */
pubsub_msg *pubsub_msg_new(int kind, kiln_str topic, kiln_str data,
                           uint32_t nposts);
/** Takes one more reference to m (atomic). */
void pubsub_msg_ref(pubsub_msg *m);
/** Drops a reference to m (atomic); the last one frees it. */
void pubsub_msg_release(pubsub_msg *m);
/** Drops one hold of p (its worker's thread); the last one releases the
    message's reference that p stood for. */
void pubsub_post_drop(pubsub_post *p);

/** One queued publication: the post, and how many the subscriber lost
    (its queue was full) just before it. */
typedef struct pubsub_entry {
    pubsub_post *p;
    uint64_t lost;
} pubsub_entry;

/** Slots a queue holds without allocating (an idle subscriber's). */
#define PUBSUB_QUEUE_INLINE 4

/**
 * A subscriber's bounded FIFO of posts. A ring of cap slots (inline up
 * to PUBSUB_QUEUE_INLINE, then malloc'd, doubling up to max; the heap
 * ring is freed when the queue empties). Invariant: n <= cap <= max (or
 * cap == PUBSUB_QUEUE_INLINE when max is smaller); v points at inl or at
 * a ring the queue owns. lost counts the publications dropped since the
 * last one queued: they surface as a gap once the queue drains to them.
 */
typedef struct pubsub_queue {
    pubsub_entry *v;
    uint32_t head, n, cap, max;
    uint64_t lost;
    pubsub_entry inl[PUBSUB_QUEUE_INLINE];
} pubsub_queue;

/** An empty queue bounded to max entries (max >= 1). */
void pubsub_queue_init(pubsub_queue *q, uint32_t max);
/**
 * Appends p (taking one hold of it). Returns 1 when queued, 0 when the
 * queue is full (or its ring could not grow): p is not held, and the
 * loss is counted in q->lost.
 */
int pubsub_queue_push(pubsub_queue *q, pubsub_post *p);
/** True when the queue has something to take: an entry or a gap. */
bool pubsub_queue_ready(const pubsub_queue *q);
/**
 * Takes what comes next into *e: a gap (e->p NULL, e->lost the number
 * lost) when publications were dropped before the oldest entry or after
 * the last one, else the oldest entry (its hold passes to the caller, who
 * drops it with pubsub_post_drop; e->lost 0). Returns false when empty.
 */
bool pubsub_queue_take(pubsub_queue *q, pubsub_entry *e);
/** Drops every entry's hold and frees the ring; the queue is empty. */
void pubsub_queue_clear(pubsub_queue *q);

/* ---- a worker's topic table (table.c) ------------------------------------ */

typedef struct pubsub_sub pubsub_sub;
typedef struct pubsub_topic pubsub_topic;

/** A subscription's membership in one topic. Owned by the table. */
typedef struct pubsub_link {
    pubsub_topic *t;
    pubsub_sub *sub;
    struct pubsub_link *prev, *next; /* t's subscribers */
    struct pubsub_link *snext;       /* sub's topics */
} pubsub_link;

/** A topic with subscribers on one worker. Owned by the table; freed
    when its last subscriber leaves. */
struct pubsub_topic {
    pubsub_topic *hnext; /* hash chain */
    pubsub_link *links;
    uint32_t nlinks;
    uint32_t hash;
    uint32_t len;
    char name[]; /* NUL-terminated */
};

/**
 * A subscriber: one request's subscriptions and their queue (struct
 * kiln_sub of the public API, in the request's arena). The table fields
 * (q, links, ready) are the table's to change; the rest is sub.c's.
 */
struct pubsub_sub {
    pubsub_queue q;
    pubsub_link *links; /* its topics */
    uint32_t ntopics;
    uint64_t dropped;          /* lost to a full queue, in all */
    bool ready;                /* on the table's ready list */
    pubsub_sub *rprev, *rnext; /* the table's ready list */
    pubsub_sub *prev, *next;   /* every subscriber of the worker */
    void (*notify)(void *arg); /* tells its waiting handler */
    void *notify_arg;
    /* sub.c */
    kiln_ctx *x;
    struct pubsub_worker *pw; /* its worker's state */
    pubsub_post *cur;         /* what the handler holds (its views), or NULL */
    waiter wait;              /* kiln_pub_recv parks here (not on its stack) */
    bool waiting;
    bool canceled; /* the server shuts down: kiln_pub_recv ends */
};

/** A worker's topics and subscribers. Touched by that worker only. */
typedef struct pubsub_table {
    pubsub_topic **buckets;
    uint32_t nbuckets, ntopics;
    uint64_t nlinks;   /* subscriptions */
    uint64_t nsubs;    /* subscribers */
    pubsub_sub *subs;  /* every subscriber (for gaps) */
    pubsub_sub *ready; /* to notify after a delivery */
    uint64_t delivered, dropped;
} pubsub_table;

/** An empty table (allocates nothing). */
void pubsub_table_init(pubsub_table *t);
/** Frees the table's topics and links; subscribers must be gone. */
void pubsub_table_deinit(pubsub_table *t);
/** Initialises s (zeroed by the caller) with a queue of max entries and
    adds it to t's subscribers. */
void pubsub_table_sub_add(pubsub_table *t, pubsub_sub *s, uint32_t max);
/**
 * Removes s from t: its topics (calling gone(arg, name) for each topic
 * that had no other subscriber), the ready list, the subscribers, and
 * empties its queue.
 */
void pubsub_table_sub_remove(pubsub_table *t, pubsub_sub *s,
                             void (*gone)(void *arg, const char *topic),
                             void *arg);
/**
 * Subscribes s to topic (n bytes, checked by the caller). Returns 1 when
 * the topic is new to the table (the caller tells the backend), 0 when s
 * joined an existing one or had it already, KILN_ENOMEM.
 */
int pubsub_table_join(pubsub_table *t, pubsub_sub *s, const char *topic,
                      size_t n);
/**
 * Ends s's subscription to topic. Returns 1 when the topic has no
 * subscriber left (gone from the table), 0 when others remain,
 * KILN_ENOTFOUND when s was not subscribed.
 */
int pubsub_table_leave(pubsub_table *t, pubsub_sub *s, const char *topic,
                       size_t n);
/** True when the table has subscribers of topic. */
bool pubsub_table_has(const pubsub_table *t, kiln_str topic);
/**
 * Queues p for every subscriber of its message's topic (a gap: for every
 * subscriber), once each, and puts those whose queue was empty on the
 * ready list. Counts delivered and dropped. Returns the number queued.
 */
uint64_t pubsub_table_deliver(pubsub_table *t, pubsub_post *p);
/** Takes the next subscriber off the ready list (NULL when none). */
pubsub_sub *pubsub_table_next_ready(pubsub_table *t);

/* ---- the running pub/sub (hub.c) ----------------------------------------- */

typedef struct pubsub_backend pubsub_backend;

/** What a backend does, on its worker's thread (hub.c calls it). */
typedef struct pubsub_backend_ops {
    const char *name; /* "redis", "postgres" */
    /** Makes the backend's state for a run (any thread, before serving);
        NULL when out of memory. */
    pubsub_backend *(*start)(kiln_pubsub *ps, worker *w);
    /** Sends m (a reference the callee releases) to the other instances. */
    void (*send)(pubsub_backend *b, pubsub_msg *m);
    /** The process's topics changed (redis: SUBSCRIBE, UNSUBSCRIBE). */
    void (*topics)(pubsub_backend *b);
    /** Stops it (closes its connections, releases what it holds), on its
        worker before its loop goes; hub.c frees the state (one malloc'd
        block with pubsub_backend first) when the run ends. */
    void (*stop)(pubsub_backend *b);
    /** Publishes without a server (a tool, a thread before serving):
        blocking, on a connection kept in *pubsub_blocking_slot(ps). 0 or
        a negative code. */
    int (*publish_blocking)(kiln_pubsub *ps, kiln_str topic, kiln_str data);
    /** Closes that connection (kiln_pubsub_free). */
    void (*blocking_close)(kiln_pubsub *ps);
} pubsub_backend_ops;

/** The part of a backend's state that hub.c knows. */
struct pubsub_backend {
    const pubsub_backend_ops *ops;
    kiln_pubsub *ps;
    worker *w; /* the worker whose loop runs it */
    bool up;   /* its subscription is live (stats) */
};

extern const pubsub_backend_ops pubsub_redis_ops;
extern const pubsub_backend_ops pubsub_pg_ops;

/** The settings a pub/sub was made with (read-only after
    kiln_pubsub_new). */
typedef struct pubsub_conf {
    const pubsub_backend_ops *ops; /* NULL: local */
    char *url;                     /* owned */
    char channel[64];
    uint32_t queue;
    int64_t max_message;
    int backlog;
    int timeout_ms;
    uint64_t origin; /* this process, in envelopes (random, not 0) */
} pubsub_conf;

/** ps's settings. */
const pubsub_conf *pubsub_conf_of(const kiln_pubsub *ps);
/** The next number of a publication of ps (for its envelope). */
uint64_t pubsub_next_seq(kiln_pubsub *ps);
/** The backend's private state slot of ps (the blocking publisher's
    connection, kept between calls); guarded by the backend. */
void **pubsub_blocking_slot(kiln_pubsub *ps);

/**
 * One worker's pub/sub state while a server runs. table and the log
 * fields are the worker's thread's; open and the stat_ mirrors are read
 * by other threads (atomics).
 */
typedef struct pubsub_worker {
    worker *w;
    pubsub_table table;
    int open;                /* atomic: posts are taken (until it exits) */
    uint64_t stat_links;     /* atomic mirrors of the table, for publishers */
    uint64_t stat_subs;      /* (skip a worker without subscriptions) and */
    uint64_t stat_delivered; /* kiln_pubsub_stats_get */
    uint64_t stat_dropped;
    worker_hook hook;     /* shutdown, the rate-limited log of drops */
    bool canceled;        /* a shutdown began: waits end (cancel_waits) */
    worker_msg cancel;    /* posted to its own worker for that */
    int64_t log_at;       /* no drop line before (ms) */
    uint64_t log_dropped; /* drops not yet logged */
    uint32_t queue_max;   /* pubsub.queue */
} pubsub_worker;

/** The calling thread's worker state, or NULL outside a running server's
    worker. */
pubsub_worker *pubsub_worker_current(void);
/** w's state in the running pub/sub, or NULL (none runs, or w has
    exited). */
pubsub_worker *pubsub_worker_of(worker *w);
/** After pw's table changed: refreshes the mirrors other threads read. */
void pubsub_worker_sync(pubsub_worker *pw);
/** Topic became wanted (on) or unwanted on the calling worker (its table
    got its first subscriber, or lost its last): counted in the process's
    topics, and the backend is told when that changes whether the process
    wants it. On a worker of the running server. */
void pubsub_topic_wanted(const char *topic, bool on);

/** Called by kiln_serve before the worker threads start: makes each
    worker's pub/sub state. 0 or KILN_ENOMEM. */
int pubsub_serve_begin(worker *ws, int n);
/** Called by each worker at the end of its loop (its connections are
    gone): stops taking posts, runs what was posted, stops the backend if
    it runs there. */
void pubsub_worker_exit(worker *w);
/** Called by kiln_serve once every worker stopped: frees the run. */
void pubsub_serve_end(void);

/**
 * The process's topics, for a backend that subscribes per topic (redis):
 * calls fn(arg, topic) for every topic some worker has, and, when
 * changed is true, only for those that changed since the last call, with
 * on telling whether the topic is wanted now. Clears the changes (fn may
 * be NULL: only that). On the backend's worker; takes the registry's lock
 * meanwhile.
 */
void pubsub_topics_walk(bool changed,
                        void (*fn)(void *arg, const char *topic, bool on),
                        void *arg);
/** The number of topics some worker has (redis: what it subscribes). */
uint64_t pubsub_topics_count(void);

/**
 * A publication from another instance (decoded by the backend, on its
 * worker): delivered to this process's subscribers of w.topic (unless
 * this process published it). Counts it.
 */
void pubsub_received(const pubsub_wire *w);
/** The backend's subscription came back after a loss: every subscriber
    of the process gets a gap. */
void pubsub_gap_all(void);
/** n publications made here did not reach the backend (counted; logged
    at most every 10 s). */
void pubsub_backend_lost(uint64_t n, const char *why);
/** The backend's subscription was lost (counted as a reconnect). */
void pubsub_backend_down(void);

/**
 * A listener of the process itself on one topic, beside the requests'
 * subscriptions (Kiln's own: the auth credential cache's invalidations,
 * auth/cred_cache.c): fn(data) for every publication to topic that comes
 * from another instance, and fn(KILN_STR_NULL) after the backend's
 * subscription was lost and made again (publications may have been lost
 * meanwhile). fn runs on the backend's worker thread and must not wait.
 * One tap per process; set before serving (topic is copied; fn NULL
 * removes it). Publications made here do not reach it.
 */
void pubsub_tap_set(const char *topic, void (*fn)(kiln_str data));
/**
 * Publishes for the other instances' taps: kiln_publish when the
 * process's pub/sub has a backend (redis, postgres), nothing (0) when it
 * is local, where no other instance could hear it (and the app's own
 * counters stay the app's). Returns what kiln_publish returns.
 */
int pubsub_tap_publish(const char *topic, const void *data, size_t n);

/**
 * Publishes data (n bytes) on topic once, blocking, on a connection of
 * its own, for a process without a loop or a pub/sub (the kiln command),
 * with o's backend, url and channel (the rest is not used): Redis
 * PUBLISH CHANNEL:TOPIC DATA, PostgreSQL pg_notify(CHANNEL, 'TOPIC
 * DATA'), both heard by every instance's subscribers as a publication of
 * another program; nothing for "local". Waits o->timeout_ms at most for
 * Redis (2000 when 0). Returns 0, KILN_EINVAL (a bad setting) or
 * KILN_EUNAVAIL (the server), with a one-line reason in err.
 */
int pubsub_publish_once(const kiln_pubsub_opts *o, const char *topic,
                        const void *data, size_t n, char *err, size_t errlen);

/* ---- subscriptions and the handlers that wait (sub.c) -------------------- */

/** c's subscriber, or NULL when it has none. */
pubsub_sub *pubsub_sub_of(kiln_ctx *c);
/** True when s has a publication (or a gap) to take. */
bool pubsub_sub_ready(const pubsub_sub *s);
/**
 * Takes s's next publication into *m (views valid until the next take:
 * the previous one is released now). Returns true, or false when there
 * is none.
 */
bool pubsub_sub_take(pubsub_sub *s, kiln_pub_msg *m);
/** Sets who is told when a publication arrives while s's queue is empty
    (fn(arg), from the loop: it resumes a parked handler). */
void pubsub_sub_set_notify(pubsub_sub *s, void (*fn)(void *arg), void *arg);

#endif
