/*
 * auth/user_api.c - what the generated CRUD API of the extended user
 * (models/user.toml with extends = "kiln.user" and an [api] table) needs
 * of Kiln's side of a user: a create that takes a login and a password
 * and stores only its argon2id hash, and a delete that ends the user's
 * sessions (its tokens and roles go with the row: ON DELETE CASCADE).
 *
 * The create decodes the body with a copy of the user model made for it
 * (model_user_create: username, email and name writable, email checked as
 * an email, created stamped, a write-only field password), whose password
 * auth_user_create_model places after the model's own struct, so that the
 * row read back is the app's User followed by the hash, which the answer
 * (encoded with the model itself) never shows. active, staff and
 * superuser stay read-only: the API cannot make an administrator.
 */
#include "auth/user_api.h"

#include "auth/auth_impl.h"
#include "model/model.h"

#include <kiln.h>

#include <stdbool.h>
#include <string.h>

const kiln_model *auth_user_create_model(kiln_ctx *c, const kiln_model *m)
{
    kiln_model *v = model_user_create(kiln_ctx_arena(c), m);
    if (!v)
        return NULL;
    /* the hash's place: after the app's struct, aligned for a kiln_str */
    uint32_t at = (m->size + (uint32_t) _Alignof(kiln_str) - 1) &
                  ~((uint32_t) _Alignof(kiln_str) - 1);
    ((kiln_field *)&v->fields[v->nfields - 1])->offset = at;
    v->size = at + (uint32_t)sizeof(kiln_str);
    return v;
}

/* The string value of field name of user model m in row obj ("" when
   absent), NUL-terminated in a. */
static const char *text_of(kiln_arena *a, const kiln_model *m, const void *obj,
                           const char *name)
{
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (strcmp(f->name, name) != 0)
            continue;
        if (f->has_offset != KILN_NO_OFFSET &&
            !*(const bool *)((const char *)obj + f->has_offset))
            return "";
        const kiln_str *s = (const kiln_str *)((const char *)obj + f->offset);
        return s->p ? kiln_arena_strndup(a, s->p, s->n) : "";
    }
    return "";
}

bool auth_username_ok(const char *u)
{
    size_t n = strlen(u);
    if (n == 0 || n > 150)
        return false;
    for (; *u; u++) {
        unsigned char ch = (unsigned char)*u;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || strchr("@.+-_", ch);
        if (!ok)
            return false;
    }
    return true;
}

int auth_user_create_password(kiln_ctx *c, const kiln_model *v, void *obj)
{
    kiln_arena *a = kiln_ctx_arena(c);
    const kiln_field *pwf = &v->fields[v->nfields - 1];
    kiln_str *pw = (kiln_str *)((char *)obj + pwf->offset);
    const char *username = text_of(a, v, obj, "username");
    const char *email = text_of(a, v, obj, "email");
    if (!username || !email)
        return KILN_ENOMEM;
    kiln_errors errs;
    kiln_errors_init(&errs, a);
    if (username[0] && !auth_username_ok(username))
        kiln_errors_add(&errs, "/username", "invalid",
                        "1 to 150 letters, digits and @.+-_");
    if (!username[0] && !email[0]) {
        kiln_errors_add(&errs, "/username", "required",
                        "a user needs a username or an email to log in with");
        kiln_errors_add(&errs, "/email", "required",
                        "a user needs a username or an email to log in with");
    }
    const kiln_settings *s = kiln_project_settings();
    auth_policy pol = auth_policy_of(s);
    auth_password_check(&pol, *pw, username[0] ? username : NULL,
                        email[0] ? email : NULL, &errs, "/password");
    if (kiln_errors_any(&errs)) {
        kiln_problem_errors(c, 422, &errs, NULL);
        return 1;
    }
    char *hash = kiln_arena_alloc(a, AUTH_HASH_MAX);
    if (!hash)
        return KILN_ENOMEM;
    int rc = auth_password_hash(pw->p, pw->n, auth_cost_of(s), hash);
    if (rc)
        return rc;
    *pw = (kiln_str){hash, strlen(hash)};
    return 0;
}

int auth_user_deleted(kiln_dbc *db, int64_t id)
{
    int64_t n = kiln_db_exec(db, "DELETE FROM kiln_session WHERE user_id = $1",
                             KILN_INT(id));
    return n < 0 ? (int)n : 0;
}
