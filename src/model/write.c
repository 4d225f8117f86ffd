/*
 * model/write.c - writing a model's rows: insert (returning the row as
 * stored), update (whole or the fields given), delete, reference checks
 * that report every missing row at once, and the answer to a write that
 * broke a constraint.
 */
#include "model/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLS 258

static bool zero_uuid(const kiln_uuid *u)
{
    for (int i = 0; i < 16; i++)
        if (u->b[i])
            return false;
    return true;
}

/* Sets the server-side values of obj before a write. */
static void stamp(const kiln_model *m, void *obj, bool insert)
{
    kiln_datetime now = kiln_datetime_now();
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        void *v = (char *)obj + f->offset;
        if ((f->flags & KILN_FF_AUTO_UPDATED) ||
            (insert && (f->flags & KILN_FF_AUTO_CREATED))) {
            *(kiln_datetime *)v = now;
            model_set_null(f, obj, false);
            continue;
        }
        if (!insert || model_is_null(f, obj))
            continue;
        if ((f->flags & KILN_FF_DEFAULT_RANDOM) && f->type == KILN_FT_UUID &&
            zero_uuid(v))
            kiln_uuid_random(v);
        if ((f->flags & KILN_FF_DEFAULT_NOW) && f->type == KILN_FT_DATETIME &&
            *(kiln_datetime *)v == 0)
            *(kiln_datetime *)v = now;
        if ((f->flags & KILN_FF_DEFAULT_NOW) && f->type == KILN_FT_DATE &&
            ((kiln_date *)v)->year == 0)
            *(kiln_date *)v = kiln_date_from_days(now / 86400000000LL);
    }
}

/* Runs sql (RETURNING m's columns) and reads the row back into obj,
   keeping obj's many fields. 0, KILN_ENOTFOUND (no row) or an error. */
static int write_returning(kiln_dbc *db, const kiln_model *m, void *obj,
                           const char *sql, const kiln_db_param *params,
                           size_t n)
{
    kiln_rows *r = kiln_db_query_a(db, sql, params, n);
    if (!r)
        return db->last_rc ? db->last_rc : KILN_EDB;
    int rc = KILN_ENOTFOUND;
    if (kiln_rows_next(r)) {
        /* the many fields are not columns: keep what the caller gave */
        kiln_ids keep[64];
        uint32_t nk = 0;
        for (uint32_t i = 0; i < m->nfields && nk < 64; i++)
            if (m->fields[i].type == KILN_FT_MANY)
                keep[nk++] = *(kiln_ids *)((char *)obj + m->fields[i].offset);
        rc = model_read_row(m, r, obj);
        nk = 0;
        for (uint32_t i = 0; i < m->nfields && nk < 64; i++)
            if (m->fields[i].type == KILN_FT_MANY)
                *(kiln_ids *)((char *)obj + m->fields[i].offset) = keep[nk++];
    } else if (kiln_rows_error(r) < 0) {
        rc = kiln_rows_error(r);
    }
    kiln_rows_close(r);
    return rc;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Writes the many fields of obj (those in given, or all) for row id; the
   ids are left sorted and unique, as a read gives them back. */
static int write_links(kiln_dbc *db, const kiln_model *m, void *obj, int64_t id,
                       const kiln_fieldset *given)
{
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (f->type != KILN_FT_MANY || (given && !kiln_fieldset_has(given, i)))
            continue;
        kiln_ids *ids = (kiln_ids *)((char *)obj + f->offset);
        if (ids->n > 1) {
            qsort(ids->v, ids->n, sizeof *ids->v, cmp_id);
            size_t k = 1;
            for (size_t j = 1; j < ids->n; j++)
                if (ids->v[j] != ids->v[k - 1])
                    ids->v[k++] = ids->v[j];
            ids->n = k;
        }
        int rc = kiln_model_set_links(db, m, f, id, ids);
        if (rc)
            return rc;
    }
    return 0;
}

static bool any_many(const kiln_model *m, const kiln_fieldset *given)
{
    for (uint32_t i = 0; i < m->nfields; i++)
        if (m->fields[i].type == KILN_FT_MANY &&
            (!given || kiln_fieldset_has(given, i)))
            return true;
    return false;
}

/*
 * Runs a write (sql returning m's columns: obj gets the row as stored)
 * and, when it writes many fields (those in given, or all), their links,
 * in one transaction (a savepoint inside the caller's). A failure rolls
 * back and keeps the first error in db, as the caller must report it.
 */
static int write_row(kiln_dbc *db, const kiln_model *m, void *obj,
                     const char *sql, const kiln_db_param *params, size_t np,
                     const kiln_fieldset *given)
{
    bool tx = any_many(m, given);
    int rc = tx ? kiln_db_begin(db) : 0;
    if (rc)
        return rc;
    rc = write_returning(db, m, obj, sql, params, np);
    if (rc == 0 && tx)
        rc = write_links(
            db, m, obj, *(int64_t *)((char *)obj + m->fields[0].offset), given);
    if (!tx)
        return rc;
    if (rc == 0)
        return kiln_db_commit(db);
    char err[sizeof db->err], cons[sizeof db->constraint];
    int viol = db->violation, last = db->last_rc;
    memcpy(err, db->err, sizeof err);
    memcpy(cons, db->constraint, sizeof cons);
    kiln_db_rollback(db);
    memcpy(db->err, err, sizeof err);
    memcpy(db->constraint, cons, sizeof cons);
    db->violation = viol;
    db->last_rc = last;
    return rc;
}

int kiln_model_insert(kiln_dbc *db, const kiln_model *m, void *obj)
{
    stamp(m, obj, true);
    kiln_db_param params[MAX_COLS];
    size_t np = 0;
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_printf(&b, "INSERT INTO %s (", m->table);
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (!f->column || (f->flags & KILN_FF_PK))
            continue;
        int rc = model_param(f, obj, db->arena, &params[np]);
        if (rc) {
            kiln_buf_deinit(&b);
            return db_set_err(db, rc, "%s.%s: the value cannot be stored (%s)",
                              m->name, f->name, kiln_strerror(rc));
        }
        kiln_buf_printf(&b, "%s%s", np ? ", " : "", f->column);
        np++;
    }
    if (np == 0)
        kiln_buf_puts(&b, ") DEFAULT VALUES RETURNING ");
    else {
        kiln_buf_puts(&b, ") VALUES (");
        for (size_t i = 0; i < np; i++)
            kiln_buf_printf(&b, "%s$%zu", i ? ", " : "", i + 1);
        kiln_buf_puts(&b, ") RETURNING ");
    }
    if (np == 0) { /* "INSERT INTO t () DEFAULT..." is not SQL */
        kiln_buf_clear(&b);
        kiln_buf_printf(&b, "INSERT INTO %s DEFAULT VALUES RETURNING ",
                        m->table);
    }
    model_columns(m, &b);
    const char *sql = model_sql(db, &b);
    kiln_buf_deinit(&b);
    if (!sql)
        return db_set_err(db, KILN_ENOMEM, "out of memory");
    int rc = write_row(db, m, obj, sql, params, np, NULL);
    if (rc == KILN_ENOTFOUND)
        rc = db_set_err(db, KILN_EDB, "INSERT INTO %s returned no row",
                        m->table);
    return rc;
}

static bool has_many_not_given(const kiln_model *m, const kiln_fieldset *given)
{
    for (uint32_t i = 0; i < m->nfields; i++)
        if (m->fields[i].type == KILN_FT_MANY && !kiln_fieldset_has(given, i))
            return true;
    return false;
}

int kiln_model_update(kiln_dbc *db, const kiln_model *m, void *obj,
                      const kiln_fieldset *given)
{
    stamp(m, obj, false);
    kiln_db_param params[MAX_COLS];
    size_t np = 0;
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_printf(&b, "UPDATE %s SET ", m->table);
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (!f->column || (f->flags & KILN_FF_PK) ||
            (f->flags & KILN_FF_AUTO_CREATED))
            continue;
        bool want = (f->flags & KILN_FF_AUTO_UPDATED) ||
                    (given ? kiln_fieldset_has(given, i)
                           : !(f->flags & KILN_FF_READ_ONLY));
        if (!want)
            continue;
        int rc = model_param(f, obj, db->arena, &params[np]);
        if (rc) {
            kiln_buf_deinit(&b);
            return db_set_err(db, rc, "%s.%s: the value cannot be stored (%s)",
                              m->name, f->name, kiln_strerror(rc));
        }
        kiln_buf_printf(&b, "%s%s = $%zu", np ? ", " : "", f->column, np + 1);
        np++;
    }
    int64_t id = *(int64_t *)((char *)obj + m->fields[0].offset);
    if (np == 0) { /* nothing but links: check the row is there */
        kiln_buf_clear(&b);
        kiln_buf_puts(&b, "SELECT ");
        model_columns(m, &b);
        kiln_buf_printf(&b, " FROM %s WHERE id = $1", m->table);
    } else {
        kiln_buf_printf(&b, " WHERE id = $%zu RETURNING ", np + 1);
        model_columns(m, &b);
    }
    params[np++] = KILN_INT(id);
    const char *sql = model_sql(db, &b);
    kiln_buf_deinit(&b);
    if (!sql)
        return db_set_err(db, KILN_ENOMEM, "out of memory");
    int rc = write_row(db, m, obj, sql, params, np, given);
    /* a PATCH that left many fields out: obj gets them as stored */
    if (rc == 0 && given && has_many_not_given(m, given))
        rc = model_load_links(db, m, obj, 1);
    return rc;
}

int kiln_model_delete(kiln_dbc *db, const kiln_model *m, int64_t id)
{
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_printf(&b, "DELETE FROM %s WHERE id = $1", m->table);
    const char *sql = model_sql(db, &b);
    kiln_buf_deinit(&b);
    if (!sql)
        return db_set_err(db, KILN_ENOMEM, "out of memory");
    int64_t n = kiln_db_exec(db, sql, KILN_INT(id));
    if (n < 0) {
        if (n == KILN_EDB && db->violation == KILN_DB_VIOLATION_FOREIGN_KEY) {
            /* rows still refer to it (on_delete restrict) */
            char cons[sizeof db->constraint];
            memcpy(cons, db->constraint, sizeof cons);
            db_set_err(db, KILN_ESTATE,
                       "%s %lld is still referred to by other rows", m->name,
                       (long long)id);
            db->violation = KILN_DB_VIOLATION_FOREIGN_KEY;
            memcpy(db->constraint, cons, sizeof cons);
            return KILN_ESTATE;
        }
        return (int)n;
    }
    return n == 0 ? KILN_ENOTFOUND : 0;
}

/* ---- references ------------------------------------------------------- */

/* True when errs already holds an error at ptr or below it (a value that
   failed to decode: its id is not one to look up). */
static bool error_at(const kiln_errors *errs, const char *ptr)
{
    size_t n = strlen(ptr);
    for (size_t i = 0; errs && i < errs->n; i++) {
        const char *p = errs->items[i].pointer;
        if (strncmp(p, ptr, n) == 0 && (p[n] == '\0' || p[n] == '/'))
            return true;
    }
    return false;
}

int kiln_model_check_refs(kiln_dbc *db, const kiln_model *m, const void *obj,
                          const kiln_fieldset *given, kiln_errors *errs)
{
    int bad = 0;
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if ((f->type != KILN_FT_REF && f->type != KILN_FT_MANY) || !f->ref ||
            (given && !kiln_fieldset_has(given, i)) || model_is_null(f, obj))
            continue;
        const void *v = (const char *)obj + f->offset;
        char ptr[80];
        snprintf(ptr, sizeof ptr, "/%s", f->name);
        if (error_at(errs, ptr))
            continue; /* it did not decode: nothing to look up */
        if (f->type == KILN_FT_REF) {
            int64_t id = *(const int64_t *)v, found = 0;
            kiln_buf b;
            kiln_buf_init(&b);
            kiln_buf_printf(&b, "SELECT count(*) FROM %s WHERE id = $1",
                            f->ref->table);
            const char *sql = model_sql(db, &b);
            kiln_buf_deinit(&b);
            int rc = sql ? kiln_db_scalar_int(db, &found, sql, KILN_INT(id))
                         : KILN_ENOMEM;
            if (rc)
                return rc;
            if (!found) {
                kiln_errors_add(errs, ptr, "does_not_exist",
                                "there is no %s with id %lld", f->ref->label,
                                (long long)id);
                bad = 1;
            }
            continue;
        }
        const kiln_ids *ids = v;
        for (size_t k = 0; k < ids->n; k++) {
            /* one query for the whole set would be faster; links are few */
            int64_t found = 0;
            kiln_buf b;
            kiln_buf_init(&b);
            kiln_buf_printf(&b, "SELECT count(*) FROM %s WHERE id = $1",
                            f->ref->table);
            const char *sql = model_sql(db, &b);
            kiln_buf_deinit(&b);
            int rc =
                sql ? kiln_db_scalar_int(db, &found, sql, KILN_INT(ids->v[k]))
                    : KILN_ENOMEM;
            if (rc)
                return rc;
            if (!found) {
                char ip[128];
                snprintf(ip, sizeof ip, "%s/%zu", ptr, k);
                kiln_errors_add(errs, ip, "does_not_exist",
                                "there is no %s with id %lld", f->ref->label,
                                (long long)ids->v[k]);
                bad = 1;
            }
        }
    }
    return bad ? KILN_EINVAL : 0;
}

/* ---- answering a failed write ------------------------------------------- */

/* True when the columns listed in cons ("t.a, t.b") are exactly ix's. */
static bool same_columns(const kiln_model *m, const kiln_index *ix,
                         const char *cons)
{
    uint32_t matched = 0;
    const char *p = cons;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *dot = memchr(p, '.', (size_t)(e - p));
        const char *c = dot ? dot + 1 : p;
        size_t cn = (size_t)(e - c);
        bool found = false;
        for (uint32_t k = 0; k < ix->nfields; k++) {
            int fi = kiln_model_field(m, kiln_str_c(ix->fields[k]));
            const char *col = fi >= 0 ? m->fields[fi].column : NULL;
            if (col && strlen(col) == cn && memcmp(col, c, cn) == 0)
                found = true;
        }
        if (!found)
            return false;
        matched++;
        p = e;
    }
    return matched == ix->nfields;
}

int kiln_model_fail(kiln_ctx *c, kiln_dbc *db, const kiln_model *m, int rc)
{
    kiln_errors errs;
    kiln_errors_init(&errs, kiln_ctx_arena(c));
    if (rc == KILN_ENOTFOUND)
        return kiln_problem(c, 404, "the %s does not exist", m->label), 0;
    const char *cons = "";
    kiln_db_violation v =
        db ? kiln_db_violation_of(db, &cons) : KILN_DB_VIOLATION_NONE;
    if (rc == KILN_ESTATE && v == KILN_DB_VIOLATION_FOREIGN_KEY) {
        kiln_errors_add(&errs, "", "protected",
                        "other rows still refer to this %s", m->label);
        kiln_problem_errors(c, 409, &errs, "this %s is still in use", m->label);
        return 0;
    }
    if (rc == KILN_EDB && v == KILN_DB_VIOLATION_UNIQUE) {
        const kiln_index *ix = NULL;
        for (uint32_t i = 0; i < m->nindexes && !ix; i++)
            if (m->indexes[i].unique &&
                (strcmp(m->indexes[i].name, cons) == 0 ||
                 same_columns(m, &m->indexes[i], cons)))
                ix = &m->indexes[i];
        if (!ix) {
            kiln_errors_add(&errs, "", "unique",
                            "a %s with these values already exists", m->label);
        } else {
            char names[256] = "";
            size_t o = 0;
            for (uint32_t k = 0; k < ix->nfields && o < sizeof names; k++)
                o += (size_t)snprintf(names + o, sizeof names - o, "%s%s",
                                      k == 0                 ? ""
                                      : k + 1 == ix->nfields ? " and "
                                                             : ", ",
                                      ix->fields[k]);
            for (uint32_t k = 0; k < ix->nfields; k++) {
                char ptr[80];
                snprintf(ptr, sizeof ptr, "/%s", ix->fields[k]);
                kiln_errors_add(&errs, ptr, "unique",
                                "a %s with this %s already exists", m->label,
                                names);
            }
        }
        kiln_problem_errors(c, 409, &errs,
                            "a %s with these values already "
                            "exists",
                            m->label);
        return 0;
    }
    if (rc == KILN_EDB && v == KILN_DB_VIOLATION_FOREIGN_KEY) {
        /* PostgreSQL names the constraint: <table>_<column>_fkey */
        const kiln_field *f = NULL;
        for (uint32_t i = 0; i < m->nfields && !f; i++) {
            const kiln_field *x = &m->fields[i];
            char name[160];
            if (x->type != KILN_FT_REF)
                continue;
            snprintf(name, sizeof name, "%s_%s_fkey", m->table, x->column);
            if (strcmp(name, cons) == 0)
                f = x;
        }
        char ptr[80] = "";
        if (f)
            snprintf(ptr, sizeof ptr, "/%s", f->name);
        kiln_errors_add(&errs, ptr, "does_not_exist",
                        f ? "there is no %s with this id"
                          : "a referenced row does not exist",
                        f && f->ref ? f->ref->label : "row");
        kiln_problem_errors(c, 422, &errs, NULL);
        return 0;
    }
    kiln_db_fail(c, db);
    return 0;
}

/* ---- a request's body, references included ------------------------------ */

static model_refs_fn g_refs_rule; /* set once before serving */

void model_refs_rule(model_refs_fn fn)
{
    g_refs_rule = fn;
}

int kiln_model_decode(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                      kiln_decode_mode mode, void *out, kiln_fieldset *given,
                      kiln_errors *errs)
{
    kiln_fieldset seen;
    kiln_decode_opts o = {.mode = mode};
    int rc = kiln_decode_input(c, m, &o, out, &seen, errs);
    if (given)
        *given = seen;
    if (rc != 0 && rc != KILN_EINVAL)
        return rc; /* not readable: answered */
    if (db) {
        /* the references that decoded, checked now: one 422 for all */
        int r = kiln_model_check_refs(db, m, out, &seen, errs);
        if (r != 0 && r != KILN_EINVAL) {
            kiln_model_fail(c, db, m, r);
            return r;
        }
        /* ... and name rows this request may see */
        r = g_refs_rule ? g_refs_rule(c, db, m, out, &seen, errs) : 0;
        if (r < 0) {
            kiln_model_fail(c, db, m, r);
            return r;
        }
        if (r > 0)
            return 1; /* a referred model's query hook answered */
    }
    return kiln_errors_any(errs) ? KILN_EINVAL : 0;
}

bool kiln_model_from_body(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                          kiln_decode_mode mode, void *out,
                          kiln_fieldset *given)
{
    kiln_errors errs;
    kiln_errors_init(&errs, kiln_ctx_arena(c));
    int rc = kiln_model_decode(c, db, m, mode, out, given, &errs);
    if (rc == KILN_EINVAL)
        kiln_problem_errors(c, 422, &errs, NULL);
    return rc == 0;
}
