/*
 * tasks/runner.c - running tasks: one scheduler coroutine per worker
 * thread that runs tasks, each task in a coroutine of its own.
 *
 * A thread runs at most `slots` tasks at once (tasks.workers spread over
 * the threads). Its scheduler loops:
 *
 *   1. records the outcomes of the tasks that ended (done ones in the same
 *      round trip as the next claim; failures one by one, retried with
 *      backoff or kept as failed),
 *   2. claims as many ready tasks as it has free slots (store_claim) and
 *      spawns a coroutine for each (bg_spawn),
 *   3. renews the lease of every task it runs (one statement for all, each
 *      third of a lease), and on thread 0 also queues again the tasks whose
 *      worker died (store_reap), enqueues periodic tasks that are due and
 *      prunes old rows,
 *   4. waits until something happens: a task ends, a NOTIFY says a task
 *      was enqueued (PostgreSQL: a LISTEN connection per scheduler), a
 *      task reaches its timeout, or tasks.poll_ms passes (SQLite: the wait
 *      starts at 20 ms and doubles up to tasks.poll_ms while idle).
 *
 * Cancelling: a coroutine cannot be stopped from outside safely, so a
 * task past its timeout is cancelled cooperatively (bg_cancel): the wait
 * it is in, and every later one, fails with KILN_ECANCELED, and it unwinds
 * through its own error paths; its transaction is rolled back when it
 * returns. A second coroutine per thread, the watcher, does it: it never
 * touches the database, so a scheduler waiting on a lock (SQLite) does not
 * delay a timeout.
 *
 * Wake-ups (a task ended, a NOTIFY, the drain began) never resume the
 * scheduler from inside the caller: they make its wait due now
 * (worker_unpark_soon), so the worker resumes it later in the same loop
 * turn, and several tasks that end in one turn are recorded together.
 *
 * Shutdown: when the worker drains, the scheduler claims nothing more and
 * lets running tasks finish until a margin before the drain deadline;
 * then it cancels them, and what did not succeed is given back (queued
 * again, the attempt not counted). A task that does not even return then
 * is given back too and the scheduler ends; the end of the drain discards
 * its coroutine.
 */
#include "tasks/tasks_impl.h"

#include "db/listen.h"
#include "db/migrate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One task being run (or run and not yet recorded). malloc'd. */
typedef struct run_task {
    tasks_kind kind; /* TASKS_TASK: first, see task_of */
    struct tasks_worker *tw;
    struct run_task *next, *prev; /* tw->running, or tw->ended (next) */
    int64_t id;
    const task_type *type;
    char *payload; /* malloc'd */
    int attempt, max_attempts;
    int64_t timeout_ms; /* 0: none */
    int64_t deadline;   /* kiln_now_ms when it times out; 0: none */
    int64_t started;    /* kiln_now_ms */
    kiln_ctx *x;        /* while its coroutine lives */
    /* how it ended */
    int rc;
    bool crashed;
    bool timed_out;   /* cancelled by its timeout */
    bool released;    /* cancelled by the shutdown: give it back */
    bool abandoned;   /* given back while still running: ignore it */
    bool abort;       /* kiln_task_abort: no retry */
    int64_t retry_in; /* kiln_task_retry_in, else -1 */
    char *error;      /* malloc'd, or NULL */
} run_task;

/* The task machinery of one worker thread. malloc'd, made on the thread
   (tasks_worker_start), freed after the server stopped. */
typedef struct tasks_worker {
    tasks_kind kind; /* TASKS_SCHED */
    tasks_app *ta;
    worker *w;
    worker_hook hook;
    int slots;       /* tasks at once on this thread (0: no scheduler) */
    bool maintainer; /* thread 0: reaps, prunes, periodic tasks */
    char owner[128]; /* "host:pid/wN": the owner column of its tasks */
    kiln_ctx *x;     /* the scheduler's context while it lives */
    bool live;
    waiter *idle;       /* the scheduler's idle wait, while parked there */
    bool wake;          /* something happened since it last looked */
    bool watch_live;    /* the watcher coroutine runs */
    waiter *watch_idle; /* its wait, while parked */
    bool stopping;
    int64_t stop_at;   /* cancel and give back what still runs */
    int64_t margin;    /* stop_at is this long before the drain deadline */
    bool cancel_sent;  /* the tasks were cancelled for the shutdown */
    run_task *running; /* list */
    int nrunning;
    run_task *ended, *ended_tail; /* outcomes to record (FIFO) */
    db_listener *listener;
    int64_t listen_retry;
    int64_t idle_ms;    /* SQLite: the idle wait, doubling */
    int64_t next_renew; /* kiln_now_ms */
    int64_t next_reap, next_prune;
    int64_t db_wait;   /* backoff while the database fails */
    int64_t logged_at; /* rate limit of repeated warnings */
    periodic_state ps;
    bool ps_ready;
    uint64_t rand; /* xorshift state for the jitter */
    service_set *services;
} tasks_worker;

int64_t tasks_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static run_task *task_of(kiln_ctx *c)
{
    tasks_kind *k = c ? bg_arg(c) : NULL;
    return k && *k == TASKS_TASK ? (run_task *)k : NULL;
}

/* ---- waking the scheduler ------------------------------------------------ */

/* Something happened: the scheduler looks again (soon: never from inside
   this call). */
static void sched_wake(tasks_worker *tw)
{
    tw->wake = true;
    if (tw->idle)
        worker_unpark_soon(tw->idle);
}

/* The deadlines changed: the watcher looks again. */
static void watch_wake(tasks_worker *tw)
{
    if (tw->watch_idle)
        worker_unpark_soon(tw->watch_idle);
}

/* Waits up to ms, or until sched_wake. In the scheduler's coroutine. */
static void sched_idle(tasks_worker *tw, int64_t ms)
{
    if (tw->wake) {
        tw->wake = false;
        return;
    }
    waiter wt;
    tw->idle = &wt;
    worker_park(&wt, ms < 0 ? 0 : ms);
    tw->idle = NULL;
    tw->wake = false;
}

/* A NOTIFY: a task was enqueued (payload: its queue), or the connection
   was lost (NULL: the scheduler opens another). */
static void on_notify(void *arg, const char *payload)
{
    tasks_worker *tw = arg;
    const char *list = tw->ta->queues_list;
    if (payload && list[0]) {
        size_t n = strlen(payload);
        bool ours = false;
        for (const char *p = list; *p && !ours;) {
            size_t k = strcspn(p, ",");
            ours = k == n && memcmp(p, payload, n) == 0;
            p += k + (p[k] == ',');
        }
        if (!ours)
            return;
    }
    sched_wake(tw);
}

/* ---- tasks -----------------------------------------------------------------
 */

static void set_error(run_task *rt, const char *fmt, va_list ap)
{
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    free(rt->error);
    rt->error = strdup(buf);
}

int kiln_task_fail(kiln_ctx *c, const char *fmt, ...)
{
    run_task *rt = task_of(c);
    if (rt) {
        va_list ap;
        va_start(ap, fmt);
        set_error(rt, fmt, ap);
        va_end(ap);
    }
    return KILN_EIO;
}

int kiln_task_abort(kiln_ctx *c, const char *fmt, ...)
{
    run_task *rt = task_of(c);
    if (rt) {
        va_list ap;
        va_start(ap, fmt);
        set_error(rt, fmt, ap);
        va_end(ap);
        rt->abort = true;
    }
    return KILN_EINVAL;
}

int kiln_task_retry_in(kiln_ctx *c, int64_t ms, const char *fmt, ...)
{
    run_task *rt = task_of(c);
    if (rt) {
        va_list ap;
        va_start(ap, fmt);
        set_error(rt, fmt, ap);
        va_end(ap);
        rt->retry_in = ms < 0 ? 0 : ms;
    }
    return KILN_EIO;
}

int64_t kiln_task_id(kiln_ctx *c)
{
    run_task *rt = task_of(c);
    return rt ? rt->id : 0;
}

int kiln_task_attempt(kiln_ctx *c)
{
    run_task *rt = task_of(c);
    return rt ? rt->attempt : 0;
}

const char *kiln_task_name(kiln_ctx *c)
{
    run_task *rt = task_of(c);
    return rt ? rt->type->name : NULL;
}

bool kiln_cancelled(kiln_ctx *c)
{
    return c && c->cancelled;
}

/* The coroutine of one task: its payload parsed, then its body. */
static int task_main(kiln_ctx *x, void *arg)
{
    run_task *rt = arg;
    kiln_json *payload = NULL;
    kiln_json_error je;
    if (kiln_json_parse(kiln_ctx_arena(x), rt->payload, strlen(rt->payload), 0,
                        &payload, &je) != 0)
        return kiln_task_abort(x,
                               "the payload is not JSON (line %d, column "
                               "%d: %s)",
                               je.line, je.col, je.msg);
    return rt->type->fn(x, payload);
}

static void unlink_running(tasks_worker *tw, run_task *rt)
{
    if (rt->prev)
        rt->prev->next = rt->next;
    else
        tw->running = rt->next;
    if (rt->next)
        rt->next->prev = rt->prev;
    rt->next = rt->prev = NULL;
    tw->nrunning--;
}

static void task_free(run_task *rt)
{
    free(rt->payload);
    free(rt->error);
    free(rt);
}

/* Adds rt to the outcomes to record and wakes the scheduler. */
static void ended(tasks_worker *tw, run_task *rt)
{
    rt->next = NULL;
    if (tw->ended_tail)
        tw->ended_tail->next = rt;
    else
        tw->ended = rt;
    tw->ended_tail = rt;
    sched_wake(tw);
}

/* A task's coroutine ended (loop level). */
static void task_done(void *arg, int rc, bool crashed)
{
    run_task *rt = arg;
    tasks_worker *tw = rt->tw;
    rt->x = NULL;
    rt->rc = rc;
    rt->crashed = crashed;
    unlink_running(tw, rt);
    if (tw->stopping)
        watch_wake(tw); /* it ends once no task runs */
    if (!tw->live || rt->abandoned) {
        task_free(rt); /* nobody records it: given back already */
        return;
    }
    ended(tw, rt);
}

/* The timeout of a claimed row: its own, else its task's, else the
   setting's (0 or -1: none). */
static int64_t resolve_timeout(const tasks_app *ta, const task_type *t,
                               int64_t row)
{
    int64_t v = row                 ? row
                : t->def.timeout_ms ? t->def.timeout_ms
                                    : ta->opts.timeout_ms;
    return v > 0 ? v : 0;
}

/* Starts the task of a claimed row (or records why it cannot run). */
static void task_start(tasks_worker *tw, const store_row *r)
{
    tasks_app *ta = tw->ta;
    run_task *rt = calloc(1, sizeof *rt);
    if (!rt) {
        kiln_log(KILN_LOG_ERROR,
                 "tasks: out of memory; task %lld waits for "
                 "its lease to expire",
                 (long long)r->id);
        return;
    }
    rt->kind = TASKS_TASK;
    rt->tw = tw;
    rt->id = r->id;
    rt->type = tasks_find(ta, r->name);
    rt->attempt = r->attempts;
    rt->retry_in = -1;
    rt->payload = strdup(r->payload ? r->payload : "{}");
    /* linked first: it counts against the slots from now on */
    rt->next = tw->running;
    if (tw->running)
        tw->running->prev = rt;
    tw->running = rt;
    tw->nrunning++;
    if (!rt->type || !rt->payload) { /* a name we did not ask for: a bug */
        unlink_running(tw, rt);
        rt->rc = KILN_ENOMEM;
        rt->abort = !rt->type;
        rt->error = strdup(rt->type ? "out of memory" : "no such task here");
        ended(tw, rt);
        return;
    }
    rt->max_attempts = r->max_attempts              ? r->max_attempts
                       : rt->type->def.max_attempts ? rt->type->def.max_attempts
                                                    : ta->opts.max_attempts;
    if (rt->attempt > rt->max_attempts) {
        /* its earlier workers died on it: do not run it again */
        unlink_running(tw, rt);
        rt->rc = KILN_ECANCELED;
        rt->abort = true;
        char buf[600];
        snprintf(buf, sizeof buf, "out of attempts (%d): %s", rt->max_attempts,
                 r->last_error ? r->last_error : "");
        rt->error = strdup(buf);
        ended(tw, rt);
        return;
    }
    rt->timeout_ms = resolve_timeout(ta, rt->type, r->timeout_ms);
    rt->started = kiln_now_ms();
    if (rt->timeout_ms) {
        rt->deadline = rt->started + rt->timeout_ms;
        watch_wake(tw);
    }
    char label[40];
    snprintf(label, sizeof label, "task-%lld", (long long)rt->id);
    if (bg_spawn(tw->w, task_main, task_done, rt, label, &rt->x) != 0) {
        unlink_running(tw, rt);
        rt->rc = KILN_ENOMEM;
        rt->error = strdup("out of memory (no coroutine)");
        ended(tw, rt);
    }
}

/* ---- outcomes ------------------------------------------------------------ */

static uint64_t next_rand(tasks_worker *tw)
{
    uint64_t x = tw->rand;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    tw->rand = x;
    return x;
}

/* The wait before the attempt after number `attempt` failed: exponential
   from retry_min_ms, at most retry_max_ms, the upper half jittered. */
static int64_t backoff(tasks_worker *tw, int attempt)
{
    const kiln_tasks_opts *o = &tw->ta->opts;
    int64_t d = o->retry_min_ms;
    for (int i = 1; i < attempt && d < o->retry_max_ms; i++)
        d *= 2;
    if (d > o->retry_max_ms)
        d = o->retry_max_ms;
    if (d <= 1)
        return d;
    return d / 2 + (int64_t)(next_rand(tw) % (uint64_t)(d - d / 2 + 1));
}

/* Why rt failed, for last_error. */
static void why(const run_task *rt, char *out, size_t n)
{
    if (rt->timed_out)
        snprintf(out, n, "timed out after %lld ms (cancelled)%s%s",
                 (long long)rt->timeout_ms, rt->error ? ": " : "",
                 rt->error ? rt->error : "");
    else if (rt->crashed)
        snprintf(out, n, "crashed: stack overflow (caught by the guard page)");
    else if (rt->error)
        snprintf(out, n, "%s", rt->error);
    else
        snprintf(out, n, "returned %s", kiln_strerror(rt->rc));
}

/*
 * Records the failures and shutdown releases among the ended tasks; the
 * done ones are gathered into done[] for the claim's round trip. Returns
 * 0, or an error (what is left stays for the next round).
 */
static int record(tasks_worker *tw, kiln_dbc *db, int64_t *done, size_t *ndone,
                  size_t cap)
{
    *ndone = 0;
    run_task **pp = &tw->ended;
    run_task *last = NULL;
    while (*pp) {
        run_task *rt = *pp;
        int rc = 0;
        bool ok = rt->rc == 0 && !rt->crashed && !rt->abort;
        if (ok) {
            if (*ndone == cap) {
                last = rt;
                pp = &rt->next;
                continue;
            }
            done[(*ndone)++] = rt->id;
            kiln_log(KILN_LOG_DEBUG, "task-%lld %s: done in %lld ms",
                     (long long)rt->id, rt->type->name,
                     (long long)(kiln_now_ms() - rt->started));
            /* kept in the list until the claim succeeded */
            last = rt;
            pp = &rt->next;
            continue;
        }
        if (rt->released) {
            rc = store_release(db, tw->owner, &rt->id, 1);
            if (rc == 0)
                kiln_log(KILN_LOG_INFO,
                         "task-%lld %s: given back at shutdown (attempt %d "
                         "not counted)",
                         (long long)rt->id, rt->type->name, rt->attempt);
        } else {
            char msg[1100];
            why(rt, msg, sizeof msg);
            bool final = rt->abort || rt->attempt >= rt->max_attempts;
            int64_t retry = final               ? -1
                            : rt->retry_in >= 0 ? rt->retry_in
                                                : backoff(tw, rt->attempt);
            rc = store_fail(db, tw->owner, rt->id, msg, retry,
                            rt->max_attempts ? rt->max_attempts : 1);
            if (rc == 0 && final)
                kiln_log(KILN_LOG_ERROR,
                         "task-%lld %s: failed for good (attempt %d of %d): "
                         "%s",
                         (long long)rt->id, rt->type ? rt->type->name : "?",
                         rt->attempt, rt->max_attempts, msg);
            else if (rc == 0)
                kiln_log(KILN_LOG_WARN,
                         "task-%lld %s: attempt %d of %d failed: %s; next in "
                         "%lld ms",
                         (long long)rt->id, rt->type->name, rt->attempt,
                         rt->max_attempts, msg, (long long)retry);
        }
        if (rc != 0)
            return rc;
        *pp = rt->next;
        task_free(rt);
    }
    tw->ended_tail = last;
    return 0;
}

/* The claim recorded done[]: forget those tasks. */
static void forget_done(tasks_worker *tw, size_t ndone)
{
    run_task **pp = &tw->ended, *last = NULL;
    while (*pp && ndone) {
        run_task *rt = *pp;
        if (rt->rc == 0 && !rt->crashed && !rt->abort) {
            *pp = rt->next;
            task_free(rt);
            ndone--;
        } else {
            last = rt;
            pp = &rt->next;
        }
    }
    while (*pp) {
        last = *pp;
        pp = &(*pp)->next;
    }
    tw->ended_tail = last;
}

/* ---- the scheduler ------------------------------------------------------- */

static bool rate_ok(tasks_worker *tw, int64_t now, int64_t every)
{
    if (tw->logged_at && now - tw->logged_at < every)
        return false;
    tw->logged_at = now;
    return true;
}

/* Cancels the tasks past their timeout; returns the nearest deadline
   still ahead (INT64_MAX: none). */
static int64_t cancel_late(tasks_worker *tw, int64_t now)
{
    int64_t next = INT64_MAX;
    for (run_task *rt = tw->running; rt; rt = rt->next) {
        if (!rt->deadline || rt->timed_out)
            continue;
        if (now >= rt->deadline) {
            rt->timed_out = true;
            if (rt->x)
                bg_cancel(rt->x); /* its wait ends later in this turn */
        } else if (rt->deadline < next)
            next = rt->deadline;
    }
    return next;
}

/* Shutdown: every running task is cancelled, and given back unless it
   succeeds. */
static void cancel_all(tasks_worker *tw)
{
    tw->cancel_sent = true;
    for (run_task *rt = tw->running; rt; rt = rt->next) {
        rt->released = true;
        if (rt->x)
            bg_cancel(rt->x);
    }
    sched_wake(tw);
}

/* The watcher: cancels tasks at their timeout, and all of them at the
   shutdown's stop_at. */
static int watch_main(kiln_ctx *x, void *arg)
{
    (void)x;
    tasks_worker *tw = arg;
    for (;;) {
        int64_t now = kiln_now_ms();
        int64_t next = cancel_late(tw, now);
        if (tw->stopping) {
            if (!tw->cancel_sent && now >= tw->stop_at && tw->nrunning)
                cancel_all(tw);
            if (!tw->live || tw->nrunning == 0)
                break;
            if (!tw->cancel_sent && tw->stop_at < next)
                next = tw->stop_at;
        }
        int64_t wait = next == INT64_MAX ? -1 : next > now ? next - now : 0;
        waiter wt;
        tw->watch_idle = &wt;
        int r = worker_park(&wt, wait);
        tw->watch_idle = NULL;
        if (r == KILN_ECANCELED)
            break; /* the drain ran out */
    }
    return 0;
}

static void watch_done(void *arg, int rc, bool crashed)
{
    (void)rc;
    (void)crashed;
    tasks_worker *tw = arg;
    tw->watch_live = false;
    tw->watch_idle = NULL;
}

/* Shutdown: gives back the tasks that did not even return when cancelled,
   and stops recording them. */
static void abandon_running(tasks_worker *tw, kiln_dbc *db)
{
    int64_t ids[256];
    size_t n = 0;
    for (run_task *rt = tw->running; rt && n < 256; rt = rt->next) {
        rt->abandoned = true;
        ids[n++] = rt->id;
        kiln_log(KILN_LOG_WARN,
                 "task-%lld %s: still running at the end of the drain time; "
                 "given back",
                 (long long)rt->id, rt->type->name);
    }
    if (db && store_release(db, tw->owner, ids, n) != 0)
        kiln_log(KILN_LOG_WARN,
                 "tasks: could not give back %zu tasks (%s); their leases "
                 "will expire",
                 n, kiln_db_errmsg(db));
}

/* PostgreSQL: the LISTEN connection, (re)opened when missing. */
static void listen_up(tasks_worker *tw, int64_t now)
{
    kiln_db_pool *pool = db_default_pool();
    if (!tw->ta->pg || !pool || tw->stopping)
        return;
    if (tw->listener && db_listener_alive(tw->listener))
        return;
    if (now < tw->listen_retry)
        return;
    db_listener_close(tw->listener);
    tw->listener = NULL;
    char err[256];
    tw->listener =
        db_listen(pool, TASKS_CHANNEL, on_notify, tw, err, sizeof err);
    if (!tw->listener) {
        tw->listen_retry = now + 5000;
        kiln_log(KILN_LOG_WARN,
                 "tasks: LISTEN failed (%s); polling every "
                 "%lld ms",
                 err, (long long)tw->ta->opts.poll_ms);
    } else
        tw->wake = true; /* look once: what came before LISTEN */
}

/* Thread 0's chores: expired leases, periodic tasks, old rows. Returns the
   next time (kiln_now_ms) it wants to run. */
static int64_t maintain(tasks_worker *tw, kiln_dbc *db, int64_t now)
{
    tasks_app *ta = tw->ta;
    if (now >= tw->next_reap) {
        int64_t k = store_reap(db);
        if (k > 0)
            kiln_log(KILN_LOG_WARN,
                     "tasks: %lld task%s queued again: their worker stopped "
                     "renewing the lease",
                     (long long)k, k == 1 ? "" : "s");
        tw->next_reap =
            now + (ta->opts.lease_ms / 4 < 1000 ? ta->opts.lease_ms / 4 : 1000);
    }
    if (now >= tw->next_prune) {
        if (ta->opts.keep_done_hours > 0 || ta->nperiodic)
            store_prune(db, ta->opts.keep_done_hours);
        tw->next_prune = now + 60000;
    }
    int64_t next =
        tw->next_reap < tw->next_prune ? tw->next_reap : tw->next_prune;
    if (ta->nperiodic) {
        int64_t now_us = tasks_now_us();
        if (!tw->ps_ready) {
            if (periodic_init(&tw->ps, ta, now_us / 1000000) != 0)
                return next;
            tw->ps_ready = true;
        }
        int64_t tick = periodic_run(&tw->ps, ta, db, now_us / 1000000);
        if (tick != INT64_MAX) {
            int64_t at = now + (tick * 1000000 - now_us) / 1000;
            if (at < next)
                next = at;
        }
    }
    return next;
}

static int sched_main(kiln_ctx *x, void *arg)
{
    tasks_worker *tw = arg;
    tasks_app *ta = tw->ta;
    const int need = (int)tasks_schema.n;
    bool schema_ok = false;
    int64_t done[512];
    for (;;) {
        int64_t now = kiln_now_ms();
        if (tw->stopping && tw->nrunning == 0 && !tw->ended)
            break;
        kiln_dbc *db = kiln_db(x);
        if (!db) {
            /* kiln_db logged it; try again with backoff */
            tw->db_wait = tw->db_wait ? tw->db_wait * 2 : 100;
            if (tw->db_wait > 5000)
                tw->db_wait = 5000;
            bg_recycle(x);
            if (tw->stopping && tw->cancel_sent &&
                now >= tw->stop_at + tw->margin / 2) {
                abandon_running(tw, NULL);
                break;
            }
            sched_idle(tw, tw->db_wait);
            continue;
        }
        if (!schema_ok) {
            int v = 0;
            int rc = db_builtin_version(db, tasks_schema.part, &v);
            if (rc == 0 && v >= need) {
                schema_ok = true;
            } else {
                if (rate_ok(tw, now, 60000))
                    kiln_log(KILN_LOG_ERROR,
                             "tasks: %s; no task runs until then",
                             rc ? kiln_db_errmsg(db)
                                : "Kiln's task tables are missing or out of "
                                  "date: run kiln migrate");
                bg_recycle(x);
                if (tw->stopping)
                    break;
                sched_idle(tw, 2000);
                continue;
            }
        }
        /* 1 and 2: outcomes, then as many tasks as there are free slots */
        size_t ndone = 0;
        int rc = record(tw, db, done, &ndone, sizeof done / sizeof done[0]);
        int free_slots = tw->stopping ? 0 : tw->slots - tw->nrunning;
        bool had = tw->nrunning || tw->ended;
        store_row *rows = NULL;
        size_t nrows = 0;
        if (rc == 0) {
            store_claim_args a = {.owner = tw->owner,
                                  .lease_ms = ta->opts.lease_ms,
                                  .limit = free_slots > 0 ? free_slots : 0,
                                  .done = done,
                                  .ndone = ndone,
                                  .delete_done = ta->opts.keep_done_hours == 0};
            rc = store_claim(db, ta, &a, &rows, &nrows);
            if (rc == 0)
                forget_done(tw, ndone);
        }
        for (size_t i = 0; i < nrows; i++)
            task_start(tw, &rows[i]);
        if (nrows && !had) /* the claim set fresh leases */
            tw->next_renew = now + ta->opts.lease_ms / 3;
        /* 3: leases and chores */
        if (rc == 0 && (tw->nrunning || tw->ended) && now >= tw->next_renew) {
            int64_t k = store_renew(db, tw->owner, ta->opts.lease_ms);
            rc = k < 0 ? (int)k : 0;
            tw->next_renew = now + ta->opts.lease_ms / 3;
        }
        int64_t chores = INT64_MAX;
        if (rc == 0 && tw->maintainer && !tw->stopping)
            chores = maintain(tw, db, now);
        if (rc != 0) {
            if (rate_ok(tw, now, 10000))
                kiln_log(KILN_LOG_WARN, "tasks: %s", kiln_db_errmsg(db));
            tw->db_wait = tw->db_wait ? tw->db_wait * 2 : 100;
            if (tw->db_wait > 5000)
                tw->db_wait = 5000;
        } else
            tw->db_wait = 0;
        if (tw->stopping && tw->cancel_sent && tw->nrunning &&
            now >= tw->stop_at + tw->margin / 2) {
            abandon_running(tw, db);
            bg_recycle(x);
            break;
        }
        bg_recycle(x);
        /* 4: wait for something to happen */
        listen_up(tw, now);
        now = kiln_now_ms();
        int64_t wait = ta->opts.poll_ms;
        if (!ta->pg || !tw->listener) {
            /* polling: quickly while busy, slower and slower when idle */
            if (nrows > 0)
                tw->idle_ms = 20;
            else if (rc == 0 && free_slots > 0)
                tw->idle_ms = tw->idle_ms ? tw->idle_ms * 2 : 20;
            if (tw->idle_ms > ta->opts.poll_ms)
                tw->idle_ms = ta->opts.poll_ms;
            if (tw->idle_ms)
                wait = tw->idle_ms;
        }
        if (tw->db_wait)
            wait = tw->db_wait;
        if ((tw->nrunning || tw->ended) && tw->next_renew - now < wait)
            wait = tw->next_renew - now;
        if (chores != INT64_MAX && chores - now < wait)
            wait = chores - now;
        if (tw->stopping) {
            int64_t s =
                tw->cancel_sent ? tw->stop_at + tw->margin / 2 : tw->stop_at;
            if (s - now < wait)
                wait = s - now;
        }
        sched_idle(tw, wait);
    }
    db_listener_close(tw->listener);
    tw->listener = NULL;
    return 0;
}

/* The scheduler's coroutine ended (loop level). */
static void sched_done(void *arg, int rc, bool crashed)
{
    (void)rc;
    tasks_worker *tw = arg;
    tw->live = false;
    tw->x = NULL;
    watch_wake(tw);
    db_listener_close(tw->listener);
    tw->listener = NULL;
    if (crashed)
        kiln_log(KILN_LOG_ERROR,
                 "tasks: the scheduler of worker %d crashed; "
                 "this worker runs no more tasks",
                 tw->w->id);
    /* tasks still running: nobody records them; their leases expire */
    for (run_task *rt = tw->running; rt; rt = rt->next)
        rt->abandoned = true;
    while (tw->ended) {
        run_task *rt = tw->ended;
        tw->ended = rt->next;
        task_free(rt);
    }
    tw->ended_tail = NULL;
}

/* At the end of every loop turn of the worker (loop level): notices the
   drain. */
static void tw_hook(void *arg)
{
    tasks_worker *tw = arg;
    if (tw->stopping || !tw->w->draining)
        return;
    tw->stopping = true;
    int64_t drain = tw->w->opts->drain_timeout_ms;
    tw->margin = drain / 4 < 2000 ? drain / 4 : 2000;
    tw->stop_at = tw->w->drain_deadline - tw->margin;
    if (tw->services)
        service_stop(tw->services);
    sched_wake(tw);
    watch_wake(tw);
}

void tasks_worker_start(tasks_app *ta, worker *w)
{
    if (!ta->per || w->id >= ta->nthreads)
        return;
    tasks_worker *tw = calloc(1, sizeof *tw);
    if (!tw) {
        kiln_log(KILN_LOG_ERROR, "tasks: out of memory on worker %d", w->id);
        return;
    }
    ta->per[w->id] = tw;
    tw->kind = TASKS_SCHED;
    tw->ta = ta;
    tw->w = w;
    tw->rand = (uint64_t)tasks_now_us() * 2654435761u + (uint64_t)w->id + 1;
    snprintf(tw->owner, sizeof tw->owner, "%s/w%d", ta->host, w->id);
    if (ta->run_tasks) {
        int n = ta->task_workers, k = ta->nthreads;
        tw->slots = n / k + (w->id < n % k);
        tw->maintainer = w->id == 0;
    }
    tw->hook.fn = tw_hook;
    tw->hook.arg = tw;
    worker_hook_add(w, &tw->hook);
    if (ta->run_services)
        tw->services = service_start(ta, w);
    if (tw->slots > 0) {
        char label[32];
        snprintf(label, sizeof label, "tasks-w%d", w->id);
        if (bg_spawn(w, sched_main, sched_done, tw, label, &tw->x) == 0)
            tw->live = true;
        snprintf(label, sizeof label, "tasks-w%d-watch", w->id);
        if (tw->live &&
            bg_spawn(w, watch_main, watch_done, tw, label, NULL) == 0)
            tw->watch_live = true;
        if (!tw->watch_live)
            kiln_log(KILN_LOG_ERROR,
                     "tasks: cannot start the scheduler of "
                     "worker %d",
                     w->id);
    }
}

void tasks_workers_free(tasks_app *ta)
{
    for (int i = 0; ta->per && i < ta->nthreads; i++) {
        tasks_worker *tw = ta->per[i];
        if (!tw)
            continue;
        /* the threads are gone: whatever is left is only memory */
        while (tw->running) {
            run_task *rt = tw->running;
            tw->running = rt->next;
            task_free(rt);
        }
        while (tw->ended) {
            run_task *rt = tw->ended;
            tw->ended = rt->next;
            task_free(rt);
        }
        if (tw->ps_ready)
            periodic_free(&tw->ps);
        service_free(tw->services);
        free(tw);
        ta->per[i] = NULL;
    }
}
