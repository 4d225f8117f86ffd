/*
 * tests/auth/test_perm.c - roles and permissions (auth/perm.c,
 * config/settings_roles.c): the [roles] table read from kiln.toml with
 * its errors, the check against the models, the resolution rules
 * (wildcards, superuser, inactive, unknown roles), the declarative
 * requirements' form and the permissions a user holds.
 */
#include "test.h"

#include "auth/perm.h"

#include <kiln.h>
#include <kiln/config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *noenv[] = {NULL};

/* Loads settings from a kiln.toml holding toml, in a fresh folder.
   Returns kiln_settings_load's code; *s set on success, err filled. */
static int load(const char *toml, kiln_settings **s, char *err, size_t n)
{
    static char dir[64];
    strcpy(dir, "/tmp/kiln-perm-XXXXXX");
    if (!mkdtemp(dir))
        test_fail(__FILE__, __LINE__, "mkdtemp failed");
    char path[128];
    snprintf(path, sizeof path, "%s/kiln.toml", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs(toml, f);
    fclose(f);
    kiln_settings_in in = {.root = dir, .envp = noenv};
    int rc = kiln_settings_load(&in, s, err, n);
    unlink(path);
    rmdir(dir);
    return rc;
}

static const kiln_model task = {.name = "task", .table = "task"};
static const kiln_model project = {.name = "project", .table = "project"};
static const kiln_model *const models[] = {&task, &project, NULL};

static kiln_user user_with(const char *const *roles, size_t n)
{
    kiln_user u = {.id = 7,
                   .username = "ann",
                   .email = "",
                   .name = "",
                   .active = true,
                   .roles = roles,
                   .nroles = n};
    return u;
}

TEST(perm_match_patterns)
{
    CHECK(perm_match("task.view", "task.view"));
    CHECK(!perm_match("task.view", "task.change"));
    CHECK(!perm_match("task.view", "tasks.view"));
    CHECK(!perm_match("tas.view", "task.view"));
    CHECK(perm_match("task.*", "task.delete"));
    CHECK(!perm_match("task.*", "project.view"));
    CHECK(perm_match("*.view", "project.view"));
    CHECK(!perm_match("*.view", "project.add"));
    CHECK(perm_match("*", "anything.add"));
    CHECK(!perm_match("task", "task.view"));
    CHECK(!perm_match("task.view", "task"));
    CHECK(!perm_match(NULL, "task.view"));
}

TEST(perm_roles_read_from_kiln_toml)
{
    kiln_settings *s = NULL;
    char err[512] = "";
    int rc = load("[roles]\n"
                  "viewer = [\"*.view\"]\n"
                  "editor = [\"task.view\", \"task.add\", \"task.change\"]\n"
                  "auditor = []\n",
                  &s, err, sizeof err);
    if (rc != 0)
        test_fail(__FILE__, __LINE__, "load: %s", err);
    const kiln_role *r;
    size_t n = kiln_settings_roles(s, &r);
    CHECK_INT(n, 3);
    CHECK_STR(r[0].name, "viewer");
    CHECK_INT(r[0].nperms, 1);
    CHECK_STR(r[0].perms[0], "*.view");
    CHECK_STR(r[1].name, "editor");
    CHECK_INT(r[1].nperms, 3);
    CHECK_STR(r[1].perms[2], "task.change");
    CHECK_INT(r[1].lines[2], 3);
    CHECK_INT(r[1].cols[2], 36);
    CHECK_STR(r[2].name, "auditor");
    CHECK_INT(r[2].nperms, 0);
    CHECK_INT(perm_check_roles(r, n, models, err, sizeof err), 0);
    kiln_settings_free(s);
}

TEST(perm_roles_bad_forms_name_their_place)
{
    static const struct {
        const char *toml, *want;
    } cases[] = {
        {"[roles]\neditor = \"task.view\"\n",
         "kiln.toml:2:10: roles.editor must be a list of permissions"},
        {"[roles]\neditor = [\"task.view\", 3]\n",
         "kiln.toml:2:24: roles.editor: write each permission as a string"},
        {"[roles]\neditor = [\"task.edit\"]\n",
         "kiln.toml:2:11: roles.editor: 'task.edit' has an unknown action"},
        {"[roles]\neditor = [\"task\"]\n",
         "kiln.toml:2:11: roles.editor: 'task' is not MODEL.ACTION"},
        {"[roles]\neditor = [\"Task.view\"]\n",
         "kiln.toml:2:11: roles.editor: 'Task.view' names no model"},
        {"[roles]\n\"ed itor\" = []\n",
         "kiln.toml:2:1: roles: 'ed itor' is not a role name"},
        {"roles = 3\n", "kiln.toml:1:1: [roles] must be a table"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kiln_settings *s = NULL;
        char err[512] = "";
        CHECK_INT(load(cases[i].toml, &s, err, sizeof err), KILN_EINVAL);
        CHECK(s == NULL);
        if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
            test_fail(__FILE__, __LINE__, "case %zu: '%s', expected '%s...'", i,
                      err, cases[i].want);
    }
}

TEST(perm_roles_checked_against_models)
{
    kiln_settings *s = NULL;
    char err[512] = "";
    CHECK_INT(load("[roles]\nviewer = [\"*.view\"]\n"
                   "editor = [\"task.view\", \"tsk.change\"]\n",
                   &s, err, sizeof err),
              0);
    const kiln_role *r;
    size_t n = kiln_settings_roles(s, &r);
    CHECK_INT(perm_check_roles(r, n, models, err, sizeof err), KILN_EINVAL);
    CHECK_STR(err, "kiln.toml:3:24: roles.editor: 'tsk.change' names no "
                   "model (did you mean 'task'?)");
    /* perm_init refuses them too, and keeps nothing */
    CHECK_INT(perm_init(r, n, models, err, sizeof err), KILN_EINVAL);
    CHECK(!perm_roles_declared());
    /* no model near */
    kiln_settings_free(s);
    CHECK_INT(load("[roles]\nx = [\"invoice.view\"]\n", &s, err, sizeof err),
              0);
    n = kiln_settings_roles(s, &r);
    CHECK_INT(perm_check_roles(r, n, models, err, sizeof err), KILN_EINVAL);
    CHECK_STR(err, "kiln.toml:2:6: roles.x: 'invoice.view' names no model");
    kiln_settings_free(s);
}

TEST(perm_grants_resolution)
{
    kiln_settings *s = NULL;
    char err[512] = "";
    CHECK_INT(load("[roles]\nviewer = [\"*.view\"]\n"
                   "editor = [\"task.view\", \"task.add\", \"task.change\"]\n"
                   "owner = [\"project.*\"]\nadmin = [\"*\"]\n",
                   &s, err, sizeof err),
              0);
    const kiln_role *r;
    size_t n = kiln_settings_roles(s, &r);
    const char *viewer[] = {"viewer"}, *editor[] = {"editor"},
               *both[] = {"owner", "viewer"}, *admin[] = {"admin"},
               *unknown[] = {"keycloak-only"};
    kiln_user u = user_with(viewer, 1);
    CHECK(perm_grants(r, n, &u, "task.view"));
    CHECK(perm_grants(r, n, &u, "project.view"));
    CHECK(!perm_grants(r, n, &u, "task.add"));
    u = user_with(editor, 1);
    CHECK(perm_grants(r, n, &u, "task.change"));
    CHECK(!perm_grants(r, n, &u, "task.delete"));
    CHECK(!perm_grants(r, n, &u, "project.view"));
    u = user_with(both, 2);
    CHECK(perm_grants(r, n, &u, "project.delete"));
    CHECK(perm_grants(r, n, &u, "task.view"));
    CHECK(!perm_grants(r, n, &u, "task.delete"));
    u = user_with(admin, 1);
    CHECK(perm_grants(r, n, &u, "task.delete"));
    u = user_with(unknown, 1); /* a role [roles] does not declare */
    CHECK(!perm_grants(r, n, &u, "task.view"));
    u = user_with(NULL, 0);
    CHECK(!perm_grants(r, n, &u, "task.view"));
    u.superuser = true; /* no role, every permission */
    CHECK(perm_grants(r, n, &u, "task.delete"));
    CHECK(perm_grants(r, n, &u, "project.add"));
    u = user_with(admin, 1);
    u.active = false; /* inactive: none, whatever its roles */
    CHECK(!perm_grants(r, n, &u, "task.view"));
    u.superuser = true;
    CHECK(!perm_grants(r, n, &u, "task.view"));
    CHECK(!perm_grants(r, n, NULL, "task.view"));
    kiln_settings_free(s);
}

TEST(perm_user_can_and_permissions_list)
{
    kiln_settings *s = NULL;
    char err[512] = "";
    CHECK_INT(load("[roles]\neditor = [\"task.view\", \"task.change\", "
                   "\"project.view\"]\n",
                   &s, err, sizeof err),
              0);
    const kiln_role *r;
    size_t n = kiln_settings_roles(s, &r);
    CHECK_INT(perm_init(r, n, models, err, sizeof err), 0);
    CHECK(perm_roles_declared());
    CHECK(perm_role_known("editor"));
    CHECK(!perm_role_known("viewer"));
    const char *editor[] = {"editor"};
    kiln_user u = user_with(editor, 1);
    CHECK(kiln_user_can(&u, "task.change"));
    CHECK(!kiln_user_can(&u, "task.delete"));
    CHECK(!kiln_user_can(NULL, "task.view"));
    /* a permission no model defines: only a superuser holds it */
    CHECK(!kiln_user_can(&u, "invoice.view"));
    CHECK(!kiln_user_can(&u, "task.archive"));
    kiln_user su = user_with(NULL, 0);
    su.superuser = true;
    CHECK(kiln_user_can(&su, "invoice.view"));
    kiln_arena a;
    kiln_arena_init(&a, 0);
    const char *const *list;
    long np = kiln_user_permissions(&u, &a, &list);
    CHECK_INT(np, 3);
    CHECK_STR(list[0], "task.view");
    CHECK_STR(list[1], "task.change");
    CHECK_STR(list[2], "project.view");
    CHECK_INT(kiln_user_permissions(&su, &a, &list), 8);
    CHECK_STR(list[7], "project.delete");
    CHECK_INT(kiln_user_permissions(NULL, &a, &list), 0);
    kiln_arena_deinit(&a);
    perm_clear();
    CHECK(!perm_roles_declared());
    kiln_settings_free(s);
}

TEST(perm_need_forms)
{
    perm_need need;
    const char *arg, *why = NULL;
    CHECK_INT(perm_need_parse("login", &need, &arg, &why), 0);
    CHECK_INT(need, PERM_NEED_LOGIN);
    CHECK(arg == NULL);
    CHECK_INT(perm_need_parse("public", &need, &arg, &why), 0);
    CHECK_INT(need, PERM_NEED_NONE);
    CHECK_INT(perm_need_parse("perm:task.change", &need, &arg, &why), 0);
    CHECK_INT(need, PERM_NEED_PERM);
    CHECK_STR(arg, "task.change");
    CHECK_INT(perm_need_parse("role:editor", &need, &arg, &why), 0);
    CHECK_INT(need, PERM_NEED_ROLE);
    CHECK_STR(arg, "editor");
    static const char *const bad[] = {
        "perm:task.*", "perm:*", "perm:task", "perm:task.edit",
        "role:",       "Login",  "",          "user"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        CHECK_INT(perm_need_parse(bad[i], &need, &arg, &why), KILN_EINVAL);
        CHECK(why != NULL);
    }
}

TEST(perm_need_checked_against_models_and_roles)
{
    kiln_settings *s = NULL;
    char err[512] = "";
    CHECK_INT(load("[roles]\neditor = [\"task.view\"]\n", &s, err, sizeof err),
              0);
    const kiln_role *r;
    size_t n = kiln_settings_roles(s, &r);
    CHECK_INT(perm_init(r, n, models, err, sizeof err), 0);
    CHECK_INT(perm_need_check("perm:task.change", models, err, sizeof err), 0);
    CHECK_INT(perm_need_check("role:editor", models, err, sizeof err), 0);
    CHECK_INT(perm_need_check("perm:projet.view", models, err, sizeof err),
              KILN_EINVAL);
    CHECK_STR(err, "auth: 'projet.view' names no model (did you mean "
                   "'project'?)");
    CHECK_INT(perm_need_check("role:viewer", models, err, sizeof err),
              KILN_EINVAL);
    CHECK(strstr(err, "'viewer' is not declared in [roles]") != NULL);
    CHECK_INT(perm_need_check("perm:task", models, err, sizeof err),
              KILN_EINVAL);
    perm_clear();
    kiln_settings_free(s);
}

TEST(perm_api_access_default)
{
    static const kiln_model_api dflt = {.path = "tasks"},
                                pub = {.path = "tasks",
                                       .access = KILN_API_PUBLIC},
                                login = {.path = "tasks",
                                         .access = KILN_API_AUTHENTICATED};
    kiln_model m = {.name = "task", .table = "task", .api = &dflt};
    /* no [roles]: the API stays open, as before permissions existed */
    CHECK_INT(perm_api_access(&m), KILN_API_PUBLIC);
    kiln_settings *s = NULL;
    char err[512] = "";
    CHECK_INT(load("[roles]\nviewer = [\"task.view\"]\n", &s, err, sizeof err),
              0);
    const kiln_role *r;
    size_t n = kiln_settings_roles(s, &r);
    CHECK_INT(perm_init(r, n, models, err, sizeof err), 0);
    CHECK_INT(perm_api_access(&m), KILN_API_ROLES);
    m.api = &pub;
    CHECK_INT(perm_api_access(&m), KILN_API_PUBLIC);
    m.api = &login;
    CHECK_INT(perm_api_access(&m), KILN_API_AUTHENTICATED);
    perm_clear();
    kiln_settings_free(s);
}

/* Renders src with ctx; returns the output (arena a) or the error text. */
static const char *render(kiln_arena *a, const char *src, kiln_value ctx)
{
    kiln_tpl_set *set = kiln_tpl_set_new(NULL);
    kiln_tpl_error te;
    CHECK(set != NULL);
    CHECK_INT(kiln_tpl_set_add(set, "t", src, strlen(src), &te), 0);
    kiln_buf out;
    kiln_buf_init(&out);
    int rc = kiln_tpl_render(set, "t", ctx, a, &out, &te);
    const char *s = rc == 0 ? kiln_arena_strndup(a, out.p ? out.p : "", out.n)
                            : kiln_arena_strndup(a, te.msg, strlen(te.msg));
    kiln_buf_deinit(&out);
    kiln_tpl_set_free(set);
    return s;
}

TEST(perm_template_can)
{
    kiln_arena a;
    kiln_arena_init(&a, 0);
    const char *src = "{{ can('task.view') }} {{ can('task.delete') }}";
    kiln_value ctx = kiln_value_map(&a);
    CHECK_STR(render(&a, src, ctx), "False False"); /* no user */
    CHECK_INT(kiln_value_set(ctx, "user", (kiln_value){0}), 0);
    CHECK_STR(render(&a, src, ctx), "False False"); /* user is none */
    kiln_value user = kiln_value_map(&a), perms = kiln_value_list(&a);
    CHECK_INT(kiln_value_push(perms, kiln_value_cstr("task.view")), 0);
    CHECK_INT(kiln_value_set(user, "permissions", perms), 0);
    CHECK_INT(kiln_value_set(ctx, "user", user), 0);
    CHECK_STR(render(&a, src, ctx), "True False");
    CHECK_STR(render(&a, "{{ 'yes' if can('task.view') else 'no' }}", ctx),
              "yes");
    /* a variable called can hides the function, as any name does */
    CHECK_INT(kiln_value_set(ctx, "can", kiln_value_cstr("x")), 0);
    CHECK_STR(render(&a, "{{ can }}", ctx), "x");
    kiln_value ctx2 = kiln_value_map(&a);
    CHECK_STR(render(&a, "{{ can(3) }}", ctx2),
              "can() takes one permission: can('task.change')");
    CHECK_STR(render(&a, "{{ can('a.view', 'b.view') }}", ctx2),
              "can() takes one permission: can('task.change')");
    kiln_arena_deinit(&a);
}
