/*
 * admin/users.c - Kiln's user (kiln.user, table kiln_user, or the app's
 * models/user.toml with extends = "kiln.user") in the admin (docs/admin.md,
 * "Users"), with what a user is more than a row:
 *
 *   - the model the admin shows is a copy of the user model whose Kiln
 *     fields username, email, name, active, staff and superuser are
 *     writable (they are read-only to the API and the app's forms), with
 *     created stamped at the insert, and list defaults when the model file
 *     has no [admin] table; the password hash is not a field of it, so no
 *     page, list, export or audit entry can show it;
 *   - only a superuser writes staff and superuser; nobody removes their
 *     own staff or superuser flag, deactivates or deletes themselves; a
 *     non-superuser changes, deletes or sets the password of no superuser;
 *   - the add form takes a password twice (the [auth] password policy,
 *     hashed off the worker's loop as the API's create does) or none (no
 *     usable password);
 *   - GET|POST /admin/user/ID/password sets a password: every other
 *     session of the user is ended in the same transaction and the audit
 *     log records a change of "password" with the value redacted;
 *   - a write or delete drops the user's cached credentials once it
 *     committed (kiln_auth_forget_user); a delete ends the user's
 *     sessions in its transaction, as the API's does.
 *
 * form.c and delete.c call the hooks below for the user model only.
 */
#include "admin/admin_impl.h"
#include "auth/auth_impl.h"
#include "auth/user.h"
#include "auth/user_api.h"

#include <kiln/audit.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The list's defaults when the user model's file has no [admin] table. */
static const char *const u_list[] = {
    "username", "email", "name", "active", "staff", "superuser", "last_login"};
static const char *const u_search[] = {"username", "email", "name"};
static const char *const u_filters[] = {"active", "staff", "superuser"};
static const char *const u_ordering[] = {"username"};
#define N(a) ((uint32_t)(sizeof(a) / sizeof(a)[0]))
#define GROUP "Authentication"

/* What admin_user_model allocates, in one block: the model, its [admin]
   table and its fields. */
typedef struct user_copy {
    kiln_model m;
    kiln_model_admin admin;
    kiln_field fields[];
} user_copy;

bool admin_is_user(const kiln_model *m)
{
    return m && (m->flags & KILN_MF_BUILTIN) && strcmp(m->name, "user") == 0;
}

static bool kiln_writable(const char *name)
{
    static const char *const w[] = {"username", "email", "name",
                                    "active",   "staff", "superuser"};
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        if (strcmp(w[i], name) == 0)
            return true;
    return false;
}

const kiln_model *admin_user_model(const kiln_model *m)
{
    user_copy *u =
        calloc(1, sizeof *u + (size_t)m->nfields * sizeof(kiln_field));
    if (!u)
        return NULL;
    u->m = *m;
    memcpy(u->fields, m->fields, (size_t)m->nfields * sizeof(kiln_field));
    for (uint32_t i = 0; i < m->nfields; i++) {
        kiln_field *f = &u->fields[i];
        /* no field of the app's may take a name of Kiln's column
           (model/builtin.c): the app's keep their own flags */
        if (kiln_writable(f->name))
            f->flags &= (uint16_t)~KILN_FF_READ_ONLY;
        if (strcmp(f->name, "email") == 0)
            f->type = KILN_FT_EMAIL; /* checked as the API's create does */
        else if (strcmp(f->name, "created") == 0)
            f->flags |= KILN_FF_AUTO_CREATED;
    }
    u->m.fields = u->fields;
    if (m->admin) {
        u->admin = *m->admin; /* the app's [admin], as written */
    } else {
        u->admin = (kiln_model_admin){
            .list = u_list,
            .nlist = N(u_list),
            .filters = u_filters,
            .nfilters = N(u_filters),
            .search = u_search,
            .nsearch = N(u_search),
            .ordering = u_ordering,
            .nordering = N(u_ordering),
            .list_per_page = 50,
        };
    }
    if (!u->admin.group)
        u->admin.group = GROUP;
    u->m.admin = &u->admin;
    return &u->m;
}

void admin_user_model_free(const kiln_model *m)
{
    free((void *)m); /* the block starts with the model */
}

/* ---- reading a row ------------------------------------------------------ */

static const kiln_field *field_named(const kiln_model *m, const char *name)
{
    int i = kiln_model_field(m, kiln_str_c(name));
    return i < 0 ? NULL : &m->fields[i];
}

static bool bool_of(const kiln_model *m, const void *obj, const char *name)
{
    const kiln_field *f = field_named(m, name);
    return f && f->type == KILN_FT_BOOL &&
           *(const bool *)((const char *)obj + f->offset);
}

/* The text of string field name of obj ("" when NULL or absent), in a. */
static const char *text_of(const kiln_model *m, const void *obj,
                           const char *name, kiln_arena *a)
{
    const kiln_field *f = field_named(m, name);
    return f && obj ? admin_field_text(f, obj, a) : "";
}

static bool me_super(kiln_ctx *c)
{
    const kiln_user *me = kiln_user_current(c);
    return me && me->superuser;
}

static int64_t me_id(kiln_ctx *c)
{
    const kiln_user *me = kiln_user_current(c);
    return me ? me->id : 0;
}

bool admin_user_locked(kiln_ctx *c, const kiln_model *m, const kiln_field *f)
{
    return admin_is_user(m) &&
           (strcmp(f->name, "staff") == 0 ||
            strcmp(f->name, "superuser") == 0) &&
           !me_super(c);
}

/* The first value named name in ff, or NULL. */
static const kiln_form_field *sent(const kiln_form_field *ff, size_t n,
                                   const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (kiln_str_eq(ff[i].name, kiln_str_c(name)))
            return &ff[i];
    return NULL;
}

/* A checkbox's value as the decoder reads a bool. */
static bool sent_true(kiln_str v)
{
    return kiln_str_eq(v, KILN_STR("true")) || kiln_str_eq(v, KILN_STR("on")) ||
           kiln_str_eq(v, KILN_STR("1")) || kiln_str_eq(v, KILN_STR("yes"));
}

/* ---- passwords ---------------------------------------------------------- */

/* Checks the two passwords named p1 and p2 of a form against each other
   and the policy (errors at /p1, /p2); when they pass, *hash is the
   argon2id hash (c's arena; "" when both are empty and empty is
   allowed). Returns 0 (errs may have grown) or an error. */
static int new_password(kiln_ctx *c, const kiln_form_field *ff, size_t nff,
                        const char *username, const char *email,
                        bool allow_empty, kiln_errors *errs, const char **hash)
{
    const kiln_form_field *a = sent(ff, nff, "password1");
    const kiln_form_field *b = sent(ff, nff, "password2");
    kiln_str p1 = a ? a->value : (kiln_str){"", 0};
    kiln_str p2 = b ? b->value : (kiln_str){"", 0};
    *hash = NULL;
    if (!p1.n && !p2.n) {
        if (allow_empty)
            *hash = "";
        else
            kiln_errors_add(errs, "/password1", "required",
                            "Enter the new password twice.");
        return 0;
    }
    if (!kiln_str_eq(p1, p2)) {
        kiln_errors_add(errs, "/password2", "mismatch",
                        "The two passwords differ.");
        return 0;
    }
    auth_policy pol = auth_policy_of(kiln_project_settings());
    if (auth_password_check(&pol, p1, username && *username ? username : NULL,
                            email && *email ? email : NULL, errs,
                            "/password1") > 0 ||
        kiln_errors_any(errs))
        return 0;
    char *h = kiln_arena_alloc(kiln_ctx_arena(c), AUTH_HASH_MAX);
    if (!h)
        return KILN_ENOMEM;
    /* ~50 ms on a thread of its own: the worker's loop goes on */
    int rc = auth_password_hash(p1.p, p1.n,
                                auth_cost_of(kiln_project_settings()), h);
    if (rc)
        return rc;
    *hash = h;
    return 0;
}

static const char *policy_help(kiln_arena *a)
{
    auth_policy pol = auth_policy_of(kiln_project_settings());
    return kiln_arena_printf(
        a, "At least %zu characters%s, not like the username or email.",
        pol.min_length, pol.common ? ", not a common password" : "");
}

/* A password input's template value, as form.c's fields are. */
static kiln_value password_input(kiln_ctx *c, const char *name,
                                 const char *label, const char *help,
                                 const kiln_errors *errs)
{
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value e = kiln_value_map(a);
    kiln_value_set(e, "name", kiln_value_cstr(name));
    kiln_value_set(e, "label", kiln_value_cstr(label));
    kiln_value_set(e, "help", help ? kiln_value_cstr(help) : kiln_value_null());
    kiln_value_set(e, "readonly", kiln_value_bool(false));
    kiln_value_set(e, "required", kiln_value_bool(false));
    kiln_value_set(e, "value", kiln_value_cstr("")); /* never sent back */
    kiln_value_set(e, "widget", kiln_value_cstr("text"));
    kiln_value_set(e, "input", kiln_value_cstr("password"));
    kiln_value_set(e, "options", kiln_value_list(a));
    const char *err = NULL;
    char ptr[32];
    snprintf(ptr, sizeof ptr, "/%s", name);
    for (size_t i = 0; errs && i < errs->n && !err; i++)
        if (strcmp(errs->items[i].pointer, ptr) == 0)
            err = errs->items[i].detail;
    kiln_value_set(e, "error", err ? kiln_value_cstr(err) : kiln_value_null());
    return e;
}

/* A read-only line of the form. */
static kiln_value readonly_line(kiln_ctx *c, const char *name,
                                const char *label, const char *text)
{
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value e = kiln_value_map(a);
    kiln_value_set(e, "name", kiln_value_cstr(name));
    kiln_value_set(e, "label", kiln_value_cstr(label));
    kiln_value_set(e, "help", kiln_value_null());
    kiln_value_set(e, "readonly", kiln_value_bool(true));
    kiln_value_set(e, "required", kiln_value_bool(false));
    kiln_value_set(e, "value", kiln_value_cstr(text));
    kiln_value_set(e, "error", kiln_value_null());
    return e;
}

bool admin_user_error_shown(const kiln_model *m, const char *pointer)
{
    return admin_is_user(m) && (strcmp(pointer, "/password1") == 0 ||
                                strcmp(pointer, "/password2") == 0);
}

/* ---- the form's hooks --------------------------------------------------- */

int admin_user_presave(kiln_ctx *c, const kiln_model *m, int64_t id,
                       const void *before, const void *obj,
                       const kiln_form_field *ff, size_t nff, kiln_errors *errs,
                       const char **hash)
{
    *hash = NULL;
    if (!admin_is_user(m))
        return 0;
    kiln_arena *a = kiln_ctx_arena(c);
    bool super = me_super(c);
    if (before && !super && bool_of(m, before, "superuser")) {
        kiln_errors_add(errs, "", "forbidden",
                        "Only a superuser may change a superuser's account.");
        return 0;
    }
    /* staff and superuser: read-only to a non-superuser, and a POST that
       changes them anyway is refused (the form does not send them) */
    static const char *const flags[] = {"staff", "superuser"};
    for (size_t i = 0; !super && i < 2; i++) {
        const kiln_form_field *s = sent(ff, nff, flags[i]);
        bool was = before && bool_of(m, before, flags[i]);
        if (s && sent_true(s->value) != was)
            kiln_errors_add(errs, kiln_arena_printf(a, "/%s", flags[i]),
                            "forbidden", "Only a superuser may change this.");
    }
    /* a login to log in with, as kiln user create and the API ask */
    const char *username = text_of(m, obj, "username", a);
    const char *email = text_of(m, obj, "email", a);
    if (*username && !auth_username_ok(username))
        kiln_errors_add(errs, "/username", "invalid",
                        "1 to 150 letters, digits and @.+-_");
    /* (an identity provider's user may have neither: left as it was) */
    bool had = !before || *text_of(m, before, "username", a) ||
               *text_of(m, before, "email", a);
    if (!*username && !*email && had)
        kiln_errors_add(errs, "/username", "required",
                        "A user needs a username or an email to log in with.");
    if (before && id == me_id(c)) {
        if (bool_of(m, before, "superuser") && !bool_of(m, obj, "superuser"))
            kiln_errors_add(errs, "/superuser", "self",
                            "You cannot remove your own superuser status.");
        if (bool_of(m, before, "staff") && !bool_of(m, obj, "staff"))
            kiln_errors_add(errs, "/staff", "self",
                            "You cannot remove your own staff status.");
        if (bool_of(m, before, "active") && !bool_of(m, obj, "active"))
            kiln_errors_add(errs, "/active", "self",
                            "You cannot deactivate your own account.");
    }
    if (before)
        return 0;
    /* an add: a password (twice) or none */
    return new_password(c, ff, nff, username, email, true, errs, hash);
}

int admin_user_saved(kiln_dbc *db, const kiln_model *m, int64_t id,
                     const char *hash)
{
    if (!admin_is_user(m) || !hash || !*hash)
        return 0;
    int rc = auth_user_set_hash(db, id, hash);
    return rc < 0 ? rc : 0;
}

void admin_user_committed(const kiln_model *m, int64_t id)
{
    if (admin_is_user(m))
        kiln_auth_forget_user(id);
}

void admin_user_form(kiln_ctx *c, kiln_dbc *db, const kiln_model *m, int64_t id,
                     const kiln_errors *errs, kiln_value ctx, kiln_value sets)
{
    if (!admin_is_user(m))
        return;
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value fs = kiln_value_map(a), fl = kiln_value_list(a);
    if (!id) {
        kiln_value_set(fs, "title", kiln_value_cstr("Password"));
        const char *help = kiln_arena_printf(
            a,
            "%s Leave both empty for a user who cannot log in with a "
            "password.",
            policy_help(a));
        kiln_value_push(fl,
                        password_input(c, "password1", "Password", help, errs));
        kiln_value_push(
            fl, password_input(c, "password2", "Password (again)", NULL, errs));
    } else {
        kiln_value_set(fs, "title", kiln_value_cstr("Password and roles"));
        kiln_user *u = NULL;
        const char *roles = "";
        if (auth_user_load_db(db, a, id, &u) == 0) {
            kiln_buf b;
            kiln_buf_init(&b);
            for (size_t i = 0; i < u->nroles; i++)
                kiln_buf_printf(&b, "%s%s", i ? ", " : "", u->roles[i]);
            roles = b.n ? kiln_arena_strndup(a, b.p, b.n) : "(none)";
            kiln_buf_deinit(&b);
        }
        /* whether a password is set: a boolean, never the hash */
        kiln_rows *r = kiln_db_query(
            db, "SELECT password <> '' FROM kiln_user WHERE id = $1",
            KILN_INT(id));
        bool usable = r && kiln_rows_next(r) && kiln_row_bool(r, 0);
        kiln_rows_close(r);
        kiln_value_push(fl, readonly_line(c, "password_state", "Password",
                                          usable ? "Set (argon2id hash)"
                                                 : "No usable password"));
        kiln_value_push(fl,
                        readonly_line(c, "roles", "Roles", roles ? roles : ""));
        if (admin_can(c, m, ADMIN_CHANGE))
            kiln_value_set(ctx, "password_url",
                           admin_vprintf(c, "%s/%s/%lld/password", admin_root(),
                                         m->name, (long long)id));
    }
    kiln_value_set(fs, "fields", fl);
    kiln_value_push(sets, fs);
}

/* ---- deletes ------------------------------------------------------------ */

int admin_user_refuse_delete(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                             const int64_t *ids, size_t n)
{
    if (!admin_is_user(m))
        return 0;
    bool super = me_super(c);
    for (size_t i = 0; i < n; i++) {
        if (ids[i] == me_id(c)) {
            admin_denied(c, "You cannot delete your own account.");
            return 1;
        }
        if (super)
            continue;
        kiln_rows *r =
            kiln_db_query(db, "SELECT superuser FROM kiln_user WHERE id = $1",
                          KILN_INT(ids[i]));
        bool su = r && kiln_rows_next(r) && kiln_row_bool(r, 0);
        bool err = !r || kiln_rows_error(r);
        kiln_rows_close(r);
        if (err) {
            kiln_db_fail(c, db);
            return 1;
        }
        if (su) {
            admin_denied(c, "Only a superuser may delete a superuser.");
            return 1;
        }
    }
    return 0;
}

int admin_user_deleted(kiln_dbc *db, const kiln_model *m, int64_t id)
{
    return admin_is_user(m) ? auth_user_deleted(db, id) : 0;
}

void admin_user_forget(const kiln_model *m, const int64_t *ids, size_t n)
{
    for (size_t i = 0; admin_is_user(m) && i < n; i++)
        kiln_auth_forget_user(ids[i]);
}

/* ---- the password page -------------------------------------------------- */

static int password_page(kiln_ctx *c, const kiln_model *m, int64_t id,
                         const void *row, const kiln_errors *errs, int status)
{
    kiln_arena *a = kiln_ctx_arena(c);
    const char *label = admin_row_label(m, row, a);
    kiln_value ctx =
        admin_context(c, kiln_arena_printf(a, "Set the password of %s", label));
    if (ctx.type == KILN_VALUE_NULL)
        return KILN_ENOMEM;
    kiln_value_set(ctx, "model", admin_model_value(c, m));
    kiln_value_set(ctx, "id", kiln_value_int(id));
    kiln_value_set(ctx, "object_label", kiln_value_cstr(label));
    kiln_value_set(ctx, "action",
                   admin_vprintf(c, "%s/%s/%lld/password", admin_root(),
                                 m->name, (long long)id));
    kiln_value fl = kiln_value_list(a);
    kiln_value_push(fl, password_input(c, "password1", "New password",
                                       policy_help(a), errs));
    kiln_value_push(
        fl, password_input(c, "password2", "New password (again)", NULL, errs));
    kiln_value_set(ctx, "fields", fl);
    kiln_value_set(ctx, "has_errors",
                   kiln_value_bool(errs && kiln_errors_any(errs)));
    return admin_render(c, status, "password.html", ctx);
}

/* The row as the audit log sees a password change: m's row followed by a
   write-only "password" (auth_user_create_model's layout) holding a
   marker, never a password or a hash: the entry says the field changed,
   redacted. */
static int record_password(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                           int64_t id, const void *row)
{
    const kiln_model *v = auth_user_create_model(c, m);
    kiln_arena *a = kiln_ctx_arena(c);
    char *before = v ? kiln_arena_calloc(a, v->size) : NULL;
    char *after = v ? kiln_arena_calloc(a, v->size) : NULL;
    if (!before || !after)
        return KILN_ENOMEM;
    memcpy(before, row, m->size);
    memcpy(after, row, m->size);
    uint32_t at = v->fields[v->nfields - 1].offset;
    *(kiln_str *)(before + at) = KILN_STR("old");
    *(kiln_str *)(after + at) = KILN_STR("new");
    return admin_audit(c, db, v, id, KILN_AUDIT_CHANGE, before, after);
}

int admin_user_password(kiln_ctx *c)
{
    bool post = kiln_str_eq(kiln_method(c), KILN_STR("POST"));
    const kiln_model *m = admin_route_model(c, ADMIN_CHANGE);
    if (!m)
        return 0;
    if (!admin_is_user(m))
        return kiln_problem(c, 404, "Only a user has a password.");
    int64_t id = admin_route_id(c);
    if (!id)
        return 0;
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return kiln_problem(c, 503, "The database is not available.");
    kiln_arena *a = kiln_ctx_arena(c);
    void *row = kiln_arena_calloc(a, m->size);
    if (!row)
        return KILN_ENOMEM;
    int rc = kiln_model_get(db, m, id, row);
    if (rc)
        return kiln_model_fail(c, db, m, rc);
    if (bool_of(m, row, "superuser") && !me_super(c))
        return admin_denied(c,
                            "Only a superuser may set a superuser's password.");
    if (!post)
        return password_page(c, m, id, row, NULL, 200);
    const kiln_form_field *ff = NULL;
    size_t nff = 0;
    rc = kiln_form_fields(c, &ff, &nff);
    if (rc != 0)
        return kiln_form_fail(c, rc);
    kiln_errors errs;
    kiln_errors_init(&errs, a);
    const char *hash = NULL;
    rc = new_password(c, ff, nff, text_of(m, row, "username", a),
                      text_of(m, row, "email", a), false, &errs, &hash);
    if (rc)
        return rc;
    if (kiln_errors_any(&errs) || !hash)
        return password_page(c, m, id, row, &errs, 422);
    rc = kiln_db_begin(db);
    if (rc == 0) {
        int64_t n = auth_user_set_hash(db, id, hash);
        rc = n < 0 ? (int)n : n == 0 ? KILN_ENOTFOUND : 0;
    }
    /* every session of the user ends with the old password: on every
       device (kiln_session_logout_all); one who sets their own keeps
       working in a new session */
    if (rc == 0) {
        int n = kiln_session_logout_all(c, id);
        rc = n < 0 ? n : 0;
    }
    if (rc == 0 && id == me_id(c))
        rc = kiln_session_login(c, id);
    if (rc == 0)
        rc = record_password(c, db, m, id, row);
    if (rc != 0) {
        kiln_db_rollback(db);
        if (kiln_responded(c))
            return 0;
        return kiln_model_fail(c, db, m, rc);
    }
    if (kiln_db_commit(db) != 0)
        return kiln_db_fail(c, db);
    kiln_auth_forget_user(id);
    kiln_flash(c, "success", "The password of \"%s\" was changed.",
               admin_row_label(m, row, a));
    char to[300];
    snprintf(to, sizeof to, "%s/%s/%lld/", admin_root(), m->name,
             (long long)id);
    return kiln_redirect(c, 303, to);
}
