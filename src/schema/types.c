/*
 * schema/types.c - the value types of the field language (kiln/schema.h):
 * dates, date-times, times of day, UUIDs and decimals, parsed from and
 * formatted to their standard text, and the checks behind the email and url
 * field types. All pure functions over bytes: no allocation but the output
 * buffer, no locale.
 *
 * Text forms:
 *   date      RFC 3339 full-date "2026-03-05", years 0001..9999
 *   datetime  RFC 3339 date-time; the offset is required; stored as UTC
 *             microseconds and written with milliseconds and "Z"
 *   time      RFC 3339 partial-time without offset; seconds optional on
 *             input ("14:07"), written "14:07:00" (".250" when ms != 0)
 *   uuid      RFC 9562 8-4-4-4-12 hex digits, either case on input
 *   decimal   [-] digits [. digits]; canonical with exactly scale digits
 */
#include <kiln.h>

#include "core/civil.h"
#include "json/utf8.h"
#include "schema/schema_impl.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define US_PER_SEC INT64_C(1000000)
#define US_PER_DAY (INT64_C(86400) * US_PER_SEC)

/* ---- helpers ---------------------------------------------------------- */

/* Reads exactly n ASCII digits at s into *out; false when one is not a
   digit. */
static bool types_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9)
            return false;
        v = v * 10 + (int)d;
    }
    *out = v;
    return true;
}

/* The number of days in month m (1..12) of year y. */
static int types_month_days(int y, int m)
{
    static const uint8_t days[12] = {31, 28, 31, 30, 31, 30,
                                     31, 31, 30, 31, 30, 31};
    if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return 29;
    return days[m - 1];
}

/* Writes v as n zero-padded digits at out (v >= 0, fits). */
static void types_put_digits(char *out, int n, int64_t v)
{
    assert(v >= 0);
    for (int i = n - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* Floor division for a possibly negative a (b > 0). */
static int64_t types_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* ---- dates ------------------------------------------------------------ */

/* Parses "YYYY-MM-DD" at s (10 bytes available) into *out. */
static bool types_date10(const char *s, kiln_date *out)
{
    int y, m, d;
    if (s[4] != '-' || s[7] != '-' || !types_digits(s, 4, &y) ||
        !types_digits(s + 5, 2, &m) || !types_digits(s + 8, 2, &d))
        return false;
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > types_month_days(y, m))
        return false;
    out->year = (int16_t)y;
    out->month = (uint8_t)m;
    out->day = (uint8_t)d;
    return true;
}

int kiln_date_parse(kiln_str s, kiln_date *out)
{
    if (s.n != 10 || !types_date10(s.p, out))
        return KILN_EINVAL;
    return 0;
}

bool schema_date_valid(kiln_date d)
{
    return d.year >= 1 && d.year <= 9999 && d.month >= 1 && d.month <= 12 &&
           d.day >= 1 && d.day <= types_month_days(d.year, d.month);
}

int kiln_date_format(kiln_date d, kiln_buf *b)
{
    char t[10];
    types_put_digits(t, 4, d.year < 0 ? 0 : d.year);
    t[4] = '-';
    types_put_digits(t + 5, 2, d.month);
    t[7] = '-';
    types_put_digits(t + 8, 2, d.day);
    return kiln_buf_append(b, t, sizeof t);
}

int64_t kiln_date_days(kiln_date d)
{
    return civil_days(d.year, d.month, d.day);
}

/* The inverse of civil_days (proleptic Gregorian, any int64 days that give
   a year within int16_t; callers stay within years 1..9999). */
kiln_date kiln_date_from_days(int64_t days)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    kiln_date r = {(int16_t)(y + (m <= 2)), (uint8_t)m, (uint8_t)d};
    return r;
}

/* ---- times ------------------------------------------------------------ */

/*
 * Parses "HH:MM" (when seconds are optional), "HH:MM:SS" and
 * "HH:MM:SS.fraction" (1 to 9 digits, truncated to microseconds) at the
 * start of s (n bytes); *used gets the bytes read. Leap seconds (":60") are
 * refused: the types cannot hold them.
 */
static bool types_time(const char *s, size_t n, bool seconds_optional,
                       kiln_timeofday *out, size_t *used)
{
    int h, mi, sec = 0;
    size_t i;
    if (n < 5 || s[2] != ':' || !types_digits(s, 2, &h) ||
        !types_digits(s + 3, 2, &mi) || h > 23 || mi > 59)
        return false;
    i = 5;
    if (n >= 8 && s[5] == ':') {
        if (!types_digits(s + 6, 2, &sec) || sec > 59)
            return false;
        i = 8;
    } else if (!seconds_optional) {
        return false;
    }
    int64_t us = 0;
    if (i == 8 && i < n && s[i] == '.') {
        size_t k = i + 1;
        int64_t scale = 100000;
        while (k < n && s[k] >= '0' && s[k] <= '9' && k - i <= 9) {
            us += (s[k] - '0') * scale;
            scale /= 10;
            k++;
        }
        if (k == i + 1 || (k < n && s[k] >= '0' && s[k] <= '9'))
            return false; /* no digit, or more than 9 */
        i = k;
    }
    *out = ((int64_t)h * 3600 + mi * 60 + sec) * US_PER_SEC + us;
    *used = i;
    return true;
}

int kiln_timeofday_parse(kiln_str s, kiln_timeofday *out)
{
    size_t used;
    kiln_timeofday t;
    if (!types_time(s.p, s.n, true, &t, &used) || used != s.n)
        return KILN_EINVAL;
    *out = t;
    return 0;
}

/* Appends HH:MM:SS of us (0..US_PER_DAY), with ".mmm" when ms != 0 or
   always_ms. */
static int types_put_time(kiln_buf *b, int64_t us, bool always_ms)
{
    char t[12];
    int64_t sec = us / US_PER_SEC, ms = us % US_PER_SEC / 1000;
    types_put_digits(t, 2, sec / 3600);
    t[2] = ':';
    types_put_digits(t + 3, 2, sec / 60 % 60);
    t[5] = ':';
    types_put_digits(t + 6, 2, sec % 60);
    size_t n = 8;
    if (ms || always_ms) {
        t[8] = '.';
        types_put_digits(t + 9, 3, ms);
        n = 12;
    }
    return kiln_buf_append(b, t, n);
}

int kiln_timeofday_format(kiln_timeofday t, kiln_buf *b)
{
    t %= US_PER_DAY; /* out of range (kiln_validate reports it): a time */
    if (t < 0)
        t += US_PER_DAY;
    return types_put_time(b, t, false);
}

/* ---- date-times ------------------------------------------------------- */

/* The first and last instants the text forms can hold: years 1..9999. */
#define DT_MIN (civil_days(1, 1, 1) * US_PER_DAY)
#define DT_MAX (civil_days(9999, 12, 31) * US_PER_DAY + US_PER_DAY - 1)

int kiln_datetime_parse(kiln_str s, kiln_datetime *out)
{
    kiln_date d;
    kiln_timeofday t;
    size_t used;
    const char *p = s.p;
    if (s.n < 20 || !types_date10(p, &d) ||
        (p[10] != 'T' && p[10] != 't' && p[10] != ' ') ||
        !types_time(p + 11, s.n - 11, false, &t, &used))
        return KILN_EINVAL;
    size_t i = 11 + used;
    int64_t off = 0;
    if (i + 1 == s.n && (p[i] == 'Z' || p[i] == 'z')) {
        off = 0;
    } else if (i + 6 == s.n && (p[i] == '+' || p[i] == '-')) {
        int oh, om;
        if (p[i + 3] != ':' || !types_digits(p + i + 1, 2, &oh) ||
            !types_digits(p + i + 4, 2, &om) || oh > 23 || om > 59)
            return KILN_EINVAL;
        off = ((int64_t)oh * 3600 + om * 60) * US_PER_SEC;
        if (p[i] == '-')
            off = -off;
    } else {
        return KILN_EINVAL;
    }
    int64_t v = kiln_date_days(d) * US_PER_DAY + t - off;
    if (v < DT_MIN || v > DT_MAX)
        return KILN_EINVAL; /* the offset moved it out of years 1..9999 */
    *out = v;
    return 0;
}

bool schema_datetime_valid(kiln_datetime t)
{
    return t >= DT_MIN && t <= DT_MAX;
}

int kiln_datetime_format(kiln_datetime t, kiln_buf *b)
{
    if (t < DT_MIN)
        t = DT_MIN;
    if (t > DT_MAX)
        t = DT_MAX;
    int64_t days = types_floor_div(t, US_PER_DAY);
    int rc = kiln_date_format(kiln_date_from_days(days), b);
    if (rc == 0)
        rc = kiln_buf_putc(b, 'T');
    if (rc == 0)
        rc = types_put_time(b, t - days * US_PER_DAY, true);
    return rc ? rc : kiln_buf_putc(b, 'Z');
}

kiln_datetime kiln_datetime_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * US_PER_SEC + ts.tv_nsec / 1000;
}

/* ---- UUIDs ------------------------------------------------------------ */

/* The value of hex digit c, or -1. */
static int types_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int kiln_uuid_parse(kiln_str s, kiln_uuid *out)
{
    kiln_uuid u;
    if (s.n != 36 || s.p[8] != '-' || s.p[13] != '-' || s.p[18] != '-' ||
        s.p[23] != '-')
        return KILN_EINVAL;
    size_t k = 0;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            continue;
        int hi = types_hex(s.p[i]), lo = types_hex(s.p[i + 1]);
        if (hi < 0 || lo < 0)
            return KILN_EINVAL;
        u.b[k++] = (uint8_t)(hi << 4 | lo);
        i++;
    }
    assert(k == 16);
    *out = u;
    return 0;
}

int kiln_uuid_format(const kiln_uuid *u, kiln_buf *b)
{
    static const char hex[] = "0123456789abcdef";
    char t[36];
    size_t k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            t[k++] = '-';
        t[k++] = hex[u->b[i] >> 4];
        t[k++] = hex[u->b[i] & 15];
    }
    return kiln_buf_append(b, t, sizeof t);
}

int kiln_uuid_random(kiln_uuid *out)
{
    size_t got = 0;
    while (got < sizeof out->b) {
        ssize_t r = getrandom(out->b + got, sizeof out->b - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return KILN_EIO;
        }
        got += (size_t)r;
    }
    out->b[6] = (uint8_t)((out->b[6] & 0x0F) | 0x40); /* version 4 */
    out->b[8] = (uint8_t)((out->b[8] & 0x3F) | 0x80); /* variant 10 */
    return 0;
}

/* ---- decimals --------------------------------------------------------- */

int schema_decimal_canon(kiln_str s, int precision, int scale, kiln_buf *b,
                         bool *same)
{
    const char *p = s.p, *end = s.p + s.n;
    bool neg = false;
    if (p < end && *p == '-') {
        neg = true;
        p++;
    }
    const char *ip = p;
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    size_t in = (size_t)(p - ip);
    if (in == 0 || (in > 1 && *ip == '0'))
        return SCHEMA_DEC_INVALID;
    const char *fp = p;
    size_t fn = 0;
    if (p < end && *p == '.') {
        fp = ++p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        fn = (size_t)(p - fp);
        if (fn == 0)
            return SCHEMA_DEC_INVALID;
    }
    if (p != end)
        return SCHEMA_DEC_INVALID;
    /* trailing zeros past the scale lose nothing: "1.500" is 1.50 */
    size_t fsig = fn;
    while (fsig > (size_t)scale && fp[fsig - 1] == '0')
        fsig--;
    if (fsig > (size_t)scale)
        return SCHEMA_DEC_PLACES;
    size_t whole = (in == 1 && *ip == '0') ? 0 : in;
    if (whole > (size_t)(precision > scale ? precision - scale : 0))
        return SCHEMA_DEC_DIGITS;
    bool zero = whole == 0;
    for (size_t i = 0; zero && i < fsig; i++)
        zero = fp[i] == '0';
    if (same && !(neg && zero) && fn == (size_t)scale) {
        *same = true; /* already canonical: nothing to write */
        return 0;
    }
    int rc = kiln_buf_reserve(b, 2 + in + (size_t)scale);
    if (rc)
        return rc;
    if (neg && !zero)
        kiln_buf_putc(b, '-');
    kiln_buf_append(b, ip, in);
    if (scale > 0) {
        kiln_buf_putc(b, '.');
        kiln_buf_append(b, fp, fsig);
        for (size_t i = fsig; i < (size_t)scale; i++)
            kiln_buf_putc(b, '0');
    }
    return 0;
}

int kiln_decimal_canon(kiln_str s, int precision, int scale, kiln_buf *b)
{
    bool same = false;
    int rc = schema_decimal_canon(s, precision, scale, b, &same);
    if (rc == 0 && same)
        rc = kiln_buf_append(b, s.p, s.n);
    if (rc == SCHEMA_DEC_INVALID)
        return KILN_EINVAL;
    if (rc == SCHEMA_DEC_PLACES || rc == SCHEMA_DEC_DIGITS)
        return KILN_ELIMIT;
    return rc;
}

/*
 * Compares the magnitudes of two unsigned decimals "123.45" and "7.5" (no
 * sign; the fraction may be of any length).
 */
static int types_decimal_cmp_abs(kiln_str a, kiln_str b)
{
    const char *ad = memchr(a.p, '.', a.n), *bd = memchr(b.p, '.', b.n);
    size_t ai = ad ? (size_t)(ad - a.p) : a.n,
           bi = bd ? (size_t)(bd - b.p) : b.n;
    /* skip leading zeros of the whole parts */
    size_t as = 0, bs = 0;
    while (as + 1 < ai && a.p[as] == '0')
        as++;
    while (bs + 1 < bi && b.p[bs] == '0')
        bs++;
    if (ai - as != bi - bs)
        return ai - as < bi - bs ? -1 : 1;
    int c = memcmp(a.p + as, b.p + bs, ai - as);
    if (c)
        return c < 0 ? -1 : 1;
    size_t af = ad ? a.n - ai - 1 : 0, bf = bd ? b.n - bi - 1 : 0;
    for (size_t i = 0; i < af || i < bf; i++) {
        char x = i < af ? a.p[ai + 1 + i] : '0',
             y = i < bf ? b.p[bi + 1 + i] : '0';
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

/* True when the decimal text s (sign stripped) is zero. */
static bool types_decimal_zero(kiln_str s)
{
    for (size_t i = 0; i < s.n; i++)
        if (s.p[i] != '0' && s.p[i] != '.')
            return false;
    return true;
}

int kiln_decimal_cmp(kiln_str a, kiln_str b)
{
    bool an = a.n && a.p[0] == '-', bn = b.n && b.p[0] == '-';
    kiln_str ma = {a.p + an, a.n - an}, mb = {b.p + bn, b.n - bn};
    if (an && types_decimal_zero(ma))
        an = false;
    if (bn && types_decimal_zero(mb))
        bn = false;
    if (an != bn)
        return an ? -1 : 1;
    int c = types_decimal_cmp_abs(ma, mb);
    return an ? -c : c;
}

/* ---- emails and URLs -------------------------------------------------- */

/*
 * True when s[0..n) is a host name: dot-separated labels of 1 to 63 letters,
 * digits, hyphens (not first or last) or non-ASCII UTF-8 (internationalised
 * names), 253 bytes at most; need_dot asks for two labels at least, the last
 * not all digits (a top-level domain).
 */
static bool types_hostname(const char *s, size_t n, bool need_dot)
{
    size_t label = 0, labels = 0;
    bool digits_only = true;
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i <= n; i++) {
        unsigned char c = i < n ? (unsigned char)s[i] : '.';
        if ((unsigned)((c | 0x20) - 'a') < 26) { /* a letter: most bytes */
            label++;
            digits_only = false;
        } else if ((unsigned)(c - '0') < 10) {
            label++;
        } else if (c == '.') {
            if (label == 0 || label > 63 || s[i - 1] == '-')
                return false;
            labels++;
            label = 0;
            if (i < n)
                digits_only = true;
        } else if (c == '-') {
            if (label == 0)
                return false;
            label++;
            digits_only = false;
        } else if (c >= 0x80) {
            size_t bad,
                len = json_utf8_len((const unsigned char *)s + i, n - i, &bad);
            if (len == 0)
                return false;
            i += len - 1;
            label += len;
            digits_only = false;
        } else {
            return false;
        }
    }
    return !need_dot || (labels >= 2 && !digits_only);
}

bool schema_is_email(kiln_str s)
{
    static const char special[] = "!#$%&'*+-/=?^_`{|}~";
    const char *at = s.n ? memrchr(s.p, '@', s.n) : NULL;
    if (!at || s.n > 254)
        return false;
    size_t ln = (size_t)(at - s.p);
    if (ln == 0 || ln > 64 || s.p[0] == '.' || s.p[ln - 1] == '.')
        return false;
    for (size_t i = 0; i < ln; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c == '.') {
            if (s.p[i + 1] == '.')
                return false;
        } else if (c >= 0x80) {
            size_t bad, len = json_utf8_len((const unsigned char *)s.p + i,
                                            ln - i, &bad);
            if (len == 0)
                return false;
            i += len - 1;
        } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9') || (c && strchr(special, c)))) {
            return false;
        }
    }
    return types_hostname(at + 1, s.n - ln - 1, true);
}

/* True when s[0..n) is a dotted IPv4 address (four 0..255, no leading
   zeros). */
static bool types_ipv4(const char *s, size_t n)
{
    int parts = 0;
    size_t i = 0;
    while (parts < 4) {
        size_t st = i;
        int v = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && i - st < 3)
            v = v * 10 + (s[i++] - '0');
        if (i == st || v > 255 || (i - st > 1 && s[st] == '0'))
            return false;
        parts++;
        if (parts < 4) {
            if (i >= n || s[i] != '.')
                return false;
            i++;
        }
    }
    return i == n;
}

/* True when every character of s[0..n) looks like an IPv6 literal's. */
static bool types_ipv6ish(const char *s, size_t n)
{
    size_t colons = 0;
    if (n < 2)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ':')
            colons++;
        else if (types_hex(s[i]) < 0 && s[i] != '.')
            return false;
    }
    return colons >= 2 && colons <= 7;
}

bool schema_is_url(kiln_str s)
{
    const unsigned char *p = (const unsigned char *)s.p, *end = p + s.n;
    if (s.n < 8 || s.n > 2048 || (p[0] | 0x20) != 'h' || (p[1] | 0x20) != 't' ||
        (p[2] | 0x20) != 't' || (p[3] | 0x20) != 'p')
        return false;
    p += 4 + ((p[4] | 0x20) == 's');
    if (end - p < 4 || p[0] != ':' || p[1] != '/' || p[2] != '/')
        return false;
    p += 3;
    /* no spaces, controls or backslashes anywhere; UTF-8 well-formed */
    for (const unsigned char *q = p; q < end; q++) {
        unsigned char c = *q;
        if ((unsigned)(c - 0x21) < 0x5E && c != '\\')
            continue; /* printable ASCII: nearly every byte */
        if (c < 0x80)
            return false;
        size_t bad, len = json_utf8_len(q, (size_t)(end - q), &bad);
        if (len == 0)
            return false;
        q += len - 1;
    }
    const unsigned char *auth_end = p, *host = p;
    while (auth_end < end && *auth_end != '/' && *auth_end != '?' &&
           *auth_end != '#') {
        if (*auth_end == '@')
            host = auth_end + 1; /* after the last '@': the userinfo ends */
        auth_end++;
    }
    const unsigned char *hend = auth_end;
    if (host < auth_end && *host == '[') {
        const unsigned char *close =
            memchr(host, ']', (size_t)(auth_end - host));
        if (!close ||
            !types_ipv6ish((const char *)host + 1, (size_t)(close - host - 1)))
            return false;
        hend = close + 1;
    } else {
        const unsigned char *colon =
            memchr(host, ':', (size_t)(auth_end - host));
        if (colon)
            hend = colon;
        size_t hn = (size_t)(hend - host);
        if (!types_ipv4((const char *)host, hn) &&
            !types_hostname((const char *)host, hn, false))
            return false;
    }
    if (hend < auth_end) { /* a port */
        if (*hend != ':' || auth_end - hend < 2 || auth_end - hend > 6)
            return false;
        int port = 0;
        for (const unsigned char *q = hend + 1; q < auth_end; q++) {
            if (*q < '0' || *q > '9')
                return false;
            port = port * 10 + (*q - '0');
        }
        if (port > 65535)
            return false;
    }
    return true;
}
