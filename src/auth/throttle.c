/*
 * auth/throttle.c - login throttling: a bucket per account and one per
 * client address, in the app's rate store (kiln/rate.h: memory, or Redis
 * with rate.backend = "redis", shared by every instance). Only failed
 * attempts take from them ([auth] throttle_account, throttle_ip); a
 * login is refused before its password is checked while either is empty,
 * so a throttled guesser does not even cost a hash.
 *
 * The account's key is the login as typed, lowercased, so "Alice" and
 * "alice" share a bucket; unknown logins get buckets too (throttling must
 * not tell which accounts exist). The address is what rate.key names
 * (the peer's address unless the app is behind a proxy).
 */
#include "auth/auth_impl.h"
#include "kiln/project.h"
#include "kiln/rate.h"

#include <string.h>

#define NAME_ACCOUNT "auth.login.account"
#define NAME_IP "auth.login.ip"

/* The limit of setting key; false when it is empty (no limit) or bad
   (logged once per call: settings were checked at start). */
static bool limit_of(const char *key, kiln_rate *r)
{
    const kiln_settings *s = kiln_project_settings();
    const char *spec = s ? kiln_settings_str(s, key) : NULL;
    if (!s)
        spec = strcmp(key, "auth.throttle_account") == 0 ? "5/min burst 10"
                                                         : "30/min burst 50";
    if (!spec || !*spec)
        return false;
    char err[128];
    if (kiln_rate_parse(spec, r, err, sizeof err) != 0) {
        kiln_log(KILN_LOG_WARN, "%s: %s", key, err);
        return false;
    }
    return true;
}

static kiln_str account_key(kiln_ctx *c, kiln_str login)
{
    char *p = kiln_arena_alloc(kiln_ctx_arena(c), login.n + 1);
    if (!p)
        return KILN_STR_NULL;
    for (size_t i = 0; i < login.n; i++) {
        unsigned char ch = (unsigned char)login.p[i];
        p[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    p[login.n] = 0;
    return (kiln_str){p, login.n};
}

static kiln_str ip_key(kiln_ctx *c)
{
    const kiln_settings *s = kiln_project_settings();
    const char *by = s ? kiln_settings_str(s, "rate.key") : NULL;
    if (by && strcmp(by, "user") == 0)
        by = NULL; /* nobody is logged in yet: the address */
    return kiln_rate_key(c, by);
}

/* Takes cost from the bucket; true when it was refused (*retry_s). Store
   errors are logged and allow the attempt (rate.fail_open's spirit: a
   Redis outage must not lock every user out). */
static bool take(const char *name, const kiln_rate *r, kiln_str key,
                 double cost, int64_t *retry_s)
{
    kiln_rate_result res;
    if (!key.p)
        return false;
    int rc = kiln_rate_take(NULL, name, r, key, cost, &res);
    if (rc != 0) {
        kiln_log(KILN_LOG_WARN, "login throttling: %s", kiln_strerror(rc));
        return false;
    }
    if (!res.allowed && retry_s && res.retry_after_s > *retry_s)
        *retry_s = res.retry_after_s;
    return !res.allowed;
}

int auth_throttle_check(kiln_ctx *c, kiln_str login, int64_t *retry_s)
{
    kiln_rate r;
    bool refused = false;
    *retry_s = 0;
    if (limit_of("auth.throttle_account", &r))
        refused |= take(NAME_ACCOUNT, &r, account_key(c, login), 0, retry_s);
    if (limit_of("auth.throttle_ip", &r))
        refused |= take(NAME_IP, &r, ip_key(c), 0, retry_s);
    return refused ? KILN_ELIMIT : 0;
}

void auth_throttle_fail(kiln_ctx *c, kiln_str login)
{
    kiln_rate r;
    if (limit_of("auth.throttle_account", &r))
        take(NAME_ACCOUNT, &r, account_key(c, login), 1, NULL);
    if (limit_of("auth.throttle_ip", &r))
        take(NAME_IP, &r, ip_key(c), 1, NULL);
}

void auth_throttle_reset(kiln_ctx *c, kiln_str login)
{
    /* The rate store has no "refill" yet (kiln/rate.h): a success leaves
       the account's bucket to refill at its rate. The burst is there so
       that a user's few typos never lock them out. */
    (void)c;
    (void)login;
}
