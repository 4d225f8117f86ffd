/*
 * pubsub/sub.c - a request's subscription (kiln/pubsub.h): kiln_subscribe
 * makes it, in the request's arena, with a kiln_defer that ends it when
 * the handler returns (or, if its coroutine is lost, when the request is
 * released); kiln_pub_recv waits for it. kiln_ws_recv (server/ws.c) and
 * kiln_sse_recv (server/sse.c) take from the same queue, each setting
 * itself as the one told when a publication arrives.
 */
#include "pubsub/pubsub.h"

#include <string.h>

pubsub_sub *pubsub_sub_of(kiln_ctx *c)
{
    return c ? c->sub : NULL;
}

bool pubsub_sub_ready(const pubsub_sub *s)
{
    return s && pubsub_queue_ready(&s->q);
}

void pubsub_sub_set_notify(pubsub_sub *s, void (*fn)(void *arg), void *arg)
{
    s->notify = fn;
    s->notify_arg = arg;
}

bool pubsub_sub_take(pubsub_sub *s, kiln_pub_msg *m)
{
    if (s->cur) { /* the handler is done with the last one's views */
        pubsub_post_drop(s->cur);
        s->cur = NULL;
    }
    pubsub_entry e;
    if (!pubsub_queue_take(&s->q, &e))
        return false;
    m->topic = KILN_STR("");
    m->data = KILN_STR("");
    m->lost = e.lost;
    if (!e.p || e.p->msg->kind == PUBSUB_GAP) {
        m->kind = KILN_PUB_GAP;
        if (e.p)
            pubsub_post_drop(e.p);
        return true;
    }
    s->cur = e.p; /* its hold is ours until the next take */
    m->kind = KILN_PUB_MESSAGE;
    m->topic = e.p->msg->topic;
    m->data = e.p->msg->data;
    return true;
}

/* A topic left the worker's table: the backend may unsubscribe. */
static void topic_gone(void *arg, const char *topic)
{
    (void)arg;
    pubsub_topic_wanted(topic, false);
}

/* Ends c's subscription (kiln_defer: when the handler returned, or when
   its request is released after its coroutine was lost). */
static void sub_close(void *arg, int rc)
{
    (void)rc;
    pubsub_sub *s = arg;
    if (s->waiting) { /* its coroutine was discarded while it waited */
        worker_park_cancel(&s->wait);
        s->waiting = false;
    }
    if (s->cur) {
        pubsub_post_drop(s->cur);
        s->cur = NULL;
    }
    if (s->pw) { /* not orphaned by its worker's exit */
        pubsub_table_sub_remove(&s->pw->table, s, topic_gone, NULL);
        pubsub_worker_sync(s->pw);
    }
    s->x->sub = NULL;
}

int kiln_subscribe(kiln_ctx *c, const char *topic)
{
    size_t n = topic ? strlen(topic) : 0;
    if (!pubsub_topic_ok(topic, n))
        return KILN_EINVAL;
    pubsub_worker *pw = pubsub_worker_current();
    if (!c || !pw || c->w != pw->w)
        return KILN_ESTATE;
    pubsub_sub *s = c->sub;
    if (!s) {
        s = kiln_arena_calloc(&c->arena, sizeof *s);
        if (!s || kiln_defer(c, sub_close, s) != 0)
            return KILN_ENOMEM;
        s->x = c;
        s->pw = pw;
        pubsub_table_sub_add(&pw->table, s, pw->queue_max);
        c->sub = s;
    }
    if (!s->pw)
        return KILN_ESTATE; /* its worker is stopping */
    int rc = pubsub_table_join(&pw->table, s, topic, n);
    if (rc == 1)
        pubsub_topic_wanted(topic, true);
    pubsub_worker_sync(pw);
    return rc < 0 ? rc : 0;
}

int kiln_unsubscribe(kiln_ctx *c, const char *topic)
{
    size_t n = topic ? strlen(topic) : 0;
    if (!pubsub_topic_ok(topic, n))
        return KILN_EINVAL;
    pubsub_sub *s = c ? c->sub : NULL;
    if (!s || !s->pw)
        return KILN_ENOTFOUND;
    int rc = pubsub_table_leave(&s->pw->table, s, topic, n);
    if (rc == 1)
        pubsub_topic_wanted(topic, false);
    pubsub_worker_sync(s->pw);
    return rc < 0 ? rc : 0;
}

/* A publication arrived while the queue was empty: resume the handler if
   it waits in kiln_pub_recv. From the loop. */
static void sub_wake(void *arg)
{
    pubsub_sub *s = arg;
    if (s->waiting && !coro_current())
        worker_unpark(&s->wait, 0);
}

int kiln_pub_recv(kiln_ctx *c, kiln_pub_msg *m, int64_t timeout_ms)
{
    pubsub_sub *s = c ? c->sub : NULL;
    if (!s || s->waiting)
        return KILN_ESTATE;
    int64_t deadline = timeout_ms >= 0 ? kiln_now_ms() + timeout_ms : -1;
    for (;;) {
        if (pubsub_sub_take(s, m))
            return 0;
        if (s->canceled || (s->pw && s->pw->canceled))
            return KILN_ECANCELED;
        int64_t left = -1;
        if (deadline >= 0 && (left = deadline - kiln_now_ms()) <= 0)
            return KILN_ETIMEDOUT;
        pubsub_sub_set_notify(s, sub_wake, s);
        s->waiting = true;
        /* the waiter is in the arena: the stack may hibernate */
        int rc = worker_park_idle(&s->wait, left);
        s->waiting = false;
        if (rc == KILN_ETIMEDOUT)
            return pubsub_sub_take(s, m) ? 0 : KILN_ETIMEDOUT;
        if (rc < 0)
            return rc;
    }
}

uint64_t kiln_sub_dropped(kiln_ctx *c)
{
    return c && c->sub ? c->sub->dropped : 0;
}
