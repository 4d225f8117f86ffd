/*
 * db/cell.c - a column of the current row, typed for templates and JSON
 * (db/cell.h).
 */
#include "db/cell.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* us (microseconds since the epoch, UTC) as ISO 8601 text in buf; its
   length, or 0 when gmtime_r cannot represent it. */
static size_t cell_time_text(int64_t us, char buf[DB_CELL_TIME_MAX])
{
    int64_t sec = us / 1000000, frac = us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return 0;
    size_t n = strftime(buf, DB_CELL_TIME_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
    if (n == 0)
        return 0;
    if (frac)
        n +=
            (size_t)snprintf(buf + n, DB_CELL_TIME_MAX - n, ".%06d", (int)frac);
    if (n + 1 >= DB_CELL_TIME_MAX)
        return 0;
    buf[n++] = 'Z';
    buf[n] = '\0';
    return n;
}

void db_cell_read(kiln_rows *r, int i, db_cell *out,
                  char time_buf[DB_CELL_TIME_MAX])
{
    memset(out, 0, sizeof *out);
    out->type = kiln_row_type(r, i);
    switch (out->type) {
    case KILN_DB_NULL:
        break;
    case KILN_DB_INT:
        out->i = kiln_row_int(r, i);
        break;
    case KILN_DB_FLOAT:
        out->f = kiln_row_float(r, i);
        break;
    case KILN_DB_BOOL:
        out->b = kiln_row_bool(r, i);
        break;
    case KILN_DB_TIME: {
        size_t n = cell_time_text(kiln_row_time(r, i), time_buf);
        if (n)
            out->s = (kiln_str){time_buf, n};
        else
            out->type = KILN_DB_NULL;
        break;
    }
    case KILN_DB_BLOB:
        out->s = kiln_row_blob(r, i);
        break;
    default:
        out->type = KILN_DB_TEXT;
        out->s = kiln_row_text(r, i);
        break;
    }
}
