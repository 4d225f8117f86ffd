/*
 * cli/tasks.c - kiln tasks: the app's background tasks in its database
 * (kiln_tasks, docs/tasks.md): list them, show one, retry failed ones,
 * delete, enqueue one by hand.
 *
 *   kiln tasks [--queued|--running|--failed|--done|--all] [--name N]
 *              [--queue Q] [--limit N]
 *   kiln tasks show ID
 *   kiln tasks retry ID... | --failed
 *   kiln tasks delete ID... | --failed | --done
 *   kiln tasks add NAME [JSON] [--delay MS] [--queue Q] [--priority N]
 *                  [--key KEY] [--max-attempts N]
 *
 * Every form takes the settings flags too (--prod, --db URL, --set ...),
 * as kiln migrate does, to find the database.
 */
#include "cli.h"

#include "db/migrate.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char tasks_help[] =
    "usage: kiln tasks [--queued|--running|--failed|--done|--all]\n"
    "                  [--name NAME] [--queue Q] [--limit N]\n"
    "       kiln tasks show ID\n"
    "       kiln tasks retry ID... | --failed\n"
    "       kiln tasks delete ID... | --failed | --done\n"
    "       kiln tasks add NAME [JSON] [--delay MS] [--queue Q] [--priority "
    "N]\n"
    "                      [--key KEY] [--max-attempts N]\n\n"
    "The app's background tasks, in its database (the kiln_tasks table that\n"
    "kiln migrate makes). Without a subcommand, lists the newest tasks that\n"
    "are queued, running or failed (--all: done ones too), then a count per\n"
    "state.\n\n"
    "  --queued, --running, --failed, --done   only tasks in that state\n"
    "  --all            every state\n"
    "  --name NAME      only tasks called NAME\n"
    "  --queue Q        only tasks of queue Q\n"
    "  --limit N        at most N tasks (50)\n"
    "  show ID          everything about one task: payload, error, times\n"
    "  retry ID...      queue failed tasks again, with their attempts reset\n"
    "                   (--failed: every failed task)\n"
    "  delete ID...     delete tasks that are not running (--failed, --done:\n"
    "                   every task in that state)\n"
    "  add NAME [JSON]  enqueue a task (payload {} by default)\n"
    "  --prod           production settings (no .env), as 'kiln run' uses\n"
    "  --db URL         another database (also KILN_DATABASE_URL, --set ...)\n";

/* What the command line asked for. */
typedef struct args {
    const char *sub; /* NULL (list), "show", "retry", "delete", "add" */
    const char *state;
    bool all;
    const char *name, *queue, *key, *payload;
    long long limit, delay, priority, max_attempts;
    const char **ids;
    size_t nids;
} args;

static bool number(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* Takes this command's words and flags out of argv into a (the settings
   flags into rest). Returns 0 or the exit status of a usage error. */
static int parse(int argc, char **argv, args *a, char **rest, int *nrest)
{
    static const char *const states[] = {"--queued", "--running", "--failed",
                                         "--done"};
    a->limit = 50;
    a->ids = calloc((size_t)argc + 1, sizeof *a->ids);
    if (!a->ids)
        return cli_fail("out of memory");
    *nrest = 0;
    rest[(*nrest)++] = argv[0];
    int i = 1;
    if (i < argc && argv[i][0] != '-') {
        const char *w = argv[i];
        if (strcmp(w, "show") && strcmp(w, "retry") && strcmp(w, "delete") &&
            strcmp(w, "add")) {
            static const char *const subs[] = {"show", "retry", "delete",
                                               "add"};
            const char *near = cli_suggest(w, subs, 4);
            if (near)
                return cli_usage_error("unknown subcommand '%s' (did you "
                                       "mean '%s'?)",
                                       w, near);
            return cli_usage_error("unknown subcommand '%s'", w);
        }
        a->sub = w;
        i++;
    }
    for (; i < argc; i++) {
        const char *s = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool valued = !strcmp(s, "--name") || !strcmp(s, "--queue") ||
                      !strcmp(s, "--limit") || !strcmp(s, "--delay") ||
                      !strcmp(s, "--priority") || !strcmp(s, "--key") ||
                      !strcmp(s, "--max-attempts");
        if (valued && !v)
            return cli_usage_error("%s needs a value", s);
        size_t k = 0;
        while (k < 4 && strcmp(s, states[k]))
            k++;
        if (k < 4) {
            if (a->state)
                return cli_usage_error("one state at a time (%s and %s)",
                                       a->state, s);
            a->state = s;
        } else if (!strcmp(s, "--all"))
            a->all = true;
        else if (!strcmp(s, "--name"))
            a->name = argv[++i];
        else if (!strcmp(s, "--queue"))
            a->queue = argv[++i];
        else if (!strcmp(s, "--key"))
            a->key = argv[++i];
        else if (!strcmp(s, "--limit")) {
            if (!number(argv[++i], 1, 100000, &a->limit))
                return cli_usage_error("--limit takes a number from 1 to "
                                       "100000");
        } else if (!strcmp(s, "--delay")) {
            if (!number(argv[++i], 0, 366LL * 86400000, &a->delay))
                return cli_usage_error("--delay takes milliseconds");
        } else if (!strcmp(s, "--priority")) {
            if (!number(argv[++i], -1000000, 1000000, &a->priority))
                return cli_usage_error("--priority takes a number");
        } else if (!strcmp(s, "--max-attempts")) {
            if (!number(argv[++i], 1, 1000, &a->max_attempts))
                return cli_usage_error("--max-attempts takes a number from 1 "
                                       "to 1000");
        } else if (s[0] != '-' && a->sub)
            a->ids[a->nids++] = s; /* ids, or add's NAME and JSON */
        else
            rest[(*nrest)++] = argv[i];
    }
    const char *sub = a->sub ? a->sub : "";
    bool list = !a->sub;
    if ((a->name || a->all || a->limit != 50) && !list)
        return cli_usage_error("--name, --all and --limit go with the list "
                               "(kiln tasks)");
    if (a->queue && !list && strcmp(sub, "add"))
        return cli_usage_error("--queue goes with the list or add");
    if (a->all && a->state)
        return cli_usage_error("--all or %s, not both", a->state);
    if ((a->delay || a->priority || a->key || a->max_attempts) &&
        strcmp(sub, "add"))
        return cli_usage_error("--delay, --priority, --key and "
                               "--max-attempts go with add");
    if (a->state && !list && strcmp(sub, "retry") && strcmp(sub, "delete"))
        return cli_usage_error("%s goes with the list, retry or delete",
                               a->state);
    if (!strcmp(sub, "retry") && a->state && strcmp(a->state, "--failed"))
        return cli_usage_error("retry takes IDs or --failed");
    if (!strcmp(sub, "delete") && a->state && strcmp(a->state, "--failed") &&
        strcmp(a->state, "--done"))
        return cli_usage_error("delete takes IDs, --failed or --done");
    if (!strcmp(sub, "show") && a->nids != 1)
        return cli_usage_error("show takes one task ID");
    if ((!strcmp(sub, "retry") || !strcmp(sub, "delete")) &&
        !a->nids == !a->state)
        return cli_usage_error("%s takes task IDs or a state, one of them",
                               sub);
    if (!strcmp(sub, "add") && (a->nids < 1 || a->nids > 2))
        return cli_usage_error("add takes a task's NAME and, optionally, its "
                               "JSON payload");
    for (size_t k = 0; strcmp(sub, "add") && k < a->nids; k++) {
        long long id;
        if (!number(a->ids[k], 1, LLONG_MAX, &id))
            return cli_usage_error("'%s' is not a task ID", a->ids[k]);
    }
    return 0;
}

/* "2024-05-01 12:00:03" (UTC) of microseconds, or "" for NULL. */
static void when(kiln_rows *r, int col, char *out, size_t n)
{
    out[0] = '\0';
    if (kiln_row_is_null(r, col))
        return;
    time_t t = (time_t)(kiln_row_time(r, col) / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
}

/* s on one line, at most max characters (…). */
static void put_short(const char *s, size_t max)
{
    size_t n = 0;
    for (; s && s[n] && n < max; n++)
        putchar(s[n] == '\n' || s[n] == '\t' ? ' ' : s[n]);
    if (s && s[n])
        fputs("...", stdout);
}

static int list(kiln_dbc *db, const args *a)
{
    const char *state = a->state ? a->state + 2 : NULL;
    kiln_rows *r = kiln_db_query(
        db,
        "SELECT id, state, name, queue, attempts, max_attempts, run_at, "
        "finished_at, last_error FROM kiln_tasks WHERE (CAST($1 AS text) IS "
        "NULL AND ($2 = 1 OR state <> 'done') OR state = CAST($1 AS text)) "
        "AND (CAST($3 AS text) IS NULL OR name = CAST($3 AS text)) AND "
        "(CAST($4 AS text) IS NULL OR queue = CAST($4 AS text)) ORDER BY id "
        "DESC LIMIT $5",
        KILN_TEXT(state), KILN_INT(a->all), KILN_TEXT(a->name),
        KILN_TEXT(a->queue), KILN_INT(a->limit));
    if (!r)
        return cli_fail("%s", kiln_db_errmsg(db));
    int shown = 0;
    while (kiln_rows_next(r)) {
        if (!shown++)
            printf("%-8s %-8s %-24s %-10s %-6s %-20s %s\n", "ID", "STATE",
                   "NAME", "QUEUE", "TRIES", "WHEN (UTC)", "ERROR");
        char tries[32], at[32];
        kiln_str st = kiln_row_text(r, 1);
        if (kiln_row_is_null(r, 5))
            snprintf(tries, sizeof tries, "%lld",
                     (long long)kiln_row_int(r, 4));
        else
            snprintf(tries, sizeof tries, "%lld/%lld",
                     (long long)kiln_row_int(r, 4),
                     (long long)kiln_row_int(r, 5));
        bool finished = kiln_str_eq(st, KILN_STR("done")) ||
                        kiln_str_eq(st, KILN_STR("failed"));
        when(r, finished ? 7 : 6, at, sizeof at);
        printf("%-8lld %-8s %-24s %-10s %-6s %-20s ",
               (long long)kiln_row_int(r, 0), st.p, kiln_row_text(r, 2).p,
               kiln_row_text(r, 3).p, tries, at);
        put_short(kiln_row_text(r, 8).p, 60);
        putchar('\n');
    }
    if (kiln_rows_error(r) < 0)
        return cli_fail("%s", kiln_db_errmsg(db));
    if (!shown)
        printf("no tasks%s\n", a->all || a->state ? ""
                                                  : " queued, running "
                                                    "or failed");
    /* the counts */
    r = kiln_db_query(db, "SELECT state, count(*) FROM kiln_tasks GROUP BY "
                          "state");
    if (!r)
        return cli_fail("%s", kiln_db_errmsg(db));
    long long n[4] = {0};
    static const char *const names[] = {"queued", "running", "failed", "done"};
    while (kiln_rows_next(r))
        for (int k = 0; k < 4; k++)
            if (kiln_str_eq(kiln_row_text(r, 0), kiln_str_c(names[k])))
                n[k] = kiln_row_int(r, 1);
    printf("%lld queued, %lld running, %lld failed, %lld done\n", n[0], n[1],
           n[2], n[3]);
    return 0;
}

static int show(kiln_dbc *db, int64_t id)
{
    kiln_rows *r = kiln_db_query(
        db,
        "SELECT id, name, queue, state, priority, attempts, max_attempts, "
        "timeout_ms, idempotency_key, owner, run_at, created_at, started_at, "
        "finished_at, lease_until, last_error, payload FROM kiln_tasks WHERE "
        "id = $1",
        KILN_INT(id));
    if (!r)
        return cli_fail("%s", kiln_db_errmsg(db));
    if (!kiln_rows_next(r))
        return kiln_rows_error(r) < 0 ? cli_fail("%s", kiln_db_errmsg(db))
                                      : cli_fail("no task %lld", (long long)id);
    static const char *const label[] = {
        "id",         "name",        "queue",        "state",
        "priority",   "attempts",    "max_attempts", "timeout_ms",
        "key",        "owner",       "run_at",       "created_at",
        "started_at", "finished_at", "lease_until",  "last_error",
        "payload"};
    for (int i = 0; i < 17; i++) {
        char t[40];
        if (i >= 10 && i <= 14) {
            when(r, i, t, sizeof t);
            printf("%-13s %s%s\n", label[i], t, t[0] ? " UTC" : "");
            continue;
        }
        kiln_str v = kiln_row_text(r, i);
        printf("%-13s %s\n", label[i],
               v.p ? v.p : (i == 6 || i == 7 ? "(the task's default)" : ""));
    }
    return 0;
}

/* "no task 7" / "task 7 is running: ..." for an id a statement missed. */
static int why_not(kiln_dbc *db, const char *id, const char *what)
{
    kiln_rows *r = kiln_db_query(db,
                                 "SELECT state FROM kiln_tasks WHERE id "
                                 "= $1",
                                 KILN_INT(strtoll(id, NULL, 10)));
    if (r && kiln_rows_next(r))
        return cli_fail("task %s is %s: %s", id, kiln_row_text(r, 0).p, what);
    return cli_fail("no task %s", id);
}

static int retry(kiln_dbc *db, const args *a)
{
    /* run_at: when it was made, so it runs at once, before younger ones */
    static const char sql[] =
        "UPDATE kiln_tasks SET state = 'queued', attempts = 0, run_at = "
        "created_at, finished_at = NULL, owner = NULL, lease_until = NULL "
        "WHERE state = 'failed' AND (id = $1 OR CAST($1 AS bigint) = 0)";
    if (a->state) {
        int64_t k = kiln_db_exec(db, sql, KILN_INT(0));
        if (k < 0)
            return cli_fail("%s", kiln_db_errmsg(db));
        printf("%lld failed task%s queued again\n", (long long)k,
               k == 1 ? "" : "s");
        return 0;
    }
    for (size_t i = 0; i < a->nids; i++) {
        int64_t k =
            kiln_db_exec(db, sql, KILN_INT(strtoll(a->ids[i], NULL, 10)));
        if (k < 0)
            return cli_fail("%s", kiln_db_errmsg(db));
        if (k == 0)
            return why_not(db, a->ids[i], "only failed tasks are retried");
        printf("task %s queued again\n", a->ids[i]);
    }
    return 0;
}

static int delete (kiln_dbc *db, const args *a)
{
    if (a->state) {
        int64_t k = kiln_db_exec(db, "DELETE FROM kiln_tasks WHERE state = $1",
                                 KILN_TEXT(a->state + 2));
        if (k < 0)
            return cli_fail("%s", kiln_db_errmsg(db));
        printf("%lld %s task%s deleted\n", (long long)k, a->state + 2,
               k == 1 ? "" : "s");
        return 0;
    }
    for (size_t i = 0; i < a->nids; i++) {
        int64_t k = kiln_db_exec(db,
                                 "DELETE FROM kiln_tasks WHERE id = $1 AND "
                                 "state <> 'running'",
                                 KILN_INT(strtoll(a->ids[i], NULL, 10)));
        if (k < 0)
            return cli_fail("%s", kiln_db_errmsg(db));
        if (k == 0)
            return why_not(db, a->ids[i],
                           "a running task is not deleted (stop its worker, "
                           "or wait for it)");
        printf("task %s deleted\n", a->ids[i]);
    }
    return 0;
}

static int add(kiln_dbc *db, const args *a)
{
    kiln_task_opts o = {.delay_ms = a->delay,
                        .priority = (int)a->priority,
                        .queue = a->queue,
                        .key = a->key,
                        .max_attempts = (int)a->max_attempts};
    int64_t id = 0;
    int rc = kiln_task_enqueue(db, a->ids[0], a->nids > 1 ? a->ids[1] : NULL,
                               &o, &id);
    if (rc < 0)
        return cli_fail("%s", kiln_db_errmsg(db));
    if (rc == 1)
        printf("task %lld has that key already: nothing added\n",
               (long long)id);
    else
        printf("task %lld queued\n", (long long)id);
    return 0;
}

int cmd_tasks(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(tasks_help, stdout);
        return 0;
    }
    args a = {0};
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    int rc =
        rest ? parse(argc, argv, &a, rest, &nrest) : cli_fail("out of memory");
    kiln_settings *s = NULL;
    kiln_dbc *db =
        rc ? NULL
           : cli_open_db(nrest, rest, tasks_schema.part, (int)tasks_schema.n,
                         "task tables", &s, &rc);
    kiln_settings_free(s);
    if (db) {
        const char *sub = a.sub ? a.sub : "";
        rc = !a.sub                   ? list(db, &a)
             : !strcmp(sub, "show")   ? show(db, strtoll(a.ids[0], NULL, 10))
             : !strcmp(sub, "retry")  ? retry(db, &a)
             : !strcmp(sub, "delete") ? delete (db, &a)
                                      : add(db, &a);
    }
    kiln_dbc_close(db);
    free(a.ids);
    free(rest);
    return rc;
}
