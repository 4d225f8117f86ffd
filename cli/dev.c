/*
 * cli/dev.c - `kiln dev`: build, run, watch, rebuild, restart.
 *
 * kiln dev opens the listening socket itself and keeps it for its whole
 * life. Each app process gets it as fd 3 (LISTEN_FDS, as in systemd's
 * socket activation) and says when it accepts through a pipe
 * (KILN_READY_FD). A restart starts the new process first, waits until it
 * accepts, then asks the old one to drain (SIGTERM): connections arriving
 * meanwhile wait in the socket's backlog, so none is refused.
 *
 * When the build fails (or the settings are wrong), the same socket is
 * served by `kiln __errpage`, which answers every request with the error:
 * an HTML page that reloads itself, or problem+json for API clients. The
 * terminal shows the compiler's own messages, with the author's paths.
 *
 * When the app dies after it started accepting (a crash in a handler),
 * kiln dev says so (the signal, its name) and starts it again by itself,
 * after a delay that doubles with each crash in a row (100 ms up to 5 s)
 * and resets once the app has stayed up for 10 s. While it waits, the
 * error page answers 503 "the app crashed and is restarting". An app that
 * dies before it accepts is not restarted: that is a start-up error, shown
 * until a file is saved.
 *
 * Watching is inotify on every folder of the project except .kiln/, dist/,
 * .git/, node_modules/ and hidden ones. A .c/.h file, kiln.toml or .env, a
 * model or endpoint schema (.toml under models/ or api/), or a file added,
 * removed or renamed under api/, ws/ or pages/ triggers a rebuild (after the
 * burst of events settles); an edited page or a file in static/ does not: they
 * are read from disk on every request.
 *
 * A project with frontend/package.json gets its Vite dev server started
 * beside the app and stopped with kiln dev (cli/vite.c).
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

static const char dev_help[] =
    "usage: kiln dev [--port N] [--host ADDR] [app flags...]\n\n"
    "Builds the project, runs it in development mode (debug, .env read, a\n"
    "generated secret key) and rebuilds and restarts it when a file "
    "changes,\nkeeping the listening socket open so no request is refused. "
    "A build\nerror is shown here and, in the browser, as an error page. "
    "Other flags\ngo to the app (--workers, --set section.key=VALUE, ...). "
    "Ctrl-C stops.\n";

/* Restarts after a crash: the first delay, its cap, and how long the app
   must stay up for the next crash to start from the first delay again. */
#define RESTART_FIRST_MS 100
#define RESTART_MAX_MS 5000
#define RESTART_RESET_MS 10000

typedef struct dev {
    char root[PATH_MAX];
    char self[PATH_MAX];
    char binary[PATH_MAX]; /* the last development binary that started */
    int listen_fd;
    int ino;
    int sig;
    pid_t app;       /* the process serving now (app or error page) */
    bool app_err;    /* it is the error page */
    char **app_argv; /* extra flags for the app */
    int app_argc;
    cli_strs dirs; /* watched folder of each watch descriptor (index wd) */
    bool color;
    int64_t up_since;   /* when the app started accepting (ms) */
    int64_t restart_at; /* when to restart a crashed app (ms), or 0 */
    int64_t backoff_ms; /* the delay of the last restart, 0 before any */
    int crashes;        /* crashes in a row (reset with the delay) */
    dev_vite vite;      /* the Vite dev server (cli/vite.c), if any */
} dev;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the socket ---------------------------------------------------------- */

static int open_listener(const char *host, const char *port)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0)
        return cli_fail("cannot resolve %s: %s", host, gai_strerror(rc)), -1;
    int fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 4096)) {
        cli_fail("cannot listen on %s:%s: %s%s", host, port, strerror(errno),
                 errno == EADDRINUSE ? " (is another app running? use "
                                       "--port)"
                                     : "");
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

/* ---- processes ----------------------------------------------------------- */

/*
 * Starts argv with the socket as fd 3 and a readiness pipe as fd 4, and
 * waits until it accepts. Returns its pid, or -1 when it exited first (the
 * status is in *status) or could not start.
 */
static pid_t start(dev *d, char **argv, int *status)
{
    int p[2];
    *status = 0;
    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        int lfd = fcntl(d->listen_fd, F_DUPFD, 10);
        int wfd = fcntl(p[1], F_DUPFD, 10);
        if (lfd < 0 || wfd < 0 || dup2(lfd, 3) < 0 || dup2(wfd, 4) < 0)
            _exit(127);
        close(lfd);
        close(wfd);
        char pid_s[24];
        snprintf(pid_s, sizeof pid_s, "%ld", (long)getpid());
        setenv("LISTEN_PID", pid_s, 1);
        setenv("LISTEN_FDS", "1", 1);
        setenv("KILN_READY_FD", "4", 1);
        setenv("KILN_ROOT", d->root, 1);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (chdir(d->root) != 0)
            _exit(127);
        execv(argv[0], argv);
        fprintf(stderr, "kiln dev: cannot run %s: %s\n", argv[0],
                strerror(errno));
        _exit(127);
    }
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        return -1;
    }
    char buf[16];
    ssize_t n;
    struct pollfd pf = {.fd = p[0], .events = POLLIN};
    int64_t deadline = now_ms() + 30000;
    for (;;) {
        int left = (int)(deadline - now_ms());
        if (left <= 0) {
            n = 0;
            cli_fail("the app did not start accepting within 30 s");
            kill(pid, SIGKILL);
            break;
        }
        int r = poll(&pf, 1, left);
        if (r < 0 && errno == EINTR)
            continue;
        n = r > 0 ? read(p[0], buf, sizeof buf) : 0;
        if (n < 0 && errno == EINTR)
            continue;
        break;
    }
    close(p[0]);
    if (n > 0)
        return pid;
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    return -1;
}

/* Asks the serving process to drain and go (it is reaped later). */
static void retire(pid_t pid)
{
    if (pid > 0)
        kill(pid, SIGTERM);
}

/* "exited with status 3", "was killed by signal 11 (SIGSEGV,
   Segmentation fault)". */
static void describe_status(int st, char *out, size_t n)
{
    if (WIFEXITED(st)) {
        snprintf(out, n, "exited with status %d", WEXITSTATUS(st));
    } else if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        const char *abbrev = sigabbrev_np(sig);
        if (abbrev)
            snprintf(out, n, "was killed by signal %d (SIG%s, %s)", sig, abbrev,
                     strsignal(sig));
        else
            snprintf(out, n, "was killed by signal %d (%s)", sig,
                     strsignal(sig));
    } else {
        snprintf(out, n, "stopped");
    }
}

/* What the error page says: the build failed, or the app crashed. */
typedef enum { PAGE_BUILD, PAGE_CRASH } page_kind;

/* Serves text as the error page (replacing what serves now). */
static void show_page(dev *d, page_kind kind, const char *text)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/.kiln/dev", d->root);
    cli_mkdirs(path);
    snprintf(path, sizeof path, "%s/.kiln/dev/error.txt", d->root);
    cli_write_file(path, text, strlen(text), 0644);
    char *argv[] = {d->self, "__errpage", path,
                    kind == PAGE_CRASH ? "--crashed" : NULL, NULL};
    int st;
    pid_t pid = start(d, argv, &st);
    if (pid < 0) {
        cli_fail("cannot start the error page");
        return;
    }
    retire(d->app);
    d->app = pid;
    d->app_err = true;
}

static void show_error(dev *d, const char *text)
{
    d->restart_at = 0; /* a build or settings error: wait for a save */
    show_page(d, PAGE_BUILD, text);
}

/* Checks the settings as the app will load them; 0 or 1 (error shown). */
static int check_settings(dev *d)
{
    char **av = calloc((size_t)d->app_argc + 2, sizeof(char *));
    if (!av)
        return 1;
    av[0] = "app";
    for (int i = 0; i < d->app_argc; i++)
        av[i + 1] = d->app_argv[i];
    kiln_settings_in in = {
        .root = d->root, .dev = true, .argc = d->app_argc + 1, .argv = av};
    kiln_settings *s = NULL;
    char err[1024];
    int rc = kiln_settings_load(&in, &s, err, sizeof err);
    free(av);
    kiln_settings_free(s);
    if (rc < 0) {
        cli_fail("error: %s", err);
        char text[1200];
        snprintf(text, sizeof text, "%s\n", err);
        show_error(d, text);
        return 1;
    }
    return 0;
}

/*
 * Ends the error page before the app starts, so that no request reaches
 * a page about an error that is over: it stops accepting on SIGTERM and
 * exits once its few requests are answered (bounded by PAGE_STOP_MS, then
 * killed). Meanwhile new connections wait in the socket's backlog for the
 * app. (A running app is replaced the other way round: the new one
 * accepts before the old one goes, as a save must not interrupt it.)
 */
static void stop_page(dev *d)
{
    enum { PAGE_STOP_MS = 2000 };
    pid_t pid = d->app;
    d->app = -1;
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    int64_t deadline = now_ms() + PAGE_STOP_MS;
    for (;;) {
        pid_t r = waitpid(pid, NULL, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            return;
        if (now_ms() >= deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
            return;
        }
        usleep(5000);
    }
}

/*
 * Starts d->binary in place of what serves now. Returns 0, or -1 when it
 * died before it accepted (then the error page says so, and it waits for a
 * save).
 */
static int start_app(dev *d)
{
    char **argv = calloc((size_t)d->app_argc + 3, sizeof(char *));
    if (!argv) {
        cli_fail("out of memory");
        return -1;
    }
    argv[0] = d->binary;
    argv[1] = "--dev";
    for (int i = 0; i < d->app_argc; i++)
        argv[i + 2] = d->app_argv[i];
    if (d->app_err)
        stop_page(d);
    int st;
    pid_t pid = start(d, argv, &st);
    free(argv);
    if (pid < 0) {
        char why[160], text[512];
        describe_status(st, why, sizeof why);
        snprintf(text, sizeof text,
                 "the app %s before it accepted connections (its output is "
                 "in the terminal running kiln dev)\n",
                 why);
        cli_fail("%.*s", (int)strcspn(text, "\n"), text);
        show_error(d, text);
        return -1;
    }
    retire(d->app);
    d->app = pid;
    d->app_err = false;
    d->up_since = now_ms();
    return 0;
}

/*
 * The app died while serving: says how, serves the "crashed" page and
 * schedules a restart after the back-off delay.
 */
static void crashed(dev *d, int st)
{
    int64_t now = now_ms();
    if (d->backoff_ms == 0 || now - d->up_since >= RESTART_RESET_MS) {
        d->backoff_ms = RESTART_FIRST_MS;
        d->crashes = 0;
    } else {
        d->backoff_ms *= 2;
        if (d->backoff_ms > RESTART_MAX_MS)
            d->backoff_ms = RESTART_MAX_MS;
    }
    d->crashes++;
    char why[160], text[640];
    describe_status(st, why, sizeof why);
    snprintf(text, sizeof text,
             "the app crashed: it %s (its output is in the terminal running "
             "kiln dev); restarting it in %lld ms%s\n",
             why, (long long)d->backoff_ms,
             d->crashes > 1 ? " (it keeps crashing: the delay doubles)" : "");
    cli_fail("%.*s", (int)strcspn(text, "\n"), text);
    d->app = -1;
    show_page(d, PAGE_CRASH, text);
    d->restart_at = now_ms() + d->backoff_ms;
}

/* The restart that crashed() scheduled, when its time has come. */
static void restart_due(dev *d)
{
    if (!d->restart_at || now_ms() < d->restart_at)
        return;
    d->restart_at = 0;
    int64_t t0 = now_ms();
    if (start_app(d) == 0)
        cli_fail("restarted the app after the crash (%lld ms)",
                 (long long)(now_ms() - t0));
}

/* Builds and (re)starts. force: restart even if the binary is the same. */
static void rebuild(dev *d, bool force)
{
    int64_t t0 = now_ms();
    cli_build_opts o = {.release = false, .color = d->color};
    cli_build_result r;
    int rc = cli_build(d->root, &o, &r);
    int64_t t1 = now_ms();
    if (rc != 0) {
        cli_fail("the build failed (%lld ms); fix the error and save",
                 (long long)(t1 - t0));
        show_error(d, r.log && *r.log ? r.log : "the build failed\n");
        cli_build_result_free(&r);
        return;
    }
    if (check_settings(d)) {
        cli_build_result_free(&r);
        return;
    }
    if (!r.linked && !force && !d->app_err && d->app > 0) {
        cli_progress("up to date (%lld ms)", (long long)(t1 - t0));
        cli_build_result_free(&r);
        return;
    }
    snprintf(d->binary, sizeof d->binary, "%s", r.binary);
    /* a save is a fresh start: forget earlier crashes */
    d->restart_at = 0;
    d->backoff_ms = 0;
    d->crashes = 0;
    if (start_app(d) == 0)
        cli_progress("ready: built in %lld ms (%d file%s compiled), "
                     "restarted in %lld ms",
                     (long long)(t1 - t0), r.ncompiled,
                     r.ncompiled == 1 ? "" : "s", (long long)(now_ms() - t1));
    cli_build_result_free(&r);
}

/* ---- watching ---------------------------------------------------------- */

static bool skip_dir(const char *name)
{
    return name[0] == '.' || strcmp(name, "dist") == 0 ||
           strcmp(name, "node_modules") == 0;
}

/* Watches rel (relative to root, "" for root) and every folder below. */
static void watch_tree(dev *d, const char *rel)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s%s%s", d->root, *rel ? "/" : "", rel);
    int wd =
        inotify_add_watch(d->ino, path,
                          IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE |
                              IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR);
    if (wd < 0) {
        if (errno == ENOSPC)
            cli_fail("too many folders to watch (raise "
                     "/proc/sys/fs/inotify/max_user_watches)");
        return;
    }
    while (d->dirs.n <= (size_t)wd)
        cli_strs_addf(&d->dirs, "%s", "");
    free(d->dirs.v[wd]);
    d->dirs.v[wd] = strdup(rel);
    DIR *dir = opendir(path);
    if (!dir)
        return;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (skip_dir(e->d_name))
            continue;
        char crel[PATH_MAX];
        snprintf(crel, sizeof crel, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        char cpath[PATH_MAX * 3];
        snprintf(cpath, sizeof cpath, "%s/%s", d->root, crel);
        struct stat st;
        if (lstat(cpath, &st) == 0 && S_ISDIR(st.st_mode))
            watch_tree(d, crel);
    }
    closedir(dir);
}

static bool ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

/* True when rel (a folder relative to the project) is dir or inside it. */
static bool under(const char *rel, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(rel, dir, n) == 0 && (rel[n] == '\0' || rel[n] == '/');
}

/* Does this change need a rebuild? */
static bool matters(const char *rel, const char *name, uint32_t mask)
{
    if (name[0] == '.' && strcmp(name, ".env") != 0)
        return false;
    if (name[0] == '#' || ends_with(name, "~") || ends_with(name, ".swp") ||
        ends_with(name, ".swx") || strstr(name, ".tmp"))
        return false;
    if (!*rel && (strcmp(name, "kiln.toml") == 0 || strcmp(name, ".env") == 0))
        return true;
    /* tests/ is `kiln test`'s: the running app does not have it */
    if (ends_with(name, ".c") || ends_with(name, ".h"))
        return strncmp(rel, "static", 6) != 0 && !under(rel, "tests");
    /* models and endpoint schemas are compiled into models.h */
    if (ends_with(name, ".toml") && (under(rel, "models") || under(rel, "api")))
        return true;
    if (!*rel && strcmp(name, "models") == 0)
        return true;
    bool structural =
        mask & (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ISDIR);
    if (structural &&
        (under(rel, "api") || under(rel, "ws") || under(rel, "pages") ||
         (!*rel && (strcmp(name, "api") == 0 || strcmp(name, "ws") == 0 ||
                    strcmp(name, "pages") == 0))))
        return true;
    return false;
}

/*
 * Reads pending inotify events; adds watches for new folders. Returns true
 * when one of them needs a rebuild (its path goes into what).
 */
static bool read_events(dev *d, char *what, size_t n)
{
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool need = false;
    for (;;) {
        ssize_t len = read(d->ino, buf, sizeof buf);
        if (len <= 0)
            break;
        for (char *p = buf; p < buf + len;) {
            struct inotify_event *e = (struct inotify_event *)p;
            p += sizeof *e + e->len;
            if (e->mask & IN_Q_OVERFLOW) {
                need = true;
                continue;
            }
            if (e->wd < 0 || (size_t)e->wd >= d->dirs.n || !e->len)
                continue;
            const char *rel = d->dirs.v[e->wd];
            if ((e->mask & IN_ISDIR) && (e->mask & (IN_CREATE | IN_MOVED_TO)) &&
                !skip_dir(e->name)) {
                char crel[PATH_MAX];
                snprintf(crel, sizeof crel, "%s%s%s", rel, *rel ? "/" : "",
                         e->name);
                watch_tree(d, crel);
            }
            if (!matters(rel, e->name, e->mask))
                continue;
            if (!need)
                snprintf(what, n, "%s%s%s", rel, *rel ? "/" : "", e->name);
            need = true;
        }
    }
    return need;
}

/* Reaps exited children; notices when the serving one died. */
static void reap(dev *d)
{
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        if (vite_reaped(&d->vite, pid, st))
            continue;
        if (pid != d->app)
            continue;
        if (!d->app_err) {
            crashed(d, st);
            continue;
        }
        char why[160];
        describe_status(st, why, sizeof why);
        d->app = -1;
        cli_fail("the error page %s; save a file to rebuild", why);
    }
}

static void stop_all(dev *d)
{
    vite_stop(&d->vite);
    retire(d->app);
    /* let children drain; the app's own drain limit bounds this */
    int64_t deadline = now_ms() + 15000;
    while (now_ms() < deadline) {
        pid_t pid = waitpid(-1, NULL, WNOHANG);
        if (pid < 0 && errno == ECHILD)
            break;
        if (pid <= 0)
            usleep(20000);
    }
}

int cmd_dev(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(dev_help, stdout);
        return 0;
    }
    int frc = cli_check_app_flags(argc, argv);
    if (frc)
        return frc < 0 ? 0 : frc;
    dev d = {.listen_fd = -1, .app = -1, .color = isatty(2)};
    if (cli_find_root(d.root) || cli_check_project(d.root))
        return 1;
    ssize_t n = readlink("/proc/self/exe", d.self, sizeof d.self - 1);
    if (n <= 0)
        return cli_fail("cannot find the kiln executable");
    d.self[n] = 0;
    d.app_argv = argv + 1;
    d.app_argc = argc - 1;

    /* host and port: the settings as the app reads them (flags included);
       when .env or the environment is wrong (the error page will say
       so), kiln.toml and the flags alone */
    char host[256], port[16];
    kiln_settings_in in = {
        .root = d.root, .dev = true, .argc = argc, .argv = argv};
    kiln_settings_in plain = {
        .root = d.root, .argc = argc, .argv = argv, .envp = (char *[]){NULL}};
    kiln_settings *s = NULL;
    char err[512];
    if (kiln_settings_load(&in, &s, err, sizeof err) != 0 &&
        kiln_settings_load(&plain, &s, err, sizeof err) != 0)
        return cli_fail("%s", err); /* not expected: both were checked */
    snprintf(host, sizeof host, "%s", kiln_settings_str(s, "server.host"));
    snprintf(port, sizeof port, "%s", kiln_settings_str(s, "server.port"));
    d.listen_fd = open_listener(host, port);
    if (d.listen_fd < 0) {
        kiln_settings_free(s);
        return 1;
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    d.sig = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    d.ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (d.sig < 0 || d.ino < 0) {
        kiln_settings_free(s);
        return cli_fail("cannot watch the project: %s", strerror(errno));
    }
    watch_tree(&d, "");
    /* after the signal mask: Vite's process is stopped on the way out */
    vite_start(&d.vite, d.root, s, host, port);
    kiln_settings_free(s);

    fprintf(stderr, "kiln dev: %s on http://%s:%s/ (Ctrl-C stops)\n", d.root,
            host, port);
    rebuild(&d, true);

    struct pollfd pf[3] = {{.fd = d.ino, .events = POLLIN},
                           {.fd = d.sig, .events = POLLIN},
                           {.fd = -1, .events = POLLIN}};
    for (;;) {
        int wait = -1;
        if (d.restart_at) {
            int64_t left = d.restart_at - now_ms();
            wait = left > 0 ? (int)left : 0;
        }
        pf[2].fd = d.vite.out; /* -1 (ignored) when there is no Vite */
        int pr = poll(pf, 3, wait);
        if (pr < 0 && errno != EINTR)
            break;
        restart_due(&d);
        if (pr <= 0)
            continue;
        if (pf[2].revents)
            vite_pump(&d.vite);
        if (pf[1].revents) {
            struct signalfd_siginfo si;
            bool quit = false;
            while (read(d.sig, &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGCHLD)
                    reap(&d);
                else
                    quit = true;
            }
            if (quit)
                break;
        }
        if (!pf[0].revents)
            continue;
        char what[PATH_MAX] = "";
        bool need = read_events(&d, what, sizeof what);
        if (!need)
            continue;
        /* let the burst of events (an editor's save) settle */
        int64_t until = now_ms() + 300;
        struct pollfd one = {.fd = d.ino, .events = POLLIN};
        while (now_ms() < until && poll(&one, 1, 30) > 0)
            read_events(&d, what + strlen(what), 0);
        cli_progress("%s changed: rebuilding", what);
        bool settings =
            strcmp(what, "kiln.toml") == 0 || strcmp(what, ".env") == 0;
        rebuild(&d, settings);
    }
    fprintf(stderr, "kiln dev: stopping\n");
    stop_all(&d);
    close(d.listen_fd);
    cli_strs_free(&d.dirs);
    return 0;
}
