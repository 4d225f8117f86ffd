/*
 * model/api.c - the [api] table of a model file: which CRUD operations the
 * model exposes under /api/PATH, and what its list may filter on, order by,
 * search and expand (docs/api.md). Built into kiln_model.api; every mistake
 * is a models/NAME.toml:LINE:COL: error like the rest of the language.
 *
 *   [api]
 *   operations = ["all"]               # or "list", "retrieve", "create",
 *                                      # "update", "partial_update", "delete"
 *   path = "tasks"                     # default: label_plural, ' ' -> '_'
 *   filters = ["status", "due"]
 *   ordering = ["due", "title"]
 *   search = ["title"]                 # string, text, email, url fields
 *   expand = ["project"]               # ref fields
 *   page_size = 20
 *   max_page_size = 100
 *   permissions = "roles"              # "public", "authenticated"; default:
 *                                      # "roles" when kiln.toml has [roles]
 *   audit = true                       # writes go to the audit log
 *                                      # (kiln/audit.h); default false
 */
#include "model/model.h"

#include <string.h>

static const struct {
    const char *name;
    uint32_t bit;
} api_ops[] = {
    {"list", KILN_API_LIST},
    {"retrieve", KILN_API_RETRIEVE},
    {"create", KILN_API_CREATE},
    {"update", KILN_API_UPDATE},
    {"partial_update", KILN_API_PATCH},
    {"delete", KILN_API_DELETE},
};
#define NAPI_OPS (sizeof api_ops / sizeof api_ops[0])
#define API_ALL_OPS 0x3fu

bool model_api_path_ok(const char *p, size_t n)
{
    /* segments of [a-z0-9_-], joined by single slashes */
    size_t seg = 0;
    if (n == 0 || n > 200)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '/') {
            if (seg == 0)
                return false;
            seg = 0;
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                   ch == '_' || ch == '-') {
            seg++;
        } else {
            return false;
        }
    }
    return seg > 0;
}

/* What a list's field must be: 0 any column, 1 text (search), 2 ref. */
enum { NEED_COLUMN, NEED_TEXT, NEED_REF };

/* Parses key (a list of field names of m, each fitting need) into
 *out and *nout. Returns 0 or KILN_EINVAL / KILN_ENOMEM. */
static int field_list(model_set *s, const char *file, const kiln_model *m,
                      const toml_entry *e, int need, const char *const **out,
                      uint32_t *nout, kiln_buf *errs)
{
    const toml_value *v = e->value;
    if (v->type != TOML_ARRAY) {
        model_error(errs, file, v->line, v->column,
                    "[api] %.*s is a list of field names", (int)e->key.n,
                    e->key.p);
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
                        "[api] %.*s: write field names as strings",
                        (int)e->key.n, e->key.p);
            rc = KILN_EINVAL;
            continue;
        }
        const char *name =
            kiln_arena_strndup(&s->arena, it->u.string.p, it->u.string.n);
        if (!name)
            return KILN_ENOMEM;
        names[i] = name;
        const kiln_field *f = model_field(m, name);
        if (!f) {
            model_error(errs, file, it->line, it->column,
                        "[api] %.*s: model '%s' has no field '%s'",
                        (int)e->key.n, e->key.p, m->name, name);
            rc = KILN_EINVAL;
            continue;
        }
        const char *why = NULL;
        if (!f->column || f->type == KILN_FT_JSON)
            why = "has no column a query can use";
        else if (need == NEED_COLUMN && (f->flags & KILN_FF_WRITE_ONLY))
            why = "is write-only";
        else if (need == NEED_TEXT &&
                 !(f->type == KILN_FT_STRING || f->type == KILN_FT_TEXT ||
                   f->type == KILN_FT_EMAIL || f->type == KILN_FT_URL))
            why = "is not a string, text, email or url field";
        else if (need == NEED_TEXT && (f->flags & KILN_FF_WRITE_ONLY))
            why = "is write-only";
        else if (need == NEED_REF && f->type != KILN_FT_REF)
            why = "is not a ref field";
        if (why) {
            model_error(errs, file, it->line, it->column,
                        "[api] %.*s: field '%s' (a %s) %s", (int)e->key.n,
                        e->key.p, name, model_type_name(f->type), why);
            rc = KILN_EINVAL;
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (names[j] && strcmp(names[j], name) == 0) {
                model_error(errs, file, it->line, it->column,
                            "[api] %.*s: field '%s' is listed twice",
                            (int)e->key.n, e->key.p, name);
                rc = KILN_EINVAL;
            }
    }
    *out = names;
    *nout = (uint32_t)v->u.array.n;
    return rc;
}

/* A page size key: an integer 1..250 (an expanded page's ids are one
   query's parameters). */
static int page_key(const char *file, const toml_entry *e, uint32_t *out,
                    kiln_buf *errs)
{
    const toml_value *v = e->value;
    if (v->type != TOML_INTEGER || v->u.integer < 1 || v->u.integer > 250) {
        model_error(errs, file, v->line, v->column,
                    "[api] %.*s is an integer from 1 to 250", (int)e->key.n,
                    e->key.p);
        return KILN_EINVAL;
    }
    *out = (uint32_t)v->u.integer;
    return 0;
}

static int parse_ops(const char *file, const toml_value *v, uint32_t *ops,
                     kiln_buf *errs)
{
    if (v->type != TOML_ARRAY || v->u.array.n == 0) {
        model_error(errs, file, v->line, v->column,
                    "[api] operations is a list: [\"all\"] or some of "
                    "\"list\", \"retrieve\", \"create\", \"update\", "
                    "\"partial_update\", \"delete\"");
        return KILN_EINVAL;
    }
    int rc = 0;
    for (size_t i = 0; i < v->u.array.n; i++) {
        const toml_value *it = v->u.array.items[i];
        uint32_t bit = 0;
        if (it->type == TOML_STRING) {
            if (kiln_str_eq(it->u.string, KILN_STR("all")))
                bit = API_ALL_OPS;
            for (size_t k = 0; !bit && k < NAPI_OPS; k++)
                if (kiln_str_eq(it->u.string, kiln_str_c(api_ops[k].name)))
                    bit = api_ops[k].bit;
        }
        if (!bit) {
            model_error(errs, file, it->line, it->column,
                        "[api] operations: unknown operation '%s' (list, "
                        "retrieve, create, update, partial_update, delete, "
                        "all)",
                        it->type == TOML_STRING ? it->u.string.p : "?");
            rc = KILN_EINVAL;
        } else if (*ops & bit && bit != API_ALL_OPS) {
            model_error(errs, file, it->line, it->column,
                        "[api] operations: '%s' is listed twice",
                        it->u.string.p);
            rc = KILN_EINVAL;
        }
        *ops |= bit;
    }
    return rc;
}

int model_parse_api(model_set *s, const char *file, kiln_model *m,
                    const toml_value *t, kiln_buf *errs)
{
    if (t->type != TOML_TABLE) {
        model_error(errs, file, t->line, t->column,
                    "api is a table: [api] with operations = [...]");
        return KILN_EINVAL;
    }
    kiln_model_api *a = kiln_arena_calloc(&s->arena, sizeof *a);
    if (!a)
        return KILN_ENOMEM;
    a->page_size = 20;
    a->max_page_size = 100;
    a->line = t->line;
    a->col = t->column;
    const toml_value *ops = NULL;
    int rc = 0, r;
    for (size_t i = 0; i < t->u.table.n; i++) {
        const toml_entry *e = &t->u.table.items[i];
        const char *k = e->key.p;
        r = 0;
        if (strcmp(k, "operations") == 0) {
            ops = e->value;
            r = parse_ops(file, e->value, &a->ops, errs);
        } else if (strcmp(k, "path") == 0) {
            const toml_value *v = e->value;
            if (v->type != TOML_STRING ||
                !model_api_path_ok(v->u.string.p, v->u.string.n)) {
                model_error(errs, file, v->line, v->column,
                            "[api] path is a string of lower-case letters, "
                            "digits, '_' and '-' in segments joined by '/' "
                            "(\"tasks\", \"board/tasks\")");
                r = KILN_EINVAL;
            } else {
                a->path =
                    kiln_arena_strndup(&s->arena, v->u.string.p, v->u.string.n);
                if (!a->path)
                    return KILN_ENOMEM;
            }
        } else if (strcmp(k, "filters") == 0) {
            r = field_list(s, file, m, e, NEED_COLUMN, &a->filters,
                           &a->nfilters, errs);
        } else if (strcmp(k, "ordering") == 0) {
            r = field_list(s, file, m, e, NEED_COLUMN, &a->ordering,
                           &a->nordering, errs);
        } else if (strcmp(k, "search") == 0) {
            r = field_list(s, file, m, e, NEED_TEXT, &a->search, &a->nsearch,
                           errs);
        } else if (strcmp(k, "expand") == 0) {
            r = field_list(s, file, m, e, NEED_REF, &a->expand, &a->nexpand,
                           errs);
        } else if (strcmp(k, "page_size") == 0) {
            r = page_key(file, e, &a->page_size, errs);
        } else if (strcmp(k, "max_page_size") == 0) {
            r = page_key(file, e, &a->max_page_size, errs);
        } else if (strcmp(k, "permissions") == 0) {
            const toml_value *v = e->value;
            static const char *const acc[] = {"public", "authenticated",
                                              "roles"};
            for (uint32_t j = 0; j < 3 && v->type == TOML_STRING; j++)
                if (kiln_str_eq(v->u.string, kiln_str_c(acc[j])))
                    a->access = KILN_API_PUBLIC + j;
            if (a->access == KILN_API_DEFAULT) {
                model_error(errs, file, v->line, v->column,
                            "[api] permissions is \"public\", "
                            "\"authenticated\" or \"roles\"");
                r = KILN_EINVAL;
            }
        } else if (strcmp(k, "audit") == 0) {
            const toml_value *v = e->value;
            if (v->type != TOML_BOOLEAN) {
                model_error(errs, file, v->line, v->column,
                            "[api] audit is true or false");
                r = KILN_EINVAL;
            } else {
                a->audit = v->u.boolean;
            }
        } else {
            model_error(errs, file, e->line, e->column,
                        "unknown key '%.*s' in [api] (operations, path, "
                        "filters, ordering, search, expand, page_size, "
                        "max_page_size, permissions, audit)",
                        (int)e->key.n, e->key.p);
            r = KILN_EINVAL;
        }
        if (r == KILN_ENOMEM)
            return r;
        if (r)
            rc = r;
    }
    if (!ops) {
        model_error(errs, file, t->line, t->column,
                    "[api] needs operations = [\"all\"] (or some of list, "
                    "retrieve, create, update, partial_update, delete)");
        rc = KILN_EINVAL;
    }
    if (a->page_size > a->max_page_size) {
        model_error(errs, file, t->line, t->column,
                    "[api] page_size (%u) is larger than max_page_size (%u)",
                    a->page_size, a->max_page_size);
        rc = KILN_EINVAL;
    }
    if (!a->path) {
        const char *lp = m->label_plural ? m->label_plural : m->name;
        char *p = kiln_arena_strndup(&s->arena, lp, strlen(lp));
        if (!p)
            return KILN_ENOMEM;
        for (char *q = p; *q; q++)
            if (*q == ' ')
                *q = '_';
            else if (*q >= 'A' && *q <= 'Z')
                *q = (char)(*q - 'A' + 'a');
        if (!model_api_path_ok(p, strlen(p))) {
            model_error(errs, file, t->line, t->column,
                        "[api] the default path '%s' (from label_plural) is "
                        "not a usable URL path: set path = \"...\"",
                        p);
            rc = KILN_EINVAL;
        }
        a->path = p;
    }
    m->api = a;
    return rc;
}

int model_check_api_paths(const model_set *s, kiln_buf *errs)
{
    int rc = 0;
    for (size_t i = 0; i < s->n; i++) {
        const kiln_model *m = s->models[i];
        if (!m->api)
            continue;
        for (size_t j = 0; j < i; j++) {
            const kiln_model *o = s->models[j];
            if (o->api && strcmp(o->api->path, m->api->path) == 0) {
                model_error(errs, m->file, m->api->line, m->api->col,
                            "[api] path '%s' is also the path of model '%s' "
                            "(%s)",
                            m->api->path, o->name, o->file);
                rc = KILN_EINVAL;
            }
        }
    }
    return rc;
}
