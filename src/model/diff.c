/*
 * model/diff.c - the models (models/NAME.toml) against the schema the
 * migrations produce (the replayed state): the operations of the next
 * migration, and the changes that would lose data or need a value for the
 * rows already there, refused until the author says so.
 *
 * Models are matched by name, fields by name within their model; renames
 * only when the author says so (renamed_from in the model file, or
 * --rename), else a renamed thing is a drop plus an add - refused as data
 * loss, with the hint suggested. Indexes are matched by name, or by their
 * fields when only the name changed (a renamed table or field renames the
 * indexes named after it).
 *
 * The operations come out in an order that applies: model renames, index
 * drops, field renames, field changes of existing models, new models (the
 * ones they refer to first), references and join tables, new indexes,
 * index renames, then drops of whole models.
 *
 * A built-in model (the user, on Kiln's table kiln_user) is never created,
 * renamed or dropped. When the app extends it (models/user.toml with
 * extends = "kiln.user"), only the app's fields are diffed - Kiln's
 * columns never appear in an operation. (A change SQLite makes by
 * rebuilding kiln_user keeps Kiln's columns: see ddl.c.)
 */
#include "model/migration.h"

#include "config/toml.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The phases, in the order their operations are written. */
enum {
    PH_RENAME_MODEL,
    PH_DROP_INDEX,
    PH_RENAME_FIELD,
    PH_FIELDS,
    PH_CREATE,
    PH_LINKS,
    PH_ADD_INDEX,
    PH_DROP_MODEL,
    PH_N
};

/* A state model and the loaded model it became (NULL: dropped). */
typedef struct pair {
    const kiln_model *s; /* in the state */
    const kiln_model *m; /* in the models, or NULL */
} pair;

typedef struct dctx {
    model_set *st;
    const model_set *models;
    const mig_diff_opts *o;
    kiln_buf *notes, *errs;
    int rc;            /* KILN_EINVAL once a change is refused */
    mig_file ph[PH_N]; /* operations per phase */
    pair *pairs;       /* one per state model */
    size_t npairs;
    bool *used_default; /* per o->defaults entry */
    bool *used_rename;  /* per o->renames entry */
} dctx;

static void refuse(dctx *x, const char *fmt, ...) KILN_PRINTF(2, 3);

static void refuse(dctx *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kiln_buf_vprintf(x->errs, fmt, ap);
    va_end(ap);
    kiln_buf_putc(x->errs, '\n');
    x->rc = KILN_EINVAL;
}

static void note(dctx *x, const char *fmt, ...) KILN_PRINTF(2, 3);

static void note(dctx *x, const char *fmt, ...)
{
    if (!x->notes)
        return;
    va_list ap;
    va_start(ap, fmt);
    kiln_buf_vprintf(x->notes, fmt, ap);
    va_end(ap);
    kiln_buf_putc(x->notes, '\n');
}

static void emit(dctx *x, int phase, const mig_op *op)
{
    if (mig_file_add(&x->ph[phase], op) != 0)
        x->rc = KILN_ENOMEM;
}

/* ---- names: pairs and renames -------------------------------------------- */

/* The loaded model state model s became, or NULL. */
static const kiln_model *became(const dctx *x, const kiln_model *s)
{
    for (size_t i = 0; i < x->npairs; i++)
        if (x->pairs[i].s == s)
            return x->pairs[i].m;
    return NULL;
}

/* The state model loaded model m was, or NULL (new). */
static const kiln_model *was(const dctx *x, const kiln_model *m)
{
    for (size_t i = 0; i < x->npairs; i++)
        if (x->pairs[i].m == m)
            return x->pairs[i].s;
    return NULL;
}

/* The name a state model has once the model renames are applied. */
static const char *name_now(const dctx *x, const char *state_name)
{
    const kiln_model *s = model_find(x->st, state_name);
    const kiln_model *m = s ? became(x, s) : NULL;
    return m ? m->name : state_name;
}

/* A --rename "old=new" (model) or "model.old=new" (field) for the new
   name new in model (NULL: a model rename). Returns old, or NULL. */
static const char *flag_rename(dctx *x, const char *model, const char *new)
{
    for (size_t i = 0; i < x->o->nrenames; i++) {
        const char *r = x->o->renames[i];
        const char *eq = strchr(r, '=');
        const char *dot = memchr(r, '.', eq ? (size_t)(eq - r) : 0);
        if (!eq || strcmp(eq + 1, new) != 0 || (dot != NULL) != (model != NULL))
            continue;
        if (model && ((size_t)(dot - r) != strlen(model) ||
                      strncmp(r, model, (size_t)(dot - r)) != 0))
            continue;
        const char *old = dot ? dot + 1 : r;
        x->used_rename[i] = true;
        return kiln_arena_strndup(&x->st->arena, old, (size_t)(eq - old));
    }
    return NULL;
}

/* The value --default gives model.field, or NULL. */
static const char *flag_default(dctx *x, const char *model, const char *field)
{
    size_t mn = strlen(model), fn = strlen(field);
    for (size_t i = 0; i < x->o->ndefaults; i++) {
        const char *d = x->o->defaults[i];
        if (strncmp(d, model, mn) == 0 && d[mn] == '.' &&
            strncmp(d + mn + 1, field, fn) == 0 && d[mn + 1 + fn] == '=') {
            x->used_default[i] = true;
            return d + mn + fn + 2;
        }
    }
    return NULL;
}

/* Pairs every state model with the loaded model it became. */
static int pair_models(dctx *x)
{
    x->pairs =
        kiln_arena_calloc(&x->st->arena, (x->st->n + 1) * sizeof *x->pairs);
    if (!x->pairs)
        return KILN_ENOMEM;
    x->npairs = x->st->n;
    for (size_t i = 0; i < x->st->n; i++) {
        x->pairs[i].s = x->st->models[i];
        x->pairs[i].m = model_find(x->models, x->st->models[i]->name);
    }
    /* a built-in model the app's models neither extend nor refer to any
       more stays (its table is Kiln's): paired with Kiln's own model, so
       that the app's fields it had are dropped and nothing else changes */
    for (size_t i = 0; i < x->npairs; i++) {
        kiln_model *s = x->st->models[i];
        if (x->pairs[i].m || !(s->flags & KILN_MF_BUILTIN))
            continue;
        model_set_remove(x->st, s);
        int rc = model_add_builtin(x->st, s->name, x->errs);
        kiln_model *k = model_find(x->st, s->name);
        if (k)
            model_set_remove(x->st, k);
        if (model_set_add(x->st, s) != 0 || rc == KILN_ENOMEM)
            return KILN_ENOMEM;
        if (rc != 0 || !k)
            return KILN_EINVAL;
        x->pairs[i].m = k;
    }
    /* renames: a hint or a flag names the state model a new one was */
    for (size_t k = 0; k < x->models->n; k++) {
        const kiln_model *m = x->models->models[k];
        if (was(x, m))
            continue;
        const char *old = flag_rename(x, NULL, m->name);
        if (!old)
            old = m->renamed_from;
        if (!old)
            continue;
        /* the old model's name, or its table's */
        const kiln_model *s = model_find(x->st, old);
        for (size_t i = 0; !s && i < x->st->n; i++)
            if (strcmp(x->st->models[i]->table, old) == 0)
                s = x->st->models[i];
        if (!s || became(x, s) || model_find(x->models, s->name)) {
            if (old != m->renamed_from) /* a stale hint is no error */
                refuse(x,
                       "--rename %s=%s: the migrations have no model %s "
                       "that could have become %s",
                       old, m->name, old, m->name);
            continue;
        }
        for (size_t i = 0; i < x->npairs; i++)
            if (x->pairs[i].s == s)
                x->pairs[i].m = m;
    }
    return 0;
}

/* The field name of state model s that loaded field mf was, or NULL. */
static const char *field_was(dctx *x, const kiln_model *s, const kiln_model *m,
                             const kiln_field *mf)
{
    if (model_field(s, mf->name))
        return mf->name;
    const char *old = flag_rename(x, m->name, mf->name);
    if (!old)
        old = mf->renamed_from;
    if (!old)
        return NULL;
    const kiln_field *sf = model_field(s, old);
    if (!sf || model_field(m, old) || (sf->flags & KILN_FF_PK)) {
        if (old != mf->renamed_from)
            refuse(x,
                   "--rename %s.%s=%s: the migrations give model %s no field "
                   "%s that could have become %s",
                   m->name, old, mf->name, s->name, old, mf->name);
        return NULL;
    }
    return old;
}

/* The field name sf of state model s has in loaded model m, or NULL. */
static const char *field_became(dctx *x, const kiln_model *s,
                                const kiln_model *m, const kiln_field *sf)
{
    for (uint32_t i = 0; i < m->nfields; i++) {
        const char *old = field_was(x, s, m, &m->fields[i]);
        if (old && strcmp(old, sf->name) == 0)
            return m->fields[i].name;
    }
    return NULL;
}

/*
 * State field sf as it reads at the point of the migration past the model
 * renames: its target by the target's new name (ref cleared: replay links
 * it again). Allocated in the state's arena.
 */
static const kiln_field *field_now(dctx *x, const kiln_field *sf)
{
    if (sf->type != KILN_FT_REF && sf->type != KILN_FT_MANY)
        return sf;
    kiln_field *f = kiln_arena_alloc(&x->st->arena, sizeof *f);
    if (!f) {
        x->rc = KILN_ENOMEM;
        return sf;
    }
    *f = *sf;
    f->ref = NULL;
    f->ref_name = name_now(x, sf->ref ? sf->ref->name : sf->ref_name);
    return f;
}

/* ---- describing what is lost --------------------------------------------- */

/* Why a change from a to b narrows, in a few words. */
static void narrow_reason(const kiln_field *a, const kiln_field *b,
                          kiln_buf *out)
{
    if (b->type == KILN_FT_ENUM && a->type == KILN_FT_ENUM) {
        kiln_buf_puts(out, "rows holding a value it no longer lists (");
        bool first = true;
        for (uint32_t i = 0; i < a->nvalues; i++) {
            bool kept = false;
            for (uint32_t k = 0; k < b->nvalues && !kept; k++)
                kept = strcmp(a->values[i], b->values[k]) == 0;
            if (!kept) {
                kiln_buf_printf(out, "%s%s", first ? "" : ", ", a->values[i]);
                first = false;
            }
        }
        kiln_buf_puts(out, ") get another value");
    } else if (b->type == KILN_FT_ENUM) {
        kiln_buf_puts(out, "rows holding a value not in its list get another "
                           "value");
    } else if (b->type == KILN_FT_STRING || b->type == KILN_FT_EMAIL ||
               b->type == KILN_FT_URL) {
        kiln_buf_printf(out, "values longer than %lld characters are cut",
                        (long long)b->max_length);
    } else if (b->type == KILN_FT_DATE) {
        kiln_buf_puts(out, "the time of day of its values is lost");
    } else if (b->type == KILN_FT_BOOL) {
        kiln_buf_puts(out, "its numbers become true or false");
    } else {
        kiln_buf_puts(out, "its values are rounded or lose digits");
    }
}

/* Appends a field's declaration for a message. */
static void decl(const kiln_field *f, kiln_buf *b)
{
    if (mig_put_field(f, b) != 0)
        kiln_buf_puts(b, model_type_name(f->type));
}

/* ---- values for existing rows -------------------------------------------- */

/* True when rows get a value from f itself: a constant or computed
   default (now, random, auto). */
static bool has_default(const kiln_field *f)
{
    return f->def || (f->flags & (KILN_FF_DEFAULT_NOW | KILN_FF_DEFAULT_RANDOM |
                                  KILN_FF_AUTO_CREATED | KILN_FF_AUTO_UPDATED));
}

/* String-like types take --default VALUE as written. */
static bool takes_text(int t)
{
    return t != KILN_FT_INT && t != KILN_FT_FLOAT && t != KILN_FT_BOOL &&
           t != KILN_FT_JSON && t != KILN_FT_REF;
}

/*
 * Reads --default model.field=VALUE for loaded field mf into op's fill:
 * VALUE is TOML ("3", "true", "\"a b\"", "[1, 2]"), or for a string-like
 * field the text itself. Checked as a default of mf is. Returns true when
 * the flag gave one.
 */
static bool fill_from_flag(dctx *x, const char *model, const kiln_field *mf,
                           mig_op *op)
{
    const char *v = flag_default(x, model, mf->name);
    if (!v)
        return false;
    kiln_arena a;
    kiln_arena_init(&a, 1024);
    kiln_buf src;
    kiln_buf_init(&src);
    if (takes_text(mf->type) && v[0] != '"' && v[0] != '\'') {
        kiln_buf_puts(&src, "v = \"");
        for (const char *p = v; *p; p++) {
            if (*p == '"' || *p == '\\')
                kiln_buf_putc(&src, '\\');
            kiln_buf_putc(&src, *p);
        }
        kiln_buf_putc(&src, '"');
    } else {
        kiln_buf_printf(&src, "v = %s", v);
    }
    char where[160];
    snprintf(where, sizeof where, "--default %s.%s", model, mf->name);
    toml_value *root = NULL;
    toml_error te;
    int rc = toml_parse(&a, src.p, src.n, where, &root, &te);
    bool ok = false;
    if (rc != 0) {
        refuse(x, "--default %s.%s=%s: not a value (%s)", model, mf->name, v,
               te.message);
    } else {
        kiln_field tmp = *mf;
        tmp.flags |= KILN_FF_BLANK;
        kiln_buf e;
        kiln_buf_init(&e);
        if (model_parse_default(x->st, where, &tmp, toml_get(root, "v"), &e) !=
            0) {
            /* "WHERE:1:5: field 'x': why\n": keep the why */
            const char *why = e.p ? strstr(e.p + strlen(where), ": ") : NULL;
            why = why ? why + 2 : "not a value of the field";
            size_t wn = strcspn(why, "\n");
            refuse(x, "--default %s.%s=%s: %.*s", model, mf->name, v, (int)wn,
                   why);
        } else {
            op->fill = tmp.def;
            op->fill_auto =
                tmp.flags & (KILN_FF_DEFAULT_NOW | KILN_FF_DEFAULT_RANDOM);
            ok = true;
        }
        kiln_buf_deinit(&e);
    }
    kiln_buf_deinit(&src);
    kiln_arena_deinit(&a);
    return ok;
}

/* The value rows of a new required field get when f has none of its own:
   none needed for computed defaults (the SQL computes them). */
static void needs_value(dctx *x, const kiln_model *m, const kiln_field *mf,
                        const char *why)
{
    refuse(x,
           "field %s.%s %s, with no default: rows already there need a "
           "value. Give it a default in %s, make it optional (\"?\"), or "
           "pass --default %s.%s=VALUE (the value those rows get)",
           m->name, mf->name, why, m->file ? m->file : "its model file",
           m->name, mf->name);
}

/* ---- one model ----------------------------------------------------------- */

/* add_field of loaded field mf to existing model m (state model s). */
static void add_field(dctx *x, const kiln_model *m, const kiln_field *mf)
{
    mig_op op = {
        .kind = MIG_ADD_FIELD, .model = m->name, .name = mf->name, .field = mf};
    bool given = fill_from_flag(x, m->name, mf, &op);
    bool required = mf->type != KILN_FT_MANY && !(mf->flags & KILN_FF_OPTIONAL);
    if ((m->flags & KILN_MF_BUILTIN) && given && required) {
        refuse(x,
               "--default %s.%s: rows of Kiln's table %s take the field's "
               "own default; change default = ... in %s instead",
               m->name, mf->name, m->table,
               m->file ? m->file : "its model file");
        return;
    }
    if (!given && required && !has_default(mf))
        needs_value(x, m, mf, "is new and required");
    else if (!given && required && !mf->def)
        /* computed when the migration runs: say so in the file */
        op.fill_auto = mf->flags & KILN_FF_DEFAULT_RANDOM
                           ? KILN_FF_DEFAULT_RANDOM
                           : KILN_FF_DEFAULT_NOW;
    bool links = mf->type == KILN_FT_REF || mf->type == KILN_FT_MANY;
    emit(x, links ? PH_LINKS : PH_FIELDS, &op);
}

/* drop_field of state field sf of model s (s's name now: model). */
static void drop_field(dctx *x, const char *model, const kiln_model *s,
                       const kiln_model *m, const kiln_field *sf)
{
    mig_op op = {.kind = MIG_DROP_FIELD,
                 .model = model,
                 .name = sf->name,
                 .field = field_now(x, sf)};
    if (!x->o->accept_loss) {
        kiln_buf hint;
        kiln_buf_init(&hint);
        /* an added field of the same type looks like a rename */
        for (uint32_t i = 0; m && i < m->nfields; i++) {
            const kiln_field *mf = &m->fields[i];
            if (mf->type == sf->type && !field_was(x, s, m, mf))
                kiln_buf_printf(&hint,
                                " If it became %s.%s, write renamed_from = "
                                "\"%s\" on that field or pass --rename "
                                "%s.%s=%s.",
                                model, mf->name, sf->name, model, sf->name,
                                mf->name);
        }
        refuse(x,
               "field %s.%s is gone from models/%s.toml: dropping it loses "
               "its %s; pass --accept-loss to drop it.%s",
               model, sf->name, model,
               sf->type == KILN_FT_MANY ? "links (join table)" : "values",
               hint.p ? hint.p : "");
        kiln_buf_deinit(&hint);
    } else {
        note(x, "drops field %s.%s and its %s", model, sf->name,
             sf->type == KILN_FT_MANY ? "links" : "values");
    }
    emit(x, PH_FIELDS, &op);
}

/* alter_field of state field sf into loaded field mf. */
static void alter_field(dctx *x, const kiln_model *m, const kiln_field *sf,
                        const kiln_field *mf)
{
    const kiln_field *from = field_now(x, sf);
    if (mig_field_same(from, mf))
        return;
    mig_op op = {.kind = MIG_ALTER_FIELD,
                 .model = m->name,
                 .name = mf->name,
                 .from = from,
                 .field = mf};
    mig_change c = mig_field_change(from, mf);
    kiln_buf d;
    kiln_buf_init(&d);
    decl(from, &d);
    kiln_buf_puts(&d, " to ");
    decl(mf, &d);
    if (c == MIG_IMPOSSIBLE) {
        refuse(x,
               "field %s.%s changes from %s: kiln has no conversion for "
               "that. Add a new field, copy the values with a hand-written "
               ".sql migration, then drop this one",
               m->name, mf->name, d.p);
        kiln_buf_deinit(&d);
        return;
    }
    bool given = fill_from_flag(x, m->name, mf, &op);
    bool now_required =
        (from->flags & KILN_FF_OPTIONAL) && !(mf->flags & KILN_FF_OPTIONAL);
    bool replaces = mf->type == KILN_FT_ENUM &&
                    c == MIG_NARROWS; /* values outside the list */
    if (!given && !has_default(mf) && !(mf->flags & KILN_FF_OPTIONAL) &&
        (now_required || replaces))
        needs_value(x, m, mf,
                    now_required ? "becomes required"
                                 : "loses enum values rows may hold");
    if (c == MIG_NARROWS) {
        kiln_buf why;
        kiln_buf_init(&why);
        narrow_reason(from, mf, &why);
        if (!x->o->accept_loss)
            refuse(x,
                   "field %s.%s changes from %s: %s; pass --accept-loss to "
                   "change it",
                   m->name, mf->name, d.p, why.p);
        else
            note(x, "changes field %s.%s from %s: %s", m->name, mf->name, d.p,
                 why.p);
        kiln_buf_deinit(&why);
    }
    kiln_buf_deinit(&d);
    bool links = mf->type == KILN_FT_REF || mf->type == KILN_FT_MANY;
    emit(x, links ? PH_LINKS : PH_FIELDS, &op);
}

/* The name state index ix's fields have in m (renames applied). */
static bool index_matches(dctx *x, const kiln_model *s, const kiln_model *m,
                          const kiln_index *si, const kiln_index *mi)
{
    if (si->unique != mi->unique || si->nfields != mi->nfields)
        return false;
    for (uint32_t i = 0; i < si->nfields; i++) {
        const kiln_field *sf = model_field(s, si->fields[i]);
        const char *now = sf ? field_became(x, s, m, sf) : NULL;
        if (!now || strcmp(now, mi->fields[i]) != 0)
            return false;
    }
    return true;
}

/* The fields and indexes of a model that stays (s in the state, m in the
   models). */
static void diff_model(dctx *x, const kiln_model *s, const kiln_model *m)
{
    /* indexes: by name, else by fields (a renamed index) */
    bool *kept = kiln_arena_calloc(&x->st->arena, s->nindexes + 1);
    bool *have = kiln_arena_calloc(&x->st->arena, m->nindexes + 1);
    if (!kept || !have) {
        x->rc = KILN_ENOMEM;
        return;
    }
    for (uint32_t i = 0; i < m->nindexes; i++)
        for (uint32_t k = 0; k < s->nindexes; k++)
            if (!kept[k] &&
                strcmp(s->indexes[k].name, m->indexes[i].name) == 0 &&
                index_matches(x, s, m, &s->indexes[k], &m->indexes[i]))
                kept[k] = have[i] = true;
    for (uint32_t i = 0; i < m->nindexes; i++) {
        if (have[i])
            continue;
        for (uint32_t k = 0; k < s->nindexes && !have[i]; k++) {
            if (kept[k] ||
                !index_matches(x, s, m, &s->indexes[k], &m->indexes[i]))
                continue;
            /* the same index under a new name, unless the new name is
               still taken by another index of the state */
            bool taken = false;
            for (uint32_t j = 0; j < s->nindexes; j++)
                taken |= strcmp(s->indexes[j].name, m->indexes[i].name) == 0;
            if (taken)
                continue;
            mig_op op = {.kind = MIG_RENAME_INDEX,
                         .model = m->name,
                         .name = s->indexes[k].name,
                         .to = m->indexes[i].name};
            emit(x, PH_ADD_INDEX, &op);
            kept[k] = have[i] = true;
        }
    }
    for (uint32_t k = 0; k < s->nindexes; k++) {
        if (kept[k])
            continue;
        mig_op op = {.kind = MIG_DROP_INDEX,
                     .model = m->name,
                     .name = s->indexes[k].name,
                     .index = &s->indexes[k]};
        /* the index's fields by the names they have at that point: model
           renames do not touch them, field renames come after */
        emit(x, PH_DROP_INDEX, &op);
    }
    for (uint32_t i = 0; i < m->nindexes; i++) {
        if (have[i])
            continue;
        mig_op op = {.kind = MIG_ADD_INDEX,
                     .model = m->name,
                     .name = m->indexes[i].name,
                     .index = &m->indexes[i]};
        emit(x, PH_ADD_INDEX, &op);
    }
    /* fields (of a built-in model: only the app's, never Kiln's) */
    bool builtin = (s->flags | m->flags) & KILN_MF_BUILTIN;
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *mf = &m->fields[i];
        if ((mf->flags & KILN_FF_PK) ||
            (builtin && model_builtin_column(m->name, mf->name)))
            continue;
        const char *old = field_was(x, s, m, mf);
        if (!old) {
            add_field(x, m, mf);
            continue;
        }
        const kiln_field *sf = model_field(s, old);
        if (strcmp(old, mf->name) != 0) {
            mig_op op = {.kind = MIG_RENAME_FIELD,
                         .model = m->name,
                         .name = old,
                         .to = mf->name};
            emit(x, PH_RENAME_FIELD, &op);
        }
        alter_field(x, m, sf, mf);
    }
    for (uint32_t i = 0; i < s->nfields; i++) {
        const kiln_field *sf = &s->fields[i];
        if (builtin && model_builtin_column(s->name, sf->name))
            continue;
        if (!(sf->flags & KILN_FF_PK) && !field_became(x, s, m, sf))
            drop_field(x, m->name, s, m, sf);
    }
}

/* ---- new models ---------------------------------------------------------- */

/* True when model name exists once the earlier phases ran (a state model
   that stays, or a new model created already). */
static bool exists_by_then(dctx *x, const char *name, const char *const *made,
                           size_t nmade)
{
    const kiln_model *m = model_find(x->models, name);
    if (m && (was(x, m) || (m->flags & KILN_MF_BUILTIN)))
        return true;
    for (size_t i = 0; i < nmade; i++)
        if (strcmp(made[i], name) == 0)
            return true;
    return false;
}

/* Writes create_model of m, leaving out many fields and, when defer is
   set, the refs to models that do not exist yet (added after, with their
   indexes). */
static void create_model(dctx *x, const kiln_model *m, const char *const *made,
                         size_t nmade, bool defer)
{
    kiln_model *def = kiln_arena_calloc(&x->st->arena, sizeof *def);
    kiln_field *fields =
        kiln_arena_alloc(&x->st->arena, (m->nfields + 1) * sizeof *fields);
    kiln_index *ixs =
        kiln_arena_alloc(&x->st->arena, (m->nindexes + 1) * sizeof *ixs);
    bool *later = kiln_arena_calloc(&x->st->arena, m->nfields + 1);
    if (!def || !fields || !ixs || !later) {
        x->rc = KILN_ENOMEM;
        return;
    }
    *def = *m;
    uint32_t nf = 0, ni = 0;
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        later[i] = f->type == KILN_FT_MANY ||
                   (defer && f->type == KILN_FT_REF &&
                    strcmp(f->ref_name, m->name) != 0 &&
                    !exists_by_then(x, f->ref_name, made, nmade));
        if (!later[i])
            fields[nf++] = *f;
    }
    for (uint32_t i = 0; i < m->nindexes; i++) {
        bool uses_later = false;
        for (uint32_t k = 0; k < m->indexes[i].nfields; k++) {
            int fi = kiln_model_field(m, kiln_str_c(m->indexes[i].fields[k]));
            uses_later |= fi >= 0 && later[fi];
        }
        if (!uses_later)
            ixs[ni++] = m->indexes[i];
        else {
            mig_op op = {.kind = MIG_ADD_INDEX,
                         .model = m->name,
                         .name = m->indexes[i].name,
                         .index = &m->indexes[i]};
            emit(x, PH_ADD_INDEX, &op);
        }
    }
    def->fields = fields;
    def->nfields = nf;
    def->indexes = ixs;
    def->nindexes = ni;
    mig_op op = {.kind = MIG_CREATE_MODEL,
                 .model = m->name,
                 .table = m->table,
                 .def = def};
    emit(x, PH_CREATE, &op);
    for (uint32_t i = 0; i < m->nfields; i++)
        if (later[i]) {
            mig_op add = {.kind = MIG_ADD_FIELD,
                          .model = m->name,
                          .name = m->fields[i].name,
                          .field = &m->fields[i]};
            emit(x, PH_LINKS, &add);
        }
}

/* The new models, each after the ones it refers to where it can be. */
static void create_models(dctx *x)
{
    size_t n = 0;
    const kiln_model **todo =
        kiln_arena_alloc(&x->st->arena, (x->models->n + 1) * sizeof *todo);
    const char **made =
        kiln_arena_alloc(&x->st->arena, (x->models->n + 1) * sizeof *made);
    if (!todo || !made) {
        x->rc = KILN_ENOMEM;
        return;
    }
    for (size_t i = 0; i < x->models->n; i++)
        if (!was(x, x->models->models[i]) &&
            !(x->models->models[i]->flags & KILN_MF_BUILTIN))
            todo[n++] = x->models->models[i]; /* a built-in's table is Kiln's */
    size_t nmade = 0;
    while (n) {
        size_t pick = n;
        for (size_t i = 0; i < n && pick == n; i++) {
            bool ready = true;
            for (uint32_t k = 0; k < todo[i]->nfields && ready; k++) {
                const kiln_field *f = &todo[i]->fields[k];
                if (f->type == KILN_FT_REF &&
                    strcmp(f->ref_name, todo[i]->name) != 0)
                    ready = exists_by_then(x, f->ref_name, made, nmade);
            }
            if (ready)
                pick = i;
        }
        bool cycle = pick == n;
        if (cycle)
            pick = 0; /* refer to each other: some refs come after */
        create_model(x, todo[pick], made, nmade, cycle);
        made[nmade++] = todo[pick]->name;
        memmove(&todo[pick], &todo[pick + 1], (n - pick - 1) * sizeof *todo);
        n--;
    }
}

/* ---- dropped models ------------------------------------------------------ */

/* A field of a dropped model dropped on its own first (many fields, and
   refs that close a cycle between dropped models). */
typedef struct cut {
    const kiln_model *s;
    const char *field;
} cut;

static bool is_cut(const cut *cuts, size_t n, const kiln_model *s,
                   const char *field)
{
    for (size_t i = 0; i < n; i++)
        if (cuts[i].s == s && strcmp(cuts[i].field, field) == 0)
            return true;
    return false;
}

/* True when a model of drops[0..n) other than s still refers to s (by a
   field not cut yet). */
static bool referred(const kiln_model *const *drops, size_t n,
                     const kiln_model *s, const cut *cuts, size_t ncuts)
{
    for (size_t i = 0; i < n; i++) {
        if (drops[i] == s)
            continue;
        for (uint32_t k = 0; k < drops[i]->nfields; k++) {
            const kiln_field *f = &drops[i]->fields[k];
            if ((f->type == KILN_FT_REF || f->type == KILN_FT_MANY) &&
                f->ref == s && !is_cut(cuts, ncuts, drops[i], f->name))
                return true;
        }
    }
    return false;
}

/* True when index ix of s uses a cut field. */
static bool index_cut(const cut *cuts, size_t n, const kiln_model *s,
                      const kiln_index *ix)
{
    for (uint32_t k = 0; k < ix->nfields; k++)
        if (is_cut(cuts, n, s, ix->fields[k]))
            return true;
    return false;
}

/* Drops field f of dropped model s on its own (its indexes first). */
static void cut_field(dctx *x, const kiln_model *s, const kiln_field *f,
                      cut *cuts, size_t *ncuts)
{
    size_t before = *ncuts;
    cuts[(*ncuts)++] = (cut){s, f->name};
    for (uint32_t i = 0; i < s->nindexes; i++) {
        /* an index not already gone with an earlier cut */
        if (!index_cut(cuts, *ncuts, s, &s->indexes[i]) ||
            index_cut(cuts, before, s, &s->indexes[i]))
            continue;
        mig_op op = {.kind = MIG_DROP_INDEX,
                     .model = s->name,
                     .name = s->indexes[i].name,
                     .index = &s->indexes[i]};
        emit(x, PH_DROP_MODEL, &op);
    }
    mig_op op = {.kind = MIG_DROP_FIELD,
                 .model = s->name,
                 .name = f->name,
                 .field = field_now(x, f)};
    emit(x, PH_DROP_MODEL, &op);
}

/* Writes the drop of model s (its cut fields are gone already). */
static void drop_model(dctx *x, const kiln_model *s, const cut *cuts,
                       size_t ncuts)
{
    if (!x->o->accept_loss) {
        kiln_buf hint;
        kiln_buf_init(&hint);
        for (size_t i = 0; i < x->models->n; i++)
            if (!was(x, x->models->models[i]))
                kiln_buf_printf(&hint,
                                " If models/%s.toml is %s renamed, write "
                                "renamed_from = \"%s\" at its top or pass "
                                "--rename %s=%s.",
                                x->models->models[i]->name, s->name, s->name,
                                s->name, x->models->models[i]->name);
        refuse(x,
               "model %s is gone from models/: dropping it loses table %s "
               "and its rows; pass --accept-loss to drop it.%s",
               s->name, s->table, hint.p ? hint.p : "");
        kiln_buf_deinit(&hint);
    } else {
        note(x, "drops model %s: table %s and its rows", s->name, s->table);
    }
    kiln_model *def = kiln_arena_calloc(&x->st->arena, sizeof *def);
    kiln_field *fields =
        kiln_arena_alloc(&x->st->arena, (s->nfields + 1) * sizeof *fields);
    kiln_index *ixs =
        kiln_arena_alloc(&x->st->arena, (s->nindexes + 1) * sizeof *ixs);
    if (!def || !fields || !ixs) {
        x->rc = KILN_ENOMEM;
        return;
    }
    *def = *s;
    uint32_t nf = 0, ni = 0;
    for (uint32_t i = 0; i < s->nfields; i++)
        if (!is_cut(cuts, ncuts, s, s->fields[i].name))
            fields[nf++] = *field_now(x, &s->fields[i]);
    for (uint32_t i = 0; i < s->nindexes; i++)
        if (!index_cut(cuts, ncuts, s, &s->indexes[i]))
            ixs[ni++] = s->indexes[i];
    def->fields = fields;
    def->nfields = nf;
    def->indexes = ixs;
    def->nindexes = ni;
    mig_op op = {.kind = MIG_DROP_MODEL,
                 .model = s->name,
                 .table = s->table,
                 .def = def};
    emit(x, PH_DROP_MODEL, &op);
}

/*
 * The dropped models: first every many field of theirs (join tables),
 * then the tables, each after those that refer to it; where two refer to
 * each other, the refs to the one dropped first go first on their own.
 */
static void drop_models(dctx *x)
{
    size_t n = 0, ncuts = 0, nfields = 0;
    const kiln_model **drops =
        kiln_arena_alloc(&x->st->arena, (x->npairs + 1) * sizeof *drops);
    for (size_t i = 0; i < x->npairs; i++)
        if (!x->pairs[i].m)
            nfields += x->pairs[i].s->nfields;
    cut *cuts = kiln_arena_alloc(&x->st->arena, (nfields + 1) * sizeof *cuts);
    if (!drops || !cuts) {
        x->rc = KILN_ENOMEM;
        return;
    }
    for (size_t i = 0; i < x->npairs; i++)
        if (!x->pairs[i].m)
            drops[n++] = x->pairs[i].s;
    for (size_t i = 0; i < n; i++)
        for (uint32_t k = 0; k < drops[i]->nfields; k++)
            if (drops[i]->fields[k].type == KILN_FT_MANY)
                cut_field(x, drops[i], &drops[i]->fields[k], cuts, &ncuts);
    while (n) {
        size_t pick = n;
        for (size_t i = 0; i < n && pick == n; i++)
            if (!referred(drops, n, drops[i], cuts, ncuts))
                pick = i;
        if (pick == n) { /* a cycle: cut the refs to the first one */
            pick = 0;
            for (size_t i = 1; i < n; i++)
                for (uint32_t k = 0; k < drops[i]->nfields; k++) {
                    const kiln_field *f = &drops[i]->fields[k];
                    if (f->type == KILN_FT_REF && f->ref == drops[0] &&
                        !is_cut(cuts, ncuts, drops[i], f->name))
                        cut_field(x, drops[i], f, cuts, &ncuts);
                }
        }
        drop_model(x, drops[pick], cuts, ncuts);
        memmove(&drops[pick], &drops[pick + 1], (n - pick - 1) * sizeof *drops);
        n--;
    }
}

/* ---- the whole diff ------------------------------------------------------ */

/* Checks the --rename and --default flags' shapes. */
static void check_flags(dctx *x)
{
    for (size_t i = 0; i < x->o->nrenames; i++) {
        const char *r = x->o->renames[i];
        const char *eq = strchr(r, '=');
        if (!eq || eq == r || !eq[1])
            refuse(x,
                   "--rename %s: write --rename MODEL.OLD=NEW (a field) or "
                   "--rename OLD=NEW (a model)",
                   r);
    }
    for (size_t i = 0; i < x->o->ndefaults; i++) {
        const char *d = x->o->defaults[i];
        const char *eq = strchr(d, '=');
        const char *dot = strchr(d, '.');
        if (!eq || !dot || dot > eq)
            refuse(x, "--default %s: write --default MODEL.FIELD=VALUE", d);
    }
}

int mig_diff(model_set *st, const model_set *models, const mig_diff_opts *o,
             mig_file *out, kiln_buf *notes, kiln_buf *errs)
{
    static const mig_diff_opts none = {0};
    dctx x = {.st = st,
              .models = models,
              .o = o ? o : &none,
              .notes = notes,
              .errs = errs};
    for (int i = 0; i < PH_N; i++)
        mig_file_init(&x.ph[i], out->path);
    x.used_default = calloc(x.o->ndefaults + 1, sizeof *x.used_default);
    x.used_rename = calloc(x.o->nrenames + 1, sizeof *x.used_rename);
    int rc = x.used_default && x.used_rename ? 0 : KILN_ENOMEM;
    /* the built-in models the app extends or refers to are in the state
       from the start: Kiln's schema made their tables */
    for (size_t i = 0; rc == 0 && i < models->n; i++)
        if ((models->models[i]->flags & KILN_MF_BUILTIN) &&
            !model_find(st, models->models[i]->name))
            rc = model_add_builtin(st, models->models[i]->name, errs);
    if (rc == 0)
        rc = pair_models(&x);
    if (rc == 0) {
        check_flags(&x);
        for (size_t i = 0; i < x.npairs; i++) {
            const kiln_model *s = x.pairs[i].s, *m = x.pairs[i].m;
            if (!m)
                continue;
            if ((s->flags ^ m->flags) & KILN_MF_BUILTIN) {
                /* Kiln's user on kiln_user and an app's model on a table
                   of its own share a name: neither becomes the other */
                bool was_kilns = s->flags & KILN_MF_BUILTIN;
                refuse(&x,
                       "model %s: the migrations have it on table %s (%s), "
                       "the models on table %s (%s); Kiln cannot turn one "
                       "into the other. Give the app's own model another "
                       "name first (models/NEW.toml with renamed_from = "
                       "\"%s\")",
                       m->name, s->table,
                       was_kilns ? "Kiln's user" : "the app's model", m->table,
                       was_kilns ? "the app's model" : "Kiln's user", m->name);
                continue;
            }
            if (strcmp(s->name, m->name) != 0 ||
                strcmp(s->table, m->table) != 0) {
                mig_op op = {.kind = MIG_RENAME_MODEL, .model = s->name};
                op.to = strcmp(s->name, m->name) != 0 ? m->name : NULL;
                op.table = strcmp(s->table, m->table) != 0 ? m->table : NULL;
                emit(&x, PH_RENAME_MODEL, &op);
            }
            diff_model(&x, s, m);
        }
        create_models(&x);
        drop_models(&x);
        for (size_t i = 0; i < x.o->nrenames; i++)
            if (!x.used_rename[i])
                refuse(&x,
                       "--rename %s: the models have nothing of that new "
                       "name to rename",
                       x.o->renames[i]);
        for (size_t i = 0; i < x.o->ndefaults; i++)
            if (!x.used_default[i])
                refuse(&x,
                       "--default %s: no change to that field needs a value "
                       "for existing rows",
                       x.o->defaults[i]);
        rc = x.rc;
    }
    for (int i = 0; i < PH_N; i++) {
        for (size_t k = 0; rc != KILN_ENOMEM && k < x.ph[i].n; k++)
            if (mig_file_add(out, &x.ph[i].ops[k]) != 0)
                rc = KILN_ENOMEM;
        mig_file_free(&x.ph[i]);
    }
    free(x.used_default);
    free(x.used_rename);
    return rc;
}
