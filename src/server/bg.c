/*
 * server/bg.c - background coroutines: work that runs on a worker like a
 * request handler but belongs to no connection (a task, a service; see
 * src/tasks/). Each has a kiln_ctx of its own from the worker's pool, so
 * the calls a handler makes work unchanged: kiln_db (its lease is given
 * back when the body returns), kiln_alloc, kiln_defer, kiln_sleep_ms,
 * kiln_wait_fd. The response calls find it already "responded" and
 * return KILN_ESTATE.
 *
 * Life of one (bg_job):
 *   bg_spawn      context and coroutine made, queued on w->bg_ready
 *   bg_start_ready  the loop starts it at the end of the turn (so a
 *                 coroutine may spawn others: a coroutine is only ever
 *                 resumed from the loop)
 *   running       waits yield as a handler's do; bg_cancel makes the
 *                 current wait and every later one fail with KILN_ECANCELED
 *   bg_resumed    it returned or crashed: defers run (in the coroutine, or
 *                 with KILN_ECANCELED after a crash), the context goes
 *                 back to the pool, then done(arg, rc, crashed)
 *   bg_abort_all  the drain ran out of time: discarded where it stands
 */
#include "server/worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One background coroutine. malloc'd; freed after its done callback. */
typedef struct bg_job {
    bg_fn fn;
    bg_done_fn done;
    void *arg;
    kiln_ctx *x;
    int rc;
    struct bg_job *next, *prev; /* w->bg_ready (next only) or w->bg_live */
} bg_job;

/* The coroutine's body. */
static void bg_main(void *arg)
{
    bg_job *j = arg;
    kiln_ctx *x = j->x;
    j->rc = j->fn(x, j->arg);
    /* a cancelled body may not wait any more: its defers must not try */
    ctx_run_defers(x, x->cancelled ? KILN_ECANCELED : j->rc);
}

int bg_spawn(worker *w, bg_fn fn, bg_done_fn done, void *arg, const char *label,
             kiln_ctx **out)
{
    bg_job *j = calloc(1, sizeof *j);
    kiln_ctx *x = j ? ctx_acquire(w, NULL) : NULL;
    if (!x) {
        free(j);
        return KILN_ENOMEM;
    }
    coro *co = coro_new(&w->coros, bg_main, j);
    if (!co) {
        ctx_release(x);
        free(j);
        return KILN_ENOMEM;
    }
    coro_set_data(co, x);
    j->fn = fn;
    j->done = done;
    j->arg = arg;
    j->x = x;
    x->co = co;
    x->bg = j;
    x->responded = true; /* no response: kiln_respond & co. refuse */
    x->start_ms = w->now_ms;
    snprintf(x->id_str, sizeof x->id_str, "%s", label ? label : "bg");
    if (w->bg_ready_tail)
        w->bg_ready_tail->next = j;
    else
        w->bg_ready = j;
    w->bg_ready_tail = j;
    w->nbg++;
    if (out)
        *out = x;
    return 0;
}

static void live_link(worker *w, bg_job *j)
{
    j->prev = NULL;
    j->next = w->bg_live;
    if (w->bg_live)
        w->bg_live->prev = j;
    w->bg_live = j;
}

static void live_unlink(worker *w, bg_job *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else
        w->bg_live = j->next;
    if (j->next)
        j->next->prev = j->prev;
    j->next = j->prev = NULL;
}

/* Ends j: its context back to the pool, then its done callback. */
static void finish(worker *w, bg_job *j, int rc, bool crashed)
{
    kiln_ctx *x = j->x;
    live_unlink(w, j);
    w->nbg--;
    x->bg = NULL;
    ctx_release(x); /* defers not run yet (a crash) run with ECANCELED */
    j->done(j->arg, rc, crashed);
    free(j);
}

void bg_resumed(kiln_ctx *x, int st)
{
    worker *w = x->w;
    bg_job *j = x->bg;
    bool crashed = st == CORO_CRASHED;
    if (crashed)
        kiln_log(KILN_LOG_ERROR,
                 "%s: stack overflow (caught by the guard page); the "
                 "coroutine is gone",
                 kiln_request_id(x));
    coro_free(&w->coros, x->co);
    x->co = NULL;
    finish(w, j, crashed ? KILN_ECANCELED : j->rc, crashed);
}

void bg_start_ready(worker *w)
{
    while (w->bg_ready) {
        bg_job *j = w->bg_ready;
        w->bg_ready = j->next;
        if (!w->bg_ready)
            w->bg_ready_tail = NULL;
        live_link(w, j);
        kiln_ctx *x = j->x;
        ctx_capture_log(x, true);
        int st = coro_resume(x->co);
        ctx_capture_log(x, false);
        if (st != CORO_SUSPENDED)
            bg_resumed(x, st);
    }
}

void *bg_arg(const kiln_ctx *x)
{
    return x->bg ? x->bg->arg : NULL;
}

void bg_recycle(kiln_ctx *x)
{
    ctx_run_defers(x, x->cancelled ? KILN_ECANCELED : 0);
    kiln_arena_reset(&x->arena);
}

void bg_cancel(kiln_ctx *x)
{
    if (!x->bg || x->cancelled)
        return;
    x->cancelled = true;
    bg_job *j = x->bg;
    /* not started yet: it will find every wait refused */
    for (bg_job *r = x->w->bg_ready; r; r = r->next)
        if (r == j)
            return;
    worker_cancel_wait(x->w, x->co);
}

void bg_abort_all(worker *w)
{
    for (;;) {
        /* never started: they go without running (a done callback may
           have spawned more) */
        while (w->bg_ready) {
            bg_job *j = w->bg_ready;
            w->bg_ready = j->next;
            live_link(w, j);
        }
        w->bg_ready_tail = NULL;
        if (!w->bg_live)
            break;
        bg_job *j = w->bg_live;
        kiln_ctx *x = j->x;
        kiln_log(KILN_LOG_WARN, "%s: stopped by the end of the drain time",
                 kiln_request_id(x));
        coro_discard(&w->coros, x->co);
        x->co = NULL;
        finish(w, j, KILN_ECANCELED, false);
    }
}
