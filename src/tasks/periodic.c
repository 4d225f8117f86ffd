/*
 * tasks/periodic.c - periodic tasks ([tasks.periodic] in kiln.toml): each
 * entry enqueues its task once per tick of its cron expression, however
 * many instances run.
 *
 * Every process that runs tasks keeps the next tick of each entry (on its
 * thread 0). When a tick is due it inserts the row (entry, tick) into
 * kiln_task_ticks and, in the same transaction, enqueues the task; the
 * primary key lets only the first instance in, so the others find the row
 * there and enqueue nothing (store_tick). Ticks are UTC seconds.
 *
 * Missed ticks: a process only ever enqueues the latest tick that is due,
 * and at start it looks back one minute, so a tick that fell during a
 * restart is caught up once, and a process that was stopped for hours
 * does not run a backlog.
 */
#include "tasks/tasks_impl.h"

#include <stdlib.h>

/* How far back a process looks for a missed tick. */
#define CATCH_UP_S 61

int periodic_init(periodic_state *ps, const tasks_app *ta, int64_t now_s)
{
    ps->next = calloc(ta->nperiodic ? ta->nperiodic : 1, sizeof *ps->next);
    if (!ps->next)
        return KILN_ENOMEM;
    for (size_t i = 0; i < ta->nperiodic; i++)
        ps->next[i] = cron_next(&ta->periodic[i].cron, now_s - CATCH_UP_S);
    return 0;
}

void periodic_free(periodic_state *ps)
{
    free(ps->next);
    ps->next = NULL;
}

int64_t periodic_run(periodic_state *ps, const tasks_app *ta, kiln_dbc *db,
                     int64_t now_s)
{
    int64_t soonest = INT64_MAX;
    for (size_t i = 0; i < ta->nperiodic; i++) {
        const periodic_entry *e = &ta->periodic[i];
        int64_t t = ps->next[i];
        if (t >= 0 && t <= now_s) {
            /* the latest tick due, looking back at most a minute */
            if (now_s - t > CATCH_UP_S)
                t = cron_next(&e->cron, now_s - CATCH_UP_S);
            int64_t latest = t, n;
            while ((n = cron_next(&e->cron, latest)) >= 0 && n <= now_s)
                latest = n;
            int64_t id = 0;
            int rc = store_tick(db, ta, e, latest * 1000000, &id);
            if (rc < 0) {
                kiln_log(KILN_LOG_WARN,
                         "tasks: periodic %s: cannot enqueue the tick: %s",
                         e->p.name, kiln_db_errmsg(db));
                if (now_s + 1 < soonest)
                    soonest = now_s + 1; /* try again soon */
                continue;
            }
            if (rc == 1)
                kiln_log(KILN_LOG_INFO,
                         "tasks: periodic %s: enqueued %s as "
                         "task %lld",
                         e->p.name, e->p.task, (long long)id);
            t = cron_next(&e->cron, latest);
            ps->next[i] = t;
        }
        if (t >= 0 && t < soonest)
            soonest = t;
    }
    return soonest;
}
