/* /api/items: list (with filters from the query) and create. */
#include <kiln.h>

#include "models.h"

#include <string.h>

static int send_json(kiln_ctx *c, int status)
{
    kiln_set_type(c, "application/json");
    kiln_set_status(c, status);
    return kiln_send(c);
}

KILN_GET(list_items)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    kiln_filter f[4];
    size_t nf = 0;
    kiln_str en = kiln_query(c, "en"), s = kiln_query(c, "s_contains");
    int64_t min_i, owner;
    if (en.p)
        f[nf++] = (kiln_filter){"en", KILN_OP_EQ, KILN_STRV(en)};
    if (s.p)
        f[nf++] = (kiln_filter){"s", KILN_OP_ICONTAINS, KILN_STRV(s)};
    if (kiln_query_i64(c, "i_gte", &min_i) == 0)
        f[nf++] = (kiln_filter){"i", KILN_OP_GTE, KILN_INT(min_i)};
    if (kiln_query_i64(c, "owner", &owner) == 0)
        f[nf++] = (kiln_filter){"owner", KILN_OP_EQ, KILN_INT(owner)};
    kiln_str ordering = kiln_query(c, "ordering");
    kiln_list_opts o = {.filters = f,
                        .nfilters = nf,
                        .ordering = ordering.p,
                        .limit = kiln_query_int(c, "limit", 0),
                        .offset = kiln_query_int(c, "offset", 0)};
    ItemList l;
    int64_t total;
    int rc = item_list(db, &o, &l);
    if (rc == KILN_EINVAL)
        return kiln_problem(c, 422, "%s", kiln_db_errmsg(db));
    if (rc == 0)
        rc = item_count(db, &o, &total);
    if (rc)
        return item_fail(c, db, rc);
    kiln_buf *b = kiln_body_buf(c);
    kiln_buf_printf(b, "{\"count\":%lld,\"items\":", (long long)total);
    item_list_to_json(&l, b);
    kiln_buf_putc(b, '}');
    return send_json(c, 200);
}

KILN_POST(create_item)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    Item it; /* valid, its owner and tags looked up: one 422 for all */
    if (!item_from_body(c, db, KILN_DECODE_CREATE, &it, NULL))
        return 0;
    int rc = item_insert(db, &it);
    return rc ? item_fail(c, db, rc) : item_send(c, 201, &it);
}
