/*
 * config/toml_lex.c - the lexical pieces of TOML 1.0.0: whitespace, comments,
 * line ends, the four kinds of strings, and the scalars that are not strings
 * (booleans, integers, floats, date-times).
 *
 * Strings are decoded into the parser's scratch buffer and then copied into
 * the arena with a NUL after them. UTF-8 is checked only inside strings and
 * comments: everywhere else the grammar allows ASCII alone, so a stray
 * non-ASCII byte is already a syntax error there.
 *
 * Scalars: a value that starts like YYYY- or HH: is a date-time and is read
 * by fixed patterns. Anything else is read as a token, the longest run of
 * characters that can occur in a number or a boolean (A-Z a-z 0-9 _ - + . :),
 * which is then checked as a whole. Taking the whole run first makes the
 * messages name what was written ("invalid integer \"0x\"") and guarantees
 * that a scalar is never directly followed by more of the same characters.
 */
#include "config/toml_parser.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- characters -------------------------------------------------------- */

static bool toml_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

bool toml_is_bare(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           toml_is_digit(c) || c == '_' || c == '-';
}

/* Characters that may continue a number, a boolean or a date-time. */
static bool toml_is_token(unsigned char c)
{
    return toml_is_bare(c) || c == '+' || c == '.' || c == ':';
}

/* The value of c as a digit of radix (2, 8, 10 or 16), or -1. */
static int toml_digit_value(unsigned char c, int radix)
{
    int d = -1;
    if (toml_is_digit(c))
        d = c - '0';
    else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
    return d < radix ? d : -1;
}

/* True for the characters TOML forbids in comments and strings. */
static bool toml_is_control(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7F;
}

size_t toml_utf8_len(const unsigned char *s, size_t n)
{
    assert(n >= 1);
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t len;
    if (c < 0x80)
        return 1;
    if (c < 0xC2) /* a continuation byte, or an overlong 2-byte lead */
        return 0;
    if (c < 0xE0) {
        len = 2;
    } else if (c < 0xF0) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong below U+0800 */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates U+D800..U+DFFF */
    } else if (c < 0xF5) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong below U+10000 */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if (i >= n || s[i] < lo || s[i] > hi)
            return 0;
        lo = 0x80; /* only the second byte has a narrowed range */
        hi = 0xBF;
    }
    return len;
}

/*
 * P->p is at a byte >= 0x80 inside a comment or string named what: steps
 * over its UTF-8 sequence, appending it to P->tmp when keep is true.
 */
static int toml_lex_utf8(toml_parser *P, const char *what, bool keep)
{
    size_t len =
        toml_utf8_len((const unsigned char *)P->p, (size_t)(P->end - P->p));
    if (len == 0)
        return toml_fail(P, P->p, KILN_EPARSE,
                         "invalid UTF-8 byte 0x%02x in %s",
                         (unsigned char)*P->p, what);
    if (keep && kiln_buf_append(&P->tmp, P->p, len))
        return toml_nomem(P);
    P->p += len;
    return 0;
}

/* ---- whitespace, comments, line ends ----------------------------------- */

void toml_skip_ws(toml_parser *P)
{
    while (P->p < P->end && (*P->p == ' ' || *P->p == '\t'))
        P->p++;
}

bool toml_at_newline(const toml_parser *P)
{
    return P->p < P->end && (*P->p == '\n' || *P->p == '\r');
}

int toml_skip_newline(toml_parser *P)
{
    assert(toml_at_newline(P));
    if (*P->p == '\r') {
        if (P->end - P->p < 2 || P->p[1] != '\n')
            return toml_fail(P, P->p, KILN_EPARSE,
                             "carriage return not followed by a line feed "
                             "(lines end with LF or CRLF)");
        P->p++;
    }
    P->p++;
    return 0;
}

int toml_skip_comment(toml_parser *P)
{
    assert(P->p < P->end && *P->p == '#');
    P->p++;
    while (P->p < P->end) {
        unsigned char c = (unsigned char)*P->p;
        if (c == '\n' || (c == '\r' && P->end - P->p >= 2 && P->p[1] == '\n'))
            return 0;
        if (c >= 0x80) {
            int rc = toml_lex_utf8(P, "comment", false);
            if (rc)
                return rc;
            continue;
        }
        if (toml_is_control(c))
            return toml_fail(P, P->p, KILN_EPARSE,
                             "control character U+%04X in comment", c);
        P->p++;
    }
    return 0;
}

/* ---- strings ----------------------------------------------------------- */

/* Appends the UTF-8 encoding of the scalar value cp to P->tmp. */
static int toml_put_utf8(toml_parser *P, uint32_t cp)
{
    char u[4];
    size_t n;
    assert(cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF));
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18);
        u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return kiln_buf_append(&P->tmp, u, n) ? toml_nomem(P) : 0;
}

/*
 * Decodes \uXXXX or \UXXXXXXXX: bs is the backslash, P->p the 'u' or 'U'.
 * The code point must be a Unicode scalar value (no surrogates, at most
 * U+10FFFF).
 */
static int toml_lex_unicode(toml_parser *P, const char *bs)
{
    int ndigits = *P->p == 'u' ? 4 : 8;
    uint32_t cp = 0;
    P->p++;
    for (int i = 0; i < ndigits; i++, P->p++) {
        int d = P->p < P->end ? toml_digit_value((unsigned char)*P->p, 16) : -1;
        if (d < 0)
            return toml_fail(P, bs, KILN_EPARSE,
                             "invalid escape: \\%c needs %d hexadecimal "
                             "digits",
                             bs[1], ndigits);
        cp = cp * 16 + (uint32_t)d;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return toml_fail(P, bs, KILN_EPARSE,
                         "invalid escape %.*s: surrogate code points are not "
                         "allowed",
                         ndigits + 2, bs);
    if (cp > 0x10FFFF)
        return toml_fail(P, bs, KILN_EPARSE,
                         "invalid escape %.*s: beyond U+10FFFF", ndigits + 2,
                         bs);
    return toml_put_utf8(P, cp);
}

/*
 * A backslash followed by whitespace in a multi-line basic string (bs is the
 * backslash, P->p the whitespace): only spaces and tabs may follow it up to
 * the line end; then it removes every space, tab and line end up to the next
 * other character.
 */
static int toml_lex_line_continuation(toml_parser *P, const char *bs)
{
    toml_skip_ws(P);
    if (!toml_at_newline(P))
        return toml_fail(P, bs, KILN_EPARSE,
                         "invalid escape: '\\' followed by a space must end "
                         "the line");
    for (;;) {
        toml_skip_ws(P);
        if (!toml_at_newline(P))
            return 0;
        int rc = toml_skip_newline(P);
        if (rc)
            return rc;
    }
}

/* Decodes the escape whose backslash is at P->p into P->tmp. */
static int toml_lex_escape(toml_parser *P, bool multi)
{
    const char *bs = P->p++;
    char out;
    if (P->p == P->end)
        return toml_fail(P, bs, KILN_EPARSE,
                         "unterminated string: input ends after '\\'");
    switch (*P->p) {
    case 'b':
        out = '\b';
        break;
    case 't':
        out = '\t';
        break;
    case 'n':
        out = '\n';
        break;
    case 'f':
        out = '\f';
        break;
    case 'r':
        out = '\r';
        break;
    case '"':
        out = '"';
        break;
    case '\\':
        out = '\\';
        break;
    case 'u':
    case 'U':
        return toml_lex_unicode(P, bs);
    default: {
        unsigned char c = (unsigned char)*P->p;
        if (multi && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
            return toml_lex_line_continuation(P, bs);
        if (c > 0x20 && c < 0x7F)
            return toml_fail(P, bs, KILN_EPARSE,
                             "invalid escape \\%c in string (valid: \\b \\t "
                             "\\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)",
                             c);
        char d[32];
        return toml_fail(P, bs, KILN_EPARSE,
                         "invalid escape: '\\' followed by %s",
                         toml_describe(P, P->p, d));
    }
    }
    P->p++;
    return kiln_buf_putc(&P->tmp, out) ? toml_nomem(P) : 0;
}

int toml_lex_string(toml_parser *P, kiln_str *out, bool as_key)
{
    const char *open = P->p;
    const char q = *open;
    const bool basic = q == '"';
    const bool multi = P->end - P->p >= 3 && P->p[1] == q && P->p[2] == q;
    const char *kind =
        basic ? (multi ? "multi-line string" : "string")
              : (multi ? "multi-line literal string" : "literal string");
    int rc;
    assert(q == '"' || q == '\'');
    if (multi && as_key)
        return toml_fail(P, open, KILN_EPARSE,
                         "a key cannot be a multi-line string");
    P->p += multi ? 3 : 1;
    kiln_buf_clear(&P->tmp);
    /* a line end right after the opening delimiter is not part of it */
    if (multi && toml_at_newline(P) && (rc = toml_skip_newline(P)) != 0)
        return rc;
    for (;;) {
        /* copy the run of ordinary characters in one go */
        const char *run = P->p;
        while (P->p < P->end) {
            unsigned char c = (unsigned char)*P->p;
            if (c == (unsigned char)q || (c == '\\' && basic) ||
                toml_is_control(c) || c >= 0x80)
                break;
            P->p++;
        }
        if (P->p > run && kiln_buf_append(&P->tmp, run, (size_t)(P->p - run)))
            return toml_nomem(P);
        if (P->p == P->end)
            return toml_fail(P, open, KILN_EPARSE,
                             "unterminated %s (no closing %s)", kind,
                             basic ? (multi ? "\"\"\"" : "'\"'")
                                   : (multi ? "'''" : "\"'\""));
        unsigned char c = (unsigned char)*P->p;
        if (c == (unsigned char)q) {
            if (!multi) {
                P->p++;
                break;
            }
            /* up to two quotes may precede the closing three */
            size_t k = 0;
            while (P->p + k < P->end && P->p[k] == q)
                k++;
            if (k > 5)
                return toml_fail(P, P->p, KILN_EPARSE,
                                 "too many quotes in a row: at most two may "
                                 "come right before the closing %c%c%c",
                                 q, q, q);
            size_t keep = k >= 3 ? k - 3 : k;
            for (size_t i = 0; i < keep; i++)
                if (kiln_buf_putc(&P->tmp, q))
                    return toml_nomem(P);
            P->p += k;
            if (k >= 3)
                break;
            continue;
        }
        if (c == '\\') {
            if ((rc = toml_lex_escape(P, multi)) != 0)
                return rc;
            continue;
        }
        if (c >= 0x80) {
            if ((rc = toml_lex_utf8(P, kind, true)) != 0)
                return rc;
            continue;
        }
        if (multi && toml_at_newline(P)) {
            /* CRLF is read as LF */
            if ((rc = toml_skip_newline(P)) != 0)
                return rc;
            if (kiln_buf_putc(&P->tmp, '\n'))
                return toml_nomem(P);
            continue;
        }
        if (c == '\n' || (c == '\r' && P->end - P->p >= 2 && P->p[1] == '\n'))
            return toml_fail(P, P->p, KILN_EPARSE,
                             "end of line in a %s: close it with %c on the "
                             "same line, or use a multi-line string",
                             kind, q);
        return toml_fail(P, P->p, KILN_EPARSE,
                         "control character U+%04X in %s%s", c, kind,
                         basic ? " (write it as an escape)"
                               : " (use a basic string and an escape)");
    }
    char *s = kiln_arena_strndup(P->a, P->tmp.p ? P->tmp.p : "", P->tmp.n);
    if (!s)
        return toml_nomem(P);
    out->p = s;
    out->n = P->tmp.n;
    return 0;
}

/* ---- date-times -------------------------------------------------------- */

/*
 * True when the input at s matches pat, where 'd' stands for a digit and any
 * other character for itself.
 */
static bool toml_pattern(const toml_parser *P, const char *s, const char *pat)
{
    for (; *pat; pat++, s++) {
        if (s >= P->end)
            return false;
        if (*pat == 'd' ? !toml_is_digit((unsigned char)*s) : *s != *pat)
            return false;
    }
    return true;
}

/* The number written by the n digits at s. */
static int toml_number_at(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static int toml_days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

static const char *const toml_month_names[12] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

/* Reads YYYY-MM-DD at P->p into dt. */
static int toml_lex_date(toml_parser *P, toml_datetime *dt)
{
    const char *s = P->p;
    if (!toml_pattern(P, s, "dddd-dd-dd"))
        return toml_fail(P, s, KILN_EPARSE,
                         "invalid date: expected YYYY-MM-DD (with leading "
                         "zeros)");
    dt->year = toml_number_at(s, 4);
    dt->month = toml_number_at(s + 5, 2);
    dt->day = toml_number_at(s + 8, 2);
    if (dt->month < 1 || dt->month > 12)
        return toml_fail(P, s + 5, KILN_EPARSE,
                         "invalid date: month %02d is not between 01 and 12",
                         dt->month);
    int dim = toml_days_in_month(dt->year, dt->month);
    if (dt->day < 1 || dt->day > dim)
        return toml_fail(P, s + 8, KILN_EPARSE,
                         "invalid date: day %02d is not between 01 and %d "
                         "(%s %04d has %d days)",
                         dt->day, dim, toml_month_names[dt->month - 1],
                         dt->year, dim);
    dt->has_date = true;
    P->p = s + 10;
    return 0;
}

/* Reads HH:MM:SS with an optional fraction at P->p into dt. */
static int toml_lex_time(toml_parser *P, toml_datetime *dt)
{
    const char *s = P->p;
    if (!toml_pattern(P, s, "dd:dd:dd"))
        return toml_fail(P, s, KILN_EPARSE,
                         "invalid time: expected HH:MM:SS (two digits each; "
                         "seconds are required)");
    dt->hour = toml_number_at(s, 2);
    dt->minute = toml_number_at(s + 3, 2);
    dt->second = toml_number_at(s + 6, 2);
    if (dt->hour > 23)
        return toml_fail(P, s, KILN_EPARSE,
                         "invalid time: hour %02d is not between 00 and 23",
                         dt->hour);
    if (dt->minute > 59)
        return toml_fail(P, s + 3, KILN_EPARSE,
                         "invalid time: minute %02d is not between 00 and 59",
                         dt->minute);
    if (dt->second > 60)
        return toml_fail(P, s + 6, KILN_EPARSE,
                         "invalid time: second %02d is not between 00 and 60",
                         dt->second);
    P->p = s + 8;
    if (P->p < P->end && *P->p == '.') {
        const char *dot = P->p++;
        int ns = 0, nd = 0;
        for (; P->p < P->end && toml_is_digit((unsigned char)*P->p); P->p++)
            if (nd < 9) {
                ns = ns * 10 + (*P->p - '0');
                nd++;
            }
        if (P->p == dot + 1)
            return toml_fail(P, dot, KILN_EPARSE,
                             "invalid time: expected digits after '.'");
        for (int i = nd; i < 9; i++)
            ns *= 10;
        dt->nanosecond = ns;
        dt->frac_digits = nd;
    }
    dt->has_time = true;
    return 0;
}

/* Reads Z, z, +HH:MM or -HH:MM at P->p into dt when one is there. */
static int toml_lex_offset(toml_parser *P, toml_datetime *dt)
{
    const char *s = P->p;
    if (s == P->end)
        return 0;
    if (*s == 'Z' || *s == 'z') {
        P->p++;
        dt->has_offset = true;
        return 0;
    }
    if (*s != '+' && *s != '-')
        return 0;
    if (!toml_pattern(P, s + 1, "dd:dd"))
        return toml_fail(P, s, KILN_EPARSE,
                         "invalid offset: expected Z, +HH:MM or -HH:MM");
    int h = toml_number_at(s + 1, 2), m = toml_number_at(s + 4, 2);
    if (h > 23 || m > 59)
        return toml_fail(P, s, KILN_EPARSE,
                         "invalid offset %.6s: hours must be 00-23 and "
                         "minutes 00-59",
                         s);
    dt->offset_minutes = (*s == '-' ? -1 : 1) * (h * 60 + m);
    dt->has_offset = true;
    P->p = s + 6;
    return 0;
}

/*
 * Reads one of the four date-time forms at P->p, which starts like YYYY- or
 * HH: (so it cannot be a number).
 */
static int toml_lex_datetime(toml_parser *P, toml_value *v)
{
    toml_datetime *dt = &v->u.datetime;
    int rc;
    if (toml_pattern(P, P->p, "dd:")) {
        if ((rc = toml_lex_time(P, dt)) != 0)
            return rc;
        v->type = TOML_TIME_LOCAL;
    } else {
        if ((rc = toml_lex_date(P, dt)) != 0)
            return rc;
        v->type = TOML_DATE_LOCAL;
        /* a time follows after 'T', 't' or a space (then it must look like
         * one: "1979-05-27 # note" is a date and a comment) */
        if (P->p < P->end &&
            (*P->p == 'T' || *P->p == 't' ||
             (*P->p == ' ' && toml_pattern(P, P->p + 1, "dd:")))) {
            P->p++;
            if ((rc = toml_lex_time(P, dt)) != 0 ||
                (rc = toml_lex_offset(P, dt)) != 0)
                return rc;
            v->type = dt->has_offset ? TOML_DATETIME : TOML_DATETIME_LOCAL;
        }
    }
    if (P->p < P->end && toml_is_token((unsigned char)*P->p)) {
        char d[32];
        return toml_fail(P, P->p, KILN_EPARSE, "unexpected %s after %s %s",
                         toml_describe(P, P->p, d),
                         v->type == TOML_TIME_LOCAL ? "a" : "the",
                         toml_type_name(v->type));
    }
    return 0;
}

/* ---- numbers ----------------------------------------------------------- */

/* The token [tok, e) for messages: quoted, shortened when long. */
#define TOML_TOKEN_FMT "\"%.*s%s\""
#define TOML_TOKEN_ARGS(tok, e)                                                \
    (int)((e) - (tok) > 40 ? 40 : (e) - (tok)), (tok),                         \
        ((e) - (tok) > 40 ? "..." : "")

/*
 * Reads digits of radix from *sp (up to e), with single underscores between
 * digits, appending the digits to P->tmp and advancing *sp past them. At
 * least one digit is required; what says where, for the message ("after
 * '0x'"). Stops at the first character that is neither.
 */
static int toml_lex_digits(toml_parser *P, const char **sp, const char *e,
                           int radix, const char *what)
{
    static const char *const names[17] = {[2] = "a binary digit",
                                          [8] = "an octal digit",
                                          [10] = "a digit",
                                          [16] = "a hexadecimal digit"};
    const char *s = *sp;
    char d[32];
    if (s == e || toml_digit_value((unsigned char)*s, radix) < 0)
        return toml_fail(P, s, KILN_EPARSE, "expected %s %s, found %s",
                         names[radix], what, toml_describe(P, s, d));
    for (;;) {
        if (kiln_buf_putc(&P->tmp, *s++))
            return toml_nomem(P);
        if (s < e && *s == '_') {
            if (s + 1 == e || toml_digit_value((unsigned char)s[1], radix) < 0)
                return toml_fail(P, s, KILN_EPARSE,
                                 "'_' in a number must be between two "
                                 "digits");
            s++;
            continue;
        }
        if (s == e || toml_digit_value((unsigned char)*s, radix) < 0)
            break;
    }
    *sp = s;
    return 0;
}

/*
 * The integer whose digits of radix are in P->tmp[from..), negated when neg.
 * Fails (at tok) when it does not fit int64_t.
 */
static int toml_integer(toml_parser *P, size_t from, int radix, bool neg,
                        const char *tok, const char *e, int64_t *out)
{
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (size_t i = from; i < P->tmp.n; i++) {
        unsigned d =
            (unsigned)toml_digit_value((unsigned char)P->tmp.p[i], radix);
        if (v > (limit - d) / (unsigned)radix)
            return toml_fail(P, tok, KILN_EPARSE,
                             "integer " TOML_TOKEN_FMT " is out of range "
                             "(64-bit signed)",
                             TOML_TOKEN_ARGS(tok, e));
        v = v * (unsigned)radix + d;
    }
    /* -2^63 has no positive counterpart: negate in unsigned arithmetic */
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

/* Reads the number token [tok, e): an integer or a float. */
static int toml_lex_number(toml_parser *P, toml_value *v, const char *tok,
                           const char *e)
{
    const char *s = tok;
    bool neg = false, sign = false;
    int rc;
    if (*s == '+' || *s == '-') {
        neg = *s == '-';
        sign = true;
        s++;
    }
    if (e - s == 3 && (memcmp(s, "inf", 3) == 0 || memcmp(s, "nan", 3) == 0)) {
        v->type = TOML_FLOAT;
        v->u.floating = s[0] == 'i' ? INFINITY : NAN;
        if (neg)
            v->u.floating = -v->u.floating;
        return 0;
    }
    kiln_buf_clear(&P->tmp);
    if (e - s >= 2 && s[0] == '0' &&
        (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
        int radix = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
        const char *name = radix == 16  ? "hexadecimal"
                           : radix == 8 ? "octal"
                                        : "binary";
        const char *after = radix == 16  ? "after '0x'"
                            : radix == 8 ? "after '0o'"
                                         : "after '0b'";
        if (sign)
            return toml_fail(P, tok, KILN_EPARSE,
                             "%s integers cannot have a sign: " TOML_TOKEN_FMT,
                             name, TOML_TOKEN_ARGS(tok, e));
        s += 2;
        if ((rc = toml_lex_digits(P, &s, e, radix, after)) != 0)
            return rc;
        if (s != e) {
            char d[32];
            return toml_fail(P, s, KILN_EPARSE,
                             "unexpected %s in %s integer " TOML_TOKEN_FMT,
                             toml_describe(P, s, d), name,
                             TOML_TOKEN_ARGS(tok, e));
        }
        v->type = TOML_INTEGER;
        return toml_integer(P, 0, radix, false, tok, e, &v->u.integer);
    }
    /* decimal: the digits (and for a float '.', 'e' and the exponent's
     * sign) go to P->tmp, after the sign, for strtod */
    if (neg && kiln_buf_putc(&P->tmp, '-'))
        return toml_nomem(P);
    size_t first = P->tmp.n;
    if ((rc = toml_lex_digits(P, &s, e, 10,
                              sign ? (neg ? "after '-'" : "after '+'")
                                   : "in number")) != 0)
        return rc;
    if (P->tmp.p[first] == '0' && P->tmp.n - first > 1)
        return toml_fail(P, tok, KILN_EPARSE,
                         "leading zeros are not allowed: " TOML_TOKEN_FMT,
                         TOML_TOKEN_ARGS(tok, e));
    bool is_float = false;
    if (s < e && *s == '.') {
        is_float = true;
        s++;
        if (kiln_buf_putc(&P->tmp, '.'))
            return toml_nomem(P);
        if ((rc = toml_lex_digits(P, &s, e, 10, "after '.'")) != 0)
            return rc;
    }
    if (s < e && (*s == 'e' || *s == 'E')) {
        is_float = true;
        s++;
        if (kiln_buf_putc(&P->tmp, 'e'))
            return toml_nomem(P);
        if (s < e && (*s == '+' || *s == '-') && kiln_buf_putc(&P->tmp, *s++))
            return toml_nomem(P);
        if ((rc = toml_lex_digits(P, &s, e, 10, "in the exponent")) != 0)
            return rc;
    }
    if (s != e) {
        char d[32];
        return toml_fail(P, s, KILN_EPARSE,
                         "unexpected %s in number " TOML_TOKEN_FMT,
                         toml_describe(P, s, d), TOML_TOKEN_ARGS(tok, e));
    }
    if (!is_float) {
        v->type = TOML_INTEGER;
        return toml_integer(P, first, 10, neg, tok, e, &v->u.integer);
    }
    v->type = TOML_FLOAT;
    v->u.floating = strtod(P->tmp.p, NULL);
    if (isinf(v->u.floating))
        return toml_fail(P, tok, KILN_EPARSE,
                         "float " TOML_TOKEN_FMT " is out of range (64-bit "
                         "IEEE 754)",
                         TOML_TOKEN_ARGS(tok, e));
    return 0;
}

/* ---- scalars ----------------------------------------------------------- */

int toml_lex_scalar(toml_parser *P, toml_value *v)
{
    const char *s = P->p, *e = s;
    if (toml_pattern(P, s, "dddd-") || toml_pattern(P, s, "dd:"))
        return toml_lex_datetime(P, v);
    while (e < P->end && toml_is_token((unsigned char)*e))
        e++;
    size_t n = (size_t)(e - s);
    unsigned char c = n ? (unsigned char)*s : 0;
    int rc;
    if (n == 0) {
        char d[32];
        return toml_fail(P, s, KILN_EPARSE, "expected a value, found %s",
                         toml_describe(P, s, d));
    }
    if ((n == 4 && memcmp(s, "true", 4) == 0) ||
        (n == 5 && memcmp(s, "false", 5) == 0)) {
        v->type = TOML_BOOLEAN;
        v->u.boolean = n == 4;
    } else if (toml_is_digit(c) || c == '+' || c == '-' ||
               (n == 3 &&
                (memcmp(s, "inf", 3) == 0 || memcmp(s, "nan", 3) == 0))) {
        if ((rc = toml_lex_number(P, v, s, e)) != 0)
            return rc;
    } else {
        return toml_fail(P, s, KILN_EPARSE,
                         "invalid value " TOML_TOKEN_FMT ": strings must be "
                         "quoted, and booleans are lowercase true or false",
                         TOML_TOKEN_ARGS(s, e));
    }
    P->p = e;
    return 0;
}
