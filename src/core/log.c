/*
 * core/log.c - one-line logging to stderr, one write(2) per line so lines
 * from several worker threads never interleave; optionally also kept per
 * request (log_capture, for the development error page).
 */
#include "core/log.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int log_level =
    KILN_LOG_INFO; /* set once at start-up, read-only later */

/* This thread's capture buffer (log_capture), or NULL. */
static _Thread_local kiln_buf *log_tee;

void log_capture(kiln_buf *b)
{
    log_tee = b;
}

void kiln_log_set_level(int level)
{
    log_level = level;
}

void kiln_log(int level, const char *fmt, ...)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    if (level > log_level)
        return;
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = (int)strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ ", &tm);
    n += snprintf(line + n, sizeof line - (size_t)n, "%s ",
                  names[level < 0   ? 0
                        : level > 3 ? 3
                                    : level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    n += m;
    if (n > (int)sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(2, line, (size_t)n);
    (void)w;
    if (log_tee && log_tee->n + (size_t)n <= LOG_CAPTURE_MAX)
        kiln_buf_append(log_tee, line, (size_t)n);
}
