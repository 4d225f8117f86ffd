/*
 * cli/vite.c - the Vite dev server kiln dev runs beside the app, for the
 * hybrid join (docs/frontend.md): when the project has frontend/package.json
 * and frontend.vite is on, `npm run dev -- --host HOST --port PORT
 * --strictPort` runs in frontend/ (HOST and PORT from frontend.dev_server,
 * where vite_assets() points the pages), in its own process group, with
 * APP_ORIGIN set to the app's origin for Vite's proxy (unless set), its
 * output printed line by line after "[vite] ". It is stopped with kiln dev
 * (SIGTERM to the group, SIGKILL after 5 s); when it exits by itself, kiln
 * dev says so and goes on serving the app.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* HOST and PORT of an "http://HOST:PORT" origin, into host and port.
   Returns 0, or -1 when it is not one. */
static int split_origin(const char *url, char *host, size_t hn, char *port,
                        size_t pn)
{
    const char *p = strstr(url, "://");
    if (!p)
        return -1;
    p += 3;
    size_t len = strcspn(p, "/");
    const char *colon = memrchr(p, ':', len);
    if (!colon || colon == p || (size_t)(colon - p) >= hn)
        return -1;
    size_t plen = len - (size_t)(colon - p) - 1;
    if (plen == 0 || plen >= pn || strspn(colon + 1, "0123456789") < plen)
        return -1;
    memcpy(host, p, (size_t)(colon - p));
    host[colon - p] = '\0';
    memcpy(port, colon + 1, plen);
    port[plen] = '\0';
    return 0;
}

int vite_start(dev_vite *v, const char *root, const kiln_settings *s,
               const char *app_host, const char *app_port)
{
    memset(v, 0, sizeof *v);
    v->pid = -1;
    v->out = -1;
    char dir[PATH_MAX], pkg[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/frontend", root);
    snprintf(pkg, sizeof pkg, "%s/package.json", dir);
    if (!kiln_settings_bool(s, "frontend.vite") || !cli_exists(pkg))
        return 0;
    const char *url = kiln_settings_str(s, "frontend.dev_server");
    char host[256], port[16];
    if (!url || !*url ||
        split_origin(url, host, sizeof host, port, sizeof port) != 0) {
        cli_fail("frontend.dev_server '%s' is not an http://HOST:PORT origin: "
                 "the Vite dev server is not started",
                 url ? url : "");
        return -1;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return cli_fail("cannot start Vite: %s", strerror(errno)), -1;
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0); /* its own group: stopped with its children */
        if (dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0 || chdir(dir) != 0)
            _exit(127);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* where Vite's proxy finds the app (vite.config.ts), unless the
           environment names another */
        char origin[300];
        bool any = strcmp(app_host, "0.0.0.0") == 0 ||
                   strcmp(app_host, "::") == 0 || !*app_host;
        bool v6 = !any && strchr(app_host, ':');
        snprintf(origin, sizeof origin, "http://%s%s%s:%s", v6 ? "[" : "",
                 any ? "127.0.0.1" : app_host, v6 ? "]" : "", app_port);
        setenv("APP_ORIGIN", origin, 0);
        char *argv[] = {"npm", "run",    "dev", "--",           "--host",
                        host,  "--port", port,  "--strictPort", NULL};
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run npm: %s\n", strerror(errno));
        _exit(127);
    }
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        return cli_fail("cannot start Vite: %s", strerror(errno)), -1;
    }
    setpgid(pid, pid); /* also here: no race with the child's own call */
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    v->pid = pid;
    v->out = p[0];
    fprintf(stderr,
            "kiln dev: Vite dev server (npm run dev in frontend/) on "
            "http://%s:%s/\n",
            host, port);
    return 0;
}

/* Prints the whole lines held, each after "[vite] "; with flush, the
   rest too. */
static void put_lines(dev_vite *v, bool flush)
{
    size_t start = 0;
    for (size_t i = 0; i < v->n; i++)
        if (v->line[i] == '\n') {
            fprintf(stderr, "[vite] %.*s\n", (int)(i - start), v->line + start);
            start = i + 1;
        }
    if (flush && start < v->n) {
        fprintf(stderr, "[vite] %.*s\n", (int)(v->n - start), v->line + start);
        start = v->n;
    }
    memmove(v->line, v->line + start, v->n - start);
    v->n -= start;
}

void vite_pump(dev_vite *v)
{
    while (v->out >= 0) {
        if (v->n == sizeof v->line)
            put_lines(v, true); /* a line longer than the buffer */
        ssize_t r = read(v->out, v->line + v->n, sizeof v->line - v->n);
        if (r > 0) {
            v->n += (size_t)r;
            put_lines(v, false);
            continue;
        }
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        put_lines(v, true); /* end of output: Vite is gone */
        close(v->out);
        v->out = -1;
    }
}

bool vite_reaped(dev_vite *v, pid_t pid, int status)
{
    if (v->pid <= 0 || pid != v->pid)
        return false;
    vite_pump(v);
    v->pid = -1;
    if (WIFEXITED(status))
        cli_fail("the Vite dev server exited with status %d (kiln dev goes "
                 "on; restart kiln dev to start it again)",
                 WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        cli_fail("the Vite dev server was killed by signal %d",
                 WTERMSIG(status));
    return true;
}

void vite_stop(dev_vite *v)
{
    if (v->pid > 0) {
        kill(-v->pid, SIGTERM);
        struct timespec nap = {0, 20 * 1000 * 1000};
        int st;
        for (int i = 0; i < 250; i++) { /* 5 s */
            pid_t r = waitpid(v->pid, &st, WNOHANG);
            if (r == v->pid || (r < 0 && errno != EINTR))
                break;
            vite_pump(v);
            nanosleep(&nap, NULL);
            if (i == 249) {
                kill(-v->pid, SIGKILL);
                waitpid(v->pid, &st, 0);
            }
        }
        kill(-v->pid, SIGKILL); /* what is left of its group */
        v->pid = -1;
    }
    vite_pump(v);
    if (v->out >= 0)
        close(v->out);
    v->out = -1;
}
