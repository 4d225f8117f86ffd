/*
 * cli/util.c - messages, files and string lists for the kiln commands.
 */
#include "cli.h"

#include "db/migrate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

const char *cli_cmd = "";
bool cli_quiet;

static void vmsg(const char *fmt, va_list ap)
{
    char buf[4096];
    vsnprintf(buf, sizeof buf, fmt, ap);
    if (*cli_cmd)
        fprintf(stderr, "kiln %s: %s\n", cli_cmd, buf);
    else
        fprintf(stderr, "kiln: %s\n", buf);
}

int cli_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
    return 1;
}

int cli_usage_error(const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "kiln %s: %s (see 'kiln %s --help')\n", cli_cmd, buf,
            cli_cmd);
    return 2;
}

const char *cli_suggest(const char *word, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (!cands[i])
            continue;
        size_t d = kiln_str_distance(kiln_str_c(word), kiln_str_c(cands[i]));
        if (d < best_d) {
            best_d = d;
            best = cands[i];
        }
    }
    size_t len = strlen(word);
    size_t limit = len <= 3 ? 1 : len <= 8 ? 2 : 3;
    return best_d <= limit ? best : NULL;
}

int cli_unknown_option(const char *arg)
{
    if (arg[0] != '-')
        return cli_usage_error("unexpected argument '%s'", arg);
    return cli_usage_error("unknown option '%s'", arg);
}

int cli_check_app_flags(int argc, char **argv)
{
    /* The flags alone, over an empty settings file (a memfd, so that no
       path on disk is assumed empty), no environment and no .env: any
       error is the flags' own. */
    int fd = memfd_create("kiln-no-settings", MFD_CLOEXEC);
    if (fd < 0)
        return cli_fail("cannot check the flags: %s", strerror(errno));
    char empty[64];
    snprintf(empty, sizeof empty, "/proc/self/fd/%d", fd);
    kiln_settings_in in = {.root = ".",
                           .toml_path = empty,
                           .dev = false,
                           .argc = argc,
                           .argv = argv,
                           .envp = (char *[]){NULL}};
    kiln_settings *s = NULL;
    char err[1024];
    int rc = kiln_settings_load(&in, &s, err, sizeof err);
    kiln_settings_free(s);
    close(fd);
    if (rc == 1)
        return -1;
    if (rc == 0)
        return 0;
    /* "unknown option '--x' (see --help)": the help is this command's */
    char *see = strstr(err, " (see --help)");
    if (see)
        *see = 0;
    if (rc == KILN_ENOMEM)
        return cli_fail("out of memory");
    if (see)
        return cli_usage_error("%s", err);
    cli_fail("%s", err);
    return 2;
}

void cli_progress(const char *fmt, ...)
{
    if (cli_quiet)
        return;
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "  %s\n", buf);
}

bool cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    }
    return false;
}

int cli_pathf(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vsnprintf(out, n, fmt, ap);
    va_end(ap);
    if (rc < 0 || (size_t)rc >= n) {
        if (n)
            out[0] = 0;
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int cli_mkdirs(const char *path)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return -1;
    return cli_is_dir(tmp) ? 0 : (errno = ENOTDIR, -1);
}

int cli_write_file(const char *path, const void *data, size_t n, int mode)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >=
        (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    const char *p = data;
    size_t left = n;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int saved = errno;
            close(fd);
            unlink(tmp);
            errno = saved;
            return -1;
        }
        p += w;
        left -= (size_t)w;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return 0;
}

int cli_write_if_changed(const char *path, const void *data, size_t n)
{
    size_t old_n;
    char *old = kiln_read_file(path, &old_n);
    bool same = old && old_n == n && memcmp(old, data, n) == 0;
    free(old);
    if (same)
        return 0;
    return cli_write_file(path, data, n, 0644) == 0 ? 1 : -1;
}

long long cli_mtime(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}

bool cli_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool cli_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

int cli_ncpu(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int cli_strs_addf(cli_strs *l, const char *fmt, ...)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int rc = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (rc < 0)
        return -1;
    l->v[l->n++] = s;
    return 0;
}

void cli_strs_free(cli_strs *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

int cli_find_root(char root[PATH_MAX])
{
    char cwd[PATH_MAX], dir[PATH_MAX], probe[PATH_MAX + 16];
    if (!getcwd(cwd, sizeof cwd))
        return cli_fail("cannot read the current folder: %s", strerror(errno));
    snprintf(dir, sizeof dir, "%s", cwd);
    for (;;) {
        snprintf(probe, sizeof probe, "%s/kiln.toml", dir);
        if (cli_exists(probe)) {
            snprintf(root, PATH_MAX, "%s", dir);
            return 0;
        }
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir)
            break;
        *slash = 0;
    }
    snprintf(probe, sizeof probe, "%s/api", cwd);
    bool api = cli_is_dir(probe);
    snprintf(probe, sizeof probe, "%s/pages", cwd);
    if (api || cli_is_dir(probe)) {
        snprintf(root, PATH_MAX, "%s", cwd);
        return 0;
    }
    return cli_fail("not a Kiln project: no kiln.toml here or above, and no "
                    "api/ or pages/ here (create one with 'kiln new NAME')");
}

void cli_project_name(const char *root, char *name, size_t n)
{
    const char *base = strrchr(root, '/');
    base = base && base[1] ? base + 1 : root;
    snprintf(name, n, "%s", base);
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/kiln.toml", root);
    kiln_settings_in in = {.root = root, .dev = false, .envp = (char *[]){0}};
    kiln_settings *s = NULL;
    char err[256];
    (void)path;
    if (kiln_settings_load(&in, &s, err, sizeof err) == 0) {
        const char *v = kiln_settings_str(s, "app.name");
        if (v && *v)
            snprintf(name, n, "%s", v);
        kiln_settings_free(s);
    }
    /* keep it usable as a file name */
    for (char *p = name; *p; p++)
        if (*p == '/' || *p == ' ')
            *p = '-';
}

int cli_load_settings(int argc, char **argv, const char *const *own,
                      unsigned *seen, bool *prod, char root[PATH_MAX],
                      kiln_settings **s)
{
    *s = NULL;
    *prod = false;
    if (seen)
        *seen = 0;
    char **av = calloc((size_t)argc + 1, sizeof(char *));
    int ac = 0;
    if (!av)
        return cli_fail("out of memory");
    av[ac++] = argv[0];
    for (int i = 1; i < argc; i++) {
        bool mine = false;
        for (unsigned k = 0; own && own[k] && !mine; k++)
            if (strcmp(argv[i], own[k]) == 0) {
                *seen |= 1u << k;
                mine = true;
            }
        if (mine)
            continue;
        if (strcmp(argv[i], "--prod") == 0)
            *prod = true;
        else
            av[ac++] = argv[i];
    }
    int frc = cli_check_app_flags(ac, av);
    if (frc == 0 && cli_find_root(root))
        frc = 1;
    if (frc == 0 && cli_check_project(root) != 0)
        frc = 1;
    if (frc) {
        free(av);
        return frc;
    }
    kiln_settings_in in = {.root = root, .dev = !*prod, .argc = ac, .argv = av};
    char err[1024];
    int rc = kiln_settings_load(&in, s, err, sizeof err);
    free(av);
    if (rc == 1)
        return -1;
    if (rc < 0)
        return cli_fail("%s", err);
    return 0;
}

kiln_dbc *cli_open_db(int argc, char **argv, const char *part, int steps,
                      const char *what, kiln_settings **s, int *rc)
{
    bool prod;
    char root[PATH_MAX], url[PATH_MAX + 64], err[1024];
    *rc = cli_load_settings(argc, argv, NULL, NULL, &prod, root, s);
    if (*rc < 0) {
        *rc = 0; /* help was printed */
        return NULL;
    }
    if (*rc)
        return NULL;
    const char *setting = kiln_settings_str(*s, "database.url");
    if (!setting || kiln_db_url_in(setting, root, url, sizeof url) != 0) {
        *rc = cli_fail("database.url is empty or too long");
        return NULL;
    }
    kiln_dbc *db = kiln_dbc_open(url, err, sizeof err);
    if (!db) {
        *rc = cli_fail("%s", err);
        return NULL;
    }
    int v = 0;
    if (db_builtin_version(db, part, &v) != 0)
        *rc = cli_fail("%s", kiln_db_errmsg(db));
    else if (v < steps)
        *rc = cli_fail("the database has no %s yet: run kiln migrate", what);
    if (*rc) {
        kiln_dbc_close(db);
        return NULL;
    }
    return db;
}
