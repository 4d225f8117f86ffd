/*
 * redis/url.c - redis:// and unix:// URLs (redis_url_parse), a pure
 * function over the string: the settings' redis.url comes through here.
 */
#include "redis/redis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int fail(char *err, size_t errlen, const char *msg)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
    return KILN_EINVAL;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..n) into out (cap bytes with the NUL); false when
   it does not fit, has a bad escape or decodes to a NUL byte. */
static bool decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '%') {
            if (i + 2 >= n)
                return false;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return false;
            ch = (char)(hi << 4 | lo);
            i += 2;
        }
        if (ch == '\0' || k + 1 >= cap)
            return false;
        out[k++] = ch;
    }
    out[k] = '\0';
    return true;
}

/* A decimal number of s[0..n) in [min, max]; -1 when it is not one. */
static long number(const char *s, size_t n, long min, long max)
{
    if (n == 0 || n > 10)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v < min || v > max ? -1 : v;
}

/* The userinfo before '@' in [p, end): user and password. */
static int userinfo(const char *p, const char *at, redis_url *u, char *err,
                    size_t errlen)
{
    const char *colon = memchr(p, ':', (size_t)(at - p));
    const char *uend = colon ? colon : at;
    if (!decode(p, (size_t)(uend - p), u->user, sizeof u->user))
        return fail(err, errlen,
                    "redis.url: the user name is malformed or too long");
    if (colon && !decode(colon + 1, (size_t)(at - colon - 1), u->password,
                         sizeof u->password))
        return fail(err, errlen,
                    "redis.url: the password is malformed or too long "
                    "(percent-encode '@', ':' and '/')");
    if (u->user[0] && !u->password[0])
        return fail(err, errlen,
                    "redis.url: a user needs a password (user:password@)");
    return 0;
}

/* unix://[userinfo@]/path[?db=N] after the scheme. */
static int parse_unix(const char *p, redis_url *u, char *err, size_t errlen)
{
    u->unix_socket = true;
    const char *q = strchr(p, '?');
    const char *end = q ? q : p + strlen(p);
    const char *at = memchr(p, '@', (size_t)(end - p));
    if (at && memchr(p, '/', (size_t)(at - p)))
        at = NULL; /* an '@' inside the path */
    if (at) {
        int rc = userinfo(p, at, u, err, errlen);
        if (rc)
            return rc;
        p = at + 1;
    }
    if (*p != '/')
        return fail(err, errlen,
                    "redis.url: unix:// needs an absolute socket path "
                    "(unix:///run/redis/redis.sock)");
    if (!decode(p, (size_t)(end - p), u->path, sizeof u->path))
        return fail(err, errlen,
                    "redis.url: the socket path is malformed or longer than "
                    "107 bytes");
    while (q && *q) {
        q++;
        const char *amp = strchr(q, '&');
        size_t n = amp ? (size_t)(amp - q) : strlen(q);
        if (n > 3 && strncmp(q, "db=", 3) == 0) {
            long db = number(q + 3, n - 3, 0, 1000000);
            if (db < 0)
                return fail(err, errlen,
                            "redis.url: db is a database number (db=0)");
            u->db = (int)db;
        } else {
            return fail(err, errlen,
                        "redis.url: unix:// takes only ?db=N after the path");
        }
        q = amp;
    }
    return 0;
}

/* redis://[userinfo@]host[:port][/db] after the scheme. */
static int parse_tcp(const char *p, redis_url *u, char *err, size_t errlen)
{
    u->port = 6379;
    const char *end = p + strcspn(p, "/?#");
    if (end[0] == '?' || end[0] == '#')
        return fail(err, errlen,
                    "redis.url: redis:// takes no query or fragment "
                    "(redis://host:port/db)");
    const char *at = NULL;
    for (const char *s = p; s < end; s++)
        if (*s == '@')
            at = s; /* the last one: a password may hold a raw '@' */
    if (at) {
        int rc = userinfo(p, at, u, err, errlen);
        if (rc)
            return rc;
        p = at + 1;
    }
    const char *hend, *port = NULL;
    if (*p == '[') {
        const char *close = memchr(p, ']', (size_t)(end - p));
        if (!close || close == p + 1)
            return fail(err, errlen,
                        "redis.url: an IPv6 host is written [::1]");
        hend = close + 1;
        if (hend < end && *hend != ':')
            return fail(err, errlen,
                        "redis.url: only :port may follow the host");
        port = hend < end ? hend + 1 : NULL;
        size_t n = (size_t)(close - p - 1);
        if (n >= sizeof u->host)
            return fail(err, errlen, "redis.url: the host is too long");
        memcpy(u->host, p + 1, n);
        u->host[n] = '\0';
    } else {
        const char *colon = memchr(p, ':', (size_t)(end - p));
        hend = colon ? colon : end;
        port = colon ? colon + 1 : NULL;
        size_t n = (size_t)(hend - p);
        if (n == 0)
            return fail(err, errlen,
                        "redis.url: no host (redis://127.0.0.1:6379/0)");
        if (n >= sizeof u->host)
            return fail(err, errlen, "redis.url: the host is too long");
        for (size_t i = 0; i < n; i++) {
            char ch = p[i];
            if (!(ch == '-' || ch == '.' || ch == '_' ||
                  (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= 'A' && ch <= 'Z')))
                return fail(err, errlen,
                            "redis.url: the host has a character a host "
                            "name cannot have");
        }
        memcpy(u->host, p, n);
        u->host[n] = '\0';
    }
    if (port) {
        long v = number(port, (size_t)(end - port), 1, 65535);
        if (v < 0)
            return fail(err, errlen,
                        "redis.url: the port is a number from 1 to 65535");
        u->port = (int)v;
    }
    if (*end == '/' && end[1]) {
        long db = number(end + 1, strlen(end + 1), 0, 1000000);
        if (db < 0)
            return fail(err, errlen,
                        "redis.url: the path is a database number "
                        "(redis://host:6379/0)");
        u->db = (int)db;
    }
    return 0;
}

int redis_url_parse(const char *url, redis_url *u, char *err, size_t errlen)
{
    memset(u, 0, sizeof *u);
    if (!url || !*url)
        return fail(err, errlen, "redis.url is empty");
    if (strncasecmp(url, "redis://", 8) == 0)
        return parse_tcp(url + 8, u, err, errlen);
    if (strncasecmp(url, "unix://", 7) == 0)
        return parse_unix(url + 7, u, err, errlen);
    if (strncasecmp(url, "rediss://", 9) == 0)
        return fail(err, errlen,
                    "redis.url: rediss:// (TLS) is not supported; reach "
                    "Redis over a private network or a local TLS tunnel "
                    "with redis://");
    return fail(err, errlen,
                "redis.url: expected redis://host:port/db or "
                "unix:///path/to/redis.sock");
}
