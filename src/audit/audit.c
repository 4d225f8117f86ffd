/*
 * audit/audit.c - the audit log (kiln/audit.h): the field-level diff of a
 * write, computed by walking the model's description; the labels of the
 * object and the user; one INSERT into kiln_audit on the caller's
 * connection (so in the caller's transaction); and reading entries back.
 *
 * A field changed when the JSON its value encodes to changed (the model's
 * own encoder, schema_encode_field): every type compares the way the API
 * shows it (decimals canonical, json fields as their minified text,
 * datetimes to the millisecond), NULL included. Many-to-many ids are
 * compared and written sorted, as a set: the order links are read in is
 * not a change.
 */
#include "audit/audit_impl.h"

#include <kiln/json.h>
#include <kiln/model.h>

#include "schema/schema_impl.h"

#include <stdlib.h>
#include <string.h>

static const char *const action_names[] = {"add", "change", "delete"};

const char *kiln_audit_action_name(kiln_audit_action act)
{
    return (unsigned)act < 3 ? action_names[act] : "?";
}

/* ---- secrets ------------------------------------------------------------- */

/* Parts of a field name that say it holds a secret. */
static const char *const secret_words[] = {
    "password", "passwd", "secret", "token", "api_key", "apikey", "private_key",
};

bool kiln_audit_is_secret(const kiln_field *f)
{
    if (f->flags & KILN_FF_WRITE_ONLY)
        return true;
    char low[128];
    size_t n = strlen(f->name);
    if (n >= sizeof low)
        n = sizeof low - 1;
    for (size_t i = 0; i < n; i++) {
        char ch = f->name[i];
        low[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
    }
    low[n] = '\0';
    for (size_t i = 0; i < sizeof secret_words / sizeof secret_words[0]; i++)
        if (strstr(low, secret_words[i]))
            return true;
    return false;
}

/* ---- values -------------------------------------------------------------- */

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* True for the fields a diff covers: the model's stored fields and its
   many-to-many links (not endpoint-only object, list and file fields). */
static bool audited(const kiln_field *f)
{
    return f->column || f->type == KILN_FT_MANY;
}

/* Appends field f's value in row obj as JSON: as the encoder writes it,
   many-to-many ids sorted. */
static int put_value(const kiln_field *f, const void *obj, kiln_buf *b)
{
    if (f->type != KILN_FT_MANY || schema_is_null(f, obj))
        return schema_encode_field(f, obj, b);
    const kiln_ids *ids = (const kiln_ids *)((const char *)obj + f->offset);
    int64_t *v = ids->n ? malloc(ids->n * sizeof *v) : NULL;
    if (ids->n && !v)
        return KILN_ENOMEM;
    if (ids->n)
        memcpy(v, ids->v, ids->n * sizeof *v);
    qsort(v, ids->n, sizeof *v, cmp_id);
    int rc = kiln_buf_putc(b, '[');
    for (size_t i = 0; rc == 0 && i < ids->n; i++) {
        if (i)
            rc = kiln_buf_putc(b, ',');
        if (rc == 0)
            rc = kiln_json_put_i64(b, v[i]);
    }
    free(v);
    return rc ? rc : kiln_buf_putc(b, ']');
}

/* Appends "name": to b, after a comma unless it is the first key. */
static int put_key(const kiln_field *f, bool *first, kiln_buf *b)
{
    int rc = *first ? 0 : kiln_buf_putc(b, ',');
    *first = false;
    if (rc == 0)
        rc = kiln_json_put_str(b, f->name, strlen(f->name));
    return rc ? rc : kiln_buf_putc(b, ':');
}

/* Every audited field of row obj, secrets as the marker (add, delete). */
static int diff_whole(const kiln_model *m, const void *obj, kiln_buf *out)
{
    bool first = true;
    int rc = kiln_buf_putc(out, '{');
    for (uint32_t i = 0; rc == 0 && i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (!audited(f))
            continue;
        rc = put_key(f, &first, out);
        if (rc)
            break;
        if (kiln_audit_is_secret(f) && !schema_is_null(f, obj))
            rc = kiln_buf_puts(out, KILN_AUDIT_REDACTED);
        else
            rc = put_value(f, obj, out);
    }
    return rc ? rc : kiln_buf_putc(out, '}');
}

/* The fields whose value differs between before and after, as
   "name":[old,new] (secrets: "name":marker). */
static int diff_change(const kiln_model *m, const void *before,
                       const void *after, kiln_buf *out)
{
    kiln_buf old, now;
    kiln_buf_init(&old);
    kiln_buf_init(&now);
    bool first = true;
    int rc = kiln_buf_putc(out, '{');
    for (uint32_t i = 0; rc == 0 && i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (!audited(f))
            continue;
        kiln_buf_clear(&old);
        kiln_buf_clear(&now);
        rc = put_value(f, before, &old);
        if (rc == 0)
            rc = put_value(f, after, &now);
        if (rc || (old.n == now.n &&
                   (old.n == 0 || memcmp(old.p, now.p, old.n) == 0)))
            continue;
        rc = put_key(f, &first, out);
        if (rc)
            break;
        if (kiln_audit_is_secret(f)) {
            rc = kiln_buf_puts(out, KILN_AUDIT_REDACTED);
            continue;
        }
        rc = kiln_buf_putc(out, '[');
        if (rc == 0)
            rc = kiln_buf_append(out, old.p, old.n);
        if (rc == 0)
            rc = kiln_buf_putc(out, ',');
        if (rc == 0)
            rc = kiln_buf_append(out, now.p, now.n);
        if (rc == 0)
            rc = kiln_buf_putc(out, ']');
    }
    kiln_buf_deinit(&old);
    kiln_buf_deinit(&now);
    return rc ? rc : kiln_buf_putc(out, '}');
}

int kiln_audit_diff(const kiln_model *m, kiln_audit_action act,
                    const void *before, const void *after, kiln_buf *out)
{
    switch (act) {
    case KILN_AUDIT_ADD:
        return after ? diff_whole(m, after, out) : KILN_EINVAL;
    case KILN_AUDIT_DELETE:
        return before ? diff_whole(m, before, out) : KILN_EINVAL;
    case KILN_AUDIT_CHANGE:
        return before && after ? diff_change(m, before, after, out)
                               : KILN_EINVAL;
    }
    return KILN_EINVAL;
}

/* ---- labels -------------------------------------------------------------- */

/* Appends at most AUDIT_LABEL_MAX bytes of s, cut before a UTF-8
   continuation byte so that no character is split. */
static int put_label(kiln_str s, kiln_buf *out)
{
    size_t n = s.n;
    if (n > AUDIT_LABEL_MAX) {
        n = AUDIT_LABEL_MAX;
        while (n > 0 && ((unsigned char)s.p[n] & 0xC0) == 0x80)
            n--;
    }
    return kiln_buf_append(out, s.p, n);
}

/* The field whose value labels a row of m, or NULL. */
static const kiln_field *label_field(const kiln_model *m)
{
    static const char *const names[] = {"name", "title", "label"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        int i = kiln_model_field(m, kiln_str_c(names[k]));
        if (i >= 0 && m->fields[i].type == KILN_FT_STRING &&
            !kiln_audit_is_secret(&m->fields[i]))
            return &m->fields[i];
    }
    for (uint32_t i = 0; i < m->nfields; i++)
        if (m->fields[i].type == KILN_FT_STRING &&
            !kiln_audit_is_secret(&m->fields[i]))
            return &m->fields[i];
    return NULL;
}

int kiln_audit_object_label(const kiln_model *m, int64_t id, const void *obj,
                            kiln_buf *out)
{
    const kiln_field *f = obj ? label_field(m) : NULL;
    if (f && !schema_is_null(f, obj)) {
        kiln_str s = *(const kiln_str *)((const char *)obj + f->offset);
        if (s.n)
            return put_label(s, out);
    }
    return kiln_buf_printf(out, "%s #%lld", m->label ? m->label : m->name,
                           (long long)id);
}

/* Appends who's label: the username, else the name, else the email,
   else "user #id". */
static int user_label(const kiln_user *who, kiln_buf *out)
{
    const char *v[] = {who->username, who->name, who->email};
    for (size_t i = 0; i < 3; i++)
        if (v[i] && *v[i])
            return put_label(kiln_str_c(v[i]), out);
    return kiln_buf_printf(out, "user #%lld", (long long)who->id);
}

/* ---- the table ----------------------------------------------------------- */

int kiln_audit_record(kiln_dbc *db, const kiln_user *who, const kiln_model *m,
                      int64_t id, kiln_audit_action act, const void *before,
                      const void *after, const char *via)
{
    if (!db || !m || !m->table || (unsigned)act > KILN_AUDIT_DELETE)
        return KILN_EINVAL;
    kiln_buf diff, label, ulabel;
    kiln_buf_init(&diff);
    kiln_buf_init(&label);
    kiln_buf_init(&ulabel);
    int rc = kiln_audit_diff(m, act, before, after, &diff);
    if (rc == 0)
        rc = kiln_audit_object_label(
            m, id, act == KILN_AUDIT_DELETE ? before : after, &label);
    if (rc == 0 && who)
        rc = user_label(who, &ulabel);
    if (rc == 0) {
        kiln_db_param p[] = {
            KILN_TIME(kiln_datetime_now()),
            who ? KILN_INT(who->id) : KILN_NULL,
            who ? KILN_STRV(kiln_buf_str(&ulabel)) : KILN_NULL,
            KILN_TEXT(m->name),
            KILN_INT(id),
            KILN_STRV(kiln_buf_str(&label)),
            KILN_TEXT(action_names[act]),
            KILN_TEXT(via ? via : ""),
            KILN_STRV(kiln_buf_str(&diff)),
        };
        /* an empty buffer's p is NULL, which would be SQL NULL */
        if (who && !ulabel.n)
            p[2] = KILN_TEXT("");
        int64_t n = kiln_db_exec_a(
            db,
            "INSERT INTO kiln_audit (at, user_id, user_label, model, "
            "object_id, object_label, action, via, changes) VALUES ($1, $2, "
            "$3, $4, $5, $6, $7, $8, $9)",
            p, sizeof p / sizeof p[0]);
        rc = n < 0 ? (int)n : 0;
    }
    kiln_buf_deinit(&diff);
    kiln_buf_deinit(&label);
    kiln_buf_deinit(&ulabel);
    return rc;
}

/* The action stored as text s. */
static kiln_audit_action action_of(kiln_str s)
{
    for (int i = 0; i < 3; i++)
        if (kiln_str_eq(s, kiln_str_c(action_names[i])))
            return (kiln_audit_action)i;
    return KILN_AUDIT_CHANGE;
}

long kiln_audit_list(kiln_dbc *db, const kiln_model *m, int64_t id, long limit,
                     kiln_audit_entry **out)
{
    *out = NULL;
    if (!db)
        return KILN_EINVAL;
    if (limit <= 0)
        limit = 50;
#define AUDIT_COLUMNS                                                          \
    "SELECT id, at, user_id, user_label, model, object_id, object_label, "     \
    "action, via, changes FROM kiln_audit "
    kiln_rows *r =
        m ? kiln_db_query(db,
                          AUDIT_COLUMNS "WHERE model = $1 AND object_id = $2 "
                                        "ORDER BY at DESC, id DESC LIMIT $3",
                          KILN_TEXT(m->name), KILN_INT(id), KILN_INT(limit))
          : kiln_db_query(db,
                          AUDIT_COLUMNS "ORDER BY at DESC, id DESC LIMIT $1",
                          KILN_INT(limit));
#undef AUDIT_COLUMNS
    if (!r)
        return db->last_rc ? db->last_rc : KILN_EDB;
    kiln_arena *a = kiln_dbc_arena(db);
    kiln_audit_entry *v = NULL;
    long n = 0;
    while (kiln_rows_next(r)) {
        if (!v) {
            v = kiln_arena_alloc(a, (size_t)limit * sizeof *v);
            if (!v) {
                kiln_rows_close(r);
                return KILN_ENOMEM;
            }
        }
        kiln_audit_entry *e = &v[n++];
        e->id = kiln_row_int(r, 0);
        e->at_us = kiln_row_time(r, 1);
        e->user_id = kiln_row_int(r, 2);
        e->user_label = kiln_row_text(r, 3).p;
        e->model = kiln_row_text(r, 4).p;
        e->object_id = kiln_row_int(r, 5);
        e->object_label = kiln_row_text(r, 6).p;
        e->action = action_of(kiln_row_text(r, 7));
        e->via = kiln_row_text(r, 8).p;
        e->changes_json = kiln_row_text(r, 9).p;
        if (!e->model || !e->object_label || !e->via || !e->changes_json) {
            kiln_rows_close(r);
            return KILN_ENOMEM; /* NOT NULL columns: only a failed copy */
        }
        if (n == limit)
            break;
    }
    int rc = kiln_rows_error(r);
    kiln_rows_close(r);
    if (rc < 0)
        return rc;
    *out = v;
    return n;
}

int64_t kiln_audit_purge(kiln_dbc *db, int64_t before_us)
{
    if (!db)
        return KILN_EINVAL;
    return kiln_db_exec(db, "DELETE FROM kiln_audit WHERE at < $1",
                        KILN_TIME(before_us));
}
