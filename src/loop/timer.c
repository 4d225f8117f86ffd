/*
 * loop/timer.c - timer heap and fixed-duration timer lists (see timer.h).
 */
#include "loop/timer.h"

#include <kiln/core.h>

#include <assert.h>
#include <stdlib.h>

void timer_heap_init(timer_heap *h)
{
    h->items = NULL;
    h->n = h->cap = 0;
}

void timer_heap_deinit(timer_heap *h)
{
    free(h->items);
    timer_heap_init(h);
}

static void heap_set(timer_heap *h, size_t i, timer *t)
{
    h->items[i] = t;
    t->index = i + 1;
}

static void heap_up(timer_heap *h, size_t i)
{
    timer *t = h->items[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (h->items[parent]->deadline <= t->deadline)
            break;
        heap_set(h, i, h->items[parent]);
        i = parent;
    }
    heap_set(h, i, t);
}

static void heap_down(timer_heap *h, size_t i)
{
    timer *t = h->items[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->items[c + 1]->deadline < h->items[c]->deadline)
            c++;
        if (t->deadline <= h->items[c]->deadline)
            break;
        heap_set(h, i, h->items[c]);
        i = c;
    }
    heap_set(h, i, t);
}

int timer_heap_add(timer_heap *h, timer *t, int64_t deadline)
{
    assert(t->index == 0);
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        timer **items = realloc(h->items, cap * sizeof(*items));
        if (!items)
            return KILN_ENOMEM;
        h->items = items;
        h->cap = cap;
    }
    t->deadline = deadline;
    heap_set(h, h->n++, t);
    heap_up(h, h->n - 1);
    return 0;
}

void timer_heap_del(timer_heap *h, timer *t)
{
    if (t->index == 0)
        return;
    size_t i = t->index - 1;
    assert(i < h->n && h->items[i] == t);
    t->index = 0;
    h->n--;
    if (i == h->n)
        return;
    heap_set(h, i, h->items[h->n]);
    heap_down(h, i);
    heap_up(h, h->items[i]->index - 1);
}

timer *timer_heap_top(const timer_heap *h)
{
    return h->n ? h->items[0] : NULL;
}

void timer_list_init(timer_list *l, int64_t duration_ms)
{
    l->head = l->tail = NULL;
    l->duration_ms = duration_ms;
}

void timer_list_disarm(timer *t)
{
    timer_list *l = t->list;
    if (!l)
        return;
    if (t->prev)
        t->prev->next = t->next;
    else
        l->head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    else
        l->tail = t->prev;
    t->prev = t->next = NULL;
    t->list = NULL;
}

void timer_list_arm(timer_list *l, timer *t, int64_t now)
{
    timer_list_disarm(t);
    t->deadline = now + l->duration_ms;
    t->list = l;
    t->prev = l->tail;
    t->next = NULL;
    if (l->tail)
        l->tail->next = t;
    else
        l->head = t;
    l->tail = t;
}

int timer_next_ms(const timer_heap *h, timer_list *const *lists, int nlists,
                  int64_t now, int cap_ms)
{
    int64_t best = -1;
    timer *top = timer_heap_top(h);
    if (top)
        best = top->deadline;
    for (int i = 0; i < nlists; i++)
        if (lists[i]->head && (best < 0 || lists[i]->head->deadline < best))
            best = lists[i]->head->deadline;
    if (best < 0)
        return cap_ms;
    int64_t d = best - now;
    if (d < 0)
        d = 0;
    if (cap_ms >= 0 && d > cap_ms)
        d = cap_ms;
    return d > INT32_MAX ? INT32_MAX : (int)d;
}
