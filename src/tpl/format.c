/*
 * tpl/format.c - everything the renderer writes: HTML escaping, Python's
 * str() and repr() of values, and JSON the way Jinja2's |tojson writes it.
 *
 * Byte-identical to Jinja2 is the goal, so:
 *   - escaping is MarkupSafe's: & < > " ' become &amp; &lt; &gt; &#34; &#39;
 *   - ints print as Python's str(int); floats as repr(float): the shortest
 *     digits that read back to the same double, in fixed notation when the
 *     decimal exponent is in [-4, 16), else d.ddde+XX; integral floats keep
 *     ".0"; nan, inf, -inf
 *   - None, True, False; lists [1, 'a'], tuples (1,), dicts {'k': 1} with
 *     Python's string repr (quote choice, \n \t \\ \xNN escapes)
 *   - tojson is json.dumps(sort_keys=True) (ASCII only, ", " and ": "
 *     separators, NaN/Infinity) with < > & ' then written as \u003c \u003e
 *     \u0026 \u0027, so the result is safe inside <script> and in an HTML
 *     attribute quoted with either quote. kiln_json_put_str is not reused
 *     here because it writes UTF-8 as it is and escapes "</": correct JSON,
 *     but not the bytes Jinja2 produces.
 *
 * Everything appends to the render's output buffer through tpl_put, which
 * enforces max_output; strings that are needed as values are built there
 * too and cut back out (tpl_capture_end), so no scratch buffer is needed.
 */
#include "tpl/tpl.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- output ------------------------------------------------------------ */

int tpl_put_slow(tpl_render *r, const char *p, size_t n)
{
    kiln_buf *b = r->out;
    size_t max = r->set->opt.max_output, used = b->n - r->out_start;
    if (max && (used > max || n > max - used))
        return tpl_fail(r, KILN_ELIMIT, UINT32_MAX,
                        "output larger than max_output (%zu bytes)", max);
    /* grow geometrically; the room is what kiln_buf_reserve promised */
    size_t want = n > b->n ? n : b->n;
    if (want < 4096)
        want = 4096;
    if (kiln_buf_reserve(b, want) != 0)
        return tpl_nomem(r);
    r->room = want;
    if (max && r->room > max - used)
        r->room = max - used;
    return tpl_put(r, p, n);
}

int tpl_put_long(tpl_render *r, const char *p, size_t n)
{
    kiln_buf *b = r->out;
    assert(n <= r->room);
    memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = '\0';
    r->room -= n;
    return 0;
}

void tpl_out_truncate(tpl_render *r, size_t mark)
{
    kiln_buf *b = r->out;
    assert(mark <= b->n && mark >= r->out_start);
    r->room += b->n - mark;
    b->n = mark;
    b->p[mark] = '\0';
}

/* The replacement of each byte MarkupSafe escapes (NULL: none). */
static const struct {
    const char *s;
    size_t n;
} tpl_esc[256] = {
    ['&'] = {"&amp;", 5}, ['<'] = {"&lt;", 4},   ['>'] = {"&gt;", 4},
    ['"'] = {"&#34;", 5}, ['\''] = {"&#39;", 5},
};

/*
 * The scan skips 16 bytes at a time while none of them needs escaping
 * (GCC/Clang vector extensions: SSE2 on x86-64, NEON on arm64), then
 * looks at single bytes until the next clean block.
 */
typedef unsigned char tpl_v16 __attribute__((vector_size(16)));

static inline bool esc_block_clean(const char *p)
{
    tpl_v16 x;
    memcpy(&x, p, 16);
    tpl_v16 hit = (tpl_v16)((x == '&') | (x == '<') | (x == '>') | (x == '"') |
                            (x == '\''));
    uint64_t h[2];
    memcpy(h, &hit, 16);
    return (h[0] | h[1]) == 0;
}

int kiln_html_escape(kiln_buf *b, const char *p, size_t n)
{
    size_t i = 0, run = 0;
    int rc;
    while (i < n) {
        if (n - i >= 16 && esc_block_clean(p + i)) {
            i += 16;
            continue;
        }
        unsigned char c = (unsigned char)p[i];
        if (!tpl_esc[c].s) {
            i++;
            continue;
        }
        if ((i > run && (rc = kiln_buf_append(b, p + run, i - run))) ||
            (rc = kiln_buf_append(b, tpl_esc[c].s, tpl_esc[c].n)))
            return rc;
        run = ++i;
    }
    return n > run ? kiln_buf_append(b, p + run, n - run) : 0;
}

int tpl_put_escaped(tpl_render *r, const char *p, size_t n)
{
    size_t i = 0, run = 0;
    int rc;
    while (i < n) {
        if (n - i >= 16) {
            if (esc_block_clean(p + i)) {
                i += 16;
                continue;
            }
        } else if (n >= 16 && esc_block_clean(p + n - 16)) {
            break; /* the last 16 bytes (overlapping the done ones) are clean */
        }
        unsigned char c = (unsigned char)p[i];
        if (!tpl_esc[c].s) {
            i++;
            continue;
        }
        if ((i > run && (rc = tpl_put(r, p + run, i - run))) ||
            (rc = tpl_put(r, tpl_esc[c].s, tpl_esc[c].n)))
            return rc;
        run = ++i;
    }
    return n > run ? tpl_put(r, p + run, n - run) : 0;
}

static int put_maybe(tpl_render *r, const char *p, size_t n, bool escape)
{
    return escape ? tpl_put_escaped(r, p, n) : tpl_put(r, p, n);
}

static int put_lit(tpl_render *r, const char *s)
{
    return tpl_put(r, s, strlen(s));
}

int tpl_capture_end(tpl_render *r, size_t mark, kiln_str *out)
{
    kiln_buf *b = r->out;
    assert(mark <= b->n);
    size_t n = b->n - mark;
    char *p = kiln_arena_alloc(r->a, n + 1);
    if (!p) {
        tpl_out_truncate(r, mark);
        return tpl_nomem(r);
    }
    memcpy(p, b->p + mark, n);
    p[n] = '\0';
    tpl_out_truncate(r, mark);
    out->p = p;
    out->n = n;
    return 0;
}

/* ---- numbers ----------------------------------------------------------- */

/* "00" .. "99": two digits per division when printing integers. */
static const char tpl_digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536"
    "37383940414243444546474849505152535455565758596061626364656667686970717273"
    "7475767778798081828384858687888990919293949596979899";

size_t tpl_fmt_int(char *buf, int64_t v)
{
    char tmp[24];
    size_t i = sizeof(tmp);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    while (u >= 100) {
        unsigned d = (unsigned)(u % 100);
        u /= 100;
        tmp[--i] = tpl_digits2[2 * d + 1];
        tmp[--i] = tpl_digits2[2 * d];
    }
    if (u >= 10) {
        tmp[--i] = tpl_digits2[2 * u + 1];
        tmp[--i] = tpl_digits2[2 * u];
    } else {
        tmp[--i] = (char)('0' + u);
    }
    if (v < 0)
        tmp[--i] = '-';
    size_t n = sizeof(tmp) - i;
    memcpy(buf, tmp + i, n);
    buf[n] = '\0';
    return n;
}

int tpl_put_int(tpl_render *r, int64_t v)
{
    if (v >= 0 && v < 100) { /* ids, counts, indexes */
        if (v < 10) {
            char c = (char)('0' + v);
            return tpl_put(r, &c, 1);
        }
        return tpl_put(r, tpl_digits2 + 2 * v, 2);
    }
    char buf[24];
    size_t n = tpl_fmt_int(buf, v);
    if (n > 20)
        __builtin_unreachable();
    return tpl_put(r, buf, n);
}

size_t tpl_fmt_float(char *buf, double d)
{
    if (isnan(d))
        return (size_t)sprintf(buf, "nan");
    if (isinf(d))
        return (size_t)sprintf(buf, d < 0 ? "-inf" : "inf");
    if (d == 0)
        return (size_t)sprintf(buf, signbit(d) ? "-0.0" : "0.0");
    char tmp[40];
    for (int prec = 0; prec <= 16; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    /* tmp is [-]D[.DDD]e[+-]XX: collect the digits and the exponent */
    const char *p = tmp;
    bool neg = *p == '-';
    if (neg)
        p++;
    char dig[24];
    size_t nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            dig[nd++] = *p;
    int exp = atoi(p + 1);
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;
    int decpt = exp + 1; /* the value is 0.DIGITS x 10^decpt */
    size_t w = 0;
    if (neg)
        buf[w++] = '-';
    if (decpt <= -4 || decpt > 16) {
        buf[w++] = dig[0];
        if (nd > 1) {
            buf[w++] = '.';
            memcpy(buf + w, dig + 1, nd - 1);
            w += nd - 1;
        }
        w += (size_t)sprintf(buf + w, "e%c%02d", exp < 0 ? '-' : '+',
                             exp < 0 ? -exp : exp);
    } else if (decpt <= 0) {
        buf[w++] = '0';
        buf[w++] = '.';
        for (int i = 0; i < -decpt; i++)
            buf[w++] = '0';
        memcpy(buf + w, dig, nd);
        w += nd;
    } else if ((size_t)decpt >= nd) {
        memcpy(buf + w, dig, nd);
        w += nd;
        for (size_t i = nd; i < (size_t)decpt; i++)
            buf[w++] = '0';
        buf[w++] = '.';
        buf[w++] = '0';
    } else {
        memcpy(buf + w, dig, (size_t)decpt);
        w += (size_t)decpt;
        buf[w++] = '.';
        memcpy(buf + w, dig + decpt, nd - (size_t)decpt);
        w += nd - (size_t)decpt;
    }
    buf[w] = '\0';
    return w;
}

/* ---- Python str() and repr() ------------------------------------------- */

/* Decodes the code point at s[*i] (advancing *i); -1 for a bad byte. */
static int32_t utf8_next(const char *s, size_t n, size_t *i)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned char c = u[*i];
    int len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (len == 0 || *i + (size_t)len > n) {
        (*i)++;
        return -1;
    }
    int32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (int k = 1; k < len; k++) {
        if ((u[*i + k] & 0xC0) != 0x80) {
            (*i)++;
            return -1;
        }
        cp = (cp << 6) | (u[*i + k] & 0x3F);
    }
    *i += (size_t)len;
    return cp;
}

/* Code points Python's str.isprintable() rejects, beyond ASCII controls
 * (the common ones: C1 controls, separators and format characters). */
static bool py_unprintable(int32_t cp)
{
    return (cp >= 0x80 && cp <= 0xA0) || cp == 0xAD ||
           (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) ||
           (cp >= 0x205F && cp <= 0x2064) || cp == 0x1680 || cp == 0x3000 ||
           cp == 0xFEFF;
}

/* Appends Python's repr() of the string s (quotes included). */
static int write_str_repr(tpl_render *r, kiln_str s, bool escape)
{
    bool sq = memchr(s.p, '\'', s.n) != NULL;
    bool dq = memchr(s.p, '"', s.n) != NULL;
    char q = sq && !dq ? '"' : '\'';
    int rc = put_maybe(r, &q, 1, escape);
    size_t i = 0, run = 0;
    while (!rc && i < s.n) {
        size_t at = i;
        unsigned char c = (unsigned char)s.p[i];
        char e[16];
        e[0] = 0;
        if (c == (unsigned char)q || c == '\\') {
            sprintf(e, "\\%c", c);
            i++;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            sprintf(e, "\\%c", c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            sprintf(e, "\\x%02x", c);
            i++;
        } else if (c < 0x80) {
            i++;
        } else {
            int32_t cp = utf8_next(s.p, s.n, &i);
            if (cp >= 0 && py_unprintable(cp))
                sprintf(e, cp < 0x100 ? "\\x%02x" : "\\u%04x", (unsigned)cp);
        }
        if (e[0]) {
            if ((at > run &&
                 (rc = put_maybe(r, s.p + run, at - run, escape))) ||
                (rc = put_maybe(r, e, strlen(e), escape)))
                return rc;
            run = i;
        }
    }
    if (!rc && s.n > run)
        rc = put_maybe(r, s.p + run, s.n - run, escape);
    return rc ? rc : put_maybe(r, &q, 1, escape);
}

/* Appends buf[0..n) where n <= cap is known to the compiler. */
static inline int put_buf(tpl_render *r, const char *buf, size_t n, size_t cap)
{
    if (n > cap)
        __builtin_unreachable();
    return tpl_put(r, buf, n);
}

/* Writes the number or constant scalars; returns 1 when v is not one. */
static int write_scalar(tpl_render *r, kiln_value v)
{
    char buf[40];
    switch (v.type) {
    case KILN_VALUE_NULL:
        return tpl_put(r, "None", 4);
    case KILN_VALUE_BOOL:
        return v.u.b ? tpl_put(r, "True", 4) : tpl_put(r, "False", 5);
    case KILN_VALUE_INT:
        return put_buf(r, buf, tpl_fmt_int(buf, v.u.i), 24);
    case KILN_VALUE_FLOAT:
        return put_buf(r, buf, tpl_fmt_float(buf, v.u.f), 32);
    default:
        return 1;
    }
}

static int write_repr(tpl_render *r, kiln_value v, bool escape, int depth);

/* Writes a map or object as {'k': v, ...}. */
static int write_map_repr(tpl_render *r, kiln_value v, bool escape, int depth)
{
    tpl_seq s;
    int rc = tpl_seq_init(r, UINT32_MAX, v, &s);
    if (rc || (rc = put_lit(r, "{")))
        return rc;
    for (size_t i = 0; i < s.n && !rc; i++) {
        kiln_value k, val = {0};
        if ((rc = tpl_seq_at(r, &s, i, &k)))
            break;
        kiln_value_get(v, k.u.s, r->a, &val);
        if ((i && (rc = put_lit(r, ", "))) ||
            (rc = write_str_repr(r, k.u.s, escape)) || (rc = put_lit(r, ": ")))
            break;
        rc = write_repr(r, val, escape, depth + 1);
    }
    return rc ? rc : put_lit(r, "}");
}

static int write_repr(tpl_render *r, kiln_value v, bool escape, int depth)
{
    int rc = write_scalar(r, v);
    if (rc <= 0)
        return rc;
    if (depth > 64)
        return put_maybe(r, "[...]", 5, escape);
    char buf[80];
    switch (v.type) {
    case KILN_VALUE_STRING:
        if (v.flags & TPL_F_SAFE) {
            if ((rc = put_maybe(r, "Markup(", 7, escape)) ||
                (rc = write_str_repr(r, v.u.s, escape)))
                return rc;
            return put_lit(r, ")");
        }
        return write_str_repr(r, v.u.s, escape);
    case KILN_VALUE_LIST: {
        bool tuple = v.flags & TPL_F_TUPLE;
        const tpl_list *l = v.u.list;
        if ((rc = put_lit(r, tuple ? "(" : "[")))
            return rc;
        for (size_t i = 0; i < l->n && !rc; i++) {
            if (i && (rc = put_lit(r, ", ")))
                break;
            rc = write_repr(r, l->items[i], escape, depth + 1);
        }
        if (!rc && tuple && l->n == 1)
            rc = put_lit(r, ",");
        return rc ? rc : put_lit(r, tuple ? ")" : "]");
    }
    case KILN_VALUE_MAP:
    case KILN_VALUE_OBJECT:
        if (v.flags & TPL_F_NS) {
            if ((rc = put_maybe(r, "<Namespace ", 11, escape)) ||
                (rc = write_map_repr(r, v, escape, depth)))
                return rc;
            return put_maybe(r, ">", 1, escape);
        }
        return write_map_repr(r, v, escape, depth);
    case TPL_V_UNDEF:
        return put_lit(r, "Undefined");
    case TPL_V_RANGE: {
        const tpl_range *g = v.u.pair.a;
        int64_t stop = g->start + (int64_t)g->n * g->step;
        if (g->step == 1)
            snprintf(buf, sizeof(buf), "range(%lld, %lld)", (long long)g->start,
                     (long long)stop);
        else
            snprintf(buf, sizeof(buf), "range(%lld, %lld, %lld)",
                     (long long)g->start, (long long)stop, (long long)g->step);
        return put_lit(r, buf);
    }
    case TPL_V_MACRO: {
        const tpl_macro *m = v.u.pair.a;
        snprintf(buf, sizeof(buf), "<Macro '%.*s'>",
                 (int)(m->name.n > 40 ? 40 : m->name.n), m->name.p);
        return put_maybe(r, buf, strlen(buf), escape);
    }
    case TPL_V_LOOP: {
        const tpl_loop *lp = v.u.pair.a;
        snprintf(buf, sizeof(buf), "<LoopContext %zu/%zu>", lp->index0 + 1,
                 lp->length);
        return put_maybe(r, buf, strlen(buf), escape);
    }
    default:
        snprintf(buf, sizeof(buf), "<%s>", tpl_type_name(v));
        return put_maybe(r, buf, strlen(buf), escape);
    }
}

int tpl_write_repr(tpl_render *r, kiln_value v, bool escape)
{
    return write_repr(r, v, escape, 0);
}

int tpl_write_str(tpl_render *r, kiln_value v, bool escape)
{
    if (v.type == KILN_VALUE_STRING)
        return put_maybe(r, v.u.s.p, v.u.s.n, escape);
    if (v.type == TPL_V_UNDEF)
        return 0;
    return write_repr(r, v, escape, 0);
}

int tpl_to_str(tpl_render *r, kiln_value v, kiln_str *out)
{
    switch (v.type) {
    case KILN_VALUE_STRING:
        *out = v.u.s;
        return 0;
    case TPL_V_UNDEF:
        *out = KILN_STR("");
        return 0;
    case KILN_VALUE_NULL:
        *out = KILN_STR("None");
        return 0;
    case KILN_VALUE_BOOL:
        *out = v.u.b ? KILN_STR("True") : KILN_STR("False");
        return 0;
    default: {
        size_t mark = r->out->n;
        int rc = write_repr(r, v, false, 0);
        if (rc) {
            tpl_out_truncate(r, mark);
            return rc;
        }
        return tpl_capture_end(r, mark, out);
    }
    }
}

int tpl_emit_slow(tpl_render *r, kiln_value v)
{
    switch (v.type) {
    case KILN_VALUE_STRING:
    case KILN_VALUE_INT:
        return tpl_emit(r, v);
    case TPL_V_UNDEF:
        return 0;
    default: {
        int rc = write_scalar(r, v);
        return rc <= 0 ? rc : write_repr(r, v, r->autoescape, 0);
    }
    }
}

/* ---- JSON as Jinja2's tojson ------------------------------------------- */

/* Appends s as a JSON string: ASCII only, and < > & ' as \u escapes. */
static int json_str(tpl_render *r, kiln_str s)
{
    static const char hex[] = "0123456789abcdef";
    int rc = tpl_put(r, "\"", 1);
    size_t i = 0, run = 0;
    while (!rc && i < s.n) {
        size_t at = i;
        unsigned char c = (unsigned char)s.p[i];
        char e[16];
        size_t en = 0;
        if (c == '"' || c == '\\') {
            e[0] = '\\';
            e[1] = (char)c;
            en = 2;
            i++;
        } else if (c >= 0x20 && c < 0x7F && c != '<' && c != '>' && c != '&' &&
                   c != '\'') {
            i++;
            continue;
        } else {
            int32_t cp = c < 0x80 ? (i++, (int32_t)c) : utf8_next(s.p, s.n, &i);
            const char *shortf = cp == '\n'   ? "\\n"
                                 : cp == '\r' ? "\\r"
                                 : cp == '\t' ? "\\t"
                                 : cp == '\b' ? "\\b"
                                 : cp == '\f' ? "\\f"
                                              : NULL;
            if (cp < 0)
                cp = 0xFFFD; /* an invalid byte: what a UTF-8 decoder makes */
            if (shortf) {
                memcpy(e, shortf, 2);
                en = 2;
            } else {
                uint32_t u = (uint32_t)cp, units[2];
                int nu = 1;
                units[0] = u;
                if (u >= 0x10000) {
                    u -= 0x10000;
                    units[0] = 0xD800 | (u >> 10);
                    units[1] = 0xDC00 | (u & 0x3FF);
                    nu = 2;
                }
                for (int k = 0; k < nu; k++) {
                    e[en++] = '\\';
                    e[en++] = 'u';
                    for (int sh = 12; sh >= 0; sh -= 4)
                        e[en++] = hex[(units[k] >> sh) & 15];
                }
            }
        }
        if ((at > run && (rc = tpl_put(r, s.p + run, at - run))) ||
            (rc = tpl_put(r, e, en)))
            return rc;
        run = i;
    }
    if (!rc && s.n > run)
        rc = tpl_put(r, s.p + run, s.n - run);
    return rc ? rc : tpl_put(r, "\"", 1);
}

/* Sorts keys (insertion sort into an arena array is fine for page-sized
 * maps; a merge would not change the output). */
static int json_keys(tpl_render *r, const tpl_seq *s, kiln_str **out)
{
    kiln_str *k = kiln_arena_alloc(r->a, (s->n ? s->n : 1) * sizeof(*k));
    if (!k)
        return tpl_nomem(r);
    for (size_t i = 0; i < s->n; i++) {
        kiln_value kv;
        int rc = tpl_seq_at(r, s, i, &kv);
        if (rc)
            return rc;
        size_t j = i;
        while (j > 0) {
            kiln_str a = k[j - 1], b = kv.u.s;
            size_t m = a.n < b.n ? a.n : b.n;
            int c = m ? memcmp(a.p, b.p, m) : 0;
            if (c < 0 || (c == 0 && a.n <= b.n))
                break;
            k[j] = k[j - 1];
            j--;
        }
        k[j] = kv.u.s;
    }
    *out = k;
    return 0;
}

static int json_indent(tpl_render *r, int indent, int level)
{
    int rc = tpl_put(r, "\n", 1);
    for (int i = 0; !rc && i < indent * level; i++)
        rc = tpl_put(r, " ", 1);
    return rc;
}

/* depth: nesting level; the indent width rides in r (see tpl_write_json). */
static int write_json(tpl_render *r, const tpl_expr *e, kiln_value v,
                      int indent, int level)
{
    char buf[40];
    int rc;
    if (level > 128)
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "value nests too deep for json");
    if ((rc = tpl_check_stack(r, e->pos)))
        return rc;
    const char *sep = indent ? "," : ", ";
    switch (v.type) {
    case KILN_VALUE_NULL:
        return put_lit(r, "null");
    case KILN_VALUE_BOOL:
        return put_lit(r, v.u.b ? "true" : "false");
    case KILN_VALUE_INT:
        return tpl_put(r, buf, tpl_fmt_int(buf, v.u.i));
    case KILN_VALUE_FLOAT:
        if (isnan(v.u.f))
            return put_lit(r, "NaN");
        if (isinf(v.u.f))
            return put_lit(r, v.u.f < 0 ? "-Infinity" : "Infinity");
        return tpl_put(r, buf, tpl_fmt_float(buf, v.u.f));
    case KILN_VALUE_STRING:
        return json_str(r, v.u.s);
    case KILN_VALUE_LIST:
    case TPL_V_RANGE: {
        tpl_seq s;
        if ((rc = tpl_seq_init(r, e->pos, v, &s)) || (rc = put_lit(r, "[")))
            return rc;
        for (size_t i = 0; i < s.n && !rc; i++) {
            kiln_value it;
            if ((i && (rc = put_lit(r, sep))) ||
                (indent && (rc = json_indent(r, indent, level + 1))) ||
                (rc = tpl_seq_at(r, &s, i, &it)))
                break;
            rc = write_json(r, e, it, indent, level + 1);
        }
        if (!rc && indent && s.n)
            rc = json_indent(r, indent, level);
        return rc ? rc : put_lit(r, "]");
    }
    case KILN_VALUE_MAP:
    case KILN_VALUE_OBJECT: {
        tpl_seq s;
        kiln_str *keys = NULL;
        if ((rc = tpl_seq_init(r, e->pos, v, &s)) ||
            (rc = json_keys(r, &s, &keys)) || (rc = put_lit(r, "{")))
            return rc;
        for (size_t i = 0; i < s.n && !rc; i++) {
            kiln_value it = {0};
            kiln_value_get(v, keys[i], r->a, &it);
            if ((i && (rc = put_lit(r, sep))) ||
                (indent && (rc = json_indent(r, indent, level + 1))) ||
                (rc = json_str(r, keys[i])) || (rc = put_lit(r, ": ")))
                break;
            rc = write_json(r, e, it, indent, level + 1);
        }
        if (!rc && indent && s.n)
            rc = json_indent(r, indent, level);
        return rc ? rc : put_lit(r, "}");
    }
    default:
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "object of type '%s' is not JSON serializable",
                        tpl_type_name(v));
    }
}

int tpl_write_json(tpl_render *r, const tpl_expr *e, kiln_value v, int indent)
{
    return write_json(r, e, v, indent < 0 ? 0 : indent, 0);
}
