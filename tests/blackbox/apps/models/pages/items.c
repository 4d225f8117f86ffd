/* GET /items: model rows as template values. */
#include <kiln.h>

#include "models.h"

KILN_LOAD(load_items)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    ItemList l;
    int rc = item_list(db, NULL, &l);
    if (rc)
        return item_fail(c, db, rc);
    return kiln_value_set(ctx, "items", item_list_value(&l, kiln_ctx_arena(c)));
}
