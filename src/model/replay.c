/*
 * model/replay.c - the schema the migrations produce: each operation of
 * each generated migration replayed into a model_set (the state), checked
 * against it as it goes; the inverse of each operation, computed from the
 * state before it; and the SQL of a whole migration file, forward or
 * undoing it (mig_sql), one operation at a time through ddl_op.
 *
 * The state's models are kiln_model values in the set's arena. Replay
 * changes a model's name and table in place but never writes into an
 * array of fields or indexes it has handed out: a change makes new arrays.
 * That is what makes a snapshot (a copy of each kiln_model) a faithful
 * picture of the state before an operation, for the SQL that needs both
 * sides (the columns a rebuild copies from, the names a rename changes).
 */
#include "model/migration.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- snapshots ----------------------------------------------------------- */

int mig_snapshot(model_set *st, mig_snap *out)
{
    out->n = st->n;
    out->ids = kiln_arena_alloc(&st->arena, (st->n + 1) * sizeof *out->ids);
    out->models =
        kiln_arena_alloc(&st->arena, (st->n + 1) * sizeof *out->models);
    if (!out->ids || !out->models)
        return KILN_ENOMEM;
    for (size_t i = 0; i < st->n; i++) {
        out->ids[i] = st->models[i];
        out->models[i] = *st->models[i];
    }
    return 0;
}

const kiln_model *mig_snap_find(const mig_snap *s, const kiln_model *id)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (s->ids[i] == id)
            return &s->models[i];
    return NULL;
}

const kiln_model *mig_snap_named(const mig_snap *s, const char *name,
                                 const kiln_model **id)
{
    *id = NULL;
    for (size_t i = 0; s && name && i < s->n; i++)
        if (strcmp(s->models[i].name, name) == 0) {
            *id = s->ids[i];
            return &s->models[i];
        }
    return NULL;
}

/* ---- checking and changing the state ------------------------------------- */

typedef struct rctx {
    model_set *st;
    const char *path;
    int line;
    kiln_buf *errs;
} rctx;

static int fail(rctx *x, const char *fmt, ...) KILN_PRINTF(2, 3);

static int fail(rctx *x, const char *fmt, ...)
{
    kiln_buf_printf(x->errs, "%s:%d: ", x->path, x->line);
    va_list ap;
    va_start(ap, fmt);
    kiln_buf_vprintf(x->errs, fmt, ap);
    va_end(ap);
    kiln_buf_putc(x->errs, '\n');
    return KILN_EINVAL;
}

/* The model that has table t, or NULL. */
static kiln_model *by_table(const model_set *st, const char *t)
{
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->models[i]->table, t) == 0)
            return st->models[i];
    return NULL;
}

/* The model that has an index (or unique constraint) called name. */
static kiln_model *index_owner(const model_set *st, const char *name,
                               uint32_t *at)
{
    for (size_t i = 0; i < st->n; i++)
        for (uint32_t k = 0; k < st->models[i]->nindexes; k++)
            if (strcmp(st->models[i]->indexes[k].name, name) == 0) {
                if (at)
                    *at = k;
                return st->models[i];
            }
    return NULL;
}

/* A copy of m's fields with room for extra more (the arrays handed out
   are never written into). */
static kiln_field *fields_copy(rctx *x, const kiln_model *m, uint32_t extra)
{
    kiln_field *v =
        kiln_arena_alloc(&x->st->arena, (m->nfields + extra + 1) * sizeof *v);
    if (v && m->nfields)
        memcpy(v, m->fields, m->nfields * sizeof *v);
    return v;
}

static kiln_index *indexes_copy(rctx *x, const kiln_model *m, uint32_t extra)
{
    kiln_index *v =
        kiln_arena_alloc(&x->st->arena, (m->nindexes + extra + 1) * sizeof *v);
    if (v && m->nindexes)
        memcpy(v, m->indexes, m->nindexes * sizeof *v);
    return v;
}

/* The column field f has in a model's table. */
static const char *column_for(rctx *x, const kiln_field *f)
{
    if (f->type == KILN_FT_MANY)
        return NULL;
    if (f->type == KILN_FT_REF)
        return kiln_arena_printf(&x->st->arena, "%s_id", f->name);
    return f->name;
}

/* True when a field of m other than skip has column col. */
static bool column_taken(const kiln_model *m, const char *col, const char *skip)
{
    for (uint32_t i = 0; col && i < m->nfields; i++)
        if (m->fields[i].column && strcmp(m->fields[i].column, col) == 0 &&
            (!skip || strcmp(m->fields[i].name, skip) != 0))
            return true;
    return false;
}

/* True when an index of m lists field name. */
static const kiln_index *index_using(const kiln_model *m, const char *name)
{
    for (uint32_t i = 0; i < m->nindexes; i++)
        for (uint32_t k = 0; k < m->indexes[i].nfields; k++)
            if (strcmp(m->indexes[i].fields[k], name) == 0)
                return &m->indexes[i];
    return NULL;
}

/* True when ix has exactly these fields in this order, and uniqueness. */
static bool same_index(const kiln_index *a, const kiln_index *b)
{
    if (a->unique != b->unique || a->nfields != b->nfields)
        return false;
    for (uint32_t i = 0; i < a->nfields; i++)
        if (strcmp(a->fields[i], b->fields[i]) != 0)
            return false;
    return true;
}

/* Checks index ix's fields against m: each a field with a column. */
static int check_index(rctx *x, const kiln_model *m, const kiln_index *ix)
{
    for (uint32_t i = 0; i < ix->nfields; i++) {
        const kiln_field *f = model_field(m, ix->fields[i]);
        if (!f || !f->column || f->type == KILN_FT_JSON)
            return fail(x,
                        "index %s: model %s has no field '%s' that can be "
                        "indexed",
                        ix->name, m->name, ix->fields[i]);
    }
    return 0;
}

/*
 * Points every ref and many field of the state at its target (by name) and
 * names join tables, as model_set_resolve does for loaded models; checks
 * that tables and join tables have one owner each.
 */
static int relink(rctx *x)
{
    model_set *st = x->st;
    /* a ref to a built-in model (the user, on kiln_user): Kiln's schema
       made its table, so the state has it from the first ref on */
    for (size_t i = 0; i < st->n; i++) {
        const kiln_model *m = st->models[i];
        for (uint32_t k = 0; k < m->nfields; k++) {
            const kiln_field *f = &m->fields[k];
            if ((f->type != KILN_FT_REF && f->type != KILN_FT_MANY) ||
                !model_is_builtin_name(f->ref_name) ||
                model_find(st, f->ref_name))
                continue;
            kiln_buf e;
            kiln_buf_init(&e);
            int rc = model_add_builtin(st, f->ref_name, &e);
            if (rc != 0)
                rc = fail(x, "the built-in model %s: %s", f->ref_name,
                          e.p ? e.p : kiln_strerror(rc));
            kiln_buf_deinit(&e);
            if (rc != 0)
                return rc;
            i = (size_t)-1; /* the set moved: look again */
            break;
        }
    }
    for (size_t i = 0; i < st->n; i++) {
        kiln_model *m = st->models[i];
        for (size_t j = i + 1; j < st->n; j++)
            if (strcmp(st->models[j]->table, m->table) == 0)
                return fail(x, "models %s and %s have the same table %s",
                            m->name, st->models[j]->name, m->table);
        for (uint32_t k = 0; k < m->nfields; k++) {
            /* the fields' own arena memory: ref and through follow names
               (snapshots never read them) */
            kiln_field *f = (kiln_field *)&m->fields[k];
            if (f->type != KILN_FT_REF && f->type != KILN_FT_MANY)
                continue;
            kiln_model *t = model_find(st, f->ref_name);
            if (!t)
                return fail(x,
                            "field %s.%s refers to model '%s', which the "
                            "migrations do not have at this point",
                            m->name, f->name, f->ref_name);
            f->ref = t;
            if (f->type == KILN_FT_MANY) {
                f->through = model_join_table(st, m, f);
                if (!f->through)
                    return KILN_ENOMEM;
                if (by_table(st, f->through))
                    return fail(x,
                                "the join table %s of %s.%s is the table of "
                                "model %s",
                                f->through, m->name, f->name,
                                by_table(st, f->through)->name);
            }
        }
    }
    return 0;
}

/* Checks that a model's definition recorded in an op is what st has. */
static int check_def(rctx *x, const kiln_model *m, const kiln_model *def)
{
    uint32_t cols = 0;
    for (uint32_t i = 0; i < m->nfields; i++)
        cols += m->fields[i].type != KILN_FT_MANY;
    if (cols != def->nfields)
        return fail(x,
                    "the definition of model %s here has %u fields; the "
                    "migrations before made %u",
                    m->name, def->nfields, cols);
    for (uint32_t i = 0; i < def->nfields; i++) {
        const kiln_field *f = model_field(m, def->fields[i].name);
        if (!f || !mig_field_same(f, &def->fields[i]))
            return fail(x,
                        "field %s.%s here is not the one the migrations "
                        "before made",
                        m->name, def->fields[i].name);
    }
    return 0;
}

static int replay_create(rctx *x, const mig_op *op)
{
    if (model_find(x->st, op->model))
        return fail(x, "create_model %s: the model exists already", op->model);
    if (!model_name_ok(op->model, strlen(op->model)))
        return fail(x, "create_model: '%s' is not a model name", op->model);
    if (by_table(x->st, op->table))
        return fail(x, "create_model %s: table %s belongs to model %s",
                    op->model, op->table, by_table(x->st, op->table)->name);
    if (model_sql_reserved(op->table) || strncmp(op->table, "kiln_", 5) == 0)
        return fail(x, "create_model %s: '%s' cannot be a table name",
                    op->model, op->table);
    const kiln_model *def = op->def;
    if (!def || def->nfields == 0 || !(def->fields[0].flags & KILN_FF_PK))
        return fail(x, "create_model %s: no definition", op->model);
    kiln_model *m = kiln_arena_calloc(&x->st->arena, sizeof *m);
    if (!m)
        return KILN_ENOMEM;
    *m = *def;
    m->name = m->label = m->label_plural = op->model;
    m->table = op->table;
    m->file = x->path;
    m->renamed_from = NULL;
    m->ordering = NULL;
    m->nordering = 0;
    m->fields = fields_copy(x, def, 0);
    m->indexes = indexes_copy(x, def, 0);
    if (!m->fields || !m->indexes)
        return KILN_ENOMEM;
    for (uint32_t i = 0; i < m->nfields; i++)
        if (m->fields[i].type == KILN_FT_MANY)
            return fail(x,
                        "create_model %s: many field %s is added with "
                        "add_field",
                        op->model, m->fields[i].name);
    for (uint32_t i = 0; i < m->nindexes; i++) {
        if (index_owner(x->st, m->indexes[i].name, NULL))
            return fail(x, "create_model %s: index %s exists already",
                        op->model, m->indexes[i].name);
        int rc = check_index(x, m, &m->indexes[i]);
        if (rc)
            return rc;
    }
    return model_set_add(x->st, m);
}

static int replay_rename_model(rctx *x, const mig_op *op)
{
    kiln_model *m = model_find(x->st, op->model);
    if (!m)
        return fail(x, "rename_model: there is no model %s", op->model);
    const char *to = op->to ? op->to : m->name;
    if (op->to && strcmp(op->to, op->model) != 0 && model_find(x->st, op->to))
        return fail(x, "rename_model %s: model %s exists already", op->model,
                    op->to);
    if (op->to && !model_name_ok(op->to, strlen(op->to)))
        return fail(x, "rename_model: '%s' is not a model name", op->to);
    if (op->table) {
        kiln_model *o = by_table(x->st, op->table);
        if (o && o != m)
            return fail(x, "rename_model %s: table %s belongs to model %s",
                        op->model, op->table, o->name);
        if (model_sql_reserved(op->table) ||
            strncmp(op->table, "kiln_", 5) == 0)
            return fail(x, "rename_model %s: '%s' cannot be a table name",
                        op->model, op->table);
    }
    /* fields that refer to it follow its new name */
    if (strcmp(to, m->name) != 0)
        for (size_t i = 0; i < x->st->n; i++) {
            kiln_model *o = x->st->models[i];
            bool any = false;
            for (uint32_t k = 0; k < o->nfields && !any; k++)
                any = o->fields[k].ref_name &&
                      strcmp(o->fields[k].ref_name, m->name) == 0;
            if (!any)
                continue;
            kiln_field *v = fields_copy(x, o, 0);
            if (!v)
                return KILN_ENOMEM;
            for (uint32_t k = 0; k < o->nfields; k++)
                if (v[k].ref_name && strcmp(v[k].ref_name, m->name) == 0)
                    v[k].ref_name = to;
            o->fields = v;
        }
    model_set_remove(x->st, m);
    m->name = m->label = m->label_plural = to;
    if (op->table)
        m->table = op->table;
    return model_set_add(x->st, m);
}

static int replay_field(rctx *x, const mig_op *op, kiln_model *m)
{
    const kiln_field *cur = model_field(m, op->name);
    switch (op->kind) {
    case MIG_ADD_FIELD: {
        if (cur)
            return fail(x, "add_field %s.%s: the field exists already",
                        op->model, op->name);
        kiln_field nf = *op->field;
        nf.name = op->name;
        nf.column = column_for(x, &nf);
        if (nf.type == KILN_FT_REF && !nf.column)
            return KILN_ENOMEM;
        if (column_taken(m, nf.column, NULL))
            return fail(x, "add_field %s.%s: column %s exists already",
                        op->model, op->name, nf.column);
        if (nf.flags & KILN_FF_PK)
            return fail(x, "add_field %s.%s: a model has one primary key",
                        op->model, op->name);
        kiln_field *v = fields_copy(x, m, 1);
        if (!v)
            return KILN_ENOMEM;
        v[m->nfields] = nf;
        m->fields = v;
        m->nfields++;
        return 0;
    }
    case MIG_DROP_FIELD: {
        if (!cur || (cur->flags & KILN_FF_PK))
            return fail(x, "drop_field %s.%s: there is no such field",
                        op->model, op->name);
        if (!mig_field_same(cur, op->field))
            return fail(x,
                        "drop_field %s.%s: the field here is not the one "
                        "the migrations before made",
                        op->model, op->name);
        const kiln_index *ix = index_using(m, op->name);
        if (ix)
            return fail(x,
                        "drop_field %s.%s: index %s uses it (drop the index "
                        "first)",
                        op->model, op->name, ix->name);
        kiln_field *v = fields_copy(x, m, 0);
        if (!v)
            return KILN_ENOMEM;
        uint32_t k = 0;
        for (uint32_t i = 0; i < m->nfields; i++)
            if (strcmp(m->fields[i].name, op->name) != 0)
                v[k++] = m->fields[i];
        m->fields = v;
        m->nfields = k;
        return 0;
    }
    case MIG_ALTER_FIELD: {
        if (!cur || (cur->flags & KILN_FF_PK))
            return fail(x, "alter_field %s.%s: there is no such field",
                        op->model, op->name);
        if (!mig_field_same(cur, op->from))
            return fail(x,
                        "alter_field %s.%s: from = ... is not the field the "
                        "migrations before made",
                        op->model, op->name);
        if ((cur->type == KILN_FT_REF) != (op->field->type == KILN_FT_REF) ||
            (cur->type == KILN_FT_MANY) != (op->field->type == KILN_FT_MANY) ||
            mig_field_change(cur, op->field) == MIG_IMPOSSIBLE)
            return fail(x,
                        "alter_field %s.%s: a %s cannot become a %s (add a "
                        "new field and drop this one)",
                        op->model, op->name, model_type_name(cur->type),
                        model_type_name(op->field->type));
        kiln_field *v = fields_copy(x, m, 0);
        if (!v)
            return KILN_ENOMEM;
        for (uint32_t i = 0; i < m->nfields; i++)
            if (strcmp(v[i].name, op->name) == 0) {
                kiln_field nf = *op->field;
                nf.name = cur->name;
                nf.column = cur->column;
                v[i] = nf;
            }
        m->fields = v;
        return 0;
    }
    case MIG_RENAME_FIELD: {
        if (!cur || (cur->flags & KILN_FF_PK))
            return fail(x, "rename_field %s.%s: there is no such field",
                        op->model, op->name);
        if (model_field(m, op->to))
            return fail(x, "rename_field %s.%s: field %s exists already",
                        op->model, op->name, op->to);
        if (!model_name_ok(op->to, strlen(op->to)) || strcmp(op->to, "id") == 0)
            return fail(x, "rename_field %s.%s: '%s' is not a field name",
                        op->model, op->name, op->to);
        kiln_field nf = *cur;
        nf.name = op->to;
        nf.column = column_for(x, &nf);
        if (nf.type == KILN_FT_REF && !nf.column)
            return KILN_ENOMEM;
        if (column_taken(m, nf.column, cur->name) ||
            (nf.column && model_sql_reserved(nf.column)))
            return fail(x, "rename_field %s.%s: column %s cannot be used",
                        op->model, op->name, nf.column);
        kiln_field *v = fields_copy(x, m, 0);
        kiln_index *ix = indexes_copy(x, m, 0);
        if (!v || !ix)
            return KILN_ENOMEM;
        for (uint32_t i = 0; i < m->nfields; i++)
            if (strcmp(v[i].name, op->name) == 0)
                v[i] = nf;
        for (uint32_t i = 0; i < m->nindexes; i++) {
            const char **names = kiln_arena_alloc(
                &x->st->arena, (ix[i].nfields + 1) * sizeof *names);
            if (!names)
                return KILN_ENOMEM;
            for (uint32_t k = 0; k < ix[i].nfields; k++)
                names[k] = strcmp(ix[i].fields[k], op->name) == 0
                               ? op->to
                               : ix[i].fields[k];
            ix[i].fields = names;
        }
        m->fields = v;
        m->indexes = ix;
        return 0;
    }
    default:
        return KILN_EINVAL;
    }
}

static int replay_index(rctx *x, const mig_op *op, kiln_model *m)
{
    uint32_t at = 0;
    kiln_model *owner = index_owner(x->st, op->name, &at);
    switch (op->kind) {
    case MIG_ADD_INDEX: {
        if (owner)
            return fail(x, "add_index %s: an index of model %s has that name",
                        op->name, owner->name);
        int rc = check_index(x, m, op->index);
        if (rc)
            return rc;
        kiln_index *v = indexes_copy(x, m, 1);
        if (!v)
            return KILN_ENOMEM;
        v[m->nindexes] = *op->index;
        v[m->nindexes].name = op->name;
        m->indexes = v;
        m->nindexes++;
        return 0;
    }
    case MIG_DROP_INDEX: {
        if (owner != m)
            return fail(x, "drop_index %s: model %s has no such index",
                        op->name, m->name);
        if (!same_index(&m->indexes[at], op->index))
            return fail(x,
                        "drop_index %s: the index here is not the one the "
                        "migrations before made",
                        op->name);
        kiln_index *v = indexes_copy(x, m, 0);
        if (!v)
            return KILN_ENOMEM;
        memmove(&v[at], &v[at + 1], (m->nindexes - at - 1) * sizeof *v);
        m->indexes = v;
        m->nindexes--;
        return 0;
    }
    case MIG_RENAME_INDEX: {
        if (owner != m)
            return fail(x, "rename_index %s: model %s has no such index",
                        op->name, m->name);
        if (index_owner(x->st, op->to, NULL))
            return fail(x, "rename_index %s: index %s exists already", op->name,
                        op->to);
        kiln_index *v = indexes_copy(x, m, 0);
        if (!v)
            return KILN_ENOMEM;
        v[at].name = op->to;
        m->indexes = v;
        return 0;
    }
    default:
        return KILN_EINVAL;
    }
}

/* Adds the built-in model op works on (the user whose app fields it
   changes) to st when st does not have it yet: Kiln's schema made its
   table before any migration. Returns 0 or an error (a line in errs). */
static int ensure_builtin(model_set *st, const mig_op *op, const char *path,
                          kiln_buf *errs)
{
    if (op->kind == MIG_CREATE_MODEL || !op->model ||
        !model_is_builtin_name(op->model) || model_find(st, op->model))
        return 0;
    kiln_buf e;
    kiln_buf_init(&e);
    int rc = model_add_builtin(st, op->model, &e);
    if (rc != 0) {
        rctx x = {.st = st, .path = path, .line = op->line, .errs = errs};
        rc = fail(&x, "the built-in model %s: %s", op->model,
                  e.p ? e.p : kiln_strerror(rc));
    }
    kiln_buf_deinit(&e);
    return rc;
}

int mig_replay(model_set *st, const mig_op *op, const char *path,
               kiln_buf *errs)
{
    rctx x = {.st = st, .path = path, .line = op->line, .errs = errs};
    int rc;
    switch (op->kind) {
    case MIG_CREATE_MODEL:
        rc = replay_create(&x, op);
        break;
    case MIG_DROP_MODEL: {
        kiln_model *m = model_find(st, op->model);
        if (!m)
            return fail(&x, "drop_model: there is no model %s", op->model);
        rc = check_def(&x, m, op->def);
        if (rc)
            return rc;
        for (uint32_t i = 0; i < m->nfields; i++)
            if (m->fields[i].type == KILN_FT_MANY)
                return fail(&x,
                            "drop_model %s: drop its many field %s first "
                            "(drop_field)",
                            m->name, m->fields[i].name);
        model_set_remove(st, m);
        rc = 0;
        break;
    }
    case MIG_RENAME_MODEL:
        rc = replay_rename_model(&x, op);
        break;
    default: {
        rc = ensure_builtin(st, op, path, errs);
        if (rc != 0)
            return rc;
        kiln_model *m = model_find(st, op->model);
        if (!m)
            return fail(&x, "there is no model %s at this point",
                        op->model ? op->model : "?");
        if ((m->flags & KILN_MF_BUILTIN) &&
            (model_builtin_column(m->name, op->name) ||
             (op->kind == MIG_RENAME_FIELD &&
              model_builtin_column(m->name, op->to))))
            return fail(&x,
                        "%s.%s: the field is Kiln's own (its table is "
                        "%s); a migration changes only the app's fields",
                        m->name,
                        op->kind == MIG_RENAME_FIELD &&
                                model_builtin_column(m->name, op->to)
                            ? op->to
                            : op->name,
                        m->table);
        rc = op->kind >= MIG_ADD_INDEX ? replay_index(&x, op, m)
                                       : replay_field(&x, op, m);
    }
    }
    return rc ? rc : relink(&x);
}

/* ---- inverses ------------------------------------------------------------ */

/*
 * The operation that undoes op, from the state st before op. Returns 0,
 * or KILN_ESTATE with the reason in errs when op cannot be undone.
 */
static int inverse(model_set *st, const mig_op *op, const char *path,
                   bool accept_loss, mig_op *inv, kiln_buf *errs)
{
    memset(inv, 0, sizeof *inv);
    inv->line = op->line;
    inv->model = op->model;
    inv->name = op->name;
    switch (op->kind) {
    case MIG_CREATE_MODEL:
        inv->kind = MIG_DROP_MODEL;
        inv->table = op->table;
        inv->def = op->def;
        return 0;
    case MIG_DROP_MODEL:
        inv->kind = MIG_CREATE_MODEL;
        inv->table = op->table;
        inv->def = op->def;
        return 0;
    case MIG_RENAME_MODEL: {
        const kiln_model *m = model_find(st, op->model);
        inv->kind = MIG_RENAME_MODEL;
        inv->model = op->to ? op->to : op->model;
        inv->to = op->to ? op->model : NULL;
        inv->table = op->table && m ? m->table : NULL;
        return 0;
    }
    case MIG_ADD_FIELD:
        inv->kind = MIG_DROP_FIELD;
        inv->field = op->field;
        return 0;
    case MIG_DROP_FIELD: {
        const kiln_field *f = op->field;
        bool restorable =
            (f->flags &
             (KILN_FF_OPTIONAL | KILN_FF_DEFAULT_NOW | KILN_FF_DEFAULT_RANDOM |
              KILN_FF_AUTO_CREATED | KILN_FF_AUTO_UPDATED)) ||
            f->def || f->type == KILN_FT_MANY;
        if (!restorable) {
            kiln_buf_printf(errs,
                            "%s:%d: drop_field %s.%s cannot be undone: the "
                            "column was required and has no default, so "
                            "its rows would have no value\n",
                            path, op->line, op->model, op->name);
            return KILN_ESTATE;
        }
        inv->kind = MIG_ADD_FIELD;
        inv->field = f;
        return 0;
    }
    case MIG_ALTER_FIELD: {
        mig_change c = mig_field_change(op->field, op->from);
        if (c == MIG_IMPOSSIBLE) {
            kiln_buf_printf(errs,
                            "%s:%d: alter_field %s.%s cannot be undone: a "
                            "%s cannot become a %s again\n",
                            path, op->line, op->model, op->name,
                            model_type_name(op->field->type),
                            model_type_name(op->from->type));
            return KILN_ESTATE;
        }
        if (c == MIG_NARROWS && !accept_loss) {
            kiln_buf_printf(errs,
                            "%s:%d: undoing alter_field %s.%s would cut or "
                            "replace values (",
                            path, op->line, op->model, op->name);
            mig_put_field(op->field, errs);
            kiln_buf_puts(errs, " back to ");
            mig_put_field(op->from, errs);
            kiln_buf_puts(errs, "): pass --accept-loss to undo it anyway\n");
            return KILN_ESTATE;
        }
        inv->kind = MIG_ALTER_FIELD;
        inv->from = op->field;
        inv->field = op->from;
        return 0;
    }
    case MIG_RENAME_FIELD:
        inv->kind = MIG_RENAME_FIELD;
        inv->name = op->to;
        inv->to = op->name;
        return 0;
    case MIG_ADD_INDEX:
        inv->kind = MIG_DROP_INDEX;
        inv->index = op->index;
        return 0;
    case MIG_DROP_INDEX:
        inv->kind = MIG_ADD_INDEX;
        inv->index = op->index;
        return 0;
    case MIG_RENAME_INDEX:
        inv->kind = MIG_RENAME_INDEX;
        inv->name = op->to;
        inv->to = op->name;
        return 0;
    }
    return KILN_EINVAL;
}

/* ---- the SQL of a file --------------------------------------------------- */

/* Replays op into st and appends its SQL. */
static int step(model_set *st, const mig_op *op, const char *path,
                const mig_snap *start, ddl_backend be, kiln_buf *sql,
                mig_rebuilds *rb, kiln_buf *errs)
{
    mig_snap before;
    int rc = ensure_builtin(st, op, path, errs);
    if (rc == 0)
        rc = mig_snapshot(st, &before);
    if (rc == 0)
        rc = mig_replay(st, op, path, errs);
    if (rc == 0) {
        rc = ddl_op(st, op, &before, start, be, sql, rb);
        if (rc == KILN_EINVAL)
            kiln_buf_printf(errs,
                            "%s:%d: a value of this operation is not of its "
                            "field's type\n",
                            path, op->line);
        else if (rc == KILN_ESTATE)
            kiln_buf_printf(errs,
                            "%s:%d: %s.%s: Kiln refuses this change to its "
                            "own table: it names a column of Kiln's (a "
                            "migration changes only the app's fields of "
                            "the user)\n",
                            path, op->line, op->model ? op->model : "?",
                            op->name ? op->name : "?");
    }
    return rc;
}

int mig_sql(model_set *st, const mig_file *f, ddl_backend be, bool reverse,
            bool accept_loss, kiln_buf *sql, mig_rebuilds *rb, kiln_buf *errs)
{
    mig_snap start;
    int rc = mig_snapshot(st, &start);
    if (rc)
        return rc;
    if (!reverse) {
        for (size_t i = 0; i < f->n && rc == 0; i++)
            rc = step(st, &f->ops[i], f->path, &start, be, sql, rb, errs);
        return rc;
    }
    mig_op *inv = calloc(f->n + 1, sizeof *inv);
    if (!inv)
        return KILN_ENOMEM;
    int why_not = 0; /* every operation that cannot be undone is named */
    for (size_t i = 0; i < f->n && rc == 0; i++) {
        int r = inverse(st, &f->ops[i], f->path, accept_loss, &inv[i], errs);
        if (r == KILN_ESTATE)
            why_not = r;
        else
            rc = r;
        if (rc == 0)
            rc = mig_replay(st, &f->ops[i], f->path, errs);
    }
    if (rc == 0)
        rc = why_not;
    if (rc == 0)
        rc = mig_snapshot(st, &start);
    for (size_t i = f->n; i-- > 0 && rc == 0;)
        rc = step(st, &inv[i], f->path, &start, be, sql, rb, errs);
    free(inv);
    return rc;
}
