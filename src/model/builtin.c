/*
 * model/builtin.c - Kiln's own models, visible to the app's: the user
 * (table kiln_user, made by Kiln's schema part "auth", src/auth/schema.c),
 * so that `assignee = "ref:user"` is a foreign key to kiln_user with
 * ?expand=, OpenAPI and the TypeScript client like any other ref.
 *
 * A built-in model is added to a set only where it is needed: to the
 * app's models when one of them refers to "user" and the app has no
 * models/user.toml of its own (one without extends keeps its own
 * meaning), and to the migrations' replayed state when an operation
 * refers to it or changes it. It carries KILN_MF_BUILTIN: the migrations
 * never create, rename or drop its table, nor touch a column of Kiln's
 * (mig_diff, ddl_op). The password hash, issuer and subject
 * columns are not in it: nothing generated ever reads or writes them.
 *
 * An app extends the user with a models/user.toml that says
 * extends = "kiln.user" (model_extend_builtin): the model is then Kiln's
 * fields followed by the app's, still on kiln_user and still
 * KILN_MF_BUILTIN; the migrations add, alter and drop only the app's
 * columns (model_builtin_column says which columns are Kiln's). When
 * SQLite must rebuild kiln_user for one of them, the new table starts
 * with Kiln's columns as its schema made them (model_builtin_sqlite).
 */
#include "model/model.h"

#include <string.h>

/* The columns of kiln_user that apps may read, as a model file. Keep in
   step with auth/schema.c (a new column there is a new line here). */
static const char user_toml[] =
    "label = \"user\"\n"
    "table = \"kiln_user\"\n"
    "ordering = [\"id\"]\n"
    "[fields]\n"
    "username = { type = \"string\", max_length = 150, optional = true, "
    "unique = true, read_only = true }\n"
    "email = { type = \"string\", max_length = 254, default = \"\", blank = "
    "true, read_only = true }\n"
    "name = { type = \"string\", max_length = 200, default = \"\", blank = "
    "true, read_only = true }\n"
    "active = { type = \"bool\", default = true, read_only = true }\n"
    "staff = { type = \"bool\", default = false, read_only = true }\n"
    "superuser = { type = \"bool\", default = false, read_only = true }\n"
    "last_login = { type = \"datetime\", optional = true, read_only = true }\n"
    "created = { type = \"datetime\", read_only = true }\n";

/* What messages and generated comments call the built-in model's file. */
#define USER_FILE "kiln/models/user.toml"

/* Every column of kiln_user (auth/schema.c), the ones the model leaves
   out included: no app field may take one of these names. */
static const char *const user_columns[] = {
    "id",    "username",  "email",  "name",    "password",   "active",
    "staff", "superuser", "issuer", "subject", "last_login", "created",
};

/* Kiln's columns of kiln_user on SQLite, exactly as auth/schema.c makes
   them (its step 1; a later step that changes kiln_user changes this
   too): a rebuild of the table made for the app's fields starts its
   CREATE TABLE with them, so that nothing of Kiln's is lost. The
   migrations runner refuses a rebuild of a table with a column this list
   and the model do not name (db/migrate.c), and
   tests/model/test_builtin.c checks the two stay the same. */
static const model_builtin_table user_sqlite = {
    "id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "    username TEXT UNIQUE,\n"
    "    email TEXT NOT NULL DEFAULT '',\n"
    "    name TEXT NOT NULL DEFAULT '',\n"
    "    password TEXT NOT NULL DEFAULT '',\n"
    "    active INTEGER NOT NULL DEFAULT 1,\n"
    "    staff INTEGER NOT NULL DEFAULT 0,\n"
    "    superuser INTEGER NOT NULL DEFAULT 0,\n"
    "    issuer TEXT,\n"
    "    subject TEXT,\n"
    "    last_login TEXT,\n"
    "    created TEXT NOT NULL",
    "UNIQUE (issuer, subject)",
    user_columns,
    sizeof user_columns / sizeof user_columns[0],
};

const model_builtin_table *model_builtin_sqlite(const char *model)
{
    return model && strcmp(model, "user") == 0 ? &user_sqlite : NULL;
}

int model_add_builtin(model_set *s, const char *name, kiln_buf *errs)
{
    if (strcmp(name, "user") != 0)
        return KILN_ENOTFOUND;
    if (model_find(s, name))
        return 0;
    int rc =
        model_load_text(s, USER_FILE, user_toml, sizeof user_toml - 1, errs);
    if (rc != 0)
        return rc;
    kiln_model *m = model_find(s, name);
    if (!m)
        return KILN_ENOMEM;
    m->flags |= KILN_MF_BUILTIN;
    return 0;
}

bool model_is_builtin_name(const char *name)
{
    return name && strcmp(name, "user") == 0;
}

bool model_builtin_column(const char *model, const char *column)
{
    if (!model || !column || strcmp(model, "user") != 0)
        return false;
    for (size_t i = 0; i < sizeof user_columns / sizeof user_columns[0]; i++)
        if (strcmp(user_columns[i], column) == 0)
            return true;
    return false;
}

/* Checks app field f of the extended user (declared in file): Kiln makes
   users (kiln user create, a provider's sign-in) without the app's fields,
   so each must be one that a row gets without a value. */
static int check_app_field(const char *file, const kiln_field *f,
                           kiln_buf *errs)
{
    const char *col = f->column ? f->column : f->name;
    if (model_builtin_column("user", f->name) ||
        model_builtin_column("user", col)) {
        model_error(errs, file, f->line, f->col,
                    "field '%s': kiln_user has a column '%s' of Kiln's own; "
                    "name the field differently",
                    f->name, col);
        return KILN_EINVAL;
    }
    if (f->type == KILN_FT_MANY)
        return 0; /* a join table: a new user has no links */
    bool optional = f->flags & KILN_FF_OPTIONAL;
    if (f->type == KILN_FT_REF && !optional) {
        model_error(errs, file, f->line, f->col,
                    "field '%s': a ref of the user is optional (\"ref:%s?\"): "
                    "users already there and users Kiln creates have none",
                    f->name, f->ref_name ? f->ref_name : "...");
        return KILN_EINVAL;
    }
    if (!optional && !f->def) {
        model_error(errs, file, f->line, f->col,
                    "field '%s' of the user is required with no constant "
                    "default: users already there need a value, and Kiln "
                    "creates users (kiln user create, sign-in with a "
                    "provider) without it. Give it a default (default = ...) "
                    "or make it optional (\"?\")",
                    f->name);
        return KILN_EINVAL;
    }
    return 0;
}

int model_extend_builtin(model_set *s, const char *file, const char *name,
                         kiln_model *m, kiln_buf *errs)
{
    if (strcmp(name, "user") != 0)
        return KILN_ENOTFOUND;
    kiln_arena tmp;
    kiln_arena_init(&tmp, 4096);
    toml_value *root = NULL;
    toml_error te;
    int rc = toml_parse(&tmp, user_toml, sizeof user_toml - 1, USER_FILE, &root,
                        &te);
    const toml_value *fields = rc == 0 ? toml_get(root, "fields") : NULL;
    kiln_model kiln = {.name = "user", .table = "kiln_user"};
    if (rc == 0)
        rc = fields ? model_parse_fields(s, USER_FILE, "user", fields, false,
                                         &kiln, errs)
                    : KILN_EINVAL;
    kiln_arena_deinit(&tmp);
    if (rc != 0)
        return rc == KILN_ENOMEM ? rc : KILN_EINVAL;
    for (uint32_t i = 0; i < m->nfields; i++)
        if (!(m->fields[i].flags & KILN_FF_PK) &&
            check_app_field(file, &m->fields[i], errs) != 0)
            rc = KILN_EINVAL;
    kiln_field *v = kiln_arena_alloc(
        &s->arena, (kiln.nfields + m->nfields + 1) * sizeof *v);
    if (!v)
        return KILN_ENOMEM;
    uint32_t n = 0;
    for (uint32_t i = 0; i < kiln.nfields; i++)
        v[n++] = kiln.fields[i]; /* the primary key first */
    for (uint32_t i = 0; i < m->nfields; i++)
        if (!(m->fields[i].flags & KILN_FF_PK))
            v[n++] = m->fields[i];
    m->fields = v;
    m->nfields = n;
    m->table = "kiln_user";
    m->flags |= KILN_MF_BUILTIN;
    return rc;
}

kiln_model *model_user_create(kiln_arena *a, const kiln_model *m)
{
    kiln_model *v = kiln_arena_alloc(a, sizeof *v);
    kiln_field *f = kiln_arena_alloc(a, (m->nfields + 1) * sizeof *f);
    if (!v || !f)
        return NULL;
    *v = *m;
    memcpy(f, m->fields, m->nfields * sizeof *f);
    for (uint32_t i = 0; i < m->nfields; i++) {
        const char *n = f[i].name;
        if (strcmp(n, "username") == 0 || strcmp(n, "name") == 0) {
            f[i].flags &= (uint16_t)~KILN_FF_READ_ONLY;
        } else if (strcmp(n, "email") == 0) {
            f[i].flags &= (uint16_t)~KILN_FF_READ_ONLY;
            f[i].type = KILN_FT_EMAIL;
        } else if (strcmp(n, "created") == 0) {
            f[i].flags |= KILN_FF_AUTO_CREATED;
        }
    }
    kiln_field *pw = &f[m->nfields];
    memset(pw, 0, sizeof *pw);
    pw->name = "password";
    pw->column = "password";
    pw->label = "password";
    pw->help = "Stored as its argon2id hash; never returned.";
    pw->type = KILN_FT_STRING;
    pw->flags = KILN_FF_WRITE_ONLY;
    pw->has_offset = KILN_NO_OFFSET;
    pw->min_length = 1;
    pw->max_length = 1024;
    pw->file = m->file;
    v->fields = f;
    v->nfields = m->nfields + 1;
    return v;
}
