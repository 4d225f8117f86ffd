/*
 * tasks/service.c - services: coroutines that run as long as the app,
 * started on the worker thread their definition names (worker modulo the
 * number of workers), restarted with backoff when they fail, cancelled on
 * shutdown.
 *
 * A service's coroutine runs its body in a loop: a body that returns a
 * negative code runs again after the backoff (restart_min_ms doubling up
 * to restart_max_ms; a run that lasted longer than restart_max_ms starts
 * the backoff over), one that returns 0 is finished for good. Between runs
 * its context is recycled (database lease back, arena emptied). A crash
 * (stack overflow) loses the coroutine: a new one is spawned that waits
 * the backoff first. On shutdown every service is cancelled (its waits
 * fail with KILN_ECANCELED) and none is started again.
 */
#include "tasks/tasks_impl.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct service_run {
    tasks_kind kind; /* TASKS_SERVICE */
    struct service_set *set;
    const service_type *type;
    kiln_ctx *x;     /* while its coroutine lives */
    int64_t backoff; /* the next restart's delay */
    int64_t delay;   /* wait this long before the first run (after a crash) */
    int64_t started; /* kiln_now_ms of the current run */
} service_run;

struct service_set {
    worker *w;
    bool stopping;
    size_t n;
    service_run runs[]; /* n */
};

static service_run *service_of(kiln_ctx *c)
{
    tasks_kind *k = c ? bg_arg(c) : NULL;
    return k && *k == TASKS_SERVICE ? (service_run *)k : NULL;
}

int kiln_service_recycle(kiln_ctx *c)
{
    if (!service_of(c))
        return KILN_ESTATE;
    bg_recycle(c);
    return 0;
}

/* The next restart's delay after a run that started at `started`. */
static int64_t next_backoff(service_run *sr)
{
    const kiln_service_def *d = &sr->type->def;
    if (kiln_now_ms() - sr->started > d->restart_max_ms)
        sr->backoff = d->restart_min_ms; /* it ran well for a while */
    int64_t b = sr->backoff;
    sr->backoff = b * 2 > d->restart_max_ms ? d->restart_max_ms : b * 2;
    return b;
}

static int service_main(kiln_ctx *x, void *arg)
{
    service_run *sr = arg;
    const char *name = sr->type->name;
    if (sr->delay && kiln_sleep_ms(sr->delay) != 0)
        return KILN_ECANCELED;
    sr->delay = 0;
    for (;;) {
        sr->started = kiln_now_ms();
        int rc = sr->type->fn(x);
        bg_recycle(x);
        if (sr->set->stopping || kiln_cancelled(x)) {
            kiln_log(KILN_LOG_INFO, "service %s: stopped", name);
            return rc;
        }
        if (rc >= 0) {
            kiln_log(KILN_LOG_INFO, "service %s: finished", name);
            return rc;
        }
        int64_t b = next_backoff(sr);
        kiln_log(KILN_LOG_WARN,
                 "service %s: failed (%s); starting again in "
                 "%lld ms",
                 name, kiln_strerror(rc), (long long)b);
        if (kiln_sleep_ms(b) != 0)
            return KILN_ECANCELED; /* stopped while waiting */
    }
}

static void spawn(service_run *sr);

static void service_done(void *arg, int rc, bool crashed)
{
    (void)rc;
    service_run *sr = arg;
    sr->x = NULL;
    if (!crashed || sr->set->stopping || sr->set->w->draining)
        return;
    sr->delay = next_backoff(sr);
    kiln_log(KILN_LOG_WARN, "service %s: crashed; starting again in %lld ms",
             sr->type->name, (long long)sr->delay);
    spawn(sr);
}

static void spawn(service_run *sr)
{
    char label[48];
    snprintf(label, sizeof label, "service-%.30s", sr->type->name);
    if (bg_spawn(sr->set->w, service_main, service_done, sr, label, &sr->x) !=
        0)
        kiln_log(KILN_LOG_ERROR, "service %s: cannot start (out of memory)",
                 sr->type->name);
}

service_set *service_start(const tasks_app *ta, worker *w)
{
    size_t n = 0;
    for (size_t i = 0; i < ta->nsvcs; i++)
        if (ta->svcs[i].def.worker % ta->nthreads == w->id)
            n++;
    if (!n)
        return NULL;
    service_set *s = calloc(1, sizeof *s + n * sizeof(service_run));
    if (!s) {
        kiln_log(KILN_LOG_ERROR, "services: out of memory on worker %d", w->id);
        return NULL;
    }
    s->w = w;
    for (size_t i = 0; i < ta->nsvcs; i++) {
        const service_type *t = &ta->svcs[i];
        if (t->def.worker % ta->nthreads != w->id)
            continue;
        service_run *sr = &s->runs[s->n++];
        sr->kind = TASKS_SERVICE;
        sr->set = s;
        sr->type = t;
        sr->backoff = t->def.restart_min_ms;
        kiln_log(KILN_LOG_INFO, "service %s: started on worker %d", t->name,
                 w->id);
        spawn(sr);
    }
    return s;
}

void service_stop(service_set *s)
{
    s->stopping = true;
    for (size_t i = 0; i < s->n; i++)
        if (s->runs[i].x)
            bg_cancel(s->runs[i].x);
}

void service_free(service_set *s)
{
    free(s);
}
