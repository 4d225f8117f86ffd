/*
 * pubsub/table.c - a worker's subscriptions (pubsub/pubsub.h): a hash
 * table of topics, each with the list of its subscribers, and the
 * delivery that appends a post to each of their queues.
 *
 * Only the worker's thread touches a table, so nothing here locks. A
 * topic is made by its first subscriber and freed with its last; a
 * subscriber's links (one per topic) are the table's, allocated here
 * and freed when it leaves the topic.
 */
#include "pubsub/pubsub.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a: topics are short, and an attacker choosing them only lengthens
   one worker's chains of its own subscriptions. */
static uint32_t topic_hash(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 16777619u;
    }
    return h;
}

void pubsub_table_init(pubsub_table *t)
{
    memset(t, 0, sizeof *t);
}

void pubsub_table_deinit(pubsub_table *t)
{
    for (uint32_t i = 0; i < t->nbuckets; i++) {
        pubsub_topic *tp = t->buckets[i];
        while (tp) {
            pubsub_topic *next = tp->hnext;
            while (tp->links) {
                pubsub_link *l = tp->links;
                tp->links = l->next;
                free(l);
            }
            free(tp);
            tp = next;
        }
    }
    free(t->buckets);
    memset(t, 0, sizeof *t);
}

static pubsub_topic *find(const pubsub_table *t, const char *name, size_t n,
                          uint32_t h)
{
    if (!t->nbuckets)
        return NULL;
    for (pubsub_topic *tp = t->buckets[h & (t->nbuckets - 1)]; tp;
         tp = tp->hnext)
        if (tp->hash == h && tp->len == n && memcmp(tp->name, name, n) == 0)
            return tp;
    return NULL;
}

/* Doubles the buckets (16 at first). */
static int grow(pubsub_table *t)
{
    uint32_t nb = t->nbuckets ? t->nbuckets * 2 : 16;
    pubsub_topic **b = calloc(nb, sizeof *b);
    if (!b)
        return KILN_ENOMEM;
    for (uint32_t i = 0; i < t->nbuckets; i++) {
        pubsub_topic *tp = t->buckets[i];
        while (tp) {
            pubsub_topic *next = tp->hnext;
            tp->hnext = b[tp->hash & (nb - 1)];
            b[tp->hash & (nb - 1)] = tp;
            tp = next;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = nb;
    return 0;
}

/* Unlinks tp from its chain and frees it (it has no subscriber left). */
static void topic_free(pubsub_table *t, pubsub_topic *tp)
{
    pubsub_topic **pp = &t->buckets[tp->hash & (t->nbuckets - 1)];
    while (*pp != tp)
        pp = &(*pp)->hnext;
    *pp = tp->hnext;
    t->ntopics--;
    free(tp);
}

void pubsub_table_sub_add(pubsub_table *t, pubsub_sub *s, uint32_t max)
{
    pubsub_queue_init(&s->q, max);
    s->prev = NULL;
    s->next = t->subs;
    if (t->subs)
        t->subs->prev = s;
    t->subs = s;
    t->nsubs++;
}

/* Takes s off the ready list, if it is on it. */
static void ready_unlink(pubsub_table *t, pubsub_sub *s)
{
    if (!s->ready)
        return;
    if (s->rprev)
        s->rprev->rnext = s->rnext;
    else
        t->ready = s->rnext;
    if (s->rnext)
        s->rnext->rprev = s->rprev;
    s->rprev = s->rnext = NULL;
    s->ready = false;
}

/* Removes link l (of s, in topic tp); frees tp when it was the last.
   Returns 1 when tp went. */
static int unlink_one(pubsub_table *t, pubsub_link *l)
{
    pubsub_topic *tp = l->t;
    if (l->prev)
        l->prev->next = l->next;
    else
        tp->links = l->next;
    if (l->next)
        l->next->prev = l->prev;
    tp->nlinks--;
    t->nlinks--;
    l->sub->ntopics--;
    free(l);
    if (tp->nlinks)
        return 0;
    return 1;
}

void pubsub_table_sub_remove(pubsub_table *t, pubsub_sub *s,
                             void (*gone)(void *arg, const char *topic),
                             void *arg)
{
    while (s->links) {
        pubsub_link *l = s->links;
        s->links = l->snext;
        pubsub_topic *tp = l->t;
        if (unlink_one(t, l)) {
            if (gone)
                gone(arg, tp->name);
            topic_free(t, tp);
        }
    }
    ready_unlink(t, s);
    if (s->prev)
        s->prev->next = s->next;
    else if (t->subs == s)
        t->subs = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
    t->nsubs--;
    pubsub_queue_clear(&s->q);
}

int pubsub_table_join(pubsub_table *t, pubsub_sub *s, const char *topic,
                      size_t n)
{
    uint32_t h = topic_hash(topic, n);
    pubsub_topic *tp = find(t, topic, n, h);
    if (tp)
        for (pubsub_link *l = s->links; l; l = l->snext)
            if (l->t == tp)
                return 0; /* already */
    pubsub_link *l = malloc(sizeof *l);
    if (!l)
        return KILN_ENOMEM;
    int fresh = 0;
    if (!tp) {
        if (t->ntopics >= t->nbuckets && grow(t) != 0) {
            free(l);
            return KILN_ENOMEM;
        }
        tp = malloc(sizeof *tp + n + 1);
        if (!tp) {
            free(l);
            return KILN_ENOMEM;
        }
        memset(tp, 0, sizeof *tp);
        tp->hash = h;
        tp->len = (uint32_t)n;
        memcpy(tp->name, topic, n);
        tp->name[n] = '\0';
        tp->hnext = t->buckets[h & (t->nbuckets - 1)];
        t->buckets[h & (t->nbuckets - 1)] = tp;
        t->ntopics++;
        fresh = 1;
    }
    l->t = tp;
    l->sub = s;
    l->prev = NULL;
    l->next = tp->links;
    if (tp->links)
        tp->links->prev = l;
    tp->links = l;
    tp->nlinks++;
    l->snext = s->links;
    s->links = l;
    s->ntopics++;
    t->nlinks++;
    return fresh;
}

int pubsub_table_leave(pubsub_table *t, pubsub_sub *s, const char *topic,
                       size_t n)
{
    pubsub_topic *tp = find(t, topic, n, topic_hash(topic, n));
    if (!tp)
        return KILN_ENOTFOUND;
    for (pubsub_link **pp = &s->links; *pp; pp = &(*pp)->snext) {
        pubsub_link *l = *pp;
        if (l->t != tp)
            continue;
        *pp = l->snext;
        if (!unlink_one(t, l))
            return 0;
        topic_free(t, tp);
        return 1;
    }
    return KILN_ENOTFOUND;
}

bool pubsub_table_has(const pubsub_table *t, kiln_str topic)
{
    return find(t, topic.p, topic.n, topic_hash(topic.p, topic.n)) != NULL;
}

/* Queues p for s; a subscriber that had nothing to take goes on the
   ready list. */
static bool deliver_one(pubsub_table *t, pubsub_sub *s, pubsub_post *p)
{
    bool idle = !pubsub_queue_ready(&s->q);
    bool queued = pubsub_queue_push(&s->q, p) == 1;
    if (queued) {
        t->delivered++;
    } else {
        t->dropped++;
        s->dropped++;
    }
    if (idle && !s->ready) {
        s->ready = true;
        s->rprev = NULL;
        s->rnext = t->ready;
        if (t->ready)
            t->ready->rprev = s;
        t->ready = s;
    }
    return queued;
}

uint64_t pubsub_table_deliver(pubsub_table *t, pubsub_post *p)
{
    uint64_t n = 0;
    if (p->msg->kind == PUBSUB_GAP) {
        for (pubsub_sub *s = t->subs; s; s = s->next)
            n += deliver_one(t, s, p);
        return n;
    }
    kiln_str topic = p->msg->topic;
    pubsub_topic *tp = find(t, topic.p, topic.n, topic_hash(topic.p, topic.n));
    if (!tp)
        return 0;
    for (pubsub_link *l = tp->links; l; l = l->next)
        n += deliver_one(t, l->sub, p);
    return n;
}

pubsub_sub *pubsub_table_next_ready(pubsub_table *t)
{
    pubsub_sub *s = t->ready;
    if (s)
        ready_unlink(t, s);
    return s;
}
