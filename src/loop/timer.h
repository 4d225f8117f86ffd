/*
 * loop/timer.h - the two kinds of timers a worker keeps.
 *
 * timer_heap: a binary min-heap of arbitrary deadlines (kiln_sleep_ms, waits
 * with a timeout). Each timer remembers its index, so removal is O(log n).
 *
 * timer_list: a FIFO of timers that all share one duration (the header,
 * body and idle timeouts). Appending at the tail keeps it sorted by
 * deadline, so arming, disarming and moving are O(1) and only the head is
 * ever looked at - thousands of idle connections cost nothing per tick.
 *
 * Both are owned by one worker thread; timers are embedded in their owner.
 */
#ifndef KILN_TIMER_H
#define KILN_TIMER_H

#include <stddef.h>
#include <stdint.h>

/** A timer in a heap or a list; embed it in its owner. Fields private. */
typedef struct timer {
    int64_t deadline;          /* monotonic ms */
    size_t index;              /* heap slot + 1; 0 when not in a heap */
    struct timer *prev, *next; /* list links (NULL when not listed) */
    struct timer_list *list;   /* the list it is on, or NULL */
} timer;

/** A growable min-heap of timer pointers. */
typedef struct timer_heap {
    timer **items;
    size_t n, cap;
} timer_heap;

/** A FIFO of timers with one shared duration. */
typedef struct timer_list {
    timer *head, *tail;
    int64_t duration_ms;
} timer_list;

/** Initialises an empty heap. */
void timer_heap_init(timer_heap *h);
/** Frees the heap's array (timers are owned by others). */
void timer_heap_deinit(timer_heap *h);
/** Adds t with the given deadline. Returns 0 or KILN_ENOMEM. */
int timer_heap_add(timer_heap *h, timer *t, int64_t deadline);
/** Removes t if it is in the heap. */
void timer_heap_del(timer_heap *h, timer *t);
/** The earliest timer, or NULL. */
timer *timer_heap_top(const timer_heap *h);

/** Initialises an empty list whose timers last duration_ms. */
void timer_list_init(timer_list *l, int64_t duration_ms);
/** (Re)arms t on l with deadline now + duration (moves it if listed). */
void timer_list_arm(timer_list *l, timer *t, int64_t now);
/** Removes t from whatever list it is on (no-op if none). */
void timer_list_disarm(timer *t);

/**
 * Milliseconds until the earliest deadline among the heap and lists (>= 0),
 * or -1 when nothing is armed; capped at cap_ms when cap_ms >= 0.
 */
int timer_next_ms(const timer_heap *h, timer_list *const *lists, int nlists,
                  int64_t now, int cap_ms);

#endif
