/*
 * tpl/lex.c - the template lexer (see tpl/lex.h).
 *
 * Text: the lexer finds the next "{{", "{%" or "{#" and returns the text
 * before it, after whitespace control:
 *   "{%-" "{{-" "{#-"  strip all whitespace that ends the text
 *   "-%}" "-}}" "-#}"  strip all whitespace that starts the next text
 *   trim_blocks        drop one "\n" right after "%}" or "#}" ("+%}" keeps it)
 *   lstrip_blocks      drop blanks between the start of a line and "{%" or
 *                      "{#" ("{%+" keeps them)
 * exactly as Jinja2's lexer does. Comments produce no token.
 *
 * Tags: names [A-Za-z_][A-Za-z0-9_]*, integers and floats with optional
 * '_' separators (after a '.', digits are always an integer so a.0.1 is two
 * subscripts), strings in ' or " with Python's escapes (\n \t \\ \' \" \xhh
 * \uhhhh \Uhhhhhhhh, octal, \a \b \f \v \r, backslash-newline; any other
 * "\c" stays as it is), and operators.
 */
#include "tpl/lex.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tpl_lex_init(tpl_lexer *lx, const char *src, size_t n, kiln_arena *a,
                  bool trim_blocks, bool lstrip_blocks)
{
    memset(lx, 0, sizeof(*lx));
    lx->src = src;
    lx->n = n;
    lx->a = a;
    lx->trim_blocks = trim_blocks;
    lx->lstrip_blocks = lstrip_blocks;
}

/* Records an error at pos; returns KILN_EPARSE. */
static int lex_fail(tpl_lexer *lx, size_t pos, const char *msg)
{
    lx->err_pos = pos;
    snprintf(lx->err, sizeof(lx->err), "%s", msg);
    return KILN_EPARSE;
}

/* The offset of the next "{{", "{%" or "{#" at or after from, or n. */
static size_t lex_find_tag(const tpl_lexer *lx, size_t from)
{
    const char *s = lx->src;
    size_t i = from;
    while (i + 1 < lx->n) {
        const char *b = memchr(s + i, '{', lx->n - 1 - i);
        if (!b)
            return lx->n;
        i = (size_t)(b - s);
        char c = s[i + 1];
        if (c == '{' || c == '%' || c == '#')
            return i;
        i++;
    }
    return lx->n;
}

/* Consumes the whitespace after a closing "-%}" etc., or one "\n" for
 * trim_blocks, as the last tag asked. */
static void lex_apply_after(tpl_lexer *lx)
{
    if (lx->strip_next) {
        while (lx->pos < lx->n && tpl_isspace((unsigned char)lx->src[lx->pos]))
            lx->pos++;
    } else if (lx->trim_nl && lx->pos < lx->n && lx->src[lx->pos] == '\n') {
        lx->pos++;
    }
    lx->strip_next = lx->trim_nl = false;
}

/*
 * Trims text [start, end) that precedes the tag at end (end < n) by the
 * tag's whitespace control; returns the new end.
 */
static size_t lex_trim_before(const tpl_lexer *lx, size_t start, size_t end)
{
    const char *s = lx->src;
    if (end + 2 >= lx->n)
        return end;
    char kind = s[end + 1], sign = s[end + 2];
    if (sign == '-') {
        while (end > start && tpl_isspace((unsigned char)s[end - 1]))
            end--;
        return end;
    }
    if (sign == '+' || !lx->lstrip_blocks || kind == '{')
        return end;
    /* lstrip_blocks: only blanks between the line start and the tag */
    size_t l = end;
    while (l > start && s[l - 1] != '\n')
        l--;
    bool line_start = l > start || start == 0 || s[start - 1] == '\n';
    if (!line_start)
        return end;
    for (size_t i = l; i < end; i++)
        if (!tpl_isspace((unsigned char)s[i]) || s[i] == '\n')
            return end;
    return l;
}

/* Skips a comment that starts at lx->pos ("{#"). */
static int lex_comment(tpl_lexer *lx)
{
    size_t open = lx->pos;
    const char *s = lx->src;
    size_t i = open + 2;
    for (;;) {
        const char *h = i < lx->n ? memchr(s + i, '#', lx->n - i) : NULL;
        if (!h || (size_t)(h - s) + 1 >= lx->n)
            return lex_fail(lx, open, "unclosed comment");
        i = (size_t)(h - s);
        if (s[i + 1] == '}')
            break;
        i++;
    }
    /* i is the '#' of "#}" */
    bool minus = i > open + 2 && s[i - 1] == '-';
    bool plus = i > open + 2 && s[i - 1] == '+';
    lx->pos = i + 2;
    lx->strip_next = minus;
    lx->trim_nl = !minus && !plus && lx->trim_blocks;
    return 0;
}

/* Lexes between tags. */
static int lex_data(tpl_lexer *lx, tpl_tok *t)
{
    for (;;) {
        lex_apply_after(lx);
        if (lx->pos >= lx->n) {
            t->kind = TPL_T_EOF;
            t->pos = (uint32_t)lx->n;
            return 0;
        }
        size_t start = lx->pos;
        size_t tag = lex_find_tag(lx, start);
        size_t end = tag < lx->n ? lex_trim_before(lx, start, tag) : tag;
        if (end > start) {
            t->kind = TPL_T_TEXT;
            t->pos = (uint32_t)start;
            t->s.p = lx->src + start;
            t->s.n = end - start;
            lx->pos = tag;
            return 0;
        }
        lx->pos = tag;
        if (tag >= lx->n)
            continue;
        char kind = lx->src[tag + 1];
        if (kind == '#') {
            int rc = lex_comment(lx);
            if (rc)
                return rc;
            continue;
        }
        t->kind = kind == '{' ? TPL_T_VAR_BEGIN : TPL_T_BLOCK_BEGIN;
        t->pos = (uint32_t)tag;
        lx->pos = tag + 2;
        if (lx->pos < lx->n &&
            (lx->src[lx->pos] == '-' || lx->src[lx->pos] == '+'))
            lx->pos++;
        lx->tag = t->kind;
        lx->balance = 0;
        lx->after_dot = false;
        return 0;
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Appends code point cp as UTF-8 at *w. */
static char *put_utf8(char *w, uint32_t cp)
{
    if (cp < 0x80) {
        *w++ = (char)cp;
    } else if (cp < 0x800) {
        *w++ = (char)(0xC0 | (cp >> 6));
        *w++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *w++ = (char)(0xE0 | (cp >> 12));
        *w++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *w++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *w++ = (char)(0xF0 | (cp >> 18));
        *w++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *w++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *w++ = (char)(0x80 | (cp & 0x3F));
    }
    return w;
}

/*
 * Decodes the escapes of the string literal body s[0..n) into the arena.
 * The decoded form is never longer than the source (every escape is at
 * least as long as its UTF-8), so one allocation of n + 1 bytes suffices.
 */
static int lex_unescape(tpl_lexer *lx, size_t at, const char *s, size_t n,
                        kiln_str *out)
{
    char *buf = kiln_arena_alloc(lx->a, n + 1);
    if (!buf)
        return KILN_ENOMEM;
    char *w = buf;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\' || i + 1 >= n) {
            *w++ = s[i];
            continue;
        }
        char c = s[++i];
        uint32_t cp = 0;
        int digits = 0;
        switch (c) {
        case '\n':
            continue;
        case '\\':
        case '\'':
        case '"':
            *w++ = c;
            continue;
        case 'a':
            *w++ = '\a';
            continue;
        case 'b':
            *w++ = '\b';
            continue;
        case 'f':
            *w++ = '\f';
            continue;
        case 'n':
            *w++ = '\n';
            continue;
        case 'r':
            *w++ = '\r';
            continue;
        case 't':
            *w++ = '\t';
            continue;
        case 'v':
            *w++ = '\v';
            continue;
        case 'x':
            digits = 2;
            break;
        case 'u':
            digits = 4;
            break;
        case 'U':
            digits = 8;
            break;
        default:
            if (c >= '0' && c <= '7') {
                int k = 0;
                while (k < 3 && i < n && s[i] >= '0' && s[i] <= '7') {
                    cp = cp * 8 + (uint32_t)(s[i] - '0');
                    i++;
                    k++;
                }
                i--;
                w = put_utf8(w, cp);
                continue;
            }
            *w++ = '\\';
            *w++ = c;
            continue;
        }
        for (int k = 0; k < digits; k++) {
            int h = i + 1 < n ? hexval(s[i + 1]) : -1;
            if (h < 0)
                return lex_fail(lx, at + i, "invalid escape in string");
            cp = cp * 16 + (uint32_t)h;
            i++;
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return lex_fail(lx, at + i, "invalid code point in string");
        w = put_utf8(w, cp);
    }
    *w = '\0';
    out->p = buf;
    out->n = (size_t)(w - buf);
    return 0;
}

/* Lexes a string literal at lx->pos. */
static int lex_string(tpl_lexer *lx, tpl_tok *t)
{
    const char *s = lx->src;
    char q = s[lx->pos];
    size_t open = lx->pos, i = open + 1;
    bool esc = false;
    while (i < lx->n && s[i] != q) {
        if (s[i] == '\\') {
            esc = true;
            i++;
        }
        i++;
    }
    if (i >= lx->n)
        return lex_fail(lx, open, "unterminated string");
    t->kind = TPL_T_STRING;
    lx->pos = i + 1;
    if (!esc) {
        t->s.p = s + open + 1;
        t->s.n = i - open - 1;
        return 0;
    }
    return lex_unescape(lx, open + 1, s + open + 1, i - open - 1, &t->s);
}

static bool isdig(char c)
{
    return c >= '0' && c <= '9';
}

/* Scans digits with '_' separators from *i; returns the count of digits. */
static size_t scan_digits(const tpl_lexer *lx, size_t *i)
{
    size_t k = *i, nd = 0;
    while (k < lx->n) {
        if (isdig(lx->src[k])) {
            nd++;
            k++;
        } else if (lx->src[k] == '_' && nd && k + 1 < lx->n &&
                   isdig(lx->src[k + 1])) {
            k++;
        } else {
            break;
        }
    }
    *i = k;
    return nd;
}

/* Lexes a number at lx->pos (a digit). */
static int lex_number(tpl_lexer *lx, tpl_tok *t)
{
    const char *s = lx->src;
    size_t start = lx->pos, i = start;
    scan_digits(lx, &i);
    bool is_float = false;
    if (!lx->after_dot) {
        if (i + 1 < lx->n && s[i] == '.' && isdig(s[i + 1])) {
            i++;
            scan_digits(lx, &i);
            is_float = true;
        }
        if (i < lx->n && (s[i] == 'e' || s[i] == 'E')) {
            size_t k = i + 1;
            if (k < lx->n && (s[k] == '+' || s[k] == '-'))
                k++;
            if (scan_digits(lx, &k)) {
                i = k;
                is_float = true;
            }
        }
    }
    char buf[128];
    size_t w = 0;
    for (size_t k = start; k < i; k++) {
        if (s[k] == '_')
            continue;
        if (w + 1 >= sizeof(buf))
            return lex_fail(lx, start, "number literal too long");
        buf[w++] = s[k];
    }
    buf[w] = '\0';
    lx->pos = i;
    if (is_float) {
        t->kind = TPL_T_FLOAT;
        t->f = strtod(buf, NULL);
        return 0;
    }
    t->kind = TPL_T_INT;
    if (kiln_str_to_i64((kiln_str){buf, w}, &t->i) != 0)
        return lex_fail(lx, start, "integer literal too large");
    return 0;
}

/* Lexes inside a tag. */
static int lex_tag(tpl_lexer *lx, tpl_tok *t)
{
    const char *s = lx->src;
    while (lx->pos < lx->n && tpl_isspace((unsigned char)s[lx->pos]))
        lx->pos++;
    t->pos = (uint32_t)lx->pos;
    if (lx->pos >= lx->n) {
        t->kind = TPL_T_EOF;
        return 0;
    }
    size_t p = lx->pos, left = lx->n - p;
    bool after_dot = lx->after_dot;
    lx->after_dot = false;
    if (lx->balance == 0) {
        bool var = lx->tag == TPL_T_VAR_BEGIN;
        char close = var ? '}' : '%';
        char sign = s[p];
        size_t k = (sign == '-' || (!var && sign == '+')) ? 1 : 0;
        if (left >= k + 2 && s[p + k] == close && s[p + k + 1] == '}') {
            t->kind = var ? TPL_T_VAR_END : TPL_T_BLOCK_END;
            lx->pos = p + k + 2;
            lx->tag = 0;
            lx->strip_next = k && sign == '-';
            lx->trim_nl = !var && !k && lx->trim_blocks;
            return 0;
        }
    }
    char c = s[p];
    if (c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        size_t i = p + 1;
        while (i < lx->n &&
               (s[i] == '_' || isdig(s[i]) || (s[i] >= 'a' && s[i] <= 'z') ||
                (s[i] >= 'A' && s[i] <= 'Z')))
            i++;
        t->kind = TPL_T_NAME;
        t->s.p = s + p;
        t->s.n = i - p;
        lx->pos = i;
        return 0;
    }
    if (isdig(c)) {
        lx->after_dot = after_dot;
        int rc = lex_number(lx, t);
        lx->after_dot = false;
        return rc;
    }
    if (c == '\'' || c == '"')
        return lex_string(lx, t);
    t->kind = TPL_T_OP;
    lx->pos = p + 1;
    char c2 = left > 1 ? s[p + 1] : 0;
    switch (c) {
    case '/':
    case '*':
        if (c2 == c) {
            t->op = c == '/' ? TPL_TOK_FLOORDIV : TPL_TOK_POW;
            lx->pos++;
            return 0;
        }
        break;
    case '=':
    case '!':
    case '<':
    case '>':
        if (c2 == '=') {
            t->op = c == '='   ? TPL_TOK_EQ
                    : c == '!' ? TPL_TOK_NE
                    : c == '<' ? TPL_TOK_LE
                               : TPL_TOK_GE;
            lx->pos++;
            return 0;
        }
        if (c == '!')
            return lex_fail(lx, p, "unexpected '!'");
        break;
    case '(':
    case '[':
    case '{':
        lx->balance++;
        break;
    case ')':
    case ']':
    case '}':
        if (lx->balance > 0)
            lx->balance--;
        break;
    case '.':
        lx->after_dot = true;
        break;
    case '+':
    case '-':
    case '%':
    case '~':
    case ':':
    case '|':
    case ',':
    case ';':
        break;
    default: {
        char msg[48];
        if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
            snprintf(msg, sizeof(msg), "unexpected character '%c'", c);
        else
            snprintf(msg, sizeof(msg), "unexpected byte 0x%02x",
                     (unsigned char)c);
        return lex_fail(lx, p, msg);
    }
    }
    t->op = c;
    return 0;
}

int tpl_lex_next(tpl_lexer *lx, tpl_tok *t)
{
    memset(t, 0, sizeof(*t));
    return lx->tag ? lex_tag(lx, t) : lex_data(lx, t);
}

/* True when s[i..] starts "{%", optional sign, blanks, "endraw", blanks,
 * optional '-', "%}"; sets *end past it and *minus_before/after. */
static bool lex_is_endraw(const tpl_lexer *lx, size_t i, size_t *end,
                          bool *minus_before, bool *minus_after)
{
    const char *s = lx->src;
    size_t n = lx->n;
    if (i + 2 > n || s[i] != '{' || s[i + 1] != '%')
        return false;
    i += 2;
    *minus_before = i < n && s[i] == '-';
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    while (i < n && tpl_isspace((unsigned char)s[i]))
        i++;
    if (n - i < 6 || memcmp(s + i, "endraw", 6) != 0)
        return false;
    i += 6;
    while (i < n && tpl_isspace((unsigned char)s[i]))
        i++;
    *minus_after = i < n && s[i] == '-';
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    if (n - i < 2 || s[i] != '%' || s[i + 1] != '}')
        return false;
    *end = i + 2;
    return true;
}

int tpl_lex_raw(tpl_lexer *lx, tpl_tok *t)
{
    assert(lx->tag == 0);
    memset(t, 0, sizeof(*t));
    lex_apply_after(lx);
    size_t start = lx->pos, i = start, end = 0;
    bool mb = false, ma = false;
    for (;;) {
        const char *b = i < lx->n ? memchr(lx->src + i, '{', lx->n - i) : NULL;
        if (!b)
            return lex_fail(lx, start, "unclosed 'raw' (expected 'endraw')");
        i = (size_t)(b - lx->src);
        if (lex_is_endraw(lx, i, &end, &mb, &ma))
            break;
        i++;
    }
    size_t stop = i;
    if (mb)
        while (stop > start && tpl_isspace((unsigned char)lx->src[stop - 1]))
            stop--;
    t->kind = TPL_T_TEXT;
    t->pos = (uint32_t)start;
    t->s.p = lx->src + start;
    t->s.n = stop - start;
    lx->pos = end;
    lx->strip_next = ma;
    lx->trim_nl = !ma && lx->trim_blocks;
    return 0;
}
