/*
 * kiln/pubsub.h - publish and subscribe: a message (bytes, usually JSON)
 * published to a topic reaches every request subscribed to that topic, on
 * every worker of the process and, through Redis or PostgreSQL, on every
 * instance of the app.
 *
 *   // anywhere: a handler, a task, a loop callback, a thread of the app's
 *   kiln_publish_json("board:1", "{task:%lld,change:%s}", id, "moved");
 *
 *   // an event stream forwarding one board's changes
 *   KILN_GET(live)
 *   {
 *       if (kiln_subscribe(c, "board:1") != 0)
 *           return kiln_problem(c, 503, "No live updates now.");
 *       kiln_sse *s = kiln_sse_start(c);
 *       if (!s)
 *           return 0;
 *       kiln_pub_msg m;
 *       while (kiln_sse_recv(s, &m, -1) == 0)       // yields meanwhile
 *           if (kiln_sse_send(s, m.kind == KILN_PUB_GAP ? "reload" : "task",
 *                             NULL, m.data.p, m.data.n) != 0)
 *               break;
 *       return kiln_sse_end(s);
 *   }
 *
 * A WebSocket handler gets its client's messages and its publications
 * from the same kiln_ws_recv (type KILN_WS_PUB or KILN_WS_GAP, see
 * kiln/ws.h), so it serves both in one loop without threads; any other
 * handler waits with kiln_pub_recv (a long poll).
 *
 * Topics are 1 to KILN_TOPIC_MAX bytes of visible ASCII (0x21 to 0x7e:
 * no space, no control), for example "board:1" or "user.42/inbox".
 *
 * Delivery (docs/realtime.md says it at length):
 *   - at most once: a publication reaches the subscriptions that exist
 *     when it arrives, once each; nothing is stored or replayed;
 *   - in order per publisher: what one thread or coroutine publishes
 *     reaches each subscriber in that order (messages of different
 *     publishers interleave);
 *   - each subscribing request has a queue of pubsub.queue messages
 *     (shared with every other subscriber, never copied per subscriber);
 *     past it, new publications are dropped for that subscriber: counted
 *     (kiln_pubsub_stats, kiln_sub_dropped), logged (at most one line
 *     every 10 s per worker), and the subscriber gets a KILN_PUB_GAP
 *     with the number lost, in the place where they were lost;
 *   - with pubsub.backend = "redis" or "postgres", publications travel
 *     between instances. If the backend's connection breaks, what other
 *     instances publish meanwhile is lost; Kiln reconnects by itself,
 *     subscribes again, then gives every subscriber a KILN_PUB_GAP (lost
 *     0: unknown), so a client can reload. What this instance publishes
 *     meanwhile still reaches its own subscribers, and is counted as lost
 *     for the others.
 *
 * Threads: kiln_publish and kiln_publish_json may be called from any
 * thread. A subscription belongs to its request (its coroutine): the
 * kiln_subscribe, kiln_unsubscribe and kiln_pub_recv calls are for the
 * request's own handler, and it ends with the request.
 */
#ifndef KILN_PUBSUB_H
#define KILN_PUBSUB_H

#include "http.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The longest topic, in bytes. */
#define KILN_TOPIC_MAX 200

/**
 * Publishes n bytes of data to topic. Never waits: the message is queued
 * for every subscriber of this process (one shared copy) and for the
 * backend, which sends it to the other instances. Returns 0 (also when
 * nobody is subscribed), KILN_EINVAL for a topic that is not 1 to
 * KILN_TOPIC_MAX visible ASCII bytes, or data that the postgres backend
 * cannot carry (a NUL byte or text that is not UTF-8: NOTIFY carries
 * text), KILN_ELIMIT for a message larger than pubsub.max_message (or, on
 * postgres, than a NOTIFY payload holds: 8000 bytes, less the topic and
 * about 40 bytes of envelope), KILN_ENOMEM. A refused message goes
 * nowhere, not even to this process's subscribers. Without a running
 * server (a tool, a script of the app's) it sends the message to the
 * backend itself, waiting for it: then also KILN_EUNAVAIL or
 * KILN_ETIMEDOUT when the backend cannot be reached.
 */
int kiln_publish(const char *topic, const void *data, size_t n);
/** kiln_publish of JSON built by kiln_json_format's rules
    ("{task:%lld,status:%s}"); KILN_EINVAL for a bad format too. */
int kiln_publish_json(const char *topic, const char *fmt, ...);

/**
 * Subscribes c's request to topic: from now on every publication to it
 * (here and, through the backend, from other instances once the backend
 * has the subscription: one round trip) is queued for the request, until
 * kiln_unsubscribe or the request ends. Subscribing twice to one topic is
 * one subscription. Returns 0, KILN_EINVAL for a bad topic, KILN_ESTATE
 * when the server is not running (or c is not on a worker), KILN_ENOMEM.
 */
int kiln_subscribe(kiln_ctx *c, const char *topic);
/** Ends c's subscription to topic. Returns 0, KILN_ENOTFOUND when c was
    not subscribed to it, KILN_EINVAL for a bad topic. Publications
    already queued stay queued. */
int kiln_unsubscribe(kiln_ctx *c, const char *topic);

/** What kiln_pub_recv, kiln_sse_recv and kiln_ws_recv receive. */
enum kiln_pub_kind {
    KILN_PUB_MESSAGE = 1, /**< a publication: topic and data */
    KILN_PUB_GAP = 2      /**< publications were lost here: lost says how
                               many (0: unknown, the backend reconnected) */
};

/** A publication received. Its views are valid until the request's next
    receive (kiln_pub_recv, kiln_sse_recv or kiln_ws_recv). */
typedef struct kiln_pub_msg {
    int kind;       /**< KILN_PUB_MESSAGE or KILN_PUB_GAP */
    kiln_str topic; /**< MESSAGE: its topic; GAP: empty */
    kiln_str data;  /**< MESSAGE: the bytes published; GAP: empty */
    uint64_t lost;  /**< GAP: publications this subscriber lost because its
                         queue was full; 0 when the number is unknown */
} kiln_pub_msg;

/**
 * Waits (yielding) for the next publication to c's subscriptions, at
 * most timeout_ms (-1: no limit). Returns 0 with *m, KILN_ETIMEDOUT,
 * KILN_ESTATE when c has no subscription (or another wait of c's runs),
 * KILN_ECANCELED as soon as the server shuts down (a long poll does not
 * hold the drain; answer, e.g. 503). An event stream uses
 * kiln_sse_recv instead (it also ends when the client leaves), a
 * WebSocket kiln_ws_recv.
 */
int kiln_pub_recv(kiln_ctx *c, kiln_pub_msg *m, int64_t timeout_ms);
/** Publications c's request lost so far because its queue was full. */
uint64_t kiln_sub_dropped(kiln_ctx *c);

/** The process's pub/sub: its backend and its settings. Opaque. */
typedef struct kiln_pubsub kiln_pubsub;

/** Pub/sub settings (the pubsub.* keys). Zero means "the default". */
typedef struct kiln_pubsub_opts {
    const char *backend; /**< "local" (NULL too): this process only;
                              "redis" or "postgres": every instance */
    const char *url;     /**< redis: redis://... or unix://...;
                              postgres: postgres://... */
    const char *channel; /**< the name the app's publications travel
                              under ("kiln"): Redis channels are
                              CHANNEL:TOPIC, the NOTIFY channel is CHANNEL
                              (letters, digits, '_', at most 63) */
    int queue;           /**< messages queued per subscriber (128) */
    int64_t max_message; /**< largest message in bytes (1 MiB) */
    int backlog;         /**< messages held for the backend while it
                              connects, or (postgres) behind the batch in
                              flight (1000); past it they are lost to
                              other instances */
    int timeout_ms;      /**< the backend's connect and reply timeout
                              (2000) */
} kiln_pubsub_opts;

/**
 * Makes a pub/sub (nothing connects yet: the backend connects, from the
 * first worker's loop, when the first subscription or publication needs
 * it). Returns NULL with a one-line reason in err: an unknown backend,
 * no URL or a malformed one, a bad channel, hiredis or libpq missing, no
 * memory. Free it with kiln_pubsub_free once the server stopped.
 */
kiln_pubsub *kiln_pubsub_new(const kiln_pubsub_opts *o, char *err,
                             size_t errlen);
/** Frees ps (NULL is fine). Not while a server uses it. */
void kiln_pubsub_free(kiln_pubsub *ps);
/**
 * Makes ps the process's pub/sub: the one kiln_publish and
 * kiln_subscribe use (a project makes it from the pubsub.* settings).
 * Call before serving. Without one, a server uses a "local" pub/sub of
 * its own with the defaults.
 */
void kiln_pubsub_set_default(kiln_pubsub *ps);
/** The process's pub/sub, or NULL when none was set. */
kiln_pubsub *kiln_pubsub_default(void);

/** Counters of the running pub/sub (kiln_pubsub_stats). */
typedef struct kiln_pubsub_stats {
    const char *backend;    /**< "local", "redis" or "postgres" */
    bool connected;         /**< the backend's subscription is up (local:
                                 always) */
    uint64_t subscribers;   /**< requests subscribed now */
    uint64_t subscriptions; /**< (request, topic) pairs now */
    uint64_t published;     /**< publications made here */
    uint64_t received;      /**< publications from other instances */
    uint64_t delivered;     /**< publications queued for a subscriber (one
                                 per subscriber reached) */
    uint64_t dropped;       /**< lost by subscribers whose queue was full */
    uint64_t backend_lost;  /**< made here but not sent to the backend
                                 (down, or its backlog full) */
    uint64_t reconnects;    /**< times the backend's subscription was lost
                                 and made again (each one a gap) */
} kiln_pubsub_stats;

/** Fills *out with the counters of the running server's pub/sub (zeros,
    backend "local", when no server runs). From any thread. */
void kiln_pubsub_stats_get(kiln_pubsub_stats *out);
/**
 * Answers c with the counters as JSON (200 application/json: {"backend":
 * "redis", "connected": true, "subscribers": 3, ...}), for an endpoint
 * an app routes where its operators look (e.g. /_kiln/pubsub). Returns
 * what kiln_respond returns.
 */
int kiln_pubsub_stats_send(kiln_ctx *c);

#ifdef __cplusplus
}
#endif
#endif
