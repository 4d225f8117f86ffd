/*
 * admin/json.c - the JSON endpoints of the admin's scripts
 * (docs/admin.md, "URLs"):
 *
 *   GET /admin/MODEL/autocomplete?q=TEXT&after=ID  20 rows a page, by id,
 *       matching TEXT in [admin] search (else the label field), for
 *       foreign-key and many-to-many pickers and the sidebar's filters:
 *       {"results":[{"id":1,"label":"..."}],"more":bool}
 *   GET /admin/search?q=TEXT  the command palette: up to 5 rows of each
 *       model the user may view, 20 in all
 *
 * Both read only what they answer (LIMIT): a picker never loads a table;
 * both show only the rows each model's row rule shows (rules.c).
 */
#include "admin/admin_impl.h"

#include <string.h>

#define AUTOCOMPLETE_PAGE 20

/* Rows of m that rule shows matching text (may be empty) with id > after,
   at most limit,
   appended to b as {"id":..,"label":..} objects (comma-separated when
   *first is false; extra: more keys of each). Returns the rows read or a
   negative error; *more says whether another row exists. */
static long matches(kiln_dbc *db, const kiln_model *m, const admin_rule *rule,
                    kiln_str text, int64_t after, long limit, kiln_arena *a,
                    kiln_buf *b, bool *first, bool palette, bool *more)
{
    const kiln_field *lf = admin_label_field(m);
    *more = false;
    int64_t num;
    if (text.n && !lf && !(m->admin && m->admin->nsearch) &&
        kiln_str_to_i64(text, &num) != 0)
        return 0; /* nothing to look in */
    kiln_buf sql;
    kiln_buf_init(&sql);
    kiln_buf_printf(&sql, "SELECT id, %s FROM %s WHERE id > $1",
                    lf ? lf->column : "id", m->table);
    kiln_db_param ps[10] = {KILN_INT(after)};
    size_t np = 1;
    if (text.n) {
        char *pat = kiln_arena_alloc(a, text.n * 2 + 3);
        if (!pat) {
            kiln_buf_deinit(&sql);
            return KILN_ENOMEM;
        }
        size_t k = 0;
        pat[k++] = '%';
        for (size_t j = 0; j < text.n; j++) {
            if (text.p[j] == '%' || text.p[j] == '_' || text.p[j] == '\\')
                pat[k++] = '\\';
            pat[k++] = text.p[j];
        }
        pat[k++] = '%';
        ps[np++] = KILN_STRV(((kiln_str){pat, k}));
        const kiln_model_admin *ad = m->admin;
        kiln_buf_puts(&sql, " AND (");
        if (ad && ad->nsearch) {
            for (uint32_t i = 0; i < ad->nsearch; i++) {
                int fi = kiln_model_field(m, kiln_str_c(ad->search[i]));
                kiln_buf_printf(&sql, "%slower(%s) LIKE lower($2) ESCAPE '\\'",
                                i ? " OR " : "",
                                fi >= 0 ? m->fields[fi].column : "id");
            }
        } else if (lf) {
            kiln_buf_printf(&sql, "lower(%s) LIKE lower($2) ESCAPE '\\'",
                            lf->column);
        } else {
            kiln_buf_puts(&sql, "$2 IS NULL"); /* by id only, below */
        }
        int64_t id;
        if (kiln_str_to_i64(text, &id) == 0)
            kiln_buf_printf(&sql, " OR id = %lld", (long long)id);
        kiln_buf_putc(&sql, ')');
    }
    if (rule->sql) {
        kiln_buf_puts(&sql, " AND ");
        admin_rule_sql(rule, m, false, &sql, ps, &np, 10);
    }
    kiln_buf_printf(&sql, " ORDER BY id LIMIT %ld", limit + 1);
    kiln_rows *r = kiln_db_query_a(db, sql.p, ps, np);
    kiln_buf_deinit(&sql);
    long n = 0;
    *more = false;
    while (r && kiln_rows_next(r)) {
        if (n == limit) {
            *more = true;
            break;
        }
        int64_t id = kiln_row_int(r, 0);
        const char *label = lf ? admin_cell_text(r, 1, a) : "";
        if (!*label)
            label = kiln_arena_printf(a, "%s #%lld", m->label, (long long)id);
        if (!*first)
            kiln_buf_putc(b, ',');
        *first = false;
        kiln_buf_printf(b, "{\"id\":%lld,\"label\":", (long long)id);
        kiln_json_put_str(b, label, strlen(label));
        if (palette) {
            kiln_buf_puts(b, ",\"model\":");
            kiln_json_put_str(b, m->name, strlen(m->name));
            const char *ml = admin_title(m->label_plural, a);
            kiln_buf_puts(b, ",\"model_label\":");
            kiln_json_put_str(b, ml, strlen(ml));
            kiln_buf_printf(b, ",\"url\":");
            char *url = kiln_arena_printf(a, "%s/%s/%lld/", admin_root(),
                                          m->name, (long long)id);
            kiln_json_put_str(b, url ? url : "", url ? strlen(url) : 0);
        }
        kiln_buf_putc(b, '}');
        n++;
    }
    int err = !r || kiln_rows_error(r);
    kiln_rows_close(r);
    return err ? -1 : n;
}

static kiln_str text_param(kiln_ctx *c)
{
    kiln_str q = kiln_query(c, "q");
    if (!q.p)
        return KILN_STR("");
    while (q.n && q.p[0] == ' ')
        q.p++, q.n--;
    while (q.n && q.p[q.n - 1] == ' ')
        q.n--;
    if (q.n > 200)
        q.n = 200;
    return q;
}

int admin_autocomplete(kiln_ctx *c)
{
    const kiln_model *m = admin_route_model(c, ADMIN_VIEW);
    if (!m)
        return 0;
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return kiln_problem(c, 503, "The database is not available.");
    int64_t after = 0;
    if (kiln_query_i64(c, "after", &after) != 0 || after < 0)
        after = 0;
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_puts(&b, "{\"results\":[");
    admin_rule r;
    int rc = admin_rule_of(c, m, &r);
    if (rc != 0)
        return admin_rule_answer(c, rc);
    bool first = true, more = false;
    long n = matches(db, m, &r, text_param(c), after, AUTOCOMPLETE_PAGE,
                     kiln_ctx_arena(c), &b, &first, false, &more);
    if (n < 0) {
        kiln_buf_deinit(&b);
        return kiln_db_fail(c, db);
    }
    kiln_buf_printf(&b, "],\"more\":%s}", more ? "true" : "false");
    kiln_set_header(c, "Cache-Control", "no-store");
    rc = kiln_respond(c, 200, "application/json", b.p, b.n);
    kiln_buf_deinit(&b);
    return rc;
}

int admin_search(kiln_ctx *c)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return kiln_problem(c, 503, "The database is not available.");
    kiln_str q = text_param(c);
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_puts(&b, "{\"results\":[");
    bool first = true;
    long total = 0;
    const kiln_model *const *ms = admin_models();
    for (size_t i = 0; q.n && ms && ms[i] && total < 20; i++) {
        if (!admin_can(c, ms[i], ADMIN_VIEW))
            continue;
        admin_rule r;
        int rc = admin_rule_of(c, ms[i], &r);
        if (rc != 0) {
            kiln_buf_deinit(&b);
            return admin_rule_answer(c, rc);
        }
        bool more;
        long want = 20 - total < 5 ? 20 - total : 5;
        long n = matches(db, ms[i], &r, q, 0, want, kiln_ctx_arena(c), &b,
                         &first, true, &more);
        if (n < 0) {
            kiln_buf_deinit(&b);
            return kiln_db_fail(c, db);
        }
        total += n;
    }
    kiln_buf_puts(&b, "]}");
    kiln_set_header(c, "Cache-Control", "no-store");
    int rc = kiln_respond(c, 200, "application/json", b.p, b.n);
    kiln_buf_deinit(&b);
    return rc;
}
