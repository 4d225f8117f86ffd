/*
 * app/url.c - route names: the process's name -> pattern table and the
 * building of a path from a pattern and parameters (kiln/url.h).
 *
 * The table is a sorted array (binary search), filled before serving and
 * read-only afterwards, so workers read it without a lock. Kiln's own
 * routes (login, logout, the auth API, the OIDC login flow) are in it too
 * (app_url_define_kiln), after the app's: a name the app gives one of its
 * own routes wins.
 */
#include "app/project.h"
#include "auth/auth_impl.h"

#include <kiln.h>
#include <kiln/url.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool kiln_route_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > KILN_ROUTE_NAME_MAX)
        return false;
    unsigned char c0 = (unsigned char)name[0];
    if (!((c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z') ||
          (c0 >= '0' && c0 <= '9')))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
                  ch == '.';
        if (!ok || (ch == '.' && (i + 1 == n || name[i + 1] == '.')))
            return false;
    }
    return true;
}

/* ---- building ------------------------------------------------------------ */

static bool unreserved(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
           ch == '~';
}

/* Output written snprintf's way: at most cap bytes, n counts them all. */
typedef struct out_t {
    char *p;
    size_t cap, n;
} out_t;

static void put(out_t *o, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++, o->n++)
        if (o->n < o->cap)
            o->p[o->n] = p[i];
}

/* Appends v percent-encoded; '/' kept when rest. */
static void put_encoded(out_t *o, kiln_str v, bool rest)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < v.n; i++) {
        unsigned char ch = (unsigned char)v.p[i];
        if (unreserved(ch) || (rest && ch == '/')) {
            put(o, (const char *)&v.p[i], 1);
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            put(o, e, 3);
        }
    }
}

/* True when a segment of v (split at '/' when rest) is "." or "..". */
static bool has_dot_segment(kiln_str v, bool rest)
{
    size_t start = 0;
    for (size_t i = 0; i <= v.n; i++) {
        if (i < v.n && !(rest && v.p[i] == '/'))
            continue;
        size_t len = i - start;
        if ((len == 1 && v.p[start] == '.') ||
            (len == 2 && v.p[start] == '.' && v.p[start + 1] == '.'))
            return true;
        start = i + 1;
    }
    return false;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    KILN_PRINTF(3, 4);
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return KILN_EINVAL;
}

int kiln_url_build(const char *pattern, const kiln_str *keys,
                   const kiln_str *vals, size_t n, char *out, size_t cap,
                   size_t *len, char *err, size_t errlen)
{
    out_t o = {out, cap, 0};
    *len = 0;
    enum { MAXP = 64 };
    bool used[MAXP] = {false};
    if (n > MAXP)
        return fail(err, errlen, "too many parameters (%zu)", n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (kiln_str_eq(keys[i], keys[j]))
                return fail(err, errlen, "parameter '%.*s' given twice",
                            (int)keys[i].n, keys[i].p);
    const char *p = pattern;
    while (*p) {
        const char *open = strchr(p, '{');
        size_t lit = open ? (size_t)(open - p) : strlen(p);
        put(&o, p, lit);
        if (!open)
            break;
        const char *close = strchr(open, '}');
        if (!close)
            return fail(err, errlen, "bad pattern '%s'", pattern);
        bool rest = strncmp(open, "{...", 4) == 0;
        kiln_str name = {open + (rest ? 4 : 1),
                         (size_t)(close - open) - (rest ? 4 : 1)};
        size_t k = 0;
        while (k < n && !kiln_str_eq(keys[k], name))
            k++;
        if (k == n)
            return fail(err, errlen, "missing parameter '%.*s'", (int)name.n,
                        name.p);
        used[k] = true;
        if (vals[k].n == 0 && !rest)
            return fail(err, errlen, "parameter '%.*s' is empty", (int)name.n,
                        name.p);
        if (has_dot_segment(vals[k], rest))
            return fail(err, errlen,
                        "parameter '%.*s' makes a '.' or '..' path segment",
                        (int)name.n, name.p);
        put_encoded(&o, vals[k], rest);
        p = close + 1;
    }
    for (size_t i = 0; i < n; i++)
        if (!used[i])
            return fail(err, errlen, "unexpected parameter '%.*s'",
                        (int)keys[i].n, keys[i].p);
    if (cap)
        out[o.n < cap ? o.n : cap - 1] = 0;
    *len = o.n;
    return 0;
}

int kiln_url_arena(kiln_arena *a, const char *pattern, const kiln_str *keys,
                   const kiln_str *vals, size_t n, kiln_str *out, char *err,
                   size_t errlen)
{
    char small[256];
    size_t len;
    int rc = kiln_url_build(pattern, keys, vals, n, small, sizeof small, &len,
                            err, errlen);
    if (rc)
        return rc;
    char *p = kiln_arena_alloc(a, len + 1);
    if (!p)
        return KILN_ENOMEM;
    if (len < sizeof small)
        memcpy(p, small, len + 1);
    else
        kiln_url_build(pattern, keys, vals, n, p, len + 1, &len, NULL, 0);
    *out = (kiln_str){p, len};
    return 0;
}

/* ---- the table ------------------------------------------------------------
 */

typedef struct url_entry {
    char *name;
    char *pattern;
} url_entry;

static url_entry *g_tab; /* sorted by name */
static size_t g_n, g_cap;

/* The index of name, or where it would go (*found false). */
static size_t find(const char *name, bool *found)
{
    size_t lo = 0, hi = g_n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(g_tab[mid].name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

int kiln_url_define(const char *name, const char *pattern)
{
    if (!kiln_route_name_ok(name) || !pattern || pattern[0] != '/')
        return KILN_EINVAL;
    bool found;
    size_t at = find(name, &found);
    if (found)
        return strcmp(g_tab[at].pattern, pattern) == 0 ? 0 : KILN_ESTATE;
    if (g_n == g_cap) {
        size_t cap = g_cap ? g_cap * 2 : 32;
        url_entry *t = realloc(g_tab, cap * sizeof *t);
        if (!t)
            return KILN_ENOMEM;
        g_tab = t;
        g_cap = cap;
    }
    url_entry e = {strdup(name), strdup(pattern)};
    if (!e.name || !e.pattern) {
        free(e.name);
        free(e.pattern);
        return KILN_ENOMEM;
    }
    memmove(&g_tab[at + 1], &g_tab[at], (g_n - at) * sizeof *g_tab);
    g_tab[at] = e;
    g_n++;
    return 0;
}

/* Defines the names of routes (unless the app's routes have them). */
static int define_kiln(const auth_route *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = kiln_url_define(v[i].name, v[i].pattern);
        if (rc && rc != KILN_ESTATE)
            return rc; /* KILN_ESTATE: the app's own route has the name */
    }
    return 0;
}

int app_url_define_kiln(void)
{
    int rc = define_kiln(auth_routes, auth_nroutes);
    return rc ? rc : define_kiln(oidc_flow_routes, oidc_flow_nroutes);
}

const char *kiln_url_pattern(const char *name)
{
    bool found;
    size_t at = name ? find(name, &found) : 0;
    return name && found ? g_tab[at].pattern : NULL;
}

size_t kiln_url_count(void)
{
    return g_n;
}

const char *kiln_url_name(size_t i)
{
    return i < g_n ? g_tab[i].name : NULL;
}

void kiln_url_clear(void)
{
    for (size_t i = 0; i < g_n; i++) {
        free(g_tab[i].name);
        free(g_tab[i].pattern);
    }
    free(g_tab);
    g_tab = NULL;
    g_n = g_cap = 0;
}

int kiln_url_tpl(void *ud, kiln_str name, const kiln_str *keys,
                 const kiln_str *vals, size_t n, kiln_arena *a, kiln_str *out,
                 char *err, size_t errlen)
{
    (void)ud;
    char nm[KILN_ROUTE_NAME_MAX + 1];
    const char *pattern = NULL;
    if (name.n <= KILN_ROUTE_NAME_MAX) {
        memcpy(nm, name.p, name.n);
        nm[name.n] = 0;
        pattern = kiln_url_pattern(nm);
    }
    if (!pattern) {
        snprintf(err, errlen, "no route named '%.*s'",
                 (int)(name.n > 64 ? 64 : name.n), name.p);
        return KILN_ENOTFOUND;
    }
    return kiln_url_arena(a, pattern, keys, vals, n, out, err, errlen);
}

const char *kiln_url(kiln_ctx *c, const char *name, ...)
{
    enum { MAXP = 16 };
    kiln_str keys[MAXP], vals[MAXP];
    size_t n = 0;
    va_list ap;
    va_start(ap, name);
    const char *k;
    bool too_many = false;
    while ((k = va_arg(ap, const char *))) {
        const char *v = va_arg(ap, const char *);
        if (n == MAXP) {
            too_many = true;
            continue;
        }
        keys[n] = (kiln_str){k, strlen(k)};
        vals[n] = (kiln_str){v ? v : "", v ? strlen(v) : 0};
        n++;
    }
    va_end(ap);
    const char *pattern = kiln_url_pattern(name);
    if (!pattern || too_many) {
        kiln_log(KILN_LOG_WARN, "kiln_url: %s '%s'",
                 too_many ? "too many parameters for" : "no route named",
                 name ? name : "(null)");
        return NULL;
    }
    char err[160];
    kiln_str out = {NULL, 0};
    int rc = kiln_url_arena(kiln_ctx_arena(c), pattern, keys, vals, n, &out,
                            err, sizeof err);
    if (rc)
        kiln_log(KILN_LOG_WARN, "kiln_url('%s'): %s", name,
                 rc == KILN_ENOMEM ? "out of memory" : err);
    return out.p;
}
