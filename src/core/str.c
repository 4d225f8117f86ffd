/*
 * core/str.c - kiln_str helpers: comparison, number parsing and edit
 * distance on views.
 */
#include <kiln/core.h>

#include <string.h>

kiln_str kiln_str_c(const char *s)
{
    kiln_str v = {s, s ? strlen(s) : 0};
    return v;
}

bool kiln_str_eq(kiln_str a, kiln_str b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static inline unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

bool kiln_str_ieq(kiln_str a, kiln_str b)
{
    if (a.n != b.n)
        return false;
    for (size_t i = 0; i < a.n; i++)
        if (lower((unsigned char)a.p[i]) != lower((unsigned char)b.p[i]))
            return false;
    return true;
}

bool kiln_str_ieq_c(kiln_str a, const char *s)
{
    return kiln_str_ieq(a, kiln_str_c(s));
}

int kiln_str_to_i64(kiln_str s, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (s.n && s.p[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == s.n)
        return KILN_EINVAL;
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < s.n; i++) {
        unsigned d = (unsigned char)s.p[i] - '0';
        if (d > 9 || v > (lim - d) / 10)
            return KILN_EINVAL;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

#define STR_DIST_MAX 64

/* ASCII lower case of c, locale-free. */
static int str_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : (unsigned char)c;
}

size_t kiln_str_distance(kiln_str a, kiln_str b)
{
    if (a.n > STR_DIST_MAX || b.n > STR_DIST_MAX)
        return SIZE_MAX;
    /* d[i][j]: distance between a[0..i) and b[0..j). */
    size_t d[STR_DIST_MAX + 1][STR_DIST_MAX + 1];
    for (size_t i = 0; i <= a.n; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= b.n; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= a.n; i++) {
        for (size_t j = 1; j <= b.n; j++) {
            int ca = str_lower(a.p[i - 1]), cb = str_lower(b.p[j - 1]);
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + (ca != cb) < v)
                v = d[i - 1][j - 1] + (ca != cb);
            if (i > 1 && j > 1 && ca == str_lower(b.p[j - 2]) &&
                str_lower(a.p[i - 2]) == cb && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[a.n][b.n];
}
