/*
 * model/load.c - models/NAME.toml into kiln_model descriptions: the
 * model's own keys (table, labels, ordering, indexes, unique constraints,
 * migration hints), its fields (field.c), then the set as a whole:
 * references resolved, join tables named, tables unique.
 *
 *   # models/task.toml
 *   label = "task"                     # optional: names for people
 *   ordering = ["-due", "title"]
 *
 *   [fields]
 *   title   = "string:200"
 *   done    = { type = "bool", default = false }
 *   due     = "date?"
 *   project = "ref:project"
 *
 *   [[unique]]
 *   fields = ["project", "title"]
 *
 * models/user.toml may instead say extends = "kiln.user": its fields are
 * added to Kiln's built-in user (model/builtin.c), on table kiln_user.
 */
#include "model/model.h"

#include "config/settings.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void model_set_init(model_set *s)
{
    memset(s, 0, sizeof *s);
    kiln_arena_init(&s->arena, 16384);
}

void model_set_free(model_set *s)
{
    free(s->models);
    free(s->endpoints);
    kiln_arena_deinit(&s->arena);
    memset(s, 0, sizeof *s);
}

kiln_model *model_find(const model_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->models[i]->name, name) == 0)
            return s->models[i];
    return NULL;
}

const kiln_field *model_field(const kiln_model *m, const char *name)
{
    for (uint32_t i = 0; i < m->nfields; i++)
        if (strcmp(m->fields[i].name, name) == 0)
            return &m->fields[i];
    return NULL;
}

static const char *const model_keys[] = {
    "table",    "label",          "label_plural", "help",
    "ordering", "unknown_fields", "renamed_from", "fields",
    "index",    "unique",         "api",          "extends",
    "admin",
};
#define NMODEL_KEYS (sizeof model_keys / sizeof model_keys[0])

static const char *key_suggest(const char *k, size_t n)
{
    const char *best = NULL;
    size_t bd = 3;
    for (size_t i = 0; i < NMODEL_KEYS; i++) {
        size_t d =
            settings_distance(k, n, model_keys[i], strlen(model_keys[i]));
        if (d < bd) {
            bd = d;
            best = model_keys[i];
        }
    }
    return best;
}

/* A string value of the model's own keys, copied; NULL after an error. */
static const char *str_key(model_set *s, const char *file, const toml_entry *e,
                           kiln_buf *errs, int *rc)
{
    if (e->value->type != TOML_STRING) {
        model_error(errs, file, e->value->line, e->value->column,
                    "%.*s is a string", (int)e->key.n, e->key.p);
        *rc = KILN_EINVAL;
        return NULL;
    }
    return kiln_arena_strndup(&s->arena, e->value->u.string.p,
                              e->value->u.string.n);
}

/* Builds one index of [[index]] or [[unique]] (table t). */
static int parse_index(model_set *s, const char *file, kiln_model *m,
                       const toml_value *t, bool unique, kiln_index *out,
                       kiln_buf *errs)
{
    memset(out, 0, sizeof *out);
    out->unique = unique;
    out->line = t->line;
    out->col = t->column;
    const char *what = unique ? "[[unique]]" : "[[index]]";
    if (t->type != TOML_TABLE) {
        model_error(errs, file, t->line, t->column,
                    "%s is a table with fields = [...]", what);
        return KILN_EINVAL;
    }
    const toml_value *fv = NULL, *nv = NULL;
    for (size_t i = 0; i < t->u.table.n; i++) {
        const toml_entry *e = &t->u.table.items[i];
        if (kiln_str_eq(e->key, KILN_STR("fields")))
            fv = e->value;
        else if (kiln_str_eq(e->key, KILN_STR("name")))
            nv = e->value;
        else {
            model_error(errs, file, e->line, e->column,
                        "unknown key '%.*s' in %s (fields, name)",
                        (int)e->key.n, e->key.p, what);
            return KILN_EINVAL;
        }
    }
    if (!fv || fv->type != TOML_ARRAY || fv->u.array.n == 0) {
        model_error(errs, file, t->line, t->column,
                    "%s needs fields = [\"a\", \"b\"]", what);
        return KILN_EINVAL;
    }
    const char **names =
        kiln_arena_alloc(&s->arena, fv->u.array.n * sizeof *names);
    if (!names)
        return KILN_ENOMEM;
    int rc = 0;
    kiln_buf base;
    kiln_buf_init(&base);
    kiln_buf_puts(&base, m->table);
    for (size_t i = 0; i < fv->u.array.n; i++) {
        const toml_value *it = fv->u.array.items[i];
        if (it->type != TOML_STRING) {
            model_error(errs, file, it->line, it->column,
                        "%s: fields are field names", what);
            rc = KILN_EINVAL;
            continue;
        }
        char *name =
            kiln_arena_strndup(&s->arena, it->u.string.p, it->u.string.n);
        const kiln_field *f = name ? model_field(m, name) : NULL;
        if (!f) {
            model_error(errs, file, it->line, it->column,
                        "%s: model '%s' has no field '%s'", what, m->name,
                        name ? name : "?");
            rc = KILN_EINVAL;
            continue;
        }
        if (!f->column || f->type == KILN_FT_JSON) {
            model_error(errs, file, it->line, it->column,
                        "%s: field '%s' (a %s) cannot be indexed", what, name,
                        model_type_name(f->type));
            rc = KILN_EINVAL;
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (names[j] && strcmp(names[j], name) == 0) {
                model_error(errs, file, it->line, it->column,
                            "%s: field '%s' is listed twice", what, name);
                rc = KILN_EINVAL;
            }
        names[i] = name;
        kiln_buf_printf(&base, "_%s", f->column);
    }
    out->fields = names;
    out->nfields = (uint32_t)fv->u.array.n;
    if (nv && nv->type == TOML_STRING) {
        out->name =
            kiln_arena_strndup(&s->arena, nv->u.string.p, nv->u.string.n);
        if (!model_name_ok(nv->u.string.p, nv->u.string.n) ||
            nv->u.string.n > 63) {
            model_error(errs, file, nv->line, nv->column,
                        "%s: name '%s' is not a usable SQL name", what,
                        out->name);
            rc = KILN_EINVAL;
        }
    } else if (nv) {
        model_error(errs, file, nv->line, nv->column, "%s: name is a string",
                    what);
        rc = KILN_EINVAL;
    } else {
        out->name =
            model_ident(s, base.p ? base.p : m->table, unique ? "uniq" : "idx");
    }
    kiln_buf_deinit(&base);
    return rc;
}

/* The model's indexes: each field's own, then [[index]] and [[unique]]. */
static int build_indexes(model_set *s, const char *file, kiln_model *m,
                         const toml_value *ix, const toml_value *uq,
                         kiln_buf *errs)
{
    size_t n = 0;
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (f->flags & (KILN_FF_UNIQUE | KILN_FF_INDEX) ||
            f->type == KILN_FT_REF)
            n++;
    }
    const toml_value *arrs[2] = {ix, uq};
    for (int a = 0; a < 2; a++) {
        if (!arrs[a])
            continue;
        if (arrs[a]->type != TOML_ARRAY) {
            model_error(errs, file, arrs[a]->line, arrs[a]->column,
                        "write %s as [[%s]] tables with fields = [...]",
                        a ? "unique" : "index", a ? "unique" : "index");
            return KILN_EINVAL;
        }
        n += arrs[a]->u.array.n;
    }
    kiln_index *v = kiln_arena_calloc(&s->arena, (n ? n : 1) * sizeof *v);
    if (!v)
        return KILN_ENOMEM;
    size_t k = 0;
    int rc = 0;
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (!(f->flags & (KILN_FF_UNIQUE | KILN_FF_INDEX)) &&
            f->type != KILN_FT_REF)
            continue;
        const char **names = kiln_arena_alloc(&s->arena, sizeof *names);
        if (!names)
            return KILN_ENOMEM;
        names[0] = f->name;
        bool unique = f->flags & KILN_FF_UNIQUE;
        char base[256];
        snprintf(base, sizeof base, "%s_%s", m->table, f->column);
        v[k].name = model_ident(s, base, unique ? "uniq" : "idx");
        v[k].fields = names;
        v[k].nfields = 1;
        v[k].unique = unique;
        k++;
    }
    for (int a = 0; a < 2; a++)
        for (size_t i = 0; arrs[a] && i < arrs[a]->u.array.n; i++) {
            int r = parse_index(s, file, m, arrs[a]->u.array.items[i], a == 1,
                                &v[k], errs);
            if (r != 0)
                rc = r;
            else
                k++;
        }
    /* one name per index, and no index twice */
    for (size_t i = 0; i < k; i++)
        for (size_t j = i + 1; j < k; j++) {
            bool same =
                v[i].nfields == v[j].nfields && v[i].unique == v[j].unique;
            for (uint32_t f = 0; same && f < v[i].nfields; f++)
                same = strcmp(v[i].fields[f], v[j].fields[f]) == 0;
            if (same || strcmp(v[i].name, v[j].name) == 0) {
                model_error(errs, file, v[j].line ? v[j].line : 1,
                            v[j].col ? v[j].col : 1,
                            "%s '%s' is declared twice (a field's unique/index "
                            "option and a [[%s]] table, or two tables)",
                            v[j].unique ? "unique constraint" : "index",
                            v[j].name, v[j].unique ? "unique" : "index");
                rc = KILN_EINVAL;
            }
        }
    m->indexes = v;
    m->nindexes = (uint32_t)k;
    return rc;
}

int model_set_add(model_set *s, kiln_model *m)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        kiln_model **v = realloc(s->models, cap * sizeof *v);
        if (!v)
            return KILN_ENOMEM;
        s->models = v;
        s->cap = cap;
    }
    size_t i = s->n;
    while (i > 0 && strcmp(s->models[i - 1]->name, m->name) > 0) {
        s->models[i] = s->models[i - 1];
        i--;
    }
    s->models[i] = m;
    s->n++;
    return 0;
}

int model_load_text(model_set *s, const char *file, const char *src, size_t n,
                    kiln_buf *errs)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    size_t bn = strlen(base);
    if (bn > 5 && strcmp(base + bn - 5, ".toml") == 0)
        bn -= 5;
    const char *fname = kiln_arena_strndup(&s->arena, file, strlen(file));
    char *name = kiln_arena_strndup(&s->arena, base, bn);
    if (!fname || !name)
        return KILN_ENOMEM;
    if (!model_name_ok(name, bn)) {
        model_error(
            errs, fname, 1, 1,
            "'%s' cannot be a model name: name the file with lower-case "
            "letters, digits and '_' (a letter first, %d at most)",
            name, MODEL_NAME_MAX);
        return KILN_EINVAL;
    }
    if (model_c_reserved(name)) {
        model_error(errs, fname, 1, 1,
                    "'%s' cannot be a model name: it is a C keyword", name);
        return KILN_EINVAL;
    }
    if (model_find(s, name)) {
        model_error(errs, fname, 1, 1, "a model called '%s' is already loaded",
                    name);
        return KILN_EINVAL;
    }
    toml_value *root;
    toml_error te;
    kiln_arena tmp;
    kiln_arena_init(&tmp, 16384);
    int rc = toml_parse(&tmp, src, n, fname, &root, &te);
    if (rc != 0) {
        toml_error_format(&te, errs);
        kiln_buf_putc(errs, '\n');
        kiln_arena_deinit(&tmp);
        return rc == KILN_ENOMEM ? rc : KILN_EINVAL;
    }
    kiln_model *m = kiln_arena_calloc(&s->arena, sizeof *m);
    if (!m) {
        kiln_arena_deinit(&tmp);
        return KILN_ENOMEM;
    }
    m->name = name;
    m->table = name;
    m->label = NULL;
    m->file = fname;
    const toml_value *fields = NULL, *ix = NULL, *uq = NULL, *order = NULL;
    const toml_value *api = NULL, *admin = NULL;
    const toml_entry *extends = NULL, *table = NULL;
    rc = 0;
    for (size_t i = 0; i < root->u.table.n; i++) {
        const toml_entry *e = &root->u.table.items[i];
        const char *k = e->key.p;
        if (strcmp(k, "extends") == 0) {
            extends = e;
        } else if (strcmp(k, "table") == 0) {
            table = e;
            const char *t = str_key(s, fname, e, errs, &rc);
            /* Kiln's own models (model/builtin.c, "kiln/models/...") are
               the ones whose tables may start with kiln_ */
            bool kilns = strncmp(fname, "kiln/", 5) == 0;
            if (t && (!model_name_ok(t, strlen(t)) || model_sql_reserved(t) ||
                      (strncmp(t, "kiln_", 5) == 0 && !kilns))) {
                model_error(errs, fname, e->value->line, e->value->column,
                            "'%s' cannot be a table name: %s", t,
                            strncmp(t, "kiln_", 5) == 0
                                ? "names starting with kiln_ belong to Kiln"
                            : model_sql_reserved(t)
                                ? "SQL reserves it"
                                : "use lower-case letters, digits and '_'");
                rc = KILN_EINVAL;
            } else if (t) {
                m->table = t;
            }
        } else if (strcmp(k, "label") == 0) {
            m->label = str_key(s, fname, e, errs, &rc);
        } else if (strcmp(k, "label_plural") == 0) {
            m->label_plural = str_key(s, fname, e, errs, &rc);
        } else if (strcmp(k, "help") == 0) {
            m->help = str_key(s, fname, e, errs, &rc);
        } else if (strcmp(k, "renamed_from") == 0) {
            m->renamed_from = str_key(s, fname, e, errs, &rc);
        } else if (strcmp(k, "unknown_fields") == 0) {
            const char *u = str_key(s, fname, e, errs, &rc);
            if (u && strcmp(u, "ignore") == 0)
                m->flags |= KILN_MF_ALLOW_UNKNOWN;
            else if (u && strcmp(u, "reject") != 0) {
                model_error(errs, fname, e->value->line, e->value->column,
                            "unknown_fields is \"reject\" (a 422, the default) "
                            "or \"ignore\"");
                rc = KILN_EINVAL;
            }
        } else if (strcmp(k, "fields") == 0) {
            fields = e->value;
        } else if (strcmp(k, "index") == 0) {
            ix = e->value;
        } else if (strcmp(k, "unique") == 0) {
            uq = e->value;
        } else if (strcmp(k, "ordering") == 0) {
            order = e->value;
        } else if (strcmp(k, "api") == 0) {
            api = e->value;
        } else if (strcmp(k, "admin") == 0) {
            admin = e->value;
        } else {
            const char *sug = key_suggest(e->key.p, e->key.n);
            model_error(errs, fname, e->line, e->column,
                        "unknown key '%.*s' in a model%s%s%s", (int)e->key.n,
                        e->key.p, sug ? " (did you mean '" : "", sug ? sug : "",
                        sug ? "'?)" : "");
            rc = KILN_EINVAL;
        }
    }
    if (extends) {
        /* models/user.toml: extends = "kiln.user" adds the app's fields to
           Kiln's built-in user (model/builtin.c) */
        const toml_value *v = extends->value;
        bool ok = v->type == TOML_STRING &&
                  kiln_str_eq(v->u.string, KILN_STR("kiln.user"));
        if (!ok || strcmp(name, "user") != 0) {
            model_error(errs, fname, v->line, v->column,
                        "extends names a built-in model of Kiln's, in the "
                        "file of its name: models/user.toml can say extends "
                        "= \"kiln.user\"");
            rc = KILN_EINVAL;
        }
        if (table) {
            model_error(errs, fname, table->line, table->column,
                        "the extended user's table is Kiln's kiln_user: "
                        "remove table");
            rc = KILN_EINVAL;
        }
        if (m->renamed_from) {
            model_error(errs, fname, 1, 1,
                        "the extended user cannot be renamed: remove "
                        "renamed_from");
            rc = KILN_EINVAL;
        }
        m->table = "kiln_user";
    }
    if (m->table == name &&
        (model_sql_reserved(name) || strncmp(name, "kiln_", 5) == 0)) {
        model_error(errs, fname, 1, 1,
                    "the table of model '%s' would be '%s', which %s: set "
                    "table = \"...\"",
                    name, name,
                    model_sql_reserved(name) ? "SQL reserves"
                                             : "belongs to Kiln (kiln_...)");
        rc = KILN_EINVAL;
    }
    if (!fields || fields->type != TOML_TABLE) {
        model_error(errs, fname, fields ? fields->line : 1,
                    fields ? fields->column : 1,
                    "a model needs a [fields] table (title = \"string:200\", "
                    "...)");
        kiln_arena_deinit(&tmp);
        return KILN_EINVAL;
    }
    int r = model_parse_fields(s, fname, name, fields, false, m, errs);
    if (r != 0)
        rc = r;
    if (r == 0 && extends && rc == 0) {
        r = model_extend_builtin(s, fname, name, m, errs);
        if (r != 0)
            rc = r;
    }
    if (rc == 0)
        rc = build_indexes(s, fname, m, ix, uq, errs);
    if (order) {
        if (order->type != TOML_ARRAY) {
            model_error(errs, fname, order->line, order->column,
                        "ordering is a list of field names (\"-due\" for "
                        "descending)");
            rc = KILN_EINVAL;
        } else {
            const char **o =
                kiln_arena_alloc(&s->arena, (order->u.array.n + 1) * sizeof *o);
            if (!o) {
                kiln_arena_deinit(&tmp);
                return KILN_ENOMEM;
            }
            for (size_t i = 0; i < order->u.array.n; i++) {
                const toml_value *it = order->u.array.items[i];
                const kiln_field *f = NULL;
                if (it->type == TOML_STRING) {
                    kiln_str os = it->u.string;
                    const char *fn = os.n && os.p[0] == '-' ? os.p + 1 : os.p;
                    f = model_field(m, fn);
                    o[i] = kiln_arena_strndup(&s->arena, os.p, os.n);
                }
                if (!f || !f->column) {
                    model_error(errs, fname, it->line, it->column,
                                "ordering: '%s' is not a field with a column "
                                "(write \"name\" or \"-name\")",
                                it->type == TOML_STRING ? it->u.string.p : "?");
                    rc = KILN_EINVAL;
                }
            }
            m->ordering = o;
            m->nordering = (uint32_t)order->u.array.n;
        }
    }
    if (!m->label)
        m->label = name;
    if (!m->label_plural)
        m->label_plural = kiln_arena_printf(&s->arena, "%ss", m->label);
    if (api && r == 0) {
        r = model_parse_api(s, fname, m, api, errs);
        if (r != 0)
            rc = r;
        /* Kiln makes and removes users (their password hash is its own):
           the API of the extended user reads and edits them */
        if (r == 0 && extends && m->api &&
            (m->api->ops & (KILN_API_CREATE | KILN_API_DELETE))) {
            model_error(errs, fname, api->line, api->column,
                        "the user's [api] can list, retrieve and update "
                        "users, not create or delete them (kiln user create "
                        "and sign-in make users): write operations = "
                        "[\"list\", \"retrieve\", \"update\", "
                        "\"partial_update\"]");
            rc = KILN_EINVAL;
        }
    }
    if (admin && r == 0) {
        r = model_parse_admin(s, fname, m, admin, errs);
        if (r != 0)
            rc = r;
    }
    kiln_arena_deinit(&tmp);
    if (rc == KILN_ENOMEM)
        return rc;
    r = model_set_add(s, m);
    return r ? r : rc;
}

void model_set_remove(model_set *s, const kiln_model *m)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->models[i] == m) {
            memmove(&s->models[i], &s->models[i + 1],
                    (s->n - i - 1) * sizeof *s->models);
            s->n--;
            return;
        }
}

const char *model_join_table(model_set *s, const kiln_model *m,
                             const kiln_field *f)
{
    return kiln_arena_printf(&s->arena, "%s_%s", m->table, f->name);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int model_load_dir(model_set *s, const char *root, kiln_buf *errs)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/models", root);
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : KILN_EIO;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 6 ||
            strcmp(e->d_name + len - 5, ".toml") != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **v = realloc(names, cap * sizeof *v);
            if (!v) {
                rc = KILN_ENOMEM;
                break;
            }
            names = v;
        }
        names[n] = strdup(e->d_name);
        if (!names[n]) {
            rc = KILN_ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_name);
    for (size_t i = 0; rc != KILN_ENOMEM && i < n; i++) {
        char path[4352], rel[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        snprintf(rel, sizeof rel, "models/%s", names[i]);
        size_t len = 0;
        char *src = kiln_read_file(path, &len);
        if (!src) {
            kiln_buf_printf(errs, "%s: cannot read: %s\n", rel,
                            strerror(errno));
            rc = KILN_EIO;
            continue;
        }
        int r = model_load_text(s, rel, src, len, errs);
        free(src);
        if (r != 0 && rc == 0)
            rc = r;
        if (r == KILN_ENOMEM)
            rc = r;
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (rc == KILN_ENOMEM)
        return rc;
    int r = model_set_resolve(s, errs);
    return rc ? rc : r;
}

static const char *model_suggest(const model_set *s, const char *name)
{
    const char *best = NULL;
    size_t bd = 3;
    for (size_t i = 0; i < s->n; i++) {
        size_t d = settings_distance(name, strlen(name), s->models[i]->name,
                                     strlen(s->models[i]->name));
        if (d < bd) {
            bd = d;
            best = s->models[i]->name;
        }
    }
    return best;
}

/* Adds the built-in models (model/builtin.c) that refs of s name and s
   does not have. Returns 0 or an error of model_add_builtin. */
static int add_builtins(model_set *s, kiln_buf *errs)
{
    for (size_t i = 0; i < s->n; i++) {
        const kiln_model *m = s->models[i];
        for (uint32_t k = 0; k < m->nfields; k++) {
            const kiln_field *f = &m->fields[k];
            if ((f->type == KILN_FT_REF || f->type == KILN_FT_MANY) &&
                model_is_builtin_name(f->ref_name) &&
                !model_find(s, f->ref_name)) {
                int rc = model_add_builtin(s, f->ref_name, errs);
                if (rc != 0)
                    return rc;
                i = (size_t)-1; /* the set moved: look again */
                break;
            }
        }
    }
    return 0;
}

int model_set_resolve(model_set *s, kiln_buf *errs)
{
    int rc = add_builtins(s, errs);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < s->n; i++) {
        kiln_model *m = s->models[i];
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->models[j]->table, m->table) == 0) {
                model_error(errs, m->file, 1, 1,
                            "models '%s' and '%s' have the same table '%s'",
                            s->models[j]->name, m->name, m->table);
                rc = KILN_EINVAL;
            }
        for (uint32_t k = 0; k < m->nfields; k++) {
            kiln_field *f = (kiln_field *)&m->fields[k];
            if (f->type != KILN_FT_REF && f->type != KILN_FT_MANY)
                continue;
            kiln_model *t = model_find(s, f->ref_name);
            if (!t) {
                const char *sug = model_suggest(s, f->ref_name);
                model_error(errs, m->file, f->line, f->col,
                            "field '%s' refers to a model '%s' that does not "
                            "exist (no models/%s.toml)%s%s%s",
                            f->name, f->ref_name, f->ref_name,
                            sug ? "; did you mean '" : "", sug ? sug : "",
                            sug ? "'?" : "");
                rc = KILN_EINVAL;
                continue;
            }
            f->ref = t;
            if (f->type == KILN_FT_MANY) {
                f->through = model_join_table(s, m, f);
                if (!f->through)
                    return KILN_ENOMEM;
                if (strlen(f->through) > 63) {
                    model_error(errs, m->file, f->line, f->col,
                                "the join table '%s' of field '%s' is longer "
                                "than 63 characters",
                                f->through, f->name);
                    rc = KILN_EINVAL;
                }
            }
        }
    }
    if (model_check_api_paths(s, errs) != 0)
        rc = KILN_EINVAL;
    if (rc == 0 && model_check_admin(s, errs) != 0)
        rc = KILN_EINVAL;
    /* join tables must not take another table's name */
    for (size_t i = 0; i < s->n; i++) {
        const kiln_model *m = s->models[i];
        for (uint32_t k = 0; k < m->nfields; k++) {
            const kiln_field *f = &m->fields[k];
            if (f->type != KILN_FT_MANY || !f->through)
                continue;
            for (size_t j = 0; j < s->n; j++)
                if (strcmp(s->models[j]->table, f->through) == 0) {
                    model_error(errs, m->file, f->line, f->col,
                                "the join table of field '%s' would be '%s', "
                                "the table of model '%s'",
                                f->name, f->through, s->models[j]->name);
                    rc = KILN_EINVAL;
                }
        }
    }
    return rc;
}
