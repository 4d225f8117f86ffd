/*
 * tests/config/test_settings.c - unit tests of the settings layer
 * (include/kiln/config.h, src/config/settings*.c, src/config/dotenv.c).
 *
 * Each test works in its own folder under /tmp (mkdtemp) and removes it at
 * the end; the environment is passed as envp wherever the test does not
 * need the process environment, so the tests do not depend on the shell
 * they run in.
 */
#include "test.h"

#include "config/settings.h"

#include <kiln/config.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ----------------------------------------------------------- */

static char *noenv[] = {NULL};

/* A fresh folder under /tmp (static storage: one per test process). */
static const char *tmp_root(void)
{
    static char dir[64];
    strcpy(dir, "/tmp/kiln-settings-XXXXXX");
    if (!mkdtemp(dir))
        test_fail(__FILE__, __LINE__, "mkdtemp failed");
    return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void rm_root(const char *dir)
{
    nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void put_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        test_fail(__FILE__, __LINE__, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

/* One load: the result, its code and its message. */
typedef struct run {
    kiln_settings *s;
    int rc;
    char err[1024];
} run;

/* Loads with argv (NULL-terminated, argv[0] included) and envp. */
static int load(run *r, const char *root, bool dev, char **envp, char **argv)
{
    int argc = 0;
    while (argv && argv[argc])
        argc++;
    kiln_settings_in in = {
        .root = root, .dev = dev, .argc = argc, .argv = argv, .envp = envp};
    r->s = NULL;
    r->err[0] = '\0';
    r->rc = kiln_settings_load(&in, &r->s, r->err, sizeof r->err);
    return r->rc;
}

/* Loads and expects failure with exactly the message want. */
static void load_err(const char *root, bool dev, char **envp, char **argv,
                     const char *want, int line)
{
    run r;
    load(&r, root, dev, envp, argv);
    if (r.rc >= 0 || r.s != NULL)
        test_fail(__FILE__, line, "load succeeded (rc %d), expected \"%s\"",
                  r.rc, want);
    if (strcmp(r.err, want) != 0)
        test_fail(__FILE__, line, "error \"%s\", expected \"%s\"", r.err, want);
    if (strchr(r.err, '\n'))
        test_fail(__FILE__, line, "error has a newline");
}

/* Writes kiln.toml with text and expects the load to fail with want. */
static void toml_err(const char *text, const char *want, int line)
{
    const char *dir = tmp_root();
    put_file(dir, "kiln.toml", text);
    char *argv[] = {"app", NULL};
    load_err(dir, false, noenv, argv, want, line);
    rm_root(dir);
}

/*
 * kiln_settings_print into a malloc'd string (caller frees). Not inlined:
 * GCC otherwise takes open_memstream's pointer to a local for a dangling one.
 */
__attribute__((noinline)) static char *print_all(const kiln_settings *s)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    kiln_settings_print(s, f);
    fclose(f);
    return text;
}

/* ---- defaults ---------------------------------------------------------- */

TEST(settings_defaults)
{
    const char *dir = tmp_root();
    char *argv[] = {"app", NULL};
    run r;
    CHECK_INT(load(&r, dir, false, noenv, argv), 0);
    kiln_settings *s = r.s;
    CHECK_STR(kiln_settings_str(s, "server.host"), "127.0.0.1");
    CHECK_INT(kiln_settings_int(s, "server.port"), 8000);
    CHECK_STR(kiln_settings_str(s, "server.port"), "8000");
    CHECK_INT(kiln_settings_int(s, "server.workers"), 0);
    CHECK_INT(kiln_settings_int(s, "server.header_timeout_ms"), 10000);
    CHECK_INT(kiln_settings_int(s, "server.idle_timeout_ms"), 60000);
    CHECK_INT(kiln_settings_int(s, "server.body_timeout_ms"), 30000);
    CHECK_INT(kiln_settings_int(s, "server.drain_timeout_ms"), 10000);
    CHECK_INT(kiln_settings_int(s, "server.max_body"), 10485760);
    CHECK_INT(kiln_settings_int(s, "server.max_target"), 8192);
    CHECK_INT(kiln_settings_int(s, "server.max_header_bytes"), 16384);
    CHECK_INT(kiln_settings_int(s, "server.max_headers"), 100);
    CHECK_INT(kiln_settings_int(s, "server.max_connections"), 100000);
    CHECK_STR(kiln_settings_str(s, "database.url"), "sqlite://./app.db");
    CHECK_STR(kiln_settings_str(s, "app.name"), "");
    CHECK(!kiln_settings_bool(s, "app.debug"));
    CHECK_STR(kiln_settings_str(s, "app.debug"), "false");
    CHECK(kiln_settings_str(s, "app.secret_key") == NULL);
    CHECK_STR(kiln_settings_origin(s, "app.secret_key"), "default");
    CHECK_STR(kiln_settings_str(s, "static.dir"), "static");
    CHECK_STR(kiln_settings_str(s, "static.url"), "/static/");
    CHECK(!kiln_settings_bool(s, "static.embed"));
    CHECK_INT(kiln_settings_int(s, "static.max_age"), 0);
    CHECK_STR(kiln_settings_str(s, "logging.level"), "info");
    CHECK(!kiln_settings_bool(s, "logging.access_log"));
    CHECK_STR(kiln_settings_origin(s, "server.port"), "default");
    CHECK(!kiln_settings_dev(s));
    /* Unknown keys. */
    CHECK(kiln_settings_str(s, "server.nope") == NULL);
    CHECK(kiln_settings_origin(s, "nope") == NULL);
    CHECK_INT(kiln_settings_int(s, "server.nope"), 0);
    CHECK(!kiln_settings_bool(s, "extra.nope"));
    /* No .kiln folder in production. */
    char path[128];
    snprintf(path, sizeof path, "%s/.kiln", dir);
    CHECK(access(path, F_OK) != 0);
    kiln_settings_free(s);
    rm_root(dir);
}

TEST(settings_dev_defaults)
{
    const char *dir = tmp_root();
    char *argv[] = {"app", NULL};
    run r;
    CHECK_INT(load(&r, dir, true, noenv, argv), 0);
    CHECK(kiln_settings_bool(r.s, "app.debug"));
    CHECK(kiln_settings_dev(r.s));
    CHECK_STR(kiln_settings_origin(r.s, "app.debug"), "default");
    CHECK_STR(kiln_settings_origin(r.s, "app.secret_key"), "generated");
    kiln_settings_free(r.s);
    rm_root(dir);
}

/* ---- layers ------------------------------------------------------------ */

TEST(settings_toml)
{
    const char *dir = tmp_root();
    put_file(dir, "kiln.toml",
             "# settings\n"
             "database.url = \"postgres://db/app\"\n"
             "[server]\n"
             "host = \"0.0.0.0\"\n"
             "port = 9000\n"
             "max_body = \"2MiB\"\n"
             "max_target = 4096\n"
             "[app]\n"
             "debug = true\n"
             "[static]\n"
             "max_age = 3600\n"
             "[extra]\n"
             "greeting = \"hi \\\"you\\\"\"\n"
             "answer = 42\n"
             "ratio = 0.5\n"
             "flag = true\n"
             "[logging]\n"
             "level = \"debug\"\n");
    char *argv[] = {"app", NULL};
    run r;
    CHECK_INT(load(&r, dir, false, noenv, argv), 0);
    kiln_settings *s = r.s;
    CHECK_STR(kiln_settings_str(s, "database.url"), "postgres://db/app");
    CHECK_STR(kiln_settings_origin(s, "database.url"), "kiln.toml:2");
    CHECK_STR(kiln_settings_str(s, "server.host"), "0.0.0.0");
    CHECK_STR(kiln_settings_origin(s, "server.host"), "kiln.toml:4");
    CHECK_INT(kiln_settings_int(s, "server.port"), 9000);
    CHECK_STR(kiln_settings_origin(s, "server.port"), "kiln.toml:5");
    CHECK_INT(kiln_settings_int(s, "server.max_body"), 2 * 1024 * 1024);
    CHECK_STR(kiln_settings_str(s, "server.max_body"), "2097152");
    CHECK_INT(kiln_settings_int(s, "server.max_target"), 4096);
    CHECK(kiln_settings_bool(s, "app.debug"));
    CHECK_STR(kiln_settings_origin(s, "app.debug"), "kiln.toml:9");
    CHECK_INT(kiln_settings_int(s, "static.max_age"), 3600);
    CHECK_STR(kiln_settings_str(s, "extra.greeting"), "hi \"you\"");
    CHECK_STR(kiln_settings_origin(s, "extra.greeting"), "kiln.toml:13");
    CHECK_INT(kiln_settings_int(s, "extra.answer"), 42);
    CHECK_STR(kiln_settings_str(s, "extra.answer"), "42");
    CHECK_STR(kiln_settings_str(s, "extra.ratio"), "0.5");
    CHECK(kiln_settings_bool(s, "extra.flag"));
    CHECK_STR(kiln_settings_str(s, "logging.level"), "debug");
    CHECK_STR(kiln_settings_origin(s, "server.workers"), "default");
    char *text = print_all(s);
    CHECK(
        strstr(text, "extra.greeting = \"hi \\\"you\\\"\"  # kiln.toml:13\n"));
    CHECK(strstr(text, "extra.answer = 42  # kiln.toml:14\n"));
    CHECK(strstr(text, "extra.ratio = 0.5  # kiln.toml:15\n"));
    free(text);
    kiln_settings_free(s);
    rm_root(dir);
}

TEST(settings_toml_path_given)
{
    const char *dir = tmp_root();
    put_file(dir, "other.toml", "\n[server]\nport = 7000\n");
    char path[128], arg[140];
    snprintf(path, sizeof path, "%s/other.toml", dir);
    kiln_settings_in in = {.root = dir, .toml_path = path, .envp = noenv};
    kiln_settings *s;
    char err[512];
    CHECK_INT(kiln_settings_load(&in, &s, err, sizeof err), 0);
    CHECK_INT(kiln_settings_int(s, "server.port"), 7000);
    char want[160];
    snprintf(want, sizeof want, "%s:3", path);
    CHECK_STR(kiln_settings_origin(s, "server.port"), want);
    kiln_settings_free(s);

    /* --config FILE wins over toml_path; a missing file is an error. */
    snprintf(arg, sizeof arg, "--config=%s/missing.toml", dir);
    char *argv[] = {"app", arg, NULL};
    in.argc = 2;
    in.argv = argv;
    CHECK_INT(kiln_settings_load(&in, &s, err, sizeof err), KILN_EIO);
    CHECK(s == NULL);
    snprintf(want, sizeof want,
             "cannot read %s/missing.toml: No such file or directory", dir);
    CHECK_STR(err, want);
    rm_root(dir);
}

TEST(settings_layers_precedence)
{
    const char *dir = tmp_root();
    put_file(dir, "kiln.toml", "[server]\nport = 9000\nhost = \"::1\"\n");
    put_file(dir, ".env",
             "# dev settings\n"
             "\n"
             "KILN_SERVER_PORT=9001\n"
             "KILN_DATABASE_URL=sqlite://dev.db\n");
    char *env[] = {"PATH=/bin", "KILN_SERVER_PORT=9002", "KILN_ROOT=/x",
                   "KILN_READY_FD=5", NULL};
    char *noflags[] = {"app", NULL};
    char *flags[] = {"app", "--port", "9003", NULL};
    run r;

    /* toml only (production: .env ignored) */
    CHECK_INT(load(&r, dir, false, noenv, noflags), 0);
    CHECK_INT(kiln_settings_int(r.s, "server.port"), 9000);
    CHECK_STR(kiln_settings_origin(r.s, "server.port"), "kiln.toml:2");
    CHECK_STR(kiln_settings_str(r.s, "database.url"), "sqlite://./app.db");
    kiln_settings_free(r.s);

    /* + .env in development */
    CHECK_INT(load(&r, dir, true, noenv, noflags), 0);
    CHECK_INT(kiln_settings_int(r.s, "server.port"), 9001);
    CHECK_STR(kiln_settings_origin(r.s, "server.port"), ".env:3");
    CHECK_STR(kiln_settings_str(r.s, "database.url"), "sqlite://dev.db");
    CHECK_STR(kiln_settings_origin(r.s, "database.url"), ".env:4");
    CHECK_STR(kiln_settings_str(r.s, "server.host"), "::1");
    kiln_settings_free(r.s);

    /* + environment */
    CHECK_INT(load(&r, dir, true, env, noflags), 0);
    CHECK_INT(kiln_settings_int(r.s, "server.port"), 9002);
    CHECK_STR(kiln_settings_origin(r.s, "server.port"), "env KILN_SERVER_PORT");
    kiln_settings_free(r.s);

    /* + flags */
    CHECK_INT(load(&r, dir, true, env, flags), 0);
    CHECK_INT(kiln_settings_int(r.s, "server.port"), 9003);
    CHECK_STR(kiln_settings_str(r.s, "server.port"), "9003");
    CHECK_STR(kiln_settings_origin(r.s, "server.port"), "flag --port");
    CHECK_STR(kiln_settings_origin(r.s, "server.host"), "kiln.toml:3");
    kiln_settings_free(r.s);
    rm_root(dir);
}

TEST(settings_env_keys)
{
    const char *dir = tmp_root();
    char *env[] = {"KILN_STATIC_MAX_AGE=60",
                   "KILN_APP_SECRET_KEY=k3y",
                   "KILN_LOGGING_ACCESS_LOG=Yes",
                   "KILN_SERVER_MAX_BODY=512KiB",
                   "KILN_SERVER_HEADER_TIMEOUT_MS=500",
                   "KILN_EXTRA_STRIPE_KEY=sk_test",
                   "KILN_BB_ASAN=1",
                   "KILN_TPL_STRICT=1",
                   "NOT_KILN=1",
                   NULL};
    char *argv[] = {"app", NULL};
    run r;
    CHECK_INT(load(&r, dir, false, env, argv), 0);
    CHECK_INT(kiln_settings_int(r.s, "static.max_age"), 60);
    CHECK_STR(kiln_settings_origin(r.s, "static.max_age"),
              "env KILN_STATIC_MAX_AGE");
    CHECK_STR(kiln_settings_str(r.s, "app.secret_key"), "k3y");
    CHECK(kiln_settings_bool(r.s, "logging.access_log"));
    CHECK_STR(kiln_settings_str(r.s, "logging.access_log"), "true");
    CHECK_INT(kiln_settings_int(r.s, "server.max_body"), 512 * 1024);
    CHECK_INT(kiln_settings_int(r.s, "server.header_timeout_ms"), 500);
    CHECK_STR(kiln_settings_str(r.s, "extra.stripe_key"), "sk_test");
    CHECK_STR(kiln_settings_origin(r.s, "extra.stripe_key"),
              "env KILN_EXTRA_STRIPE_KEY");
    kiln_settings_free(r.s);
    rm_root(dir);
}

TEST(settings_flags)
{
    const char *dir = tmp_root();
    char *argv[] = {"app",
                    "--dev",
                    "--root",
                    "/elsewhere",
                    "--host=0.0.0.0",
                    "--workers",
                    "4",
                    "--header-timeout-ms=100",
                    "--idle-timeout-ms",
                    "200",
                    "--body-timeout-ms=300",
                    "--drain-ms=400",
                    "--max-body",
                    "1MB",
                    "--access-log",
                    "--db",
                    "postgres://x",
                    "--debug=false",
                    "--set",
                    "static.dir=public",
                    "--set=extra.mode=fast",
                    "--set",
                    "server.port=1234",
                    NULL};
    run r;
    CHECK_INT(load(&r, dir, false, noenv, argv), 0);
    kiln_settings *s = r.s;
    CHECK_STR(kiln_settings_str(s, "server.host"), "0.0.0.0");
    CHECK_STR(kiln_settings_origin(s, "server.host"), "flag --host");
    CHECK_INT(kiln_settings_int(s, "server.workers"), 4);
    CHECK_INT(kiln_settings_int(s, "server.header_timeout_ms"), 100);
    CHECK_INT(kiln_settings_int(s, "server.idle_timeout_ms"), 200);
    CHECK_INT(kiln_settings_int(s, "server.body_timeout_ms"), 300);
    CHECK_INT(kiln_settings_int(s, "server.drain_timeout_ms"), 400);
    CHECK_STR(kiln_settings_origin(s, "server.drain_timeout_ms"),
              "flag --drain-ms");
    CHECK_INT(kiln_settings_int(s, "server.max_body"), 1000000);
    CHECK(kiln_settings_bool(s, "logging.access_log"));
    CHECK_STR(kiln_settings_origin(s, "logging.access_log"),
              "flag --access-log");
    CHECK_STR(kiln_settings_str(s, "database.url"), "postgres://x");
    CHECK(!kiln_settings_bool(s, "app.debug"));
    CHECK_STR(kiln_settings_origin(s, "app.debug"), "flag --debug");
    CHECK_STR(kiln_settings_str(s, "static.dir"), "public");
    CHECK_STR(kiln_settings_origin(s, "static.dir"), "flag --set static.dir");
    CHECK_STR(kiln_settings_str(s, "extra.mode"), "fast");
    CHECK_INT(kiln_settings_int(s, "server.port"), 1234);
    /* --dev as a flag does not change the mode: the caller decides. */
    CHECK(!kiln_settings_dev(s));

    kiln_server_opts o;
    kiln_server_opts_default(&o);
    int cores = o.workers;
    kiln_settings_server_opts(s, &o);
    CHECK_STR(o.host, "0.0.0.0");
    CHECK_INT(o.port, 1234);
    CHECK_INT(o.workers, 4);
    CHECK_INT(o.header_timeout_ms, 100);
    CHECK_INT(o.idle_timeout_ms, 200);
    CHECK_INT(o.body_timeout_ms, 300);
    CHECK_INT(o.drain_timeout_ms, 400);
    CHECK_INT(o.max_body, 1000000);
    CHECK_INT(o.max_target, 8192);
    CHECK_INT(o.max_header_bytes, 16384);
    CHECK_INT(o.max_headers, 100);
    CHECK_INT(o.max_connections, 100000);
    CHECK(o.access_log);
    kiln_settings_free(s);

    /* workers 0 keeps the default (one per core). */
    char *plain[] = {"app", NULL};
    CHECK_INT(load(&r, dir, false, noenv, plain), 0);
    kiln_server_opts_default(&o);
    kiln_settings_server_opts(r.s, &o);
    CHECK_INT(o.workers, cores);
    CHECK(!o.access_log);
    kiln_settings_free(r.s);
    rm_root(dir);
}

TEST(settings_help)
{
    const char *dir = tmp_root();
    char out[128];
    snprintf(out, sizeof out, "%s/help.txt", dir);
    fflush(stdout);
    int saved = dup(1);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(saved >= 0 && fd >= 0);
    dup2(fd, 1);
    close(fd);
    char *argv[] = {"app", "--port", "1", "--help", "--bogus", NULL};
    run r;
    int rc = load(&r, dir, false, noenv, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    CHECK_INT(rc, 1);
    CHECK(r.s == NULL);
    FILE *f = fopen(out, "r");
    char text[4096];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    CHECK(strstr(text, "--port N"));
    CHECK(strstr(text, "--set SECTION.KEY=VALUE"));
    CHECK(strstr(text, "--max-body SIZE"));
    rm_root(dir);
}

/* ---- errors ------------------------------------------------------------ */

TEST(settings_toml_errors)
{
    toml_err("[server]\nprot = 80\n",
             "kiln.toml:2:1: unknown key 'prot' in [server] (did you mean "
             "'port'?)",
             __LINE__);
    toml_err("[server]\n  PORT = 80\n",
             "kiln.toml:2:3: unknown key 'PORT' in [server] (did you mean "
             "'port'?)",
             __LINE__);
    toml_err("[server]\nurl = \"x\"\n",
             "kiln.toml:2:1: unknown key 'url' in [server] (did you mean "
             "'database.url'?)",
             __LINE__);
    toml_err("[server]\ncompletely_different = 1\n",
             "kiln.toml:2:1: unknown key 'completely_different' in [server]",
             __LINE__);
    toml_err("[serer]\nport = 1\n",
             "kiln.toml:1:2: unknown section [serer] (did you mean "
             "[server]?)",
             __LINE__);
    /* Control characters in a quoted key do not break the line. */
    toml_err("[server]\n\"a\\nb\" = 1\n",
             "kiln.toml:2:1: unknown key 'a?b' in [server]", __LINE__);
    toml_err("[zzzzzzzz]\n",
             "kiln.toml:1:2: unknown section [zzzzzzzz] (known: [server], "
             "[database], [app], [static], [logging], [extra])",
             __LINE__);
    toml_err("port = 1\n",
             "kiln.toml:1:1: unknown key 'port' at the top level (did you "
             "mean 'server.port'?)",
             __LINE__);
    toml_err("server.prot = 1\n",
             "kiln.toml:1:8: unknown key 'prot' in [server] (did you mean "
             "'port'?)",
             __LINE__);
    toml_err("[server]\nport = \"8000\"\n",
             "kiln.toml:2:8: server.port must be an integer, not a string",
             __LINE__);
    toml_err("[app]\ndebug = 1\n",
             "kiln.toml:2:9: app.debug must be a boolean, not an integer",
             __LINE__);
    toml_err("[server]\nmax_body = 1.5\n",
             "kiln.toml:2:12: server.max_body must be a size (an integer or a "
             "string such as \"10MiB\"), not a float",
             __LINE__);
    toml_err("server = 1\n",
             "kiln.toml:1:1: [server] must be a table, not an integer",
             __LINE__);
    toml_err("[server]\nport = 70000\n",
             "kiln.toml:2:8: server.port must be between 1 and 65535, not "
             "70000",
             __LINE__);
    toml_err("[server]\nworkers = -1\n",
             "kiln.toml:2:11: server.workers must be between 0 and 1024, not "
             "-1",
             __LINE__);
    toml_err("[server]\nidle_timeout_ms = 0\n",
             "kiln.toml:2:19: server.idle_timeout_ms must be between 1 and "
             "86400000, not 0",
             __LINE__);
    toml_err("[server]\nmax_body = \"10XB\"\n",
             "kiln.toml:2:12: server.max_body: unknown size unit 'XB' in "
             "'10XB' (use B, kB, KiB, MB, MiB, GB, GiB, TB or TiB)",
             __LINE__);
    toml_err("[server]\nmax_body = \"-1MiB\"\n",
             "kiln.toml:2:12: server.max_body: a size must not be negative, "
             "not '-1MiB'",
             __LINE__);
    toml_err("[extra]\nlist = [1, 2]\n",
             "kiln.toml:2:8: extra.list must be a string, number, boolean or "
             "date-time, not an array",
             __LINE__);
    /* A TOML syntax error keeps the parser's file:line:col. */
    toml_err("[server]\nport = = 1\n",
             "kiln.toml:2:8: expected a value, found '='", __LINE__);
    toml_err("[server]\nport = 1\nport = 2\n",
             "kiln.toml:3:1: duplicate key \"port\" (first defined at 2:1)",
             __LINE__);
}

TEST(settings_env_errors)
{
    const char *dir = tmp_root();
    char *argv[] = {"app", NULL};
    char *e1[] = {"KILN_SERVER_PORT=abc", NULL};
    load_err(dir, false, e1, argv,
             "environment KILN_SERVER_PORT: server.port must be an integer, "
             "not 'abc'",
             __LINE__);
    char *e2[] = {"KILN_SERVER_PROT=80", NULL};
    load_err(dir, false, e2, argv,
             "environment KILN_SERVER_PROT: unknown setting server.prot (did "
             "you mean server.port?)",
             __LINE__);
    char *e3[] = {"KILN_LOGGING_ACCESS_LOG=maybe", NULL};
    load_err(dir, false, e3, argv,
             "environment KILN_LOGGING_ACCESS_LOG: logging.access_log must be "
             "a boolean (true/false, 1/0, yes/no, on/off), not 'maybe'",
             __LINE__);
    char *e4[] = {"KILN_SERVER_MAX_BODY=99999999999999999999", NULL};
    load_err(dir, false, e4, argv,
             "environment KILN_SERVER_MAX_BODY: server.max_body: size "
             "'99999999999999999999' is too large",
             __LINE__);
    char *e5[] = {"KILN_SERVER_PORT=0", NULL};
    load_err(dir, false, e5, argv,
             "environment KILN_SERVER_PORT: server.port must be between 1 and "
             "65535, not 0",
             __LINE__);
    char *e7[] = {"KILN_LOGGING_LEVEL=verbose", NULL};
    load_err(dir, false, e7, argv,
             "environment KILN_LOGGING_LEVEL: logging.level must be one of "
             "debug, info, warn, error, not 'verbose'",
             __LINE__);
    char *e8[] = {"KILN_LOGGING_LEVEL=WARN", NULL};
    run r;
    CHECK_INT(load(&r, dir, false, e8, argv), 0);
    CHECK_STR(kiln_settings_str(r.s, "logging.level"), "warn");
    kiln_settings_free(r.s);
    char *e6[] = {"KILN_STATIC_NOTHING_LIKE_IT=1", NULL};
    load_err(dir, false, e6, argv,
             "environment KILN_STATIC_NOTHING_LIKE_IT: unknown setting "
             "static.nothing_like_it",
             __LINE__);
    rm_root(dir);
}

TEST(settings_flag_errors)
{
    const char *dir = tmp_root();
    char *a1[] = {"app", "--x", NULL};
    load_err(dir, false, noenv, a1, "unknown option '--x' (see --help)",
             __LINE__);
    char *a2[] = {"app", "--bogus=1", NULL};
    load_err(dir, false, noenv, a2, "unknown option '--bogus' (see --help)",
             __LINE__);
    char *a3[] = {"app", "--port", NULL};
    load_err(dir, false, noenv, a3, "flag --port needs a value", __LINE__);
    char *a4[] = {"app", "--port=http", NULL};
    load_err(dir, false, noenv, a4,
             "flag --port: server.port must be an integer, not 'http'",
             __LINE__);
    char *a5[] = {"app", "--set", "server.prot=1", NULL};
    load_err(dir, false, noenv, a5,
             "flag --set: unknown setting server.prot (did you mean "
             "server.port?)",
             __LINE__);
    char *a6[] = {"app", "--set", "port", NULL};
    load_err(dir, false, noenv, a6,
             "flag --set: expected section.key=VALUE, not 'port'", __LINE__);
    char *a7[] = {"app", "--set=static.max_age=-5", NULL};
    load_err(dir, false, noenv, a7,
             "flag --set static.max_age: static.max_age must be between 0 and "
             "2147483647, not -5",
             __LINE__);
    char *a8[] = {"app", "serve", NULL};
    load_err(dir, false, noenv, a8, "unexpected argument 'serve' (see --help)",
             __LINE__);
    char *a9[] = {"app", "--workers", "2000", NULL};
    load_err(dir, false, noenv, a9,
             "flag --workers: server.workers must be between 0 and 1024, not "
             "2000",
             __LINE__);
    rm_root(dir);
}

TEST(settings_dotenv_errors)
{
    const char *dir = tmp_root();
    char *argv[] = {"app", NULL};
    put_file(dir, ".env", "A=1\nthis is not a line\n");
    load_err(dir, true, noenv, argv, ".env:2: expected '=' after this",
             __LINE__);
    put_file(dir, ".env", "\n\nA='open\n");
    load_err(dir, true, noenv, argv,
             ".env:3: unterminated single-quoted value of A", __LINE__);
    put_file(dir, ".env", "A=\"x\" y\n");
    load_err(dir, true, noenv, argv,
             ".env:1: unexpected text after the quoted value of A", __LINE__);
    put_file(dir, ".env", "=1\n");
    load_err(dir, true, noenv, argv,
             ".env:1: expected NAME=VALUE (a name is letters, digits and _)",
             __LINE__);
    put_file(dir, ".env", "# x\nKILN_SERVER_PORT=nine\n");
    load_err(dir, true, noenv, argv,
             ".env:2: KILN_SERVER_PORT: server.port must be an integer, not "
             "'nine'",
             __LINE__);
    put_file(dir, ".env", "KILN_APP_NAMES=x\n");
    load_err(dir, true, noenv, argv,
             ".env:1: KILN_APP_NAMES: unknown setting app.names (did you mean "
             "app.name?)",
             __LINE__);
    /* Production runs do not read .env at all. */
    run r;
    CHECK_INT(load(&r, dir, false, noenv, argv), 0);
    kiln_settings_free(r.s);
    rm_root(dir);
}

/* ---- .env parsing ------------------------------------------------------ */

TEST(dotenv_parse_forms)
{
    static const char src[] = "# comment\n"
                              "\n"
                              "PLAIN=value\n"
                              "  SPACED  =   trimmed value   \n"
                              "export EXPORTED=yes\n"
                              "SINGLE='lit\\n $x # not a comment'\n"
                              "DOUBLE=\"a\\nb \\\"q\\\" \\\\ \\d\" # comment\n"
                              "HASH=a#b # comment\n"
                              "EMPTY=\n"
                              "EMPTYQ=\"\"\r\n"
                              "URL=postgres://u:p@h/db?x=1\n"
                              "exporter=1\n"
                              "LAST=no newline";
    kiln_arena a;
    kiln_arena_init(&a, 0);
    dotenv_entry *e;
    size_t n;
    char err[200];
    CHECK_INT(
        dotenv_parse(&a, src, sizeof src - 1, ".env", &e, &n, err, sizeof err),
        0);
    CHECK_INT(n, 11);
    CHECK_STR(e[0].name, "PLAIN");
    CHECK_STR(e[0].value, "value");
    CHECK_INT(e[0].line, 3);
    CHECK_STR(e[1].name, "SPACED");
    CHECK_STR(e[1].value, "trimmed value");
    CHECK_STR(e[2].name, "EXPORTED");
    CHECK_STR(e[2].value, "yes");
    CHECK_STR(e[3].value, "lit\\n $x # not a comment");
    CHECK_STR(e[4].value, "a\nb \"q\" \\ \\d");
    CHECK_STR(e[5].value, "a#b");
    CHECK_STR(e[6].value, "");
    CHECK_STR(e[7].name, "EMPTYQ");
    CHECK_STR(e[7].value, "");
    CHECK_STR(e[8].value, "postgres://u:p@h/db?x=1");
    CHECK_STR(e[9].name, "exporter");
    CHECK_STR(e[10].value, "no newline");
    CHECK_INT(e[10].line, 13);

    static const char nul[] = "A=1\nB=\0\n";
    CHECK_INT(
        dotenv_parse(&a, nul, sizeof nul - 1, ".env", &e, &n, err, sizeof err),
        KILN_EPARSE);
    CHECK_STR(err, ".env:2: NUL byte in the file");
    kiln_arena_deinit(&a);
}

TEST(settings_dotenv_process_env)
{
    const char *dir = tmp_root();
    put_file(dir, ".env",
             "SETTINGS_TEST_REAL=from-file\n"
             "export SETTINGS_TEST_NEW='new value'\n"
             "KILN_APP_NAME=\"blog\"\n");
    /* Only this test's own KILN_ variables matter. */
    extern char **environ;
    for (char **p = environ; p && *p;) {
        if (strncmp(*p, "KILN_", 5) == 0) {
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)strcspn(*p, "="), *p);
            unsetenv(name);
        } else {
            p++;
        }
    }
    setenv("SETTINGS_TEST_REAL", "real", 1);
    unsetenv("SETTINGS_TEST_NEW");
    char *argv[] = {"app", NULL};
    run r;

    /* With envp given, the process environment is left alone. */
    char *env[] = {"SETTINGS_TEST_REAL=other", NULL};
    CHECK_INT(load(&r, dir, true, env, argv), 0);
    CHECK(getenv("SETTINGS_TEST_NEW") == NULL);
    CHECK_STR(kiln_settings_str(r.s, "app.name"), "blog");
    kiln_settings_free(r.s);

    /* With the process environment, new names are added, real ones win. */
    CHECK_INT(load(&r, dir, true, NULL, argv), 0);
    CHECK_STR(getenv("SETTINGS_TEST_REAL"), "real");
    CHECK_STR(getenv("SETTINGS_TEST_NEW"), "new value");
    CHECK_STR(kiln_settings_str(r.s, "app.name"), "blog");
    CHECK_STR(kiln_settings_origin(r.s, "app.name"), ".env:3");
    kiln_settings_free(r.s);

    /* The real environment also wins over .env for settings. */
    setenv("KILN_APP_NAME", "shop", 1);
    CHECK_INT(load(&r, dir, true, NULL, argv), 0);
    CHECK_STR(kiln_settings_str(r.s, "app.name"), "shop");
    CHECK_STR(kiln_settings_origin(r.s, "app.name"), "env KILN_APP_NAME");
    kiln_settings_free(r.s);
    rm_root(dir);
}

/* ---- secret key -------------------------------------------------------- */

TEST(settings_secret_generated)
{
    const char *dir = tmp_root();
    char *argv[] = {"app", NULL};
    run r;
    CHECK_INT(load(&r, dir, true, noenv, argv), 0);
    const char *k1 = kiln_settings_str(r.s, "app.secret_key");
    CHECK(k1 != NULL);
    CHECK_INT(strlen(k1), 48);
    CHECK_INT(strspn(k1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789-_"),
              48);
    CHECK_STR(kiln_settings_origin(r.s, "app.secret_key"), "generated");
    char key1[64];
    strcpy(key1, k1);
    char err[512];
    CHECK_INT(kiln_settings_check_production(r.s, err, sizeof err),
              KILN_EINVAL);
    CHECK(strstr(err, "app.secret_key was generated for development"));
    CHECK(strstr(err, "KILN_APP_SECRET_KEY"));
    kiln_settings_free(r.s);

    char path[160];
    struct stat st;
    snprintf(path, sizeof path, "%s/.kiln", dir);
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0700);
    snprintf(path, sizeof path, "%s/.kiln/secret_key", dir);
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    FILE *f = fopen(path, "r");
    char kept[80] = {0};
    CHECK(fgets(kept, sizeof kept, f) != NULL);
    fclose(f);
    CHECK_INT(strlen(kept), 49);
    CHECK(memcmp(kept, key1, 48) == 0 && kept[48] == '\n');

    /* Reused next time. */
    CHECK_INT(load(&r, dir, true, noenv, argv), 0);
    CHECK_STR(kiln_settings_str(r.s, "app.secret_key"), key1);
    kiln_settings_free(r.s);

    /* A damaged file is replaced. */
    put_file(dir, ".kiln/secret_key", "short\n");
    CHECK_INT(load(&r, dir, true, noenv, argv), 0);
    const char *k3 = kiln_settings_str(r.s, "app.secret_key");
    CHECK_INT(strlen(k3), 48);
    CHECK(strcmp(k3, key1) != 0);
    f = fopen(path, "r");
    CHECK(fgets(kept, sizeof kept, f) != NULL);
    fclose(f);
    CHECK(memcmp(kept, k3, 48) == 0);
    kiln_settings_free(r.s);

    /* A key from any source is not replaced (and not generated). */
    char *env[] = {"KILN_APP_SECRET_KEY=mine", NULL};
    CHECK_INT(load(&r, dir, true, env, argv), 0);
    CHECK_STR(kiln_settings_str(r.s, "app.secret_key"), "mine");
    kiln_settings_free(r.s);

    /* Not in production. */
    CHECK_INT(load(&r, dir, false, noenv, argv), 0);
    CHECK(kiln_settings_str(r.s, "app.secret_key") == NULL);
    kiln_settings_free(r.s);
    rm_root(dir);
}

TEST(settings_secret_unwritable_root)
{
    char *argv[] = {"app", NULL};
    run r;
    CHECK_INT(load(&r, "/nonexistent/kiln-settings-test", true, noenv, argv),
              0);
    const char *k = kiln_settings_str(r.s, "app.secret_key");
    CHECK(k && strlen(k) == 48);
    CHECK_STR(kiln_settings_origin(r.s, "app.secret_key"), "generated");
    kiln_settings_free(r.s);
}

/* Loads with KILN_APP_SECRET_KEY=key and checks for production. */
static int check_key(const char *key, char *err, size_t errlen)
{
    char var[200];
    snprintf(var, sizeof var, "KILN_APP_SECRET_KEY=%s", key);
    char *env[] = {var, NULL};
    char *argv[] = {"app", NULL};
    run r;
    if (load(&r, "/nonexistent/kiln-settings-test", false, env, argv) != 0)
        test_fail(__FILE__, __LINE__, "load: %s", r.err);
    int rc = kiln_settings_check_production(r.s, err, errlen);
    kiln_settings_free(r.s);
    return rc;
}

TEST(settings_check_production)
{
    char err[512];
    char *argv[] = {"app", NULL};
    run r;
    CHECK_INT(load(&r, "/nonexistent/kiln-settings-test", false, noenv, argv),
              0);
    CHECK_INT(kiln_settings_check_production(r.s, err, sizeof err),
              KILN_EINVAL);
    CHECK_STR(err, "app.secret_key is not set; a production run needs one: "
                   "set KILN_APP_SECRET_KEY (generate one with: head -c 32 "
                   "/dev/urandom | base64) or [app] secret_key in kiln.toml");
    kiln_settings_free(r.s);

    CHECK_INT(check_key("", err, sizeof err), KILN_EINVAL);
    CHECK(strncmp(err, "app.secret_key is not set;", 26) == 0);
    CHECK_INT(check_key("abc123", err, sizeof err), KILN_EINVAL);
    CHECK_STR(err, "app.secret_key (from env KILN_APP_SECRET_KEY) is too "
                   "short: 6 characters, a production run needs at least 32: "
                   "set KILN_APP_SECRET_KEY (generate one with: head -c 32 "
                   "/dev/urandom | base64) or [app] secret_key in kiln.toml");
    CHECK_INT(check_key("please-CHANGEME-before-deploying-0123456789", err,
                        sizeof err),
              KILN_EINVAL);
    CHECK(strstr(err, "looks like a placeholder"));
    CHECK(!strstr(err, "CHANGEME")); /* the key itself is never shown */
    CHECK_INT(
        check_key("my-Super-Secret-key-for-production-1234", err, sizeof err),
        KILN_EINVAL);
    CHECK_INT(
        check_key("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", err, sizeof err),
        KILN_EINVAL);
    CHECK(strstr(err, "looks like a placeholder"));
    CHECK_INT(
        check_key("insecure-dev-key-0123456789abcdefghij", err, sizeof err),
        KILN_EINVAL);
    CHECK_INT(check_key("an-Example-key-0123456789abcdefghij", err, sizeof err),
              KILN_EINVAL);
    CHECK_INT(
        check_key("q9Rt2vXw7LmN4pKs8HjB3cFd6GyZ1aEu5oIi0", err, sizeof err), 0);
}

/* ---- printing ---------------------------------------------------------- */

TEST(settings_print)
{
    const char *dir = tmp_root();
    put_file(dir, "kiln.toml",
             "[app]\nsecret_key = \"q9Rt2vXw7LmN4pKs8HjB3cFd6GyZ1aEu5oIi0\"\n"
             "name = \"tab\\there\"\n[extra]\n\"odd key\" = 1979-05-27\n"
             "[roles]\neditor = [\"task.*\", \"*.view\"]\n");
    char *env[] = {"KILN_SERVER_PORT=8080", NULL};
    char *argv[] = {"app", NULL};
    run r;
    CHECK_INT(load(&r, dir, false, env, argv), 0);
    char *text = print_all(r.s);
    CHECK(strncmp(text, "server.host = \"127.0.0.1\"  # default\n", 37) == 0);
    CHECK(strstr(text, "\nserver.port = 8080  # env KILN_SERVER_PORT\n"));
    CHECK(strstr(text, "\nserver.max_body = 10485760  # default\n"));
    CHECK(strstr(text, "\napp.name = \"tab\\there\"  # kiln.toml:3\n"));
    CHECK(strstr(text, "\napp.debug = false  # default\n"));
    CHECK(strstr(text, "\napp.secret_key = \"********\"  # kiln.toml:2\n"));
    CHECK(!strstr(text, "q9Rt2vXw"));
    CHECK(strstr(text, "\nlogging.access_log = false  # default\n"));
    /* Extra keys come last. */
    const char *x = strstr(text, "\nextra.\"odd key\" = 1979-05-27  # "
                                 "kiln.toml:5\n");
    CHECK(x != NULL);
    CHECK(x > strstr(text, "logging.access_log"));
    /* The roles after them, where each is written. */
    const char *ro = strstr(text, "\nroles.editor = [\"task.*\", \"*.view\"]"
                                  "  # kiln.toml:7\n");
    CHECK(ro != NULL && ro > x);
    /* Table order: server before database before app. */
    CHECK(strstr(text, "server.max_connections") <
          strstr(text, "database.url"));
    CHECK(strstr(text, "database.url") < strstr(text, "app.name"));
    free(text);
    kiln_settings_free(r.s);

    /* An unset secret prints as "" with origin default. */
    CHECK_INT(load(&r, "/nonexistent/kiln-settings-test", false, noenv, argv),
              0);
    text = print_all(r.s);
    CHECK(strstr(text, "\napp.secret_key = \"\"  # default\n"));
    free(text);
    kiln_settings_free(r.s);
    rm_root(dir);
}

/* ---- values ------------------------------------------------------------ */

static int64_t size_ok(const char *s)
{
    int64_t v = -1;
    char why[200];
    if (settings_parse_size(s, strlen(s), &v, why, sizeof why) != 0)
        test_fail(__FILE__, __LINE__, "size '%s': %s", s, why);
    return v;
}

static const char *size_err(const char *s)
{
    static char why[200];
    int64_t v;
    if (settings_parse_size(s, strlen(s), &v, why, sizeof why) == 0)
        test_fail(__FILE__, __LINE__, "size '%s' accepted", s);
    return why;
}

TEST(settings_sizes)
{
    CHECK_INT(size_ok("0"), 0);
    CHECK_INT(size_ok("1234"), 1234);
    CHECK_INT(size_ok("10MiB"), 10485760);
    CHECK_INT(size_ok("512KiB"), 524288);
    CHECK_INT(size_ok("512 kib"), 524288);
    CHECK_INT(size_ok("1GB"), 1000000000);
    CHECK_INT(size_ok("100kB"), 100000);
    CHECK_INT(size_ok("7B"), 7);
    CHECK_INT(size_ok("2TiB"), INT64_C(2) << 40);
    CHECK_INT(size_ok("9223372036854775807"), INT64_MAX);
    CHECK_STR(size_err("-1"), "a size must not be negative, not '-1'");
    CHECK_STR(size_err("9223372036854775808"),
              "size '9223372036854775808' is too large");
    CHECK_STR(size_err("9000000TiB"), "size '9000000TiB' is too large");
    CHECK_STR(size_err("10 XB"), "unknown size unit 'XB' in '10 XB' (use B, "
                                 "kB, KiB, MB, MiB, GB, GiB, TB or TiB)");
    CHECK_STR(size_err("MiB"), "'MiB' is not a size (write bytes, or a number "
                               "with a unit such as 512KiB or 10MiB)");
    CHECK_STR(size_err(""), "'' is not a size (write bytes, or a number with a "
                            "unit such as 512KiB or 10MiB)");
    size_err("1.5MiB");

    /* Range of the key applies after the unit. */
    const settings_key *k =
        &settings_keys[settings_key_find_name("server.max_target")];
    settings_parsed p;
    char why[200];
    CHECK_INT(settings_parse_text(k, "4KiB", 4, &p, why, sizeof why), 0);
    CHECK_INT(p.i, 4096);
    CHECK_INT(settings_parse_text(k, "4GiB", 4, &p, why, sizeof why),
              KILN_EINVAL);
    CHECK_STR(why, "server.max_target must be between 1 and 2147483647, not "
                   "4294967296");
}

TEST(settings_bools_and_suggestions)
{
    bool b;
    const char *yes[] = {"true", "TRUE", "1", "yes", "On"};
    const char *no[] = {"false", "False", "0", "NO", "off"};
    for (size_t i = 0; i < 5; i++) {
        b = false;
        CHECK_INT(settings_parse_bool(yes[i], strlen(yes[i]), &b), 0);
        CHECK(b);
        CHECK_INT(settings_parse_bool(no[i], strlen(no[i]), &b), 0);
        CHECK(!b);
    }
    CHECK_INT(settings_parse_bool("2", 1, &b), -1);
    CHECK_INT(settings_parse_bool("", 0, &b), -1);

    CHECK_INT(settings_distance("prot", 4, "port", 4), 1);
    CHECK_INT(settings_distance("PORT", 4, "port", 4), 0);
    CHECK_INT(settings_distance("kitten", 6, "sitting", 7), 3);
    int i = settings_key_suggest("server", "max_bdy", 7, false);
    CHECK(i >= 0);
    CHECK_STR(settings_keys[i].name, "server.max_body");
    i = settings_key_suggest(NULL, "statc.dir", 9, true);
    CHECK(i >= 0);
    CHECK_STR(settings_keys[i].name, "static.dir");
    CHECK_INT(settings_key_suggest("server", "zzzz", 4, false), -1);
    CHECK_STR(settings_section_suggest("databse", 7), "database");
    CHECK(settings_section_suggest("qqqq", 4) == NULL);
    /* "url" is a key of both [database] and [static]: the section decides. */
    i = settings_key_suggest("static", "urll", 4, false);
    CHECK_STR(settings_keys[i].name, "static.url");
    i = settings_key_suggest("database", "urll", 4, false);
    CHECK_STR(settings_keys[i].name, "database.url");
}

TEST(settings_uploads)
{
    const char *dir = tmp_root();
    char *argv[] = {"app", NULL};
    run r;
    /* the defaults: $TMPDIR is resolved when the server starts */
    CHECK_INT(load(&r, dir, false, noenv, argv), 0);
    CHECK_STR(kiln_settings_str(r.s, "uploads.dir"), "");
    CHECK_INT(kiln_settings_int(r.s, "uploads.memory"), 65536);
    CHECK_INT(kiln_settings_int(r.s, "uploads.max_file"), 100 << 20);
    CHECK_INT(kiln_settings_int(r.s, "uploads.max_parts"), 1000);
    kiln_settings_free(r.s);

    put_file(dir, "kiln.toml",
             "[uploads]\ndir = \"/srv/tmp\"\nmemory = \"1MiB\"\n"
             "max_file = \"2GiB\"\n");
    char *env[] = {"KILN_UPLOADS_MAX_PARTS=50", NULL};
    char *flags[] = {"app", "--uploads-memory", "4KiB", NULL};
    CHECK_INT(load(&r, dir, false, env, flags), 0);
    CHECK_STR(kiln_settings_origin(r.s, "uploads.dir"), "kiln.toml:2");
    CHECK_STR(kiln_settings_origin(r.s, "uploads.max_parts"),
              "env KILN_UPLOADS_MAX_PARTS");
    CHECK_STR(kiln_settings_origin(r.s, "uploads.memory"),
              "flag --uploads-memory");
    kiln_server_opts o;
    kiln_server_opts_default(&o);
    CHECK(o.uploads_dir == NULL);
    CHECK_INT(o.upload_memory, 65536);
    CHECK_INT(o.upload_max_file, 100 << 20);
    CHECK_INT(o.upload_max_parts, 1000);
    kiln_settings_server_opts(r.s, &o);
    CHECK_STR(o.uploads_dir, "/srv/tmp");
    CHECK_INT(o.upload_memory, 4096);
    CHECK_INT(o.upload_max_file, INT64_C(2) << 30);
    CHECK_INT(o.upload_max_parts, 50);
    kiln_settings_free(r.s);

    toml_err("[uploads]\nmax_parts = 0\n",
             "kiln.toml:2:13: uploads.max_parts must be between 1 and "
             "1000000, not 0",
             __LINE__);
    toml_err("[uploads]\nmax_flie = 1\n",
             "kiln.toml:2:1: unknown key 'max_flie' in [uploads] (did you "
             "mean 'max_file'?)",
             __LINE__);
    rm_root(dir);
}

/* A table inside a section is a section: [auth.oidc] in kiln.toml,
   KILN_AUTH_OIDC_* in the environment, --set auth.oidc.KEY. */
TEST(settings_nested_sections)
{
    const char *dir = tmp_root();
    put_file(dir, "kiln.toml",
             "[auth.oidc]\n"
             "issuer = \"https://sso.example.com/realms/x\"\n"
             "leeway = 5\n");
    char *env[] = {"KILN_AUTH_OIDC_AUDIENCE=board-api", NULL};
    char *argv[] = {"app", "--set", "auth.oidc.role_map=kc-a=admin", NULL};
    run r;
    CHECK_INT(load(&r, dir, false, env, argv), 0);
    CHECK_STR(kiln_settings_str(r.s, "auth.oidc.issuer"),
              "https://sso.example.com/realms/x");
    CHECK_STR(kiln_settings_origin(r.s, "auth.oidc.issuer"), "kiln.toml:2");
    CHECK_INT(kiln_settings_int(r.s, "auth.oidc.leeway"), 5);
    CHECK_STR(kiln_settings_str(r.s, "auth.oidc.audience"), "board-api");
    CHECK_STR(kiln_settings_origin(r.s, "auth.oidc.audience"),
              "env KILN_AUTH_OIDC_AUDIENCE");
    CHECK_STR(kiln_settings_str(r.s, "auth.oidc.role_map"), "kc-a=admin");
    CHECK_STR(kiln_settings_origin(r.s, "auth.oidc.role_map"),
              "flag --set auth.oidc.role_map");
    CHECK_INT(kiln_settings_int(r.s, "auth.oidc.jwks_cooldown"), 30);
    kiln_settings_free(r.s);
    rm_root(dir);
    toml_err("[auth.oidc]\nisuer = \"x\"\n",
             "kiln.toml:2:1: unknown key 'isuer' in [auth.oidc] (did you "
             "mean 'issuer'?)",
             __LINE__);
    toml_err("[auth.nope]\nx = 1\n",
             "kiln.toml:1:7: unknown section [auth.nope]", __LINE__);
    toml_err("[auth.oidc]\nleeway = 601\n",
             "kiln.toml:2:10: auth.oidc.leeway must be between 0 and 600, not "
             "601",
             __LINE__);
}
