/*
 * tests/tasks/test_tasks_settings.c - the tasks.* settings and the
 * periodic tasks of [tasks.periodic] (src/config/settings_periodic.c),
 * and kiln_app_tasks's checks of them.
 */
#include "test.h"

#include <kiln.h>

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static char *noenv[] = {NULL};

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Loads text as kiln.toml; *err gets the message on failure. */
static kiln_settings *load_toml(const char *text, char *err, size_t n)
{
    char dir[64];
    strcpy(dir, "/tmp/kiln-tasks-set-XXXXXX");
    if (!mkdtemp(dir))
        test_fail(__FILE__, __LINE__, "mkdtemp");
    char path[128];
    snprintf(path, sizeof path, "%s/kiln.toml", dir);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    char *argv[] = {"app", NULL};
    kiln_settings_in in = {.root = dir, .argc = 1, .argv = argv, .envp = noenv};
    kiln_settings *s = NULL;
    err[0] = '\0';
    kiln_settings_load(&in, &s, err, n);
    nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    return s;
}

static void refused(const char *text, const char *want, int line)
{
    char err[512];
    kiln_settings *s = load_toml(text, err, sizeof err);
    if (s) {
        kiln_settings_free(s);
        test_fail(__FILE__, line, "loaded; want \"%s\"", want);
    }
    if (strcmp(err, want) != 0)
        test_fail(__FILE__, line, "error \"%s\", want \"%s\"", err, want);
}

TEST(tasks_settings_defaults_and_values)
{
    char err[512];
    kiln_settings *s = load_toml("", err, sizeof err);
    CHECK(s != NULL);
    kiln_tasks_opts o;
    kiln_tasks_opts_default(&o);
    kiln_settings_tasks_opts(s, &o);
    kiln_tasks_opts d;
    kiln_tasks_opts_default(&d);
    CHECK_INT(o.workers, 0);
    CHECK_INT(o.lease_ms, d.lease_ms);
    CHECK_INT(o.poll_ms, d.poll_ms);
    CHECK_INT(o.max_attempts, d.max_attempts);
    CHECK_INT(o.retry_min_ms, d.retry_min_ms);
    CHECK_INT(o.retry_max_ms, d.retry_max_ms);
    CHECK_INT(o.keep_done_hours, d.keep_done_hours);
    CHECK(o.services);
    CHECK_INT(o.nperiodic, 0);
    kiln_settings_free(s);

    s = load_toml("[tasks]\nworkers = 3\nqueues = \"mail, default\"\n"
                  "lease_ms = 5000\nmax_attempts = 2\nkeep_done_hours = 0\n"
                  "only = true\n[services]\nenabled = false\n",
                  err, sizeof err);
    CHECK(s != NULL);
    kiln_settings_tasks_opts(s, &o);
    CHECK_INT(o.workers, 3);
    CHECK_STR(o.queues, "mail, default");
    CHECK_INT(o.lease_ms, 5000);
    CHECK_INT(o.max_attempts, 2);
    CHECK_INT(o.keep_done_hours, 0);
    CHECK(!o.services);
    kiln_server_opts so;
    kiln_server_opts_default(&so);
    CHECK(!so.tasks_only);
    kiln_settings_server_opts(s, &so);
    CHECK(so.tasks_only);
    kiln_settings_free(s);

    refused("[tasks]\nlease_ms = 10\n",
            "kiln.toml:2:12: tasks.lease_ms must be between 1000 and "
            "86400000, not 10",
            __LINE__);
    refused("[tasks]\nworker = 2\n",
            "kiln.toml:2:1: unknown key 'worker' in [tasks] (did you mean "
            "'workers'?)",
            __LINE__);
    refused("[task]\nworkers = 2\n",
            "kiln.toml:1:2: unknown section [task] (did you mean [tasks]?)",
            __LINE__);
}

TEST(tasks_settings_flag_and_environment)
{
    /* --tasks is tasks.only; KILN_TASKS_WORKERS sets tasks.workers */
    char *env[] = {"KILN_TASKS_WORKERS=6", NULL};
    char *argv[] = {"app", "--tasks", NULL};
    kiln_settings_in in = {
        .root = "/nonexistent", .argc = 2, .argv = argv, .envp = env};
    kiln_settings *s = NULL;
    char err[256];
    CHECK_INT(kiln_settings_load(&in, &s, err, sizeof err), 0);
    CHECK(kiln_settings_bool(s, "tasks.only"));
    CHECK_STR(kiln_settings_origin(s, "tasks.only"), "flag --tasks");
    CHECK_INT(kiln_settings_int(s, "tasks.workers"), 6);
    CHECK_STR(kiln_settings_origin(s, "tasks.workers"),
              "env KILN_TASKS_WORKERS");
    kiln_settings_free(s);
}

TEST(tasks_settings_periodic_entries)
{
    char err[512];
    kiln_settings *s = load_toml(
        "[tasks.periodic]\n"
        "cleanup = \"0 3 * * *\"\n"
        "report = { cron = \"0 6 * * mon-fri\", task = \"email/report\", "
        "payload = { kind = \"daily\", n = [1, 2.5, true], at = "
        "1979-05-27T07:32:00Z }, queue = \"mail\", priority = 5 }\n"
        "\"every.second\" = \"* * * * * *\"\n",
        err, sizeof err);
    if (!s)
        test_fail(__FILE__, __LINE__, "load: %s", err);
    const kiln_periodic *p;
    CHECK_INT(kiln_settings_periodic(s, &p), 3);
    CHECK_STR(p[0].name, "cleanup");
    CHECK_STR(p[0].task, "cleanup");
    CHECK_STR(p[0].cron, "0 3 * * *");
    CHECK(p[0].payload == NULL && p[0].queue == NULL);
    CHECK_STR(p[0].origin, "kiln.toml:2");
    CHECK_STR(p[1].name, "report");
    CHECK_STR(p[1].task, "email/report");
    CHECK_STR(p[1].payload, "{\"kind\":\"daily\",\"n\":[1,2.5,true],\"at\":"
                            "\"1979-05-27T07:32:00Z\"}");
    CHECK_STR(p[1].queue, "mail");
    CHECK_INT(p[1].priority, 5);
    CHECK_STR(p[2].name, "every.second");
    /* kiln config shows them */
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    kiln_settings_print(s, f);
    fclose(f);
    CHECK(strstr(text, "\ntasks.periodic.cleanup = \"0 3 * * *\"  # "
                       "kiln.toml:2\n") != NULL);
    CHECK(strstr(text, "\ntasks.periodic.report = \"0 6 * * mon-fri\"  # "
                       "kiln.toml:3, task email/report, payload "
                       "{\"kind\":\"daily\"") != NULL);
    CHECK(strstr(text, "\ntasks.periodic.\"every.second\" = ") != NULL);
    free(text);
    kiln_settings_free(s);
}

TEST(tasks_settings_periodic_mistakes_are_placed)
{
    refused("[tasks.periodic]\nx = \"61 * * * *\"\n",
            "kiln.toml:2:5: tasks.periodic.x: minute 61 is out of range 0-59 "
            "(column 1)",
            __LINE__);
    refused("[tasks.periodic]\nx = 5\n",
            "kiln.toml:2:5: tasks.periodic.x must be a cron expression (a "
            "string) or a table {cron = \"...\", task = ..., payload = ...}, "
            "not integer",
            __LINE__);
    refused("[tasks.periodic]\nx = { task = \"y\" }\n",
            "kiln.toml:2:5: tasks.periodic.x has no cron = \"...\"", __LINE__);
    refused("[tasks.periodic]\nx = { cron = \"@daily\", tsak = \"y\" }\n",
            "kiln.toml:2:24: tasks.periodic.x: unknown key 'tsak' (did you "
            "mean 'task'?)",
            __LINE__);
    refused("[tasks.periodic]\nx = { cron = \"@daily\", task = \"a b\" }\n",
            "kiln.toml:2:31: tasks.periodic.x.task: 'a b' is not a name "
            "(letters, digits, '_', '-', '.', '/')",
            __LINE__);
    refused("[tasks.periodic]\nx = { cron = \"@daily\", payload = nan }\n",
            "kiln.toml:2:34: tasks.periodic.x: a payload cannot hold nan or "
            "inf (JSON has no such number)",
            __LINE__);
    refused("[tasks.periodic]\n\"a b\" = \"@daily\"\n",
            "kiln.toml:2:1: tasks.periodic: 'a b' is not an entry name "
            "(letters, digits, '_', '-', '.', '/')",
            __LINE__);
    refused("[tasks]\nperiodic = \"@daily\"\n",
            "kiln.toml:2:12: tasks.periodic must be a table of NAME = "
            "\"CRON\" entries, not string",
            __LINE__);
}

static int noop(kiln_ctx *c, const kiln_json *p)
{
    (void)c;
    (void)p;
    return 0;
}

TEST(app_tasks_checks_periodic_against_the_tasks)
{
    kiln_app *app = kiln_app_new();
    CHECK_INT(kiln_task_define(app, "cleanup", noop, NULL), 0);
    CHECK_INT(kiln_task_define(app, "cleanup", noop, NULL), KILN_ESTATE);
    CHECK_INT(kiln_task_define(app, "bad name", noop, NULL), KILN_EINVAL);
    kiln_task_def d = {.queue = "no queue"};
    CHECK_INT(kiln_task_define(app, "x", noop, &d), KILN_EINVAL);
    kiln_tasks_opts o;
    kiln_tasks_opts_default(&o);
    kiln_periodic p[2] = {
        {.name = "cleanup", .cron = "0 3 * * *", .origin = "kiln.toml:4"},
        {.name = "report", .cron = "@daily", .origin = "kiln.toml:5"}};
    o.periodic = p;
    o.nperiodic = 2;
    char err[256];
    CHECK_INT(kiln_app_tasks(app, &o, err, sizeof err), KILN_EINVAL);
    CHECK_STR(err, "kiln.toml:5: tasks.periodic.report: no task is called "
                   "'report' (a project defines it in tasks/report.c)");
    p[1].task = "cleanup";
    p[1].payload = "{oops";
    CHECK_INT(kiln_app_tasks(app, &o, err, sizeof err), KILN_EINVAL);
    CHECK(strstr(err, "kiln.toml:5: tasks.periodic.report: the payload is "
                      "not JSON") == err);
    p[1].payload = "{\"ok\":1}";
    CHECK_INT(kiln_app_tasks(app, &o, err, sizeof err), 0);
    o.queues = "mail, bad queue!";
    CHECK_INT(kiln_app_tasks(app, &o, err, sizeof err), KILN_EINVAL);
    CHECK(strstr(err, "'queue!' is not a queue name") != NULL);
    o.queues = "";
    o.lease_ms = 10;
    CHECK_INT(kiln_app_tasks(app, &o, err, sizeof err), KILN_EINVAL);
    kiln_app_free(app);
}
