/*
 * admin/rules.c - a model's row-level rule in the admin (docs/admin.md,
 * "Row-level rules"): the query hook of the model's generated API
 * (kiln/api.h, kiln_api_hooks.query) asked once per page, its condition
 * spliced into every statement the admin makes over that model's rows,
 * with its $1..$n renumbered after the statement's own parameters.
 *
 * The hook decides alone whom it restricts: it is given the request and
 * may leave the condition empty (a superuser, say). A hook that answers
 * itself (kiln_problem, returning 1) has answered the page; one that fails
 * makes the page a 500. Either way nothing more is written.
 */
#include "admin/admin_impl.h"

#include <kiln/api.h>

#include <string.h>

int admin_rule_of(kiln_ctx *c, const kiln_model *m, admin_rule *r)
{
    memset(r, 0, sizeof *r);
    const kiln_api_hooks *h = kiln_api_hooks_of(m->name);
    if (!h || !h->query)
        return 0;
    kiln_api_where w;
    memset(&w, 0, sizeof w);
    int rc = h->query(c, &w);
    if (rc != 0)
        return rc > 0 ? 1 : rc;
    if (w.sql && *w.sql) {
        r->sql = w.sql;
        r->nparams = w.nparams > 8 ? 8 : w.nparams;
        memcpy(r->params, w.params, r->nparams * sizeof r->params[0]);
    }
    return 0;
}

int admin_rule_sql(const admin_rule *r, const kiln_model *m, bool correlated,
                   kiln_buf *sql, kiln_db_param *ps, size_t *np, size_t cap)
{
    if (!r || !r->sql)
        return 0;
    if (*np + r->nparams > cap)
        return KILN_EINVAL;
    size_t base = *np;
    if (correlated)
        kiln_buf_printf(sql,
                        "EXISTS (SELECT 1 FROM %s AS kiln_rule_row WHERE "
                        "kiln_rule_row.id = %s.id AND (",
                        m->table, m->table);
    else
        kiln_buf_putc(sql, '(');
    kiln_db_sql_shift(sql, r->sql, base);
    kiln_buf_puts(sql, correlated ? "))" : ")");
    for (size_t i = 0; i < r->nparams; i++)
        ps[(*np)++] = r->params[i];
    return 0;
}

int admin_rule_answer(kiln_ctx *c, int rc)
{
    if (kiln_responded(c))
        return 0;
    kiln_log(KILN_LOG_ERROR,
             "%s: admin: a query hook (row rule) failed (%d) without answering",
             kiln_request_id(c), rc);
    return kiln_problem(c, 500, "The rows could not be read.");
}

int admin_rule_get(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                   const admin_rule *r, int64_t id, void *out)
{
    if (!r->sql)
        return kiln_model_get(db, m, id, out);
    kiln_buf sql;
    kiln_buf_init(&sql);
    kiln_db_param ps[9] = {KILN_INT(id)};
    size_t np = 1;
    kiln_buf_puts(&sql, "id = $1 AND ");
    admin_rule_sql(r, m, false, &sql, ps, &np, 9);
    char *where =
        kiln_arena_strndup(kiln_ctx_arena(c), sql.p ? sql.p : "", sql.n);
    kiln_buf_deinit(&sql);
    if (!where)
        return KILN_ENOMEM;
    kiln_list_opts o = {
        .where = where, .params = ps, .nparams = np, .limit = 1};
    kiln_model_rows rows;
    int rc = kiln_model_list(db, m, &o, &rows);
    if (rc != 0)
        return rc;
    if (rows.n == 0)
        return KILN_ENOTFOUND;
    memcpy(out, rows.v, m->size);
    return 0;
}

int admin_rule_keep(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                    const admin_rule *r, int64_t *ids, size_t *n)
{
    if (!r->sql || !*n)
        return 0;
    size_t cap = *n + 8;
    kiln_db_param *ps = kiln_alloc(c, cap * sizeof *ps);
    bool *seen = kiln_arena_calloc(kiln_ctx_arena(c), *n * sizeof *seen);
    if (!ps || !seen)
        return KILN_ENOMEM;
    kiln_buf sql;
    kiln_buf_init(&sql);
    kiln_buf_printf(&sql, "SELECT id FROM %s WHERE id IN (", m->table);
    size_t np = 0;
    for (size_t i = 0; i < *n; i++) {
        ps[np++] = KILN_INT(ids[i]);
        kiln_buf_printf(&sql, "%s$%zu", i ? ", " : "", np);
    }
    kiln_buf_puts(&sql, ") AND ");
    admin_rule_sql(r, m, false, &sql, ps, &np, cap);
    kiln_rows *rows = kiln_db_query_a(db, sql.p, ps, np);
    kiln_buf_deinit(&sql);
    while (rows && kiln_rows_next(rows)) {
        int64_t id = kiln_row_int(rows, 0);
        for (size_t i = 0; i < *n; i++)
            if (ids[i] == id)
                seen[i] = true;
    }
    int err = !rows || kiln_rows_error(rows);
    kiln_rows_close(rows);
    if (err)
        return KILN_EDB;
    size_t k = 0;
    for (size_t i = 0; i < *n; i++)
        if (seen[i])
            ids[k++] = ids[i];
    *n = k;
    return 0;
}
