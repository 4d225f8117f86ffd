/*
 * json/format.c - kiln_json_format: JSON from a printf-like template, e.g.
 *
 *   kiln_json_format(b, "{id:%d, tags:[%s, %s], user:{name:%S}}", ...)
 *
 * The template is JSON-like literal text with three rules (kiln/json.h):
 *   - a bare identifier [A-Za-z_][A-Za-z0-9_]* followed by optional
 *     whitespace and ':' is a key and is written quoted ("id":);
 *   - a quoted string in the template is copied untouched (identifiers in it
 *     are not keys); only "%%" is recognised in it, as a '%', and any other
 *     '%' there is KILN_EINVAL, because a value spliced into a string literal
 *     would not be the JSON the author meant;
 *   - a '%' conversion writes one argument through the writer (write.c), so
 *     every string is escaped and every number is valid JSON.
 *   - whitespace outside quoted strings (spaces, tabs, newlines) is layout
 *     for the reader of the C code and is not written, so
 *     "{id: %d, tags: [%s]}" gives {"id":1,"tags":["a"]};
 * Everything else (braces, commas, true, 12) is copied as it is. The
 * template is trusted code, not input: it is not checked to be valid JSON.
 */
#include <kiln/json.h>

#include <assert.h>
#include <string.h>

/* True for the bytes of an identifier or a number in the template. */
static bool json_format_is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
}

/* JSON's insignificant whitespace (RFC 8259, section 2). */
static bool json_format_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Appends the decimal form of v (a size_t may not fit int64_t). */
static int json_format_put_u64(kiln_buf *b, uint64_t v)
{
    char tmp[20];
    char *e = tmp + sizeof(tmp), *s = e;
    do {
        *--s = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return kiln_buf_append(b, s, (size_t)(e - s));
}

/*
 * Copies the word at *pp (a maximal run of [A-Za-z0-9_]) and advances *pp
 * past it. A word that does not start with a digit and is followed by
 * optional whitespace and ':' is a key and is written quoted.
 */
static int json_format_word(kiln_buf *b, const char **pp)
{
    const char *s = *pp, *e = s, *t;
    int rc;
    while (json_format_is_word(*e))
        e++;
    assert(e > s);
    *pp = e;
    for (t = e; json_format_is_space(*t); t++)
        ;
    if (*t != ':' || (*s >= '0' && *s <= '9'))
        return kiln_buf_append(b, s, (size_t)(e - s));
    /* identifiers need no escaping: [A-Za-z0-9_] only */
    rc = kiln_buf_putc(b, '"');
    if (rc == 0)
        rc = kiln_buf_append(b, s, (size_t)(e - s));
    if (rc == 0)
        rc = kiln_buf_putc(b, '"');
    return rc;
}

/*
 * Copies the quoted string that starts at *pp (at its '"') through its
 * closing '"', untouched except that "%%" becomes '%'. Advances *pp past it.
 * Returns KILN_EINVAL when the string is not closed or holds another '%'.
 */
static int json_format_quoted(kiln_buf *b, const char **pp)
{
    const char *run = *pp, *p = *pp + 1;
    int rc = 0;
    assert(**pp == '"');
    for (;;) {
        if (*p == '\0')
            return KILN_EINVAL;
        if (*p == '"')
            break;
        if (*p == '\\') {
            if (p[1] == '\0')
                return KILN_EINVAL;
            p += 2;
        } else if (*p == '%') {
            if (p[1] != '%')
                return KILN_EINVAL;
            rc = kiln_buf_append(b, run, (size_t)(p + 1 - run));
            if (rc)
                return rc;
            p += 2;
            run = p;
        } else {
            p++;
        }
    }
    p++; /* the closing quote */
    *pp = p;
    return kiln_buf_append(b, run, (size_t)(p - run));
}

/*
 * Writes the conversion at *pp (at its '%') with the next argument from *ap
 * and advances *pp past it. Returns KILN_EINVAL for an unknown conversion.
 */
static int json_format_conv(kiln_buf *b, const char **pp, va_list *ap)
{
    const char *p = *pp + 1;
    const char *s;
    kiln_str v;
    int rc;
    switch (*p) {
    case '%':
        rc = kiln_buf_putc(b, '%');
        break;
    case 's':
        s = va_arg(*ap, const char *);
        rc = s ? kiln_json_put_str(b, s, strlen(s))
               : kiln_buf_append(b, "null", 4);
        break;
    case 'S':
        v = va_arg(*ap, kiln_str);
        rc = kiln_json_put_str(b, v.p, v.n);
        break;
    case 'd':
        rc = kiln_json_put_i64(b, va_arg(*ap, int));
        break;
    case 'u':
        rc = json_format_put_u64(b, va_arg(*ap, unsigned));
        break;
    case 'f':
        rc = kiln_json_put_double(b, va_arg(*ap, double));
        break;
    case 'b':
        rc = va_arg(*ap, int) ? kiln_buf_append(b, "true", 4)
                              : kiln_buf_append(b, "false", 5);
        break;
    case 'j':
        s = va_arg(*ap, const char *);
        rc = kiln_buf_puts(b, s ? s : "null");
        break;
    case 'l':
        if (p[1] == 'd') {
            p++;
            rc = kiln_json_put_i64(b, va_arg(*ap, long));
        } else if (p[1] == 'l' && p[2] == 'd') {
            p += 2;
            rc = kiln_json_put_i64(b, va_arg(*ap, long long));
        } else {
            return KILN_EINVAL;
        }
        break;
    case 'z':
        if (p[1] != 'u')
            return KILN_EINVAL;
        p++;
        rc = json_format_put_u64(b, va_arg(*ap, size_t));
        break;
    default:
        return KILN_EINVAL;
    }
    *pp = p + 1;
    return rc;
}

/*
 * Appends the JSON that fmt describes (see the top of this file and
 * kiln/json.h for the conversions). Returns 0, KILN_ENOMEM, or KILN_EINVAL
 * for an unknown conversion, a '%' inside a quoted literal other than "%%",
 * or an unclosed quoted literal. On error, b holds the output written before
 * the error and stays a valid buffer; discard it.
 */
int kiln_json_vformat(kiln_buf *b, const char *fmt, va_list ap)
{
    va_list args;
    const char *p = fmt;
    int rc = 0;
    assert(b && fmt);
    /* &ap of a va_list parameter is not portable: pass a copy's address */
    va_copy(args, ap);
    while (rc == 0 && *p) {
        if (*p == '%') {
            rc = json_format_conv(b, &p, &args);
        } else if (*p == '"') {
            rc = json_format_quoted(b, &p);
        } else if (json_format_is_word(*p)) {
            rc = json_format_word(b, &p);
        } else if (json_format_is_space(*p)) {
            p++; /* layout of the template, not of the output */
        } else {
            const char *run = p;
            while (*p && *p != '%' && *p != '"' && !json_format_is_word(*p) &&
                   !json_format_is_space(*p))
                p++;
            rc = kiln_buf_append(b, run, (size_t)(p - run));
        }
    }
    va_end(args);
    return rc;
}

/* The variadic form of kiln_json_vformat; same contract. */
int kiln_json_format(kiln_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = kiln_json_vformat(b, fmt, ap);
    va_end(ap);
    return rc;
}
