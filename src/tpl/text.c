/*
 * tpl/text.c - string helpers shared by filters and methods: UTF-8 code
 * points, case mapping, whitespace, stripping, replacing, and the "string
 * builder" that builds results in the output buffer.
 *
 * Case mapping follows Python's str.upper()/lower() for ASCII, Latin-1,
 * Latin Extended-A, Greek and Cyrillic (with "ß".upper() == "SS" and
 * "İ".lower() == "i̇"); other scripts are left as they are, and Greek
 * final sigma is not special-cased. Whitespace is Python's str.isspace()
 * for ASCII and the common Unicode spaces.
 */
#include "tpl/text.h"

#include <string.h>

uint32_t tpl_cp_next(const char *s, size_t n, size_t *i)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned char c = u[*i];
    int len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (len <= 1 || *i + (size_t)len > n) {
        (*i)++;
        return c; /* ASCII, or a stray byte taken as itself */
    }
    uint32_t cp = c & (0x7F >> len);
    for (int k = 1; k < len; k++) {
        if ((u[*i + k] & 0xC0) != 0x80) {
            (*i)++;
            return c;
        }
        cp = (cp << 6) | (u[*i + k] & 0x3F);
    }
    *i += (size_t)len;
    return cp;
}

size_t tpl_cp_put(char *buf, uint32_t cp)
{
    if (cp < 0x80) {
        buf[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        buf[0] = (char)(0xC0 | (cp >> 6));
        buf[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        buf[0] = (char)(0xE0 | (cp >> 12));
        buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    buf[0] = (char)(0xF0 | (cp >> 18));
    buf[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    buf[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    buf[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Latin Extended-A: does cp pair as (even upper, odd lower)? */
static bool ext_a_even_upper(uint32_t cp)
{
    return (cp >= 0x100 && cp <= 0x12F) || (cp >= 0x132 && cp <= 0x137) ||
           (cp >= 0x14A && cp <= 0x177);
}

static bool ext_a_odd_upper(uint32_t cp)
{
    return (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
}

uint32_t tpl_cp_upper(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
    if (cp == 0xB5)
        return 0x39C;
    if ((cp >= 0xE0 && cp <= 0xFE && cp != 0xF7))
        return cp - 32;
    if (cp == 0xFF)
        return 0x178;
    if (ext_a_even_upper(cp))
        return cp & ~1u;
    if (ext_a_odd_upper(cp))
        return (cp & 1) ? cp : cp - 1;
    if (cp == 0x131)
        return 'I';
    if (cp == 0x17F)
        return 'S';
    if (cp >= 0x3B1 && cp <= 0x3C9)
        return cp == 0x3C2 ? 0x3A3 : cp - 32;
    if (cp == 0x3AC)
        return 0x386;
    if (cp >= 0x3AD && cp <= 0x3AF)
        return cp - 37;
    if (cp == 0x3CC)
        return 0x38C;
    if (cp == 0x3CD || cp == 0x3CE)
        return cp - 63;
    if (cp >= 0x430 && cp <= 0x44F)
        return cp - 32;
    if (cp >= 0x450 && cp <= 0x45F)
        return cp - 80;
    return cp;
}

uint32_t tpl_cp_lower(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
        return cp + 32;
    if (cp == 0x178)
        return 0xFF;
    if (ext_a_even_upper(cp))
        return cp | 1u;
    if (ext_a_odd_upper(cp))
        return (cp & 1) ? cp + 1 : cp;
    if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2)
        return cp + 32;
    if (cp == 0x386)
        return 0x3AC;
    if (cp >= 0x388 && cp <= 0x38A)
        return cp + 37;
    if (cp == 0x38C)
        return 0x3CC;
    if (cp == 0x38E || cp == 0x38F)
        return cp + 63;
    if (cp >= 0x410 && cp <= 0x42F)
        return cp + 32;
    if (cp >= 0x400 && cp <= 0x40F)
        return cp + 80;
    return cp;
}

bool tpl_cp_cased(uint32_t cp)
{
    return tpl_cp_upper(cp) != cp || tpl_cp_lower(cp) != cp || cp == 0xDF ||
           cp == 0x130;
}

bool tpl_cp_space(uint32_t cp)
{
    return cp == ' ' || (cp >= '\t' && cp <= '\r') ||
           (cp >= 0x1C && cp <= 0x1F) || cp == 0x85 || cp == 0xA0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

int tpl_put_cp(tpl_render *r, uint32_t cp)
{
    char buf[4];
    size_t n = tpl_cp_put(buf, cp);
    if (n > sizeof(buf))
        __builtin_unreachable(); /* tells the compiler tpl_put stays small */
    return tpl_put(r, buf, n);
}

/* Appends cp mapped by mode, with the multi-character special cases. */
static int put_cased(tpl_render *r, uint32_t cp, bool upper)
{
    if (upper && cp == 0xDF)
        return tpl_put(r, "SS", 2);
    if (!upper && cp == 0x130)
        return tpl_put(r, "i\xcc\x87", 3);
    return tpl_put_cp(r, upper ? tpl_cp_upper(cp) : tpl_cp_lower(cp));
}

int tpl_sb_done(tpl_render *r, size_t mark, int rc, bool safe, kiln_value *out)
{
    kiln_str s;
    if (rc) {
        tpl_out_truncate(r, mark);
        return rc;
    }
    if ((rc = tpl_capture_end(r, mark, &s)))
        return rc;
    *out = tpl_strv(s.p, s.n, safe);
    return 0;
}

int tpl_str_case(tpl_render *r, kiln_str s, int mode, bool safe,
                 kiln_value *out)
{
    size_t mark = r->out->n, i = 0;
    int rc = 0;
    bool start = true;       /* TPL_CASE_CAPITALIZE: first character */
    bool prev_cased = false; /* TPL_CASE_PYTITLE */
    while (i < s.n && !rc) {
        size_t at = i;
        uint32_t cp = tpl_cp_next(s.p, s.n, &i);
        bool up;
        switch (mode) {
        case TPL_CASE_UPPER:
            up = true;
            break;
        case TPL_CASE_LOWER:
            up = false;
            break;
        case TPL_CASE_CAPITALIZE:
            up = start;
            break;
        case TPL_CASE_TITLE: /* Jinja's |title: words split at -, space, ([{< */
            up = start;
            start = cp == '-' || cp == '(' || cp == '{' || cp == '[' ||
                    cp == '<' || tpl_cp_space(cp);
            break;
        default: /* Python's str.title(): upper after a non-cased char */
            up = !prev_cased;
            prev_cased = tpl_cp_cased(cp);
            break;
        }
        if (mode == TPL_CASE_CAPITALIZE)
            start = false;
        if (cp < 0x80 && up == (cp >= 'A' && cp <= 'Z')) {
            rc = tpl_put(r, s.p + at, 1); /* already in the right case */
            continue;
        }
        rc = cp >= 0x80 && i - at == 1 ? tpl_put(r, s.p + at, 1)
                                       : put_cased(r, cp, up);
    }
    return tpl_sb_done(r, mark, rc, safe, out);
}

/* True when cp is one of the code points of chars. */
static bool in_chars(uint32_t cp, kiln_str chars)
{
    size_t i = 0;
    while (i < chars.n)
        if (tpl_cp_next(chars.p, chars.n, &i) == cp)
            return true;
    return false;
}

kiln_str tpl_str_strip(kiln_str s, const kiln_str *chars, bool left, bool right)
{
    size_t b = 0, e = s.n;
    while (left && b < e) {
        size_t i = b;
        uint32_t cp = tpl_cp_next(s.p, e, &i);
        if (chars ? !in_chars(cp, *chars) : !tpl_cp_space(cp))
            break;
        b = i;
    }
    while (right && e > b) {
        size_t k = e - 1;
        while (k > b && ((unsigned char)s.p[k] & 0xC0) == 0x80)
            k--;
        size_t i = k;
        uint32_t cp = tpl_cp_next(s.p, e, &i);
        if (i != e || (chars ? !in_chars(cp, *chars) : !tpl_cp_space(cp)))
            break;
        e = k;
    }
    kiln_str out = {s.p + b, e - b};
    return out;
}

int tpl_str_replace(tpl_render *r, kiln_str s, kiln_str old, kiln_str new_,
                    bool escape_new, int64_t count, bool safe, kiln_value *out)
{
    size_t mark = r->out->n, i = 0, run = 0;
    int rc = 0;
    int64_t done = 0;
#define PUT_NEW()                                                              \
    (escape_new ? tpl_put_escaped(r, new_.p, new_.n)                           \
                : tpl_put(r, new_.p, new_.n))
    if (old.n == 0) {
        /* "abc".replace("", "-") is "-a-b-c-" */
        while (!rc && (count < 0 || done < count)) {
            if ((rc = PUT_NEW()))
                break;
            done++;
            if (i >= s.n)
                break;
            size_t at = i;
            tpl_cp_next(s.p, s.n, &i);
            rc = tpl_put(r, s.p + at, i - at);
        }
        if (!rc && i < s.n)
            rc = tpl_put(r, s.p + i, s.n - i);
        return tpl_sb_done(r, mark, rc, safe, out);
    }
    while (!rc && i + old.n <= s.n && (count < 0 || done < count)) {
        const char *hit = memmem(s.p + i, s.n - i, old.p, old.n);
        if (!hit)
            break;
        size_t at = (size_t)(hit - s.p);
        if ((at > run && (rc = tpl_put(r, s.p + run, at - run))) ||
            (rc = PUT_NEW()))
            break;
        done++;
        i = run = at + old.n;
    }
#undef PUT_NEW
    if (!rc && s.n > run)
        rc = tpl_put(r, s.p + run, s.n - run);
    return tpl_sb_done(r, mark, rc, safe, out);
}

int tpl_str_fold_cmp(kiln_str a, kiln_str b)
{
    size_t i = 0, j = 0;
    while (i < a.n && j < b.n) {
        uint32_t x = tpl_cp_lower(tpl_cp_next(a.p, a.n, &i));
        uint32_t y = tpl_cp_lower(tpl_cp_next(b.p, b.n, &j));
        if (x != y)
            return x < y ? -1 : 1;
    }
    return (i < a.n) - (j < b.n);
}
