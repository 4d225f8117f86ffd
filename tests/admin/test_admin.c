/*
 * tests/admin/test_admin.c - the pure parts of the admin: a change list's
 * query string (admin_query_parse/format), CSV cells, and the [admin]
 * table of a model file (the loader's checks and what it builds).
 */
#include "admin/admin_impl.h"
#include "model/model.h"
#include "test.h"

static const char project_toml[] = "[fields]\n"
                                   "name = \"string:80\"\n";

static const char task_toml[] =
    "[fields]\n"
    "project = { type = \"ref\", to = \"project\" }\n"
    "title = \"string:200\"\n"
    "status = \"enum:todo,doing,done\"\n"
    "due = \"date?\"\n"
    "notes = \"text?\"\n"
    "data = \"json?\"\n"
    "created = \"datetime:created\"\n"
    "[admin]\n"
    "list = [\"title\", \"project.name\", \"status\", \"late\"]\n"
    "filters = [\"status\", \"project\", \"due\", \"notes\"]\n"
    "search = [\"title\", \"notes\"]\n"
    "ordering = [\"-due\"]\n"
    "read_only = [\"created\"]\n"
    "date_hierarchy = \"due\"\n"
    "list_per_page = 25\n"
    "group = \"Work\"\n"
    "[admin.booleans]\n"
    "late = { field = \"due\", op = \"<\", value = \"today\" }\n"
    "[[admin.fieldsets]]\n"
    "title = \"Main\"\n"
    "fields = [\"project\", \"title\"]\n";

/* Loads project and task (text: task's file); the error text (malloc'd,
   "" when fine) and the set in *ms. */
static char *load(model_set *ms, const char *text)
{
    model_set_init(ms);
    kiln_buf errs;
    kiln_buf_init(&errs);
    model_load_text(ms, "models/project.toml", project_toml,
                    strlen(project_toml), &errs);
    model_load_text(ms, "models/task.toml", text, strlen(text), &errs);
    model_set_resolve(ms, &errs);
    char *out = strdup(errs.p ? errs.p : "");
    kiln_buf_deinit(&errs);
    return out;
}

static const kiln_model *task_of(const model_set *ms)
{
    for (size_t i = 0; i < ms->n; i++)
        if (strcmp(ms->models[i]->name, "task") == 0)
            return ms->models[i];
    return NULL;
}

TEST(admin_table_parsed)
{
    model_set ms;
    char *e = load(&ms, task_toml);
    CHECK_STR(e, "");
    const kiln_model *m = task_of(&ms);
    CHECK(m && m->admin);
    const kiln_model_admin *a = m->admin;
    CHECK_INT(a->nlist, 4);
    CHECK_STR(a->list[1], "project.name");
    CHECK_INT(a->nfilters, 4);
    CHECK_INT(a->nsearch, 2);
    CHECK_STR(a->ordering[0], "-due");
    CHECK_STR(a->read_only[0], "created");
    CHECK_STR(a->date_hierarchy, "due");
    CHECK_INT(a->list_per_page, 25);
    CHECK_STR(a->group, "Work");
    CHECK_INT(a->nbooleans, 1);
    CHECK_STR(a->booleans[0].op, "<");
    CHECK_STR(a->booleans[0].value, "today");
    CHECK_STR(a->booleans[0].label, "late");
    CHECK_INT(a->nfieldsets, 1);
    CHECK_STR(a->fieldsets[0].title, "Main");
    CHECK_INT(a->fieldsets[0].nfields, 2);
    free(e);
    model_set_free(&ms);
}

/* The errors of task's file with the [admin] part replaced by admin. */
static char *errors_of(const char *admin)
{
    char text[2048];
    snprintf(text, sizeof text,
             "[fields]\nproject = { type = \"ref\", to = \"project\" }\n"
             "title = \"string:200\"\nstatus = \"enum:a,b\"\n"
             "data = \"json?\"\ndue = \"date?\"\n%s",
             admin);
    model_set ms;
    char *e = load(&ms, text);
    model_set_free(&ms);
    return e;
}

#define CHECK_ERR(admin, want)                                                 \
    do {                                                                       \
        char *e_ = errors_of(admin);                                           \
        if (!strstr(e_, want))                                                 \
            test_fail(__FILE__, __LINE__, "errors \"%s\" lack \"%s\"", e_,     \
                      want);                                                   \
        free(e_);                                                              \
    } while (0)

TEST(admin_table_errors)
{
    CHECK_ERR("[admin]\nlist = [\"titel\"]\n",
              "models/task.toml:8:9: [admin] list: model 'task' has no "
              "field 'titel'");
    CHECK_ERR("[admin]\nfilters = [\"data\"]\n",
              "[admin] filters: field 'data' (a json)");
    CHECK_ERR("[admin]\nsearch = [\"status\"]\n",
              "is not a string, text, email or url field");
    CHECK_ERR("[admin]\nlist = [\"project.nme\"]\n",
              "[admin] list: 'project.nme' is not REF.FIELD");
    CHECK_ERR("[admin]\nlist = [\"title.x\"]\n",
              "[admin] list: 'title.x' is not REF.FIELD");
    CHECK_ERR("[admin]\ninlines = [\"project\"]\n",
              "[admin] inlines: 'project' is not a model with a ref field "
              "to 'task'");
    CHECK_ERR("[admin]\ndate_hierarchy = \"title\"\n",
              "date_hierarchy names a date or datetime field");
    CHECK_ERR("[admin]\nlist_per_page = 0\n",
              "list_per_page is an integer from 1 to 500");
    CHECK_ERR("[admin]\nlisst = []\n", "unknown key 'lisst' in [admin]");
    CHECK_ERR("[admin]\nlist = [\"title\", \"title\"]\n",
              "'title' is listed twice");
    CHECK_ERR("[admin.booleans]\nx = { field = \"due\", op = \"~\", value = "
              "\"1\" }\n",
              "op is one of");
    CHECK_ERR("[admin.booleans]\nx = { field = \"due\", op = \"set\", value "
              "= \"1\" }\n",
              "op 'set' takes no value");
    CHECK_ERR("[admin.booleans]\nx = { field = \"nope\", op = \"set\" }\n",
              "field 'nope' is not a field of 'task'");
    CHECK_ERR("[[admin.fieldsets]]\ntitle = \"A\"\n",
              "[admin.fieldsets] needs fields");
}

/* Parses qs as task's list query. */
static void parse(const kiln_model *m, const char *qs, kiln_arena *a,
                  admin_query *q)
{
    http_kv *kv = NULL;
    long n = http_query_parse(a, kiln_str_c(qs), &kv);
    admin_query_parse(m, kv, n > 0 ? (size_t)n : 0, q);
}

TEST(query_parse)
{
    model_set ms;
    free(load(&ms, task_toml));
    const kiln_model *m = task_of(&ms);
    kiln_arena a;
    kiln_arena_init(&a, 4096);
    admin_query q;
    parse(m, "", &a, &q);
    CHECK_INT(q.page, 1);
    CHECK_INT(q.per_page, 25); /* the model's list_per_page */
    CHECK(!q.q.p);
    parse(m,
          "q=+hello+&o=-title,status,nope,title&p=3&n=100&f.status=todo"
          "&f.due.gte=2026-01-01&f.due.lte=2026-02-01&f.notes.isnull=1"
          "&f.title=x&f.status.gte=a&f.project.isnull=2&y=2026&m=2&d=31",
          &a, &q);
    CHECK_VIEW(q.q, "hello");
    CHECK_INT(q.norder, 2); /* nope unknown, title twice */
    CHECK_STR(q.order[0].f->name, "title");
    CHECK(q.order[0].desc);
    CHECK_STR(q.order[1].f->name, "status");
    CHECK_INT(q.page, 3);
    CHECK_INT(q.per_page, 100);
    /* title is no filter, status has no range, isnull=2 is no value */
    CHECK_INT(q.nfilters, 4);
    CHECK(admin_query_filter(&q, "status", ADMIN_EQ) != NULL);
    CHECK_VIEW(admin_query_filter(&q, "due", ADMIN_GTE)->value, "2026-01-01");
    CHECK(admin_query_filter(&q, "notes", ADMIN_ISNULL) != NULL);
    CHECK(admin_query_filter(&q, "title", ADMIN_EQ) == NULL);
    CHECK_INT(q.year, 2026);
    CHECK_INT(q.month, 2);
    CHECK_INT(q.day, 31);
    /* bad values are left out */
    parse(m, "p=0&n=7&p=x&m=13&d=5&o=data", &a, &q);
    CHECK_INT(q.page, 1);
    CHECK_INT(q.per_page, 25);
    CHECK_INT(q.month, 0);
    CHECK_INT(q.day, 0); /* no month, no day */
    CHECK_INT(q.norder, 0);
    kiln_arena_deinit(&a);
    model_set_free(&ms);
}

TEST(query_format)
{
    model_set ms;
    free(load(&ms, task_toml));
    const kiln_model *m = task_of(&ms);
    kiln_arena a;
    kiln_arena_init(&a, 4096);
    admin_query q;
    parse(m, "q=a+b%26c&f.status=done&o=-due&p=2&y=2025", &a, &q);
    kiln_buf b;
    kiln_buf_init(&b);
    CHECK_INT(admin_query_format(&q, NULL, &b), 0);
    CHECK_STR(b.p, "q=a+b%26c&f.status=done&o=-due&y=2025&n=25&p=2");
    kiln_buf_clear(&b);
    admin_query_format(&q, "p,f.status,q", &b);
    CHECK_STR(b.p, "o=-due&y=2025&n=25");
    /* what it writes parses back to the same */
    admin_query q2;
    kiln_buf_clear(&b);
    admin_query_format(&q, NULL, &b);
    parse(m, b.p, &a, &q2);
    CHECK_VIEW(q2.q, "a b&c");
    CHECK_INT(q2.page, 2);
    CHECK_INT(q2.nfilters, 1);
    kiln_buf_deinit(&b);
    kiln_arena_deinit(&a);
    model_set_free(&ms);
}

static void cell(const char *in, const char *want)
{
    kiln_buf b;
    kiln_buf_init(&b);
    CHECK_INT(admin_csv_cell(&b, kiln_str_c(in)), 0);
    CHECK_STR(b.p ? b.p : "", want);
    kiln_buf_deinit(&b);
}

TEST(csv_cells)
{
    cell("plain", "plain");
    cell("", "");
    cell("a,b", "\"a,b\"");
    cell("say \"hi\"", "\"say \"\"hi\"\"\"");
    cell("two\nlines", "\"two\nlines\"");
    cell("=1+2", "'=1+2");
    cell("+33 1", "'+33 1");
    cell("-5", "'-5");
    cell("@SUM(A1)", "'@SUM(A1)");
    cell("\tx", "'\tx");
    cell("=HYPERLINK(\"x\",\"y\")", "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"");
    cell("\rx", "\"'\rx\"");
    cell("a=b", "a=b");
}

/* A row rule spliced after a statement's own parameters (rules.c). */
TEST(rule_sql)
{
    model_set ms;
    char *err = load(&ms, task_toml);
    CHECK_STR(err, "");
    free(err);
    const kiln_model *m = task_of(&ms);
    admin_rule r = {.sql = "status = $1 OR (due < $2 AND $1 <> $10)",
                    .params = {KILN_TEXT("done"), KILN_TEXT("2026-01-01")},
                    .nparams = 2};
    kiln_db_param ps[4] = {KILN_INT(7)};
    size_t np = 1;
    kiln_buf b;
    kiln_buf_init(&b);
    CHECK_INT(admin_rule_sql(&r, m, false, &b, ps, &np, 4), 0);
    CHECK_STR(b.p, "(status = $2 OR (due < $3 AND $2 <> $11))");
    CHECK_INT(np, 3);
    CHECK_STR(ps[1].v.s.p, "done");
    CHECK_STR(ps[2].v.s.p, "2026-01-01");
    /* correlated: over a row of the same id */
    kiln_buf_clear(&b);
    np = 1;
    r = (admin_rule){.sql = "id <> $1", .params = {KILN_INT(3)}, .nparams = 1};
    CHECK_INT(admin_rule_sql(&r, m, true, &b, ps, &np, 4), 0);
    CHECK_STR(b.p, "EXISTS (SELECT 1 FROM task AS kiln_rule_row WHERE "
                   "kiln_rule_row.id = task.id AND (id <> $2))");
    CHECK_INT(np, 2);
    /* no room: nothing appended; no rule: nothing */
    kiln_buf_clear(&b);
    np = 4;
    CHECK_INT(admin_rule_sql(&r, m, false, &b, ps, &np, 4), KILN_EINVAL);
    CHECK_INT(b.n, 0);
    CHECK_INT(np, 4);
    r.sql = NULL;
    CHECK_INT(admin_rule_sql(&r, m, false, &b, ps, &np, 8), 0);
    CHECK_INT(b.n, 0);
    CHECK_INT(admin_rule_sql(NULL, m, false, &b, ps, &np, 8), 0);
    kiln_buf_deinit(&b);
    model_set_free(&ms);
}
