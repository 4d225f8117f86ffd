/*
 * tests/model/test_migration.c - migrations made from models, without a
 * database: field declarations written and read back, the migration file
 * format and its mistakes, replay and its checks, the diff (what it writes,
 * what it refuses and why), and the SQL of operations on both backends.
 */
/* models written over several literals, on purpose */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wstring-concatenation"
#endif
#include "model/migration.h"

#include "db/migrate.h"
#include "test.h"

/* ---- helpers ------------------------------------------------------------- */

/* Loads models from (file, text) pairs; fails the test on a mistake. */
static void load_models(model_set *ms, const char *const *files, size_t n)
{
    model_set_init(ms);
    kiln_buf errs;
    kiln_buf_init(&errs);
    for (size_t i = 0; i < n; i++)
        model_load_text(ms, files[2 * i], files[2 * i + 1],
                        strlen(files[2 * i + 1]), &errs);
    model_set_resolve(ms, &errs);
    if (errs.n)
        test_fail(__FILE__, __LINE__, "models: %s", errs.p);
    kiln_buf_deinit(&errs);
}

/* Replays migration texts (in order) into st; fails on a mistake. */
static void replay(model_set *st, const char *const *texts, size_t n)
{
    kiln_buf errs;
    kiln_buf_init(&errs);
    for (size_t i = 0; i < n; i++) {
        mig_file f;
        mig_file_init(&f, "migrations/x.toml");
        int rc = mig_parse(st, &f, texts[i], strlen(texts[i]), &errs);
        for (size_t k = 0; rc == 0 && k < f.n; k++)
            rc = mig_replay(st, &f.ops[k], f.path, &errs);
        mig_file_free(&f);
        if (rc)
            test_fail(__FILE__, __LINE__, "replay %zu: %s", i,
                      errs.p ? errs.p : "?");
    }
    kiln_buf_deinit(&errs);
}

/* The result of making a migration. */
typedef struct made {
    int rc;
    char *text;  /* the file (malloc'd), when rc == 0 */
    char *errs;  /* refusals (malloc'd) */
    char *notes; /* accepted losses (malloc'd) */
    size_t nops;
    mig_kind kinds[32];
} made;

static void made_free(made *m)
{
    free(m->text);
    free(m->errs);
    free(m->notes);
}

static char *take(kiln_buf *b)
{
    char *s = strdup(b->p ? b->p : "");
    kiln_buf_deinit(b);
    return s;
}

/*
 * What --make writes for models (file, text pairs) after the migrations
 * prev[0..nprev): the text, then checked the way --make checks it: read
 * back after prev, it must leave nothing to diff.
 */
static made make(const char *const *prev, size_t nprev,
                 const char *const *models, size_t nmodels,
                 const mig_diff_opts *o)
{
    made r = {0};
    model_set ms, st;
    load_models(&ms, models, nmodels);
    model_set_init(&st);
    replay(&st, prev, nprev);
    mig_file f;
    mig_file_init(&f, "migrations/0009_next.toml");
    kiln_buf errs, notes, text;
    kiln_buf_init(&errs);
    kiln_buf_init(&notes);
    kiln_buf_init(&text);
    r.rc = mig_diff(&st, &ms, o, &f, &notes, &errs);
    r.nops = f.n;
    for (size_t i = 0; i < f.n && i < 32; i++)
        r.kinds[i] = f.ops[i].kind;
    if (r.rc == 0 && f.n) {
        CHECK_INT(mig_write(&f, "a test", &text, &errs), 0);
        r.text = strdup(text.p);
    }
    mig_file_free(&f);
    model_set_free(&st);
    if (r.text) { /* read back: the models exactly */
        model_set st2;
        model_set_init(&st2);
        replay(&st2, prev, nprev);
        const char *one[] = {r.text};
        replay(&st2, one, 1);
        mig_file again;
        mig_file_init(&again, "again");
        mig_diff_opts all = {.accept_loss = true};
        kiln_buf e2;
        kiln_buf_init(&e2);
        int rc = mig_diff(&st2, &ms, &all, &again, NULL, &e2);
        if (rc != 0 || again.n != 0)
            test_fail(
                __FILE__, __LINE__,
                "read back, the migration leaves %zu ops (rc %d, %s):\n%s",
                again.n, rc, e2.p ? e2.p : "", r.text);
        kiln_buf_deinit(&e2);
        mig_file_free(&again);
        model_set_free(&st2);
    }
    kiln_buf_deinit(&text);
    r.errs = take(&errs);
    r.notes = take(&notes);
    model_set_free(&ms);
    return r;
}

#define CHECK_HAS(hay, needle)                                                 \
    do {                                                                       \
        const char *h_ = (hay), *n_ = (needle);                                \
        if (!h_ || !strstr(h_, n_))                                            \
            test_fail(__FILE__, __LINE__, "\"%s\" lacks \"%s\"",               \
                      h_ ? h_ : "(null)", n_);                                 \
    } while (0)

#define CHECK_LACKS(hay, needle)                                               \
    do {                                                                       \
        const char *h_ = (hay), *n_ = (needle);                                \
        if (h_ && strstr(h_, n_))                                              \
            test_fail(__FILE__, __LINE__, "\"%s\" has \"%s\"", h_, n_);        \
    } while (0)

/* The SQL of the last migration of texts[0..n) for be (reverse: undoing
   it); malloc'd, or NULL with *errs (malloc'd) set. */
static char *sql_of(const char *const *texts, size_t n, ddl_backend be,
                    bool reverse, bool accept_loss, char **errs_out)
{
    model_set st;
    model_set_init(&st);
    replay(&st, texts, n - 1);
    mig_file f;
    mig_file_init(&f, "migrations/0009_x.toml");
    kiln_buf sql, errs;
    kiln_buf_init(&sql);
    kiln_buf_init(&errs);
    int rc = mig_parse(&st, &f, texts[n - 1], strlen(texts[n - 1]), &errs);
    if (rc == 0)
        rc = mig_sql(&st, &f, be, reverse, accept_loss, &sql, NULL, &errs);
    mig_file_free(&f);
    model_set_free(&st);
    char *out = rc == 0 ? strdup(sql.p ? sql.p : "") : NULL;
    if (errs_out)
        *errs_out = strdup(errs.p ? errs.p : "");
    kiln_buf_deinit(&sql);
    kiln_buf_deinit(&errs);
    return out;
}

/* ---- field declarations -------------------------------------------------- */

TEST(every_field_written_reads_back_the_same)
{
    static const char *const decls[] = {
        "\"integer\"",
        "\"integer?\"",
        "{ type = \"integer\", default = -42, min = -100 }",
        "{ type = \"float\", default = 0.1 }",
        "{ type = \"float\", default = 3 }",
        "\"decimal:8,2\"",
        "{ type = \"decimal\", precision = 12, scale = 4, default = \"1.5\" }",
        "{ type = \"bool\", default = true }",
        "\"string:200\"",
        "\"string\"",
        "{ type = \"string\", max_length = 20, default = \"it's \\\"x\\\"\\n\" "
        "}",
        "{ type = \"string\", blank = true, default = \"\" }",
        "{ type = \"text\", optional = true, max_length = 10 }",
        "\"email?\"",
        "{ type = \"url\", max_length = 300 }",
        "\"date?\"",
        "{ type = \"date\", default = 2026-01-31 }",
        "{ type = \"date\", default = \"today\" }",
        "{ type = \"datetime\", default = 2026-01-31T09:30:00Z }",
        "{ type = \"datetime\", default = \"now\" }",
        "{ type = \"datetime\", auto = \"created\" }",
        "{ type = \"datetime\", auto = \"updated\" }",
        "{ type = \"time\", default = 09:30:00 }",
        "{ type = \"uuid\", default = \"random\" }",
        "{ type = \"uuid\", default = \"0f8fad5b-d9cb-469f-a165-70867728950e\" "
        "}",
        "\"enum:open,doing,done\"",
        "{ type = \"enum\", values = [\"a,b\", \"c d\", \"e\\\"\"], default = "
        "\"c d\" }",
        "{ type = \"json\", default = { a = [1, 2.5, \"x\"], b = { c = true } "
        "} }",
        "{ type = \"json\", optional = true }",
        "\"ref:project\"",
        "{ type = \"ref\", to = \"project\", on_delete = \"set_null\", "
        "optional "
        "= true }",
        "{ type = \"ref\", to = \"project\", on_delete = \"restrict\" }",
        "\"many:project\"",
    };
    for (size_t i = 0; i < sizeof decls / sizeof *decls; i++) {
        char text[512];
        snprintf(text, sizeof text, "[fields]\nf = %s\n", decls[i]);
        const char *files[] = {"models/project.toml",
                               "[fields]\nname = "
                               "\"string\"\n",
                               "models/task.toml", text};
        model_set ms;
        load_models(&ms, files, 2);
        const kiln_field *f = model_field(model_find(&ms, "task"), "f");
        CHECK(f != NULL);
        kiln_buf b;
        kiln_buf_init(&b);
        CHECK_INT(mig_put_field(f, &b), 0);
        char again[512];
        snprintf(again, sizeof again, "[fields]\nf = %s\n", b.p);
        const char *files2[] = {"models/project.toml",
                                "[fields]\nname = \"string\"\n",
                                "models/task.toml", again};
        model_set ms2;
        load_models(&ms2, files2, 2);
        const kiln_field *g = model_field(model_find(&ms2, "task"), "f");
        if (!g || !mig_field_same(f, g))
            test_fail(__FILE__, __LINE__, "%s was written %s: not the same",
                      decls[i], b.p);
        kiln_buf_deinit(&b);
        model_set_free(&ms);
        model_set_free(&ms2);
    }
}

TEST(declarations_use_the_shorthand_when_it_says_everything)
{
    const char *files[] = {
        "models/task.toml",
        "[fields]\n"
        "a = \"string:200\"\n"
        "b = { type = \"bool\", default = false, help = \"x\", write_only = "
        "true }\n"
        "c = { type = \"date\", optional = true, label = \"C\" }\n"
        "d = { type = \"integer\", min = 1, max = 5 }\n"
        "e = { type = \"ref\", to = \"task\", optional = true, on_delete = "
        "\"set_null\" }\n"};
    model_set ms;
    load_models(&ms, files, 1);
    const kiln_model *m = model_find(&ms, "task");
    static const char *const want[] = {
        "\"string:200\"", "{ type = \"bool\", default = false }", "\"date?\"",
        "\"integer\"",
        "{ type = \"ref\", to = \"task\", on_delete = \"set_null\", optional "
        "= true }"};
    for (int i = 0; i < 5; i++) {
        kiln_buf b;
        kiln_buf_init(&b);
        mig_put_field(&m->fields[i + 1], &b);
        CHECK_STR(b.p, want[i]);
        kiln_buf_deinit(&b);
    }
    model_set_free(&ms);
}

/* ---- the file format ----------------------------------------------------- */

/* The errors of parsing text as a migration (malloc'd). */
static char *parse_errors(const char *text)
{
    model_set st;
    model_set_init(&st);
    mig_file f;
    mig_file_init(&f, "migrations/0002_x.toml");
    kiln_buf errs;
    kiln_buf_init(&errs);
    int rc = mig_parse(&st, &f, text, strlen(text), &errs);
    if (rc == 0)
        CHECK_INT(errs.n, 0);
    else
        CHECK(errs.n > 0);
    mig_file_free(&f);
    model_set_free(&st);
    return take(&errs);
}

#define CHECK_PARSE_ERR(text, want)                                            \
    do {                                                                       \
        char *e_ = parse_errors(text);                                         \
        CHECK_HAS(e_, want);                                                   \
        free(e_);                                                              \
    } while (0)

TEST(mistakes_in_a_migration_file_name_their_line)
{
    CHECK_PARSE_ERR("[[op]]\nadd_field = \"task.x\"\nfield = \"integr\"\n",
                    "migrations/0002_x.toml:3:9: unknown type 'integr' for "
                    "field 'x' (did you mean 'integer'?)");
    CHECK_PARSE_ERR("[[op]]\nadd_field = \"task.x\"\nfield = \"integer\"\n"
                    "drop_field = \"task.y\"\n",
                    "migrations/0002_x.toml:4:1: one operation per [[op]] "
                    "table");
    CHECK_PARSE_ERR("[[op]]\nadd_field = \"task\"\nfield = \"integer\"\n",
                    "migrations/0002_x.toml:2:13: add_field is "
                    "\"model.field\"");
    CHECK_PARSE_ERR("[[op]]\nadd_field = \"task.x\"\n",
                    "migrations/0002_x.toml:2:1: add_field needs field = ...");
    CHECK_PARSE_ERR("[[op]]\nadd_field = \"task.x\"\nfield = \"integer\"\n"
                    "colour = 1\n",
                    "migrations/0002_x.toml:4:1: add_field takes field, fill, "
                    "not 'colour'");
    CHECK_PARSE_ERR("[[op]]\nalter_field = \"task.x\"\nfrom = \"integer\"\n"
                    "to = \"integer\"\nfill = \"many\"\n",
                    "migrations/0002_x.toml:5:8: field 'x': a default of type "
                    "string does not fit a integer field");
    CHECK_PARSE_ERR("[[op]]\nsing = 1\n",
                    "migrations/0002_x.toml:1:1: this [[op]] names no "
                    "operation");
    CHECK_PARSE_ERR("op = 1\n", "write each operation as an [[op]] table");
    CHECK_PARSE_ERR("title = 1\n", "migrations/0002_x.toml:1:1: unknown key "
                                   "'title'");
    CHECK_PARSE_ERR("[[op]]\ncreate_model = \"task\"\ntable = \"task\"\n"
                    "[op.fields]\ntags = \"many:tag\"\n",
                    "migrations/0002_x.toml:5:1: field 'tags': a many field "
                    "is added with add_field after the model");
    CHECK_PARSE_ERR(
        "[[op]]\ncreate_model = \"task\"\ntable = \"task\"\n"
        "[op.fields]\nx = \"integer\"\n[[op.index]]\nfields = [\"x\"]\n",
        "an index needs its name");
    CHECK_PARSE_ERR("[[op]\n", "migrations/0002_x.toml:1:");
    char *none = parse_errors("# nothing to do\n");
    CHECK_STR(none, "");
    free(none);
}

/* The errors of replaying texts (malloc'd; "" when they fit). */
static char *replay_errors(const char *const *texts, size_t n)
{
    model_set st;
    model_set_init(&st);
    kiln_buf errs;
    kiln_buf_init(&errs);
    for (size_t i = 0; i < n; i++) {
        mig_file f;
        mig_file_init(&f,
                      i ? "migrations/0002_b.toml" : "migrations/0001_a.toml");
        int rc = mig_parse(&st, &f, texts[i], strlen(texts[i]), &errs);
        for (size_t k = 0; rc == 0 && k < f.n; k++)
            rc = mig_replay(&st, &f.ops[k], f.path, &errs);
        mig_file_free(&f);
        if (rc)
            break;
    }
    model_set_free(&st);
    return take(&errs);
}

static const char init_task[] = "[[op]]\ncreate_model = \"task\"\ntable = "
                                "\"task\"\n[op.fields]\ntitle = "
                                "\"string:100\"\n[[op.index]]\nname = "
                                "\"task_title_idx\"\nfields = [\"title\"]\n";

#define CHECK_REPLAY_ERR(second, want)                                         \
    do {                                                                       \
        const char *t_[] = {init_task, second};                                \
        char *e_ = replay_errors(t_, 2);                                       \
        CHECK_HAS(e_, want);                                                   \
        free(e_);                                                              \
    } while (0)

TEST(operations_that_do_not_fit_the_migrations_before)
{
    const char *ok[] = {init_task, "[[op]]\nadd_field = \"task.done\"\nfield "
                                   "= \"bool?\"\n"};
    char *e = replay_errors(ok, 2);
    CHECK_STR(e, "");
    free(e);
    CHECK_REPLAY_ERR("[[op]]\nadd_field = \"task.title\"\nfield = \"text\"\n",
                     "migrations/0002_b.toml:2: add_field task.title: the "
                     "field exists already");
    CHECK_REPLAY_ERR("[[op]]\nalter_field = \"task.title\"\nfrom = "
                     "\"string:200\"\nto = \"text\"\n",
                     "migrations/0002_b.toml:2: alter_field task.title: from "
                     "= ... is not the field the migrations before made");
    CHECK_REPLAY_ERR("[[op]]\ndrop_field = \"task.title\"\nfield = "
                     "\"string:100\"\n",
                     "drop_field task.title: index task_title_idx uses it");
    CHECK_REPLAY_ERR("[[op]]\nadd_field = \"task.owner\"\nfield = "
                     "\"ref:person\"\n",
                     "field task.owner refers to model 'person', which the "
                     "migrations do not have at this point");
    CHECK_REPLAY_ERR("[[op]]\nalter_field = \"task.title\"\nfrom = "
                     "\"string:100\"\nto = \"date\"\n",
                     "alter_field task.title: a string cannot become a date");
    CHECK_REPLAY_ERR("[[op]]\ncreate_model = \"todo\"\ntable = \"task\"\n"
                     "[op.fields]\nx = \"integer\"\n",
                     "create_model todo: table task belongs to model task");
    CHECK_REPLAY_ERR("[[op]]\nadd_index = \"task_title_idx\"\nmodel = "
                     "\"task\"\nfields = [\"title\"]\n",
                     "add_index task_title_idx: an index of model task has "
                     "that name");
    CHECK_REPLAY_ERR("[[op]]\ndrop_model = \"task\"\ntable = \"task\"\n"
                     "[op.fields]\ntitle = \"text\"\n",
                     "field task.title here is not the one the migrations "
                     "before made");
    CHECK_REPLAY_ERR("[[op]]\nrename_field = \"task.nope\"\nto = \"x\"\n",
                     "rename_field task.nope: there is no such field");
}

/* ---- the diff ------------------------------------------------------------ */

static const char m_project[] = "[fields]\nname = \"string:80\"\n";

TEST(a_sequence_of_model_edits_each_reads_back_as_its_models)
{
    const char *v1[] = {"models/project.toml", m_project, "models/task.toml",
                        "[fields]\ntitle = \"string:200\"\ndue = \"date\"\n"};
    made a = make(NULL, 0, v1, 2, NULL);
    CHECK_INT(a.rc, 0);
    CHECK_INT(a.nops, 2);
    CHECK_INT(a.kinds[0], MIG_CREATE_MODEL);
    CHECK_HAS(a.text, "create_model = \"project\"");
    CHECK_HAS(a.text, "#   - creates model task (table task)");
    /* add a field, make one optional, add an index, add a reference */
    const char *v2[] = {"models/project.toml", m_project, "models/task.toml",
                        "[fields]\ntitle = { type = \"string\", max_length = "
                        "200, index = true }\ndue = \"date?\"\n"
                        "done = { type = \"bool\", default = false }\n"
                        "project = \"ref:project?\"\n"};
    const char *p1[] = {a.text};
    made b = make(p1, 1, v2, 2, NULL);
    CHECK_INT(b.rc, 0);
    CHECK_HAS(b.text, "alter_field = \"task.due\"\nfrom = \"date\"\nto = "
                      "\"date?\"");
    CHECK_HAS(b.text, "add_field = \"task.done\"\nfield = { type = \"bool\", "
                      "default = false }");
    CHECK_HAS(b.text, "add_field = \"task.project\"\nfield = "
                      "\"ref:project?\"");
    CHECK_HAS(b.text, "add_index = \"task_title_idx\"\nmodel = \"task\"");
    CHECK_HAS(b.text, "add_index = \"task_project_id_idx\"");
    /* the index comes after the field it needs */
    CHECK(strstr(b.text, "add_index = \"task_project_id_idx\"") >
          strstr(b.text, "add_field = \"task.project\""));
    /* rename with a hint, many-to-many */
    const char *v3[] = {"models/project.toml",
                        m_project,
                        "models/tag.toml",
                        "[fields]\nlabel = \"string:30\"\n",
                        "models/task.toml",
                        "[fields]\nname = { type = \"string\", max_length = "
                        "200, index = true, renamed_from = \"title\" }\n"
                        "due = \"date?\"\ndone = { type = \"bool\", default = "
                        "false }\nproject = \"ref:project?\"\n"
                        "tags = \"many:tag\"\n"};
    const char *p2[] = {a.text, b.text};
    made c = make(p2, 2, v3, 3, NULL);
    CHECK_INT(c.rc, 0);
    CHECK_HAS(c.text, "rename_field = \"task.title\"\nto = \"name\"");
    CHECK_HAS(c.text, "rename_index = \"task_title_idx\"\nmodel = "
                      "\"task\"\nto = \"task_name_idx\"");
    CHECK_HAS(c.text, "add_field = \"task.tags\"\nfield = \"many:tag\"");
    CHECK(strstr(c.text, "create_model = \"tag\"") <
          strstr(c.text, "add_field = \"task.tags\""));
    /* nothing changed: nothing to write */
    const char *p3[] = {a.text, b.text, c.text};
    made d = make(p3, 3, v3, 3, NULL);
    CHECK_INT(d.rc, 0);
    CHECK_INT(d.nops, 0);
    made_free(&a);
    made_free(&b);
    made_free(&c);
    made_free(&d);
}

TEST(data_loss_is_refused_until_accepted)
{
    const char *v1[] = {"models/task.toml",
                        "[fields]\ntitle = \"string:200\"\nnotes = "
                        "\"text?\"\nsize = \"float\"\n"};
    made a = make(NULL, 0, v1, 1, NULL);
    const char *p[] = {a.text};
    /* notes renamed without a hint: a drop plus an add */
    const char *v2[] = {"models/task.toml",
                        "[fields]\ntitle = \"string:100\"\nremarks = "
                        "\"text?\"\nsize = \"integer\"\n"};
    made b = make(p, 1, v2, 1, NULL);
    CHECK_INT(b.rc, KILN_EINVAL);
    CHECK(b.text == NULL);
    CHECK_HAS(b.errs, "field task.notes is gone from models/task.toml: "
                      "dropping it loses its values; pass --accept-loss");
    CHECK_HAS(b.errs, "If it became task.remarks, write renamed_from = "
                      "\"notes\" on that field or pass --rename "
                      "task.notes=remarks.");
    CHECK_HAS(b.errs, "field task.title changes from \"string:200\" to "
                      "\"string:100\": values longer than 100 characters are "
                      "cut; pass --accept-loss");
    CHECK_HAS(b.errs, "field task.size changes from \"float\" to "
                      "\"integer\": its values are rounded");
    mig_diff_opts accept = {.accept_loss = true};
    made c = make(p, 1, v2, 1, &accept);
    CHECK_INT(c.rc, 0);
    CHECK_HAS(c.text, "drop_field = \"task.notes\"\nfield = \"text?\"");
    CHECK_HAS(c.text, "add_field = \"task.remarks\"");
    CHECK_HAS(c.notes, "drops field task.notes and its values");
    /* the same told as a rename keeps the column */
    const char *renames[] = {"task.notes=remarks"};
    mig_diff_opts rn = {.accept_loss = true, .renames = renames, .nrenames = 1};
    made d = make(p, 1, v2, 1, &rn);
    CHECK_INT(d.rc, 0);
    CHECK_HAS(d.text, "rename_field = \"task.notes\"\nto = \"remarks\"");
    CHECK_LACKS(d.text, "drop_field");
    /* a --rename that names nothing */
    const char *bad[] = {"task.nope=remarks"};
    mig_diff_opts rb = {.accept_loss = true, .renames = bad, .nrenames = 1};
    made e = make(p, 1, v2, 1, &rb);
    CHECK_INT(e.rc, KILN_EINVAL);
    CHECK_HAS(e.errs, "--rename task.nope=remarks: the migrations give model "
                      "task no field nope");
    /* a whole model gone */
    const char *v3[] = {"models/other.toml", "[fields]\nx = \"integer\"\n"};
    made f = make(p, 1, v3, 1, NULL);
    CHECK_INT(f.rc, KILN_EINVAL);
    CHECK_HAS(f.errs, "model task is gone from models/: dropping it loses "
                      "table task and its rows; pass --accept-loss to drop "
                      "it. If models/other.toml is task renamed, write "
                      "renamed_from = \"task\" at its top or pass --rename "
                      "task=other.");
    made_free(&a);
    made_free(&b);
    made_free(&c);
    made_free(&d);
    made_free(&e);
    made_free(&f);
}

TEST(rows_already_there_need_a_value)
{
    const char *v1[] = {"models/task.toml",
                        "[fields]\ntitle = \"string:200\"\ndue = \"date?\"\n"
                        "state = \"enum:open,doing,done\"\n"};
    made a = make(NULL, 0, v1, 1, NULL);
    const char *p[] = {a.text};
    const char *v2[] = {"models/task.toml",
                        "[fields]\ntitle = \"string:200\"\ndue = \"date\"\n"
                        "priority = \"integer\"\n"
                        "created = { type = \"datetime\", auto = \"created\" "
                        "}\nuid = { type = \"uuid\", default = \"random\" }\n"
                        "state = \"enum:open,done\"\n"};
    made b = make(p, 1, v2, 1, NULL);
    CHECK_INT(b.rc, KILN_EINVAL);
    CHECK_HAS(b.errs, "field task.priority is new and required, with no "
                      "default: rows already there need a value. Give it a "
                      "default in models/task.toml, make it optional (\"?\"), "
                      "or pass --default task.priority=VALUE");
    CHECK_HAS(b.errs, "field task.due becomes required, with no default");
    CHECK_HAS(b.errs, "field task.state loses enum values rows may hold");
    CHECK_HAS(b.errs, "rows holding a value it no longer lists (doing) get "
                      "another value");
    CHECK_LACKS(b.errs, "task.created");
    CHECK_LACKS(b.errs, "task.uid");
    const char *defs[] = {"task.priority=3", "task.due=2026-01-01",
                          "task.state=open"};
    mig_diff_opts o = {.accept_loss = true, .defaults = defs, .ndefaults = 3};
    made c = make(p, 1, v2, 1, &o);
    CHECK_INT(c.rc, 0);
    CHECK_HAS(c.text, "add_field = \"task.priority\"\nfield = \"integer\"\n"
                      "fill = 3\n");
    CHECK_HAS(c.text, "to = \"date\"\nfill = \"2026-01-01\"\n");
    CHECK_HAS(c.text, "to = \"enum:open,done\"\nfill = \"open\"\n");
    /* computed values need no flag, and the file says what rows get */
    CHECK_HAS(c.text, "field = { type = \"datetime\", auto = \"created\" }\n"
                      "fill = \"now\"\n");
    CHECK_HAS(c.text, "field = { type = \"uuid\", default = \"random\" }\n"
                      "fill = \"random\"\n");
    CHECK_HAS(c.text, "#   - adds field task.uid (rows there get a random "
                      "UUID each)");
    /* a value that does not fit, and one nothing needs */
    const char *bad[] = {"task.priority=high", "task.title=x"};
    mig_diff_opts ob = {.accept_loss = true, .defaults = bad, .ndefaults = 2};
    made d = make(p, 1, v2, 1, &ob);
    CHECK_INT(d.rc, KILN_EINVAL);
    CHECK_HAS(d.errs, "--default task.priority=high: not a value (");
    CHECK_HAS(d.errs, "--default task.title=x: no change to that field needs "
                      "a value for existing rows");
    made_free(&a);
    made_free(&b);
    made_free(&c);
    made_free(&d);
}

TEST(a_renamed_model_keeps_its_table_rows_and_links)
{
    const char *v1[] = {"models/tag.toml", "[fields]\nlabel = \"string\"\n",
                        "models/todo.toml",
                        "[fields]\ntitle = { type = \"string\", unique = true "
                        "}\nparent = \"ref:todo?\"\ntags = \"many:tag\"\n"};
    made a = make(NULL, 0, v1, 2, NULL);
    CHECK_INT(a.rc, 0);
    const char *p[] = {a.text};
    const char *v2[] = {"models/tag.toml", "[fields]\nlabel = \"string\"\n",
                        "models/task.toml",
                        "renamed_from = \"todo\"\n[fields]\ntitle = { type = "
                        "\"string\", unique = true }\nparent = "
                        "\"ref:task?\"\ntags = \"many:tag\"\n"};
    made b = make(p, 1, v2, 2, NULL);
    CHECK_INT(b.rc, 0);
    CHECK_HAS(b.text, "rename_model = \"todo\"\nto = \"task\"\ntable = "
                      "\"task\"\n");
    CHECK_HAS(b.text, "rename_index = \"todo_title_uniq\"\nmodel = "
                      "\"task\"\nto = \"task_title_uniq\"");
    CHECK_LACKS(b.text, "drop_");
    CHECK_LACKS(b.text, "alter_field");
    const char *all[] = {a.text, b.text};
    char *pg = sql_of(all, 2, DDL_POSTGRES, false, false, NULL);
    CHECK_HAS(pg, "ALTER TABLE todo RENAME TO task;\n");
    CHECK_HAS(pg, "ALTER TABLE task RENAME CONSTRAINT todo_parent_id_fkey TO "
                  "task_parent_id_fkey;\n");
    CHECK_HAS(pg, "ALTER TABLE todo_tags RENAME TO task_tags;\n");
    CHECK_HAS(pg, "ALTER TABLE task_tags RENAME COLUMN todo_id TO task_id;\n");
    CHECK_HAS(pg, "ALTER TABLE task_tags RENAME CONSTRAINT "
                  "todo_tags_todo_id_fkey TO task_tags_task_id_fkey;\n");
    CHECK_HAS(pg, "ALTER TABLE task_tags RENAME CONSTRAINT "
                  "todo_tags_tag_id_fkey TO task_tags_tag_id_fkey;\n");
    CHECK_HAS(pg, "ALTER INDEX todo_tags_tag_id_idx RENAME TO "
                  "task_tags_tag_id_idx;\n");
    CHECK_HAS(pg, "ALTER INDEX todo_title_uniq RENAME TO task_title_uniq;\n");
    char *lite = sql_of(all, 2, DDL_SQLITE, false, false, NULL);
    CHECK_HAS(lite, "ALTER TABLE todo RENAME TO task;\n");
    CHECK_HAS(lite, "DROP INDEX todo_title_uniq;\nCREATE UNIQUE INDEX "
                    "task_title_uniq ON task (title);\n");
    CHECK_LACKS(lite, "CONSTRAINT");
    /* and back */
    char *undo = sql_of(all, 2, DDL_POSTGRES, true, false, NULL);
    CHECK_HAS(undo, "ALTER TABLE task RENAME TO todo;\n");
    CHECK_HAS(undo,
              "ALTER TABLE todo_tags RENAME COLUMN task_id TO todo_id;\n");
    free(pg);
    free(lite);
    free(undo);
    /* the hint may name the old table instead, when it had its own */
    const char *v3[] = {"models/tag.toml", "[fields]\nlabel = \"string\"\n",
                        "models/todo.toml",
                        "table = \"todos\"\n[fields]\ntitle = \"text\"\n"};
    made c = make(NULL, 0, v3, 2, NULL);
    const char *p3[] = {c.text};
    const char *v4[] = {"models/tag.toml", "[fields]\nlabel = \"string\"\n",
                        "models/item.toml",
                        "renamed_from = \"todos\"\ntable = \"todos\"\n"
                        "[fields]\ntitle = \"text\"\n"};
    made d = make(p3, 1, v4, 2, NULL);
    CHECK_INT(d.rc, 0);
    CHECK_HAS(d.text, "rename_model = \"todo\"\nto = \"item\"\n");
    CHECK_LACKS(d.text, "table = ");
    made_free(&a);
    made_free(&b);
    made_free(&c);
    made_free(&d);
}

TEST(new_models_that_refer_to_each_other)
{
    const char *v1[] = {
        "models/alpha.toml",
        "[fields]\nbeta = \"ref:beta?\"\n",
        "models/beta.toml",
        "[fields]\nalpha = { type = \"ref\", to = \"alpha\", optional = "
        "true, on_delete = \"set_null\" }\ngamma = \"ref:gamma\"\n",
        "models/gamma.toml",
        "[fields]\nname = \"text\"\n"};
    made a = make(NULL, 0, v1, 3, NULL);
    CHECK_INT(a.rc, 0);
    /* gamma before beta; alpha and beta refer to each other: one of the
       references is added after both tables exist */
    const char *g = strstr(a.text, "create_model = \"gamma\"");
    const char *b = strstr(a.text, "create_model = \"beta\"");
    const char *al = strstr(a.text, "create_model = \"alpha\"");
    const char *later = strstr(a.text, "add_field = \"alpha.beta\"");
    CHECK(g && b && al && later);
    CHECK(g < b && al < later && b < later);
    const char *p[] = {a.text};
    char *pg = sql_of(p, 1, DDL_POSTGRES, false, false, NULL);
    CHECK(pg != NULL);
    CHECK(strstr(pg, "CREATE TABLE gamma") < strstr(pg, "CREATE TABLE beta"));
    free(pg);
    /* all three gone: the cycle is cut before the tables go */
    mig_diff_opts accept = {.accept_loss = true};
    const char *v2[] = {"models/other.toml", "[fields]\nx = \"integer\"\n"};
    made c = make(p, 1, v2, 1, &accept);
    CHECK_INT(c.rc, 0);
    CHECK_HAS(c.notes, "drops model alpha: table alpha and its rows");
    const char *p2[] = {a.text, c.text};
    char *drop = sql_of(p2, 2, DDL_POSTGRES, false, false, NULL);
    CHECK(drop != NULL);
    CHECK(strstr(drop, "DROP TABLE beta") < strstr(drop, "DROP TABLE gamma"));
    free(drop);
    made_free(&a);
    made_free(&c);
}

/* ---- SQL ----------------------------------------------------------------- */

TEST(columns_per_backend)
{
    const char *v1[] = {
        "models/project.toml", m_project, "models/task.toml",
        "[fields]\n"
        "n = \"integer\"\nf = { type = \"float\", default = 1.5 }\n"
        "d = { type = \"decimal\", precision = 8, scale = 2, default = "
        "\"12.5\" }\n"
        "b = { type = \"bool\", default = true }\ns = \"string:40?\"\n"
        "t = { type = \"text\", default = \"it's\" }\ne = \"email\"\n"
        "u = \"url\"\nday = { type = \"date\", default = 2026-01-31 }\n"
        "at = { type = \"datetime\", default = 2026-01-31T10:30:00+01:00 }\n"
        "tm = { type = \"time\", default = 09:30:00 }\n"
        "id2 = { type = \"uuid\", default = "
        "\"0F8FAD5B-D9CB-469F-A165-70867728950E\" }\n"
        "st = { type = \"enum\", values = [\"a\", \"b\"], default = \"b\" }\n"
        "j = { type = \"json\", default = [1, \"x\"] }\n"
        "p = { type = \"ref\", to = \"project\", on_delete = \"restrict\" }\n"
        "q = { type = \"ref\", to = \"project\", optional = true, on_delete = "
        "\"set_null\" }\n"};
    made a = make(NULL, 0, v1, 2, NULL);
    CHECK_INT(a.rc, 0);
    const char *p[] = {a.text};
    char *lite = sql_of(p, 1, DDL_SQLITE, false, false, NULL);
    CHECK_HAS(lite, "CREATE TABLE task (\n"
                    "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
                    "    n INTEGER NOT NULL,\n"
                    "    f REAL NOT NULL DEFAULT 1.5,\n"
                    "    d TEXT NOT NULL DEFAULT '12.50',\n"
                    "    b INTEGER NOT NULL DEFAULT 1,\n"
                    "    s TEXT,\n"
                    "    t TEXT NOT NULL DEFAULT 'it''s',\n"
                    "    e TEXT NOT NULL,\n"
                    "    u TEXT NOT NULL,\n"
                    "    day TEXT NOT NULL DEFAULT '2026-01-31',\n"
                    "    at TEXT NOT NULL DEFAULT '2026-01-31 "
                    "09:30:00.000000+00:00',\n"
                    "    tm TEXT NOT NULL DEFAULT '09:30:00.000000',\n"
                    "    id2 TEXT NOT NULL DEFAULT "
                    "'0f8fad5b-d9cb-469f-a165-70867728950e',\n"
                    "    st TEXT NOT NULL DEFAULT 'b',\n"
                    "    j TEXT NOT NULL DEFAULT '[1,\"x\"]',\n"
                    "    p_id INTEGER NOT NULL REFERENCES project(id) ON "
                    "DELETE RESTRICT,\n"
                    "    q_id INTEGER REFERENCES project(id) ON DELETE SET "
                    "NULL\n);\n");
    CHECK_HAS(lite, "CREATE INDEX task_p_id_idx ON task (p_id);\n");
    char *pg = sql_of(p, 1, DDL_POSTGRES, false, false, NULL);
    CHECK_HAS(pg, "CREATE TABLE task (\n"
                  "    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY "
                  "KEY,\n"
                  "    n bigint NOT NULL,\n"
                  "    f double precision NOT NULL DEFAULT 1.5,\n"
                  "    d numeric(8,2) NOT NULL DEFAULT 12.50,\n"
                  "    b boolean NOT NULL DEFAULT true,\n"
                  "    s varchar(40),\n"
                  "    t text NOT NULL DEFAULT 'it''s',\n"
                  "    e varchar(254) NOT NULL,\n"
                  "    u varchar(2048) NOT NULL,\n"
                  "    day date NOT NULL DEFAULT '2026-01-31',\n"
                  "    at timestamptz NOT NULL DEFAULT '2026-01-31 "
                  "09:30:00.000000+00:00',\n"
                  "    tm time NOT NULL DEFAULT '09:30:00.000000',\n"
                  "    id2 uuid NOT NULL DEFAULT "
                  "'0f8fad5b-d9cb-469f-a165-70867728950e',\n"
                  "    st text NOT NULL DEFAULT 'b',\n"
                  "    j json NOT NULL DEFAULT '[1,\"x\"]',\n"
                  "    p_id bigint NOT NULL CONSTRAINT task_p_id_fkey "
                  "REFERENCES project(id) ON DELETE RESTRICT,\n"
                  "    q_id bigint CONSTRAINT task_q_id_fkey REFERENCES "
                  "project(id) ON DELETE SET NULL\n);\n");
    free(lite);
    free(pg);
    made_free(&a);
}

static const char base[] =
    "[[op]]\ncreate_model = \"project\"\ntable = \"project\"\n[op.fields]\n"
    "name = \"text\"\n"
    "[[op]]\ncreate_model = \"task\"\ntable = \"task\"\n[op.fields]\n"
    "title = \"string:200\"\ndue = \"date?\"\nstate = \"enum:a,b,c\"\n"
    "size = \"float\"\nproject = \"ref:project\"\n"
    "[[op.index]]\nname = \"task_project_id_idx\"\nfields = [\"project\"]\n";

TEST(altering_a_column)
{
    const char *m[] = {
        base, "[[op]]\nalter_field = \"task.due\"\nfrom = \"date?\"\n"
              "to = \"date\"\nfill = 2026-01-01\n"
              "[[op]]\nalter_field = \"task.title\"\nfrom = \"string:200\"\n"
              "to = \"string:50\"\n"
              "[[op]]\nalter_field = \"task.state\"\nfrom = \"enum:a,b,c\"\n"
              "to = { type = \"enum\", values = [\"a\", \"b\"], default = "
              "\"a\" }\n"
              "[[op]]\nalter_field = \"task.size\"\nfrom = \"float\"\n"
              "to = \"decimal:6,1\"\n"
              "[[op]]\nalter_field = \"task.project\"\nfrom = "
              "\"ref:project\"\nto = { type = \"ref\", to = \"project\", "
              "on_delete = \"restrict\" }\n"};
    char *pg = sql_of(m, 2, DDL_POSTGRES, false, false, NULL);
    CHECK_HAS(pg, "UPDATE task SET due = '2026-01-01' WHERE due IS NULL;\n"
                  "ALTER TABLE task ALTER COLUMN due SET NOT NULL;\n");
    CHECK_HAS(pg, "ALTER TABLE task ALTER COLUMN title TYPE varchar(50) "
                  "USING left(title, 50);\n");
    CHECK_HAS(pg, "UPDATE task SET state = CASE WHEN state IS NULL OR state "
                  "IN ('a', 'b') THEN state ELSE 'a' END;\n"
                  "ALTER TABLE task ALTER COLUMN state SET DEFAULT 'a';\n");
    CHECK_HAS(pg, "ALTER TABLE task ALTER COLUMN size TYPE numeric(6,1) "
                  "USING size::numeric(6,1);\n");
    CHECK_HAS(pg, "ALTER TABLE task DROP CONSTRAINT task_project_id_fkey;\n");
    CHECK_HAS(pg, "ALTER TABLE task ADD CONSTRAINT task_project_id_fkey "
                  "FOREIGN KEY (project_id) REFERENCES project(id) ON DELETE "
                  "RESTRICT;\n");
    char *lite = sql_of(m, 2, DDL_SQLITE, false, false, NULL);
    /* NOT NULL: a rebuild that fills the NULLs */
    CHECK_HAS(lite, "-- rebuild task: SQLite cannot alter it in place\n"
                    "CREATE TABLE kiln_new_task (");
    CHECK_HAS(lite, "SELECT id, title, coalesce(due, '2026-01-01'), state, "
                    "size, project_id FROM task;\n");
    CHECK_HAS(lite, "DROP TABLE task;\nPRAGMA legacy_alter_table = ON;\n"
                    "ALTER TABLE kiln_new_task RENAME TO task;\n"
                    "PRAGMA legacy_alter_table = OFF;\n"
                    "CREATE INDEX task_project_id_idx ON task (project_id);\n");
    /* the same column definition: values changed in place */
    CHECK_HAS(lite, "UPDATE task SET title = substr(title, 1, 50);\n");
    CHECK_HAS(lite, "printf('%.1f', size)");
    CHECK_HAS(lite, "ON DELETE RESTRICT");
    free(pg);
    free(lite);
}

TEST(adding_columns_to_rows_already_there)
{
    const char *m[] = {
        base,
        "[[op]]\nadd_field = \"task.note\"\nfield = \"text?\"\n"
        "[[op]]\nadd_field = \"task.rank\"\nfield = { type = \"integer\", "
        "default = 5 }\n"
        "[[op]]\nadd_field = \"task.made\"\nfield = { type = \"datetime\", "
        "auto = \"created\" }\nfill = \"now\"\n"
        "[[op]]\nadd_field = \"task.uid\"\nfield = { type = \"uuid\", default "
        "= \"random\" }\nfill = \"random\"\n"
        "[[op]]\nadd_field = \"task.prio\"\nfield = \"integer\"\nfill = 2\n"};
    char *pg = sql_of(m, 2, DDL_POSTGRES, false, false, NULL);
    CHECK_HAS(pg, "ALTER TABLE task ADD COLUMN note text;\n");
    CHECK_HAS(pg, "ALTER TABLE task ADD COLUMN rank bigint NOT NULL DEFAULT "
                  "5;\n");
    CHECK_HAS(pg, "ALTER TABLE task ADD COLUMN made timestamptz NOT NULL "
                  "DEFAULT now();\nALTER TABLE task ALTER COLUMN made DROP "
                  "DEFAULT;\n");
    CHECK_HAS(pg, "ALTER TABLE task ADD COLUMN uid uuid NOT NULL DEFAULT "
                  "gen_random_uuid();\n");
    CHECK_HAS(pg, "ALTER TABLE task ADD COLUMN prio bigint NOT NULL DEFAULT "
                  "2;\nALTER TABLE task ALTER COLUMN prio DROP DEFAULT;\n");
    char *lite = sql_of(m, 2, DDL_SQLITE, false, false, NULL);
    CHECK_HAS(lite, "ALTER TABLE task ADD COLUMN note TEXT;\n");
    CHECK_HAS(lite, "ALTER TABLE task ADD COLUMN rank INTEGER NOT NULL "
                    "DEFAULT 5;\n");
    CHECK_HAS(lite, "strftime('%Y-%m-%d %H:%M:%f000+00:00', 'now') FROM "
                    "task;\n");
    CHECK_HAS(lite, "lower(hex(randomblob(4)))");
    CHECK_HAS(lite, ", 2 FROM task;\n");
    free(pg);
    free(lite);
}

TEST(undoing_operations)
{
    const char *drop_req[] = {
        base, "[[op]]\ndrop_field = \"task.size\"\nfield = \"float\"\n"};
    char *why = NULL;
    char *sql = sql_of(drop_req, 2, DDL_SQLITE, true, true, &why);
    CHECK(sql == NULL);
    CHECK_HAS(why, "migrations/0009_x.toml:2: drop_field task.size cannot be "
                   "undone: the column was required and has no default");
    free(why);
    const char *drop_opt[] = {
        base, "[[op]]\ndrop_field = \"task.due\"\nfield = \"date?\"\n"};
    sql = sql_of(drop_opt, 2, DDL_POSTGRES, true, false, NULL);
    CHECK_STR(sql, "ALTER TABLE task ADD COLUMN due date;\n");
    free(sql);
    const char *widen[] = {base, "[[op]]\nalter_field = \"task.title\"\nfrom "
                                 "= \"string:200\"\nto = \"string:300\"\n"};
    sql = sql_of(widen, 2, DDL_POSTGRES, true, false, &why);
    CHECK(sql == NULL);
    CHECK_HAS(why, "undoing alter_field task.title would cut or replace "
                   "values (\"string:300\" back to \"string:200\"): pass "
                   "--accept-loss");
    free(why);
    sql = sql_of(widen, 2, DDL_POSTGRES, true, true, NULL);
    CHECK_STR(sql, "ALTER TABLE task ALTER COLUMN title TYPE varchar(200) "
                   "USING left(title, 200);\n");
    free(sql);
    /* several operations: undone in reverse order */
    const char *two[] = {base, "[[op]]\nadd_field = \"task.a\"\nfield = "
                               "\"text?\"\n[[op]]\nrename_field = "
                               "\"task.a\"\nto = \"b\"\n"};
    sql = sql_of(two, 2, DDL_POSTGRES, true, false, NULL);
    CHECK_STR(sql, "ALTER TABLE task RENAME COLUMN b TO a;\n"
                   "ALTER TABLE task DROP COLUMN a;\n");
    free(sql);
    sql = sql_of(two, 2, DDL_SQLITE, true, false, NULL);
    CHECK_HAS(sql, "ALTER TABLE task RENAME COLUMN b TO a;\n-- rebuild task");
    free(sql);
}

TEST(literals_as_each_backend_stores_them)
{
    kiln_field f = {.type = KILN_FT_BOOL};
    kiln_buf b;
    kiln_buf_init(&b);
    CHECK_INT(ddl_literal(&f, "true", DDL_SQLITE, &b), 0);
    CHECK_INT(ddl_literal(&f, "false", DDL_POSTGRES, &b), 0);
    CHECK_VIEW(kiln_buf_str(&b), "1false");
    kiln_buf_clear(&b);
    f.type = KILN_FT_TIME;
    CHECK_INT(ddl_literal(&f, "\"14:07\"", DDL_SQLITE, &b), 0);
    CHECK_VIEW(kiln_buf_str(&b), "'14:07:00.000000'");
    kiln_buf_clear(&b);
    f.type = KILN_FT_STRING;
    CHECK_INT(ddl_literal(&f, "\"a'b\\\\c\"", DDL_POSTGRES, &b), 0);
    CHECK_VIEW(kiln_buf_str(&b), "'a''b\\c'");
    CHECK_INT(ddl_literal(&f, "\"a\\u0000b\"", DDL_POSTGRES, &b), KILN_EINVAL);
    CHECK_INT(ddl_literal(&f, "12", DDL_POSTGRES, &b), KILN_EINVAL);
    f.type = KILN_FT_INT;
    CHECK_INT(ddl_literal(&f, "1.5", DDL_POSTGRES, &b), KILN_EINVAL);
    CHECK_INT(ddl_literal(&f, "nope", DDL_POSTGRES, &b), KILN_EINVAL);
    kiln_buf_deinit(&b);
}

TEST(conversions_are_classified)
{
    kiln_field a = {.type = KILN_FT_STRING, .max_length = 200};
    kiln_field b = {.type = KILN_FT_STRING, .max_length = 100};
    CHECK_INT(mig_field_change(&a, &b), MIG_NARROWS);
    CHECK_INT(mig_field_change(&b, &a), MIG_KEEPS);
    b.type = KILN_FT_TEXT;
    CHECK_INT(mig_field_change(&a, &b), MIG_KEEPS);
    CHECK_INT(mig_field_change(&b, &a), MIG_NARROWS);
    b.type = KILN_FT_DATE;
    CHECK_INT(mig_field_change(&a, &b), MIG_IMPOSSIBLE);
    kiln_field i = {.type = KILN_FT_INT}, fl = {.type = KILN_FT_FLOAT};
    CHECK_INT(mig_field_change(&i, &fl), MIG_KEEPS);
    CHECK_INT(mig_field_change(&fl, &i), MIG_NARROWS);
    kiln_field d1 = {.type = KILN_FT_DECIMAL, .precision = 8, .scale = 2};
    kiln_field d2 = {.type = KILN_FT_DECIMAL, .precision = 10, .scale = 2};
    CHECK_INT(mig_field_change(&d1, &d2), MIG_KEEPS);
    CHECK_INT(mig_field_change(&d2, &d1), MIG_NARROWS);
    kiln_field dt = {.type = KILN_FT_DATETIME}, day = {.type = KILN_FT_DATE};
    CHECK_INT(mig_field_change(&day, &dt), MIG_KEEPS);
    CHECK_INT(mig_field_change(&dt, &day), MIG_NARROWS);
    const char *ab[] = {"a", "b"}, *abc[] = {"a", "b", "c"};
    kiln_field e1 = {.type = KILN_FT_ENUM, .values = ab, .nvalues = 2};
    kiln_field e2 = {.type = KILN_FT_ENUM, .values = abc, .nvalues = 3};
    CHECK_INT(mig_field_change(&e1, &e2), MIG_KEEPS);
    CHECK_INT(mig_field_change(&e2, &e1), MIG_NARROWS);
    CHECK(!mig_field_same(&e1, &e2));
    const char *ba[] = {"b", "a"};
    kiln_field e3 = {.type = KILN_FT_ENUM, .values = ba, .nvalues = 2};
    CHECK(mig_field_same(&e1, &e3)); /* order is not the database's */
    kiln_field r1 = {.type = KILN_FT_REF, .ref_name = "a"};
    CHECK_INT(mig_field_change(&r1, &i), MIG_IMPOSSIBLE);
}

TEST(join_tables_follow_their_field)
{
    const char *v1[] = {"models/tag.toml", "[fields]\nlabel = \"text\"\n",
                        "models/task.toml",
                        "[fields]\ntags = \"many:tag\"\nrelated = "
                        "\"many:task\"\n"};
    made a = make(NULL, 0, v1, 2, NULL);
    CHECK_INT(a.rc, 0);
    const char *p[] = {a.text};
    char *pg = sql_of(p, 1, DDL_POSTGRES, false, false, NULL);
    /* a model linked to itself: from_ and to_ columns */
    CHECK_HAS(pg, "CREATE TABLE task_related (\n"
                  "    from_task_id bigint NOT NULL CONSTRAINT "
                  "task_related_from_task_id_fkey REFERENCES task(id) ON "
                  "DELETE CASCADE,\n"
                  "    to_task_id bigint NOT NULL CONSTRAINT "
                  "task_related_to_task_id_fkey REFERENCES task(id) ON "
                  "DELETE CASCADE,\n"
                  "    PRIMARY KEY (from_task_id, to_task_id)\n);\n"
                  "CREATE INDEX task_related_to_task_id_idx ON task_related "
                  "(to_task_id);\n");
    free(pg);
    /* a renamed many field renames its join table */
    const char *v2[] = {"models/tag.toml", "[fields]\nlabel = \"text\"\n",
                        "models/task.toml",
                        "[fields]\nlabels = { type = \"many\", to = \"tag\", "
                        "renamed_from = \"tags\" }\nrelated = "
                        "\"many:task\"\n"};
    made b = make(p, 1, v2, 2, NULL);
    CHECK_INT(b.rc, 0);
    CHECK_HAS(b.text, "rename_field = \"task.tags\"\nto = \"labels\"");
    const char *both[] = {a.text, b.text};
    pg = sql_of(both, 2, DDL_POSTGRES, false, false, NULL);
    CHECK_STR(pg, "ALTER TABLE task_tags RENAME TO task_labels;\n"
                  "ALTER TABLE task_labels RENAME CONSTRAINT "
                  "task_tags_task_id_fkey TO task_labels_task_id_fkey;\n"
                  "ALTER TABLE task_labels RENAME CONSTRAINT "
                  "task_tags_tag_id_fkey TO task_labels_tag_id_fkey;\n"
                  "ALTER INDEX task_tags_tag_id_idx RENAME TO "
                  "task_labels_tag_id_idx;\n");
    free(pg);
    char *lite = sql_of(both, 2, DDL_SQLITE, false, false, NULL);
    CHECK_STR(lite, "ALTER TABLE task_tags RENAME TO task_labels;\n"
                    "DROP INDEX task_tags_tag_id_idx;\n"
                    "CREATE INDEX task_labels_tag_id_idx ON task_labels "
                    "(tag_id);\n");
    free(lite);
    /* a many field to another model is a new join table, refused as such */
    const char *v3[] = {"models/tag.toml", "[fields]\nlabel = \"text\"\n",
                        "models/task.toml",
                        "[fields]\ntags = \"many:task\"\nrelated = "
                        "\"many:task\"\n"};
    made c = make(p, 1, v3, 2, NULL);
    CHECK_INT(c.rc, KILN_EINVAL);
    CHECK_HAS(c.errs, "field task.tags changes from \"many:tag\" to "
                      "\"many:task\": kiln has no conversion for that");
    made_free(&a);
    made_free(&b);
    made_free(&c);
}

/* ---- the built-in user (model/builtin.c) ----------------------------------
 */

TEST(ref_to_the_builtin_user)
{
    const char *models[] = {"models/task.toml", "[fields]\ntitle = "
                                                "\"string:80\"\nowner = "
                                                "\"ref:user\"\n"};
    model_set ms;
    load_models(&ms, models, 1);
    const kiln_model *u = model_find(&ms, "user");
    CHECK(u != NULL);
    CHECK_STR(u->table, "kiln_user");
    CHECK(u->flags & KILN_MF_BUILTIN);
    CHECK(model_field(u, "password") == NULL); /* never exposed */
    CHECK(model_field(u, "email") != NULL);
    model_set_free(&ms);
    /* the migration creates task only: kiln_user is Kiln's; read back
       (make checks it), nothing is left to do */
    made m = make(NULL, 0, models, 1, &(mig_diff_opts){0});
    CHECK_INT(m.rc, 0);
    CHECK_INT((int)m.nops, 1); /* the model (with its ref's index) */
    CHECK_INT(m.kinds[0], MIG_CREATE_MODEL);
    CHECK_HAS(m.text, "create_model = \"task\"");
    CHECK_HAS(m.text, "owner = \"ref:user\"");
    CHECK_LACKS(m.text, "kiln_user");
    /* the ref gone: its field is dropped, the user model never is */
    const char *later[] = {"models/task.toml",
                           "[fields]\ntitle = \"string:80\"\n"};
    const char *prev[] = {m.text};
    made d = make(prev, 1, later, 1, &(mig_diff_opts){.accept_loss = true});
    CHECK_INT(d.rc, 0);
    CHECK_LACKS(d.text, "drop_model");
    CHECK_HAS(d.text, "drop_field = \"task.owner\"");
    made_free(&d);
    made_free(&m);
}

TEST(an_apps_own_user_model_keeps_its_meaning)
{
    const char *models[] = {"models/user.toml",
                            "table = \"account\"\n[fields]\nnick = "
                            "\"string:40\"\n",
                            "models/task.toml",
                            "[fields]\nowner = \"ref:user\"\n"};
    model_set ms;
    load_models(&ms, models, 2);
    const kiln_model *u = model_find(&ms, "user");
    CHECK_STR(u->table, "account");
    CHECK(!(u->flags & KILN_MF_BUILTIN));
    model_set_free(&ms);
    made m = make(NULL, 0, models, 2, &(mig_diff_opts){0});
    CHECK_INT(m.rc, 0);
    CHECK_HAS(m.text, "create_model = \"user\"");
    made_free(&m);
}

/* ---- the app's fields of the user (extends = "kiln.user") ---------------- */

static const char user_ext[] = "extends = \"kiln.user\"\n"
                               "[fields]\n"
                               "bio = { type = \"string\", max_length = 200, "
                               "default = \"\", blank = true }\n"
                               "karma = { type = \"integer\", default = 10 }\n";

/* The errors of loading models/user.toml with text src (malloc'd). */
static char *user_errors(const char *src)
{
    model_set ms;
    model_set_init(&ms);
    kiln_buf errs;
    kiln_buf_init(&errs);
    int rc = model_load_text(&ms, "models/user.toml", src, strlen(src), &errs);
    if (rc == 0)
        rc = model_set_resolve(&ms, &errs);
    CHECK(rc != 0);
    model_set_free(&ms);
    return take(&errs);
}

TEST(an_extended_user_is_kilns_fields_then_the_apps)
{
    const char *models[] = {"models/user.toml", user_ext, "models/task.toml",
                            "[fields]\nowner = \"ref:user\"\n"};
    model_set ms;
    load_models(&ms, models, 2);
    CHECK_INT((int)ms.n, 2);
    const kiln_model *u = model_find(&ms, "user");
    CHECK(u != NULL);
    CHECK_STR(u->table, "kiln_user");
    CHECK_STR(u->file, "models/user.toml");
    CHECK(u->flags & KILN_MF_BUILTIN);
    static const char *const names[] = {
        "id",        "username",   "email",   "name", "active", "staff",
        "superuser", "last_login", "created", "bio",  "karma"};
    CHECK_INT((int)u->nfields, (int)(sizeof names / sizeof names[0]));
    for (uint32_t i = 0; i < u->nfields && i < 11; i++)
        CHECK_STR(u->fields[i].name, names[i]);
    CHECK(u->fields[0].flags & KILN_FF_PK);
    CHECK(model_field(u, "username")->flags & KILN_FF_READ_ONLY);
    CHECK(!(model_field(u, "karma")->flags & KILN_FF_READ_ONLY));
    CHECK_STR(model_field(u, "karma")->def, "10");
    CHECK(model_field(u, "password") == NULL);
    CHECK(model_field(u, "issuer") == NULL);
    CHECK(model_field(u, "subject") == NULL);
    /* username's unique index is the built-in's */
    CHECK_INT((int)u->nindexes, 1);
    CHECK(u->indexes[0].unique);
    CHECK_STR(u->indexes[0].fields[0], "username");
    /* the task's ref points at it */
    CHECK(model_find(&ms, "task")->fields[1].ref == u);
    model_set_free(&ms);
}

TEST(mistakes_in_an_extended_user)
{
    static const struct {
        const char *src, *msg;
    } cases[] = {
        {"extends = \"kiln.user\"\n[fields]\nlevel = \"integer\"\n",
         "models/user.toml:3:1: field 'level' of the user is required with "
         "no constant default"},
        {"extends = \"kiln.user\"\n[fields]\nseen = { type = \"datetime\", "
         "default = \"now\" }\n",
         "field 'seen' of the user is required with no constant default"},
        {"extends = \"kiln.user\"\n[fields]\npassword = \"string:20?\"\n",
         "kiln_user has a column 'password' of Kiln's"},
        {"extends = \"kiln.user\"\n[fields]\nsubject = \"string:20?\"\n",
         "column 'subject' of Kiln's"},
        {"extends = \"kiln.user\"\n[fields]\nstaff = \"bool?\"\n",
         "column 'staff' of Kiln's"},
        {"extends = \"kiln.user\"\n[fields]\nboss = \"ref:user\"\n",
         "a ref of the user is optional"},
        {"extends = \"kiln.user\"\ntable = \"people\"\n[fields]\nx = "
         "\"integer?\"\n",
         "remove table"},
        {"extends = \"kiln.user\"\nrenamed_from = \"member\"\n[fields]\nx = "
         "\"integer?\"\n",
         "cannot be renamed"},
        {"extends = \"kiln.users\"\n[fields]\nx = \"integer?\"\n",
         "models/user.toml can say extends = \"kiln.user\""},
        {"extends = true\n[fields]\nx = \"integer?\"\n",
         "models/user.toml can say"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *e = user_errors(cases[i].src);
        CHECK_HAS(e, cases[i].msg);
        free(e);
    }
    /* many fields and the whole [api] are fine on the user */
    static const char ok[] = "extends = \"kiln.user\"\n[fields]\nfriends = "
                             "\"many:user\"\n[api]\noperations = [\"all\"]\n";
    model_set ok_ms;
    model_set_init(&ok_ms);
    kiln_buf ok_errs;
    kiln_buf_init(&ok_errs);
    int ok_rc =
        model_load_text(&ok_ms, "models/user.toml", ok, strlen(ok), &ok_errs);
    if (ok_rc == 0)
        ok_rc = model_set_resolve(&ok_ms, &ok_errs);
    if (ok_rc)
        fprintf(stderr, "%s\n", ok_errs.p ? ok_errs.p : "");
    CHECK_INT(ok_rc, 0);
    const kiln_model *ou = model_find(&ok_ms, "user");
    CHECK(ou && ou->api && (ou->api->ops & KILN_API_CREATE) &&
          (ou->api->ops & KILN_API_DELETE));
    CHECK(ou && model_field(ou, "friends")->type == KILN_FT_MANY);
    kiln_buf_deinit(&ok_errs);
    model_set_free(&ok_ms);
    /* only the user's own file extends it */
    model_set ms;
    model_set_init(&ms);
    kiln_buf errs;
    kiln_buf_init(&errs);
    static const char p[] = "extends = \"kiln.user\"\n[fields]\nx = "
                            "\"integer?\"\n";
    CHECK(model_load_text(&ms, "models/profile.toml", p, strlen(p), &errs) !=
          0);
    CHECK_HAS(errs.p, "models/profile.toml:1:11: extends names a built-in");
    kiln_buf_deinit(&errs);
    model_set_free(&ms);
}

/* True when text names a column of Kiln's in an operation. */
static void check_no_kiln_column(const char *text)
{
    static const char *const kilns[] = {
        "id",    "username",  "email",  "name",    "password",   "active",
        "staff", "superuser", "issuer", "subject", "last_login", "created"};
    for (size_t i = 0; i < sizeof kilns / sizeof kilns[0]; i++) {
        char op[64];
        static const char *const kinds[] = {"add_field", "drop_field",
                                            "alter_field", "rename_field"};
        for (size_t k = 0; k < 4; k++) {
            snprintf(op, sizeof op, "%s = \"user.%s\"", kinds[k], kilns[i]);
            CHECK_LACKS(text, op);
        }
    }
    CHECK_LACKS(text, "create_model = \"user\"");
    CHECK_LACKS(text, "drop_model = \"user\"");
    CHECK_LACKS(text, "rename_model");
}

TEST(the_diff_of_an_extended_user_has_only_the_apps_columns)
{
    const char *v1[] = {"models/user.toml", user_ext};
    made a = make(NULL, 0, v1, 1, &(mig_diff_opts){0});
    CHECK_INT(a.rc, 0);
    CHECK_INT((int)a.nops, 2);
    CHECK_INT(a.kinds[0], MIG_ADD_FIELD);
    CHECK_INT(a.kinds[1], MIG_ADD_FIELD);
    CHECK_HAS(a.text, "add_field = \"user.bio\"");
    CHECK_HAS(a.text, "add_field = \"user.karma\"");
    check_no_kiln_column(a.text);
    const char *prev[2] = {a.text, NULL};
    /* the SQL: in place on both, never a rebuild of kiln_user */
    char *e = NULL;
    char *lite = sql_of(prev, 1, DDL_SQLITE, false, false, &e);
    CHECK_HAS(lite, "ALTER TABLE kiln_user ADD COLUMN bio TEXT NOT NULL "
                    "DEFAULT ''");
    CHECK_HAS(lite, "ALTER TABLE kiln_user ADD COLUMN karma INTEGER NOT NULL "
                    "DEFAULT 10");
    CHECK_LACKS(lite, "kiln_new_");
    CHECK_LACKS(lite, "DROP TABLE");
    free(lite);
    free(e);
    char *undo = sql_of(prev, 1, DDL_SQLITE, true, false, &e);
    CHECK_HAS(undo, "ALTER TABLE kiln_user DROP COLUMN karma;");
    CHECK_HAS(undo, "ALTER TABLE kiln_user DROP COLUMN bio;");
    CHECK_LACKS(undo, "kiln_new_");
    free(undo);
    free(e);
    char *pg = sql_of(prev, 1, DDL_POSTGRES, false, false, &e);
    CHECK_HAS(pg, "ALTER TABLE kiln_user ADD COLUMN karma bigint NOT NULL "
                  "DEFAULT 10");
    free(pg);
    free(e);
    /* nothing more to do; a longer string alters in place */
    made same = make(prev, 1, v1, 1, &(mig_diff_opts){0});
    CHECK_INT(same.rc, 0);
    CHECK_INT((int)same.nops, 0);
    made_free(&same);
    char longer[512];
    snprintf(longer, sizeof longer, "%s", user_ext);
    memcpy(strstr(longer, "= 200"), "= 400", 5);
    const char *v2[] = {"models/user.toml", longer};
    made b = make(prev, 1, v2, 1, &(mig_diff_opts){0});
    CHECK_INT(b.rc, 0);
    CHECK_INT((int)b.nops, 1);
    CHECK_INT(b.kinds[0], MIG_ALTER_FIELD);
    check_no_kiln_column(b.text);
    /* a new default rebuilds kiln_user on SQLite, keeping Kiln's columns
       and constraints; PostgreSQL alters in place */
    char other[512];
    snprintf(other, sizeof other, "%s", user_ext);
    memcpy(strstr(other, "= 10"), "= 11", 4);
    const char *v3[] = {"models/user.toml", other};
    made c = make(prev, 1, v3, 1, &(mig_diff_opts){0});
    CHECK_INT(c.rc, 0);
    CHECK_INT((int)c.nops, 1);
    CHECK_INT(c.kinds[0], MIG_ALTER_FIELD);
    check_no_kiln_column(c.text);
    prev[1] = c.text;
    lite = sql_of(prev, 2, DDL_SQLITE, false, false, &e);
    CHECK_HAS(lite, "CREATE TABLE kiln_new_kiln_user (\n"
                    "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
                    "    username TEXT UNIQUE,\n");
    CHECK_HAS(lite, "    password TEXT NOT NULL DEFAULT '',\n");
    CHECK_HAS(lite, "    created TEXT NOT NULL,\n"
                    "    bio TEXT NOT NULL DEFAULT '',\n"
                    "    karma INTEGER NOT NULL DEFAULT 11,\n"
                    "    UNIQUE (issuer, subject)\n);");
    CHECK_HAS(lite, "INSERT INTO kiln_new_kiln_user (password, issuer, "
                    "subject, id, username, email, name, active, staff, "
                    "superuser, last_login, created, bio, karma)\n"
                    "    SELECT password, issuer, subject, id, username, "
                    "email, name, active, staff, superuser, last_login, "
                    "created, bio, karma FROM kiln_user;");
    CHECK_HAS(lite, "ALTER TABLE kiln_new_kiln_user RENAME TO kiln_user;");
    free(lite);
    free(e);
    pg = sql_of(prev, 2, DDL_POSTGRES, false, false, &e);
    CHECK_HAS(pg, "ALTER TABLE kiln_user ALTER COLUMN karma SET DEFAULT 11");
    CHECK_LACKS(pg, "kiln_new_");
    free(pg);
    free(e);
    prev[1] = NULL;
    made_free(&c);
    /* --default for a field of the user: refused (rows take its own) */
    const char *v4[] = {"models/user.toml",
                        "extends = \"kiln.user\"\n[fields]\nbio = { type = "
                        "\"string\", max_length = 200, default = \"\", blank = "
                        "true }\nkarma = { type = \"integer\", default = 10 }\n"
                        "rank = { type = \"integer\", default = 1 }\n"};
    const char *defs[] = {"user.rank=5"};
    made d = make(prev, 1, v4, 1,
                  &(mig_diff_opts){.defaults = defs, .ndefaults = 1});
    CHECK_INT(d.rc, KILN_EINVAL);
    CHECK_HAS(d.errs, "--default user.rank: rows of Kiln's table kiln_user");
    made_free(&d);
    /* the user.toml gone: the app's columns are dropped, Kiln's stay */
    const char *none[] = {"models/task.toml", "[fields]\nt = \"string:9\"\n"};
    made g = make(prev, 1, none, 1, &(mig_diff_opts){0});
    CHECK_INT(g.rc, KILN_EINVAL);
    CHECK_HAS(g.errs, "field user.bio is gone");
    made_free(&g);
    made h = make(prev, 1, none, 1, &(mig_diff_opts){.accept_loss = true});
    CHECK_INT(h.rc, 0);
    CHECK_INT((int)h.nops, 3);
    CHECK_HAS(h.text, "drop_field = \"user.bio\"");
    CHECK_HAS(h.text, "drop_field = \"user.karma\"");
    check_no_kiln_column(h.text);
    prev[1] = h.text;
    lite = sql_of(prev, 2, DDL_SQLITE, false, false, &e);
    CHECK_HAS(lite, "ALTER TABLE kiln_user DROP COLUMN bio;");
    CHECK_LACKS(lite, "kiln_new_kiln_user");
    free(lite);
    free(e);
    made_free(&h);
    made_free(&b);
    made_free(&a);
}

TEST(hand_written_operations_on_kilns_columns_are_refused)
{
    static const char *const bad[] = {
        "[[op]]\ndrop_field = \"user.password\"\nfield = \"string:9\"\n",
        "[[op]]\nadd_field = \"user.issuer\"\nfield = \"string:9?\"\n",
        "[[op]]\nalter_field = \"user.email\"\nfrom = \"string:254\"\n"
        "to = \"string:300\"\n",
        "[[op]]\nrename_field = \"user.name\"\nto = \"full_name\"\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *one[] = {bad[i]};
        char *e = replay_errors(one, 1);
        CHECK_HAS(e, "the field is Kiln's own (its table is kiln_user)");
        free(e);
    }
    /* a hand-written change of an app column that SQLite makes by
       rebuilding kiln_user: the rebuild keeps Kiln's columns */
    const char *texts[] = {
        "[[op]]\nadd_field = \"user.karma\"\nfield = { type = \"integer\", "
        "default = 10 }\n",
        "[[op]]\nalter_field = \"user.karma\"\nfrom = { type = \"integer\", "
        "default = 10 }\nto = { type = \"integer\", default = 11 }\n"};
    char *e = NULL;
    char *lite = sql_of(texts, 2, DDL_SQLITE, false, false, &e);
    CHECK_HAS(lite, "-- rebuild kiln_user");
    CHECK_HAS(lite, "    subject TEXT,\n");
    CHECK_HAS(lite, "SELECT password, issuer, subject, id,");
    free(lite);
    free(e);
    char *pg = sql_of(texts, 2, DDL_POSTGRES, false, false, &e);
    CHECK_HAS(pg, "ALTER TABLE kiln_user ALTER COLUMN karma SET DEFAULT 11");
    free(pg);
    free(e);
}

TEST(every_type_the_user_can_take_is_added_in_place)
{
    const char *models[] = {
        "models/user.toml",
        "extends = \"kiln.user\"\n[fields]\n"
        "a = \"date?\"\nb = \"datetime?\"\nc = \"decimal:8,2?\"\n"
        "d = \"uuid?\"\ne = \"json?\"\nf = { type = \"bool\", default = "
        "false }\ng = { type = \"float\", default = 1.5 }\nh = \"time?\"\n"
        "i = \"text?\"\nj = \"enum:x,y?\"\nk = \"ref:team?\"\n"
        "l = { type = \"string\", max_length = 9, default = \"n\", unique = "
        "true }\n",
        "models/team.toml", "[fields]\nname = \"string:40\"\n"};
    made m = make(NULL, 0, models, 2, &(mig_diff_opts){0});
    CHECK_INT(m.rc, 0);
    check_no_kiln_column(m.text);
    CHECK_HAS(m.text, "create_model = \"team\"");
    CHECK_HAS(m.text, "add_field = \"user.k\"");
    const char *prev[] = {m.text};
    for (int be = 0; be < 2; be++) {
        char *e = NULL;
        char *sql =
            sql_of(prev, 1, be ? DDL_POSTGRES : DDL_SQLITE, false, false, &e);
        CHECK(sql != NULL);
        CHECK_LACKS(sql, "kiln_new_");
        CHECK_LACKS(sql, "DROP TABLE");
        CHECK_HAS(sql, "ALTER TABLE kiln_user ADD COLUMN k_id");
        CHECK_HAS(sql, "ON kiln_user (l)");
        free(sql);
        free(e);
    }
    made_free(&m);
}

TEST(kilns_user_and_an_apps_own_user_do_not_turn_into_each_other)
{
    const char *ext[] = {"models/user.toml", user_ext};
    const char *own[] = {"models/user.toml",
                         "table = \"account\"\n[fields]\nnick = "
                         "\"string:40\"\n"};
    made a = make(NULL, 0, ext, 1, &(mig_diff_opts){0});
    CHECK_INT(a.rc, 0);
    const char *prev[] = {a.text};
    made b = make(prev, 1, own, 1, &(mig_diff_opts){.accept_loss = true});
    CHECK_INT(b.rc, KILN_EINVAL);
    CHECK_HAS(b.errs, "model user: the migrations have it on table kiln_user "
                      "(Kiln's user), the models on table account (the "
                      "app's model)");
    made_free(&b);
    made c = make(NULL, 0, own, 1, &(mig_diff_opts){0});
    CHECK_INT(c.rc, 0);
    const char *prev2[] = {c.text};
    made d = make(prev2, 1, ext, 1, &(mig_diff_opts){.accept_loss = true});
    CHECK_INT(d.rc, KILN_EINVAL);
    CHECK_HAS(d.errs, "the models on table kiln_user (Kiln's user)");
    made_free(&d);
    made_free(&c);
    made_free(&a);
}

/* A rebuild of kiln_user on SQLite makes Kiln's columns from
   model_builtin_sqlite: it must say what auth/schema.c makes. */
TEST(the_users_rebuild_makes_kilns_columns_as_its_schema_does)
{
    const model_builtin_table *kt = model_builtin_sqlite("user");
    CHECK(kt != NULL);
    CHECK(model_builtin_sqlite("task") == NULL);
    kiln_buf want;
    kiln_buf_init(&want);
    kiln_buf_printf(&want, "CREATE TABLE kiln_user (\n    %s,\n    %s\n);\n",
                    kt->columns, kt->constraints);
    CHECK_HAS(auth_schema.steps[0].sqlite, want.p);
    kiln_buf_deinit(&want);
    /* no later step changes kiln_user (one that does updates builtin.c) */
    for (size_t i = 1; i < auth_schema.n; i++)
        CHECK_LACKS(auth_schema.steps[i].sqlite, "kiln_user ");
    /* every column of Kiln's is in the definition and in the list */
    CHECK_STR(kt->names[0], "id");
    CHECK(strncmp(kt->columns, "id ", 3) == 0);
    for (size_t i = 1; i < kt->nnames; i++) {
        char col[64];
        snprintf(col, sizeof col, "\n    %s ", kt->names[i]);
        CHECK(strstr(kt->columns, col) != NULL);
        CHECK(model_builtin_column("user", kt->names[i]));
    }
}
