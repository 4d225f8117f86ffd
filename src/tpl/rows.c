/*
 * tpl/rows.c - kiln_value_from_rows: a database result as a list of maps,
 * so a handler hands rows to a template without copying fields by hand.
 */
#include <kiln/db.h>
#include <kiln/tpl.h>

#include <stdio.h>
#include <time.h>

/* A timestamp as ISO-8601 UTC text, which the |date filter reads. */
static kiln_value time_value(kiln_arena *a, int64_t us)
{
    int64_t sec = us / 1000000, frac = us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return kiln_value_null();
    char buf[48];
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    if (frac)
        n += (size_t)snprintf(buf + n, sizeof buf - n, ".%06d", (int)frac);
    if (n + 1 < sizeof buf)
        buf[n++] = 'Z';
    return kiln_value_str_copy(a, (kiln_str){buf, n});
}

int kiln_value_from_rows(kiln_arena *a, kiln_rows *r, kiln_value *out)
{
    if (!a || !r || !out)
        return KILN_EINVAL;
    kiln_value list = kiln_value_list(a);
    if (list.type != KILN_VALUE_LIST)
        return KILN_ENOMEM;
    int ncols = kiln_rows_ncols(r);
    kiln_str *names = NULL;
    while (kiln_rows_next(r)) {
        if (!names) { /* the names, once (they live while r is open) */
            names = kiln_arena_alloc(a, (size_t)(ncols ? ncols : 1) *
                                            sizeof *names);
            if (!names)
                return KILN_ENOMEM;
            for (int i = 0; i < ncols; i++) {
                const char *nm = kiln_rows_colname(r, i);
                size_t len = nm ? strlen(nm) : 0;
                char *copy = kiln_arena_strndup(a, nm ? nm : "", len);
                if (!copy)
                    return KILN_ENOMEM;
                names[i] = (kiln_str){copy, len};
            }
        }
        kiln_value row = kiln_value_map(a);
        if (row.type != KILN_VALUE_MAP)
            return KILN_ENOMEM;
        for (int i = 0; i < ncols; i++) {
            kiln_value v;
            switch (kiln_row_type(r, i)) {
            case KILN_DB_NULL:
                v = kiln_value_null();
                break;
            case KILN_DB_INT:
                v = kiln_value_int(kiln_row_int(r, i));
                break;
            case KILN_DB_FLOAT:
                v = kiln_value_float(kiln_row_float(r, i));
                break;
            case KILN_DB_BOOL:
                v = kiln_value_bool(kiln_row_bool(r, i));
                break;
            case KILN_DB_TIME:
                v = time_value(a, kiln_row_time(r, i));
                break;
            case KILN_DB_BLOB:
                v = kiln_value_str_copy(a, kiln_row_blob(r, i));
                break;
            default: {
                /* the text lives in the connection's arena; copy it into a
                   unless that is the same arena */
                kiln_str t = kiln_row_text(r, i);
                v = kiln_value_str_copy(a, t);
                break;
            }
            }
            int rc = kiln_value_set_str(row, names[i], v);
            if (rc != 0)
                return rc;
        }
        int rc = kiln_value_push(list, row);
        if (rc != 0)
            return rc;
    }
    if (kiln_rows_error(r) < 0)
        return kiln_rows_error(r);
    *out = list;
    return 0;
}
