/*
 * tpl/date.c - the date filter, Kiln's own (Jinja2 has none):
 *
 *   {{ value|date }}               2024-03-05
 *   {{ value|date("%d %b %Y") }}   05 Mar 2024
 *
 * value is an ISO-8601 string, YYYY-MM-DD with an optional time
 * ("T" or " ", then HH:MM, :SS, a fraction) and offset ("Z", "+02:00",
 * "-0500"), or a number of seconds since the Unix epoch (UTC). The format
 * is strftime's in the C locale (Kiln never calls setlocale), default
 * "%Y-%m-%d". An ISO string keeps the wall-clock time it was written with;
 * its offset is what %z prints ("+0000" without one), and %Z prints "UTC"
 * for "Z" and epoch numbers, "" otherwise. Anything else is a render error.
 */
#include "tpl/text.h"
#include "tpl/tpl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static bool absent(kiln_value v)
{
    return v.type == TPL_V_UNDEF && v.aux == 1;
}

/* Reads exactly n digits at s[*i]. */
static bool digits(kiln_str s, size_t *i, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++) {
        if (*i >= s.n || s.p[*i] < '0' || s.p[*i] > '9')
            return false;
        v = v * 10 + (s.p[(*i)++] - '0');
    }
    *out = v;
    return true;
}

/*
 * Parses YYYY-MM-DD[(T| )HH:MM[:SS[.frac]]][Z|(+|-)HH[:]MM] into tm
 * (wall clock as written) and the UTC offset in seconds.
 */
static bool parse_iso(kiln_str s, struct tm *tm, long *off, bool *has_off)
{
    size_t i = 0;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    memset(tm, 0, sizeof(*tm));
    *off = 0;
    *has_off = false;
    s = tpl_str_strip(s, NULL, true, true);
    if (!digits(s, &i, 4, &y) || i >= s.n || s.p[i++] != '-' ||
        !digits(s, &i, 2, &mo) || i >= s.n || s.p[i++] != '-' ||
        !digits(s, &i, 2, &d))
        return false;
    if (i < s.n && (s.p[i] == 'T' || s.p[i] == 't' || s.p[i] == ' ')) {
        i++;
        if (!digits(s, &i, 2, &h) || i >= s.n || s.p[i++] != ':' ||
            !digits(s, &i, 2, &mi))
            return false;
        if (i < s.n && s.p[i] == ':') {
            i++;
            if (!digits(s, &i, 2, &sec))
                return false;
            if (i < s.n && (s.p[i] == '.' || s.p[i] == ',')) {
                i++;
                size_t f = i;
                while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9')
                    i++;
                if (i == f)
                    return false;
            }
        }
        if (i < s.n && (s.p[i] == 'Z' || s.p[i] == 'z')) {
            i++;
            *has_off = true;
        } else if (i < s.n && (s.p[i] == '+' || s.p[i] == '-')) {
            int sign = s.p[i++] == '-' ? -1 : 1, oh, om = 0;
            if (!digits(s, &i, 2, &oh))
                return false;
            if (i < s.n && s.p[i] == ':')
                i++;
            if (i < s.n && !digits(s, &i, 2, &om))
                return false;
            *off = sign * (oh * 3600L + om * 60L);
            *has_off = true;
        }
    }
    if (i != s.n || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 60)
        return false;
    tm->tm_year = y - 1900;
    tm->tm_mon = mo - 1;
    tm->tm_mday = d;
    tm->tm_hour = h;
    tm->tm_min = mi;
    tm->tm_sec = sec;
    return true;
}

int tpl_filter_date(tpl_render *r, const tpl_expr *e, kiln_value in,
                    const kiln_value *args, kiln_value *out)
{
    kiln_str fmt = KILN_STR("%Y-%m-%d");
    int rc = absent(args[0]) ? 0 : tpl_to_str(r, args[0], &fmt);
    if (rc)
        return rc;
    struct tm tm;
    long off = 0;
    bool has_off = true;
    if (in.type == KILN_VALUE_INT || in.type == KILN_VALUE_FLOAT) {
        double t = floor(tpl_num(in));
        if (!isfinite(t) || fabs(t) > 1e14)
            return tpl_fail(r, KILN_EINVAL, e->pos,
                            "date: timestamp out of "
                            "range");
        time_t tt = (time_t)t;
        if (!gmtime_r(&tt, &tm))
            return tpl_fail(r, KILN_EINVAL, e->pos, "date: bad timestamp");
    } else if (in.type == KILN_VALUE_STRING) {
        if (!parse_iso(in.u.s, &tm, &off, &has_off))
            return tpl_fail(r, KILN_EINVAL, e->pos,
                            "date: '%.*s' is not an ISO-8601 date",
                            (int)(in.u.s.n > 40 ? 40 : in.u.s.n), in.u.s.p);
        /* fill in the weekday and day of the year */
        struct tm norm = tm;
        time_t tt = timegm(&norm);
        struct tm full;
        if (gmtime_r(&tt, &full)) {
            tm.tm_wday = full.tm_wday;
            tm.tm_yday = full.tm_yday;
            if (full.tm_mday != tm.tm_mday)
                return tpl_fail(r, KILN_EINVAL, e->pos,
                                "date: day out of range for the month");
        }
    } else {
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "date needs an ISO-8601 string or a number, not '%s'",
                        tpl_type_name(in));
    }
#if defined(_GNU_SOURCE) || defined(_DEFAULT_SOURCE)
    tm.tm_gmtoff = off;
    tm.tm_zone = has_off && off == 0 ? "UTC" : "";
#endif
    char f[256], buf[512];
    if (fmt.n >= sizeof(f))
        return tpl_fail(r, KILN_EINVAL, e->pos, "date: format too long");
    memcpy(f, fmt.p, fmt.n);
    f[fmt.n] = '\0';
    size_t n = fmt.n ? strftime(buf, sizeof(buf), f, &tm) : 0;
    if (fmt.n && n == 0 && f[0])
        buf[0] = '\0';
    *out = kiln_value_str_copy(r->a, (kiln_str){buf, n});
    return out->type == KILN_VALUE_STRING ? 0 : tpl_nomem(r);
}
