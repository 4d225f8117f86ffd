/* The delete hooks of item and part: each writes what it saw to hooklog;
   an item titled "keep" refuses its delete. part's row rule. */
#include <kiln.h>

#include "models.h"

static int logf_(kiln_ctx *c, kiln_dbc *db, const char *what, int64_t id)
{
    char *msg =
        kiln_arena_printf(kiln_ctx_arena(c), "%s %lld", what, (long long)id);
    if (!msg)
        return KILN_ENOMEM;
    int64_t n = kiln_db_exec(db, "INSERT INTO hooklog (msg) VALUES ($1)",
                             KILN_TEXT(msg));
    return n < 0 ? (int)n : 0;
}

static int item_before(kiln_ctx *c, kiln_dbc *db, void *row, kiln_errors *errs)
{
    const Item *it = row;
    if (kiln_str_eq(it->title, KILN_STR("keep")))
        kiln_errors_add(errs, "/title", "kept", "this item is kept");
    return logf_(c, db, "before item", it->id);
}

static int item_after(kiln_ctx *c, kiln_dbc *db, void *row, kiln_errors *errs)
{
    (void)errs;
    return logf_(c, db, "after item", ((const Item *)row)->id);
}

static int part_before(kiln_ctx *c, kiln_dbc *db, void *row, kiln_errors *errs)
{
    (void)errs;
    return logf_(c, db, "before part", ((const Part *)row)->id);
}

static int part_after(kiln_ctx *c, kiln_dbc *db, void *row, kiln_errors *errs)
{
    (void)errs;
    return logf_(c, db, "after part", ((const Part *)row)->id);
}

KILN_API_HOOKS(item) = {.before_delete = item_before,
                        .after_delete = item_after};
/* part's row rule: part 3 is for superusers only, said with a column
   that the item table, which part's change list joins, has too. */
static int part_rule(kiln_ctx *c, kiln_api_where *w)
{
    const kiln_user *u = kiln_user_current(c);
    if (u && u->superuser)
        return 0;
    w->sql = "id <> $1";
    w->params[0] = KILN_INT(3);
    w->nparams = 1;
    return 0;
}

KILN_API_HOOKS(part) = {.before_delete = part_before,
                        .after_delete = part_after,
                        .query = part_rule};
