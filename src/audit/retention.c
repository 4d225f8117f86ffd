/*
 * audit/retention.c - the audit log's retention (the audit.keep_days
 * setting): entries older than that many days are deleted when the server
 * starts and then once a day, by a thread of their own on a connection of
 * their own (kiln_dbc_open), so that no worker waits on the DELETE. 0
 * keeps every entry and starts nothing. Several instances of an app each
 * purge: the DELETE is the same for all and harmless twice.
 */
#include "audit/audit_impl.h"

#include <kiln/config.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define DAY_US (86400LL * 1000000)

/* The one retention thread of the process (the server runs one app). */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool running, stop;
    int64_t keep_days;
    char url[4096 + 64];
} R = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

int64_t audit_purge_now(const char *url, int64_t keep_days)
{
    char err[256];
    kiln_dbc *db = kiln_dbc_open(url, err, sizeof err);
    if (!db) {
        kiln_log(KILN_LOG_WARN, "audit.keep_days: cannot open the database: %s",
                 err);
        return KILN_EUNAVAIL;
    }
    int v = 0;
    int64_t n = 0;
    if (db_builtin_version(db, audit_schema.part, &v) == 0 && v >= 1)
        n = kiln_audit_purge(db, kiln_datetime_now() - keep_days * DAY_US);
    if (n < 0)
        kiln_log(KILN_LOG_WARN, "audit.keep_days: purging kiln_audit: %s",
                 kiln_db_errmsg(db));
    else if (n > 0)
        kiln_log(KILN_LOG_INFO,
                 "audit log: %lld entr%s older than %lld days deleted",
                 (long long)n, n == 1 ? "y" : "ies", (long long)keep_days);
    kiln_dbc_close(db);
    return n;
}

static void *retention_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&R.mu);
    while (!R.stop) {
        pthread_mutex_unlock(&R.mu);
        audit_purge_now(R.url, R.keep_days);
        pthread_mutex_lock(&R.mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 86400;
        while (!R.stop &&
               pthread_cond_timedwait(&R.cv, &R.mu, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&R.mu);
    return NULL;
}

int audit_retention_start(const kiln_settings *s, const char *root, char *err,
                          size_t errlen)
{
    int64_t days = kiln_settings_int(s, "audit.keep_days");
    const char *url = kiln_settings_str(s, "database.url");
    if (days <= 0 || !url || !*url || R.running)
        return 0;
    if (kiln_db_url_in(url, root, R.url, sizeof R.url) != 0) {
        snprintf(err, errlen, "audit.keep_days: database.url is too long");
        return KILN_ELIMIT;
    }
    R.keep_days = days;
    R.stop = false;
    if (pthread_create(&R.thread, NULL, retention_main, NULL) != 0) {
        snprintf(err, errlen, "audit.keep_days: cannot start a thread");
        return KILN_EIO;
    }
    R.running = true;
    return 0;
}

void audit_retention_stop(void)
{
    if (!R.running)
        return;
    pthread_mutex_lock(&R.mu);
    R.stop = true;
    pthread_cond_signal(&R.cv);
    pthread_mutex_unlock(&R.mu);
    pthread_join(R.thread, NULL);
    R.running = false;
}
