/* /api/owners/{id}/items: typed input from the endpoint schema beside. */
#include <kiln.h>

#include "models.h"

KILN_GET(owner_items)
{
    const OwnerItems *in = owner_items_input(c);
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    kiln_filter f[1];
    size_t nf = 0;
    if (in->query.has_colour)
        f[nf++] = (kiln_filter){
            "en", KILN_OP_EQ,
            KILN_TEXT(item_model.fields[ITEM_F_EN].values[in->query.colour])};
    kiln_list_opts o = {.filters = f, .nfilters = nf, .limit = in->query.limit};
    ItemList l;
    int rc = item_list_by_owner(db, in->path.id, &o, &l);
    if (rc)
        return item_fail(c, db, rc);
    item_list_to_json(&l, kiln_body_buf(c));
    kiln_set_type(c, "application/json");
    return kiln_send(c);
}

KILN_POST(add_owner_item)
{
    const AddOwnerItem *in = add_owner_item_input(c);
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    Owner o;
    int rc = owner_get(db, in->path.id, &o);
    if (rc)
        return owner_fail(c, db, rc);
    Item it; /* the defaults, then what the body gave */
    if (item_defaults(&it, kiln_ctx_arena(c)) != 0)
        return KILN_ENOMEM;
    it.i = in->body.i;
    it.d = in->body.d;
    it.s = in->body.s;
    it.en = in->body.en;
    it.has_owner = true;
    it.owner = o.id;
    rc = item_insert(db, &it);
    if (rc)
        return item_fail(c, db, rc);
    item_to_json(&it, kiln_body_buf(c));
    kiln_set_type(c, "application/json");
    kiln_set_status(c, 201);
    return kiln_send(c);
}
