/*
 * admin/history.c - the audit log as the admin writes and shows it: an
 * entry for every write through the admin (kiln_audit_record, in the
 * write's transaction), the dashboard's recent actions and an object's
 * History page (kiln_audit_list, newest first); neither shows an object
 * its model's row rule hides (rules.c).
 *
 * The audit log is its own module (src/audit, kiln/audit.h); until it is
 * part of the build, writes record nothing and the pages say so.
 */
#include "admin/admin_impl.h"

#if __has_include(<kiln/audit.h>)
#include <kiln/audit.h>
#define ADMIN_HAS_AUDIT 1
#else
#define ADMIN_HAS_AUDIT 0
#endif

#include <string.h>

int admin_audit(kiln_ctx *c, kiln_dbc *db, const kiln_model *m, int64_t id,
                int action, const void *before, const void *after)
{
    return admin_audit_via(c, db, m, id, action, before, after, "admin");
}

int admin_audit_via(kiln_ctx *c, kiln_dbc *db, const kiln_model *m, int64_t id,
                    int action, const void *before, const void *after,
                    const char *via)
{
#if ADMIN_HAS_AUDIT
    static const kiln_audit_action acts[] = {KILN_AUDIT_ADD, KILN_AUDIT_CHANGE,
                                             KILN_AUDIT_DELETE};
    return kiln_audit_record(db, kiln_user_current(c), m, id, acts[action],
                             before, after, via);
#else
    (void)c, (void)db, (void)m, (void)id, (void)action, (void)before,
        (void)after, (void)via;
    return 0;
#endif
}

#if ADMIN_HAS_AUDIT
static kiln_value entries_value(kiln_ctx *c, const kiln_audit_entry *e, long n)
{
    static const char *const acts[] = {"added", "changed", "deleted"};
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value list = kiln_value_list(a);
    for (long i = 0; i < n; i++) {
        kiln_value v = kiln_value_map(a);
        kiln_buf b;
        kiln_buf_init(&b);
        kiln_datetime_format(e[i].at_us, &b);
        kiln_value_set(v, "at", kiln_value_str_copy(a, kiln_buf_str(&b)));
        kiln_buf_deinit(&b);
        kiln_value_set(v, "user",
                       kiln_value_cstr(e[i].user_label ? e[i].user_label : ""));
        kiln_value_set(v, "model",
                       kiln_value_cstr(e[i].model ? e[i].model : ""));
        kiln_value_set(
            v, "object_label",
            kiln_value_cstr(e[i].object_label ? e[i].object_label : ""));
        unsigned act = (unsigned)e[i].action;
        kiln_value_set(v, "action", kiln_value_cstr(act < 3 ? acts[act] : "?"));
        kiln_value_set(v, "via", kiln_value_cstr(e[i].via ? e[i].via : ""));
        kiln_value_set(
            v, "changes",
            kiln_value_cstr(e[i].changes_json ? e[i].changes_json : ""));
        const kiln_model *m =
            e[i].model ? admin_model_named(kiln_str_c(e[i].model)) : NULL;
        kiln_value_set(v, "url",
                       m && act != 2 && admin_can(c, m, ADMIN_VIEW)
                           ? admin_vprintf(c, "%s/%s/%lld/", admin_root(),
                                           m->name, (long long)e[i].object_id)
                           : kiln_value_null());
        kiln_value_push(list, v);
    }
    return list;
}
#endif

#if ADMIN_HAS_AUDIT
/* Whether the row rule of the entry's model shows its object (a deleted
   object under a rule: no, as the rule cannot say). */
static bool entry_shown(kiln_ctx *c, kiln_dbc *db, const kiln_audit_entry *e)
{
    const kiln_model *m =
        e->model ? admin_model_named(kiln_str_c(e->model)) : NULL;
    admin_rule r;
    if (!m)
        return true;
    if (admin_rule_of(c, m, &r) != 0)
        return false;
    int64_t id = e->object_id;
    size_t n = 1;
    return admin_rule_keep(c, db, m, &r, &id, &n) == 0 && n == 1;
}
#endif

kiln_value admin_recent(kiln_ctx *c, kiln_dbc *db, long limit)
{
#if ADMIN_HAS_AUDIT
    kiln_audit_entry *e = NULL;
    long n = kiln_audit_list(db, NULL, 0, limit, &e);
    long k = 0;
    for (long i = 0; i < n; i++)
        if (entry_shown(c, db, &e[i]))
            e[k++] = e[i];
    if (k > 0)
        return entries_value(c, e, k);
#else
    (void)db, (void)limit;
#endif
    return kiln_value_list(kiln_ctx_arena(c));
}

int admin_history(kiln_ctx *c)
{
    const kiln_model *m = admin_route_model(c, ADMIN_VIEW);
    if (!m)
        return 0;
    int64_t id = admin_route_id(c);
    if (!id)
        return 0;
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return kiln_problem(c, 503, "The database is not available.");
    kiln_arena *a = kiln_ctx_arena(c);
    admin_rule r;
    int rc = admin_rule_of(c, m, &r);
    if (rc != 0)
        return admin_rule_answer(c, rc);
    void *row = kiln_arena_calloc(a, m->size ? m->size : 1);
    if (!row)
        return KILN_ENOMEM;
    const char *label = NULL;
    rc = admin_rule_get(c, db, m, &r, id, row);
    if (rc == 0)
        label = admin_row_label(m, row, a);
    else if (rc != KILN_ENOTFOUND)
        return kiln_db_fail(c, db);
    else if (r.sql)
        /* hidden, or deleted: a rule cannot say whether it showed it */
        return kiln_problem(c, 404, "the %s does not exist", m->label);
    kiln_value ctx = admin_context(c, "History");
    if (ctx.type == KILN_VALUE_NULL)
        return KILN_ENOMEM;
    kiln_value_set(ctx, "model", admin_model_value(c, m));
    kiln_value_set(ctx, "object_label",
                   label ? kiln_value_cstr(label)
                         : admin_vprintf(c, "#%lld (deleted)", (long long)id));
    kiln_value_set(ctx, "object_url",
                   label ? admin_vprintf(c, "%s/%s/%lld/", admin_root(),
                                         m->name, (long long)id)
                         : kiln_value_null());
    kiln_value entries = kiln_value_list(a);
#if ADMIN_HAS_AUDIT
    kiln_audit_entry *e = NULL;
    long n = kiln_audit_list(db, m, id, 200, &e);
    if (n > 0)
        entries = entries_value(c, e, n);
    kiln_value_set(ctx, "audit", kiln_value_bool(true));
#else
    kiln_value_set(ctx, "audit", kiln_value_bool(false));
#endif
    kiln_value_set(ctx, "entries", entries);
    return admin_render(c, 200, "history.html", ctx);
}
