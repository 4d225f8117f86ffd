/*
 * core/str.c - kiln_str helpers: comparison and number parsing on views.
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
