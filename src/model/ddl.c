/*
 * model/ddl.c - SQL from model descriptions, for SQLite and PostgreSQL:
 * column types, literals, CREATE TABLE and CREATE INDEX, join tables, and
 * the statements of each migration operation (ddl_op), SQLite's table
 * rebuild included.
 *
 * Storage per type, agreeing with what the data layer writes and reads
 * (src/model/row.c, src/db/sqlite.c):
 *
 *   type      SQLite    PostgreSQL        values on SQLite
 *   integer   INTEGER   bigint
 *   float     REAL      double precision
 *   decimal   TEXT      numeric(p,s)      canonical text "12.50"
 *   bool      INTEGER   boolean           0 / 1
 *   string    TEXT      varchar(n)        (also email, url)
 *   text      TEXT      text              (also enum)
 *   date      TEXT      date              "2026-03-05"
 *   datetime  TEXT      timestamptz       "2026-03-05 14:07:00.000000+00:00"
 *   time      TEXT      time              "14:07:00.000000"
 *   uuid      TEXT      uuid              lower-case, hyphenated
 *   json      TEXT      json              the text as given (json, not
 *                                         jsonb: values round-trip byte
 *                                         for byte)
 *   ref       INTEGER   bigint            REFERENCES target(id)
 *
 * Names are never quoted: the model loader refuses words SQL reserves.
 *
 * SQLite alters a table in place only to add a column (when it can), to
 * rename a column or a table; every other change rebuilds the table as
 * SQLite documents it (create the new table, copy the rows with their
 * conversions, drop the old one, rename, recreate the indexes), inside the
 * migration's transaction, with foreign keys off around it and checked
 * before the commit (src/db/migrate.c does that part).
 *
 * A built-in model's table (kiln_user, when the app extends the user)
 * changes only in its app's columns; an operation that names a column of
 * Kiln's is refused with KILN_ESTATE. The model leaves out columns of
 * Kiln's (the password hash, the issuer and subject), so when SQLite must
 * rebuild the table the new one is made from Kiln's own definition of its
 * columns and constraints (model_builtin_sqlite) followed by the app's,
 * and every column of Kiln's is copied; the runner makes Kiln's indexes
 * again (they are not the model's), and the foreign keys that point at
 * kiln_user (sessions, tokens, roles, the app's refs) name it, so they
 * point at the new table once it is renamed.
 */
#include "model/migration.h"

#include "model/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ddl_backend_name(ddl_backend be)
{
    return be == DDL_SQLITE ? "sqlite" : "postgres";
}

/* ---- types and literals -------------------------------------------------- */

void ddl_type(const kiln_field *f, ddl_backend be, kiln_buf *b)
{
    bool pg = be == DDL_POSTGRES;
    switch (f->type) {
    case KILN_FT_INT:
    case KILN_FT_REF:
        kiln_buf_puts(b, pg ? "bigint" : "INTEGER");
        return;
    case KILN_FT_FLOAT:
        kiln_buf_puts(b, pg ? "double precision" : "REAL");
        return;
    case KILN_FT_DECIMAL:
        if (pg)
            kiln_buf_printf(b, "numeric(%d,%d)", f->precision, f->scale);
        else
            kiln_buf_puts(b, "TEXT");
        return;
    case KILN_FT_BOOL:
        kiln_buf_puts(b, pg ? "boolean" : "INTEGER");
        return;
    case KILN_FT_STRING:
    case KILN_FT_EMAIL:
    case KILN_FT_URL:
        if (pg && f->max_length > 0)
            kiln_buf_printf(b, "varchar(%lld)", (long long)f->max_length);
        else
            kiln_buf_puts(b, pg ? "text" : "TEXT");
        return;
    case KILN_FT_DATE:
        kiln_buf_puts(b, pg ? "date" : "TEXT");
        return;
    case KILN_FT_DATETIME:
        kiln_buf_puts(b, pg ? "timestamptz" : "TEXT");
        return;
    case KILN_FT_TIME:
        kiln_buf_puts(b, pg ? "time" : "TEXT");
        return;
    case KILN_FT_UUID:
        kiln_buf_puts(b, pg ? "uuid" : "TEXT");
        return;
    case KILN_FT_JSON:
        kiln_buf_puts(b, pg ? "json" : "TEXT");
        return;
    default: /* text, enum */
        kiln_buf_puts(b, pg ? "text" : "TEXT");
        return;
    }
}

/* Appends s[0..n) as an SQL string literal. */
static void put_quoted(kiln_buf *b, const char *s, size_t n)
{
    kiln_buf_putc(b, '\'');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'')
            kiln_buf_putc(b, '\'');
        kiln_buf_putc(b, s[i]);
    }
    kiln_buf_putc(b, '\'');
}

/* Appends a time of day as the data layer writes it (model_param). */
static void put_time(kiln_buf *b, kiln_timeofday t)
{
    kiln_buf_printf(b, "'%02d:%02d:%02d.%06d'", (int)(t / 3600000000LL),
                    (int)(t / 60000000 % 60), (int)(t / 1000000 % 60),
                    (int)(t % 1000000));
}

int ddl_literal(const kiln_field *f, const char *json, ddl_backend be,
                kiln_buf *b)
{
    bool pg = be == DDL_POSTGRES;
    kiln_arena a;
    kiln_arena_init(&a, 1024);
    kiln_json *v = NULL;
    int rc = kiln_json_parse(&a, json, strlen(json), 0, &v, NULL);
    if (rc != 0) {
        kiln_arena_deinit(&a);
        return KILN_EINVAL;
    }
    rc = KILN_EINVAL;
    bool str = v->type == KILN_JSON_STRING;
    kiln_str s = str ? v->u.string : KILN_STR_NULL;
    if (str && memchr(s.p, '\0', s.n))
        goto out; /* SQL text cannot hold a NUL */
    switch (f->type) {
    case KILN_FT_INT:
    case KILN_FT_REF:
        if (v->type == KILN_JSON_NUMBER && v->u.number.is_int) {
            kiln_buf_printf(b, "%lld", (long long)v->u.number.i);
            rc = 0;
        }
        break;
    case KILN_FT_FLOAT:
        if (v->type == KILN_JSON_NUMBER) {
            kiln_buf_append(b, v->u.number.raw.p, v->u.number.raw.n);
            rc = 0;
        }
        break;
    case KILN_FT_DECIMAL:
        if (str) {
            if (pg)
                kiln_buf_append(b, s.p, s.n);
            else
                put_quoted(b, s.p, s.n); /* TEXT keeps "12.50" as written */
            rc = 0;
        }
        break;
    case KILN_FT_BOOL:
        if (v->type == KILN_JSON_BOOL) {
            kiln_buf_puts(b, pg             ? (v->u.boolean ? "true" : "false")
                             : v->u.boolean ? "1"
                                            : "0");
            rc = 0;
        }
        break;
    case KILN_FT_DATETIME: {
        kiln_datetime t;
        if (str && kiln_datetime_parse(s, &t) == 0) {
            char text[40];
            db_time_format(t, text);
            put_quoted(b, text, strlen(text));
            rc = 0;
        }
        break;
    }
    case KILN_FT_TIME: {
        kiln_timeofday t;
        if (str && kiln_timeofday_parse(s, &t) == 0) {
            put_time(b, t);
            rc = 0;
        }
        break;
    }
    case KILN_FT_UUID: {
        kiln_uuid u;
        if (str && kiln_uuid_parse(s, &u) == 0) {
            kiln_buf t;
            kiln_buf_init(&t);
            kiln_uuid_format(&u, &t);
            put_quoted(b, t.p ? t.p : "", t.n);
            kiln_buf_deinit(&t);
            rc = 0;
        }
        break;
    }
    case KILN_FT_JSON:
        /* the value's own text: json holds exactly one value */
        if (!memchr(json, '\0', strlen(json))) {
            put_quoted(b, json, strlen(json));
            rc = 0;
        }
        break;
    case KILN_FT_DATE: {
        kiln_date d;
        if (str && kiln_date_parse(s, &d) == 0) {
            put_quoted(b, s.p, s.n);
            rc = 0;
        }
        break;
    }
    default: /* string, text, email, url, enum */
        if (str) {
            put_quoted(b, s.p, s.n);
            rc = 0;
        }
        break;
    }
out:
    kiln_arena_deinit(&a);
    return rc;
}

/*
 * Appends the expression of a value computed when the migration runs, for
 * rows that exist: the migration's time (now) or a random UUID per row.
 */
static void put_auto(const kiln_field *f, uint16_t what, ddl_backend be,
                     kiln_buf *b)
{
    bool pg = be == DDL_POSTGRES;
    if (what & KILN_FF_DEFAULT_RANDOM) {
        if (pg)
            kiln_buf_puts(b, "gen_random_uuid()");
        else /* version 4, variant 10xx, as kiln_uuid_random makes */
            kiln_buf_puts(b, "(lower(hex(randomblob(4))) || '-' || "
                             "lower(hex(randomblob(2))) || '-4' || "
                             "substr(lower(hex(randomblob(2))), 2) || '-' || "
                             "substr('89ab', 1 + (random() & 3), 1) || "
                             "substr(lower(hex(randomblob(2))), 2) || '-' || "
                             "lower(hex(randomblob(6))))");
        return;
    }
    switch (f->type) {
    case KILN_FT_DATE:
        kiln_buf_puts(b,
                      pg ? "(now() AT TIME ZONE 'UTC')::date" : "date('now')");
        return;
    case KILN_FT_TIME:
        kiln_buf_puts(b, pg ? "(now() AT TIME ZONE 'UTC')::time"
                            : "strftime('%H:%M:%f000', 'now')");
        return;
    default:
        kiln_buf_puts(b, pg ? "now()"
                            : "strftime('%Y-%m-%d %H:%M:%f000+00:00', "
                              "'now')");
        return;
    }
}

/* The value the rows of op get for field f (the new or altered one): the
   op's fill, else f's default (constant or computed), else NULL. Returns
   false when there is none (SQL NULL written). */
static bool put_fill(const mig_op *op, const kiln_field *f, bool use_default,
                     ddl_backend be, kiln_buf *b)
{
    if (op && op->fill_auto) {
        put_auto(f, op->fill_auto, be, b);
        return true;
    }
    if (op && op->fill && ddl_literal(f, op->fill, be, b) == 0)
        return true;
    if (use_default) {
        if (f->def && ddl_literal(f, f->def, be, b) == 0)
            return true;
        uint16_t a = f->flags & (KILN_FF_DEFAULT_NOW | KILN_FF_DEFAULT_RANDOM |
                                 KILN_FF_AUTO_CREATED | KILN_FF_AUTO_UPDATED);
        if (a) {
            put_auto(f, a, be, b);
            return true;
        }
    }
    kiln_buf_puts(b, "NULL");
    return false;
}

/* True when field f of op's model is filled by op with a value that is
   not f's lasting default. */
static bool op_fills(const mig_op *op)
{
    return op && (op->fill || op->fill_auto);
}

/* ---- columns, tables, indexes -------------------------------------------- */

static const char *on_delete_sql(int od)
{
    return od == KILN_ON_DELETE_RESTRICT   ? "RESTRICT"
           : od == KILN_ON_DELETE_SET_NULL ? "SET NULL"
                                           : "CASCADE";
}

/* The table a ref or many field refers to. */
static const char *target_table(const kiln_field *f)
{
    return f->ref && f->ref->table ? f->ref->table : f->ref_name;
}

/* Appends the REFERENCES clause of ref field f (a column of table). */
static void put_references(const char *table, const kiln_field *f,
                           ddl_backend be, kiln_buf *b)
{
    if (be == DDL_POSTGRES)
        kiln_buf_printf(b, " CONSTRAINT %s_%s_fkey", table, f->column);
    kiln_buf_printf(b, " REFERENCES %s(id) ON DELETE %s", target_table(f),
                    on_delete_sql(f->on_delete));
}

/*
 * Appends the definition of column f of table: name, type, NOT NULL,
 * DEFAULT (def_sql: the default's SQL, "" for none, NULL for f's own),
 * REFERENCES.
 */
static void put_column(const char *table, const kiln_field *f,
                       const char *def_sql, ddl_backend be, kiln_buf *b)
{
    if (f->flags & KILN_FF_PK) {
        kiln_buf_puts(b, be == DDL_POSTGRES
                             ? "id bigint GENERATED BY DEFAULT AS IDENTITY "
                               "PRIMARY KEY"
                             : "id INTEGER PRIMARY KEY AUTOINCREMENT");
        return;
    }
    kiln_buf_printf(b, "%s ", f->column);
    ddl_type(f, be, b);
    if (!(f->flags & KILN_FF_OPTIONAL))
        kiln_buf_puts(b, " NOT NULL");
    if (def_sql) {
        if (def_sql[0])
            kiln_buf_printf(b, " DEFAULT %s", def_sql);
    } else if (f->def) {
        kiln_buf_puts(b, " DEFAULT ");
        if (ddl_literal(f, f->def, be, b) != 0)
            kiln_buf_puts(b, "NULL");
    }
    if (f->type == KILN_FT_REF)
        put_references(table, f, be, b);
}

void ddl_create_table(const kiln_model *m, const char *as_table, ddl_backend be,
                      kiln_buf *b)
{
    kiln_buf_printf(b, "CREATE TABLE %s (", as_table ? as_table : m->table);
    bool first = true;
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (!f->column)
            continue;
        kiln_buf_puts(b, first ? "\n    " : ",\n    ");
        /* constraint names follow the table the model keeps */
        put_column(m->table, f, NULL, be, b);
        first = false;
    }
    kiln_buf_puts(b, "\n);\n");
}

void ddl_create_index(const kiln_model *m, const kiln_index *ix, ddl_backend be,
                      kiln_buf *b)
{
    (void)be; /* the same on both */
    kiln_buf_printf(b, "CREATE %sINDEX %s ON %s (", ix->unique ? "UNIQUE " : "",
                    ix->name, m->table);
    for (uint32_t i = 0; i < ix->nfields; i++) {
        const kiln_field *f = model_field(m, ix->fields[i]);
        kiln_buf_printf(b, "%s%s", i ? ", " : "",
                        f && f->column ? f->column : ix->fields[i]);
    }
    kiln_buf_puts(b, ");\n");
}

/* ---- join tables --------------------------------------------------------- */

/* The names of a join table: the table, its two columns, its index. */
typedef struct join_names {
    const char *table;
    char self[64], other[64];
    const char *index;
} join_names;

/* The names of the join table of many field f of model m, whose target
   is t (pictures from one moment, so names are those of that moment). */
static int join_of(model_set *st, const kiln_model *m, const kiln_field *f,
                   const kiln_model *t, join_names *j)
{
    kiln_field tf = *f;
    tf.ref = t; /* model_link_columns reads the target's name from ref */
    j->table = model_join_table(st, m, f);
    model_link_columns(m, &tf, j->self, j->other);
    char base[160];
    snprintf(base, sizeof base, "%s_%s", j->table ? j->table : "", j->other);
    j->index = model_ident(st, base, "idx");
    return j->table && j->index ? 0 : KILN_ENOMEM;
}

void ddl_create_join(model_set *st, const kiln_model *m, const kiln_field *f,
                     ddl_backend be, kiln_buf *b)
{
    join_names j;
    if (join_of(st, m, f, f->ref, &j) != 0)
        return;
    bool pg = be == DDL_POSTGRES;
    const char *type = pg ? "bigint" : "INTEGER";
    kiln_buf_printf(b, "CREATE TABLE %s (\n", j.table);
    const char *cols[2] = {j.self, j.other};
    const char *targets[2] = {m->table, target_table(f)};
    for (int i = 0; i < 2; i++) {
        kiln_buf_printf(b, "    %s %s NOT NULL", cols[i], type);
        if (pg)
            kiln_buf_printf(b, " CONSTRAINT %s_%s_fkey", j.table, cols[i]);
        kiln_buf_printf(b, " REFERENCES %s(id) ON DELETE CASCADE,\n",
                        targets[i]);
    }
    kiln_buf_printf(b, "    PRIMARY KEY (%s, %s)\n);\n", j.self, j.other);
    kiln_buf_printf(b, "CREATE INDEX %s ON %s (%s);\n", j.index, j.table,
                    j.other);
}

/* ---- conversions --------------------------------------------------------- */

/* The most characters a text-like column holds (-1: no limit). */
static int64_t text_cap(const kiln_field *f)
{
    switch (f->type) {
    case KILN_FT_STRING:
    case KILN_FT_EMAIL:
    case KILN_FT_URL:
        return f->max_length > 0 ? f->max_length : -1;
    case KILN_FT_UUID:
        return 36;
    default:
        return -1;
    }
}

static bool text_like(int t)
{
    return t == KILN_FT_STRING || t == KILN_FT_TEXT || t == KILN_FT_EMAIL ||
           t == KILN_FT_URL || t == KILN_FT_ENUM || t == KILN_FT_UUID ||
           t == KILN_FT_JSON;
}

/* True when every value of enum a is a value of enum b. */
static bool values_within(const kiln_field *a, const kiln_field *b)
{
    for (uint32_t i = 0; i < a->nvalues; i++) {
        bool found = false;
        for (uint32_t k = 0; k < b->nvalues && !found; k++)
            found = strcmp(a->values[i], b->values[k]) == 0;
        if (!found)
            return false;
    }
    return true;
}

/* The name of the model a ref or many field refers to. */
static const char *target_name(const kiln_field *f)
{
    return f->ref ? f->ref->name : f->ref_name;
}

static bool str_same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

bool mig_field_same(const kiln_field *a, const kiln_field *b)
{
    const uint16_t schema = KILN_FF_OPTIONAL | KILN_FF_PK |
                            KILN_FF_AUTO_CREATED | KILN_FF_AUTO_UPDATED |
                            KILN_FF_DEFAULT_NOW | KILN_FF_DEFAULT_RANDOM;
    if (a->type != b->type || ((a->flags ^ b->flags) & schema) ||
        !str_same(a->def, b->def))
        return false;
    switch (a->type) {
    case KILN_FT_STRING:
    case KILN_FT_EMAIL:
    case KILN_FT_URL:
        return a->max_length == b->max_length;
    case KILN_FT_DECIMAL:
        return a->precision == b->precision && a->scale == b->scale;
    case KILN_FT_ENUM: /* the order of values is the C enum's, not SQL's */
        return values_within(a, b) && values_within(b, a);
    case KILN_FT_REF:
        return a->on_delete == b->on_delete &&
               str_same(target_name(a), target_name(b));
    case KILN_FT_MANY:
        return str_same(target_name(a), target_name(b));
    default:
        return true;
    }
}

/* The text-like types that convert into one another freely. */
static bool plain_text(int t)
{
    return t == KILN_FT_STRING || t == KILN_FT_TEXT || t == KILN_FT_EMAIL ||
           t == KILN_FT_URL || t == KILN_FT_ENUM;
}

mig_change mig_field_change(const kiln_field *a, const kiln_field *b)
{
    int ta = a->type, tb = b->type;
    if (ta == KILN_FT_MANY || tb == KILN_FT_MANY)
        return ta == tb && str_same(target_name(a), target_name(b))
                   ? MIG_KEEPS
                   : MIG_IMPOSSIBLE;
    if ((ta == KILN_FT_REF) != (tb == KILN_FT_REF))
        return MIG_IMPOSSIBLE;
    if (text_like(ta) && text_like(tb)) {
        bool ok = ta == tb || (plain_text(ta) && plain_text(tb)) ||
                  ((ta == KILN_FT_UUID || ta == KILN_FT_JSON) &&
                   (tb == KILN_FT_STRING || tb == KILN_FT_TEXT));
        if (!ok)
            return MIG_IMPOSSIBLE;
        int64_t ca = text_cap(a), cb = text_cap(b);
        if (cb > 0 && (ca < 0 || cb < ca))
            return MIG_NARROWS;
        if (tb == KILN_FT_ENUM && (ta != KILN_FT_ENUM || !values_within(a, b)))
            return MIG_NARROWS;
        return MIG_KEEPS;
    }
    if (ta == tb) {
        if (ta == KILN_FT_DECIMAL &&
            (b->scale < a->scale ||
             b->precision - b->scale < a->precision - a->scale))
            return MIG_NARROWS;
        return MIG_KEEPS;
    }
    switch (ta * 32 + tb) {
    case KILN_FT_INT * 32 + KILN_FT_FLOAT:
    case KILN_FT_BOOL * 32 + KILN_FT_INT:
    case KILN_FT_DATE * 32 + KILN_FT_DATETIME:
        return MIG_KEEPS;
    case KILN_FT_INT * 32 + KILN_FT_DECIMAL:
        return b->precision - b->scale >= 19 ? MIG_KEEPS : MIG_NARROWS;
    case KILN_FT_DECIMAL * 32 + KILN_FT_INT:
        return a->scale == 0 && a->precision <= 18 ? MIG_KEEPS : MIG_NARROWS;
    case KILN_FT_DECIMAL * 32 + KILN_FT_FLOAT:
        return a->precision <= 15 ? MIG_KEEPS : MIG_NARROWS;
    case KILN_FT_FLOAT * 32 + KILN_FT_INT:
    case KILN_FT_FLOAT * 32 + KILN_FT_DECIMAL:
    case KILN_FT_INT * 32 + KILN_FT_BOOL:
    case KILN_FT_DATETIME * 32 + KILN_FT_DATE:
        return MIG_NARROWS;
    default:
        return MIG_IMPOSSIBLE;
    }
}

/*
 * Appends the expression that turns column col, a value of field a, into
 * a value of field b (of op, whose fill replaces enum values b does not
 * allow), for be. What mig_field_change classifies, this writes.
 */
static void put_cast(const kiln_field *a, const kiln_field *b, const char *col,
                     const mig_op *op, ddl_backend be, kiln_buf *out)
{
    bool pg = be == DDL_POSTGRES;
    int ta = a->type, tb = b->type;
    if (text_like(ta) && text_like(tb)) {
        if (tb == KILN_FT_ENUM &&
            (ta != KILN_FT_ENUM || !values_within(a, b))) {
            kiln_buf_printf(out, "CASE WHEN %s IS NULL OR %s IN (", col, col);
            for (uint32_t i = 0; i < b->nvalues; i++) {
                if (i)
                    kiln_buf_puts(out, ", ");
                put_quoted(out, b->values[i], strlen(b->values[i]));
            }
            kiln_buf_puts(out, ") THEN ");
            kiln_buf_puts(out, col);
            kiln_buf_puts(out, " ELSE ");
            put_fill(op, b, true, be, out);
            kiln_buf_puts(out, " END");
            return;
        }
        int64_t ca = text_cap(a), cb = text_cap(b);
        if (cb > 0 && (ca < 0 || cb < ca))
            kiln_buf_printf(out, pg ? "left(%s, %lld)" : "substr(%s, 1, %lld)",
                            col, (long long)cb);
        else if (pg && (ta == KILN_FT_UUID || ta == KILN_FT_JSON))
            kiln_buf_printf(out, "%s::text", col);
        else
            kiln_buf_puts(out, col);
        return;
    }
    if (ta == tb && ta != KILN_FT_DECIMAL) {
        kiln_buf_puts(out, col);
        return;
    }
    switch (tb) {
    case KILN_FT_FLOAT:
        kiln_buf_printf(out, pg ? "%s::double precision" : "CAST(%s AS REAL)",
                        col);
        return;
    case KILN_FT_INT:
        if (ta == KILN_FT_BOOL)
            kiln_buf_printf(out, pg ? "%s::integer" : "%s", col);
        else if (ta == KILN_FT_DECIMAL && !pg)
            kiln_buf_printf(out, "CAST(round(CAST(%s AS REAL)) AS INTEGER)",
                            col);
        else
            kiln_buf_printf(
                out, pg ? "round(%s)::bigint" : "CAST(round(%s) AS INTEGER)",
                col);
        return;
    case KILN_FT_BOOL:
        kiln_buf_printf(out, "(%s <> 0)", col);
        return;
    case KILN_FT_DECIMAL:
        if (pg) {
            kiln_buf_printf(out, "%s::numeric(%d,%d)", col, b->precision,
                            b->scale);
        } else if (ta == KILN_FT_INT) {
            if (b->scale)
                kiln_buf_printf(out, "(CAST(%s AS TEXT) || '.%0*d')", col,
                                b->scale, 0);
            else
                kiln_buf_printf(out, "CAST(%s AS TEXT)", col);
        } else if (ta == KILN_FT_DECIMAL && b->scale == a->scale) {
            kiln_buf_puts(out, col);
        } else if (ta == KILN_FT_DECIMAL && b->scale > a->scale) {
            /* exact: pad the text with zeros */
            kiln_buf_printf(out, "(%s || '%s%0*d')", col, a->scale ? "" : ".",
                            b->scale - a->scale, 0);
        } else { /* fewer digits, or from a float: rounded through a double */
            kiln_buf_printf(out, "printf('%%.%df', %s%s%s)", b->scale,
                            ta == KILN_FT_DECIMAL ? "CAST(" : "", col,
                            ta == KILN_FT_DECIMAL ? " AS REAL)" : "");
        }
        return;
    case KILN_FT_DATETIME: /* from a date: midnight UTC */
        kiln_buf_printf(out,
                        pg ? "(%s::timestamp AT TIME ZONE 'UTC')"
                           : "(%s || ' 00:00:00.000000+00:00')",
                        col);
        return;
    case KILN_FT_DATE: /* from a datetime: its UTC day */
        kiln_buf_printf(
            out, pg ? "(%s AT TIME ZONE 'UTC')::date" : "substr(%s, 1, 10)",
            col);
        return;
    default:
        kiln_buf_puts(out, col);
        return;
    }
}

/* ---- SQLite's rebuild ---------------------------------------------------- */

/* Copies n names into a malloc'd array; NULL when out of memory. */
static char **names_copy(const char *const *v, size_t n)
{
    char **out = calloc(n + 1, sizeof *out);
    for (size_t i = 0; out && i < n; i++)
        if (!(out[i] = strdup(v[i]))) {
            for (size_t k = 0; k < i; k++)
                free(out[k]);
            free(out);
            return NULL;
        }
    return out;
}

/* Records the table of model id, as it was at the start of the migration
   (when it existed then), in rb. */
static int note_rebuild(const mig_snap *start, const kiln_model *id,
                        mig_rebuilds *rb)
{
    const kiln_model *m = start ? mig_snap_find(start, id) : NULL;
    if (!rb || !m)
        return 0;
    for (size_t i = 0; i < rb->n; i++)
        if (strcmp(rb->v[i].table, m->table) == 0)
            return 0;
    if (rb->n == rb->cap) {
        size_t cap = rb->cap ? rb->cap * 2 : 4;
        mig_rebuild *v = realloc(rb->v, cap * sizeof *v);
        if (!v)
            return KILN_ENOMEM;
        rb->v = v;
        rb->cap = cap;
    }
    const char *cols[260], *ixs[260];
    size_t nc = 0, ni = 0;
    for (uint32_t i = 0; i < m->nfields && nc < 260; i++)
        if (m->fields[i].column)
            cols[nc++] = m->fields[i].column;
    const model_builtin_table *kt =
        (m->flags & KILN_MF_BUILTIN) ? model_builtin_sqlite(m->name) : NULL;
    for (size_t i = 0; kt && i < kt->nnames && nc < 260; i++)
        if (!model_field(m, kt->names[i]))
            cols[nc++] = kt->names[i]; /* Kiln's, left out of the model */
    for (uint32_t i = 0; i < m->nindexes && ni < 260; i++)
        ixs[ni++] = m->indexes[i].name;
    mig_rebuild *r = &rb->v[rb->n];
    r->table = strdup(m->table);
    r->columns = names_copy(cols, nc);
    r->indexes = names_copy(ixs, ni);
    r->ncolumns = nc;
    r->nindexes = ni;
    rb->n++; /* freed by mig_rebuilds_free even when part failed */
    return r->table && r->columns && r->indexes ? 0 : KILN_ENOMEM;
}

void mig_rebuilds_free(mig_rebuilds *rb)
{
    for (size_t i = 0; i < rb->n; i++) {
        mig_rebuild *r = &rb->v[i];
        for (size_t k = 0; r->columns && k < r->ncolumns; k++)
            free(r->columns[k]);
        for (size_t k = 0; r->indexes && k < r->nindexes; k++)
            free(r->indexes[k]);
        free(r->columns);
        free(r->indexes);
        free(r->table);
    }
    free(rb->v);
    rb->v = NULL;
    rb->n = rb->cap = 0;
}

/* Kiln's part of built-in model m's table (NULL: m is the app's). */
static const model_builtin_table *builtin_table(const kiln_model *m)
{
    return (m->flags & KILN_MF_BUILTIN) ? model_builtin_sqlite(m->name) : NULL;
}

/* True when index ix of built-in model m is Kiln's (its fields all
   Kiln's columns: username's UNIQUE): Kiln's definition of the table
   makes it. */
static bool kilns_index(const kiln_model *m, const kiln_index *ix)
{
    for (uint32_t i = 0; i < ix->nfields; i++)
        if (!model_builtin_column(m->name, ix->fields[i]))
            return false;
    return true;
}

/* CREATE TABLE as_table for built-in model m on SQLite: Kiln's columns as
   its schema makes them, then the app's, then Kiln's table constraints. */
static void builtin_create(const kiln_model *m, const model_builtin_table *kt,
                           const char *as_table, kiln_buf *b)
{
    kiln_buf_printf(b, "CREATE TABLE %s (\n    %s", as_table, kt->columns);
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (!f->column || model_builtin_column(m->name, f->name))
            continue;
        kiln_buf_puts(b, ",\n    ");
        put_column(m->table, f, NULL, DDL_SQLITE, b);
    }
    if (kt->constraints[0])
        kiln_buf_printf(b, ",\n    %s", kt->constraints);
    kiln_buf_puts(b, "\n);\n");
}

/*
 * Rebuilds table old->table as model now (SQLite): a new table with now's
 * columns, the rows copied with each column's value (the added field gets
 * op's fill or its default; the altered one its conversion), the old table
 * dropped, the new one renamed, now's indexes created. AUTOINCREMENT's
 * high-water mark is carried over so that ids are never reused.
 */
static void rebuild(const kiln_model *old, const kiln_model *now,
                    const mig_op *op, kiln_buf *b)
{
    char tmp[80];
    snprintf(tmp, sizeof tmp, "kiln_new_%s", now->table);
    kiln_buf_printf(b, "-- rebuild %s: SQLite cannot alter it in place\n",
                    now->table);
    const model_builtin_table *kt = builtin_table(now);
    if (kt)
        builtin_create(now, kt, tmp, b);
    else
        ddl_create_table(now, tmp, DDL_SQLITE, b);
    kiln_buf_printf(b, "INSERT INTO %s (", tmp);
    bool first = true;
    /* Kiln's columns the model leaves out: copied as they are */
    for (size_t i = 0; kt && i < kt->nnames; i++)
        if (!model_field(now, kt->names[i])) {
            kiln_buf_printf(b, "%s%s", first ? "" : ", ", kt->names[i]);
            first = false;
        }
    for (uint32_t i = 0; i < now->nfields; i++) {
        if (!now->fields[i].column)
            continue;
        kiln_buf_printf(b, "%s%s", first ? "" : ", ", now->fields[i].column);
        first = false;
    }
    kiln_buf_puts(b, ")\n    SELECT ");
    first = true;
    for (size_t i = 0; kt && i < kt->nnames; i++)
        if (!model_field(now, kt->names[i])) {
            kiln_buf_printf(b, "%s%s", first ? "" : ", ", kt->names[i]);
            first = false;
        }
    for (uint32_t i = 0; i < now->nfields; i++) {
        const kiln_field *f = &now->fields[i];
        if (!f->column)
            continue;
        if (!first)
            kiln_buf_puts(b, ", ");
        first = false;
        bool mine = op && op->name && strcmp(op->name, f->name) == 0;
        const kiln_field *was = model_field(old, f->name);
        if (mine && op->kind == MIG_ADD_FIELD) {
            put_fill(op, f, true, DDL_SQLITE, b);
        } else if (mine && op->kind == MIG_ALTER_FIELD && was) {
            bool fill_nulls = (was->flags & KILN_FF_OPTIONAL) &&
                              !(f->flags & KILN_FF_OPTIONAL);
            if (fill_nulls)
                kiln_buf_puts(b, "coalesce(");
            put_cast(was, f, f->column, op, DDL_SQLITE, b);
            if (fill_nulls) {
                kiln_buf_puts(b, ", ");
                put_fill(op, f, true, DDL_SQLITE, b);
                kiln_buf_putc(b, ')');
            }
        } else if (was && was->column) {
            kiln_buf_puts(b, was->column);
        } else {
            put_fill(NULL, f, true, DDL_SQLITE, b);
        }
    }
    kiln_buf_printf(b, " FROM %s;\n", old->table);
    kiln_buf_printf(b,
                    "DELETE FROM sqlite_sequence WHERE name = '%s';\n"
                    "INSERT INTO sqlite_sequence (name, seq) SELECT '%s', "
                    "seq FROM sqlite_sequence WHERE name = '%s';\n",
                    tmp, tmp, old->table);
    kiln_buf_printf(b, "DROP TABLE %s;\n", old->table);
    /* the legacy rename does not re-check views and triggers that name the
       table just dropped (they refer to the new one once it is renamed) */
    kiln_buf_printf(b,
                    "PRAGMA legacy_alter_table = ON;\n"
                    "ALTER TABLE %s RENAME TO %s;\n"
                    "PRAGMA legacy_alter_table = OFF;\n",
                    tmp, now->table);
    for (uint32_t i = 0; i < now->nindexes; i++)
        if (!kt || !kilns_index(now, &now->indexes[i]))
            ddl_create_index(now, &now->indexes[i], DDL_SQLITE, b);
}

/* ---- renames ------------------------------------------------------------- */

/* The name a field called name after op had before it, in the model
   whose picture before op is m_before. */
static const char *name_before(const mig_op *op, const kiln_model *m_before,
                               const char *name)
{
    if (op->kind == MIG_RENAME_FIELD &&
        strcmp(m_before->name, op->model) == 0 && strcmp(name, op->to) == 0)
        return op->name;
    return name;
}

/*
 * After a model or field rename: every constraint, join table, join column
 * and join index whose name follows from a name that changed is renamed to
 * match (PostgreSQL names constraints; SQLite has no ALTER INDEX, so an
 * index is dropped and made again).
 */
static int put_renames(model_set *st, const mig_op *op, const mig_snap *before,
                       ddl_backend be, kiln_buf *b)
{
    bool pg = be == DDL_POSTGRES;
    for (size_t i = 0; i < st->n; i++) {
        const kiln_model *m = st->models[i];
        const kiln_model *mb = mig_snap_find(before, m);
        if (!mb)
            continue;
        for (uint32_t k = 0; k < m->nfields; k++) {
            const kiln_field *f = &m->fields[k];
            if (f->type != KILN_FT_REF && f->type != KILN_FT_MANY)
                continue;
            const kiln_field *fb =
                model_field(mb, name_before(op, mb, f->name));
            if (!fb)
                continue;
            if (f->type == KILN_FT_REF) {
                if (pg && (strcmp(m->table, mb->table) != 0 ||
                           strcmp(f->column, fb->column) != 0))
                    kiln_buf_printf(b,
                                    "ALTER TABLE %s RENAME CONSTRAINT "
                                    "%s_%s_fkey TO %s_%s_fkey;\n",
                                    m->table, mb->table, fb->column, m->table,
                                    f->column);
                continue;
            }
            const kiln_model *tb =
                f->ref ? mig_snap_find(before, f->ref) : NULL;
            join_names jb, ja;
            if (!tb || join_of(st, mb, fb, tb, &jb) != 0 ||
                join_of(st, m, f, f->ref, &ja) != 0)
                return KILN_ENOMEM;
            if (strcmp(jb.table, ja.table) != 0)
                kiln_buf_printf(b, "ALTER TABLE %s RENAME TO %s;\n", jb.table,
                                ja.table);
            const char *cb[2] = {jb.self, jb.other};
            const char *ca[2] = {ja.self, ja.other};
            for (int c = 0; c < 2; c++) {
                if (strcmp(cb[c], ca[c]) != 0)
                    kiln_buf_printf(b,
                                    "ALTER TABLE %s RENAME COLUMN %s TO %s;\n",
                                    ja.table, cb[c], ca[c]);
                if (pg && (strcmp(cb[c], ca[c]) != 0 ||
                           strcmp(jb.table, ja.table) != 0))
                    kiln_buf_printf(b,
                                    "ALTER TABLE %s RENAME CONSTRAINT "
                                    "%s_%s_fkey TO %s_%s_fkey;\n",
                                    ja.table, jb.table, cb[c], ja.table, ca[c]);
            }
            if (strcmp(jb.index, ja.index) != 0) {
                if (pg)
                    kiln_buf_printf(b, "ALTER INDEX %s RENAME TO %s;\n",
                                    jb.index, ja.index);
                else
                    kiln_buf_printf(b,
                                    "DROP INDEX %s;\nCREATE INDEX %s ON %s "
                                    "(%s);\n",
                                    jb.index, ja.index, ja.table, ja.other);
            }
        }
    }
    return 0;
}

/* ---- one operation ------------------------------------------------------- */

/* The column definition of f on SQLite as text (to see whether an alter
   changes what the table's definition says). */
static void sqlite_column(const kiln_model *m, const kiln_field *f, kiln_buf *b)
{
    put_column(m->table, f, NULL, DDL_SQLITE, b);
}

/* True when f's REFERENCES clause differs between a and b. */
static bool ref_changed(const kiln_field *a, const kiln_field *b)
{
    if ((a->type == KILN_FT_REF) != (b->type == KILN_FT_REF))
        return true;
    if (a->type != KILN_FT_REF)
        return false;
    return a->on_delete != b->on_delete ||
           strcmp(target_table(a), target_table(b)) != 0;
}

/* True when op may run on a built-in model's table: a field operation on
   a column of the app's (never one of Kiln's), or an index. */
static bool builtin_op_ok(const mig_op *op)
{
    switch (op->kind) {
    case MIG_ADD_FIELD:
    case MIG_DROP_FIELD:
    case MIG_ALTER_FIELD:
        return !model_builtin_column(op->model, op->name);
    case MIG_RENAME_FIELD:
        return !model_builtin_column(op->model, op->name) &&
               !model_builtin_column(op->model, op->to);
    case MIG_ADD_INDEX:
    case MIG_DROP_INDEX:
    case MIG_RENAME_INDEX:
        return true;
    default:
        return false;
    }
}

/* alter_field on PostgreSQL: the statements, in an order that works. */
static void pg_alter(const kiln_model *m, const kiln_field *was,
                     const kiln_field *f, const mig_op *op, kiln_buf *b)
{
    const char *t = m->table, *c = f->column;
    kiln_buf ta, tb;
    kiln_buf_init(&ta);
    kiln_buf_init(&tb);
    ddl_type(was, DDL_POSTGRES, &ta);
    ddl_type(f, DDL_POSTGRES, &tb);
    bool type_changed = strcmp(ta.p, tb.p) != 0;
    bool fk = ref_changed(was, f);
    bool def_changed = (was->def == NULL) != (f->def == NULL) ||
                       (was->def && strcmp(was->def, f->def) != 0);
    if (fk && was->type == KILN_FT_REF)
        kiln_buf_printf(b, "ALTER TABLE %s DROP CONSTRAINT %s_%s_fkey;\n", t, t,
                        c);
    if (was->def && (def_changed || type_changed))
        kiln_buf_printf(b, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT;\n", t,
                        c);
    kiln_buf expr;
    kiln_buf_init(&expr);
    put_cast(was, f, c, op, DDL_POSTGRES, &expr);
    if (type_changed)
        kiln_buf_printf(b, "ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s;\n",
                        t, c, tb.p, expr.p);
    else if (strcmp(expr.p, c) != 0)
        kiln_buf_printf(b, "UPDATE %s SET %s = %s;\n", t, c, expr.p);
    kiln_buf_deinit(&expr);
    bool was_opt = was->flags & KILN_FF_OPTIONAL,
         now_opt = f->flags & KILN_FF_OPTIONAL;
    if (was_opt && !now_opt) {
        if (op_fills(op) || f->def) {
            kiln_buf_printf(b, "UPDATE %s SET %s = ", t, c);
            put_fill(op, f, true, DDL_POSTGRES, b);
            kiln_buf_printf(b, " WHERE %s IS NULL;\n", c);
        }
        kiln_buf_printf(b, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;\n", t,
                        c);
    } else if (!was_opt && now_opt) {
        kiln_buf_printf(b, "ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL;\n", t,
                        c);
    }
    if (f->def && (def_changed || type_changed)) {
        kiln_buf_printf(b, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT ", t, c);
        if (ddl_literal(f, f->def, DDL_POSTGRES, b) != 0)
            kiln_buf_puts(b, "NULL");
        kiln_buf_puts(b, ";\n");
    }
    if (fk && f->type == KILN_FT_REF)
        kiln_buf_printf(b,
                        "ALTER TABLE %s ADD CONSTRAINT %s_%s_fkey FOREIGN KEY "
                        "(%s) REFERENCES %s(id) ON DELETE %s;\n",
                        t, t, c, c, target_table(f),
                        on_delete_sql(f->on_delete));
    kiln_buf_deinit(&ta);
    kiln_buf_deinit(&tb);
}

/* add_field of a column on PostgreSQL. */
static void pg_add(const kiln_model *m, const kiln_field *f, const mig_op *op,
                   kiln_buf *b)
{
    bool fills = op_fills(op);
    kiln_buf first;
    kiln_buf_init(&first);
    if (fills)
        put_fill(op, f, false, DDL_POSTGRES, &first);
    else if (!(f->flags & KILN_FF_OPTIONAL) && !f->def &&
             (f->flags & (KILN_FF_DEFAULT_NOW | KILN_FF_DEFAULT_RANDOM |
                          KILN_FF_AUTO_CREATED | KILN_FF_AUTO_UPDATED))) {
        put_fill(NULL, f, true, DDL_POSTGRES, &first);
        fills = true;
    }
    kiln_buf_printf(b, "ALTER TABLE %s ADD COLUMN ", m->table);
    /* a volatile default (now(), gen_random_uuid()) is computed per row */
    put_column(m->table, f, fills ? first.p : NULL, DDL_POSTGRES, b);
    kiln_buf_puts(b, ";\n");
    if (fills) {
        if (f->def) {
            kiln_buf_printf(b, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT ",
                            m->table, f->column);
            if (ddl_literal(f, f->def, DDL_POSTGRES, b) != 0)
                kiln_buf_puts(b, "NULL");
            kiln_buf_puts(b, ";\n");
        } else {
            kiln_buf_printf(b, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT;\n",
                            m->table, f->column);
        }
    }
    kiln_buf_deinit(&first);
}

/*
 * add_field of a column on SQLite: ADD COLUMN where SQLite allows it (the
 * column may be NULL, or has a constant default that existing rows take;
 * a REFERENCES column must default to NULL), else a rebuild. Returns true
 * when it rebuilt.
 */
static bool sqlite_adds_in_place(const kiln_field *f, const mig_op *op)
{
    bool optional = f->flags & KILN_FF_OPTIONAL;
    return (optional || (f->def && !op_fills(op))) &&
           !(f->type == KILN_FT_REF && f->def);
}

static bool sqlite_add(const kiln_model *old, const kiln_model *m,
                       const kiln_field *f, const mig_op *op, kiln_buf *b)
{
    if (!sqlite_adds_in_place(f, op)) {
        rebuild(old, m, op, b);
        return true;
    }
    kiln_buf_printf(b, "ALTER TABLE %s ADD COLUMN ", m->table);
    put_column(m->table, f, NULL, DDL_SQLITE, b);
    kiln_buf_puts(b, ";\n");
    if (op_fills(op)) { /* optional: existing rows get the value */
        kiln_buf_printf(b, "UPDATE %s SET %s = ", m->table, f->column);
        put_fill(op, f, false, DDL_SQLITE, b);
        kiln_buf_puts(b, ";\n");
    }
    return false;
}

int ddl_op(model_set *st, const mig_op *op, const mig_snap *before,
           const mig_snap *start, ddl_backend be, kiln_buf *b, mig_rebuilds *rb)
{
    bool pg = be == DDL_POSTGRES;
    const kiln_model *id = NULL;
    const kiln_model *old = mig_snap_named(before, op->model, &id);
    const kiln_model *now = id; /* the live model: the state after op */
    int rc = 0;
    /* Kiln's own table: only the app's columns */
    bool builtin = (old && (old->flags & KILN_MF_BUILTIN)) ||
                   (now && (now->flags & KILN_MF_BUILTIN));
    if (builtin && !builtin_op_ok(op))
        return KILN_ESTATE;
    switch (op->kind) {
    case MIG_CREATE_MODEL:
        now = model_find(st, op->model);
        if (!now)
            return KILN_EINVAL;
        ddl_create_table(now, NULL, be, b);
        for (uint32_t i = 0; i < now->nindexes; i++)
            ddl_create_index(now, &now->indexes[i], be, b);
        return 0;
    case MIG_DROP_MODEL:
        if (!old)
            return KILN_EINVAL;
        kiln_buf_printf(b, "DROP TABLE %s;\n", old->table);
        return 0;
    case MIG_RENAME_MODEL:
        if (!old)
            return KILN_EINVAL;
        if (strcmp(old->table, now->table) != 0)
            kiln_buf_printf(b, "ALTER TABLE %s RENAME TO %s;\n", old->table,
                            now->table);
        return put_renames(st, op, before, be, b);
    case MIG_RENAME_FIELD: {
        if (!old)
            return KILN_EINVAL;
        const kiln_field *fb = model_field(old, op->name);
        const kiln_field *fa = model_field(now, op->to);
        if (!fb || !fa)
            return KILN_EINVAL;
        if (fb->column)
            kiln_buf_printf(b, "ALTER TABLE %s RENAME COLUMN %s TO %s;\n",
                            now->table, fb->column, fa->column);
        return put_renames(st, op, before, be, b);
    }
    case MIG_ADD_INDEX:
        if (!now)
            return KILN_EINVAL;
        ddl_create_index(now, op->index, be, b);
        return 0;
    case MIG_DROP_INDEX:
        kiln_buf_printf(b, "DROP INDEX %s;\n", op->name);
        return 0;
    case MIG_RENAME_INDEX:
        if (!now)
            return KILN_EINVAL;
        if (pg) {
            kiln_buf_printf(b, "ALTER INDEX %s RENAME TO %s;\n", op->name,
                            op->to);
        } else {
            kiln_buf_printf(b, "DROP INDEX %s;\n", op->name);
            for (uint32_t i = 0; i < now->nindexes; i++)
                if (strcmp(now->indexes[i].name, op->to) == 0)
                    ddl_create_index(now, &now->indexes[i], be, b);
        }
        return 0;
    default:
        break;
    }
    /* the field operations */
    if (!old || !now)
        return KILN_EINVAL;
    if (op->kind == MIG_ADD_FIELD) {
        const kiln_field *f = model_field(now, op->name);
        if (!f)
            return KILN_EINVAL;
        if (f->type == KILN_FT_MANY)
            ddl_create_join(st, now, f, be, b);
        else if (pg)
            pg_add(now, f, op, b);
        else if (sqlite_add(old, now, f, op, b))
            rc = note_rebuild(start, id, rb);
        return rc;
    }
    if (op->kind == MIG_DROP_FIELD) {
        const kiln_field *f = model_field(old, op->name);
        if (!f)
            return KILN_EINVAL;
        if (f->type == KILN_FT_MANY) {
            join_names j;
            if (join_of(st, old, f, f->ref, &j) != 0)
                return KILN_ENOMEM;
            kiln_buf_printf(b, "DROP TABLE %s;\n", j.table);
        } else if (pg || (builtin && f->type != KILN_FT_REF)) {
            /* SQLite (3.35 on) drops a column that no index, constraint or
               foreign key uses: the app's own columns of kiln_user but its
               refs, which a rebuild drops */
            kiln_buf_printf(b, "ALTER TABLE %s DROP COLUMN %s;\n", now->table,
                            f->column);
        } else {
            rebuild(old, now, op, b);
            rc = note_rebuild(start, id, rb);
        }
        return rc;
    }
    if (op->kind == MIG_ALTER_FIELD) {
        const kiln_field *was = model_field(old, op->name);
        const kiln_field *f = model_field(now, op->name);
        if (!was || !f)
            return KILN_EINVAL;
        if (f->type == KILN_FT_MANY)
            return 0; /* a join table has nothing to alter */
        if (pg) {
            pg_alter(now, was, f, op, b);
            return 0;
        }
        kiln_buf ca, cb, expr;
        kiln_buf_init(&ca);
        kiln_buf_init(&cb);
        kiln_buf_init(&expr);
        sqlite_column(old, was, &ca);
        sqlite_column(now, f, &cb);
        put_cast(was, f, f->column, op, DDL_SQLITE, &expr);
        if (strcmp(ca.p, cb.p) != 0 || ref_changed(was, f)) {
            rebuild(old, now, op, b);
            rc = note_rebuild(start, id, rb);
        } else if (strcmp(expr.p, f->column) != 0) {
            kiln_buf_printf(b, "UPDATE %s SET %s = %s;\n", now->table,
                            f->column, expr.p);
        }
        kiln_buf_deinit(&ca);
        kiln_buf_deinit(&cb);
        kiln_buf_deinit(&expr);
        return rc;
    }
    return KILN_EINVAL;
}
