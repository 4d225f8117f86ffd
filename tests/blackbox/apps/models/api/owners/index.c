/* /api/owners: create one; a raw query's rows into the model's struct. */
#include <kiln.h>

#include "models.h"

KILN_POST(create_owner)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    Owner o;
    if (!owner_from_body(c, db, KILN_DECODE_CREATE, &o, NULL))
        return 0;
    int rc = owner_insert(db, &o);
    if (rc)
        return owner_fail(c, db, rc);
    owner_to_json(&o, kiln_body_buf(c));
    kiln_set_type(c, "application/json");
    kiln_set_status(c, 201);
    return kiln_send(c);
}

KILN_GET(owners_with_items)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    /* plain SQL beside the generated calls: its rows fill Owner */
    kiln_rows *r =
        kiln_db_query(db, "SELECT o.id, o.name, count(i.id) AS n "
                          "FROM owner o JOIN item i ON i.owner_id = "
                          "o.id GROUP BY o.id, o.name ORDER BY o.name");
    if (!r)
        return kiln_db_fail(c, db);
    kiln_buf *b = kiln_body_buf(c);
    kiln_buf_putc(b, '[');
    bool first = true;
    while (kiln_rows_next(r)) {
        Owner o;
        if (owner_from_row(r, &o) != 0)
            return kiln_db_fail(c, db);
        if (!first)
            kiln_buf_putc(b, ',');
        first = false;
        kiln_buf_puts(b, "{\"owner\":");
        owner_to_json(&o, b);
        kiln_buf_printf(b, ",\"items\":%lld}", (long long)kiln_row_int(r, 2));
    }
    if (kiln_rows_error(r) < 0)
        return kiln_db_fail(c, db);
    kiln_buf_putc(b, ']');
    kiln_set_type(c, "application/json");
    return kiln_send(c);
}
