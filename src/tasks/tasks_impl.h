/*
 * tasks/tasks_impl.h - what the files of the task layer share:
 *
 *   define.c    the app's tasks and services (kiln_task_define,
 *               kiln_service_define, kiln_app_tasks) and the app extension
 *               that starts the runners with the server
 *   store.c     every statement on kiln_tasks and kiln_task_ticks, per
 *               backend, and kiln_task_enqueue
 *   runner.c    one scheduler per worker thread: claims, runs each task in
 *               a coroutine, records outcomes, renews leases, cancels
 *               tasks past their timeout, drains on shutdown; the calls a
 *               task makes (kiln_task_id, kiln_task_fail...)
 *   periodic.c  [tasks.periodic]: one enqueue per tick across instances
 *   service.c   services: started, restarted with backoff, stopped
 *   cron.c      cron expressions (a pure unit, tasks/cron.h)
 *
 * Prefixes: tasks_ (the app and the runner), store_ (SQL), periodic_,
 * service_. Everything here runs on worker threads, each on its own
 * state; the only shared state is the tasks_app, read-only while serving.
 */
#ifndef KILN_TASKS_IMPL_H
#define KILN_TASKS_IMPL_H

#include <kiln/tasks.h>

#include "db/db_impl.h"
#include "server/worker.h"
#include "tasks/cron.h"

/** Longest task, service, queue or periodic entry name. */
#define TASKS_NAME_MAX 100

/** Tasks at once per worker thread of a --tasks process when
    tasks.workers is 0. */
#define TASKS_PER_THREAD 8

/** The NOTIFY channel of enqueued tasks (PostgreSQL). */
#define TASKS_CHANNEL "kiln_tasks"

/** The first field of every bg_spawn arg of this layer: what it is. */
typedef enum tasks_kind {
    TASKS_SCHED = 1,
    TASKS_TASK,
    TASKS_SERVICE
} tasks_kind;

/** A defined task. */
typedef struct task_type {
    char *name; /* malloc'd */
    kiln_task_fn fn;
    kiln_task_def def; /* def.queue: not owned (outlives the app) */
} task_type;

/** A defined service. */
typedef struct service_type {
    char *name; /* malloc'd */
    kiln_service_fn fn;
    kiln_service_def def;
} service_type;

/** A periodic entry, checked (its strings malloc'd, owned). */
typedef struct periodic_entry {
    kiln_periodic p;
    cron_expr cron;
    const task_type *type;
} periodic_entry;

struct tasks_worker;

/**
 * Everything an app defines about tasks (kiln_app->tasks), made by the
 * first kiln_task_define / kiln_service_define / kiln_app_tasks and freed
 * with the app (its ext's free). Read-only while serving, but per (one
 * slot per worker thread, each written by its own thread only).
 */
typedef struct tasks_app {
    app_ext ext;
    task_type *types;
    size_t ntypes, captypes;
    service_type *svcs;
    size_t nsvcs, capsvcs;
    kiln_tasks_opts opts; /* opts.queues: the copy below; periodic: NULL */
    char *queues;         /* malloc'd, "" for all */
    periodic_entry *periodic;
    size_t nperiodic;
    /* set by begin for one kiln_serve */
    int nthreads;
    int task_workers; /* task coroutines at once, over all threads */
    bool run_tasks, run_services;
    bool pg;
    char names_list[4096];     /* the defined tasks: "a,b" (PostgreSQL) or
                                  ["a","b"] (SQLite), for the claim */
    char queues_list[1024];    /* the same of the queues taken ("" all) */
    char host[64];             /* "hostname:pid" for the owner column */
    struct tasks_worker **per; /* [nthreads], each made on its thread */
} tasks_app;

/** The app's task state, made on first use. NULL on allocation failure. */
tasks_app *tasks_app_of(kiln_app *app);
/** The defined task called name, or NULL. */
const task_type *tasks_find(const tasks_app *ta, const char *name);
/** True for a valid task, service, queue or entry name. */
bool tasks_name_ok(const char *s);

/* ---- runner.c ------------------------------------------------------------ */

/** On worker w's thread when the server starts: the scheduler of this
    thread (when it runs tasks) and the services that live here. */
void tasks_worker_start(tasks_app *ta, worker *w);
/** After the server stopped: frees what the threads made. */
void tasks_workers_free(tasks_app *ta);
/** Microseconds since the epoch (CLOCK_REALTIME). */
int64_t tasks_now_us(void);

/* ---- store.c ------------------------------------------------------------- */

/** A claimed row; strings in the connection's arena. */
typedef struct store_row {
    int64_t id;
    const char *name, *payload, *last_error;
    int attempts;       /* this attempt's number */
    int max_attempts;   /* 0: NULL in the row */
    int64_t timeout_ms; /* 0: NULL in the row; -1: never */
} store_row;

/** What a scheduler asks of the store. */
typedef struct store_claim_args {
    const char *owner;
    int64_t lease_ms;
    int limit; /* rows to claim (0: flush only) */
    /* done tasks to record first, in the same round trip */
    const int64_t *done;
    size_t ndone;
    bool delete_done; /* tasks.keep_done_hours = 0 */
} store_claim_args;

/**
 * Records a->done as done (or deletes them) and claims up to a->limit
 * ready tasks of ta's names and queues for a->owner: PostgreSQL with FOR
 * UPDATE SKIP LOCKED (one round trip with the done rows); SQLite in one
 * BEGIN IMMEDIATE transaction. Rows into *rows (n in *n, in db's arena).
 * Returns 0 or a negative error (db's message).
 */
int store_claim(kiln_dbc *db, const tasks_app *ta, const store_claim_args *a,
                store_row **rows, size_t *n);
/** A failed attempt: queued again after retry_ms, or (retry_ms < 0)
    failed for good, with error; a NULL max_attempts becomes the one the
    worker went by. Only while owner holds it. */
int store_fail(kiln_dbc *db, const char *owner, int64_t id, const char *error,
               int64_t retry_ms, int max_attempts);
/** Gives tasks back at shutdown: queued again, the attempt not counted. */
int store_release(kiln_dbc *db, const char *owner, const int64_t *ids,
                  size_t n);
/** Pushes the lease of every task owner runs to lease_ms from now.
    Returns the rows renewed or a negative error. */
int64_t store_renew(kiln_dbc *db, const char *owner, int64_t lease_ms);
/** Queues again the tasks whose lease expired (their worker died).
    Returns how many, or a negative error. */
int64_t store_reap(kiln_dbc *db);
/** Deletes done tasks older than hours, and old ticks. Returns the tasks
    deleted or a negative error. */
int64_t store_prune(kiln_dbc *db, int hours);
/**
 * Inserts the tick (name, tick_us) unless another instance did; when it
 * is ours, enqueues e's task in the same transaction. Returns 1 when this
 * call enqueued it, 0 when the tick was taken, or a negative error.
 */
int store_tick(kiln_dbc *db, const tasks_app *ta, const periodic_entry *e,
               int64_t tick_us, int64_t *id);

/* ---- periodic.c ---------------------------------------------------------- */

/** The schedule of one process: the next tick of each entry. */
typedef struct periodic_state {
    int64_t *next; /* seconds, per entry of ta->periodic; malloc'd */
} periodic_state;

/** Starts the schedule at now (ticks up to a minute old are caught up). */
int periodic_init(periodic_state *ps, const tasks_app *ta, int64_t now_s);
void periodic_free(periodic_state *ps);
/** Enqueues what is due (one per entry: the latest tick missed). Returns
    the time of the next tick in seconds (INT64_MAX: none). */
int64_t periodic_run(periodic_state *ps, const tasks_app *ta, kiln_dbc *db,
                     int64_t now_s);

/* ---- service.c ----------------------------------------------------------- */

/** The services of one worker thread. */
typedef struct service_set service_set;
/** Starts on w the services placed on it. NULL when none (or out of
    memory: logged). */
service_set *service_start(const tasks_app *ta, worker *w);
/** Cancels every service of s (shutdown); they are not restarted. Loop
    level only. */
void service_stop(service_set *s);
/** Frees s once its worker stopped. */
void service_free(service_set *s);

#endif
