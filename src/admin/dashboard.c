/*
 * admin/dashboard.c - GET /admin/: the models the user may view, grouped,
 * with their row counts (capped: past admin.count_threshold "more than
 * N", PostgreSQL's estimate when it has one), and the audit log's recent
 * actions.
 */
#include "admin/admin_impl.h"

#include <string.h>

/* The count of m's rows as text, capped at threshold. */
static kiln_value count_value(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                              int64_t threshold)
{
    kiln_arena *a = kiln_ctx_arena(c);
    char *sql = kiln_arena_printf(
        a, "SELECT count(*) FROM (SELECT 1 FROM %s LIMIT %lld) AS capped",
        m->table, (long long)threshold + 1);
    int64_t n = 0;
    if (!sql || kiln_db_scalar_int(db, &n, sql) != 0)
        return kiln_value_cstr("?");
    if (n <= threshold)
        return admin_vprintf(c, "%lld", (long long)n);
    int64_t est = 0;
    if (strcmp(kiln_dbc_backend(db), "postgres") == 0 &&
        kiln_db_scalar_int(db, &est,
                           "SELECT CAST(reltuples AS bigint) FROM pg_class "
                           "WHERE relname = $1",
                           KILN_TEXT(m->table)) == 0 &&
        est > threshold)
        return admin_vprintf(c, "about %lld", (long long)est);
    return admin_vprintf(c, "more than %lld", (long long)threshold);
}

int admin_dashboard(kiln_ctx *c)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return kiln_problem(c, 503, "The database is not available.");
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value ctx = admin_context(c, "Dashboard");
    if (ctx.type == KILN_VALUE_NULL)
        return KILN_ENOMEM;
    int64_t thr = admin_threshold();
    /* the nav's groups, each model with its count */
    kiln_value nav, groups = kiln_value_list(a);
    kiln_value_get(ctx, KILN_STR("nav"), a, &nav);
    for (size_t g = 0; g < kiln_value_len(nav); g++) {
        kiln_value grp = kiln_value_at(nav, g), ms, name;
        kiln_value_get(grp, KILN_STR("models"), a, &ms);
        for (size_t i = 0; i < kiln_value_len(ms); i++) {
            kiln_value e = kiln_value_at(ms, i);
            kiln_value_get(e, KILN_STR("name"), a, &name);
            const kiln_model *m = admin_model_named(name.u.s);
            if (m)
                kiln_value_set(e, "count", count_value(c, db, m, thr));
        }
        kiln_value_push(groups, grp);
    }
    kiln_value_set(ctx, "groups", groups);
    kiln_value_set(ctx, "recent", admin_recent(c, db, 10));
    return admin_render(c, 200, "dashboard.html", ctx);
}
