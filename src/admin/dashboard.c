/*
 * admin/dashboard.c - GET /admin/: the models the user may view, grouped,
 * with the counts of their rows that the model's row rule shows (capped:
 * past admin.count_threshold "more than N", PostgreSQL's estimate when it
 * has one and no rule applies), and the audit log's recent actions.
 */
#include "admin/admin_impl.h"

#include <string.h>

/* The count of m's rows that r shows as text, capped at threshold. */
static kiln_value count_value(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                              const admin_rule *r, int64_t threshold)
{
    kiln_buf sql;
    kiln_buf_init(&sql);
    kiln_db_param ps[8];
    size_t np = 0;
    kiln_buf_printf(&sql, "SELECT count(*) FROM (SELECT 1 FROM %s", m->table);
    if (r->sql) {
        kiln_buf_puts(&sql, " WHERE ");
        admin_rule_sql(r, m, false, &sql, ps, &np, 8);
    }
    kiln_buf_printf(&sql, " LIMIT %lld) AS capped", (long long)threshold + 1);
    int64_t n = 0;
    int rc = sql.p ? kiln_db_scalar_int_a(db, &n, sql.p, ps, np) : KILN_ENOMEM;
    kiln_buf_deinit(&sql);
    if (rc != 0)
        return kiln_value_cstr("?");
    if (n <= threshold)
        return admin_vprintf(c, "%lld", (long long)n);
    int64_t est = 0;
    if (!r->sql && strcmp(kiln_dbc_backend(db), "postgres") == 0 &&
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
            if (!m)
                continue;
            admin_rule r;
            int rc = admin_rule_of(c, m, &r);
            if (rc != 0)
                return admin_rule_answer(c, rc);
            kiln_value_set(e, "count", count_value(c, db, m, &r, thr));
        }
        kiln_value_push(groups, grp);
    }
    kiln_value_set(ctx, "groups", groups);
    kiln_value recent = admin_recent(c, db, 10);
    if (kiln_responded(c))
        return 0; /* a row rule answered */
    kiln_value_set(ctx, "recent", recent);
    return admin_render(c, 200, "dashboard.html", ctx);
}
