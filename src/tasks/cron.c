/*
 * tasks/cron.c - cron expressions (tasks/cron.h): a parser to one bit set
 * per field, and the search for the next second that matches.
 *
 * The search walks from the coarsest field to the finest: a month that
 * does not match skips to the next month, a day to the next day, and so
 * on, so a schedule that fires once a year costs a few dozen steps. It
 * gives up after 50 years, which no expression that cron_parse accepts
 * needs (a day that exists at all comes back within 8 years).
 */
#include "tasks/cron.h"

#include "core/civil.h"

#include <kiln/core.h>
#include <kiln/schema.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* One field's rules. */
typedef struct field_spec {
    const char *name;         /* for messages: "minute" */
    int lo, hi;               /* allowed values (day of week: 0..7) */
    const char *const *names; /* 3-letter names for lo.., or NULL */
    bool question;            /* '?' means '*' */
} field_spec;

static const char *const month_names[] = {"jan", "feb", "mar", "apr",
                                          "may", "jun", "jul", "aug",
                                          "sep", "oct", "nov", "dec"};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed",
                                        "thu", "fri", "sat"};

static const field_spec specs[6] = {
    {"second", 0, 59, NULL, false},
    {"minute", 0, 59, NULL, false},
    {"hour", 0, 23, NULL, false},
    {"day of month", 1, 31, NULL, true},
    {"month", 1, 12, month_names, false},
    {"day of week", 0, 7, dow_names, true},
};

/* The parse in progress: the whole text, for columns in messages. */
typedef struct parser {
    const char *s;
    char *err;
    size_t errlen;
} parser;

static int fail(parser *P, const char *at, const char *fmt, ...)
    KILN_PRINTF(3, 4);

static int fail(parser *P, const char *at, const char *fmt, ...)
{
    if (P->err && P->errlen) {
        char msg[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(P->err, P->errlen, "%s (column %d)", msg,
                 (int)(at - P->s) + 1);
        /* one line, whatever the input held */
        for (char *p = P->err; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
    }
    return KILN_EPARSE;
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool is_alpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* The text of a token for a message: at most 20 bytes. */
static int shown(size_t n)
{
    return n > 20 ? 20 : (int)n;
}

/*
 * Reads one value (a number or, where the field has them, a name) at *p
 * (before e) into *v, checking the field's range. Returns 0 or an error.
 */
static int value(parser *P, const field_spec *f, const char **p, const char *e,
                 int *v)
{
    const char *s = *p;
    if (s < e && is_digit(*s)) {
        long n = 0;
        const char *q = s;
        while (q < e && is_digit(*q)) {
            if (n < 10000)
                n = n * 10 + (*q - '0');
            q++;
        }
        if (n < f->lo || n > f->hi)
            return fail(P, s, "%s %.*s is out of range %d-%d", f->name,
                        shown((size_t)(q - s)), s, f->lo, f->hi);
        *v = (int)n;
        *p = q;
        return 0;
    }
    if (s < e && is_alpha(*s) && f->names) {
        const char *q = s;
        while (q < e && is_alpha(*q))
            q++;
        size_t count = f == &specs[4] ? 12 : 7;
        for (size_t i = 0; (size_t)(q - s) == 3 && i < count; i++)
            if (strncasecmp(s, f->names[i], 3) == 0) {
                *v = (int)i + f->lo;
                *p = q;
                return 0;
            }
        return fail(P, s, "'%.*s' is not a %s name (%s)",
                    shown((size_t)(q - s)), s, f->name,
                    f == &specs[4] ? "JAN-DEC" : "SUN-SAT");
    }
    if (s >= e)
        return fail(P, s, "the %s field ends where a value should be", f->name);
    return fail(P, s, "'%c' is not a %s value", *s, f->name);
}

/* Sets the bits of lo..hi every step (a day of week of 7 is 0). */
static void set_bits(uint64_t *bits, const field_spec *f, int lo, int hi,
                     int step)
{
    for (int v = lo; v <= hi; v += step)
        *bits |= (uint64_t)1 << (f == &specs[5] && v == 7 ? 0 : v);
}

/* Parses one field, s..e (no blanks), into *bits; *star when it starts
   with '*' (or '?'). */
static int field(parser *P, const field_spec *f, const char *s, const char *e,
                 uint64_t *bits, bool *star)
{
    *bits = 0;
    *star = *s == '*' || (f->question && *s == '?');
    const char *p = s;
    for (;;) {
        const char *item = p;
        if (p == e || *p == ',')
            return fail(P, p, "empty item in the %s field", f->name);
        int lo, hi, step = 1;
        bool whole = false;
        if (*p == '*' || (f->question && *p == '?')) {
            lo = f->lo;
            hi = f->hi == 7 ? 6 : f->hi;
            whole = true;
            p++;
        } else {
            int rc = value(P, f, &p, e, &lo);
            if (rc)
                return rc;
            hi = lo;
            if (p < e && *p == '-') {
                p++;
                if ((rc = value(P, f, &p, e, &hi)) != 0)
                    return rc;
                if (hi < lo)
                    return fail(P, item, "the %s range %.*s runs backwards",
                                f->name, shown((size_t)(p - item)), item);
            }
        }
        if (p < e && *p == '/') {
            const char *at = ++p;
            long n = 0;
            while (p < e && is_digit(*p)) {
                if (n < 10000)
                    n = n * 10 + (*p - '0');
                p++;
            }
            int span = f->hi - f->lo + 1;
            if (p == at || n < 1 || n > span)
                return fail(P, at, "a %s step must be a number from 1 to %d",
                            f->name, span);
            step = (int)n;
            if (!whole && hi == lo)
                hi = f->hi; /* N/S: from N to the end */
        }
        if (p < e && *p != ',')
            return fail(P, p, "unexpected '%c' in the %s field", *p, f->name);
        set_bits(bits, f, lo, hi, step);
        if (p == e)
            return 0;
        p++; /* ',' */
    }
}

static const struct {
    const char *name, *expr;
} aliases[] = {
    {"@yearly", "0 0 1 1 *"},  {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

static bool blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

static int parse(parser *P, const char *s, const char *e, cron_expr *out)
{
    memset(out, 0, sizeof *out);
    const char *b = s;
    while (b < e && blank(*b))
        b++;
    while (e > b && blank(e[-1]))
        e--;
    if (b == e)
        return fail(P, b, "an empty cron expression");
    if (*b == '@') {
        for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
            if ((size_t)(e - b) == strlen(aliases[i].name) &&
                strncasecmp(b, aliases[i].name, (size_t)(e - b)) == 0) {
                const char *x = aliases[i].expr;
                parser sub = {x, P->err, P->errlen};
                return parse(&sub, x, x + strlen(x), out);
            }
        return fail(P, b,
                    "unknown alias '%.*s' (use @yearly, @monthly, @weekly, "
                    "@daily or @hourly)",
                    shown((size_t)(e - b)), b);
    }
    const char *fs[7], *fe[7];
    int n = 0;
    for (const char *p = b; p < e;) {
        if (n == 6)
            return fail(P, p,
                        "too many fields: a cron expression has 5 (minute "
                        "hour day month weekday) or 6 (seconds first)");
        fs[n] = p;
        while (p < e && !blank(*p))
            p++;
        fe[n++] = p;
        while (p < e && blank(*p))
            p++;
    }
    if (n < 5)
        return fail(P, e,
                    "%d field%s: a cron expression has 5 (minute hour day "
                    "month weekday) or 6 (seconds first)",
                    n, n == 1 ? "" : "s");
    out->seconds = n == 6;
    uint64_t bits[6];
    bool star[6];
    int first = out->seconds ? 0 : 1;
    for (int i = 0; i < n; i++) {
        int rc = field(P, &specs[first + i], fs[i], fe[i], &bits[first + i],
                       &star[first + i]);
        if (rc)
            return rc;
    }
    out->sec = out->seconds ? bits[0] : 1;
    out->min = bits[1];
    out->hour = (uint32_t)bits[2];
    out->dom = (uint32_t)bits[3];
    out->mon = (uint16_t)bits[4];
    out->dow = (uint8_t)bits[5];
    out->dom_star = star[3];
    out->dow_star = star[5];
    /* 2000-01-01: any date the expression allows comes within 50 years */
    if (cron_next(out, 946684800) < 0)
        return fail(P, b, "'%.*s' never matches a date",
                    (int)(e - b) > 40 ? 40 : (int)(e - b), b);
    return 0;
}

int cron_parse(const char *s, size_t n, cron_expr *out, char *err,
               size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!s || memchr(s, '\0', n)) {
        parser P = {s ? s : "", err, errlen};
        return fail(&P, P.s, "a cron expression cannot hold a NUL byte");
    }
    parser P = {s, err, errlen};
    return parse(&P, s, s + n, out);
}

/* ---- matching ------------------------------------------------------------ */

/* Latest and earliest seconds the search handles: years 1970..9999. */
#define T_MAX INT64_C(253402300799)

static bool day_ok(const cron_expr *c, int day, int wday)
{
    bool dom = (c->dom >> day) & 1, dow = (c->dow >> wday) & 1;
    if (c->dom_star || c->dow_star)
        return dom && dow;
    return dom || dow;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

bool cron_matches(const cron_expr *c, int64_t t)
{
    if (t < 0 || t > T_MAX)
        return false;
    int64_t days = t / 86400, sod = t % 86400;
    kiln_date d = kiln_date_from_days(days);
    int wday = (int)((days + 4) % 7); /* 1970-01-01 was a Thursday */
    return ((c->mon >> d.month) & 1) && day_ok(c, d.day, wday) &&
           ((c->hour >> (sod / 3600)) & 1) &&
           ((c->min >> (sod / 60 % 60)) & 1) && ((c->sec >> (sod % 60)) & 1);
}

int64_t cron_next(const cron_expr *c, int64_t after)
{
    if (after < -1)
        after = -1;
    if (after >= T_MAX)
        return -1;
    int64_t t = after + 1;
    if (!c->seconds) /* fires on whole minutes */
        t = floor_div(t + 59, 60) * 60;
    int64_t limit = after + INT64_C(50) * 366 * 86400;
    if (limit > T_MAX)
        limit = T_MAX;
    while (t <= limit) {
        int64_t days = t / 86400, sod = t % 86400;
        kiln_date d = kiln_date_from_days(days);
        if (!((c->mon >> d.month) & 1)) {
            int y = d.year + (d.month == 12),
                m = d.month == 12 ? 1 : d.month + 1;
            t = civil_days(y, m, 1) * 86400;
            continue;
        }
        if (!day_ok(c, d.day, (int)((days + 4) % 7))) {
            t = (days + 1) * 86400;
            continue;
        }
        int h = (int)(sod / 3600), mi = (int)(sod / 60 % 60);
        if (!((c->hour >> h) & 1)) {
            t = days * 86400 + (int64_t)(h + 1) * 3600;
            continue;
        }
        if (!((c->min >> mi) & 1)) {
            t = days * 86400 + (int64_t)h * 3600 + (int64_t)(mi + 1) * 60;
            continue;
        }
        if (!((c->sec >> (sod % 60)) & 1)) {
            t++;
            continue;
        }
        return t;
    }
    return -1;
}
