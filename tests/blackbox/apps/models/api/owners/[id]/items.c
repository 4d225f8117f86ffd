/* /api/owners/{id}/items: typed input from the endpoint schema beside. */
#include <kiln.h>

#include "models.h"

KILN_GET(owner_items)
{
    const OwnerItems *in = owner_items_input(c);
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    kiln_filter f[2];
    size_t nf = 0;
    if (in->query.has_flag) /* absent: no filter (not "false") */
        f[nf++] = (kiln_filter){"b", KILN_OP_EQ, KILN_BOOL(in->query.flag)};
    if (in->query.has_colour)
        f[nf++] = (kiln_filter){
            "en", KILN_OP_EQ,
            KILN_TEXT(item_model.fields[ITEM_F_EN].values[in->query.colour])};
    kiln_list_opts o = {.filters = f, .nfilters = nf, .limit = in->query.limit};
    ItemList l;
    int rc = item_list_by_owner(db, in->path.id, &o, &l);
    if (rc)
        return item_fail(c, db, rc);
    return item_list_send(c, 200, &l);
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
    if (in->query.has_dry && in->query.dry)
        return item_send(c, 200, &it); /* what would be made */
    rc = item_insert(db, &it);
    return rc ? item_fail(c, db, rc) : item_send(c, 201, &it);
}
