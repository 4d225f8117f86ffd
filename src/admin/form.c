/*
 * admin/form.c - add and change forms (docs/admin.md): a widget per field
 * type, required marks, help texts, read-only fields, fieldsets, the
 * model layer's validation errors beside each field, and the three save
 * buttons (_save, _addanother, _continue).
 *
 *   GET|POST /admin/MODEL/add
 *   GET|POST /admin/MODEL/ID/     (view-only users: the page read-only,
 *                                  a POST refused with 403)
 *
 * A write decodes the form with the model's own decoder (kiln_decode_form:
 * the rules of the API), checks its references, runs the API's hooks and
 * records the audit entry, all in one transaction.
 */
#include "admin/admin_impl.h"
#include "model/runtime.h"

#include <kiln/api.h>
#include <kiln/audit.h>

#include <stdio.h>
#include <string.h>

static bool listed(const char *const *v, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(v[i], name) == 0)
            return true;
    return false;
}

/* Whether f is on the form at all, and whether the form may write it. */
static bool shown(const kiln_model *m, const kiln_field *f)
{
    if (f->flags & (KILN_FF_PK | KILN_FF_WRITE_ONLY))
        return f->flags & KILN_FF_WRITE_ONLY && !(f->flags & KILN_FF_PK) &&
               !(m->admin &&
                 listed(m->admin->exclude, m->admin->nexclude, f->name));
    return !(m->admin &&
             listed(m->admin->exclude, m->admin->nexclude, f->name));
}

static bool writable(const kiln_model *m, const kiln_field *f)
{
    return shown(m, f) && !(f->flags & KILN_FF_READ_ONLY) &&
           !(m->admin &&
             listed(m->admin->read_only, m->admin->nread_only, f->name));
}

/* Bytes of f's value in the struct. */
static size_t value_size(const kiln_field *f)
{
    switch (f->type) {
    case KILN_FT_BOOL:
        return sizeof(bool);
    case KILN_FT_ENUM:
        return sizeof(int);
    case KILN_FT_DATE:
        return sizeof(kiln_date);
    case KILN_FT_UUID:
        return sizeof(kiln_uuid);
    case KILN_FT_DECIMAL:
    case KILN_FT_STRING:
    case KILN_FT_TEXT:
    case KILN_FT_EMAIL:
    case KILN_FT_URL:
    case KILN_FT_JSON:
        return sizeof(kiln_str);
    case KILN_FT_MANY:
        return sizeof(kiln_ids);
    default:
        return sizeof(int64_t);
    }
}

/* Copies f's value (and its has_ flag) from src to dst. */
static void copy_field(const kiln_field *f, void *dst, const void *src)
{
    memcpy((char *)dst + f->offset, (const char *)src + f->offset,
           value_size(f));
    if (f->has_offset != KILN_NO_OFFSET)
        memcpy((char *)dst + f->has_offset, (const char *)src + f->has_offset,
               sizeof(bool));
}

/* The form's value of f for an <input>: a datetime as datetime-local
   ("2026-12-01T10:00", UTC), else the display text. */
static const char *input_text(const kiln_field *f, const void *obj,
                              kiln_arena *a)
{
    const char *t = admin_field_text(f, obj, a);
    if (f->type == KILN_FT_DATETIME && strlen(t) >= 16)
        return kiln_arena_strndup(a, t, 16);
    return t;
}

/* The first submitted value named name, or NULL. */
static const kiln_form_field *sent(const kiln_form_field *ff, size_t n,
                                   const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (kiln_str_eq(ff[i].name, kiln_str_c(name)))
            return &ff[i];
    return NULL;
}

/* One field's template value. */
static kiln_value field_value(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                              const kiln_field *f, const char *name,
                              const void *obj, const kiln_form_field *ff,
                              size_t nff, const kiln_errors *errs,
                              bool readonly)
{
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value e = kiln_value_map(a);
    kiln_value_set(e, "name", kiln_value_cstr(name));
    kiln_value_set(e, "label", kiln_value_cstr(admin_title(f->label, a)));
    kiln_value_set(e, "help",
                   f->help ? kiln_value_cstr(f->help) : kiln_value_null());
    bool ro = readonly || !writable(m, f) || admin_user_locked(c, m, f);
    kiln_value_set(e, "readonly", kiln_value_bool(ro));
    bool required = !(f->flags & KILN_FF_OPTIONAL) && !f->def &&
                    !(f->flags & (KILN_FF_DEFAULT_NOW | KILN_FF_DEFAULT_RANDOM |
                                  KILN_FF_BLANK)) &&
                    f->type != KILN_FT_BOOL && f->type != KILN_FT_MANY;
    kiln_value_set(e, "required", kiln_value_bool(required && !ro));
    /* the value: as sent (a form with errors), else the row's */
    const char *val = "";
    const kiln_form_field *s = ff ? sent(ff, nff, name) : NULL;
    if (s)
        val = kiln_arena_strndup(a, s->value.p ? s->value.p : "", s->value.n);
    else if (obj)
        val = input_text(f, obj, a);
    if (!val)
        val = "";
    kiln_value_set(e, "value", kiln_value_cstr(val));
    const char *widget = "text", *input = "text";
    kiln_value opts = kiln_value_list(a);
    switch (f->type) {
    case KILN_FT_INT:
    case KILN_FT_FLOAT:
    case KILN_FT_DECIMAL:
        widget = "input";
        input = "number";
        kiln_value_set(e, "step",
                       f->type == KILN_FT_INT ? kiln_value_cstr("1")
                       : f->type == KILN_FT_DECIMAL && f->scale
                           ? admin_vprintf(c, "0.%0*d", f->scale, 1)
                           : kiln_value_cstr("any"));
        if (f->flags & KILN_FF_HAS_MIN)
            kiln_value_set(e, "min",
                           f->min_text ? kiln_value_cstr(f->min_text)
                                       : admin_vprintf(c, "%g", f->min));
        if (f->flags & KILN_FF_HAS_MAX)
            kiln_value_set(e, "max",
                           f->max_text ? kiln_value_cstr(f->max_text)
                                       : admin_vprintf(c, "%g", f->max));
        break;
    case KILN_FT_BOOL:
        if (f->flags & KILN_FF_OPTIONAL) {
            widget = "select";
            static const char *const v3[] = {"", "true", "false"};
            static const char *const l3[] = {"Unknown", "Yes", "No"};
            for (int i = 0; i < 3; i++) {
                kiln_value o = kiln_value_map(a);
                kiln_value_set(o, "value", kiln_value_cstr(v3[i]));
                kiln_value_set(o, "label", kiln_value_cstr(l3[i]));
                kiln_value_set(o, "selected",
                               kiln_value_bool(strcmp(val, v3[i]) == 0));
                kiln_value_push(opts, o);
            }
        } else {
            widget = "checkbox";
            bool on = s ? true : strcmp(val, "true") == 0;
            if (ff && !s)
                on = false; /* a form sent without the box: unchecked */
            kiln_value_set(e, "checked", kiln_value_bool(on));
        }
        break;
    case KILN_FT_TEXT:
        widget = "textarea";
        break;
    case KILN_FT_JSON:
        widget = "json";
        break;
    case KILN_FT_DATE:
        widget = "input";
        input = "date";
        break;
    case KILN_FT_DATETIME:
        widget = "input";
        input = "datetime-local";
        break;
    case KILN_FT_TIME:
        widget = "input";
        input = "time";
        break;
    case KILN_FT_EMAIL:
        widget = "input";
        input = "email";
        break;
    case KILN_FT_URL:
        widget = "input";
        input = "url";
        break;
    case KILN_FT_ENUM:
        widget = "select";
        if (f->flags & KILN_FF_OPTIONAL) {
            kiln_value o = kiln_value_map(a);
            kiln_value_set(o, "value", kiln_value_cstr(""));
            kiln_value_set(o, "label", kiln_value_cstr("---------"));
            kiln_value_set(o, "selected", kiln_value_bool(!*val));
            kiln_value_push(opts, o);
        }
        for (uint32_t i = 0; i < f->nvalues; i++) {
            kiln_value o = kiln_value_map(a);
            kiln_value_set(o, "value", kiln_value_cstr(f->values[i]));
            kiln_value_set(o, "label",
                           kiln_value_cstr(admin_title(f->values[i], a)));
            kiln_value_set(o, "selected",
                           kiln_value_bool(strcmp(val, f->values[i]) == 0));
            kiln_value_push(opts, o);
        }
        break;
    case KILN_FT_REF:
    case KILN_FT_MANY: {
        widget = f->type == KILN_FT_REF ? "ref" : "many";
        kiln_value_set(e, "target", kiln_value_cstr(f->ref->name));
        kiln_value_set(e, "optional",
                       kiln_value_bool(f->flags & KILN_FF_OPTIONAL));
        /* only the current value(s), with their labels: one query */
        int64_t ids[256];
        size_t n = 0;
        if (f->type == KILN_FT_REF) {
            int64_t id;
            if (*val && kiln_str_to_i64(kiln_str_c(val), &id) == 0)
                ids[n++] = id;
        } else if (ff) {
            for (size_t i = 0; i < nff && n < 256; i++) {
                int64_t id;
                if (kiln_str_eq(ff[i].name, kiln_str_c(name)) &&
                    kiln_str_to_i64(ff[i].value, &id) == 0)
                    ids[n++] = id;
            }
        } else if (obj) {
            const kiln_ids *v =
                (const kiln_ids *)((const char *)obj + f->offset);
            for (size_t i = 0; i < v->n && n < 256; i++)
                ids[n++] = v->v[i];
        }
        const kiln_field *lf = admin_label_field(f->ref);
        kiln_buf sql;
        kiln_buf_init(&sql);
        kiln_buf_printf(&sql, "SELECT id, %s FROM %s WHERE id IN (",
                        lf ? lf->column : "id", f->ref->table);
        kiln_db_param ps[256];
        for (size_t i = 0; i < n; i++) {
            ps[i] = KILN_INT(ids[i]);
            kiln_buf_printf(&sql, "%s$%zu", i ? ", " : "", i + 1);
        }
        kiln_buf_puts(&sql, ") ORDER BY id");
        kiln_rows *r = n ? kiln_db_query_a(db, sql.p, ps, n) : NULL;
        kiln_buf_deinit(&sql);
        while (r && kiln_rows_next(r)) {
            kiln_value o = kiln_value_map(a);
            const char *label = admin_cell_text(r, 1, a);
            kiln_value_set(
                o, "value",
                admin_vprintf(c, "%lld", (long long)kiln_row_int(r, 0)));
            kiln_value_set(
                o, "label",
                *label
                    ? kiln_value_cstr(label)
                    : admin_vprintf(c, "#%lld", (long long)kiln_row_int(r, 0)));
            kiln_value_set(o, "selected", kiln_value_bool(true));
            kiln_value_push(opts, o);
        }
        kiln_rows_close(r);
        kiln_value_set(e, "display",
                       kiln_value_len(opts) ? kiln_value_at(opts, 0)
                                            : kiln_value_null());
        break;
    }
    default:
        widget = "input";
        break;
    }
    kiln_value_set(e, "widget", kiln_value_cstr(widget));
    kiln_value_set(e, "input", kiln_value_cstr(input));
    kiln_value_set(e, "options", opts);
    if (f->max_length > 0)
        kiln_value_set(e, "maxlength", kiln_value_int(f->max_length));
    /* the model layer's message for it */
    const char *err = NULL;
    char ptr[80];
    snprintf(ptr, sizeof ptr, "/%s", name);
    for (size_t i = 0; errs && i < errs->n && !err; i++)
        if (strcmp(errs->items[i].pointer, ptr) == 0 ||
            (strncmp(errs->items[i].pointer, ptr, strlen(ptr)) == 0 &&
             errs->items[i].pointer[strlen(ptr)] == '/'))
            err = errs->items[i].detail;
    kiln_value_set(e, "error", err ? kiln_value_cstr(err) : kiln_value_null());
    return e;
}

/* ---- inlines: child rows edited on the parent's page ---------------- */

#define INLINE_MAX 100

/* The ref field of child pointing at parent, or NULL. */
static const kiln_field *ref_to(const kiln_model *child,
                                const kiln_model *parent)
{
    for (uint32_t i = 0; i < child->nfields; i++)
        if (child->fields[i].type == KILN_FT_REF &&
            child->fields[i].ref == parent)
            return &child->fields[i];
    return NULL;
}

/* The child model named name, or NULL. */
static const kiln_model *inline_model(const char *name)
{
    const kiln_model *cm = admin_model_named(kiln_str_c(name));
    return admin_is_user(cm) ? NULL : cm; /* users: on their own form only */
}

/* Whether field f of child cm appears in its inline rows (its
   many-to-many fields too: a tag widget per row, as on the main form). */
static bool inline_field(const kiln_model *cm, const kiln_field *rf,
                         const kiln_field *f)
{
    return f != rf && !(f->flags & (KILN_FF_PK | KILN_FF_WRITE_ONLY)) &&
           shown(cm, f);
}

/* One inline row's fields: [{...field_value}] named CHILD-N-FIELD. */
static kiln_value inline_row(kiln_ctx *c, kiln_dbc *db, const kiln_model *cm,
                             const kiln_field *rf, const char *prefix,
                             const void *obj, const kiln_form_field *ff,
                             size_t nff, const kiln_errors *errs, bool readonly)
{
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value list = kiln_value_list(a);
    for (uint32_t i = 0; i < cm->nfields; i++) {
        const kiln_field *f = &cm->fields[i];
        if (!inline_field(cm, rf, f))
            continue;
        char *name = kiln_arena_printf(a, "%s-%s", prefix, f->name);
        if (name)
            kiln_value_push(list, field_value(c, db, cm, f, name, obj, ff, nff,
                                              errs, readonly));
    }
    return list;
}

/* The rows of child cm whose ref rf names the parent id that cm's row
   rule shows (at most INLINE_MAX) into *out. 0 or an error of db. */
static int child_rows(kiln_ctx *c, kiln_dbc *db, const kiln_model *cm,
                      const kiln_field *rf, int64_t id, const admin_rule *cr,
                      kiln_model_rows *out)
{
    if (!cr->sql) {
        kiln_filter flt = {rf->name, KILN_OP_EQ, KILN_INT(id)};
        kiln_list_opts o = {
            .filters = &flt, .nfilters = 1, .limit = INLINE_MAX};
        return kiln_model_list(db, cm, &o, out);
    }
    kiln_buf sql;
    kiln_buf_init(&sql);
    kiln_db_param ps[9] = {KILN_INT(id)};
    size_t np = 1;
    kiln_buf_printf(&sql, "%s = $1 AND ", rf->column);
    admin_rule_sql(cr, cm, false, &sql, ps, &np, 9);
    char *where =
        kiln_arena_strndup(kiln_ctx_arena(c), sql.p ? sql.p : "", sql.n);
    kiln_buf_deinit(&sql);
    if (!where)
        return KILN_ENOMEM;
    kiln_list_opts o = {
        .where = where, .params = ps, .nparams = np, .limit = INLINE_MAX};
    return kiln_model_list(db, cm, &o, out);
}

/* The inlines of m's row id: [{model, label, total, headers, rows:
   [{prefix, id, fields}], empty}]. A child model whose row rule hides
   rows shows only the others; one whose query hook answered (the
   hook's answer is the request's) or failed is left out. */
static kiln_value inlines_value(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                                int64_t id, const kiln_form_field *ff,
                                size_t nff, const kiln_errors *errs,
                                bool readonly)
{
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value out = kiln_value_list(a);
    const kiln_model_admin *ad = m->admin;
    for (uint32_t k = 0; id && ad && k < ad->ninlines; k++) {
        const kiln_model *cm = inline_model(ad->inlines[k]);
        const kiln_field *rf = cm ? ref_to(cm, m) : NULL;
        if (!rf || !admin_can(c, cm, ADMIN_VIEW))
            continue;
        bool ro = readonly || !admin_can(c, cm, ADMIN_CHANGE);
        admin_rule cr;
        kiln_model_rows rows = {0};
        if (admin_rule_of(c, cm, &cr) != 0 ||
            child_rows(c, db, cm, rf, id, &cr, &rows) != 0)
            continue;
        kiln_value e = kiln_value_map(a), rl = kiln_value_list(a),
                   heads = kiln_value_list(a);
        for (uint32_t i = 0; i < cm->nfields; i++)
            if (inline_field(cm, rf, &cm->fields[i]))
                kiln_value_push(heads, kiln_value_cstr(admin_title(
                                           cm->fields[i].label, a)));
        size_t n = rows.n;
        for (size_t r = 0; r < n; r++) {
            const void *obj = (const char *)rows.v + r * cm->size;
            char *prefix = kiln_arena_printf(a, "%s-%zu", cm->name, r);
            kiln_value row = kiln_value_map(a);
            kiln_value_set(row, "prefix", kiln_value_cstr(prefix));
            kiln_value_set(
                row, "id",
                kiln_value_int(*(const int64_t *)((const char *)obj +
                                                  cm->fields[0].offset)));
            kiln_value_set(
                row, "fields",
                inline_row(c, db, cm, rf, prefix, obj, ff, nff, errs, ro));
            kiln_value_push(rl, row);
        }
        /* rows added on the page that did not save (errors): shown again */
        int64_t total = 0;
        char key[96];
        snprintf(key, sizeof key, "%s-TOTAL", cm->name);
        const kiln_form_field *t = ff ? sent(ff, nff, key) : NULL;
        if (t && kiln_str_to_i64(t->value, &total) == 0)
            for (int64_t r = (int64_t)n; r < total && r < INLINE_MAX; r++) {
                char *prefix =
                    kiln_arena_printf(a, "%s-%lld", cm->name, (long long)r);
                kiln_value row = kiln_value_map(a);
                kiln_value_set(row, "prefix", kiln_value_cstr(prefix));
                kiln_value_set(row, "id", kiln_value_null());
                kiln_value_set(
                    row, "fields",
                    inline_row(c, db, cm, rf, prefix, NULL, ff, nff, errs, ro));
                kiln_value_push(rl, row);
            }
        kiln_value_set(e, "model", kiln_value_cstr(cm->name));
        kiln_value_set(e, "label",
                       kiln_value_cstr(admin_title(cm->label_plural, a)));
        kiln_value_set(e, "readonly", kiln_value_bool(ro));
        kiln_value_set(e, "can_delete",
                       kiln_value_bool(!ro && admin_can(c, cm, ADMIN_DELETE)));
        kiln_value_set(e, "total", kiln_value_int((int64_t)kiln_value_len(rl)));
        kiln_value_set(e, "headers", heads);
        kiln_value_set(e, "rows", rl);
        char *ep = kiln_arena_printf(a, "%s-__prefix__", cm->name);
        kiln_value_set(
            e, "empty",
            ro || !admin_can(c, cm, ADMIN_ADD)
                ? kiln_value_null()
                : inline_row(c, db, cm, rf, ep, NULL, NULL, 0, NULL, false));
        kiln_value_set(e, "empty_prefix", kiln_value_cstr(ep));
        kiln_value_push(out, e);
    }
    return out;
}

/* The sent fields named PREFIX-NAME, as NAME, into out; datetimes given
   an offset. Returns how many. */
static size_t prefixed(kiln_ctx *c, const kiln_model *cm, const char *prefix,
                       const kiln_form_field *ff, size_t n,
                       kiln_form_field *out, bool *any)
{
    size_t pn = strlen(prefix), k = 0;
    *any = false;
    for (size_t i = 0; i < n; i++) {
        if (ff[i].name.n <= pn + 1 || memcmp(ff[i].name.p, prefix, pn) != 0 ||
            ff[i].name.p[pn] != '-')
            continue;
        kiln_str name = {ff[i].name.p + pn + 1, ff[i].name.n - pn - 1};
        int fi = kiln_model_field(cm, name);
        if (fi < 0 || !writable(cm, &cm->fields[fi]))
            continue;
        out[k] = ff[i];
        out[k].name = name;
        const kiln_field *f = &cm->fields[fi];
        if (f->type == KILN_FT_DATETIME &&
            (ff[i].value.n == 16 || ff[i].value.n == 19)) {
            char *v = kiln_arena_printf(kiln_ctx_arena(c), "%.*sZ",
                                        (int)ff[i].value.n, ff[i].value.p);
            if (v)
                out[k].value = kiln_str_c(v);
        }
        if (ff[i].value.n)
            *any = true;
        k++;
    }
    return k;
}

/* Moves the errors of a child's decode under pointers "/PREFIX-FIELD". */
static void child_errors(kiln_errors *dst, const kiln_errors *src,
                         const char *prefix, kiln_arena *a)
{
    for (size_t i = 0; i < src->n; i++) {
        const char *p = src->items[i].pointer;
        char *ptr =
            kiln_arena_printf(a, "/%s-%s", prefix, p[0] == '/' ? p + 1 : p);
        kiln_errors_add(dst, ptr ? ptr : "", src->items[i].code, "%s",
                        src->items[i].detail);
    }
}

/* Writes the inline rows sent for m's row id, in the caller's
   transaction; a child row its model's row rule hides is left alone.
   Field errors go to errs (under "/CHILD-N-FIELD"). Returns 0, 1 when a
   child model's query hook answered, or a negative error. */
static int save_inlines(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                        int64_t id, const kiln_form_field *ff, size_t nff,
                        kiln_errors *errs)
{
    kiln_arena *a = kiln_ctx_arena(c);
    const kiln_model_admin *ad = m->admin;
    for (uint32_t k = 0; ad && k < ad->ninlines; k++) {
        const kiln_model *cm = inline_model(ad->inlines[k]);
        const kiln_field *rf = cm ? ref_to(cm, m) : NULL;
        if (!rf || !admin_can(c, cm, ADMIN_VIEW))
            continue;
        char key[96];
        snprintf(key, sizeof key, "%s-TOTAL", cm->name);
        const kiln_form_field *t = sent(ff, nff, key);
        int64_t total = 0;
        if (!t || kiln_str_to_i64(t->value, &total) != 0 || total < 0)
            continue;
        if (total > INLINE_MAX)
            total = INLINE_MAX;
        admin_rule cr;
        int rrc = admin_rule_of(c, cm, &cr);
        if (rrc != 0)
            return rrc;
        kiln_form_field *wf = kiln_arena_alloc(a, (nff + 1) * sizeof *wf);
        if (!wf)
            return KILN_ENOMEM;
        for (int64_t r = 0; r < total; r++) {
            char prefix[96], name[128];
            snprintf(prefix, sizeof prefix, "%s-%lld", cm->name, (long long)r);
            snprintf(name, sizeof name, "%s-id", prefix);
            const kiln_form_field *idf = sent(ff, nff, name);
            snprintf(name, sizeof name, "%s-DELETE", prefix);
            bool del = sent(ff, nff, name) != NULL;
            int64_t cid = 0;
            if (idf && (kiln_str_to_i64(idf->value, &cid) != 0 || cid <= 0))
                continue;
            bool any;
            size_t nw = prefixed(c, cm, prefix, ff, nff, wf, &any);
            void *row = NULL;
            if (cid) {
                /* an existing child: of this parent only */
                row = kiln_arena_calloc(a, cm->size);
                if (!row)
                    return KILN_ENOMEM;
                if (admin_rule_get(c, db, cm, &cr, cid, row) != 0 ||
                    *(int64_t *)((char *)row + rf->offset) != id)
                    continue;
                if (del) {
                    if (!admin_can(c, cm, ADMIN_DELETE))
                        continue;
                    int rc = admin_delete_row(c, db, cm, cid, errs);
                    if (rc < 0)
                        return rc;
                    continue;
                }
                if (!admin_can(c, cm, ADMIN_CHANGE))
                    continue;
            } else if (!any || del || !admin_can(c, cm, ADMIN_ADD)) {
                continue; /* an empty new row, or one taken back */
            }
            void *obj = kiln_arena_calloc(a, cm->size);
            void *before = row ? kiln_arena_alloc(a, cm->size) : NULL;
            if (!obj || (row && !before))
                return KILN_ENOMEM;
            kiln_errors ce;
            kiln_errors_init(&ce, a);
            kiln_fieldset given = {0};
            kiln_decode_opts o = {.mode = row ? KILN_DECODE_PATCH
                                              : KILN_DECODE_CREATE};
            /* the parent's id: not a field of the row's form */
            kiln_form_field pf = {.name = kiln_str_c(rf->name),
                                  .value = kiln_str_c(kiln_arena_printf(
                                      a, "%lld", (long long)id))};
            wf[nw++] = pf;
            int rc = kiln_decode_form(cm, wf, nw, &o, a, obj, &given, &ce);
            if (rc != 0 && rc != KILN_EINVAL)
                return rc;
            if (row) {
                memcpy(before, row, cm->size);
                kiln_fieldset all = {0};
                /* as on the main form: an absent box is false, an
                   absent many is empty (the row's select sent nothing) */
                for (uint32_t i = 0; i < cm->nfields; i++) {
                    const kiln_field *f = &cm->fields[i];
                    if (!writable(cm, f) || (f->flags & KILN_FF_PK))
                        continue;
                    if (kiln_fieldset_has(&given, i) ||
                        f->type == KILN_FT_BOOL || f->type == KILN_FT_MANY) {
                        copy_field(f, row, obj);
                        kiln_fieldset_add(&all, i);
                    }
                }
                obj = row;
                given = all;
            }
            /* its references (a ref, each id of a many) that decoded */
            rc = kiln_model_check_refs(db, cm, obj, &given, &ce);
            if (rc != 0 && rc != KILN_EINVAL)
                return rc;
            if ((rc = kiln_api_refs_visible(c, db, cm, obj, &given, &ce)))
                return rc; /* 1: a query hook answered */
            if (kiln_errors_any(&ce)) {
                child_errors(errs, &ce, prefix, a);
                continue;
            }
            if (row) {
                /* a row sent as it was: neither written nor recorded */
                kiln_buf d;
                kiln_buf_init(&d);
                rc = kiln_audit_diff(cm, KILN_AUDIT_CHANGE, before, obj, &d);
                bool same = rc == 0 && d.n == 2 && memcmp(d.p, "{}", 2) == 0;
                kiln_buf_deinit(&d);
                if (rc != 0)
                    return rc;
                if (same)
                    continue;
            }
            rc = row ? kiln_model_update(db, cm, obj, &given)
                     : kiln_model_insert(db, cm, obj);
            int64_t nid = *(int64_t *)((char *)obj + cm->fields[0].offset);
            if (rc == 0)
                rc = admin_audit(c, db, cm, nid, row ? 1 : 0, before, obj);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

/* The form page: obj the row (NULL: add), ff what was sent (errors). */
static int form_page(kiln_ctx *c, kiln_dbc *db, const kiln_model *m, int64_t id,
                     const void *obj, const kiln_form_field *ff, size_t nff,
                     const kiln_errors *errs, const char *banner, int status)
{
    kiln_arena *a = kiln_ctx_arena(c);
    bool readonly = id && !admin_can(c, m, ADMIN_CHANGE);
    const char *title =
        id ? kiln_arena_printf(a, "%s %s", readonly ? "View" : "Change",
                               m->label)
           : kiln_arena_printf(a, "Add %s", m->label);
    kiln_value ctx = admin_context(c, title);
    if (ctx.type == KILN_VALUE_NULL)
        return KILN_ENOMEM;
    kiln_value_set(ctx, "model", admin_model_value(c, m));
    kiln_value_set(ctx, "id", id ? kiln_value_int(id) : kiln_value_null());
    kiln_value_set(ctx, "object_label",
                   obj ? kiln_value_cstr(admin_row_label(m, obj, a))
                       : kiln_value_null());
    kiln_value_set(ctx, "readonly", kiln_value_bool(readonly));
    kiln_value_set(ctx, "can_delete",
                   kiln_value_bool(id && admin_can(c, m, ADMIN_DELETE)));
    kiln_value_set(ctx, "banner",
                   banner ? kiln_value_cstr(banner) : kiln_value_null());
    kiln_value_set(ctx, "action",
                   id ? admin_vprintf(c, "%s/%s/%lld/", admin_root(), m->name,
                                      (long long)id)
                      : admin_vprintf(c, "%s/%s/add", admin_root(), m->name));
    kiln_value sets = kiln_value_list(a);
    const kiln_model_admin *ad = m->admin;
    if (ad && ad->nfieldsets) {
        for (uint32_t i = 0; i < ad->nfieldsets; i++) {
            kiln_value fs = kiln_value_map(a), fl = kiln_value_list(a);
            kiln_value_set(fs, "title",
                           ad->fieldsets[i].title
                               ? kiln_value_cstr(ad->fieldsets[i].title)
                               : kiln_value_null());
            for (uint32_t k = 0; k < ad->fieldsets[i].nfields; k++) {
                int fi =
                    kiln_model_field(m, kiln_str_c(ad->fieldsets[i].fields[k]));
                if (fi >= 0 && shown(m, &m->fields[fi]))
                    kiln_value_push(fl, field_value(c, db, m, &m->fields[fi],
                                                    m->fields[fi].name, obj, ff,
                                                    nff, errs, readonly));
            }
            kiln_value_set(fs, "fields", fl);
            kiln_value_push(sets, fs);
        }
    } else {
        kiln_value fs = kiln_value_map(a), fl = kiln_value_list(a);
        kiln_value_set(fs, "title", kiln_value_null());
        for (uint32_t i = 0; i < m->nfields; i++)
            if (shown(m, &m->fields[i]) &&
                !(m->fields[i].flags & KILN_FF_WRITE_ONLY))
                kiln_value_push(fl, field_value(c, db, m, &m->fields[i],
                                                m->fields[i].name, obj, ff, nff,
                                                errs, readonly));
        kiln_value_set(fs, "fields", fl);
        kiln_value_push(sets, fs);
    }
    admin_user_form(c, db, m, id, errs, ctx, sets);
    kiln_value_set(ctx, "fieldsets", sets);
    kiln_value_set(ctx, "inlines",
                   inlines_value(c, db, m, id, ff, nff, errs, readonly));
    if (kiln_responded(c))
        return 0; /* a child model's query hook answered */
    /* errors no field shows (a form-wide one) */
    kiln_value other = kiln_value_list(a);
    for (size_t i = 0; errs && i < errs->n; i++) {
        const char *p = errs->items[i].pointer;
        int fi = p[0] == '/' ? kiln_model_field(m, kiln_str_c(p + 1)) : -1;
        bool child = p[0] == '/' && strchr(p, '-');
        if (!child && (fi < 0 || !shown(m, &m->fields[fi])) &&
            !admin_user_error_shown(m, p))
            kiln_value_push(other, kiln_value_cstr(errs->items[i].detail));
    }
    kiln_value_set(ctx, "form_errors", other);
    kiln_value_set(ctx, "has_errors",
                   kiln_value_bool(errs && kiln_errors_any(errs)));
    return admin_render(c, status, "change_form.html", ctx);
}

/* The submitted fields the form may write, datetimes given an offset
   (datetime-local sends none: the admin works in UTC). */
static size_t writable_fields(kiln_ctx *c, const kiln_model *m,
                              const kiln_form_field *ff, size_t n,
                              kiln_form_field *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int fi = kiln_model_field(m, ff[i].name);
        if (fi < 0 || !writable(m, &m->fields[fi]) ||
            admin_user_locked(c, m, &m->fields[fi]))
            continue;
        out[k] = ff[i];
        const kiln_field *f = &m->fields[fi];
        if (f->type == KILN_FT_DATETIME &&
            (ff[i].value.n == 16 || ff[i].value.n == 19)) {
            char *v = kiln_arena_printf(kiln_ctx_arena(c), "%.*sZ",
                                        (int)ff[i].value.n, ff[i].value.p);
            if (v)
                out[k].value = kiln_str_c(v);
        }
        k++;
    }
    return k;
}

/* Decodes, checks and writes the form; answers. row: the current row
   (change) or NULL (add). */
static int save(kiln_ctx *c, kiln_dbc *db, const kiln_model *m, int64_t id,
                void *row)
{
    kiln_arena *a = kiln_ctx_arena(c);
    const kiln_form_field *ff = NULL;
    size_t nff = 0;
    int rc = kiln_form_fields(c, &ff, &nff);
    if (rc != 0)
        return kiln_form_fail(c, rc);
    kiln_form_field *wf = kiln_arena_alloc(a, (nff ? nff : 1) * sizeof *wf);
    void *obj = kiln_arena_calloc(a, m->size);
    void *before = row ? kiln_arena_alloc(a, m->size) : NULL;
    if (!wf || !obj || (row && !before))
        return KILN_ENOMEM;
    size_t nw = writable_fields(c, m, ff, nff, wf);
    kiln_errors errs;
    kiln_errors_init(&errs, a);
    kiln_fieldset given = {0};
    kiln_decode_opts o = {.mode = row ? KILN_DECODE_PATCH : KILN_DECODE_CREATE};
    rc = kiln_decode_form(m, wf, nw, &o, a, obj, &given, &errs);
    if (rc != 0 && rc != KILN_EINVAL)
        return rc;
    if (row) {
        /* the form holds every writable field: an absent box is false,
           an absent many is empty */
        memcpy(before, row, m->size);
        kiln_fieldset all = {0};
        for (uint32_t i = 0; i < m->nfields; i++) {
            const kiln_field *f = &m->fields[i];
            if (!writable(m, f) || (f->flags & KILN_FF_PK) ||
                admin_user_locked(c, m, f))
                continue;
            if (kiln_fieldset_has(&given, i) || f->type == KILN_FT_BOOL ||
                f->type == KILN_FT_MANY) {
                copy_field(f, row, obj);
                kiln_fieldset_add(&all, i);
            }
        }
        obj = row;
        given = all;
    }
    /* the references that decoded: one page lists every error */
    rc = kiln_model_check_refs(db, m, obj, &given, &errs);
    if (rc != 0 && rc != KILN_EINVAL)
        return kiln_db_fail(c, db);
    /* ... naming rows this user may see (the referred models' rules) */
    rc = kiln_api_refs_visible(c, db, m, obj, &given, &errs);
    if (rc > 0)
        return 0; /* a query hook answered */
    if (rc < 0)
        return kiln_db_fail(c, db);
    const char *pwhash = NULL; /* Kiln's user: its rules, its password */
    rc = admin_user_presave(c, m, id, row ? before : NULL, obj, ff, nff, &errs,
                            &pwhash);
    if (rc != 0)
        return kiln_model_fail(c, db, m, rc);
    if (kiln_errors_any(&errs))
        return form_page(c, db, m, id, row ? before : NULL, ff, nff, &errs,
                         NULL, 422);
    const kiln_api_hooks *h = kiln_api_hooks_of(m->name);
    rc = kiln_db_begin(db);
    if (rc == 0 && h && (row ? h->before_update : h->before_create))
        rc = (row ? h->before_update : h->before_create)(c, db, obj, &errs);
    if (rc == 0 && !kiln_errors_any(&errs))
        rc = row ? kiln_model_update(db, m, obj, &given)
                 : kiln_model_insert(db, m, obj);
    int64_t newid = *(int64_t *)((char *)obj + m->fields[0].offset);
    if (rc == 0 && !kiln_errors_any(&errs))
        rc = admin_audit(c, db, m, newid, row ? 1 : 0, before, obj);
    if (rc == 0 && !kiln_errors_any(&errs))
        rc = admin_user_saved(db, m, newid, pwhash);
    if (rc == 0 && !kiln_errors_any(&errs) && h &&
        (row ? h->after_update : h->after_create))
        rc = (row ? h->after_update : h->after_create)(c, db, obj, &errs);
    if (rc == 0 && !kiln_errors_any(&errs) && row)
        rc = save_inlines(c, db, m, newid, ff, nff, &errs);
    if (rc != 0 || kiln_errors_any(&errs)) {
        kiln_db_rollback(db);
        if (kiln_responded(c))
            return 0;
        if (rc == KILN_EDB &&
            kiln_db_violation_of(db, NULL) != KILN_DB_VIOLATION_NONE) {
            /* a unique or foreign-key constraint: said beside the form */
            const char *vn = NULL;
            kiln_db_violation v = kiln_db_violation_of(db, &vn);
            kiln_errors_add(&errs, "",
                            v == KILN_DB_VIOLATION_UNIQUE ? "unique"
                                                          : "constraint",
                            v == KILN_DB_VIOLATION_UNIQUE
                                ? "Another row has the same values."
                                : "A referred row does not exist.");
            rc = 0;
        }
        if (rc == 0)
            return form_page(c, db, m, id, row ? before : NULL, ff, nff, &errs,
                             NULL, 422);
        return kiln_model_fail(c, db, m, rc);
    }
    if (kiln_db_commit(db) != 0)
        return kiln_db_fail(c, db);
    admin_user_committed(m, newid);
    const char *label = admin_row_label(m, obj, a);
    kiln_flash(c, "success", "The %s \"%s\" was %s.", m->label, label,
               row ? "changed" : "added");
    char to[300];
    if (kiln_form(c, "_addanother").p)
        snprintf(to, sizeof to, "%s/%s/add", admin_root(), m->name);
    else if (kiln_form(c, "_continue").p)
        snprintf(to, sizeof to, "%s/%s/%lld/", admin_root(), m->name,
                 (long long)newid);
    else
        snprintf(to, sizeof to, "%s/%s/", admin_root(), m->name);
    return kiln_redirect(c, 303, to);
}

int admin_add(kiln_ctx *c)
{
    const kiln_model *m = admin_route_model(c, ADMIN_ADD);
    if (!m)
        return 0;
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return kiln_problem(c, 503, "The database is not available.");
    if (kiln_str_eq(kiln_method(c), KILN_STR("POST")))
        return save(c, db, m, 0, NULL);
    void *obj = kiln_arena_calloc(kiln_ctx_arena(c), m->size);
    if (!obj || kiln_defaults(m, kiln_ctx_arena(c), obj) != 0)
        return KILN_ENOMEM;
    /* the defaults as the form's values, but no id */
    return form_page(c, db, m, 0, obj, NULL, 0, NULL, NULL, 200);
}

int admin_change(kiln_ctx *c)
{
    bool post = kiln_str_eq(kiln_method(c), KILN_STR("POST"));
    const kiln_model *m =
        admin_route_model(c, post ? ADMIN_CHANGE : ADMIN_VIEW);
    if (!m)
        return 0;
    int64_t id = admin_route_id(c);
    if (!id)
        return 0;
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return kiln_problem(c, 503, "The database is not available.");
    void *row = kiln_arena_calloc(kiln_ctx_arena(c), m->size);
    if (!row)
        return KILN_ENOMEM;
    /* a row the model's row rule hides is a 404, to read or to save */
    admin_rule r;
    int rc = admin_rule_of(c, m, &r);
    if (rc != 0)
        return admin_rule_answer(c, rc);
    rc = admin_rule_get(c, db, m, &r, id, row);
    if (rc)
        return kiln_model_fail(c, db, m, rc);
    if (post)
        return save(c, db, m, id, row);
    return form_page(c, db, m, id, row, NULL, 0, NULL, NULL, 200);
}
