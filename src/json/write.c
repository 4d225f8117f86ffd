/*
 * json/write.c - the JSON value writer: strings, doubles and integers
 * appended to a kiln_buf (see kiln/json.h).
 *
 * Strings are the hot path (every response body goes through here), so the
 * writer scans runs of bytes that need no escaping and appends each run with
 * one kiln_buf_append; only the rare byte that needs care leaves the run.
 *
 * What is escaped and why:
 *   " and \            JSON syntax (RFC 8259, section 7)
 *   U+0000..U+001F     JSON syntax; \b \f \n \r \t short forms, else \u00XX
 *   "</"  -> "<\/"     so "</script>" inside a string cannot end an HTML
 *                      <script> element the JSON is embedded in
 *   U+2028, U+2029     legal in JSON but line terminators in JavaScript
 *                      before ES2019; escaped so output is also valid JS
 *   ill-formed UTF-8   each maximal subpart becomes \ufffd, so the output is
 *                      always valid UTF-8 and valid JSON
 *
 * Doubles are printed with %.15g, %.16g or %.17g, whichever is the first to
 * read back (strtod) as the same double. This assumes the C locale for
 * LC_NUMERIC, which Kiln never changes; an application that calls setlocale()
 * with another decimal point must keep LC_NUMERIC at "C".
 */
#include <kiln/json.h>

#include "json/utf8.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Bytes that end a run of bytes copied as they are: control characters, '"',
 * '\\', '<' (may start "</") and every non-ASCII byte (UTF-8 to check). */
static const unsigned char json_write_care[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x00 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x10 */
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x20: '"' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* 0x30: '<' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x40 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* 0x50: '\\' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x60 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x70 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x80.. non-ASCII */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x90 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xa0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xb0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xc0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xd0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xe0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xf0 */
};

/*
 * Appends the escape for the ASCII byte c, one of the control characters,
 * '"' or '\\' (the bytes the table marks that are not '<' or non-ASCII).
 */
static int json_write_escape(kiln_buf *b, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char e[6] = {'\\', 0, 0, 0, 0, 0};
    assert(c < 0x20 || c == '"' || c == '\\');
    switch (c) {
    case '"':
        e[1] = '"';
        break;
    case '\\':
        e[1] = '\\';
        break;
    case '\b':
        e[1] = 'b';
        break;
    case '\f':
        e[1] = 'f';
        break;
    case '\n':
        e[1] = 'n';
        break;
    case '\r':
        e[1] = 'r';
        break;
    case '\t':
        e[1] = 't';
        break;
    default:
        e[1] = 'u';
        e[2] = '0';
        e[3] = '0';
        e[4] = hex[c >> 4];
        e[5] = hex[c & 15];
        return kiln_buf_append(b, e, 6);
    }
    return kiln_buf_append(b, e, 2);
}

/*
 * Appends s[0..n) as a quoted JSON string, escaped as described at the top of
 * this file. s may be NULL when n == 0. Returns 0 or KILN_ENOMEM; on
 * KILN_ENOMEM b holds the bytes written so far (a partial string) and stays a
 * valid buffer.
 */
int kiln_json_put_str(kiln_buf *b, const char *s, size_t n)
{
    assert(b && (s || n == 0));
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, run = 0; /* u[run..i) is pending, to copy as it is */
    int rc;

    /* one allocation for the common case of a string with no escapes */
    if (n > SIZE_MAX / 2 || (rc = kiln_buf_reserve(b, n + 2)) != 0)
        return KILN_ENOMEM;
    rc = kiln_buf_putc(b, '"');
    while (rc == 0 && i < n) {
        unsigned char c = u[i];
        if (!json_write_care[c]) {
            i++;
            continue;
        }
        const char *esc = NULL; /* replacement for u[i..i+skip) */
        size_t skip = 1, len;
        if (c == '<') {
            if (i + 1 < n && u[i + 1] == '/') {
                esc = "<\\/";
                skip = 2;
            }
        } else if (c >= 0x80) {
            len = json_utf8_len(u + i, n - i, &skip);
            if (len == 0) {
                esc = "\\ufffd";
            } else if (len == 3 && c == 0xE2 && u[i + 1] == 0x80 &&
                       (u[i + 2] == 0xA8 || u[i + 2] == 0xA9)) {
                esc = u[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
                skip = 3;
            } else {
                skip = len;
            }
        } else {
            rc = kiln_buf_append(b, s + run, i - run);
            if (rc == 0)
                rc = json_write_escape(b, c);
            run = ++i;
            continue;
        }
        if (esc) {
            rc = kiln_buf_append(b, s + run, i - run);
            if (rc == 0)
                rc = kiln_buf_puts(b, esc);
            run = i + skip;
        }
        i += skip;
    }
    assert(rc != 0 || i == n);
    if (rc == 0 && run < n) /* s may be NULL when n == 0 */
        rc = kiln_buf_append(b, s + run, n - run);
    if (rc == 0)
        rc = kiln_buf_putc(b, '"');
    return rc;
}

/*
 * Appends d in the shortest of %.15g, %.16g and %.17g that strtod reads back
 * as d (%.17g always does). -0.0 is written "-0"; integral values as printf
 * writes them ("3", "1e+300"). NaN and infinities have no JSON form and are
 * written as null. Returns 0 or KILN_ENOMEM.
 */
int kiln_json_put_double(kiln_buf *b, double d)
{
    char tmp[32]; /* "-1.2345678901234567e-308" is the longest: 24 bytes */
    int len = 0;
    assert(b);
    if (!isfinite(d))
        return kiln_buf_append(b, "null", 4);
    for (int prec = 15; prec <= 17; prec++) {
        len = snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        assert(len > 0 && (size_t)len < sizeof(tmp));
        if (strtod(tmp, NULL) == d)
            break;
    }
    return kiln_buf_append(b, tmp, (size_t)len);
}

/*
 * Appends the decimal form of v (no printf: core's digit loop).
 * Returns 0 or KILN_ENOMEM.
 */
int kiln_json_put_i64(kiln_buf *b, int64_t v)
{
    assert(b);
    return kiln_buf_put_i64(b, v);
}

/* ---- arrays written in a loop ---------------------------------------- */

void kiln_json_array_begin(kiln_json_array *a, kiln_buf *b)
{
    assert(a && b);
    a->b = b;
    a->n = 0;
    a->rc = kiln_buf_putc(b, '[');
}

/* Writes the comma before an item; returns the length to roll back to. */
static size_t json_array_comma(kiln_json_array *a)
{
    size_t mark = a->b->n;
    if (a->rc == 0 && a->n)
        a->rc = kiln_buf_putc(a->b, ',');
    return mark;
}

/* Records rc for the item started at mark: on an error, the partial item
   (and its comma) is cut off. */
static int json_array_item_done(kiln_json_array *a, size_t mark, int rc)
{
    if (rc == 0 && a->rc == 0) {
        a->n++;
        return 0;
    }
    if (a->rc == 0)
        a->rc = rc;
    kiln_buf_truncate(a->b, mark);
    return a->rc;
}

int kiln_json_array_addf(kiln_json_array *a, const char *fmt, ...)
{
    if (a->rc)
        return a->rc;
    size_t mark = json_array_comma(a);
    int rc = a->rc;
    if (rc == 0) {
        va_list ap;
        va_start(ap, fmt);
        rc = kiln_json_vformat(a->b, fmt, ap);
        va_end(ap);
    }
    return json_array_item_done(a, mark, rc);
}

int kiln_json_array_add_raw(kiln_json_array *a, const char *json, size_t n)
{
    if (a->rc)
        return a->rc;
    size_t mark = json_array_comma(a);
    int rc = a->rc ? a->rc : kiln_buf_append(a->b, json, n);
    return json_array_item_done(a, mark, rc);
}

int kiln_json_array_end(kiln_json_array *a)
{
    if (a->rc == 0)
        a->rc = kiln_buf_putc(a->b, ']');
    return a->rc;
}
