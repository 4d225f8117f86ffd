/*
 * pubsub/queue.c - publications (pubsub_msg and its posts) and the
 * subscriber's bounded queue (pubsub/pubsub.h).
 *
 * Ownership. A message belongs to its references: the publisher holds
 * one while it posts, each post one until the worker it went to is done
 * with it (pubsub_post_drop of its last hold). A post's holds are the
 * queues that point at it, the handler that took it last (its views),
 * and the delivery while it runs: all on the post's worker, so plain
 * integers. A queue's heap ring is the queue's.
 */
#include "pubsub/pubsub.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

pubsub_msg *pubsub_msg_new(int kind, kiln_str topic, kiln_str data,
                           uint32_t nposts)
{
    size_t head = sizeof(pubsub_msg) + (size_t)nposts * sizeof(pubsub_post);
    if (topic.n > KILN_TOPIC_MAX || data.n > SIZE_MAX - head - topic.n - 2)
        return NULL;
    pubsub_msg *m = malloc(head + topic.n + 1 + data.n + 1);
    if (!m)
        return NULL;
    memset(m, 0, head);
    m->refs = 1;
    m->kind = (uint8_t)kind;
    m->nposts = nposts;
    char *t = (char *)m + head, *d = t + topic.n + 1;
    if (topic.n)
        memcpy(t, topic.p, topic.n);
    t[topic.n] = '\0';
    if (data.n)
        memcpy(d, data.p, data.n);
    d[data.n] = '\0';
    m->topic = (kiln_str){t, topic.n};
    m->data = (kiln_str){d, data.n};
    for (uint32_t i = 0; i < nposts; i++)
        m->posts[i].msg = m;
    return m;
}

void pubsub_msg_ref(pubsub_msg *m)
{
    __atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
}

void pubsub_msg_release(pubsub_msg *m)
{
    if (__atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) == 0)
        free(m);
}

void pubsub_post_drop(pubsub_post *p)
{
    assert(p->holds > 0);
    if (--p->holds == 0)
        pubsub_msg_release(p->msg);
}

/* ---- the queue ----------------------------------------------------------- */

void pubsub_queue_init(pubsub_queue *q, uint32_t max)
{
    memset(q, 0, sizeof *q);
    q->v = q->inl;
    q->cap = PUBSUB_QUEUE_INLINE;
    q->max = max ? max : 1;
}

/* Doubles the ring (up to max), keeping the entries in order. */
static int queue_grow(pubsub_queue *q)
{
    uint32_t cap = q->cap * 2;
    if (cap > q->max)
        cap = q->max;
    pubsub_entry *v = malloc((size_t)cap * sizeof *v);
    if (!v)
        return KILN_ENOMEM;
    for (uint32_t i = 0; i < q->n; i++)
        v[i] = q->v[(q->head + i) % q->cap];
    if (q->v != q->inl)
        free(q->v);
    q->v = v;
    q->cap = cap;
    q->head = 0;
    return 0;
}

int pubsub_queue_push(pubsub_queue *q, pubsub_post *p)
{
    if (q->n == q->max || (q->n == q->cap && queue_grow(q) != 0)) {
        q->lost++;
        return 0;
    }
    pubsub_entry *e = &q->v[(q->head + q->n) % q->cap];
    e->p = p;
    e->lost = q->lost;
    q->lost = 0;
    q->n++;
    p->holds++;
    return 1;
}

bool pubsub_queue_ready(const pubsub_queue *q)
{
    return q->n > 0 || q->lost > 0;
}

/* Back to the inline slots once empty: an idle subscriber holds no heap. */
static void queue_shrink(pubsub_queue *q)
{
    if (q->n == 0 && q->v != q->inl) {
        free(q->v);
        q->v = q->inl;
        q->cap = PUBSUB_QUEUE_INLINE;
        q->head = 0;
    }
}

bool pubsub_queue_take(pubsub_queue *q, pubsub_entry *e)
{
    if (q->n == 0) {
        if (q->lost == 0)
            return false;
        e->p = NULL; /* the tail's gap: lost after the last one queued */
        e->lost = q->lost;
        q->lost = 0;
        return true;
    }
    pubsub_entry *h = &q->v[q->head];
    if (h->lost) { /* lost before this one: the gap comes first */
        e->p = NULL;
        e->lost = h->lost;
        h->lost = 0;
        return true;
    }
    *e = *h;
    q->head = (q->head + 1) % q->cap;
    q->n--;
    queue_shrink(q);
    return true;
}

void pubsub_queue_clear(pubsub_queue *q)
{
    while (q->n) {
        pubsub_post_drop(q->v[q->head].p);
        q->head = (q->head + 1) % q->cap;
        q->n--;
    }
    q->lost = 0;
    queue_shrink(q);
    q->head = 0;
}
