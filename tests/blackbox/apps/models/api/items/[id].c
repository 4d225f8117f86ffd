/* /api/items/{id}: read, replace, patch, delete. */
#include <kiln.h>

#include "models.h"

static int send_item(kiln_ctx *c, const Item *it)
{
    item_to_json(it, kiln_body_buf(c));
    kiln_set_type(c, "application/json");
    return kiln_send(c);
}

KILN_GET(show_item)
{
    int64_t id;
    if (!kiln_param_id(c, "id", &id))
        return 0;
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    Item it;
    int rc = item_get(db, id, &it);
    return rc ? item_fail(c, db, rc) : send_item(c, &it);
}

/* PUT (every field) and PATCH (the fields given) */
static int write_item(kiln_ctx *c, kiln_decode_mode mode)
{
    int64_t id;
    if (!kiln_param_id(c, "id", &id))
        return 0;
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    /* a PATCH decodes only what it gives; the update returns the row */
    Item it;
    kiln_fieldset given;
    if (!item_from_body(c, mode, &it, &given))
        return 0;
    it.id = id;
    kiln_errors errs;
    kiln_errors_init(&errs, kiln_ctx_arena(c));
    int rc = item_check_refs(db, &it, &given, &errs);
    if (rc == KILN_EINVAL)
        return kiln_problem_errors(c, 422, &errs, NULL);
    if (rc == 0)
        rc = mode == KILN_DECODE_PATCH ? item_patch(db, &it, &given)
                                       : item_update(db, &it);
    return rc ? item_fail(c, db, rc) : send_item(c, &it);
}

KILN_PUT(replace_item)
{
    return write_item(c, KILN_DECODE_REPLACE);
}

KILN_PATCH(patch_item)
{
    return write_item(c, KILN_DECODE_PATCH);
}

KILN_DELETE(delete_item)
{
    int64_t id;
    if (!kiln_param_id(c, "id", &id))
        return 0;
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    int rc = item_delete(db, id);
    return rc ? item_fail(c, db, rc) : kiln_respond(c, 204, NULL, "", 0);
}
