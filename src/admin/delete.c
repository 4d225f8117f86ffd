/*
 * admin/delete.c - deleting through the admin (docs/admin.md):
 *
 *   GET  /admin/MODEL/ID/delete   the confirmation: the row and every row
 *                                 the delete cascades to, or the rows that
 *                                 refuse it (on_delete = "restrict")
 *   POST /admin/MODEL/ID/delete   the delete
 *   POST /admin/MODEL/action      action=delete: the same confirmation for
 *                                 the selected rows, then (confirm=yes)
 *                                 their deletes; another action: the app's
 *                                 (KILN_ADMIN_ACTION)
 *
 * A delete covers every row it reaches: the rows named, and level by
 * level the rows that refer to them (on_delete = "cascade": deleted too;
 * "set_null": changed; "restrict": the delete is refused), each read once
 * as its model's struct. In one transaction: every such row's
 * before_delete hook (the API's, kiln/api.h; one refusal, and nothing is
 * deleted: the confirmation page says why), an audit entry per row (a
 * cascaded one's via says from which row), the deletes (the database does
 * the cascade), every after_delete hook. A row the model's row rule hides
 * is a 404, or left out of a selection (rules.c).
 */
#include "admin/admin_impl.h"
#include "model/runtime.h"

#include <kiln/api.h>

#include <stdio.h>
#include <string.h>

#define CASCADE_MAX 200  /* rows a confirmation page lists */
#define DELETE_MAX 10000 /* rows one delete may reach */
#define IN_CHUNK 500     /* ids of one IN (...) */
#define SELECT_MAX 500

/* ---- the rows a delete reaches ------------------------------------------- */

/* How a delete reaches a row. */
typedef enum reach_kind {
    REACH_ROOT,    /* a row the delete names */
    REACH_CASCADE, /* on_delete = "cascade": deleted with it */
    REACH_PROTECT, /* on_delete = "restrict": refuses the delete */
    REACH_SETNULL, /* on_delete = "set_null": its ref becomes NULL */
    REACH_DROPPED  /* found again as deleted: no entry of its own */
} reach_kind;

typedef struct reach {
    const kiln_model *m;
    int64_t id;
    void *row;           /* m's struct, as it was (the connection's arena) */
    const kiln_field *f; /* REACH_SETNULL: the ref set to NULL */
    size_t root;         /* the index of the root it was reached from */
    reach_kind kind;
} reach;

/* The rows a delete reaches, breadth first, each once. Memory: c's
   arena. */
typedef struct plan {
    kiln_ctx *c;
    kiln_dbc *db;
    reach *v;
    size_t n, cap;
    size_t *slots; /* open addressing over (model, id): index + 1, 0 free */
    size_t nslots; /* a power of two, at least twice n */
    size_t limit;  /* most rows */
    bool over;     /* more rows than limit reached */
    bool setnull;  /* collect SET NULL rows (a delete, not the page) */
} plan;

static size_t slot_of(const plan *p, const kiln_model *m, int64_t id)
{
    uint64_t h = (uint64_t)id * 0x9e3779b97f4a7c15ULL ^ (uintptr_t)m;
    size_t i = (size_t)(h ^ h >> 29) & (p->nslots - 1);
    while (p->slots[i]) {
        const reach *r = &p->v[p->slots[i] - 1];
        if (r->m == m && r->id == id)
            break;
        i = (i + 1) & (p->nslots - 1);
    }
    return i;
}

/* The index + 1 of (m, id), or 0. */
static size_t plan_find(const plan *p, const kiln_model *m, int64_t id)
{
    return p->nslots ? p->slots[slot_of(p, m, id)] : 0;
}

/* Room for one more row (the array and the index grow by doubling). */
static int plan_grow(plan *p)
{
    kiln_arena *a = kiln_ctx_arena(p->c);
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        reach *v = kiln_arena_alloc(a, cap * sizeof *v);
        if (!v)
            return KILN_ENOMEM;
        if (p->n)
            memcpy(v, p->v, p->n * sizeof *v);
        p->v = v, p->cap = cap;
    }
    if ((p->n + 1) * 2 > p->nslots) {
        size_t ns = p->nslots ? p->nslots * 2 : 128;
        size_t *slots = kiln_arena_calloc(a, ns * sizeof *slots);
        if (!slots)
            return KILN_ENOMEM;
        p->slots = slots, p->nslots = ns;
        for (size_t i = 0; i < p->n; i++)
            p->slots[slot_of(p, p->v[i].m, p->v[i].id)] = i + 1;
    }
    return 0;
}

/* Adds a row reached as kind (a row already there is kept, but a SET NULL
   row that turns out to be deleted is dropped for the later way). */
static int plan_add(plan *p, const kiln_model *m, void *row, reach_kind kind,
                    const kiln_field *f, size_t root)
{
    int64_t id = *(const int64_t *)((const char *)row + m->fields[0].offset);
    size_t at = plan_find(p, m, id);
    if (at) {
        reach *old = &p->v[at - 1];
        if (old->kind != REACH_SETNULL || kind == REACH_SETNULL)
            return 0;
        old->kind = REACH_DROPPED;
        /* out of the index (rebuilt: its probe chains stay whole) */
        memset(p->slots, 0, p->nslots * sizeof *p->slots);
        for (size_t i = 0; i < p->n; i++)
            if (p->v[i].kind != REACH_DROPPED)
                p->slots[slot_of(p, p->v[i].m, p->v[i].id)] = i + 1;
    }
    if (p->n >= p->limit) {
        p->over = true;
        return 0;
    }
    int rc = plan_grow(p);
    if (rc)
        return rc;
    p->v[p->n] = (reach){m, id, row, f, root, kind};
    p->slots[slot_of(p, m, id)] = p->n + 1;
    p->n++;
    return 0;
}

/* Reads the rows of m whose column col is one of ids[0..n) (WHERE col IN:
   each row once, as m's struct) into *out. */
static int read_in(plan *p, const kiln_model *m, const char *col,
                   const int64_t *ids, size_t n, kiln_model_rows *out)
{
    kiln_arena *a = kiln_ctx_arena(p->c);
    kiln_db_param *ps = kiln_arena_alloc(a, n * sizeof *ps);
    if (!ps)
        return KILN_ENOMEM;
    kiln_buf sql;
    kiln_buf_init(&sql);
    kiln_buf_printf(&sql, "%s IN (", col);
    for (size_t i = 0; i < n; i++) {
        ps[i] = KILN_INT(ids[i]);
        kiln_buf_printf(&sql, "%s$%zu", i ? ", " : "", i + 1);
    }
    kiln_buf_putc(&sql, ')');
    char *where = kiln_arena_strndup(a, sql.p ? sql.p : "", sql.n);
    kiln_buf_deinit(&sql);
    if (!where)
        return KILN_ENOMEM;
    kiln_list_opts o = {.where = where,
                        .params = ps,
                        .nparams = n,
                        .ordering = "id",
                        .limit = (int64_t)(p->limit - p->n) + 1};
    return kiln_model_list(p->db, m, &o, out);
}

/* The rows referring through cm's field f to rows ids[0..n) of f->ref. */
static int plan_refs(plan *p, const kiln_model *cm, const kiln_field *f,
                     const int64_t *ids, size_t n)
{
    reach_kind kind = f->on_delete == KILN_ON_DELETE_CASCADE    ? REACH_CASCADE
                      : f->on_delete == KILN_ON_DELETE_SET_NULL ? REACH_SETNULL
                                                                : REACH_PROTECT;
    if (kind == REACH_SETNULL && !p->setnull)
        return 0;
    for (size_t k = 0; k < n && !p->over; k += IN_CHUNK) {
        size_t nk = n - k < IN_CHUNK ? n - k : IN_CHUNK;
        kiln_model_rows rows;
        int rc = read_in(p, cm, f->column, ids + k, nk, &rows);
        if (rc)
            return rc;
        for (size_t i = 0; i < rows.n && !p->over; i++) {
            void *row = (char *)rows.v + i * cm->size;
            int64_t to = *(const int64_t *)((const char *)row + f->offset);
            size_t from = plan_find(p, f->ref, to);
            size_t root = from ? p->v[from - 1].root : 0;
            if ((rc = plan_add(p, cm, row, kind, f, root)) != 0)
                return rc;
        }
    }
    return 0;
}

/*
 * The plan of a delete of ids[0..n) of m (rows that do not exist are left
 * out): the rows themselves, then level by level every row a ref reaches
 * from the rows deleted at the level before, at most limit in all (past
 * it p->over). One query per model and ref at each level (per IN_CHUNK
 * ids), plus one per many-to-many field of the rows read.
 */
static int plan_make(plan *p, const kiln_model *m, const int64_t *ids, size_t n)
{
    kiln_model_rows roots;
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < n && !p->over; k += IN_CHUNK) {
        size_t nk = n - k < IN_CHUNK ? n - k : IN_CHUNK;
        rc = read_in(p, m, "id", ids + k, nk, &roots);
        for (size_t i = 0; rc == 0 && i < roots.n; i++) {
            rc = plan_add(p, m, (char *)roots.v + i * m->size, REACH_ROOT, NULL,
                          p->n);
        }
    }
    kiln_arena *a = kiln_ctx_arena(p->c);
    const kiln_model *const *ms = admin_models();
    size_t lo = 0;
    while (rc == 0 && lo < p->n && !p->over) {
        size_t hi = p->n;
        /* the models of the rows deleted at this level (few) */
        const kiln_model **dm = kiln_arena_alloc(a, (hi - lo) * sizeof *dm);
        int64_t *pids = kiln_arena_alloc(a, (hi - lo) * sizeof *pids);
        if (!dm || !pids)
            return KILN_ENOMEM;
        size_t ndm = 0;
        for (size_t i = lo; i < hi; i++) {
            if (p->v[i].kind != REACH_ROOT && p->v[i].kind != REACH_CASCADE)
                continue;
            size_t j = 0;
            while (j < ndm && dm[j] != p->v[i].m)
                j++;
            if (j == ndm)
                dm[ndm++] = p->v[i].m;
        }
        for (size_t d = 0; rc == 0 && d < ndm; d++) {
            size_t np = 0;
            for (size_t j = lo; j < hi; j++)
                if (p->v[j].m == dm[d] && (p->v[j].kind == REACH_ROOT ||
                                           p->v[j].kind == REACH_CASCADE))
                    pids[np++] = p->v[j].id;
            for (size_t x = 0; rc == 0 && ms && ms[x] && !p->over; x++)
                for (uint32_t k = 0; rc == 0 && k < ms[x]->nfields; k++) {
                    const kiln_field *f = &ms[x]->fields[k];
                    if (f->type == KILN_FT_REF && f->column &&
                        (f->ref == dm[d] ||
                         (admin_is_user(f->ref) && admin_is_user(dm[d]))))
                        rc = plan_refs(p, ms[x], f, pids, np);
                }
        }
        lo = hi;
    }
    return rc;
}

/* ---- the confirmation page's lists --------------------------------------- */

static kiln_value row_value(kiln_ctx *c, const reach *r)
{
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value e = kiln_value_map(a);
    kiln_value_set(e, "model", kiln_value_cstr(admin_title(r->m->label, a)));
    kiln_value_set(e, "label",
                   kiln_value_cstr(admin_row_label(r->m, r->row, a)));
    kiln_value_set(e, "url",
                   admin_vprintf(c, "%s/%s/%lld/", admin_root(), r->m->name,
                                 (long long)r->id));
    return e;
}

/* Marks in hidden[] the rows of p reached through a ref whose model's row
   rule hides them (one query per such model). 0, 1 once a rule's hook
   has answered or failed (the page is answered), or an error. */
static int plan_hidden(plan *p, bool *hidden)
{
    kiln_arena *a = kiln_ctx_arena(p->c);
    int64_t *ids = kiln_arena_alloc(a, (p->n ? p->n : 1) * sizeof *ids);
    if (!ids)
        return KILN_ENOMEM;
    for (size_t i = 0; i < p->n; i++) {
        const kiln_model *mm = p->v[i].m;
        bool first = p->v[i].kind != REACH_ROOT;
        for (size_t j = 0; j < i && first; j++)
            if (p->v[j].m == mm && p->v[j].kind != REACH_ROOT)
                first = false;
        if (!first)
            continue;
        admin_rule r;
        int rc = admin_rule_of(p->c, mm, &r);
        if (rc != 0)
            return admin_rule_answer(p->c, rc), 1;
        if (!r.sql)
            continue;
        size_t n = 0;
        for (size_t j = i; j < p->n; j++)
            if (p->v[j].m == mm && p->v[j].kind != REACH_ROOT)
                ids[n++] = p->v[j].id;
        if ((rc = admin_rule_keep(p->c, p->db, mm, &r, ids, &n)) != 0)
            return rc;
        for (size_t j = i; j < p->n; j++) {
            if (p->v[j].m != mm || p->v[j].kind == REACH_ROOT)
                continue;
            hidden[j] = true;
            for (size_t k = 0; k < n && hidden[j]; k++)
                if (ids[k] == p->v[j].id)
                    hidden[j] = false;
        }
    }
    return 0;
}

/* Appends to list one entry per model of the rows of kind that hidden
   marks: "2 rows you may not see", without a link. */
static void hidden_rows(kiln_ctx *c, const plan *p, const bool *hidden,
                        reach_kind kind, kiln_value list)
{
    kiln_arena *a = kiln_ctx_arena(c);
    for (size_t i = 0; i < p->n; i++) {
        if (!hidden[i] || p->v[i].kind != kind)
            continue;
        bool first = true;
        for (size_t j = 0; j < i && first; j++)
            if (hidden[j] && p->v[j].kind == kind && p->v[j].m == p->v[i].m)
                first = false;
        if (!first)
            continue;
        size_t n = 0;
        for (size_t j = i; j < p->n; j++)
            n += hidden[j] && p->v[j].kind == kind && p->v[j].m == p->v[i].m;
        kiln_value e = kiln_value_map(a);
        kiln_value_set(e, "model",
                       kiln_value_cstr(admin_title(p->v[i].m->label, a)));
        kiln_value_set(e, "label",
                       admin_vprintf(c, "%zu %s you may not see", n,
                                     n == 1 ? "row" : "rows"));
        kiln_value_set(e, "url", kiln_value_null());
        kiln_value_push(list, e);
    }
}

int admin_cascade(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                  const int64_t *ids, size_t n, kiln_value *out,
                  kiln_value *protected_rows)
{
    kiln_arena *a = kiln_ctx_arena(c);
    plan p = {.c = c, .db = db, .limit = CASCADE_MAX};
    int rc = plan_make(&p, m, ids, n);
    bool *hidden = kiln_arena_calloc(a, (p.n ? p.n : 1) * sizeof *hidden);
    if (rc == 0 && !hidden)
        rc = KILN_ENOMEM;
    if (rc == 0 && (rc = plan_hidden(&p, hidden)) > 0)
        return 1;
    *out = kiln_value_list(a);
    *protected_rows = kiln_value_list(a);
    for (size_t i = 0; rc == 0 && i < p.n; i++) {
        if (hidden[i])
            continue;
        if (p.v[i].kind == REACH_PROTECT)
            kiln_value_push(*protected_rows, row_value(c, &p.v[i]));
        else if (p.v[i].kind == REACH_ROOT || p.v[i].kind == REACH_CASCADE)
            kiln_value_push(*out, row_value(c, &p.v[i]));
    }
    if (rc == 0) {
        hidden_rows(c, &p, hidden, REACH_CASCADE, *out);
        hidden_rows(c, &p, hidden, REACH_PROTECT, *protected_rows);
    }
    return rc;
}

/* ---- the delete ---------------------------------------------------------- */

/* Why a delete did not happen: set by delete_plan, shown on the page. */
typedef struct refusal {
    const char *text; /* NULL: none (errs may hold a hook's) */
    bool protect;     /* rows refuse it (on_delete = "restrict") */
} refusal;

/*
 * Deletes ids[0..n) of m and every row the delete cascades to, in the
 * caller's transaction: each such row's before_delete hook (the API's,
 * kiln/api.h; any refusal stops everything), an audit entry per row (a
 * cascaded one says so in its via; a row whose ref is set to NULL gets a
 * change entry), the deletes (the database cascades), then each row's
 * after_delete hook. *done: the rows of ids deleted. Returns 0, 1 (a hook
 * answered, or refused: errs or *why says why), or a negative error.
 */
static int delete_plan(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                       const int64_t *ids, size_t n, kiln_errors *errs,
                       refusal *why, size_t *done)
{
    kiln_arena *a = kiln_ctx_arena(c);
    plan p = {.c = c, .db = db, .limit = DELETE_MAX, .setnull = true};
    int rc = plan_make(&p, m, ids, n);
    *done = 0;
    if (rc)
        return rc;
    if (p.over) {
        why->text = kiln_arena_printf(
            a, "This delete reaches more than %d rows; delete fewer at once.",
            DELETE_MAX);
        return 1;
    }
    for (size_t i = 0; i < p.n; i++)
        if (p.v[i].kind == REACH_PROTECT) {
            why->protect = true;
            return 1;
        }
    /* every before_delete first: one refusal and nothing is deleted */
    for (size_t i = 0; i < p.n; i++) {
        reach *r = &p.v[i];
        if (r->kind != REACH_ROOT && r->kind != REACH_CASCADE)
            continue;
        const kiln_api_hooks *h = kiln_api_hooks_of(r->m->name);
        if (h && h->before_delete) {
            kiln_errors mine;
            kiln_errors_init(&mine, a);
            rc = h->before_delete(c, db, r->row, &mine);
            for (size_t k = 0; k < mine.n; k++) /* saying whose */
                kiln_errors_add(errs, mine.items[k].pointer, mine.items[k].code,
                                "%s \"%s\": %s", admin_title(r->m->label, a),
                                admin_row_label(r->m, r->row, a),
                                mine.items[k].detail);
            if (rc || kiln_errors_any(&mine))
                return rc < 0 ? rc : 1;
        }
    }
    for (size_t i = 0; i < p.n; i++) {
        reach *r = &p.v[i];
        if (r->kind == REACH_ROOT) {
            rc = admin_audit(c, db, r->m, r->id, 2, r->row, NULL);
        } else if (r->kind == REACH_CASCADE) {
            const reach *root = &p.v[r->root];
            char *via = kiln_arena_printf(a, "admin: cascade from %s %lld",
                                          root->m->name, (long long)root->id);
            rc = via ? admin_audit_via(c, db, r->m, r->id, 2, r->row, NULL, via)
                     : KILN_ENOMEM;
        } else if (r->kind == REACH_SETNULL) {
            void *after = kiln_arena_alloc(a, r->m->size);
            if (!after)
                return KILN_ENOMEM;
            memcpy(after, r->row, r->m->size);
            *(int64_t *)((char *)after + r->f->offset) = 0;
            model_set_null(r->f, after, true);
            const reach *root = &p.v[r->root];
            char *via = kiln_arena_printf(a, "admin: set null by %s %lld",
                                          root->m->name, (long long)root->id);
            rc =
                via ? admin_audit_via(c, db, r->m, r->id, 1, r->row, after, via)
                    : KILN_ENOMEM;
        }
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < p.n; i++) {
        if (p.v[i].kind != REACH_ROOT)
            continue;
        rc = kiln_model_delete(db, m, p.v[i].id);
        if (rc == KILN_ENOTFOUND)
            continue; /* gone with an earlier one's cascade */
        if (rc == 0)
            rc = admin_user_deleted(db, m, p.v[i].id);
        if (rc)
            return rc;
        (*done)++;
    }
    for (size_t i = 0; i < p.n; i++) {
        reach *r = &p.v[i];
        if (r->kind != REACH_ROOT && r->kind != REACH_CASCADE)
            continue;
        const kiln_api_hooks *h = kiln_api_hooks_of(r->m->name);
        if (h && h->after_delete) {
            rc = h->after_delete(c, db, r->row, errs);
            if (rc || kiln_errors_any(errs))
                return rc < 0 ? rc : 1;
        }
    }
    return 0;
}

int admin_delete_row(kiln_ctx *c, kiln_dbc *db, const kiln_model *m, int64_t id,
                     kiln_errors *errs)
{
    refusal why = {0};
    size_t done = 0;
    int rc = delete_plan(c, db, m, &id, 1, errs, &why, &done);
    if (rc == 1 && (why.text || why.protect) && !kiln_errors_any(errs))
        kiln_errors_add(errs, "", why.protect ? "protected" : "too_many", "%s",
                        why.text ? why.text : "Other rows still refer to it.");
    if (rc == 0 && !done)
        return KILN_ENOTFOUND;
    return rc;
}

/* Adds an error message (level "error") to the page's messages. */
static void page_error(kiln_ctx *c, kiln_value ctx, const char *text)
{
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value msgs;
    if (!text || !kiln_value_get(ctx, KILN_STR("messages"), a, &msgs) ||
        msgs.type != KILN_VALUE_LIST)
        return;
    kiln_value e = kiln_value_map(a);
    kiln_value_set(e, "level", kiln_value_cstr("error"));
    kiln_value_set(e, "text", kiln_value_cstr(text));
    kiln_value_push(msgs, e);
}

/* The confirmation page for ids of m (answered with status), saying why a
   delete did not happen (errs, note: may be NULL) and that hidden rows of
   the selection were left out. */
static int confirm_page(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                        const int64_t *ids, size_t n, bool bulk, int status,
                        const kiln_errors *errs, const char *note,
                        size_t hidden)
{
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value rows, prot;
    int rc = admin_cascade(c, db, m, ids, n, &rows, &prot);
    if (rc == 1 || kiln_responded(c))
        return 0; /* a row rule answered */
    if (rc != 0)
        return kiln_db_fail(c, db);
    kiln_value ctx = admin_context(c, "Are you sure?");
    if (ctx.type == KILN_VALUE_NULL)
        return KILN_ENOMEM;
    if (hidden)
        page_error(c, ctx,
                   kiln_arena_printf(a,
                                     "%zu of the selected rows %s left out: "
                                     "%s not exist or you may not see %s.",
                                     hidden, hidden == 1 ? "was" : "were",
                                     hidden == 1 ? "it does" : "they do",
                                     hidden == 1 ? "it" : "them"));
    if (errs && kiln_errors_any(errs)) {
        page_error(c, ctx, "Nothing was deleted:");
        for (size_t i = 0; i < errs->n; i++)
            page_error(c, ctx, errs->items[i].detail);
    }
    if (note)
        page_error(c, ctx, note);
    kiln_value_set(ctx, "model", admin_model_value(c, m));
    kiln_value_set(ctx, "rows", rows);
    kiln_value_set(ctx, "protected", prot);
    kiln_value_set(ctx, "bulk", kiln_value_bool(bulk));
    kiln_value sel = kiln_value_list(a);
    for (size_t i = 0; i < n; i++)
        kiln_value_push(sel, kiln_value_int(ids[i]));
    kiln_value_set(ctx, "selected", sel);
    kiln_value_set(ctx, "form_action",
                   bulk
                       ? admin_vprintf(c, "%s/%s/action", admin_root(), m->name)
                       : admin_vprintf(c, "%s/%s/%lld/delete", admin_root(),
                                       m->name, (long long)ids[0]));
    return admin_render(c, status, "delete.html", ctx);
}

/* Deletes ids of m (those the row rule shows) in one transaction with
   every row it cascades to; answers (a redirect to the list with a
   message, or the confirmation page saying what refused). hidden: rows of
   the selection the rule left out. */
static int delete_rows(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                       const int64_t *ids, size_t n, bool bulk, size_t hidden)
{
    kiln_errors errs;
    kiln_errors_init(&errs, kiln_ctx_arena(c));
    refusal why = {0};
    size_t done = 0;
    int rc = kiln_db_begin(db);
    if (rc == 0)
        rc = delete_plan(c, db, m, ids, n, &errs, &why, &done);
    if (rc != 0) {
        kiln_db_rollback(db);
        if (kiln_responded(c))
            return 0;
        if (rc == 1)
            return confirm_page(c, db, m, ids, n, bulk, why.protect ? 409 : 422,
                                &errs, why.text, hidden);
        return kiln_model_fail(c, db, m, rc);
    }
    if (kiln_db_commit(db) != 0)
        return kiln_db_fail(c, db);
    admin_user_forget(m, ids, n);
    if (hidden)
        kiln_flash(c, "success",
                   "Deleted %zu %s; %zu selected %s left out (not found).",
                   done, done == 1 ? m->label : m->label_plural, hidden,
                   hidden == 1 ? "row was" : "rows were");
    else
        kiln_flash(c, "success", "Deleted %zu %s.", done,
                   done == 1 ? m->label : m->label_plural);
    char to[256];
    snprintf(to, sizeof to, "%s/%s/", admin_root(), m->name);
    return kiln_redirect(c, 303, to);
}

int admin_delete(kiln_ctx *c)
{
    bool post = kiln_str_eq(kiln_method(c), KILN_STR("POST"));
    const kiln_model *m = admin_route_model(c, ADMIN_DELETE);
    if (!m)
        return 0;
    int64_t id = admin_route_id(c);
    if (!id)
        return 0;
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return kiln_problem(c, 503, "The database is not available.");
    /* a row the model's row rule hides is a 404, as one that is gone */
    admin_rule r;
    int rc = admin_rule_of(c, m, &r);
    if (rc != 0)
        return admin_rule_answer(c, rc);
    size_t n = 1;
    if ((rc = admin_rule_keep(c, db, m, &r, &id, &n)) != 0)
        return kiln_db_fail(c, db);
    if (!n)
        return kiln_problem(c, 404, "the %s does not exist", m->label);
    if (admin_user_refuse_delete(c, db, m, &id, 1))
        return 0;
    if (!post) {
        void *row = kiln_arena_calloc(kiln_ctx_arena(c), m->size ? m->size : 1);
        rc = row ? kiln_model_get(db, m, id, row) : KILN_ENOMEM;
        if (rc)
            return kiln_model_fail(c, db, m, rc);
        return confirm_page(c, db, m, &id, 1, false, 200, NULL, NULL, 0);
    }
    return delete_rows(c, db, m, &id, 1, false, 0);
}

int admin_action(kiln_ctx *c)
{
    const kiln_model *m = admin_route_model(c, ADMIN_VIEW);
    if (!m)
        return 0;
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return kiln_problem(c, 503, "The database is not available.");
    kiln_str action = kiln_form(c, "action");
    kiln_str vals[SELECT_MAX];
    size_t nv = kiln_form_values(c, "_selected", vals, SELECT_MAX);
    int64_t *ids = kiln_alloc(c, (nv ? nv : 1) * sizeof *ids);
    size_t n = 0;
    for (size_t i = 0; ids && i < nv && i < SELECT_MAX; i++) {
        int64_t id;
        if (kiln_str_to_i64(vals[i], &id) == 0 && id > 0)
            ids[n++] = id;
    }
    char back[256];
    snprintf(back, sizeof back, "%s/%s/", admin_root(), m->name);
    if (!n) {
        kiln_flash(c, "warning", "Select some rows first.");
        return kiln_redirect(c, 303, back);
    }
    /* the permission first, then the rows the model's row rule hides are
       left out, and said to be */
    bool del = kiln_str_eq(action, KILN_STR("delete"));
    const kiln_admin_action *x = NULL;
    if (del) {
        if (!admin_can(c, m, ADMIN_DELETE))
            return admin_denied(c, "You may not delete these rows.");
    } else {
        x = admin_actions_of(m->name);
        while (x && !(strcmp(x->model, m->name) == 0 &&
                      kiln_str_eq(kiln_str_c(x->name), action)))
            x = x->next;
        if (!x)
            return kiln_problem(c, 400, "No such action.");
        if (!admin_can(c, m, ADMIN_CHANGE))
            return admin_denied(c, "You may not change these rows.");
    }
    admin_rule r;
    int rc = admin_rule_of(c, m, &r);
    if (rc != 0)
        return admin_rule_answer(c, rc);
    size_t sent = n;
    if (admin_rule_keep(c, db, m, &r, ids, &n) != 0)
        return kiln_db_fail(c, db);
    size_t hidden = sent - n;
    if (!n) {
        kiln_flash(c, "warning",
                   "None of the selected rows was found; nothing was done.");
        return kiln_redirect(c, 303, back);
    }
    if (del) {
        if (admin_user_refuse_delete(c, db, m, ids, n))
            return 0;
        if (kiln_str_eq(kiln_form(c, "confirm"), KILN_STR("yes")))
            return delete_rows(c, db, m, ids, n, true, hidden);
        return confirm_page(c, db, m, ids, n, true, 200, NULL, NULL, hidden);
    }
    rc = kiln_db_begin(db);
    if (rc == 0)
        rc = x->fn(c, db, ids, n);
    if (rc != 0) {
        kiln_db_rollback(db);
        if (kiln_responded(c))
            return 0;
        return rc >= 400 && rc < 600
                   ? kiln_problem(c, rc, "The action %s failed.", x->name)
                   : kiln_problem(c, 500, "The action %s failed.", x->name);
    }
    if (kiln_db_commit(db) != 0)
        return kiln_db_fail(c, db);
    if (kiln_responded(c))
        return 0;
    kiln_flash(c, "success", "%s: done for %zu %s.", x->label, n,
               n == 1 ? m->label : m->label_plural);
    return kiln_redirect(c, 303, back);
}
