/*
 * admin/admin_impl.h - the admin's parts (docs/admin.md): a back office
 * made at run time from the same model descriptions every other output
 * walks (kiln/schema.h), rendered with Kiln's templates (autoescaped).
 *
 *   mount.c      routes under admin.path, the staff gate, permissions,
 *                the template set (embedded, overridable) and static files
 *   query.c      a change list's query string into an admin_query (pure:
 *                unit-tested and fuzzed)
 *   csv.c        CSV cells with formulas neutralised (pure)
 *   text.c       a field's value as display text, a row's label
 *   dashboard.c  GET /admin/
 *   list.c       the change list and its CSV export
 *   form.c       add and change forms, widgets, inlines
 *   delete.c     cascades, the delete page, bulk actions
 *   json.c       autocomplete and the command palette's search
 *   history.c    an object's audit entries
 *   rules.c      a model's row-level rule (the API's query hook)
 *   actions.c    the app's actions (KILN_ADMIN_ACTION)
 *   users.c      Kiln's user: its admin model, the rules on staff,
 *                superuser and oneself, passwords, sessions on delete
 *
 * Memory: everything a request builds lives in its arena; what mount.c
 * sets up before serving is kept for the process's life and read-only
 * while serving.
 */
#ifndef KILN_ADMIN_IMPL_H
#define KILN_ADMIN_IMPL_H

#include <kiln.h>
#include <kiln/admin.h>

#include "http/url.h"

/* ---- query.c (pure) -------------------------------------------------- */

/** Most filters, ordering keys of one list request. */
#define ADMIN_MAX_FILTERS 16
#define ADMIN_MAX_ORDER 4

/** A filter's comparison. */
typedef enum admin_op {
    ADMIN_EQ,    /**< f.NAME=V */
    ADMIN_GTE,   /**< f.NAME.gte=V */
    ADMIN_LTE,   /**< f.NAME.lte=V */
    ADMIN_ISNULL /**< f.NAME.isnull=1|0 (value "1" or "0") */
} admin_op;

/** One filter of a list request: a field of the model's [admin] filters. */
typedef struct admin_filter {
    const kiln_field *f;
    admin_op op;
    kiln_str value; /**< as sent (views the query's memory) */
} admin_filter;

/** One ordering key: a field with a column. */
typedef struct admin_order {
    const kiln_field *f;
    bool desc;
} admin_order;

struct admin_rule;

/** A change list's query string, parsed. */
typedef struct admin_query {
    kiln_str q; /**< the search text, trimmed (p NULL: none) */
    admin_filter filters[ADMIN_MAX_FILTERS];
    size_t nfilters;
    admin_order order[ADMIN_MAX_ORDER]; /**< o=; none: the default */
    size_t norder;
    int64_t page;         /**< p, 1-based (1 when absent or bad) */
    int64_t per_page;     /**< n: 20, 50, 100 or 200; else the model's */
    int year, month, day; /**< y, m, d of the date hierarchy (0: none) */
    /** the model's row rule, set by list.c after parsing (NULL: none) */
    const struct admin_rule *rule;
} admin_query;

/**
 * Parses the n query pairs kv of model m's change list into *q. Lenient,
 * as a page must be: a parameter that names no filter of m's [admin]
 * table, an unsortable field, a bad page number or page size is ignored
 * (the page shows without it); the search text and filter values are kept
 * as text (list.c parses them by field type). Pure: no allocation.
 */
void admin_query_parse(const kiln_model *m, const http_kv *kv, size_t n,
                       admin_query *q);

/**
 * Appends q as a query string (without '?'), leaving out what except
 * names ("p", "o", "f.status"...; NULL: nothing), so a link can change one
 * part. Values are percent-encoded. Returns 0 or KILN_ENOMEM.
 */
int admin_query_format(const admin_query *q, const char *except, kiln_buf *b);

/** The filter of q on field name with op, or NULL. */
const admin_filter *admin_query_filter(const admin_query *q, const char *name,
                                       admin_op op);

/* ---- csv.c (pure) ---------------------------------------------------- */

/**
 * Appends s as one CSV cell (RFC 4180): quoted when it holds a comma, a
 * quote, CR or LF (quotes doubled); a cell starting with = + - @ TAB or CR
 * gets a leading ' so that a spreadsheet never runs it as a formula.
 * Returns 0 or KILN_ENOMEM.
 */
int admin_csv_cell(kiln_buf *b, kiln_str s);

/* ---- text.c ---------------------------------------------------------- */

/**
 * The value of f in obj as display text, in a: "" for NULL, "true" or
 * "false", dates and datetimes as ISO text, enums by name, a ref's id,
 * many ids comma-separated. Never NULL (out of memory: "").
 */
const char *admin_field_text(const kiln_field *f, const void *obj,
                             kiln_arena *a);

/** The text of column i of r's current row (any type), in a; "" for
    NULL. */
const char *admin_cell_text(kiln_rows *r, int i, kiln_arena *a);

/** A row's label: its first string field's value, else "LABEL #ID". */
const char *admin_row_label(const kiln_model *m, const void *obj,
                            kiln_arena *a);

/** The first string field of m (a row's label), or NULL. */
const kiln_field *admin_label_field(const kiln_model *m);

/** Capitalised s ("due date" -> "Due date"), in a. */
const char *admin_title(const char *s, kiln_arena *a);

/* ---- mount.c --------------------------------------------------------- */

/** The admin's permission actions. */
typedef enum admin_perm {
    ADMIN_VIEW,
    ADMIN_ADD,
    ADMIN_CHANGE,
    ADMIN_DELETE
} admin_perm;

/** The mount point ("/admin"), set by admin_mount. */
const char *admin_root(void);

/** admin.count_threshold: past it a list is not counted. */
int64_t admin_threshold(void);

/** The models the admin shows (every app model), NULL-terminated. */
const kiln_model *const *admin_models(void);

/** The model called name[0..n), or NULL. */
const kiln_model *admin_model_named(kiln_str name);

/** True when the request's user holds m's permission p. */
bool admin_can(kiln_ctx *c, const kiln_model *m, admin_perm p);

/**
 * The gate of every admin route: 0 when a staff user asks; otherwise it
 * has answered (anonymous: 303 to /login?next=...; not staff: 403 page)
 * and returns 1. Negative on a failure to answer.
 */
int admin_gate(kiln_ctx *c);

/**
 * The model of the route's {model} segment for which the user holds p:
 * NULL once answered (404 for no such model, 403 without p).
 */
const kiln_model *admin_route_model(kiln_ctx *c, admin_perm p);

/**
 * A map with what every page shows (admin_root, user, the models the user
 * may view, title), in c's arena; null value when out of memory.
 */
kiln_value admin_context(kiln_ctx *c, const char *title);

/** The pages' "model": {name, label, label_plural} of m, in c's arena. */
kiln_value admin_model_value(kiln_ctx *c, const kiln_model *m);

/**
 * Answers template name ("change_list.html") rendered with ctx, with
 * status. Returns what the answer returns.
 */
int admin_render(kiln_ctx *c, int status, const char *name, kiln_value ctx);

/** Answers 403 with the admin's "denied" page and detail. */
int admin_denied(kiln_ctx *c, const char *detail);

/** The id of the route's {id} segment, or 0 once a 404 is answered. */
int64_t admin_route_id(kiln_ctx *c);

/** A kiln_value string of a printf, in c's arena. */
kiln_value admin_vprintf(kiln_ctx *c, const char *fmt, ...) KILN_PRINTF(2, 3);

/* ---- the pages --------------------------------------------------------- */

int admin_dashboard(kiln_ctx *c);
int admin_list(kiln_ctx *c);
int admin_export(kiln_ctx *c);
int admin_action(kiln_ctx *c);
int admin_add(kiln_ctx *c);
int admin_change(kiln_ctx *c);
int admin_delete(kiln_ctx *c);
int admin_history(kiln_ctx *c);
int admin_autocomplete(kiln_ctx *c);
int admin_search(kiln_ctx *c);

/* ---- delete.c ---------------------------------------------------------- */

/**
 * Deletes row id of m and every row the delete cascades to, in the
 * caller's transaction, as the delete page does: every such row's
 * before_delete hook, an audit entry per row, the delete, every
 * after_delete hook. Returns 0, 1 (a hook answered or refused, or rows
 * refuse it: errs then holds why), KILN_ENOTFOUND or a negative error.
 */
int admin_delete_row(kiln_ctx *c, kiln_dbc *db, const kiln_model *m, int64_t id,
                     kiln_errors *errs);

/**
 * Lists into *out (a template list of {model, label, url}) the rows ids
 * of m are and every row a delete of them cascades to (level by level over
 * the refs with on_delete = cascade), at most 200 in all; *protected gets
 * the rows that refuse the delete (on_delete = restrict). A reached row
 * its model's row rule hides is only counted ({model, label: "2 rows you
 * may not see", url: null}). 0, 1 once a row rule answered (the page is
 * answered), or an error.
 */
int admin_cascade(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                  const int64_t *ids, size_t n, kiln_value *out,
                  kiln_value *protected_rows);

/* ---- history.c --------------------------------------------------------- */

/**
 * Records an audit entry for a write through the admin (kiln_audit_record
 * when the audit log is built in; else nothing). Returns 0 or an error.
 */
int admin_audit(kiln_ctx *c, kiln_dbc *db, const kiln_model *m, int64_t id,
                int action, const void *before, const void *after);

/** admin_audit with the entry's via (action 0 add, 1 change, 2 delete;
    via: "admin", or what says more, "admin: cascade from task 3"). */
int admin_audit_via(kiln_ctx *c, kiln_dbc *db, const kiln_model *m, int64_t id,
                    int action, const void *before, const void *after,
                    const char *via);

/** The recent entries for the dashboard (a template list), or an empty
    list when there is no audit log. */
kiln_value admin_recent(kiln_ctx *c, kiln_dbc *db, long limit);

/* ---- rules.c --------------------------------------------------------- */

/** A model's row rule: the condition its API query hook gave for this
    request (kiln/api.h). Strings live as long as the request. */
typedef struct admin_rule {
    const char *sql; /**< over the model's columns, $1..$nparams; NULL:
                          every row */
    kiln_db_param params[8];
    size_t nparams;
} admin_rule;

/**
 * Asks m's query hook (if any) for its condition into *r (zero-filled
 * first; r->sql NULL: no condition). Returns 0, 1 once the hook has
 * answered the request, or the hook's negative error.
 */
int admin_rule_of(kiln_ctx *c, const kiln_model *m, admin_rule *r);

/**
 * Appends r's condition to sql, parenthesised, its $k renumbered after
 * the *np parameters already in ps, and its parameters to ps (*np grows;
 * cap: ps's room). correlated: as EXISTS over a row of m's table with the
 * same id, for a statement that joins other tables (an unqualified column
 * of the condition then cannot be ambiguous). Nothing when r or r->sql is
 * NULL. Returns 0 or KILN_EINVAL (no room: nothing appended).
 */
int admin_rule_sql(const admin_rule *r, const kiln_model *m, bool correlated,
                   kiln_buf *sql, kiln_db_param *ps, size_t *np, size_t cap);

/**
 * Reads row id of m into out (m->size bytes) when r shows it. Returns 0,
 * KILN_ENOTFOUND (no such row, or a row r hides: the same 404), or a
 * negative error. Many-to-many fields are read too; strings live in the
 * connection's arena.
 */
int admin_rule_get(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                   const admin_rule *r, int64_t id, void *out);

/**
 * Keeps of ids[0..*n) those r shows (in their order; *n shrinks). One
 * query; none when r has no condition. Returns 0 or a negative error.
 */
int admin_rule_keep(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                    const admin_rule *r, int64_t *ids, size_t *n);

/**
 * What a page answers once admin_rule_of returned rc (1 or negative): 0
 * when the hook has answered, else a 500 (through kiln_problem: a page
 * for a browser, problem+json otherwise).
 */
int admin_rule_answer(kiln_ctx *c, int rc);

/* ---- actions.c --------------------------------------------------------- */

/** The actions registered for model (a NULL-terminated walk: next). */
const kiln_admin_action *admin_actions_of(const char *model);

/* ---- users.c ----------------------------------------------------------- */

/** True when m is Kiln's user model (kiln.user or an extension of it). */
bool admin_is_user(const kiln_model *m);

/**
 * The model the admin shows for user model m: a copy whose Kiln fields
 * username, email, name, active, staff and superuser are writable,
 * created stamped at the insert, with m's [admin] table (its group
 * "Authentication" when it names none) or, without one, the list's
 * defaults. One malloc'd block, freed by admin_user_model_free; m must
 * outlive it (the fields' strings are m's). NULL when out of memory.
 */
const kiln_model *admin_user_model(const kiln_model *m);

/** Frees what admin_user_model returned. */
void admin_user_model_free(const kiln_model *m);

/** True when the request's user may not write field f of m (staff and
    superuser of the user model, for a user who is not a superuser). */
bool admin_user_locked(kiln_ctx *c, const kiln_model *m, const kiln_field *f);

/**
 * Before a user form's write (m not the user model: nothing): adds to errs
 * a non-superuser's change of staff or superuser (as sent, form read-only
 * or not) or of a superuser's account, and the user's removal of their own
 * superuser or staff flag or their own deactivation; on an add, checks
 * password1 and password2 against each other and the password policy and,
 * when errs is still empty, sets *hash to their argon2id hash (computed off
 * the worker's loop; c's arena) or to "" (both empty: no usable password).
 * before: the row before (NULL: an add); obj: the row to write. Returns 0
 * or an error (hashing failed, KILN_ENOMEM).
 */
int admin_user_presave(kiln_ctx *c, const kiln_model *m, int64_t id,
                       const void *before, const void *obj,
                       const kiln_form_field *ff, size_t nff, kiln_errors *errs,
                       const char **hash);

/** In the write's transaction: stores hash (admin_user_presave's) for
    user id when it is not NULL or "". 0 or a database error. */
int admin_user_saved(kiln_dbc *db, const kiln_model *m, int64_t id,
                     const char *hash);

/** After the write committed: drops user id's cached credentials. */
void admin_user_committed(const kiln_model *m, int64_t id);

/**
 * Adds the user form's own fieldset to sets: two password inputs on the
 * add form (id 0); the user's roles (read-only) and whether it has a
 * usable password on the change form, whose ctx gets password_url.
 */
void admin_user_form(kiln_ctx *c, kiln_dbc *db, const kiln_model *m, int64_t id,
                     const kiln_errors *errs, kiln_value ctx, kiln_value sets);

/** True when an error at pointer is shown beside admin_user_form's
    inputs (not again above the form). */
bool admin_user_error_shown(const kiln_model *m, const char *pointer);

/**
 * Before a delete of ids of m: answers a 403 page and returns 1 when one
 * is the request's own user, or a superuser and the request's user is
 * not; 0 otherwise (m not the user model: 0).
 */
int admin_user_refuse_delete(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                             const int64_t *ids, size_t n);

/** In a delete's transaction: ends user id's sessions (m the user model;
    its tokens and roles go by ON DELETE CASCADE). 0 or a database error. */
int admin_user_deleted(kiln_dbc *db, const kiln_model *m, int64_t id);

/** After a delete committed: drops the cached credentials of ids. */
void admin_user_forget(const kiln_model *m, const int64_t *ids, size_t n);

/** GET|POST /admin/user/ID/password: the "Set password" page. */
int admin_user_password(kiln_ctx *c);

#endif
