/*
 * tasks/define.c - what an app says about its tasks and services
 * (kiln_task_define, kiln_service_define, kiln_app_tasks), kept on the app
 * (kiln_app->tasks), and the app extension through which kiln_serve
 * starts their runners: begin works out what this process runs, start
 * runs on each worker thread (runner.c), end frees what the threads made.
 */
#include "tasks/tasks_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool tasks_name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > TASKS_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-' ||
              s[i] == '.' || s[i] == '/'))
            return false;
    return true;
}

const task_type *tasks_find(const tasks_app *ta, const char *name)
{
    for (size_t i = 0; ta && i < ta->ntypes; i++)
        if (strcmp(ta->types[i].name, name) == 0)
            return &ta->types[i];
    return NULL;
}

void kiln_tasks_opts_default(kiln_tasks_opts *o)
{
    memset(o, 0, sizeof *o);
    o->queues = "";
    o->lease_ms = 30000;
    o->poll_ms = 1000;
    o->max_attempts = 5;
    o->retry_min_ms = 1000;
    o->retry_max_ms = 3600000;
    o->keep_done_hours = 168;
    o->services = true;
}

/* ---- the app extension ----------------------------------------------------
 */

static void free_periodic(tasks_app *ta)
{
    for (size_t i = 0; i < ta->nperiodic; i++) {
        kiln_periodic *p = &ta->periodic[i].p;
        free((char *)p->name);
        free((char *)p->task);
        free((char *)p->cron);
        free((char *)p->payload);
        free((char *)p->queue);
        free((char *)p->origin);
    }
    free(ta->periodic);
    ta->periodic = NULL;
    ta->nperiodic = 0;
}

static void ext_free(void *arg)
{
    tasks_app *ta = arg;
    for (size_t i = 0; i < ta->ntypes; i++)
        free(ta->types[i].name);
    for (size_t i = 0; i < ta->nsvcs; i++)
        free(ta->svcs[i].name);
    free(ta->types);
    free(ta->svcs);
    free(ta->queues);
    free_periodic(ta);
    free(ta->per);
    free(ta);
}

/* Appends name to out as a list item: "a,b" or ["a","b"]. */
static bool list_add(char *out, size_t cap, const char *name, bool json)
{
    size_t n = strlen(out);
    int k = json
                ? snprintf(out + n, cap - n, "%s\"%s\"", n > 1 ? "," : "", name)
                : snprintf(out + n, cap - n, "%s%s", n ? "," : "", name);
    return k >= 0 && (size_t)k < cap - n;
}

/* Writes the claim's list of names (or queues from a comma-separated
   text) into out; false when too long. */
static bool make_list(char *out, size_t cap, const char *const *names, size_t n,
                      bool json)
{
    out[0] = '\0';
    if (json)
        snprintf(out, cap, "[");
    for (size_t i = 0; i < n; i++)
        if (!list_add(out, cap, names[i], json))
            return false;
    if (json) {
        size_t k = strlen(out);
        if (k + 2 > cap)
            return false;
        out[k] = ']';
        out[k + 1] = '\0';
    }
    return true;
}

static int ext_begin(void *arg, const kiln_server_opts *o)
{
    tasks_app *ta = arg;
    ta->nthreads = o->workers;
    ta->run_tasks = ta->ntypes > 0 && (ta->opts.workers > 0 || o->tasks_only);
    /* a --tasks process without tasks.workers: TASKS_PER_THREAD a thread
       (tasks are coroutines: a thread runs many while they wait) */
    ta->task_workers =
        ta->opts.workers > 0 ? ta->opts.workers : o->workers * TASKS_PER_THREAD;
    ta->run_services = ta->nsvcs > 0 && ta->opts.services;
    kiln_db_pool *pool = db_default_pool();
    if (ta->run_tasks && !pool) {
        kiln_log(KILN_LOG_ERROR, "tasks: no database to take them from "
                                 "(kiln_db_set_default)");
        return KILN_ESTATE;
    }
    ta->pg = pool && pool->url.kind == DB_POSTGRES;
    const char **names = calloc(ta->ntypes + 1, sizeof *names);
    if (!names)
        return KILN_ENOMEM;
    for (size_t i = 0; i < ta->ntypes; i++)
        names[i] = ta->types[i].name;
    bool ok = make_list(ta->names_list, sizeof ta->names_list, names,
                        ta->ntypes, !ta->pg);
    free(names);
    /* the queues: "a, b" as a list, "" for all */
    const char *qv[64];
    size_t nq = 0;
    char qbuf[1024];
    snprintf(qbuf, sizeof qbuf, "%s", ta->queues ? ta->queues : "");
    for (char *save = NULL, *t = strtok_r(qbuf, ", ", &save); t && ok;
         t = strtok_r(NULL, ", ", &save))
        if (nq < sizeof qv / sizeof qv[0])
            qv[nq++] = t;
        else
            ok = false;
    if (ok && nq)
        ok =
            make_list(ta->queues_list, sizeof ta->queues_list, qv, nq, !ta->pg);
    else
        ta->queues_list[0] = '\0';
    if (!ok) {
        kiln_log(KILN_LOG_ERROR, "tasks: too many task or queue names");
        return KILN_ELIMIT;
    }
    char host[48] = "host";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    snprintf(ta->host, sizeof ta->host, "%s:%ld", host, (long)getpid());
    for (size_t i = 0; i < ta->nperiodic; i++) /* types may have moved */
        ta->periodic[i].type = tasks_find(ta, ta->periodic[i].p.task);
    free(ta->per);
    ta->per = calloc((size_t)ta->nthreads, sizeof *ta->per);
    if (!ta->per)
        return KILN_ENOMEM;
    if (ta->run_tasks)
        kiln_log(KILN_LOG_INFO,
                 "tasks: %d at once over %d worker%s (queues: %s; %s)",
                 ta->task_workers, ta->nthreads, ta->nthreads == 1 ? "" : "s",
                 ta->queues_list[0] ? ta->queues : "all",
                 ta->pg ? "woken by NOTIFY" : "polling");
    else if (ta->ntypes && o->tasks_only == false && ta->opts.workers == 0)
        kiln_log(KILN_LOG_DEBUG, "tasks: none run in this process "
                                 "(tasks.workers = 0)");
    if (o->tasks_only && !ta->run_tasks && !ta->run_services)
        kiln_log(KILN_LOG_WARN, "--tasks: this app has no tasks or services "
                                "to run");
    return 0;
}

static void ext_start(void *arg, worker *w)
{
    tasks_worker_start(arg, w);
}

static void ext_end(void *arg)
{
    tasks_workers_free(arg);
}

tasks_app *tasks_app_of(kiln_app *app)
{
    if (app->tasks)
        return app->tasks;
    tasks_app *ta = calloc(1, sizeof *ta);
    if (!ta)
        return NULL;
    kiln_tasks_opts_default(&ta->opts);
    ta->queues = strdup("");
    if (!ta->queues) {
        free(ta);
        return NULL;
    }
    ta->opts.queues = ta->queues;
    ta->ext.begin = ext_begin;
    ta->ext.start = ext_start;
    ta->ext.end = ext_end;
    ta->ext.free = ext_free;
    ta->ext.arg = ta;
    app_ext_add(app, &ta->ext);
    app->tasks = ta;
    return ta;
}

/* ---- defining ------------------------------------------------------------ */

int kiln_task_define(kiln_app *app, const char *name, kiln_task_fn fn,
                     const kiln_task_def *def)
{
    if (!app || !fn || !tasks_name_ok(name) ||
        (def && def->queue && !tasks_name_ok(def->queue)) ||
        (def && (def->max_attempts < 0 || def->timeout_ms < -1)))
        return KILN_EINVAL;
    tasks_app *ta = tasks_app_of(app);
    if (!ta)
        return KILN_ENOMEM;
    if (tasks_find(ta, name))
        return KILN_ESTATE;
    if (ta->ntypes == ta->captypes) {
        size_t cap = ta->captypes ? ta->captypes * 2 : 16;
        task_type *v = realloc(ta->types, cap * sizeof *v);
        if (!v)
            return KILN_ENOMEM;
        ta->types = v;
        ta->captypes = cap;
    }
    task_type *t = &ta->types[ta->ntypes];
    memset(t, 0, sizeof *t);
    if (!(t->name = strdup(name)))
        return KILN_ENOMEM;
    t->fn = fn;
    if (def)
        t->def = *def;
    ta->ntypes++;
    return 0;
}

int kiln_service_define(kiln_app *app, const char *name, kiln_service_fn fn,
                        const kiln_service_def *def)
{
    if (!app || !fn || !tasks_name_ok(name) ||
        (def && (def->worker < 0 || def->restart_min_ms < 0 ||
                 def->restart_max_ms < 0)))
        return KILN_EINVAL;
    tasks_app *ta = tasks_app_of(app);
    if (!ta)
        return KILN_ENOMEM;
    for (size_t i = 0; i < ta->nsvcs; i++)
        if (strcmp(ta->svcs[i].name, name) == 0)
            return KILN_ESTATE;
    if (ta->nsvcs == ta->capsvcs) {
        size_t cap = ta->capsvcs ? ta->capsvcs * 2 : 8;
        service_type *v = realloc(ta->svcs, cap * sizeof *v);
        if (!v)
            return KILN_ENOMEM;
        ta->svcs = v;
        ta->capsvcs = cap;
    }
    service_type *s = &ta->svcs[ta->nsvcs];
    memset(s, 0, sizeof *s);
    if (!(s->name = strdup(name)))
        return KILN_ENOMEM;
    s->fn = fn;
    if (def)
        s->def = *def;
    if (s->def.restart_min_ms <= 0)
        s->def.restart_min_ms = 100;
    if (s->def.restart_max_ms <= 0)
        s->def.restart_max_ms = 30000;
    if (s->def.restart_max_ms < s->def.restart_min_ms)
        s->def.restart_max_ms = s->def.restart_min_ms;
    ta->nsvcs++;
    return 0;
}

/* ---- how they run -------------------------------------------------------- */

static int opts_fail(char *err, size_t errlen, const char *fmt, ...)
    KILN_PRINTF(3, 4);

static int opts_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return KILN_EINVAL;
}

/* "kiln.toml:12: tasks.periodic.x" or "tasks.periodic.x" */
static void where(const kiln_periodic *p, char *out, size_t n)
{
    snprintf(out, n, "%s%stasks.periodic.%s", p->origin ? p->origin : "",
             p->origin ? ": " : "", p->name ? p->name : "?");
}

static char *dup_or_null(const char *s, bool *ok)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *ok = false;
    return d;
}

int kiln_app_tasks(kiln_app *app, const kiln_tasks_opts *o, char *err,
                   size_t errlen)
{
    if (!app || !o)
        return opts_fail(err, errlen, "no app or options");
    if (o->workers < 0 || o->lease_ms < 1000 || o->poll_ms < 10 ||
        o->max_attempts < 1 || o->retry_min_ms < 0 ||
        o->retry_max_ms < o->retry_min_ms || o->keep_done_hours < 0 ||
        o->timeout_ms < 0)
        return opts_fail(err, errlen,
                         "task options out of range (workers >= 0, lease_ms "
                         ">= 1000, poll_ms >= 10, max_attempts >= 1, "
                         "retry_max_ms >= retry_min_ms >= 0)");
    char qbuf[1024];
    snprintf(qbuf, sizeof qbuf, "%s", o->queues ? o->queues : "");
    for (char *save = NULL, *t = strtok_r(qbuf, ", ", &save); t;
         t = strtok_r(NULL, ", ", &save))
        if (!tasks_name_ok(t))
            return opts_fail(err, errlen,
                             "tasks.queues: '%s' is not a queue name "
                             "(letters, digits, '_', '-', '.', '/')",
                             t);
    tasks_app *ta = tasks_app_of(app);
    if (!ta)
        return opts_fail(err, errlen, "out of memory");
    /* check every periodic entry before taking any */
    for (size_t i = 0; i < o->nperiodic; i++) {
        const kiln_periodic *p = &o->periodic[i];
        char at[300];
        where(p, at, sizeof at);
        cron_expr c;
        char why[200];
        if (!tasks_name_ok(p->name))
            return opts_fail(err, errlen, "%s: not a valid entry name", at);
        if (!p->cron ||
            cron_parse(p->cron, strlen(p->cron), &c, why, sizeof why) != 0)
            return opts_fail(err, errlen, "%s: %s", at,
                             p->cron ? why : "no cron expression");
        const char *task = p->task ? p->task : p->name;
        if (!tasks_find(ta, task))
            return opts_fail(err, errlen,
                             "%s: no task is called '%s' (a project defines "
                             "it in tasks/%s.c)",
                             at, task, task);
        if (p->queue && !tasks_name_ok(p->queue))
            return opts_fail(err, errlen, "%s: '%s' is not a queue name", at,
                             p->queue);
        if (p->payload) {
            kiln_arena a;
            kiln_arena_init(&a, 0);
            kiln_json *j;
            kiln_json_error je;
            int rc =
                kiln_json_parse(&a, p->payload, strlen(p->payload), 0, &j, &je);
            kiln_arena_deinit(&a);
            if (rc != 0)
                return opts_fail(err, errlen, "%s: the payload is not JSON: %s",
                                 at, je.msg);
        }
    }
    char *queues = strdup(o->queues ? o->queues : "");
    periodic_entry *pe = o->nperiodic ? calloc(o->nperiodic, sizeof *pe) : NULL;
    if (!queues || (o->nperiodic && !pe)) {
        free(queues);
        free(pe);
        return opts_fail(err, errlen, "out of memory");
    }
    bool ok = true;
    for (size_t i = 0; i < o->nperiodic; i++) {
        const kiln_periodic *p = &o->periodic[i];
        periodic_entry *e = &pe[i];
        e->p.name = dup_or_null(p->name, &ok);
        e->p.task = dup_or_null(p->task ? p->task : p->name, &ok);
        e->p.cron = dup_or_null(p->cron, &ok);
        e->p.payload = dup_or_null(p->payload ? p->payload : "{}", &ok);
        e->p.queue = dup_or_null(p->queue, &ok);
        e->p.origin = dup_or_null(p->origin, &ok);
        e->p.priority = p->priority;
        cron_parse(p->cron, strlen(p->cron), &e->cron, NULL, 0);
        e->type = tasks_find(ta, e->p.task);
    }
    free_periodic(ta);
    ta->periodic = pe;
    ta->nperiodic = o->nperiodic;
    if (!ok) {
        free(queues);
        free_periodic(ta);
        return opts_fail(err, errlen, "out of memory");
    }
    free(ta->queues);
    ta->queues = queues;
    ta->opts = *o;
    ta->opts.queues = ta->queues;
    ta->opts.periodic = NULL;
    ta->opts.nperiodic = 0;
    return 0;
}
