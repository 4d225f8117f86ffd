/*
 * cli/build.c - compiles a project: the route table from the scan, the
 * author's .c files (only those that changed, in parallel), one link
 * against libkiln. Output of the compiler goes to stderr as each file
 * finishes and into the result's log (the dev error page shows it).
 *
 * Layout under the project: .kiln/dev/ or .kiln/release/ with gen/routes.c,
 * obj/<source>.o and .d (dependencies from -MMD), flags (the compile flags
 * of the objects: a change rebuilds everything) and link (the last link
 * line). The development binary is .kiln/dev/<name>; a release goes to
 * dist/<name>.
 *
 * kiln build runs a front end's own build first (cli_frontend_build: npm
 * in frontend/) and writes its TypeScript client (cli_types_write).
 *
 * libkiln and its headers: from the Kiln checkout when this kiln runs from
 * its build folder, else through pkg-config (kiln.pc), else the prefix kiln
 * was installed to.
 */
#include "cli.h"

#include "model/model.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef KILN_SOURCE_DIR
#define KILN_SOURCE_DIR ""
#endif
#ifndef KILN_BUILD_DIR
#define KILN_BUILD_DIR ""
#endif
#ifndef KILN_INCLUDEDIR
#define KILN_INCLUDEDIR "/usr/local/include"
#endif
#ifndef KILN_LIBDIR
#define KILN_LIBDIR "/usr/local/lib"
#endif

#if defined(__SANITIZE_ADDRESS__)
#define SAN_FLAGS " -fsanitize=address,undefined"
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SAN_FLAGS " -fsanitize=address,undefined"
#endif
#endif
#ifndef SAN_FLAGS
#define SAN_FLAGS ""
#endif

typedef struct toolchain {
    char cc[256];
    char incdir[PATH_MAX];
    char lib[PATH_MAX]; /* libkiln.a */
} toolchain;

/* Runs a shell-free `pkg-config --variable=NAME kiln`; 0 or -1. */
static int pkg_var(const char *name, char *out, size_t cap)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        int dn = open("/dev/null", O_WRONLY);
        if (dn >= 0)
            dup2(dn, 2);
        close(fds[0]);
        char var[64];
        snprintf(var, sizeof var, "--variable=%s", name);
        execlp("pkg-config", "pkg-config", var, "kiln", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(fds[0], out + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    close(fds[0]);
    out[n] = 0;
    while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
        out[--n] = 0;
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
        WEXITSTATUS(st) != 0 || n == 0)
        return -1;
    return 0;
}

static int find_toolchain(toolchain *t, kiln_buf *log)
{
    const char *cc = getenv("CC");
    snprintf(t->cc, sizeof t->cc, "%s", cc && *cc ? cc : "cc");
    char exe[PATH_MAX], bdir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    if (*KILN_BUILD_DIR && realpath(KILN_BUILD_DIR, bdir) &&
        strcmp(bdir, exe) == 0) {
        snprintf(t->incdir, sizeof t->incdir, "%s/include", KILN_SOURCE_DIR);
        snprintf(t->lib, sizeof t->lib, "%s/libkiln.a", KILN_BUILD_DIR);
    } else {
        char inc[PATH_MAX], lib[PATH_MAX];
        if (pkg_var("includedir", inc, sizeof inc) == 0 &&
            pkg_var("libdir", lib, sizeof lib) == 0) {
            snprintf(t->incdir, sizeof t->incdir, "%s", inc);
            cli_pathf(t->lib, sizeof t->lib, "%s/libkiln.a", lib);
        } else {
            snprintf(t->incdir, sizeof t->incdir, "%s", KILN_INCLUDEDIR);
            snprintf(t->lib, sizeof t->lib, "%s/libkiln.a", KILN_LIBDIR);
        }
    }
    char probe[PATH_MAX + 16];
    snprintf(probe, sizeof probe, "%s/kiln.h", t->incdir);
    if (!cli_exists(probe) || !cli_exists(t->lib)) {
        kiln_buf_printf(log,
                        "cannot find libkiln (looked for %s and %s): install "
                        "Kiln with 'make install', or run the kiln of a "
                        "built checkout\n",
                        probe, t->lib);
        return -1;
    }
    return 0;
}

/* ---- dependencies ------------------------------------------------------ */

/* True when obj is missing or older than src or anything in its .d file. */
static bool stale(const char *root, const char *src, const char *obj,
                  const char *dep)
{
    long long to = cli_mtime(obj);
    if (to < 0 || cli_mtime(src) > to)
        return true;
    char *d = kiln_read_file(dep, NULL);
    if (!d)
        return true;
    char *p = strchr(d, ':');
    bool old = p == NULL;
    while (p && !old) {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (p[0] == '\\' && (p[1] == '\n' || p[1] == '\r')) {
            p += p[1] == '\r' ? 2 : 1;
            continue;
        }
        if (*p == '\n' || *p == '\r' || !*p)
            break; /* the end of the first rule */
        char *s = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            p++;
        char save = *p;
        *p = 0;
        char path[PATH_MAX * 2];
        if (*s == '/')
            snprintf(path, sizeof path, "%s", s);
        else
            snprintf(path, sizeof path, "%s/%s", root, s);
        long long m = cli_mtime(path);
        old = m < 0 || m > to;
        *p = save;
        p--;
    }
    free(d);
    return old;
}

/* ---- running the compiler ---------------------------------------------- */

typedef struct job {
    pid_t pid;
    char log[PATH_MAX];
    const char *what;
} job;

/* Splits a flags string on spaces into argv (appending); strings are
   strdup'd into owned. */
static void split_into(cli_strs *argv, const char *s)
{
    while (s && *s) {
        while (*s == ' ')
            s++;
        const char *e = s;
        while (*e && *e != ' ')
            e++;
        if (e > s)
            cli_strs_addf(argv, "%.*s", (int)(e - s), s);
        s = e;
    }
}

/* Starts argv in root with stdout+stderr to log_path. */
static pid_t spawn(const char *root, cli_strs *argv, const char *log_path)
{
    if (cli_strs_addf(argv, "%s", "") != 0)
        return -1;
    free(argv->v[argv->n - 1]);
    argv->v[argv->n - 1] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (chdir(root) != 0)
            _exit(126);
        execvp(argv->v[0], argv->v);
        fprintf(stderr, "cannot run %s: %s\n", argv->v[0], strerror(errno));
        _exit(127);
    }
    argv->n--; /* the NULL slot is not a string to free */
    return pid;
}

/* Waits for job j; appends its output to log and stderr. 0 if it passed. */
static int finish(job *j, kiln_buf *log)
{
    int st = 0;
    while (waitpid(j->pid, &st, 0) < 0 && errno == EINTR)
        ;
    size_t n = 0;
    char *out = kiln_read_file(j->log, &n);
    if (out && n) {
        fwrite(out, 1, n, stderr);
        kiln_buf_append(log, out, n);
    }
    free(out);
    unlink(j->log);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
            kiln_buf_printf(log, "%s: the C compiler could not be run\n",
                            j->what);
        return -1;
    }
    return 0;
}

/* ---- release binaries ---------------------------------------------------- */

/*
 * Splits the debug information of the linked binary bin (dist/NAME.tmp)
 * into dist/NAME.debug and strips bin, which keeps a link to that file
 * (.gnu_debuglink): the binary ships small, and gdb or a core dump next to
 * the .debug file still show functions, files and lines. 0, or -1 with the
 * reason in log.
 */
static int strip_release(const char *root, const char *bin, kiln_buf *log)
{
    char debug[PATH_MAX * 2 + 8];
    size_t n = strlen(bin);
    if (n < 4 || strcmp(bin + n - 4, ".tmp") != 0 ||
        cli_pathf(debug, sizeof debug, "%.*s.debug", (int)(n - 4), bin) != 0)
        return kiln_buf_printf(log, "%s: unexpected name\n", bin), -1;
    const char *objcopy = getenv("OBJCOPY");
    if (!objcopy || !*objcopy)
        objcopy = "objcopy";
    for (int step = 0; step < 2; step++) {
        cli_strs argv = {0};
        cli_strs_addf(&argv, "%s", objcopy);
        if (step == 0) {
            cli_strs_addf(&argv, "--only-keep-debug");
            cli_strs_addf(&argv, "%s", bin);
            cli_strs_addf(&argv, "%s", debug);
        } else {
            cli_strs_addf(&argv, "--strip-all");
            cli_strs_addf(&argv, "--add-gnu-debuglink=%s", debug);
            cli_strs_addf(&argv, "%s", bin);
        }
        job j = {.what = step == 0 ? "objcopy --only-keep-debug"
                                   : "objcopy --strip-all"};
        cli_pathf(j.log, sizeof j.log, "%s.log", bin);
        j.pid = spawn(root, &argv, j.log);
        cli_strs_free(&argv);
        if (j.pid < 0 || finish(&j, log) != 0) {
            kiln_buf_printf(log,
                            "%s: cannot split the debug information "
                            "(objcopy, from binutils)\n",
                            bin);
            return -1;
        }
    }
    return 0;
}

/* ---- the build ------------------------------------------------------------
 */

static const char *const route_methods[] = {"GET",    "POST", "PUT",    "PATCH",
                                            "DELETE", "HEAD", "OPTIONS"};

/*
 * Loads the endpoint schemas of the scan's routes into ms (once per file)
 * and names each route's input. 0 or an error (lines in errs).
 */
int cli_load_endpoints(const char *root, struct model_set *ms, cli_scan *s,
                       kiln_buf *errs)
{
    int rc = 0;
    for (size_t i = 0; i < s->nroutes; i++) {
        cli_route *r = &s->routes[i];
        if (!r->schema)
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = s->routes[j].schema &&
                   strcmp(s->routes[j].schema, r->schema) == 0;
        if (seen)
            continue;
        unsigned methods = 0;
        for (size_t j = 0; j < s->nroutes; j++)
            if (s->routes[j].schema &&
                strcmp(s->routes[j].schema, r->schema) == 0)
                for (unsigned k = 0; k < 7; k++)
                    if (strcmp(s->routes[j].method, route_methods[k]) == 0)
                        methods |= 1u << k;
        char path[PATH_MAX * 2];
        cli_pathf(path, sizeof path, "%s/%s", root, r->schema);
        size_t n = 0;
        char *src = kiln_read_file(path, &n);
        if (!src) {
            kiln_buf_printf(errs, "%s: cannot read: %s\n", r->schema,
                            strerror(errno));
            rc = KILN_EIO;
            continue;
        }
        size_t before = ms->nendpoints;
        int lr = model_load_endpoints(ms, r->schema, src, n, r->pattern,
                                      methods, errs);
        free(src);
        if (lr)
            rc = lr;
        for (size_t k = before; k < ms->nendpoints; k++) {
            const kiln_endpoint *ep = ms->endpoints[k];
            for (size_t j = 0; j < s->nroutes; j++) {
                cli_route *o = &s->routes[j];
                if (o->schema && strcmp(o->schema, r->schema) == 0 &&
                    strcmp(o->method, ep->method) == 0) {
                    free(o->input);
                    o->input = strdup(ep->name);
                }
            }
        }
    }
    return rc;
}

/*
 * Loads models/ (and the endpoint schemas of s) and writes gen/models.h and
 * gen/models.c (only when they change, so unchanged models recompile
 * nothing). Errors go to log. Returns 0, or -1 when a model or schema is
 * wrong or the files cannot be written.
 */
static int gen_models(const char *root, const char *gen, const char *name,
                      bool release, cli_scan *s, kiln_buf *log)
{
    model_set ms;
    model_set_init(&ms);
    kiln_buf errs, h, c;
    kiln_buf_init(&errs);
    kiln_buf_init(&h);
    kiln_buf_init(&c);
    int rc = model_load_dir(&ms, root, &errs);
    if (rc == 0)
        rc = cli_load_endpoints(root, &ms, s, &errs);
    if (rc != 0) {
        if (errs.n)
            kiln_buf_append(log, errs.p, errs.n);
        else
            kiln_buf_printf(log, "models/: %s\n", kiln_strerror(rc));
    } else {
        cli_emit_models(&ms, &h, &c);
        char path[PATH_MAX + 64];
        cli_pathf(path, sizeof path, "%s/models.h", gen);
        if (cli_write_if_changed(path, h.p, h.n) < 0) {
            kiln_buf_printf(log, "cannot write %s: %s\n", path,
                            strerror(errno));
            rc = -1;
        }
        cli_pathf(path, sizeof path, "%s/models.c", gen);
        if (rc == 0 && cli_write_if_changed(path, c.p, c.n) < 0) {
            kiln_buf_printf(log, "cannot write %s: %s\n", path,
                            strerror(errno));
            rc = -1;
        }
        /* the OpenAPI document, compiled in when there is an API */
        kiln_buf doc;
        kiln_buf_init(&doc);
        kiln_buf_clear(&c);
        s->openapi = false;
        if (rc == 0 && cli_openapi_doc(name, root, &ms, s, &doc, &s->openapi)) {
            kiln_buf_printf(log, "openapi: %s\n", kiln_strerror(KILN_ENOMEM));
            rc = -1;
        }
        cli_pathf(path, sizeof path, "%s/openapi.c", gen);
        char docs[PATH_MAX];
        s->apidocs = s->openapi && (!release || cli_apidocs_release(root)) &&
                     cli_apidocs_dir(docs);
        if (rc == 0 && s->openapi) {
            cli_openapi_c(name, &doc, release, s->apidocs ? docs : NULL, &c);
            if (cli_write_if_changed(path, c.p, c.n) < 0) {
                kiln_buf_printf(log, "cannot write %s: %s\n", path,
                                strerror(errno));
                rc = -1;
            }
        }
        kiln_buf_deinit(&doc);
        /* kiln dev keeps the TypeScript client of types.out current */
        if (rc == 0 && !release && cli_types_dev(root, name, &ms, s, log) != 0)
            rc = -1;
    }
    kiln_buf_deinit(&errs);
    kiln_buf_deinit(&h);
    kiln_buf_deinit(&c);
    model_set_free(&ms);
    return rc ? -1 : 0;
}

static char *kbuf_take(kiln_buf *b)
{
    if (!b->p)
        return strdup("");
    return kiln_buf_detach(b);
}

static int cmp_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the tests/ files (tests/NAME.c, in name order) to srcs, with no
   unit (they hold KILN_TEST only). A project without tests/ has none. */
static int list_tests(const char *root, cli_strs *srcs, cli_strs *units)
{
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/tests", root);
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    cli_strs found = {0};
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] != '.' && len > 2 &&
            strcmp(e->d_name + len - 2, ".c") == 0)
            cli_strs_addf(&found, "tests/%s", e->d_name);
    }
    closedir(d);
    if (found.n)
        qsort(found.v, found.n, sizeof(char *), cmp_path);
    for (size_t i = 0; i < found.n; i++) {
        cli_strs_addf(srcs, "%s", found.v[i]);
        cli_strs_addf(units, "%s", "");
    }
    cli_strs_free(&found);
    return 0;
}

int cli_build(const char *root, const cli_build_opts *o, cli_build_result *r)
{
    memset(r, 0, sizeof *r);
    r->size = -1;
    kiln_buf log;
    kiln_buf_init(&log);
    cli_scan s;
    toolchain tc;
    int rc = 1;
    char name[128];
    cli_project_name(root, name, sizeof name);
    cli_strs perr = {0};
    if (cli_check_project_into(root, &perr)) {
        for (size_t i = 0; i < perr.n; i++) {
            kiln_buf_printf(&log, "%s\n", perr.v[i]);
            cli_fail("%s", perr.v[i]);
        }
        cli_strs_free(&perr);
        memset(&s, 0, sizeof s);
        goto out;
    }
    cli_strs_free(&perr);
    cli_scan_project(root, &s);
    if (s.errors.n) {
        for (size_t i = 0; i < s.errors.n; i++)
            kiln_buf_printf(&log, "error: %s\n", s.errors.v[i]);
        cli_scan_report(&s);
        goto out;
    }
    if (find_toolchain(&tc, &log) != 0) {
        fputs(log.p, stderr);
        goto out;
    }
    const char *mode = o->test ? "test" : o->release ? "release" : "dev";
    char dir[PATH_MAX], gen[PATH_MAX + 64], objdir[PATH_MAX + 64];
    snprintf(dir, sizeof dir, "%s/.kiln/%s", root, mode);
    snprintf(gen, sizeof gen, "%s/gen", dir);
    snprintf(objdir, sizeof objdir, "%s/obj", dir);
    if (cli_mkdirs(gen) != 0 || cli_mkdirs(objdir) != 0) {
        kiln_buf_printf(&log, "cannot create %s: %s\n", dir, strerror(errno));
        fputs(log.p, stderr);
        goto out;
    }
    /* .kiln/ holds generated files only: keep it out of version control */
    char ign[PATH_MAX + 32];
    snprintf(ign, sizeof ign, "%s/.kiln/.gitignore", root);
    if (!cli_exists(ign))
        cli_write_file(ign, "*\n", 2, 0644);

    /* models/ into gen/models.h and gen/models.c */
    if (gen_models(root, gen, name, o->release, &s, &log) != 0) {
        fputs(log.p, stderr);
        goto out;
    }
    /* the route names into gen/routes.h (url_NAME functions) */
    {
        kiln_buf h;
        kiln_buf_init(&h);
        cli_emit_route_names(name, &s, &h);
        char path[PATH_MAX + 64];
        cli_pathf(path, sizeof path, "%s/routes.h", gen);
        int w = cli_write_if_changed(path, h.p, h.n);
        kiln_buf_deinit(&h);
        if (w < 0) {
            kiln_buf_printf(&log, "cannot write %s: %s\n", path,
                            strerror(errno));
            fputs(log.p, stderr);
            goto out;
        }
    }

    /* the compile flags; a change rebuilds every object */
    kiln_buf flags;
    kiln_buf_init(&flags);
    kiln_buf_printf(&flags,
                    "%s -std=gnu17 -Wall -Wextra %s -I. -I.kiln/%s/gen -I%s%s",
                    tc.cc,
                    o->release ? "-O2 -g -DNDEBUG -ffunction-sections "
                                 "-fdata-sections"
                               : "-O0 -g",
                    mode, tc.incdir, SAN_FLAGS);
    const char *ucf = getenv("CFLAGS");
    if (ucf && *ucf)
        kiln_buf_printf(&flags, " %s", ucf);
    char fpath[PATH_MAX + 64];
    snprintf(fpath, sizeof fpath, "%s/flags", dir);
    bool all = cli_write_if_changed(fpath, flags.p, flags.n) != 0;

    char routes[PATH_MAX + 64];
    cli_pathf(routes, sizeof routes, "%s/routes.c", gen);
    int g = cli_gen_routes(root, name, &s, o, routes);
    if (g < 0) {
        kiln_buf_printf(&log, "cannot write %s: %s\n", routes, strerror(errno));
        fputs(log.p, stderr);
        kiln_buf_deinit(&flags);
        goto out;
    }

    /* sources: the author's files, then the generated table */
    cli_strs srcs = {0}, units = {0};
    for (size_t i = 0; i < s.sources.n; i++) {
        cli_strs_addf(&srcs, "%s", s.sources.v[i]);
        cli_strs_addf(&units, "%s", s.units.v[i]);
    }
    if (o->test && list_tests(root, &srcs, &units) != 0) {
        kiln_buf_printf(&log, "cannot read tests/: %s\n", strerror(errno));
        fputs(log.p, stderr);
        cli_strs_free(&srcs);
        cli_strs_free(&units);
        kiln_buf_deinit(&flags);
        goto out;
    }
    cli_strs_addf(&srcs, ".kiln/%s/gen/routes.c", mode);
    cli_strs_addf(&units, "%s", "");
    cli_strs_addf(&srcs, ".kiln/%s/gen/models.c", mode);
    cli_strs_addf(&units, "%s", "");
    if (s.openapi) {
        cli_strs_addf(&srcs, ".kiln/%s/gen/openapi.c", mode);
        cli_strs_addf(&units, "%s", "");
    }

    cli_strs objs = {0};
    int maxjobs = cli_ncpu() + 1, running = 0, failed = 0;
    job *jobs = calloc((size_t)maxjobs, sizeof(job));
    for (size_t i = 0; i < srcs.n && jobs; i++) {
        char src[PATH_MAX * 2], obj[PATH_MAX * 2], dep[PATH_MAX * 2];
        snprintf(src, sizeof src, "%s/%s", root, srcs.v[i]);
        const char *rel = srcs.v[i];
        if (strncmp(rel, ".kiln/", 6) == 0)
            rel = strrchr(rel, '/') + 1; /* gen file: obj/routes.c.o */
        snprintf(obj, sizeof obj, "%s/%s.o", objdir, rel);
        snprintf(dep, sizeof dep, "%s/%s.d", objdir, rel);
        cli_strs_addf(&objs, "%s", obj);
        /* a release's route table embeds files its .d does not list */
        bool table = strcmp(rel, "routes.c") == 0 && !*units.v[i];
        if (!all && !(table && o->release) && !stale(root, src, obj, dep))
            continue;
        char *slash = strrchr(obj, '/');
        *slash = 0;
        cli_mkdirs(obj);
        *slash = '/';
        if (running == maxjobs) { /* wait for the oldest */
            failed |= finish(&jobs[0], &log) != 0;
            memmove(jobs, jobs + 1, (size_t)(maxjobs - 1) * sizeof(job));
            running--;
        }
        cli_strs argv = {0};
        split_into(&argv, flags.p);
        if (o->color)
            cli_strs_addf(&argv, "-fdiagnostics-color=always");
        if (*units.v[i])
            cli_strs_addf(&argv, "-DKILN_UNIT=%s", units.v[i]);
        cli_strs_addf(&argv, "-MMD");
        cli_strs_addf(&argv, "-MF");
        cli_strs_addf(&argv, "%s", dep);
        cli_strs_addf(&argv, "-c");
        cli_strs_addf(&argv, "%s", srcs.v[i]);
        cli_strs_addf(&argv, "-o");
        cli_strs_addf(&argv, "%s", obj);
        job *j = &jobs[running];
        cli_pathf(j->log, sizeof j->log, "%s.log", obj);
        j->what = srcs.v[i];
        unlink(obj); /* a failed compile must not leave an old object */
        j->pid = spawn(root, &argv, j->log);
        cli_strs_free(&argv);
        if (j->pid < 0) {
            kiln_buf_printf(&log, "cannot start the compiler: %s\n",
                            strerror(errno));
            failed = 1;
            break;
        }
        running++;
        r->ncompiled++;
    }
    for (int i = 0; i < running; i++)
        failed |= finish(&jobs[i], &log) != 0;
    free(jobs);

    char out_bin[PATH_MAX * 2];
    if (o->release) {
        char dist[PATH_MAX + 16];
        snprintf(dist, sizeof dist, "%s/dist", root);
        cli_mkdirs(dist);
        snprintf(out_bin, sizeof out_bin, "%s/%s", dist, name);
    } else {
        snprintf(out_bin, sizeof out_bin, "%s/%s", dir, name);
    }
    cli_pathf(r->binary, sizeof r->binary, "%s", out_bin);
    if (!failed) {
        cli_strs argv = {0};
        cli_strs_addf(&argv, "%s", tc.cc);
        split_into(&argv, SAN_FLAGS);
        /* only the libraries the app calls: libpq is not among them (it
           is loaded when a postgres:// URL is used, src/db/pq.c); a
           release also drops the functions nothing calls */
        cli_strs_addf(&argv, "-Wl,--as-needed");
        if (o->release)
            cli_strs_addf(&argv, "-Wl,--gc-sections");
        cli_strs_addf(&argv, "-o");
        cli_strs_addf(&argv, "%s.tmp", out_bin);
        for (size_t i = 0; i < objs.n; i++)
            cli_strs_addf(&argv, "%s", objs.v[i]);
        cli_strs_addf(&argv, "%s", tc.lib);
        split_into(&argv, getenv("LDFLAGS"));
        split_into(&argv, getenv("LDLIBS"));
        cli_strs_addf(&argv, "-lsqlite3"); /* libkiln's data layer */
        cli_strs_addf(&argv, "-lpthread");
        cli_strs_addf(&argv, "-lm");
        cli_strs_addf(&argv, "-lz");      /* permessage-deflate (src/ws/) */
        cli_strs_addf(&argv, "-lcrypto"); /* JWT signatures (src/auth/) */
        cli_strs_addf(&argv, "-lcurl");   /* outgoing HTTP (src/fetch/) */
        cli_strs_addf(&argv, "-lsodium"); /* argon2id, CSPRNG (src/auth/) */
        cli_strs_addf(&argv, "-ldl");     /* dlopen (part of libc since 2.34) */
        kiln_buf line;
        kiln_buf_init(&line);
        for (size_t i = 0; i < argv.n; i++)
            kiln_buf_printf(&line, "%s\n", argv.v[i]);
        char lpath[PATH_MAX + 64];
        snprintf(lpath, sizeof lpath, "%s/link", dir);
        long long bt = cli_mtime(out_bin);
        bool line_changed = cli_write_if_changed(lpath, line.p, line.n) != 0;
        bool relink = line_changed || r->ncompiled > 0 || bt < 0 ||
                      cli_mtime(tc.lib) > bt;
        kiln_buf_deinit(&line);
        if (relink) {
            job j = {.what = "link"};
            cli_pathf(j.log, sizeof j.log, "%s/link.log", dir);
            j.pid = spawn(root, &argv, j.log);
            if (j.pid < 0 || finish(&j, &log) != 0) {
                failed = 1;
                unlink(lpath); /* link again next time */
            } else {
                char tmp[PATH_MAX * 2 + 8];
                snprintf(tmp, sizeof tmp, "%s.tmp", out_bin);
                if (o->release && strip_release(root, tmp, &log) != 0) {
                    failed = 1;
                    unlink(lpath);
                } else if (rename(tmp, out_bin) != 0) {
                    kiln_buf_printf(&log, "cannot write %s: %s\n", out_bin,
                                    strerror(errno));
                    failed = 1;
                } else {
                    r->linked = true;
                }
            }
        }
        cli_strs_free(&argv);
    }
    if (!failed) {
        struct stat st;
        r->size = stat(out_bin, &st) == 0 ? (long long)st.st_size : -1;
    }
    cli_strs_free(&objs);
    cli_strs_free(&srcs);
    cli_strs_free(&units);
    kiln_buf_deinit(&flags);
    rc = failed ? 1 : 0;
out:
    r->log = kbuf_take(&log);
    cli_scan_free(&s);
    return rc;
}

/* ---- the front end ------------------------------------------------------ */

int cli_types_write(const char *root, kiln_buf *log)
{
    kiln_settings_in in = {.root = root}; /* no .env, no key generated */
    kiln_settings *st = NULL;
    char err[512];
    if (kiln_settings_load(&in, &st, err, sizeof err) != 0)
        return 0; /* the build's own check reports it */
    const char *out = kiln_settings_str(st, "types.out");
    bool wanted = out && *out;
    kiln_settings_free(st);
    if (!wanted)
        return 0;
    char name[128];
    cli_project_name(root, name, sizeof name);
    cli_scan s;
    cli_scan_project(root, &s);
    int rc = 0;
    if (s.errors.n) {
        for (size_t i = 0; i < s.errors.n; i++)
            kiln_buf_printf(log, "error: %s\n", s.errors.v[i]);
        rc = -1;
    }
    model_set ms;
    model_set_init(&ms);
    if (rc == 0) {
        kiln_buf errs;
        kiln_buf_init(&errs);
        int lr = model_load_dir(&ms, root, &errs);
        if (lr == 0)
            lr = cli_load_endpoints(root, &ms, &s, &errs);
        if (lr != 0) {
            if (errs.n)
                kiln_buf_append(log, errs.p, errs.n);
            else
                kiln_buf_printf(log, "models/: %s\n", kiln_strerror(lr));
            rc = -1;
        } else {
            rc = cli_types_dev(root, name, &ms, &s, log);
        }
        kiln_buf_deinit(&errs);
    }
    model_set_free(&ms);
    cli_scan_free(&s);
    return rc;
}

/* True when prog is an executable file in a folder of PATH. */
static bool on_path(const char *prog)
{
    const char *path = getenv("PATH");
    for (const char *p = path ? path : ""; *p;) {
        size_t n = strcspn(p, ":");
        char full[PATH_MAX];
        if (n &&
            cli_pathf(full, sizeof full, "%.*s/%s", (int)n, p, prog) == 0 &&
            access(full, X_OK) == 0)
            return true;
        p += n + (p[n] == ':');
    }
    return false;
}

/* Runs npm with args in dir, its output on stderr; npm's exit status, or
   -1 when it could not be started or was killed. */
static int run_npm(const char *dir, const char *const *args)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(2, 1); /* npm's report goes with the build's, on stderr */
        if (chdir(dir) != 0)
            _exit(126);
        execvp("npm", (char *const *)args);
        fprintf(stderr, "cannot run npm: %s\n", strerror(errno));
        _exit(127);
    }
    if (pid < 0)
        return -1;
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Whether package.json (at path) has a "build" script: 1 yes, 0 no, -1
   unreadable or not JSON (said on stderr). */
static int has_build_script(const char *path)
{
    size_t n = 0;
    char *text = kiln_read_file(path, &n);
    if (!text) {
        cli_fail("cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_json *doc = NULL;
    kiln_json_error err;
    int rc;
    if (kiln_json_parse(&a, text, n, 0, &doc, &err) != 0) {
        cli_fail("%s:%d:%d: %s", path, err.line, err.col, err.msg);
        rc = -1;
    } else {
        const kiln_json *scripts = doc->type == KILN_JSON_OBJECT
                                       ? kiln_json_get(doc, "scripts")
                                       : NULL;
        const kiln_json *b = scripts && scripts->type == KILN_JSON_OBJECT
                                 ? kiln_json_get(scripts, "build")
                                 : NULL;
        rc = b && b->type == KILN_JSON_STRING && b->u.string.n;
    }
    kiln_arena_deinit(&a);
    free(text);
    return rc;
}

int cli_frontend_build(const char *root, bool *built)
{
    *built = false;
    char dir[PATH_MAX], pkg[PATH_MAX + 16], mods[PATH_MAX + 16];
    if (cli_pathf(dir, sizeof dir, "%s/frontend", root) != 0 ||
        cli_pathf(pkg, sizeof pkg, "%s/package.json", dir) != 0 ||
        cli_pathf(mods, sizeof mods, "%s/node_modules", dir) != 0)
        return cli_fail("%s: the path is too long", root);
    if (!cli_exists(pkg))
        return 0;
    int has = has_build_script(pkg);
    if (has <= 0)
        return has < 0 ? 1 : 0;
    if (!on_path("node") || !on_path("npm"))
        return cli_fail("frontend/package.json has a build script, but %s is "
                        "not on PATH: install Node.js 20.19 or later and npm "
                        "(Debian: apt-get install nodejs npm)",
                        on_path("node") ? "npm" : "node");
    if (!cli_is_dir(mods)) {
        cli_progress("front end: npm ci (frontend/node_modules is missing)");
        static const char *const ci[] = {"npm", "ci", "--no-audit", "--no-fund",
                                         NULL};
        int st = run_npm(dir, ci);
        if (st != 0)
            return cli_fail("front end: npm ci failed (%s %d; its output is "
                            "above)",
                            st < 0 ? "killed, or not started" : "exit status",
                            st);
    }
    cli_progress("front end: npm run build");
    static const char *const build[] = {"npm", "run", "build", NULL};
    int st = run_npm(dir, build);
    if (st != 0)
        return cli_fail("front end: npm run build failed (%s %d; its output "
                        "is above)",
                        st < 0 ? "killed, or not started" : "exit status", st);
    *built = true;
    return 0;
}

void cli_build_result_free(cli_build_result *r)
{
    free(r->log);
    r->log = NULL;
}
