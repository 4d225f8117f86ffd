/*
 * admin/csv.c - cells of the CSV export (RFC 4180), with spreadsheet
 * formulas neutralised (OWASP's "CSV injection"): a cell that starts with
 * = + - @, a TAB or a CR gets a leading apostrophe, which spreadsheets
 * show as text and do not evaluate. Pure.
 */
#include "admin/admin_impl.h"

#include <string.h>

int admin_csv_cell(kiln_buf *b, kiln_str s)
{
    bool formula = s.n && (s.p[0] == '=' || s.p[0] == '+' || s.p[0] == '-' ||
                           s.p[0] == '@' || s.p[0] == '\t' || s.p[0] == '\r');
    bool quote = false;
    for (size_t i = 0; i < s.n && !quote; i++)
        quote =
            s.p[i] == ',' || s.p[i] == '"' || s.p[i] == '\n' || s.p[i] == '\r';
    int rc = 0;
    if (quote)
        rc |= kiln_buf_putc(b, '"');
    if (formula)
        rc |= kiln_buf_putc(b, '\'');
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] == '"')
            rc |= kiln_buf_putc(b, '"');
        rc |= kiln_buf_putc(b, s.p[i]);
    }
    if (quote)
        rc |= kiln_buf_putc(b, '"');
    return rc ? KILN_ENOMEM : 0;
}
