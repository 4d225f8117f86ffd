/*
 * model/migration.c - the file format of generated migrations,
 * migrations/NNNN_name.toml: read into operations (every mistake as
 * PATH:LINE:COL), and written from them with a header that says in plain
 * words what the file does.
 *
 *   [[op]]
 *   create_model = "task"
 *   table = "task"
 *
 *   [op.fields]
 *   title = "string:200"
 *   project = "ref:project"
 *
 *   [[op.index]]
 *   name = "task_project_id_idx"
 *   fields = ["project"]
 *
 *   [[op]]
 *   alter_field = "task.title"
 *   from = "string:200"
 *   to = "string:300"
 *
 * One key of each [[op]] table names the operation and its subject; the
 * other keys are that operation's (the table `ops` below). Fields are
 * declared in the model language and read by model_parse_field, so a file
 * means what a model file with the same declarations means.
 */
#include "model/migration.h"

#include "config/toml.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void mig_file_init(mig_file *f, const char *path)
{
    memset(f, 0, sizeof *f);
    f->path = path;
}

void mig_file_free(mig_file *f)
{
    free(f->ops);
    f->ops = NULL;
    f->n = f->cap = 0;
}

int mig_file_add(mig_file *f, const mig_op *op)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        mig_op *v = realloc(f->ops, cap * sizeof *v);
        if (!v)
            return KILN_ENOMEM;
        f->ops = v;
        f->cap = cap;
    }
    f->ops[f->n++] = *op;
    return 0;
}

/* ---- reading ------------------------------------------------------------- */

/* The operations, the key that names each, and the keys it takes. */
static const struct op_spec {
    const char *key;
    mig_kind kind;
    bool unique; /* add_unique, drop_unique */
    bool dotted; /* the subject is "model.field" */
    const char *keys[4];
} ops[] = {
    {"create_model",
     MIG_CREATE_MODEL,
     false,
     false,
     {"table", "fields", "index"}},
    {"drop_model", MIG_DROP_MODEL, false, false, {"table", "fields", "index"}},
    {"rename_model", MIG_RENAME_MODEL, false, false, {"to", "table"}},
    {"add_field", MIG_ADD_FIELD, false, true, {"field", "fill"}},
    {"drop_field", MIG_DROP_FIELD, false, true, {"field"}},
    {"alter_field", MIG_ALTER_FIELD, false, true, {"from", "to", "fill"}},
    {"rename_field", MIG_RENAME_FIELD, false, true, {"to"}},
    {"add_index", MIG_ADD_INDEX, false, false, {"model", "fields"}},
    {"add_unique", MIG_ADD_INDEX, true, false, {"model", "fields"}},
    {"drop_index", MIG_DROP_INDEX, false, false, {"model", "fields"}},
    {"drop_unique", MIG_DROP_INDEX, true, false, {"model", "fields"}},
    {"rename_index", MIG_RENAME_INDEX, false, false, {"model", "to"}},
};
#define NOPS (sizeof ops / sizeof ops[0])

typedef struct pctx {
    model_set *st;
    const char *path;
    kiln_buf *errs;
    int failed; /* 0, KILN_EINVAL or KILN_ENOMEM */
} pctx;

static void fail_at(pctx *x, int line, int col, const char *fmt, ...)
    KILN_PRINTF(4, 5);

static void fail_at(pctx *x, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    model_errorv(x->errs, x->path, line, col, fmt, ap);
    va_end(ap);
    if (!x->failed)
        x->failed = KILN_EINVAL;
}

static char *dup(pctx *x, kiln_str s)
{
    char *p = kiln_arena_strndup(&x->st->arena, s.p, s.n);
    if (!p)
        x->failed = KILN_ENOMEM;
    return p;
}

/* True when s[0..n) is an SQL name Kiln writes unquoted: lower-case
   letters, digits and '_', a letter first, at most 63 bytes (model and
   field names are shorter: the loader checks those). */
static bool ident_ok(const char *s, size_t n)
{
    if (n == 0 || n > 63 || !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_'))
            return false;
    return true;
}

/* A string value naming something (a model, field, table or index). */
static const char *name_of(pctx *x, const toml_entry *e)
{
    const toml_value *v = e->value;
    if (v->type != TOML_STRING || !ident_ok(v->u.string.p, v->u.string.n)) {
        fail_at(x, v->line, v->column,
                "%s is a name: lower-case letters, digits and '_', a letter "
                "first",
                e->key.p);
        return NULL;
    }
    return dup(x, v->u.string);
}

/* "model.field" into its two names. */
static bool dotted_of(pctx *x, const toml_entry *e, const char **model,
                      const char **field)
{
    const toml_value *v = e->value;
    const char *dot = v->type == TOML_STRING
                          ? memchr(v->u.string.p, '.', v->u.string.n)
                          : NULL;
    if (!dot || !model_name_ok(v->u.string.p, (size_t)(dot - v->u.string.p)) ||
        !model_name_ok(dot + 1,
                       v->u.string.n - (size_t)(dot - v->u.string.p) - 1)) {
        fail_at(x, v->line, v->column, "%s is \"model.field\"", e->key.p);
        return false;
    }
    *model = dup(x, (kiln_str){v->u.string.p, (size_t)(dot - v->u.string.p)});
    *field = dup(x, kiln_str_c(dot + 1));
    return *model && *field;
}

/* The column a field of a model's table gets (as model_parse_fields). */
static void set_column(pctx *x, kiln_field *f)
{
    if (f->type == KILN_FT_MANY)
        f->column = NULL;
    else if (f->type == KILN_FT_REF) {
        f->column = kiln_arena_printf(&x->st->arena, "%s_id", f->name);
        if (!f->column)
            x->failed = KILN_ENOMEM;
    } else
        f->column = f->name;
}

/* One field declaration (entry e) named name. */
static const kiln_field *field_of(pctx *x, const char *name,
                                  const toml_entry *e)
{
    kiln_field *f = kiln_arena_calloc(&x->st->arena, sizeof *f);
    if (!f) {
        x->failed = KILN_ENOMEM;
        return NULL;
    }
    if (model_parse_field(x->st, x->path, name, e, false, f, x->errs) != 0) {
        if (!x->failed)
            x->failed = KILN_EINVAL;
        return NULL;
    }
    set_column(x, f);
    return f;
}

/* The fill value of op (for field f) from TOML value v. */
static void fill_of(pctx *x, mig_op *op, const kiln_field *f,
                    const toml_value *v)
{
    if (!f)
        return;
    kiln_field tmp = *f;
    tmp.flags |= KILN_FF_BLANK; /* "" is a value a row may be given */
    if (model_parse_default(x->st, x->path, &tmp, v, x->errs) != 0) {
        if (!x->failed)
            x->failed = KILN_EINVAL;
        return;
    }
    op->fill = tmp.def;
    op->fill_auto = tmp.flags & (KILN_FF_DEFAULT_NOW | KILN_FF_DEFAULT_RANDOM);
}

/* fields = ["a", "b"] of an index of model m (NULL: not known here). */
static const char *const *index_fields(pctx *x, const toml_value *v,
                                       uint32_t *n)
{
    if (!v || v->type != TOML_ARRAY || v->u.array.n == 0) {
        fail_at(x, v ? v->line : 1, v ? v->column : 1,
                "an index has fields = [\"a\", \"b\"]");
        return NULL;
    }
    const char **names =
        kiln_arena_alloc(&x->st->arena, v->u.array.n * sizeof *names);
    if (!names) {
        x->failed = KILN_ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < v->u.array.n; i++) {
        const toml_value *it = v->u.array.items[i];
        if (it->type != TOML_STRING ||
            !ident_ok(it->u.string.p, it->u.string.n)) {
            fail_at(x, it->line, it->column,
                    "an index's fields are field names");
            return NULL;
        }
        names[i] = dup(x, it->u.string);
    }
    *n = (uint32_t)v->u.array.n;
    return names;
}

/* The indexes of a create/drop_model ([[op.index]] tables) into m. */
static void model_indexes(pctx *x, kiln_model *m, const toml_value *v)
{
    if (!v)
        return;
    if (v->type != TOML_ARRAY) {
        fail_at(x, v->line, v->column,
                "index is a list of [[op.index]] tables (name, fields, "
                "unique)");
        return;
    }
    kiln_index *ix =
        kiln_arena_calloc(&x->st->arena, (v->u.array.n + 1) * sizeof *ix);
    if (!ix) {
        x->failed = KILN_ENOMEM;
        return;
    }
    for (size_t i = 0; i < v->u.array.n; i++) {
        const toml_value *t = v->u.array.items[i];
        if (t->type != TOML_TABLE) {
            fail_at(x, t->line, t->column,
                    "an index is a table: name, fields, unique");
            return;
        }
        const toml_value *fields = NULL;
        ix[i].line = t->line;
        ix[i].col = t->column;
        for (size_t k = 0; k < t->u.table.n; k++) {
            const toml_entry *e = &t->u.table.items[k];
            if (strcmp(e->key.p, "name") == 0)
                ix[i].name = name_of(x, e);
            else if (strcmp(e->key.p, "fields") == 0)
                fields = e->value;
            else if (strcmp(e->key.p, "unique") == 0 &&
                     e->value->type == TOML_BOOLEAN)
                ix[i].unique = e->value->u.boolean;
            else
                fail_at(x, e->line, e->column,
                        "unknown key '%s' in an index (name, fields, unique "
                        "= true|false)",
                        e->key.p);
        }
        if (!ix[i].name)
            fail_at(x, t->line, t->column, "an index needs its name");
        ix[i].fields = index_fields(x, fields ? fields : t, &ix[i].nfields);
    }
    m->indexes = ix;
    m->nindexes = (uint32_t)v->u.array.n;
}

/* The definition of a create_model or drop_model. */
static const kiln_model *model_of(pctx *x, const char *name, const char *table,
                                  const toml_value *fields,
                                  const toml_value *index, int line)
{
    kiln_model *m = kiln_arena_calloc(&x->st->arena, sizeof *m);
    if (!m) {
        x->failed = KILN_ENOMEM;
        return NULL;
    }
    m->name = m->label = name;
    m->label_plural = name;
    m->table = table;
    m->file = x->path;
    if (!fields || fields->type != TOML_TABLE) {
        fail_at(x, fields ? fields->line : line, fields ? fields->column : 1,
                "the model's fields are a table ([op.fields])");
        return NULL;
    }
    if (model_parse_fields(x->st, x->path, name, fields, false, m, x->errs) !=
        0) {
        if (!x->failed)
            x->failed = KILN_EINVAL;
        return NULL;
    }
    for (uint32_t i = 0; i < m->nfields; i++)
        if (m->fields[i].type == KILN_FT_MANY) {
            fail_at(x, m->fields[i].line, m->fields[i].col,
                    "field '%s': a many field is added with add_field after "
                    "the model",
                    m->fields[i].name);
            return NULL;
        }
    model_indexes(x, m, index);
    return m;
}

/* One [[op]] table. */
static void parse_op(pctx *x, mig_file *f, const toml_value *t)
{
    if (t->type != TOML_TABLE) {
        fail_at(x, t->line, t->column, "an operation is a [[op]] table");
        return;
    }
    const struct op_spec *spec = NULL;
    const toml_entry *subject = NULL;
    for (size_t i = 0; i < t->u.table.n; i++)
        for (size_t k = 0; k < NOPS; k++)
            if (strcmp(t->u.table.items[i].key.p, ops[k].key) == 0) {
                if (spec) {
                    fail_at(x, t->u.table.items[i].line,
                            t->u.table.items[i].column,
                            "one operation per [[op]] table (this one is "
                            "already %s)",
                            spec->key);
                    return;
                }
                spec = &ops[k];
                subject = &t->u.table.items[i];
            }
    if (!spec) {
        fail_at(x, t->line, t->column,
                "this [[op]] names no operation (create_model, drop_model, "
                "rename_model, add_field, drop_field, alter_field, "
                "rename_field, add_index, add_unique, drop_index, "
                "drop_unique, rename_index)");
        return;
    }
    const toml_entry *arg[4] = {NULL, NULL, NULL, NULL};
    for (size_t i = 0; i < t->u.table.n; i++) {
        const toml_entry *e = &t->u.table.items[i];
        if (e == subject)
            continue;
        bool known = false;
        for (int k = 0; k < 4 && spec->keys[k]; k++)
            if (strcmp(e->key.p, spec->keys[k]) == 0) {
                arg[k] = e;
                known = true;
            }
        if (!known) {
            kiln_buf keys;
            kiln_buf_init(&keys);
            for (int k = 0; k < 4 && spec->keys[k]; k++)
                kiln_buf_printf(&keys, "%s%s", k ? ", " : "", spec->keys[k]);
            fail_at(x, e->line, e->column, "%s takes %s, not '%s'", spec->key,
                    keys.p ? keys.p : "nothing more", e->key.p);
            kiln_buf_deinit(&keys);
        }
    }
    mig_op op;
    memset(&op, 0, sizeof op);
    op.kind = spec->kind;
    op.line = subject->line;
    int failed = x->failed;
    x->failed = 0;
    if (spec->dotted) {
        if (!dotted_of(x, subject, &op.model, &op.name))
            goto done;
    } else if (op.kind == MIG_CREATE_MODEL || op.kind == MIG_DROP_MODEL ||
               op.kind == MIG_RENAME_MODEL) {
        op.model = name_of(x, subject);
    } else {
        op.name = name_of(x, subject);
    }
    /* what each operation requires */
    static const char *const need[][4] = {
        [MIG_CREATE_MODEL] = {"table", "fields"},
        [MIG_DROP_MODEL] = {"table", "fields"},
        [MIG_ADD_FIELD] = {"field"},
        [MIG_DROP_FIELD] = {"field"},
        [MIG_ALTER_FIELD] = {"from", "to"},
        [MIG_RENAME_FIELD] = {"to"},
        [MIG_ADD_INDEX] = {"model", "fields"},
        [MIG_DROP_INDEX] = {"model", "fields"},
        [MIG_RENAME_INDEX] = {"model", "to"},
    };
    for (int k = 0; k < 4 && need[op.kind][k]; k++) {
        bool have = false;
        for (int j = 0; j < 4 && spec->keys[j]; j++)
            if (strcmp(spec->keys[j], need[op.kind][k]) == 0 && arg[j])
                have = true;
        if (!have)
            fail_at(x, subject->line, subject->column, "%s needs %s = ...",
                    spec->key, need[op.kind][k]);
    }
    if (x->failed)
        goto done;
    switch (op.kind) {
    case MIG_CREATE_MODEL:
    case MIG_DROP_MODEL:
        op.table = name_of(x, arg[0]);
        if (op.model && op.table)
            op.def = model_of(x, op.model, op.table, arg[1]->value,
                              arg[2] ? arg[2]->value : NULL, subject->line);
        break;
    case MIG_RENAME_MODEL:
        if (!arg[0] && !arg[1])
            fail_at(x, subject->line, subject->column,
                    "rename_model needs to = \"new_name\", table = "
                    "\"new_table\", or both");
        if (arg[0])
            op.to = name_of(x, arg[0]);
        if (arg[1])
            op.table = name_of(x, arg[1]);
        break;
    case MIG_ADD_FIELD:
    case MIG_DROP_FIELD:
        op.field = field_of(x, op.name, arg[0]);
        if (arg[1])
            fill_of(x, &op, op.field, arg[1]->value);
        break;
    case MIG_ALTER_FIELD:
        op.from = field_of(x, op.name, arg[0]);
        op.field = field_of(x, op.name, arg[1]);
        if (arg[2])
            fill_of(x, &op, op.field, arg[2]->value);
        break;
    case MIG_RENAME_FIELD:
        op.to = name_of(x, arg[0]);
        break;
    case MIG_ADD_INDEX:
    case MIG_DROP_INDEX: {
        op.model = name_of(x, arg[0]);
        kiln_index *ix = kiln_arena_calloc(&x->st->arena, sizeof *ix);
        if (!ix) {
            x->failed = KILN_ENOMEM;
            break;
        }
        ix->name = op.name;
        ix->unique = spec->unique;
        ix->line = subject->line;
        ix->col = subject->column;
        ix->fields = index_fields(x, arg[1]->value, &ix->nfields);
        op.index = ix;
        break;
    }
    case MIG_RENAME_INDEX:
        op.model = name_of(x, arg[0]);
        op.to = name_of(x, arg[1]);
        break;
    }
done:
    if (!x->failed && mig_file_add(f, &op) != 0)
        x->failed = KILN_ENOMEM;
    if (failed && x->failed != KILN_ENOMEM)
        x->failed = failed;
}

int mig_parse(model_set *st, mig_file *f, const char *src, size_t n,
              kiln_buf *errs)
{
    pctx x = {.st = st, .path = f->path, .errs = errs};
    kiln_arena tmp;
    kiln_arena_init(&tmp, 16384);
    toml_value *root;
    toml_error te;
    int rc = toml_parse(&tmp, src, n, f->path, &root, &te);
    if (rc != 0) {
        toml_error_format(&te, errs);
        kiln_buf_putc(errs, '\n');
        kiln_arena_deinit(&tmp);
        return rc == KILN_ENOMEM ? rc : KILN_EINVAL;
    }
    for (size_t i = 0; i < root->u.table.n; i++) {
        const toml_entry *e = &root->u.table.items[i];
        if (strcmp(e->key.p, "op") != 0) {
            fail_at(&x, e->line, e->column,
                    "unknown key '%s': a migration is a list of [[op]] "
                    "tables",
                    e->key.p);
            continue;
        }
        if (e->value->type != TOML_ARRAY || !e->value->u.array.of_tables) {
            fail_at(&x, e->line, e->column,
                    "write each operation as an [[op]] table");
            continue;
        }
        for (size_t k = 0; k < e->value->u.array.n; k++) {
            parse_op(&x, f, e->value->u.array.items[k]);
            if (x.failed == KILN_ENOMEM)
                break;
        }
    }
    kiln_arena_deinit(&tmp);
    return x.failed;
}

/* ---- writing ------------------------------------------------------------- */

/* Appends s[0..n) as a TOML basic string. */
static void put_tstr(kiln_buf *b, const char *s, size_t n)
{
    kiln_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            kiln_buf_putc(b, '\\');
            kiln_buf_putc(b, (char)c);
        } else if (c == '\n') {
            kiln_buf_puts(b, "\\n");
        } else if (c == '\t') {
            kiln_buf_puts(b, "\\t");
        } else if (c < 0x20 || c == 0x7f) {
            kiln_buf_printf(b, "\\u%04x", c);
        } else {
            kiln_buf_putc(b, (char)c);
        }
    }
    kiln_buf_putc(b, '"');
}

/* Appends the JSON value v as a TOML value. 0 or KILN_EINVAL (null). */
static int put_json_as_toml(const kiln_json *v, kiln_buf *b)
{
    switch (v->type) {
    case KILN_JSON_STRING:
        put_tstr(b, v->u.string.p, v->u.string.n);
        return 0;
    case KILN_JSON_NUMBER:
        kiln_buf_append(b, v->u.number.raw.p, v->u.number.raw.n);
        return 0;
    case KILN_JSON_BOOL:
        kiln_buf_puts(b, v->u.boolean ? "true" : "false");
        return 0;
    case KILN_JSON_ARRAY:
        kiln_buf_putc(b, '[');
        for (size_t i = 0; i < v->u.array.n; i++) {
            if (i)
                kiln_buf_puts(b, ", ");
            if (put_json_as_toml(&v->u.array.items[i], b) != 0)
                return KILN_EINVAL;
        }
        kiln_buf_putc(b, ']');
        return 0;
    case KILN_JSON_OBJECT:
        kiln_buf_putc(b, '{');
        for (size_t i = 0; i < v->u.object.n; i++) {
            const kiln_json_member *m = &v->u.object.items[i];
            kiln_buf_puts(b, i ? ", " : " ");
            put_tstr(b, m->key.p, m->key.n);
            kiln_buf_puts(b, " = ");
            if (put_json_as_toml(&m->value, b) != 0)
                return KILN_EINVAL;
        }
        kiln_buf_puts(b, v->u.object.n ? " }" : "}");
        return 0;
    default: /* TOML has no null */
        return KILN_EINVAL;
    }
}

/* Appends the JSON text json as a TOML value. */
static int put_value(const char *json, kiln_buf *b)
{
    kiln_arena a;
    kiln_arena_init(&a, 1024);
    kiln_json *v;
    int rc = kiln_json_parse(&a, json, strlen(json), 0, &v, NULL);
    if (rc == 0)
        rc = put_json_as_toml(v, b);
    kiln_arena_deinit(&a);
    return rc ? KILN_EINVAL : 0;
}

/* True when enum values can be written "enum:a,b" and read back. */
static bool simple_values(const kiln_field *f)
{
    for (uint32_t i = 0; i < f->nvalues; i++) {
        const char *v = f->values[i];
        if (!v[0] || v[strlen(v) - 1] == '?')
            return false;
        for (const char *p = v; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
                  *p == '.' || *p == ' '))
                return false;
    }
    return true;
}

/* The target model's name of a ref or many field. */
static const char *target_name(const kiln_field *f)
{
    return f->ref ? f->ref->name : f->ref_name;
}

int mig_put_field(const kiln_field *f, kiln_buf *b)
{
    int t = f->type;
    bool has_len =
        t == KILN_FT_STRING || t == KILN_FT_EMAIL || t == KILN_FT_URL;
    uint16_t computed =
        f->flags & (KILN_FF_DEFAULT_NOW | KILN_FF_DEFAULT_RANDOM |
                    KILN_FF_AUTO_CREATED | KILN_FF_AUTO_UPDATED);
    bool shorthand =
        !f->def && !computed &&
        (t != KILN_FT_REF || f->on_delete == KILN_ON_DELETE_CASCADE) &&
        (t != KILN_FT_ENUM || simple_values(f));
    if (shorthand) {
        kiln_buf_printf(b, "\"%s", model_type_name(t));
        if (has_len && f->max_length > 0)
            kiln_buf_printf(b, ":%lld", (long long)f->max_length);
        else if (t == KILN_FT_DECIMAL)
            kiln_buf_printf(b, ":%d,%d", f->precision, f->scale);
        else if (t == KILN_FT_ENUM)
            for (uint32_t i = 0; i < f->nvalues; i++)
                kiln_buf_printf(b, "%c%s", i ? ',' : ':', f->values[i]);
        else if (t == KILN_FT_REF || t == KILN_FT_MANY)
            kiln_buf_printf(b, ":%s", target_name(f));
        kiln_buf_puts(b, f->flags & KILN_FF_OPTIONAL ? "?\"" : "\"");
        return 0;
    }
    kiln_buf_printf(b, "{ type = \"%s\"", model_type_name(t));
    if (has_len && f->max_length > 0)
        kiln_buf_printf(b, ", max_length = %lld", (long long)f->max_length);
    if (t == KILN_FT_DECIMAL)
        kiln_buf_printf(b, ", precision = %d, scale = %d", f->precision,
                        f->scale);
    if (t == KILN_FT_ENUM) {
        kiln_buf_puts(b, ", values = [");
        for (uint32_t i = 0; i < f->nvalues; i++) {
            if (i)
                kiln_buf_puts(b, ", ");
            put_tstr(b, f->values[i], strlen(f->values[i]));
        }
        kiln_buf_putc(b, ']');
    }
    if (t == KILN_FT_REF || t == KILN_FT_MANY)
        kiln_buf_printf(b, ", to = \"%s\"", target_name(f));
    if (t == KILN_FT_REF && f->on_delete != KILN_ON_DELETE_CASCADE)
        kiln_buf_printf(b, ", on_delete = \"%s\"",
                        f->on_delete == KILN_ON_DELETE_RESTRICT ? "restrict"
                                                                : "set_null");
    if (f->flags & KILN_FF_OPTIONAL)
        kiln_buf_puts(b, ", optional = true");
    if (f->flags & KILN_FF_AUTO_CREATED)
        kiln_buf_puts(b, ", auto = \"created\"");
    else if (f->flags & KILN_FF_AUTO_UPDATED)
        kiln_buf_puts(b, ", auto = \"updated\"");
    else if (f->flags & KILN_FF_DEFAULT_NOW)
        kiln_buf_puts(b, ", default = \"now\"");
    else if (f->flags & KILN_FF_DEFAULT_RANDOM)
        kiln_buf_puts(b, ", default = \"random\"");
    else if (f->def) {
        kiln_buf_puts(b, ", default = ");
        if (put_value(f->def, b) != 0)
            return KILN_EINVAL;
        if (strcmp(f->def, "\"\"") == 0)
            kiln_buf_puts(b, ", blank = true");
    }
    kiln_buf_puts(b, " }");
    return 0;
}

/* Appends a field declaration as a one-line text for the header. */
static void put_decl(const kiln_field *f, kiln_buf *b)
{
    kiln_buf d;
    kiln_buf_init(&d);
    if (mig_put_field(f, &d) == 0 && d.p)
        kiln_buf_append(b, d.p, d.n);
    else
        kiln_buf_puts(b, model_type_name(f->type));
    kiln_buf_deinit(&d);
}

static void put_index_fields(const kiln_index *ix, kiln_buf *b)
{
    for (uint32_t i = 0; i < ix->nfields; i++)
        kiln_buf_printf(b, "%s%s", i ? ", " : "", ix->fields[i]);
}

void mig_describe(const mig_op *op, kiln_buf *b)
{
    switch (op->kind) {
    case MIG_CREATE_MODEL:
        kiln_buf_printf(b, "creates model %s (table %s)", op->model, op->table);
        return;
    case MIG_DROP_MODEL:
        kiln_buf_printf(b, "drops model %s: table %s and its rows", op->model,
                        op->table);
        return;
    case MIG_RENAME_MODEL:
        if (op->to)
            kiln_buf_printf(b, "renames model %s to %s", op->model, op->to);
        else
            kiln_buf_printf(b, "renames the table of model %s", op->model);
        if (op->table)
            kiln_buf_printf(b, "%s(table %s)", op->to ? " " : " ", op->table);
        return;
    case MIG_ADD_FIELD:
        kiln_buf_printf(
            b, "adds %sfield %s.%s",
            op->field && op->field->type == KILN_FT_MANY ? "many-to-many " : "",
            op->model, op->name);
        if (op->fill || op->fill_auto) {
            kiln_buf_puts(b, " (rows there get ");
            if (op->fill_auto & KILN_FF_DEFAULT_RANDOM)
                kiln_buf_puts(b, "a random UUID each");
            else if (op->fill_auto)
                kiln_buf_puts(b, "the migration's time");
            else
                kiln_buf_puts(b, op->fill);
            kiln_buf_putc(b, ')');
        }
        return;
    case MIG_DROP_FIELD:
        kiln_buf_printf(b, "drops field %s.%s and its values", op->model,
                        op->name);
        return;
    case MIG_ALTER_FIELD:
        kiln_buf_printf(b, "changes field %s.%s from ", op->model, op->name);
        put_decl(op->from, b);
        kiln_buf_puts(b, " to ");
        put_decl(op->field, b);
        return;
    case MIG_RENAME_FIELD:
        kiln_buf_printf(b, "renames field %s.%s to %s", op->model, op->name,
                        op->to);
        return;
    case MIG_ADD_INDEX:
    case MIG_DROP_INDEX:
        kiln_buf_printf(
            b, "%s %s %s on %s (", op->kind == MIG_ADD_INDEX ? "adds" : "drops",
            op->index && op->index->unique ? "unique constraint" : "index",
            op->name, op->model);
        if (op->index)
            put_index_fields(op->index, b);
        kiln_buf_putc(b, ')');
        return;
    case MIG_RENAME_INDEX:
        kiln_buf_printf(b, "renames index %s of %s to %s", op->name, op->model,
                        op->to);
        return;
    }
}

/* Writes the fields and indexes of a create/drop_model definition. */
static int put_model(const kiln_model *m, kiln_buf *b, kiln_buf *errs,
                     const char *path)
{
    kiln_buf_puts(b, "\n[op.fields]\n");
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (f->flags & KILN_FF_PK)
            continue;
        kiln_buf_printf(b, "%s = ", f->name);
        if (mig_put_field(f, b) != 0) {
            kiln_buf_printf(errs,
                            "%s: the default of %s.%s cannot be written as "
                            "TOML\n",
                            path, m->name, f->name);
            return KILN_EINVAL;
        }
        kiln_buf_putc(b, '\n');
    }
    for (uint32_t i = 0; i < m->nindexes; i++) {
        const kiln_index *ix = &m->indexes[i];
        kiln_buf_printf(b, "\n[[op.index]]\nname = \"%s\"\nfields = [",
                        ix->name);
        for (uint32_t k = 0; k < ix->nfields; k++)
            kiln_buf_printf(b, "%s\"%s\"", k ? ", " : "", ix->fields[k]);
        kiln_buf_puts(b, "]\n");
        if (ix->unique)
            kiln_buf_puts(b, "unique = true\n");
    }
    return 0;
}

/* Writes "key = <field>\n", reporting a default TOML cannot hold. */
static int put_keyed_field(const char *key, const mig_op *op,
                           const kiln_field *f, kiln_buf *b, kiln_buf *errs,
                           const char *path)
{
    kiln_buf_printf(b, "%s = ", key);
    if (mig_put_field(f, b) != 0) {
        kiln_buf_printf(errs,
                        "%s: the default of %s.%s cannot be written as TOML\n",
                        path, op->model, op->name);
        return KILN_EINVAL;
    }
    kiln_buf_putc(b, '\n');
    return 0;
}

int mig_write(const mig_file *f, const char *made_by, kiln_buf *out,
              kiln_buf *errs)
{
    const char *path = f->path ? f->path : "migration";
    const char *base = strrchr(path, '/');
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char day[16];
    strftime(day, sizeof day, "%Y-%m-%d", &tm);
    kiln_buf_printf(out, "# %s - written by %s on %s.\n#\n",
                    base ? base + 1 : path, made_by, day);
    kiln_buf_puts(out, "# What it does:\n");
    for (size_t i = 0; i < f->n; i++) {
        kiln_buf_puts(out, "#   - ");
        mig_describe(&f->ops[i], out);
        kiln_buf_putc(out, '\n');
    }
    kiln_buf_puts(out,
                  "#\n"
                  "# `kiln migrate` applies it, on SQLite or PostgreSQL, in "
                  "one transaction;\n"
                  "# `kiln migrate --sql N` prints its SQL and `kiln migrate "
                  "--to N` undoes it.\n"
                  "# Each operation declares its fields in full (the model "
                  "language of\n"
                  "# models/*.toml), so the file replays without the models: "
                  "edit it only\n"
                  "# before it has been applied anywhere. See docs/models.md, "
                  "Migrations.\n");
    for (size_t i = 0; i < f->n; i++) {
        const mig_op *op = &f->ops[i];
        kiln_buf_puts(out, "\n[[op]]\n");
        int rc = 0;
        switch (op->kind) {
        case MIG_CREATE_MODEL:
        case MIG_DROP_MODEL:
            kiln_buf_printf(out, "%s = \"%s\"\ntable = \"%s\"\n",
                            op->kind == MIG_CREATE_MODEL ? "create_model"
                                                         : "drop_model",
                            op->model, op->table);
            rc = put_model(op->def, out, errs, path);
            break;
        case MIG_RENAME_MODEL:
            kiln_buf_printf(out, "rename_model = \"%s\"\n", op->model);
            if (op->to)
                kiln_buf_printf(out, "to = \"%s\"\n", op->to);
            if (op->table)
                kiln_buf_printf(out, "table = \"%s\"\n", op->table);
            break;
        case MIG_ADD_FIELD:
        case MIG_DROP_FIELD:
            kiln_buf_printf(out, "%s = \"%s.%s\"\n",
                            op->kind == MIG_ADD_FIELD ? "add_field"
                                                      : "drop_field",
                            op->model, op->name);
            rc = put_keyed_field("field", op, op->field, out, errs, path);
            break;
        case MIG_ALTER_FIELD:
            kiln_buf_printf(out, "alter_field = \"%s.%s\"\n", op->model,
                            op->name);
            rc = put_keyed_field("from", op, op->from, out, errs, path);
            if (rc == 0)
                rc = put_keyed_field("to", op, op->field, out, errs, path);
            break;
        case MIG_RENAME_FIELD:
            kiln_buf_printf(out, "rename_field = \"%s.%s\"\nto = \"%s\"\n",
                            op->model, op->name, op->to);
            break;
        case MIG_ADD_INDEX:
        case MIG_DROP_INDEX:
            kiln_buf_printf(out, "%s_%s = \"%s\"\nmodel = \"%s\"\nfields = [",
                            op->kind == MIG_ADD_INDEX ? "add" : "drop",
                            op->index->unique ? "unique" : "index", op->name,
                            op->model);
            for (uint32_t k = 0; k < op->index->nfields; k++)
                kiln_buf_printf(out, "%s\"%s\"", k ? ", " : "",
                                op->index->fields[k]);
            kiln_buf_puts(out, "]\n");
            break;
        case MIG_RENAME_INDEX:
            kiln_buf_printf(out,
                            "rename_index = \"%s\"\nmodel = \"%s\"\nto = "
                            "\"%s\"\n",
                            op->name, op->model, op->to);
            break;
        }
        if (rc == 0 && op->fill_auto)
            kiln_buf_printf(out, "fill = \"%s\"\n",
                            op->fill_auto & KILN_FF_DEFAULT_RANDOM ? "random"
                                                                   : "now");
        else if (rc == 0 && op->fill) {
            kiln_buf_puts(out, "fill = ");
            if (put_value(op->fill, out) != 0) {
                kiln_buf_printf(errs,
                                "%s: the value for %s.%s cannot be written "
                                "as TOML\n",
                                path, op->model, op->name);
                rc = KILN_EINVAL;
            }
            kiln_buf_putc(out, '\n');
        }
        if (rc)
            return rc;
    }
    return 0;
}
