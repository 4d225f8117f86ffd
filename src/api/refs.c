/*
 * api/refs.c - the references a request writes, seen through the referred
 * models' query hooks (kiln_api_refs_visible): a row a user may not see
 * is, for the rows it writes, a row that does not exist. kiln_api_register
 * installs it into the model layer's decode (model_refs_rule), so the
 * generated API, the admin and an app's own kiln_model_decode check it.
 */
#include "model/runtime.h"

#include <stdio.h>
#include <string.h>

/* Whether row id of target passes its query hook's condition hw. */
static int shown(kiln_dbc *db, const kiln_model *target,
                 const kiln_api_where *hw, int64_t id, bool *yes)
{
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_db_param ps[9] = {KILN_INT(id)};
    size_t np = hw->nparams > 8 ? 8 : hw->nparams;
    memcpy(ps + 1, hw->params, np * sizeof *ps);
    kiln_buf_printf(&b, "SELECT count(*) FROM %s WHERE id = $1 AND (",
                    target->table);
    /* the hook's $1..$n after the id's */
    kiln_db_sql_shift(&b, hw->sql, 1);
    kiln_buf_putc(&b, ')');
    int64_t n = 0;
    int rc = b.p ? kiln_db_scalar_int_a(db, &n, b.p, ps, np + 1) : KILN_ENOMEM;
    kiln_buf_deinit(&b);
    *yes = n > 0;
    return rc;
}

/* Whether an error is at ptr or under it already. */
static bool has_error(const kiln_errors *errs, const char *ptr)
{
    size_t n = strlen(ptr);
    for (size_t i = 0; errs && i < errs->n; i++) {
        const char *p = errs->items[i].pointer;
        if (strncmp(p, ptr, n) == 0 && (p[n] == '\0' || p[n] == '/'))
            return true;
    }
    return false;
}

int kiln_api_refs_visible(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                          const void *obj, const kiln_fieldset *given,
                          kiln_errors *errs)
{
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if ((f->type != KILN_FT_REF && f->type != KILN_FT_MANY) || !f->ref ||
            (given && !kiln_fieldset_has(given, i)) || model_is_null(f, obj))
            continue;
        const kiln_api_hooks *h = kiln_api_hooks_of(f->ref->name);
        char ptr[80];
        snprintf(ptr, sizeof ptr, "/%s", f->name);
        if (!h || !h->query || has_error(errs, ptr))
            continue;
        kiln_api_where hw;
        memset(&hw, 0, sizeof hw);
        int rc = h->query(c, &hw);
        if (rc != 0)
            return rc; /* answered, or failed */
        if (!hw.sql || !*hw.sql)
            continue; /* every row */
        const void *v = (const char *)obj + f->offset;
        const int64_t *ids =
            f->type == KILN_FT_REF ? v : ((const kiln_ids *)v)->v;
        size_t n = f->type == KILN_FT_REF ? 1 : ((const kiln_ids *)v)->n;
        for (size_t k = 0; k < n; k++) {
            bool yes;
            if ((rc = shown(db, f->ref, &hw, ids[k], &yes)) != 0)
                return rc;
            if (yes)
                continue;
            char ip[128];
            if (f->type == KILN_FT_MANY)
                snprintf(ip, sizeof ip, "%s/%zu", ptr, k);
            kiln_errors_add(errs, f->type == KILN_FT_MANY ? ip : ptr,
                            "does_not_exist", "there is no %s with id %lld",
                            f->ref->label, (long long)ids[k]);
        }
    }
    return 0;
}
