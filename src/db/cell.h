/*
 * db/cell.h - one column of a result's current row, typed the way Kiln
 * shows database values outside SQL: the rules that kiln_value_from_rows
 * (templates, src/tpl/rows.c) and kiln_json_put_rows (JSON bodies,
 * src/json/rows.c) share, so both show a row the same way.
 */
#ifndef KILN_DB_CELL_H
#define KILN_DB_CELL_H

#include <kiln/db.h>

/** Room for a timestamp as ISO 8601 text ("2024-05-01T12:00:00.250000Z"). */
#define DB_CELL_TIME_MAX 48

/** A column's value. Only the member of its type is set. */
typedef struct db_cell {
    kiln_db_type type; /**< as kiln_row_type; KILN_DB_TIME is text in s */
    int64_t i;         /**< KILN_DB_INT */
    double f;          /**< KILN_DB_FLOAT */
    bool b;            /**< KILN_DB_BOOL */
    /** KILN_DB_TEXT and KILN_DB_BLOB: the bytes, owned by the result
        (valid until the next row); KILN_DB_TIME: the timestamp as ISO 8601
        UTC text ("2024-05-01T12:00:00Z", with ".ffffff" when it has
        microseconds), held in the caller's time_buf. */
    kiln_str s;
} db_cell;

/**
 * Reads column i of r's current row into out. time_buf receives the text
 * of a timestamp (a timestamp outside what gmtime_r represents reads as
 * KILN_DB_NULL). Never fails: a column that cannot be read is NULL.
 */
void db_cell_read(kiln_rows *r, int i, db_cell *out,
                  char time_buf[DB_CELL_TIME_MAX]);

#endif
