/*
 * tpl/rows.c - kiln_value_from_rows: a database result as a list of maps,
 * so a handler hands rows to a template without copying fields by hand.
 * The typing rules are db/cell.h's, shared with kiln_json_put_rows.
 */
#include <kiln/db.h>
#include <kiln/tpl.h>

#include "db/cell.h"

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
            db_cell cell;
            char tbuf[DB_CELL_TIME_MAX];
            db_cell_read(r, i, &cell, tbuf);
            kiln_value v;
            switch (cell.type) {
            case KILN_DB_NULL:
                v = kiln_value_null();
                break;
            case KILN_DB_INT:
                v = kiln_value_int(cell.i);
                break;
            case KILN_DB_FLOAT:
                v = kiln_value_float(cell.f);
                break;
            case KILN_DB_BOOL:
                v = kiln_value_bool(cell.b);
                break;
            default:
                /* text, timestamps and blobs: the bytes live in the
                   connection's arena (or tbuf); copy them into a */
                v = kiln_value_str_copy(a, cell.s);
                break;
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
