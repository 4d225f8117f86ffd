/*
 * tests/model/test_load.c - the model language: models/NAME.toml into
 * kiln_model descriptions, and every mistake as file:line:col.
 */
#include "model/model.h"
#include "test.h"

/* Loads the models given as (file, text) pairs; returns the error text
   (malloc'd, "" when fine) and leaves the set in *ms. */
static char *load(model_set *ms, const char *const *files, size_t n)
{
    model_set_init(ms);
    kiln_buf errs;
    kiln_buf_init(&errs);
    for (size_t i = 0; i < n; i++)
        model_load_text(ms, files[2 * i], files[2 * i + 1],
                        strlen(files[2 * i + 1]), &errs);
    model_set_resolve(ms, &errs);
    char *out = strdup(errs.p ? errs.p : "");
    kiln_buf_deinit(&errs);
    return out;
}

/* The error text of one model file alone. */
static char *errors_of(const char *text)
{
    const char *files[] = {"models/task.toml", text};
    model_set ms;
    char *e = load(&ms, files, 1);
    model_set_free(&ms);
    return e;
}

#define CHECK_ERR(text, want)                                                  \
    do {                                                                       \
        char *e_ = errors_of(text);                                            \
        if (!e_ || !strstr(e_, want))                                          \
            test_fail(__FILE__, __LINE__, "errors \"%s\" lack \"%s\"", e_,     \
                      want);                                                   \
        free(e_);                                                              \
    } while (0)

TEST(a_model_and_its_fields)
{
    const char *files[] = {
        "models/project.toml",
        "[fields]\nname = \"string:80\"\n",
        "models/tag.toml",
        "[fields]\nlabel = { type = \"string\", unique = "
        "true }\n",
        "models/task.toml",
        "label = \"task\"\n"
        "ordering = [\"-due\", \"title\"]\n"
        "[fields]\n"
        "title = { type = \"string\", max_length = 200, help = \"What\" }\n"
        "done = { type = \"bool\", default = false }\n"
        "due = \"date?\"\n"
        "status = { type = \"enum\", values = [\"open\", \"done\"], default = "
        "\"open\" }\n"
        "estimate = { type = \"decimal\", precision = 8, scale = 2, min = "
        "\"0\" }\n"
        "project = \"ref:project\"\n"
        "tags = \"many:tag\"\n"
        "created = { type = \"datetime\", auto = \"created\" }\n"
        "[[unique]]\nfields = [\"project\", \"title\"]\n"};
    model_set ms;
    char *e = load(&ms, files, 3);
    CHECK_STR(e, "");
    free(e);
    CHECK_INT(ms.n, 3);
    kiln_model *t = model_find(&ms, "task");
    CHECK(t != NULL);
    CHECK_STR(t->table, "task");
    CHECK_INT(t->nfields, 9); /* id first */
    CHECK_STR(t->fields[0].name, "id");
    CHECK(t->fields[0].flags & KILN_FF_PK);
    const kiln_field *title = model_field(t, "title");
    CHECK_INT(title->type, KILN_FT_STRING);
    CHECK_INT(title->max_length, 200);
    CHECK_STR(title->help, "What");
    CHECK_INT(title->line, 4);
    CHECK_INT(title->col, 1);
    const kiln_field *done = model_field(t, "done");
    CHECK_STR(done->def, "false");
    const kiln_field *due = model_field(t, "due");
    CHECK(due->flags & KILN_FF_OPTIONAL);
    const kiln_field *st = model_field(t, "status");
    CHECK_INT(st->nvalues, 2);
    CHECK_STR(st->def, "\"open\"");
    const kiln_field *est = model_field(t, "estimate");
    CHECK_INT(est->precision, 8);
    CHECK_INT(est->scale, 2);
    CHECK_STR(est->min_text, "0.00");
    const kiln_field *p = model_field(t, "project");
    CHECK_STR(p->column, "project_id");
    CHECK(p->ref == model_find(&ms, "project"));
    const kiln_field *tags = model_field(t, "tags");
    CHECK(tags->column == NULL);
    CHECK_STR(tags->through, "task_tags");
    const kiln_field *cr = model_field(t, "created");
    CHECK(cr->flags & KILN_FF_AUTO_CREATED);
    CHECK(cr->flags & KILN_FF_READ_ONLY);
    /* indexes: project's own (a ref), then the composite unique */
    CHECK_INT(t->nindexes, 2);
    CHECK_STR(t->indexes[0].name, "task_project_id_idx");
    CHECK(!t->indexes[0].unique);
    CHECK_STR(t->indexes[1].name, "task_project_id_title_uniq");
    CHECK(t->indexes[1].unique);
    CHECK_INT(t->nordering, 2);
    kiln_model *tag = model_find(&ms, "tag");
    CHECK_STR(tag->indexes[0].name, "tag_label_uniq");
    model_set_free(&ms);
}

TEST(shorthands)
{
    const char *files[] = {
        "models/x.toml",
        "[fields]\na = \"string:12?\"\nb = \"decimal:10,3\"\n"
        "c = \"enum:low,mid,high\"\nd = \"email\"\ne = \"url\"\n"
        "f = \"json?\"\ng = \"uuid\"\nh = \"time\"\ni = \"float\"\n"
        "j = \"text\"\nk = \"integer\"\nl = \"datetime?\"\n"};
    model_set ms;
    char *e = load(&ms, files, 1);
    CHECK_STR(e, "");
    free(e);
    kiln_model *x = model_find(&ms, "x");
    CHECK_INT(model_field(x, "a")->max_length, 12);
    CHECK(model_field(x, "a")->flags & KILN_FF_OPTIONAL);
    CHECK_INT(model_field(x, "b")->precision, 10);
    CHECK_INT(model_field(x, "b")->scale, 3);
    CHECK_INT(model_field(x, "c")->nvalues, 3);
    CHECK_STR(model_field(x, "c")->values[2], "high");
    CHECK_INT(model_field(x, "d")->max_length, 254);
    CHECK_INT(model_field(x, "e")->max_length, 2048);
    CHECK_INT(model_field(x, "j")->max_length, -1);
    model_set_free(&ms);
}

TEST(every_mistake_has_its_position)
{
    CHECK_ERR("[fields]\ntitle = \"strng\"\n",
              "models/task.toml:2:9: unknown type 'strng' for field 'title' "
              "(did you mean 'string'?)");
    CHECK_ERR("[fields]\ntitle = { type = \"string\", max_lenght = 3 }\n",
              "models/task.toml:2:28: unknown option 'max_lenght' for field "
              "'title' (did you mean 'max_length'?)");
    CHECK_ERR("[fields]\nowner = \"ref:usr\"\n",
              "models/task.toml:2:1: field 'owner' refers to a model 'usr' "
              "that does not exist");
    CHECK_ERR("[fields]\ndone = { type = \"bool\", default = \"yes\" }\n",
              "models/task.toml:2:35: field 'done': a default of type string "
              "does not fit a bool field");
    CHECK_ERR("[fields]\nn = { type = \"integer\", max = 5, default = 9 }\n",
              "models/task.toml:2:44: field 'n': the default 9 is outside");
    CHECK_ERR("[fields]\ns = { type = \"enum\", values = [\"a\"], default = "
              "\"b\" }\n",
              "models/task.toml:2:48: field 's': the default \"b\" is not one "
              "of its values");
    CHECK_ERR("[fields]\nd = { type = \"date\", default = \"2026-02-30\" }\n",
              "models/task.toml:2:32: field 'd': the default of a date");
    CHECK_ERR("[fields]\ntitle = \"string\"\ntitle = \"text\"\n",
              "models/task.toml:3:1: duplicate key");
    CHECK_ERR("[fields]\norder = \"integer\"\n",
              "models/task.toml:2:1: 'order' cannot be a column name: SQL "
              "reserves it");
    CHECK_ERR("table = \"select\"\n[fields]\na = \"integer\"\n",
              "models/task.toml:1:9: 'select' cannot be a table name");
    CHECK_ERR("[fields]\nint = \"integer\"\n",
              "'int' cannot be a field name: it is a C keyword");
    CHECK_ERR("[fields]\nid = \"integer\"\n",
              "models/task.toml:2:1: 'id' is the primary key");
    CHECK_ERR("[fields]\nx = { type = \"bool\", max_length = 3 }\n",
              "models/task.toml:2:22: option 'max_length' does not apply to "
              "field 'x' (a bool)");
    CHECK_ERR("[fields]\np = { type = \"ref\", to = \"task\", on_delete = "
              "\"set_null\" }\n",
              "on_delete = \"set_null\" needs an optional field");
    CHECK_ERR("[fields]\nt = \"string\"\n[[unique]]\nfields = [\"t\", \"u\"]\n",
              "models/task.toml:4:16: [[unique]]: model 'task' has no field "
              "'u'");
    CHECK_ERR("ordering = [\"-nope\"]\n[fields]\nt = \"string\"\n",
              "models/task.toml:1:13: ordering: '-nope' is not a field");
    CHECK_ERR("colour = \"red\"\n[fields]\nt = \"string\"\n",
              "models/task.toml:1:1: unknown key 'colour' in a model");
    CHECK_ERR("[fields]\nt = \"string\"\n[fields.u]\ntype = \"object\"\n",
              "a model's fields are columns: object is for endpoint schemas");
    CHECK_ERR("[fields\n", "models/task.toml:1:8:");
    CHECK_ERR("[fields]\nt = { type = \"string\", pattern = \"[a-\" }\n",
              "the pattern is not a POSIX extended regular expression");
    CHECK_ERR("[fields]\nd = \"decimal\"\n", "a decimal needs precision");
    CHECK_ERR("[fields]\ne = \"enum\"\n", "an enum needs its values");
    CHECK_ERR("[fields]\ndue = \"date?\"\nhas_due = \"bool\"\n",
              "field 'has_due' clashes with the has_due flag");
    CHECK_ERR("[fields]\nproject = \"ref:task\"\nproject_id = \"integer\"\n",
              "field 'project_id' has the column 'project_id' of field "
              "'project'");
}

TEST(models_refer_to_each_other)
{
    const char *files[] = {"models/a.toml",
                           "[fields]\nb = \"ref:b?\"\nself = \"many:a\"\n",
                           "models/b.toml", "[fields]\na = \"ref:a\"\n"};
    model_set ms;
    char *e = load(&ms, files, 2);
    CHECK_STR(e, "");
    free(e);
    kiln_model *a = model_find(&ms, "a");
    CHECK(model_field(a, "b")->ref == model_find(&ms, "b"));
    CHECK_STR(model_field(a, "self")->through, "a_self");
    model_set_free(&ms);
}

TEST(names_and_reserved_words)
{
    CHECK(model_sql_reserved("select"));
    CHECK(model_sql_reserved("user"));
    CHECK(!model_sql_reserved("task"));
    CHECK(model_c_reserved("int"));
    CHECK(!model_c_reserved("title"));
    char t[64];
    model_c_type("blog_post", t, sizeof t);
    CHECK_STR(t, "BlogPost");
    model_set ms;
    model_set_init(&ms);
    const char *id = model_ident(
        &ms, "a_very_long_table_name_for_testing_the_limit_of_postgres_names",
        "uniq");
    CHECK(strlen(id) <= 63);
    CHECK(strstr(id, "_uniq") != NULL);
    model_set_free(&ms);
}

/* The errors of api/news.toml (GET and POST handlers) holding text; the
   endpoints, when it loads, in *out (NULL: freed). */
static char *endpoint_errors(const char *text, model_set *out)
{
    model_set ms;
    model_set_init(&ms);
    kiln_buf errs;
    kiln_buf_init(&errs);
    model_load_endpoints(&ms, "api/news.toml", text, strlen(text), "/api/news",
                         1u << 0 | 1u << 1, &errs);
    char *e = strdup(errs.p ? errs.p : "");
    kiln_buf_deinit(&errs);
    if (out)
        *out = ms;
    else
        model_set_free(&ms);
    return e;
}

#define CHECK_EP_ERR(text, want)                                               \
    do {                                                                       \
        char *e_ = endpoint_errors(text, NULL);                                \
        if (!e_ || !strstr(e_, want))                                          \
            test_fail(__FILE__, __LINE__, "errors \"%s\" lack \"%s\"", e_,     \
                      want);                                                   \
        free(e_);                                                              \
    } while (0)

TEST(endpoint_cache_and_rate)
{
    model_set ms;
    char *e = endpoint_errors("[get]\n"
                              "cache = { ttl = 30, vary = [\"Accept\", "
                              "\"Accept-Language\"], credentials = "
                              "\"per_user\" }\n"
                              "rate = \"5/min burst 2\"\n"
                              "rate_by = \"header:X-Key\"\n"
                              "[post]\n"
                              "rate = \"1/s\"\n",
                              &ms);
    CHECK_STR(e, "");
    free(e);
    CHECK_INT(ms.nendpoints, 2);
    const kiln_endpoint *g = ms.endpoints[0], *p = ms.endpoints[1];
    CHECK(g->cache);
    CHECK_INT(g->cache->ttl, 30);
    CHECK_STR(g->cache->vary, "Accept, Accept-Language");
    CHECK_INT(g->cache->credentials, KILN_CACHE_PER_USER);
    CHECK_STR(g->rate, "5/min burst 2");
    CHECK_STR(g->rate_by, "header:X-Key");
    CHECK(!p->cache);
    CHECK_STR(p->rate, "1/s");
    CHECK(!p->rate_by);
    model_set_free(&ms);
    CHECK_EP_ERR("[post]\ncache = { ttl = 5 }\n",
                 "api/news.toml:2:1: cache is for [get]");
    CHECK_EP_ERR("[get]\ncache = { vary = [\"Accept\"] }\n",
                 "api/news.toml:2:9: cache needs a ttl");
    CHECK_EP_ERR("[get]\ncache = { ttl = 0 }\n",
                 "api/news.toml:2:17: cache ttl is a number of seconds");
    CHECK_EP_ERR("[get]\ncache = { ttl = 5, vary = \"Accept\" }\n",
                 "api/news.toml:2:27: cache vary is a list");
    CHECK_EP_ERR("[get]\ncache = { ttl = 5, vary = [\"A(B)\"] }\n",
                 "'A(B)' is not a header name");
    CHECK_EP_ERR("[get]\ncache = { ttl = 5, credentials = \"yes\" }\n",
                 "api/news.toml:2:34: cache credentials is \"skip\"");
    CHECK_EP_ERR("[get]\ncache = { ttl = 5, size = 3 }\n",
                 "api/news.toml:2:20: unknown key 'size' in cache");
    CHECK_EP_ERR("[get]\ncache = 60\n", "api/news.toml:2:9: cache is a table");
    CHECK_EP_ERR("[get]\nrate = \"10/fortnight\"\n",
                 "api/news.toml:2:8: rate \"10/fortnight\": the unit is");
    CHECK_EP_ERR("[get]\nrate = 10\n", "api/news.toml:2:8: rate is a string");
    CHECK_EP_ERR("[get]\nrate = \"1/s\"\nrate_by = \"address\"\n",
                 "api/news.toml:3:11: rate_by is \"ip\"");
    CHECK_EP_ERR("[get]\nrate_by = \"ip\"\n",
                 "api/news.toml:1:2: rate_by without rate");
}

TEST(api_table)
{
    const char *files[] = {
        "models/project.toml",
        "[fields]\nname = \"string:80\"\n",
        "models/task.toml",
        "label_plural = \"Board Tasks\"\n"
        "[fields]\n"
        "title = \"string:200\"\n"
        "notes = \"text?\"\n"
        "due = \"date?\"\n"
        "project = \"ref:project\"\n"
        "[api]\n"
        "operations = [\"list\", \"retrieve\", \"partial_update\"]\n"
        "filters = [\"due\", \"project\"]\n"
        "ordering = [\"due\", \"title\"]\n"
        "search = [\"title\", \"notes\"]\n"
        "expand = [\"project\"]\n"
        "page_size = 5\n"
        "max_page_size = 50\n",
        "models/tag.toml",
        "[fields]\nlabel = \"string:20\"\n[api]\noperations = [\"all\"]\n"
        "path = \"board/tag-names\"\n"};
    model_set ms;
    char *e = load(&ms, files, 3);
    CHECK_STR(e, "");
    free(e);
    const kiln_model_api *a = model_find(&ms, "task")->api;
    CHECK(a != NULL);
    CHECK_INT(a->ops, KILN_API_LIST | KILN_API_RETRIEVE | KILN_API_PATCH);
    CHECK_STR(a->path, "board_tasks");
    CHECK_INT(a->nfilters, 2);
    CHECK_STR(a->filters[1], "project");
    CHECK_INT(a->nordering, 2);
    CHECK_STR(a->ordering[0], "due");
    CHECK_INT(a->nsearch, 2);
    CHECK_STR(a->search[1], "notes");
    CHECK_INT(a->nexpand, 1);
    CHECK_STR(a->expand[0], "project");
    CHECK_INT(a->page_size, 5);
    CHECK_INT(a->max_page_size, 50);
    CHECK_INT(a->line, 7);
    const kiln_model_api *t = model_find(&ms, "tag")->api;
    CHECK_INT(t->ops, 0x3f);
    CHECK_STR(t->path, "board/tag-names");
    CHECK_INT(t->page_size, 20);
    CHECK_INT(t->max_page_size, 100);
    CHECK(model_find(&ms, "project")->api == NULL);
    model_set_free(&ms);

#define T_FIELDS "[fields]\nt = \"string\"\nn = \"integer\"\nj = \"json\"\n"
    CHECK_ERR(T_FIELDS "[api]\noperations = [\"lists\"]\n",
              "models/task.toml:6:15: [api] operations: unknown operation "
              "'lists'");
    CHECK_ERR(T_FIELDS "[api]\noperations = [\"list\", \"list\"]\n",
              "models/task.toml:6:23: [api] operations: 'list' is listed "
              "twice");
    CHECK_ERR(T_FIELDS "[api]\npath = \"x\"\n",
              "models/task.toml:5:1: [api] needs operations");
    CHECK_ERR(T_FIELDS "[api]\noperations = [\"all\"]\ncolour = 1\n",
              "models/task.toml:7:1: unknown key 'colour' in [api]");
    CHECK_ERR(T_FIELDS "[api]\noperations = [\"all\"]\npath = \"/tasks\"\n",
              "models/task.toml:7:8: [api] path is a string");
    CHECK_ERR(T_FIELDS "[api]\noperations = [\"all\"]\npath = \"Tasks\"\n",
              "models/task.toml:7:8: [api] path");
    CHECK_ERR(T_FIELDS "[api]\noperations = [\"all\"]\npath = \"a//b\"\n",
              "models/task.toml:7:8: [api] path");
    CHECK_ERR(T_FIELDS "[api]\noperations = [\"all\"]\nfilters = [\"x\"]\n",
              "models/task.toml:7:12: [api] filters: model 'task' has no "
              "field 'x'");
    CHECK_ERR(T_FIELDS "[api]\noperations = [\"all\"]\nfilters = [\"j\"]\n",
              "models/task.toml:7:12: [api] filters: field 'j' (a json) has "
              "no column");
    CHECK_ERR(T_FIELDS "[api]\noperations = [\"all\"]\nsearch = [\"n\"]\n",
              "models/task.toml:7:11: [api] search: field 'n' (a integer) is "
              "not a string");
    CHECK_ERR(T_FIELDS "[api]\noperations = [\"all\"]\nexpand = [\"t\"]\n",
              "models/task.toml:7:11: [api] expand: field 't' (a string) is "
              "not a ref field");
    CHECK_ERR(T_FIELDS "[api]\noperations = [\"all\"]\nordering = [\"t\", "
                       "\"t\"]\n",
              "models/task.toml:7:18: [api] ordering: field 't' is listed "
              "twice");
    CHECK_ERR(T_FIELDS "[api]\noperations = [\"all\"]\nordering = \"t\"\n",
              "models/task.toml:7:12: [api] ordering is a list");
    CHECK_ERR(T_FIELDS "[api]\noperations = [\"all\"]\npage_size = 0\n",
              "models/task.toml:7:13: [api] page_size is an integer from 1 "
              "to 250");
    CHECK_ERR(T_FIELDS "[api]\noperations = [\"all\"]\nmax_page_size = "
                       "251\n",
              "models/task.toml:7:17: [api] max_page_size is an integer");
    CHECK_ERR(T_FIELDS "[api]\noperations = [\"all\"]\npage_size = 30\n"
                       "max_page_size = 10\n",
              "models/task.toml:5:1: [api] page_size (30) is larger");
    CHECK_ERR("api = 3\n" T_FIELDS, "models/task.toml:1:7: api is a table");
#undef T_FIELDS
    const char *dup[] = {"models/a.toml",
                         "[fields]\nx = \"string\"\n[api]\noperations = "
                         "[\"all\"]\npath = \"things\"\n",
                         "models/b.toml",
                         "[fields]\nx = \"string\"\n[api]\noperations = "
                         "[\"all\"]\npath = \"things\"\n"};
    e = load(&ms, dup, 2);
    CHECK(strstr(e, "models/b.toml:3:1: [api] path 'things' is also the path "
                    "of model 'a'") != NULL);
    free(e);
    model_set_free(&ms);
}
