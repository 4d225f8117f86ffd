/*
 * model/builtin.c - Kiln's own models, visible to the app's: the user
 * (table kiln_user, made by Kiln's schema part "auth", src/auth/schema.c),
 * so that `assignee = "ref:user"` is a foreign key to kiln_user with
 * ?expand=, OpenAPI and the TypeScript client like any other ref.
 *
 * A built-in model is added to a set only where it is needed: to the
 * app's models when one of them refers to "user" and the app has no
 * models/user.toml of its own (which keeps its own meaning), and to the
 * migrations' replayed state when an operation refers to it. It carries
 * KILN_MF_BUILTIN: the migrations never create, alter or drop its table
 * (mig_diff pairs it with itself). The password hash, issuer and subject
 * columns are not in it: nothing generated ever reads or writes them.
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
