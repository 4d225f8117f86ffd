/*
 * admin/delete.c - deleting through the admin (docs/admin.md):
 *
 *   GET  /admin/MODEL/ID/delete   the confirmation: the row and every row
 *                                 the delete cascades to, or the rows that
 *                                 refuse it (on_delete = "restrict")
 *   POST /admin/MODEL/ID/delete   the delete
 *   POST /admin/MODEL/action      action=delete: the same confirmation for
 *                                 the selected rows, then (confirm=yes)
 *                                 their deletes; another action: the app's
 *                                 (KILN_ADMIN_ACTION)
 *
 * Each row is deleted as a single delete of the API is: its before_delete
 * hook, the audit entry, the delete, its after_delete hook; all of a bulk
 * delete in one transaction (one refusal rolls every row back).
 */
#include "admin/admin_impl.h"

#include <kiln/api.h>

#include <stdio.h>
#include <string.h>

#define CASCADE_MAX 200
#define SELECT_MAX 500

typedef struct walk {
    kiln_ctx *c;
    kiln_dbc *db;
    kiln_value out, prot;
    size_t n;
    int depth;
} walk;

static void add_row(walk *w, kiln_value list, const kiln_model *m, int64_t id,
                    const char *label)
{
    kiln_arena *a = kiln_ctx_arena(w->c);
    kiln_value e = kiln_value_map(a);
    kiln_value_set(e, "model", kiln_value_cstr(admin_title(m->label, a)));
    kiln_value_set(e, "label", kiln_value_cstr(label));
    kiln_value_set(e, "url",
                   admin_vprintf(w->c, "%s/%s/%lld/", admin_root(), m->name,
                                 (long long)id));
    kiln_value_push(list, e);
    w->n++;
}

/* The rows referring to ids of m, recursively. */
static int walk_refs(walk *w, const kiln_model *m, const int64_t *ids, size_t n)
{
    if (w->depth > 8 || !n)
        return 0;
    kiln_arena *a = kiln_ctx_arena(w->c);
    const kiln_model *const *ms = admin_models();
    for (size_t i = 0; ms && ms[i] && w->n < CASCADE_MAX; i++) {
        const kiln_model *cm = ms[i];
        for (uint32_t k = 0; k < cm->nfields; k++) {
            const kiln_field *f = &cm->fields[k];
            if (f->type != KILN_FT_REF ||
                (f->ref != m && !(admin_is_user(m) && admin_is_user(f->ref))) ||
                f->on_delete == KILN_ON_DELETE_SET_NULL)
                continue;
            const kiln_field *lf = admin_label_field(cm);
            kiln_buf sql;
            kiln_buf_init(&sql);
            kiln_buf_printf(&sql, "SELECT id, %s FROM %s WHERE %s IN (",
                            lf ? lf->column : "id", cm->table, f->column);
            kiln_db_param *ps = kiln_arena_alloc(a, n * sizeof *ps);
            if (!ps) {
                kiln_buf_deinit(&sql);
                return KILN_ENOMEM;
            }
            for (size_t j = 0; j < n; j++) {
                ps[j] = KILN_INT(ids[j]);
                kiln_buf_printf(&sql, "%s$%zu", j ? ", " : "", j + 1);
            }
            kiln_buf_printf(&sql, ") ORDER BY id LIMIT %d", CASCADE_MAX);
            kiln_rows *r = kiln_db_query_a(w->db, sql.p, ps, n);
            kiln_buf_deinit(&sql);
            int64_t *sub = kiln_arena_alloc(a, CASCADE_MAX * sizeof *sub);
            size_t ns = 0;
            while (r && sub && kiln_rows_next(r) && w->n < CASCADE_MAX) {
                int64_t id = kiln_row_int(r, 0);
                const char *label = lf ? admin_cell_text(r, 1, a) : "";
                if (!*label)
                    label = kiln_arena_printf(a, "#%lld", (long long)id);
                bool cascade = f->on_delete == KILN_ON_DELETE_CASCADE;
                add_row(w, cascade ? w->out : w->prot, cm, id, label);
                if (cascade)
                    sub[ns++] = id;
            }
            int err = !r || kiln_rows_error(r);
            kiln_rows_close(r);
            if (err)
                return -1;
            w->depth++;
            int rc = walk_refs(w, cm, sub, ns);
            w->depth--;
            if (rc)
                return rc;
        }
    }
    return 0;
}

int admin_cascade(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                  const int64_t *ids, size_t n, kiln_value *out,
                  kiln_value *protected_rows)
{
    kiln_arena *a = kiln_ctx_arena(c);
    walk w = {c, db, kiln_value_list(a), kiln_value_list(a), 0, 0};
    void *row = kiln_arena_calloc(a, m->size ? m->size : 1);
    if (!row)
        return KILN_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (kiln_model_get(db, m, ids[i], row) == 0)
            add_row(&w, w.out, m, ids[i], admin_row_label(m, row, a));
    int rc = walk_refs(&w, m, ids, n);
    *out = w.out;
    *protected_rows = w.prot;
    return rc;
}

int admin_delete_row(kiln_ctx *c, kiln_dbc *db, const kiln_model *m, int64_t id,
                     kiln_errors *errs)
{
    void *row = kiln_arena_calloc(kiln_ctx_arena(c), m->size ? m->size : 1);
    if (!row)
        return KILN_ENOMEM;
    int rc = kiln_model_get(db, m, id, row);
    if (rc)
        return rc;
    const kiln_api_hooks *h = kiln_api_hooks_of(m->name);
    if (h && h->before_delete) {
        rc = h->before_delete(c, db, row, errs);
        if (rc || kiln_errors_any(errs))
            return rc < 0 ? rc : 1;
    }
    if ((rc = admin_audit(c, db, m, id, 2, row, NULL)) != 0)
        return rc;
    if ((rc = kiln_model_delete(db, m, id)) != 0 ||
        (rc = admin_user_deleted(db, m, id)) != 0)
        return rc;
    if (h && h->after_delete) {
        rc = h->after_delete(c, db, row, errs);
        if (rc || kiln_errors_any(errs))
            return rc < 0 ? rc : 1;
    }
    return 0;
}

/* The confirmation page for ids of m; form_action: where it posts. */
static int confirm_page(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                        const int64_t *ids, size_t n, bool bulk)
{
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value rows, prot;
    if (admin_cascade(c, db, m, ids, n, &rows, &prot) != 0)
        return kiln_db_fail(c, db);
    kiln_value ctx = admin_context(c, "Are you sure?");
    if (ctx.type == KILN_VALUE_NULL)
        return KILN_ENOMEM;
    kiln_value model = kiln_value_map(a);
    kiln_value_set(model, "name", kiln_value_cstr(m->name));
    kiln_value_set(model, "label", kiln_value_cstr(m->label));
    kiln_value_set(model, "label_plural",
                   kiln_value_cstr(admin_title(m->label_plural, a)));
    kiln_value_set(ctx, "model", model);
    kiln_value_set(ctx, "rows", rows);
    kiln_value_set(ctx, "protected", prot);
    kiln_value_set(ctx, "bulk", kiln_value_bool(bulk));
    kiln_value sel = kiln_value_list(a);
    for (size_t i = 0; i < n; i++)
        kiln_value_push(sel, kiln_value_int(ids[i]));
    kiln_value_set(ctx, "selected", sel);
    kiln_value_set(ctx, "form_action",
                   bulk
                       ? admin_vprintf(c, "%s/%s/action", admin_root(), m->name)
                       : admin_vprintf(c, "%s/%s/%lld/delete", admin_root(),
                                       m->name, (long long)ids[0]));
    return admin_render(c, 200, "delete.html", ctx);
}

/* Deletes ids of m in one transaction; answers (a redirect to the list
   with a message, or what refused). */
static int delete_rows(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                       const int64_t *ids, size_t n)
{
    kiln_errors errs;
    kiln_errors_init(&errs, kiln_ctx_arena(c));
    int rc = kiln_db_begin(db);
    size_t done = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = admin_delete_row(c, db, m, ids[i], &errs);
        if (rc == KILN_ENOTFOUND)
            rc = 0; /* gone meanwhile */
        else if (rc == 0)
            done++;
    }
    if (rc != 0) {
        kiln_db_rollback(db);
        if (kiln_responded(c))
            return 0;
        if (kiln_errors_any(&errs))
            return kiln_problem_errors(c, 422, &errs, NULL);
        return kiln_model_fail(c, db, m, rc);
    }
    if (kiln_db_commit(db) != 0)
        return kiln_db_fail(c, db);
    admin_user_forget(m, ids, n);
    kiln_flash(c, "success", "Deleted %zu %s.", done,
               done == 1 ? m->label : m->label_plural);
    char to[256];
    snprintf(to, sizeof to, "%s/%s/", admin_root(), m->name);
    return kiln_redirect(c, 303, to);
}

int admin_delete(kiln_ctx *c)
{
    bool post = kiln_str_eq(kiln_method(c), KILN_STR("POST"));
    const kiln_model *m = admin_route_model(c, ADMIN_DELETE);
    if (!m)
        return 0;
    int64_t id = admin_route_id(c);
    if (!id)
        return 0;
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return kiln_problem(c, 503, "The database is not available.");
    if (admin_user_refuse_delete(c, db, m, &id, 1))
        return 0;
    if (!post) {
        void *row = kiln_arena_calloc(kiln_ctx_arena(c), m->size ? m->size : 1);
        int rc = row ? kiln_model_get(db, m, id, row) : KILN_ENOMEM;
        if (rc)
            return kiln_model_fail(c, db, m, rc);
        return confirm_page(c, db, m, &id, 1, false);
    }
    return delete_rows(c, db, m, &id, 1);
}

int admin_action(kiln_ctx *c)
{
    const kiln_model *m = admin_route_model(c, ADMIN_VIEW);
    if (!m)
        return 0;
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return kiln_problem(c, 503, "The database is not available.");
    kiln_str action = kiln_form(c, "action");
    kiln_str vals[SELECT_MAX];
    size_t nv = kiln_form_values(c, "_selected", vals, SELECT_MAX);
    int64_t *ids = kiln_alloc(c, (nv ? nv : 1) * sizeof *ids);
    size_t n = 0;
    for (size_t i = 0; ids && i < nv && i < SELECT_MAX; i++) {
        int64_t id;
        if (kiln_str_to_i64(vals[i], &id) == 0 && id > 0)
            ids[n++] = id;
    }
    char back[256];
    snprintf(back, sizeof back, "%s/%s/", admin_root(), m->name);
    if (!n) {
        kiln_flash(c, "warning", "Select some rows first.");
        return kiln_redirect(c, 303, back);
    }
    if (kiln_str_eq(action, KILN_STR("delete"))) {
        if (!admin_can(c, m, ADMIN_DELETE))
            return admin_denied(c, "You may not delete these rows.");
        if (admin_user_refuse_delete(c, db, m, ids, n))
            return 0;
        if (kiln_str_eq(kiln_form(c, "confirm"), KILN_STR("yes")))
            return delete_rows(c, db, m, ids, n);
        return confirm_page(c, db, m, ids, n, true);
    }
    const kiln_admin_action *x = admin_actions_of(m->name);
    while (x && !(strcmp(x->model, m->name) == 0 &&
                  kiln_str_eq(kiln_str_c(x->name), action)))
        x = x->next;
    if (!x)
        return kiln_problem(c, 400, "No such action.");
    if (!admin_can(c, m, ADMIN_CHANGE))
        return admin_denied(c, "You may not change these rows.");
    int rc = kiln_db_begin(db);
    if (rc == 0)
        rc = x->fn(c, db, ids, n);
    if (rc != 0) {
        kiln_db_rollback(db);
        if (kiln_responded(c))
            return 0;
        return rc >= 400 && rc < 600
                   ? kiln_problem(c, rc, "The action %s failed.", x->name)
                   : kiln_problem(c, 500, "The action %s failed.", x->name);
    }
    if (kiln_db_commit(db) != 0)
        return kiln_db_fail(c, db);
    if (kiln_responded(c))
        return 0;
    kiln_flash(c, "success", "%s: done for %zu %s.", x->label, n,
               n == 1 ? m->label : m->label_plural);
    return kiln_redirect(c, 303, back);
}
