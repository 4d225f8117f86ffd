/*
 * model/admin.c - the [admin] table of a model file: how the admin
 * (src/admin/, docs/admin.md) shows the model. Built into kiln_model.admin;
 * every mistake is a models/NAME.toml:LINE:COL: error like the rest of
 * the language. Names of other models' fields ("project.name") and
 * inlines are checked once every model is loaded (model_check_admin).
 *
 *   [admin]
 *   list = ["title", "project.name", "status", "due", "overdue"]
 *   filters = ["status", "project", "due", "assignee"]
 *   search = ["title", "description"]
 *   ordering = ["-due"]
 *   read_only = ["created", "updated"]
 *   exclude = []
 *   inlines = ["comment"]
 *   date_hierarchy = "due"
 *   list_per_page = 50
 *   group = "Work"
 *
 *   [admin.booleans]
 *   overdue = { field = "due", op = "<", value = "today", label = "late" }
 *
 *   [[admin.fieldsets]]
 *   title = "Task"
 *   fields = ["project", "title"]
 */
#include "model/model.h"

#include <string.h>

/* What a name of a list must be. */
enum {
    NEED_FIELD,  /* any field of the model */
    NEED_COLUMN, /* a field with a column a query can use */
    NEED_TEXT,   /* string, text, email, url */
    NEED_FILTER, /* enum, bool, date, datetime, ref, or optional */
    NEED_ORDER,  /* a column, with an optional leading '-' */
    NEED_LIST,   /* a column, REF.FIELD or a boolean (checked later) */
    NEED_MODEL   /* a model name (checked later) */
};

static bool is_text(const kiln_field *f)
{
    return f->type == KILN_FT_STRING || f->type == KILN_FT_TEXT ||
           f->type == KILN_FT_EMAIL || f->type == KILN_FT_URL;
}

static bool is_filterable(const kiln_field *f)
{
    return f->column &&
           (f->type == KILN_FT_ENUM || f->type == KILN_FT_BOOL ||
            f->type == KILN_FT_DATE || f->type == KILN_FT_DATETIME ||
            f->type == KILN_FT_REF || is_text(f) ||
            (f->flags & KILN_FF_OPTIONAL));
}

/* Why field f does not fit need, or NULL. */
static const char *misfit(const kiln_field *f, int need)
{
    bool column = f->column && f->type != KILN_FT_JSON &&
                  !(f->flags & KILN_FF_WRITE_ONLY);
    switch (need) {
    case NEED_COLUMN:
    case NEED_ORDER:
    case NEED_LIST:
        return column ? NULL : "has no column a list can show";
    case NEED_TEXT:
        return column && is_text(f) ? NULL
                                    : "is not a string, text, email or url "
                                      "field";
    case NEED_FILTER:
        return column && is_filterable(f)
                   ? NULL
                   : "cannot be a filter (enum, bool, date, datetime, ref, "
                     "text or optional fields can)";
    case NEED_FIELD:
        return f->flags & KILN_FF_PK ? "is the primary key" : NULL;
    }
    return NULL;
}

/* The boolean of a named name, or NULL. */
static const kiln_admin_bool *find_bool(const kiln_model_admin *a,
                                        const char *name)
{
    for (uint32_t i = 0; a && i < a->nbooleans; i++)
        if (strcmp(a->booleans[i].name, name) == 0)
            return &a->booleans[i];
    return NULL;
}

/* Parses e (a list of names) into *out and *nout. */
static int name_list(model_set *s, const char *file, const kiln_model *m,
                     const kiln_model_admin *a, const toml_entry *e, int need,
                     const char *const **out, uint32_t *nout, kiln_buf *errs)
{
    const toml_value *v = e->value;
    if (v->type != TOML_ARRAY) {
        model_error(errs, file, v->line, v->column,
                    "[admin] %.*s is a list of %s", (int)e->key.n, e->key.p,
                    need == NEED_MODEL ? "model names" : "field names");
        return KILN_EINVAL;
    }
    const char **names =
        kiln_arena_calloc(&s->arena, (v->u.array.n + 1) * sizeof *names);
    if (!names)
        return KILN_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < v->u.array.n; i++) {
        const toml_value *it = v->u.array.items[i];
        if (it->type != TOML_STRING) {
            model_error(errs, file, it->line, it->column,
                        "[admin] %.*s: write names as strings", (int)e->key.n,
                        e->key.p);
            rc = KILN_EINVAL;
            names[i] = "";
            continue;
        }
        const char *name =
            kiln_arena_strndup(&s->arena, it->u.string.p, it->u.string.n);
        if (!name)
            return KILN_ENOMEM;
        names[i] = name;
        for (size_t j = 0; j < i; j++)
            if (strcmp(names[j], name) == 0) {
                model_error(errs, file, it->line, it->column,
                            "[admin] %.*s: '%s' is listed twice", (int)e->key.n,
                            e->key.p, name);
                rc = KILN_EINVAL;
            }
        if (need == NEED_MODEL)
            continue;
        const char *fname = name;
        if (need == NEED_ORDER && *fname == '-')
            fname++;
        if (need == NEED_LIST && (strchr(name, '.') || find_bool(a, name)))
            continue; /* a related column: checked once refs resolve */
        const kiln_field *f = model_field(m, fname);
        if (!f) {
            model_error(errs, file, it->line, it->column,
                        "[admin] %.*s: model '%s' has no field '%s'%s",
                        (int)e->key.n, e->key.p, m->name, fname,
                        need == NEED_LIST ? " (nor a boolean of "
                                            "[admin.booleans])"
                                          : "");
            rc = KILN_EINVAL;
            continue;
        }
        const char *why = misfit(f, need);
        if (why) {
            model_error(errs, file, it->line, it->column,
                        "[admin] %.*s: field '%s' (a %s) %s", (int)e->key.n,
                        e->key.p, fname, model_type_name(f->type), why);
            rc = KILN_EINVAL;
        }
    }
    *out = names;
    *nout = (uint32_t)v->u.array.n;
    return rc;
}

static const char *str_of(model_set *s, const toml_value *v)
{
    return v->type == TOML_STRING
               ? kiln_arena_strndup(&s->arena, v->u.string.p, v->u.string.n)
               : NULL;
}

static int parse_booleans(model_set *s, const char *file, const kiln_model *m,
                          const toml_value *t, kiln_model_admin *a,
                          kiln_buf *errs)
{
    static const char *const ops[] = {
        "=", "!=", "<", "<=", ">", ">=", "set", "empty"};
    if (t->type != TOML_TABLE) {
        model_error(errs, file, t->line, t->column,
                    "[admin] booleans is a table: NAME = { field = \"due\", "
                    "op = \"set\" }");
        return KILN_EINVAL;
    }
    kiln_admin_bool *b =
        kiln_arena_calloc(&s->arena, (t->u.table.n + 1) * sizeof *b);
    if (!b)
        return KILN_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < t->u.table.n; i++) {
        const toml_entry *e = &t->u.table.items[i];
        const toml_value *v = e->value;
        kiln_admin_bool *x = &b[i];
        x->name = kiln_arena_strndup(&s->arena, e->key.p, e->key.n);
        if (!x->name)
            return KILN_ENOMEM;
        if (!model_name_ok(e->key.p, e->key.n) || model_field(m, x->name)) {
            model_error(errs, file, e->line, e->column,
                        "[admin.booleans] '%s': a name of lower-case letters, "
                        "digits and '_' that no field of '%s' has",
                        x->name, m->name);
            rc = KILN_EINVAL;
        }
        if (v->type != TOML_TABLE) {
            model_error(errs, file, v->line, v->column,
                        "[admin.booleans] %s is { field = \"...\", op = "
                        "\"...\", value = \"...\" }",
                        x->name);
            rc = KILN_EINVAL;
            continue;
        }
        for (size_t k = 0; k < v->u.table.n; k++) {
            const toml_entry *o = &v->u.table.items[k];
            const char *sv = str_of(s, o->value);
            if (!sv && o->value->type == TOML_STRING)
                return KILN_ENOMEM;
            if (!sv) {
                model_error(errs, file, o->value->line, o->value->column,
                            "[admin.booleans] %s.%.*s is a string", x->name,
                            (int)o->key.n, o->key.p);
                rc = KILN_EINVAL;
            } else if (strcmp(o->key.p, "field") == 0) {
                x->field = sv;
            } else if (strcmp(o->key.p, "op") == 0) {
                x->op = sv;
            } else if (strcmp(o->key.p, "value") == 0) {
                x->value = sv;
            } else if (strcmp(o->key.p, "label") == 0) {
                x->label = sv;
            } else {
                model_error(errs, file, o->line, o->column,
                            "unknown key '%.*s' in [admin.booleans] %s "
                            "(field, op, value, label)",
                            (int)o->key.n, o->key.p, x->name);
                rc = KILN_EINVAL;
            }
        }
        const kiln_field *f = x->field ? model_field(m, x->field) : NULL;
        bool op_ok = false;
        for (size_t k = 0; x->op && k < sizeof ops / sizeof ops[0]; k++)
            op_ok |= strcmp(x->op, ops[k]) == 0;
        bool unary =
            op_ok && (strcmp(x->op, "set") == 0 || strcmp(x->op, "empty") == 0);
        if (!f || misfit(f, NEED_COLUMN)) {
            model_error(errs, file, v->line, v->column,
                        "[admin.booleans] %s: field '%s' is not a field of "
                        "'%s' with a column",
                        x->name, x->field ? x->field : "(none)", m->name);
            rc = KILN_EINVAL;
        } else if (!op_ok) {
            model_error(errs, file, v->line, v->column,
                        "[admin.booleans] %s: op is one of =, !=, <, <=, >, "
                        ">=, set, empty",
                        x->name);
            rc = KILN_EINVAL;
        } else if (unary != !x->value) {
            model_error(errs, file, v->line, v->column,
                        "[admin.booleans] %s: op '%s' %s", x->name, x->op,
                        unary ? "takes no value" : "needs a value");
            rc = KILN_EINVAL;
        }
        if (!x->label)
            x->label = x->name;
    }
    a->booleans = b;
    a->nbooleans = (uint32_t)t->u.table.n;
    return rc;
}

static int parse_fieldsets(model_set *s, const char *file, const kiln_model *m,
                           const toml_value *t, kiln_model_admin *a,
                           kiln_buf *errs)
{
    if (t->type != TOML_ARRAY) {
        model_error(errs, file, t->line, t->column,
                    "[admin] fieldsets is an array of tables: "
                    "[[admin.fieldsets]] with title and fields");
        return KILN_EINVAL;
    }
    kiln_admin_fieldset *fs =
        kiln_arena_calloc(&s->arena, (t->u.array.n + 1) * sizeof *fs);
    if (!fs)
        return KILN_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < t->u.array.n; i++) {
        const toml_value *it = t->u.array.items[i];
        if (it->type != TOML_TABLE) {
            model_error(errs, file, it->line, it->column,
                        "[admin] a fieldset is a table with title and fields");
            rc = KILN_EINVAL;
            continue;
        }
        bool any = false;
        for (size_t k = 0; k < it->u.table.n; k++) {
            const toml_entry *e = &it->u.table.items[k];
            int r = 0;
            if (strcmp(e->key.p, "title") == 0) {
                fs[i].title = str_of(s, e->value);
                if (!fs[i].title) {
                    model_error(errs, file, e->value->line, e->value->column,
                                "[admin.fieldsets] title is a string");
                    r = KILN_EINVAL;
                }
            } else if (strcmp(e->key.p, "fields") == 0) {
                any = true;
                r = name_list(s, file, m, a, e, NEED_FIELD, &fs[i].fields,
                              &fs[i].nfields, errs);
            } else {
                model_error(errs, file, e->line, e->column,
                            "unknown key '%.*s' in [[admin.fieldsets]] "
                            "(title, fields)",
                            (int)e->key.n, e->key.p);
                r = KILN_EINVAL;
            }
            if (r == KILN_ENOMEM)
                return r;
            if (r)
                rc = r;
        }
        if (!any) {
            model_error(errs, file, it->line, it->column,
                        "[admin.fieldsets] needs fields = [...]");
            rc = KILN_EINVAL;
        }
    }
    a->fieldsets = fs;
    a->nfieldsets = (uint32_t)t->u.array.n;
    return rc;
}

int model_parse_admin(model_set *s, const char *file, kiln_model *m,
                      const toml_value *t, kiln_buf *errs)
{
    if (t->type != TOML_TABLE) {
        model_error(errs, file, t->line, t->column,
                    "admin is a table: [admin] with list = [...]");
        return KILN_EINVAL;
    }
    kiln_model_admin *a = kiln_arena_calloc(&s->arena, sizeof *a);
    if (!a)
        return KILN_ENOMEM;
    a->list_per_page = 50;
    a->line = t->line;
    a->col = t->column;
    int rc = 0, r;
    /* the booleans first: list may name them */
    for (size_t i = 0; i < t->u.table.n; i++) {
        const toml_entry *e = &t->u.table.items[i];
        if (strcmp(e->key.p, "booleans") == 0) {
            r = parse_booleans(s, file, m, e->value, a, errs);
            if (r == KILN_ENOMEM)
                return r;
            if (r)
                rc = r;
        }
    }
    for (size_t i = 0; i < t->u.table.n; i++) {
        const toml_entry *e = &t->u.table.items[i];
        const char *k = e->key.p;
        const toml_value *v = e->value;
        r = 0;
        if (strcmp(k, "booleans") == 0) {
            continue;
        } else if (strcmp(k, "list") == 0) {
            r = name_list(s, file, m, a, e, NEED_LIST, &a->list, &a->nlist,
                          errs);
        } else if (strcmp(k, "filters") == 0) {
            r = name_list(s, file, m, a, e, NEED_FILTER, &a->filters,
                          &a->nfilters, errs);
        } else if (strcmp(k, "search") == 0) {
            r = name_list(s, file, m, a, e, NEED_TEXT, &a->search, &a->nsearch,
                          errs);
        } else if (strcmp(k, "ordering") == 0) {
            r = name_list(s, file, m, a, e, NEED_ORDER, &a->ordering,
                          &a->nordering, errs);
        } else if (strcmp(k, "read_only") == 0) {
            r = name_list(s, file, m, a, e, NEED_FIELD, &a->read_only,
                          &a->nread_only, errs);
        } else if (strcmp(k, "exclude") == 0) {
            r = name_list(s, file, m, a, e, NEED_FIELD, &a->exclude,
                          &a->nexclude, errs);
        } else if (strcmp(k, "inlines") == 0) {
            r = name_list(s, file, m, a, e, NEED_MODEL, &a->inlines,
                          &a->ninlines, errs);
        } else if (strcmp(k, "fieldsets") == 0) {
            r = parse_fieldsets(s, file, m, v, a, errs);
        } else if (strcmp(k, "date_hierarchy") == 0) {
            a->date_hierarchy = str_of(s, v);
            const kiln_field *f =
                a->date_hierarchy ? model_field(m, a->date_hierarchy) : NULL;
            if (!f ||
                (f->type != KILN_FT_DATE && f->type != KILN_FT_DATETIME)) {
                model_error(errs, file, v->line, v->column,
                            "[admin] date_hierarchy names a date or datetime "
                            "field of '%s'",
                            m->name);
                r = KILN_EINVAL;
            }
        } else if (strcmp(k, "group") == 0) {
            a->group = str_of(s, v);
            if (!a->group) {
                model_error(errs, file, v->line, v->column,
                            "[admin] group is a string (the dashboard's "
                            "heading)");
                r = KILN_EINVAL;
            }
        } else if (strcmp(k, "list_per_page") == 0) {
            if (v->type != TOML_INTEGER || v->u.integer < 1 ||
                v->u.integer > 500) {
                model_error(errs, file, v->line, v->column,
                            "[admin] list_per_page is an integer from 1 to "
                            "500");
                r = KILN_EINVAL;
            } else {
                a->list_per_page = (uint32_t)v->u.integer;
            }
        } else {
            model_error(errs, file, e->line, e->column,
                        "unknown key '%.*s' in [admin] (list, filters, "
                        "search, ordering, read_only, exclude, inlines, "
                        "fieldsets, booleans, date_hierarchy, list_per_page, "
                        "group)",
                        (int)e->key.n, e->key.p);
            r = KILN_EINVAL;
        }
        if (r == KILN_ENOMEM)
            return r;
        if (r)
            rc = r;
    }
    m->admin = a;
    return rc;
}

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

int model_check_admin(const model_set *s, kiln_buf *errs)
{
    int rc = 0;
    for (size_t i = 0; i < s->n; i++) {
        const kiln_model *m = s->models[i];
        const kiln_model_admin *a = m->admin;
        if (!a)
            continue;
        for (uint32_t k = 0; k < a->nlist; k++) {
            const char *name = a->list[k];
            const char *dot = strchr(name, '.');
            if (!dot)
                continue;
            char ref[MODEL_NAME_MAX + 1];
            size_t rn = (size_t)(dot - name);
            const kiln_field *f = NULL, *g = NULL;
            if (rn <= MODEL_NAME_MAX) {
                memcpy(ref, name, rn);
                ref[rn] = 0;
                f = model_field(m, ref);
            }
            if (f && f->type == KILN_FT_REF && f->ref)
                g = model_field(f->ref, dot + 1);
            if (!g || misfit(g, NEED_COLUMN) || strchr(dot + 1, '.')) {
                model_error(errs, m->file, a->line, a->col,
                            "[admin] list: '%s' is not REF.FIELD (a ref "
                            "field of '%s', then a field with a column of "
                            "the model it refers to)",
                            name, m->name);
                rc = KILN_EINVAL;
            }
        }
        for (uint32_t k = 0; k < a->ninlines; k++) {
            const kiln_model *c = NULL;
            for (size_t j = 0; j < s->n && !c; j++)
                if (strcmp(s->models[j]->name, a->inlines[k]) == 0)
                    c = s->models[j];
            if (!c || !ref_to(c, m)) {
                model_error(errs, m->file, a->line, a->col,
                            "[admin] inlines: '%s' is not a model with a "
                            "ref field to '%s'",
                            a->inlines[k], m->name);
                rc = KILN_EINVAL;
            }
        }
    }
    return rc;
}
