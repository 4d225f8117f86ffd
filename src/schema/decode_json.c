/*
 * schema/decode_json.c - the schema-directed JSON decoder (kiln_decode_json):
 * one pass over the bytes, straight into the caller's struct, no tree.
 *
 * The decoder is a recursive descent over the model: an object of the
 * model, a field's value, a list's items, a nested object. Every array and
 * object counts against max_depth, known or not; the levels the model
 * describes, which recurse, also against SCHEMA_MAX_NESTING (128), so the C
 * stack a decode needs stays bounded whatever the options (about 600 bytes
 * a level: 128 levels take 75 KiB of a coroutine's 256). Values the model
 * does not describe (unknown keys, values of the wrong type, read-only
 * fields) are skipped by jd_skip, which is iterative with a bit per open
 * container, so they may nest up to max_depth.
 *
 * The syntax is exactly kiln_json_parse's (strict RFC 8259, the same UTF-8
 * check and escape decoder, the same messages): malformed input stops the
 * decode with KILN_EPARSE and the byte offset, before or after schema
 * errors. A value that parses but does not fit its field adds an error and
 * is skipped; the decode goes on, so one input reports every failing field.
 *
 * Memory: strings without escapes view the input; a string with escapes is
 * decoded into the arena (sized by its raw length, which the decoded bytes
 * never exceed). Lists grow in a malloc'd buffer and are copied into the
 * arena exactly sized (jd_vec). Scratch is malloc'd and freed before
 * returning.
 */
#include "schema/schema_impl.h"

#include "json/unescape.h"
#include "json/utf8.h"

#include <assert.h>
#include <float.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Kept out of jd_value, so that its common path saves fewer registers. */
#if defined(__GNUC__)
#define JD_OUTLINE __attribute__((noinline))
#else
#define JD_OUTLINE
#endif

/* One decode over p[0..n). */
typedef struct jdec {
    schema_dec *d;
    const char *begin, *p, *end;
    kiln_json_error *perr;
    int depth;        /* arrays and objects open */
    char *spare;      /* a free item buffer (malloc'd), or NULL */
    size_t spare_cap; /* its bytes */
} jdec;

/* What the string scanner stops at: '"', '\\', controls, non-ASCII. */
static const unsigned char jd_str_care[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x00 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x10 */
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x20: '"' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x30 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x40 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* 0x50: '\\' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x60 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x70 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x80 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x90 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xa0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xb0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xc0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xd0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xe0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xf0 */
};

/*
 * The first byte at or after s (before end) that the string scanner must
 * look at (jd_str_care). Sixteen bytes at a time with SSE2; else eight at
 * a time where the byte order allows it: the lowest flagged byte of the
 * word is always a real one (the bit tricks can only flag falsely above a
 * real hit), so ctz finds it; the tail a byte at a time.
 */
static inline const char *jd_str_stop(const char *s, const char *end)
{
#if defined(__SSE2__)
    /* 16 bytes at a time: '"', '\\', and, as signed bytes, everything
       below 0x20 (controls, and every byte >= 0x80) */
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                  space = _mm_set1_epi8(0x20);
    while (end - s >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
        __m128i m = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
            _mm_cmplt_epi8(x, space));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits)
            return s + __builtin_ctz(bits);
        s += 16;
    }
#endif
#if defined(__GNUC__) && defined(__BYTE_ORDER__) &&                            \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t lo = UINT64_C(0x0101010101010101),
                   hi = UINT64_C(0x8080808080808080);
    while (end - s >= 8) {
        uint64_t x, q, b;
        memcpy(&x, s, 8);
        q = x ^ (lo * '"');
        b = x ^ (lo * '\\');
        uint64_t m =
            (((q - lo) & ~q) | ((b - lo) & ~b) | ((x - lo * 0x20) & ~x) | x) &
            hi;
        if (m)
            return s + (__builtin_ctzll(m) >> 3);
        s += 8;
    }
#endif
    while (s < end && !jd_str_care[(unsigned char)*s])
        s++;
    return s;
}

/* ---- syntax errors ---------------------------------------------------- */

/* Records a syntax error at `at` in *perr (offset, line, column in bytes)
   and returns KILN_EPARSE. */
static int jd_fail(jdec *j, const char *at, const char *msg)
{
    kiln_json_error *e = j->perr;
    if (!e)
        return KILN_EPARSE;
    e->offset = (size_t)(at - j->begin);
    e->line = 1;
    const char *line_start = j->begin;
    for (const char *q = j->begin; q < at; q++) {
        if (*q == '\n') {
            if (e->line < INT_MAX)
                e->line++;
            line_start = q + 1;
        }
    }
    size_t col = (size_t)(at - line_start) + 1;
    e->col = col < INT_MAX ? (int)col : INT_MAX;
    snprintf(e->msg, sizeof e->msg, "%s", msg);
    return KILN_EPARSE;
}

/* Fails at j->p naming the unexpected byte (or the end). */
static int jd_fail_unexpected(jdec *j, const char *expected)
{
    char msg[96];
    unsigned char c;
    if (j->p == j->end)
        snprintf(msg, sizeof msg, "unexpected end of input, expected %s",
                 expected);
    else if ((c = (unsigned char)*j->p) > 0x20 && c < 0x7F)
        snprintf(msg, sizeof msg, "unexpected '%c', expected %s", c, expected);
    else
        snprintf(msg, sizeof msg, "unexpected byte 0x%02x, expected %s", c,
                 expected);
    return jd_fail(j, j->p, msg);
}

/* ---- tokens ----------------------------------------------------------- */

static inline void jd_ws(jdec *j)
{
    const char *p = j->p, *end = j->end;
    if (p == end || (unsigned char)*p > ' ')
        return; /* compact JSON: one test */
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    j->p = p;
}

/*
 * Scans the string at j->p (at its '"'): checks its UTF-8, control
 * characters and escapes, and advances past the closing quote. *raw gets
 * the bytes between the quotes; *escaped whether any '\\' was among them.
 */
static int jd_scan_string(jdec *j, kiln_str *raw, bool *escaped)
{
    const char *open = j->p, *s = open + 1, *end = j->end;
    bool esc = false;
    for (;;) {
        s = jd_str_stop(s, end);
        if (s == end)
            return jd_fail(j, open, "unterminated string");
        unsigned char c = (unsigned char)*s;
        if (c == '"')
            break;
        if (c == '\\') {
            char u[4];
            size_t n;
            const char *why = NULL;
            size_t used = json_unescape(s, end, u, &n, &why);
            if (!used)
                return jd_fail(j, s, why);
            s += used;
            esc = true;
        } else if (c >= 0x80) {
            size_t bad, len = json_utf8_len((const unsigned char *)s,
                                            (size_t)(end - s), &bad);
            if (!len)
                return jd_fail(j, s, "invalid UTF-8 in string");
            s += len;
        } else {
            return jd_fail(j, s, "unescaped control character in string");
        }
    }
    raw->p = open + 1;
    raw->n = (size_t)(s - open - 1);
    *escaped = esc;
    j->p = s + 1;
    return 0;
}

/* Decodes the escapes of an already scanned raw string into the arena. */
static int jd_unescape(jdec *j, kiln_str raw, kiln_str *out)
{
    char *o = kiln_arena_alloc(j->d->a, raw.n + 1), *w = o;
    if (!o)
        return KILN_ENOMEM;
    const char *s = raw.p, *end = raw.p + raw.n;
    while (s < end) {
        const char *bs = memchr(s, '\\', (size_t)(end - s));
        if (!bs)
            bs = end;
        memcpy(w, s, (size_t)(bs - s));
        w += bs - s;
        s = bs;
        if (s < end) {
            size_t n;
            const char *why;
            size_t used = json_unescape(s, end, w, &n, &why);
            assert(used); /* scanned before */
            w += n;
            s += used;
        }
    }
    *w = '\0';
    out->p = o;
    out->n = (size_t)(w - o);
    return 0;
}

/* Reads a string value: a view of the input, or decoded into the arena. */
static inline int jd_string(jdec *j, kiln_str *out)
{
    const char *k = j->p + 1, *q = jd_str_stop(k, j->end);
    if (q < j->end && *q == '"') { /* plain ASCII: most strings */
        out->p = k;
        out->n = (size_t)(q - k);
        j->p = q + 1;
        return 0;
    }
    bool escaped;
    int rc = jd_scan_string(j, out, &escaped);
    if (rc == 0 && escaped)
        rc = jd_unescape(j, *out, out);
    return rc;
}

/* A scanned number. */
typedef struct jd_num {
    kiln_str text;
    bool integral; /* no fraction, no exponent */
    bool fits;     /* integral and within int64 */
    int64_t i;
} jd_num;

/* Scans the number at j->p per RFC 8259 and advances past it. */
static int jd_number(jdec *j, jd_num *n)
{
    const char *start = j->p, *s = j->p, *end = j->end;
    bool neg = false;
    if (*s == '-') {
        neg = true;
        s++;
    }
    const char *digits = s;
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    bool fits = true;
    while (s < end && (unsigned)(*s - '0') <= 9) {
        unsigned dg = (unsigned)(*s - '0');
        if (v > (lim - dg) / 10)
            fits = false;
        else
            v = v * 10 + dg;
        s++;
    }
    if (s == digits)
        return jd_fail(j, s, "expected a digit");
    if (*digits == '0' && s - digits > 1)
        return jd_fail(j, digits, "leading zero in a number");
    n->integral = true;
    if (s < end && *s == '.') {
        n->integral = false;
        const char *f = ++s;
        while (s < end && (unsigned)(*s - '0') <= 9)
            s++;
        if (s == f)
            return jd_fail(j, s, "expected a digit after '.'");
    }
    if (s < end && (*s == 'e' || *s == 'E')) {
        n->integral = false;
        s++;
        if (s < end && (*s == '+' || *s == '-'))
            s++;
        const char *e = s;
        while (s < end && (unsigned)(*s - '0') <= 9)
            s++;
        if (s == e)
            return jd_fail(j, s, "expected a digit in the exponent");
    }
    n->text.p = start;
    n->text.n = (size_t)(s - start);
    n->fits = n->integral && fits;
    n->i = n->fits ? (neg ? (int64_t)(0 - v) : (int64_t)v) : 0;
    j->p = s;
    return 0;
}

/*
 * The exact fast path of decimal to double (Clinger): a number of at most
 * 15 significant digits is an exact double m, and 10^e for |e| <= 22 is
 * one too, so one correctly rounded multiplication or division gives the
 * correctly rounded result, the double strtod gives. False when the number
 * is outside that range (strtod then does it).
 */
static bool jd_double_fast(kiln_str t, double *out)
{
    static const double pow10[] = {
        1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *p = t.p, *end = t.p + t.n;
    bool neg = *p == '-';
    uint64_t m = 0;
    int digits = 0, e = 0;
    p += neg;
    for (; p < end && (unsigned)(*p - '0') <= 9; p++) {
        if (m || *p != '0')
            digits++;
        m = m * 10 + (uint64_t)(*p - '0');
        if (digits > 15)
            return false;
    }
    if (p < end && *p == '.') {
        for (p++; p < end && (unsigned)(*p - '0') <= 9; p++) {
            if (m || *p != '0')
                digits++;
            m = m * 10 + (uint64_t)(*p - '0');
            e--;
            if (digits > 15)
                return false;
        }
    }
    if (p < end) { /* an exponent */
        bool eneg = false;
        int x = 0;
        p++;
        if (*p == '+' || *p == '-')
            eneg = *p++ == '-';
        for (; p < end; p++) {
            x = x * 10 + (*p - '0');
            if (x > 400)
                return false;
        }
        e += eneg ? -x : x;
    }
    if (e < -22 || e > 22 || FLT_EVAL_METHOD != 0)
        return false; /* (x87 double rounding would break exactness) */
    double d = (double)m;
    d = e < 0 ? d / pow10[-e] : d * pow10[e];
    *out = neg ? -d : d;
    return true;
}

/* The double of a scanned number, as kiln_json_parse computes it. */
static int jd_double(jdec *j, const jd_num *n, double *out)
{
    if (n->fits && !(n->i == 0 && n->text.p[0] == '-')) {
        *out = (double)n->i;
        return 0;
    }
    if (jd_double_fast(n->text, out))
        return 0;
    char small[64], *z = small;
    if (n->text.n >= sizeof small) {
        kiln_buf_clear(&j->d->tmp);
        if (kiln_buf_append(&j->d->tmp, n->text.p, n->text.n))
            return KILN_ENOMEM;
        z = j->d->tmp.p;
    } else {
        memcpy(small, n->text.p, n->text.n);
        small[n->text.n] = '\0';
    }
    *out = strtod(z, NULL);
    return 0;
}

/* Reads the literal true, false or null at j->p. */
static int jd_literal(jdec *j, const char *lit, size_t n)
{
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
        return jd_fail(j, j->p, "invalid literal");
    j->p += n;
    return 0;
}

/*
 * Skips the value at j->p, checking its syntax; containers count against
 * max_depth from the current depth. *ws (when not NULL) is set when
 * whitespace was skipped inside the value.
 */
static int jd_skip(jdec *j, bool *ws)
{
    uint64_t small[4] = {0}, *stack = small; /* bit set: an object */
    size_t depth = 0, cap = 256;
    int rc = 0;
    bool saw_ws = false;
    for (;;) {
        /* a value */
        const char *before = j->p;
        jd_ws(j);
        saw_ws |= j->p != before;
        if (j->p == j->end) {
            rc = jd_fail_unexpected(j, "a value");
            break;
        }
        char c = *j->p;
        if (c == '{' || c == '[') {
            if (j->depth + (int)depth + 1 > j->d->max_depth) {
                rc = jd_fail(j, j->p, "nesting too deep");
                break;
            }
            if (depth == cap) {
                uint64_t *ns = realloc(stack == small ? NULL : stack,
                                       cap * 2 / 64 * sizeof *ns);
                if (!ns) {
                    rc = KILN_ENOMEM;
                    break;
                }
                if (stack == small)
                    memcpy(ns, small, sizeof small);
                stack = ns;
                cap *= 2;
            }
            bool obj = c == '{';
            if (obj)
                stack[depth / 64] |= UINT64_C(1) << (depth % 64);
            else
                stack[depth / 64] &= ~(UINT64_C(1) << (depth % 64));
            depth++;
            j->p++;
            before = j->p;
            jd_ws(j);
            saw_ws |= j->p != before;
            if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
                j->p++;
                depth--;
            } else if (obj) {
                goto key;
            } else {
                continue;
            }
        } else if (c == '"') {
            kiln_str raw;
            bool esc;
            if ((rc = jd_scan_string(j, &raw, &esc)) != 0)
                break;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            jd_num n;
            if ((rc = jd_number(j, &n)) != 0)
                break;
        } else if (c == 't') {
            if ((rc = jd_literal(j, "true", 4)) != 0)
                break;
        } else if (c == 'f') {
            if ((rc = jd_literal(j, "false", 5)) != 0)
                break;
        } else if (c == 'n') {
            if ((rc = jd_literal(j, "null", 4)) != 0)
                break;
        } else {
            rc = jd_fail_unexpected(j, "a value");
            break;
        }
        /* after a value: close what it completes */
        for (;;) {
            if (depth == 0)
                goto done;
            bool obj = stack[(depth - 1) / 64] >> ((depth - 1) % 64) & 1;
            before = j->p;
            jd_ws(j);
            saw_ws |= j->p != before;
            if (j->p < j->end && *j->p == ',') {
                j->p++;
                if (obj)
                    goto key;
                break;
            }
            if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
                j->p++;
                depth--;
                continue;
            }
            rc = jd_fail_unexpected(j, obj ? "',' or '}'" : "',' or ']'");
            goto done;
        }
        continue;
    key:
        before = j->p;
        jd_ws(j);
        saw_ws |= j->p != before;
        if (j->p == j->end || *j->p != '"') {
            rc = jd_fail_unexpected(j, "a string key");
            break;
        }
        {
            kiln_str raw;
            bool esc;
            if ((rc = jd_scan_string(j, &raw, &esc)) != 0)
                break;
        }
        before = j->p;
        jd_ws(j);
        saw_ws |= j->p != before;
        if (j->p == j->end || *j->p != ':') {
            rc = jd_fail_unexpected(j, "':' after the key");
            break;
        }
        j->p++;
    }
done:
    if (stack != small)
        free(stack);
    if (ws)
        *ws = saw_ws;
    return rc;
}

/* ---- values ----------------------------------------------------------- */

/* What a JSON value starting with c is, for "got ..." messages. */
static const char *jd_kind(char c)
{
    switch (c) {
    case '"':
        return "a string";
    case '{':
        return "an object";
    case '[':
        return "an array";
    case 't':
    case 'f':
        return "a boolean";
    case 'n':
        return "null";
    default:
        return "a number";
    }
}

/* What field type t expects, for "expected ..." messages. */
static const char *jd_expected(uint8_t t)
{
    switch (t) {
    case KILN_FT_INT:
        return "an integer";
    case KILN_FT_FLOAT:
        return "a number";
    case KILN_FT_DECIMAL:
        return "a decimal (a string or a number)";
    case KILN_FT_BOOL:
        return "a boolean";
    case KILN_FT_DATE:
        return "a date string";
    case KILN_FT_DATETIME:
        return "a date-time string";
    case KILN_FT_TIME:
        return "a time string";
    case KILN_FT_UUID:
        return "a UUID string";
    case KILN_FT_REF:
        return "an integer id";
    case KILN_FT_MANY:
        return "an array of ids";
    case KILN_FT_OBJECT:
        return "an object";
    case KILN_FT_LIST:
        return "an array";
    default:
        return "a string";
    }
}

/* Adds a "type" error for the value at j->p and skips it. */
JD_OUTLINE static int jd_wrong_type(jdec *j, const kiln_field *f,
                                    const schema_path *path)
{
    schema_error(&j->d->sink, path, "type", "expected %s, got %s",
                 jd_expected(f->type), jd_kind(*j->p));
    int rc = jd_skip(j, NULL);
    return rc ? rc : 1;
}

static int jd_object(jdec *j, const kiln_model *m, void *obj,
                     const schema_path *path, kiln_fieldset *given);
static int jd_value(jdec *j, const kiln_field *f, void *obj,
                    const schema_path *path);

/* An integer value (integer and ref fields) into *out. */
static int jd_int(jdec *j, const kiln_field *f, int64_t *out,
                  const schema_path *path)
{
    jd_num n;
    int rc = jd_number(j, &n);
    if (rc)
        return rc;
    if (!n.integral)
        return schema_error(&j->d->sink, path, "type",
                            "expected %s, got a number with a fraction or "
                            "exponent",
                            jd_expected(f->type));
    if (!n.fits)
        return schema_error(&j->d->sink, path,
                            n.text.p[0] == '-' ? "min" : "max",
                            "out of the range of a 64-bit integer");
    rc = schema_check_int(&j->d->sink, f, n.i, path);
    if (rc == 0)
        *out = n.i;
    return rc;
}

/*
 * The json field's value: its minified text, a view of the input when it
 * holds no whitespace, else a copy without the whitespace outside strings.
 */
JD_OUTLINE static int jd_json_text(jdec *j, kiln_str *out)
{
    const char *start = j->p;
    bool ws;
    int rc = jd_skip(j, &ws);
    if (rc)
        return rc;
    size_t n = (size_t)(j->p - start);
    if (!ws) {
        out->p = start;
        out->n = n;
        return 0;
    }
    char *o = kiln_arena_alloc(j->d->a, n + 1), *w = o;
    if (!o)
        return KILN_ENOMEM;
    bool in_str = false;
    for (const char *s = start; s < j->p; s++) {
        char c = *s;
        if (in_str) {
            *w++ = c;
            if (c == '\\')
                *w++ = *++s;
            else if (c == '"')
                in_str = false;
        } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
            *w++ = c;
            in_str = c == '"';
        }
    }
    *w = '\0';
    out->p = o;
    out->n = (size_t)(w - o);
    return 0;
}

/*
 * The items of an array being read. They grow in malloc'd memory (the
 * decoder's spare buffer when it is free), so growing copies no arena
 * memory and leaves none behind, and are copied into the arena, exactly
 * sized, when the array ends. An item is zero-filled when it is added and
 * does not move while it is decoded (a nested array has its own vector).
 */
typedef struct jd_vec {
    char *v;
    size_t n, cap, size;
} jd_vec;

static void jd_vec_init(jdec *j, jd_vec *x, size_t size)
{
    x->v = j->spare;
    x->cap = j->spare ? j->spare_cap / size : 0;
    x->n = 0;
    x->size = size;
    j->spare = NULL;
}

/* Gives the buffer back as the decoder's spare (keeping the larger). */
static void jd_vec_release(jdec *j, jd_vec *x)
{
    if (!j->spare || j->spare_cap < x->cap * x->size) {
        free(j->spare);
        j->spare = x->v;
        j->spare_cap = x->cap * x->size;
    } else {
        free(x->v);
    }
    x->v = NULL;
}

/* A new zero-filled item at the end, or NULL when out of memory. */
static void *jd_vec_push(jd_vec *x)
{
    if (x->n == x->cap) {
        size_t ncap = x->cap ? x->cap * 2 : 16;
        if (x->size == 0 || ncap > SIZE_MAX / 2 / x->size)
            return NULL;
        char *nv = realloc(x->v, ncap * x->size);
        if (!nv)
            return NULL;
        x->v = nv;
        x->cap = ncap;
    }
    void *it = x->v + x->n++ * x->size;
    memset(it, 0, x->size);
    return it;
}

/* Copies the items into the arena (*out, NULL when none) and releases the
   vector. */
static int jd_vec_finish(jdec *j, jd_vec *x, void **out)
{
    void *v = NULL;
    if (x->n) {
        v = kiln_arena_alloc(j->d->a, x->n * x->size);
        if (v)
            memcpy(v, x->v, x->n * x->size);
    }
    jd_vec_release(j, x);
    *out = v;
    return x->n && !v ? KILN_ENOMEM : 0;
}

/* Enters an array or object at j->p (checks the depth, moves past it and
   the whitespace after). Returns 0, or KILN_EPARSE past max_depth. */
static int jd_enter(jdec *j)
{
    if (j->depth >= j->d->max_depth || j->depth >= SCHEMA_MAX_NESTING)
        return jd_fail(j, j->p, "nesting too deep");
    j->depth++;
    j->p++;
    jd_ws(j);
    return 0;
}

/*
 * After an item of an array: moves past ',' (returns 1: another item) or
 * ']' (returns 0: the end).
 */
static int jd_next_item(jdec *j)
{
    jd_ws(j);
    if (j->p < j->end && *j->p == ',') {
        j->p++;
        jd_ws(j);
        return 1;
    }
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        j->depth--;
        return 0;
    }
    return jd_fail_unexpected(j, "',' or ']'");
}

/* A many field: an array of integer ids. */
JD_OUTLINE static int jd_many(jdec *j, const kiln_field *f, kiln_ids *out,
                              const schema_path *path)
{
    int rc = jd_enter(j);
    jd_vec x;
    bool bad = false;
    void *v;
    if (rc)
        return rc;
    jd_vec_init(j, &x, sizeof(int64_t));
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        j->depth--;
    } else {
        kiln_field item;
        schema_item_field(f, &item);
        item.type = KILN_FT_REF;
        do {
            schema_path at = {path, NULL, x.n};
            int64_t *it = jd_vec_push(&x);
            if (!it)
                rc = KILN_ENOMEM;
            else if (j->p < j->end)
                rc = jd_value(j, &item, it, &at);
            else
                rc = jd_fail_unexpected(j, "a value");
            if (rc < 0)
                break;
            bad |= rc == 1;
        } while ((rc = jd_next_item(j)) == 1);
    }
    if (rc < 0) {
        jd_vec_release(j, &x);
        return rc;
    }
    size_t n = x.n;
    if ((rc = jd_vec_finish(j, &x, &v)) != 0)
        return rc;
    if (bad)
        return 1;
    rc = schema_check_count(&j->d->sink, f, n, path);
    if (rc == 0)
        rc = schema_check_ids(j->d, f, v, n, path);
    if (rc == 0) {
        out->v = v;
        out->n = n;
    }
    return rc;
}

/* A list field: an array of item_type values (objects of f->ref). */
JD_OUTLINE static int jd_list(jdec *j, const kiln_field *f, kiln_list *out,
                              const schema_path *path)
{
    int rc = jd_enter(j);
    jd_vec x;
    bool bad = false;
    void *v;
    if (rc)
        return rc;
    jd_vec_init(j, &x, f->item_size);
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        j->depth--;
    } else {
        kiln_field item;
        schema_item_field(f, &item);
        do {
            schema_path at = {path, NULL, x.n};
            void *it = jd_vec_push(&x);
            if (!it)
                rc = KILN_ENOMEM;
            else if (j->p < j->end)
                rc = jd_value(j, &item, it, &at);
            else
                rc = jd_fail_unexpected(j, "a value");
            if (rc < 0)
                break;
            bad |= rc == 1;
        } while ((rc = jd_next_item(j)) == 1);
    }
    if (rc < 0) {
        jd_vec_release(j, &x);
        return rc;
    }
    size_t n = x.n;
    if ((rc = jd_vec_finish(j, &x, &v)) != 0)
        return rc;
    if (bad)
        return 1;
    rc = schema_check_count(&j->d->sink, f, n, path);
    if (rc == 0) {
        out->v = v;
        out->n = n;
    }
    return rc;
}

/*
 * Reads the value at j->p (not at the end) as field f of obj. Returns 0
 * (set), 1 (an error was added and the value skipped) or a negative
 * KILN_E* code (the decode stops).
 */
static int jd_value(jdec *j, const kiln_field *f, void *obj,
                    const schema_path *path)
{
    char c = *j->p;
    void *dst = (char *)obj + f->offset;
    int rc;
    if (c == 'n') {
        if ((rc = jd_literal(j, "null", 4)) != 0)
            return rc;
        if (!(f->flags & KILN_FF_OPTIONAL))
            return schema_error(&j->d->sink, path, "null", "may not be null");
        schema_set_has(f, obj, false);
        return 0;
    }
    switch (f->type) {
    case KILN_FT_INT:
    case KILN_FT_REF:
        if (c != '-' && (c < '0' || c > '9'))
            return jd_wrong_type(j, f, path);
        rc = jd_int(j, f, dst, path);
        break;
    case KILN_FT_FLOAT: {
        jd_num n;
        double d;
        if (c != '-' && (c < '0' || c > '9'))
            return jd_wrong_type(j, f, path);
        if ((rc = jd_number(j, &n)) != 0 || (rc = jd_double(j, &n, &d)) != 0)
            return rc;
        rc = schema_check_float(&j->d->sink, f, d, path);
        if (rc == 0)
            *(double *)dst = d;
        break;
    }
    case KILN_FT_DECIMAL:
        if (c == '"') {
            kiln_str s;
            if ((rc = jd_string(j, &s)) != 0)
                return rc;
            rc = schema_text(j->d, f, s, dst, path);
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            jd_num n;
            if ((rc = jd_number(j, &n)) != 0)
                return rc;
            rc = schema_text(j->d, f, n.text, dst, path);
        } else {
            return jd_wrong_type(j, f, path);
        }
        break;
    case KILN_FT_BOOL:
        if (c == 't')
            rc = jd_literal(j, "true", 4);
        else if (c == 'f')
            rc = jd_literal(j, "false", 5);
        else
            return jd_wrong_type(j, f, path);
        if (rc == 0)
            *(bool *)dst = c == 't';
        break;
    case KILN_FT_STRING:
    case KILN_FT_TEXT:
    case KILN_FT_EMAIL:
    case KILN_FT_URL:
    case KILN_FT_DATE:
    case KILN_FT_DATETIME:
    case KILN_FT_TIME:
    case KILN_FT_UUID:
    case KILN_FT_ENUM: {
        kiln_str s;
        if (c != '"')
            return jd_wrong_type(j, f, path);
        if ((rc = jd_string(j, &s)) != 0)
            return rc;
        rc = schema_text(j->d, f, s, dst, path);
        break;
    }
    case KILN_FT_JSON:
        rc = jd_json_text(j, dst);
        break;
    case KILN_FT_MANY:
        if (c != '[')
            return jd_wrong_type(j, f, path);
        rc = jd_many(j, f, dst, path);
        break;
    case KILN_FT_LIST:
        if (c != '[')
            return jd_wrong_type(j, f, path);
        rc = jd_list(j, f, dst, path);
        break;
    case KILN_FT_OBJECT: {
        if (c != '{')
            return jd_wrong_type(j, f, path);
        /* a nested object is replaced whole, also in PATCH */
        int mode = j->d->mode;
        if (mode == KILN_DECODE_PATCH)
            j->d->mode = KILN_DECODE_REPLACE;
        rc = jd_object(j, f->ref, dst, path, NULL);
        j->d->mode = mode;
        break;
    }
    case KILN_FT_FILE:
        schema_error(&j->d->sink, path, "not_a_file",
                     "expected a file (send multipart/form-data)");
        rc = jd_skip(j, NULL);
        return rc ? rc : 1;
    default:
        return jd_wrong_type(j, f, path);
    }
    if (rc == 0)
        schema_set_has(f, obj, true);
    return rc;
}

/* ---- objects ---------------------------------------------------------- */

/* The field named key in m, trying *next (declaration order) first. */
static inline int jd_lookup(const kiln_model *m, kiln_str key, uint32_t *next)
{
    uint32_t i = *next;
    if (i < m->nfields) {
        const char *name = m->fields[i].name;
        size_t k = 0;
        while (k < key.n && name[k] && name[k] == key.p[k])
            k++;
        if (k == key.n && name[k] == '\0') {
            *next = i + 1;
            return (int)i;
        }
    }
    int k = kiln_model_field(m, key);
    if (k >= 0)
        *next = (uint32_t)k + 1;
    return k;
}

/*
 * Reads the object at j->p (at its '{') as model m into obj; fields it
 * does not give are handled by schema_absent. *given (when not NULL) gets
 * the fields given, read-only ones left out. Returns 0, 1 (errors added)
 * or a negative KILN_E* code.
 */
static int jd_object(jdec *j, const kiln_model *m, void *obj,
                     const schema_path *path, kiln_fieldset *given)
{
    kiln_fieldset seen = {{0}}, set = {{0}};
    uint32_t next = 0, nset = 0;
    size_t errs_before = j->d->sink.errs->n + j->d->sink.errs->dropped;
    int rc = jd_enter(j);
    if (rc)
        return rc;
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        j->depth--;
        goto done;
    }
    for (;;) {
        kiln_str key;
        int i = -1;
        if (j->p == j->end || *j->p != '"')
            return jd_fail_unexpected(j, "a string key");
        if (next < m->nfields) {
            /* the fast path: the key is the next field's name, verbatim.
               A name is a C identifier (it names the struct member), so
               bytes equal to it need no UTF-8 or escape check. */
            const char *name = m->fields[next].name, *k = j->p + 1;
            size_t n = 0, room = (size_t)(j->end - k);
            while (n < room && name[n] && name[n] == k[n])
                n++;
            if (!name[n] && n < room && k[n] == '"') {
                key = (kiln_str){k, n};
                i = (int)next++;
                j->p = k + n + 1;
            }
        }
        if (i < 0) {
            if ((rc = jd_string(j, &key)) != 0)
                return rc;
            i = jd_lookup(m, key, &next);
        }
        jd_ws(j);
        if (j->p == j->end || *j->p != ':')
            return jd_fail_unexpected(j, "':' after the key");
        j->p++;
        jd_ws(j);
        if (j->p == j->end)
            return jd_fail_unexpected(j, "a value");
        schema_path at = {path, key.p, key.n};
        if (i < 0) {
            if (!(m->flags & KILN_MF_ALLOW_UNKNOWN))
                schema_error(&j->d->sink, &at, "unknown_field",
                             "unknown field");
            rc = jd_skip(j, NULL);
        } else if (kiln_fieldset_has(&seen, (unsigned)i)) {
            schema_error(&j->d->sink, &at, "duplicate_field",
                         "given more than once");
            rc = jd_skip(j, NULL);
        } else {
            const kiln_field *f = &m->fields[i];
            schema_fieldset_add(&seen, (unsigned)i);
            if (f->flags & KILN_FF_READ_ONLY) {
                rc = jd_skip(j, NULL); /* set by the server: ignored */
            } else {
                schema_fieldset_add(&set, (unsigned)i);
                nset++;
                rc = jd_value(j, f, obj, &at);
            }
        }
        if (rc < 0)
            return rc;
        jd_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            jd_ws(j);
            continue;
        }
        if (j->p < j->end && *j->p == '}') {
            j->p++;
            j->depth--;
            break;
        }
        return jd_fail_unexpected(j, "',' or '}'");
    }
done:
    if (given)
        *given = set;
    if (nset < m->nfields &&
        (rc = schema_absent(j->d, m, obj, &set, path)) != 0)
        return rc;
    return j->d->sink.errs->n + j->d->sink.errs->dropped > errs_before;
}

/* ---- entry points ----------------------------------------------------- */

int schema_json_field(schema_dec *d, const kiln_field *f, kiln_str t, void *obj,
                      const schema_path *path)
{
    jdec j = {.d = d, .begin = t.p, .p = t.p, .end = t.p + t.n};
    jd_ws(&j);
    if (j.p == j.end)
        return KILN_EPARSE;
    int rc = jd_value(&j, f, obj, path);
    free(j.spare);
    if (rc >= 0) {
        jd_ws(&j);
        if (j.p != j.end)
            return KILN_EPARSE;
    }
    return rc;
}

int kiln_decode_json(const kiln_model *m, const char *p, size_t n,
                     const kiln_decode_opts *o, kiln_arena *a, void *out,
                     kiln_fieldset *given, kiln_errors *errs,
                     kiln_json_error *perr)
{
    static const kiln_decode_opts defaults;
    kiln_fieldset set = {{0}};
    schema_dec d = {.a = a};
    if (!o)
        o = &defaults;
    d.mode = o->mode;
    d.max_depth = o->max_depth > 0 ? o->max_depth : 64;
    schema_sink_init(&d.sink, errs, "");
    kiln_buf_init(&d.tmp);
    if (!p)
        p = "";
    jdec j = {.d = &d, .begin = p, .p = p, .end = p + n, .perr = perr};
    size_t before = errs->n + errs->dropped;
    int rc;
    memset(out, 0, m->size);
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        rc = jd_fail(&j, p, "byte order mark not allowed");
    } else {
        jd_ws(&j);
        if (j.p == j.end) {
            rc = jd_fail_unexpected(&j, "a value");
        } else if (*j.p == '{') {
            rc = jd_object(&j, m, out, NULL, &set);
        } else {
            char c = *j.p;
            rc = jd_skip(&j, NULL);
            if (rc == 0)
                schema_error(&d.sink, NULL, "type",
                             "expected an object, got %s", jd_kind(c));
        }
        if (rc >= 0) {
            jd_ws(&j);
            if (j.p != j.end)
                rc = jd_fail_unexpected(&j, "the end of input");
        }
    }
    if (rc >= 0 && d.sink.rc)
        rc = d.sink.rc;
    free(j.spare);
    kiln_buf_deinit(&d.tmp);
    schema_sink_deinit(&d.sink);
    if (given)
        *given = set;
    if (rc < 0)
        return rc;
    return errs->n + errs->dropped > before ? KILN_EINVAL : 0;
}
