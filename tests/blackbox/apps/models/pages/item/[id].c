/* GET /item/{id}: one row as a template value, from a local struct. */
#include <kiln.h>

#include "models.h"

KILN_LOAD(load_item)
{
    int64_t id;
    if (!kiln_param_id(c, "id", &id))
        return 0;
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    Item it; /* on the stack: item_value copies it */
    TagList tags;
    int rc = item_get(db, id, &it);
    if (rc == 0)
        rc = item_tags_list(db, id, &tags); /* the rows, not just ids */
    if (rc)
        return item_fail(c, db, rc);
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value_set(ctx, "tags", tag_list_value(&tags, a));
    return kiln_value_set(ctx, "item", item_value(&it, a));
}
