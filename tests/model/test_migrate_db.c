/*
 * tests/model/test_migrate_db.c - the migrations runner (src/db/migrate.c)
 * on SQLite files: generated migrations beside hand-written ones, what the
 * table rebuild keeps (rows, foreign keys and their ON DELETE, indexes,
 * AUTOINCREMENT's high-water mark, indexes, triggers and views made by
 * hand), what it refuses (columns it does not know, rows a foreign key
 * check finds broken), values computed for rows already there, and
 * --to with its plan-first refusal. PostgreSQL: tests/blackbox/
 * test_migrate_models.py.
 */
#include "test.h"

#include <kiln.h>

#include <sys/stat.h>
#include <unistd.h>

static char root[128], migdir[160];

/* A fresh folder with migrations/ and a database file in it. */
static kiln_dbc *setup(void)
{
    snprintf(root, sizeof root, "/tmp/kiln-migdb-XXXXXX");
    CHECK(mkdtemp(root) != NULL);
    snprintf(migdir, sizeof migdir, "%s/migrations", root);
    CHECK(mkdir(migdir, 0755) == 0);
    char url[256], err[256];
    snprintf(url, sizeof url, "sqlite://%s/app.db", root);
    kiln_dbc *db = kiln_dbc_open(url, err, sizeof err);
    if (!db)
        test_fail(__FILE__, __LINE__, "open: %s", err);
    return db;
}

static void put(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", migdir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs(text, f);
    fclose(f);
}

/* Applies what is pending: the count, or the error (in err). */
static int migrate(kiln_dbc *db, char *err, size_t n)
{
    err[0] = '\0';
    int rc = kiln_db_migrate(db, migdir, KILN_MIGRATE_APPLY, NULL, err, n);
    kiln_dbc_reset(db);
    if (rc < 0 && getenv("TEST_VERBOSE"))
        fprintf(stderr, "migrate: %s\n", err);
    return rc;
}

static int64_t scalar(kiln_dbc *db, const char *sql)
{
    int64_t v = -1;
    if (kiln_db_scalar_int(db, &v, sql) != 0)
        test_fail(__FILE__, __LINE__, "%s: %s", sql, kiln_db_errmsg(db));
    kiln_dbc_reset(db);
    return v;
}

static void exec_ok(kiln_dbc *db, const char *sql)
{
    if (kiln_db_exec(db, sql) < 0)
        test_fail(__FILE__, __LINE__, "%s: %s", sql, kiln_db_errmsg(db));
    kiln_dbc_reset(db);
}

static bool in_schema(kiln_dbc *db, const char *type, const char *name)
{
    int64_t n = 0;
    CHECK_INT(kiln_db_scalar_int(db, &n,
                                 "SELECT count(*) FROM sqlite_master WHERE "
                                 "type = $1 AND name = $2",
                                 KILN_TEXT(type), KILN_TEXT(name)),
              0);
    kiln_dbc_reset(db);
    return n == 1;
}

static void done(kiln_dbc *db)
{
    kiln_dbc_close(db);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    CHECK(system(cmd) == 0);
}

#define CHECK_HAS(hay, needle)                                                 \
    do {                                                                       \
        if (!strstr((hay), (needle)))                                          \
            test_fail(__FILE__, __LINE__, "\"%s\" lacks \"%s\"", (hay),        \
                      (needle));                                               \
    } while (0)

static const char init[] =
    "[[op]]\ncreate_model = \"project\"\ntable = \"project\"\n"
    "[op.fields]\nname = \"string:80\"\n"
    "[[op]]\ncreate_model = \"task\"\ntable = \"task\"\n[op.fields]\n"
    "title = \"string:200\"\nproject = \"ref:project\"\n"
    "[[op.index]]\nname = \"task_project_id_idx\"\nfields = [\"project\"]\n"
    "[[op.index]]\nname = \"task_title_uniq\"\nfields = [\"title\"]\n"
    "unique = true\n"
    "[[op]]\ncreate_model = \"note\"\ntable = \"note\"\n[op.fields]\n"
    "task = { type = \"ref\", to = \"task\", on_delete = \"restrict\" }\n"
    "[[op.index]]\nname = \"note_task_id_idx\"\nfields = [\"task\"]\n"
    "[[op]]\ncreate_model = \"tag\"\ntable = \"tag\"\n[op.fields]\n"
    "label = \"text\"\n"
    "[[op]]\nadd_field = \"task.tags\"\nfield = \"many:tag\"\n";

static const char rows[] =
    "INSERT INTO project (id, name) VALUES (1, 'p1'), (2, 'p2');\n"
    "INSERT INTO task (id, title, project_id) VALUES (1, 'a', 1), "
    "(2, 'b', 1), (3, 'c', 2);\n"
    "INSERT INTO tag (id, label) VALUES (1, 'x');\n"
    "INSERT INTO task_tags (task_id, tag_id) VALUES (1, 1), (3, 1);\n"
    "INSERT INTO note (task_id) VALUES (3);\n";

TEST(a_rebuild_keeps_rows_foreign_keys_and_indexes)
{
    kiln_dbc *db = setup();
    char err[1024];
    put("0001_init.toml", init);
    put("0002_rows.sql", rows);
    /* a new required column with a value for the rows: a rebuild */
    put("0003_prio.toml",
        "[[op]]\nadd_field = \"task.prio\"\nfield = \"integer\"\nfill = 7\n");
    CHECK_INT(migrate(db, err, sizeof err), 3);
    CHECK_INT(scalar(db, "SELECT count(*) FROM task WHERE prio = 7"), 3);
    CHECK_INT(scalar(db, "SELECT count(*) FROM task_tags"), 2);
    CHECK(in_schema(db, "index", "task_project_id_idx"));
    CHECK(in_schema(db, "index", "task_title_uniq"));
    CHECK(!in_schema(db, "table", "kiln_new_task"));
    CHECK_INT(scalar(db, "PRAGMA foreign_keys"), 1);
    /* the unique index works, the references too */
    CHECK(kiln_db_exec(db, "INSERT INTO task (title, project_id, prio) VALUES "
                           "('a', 2, 1)") < 0);
    kiln_dbc_reset(db);
    CHECK(kiln_db_exec(db, "INSERT INTO task (title, project_id, prio) VALUES "
                           "('z', 99, 1)") < 0);
    kiln_dbc_reset(db);
    /* ON DELETE RESTRICT (note -> task) and CASCADE (task -> project, the
       join table -> task) still act on the rebuilt table */
    CHECK(kiln_db_exec(db, "DELETE FROM task WHERE id = 3") < 0);
    kiln_dbc_reset(db);
    exec_ok(db, "DELETE FROM project WHERE id = 1");
    CHECK_INT(scalar(db, "SELECT count(*) FROM task"), 1);
    CHECK_INT(scalar(db, "SELECT count(*) FROM task_tags"), 1);
    CHECK_INT(scalar(db, "SELECT count(*) FROM kiln_migrations"), 3);
    done(db);
}

TEST(a_rebuild_never_reuses_an_id)
{
    kiln_dbc *db = setup();
    char err[1024];
    put("0001_init.toml", init);
    put("0002_rows.sql", rows);
    CHECK_INT(migrate(db, err, sizeof err), 2);
    exec_ok(db, "DELETE FROM note");
    exec_ok(db, "DELETE FROM task WHERE id = 3");
    put("0003_drop.toml",
        "[[op]]\nalter_field = \"task.title\"\nfrom = \"string:200\"\n"
        "to = { type = \"string\", max_length = 200, default = \"x\" }\n");
    CHECK_INT(migrate(db, err, sizeof err), 1);
    exec_ok(db, "INSERT INTO task (title, project_id) VALUES ('new', 1)");
    CHECK_INT(scalar(db, "SELECT max(id) FROM task"), 4);
    CHECK_INT(scalar(db, "SELECT count(*) FROM task WHERE title = 'x'"), 0);
    done(db);
}

TEST(indexes_triggers_and_views_made_by_hand_survive_a_rebuild)
{
    kiln_dbc *db = setup();
    char err[1024];
    put("0001_init.toml", init);
    put("0002_rows.sql", rows);
    put("0003_hand.sql",
        "CREATE INDEX task_lower_title ON task (lower(title));\n"
        "CREATE TABLE audit (what TEXT);\n"
        "CREATE TRIGGER task_audit AFTER INSERT ON task BEGIN "
        "INSERT INTO audit (what) VALUES (new.title); END;\n"
        "CREATE VIEW task_titles AS SELECT title FROM task;\n");
    put("0004_due.toml", "[[op]]\nadd_field = \"task.due\"\nfield = "
                         "\"date\"\nfill = 2026-01-31\n");
    CHECK_INT(migrate(db, err, sizeof err), 4);
    CHECK(in_schema(db, "index", "task_lower_title"));
    CHECK(in_schema(db, "trigger", "task_audit"));
    CHECK_INT(scalar(db, "SELECT count(*) FROM task_titles"), 3);
    exec_ok(db, "INSERT INTO task (title, project_id, due) VALUES ('d', 1, "
                "'2026-02-01')");
    CHECK_INT(scalar(db, "SELECT count(*) FROM audit"), 1);
    CHECK_INT(scalar(db, "SELECT count(*) FROM task WHERE due = "
                         "'2026-01-31'"),
              3);
    done(db);
}

TEST(a_rebuild_refuses_a_column_it_does_not_know)
{
    kiln_dbc *db = setup();
    char err[1024];
    put("0001_init.toml", init);
    put("0002_rows.sql", rows);
    put("0003_extra.sql", "ALTER TABLE task ADD COLUMN extra TEXT;\n"
                          "UPDATE task SET extra = 'keep me';\n");
    put("0004_due.toml", "[[op]]\nadd_field = \"task.due\"\nfield = "
                         "\"date\"\nfill = 2026-01-31\n");
    CHECK_INT(migrate(db, err, sizeof err), KILN_ESTATE);
    CHECK_HAS(err, "0004_due.toml: table task has a column extra that the "
                   "migrations do not know");
    CHECK_INT(scalar(db, "SELECT count(*) FROM task WHERE extra = 'keep "
                         "me'"),
              3);
    CHECK_INT(scalar(db, "SELECT count(*) FROM kiln_migrations"), 3);
    CHECK_INT(scalar(db, "PRAGMA foreign_keys"), 1);
    done(db);
}

TEST(a_broken_reference_after_a_rebuild_rolls_it_back)
{
    kiln_dbc *db = setup();
    char err[1024];
    put("0001_init.toml", init);
    put("0002_rows.sql", rows);
    put("0003_person.toml",
        "[[op]]\ncreate_model = \"person\"\ntable = \"person\"\n"
        "[op.fields]\nname = \"text\"\n"
        "[[op]]\nalter_field = \"task.project\"\nfrom = \"ref:project\"\n"
        "to = { type = \"ref\", to = \"person\" }\n");
    CHECK_INT(migrate(db, err, sizeof err), KILN_EDB);
    CHECK_HAS(err, "0003_person.toml: afterwards row 1 of table task refers "
                   "to a row of person that does not exist");
    CHECK(!in_schema(db, "table", "person"));
    CHECK_INT(scalar(db, "SELECT count(*) FROM task"), 3);
    CHECK_INT(scalar(db, "SELECT count(*) FROM kiln_migrations"), 2);
    CHECK_INT(scalar(db, "PRAGMA foreign_keys"), 1);
    /* the rows fixed by hand first, it applies */
    put("0003_person.toml",
        "[[op]]\ncreate_model = \"person\"\ntable = \"person\"\n"
        "[op.fields]\nname = \"text\"\n");
    put("0004_people.sql",
        "INSERT INTO person (id, name) VALUES (1, 'a'), (2, 'b');\n");
    put("0005_owner.toml",
        "[[op]]\nalter_field = \"task.project\"\nfrom = \"ref:project\"\n"
        "to = { type = \"ref\", to = \"person\" }\n");
    CHECK_INT(migrate(db, err, sizeof err), 3);
    /* task c (person 2) is held by a note: restrict, then cascade */
    CHECK(kiln_db_exec(db, "DELETE FROM person WHERE id = 2") < 0);
    kiln_dbc_reset(db);
    exec_ok(db, "DELETE FROM note");
    exec_ok(db, "DELETE FROM person WHERE id = 2");
    CHECK_INT(scalar(db, "SELECT count(*) FROM task"), 2);
    done(db);
}

TEST(rows_there_get_the_migrations_time_and_a_uuid_each)
{
    kiln_dbc *db = setup();
    char err[1024];
    put("0001_init.toml", init);
    put("0002_rows.sql", rows);
    put("0003_more.toml",
        "[[op]]\nadd_field = \"task.made\"\nfield = { type = \"datetime\", "
        "auto = \"created\" }\nfill = \"now\"\n"
        "[[op]]\nadd_field = \"task.uid\"\nfield = { type = \"uuid\", "
        "default = \"random\" }\nfill = \"random\"\n"
        "[[op]]\nadd_field = \"task.day\"\nfield = { type = \"date\", "
        "default = \"today\" }\nfill = \"now\"\n");
    CHECK_INT(migrate(db, err, sizeof err), 3);
    CHECK_INT(scalar(db, "SELECT count(DISTINCT uid) FROM task"), 3);
    CHECK_INT(scalar(db, "SELECT count(*) FROM task WHERE uid GLOB "
                         "'[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]"
                         "[0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-"
                         "4[0-9a-f][0-9a-f][0-9a-f]-[89ab][0-9a-f][0-9a-f]"
                         "[0-9a-f]-*' AND length(uid) = 36"),
              3);
    kiln_rows *r = kiln_db_query(db, "SELECT made, day FROM task");
    CHECK(r != NULL);
    int64_t now = kiln_datetime_now();
    int n = 0;
    while (kiln_rows_next(r)) {
        int64_t t = kiln_row_time(r, 0);
        CHECK(t > now - 60000000 && t <= now + 1000000);
        kiln_date d;
        CHECK_INT(kiln_date_parse(kiln_row_text(r, 1), &d), 0);
        n++;
    }
    kiln_rows_close(r);
    CHECK_INT(n, 3);
    done(db);
}

TEST(going_back_with_generated_and_hand_written_migrations)
{
    kiln_dbc *db = setup();
    char err[1024];
    put("0001_a.sql", "CREATE TABLE a (x INTEGER);\n-- kiln:down\n"
                      "DROP TABLE a;\n");
    put("0002_models.toml", init);
    put("0003_rows.sql", "INSERT INTO a (x) VALUES (1);\n" /* */
                         "-- kiln:down  \nDELETE FROM a;\n");
    put("0004_due.toml",
        "[[op]]\nadd_field = \"task.due\"\nfield = \"date?\"\n");
    CHECK_INT(migrate(db, err, sizeof err), 4);
    CHECK_INT(scalar(db, "SELECT count(*) FROM a"), 1); /* not the down */
    /* an unknown target */
    CHECK_INT(kiln_db_migrate_to(db, migdir, 7, false, NULL, err, sizeof err),
              KILN_EINVAL);
    CHECK_HAS(err, "has no migration numbered 7");
    CHECK_INT(kiln_db_migrate_to(db, migdir, 1, false, NULL, err, sizeof err),
              3);
    kiln_dbc_reset(db);
    CHECK(!in_schema(db, "table", "task"));
    CHECK(!in_schema(db, "table", "task_tags"));
    CHECK(in_schema(db, "table", "a"));
    CHECK_INT(scalar(db, "SELECT count(*) FROM a"), 0);
    CHECK_INT(scalar(db, "SELECT count(*) FROM kiln_migrations"), 1);
    CHECK_INT(migrate(db, err, sizeof err), 3);
    /* one without a way back: nothing is undone */
    put("0005_b.sql", "CREATE TABLE b (x INTEGER);\n");
    CHECK_INT(migrate(db, err, sizeof err), 1);
    CHECK_INT(kiln_db_migrate_to(db, migdir, 3, false, NULL, err, sizeof err),
              KILN_ESTATE);
    CHECK_HAS(err, "cannot go back to 3, nothing was changed; kiln migrate "
                   "--to 5 undoes what comes after it:\n");
    CHECK_HAS(err, "0005_b.sql has no \"-- kiln:down\" section, so it cannot "
                   "be undone");
    kiln_dbc_reset(db);
    CHECK(in_schema(db, "table", "b"));
    CHECK_INT(scalar(db, "SELECT count(*) FROM kiln_migrations"), 5);
    /* nor a dropped required column */
    put("0006_drop.toml",
        "[[op]]\ndrop_index = \"note_task_id_idx\"\nmodel = \"note\"\n"
        "fields = [\"task\"]\n"
        "[[op]]\ndrop_field = \"note.task\"\nfield = { type = \"ref\", to = "
        "\"task\", on_delete = \"restrict\" }\n");
    CHECK_INT(migrate(db, err, sizeof err), 1);
    CHECK_INT(kiln_db_migrate_to(db, migdir, 5, false, NULL, err, sizeof err),
              KILN_ESTATE);
    CHECK_HAS(err, "0006_drop.toml:6: drop_field note.task cannot be undone");
    CHECK_INT(kiln_db_migrate_to(db, migdir, 6, false, NULL, err, sizeof err),
              0);
    done(db);
}

TEST(a_generated_migration_that_does_not_fit_is_reported_with_its_line)
{
    kiln_dbc *db = setup();
    char err[1024];
    put("0001_init.toml", init);
    put("0002_bad.toml", "[[op]]\nadd_field = \"task.x\"\nfield = "
                         "\"integr\"\n");
    CHECK_INT(migrate(db, err, sizeof err), KILN_EINVAL);
    CHECK_HAS(err, "0002_bad.toml:3:9: unknown type 'integr'");
    CHECK_INT(scalar(db, "SELECT count(*) FROM kiln_migrations"), 1);
    put("0002_bad.toml", "[[op]]\ndrop_field = \"task.nope\"\nfield = "
                         "\"integer\"\n");
    CHECK_INT(migrate(db, err, sizeof err), KILN_EINVAL);
    CHECK_HAS(err, "0002_bad.toml:2: drop_field task.nope: there is no such "
                   "field");
    /* and the status lists them all the same way */
    CHECK_INT(
        kiln_db_migrate(db, migdir, KILN_MIGRATE_STATUS, NULL, err, sizeof err),
        KILN_EINVAL);
    /* edited after it was applied */
    put("0002_bad.toml", "");
    put("0001_init.toml", "# changed\n");
    CHECK_INT(migrate(db, err, sizeof err), KILN_ESTATE);
    CHECK_HAS(err, "0001_init.toml was edited after it was applied");
    done(db);
}
