/*
 * auth/password.c - password hashes (argon2id, libsodium) and the password
 * policy.
 *
 * A hash costs ~50 ms of CPU and 64 MiB at libsodium's INTERACTIVE limits,
 * so it never runs on a worker's loop: each hash or check is handed to a
 * thread of its own, and the caller waits on an eventfd with kiln_wait_fd
 * (a handler's coroutine yields; the worker serves other requests
 * meanwhile; outside a handler the wait blocks). At most AUTH_INFLIGHT
 * hashes run at once in the process, bounding the memory a flood of
 * logins can take; others wait their turn.
 *
 * Timing: a login whose account does not exist, or has no password, is
 * checked against a dummy hash of the same cost, made once per cost, so
 * that its answer takes as long as a wrong password's.
 */
#include "auth/auth_impl.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define AUTH_INFLIGHT 8

extern const char *const auth_common_passwords[];
extern const size_t auth_ncommon_passwords;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_sodium_rc;
static atomic_int g_inflight;

static void sodium_start(void)
{
    g_sodium_rc = sodium_init() < 0 ? -1 : 0;
}

auth_cost auth_cost_of(const kiln_settings *s)
{
    auth_cost c = {crypto_pwhash_OPSLIMIT_INTERACTIVE,
                   crypto_pwhash_MEMLIMIT_INTERACTIVE};
    if (s) {
        int64_t ops = kiln_settings_int(s, "auth.hash_opslimit");
        int64_t mem = kiln_settings_int(s, "auth.hash_memlimit");
        if (ops >= (int64_t)crypto_pwhash_OPSLIMIT_MIN)
            c.ops = (unsigned long long)ops;
        if (mem >= (int64_t)crypto_pwhash_MEMLIMIT_MIN)
            c.mem = (size_t)mem;
    }
    return c;
}

/* ---- the thread hand-off ------------------------------------------------ */

/* One hash or check. malloc'd; two owners (the thread and the waiter): the
   last to let go wipes the password, closes the eventfd and frees it. */
typedef struct pw_job {
    atomic_int refs;
    int efd;
    bool verify;
    auth_cost cost;
    char hash[AUTH_HASH_MAX]; /* verify: in; hash: out */
    size_t n;
    int rc; /* hash: 0 or -1; verify: 0 match, -1 not */
    char pw[];
} pw_job;

static void job_release(pw_job *j)
{
    if (atomic_fetch_sub(&j->refs, 1) != 1)
        return;
    close(j->efd);
    sodium_memzero(j->pw, j->n);
    free(j);
}

static void *job_main(void *arg)
{
    pw_job *j = arg;
    if (j->verify)
        j->rc = crypto_pwhash_str_verify(j->hash, j->pw, j->n);
    else
        j->rc =
            crypto_pwhash_str(j->hash, j->pw, j->n, j->cost.ops, j->cost.mem);
    uint64_t one = 1;
    ssize_t w = write(j->efd, &one, sizeof one);
    (void)w; /* an eventfd write of 1 cannot fail short */
    atomic_fetch_sub(&g_inflight, 1);
    job_release(j);
    return NULL;
}

/* Runs j on a thread and waits for it. 0: j->rc holds the result and the
   caller releases j; or an error (the wait was cancelled, no thread could
   be made), j released by this call (freed now or by the thread). */
static int job_run(pw_job *j)
{
    while (atomic_fetch_add(&g_inflight, 1) >= AUTH_INFLIGHT) {
        atomic_fetch_sub(&g_inflight, 1);
        int rc = kiln_sleep_ms(5);
        if (rc == KILN_ECANCELED) {
            job_release(j);
            job_release(j);
            return rc;
        }
    }
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    int prc = pthread_create(&t, &at, job_main, j);
    pthread_attr_destroy(&at);
    if (prc != 0) {
        atomic_fetch_sub(&g_inflight, 1);
        job_release(j);
        job_release(j);
        return KILN_ENOMEM;
    }
    int rc;
    for (;;) {
        uint64_t v;
        if (read(j->efd, &v, sizeof v) == (ssize_t)sizeof v) {
            rc = 0;
            break;
        }
        if (errno != EAGAIN && errno != EINTR) {
            rc = KILN_EIO;
            break;
        }
        rc = kiln_wait_fd(j->efd, KILN_READABLE, -1);
        if (rc < 0)
            break;
    }
    if (rc != 0)
        job_release(j); /* the thread lets go of the rest */
    return rc;
}

static pw_job *job_new(const char *pw, size_t n, bool verify)
{
    pthread_once(&g_once, sodium_start);
    if (g_sodium_rc != 0)
        return NULL;
    pw_job *j = calloc(1, sizeof *j + n + 1);
    if (!j)
        return NULL;
    j->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (j->efd < 0) {
        free(j);
        return NULL;
    }
    atomic_init(&j->refs, 2);
    j->verify = verify;
    j->n = n;
    memcpy(j->pw, pw, n);
    return j;
}

int auth_password_hash(const char *pw, size_t n, auth_cost cost,
                       char out[AUTH_HASH_MAX])
{
    if (n > AUTH_PASSWORD_MAX)
        return KILN_EINVAL;
    pw_job *j = job_new(pw, n, false);
    if (!j)
        return KILN_ENOMEM;
    j->cost = cost;
    int rc = job_run(j);
    if (rc != 0)
        return rc;
    if (j->rc != 0)
        rc = KILN_ENOMEM; /* libsodium fails only for want of memory */
    else
        memcpy(out, j->hash, AUTH_HASH_MAX);
    job_release(j);
    return rc;
}

/* ---- the dummy hash ----------------------------------------------------- */

static pthread_mutex_t g_dummy_lock = PTHREAD_MUTEX_INITIALIZER;
static auth_cost g_dummy_cost;
static char g_dummy[AUTH_HASH_MAX];

/* A hash of a random password at cost, made once per cost (a settings
   change makes a new one). 0 with out, or an error. */
static int dummy_hash(auth_cost cost, char out[AUTH_HASH_MAX])
{
    pthread_mutex_lock(&g_dummy_lock);
    bool have = g_dummy[0] && g_dummy_cost.ops == cost.ops &&
                g_dummy_cost.mem == cost.mem;
    if (have)
        memcpy(out, g_dummy, AUTH_HASH_MAX);
    pthread_mutex_unlock(&g_dummy_lock);
    if (have)
        return 0;
    unsigned char rnd[24];
    char pw[sizeof rnd * 2 + 1];
    pthread_once(&g_once, sodium_start);
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(pw, sizeof pw, rnd, sizeof rnd);
    int rc = auth_password_hash(pw, strlen(pw), cost, out);
    if (rc != 0)
        return rc;
    pthread_mutex_lock(&g_dummy_lock);
    memcpy(g_dummy, out, AUTH_HASH_MAX);
    g_dummy_cost = cost;
    pthread_mutex_unlock(&g_dummy_lock);
    return 0;
}

static void *warm_main(void *arg)
{
    auth_cost *c = arg;
    char h[AUTH_HASH_MAX];
    dummy_hash(*c, h);
    free(c);
    return NULL;
}

void auth_password_warm(auth_cost cost)
{
    auth_cost *c = malloc(sizeof *c);
    if (!c)
        return;
    *c = cost;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    if (pthread_create(&t, &at, warm_main, c) != 0)
        free(c); /* made by the first login instead */
    pthread_attr_destroy(&at);
}

int auth_password_verify(const char *hash, const char *pw, size_t n,
                         auth_cost cost, bool *ok, bool *rehash)
{
    *ok = false;
    if (rehash)
        *rehash = false;
    bool real = hash && strncmp(hash, "$argon2id$", 10) == 0 &&
                strlen(hash) < AUTH_HASH_MAX;
    char use[AUTH_HASH_MAX];
    if (real) {
        memcpy(use, hash, strlen(hash) + 1);
    } else {
        int rc = dummy_hash(cost, use);
        if (rc != 0)
            return rc;
    }
    if (n > AUTH_PASSWORD_MAX)
        n = AUTH_PASSWORD_MAX; /* still checked: the same time, no match */
    pw_job *j = job_new(pw, n, true);
    if (!j)
        return KILN_ENOMEM;
    memcpy(j->hash, use, AUTH_HASH_MAX);
    int rc = job_run(j);
    if (rc != 0)
        return rc;
    *ok = real && j->rc == 0;
    if (*ok && rehash)
        *rehash = crypto_pwhash_str_needs_rehash(use, cost.ops, cost.mem) != 0;
    job_release(j);
    return 0;
}

/* ---- the policy --------------------------------------------------------- */

auth_policy auth_policy_of(const kiln_settings *s)
{
    auth_policy p = {8, true};
    if (s) {
        p.min_length = (size_t)kiln_settings_int(s, "auth.password_min_length");
        p.common = kiln_settings_bool(s, "auth.password_common");
    }
    return p;
}

static int cmp_word(const void *key, const void *elt)
{
    return strcmp(key, *(const char *const *)elt);
}

static bool listed(const char *w)
{
    return bsearch(w, auth_common_passwords, auth_ncommon_passwords,
                   sizeof auth_common_passwords[0], cmp_word) != NULL;
}

bool auth_password_common(kiln_str pw)
{
    char low[65];
    if (pw.n == 0)
        return true;
    if (pw.n >= sizeof low)
        return false; /* longer than any entry and its suffix */
    for (size_t i = 0; i < pw.n; i++) {
        unsigned char ch = (unsigned char)pw.p[i];
        low[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    low[pw.n] = 0;
    if (listed(low))
        return true;
    /* an entry followed by up to five digits or symbols: "Dragon2024!" */
    size_t end = pw.n, cut = 0;
    while (end > 0 && cut < 5) {
        unsigned char ch = (unsigned char)low[end - 1];
        bool alpha = (ch >= 'a' && ch <= 'z') || ch >= 0x80;
        if (alpha)
            break;
        end--;
        cut++;
        low[end] = 0;
        if (end > 0 && listed(low))
            return true;
    }
    /* one character repeated: "aaaaaaaaaa" */
    bool same = true;
    for (size_t i = 1; i < pw.n && same; i++)
        same = pw.p[i] == pw.p[0];
    return same;
}

/* a and b equal ignoring ASCII case */
static bool same_ci(kiln_str a, const char *b)
{
    return b && *b && kiln_str_ieq_c(a, b);
}

int auth_password_check(const auth_policy *p, kiln_str pw, const char *username,
                        const char *email, kiln_errors *e, const char *pointer)
{
    int n = 0;
    /* characters, not bytes: UTF-8 continuation bytes do not count */
    size_t chars = 0;
    for (size_t i = 0; i < pw.n; i++)
        chars += ((unsigned char)pw.p[i] & 0xC0) != 0x80;
    if (chars < p->min_length) {
        kiln_errors_add(e, pointer, "too_short",
                        "the password must have at least %zu characters",
                        p->min_length);
        n++;
    }
    if (pw.n > AUTH_PASSWORD_MAX) {
        kiln_errors_add(e, pointer, "too_long",
                        "the password must have at most %d bytes",
                        AUTH_PASSWORD_MAX);
        n++;
    }
    if (p->common && auth_password_common(pw)) {
        kiln_errors_add(e, pointer, "too_common",
                        "this password is too common");
        n++;
    }
    if (same_ci(pw, username)) {
        kiln_errors_add(e, pointer, "like_username",
                        "the password must differ from the username");
        n++;
    }
    if (same_ci(pw, email)) {
        kiln_errors_add(e, pointer, "like_email",
                        "the password must differ from the email");
        n++;
    }
    if (email && *email) {
        const char *at = strchr(email, '@');
        if (at && at > email && (size_t)(at - email) == pw.n &&
            strncasecmp(email, pw.p, pw.n) == 0 && !same_ci(pw, username)) {
            kiln_errors_add(e, pointer, "like_email",
                            "the password must differ from the email");
            n++;
        }
    }
    return n;
}
