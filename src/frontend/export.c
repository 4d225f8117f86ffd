/*
 * frontend/export.c - the URL and the file of one page of a static export
 * (frontend/export.h): a route pattern filled with declared values.
 */
#include "frontend/export.h"

#include <stdio.h>
#include <string.h>

static bool unreserved(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
           ch == '~';
}

/* Checks one segment of a value: not empty, ".", "..", no control
   characters (and no '/': the caller splits at them). */
static bool segment_ok(const char *p, size_t n)
{
    if (n == 0 || (n == 1 && p[0] == '.') ||
        (n == 2 && p[0] == '.' && p[1] == '.'))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch < 0x20 || ch == 0x7f)
            return false;
    }
    return true;
}

/* Appends value to url (encoded) and file (as is); rest: '/' allowed. */
static int put_value(kiln_buf *url, kiln_buf *file, kiln_str v, bool rest)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < v.n; i++) {
        unsigned char ch = (unsigned char)v.p[i];
        int rc;
        if (unreserved(ch) || (rest && ch == '/')) {
            rc = kiln_buf_putc(url, (char)ch);
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            rc = kiln_buf_append(url, e, 3);
        }
        if (rc)
            return KILN_ENOMEM;
    }
    return kiln_buf_append(file, v.p, v.n) ? KILN_ENOMEM : 0;
}

/* True when pattern is a route path: "/" alone, or '/'-separated
   segments, each a {name}, a {...name} or unreserved characters other
   than "." and "..". */
static bool pattern_ok(const char *pattern)
{
    if (pattern[0] != '/')
        return false;
    if (pattern[1] == '\0')
        return true;
    for (const char *p = pattern + 1;;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') ||
            (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        if (p[0] == '{') {
            if (p[n - 1] != '}' || memchr(p + 1, '{', n - 1) ||
                memchr(p, '}', n - 1) || n < 3)
                return false;
        } else {
            for (size_t i = 0; i < n; i++)
                if (!unreserved((unsigned char)p[i]))
                    return false;
        }
        if (!e)
            return true;
        p = e + 1;
    }
}

int frontend_export_path(const char *pattern, const kiln_str *names,
                         const kiln_str *values, size_t n, kiln_buf *url,
                         kiln_buf *file, char *err, size_t errlen)
{
    bool used[64] = {false};
    if (n > 64) {
        snprintf(err, errlen, "too many parameters (%zu)", n);
        return KILN_EINVAL;
    }
    const char *p = pattern;
    if (!pattern_ok(pattern)) {
        snprintf(err, errlen, "'%s' is not a route path", pattern);
        return KILN_EINVAL;
    }
    while (*p) {
        if (*p != '{') {
            if (kiln_buf_putc(url, *p) ||
                (p != pattern && kiln_buf_putc(file, *p)))
                return KILN_ENOMEM;
            p++;
            continue;
        }
        const char *e = strchr(p, '}');
        if (!e) {
            snprintf(err, errlen, "'%s' is not a route path", pattern);
            return KILN_EINVAL;
        }
        bool rest = strncmp(p, "{...", 4) == 0;
        const char *name = p + (rest ? 4 : 1);
        size_t nn = (size_t)(e - name);
        size_t k = 0;
        while (k < n &&
               !(names[k].n == nn && memcmp(names[k].p, name, nn) == 0))
            k++;
        if (k == n) {
            snprintf(err, errlen, "no value for the parameter '%.*s'", (int)nn,
                     name);
            return KILN_EINVAL;
        }
        used[k] = true;
        kiln_str v = values[k];
        bool ok = v.n > 0;
        for (size_t s = 0, i = 0; ok && i <= v.n; i++)
            if (i == v.n || v.p[i] == '/') {
                ok = segment_ok(v.p + s, i - s) && (rest || i == v.n);
                s = i + 1;
            }
        if (!ok) {
            snprintf(err, errlen, "'%.*s' cannot be the value of '%.*s' (%s)",
                     (int)(v.n > 60 ? 60 : v.n), v.p ? v.p : "", (int)nn, name,
                     rest ? "path segments, none empty, '.' or '..', "
                            "without control characters"
                          : "one path segment, not empty, '.' or '..', "
                            "without '/' or control characters");
            return KILN_EINVAL;
        }
        int rc = put_value(url, file, v, rest);
        if (rc)
            return rc;
        p = e + 1;
    }
    for (size_t k = 0; k < n; k++)
        if (!used[k]) {
            snprintf(err, errlen, "'%.*s' is not a parameter of %s",
                     (int)names[k].n, names[k].p, pattern);
            return KILN_EINVAL;
        }
    if (file->n && kiln_buf_putc(file, '/'))
        return KILN_ENOMEM;
    return kiln_buf_puts(file, "index.html") ? KILN_ENOMEM : 0;
}
