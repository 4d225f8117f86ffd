/*
 * json/rows.c - kiln_json_put_rows: a database result as a JSON array of
 * objects, typed by the rules templates use (db/cell.h), so a handler
 * answers a list of rows in one call.
 */
#include <kiln/db.h>
#include <kiln/json.h>

#include "db/cell.h"

#include <string.h>

/* Appends the n bytes at p as a base64 string (RFC 4648, padded). */
static int json_put_base64(kiln_buf *b, const unsigned char *p, size_t n)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int rc = kiln_buf_reserve(b, (n + 2) / 3 * 4 + 2);
    if (rc)
        return rc;
    kiln_buf_putc(b, '"');
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        char q[4] = {abc[v >> 18 & 63], abc[v >> 12 & 63],
                     i + 1 < n ? abc[v >> 6 & 63] : '=',
                     i + 2 < n ? abc[v & 63] : '='};
        kiln_buf_append(b, q, 4);
    }
    return kiln_buf_putc(b, '"');
}

/* Appends one typed value. */
static int json_put_cell(kiln_buf *b, const db_cell *cell)
{
    switch (cell->type) {
    case KILN_DB_NULL:
        return kiln_buf_append(b, "null", 4);
    case KILN_DB_INT:
        return kiln_json_put_i64(b, cell->i);
    case KILN_DB_FLOAT:
        return kiln_json_put_double(b, cell->f);
    case KILN_DB_BOOL:
        return cell->b ? kiln_buf_append(b, "true", 4)
                       : kiln_buf_append(b, "false", 5);
    case KILN_DB_BLOB:
        return json_put_base64(b, (const unsigned char *)cell->s.p, cell->s.n);
    default: /* text and timestamps */
        return kiln_json_put_str(b, cell->s.p, cell->s.n);
    }
}

int kiln_json_put_rows(kiln_buf *b, kiln_rows *r)
{
    if (!b || !r)
        return KILN_EINVAL;
    int ncols = kiln_rows_ncols(r);
    kiln_json_array a;
    kiln_json_array_begin(&a, b);
    while (a.rc == 0 && kiln_rows_next(r)) {
        size_t mark = b->n;
        int rc = a.n ? kiln_buf_putc(b, ',') : 0;
        if (rc == 0)
            rc = kiln_buf_putc(b, '{');
        for (int i = 0; rc == 0 && i < ncols; i++) {
            const char *name = kiln_rows_colname(r, i);
            db_cell cell;
            char tbuf[DB_CELL_TIME_MAX];
            db_cell_read(r, i, &cell, tbuf);
            if (i)
                rc = kiln_buf_putc(b, ',');
            if (rc == 0)
                rc = kiln_json_put_str(b, name ? name : "",
                                       name ? strlen(name) : 0);
            if (rc == 0)
                rc = kiln_buf_putc(b, ':');
            if (rc == 0)
                rc = json_put_cell(b, &cell);
        }
        if (rc == 0)
            rc = kiln_buf_putc(b, '}');
        if (rc) {
            kiln_buf_truncate(b, mark);
            a.rc = rc;
        } else {
            a.n++;
        }
    }
    if (a.rc)
        return a.rc;
    if (kiln_rows_error(r) < 0)
        return kiln_rows_error(r);
    return kiln_json_array_end(&a);
}
