"""Migrations from models, end to end with the kiln binary as a user runs
it: models/*.toml written (kiln gen model, then edits), kiln migrate --make,
kiln migrate, --check, --to, --sql, beside hand-written .sql migrations.
On the project's SQLite file by default; with KILN_TEST_DB_URL (the db
suite of tests/run.py) each test gets a fresh PostgreSQL database.
"""

import os
import re
import sqlite3

import test_migrate
from harness import check, eq
from kilncli import Project


class Target(test_migrate.Target):
    """test_migrate's database, whose statements here also change rows."""

    def query(self, sql):
        if self.pg:
            return super().query(sql)
        con = sqlite3.connect(self.p.path("app.db"))
        try:
            con.execute("PRAGMA foreign_keys = ON")
            rows = [[str(v) for v in row] for row in con.execute(sql)]
            con.commit()
            return rows
        finally:
            con.close()


def migs(p):
    return sorted(f for f in os.listdir(p.path("migrations"))
                  if f.endswith(".toml") or f.endswith(".sql"))


def make(db, *args):
    """kiln migrate --make ARGS; returns (rc, out, err)."""
    return db.migrate("--make", *args)


def apply(db, what):
    rc, out, err = db.migrate()
    eq(rc, 0, "kiln migrate after %s: %s%s" % (what, out, err))
    return err


def clean(db, what):
    rc, out, err = db.migrate("--check")
    eq(rc, 0, "--check after %s: %s%s" % (what, out, err))
    check("models: the migrations make them" in out and "0 pending" in out,
          out)


def drifts(db, what, *names):
    """--check fails on the model edit, naming what differs."""
    rc, out, err = db.migrate("--check")
    eq(rc, 1, "--check with %s: %s%s" % (what, out, err))
    check("models/ has changes no migration has" in out, out)
    for n in names:
        check(n in out, "--check names %r: %s" % (n, out))
    rc, out, err = make(db, "--check")
    eq(rc, 1, "--make --check with " + what)
    check("the models have changes no migration has" in out, out)


def made(db, what, *args):
    rc, out, err = make(db, *args)
    eq(rc, 0, "--make for %s: %s%s" % (what, out, err))
    m = re.search(r"wrote (migrations/\S+\.toml)", out)
    check(m is not None, out)
    return m.group(1), out


def indexes(db, table):
    if db.pg:
        rows = db.query("SELECT indexname FROM pg_indexes WHERE tablename = "
                        "'%s' ORDER BY 1" % table)
    else:
        rows = db.query("SELECT name FROM sqlite_master WHERE type = 'index' "
                        "AND tbl_name = '%s' AND sql IS NOT NULL ORDER BY 1"
                        % table)
    return [r[0] for r in rows]


def columns(db, table):
    if db.pg:
        rows = db.query("SELECT column_name FROM information_schema.columns "
                        "WHERE table_name = '%s' ORDER BY 1" % table)
    else:
        rows = db.query("SELECT name FROM pragma_table_info('%s') ORDER BY 1"
                        % table)
    return [r[0] for r in rows]


def edit(p, rel, old, new):
    text = p.read(rel)
    check(old in text, "%r in %s:\n%s" % (old, rel, text))
    p.write(rel, text.replace(old, new))


def test_a_sequence_of_model_edits_keeps_the_rows():
    with Project() as p:
        db = Target(p)
        rc, out, err = p.kiln("gen", "model", "project", "name:string:80")
        eq(rc, 0, "gen model project: " + err)
        rc, out, err = p.kiln("gen", "model", "task", "title:string:200",
                              "done:bool", "due:date", "project:ref")
        eq(rc, 0, "gen model task: " + err)
        drifts(db, "new models", "creates model project", "creates model task")
        path, out = made(db, "the first models")
        eq(path, "migrations/0001_init.toml", "the first file")
        check("creates model project (table project)" in out, out)
        apply(db, "init")
        clean(db, "init")
        db.query("INSERT INTO project (id, name) VALUES (1, 'p1'), "
                 "(2, 'p2')")
        t = "true" if db.pg else "1"
        db.query("INSERT INTO task (id, title, done, due, project_id) VALUES "
                 "(1, 'first', %s, '2026-01-31', 1), "
                 "(2, 'second', %s, '2026-02-01', 2)" % (t, t))

        # 1. add a field: required, so existing rows need a value
        edit(p, "models/task.toml", 'due = "date"',
             'due = "date"\npriority = "integer"')
        drifts(db, "a new field", "adds field task.priority")
        rc, out, err = make(db)
        eq(rc, 1, "a required field without a default is refused")
        check("field task.priority is new and required, with no default"
              in err and "--default task.priority=VALUE" in err, err)
        made(db, "a new field", "--default", "task.priority=3")
        apply(db, "add field")
        clean(db, "add field")
        eq(db.query("SELECT id, priority FROM task ORDER BY id"),
           [["1", "3"], ["2", "3"]], "existing rows got the value")

        # 2. make one optional
        edit(p, "models/task.toml", 'due = "date"', 'due = "date?"')
        drifts(db, "an optional field", "changes field task.due")
        made(db, "make optional")
        apply(db, "make optional")
        db.query("UPDATE task SET due = NULL WHERE id = 2")

        # 3. an index
        edit(p, "models/task.toml", 'title = "string:200"',
             'title = { type = "string", max_length = 200, index = true }')
        drifts(db, "an index", "adds index task_title_idx on task (title)")
        made(db, "an index")
        apply(db, "an index")
        check("task_title_idx" in indexes(db, "task"), indexes(db, "task"))

        # 4. a reference to a new model
        p.write("models/person.toml", '[fields]\nname = "text"\n')
        edit(p, "models/task.toml", 'priority = "integer"',
             'priority = "integer"\nowner = { type = "ref", to = "person", '
             'optional = true, on_delete = "set_null" }')
        made(db, "a reference")
        apply(db, "a reference")
        clean(db, "a reference")
        db.query("INSERT INTO person (id, name) VALUES (7, 'ann')")
        db.query("UPDATE task SET owner_id = 7 WHERE id = 1")
        check("task_owner_id_idx" in indexes(db, "task"), indexes(db, "task"))

        # 5. a rename: without the hint it is a drop (refused), with it the
        #    column keeps its values
        edit(p, "models/task.toml",
             'title = { type = "string", max_length = 200, index = true }',
             'name = { type = "string", max_length = 200, index = true }')
        rc, out, err = make(db)
        eq(rc, 1, "an unhinted rename is refused")
        check("field task.title is gone from models/task.toml: dropping it "
              "loses its values; pass --accept-loss" in err, err)
        check('If it became task.name, write renamed_from = "title"' in err
              and "--rename task.title=name" in err, err)
        edit(p, "models/task.toml", "index = true }",
             'index = true, renamed_from = "title" }')
        path, out = made(db, "a rename")
        check("renames field task.title to name" in out, out)
        apply(db, "a rename")
        clean(db, "a rename")
        eq(db.query("SELECT id, name FROM task ORDER BY id"),
           [["1", "first"], ["2", "second"]], "the renamed column's values")
        check("task_name_idx" in indexes(db, "task")
              and "task_title_idx" not in indexes(db, "task"),
              indexes(db, "task"))

        # 6. a drop: refused, then confirmed
        edit(p, "models/task.toml", 'done = "bool"\n', "")
        before = migs(p)
        rc, out, err = make(db)
        eq(rc, 1, "a drop is refused")
        check("field task.done is gone" in err, err)
        eq(migs(p), before, "nothing written")
        path, out = made(db, "a drop", "--accept-loss")
        check("drops field task.done and its values" in out, out)
        apply(db, "a drop")
        clean(db, "a drop")
        check("done" not in columns(db, "task"), columns(db, "task"))

        # 7. many-to-many
        p.write("models/tag.toml", '[fields]\nlabel = "string:40"\n')
        edit(p, "models/task.toml", "[fields]\n",
             '[fields]\ntags = "many:tag"\n')
        path, out = made(db, "many-to-many")
        check("adds many-to-many field task.tags" in out, out)
        apply(db, "many-to-many")
        clean(db, "many-to-many")
        db.query("INSERT INTO tag (id, label) VALUES (1, 'x')")
        db.query("INSERT INTO task_tags (task_id, tag_id) VALUES (1, 1), "
                 "(2, 1)")

        # every row is still there, with what each step gave it
        eq(db.query("SELECT id, name, due, priority, owner_id, project_id "
                    "FROM task ORDER BY id"),
           [["1", "first", "2026-01-31", "3", "7", "1"],
            ["2", "second", "None" if not db.pg else "", "3",
             "None" if not db.pg else "", "2"]],
           "rows after seven migrations")
        eq(sorted(indexes(db, "task")),
           sorted(["task_name_idx", "task_owner_id_idx", "task_project_id_idx"]
                  + (["task_pkey"] if db.pg else [])),
           "the indexes of task")
        # ON DELETE: set null (owner), cascade (project, and the join table)
        db.query("DELETE FROM person WHERE id = 7")
        eq(db.query("SELECT count(*) FROM task WHERE owner_id IS NULL"),
           [["2"]], "owner set to NULL")
        db.query("DELETE FROM project WHERE id = 1")
        eq(db.query("SELECT id FROM task"), [["2"]], "task 1 cascaded")
        eq(db.query("SELECT task_id FROM task_tags"), [["2"]],
           "its links cascaded")

        # a model edit makes --check fail again
        edit(p, "models/tag.toml", "string:40", "string:60")
        drifts(db, "a longer string", "changes field tag.label")


def test_going_back():
    with Project() as p:
        db = Target(p)
        p.write("models/task.toml",
                '[fields]\ntitle = "string:100"\nsize = "integer"\n')
        made(db, "init")
        p.write("migrations/0002_seed.sql",
                "INSERT INTO task (id, title, size) VALUES (1, 'a', 1);\n"
                "-- kiln:down\nDELETE FROM task WHERE id = 1;\n")
        edit(p, "models/task.toml", 'size = "integer"\n', "")
        path, out = made(db, "a drop", "--accept-loss")
        eq(path, "migrations/0003_drop_task_size.toml", "numbered after the "
           "hand-written one")
        edit(p, "models/task.toml", 'title = "string:100"',
             'title = "string:300"\nnote = "text?"')
        made(db, "widen, add")
        apply(db, "four migrations")
        db.query("UPDATE task SET note = 'n' WHERE id = 1")
        eq(db.query("SELECT id, title, note FROM task"), [["1", "a", "n"]],
           "the row")

        # undoing 0003 would need size's values back, undoing 0004 would
        # cut titles: refused, both named, and nothing changes
        rc, out, err = db.migrate("--to", "2")
        eq(rc, 1, "--to 2")
        check("cannot go back to 2, nothing was changed; kiln migrate --to 3 "
              "undoes what comes after it:\n" in err, err)
        check("migrations/0003_drop_task_size.toml:" in err and
              "drop_field task.size cannot be undone" in err, err)
        check("migrations/0004_alter_task_title_and_more.toml:" in err and
              "undoing alter_field task.title would cut or replace values "
              '("string:300" back to "string:100")' in err, err)
        check("/tmp/" not in err, "paths relative to the project: " + err)
        eq(len(db.query("SELECT id FROM kiln_migrations")), 4, "all still "
           "applied")
        check("note" in columns(db, "task"), "0004 was not undone")

        # the widening's undo would cut titles: refused without the flag
        rc, out, err = db.migrate("--to", "3")
        eq(rc, 1, "--to 3 without --accept-loss")
        check("would cut or replace values" in err and "--accept-loss" in err,
              err)
        rc, out, err = db.migrate("--to", "3", "--accept-loss")
        eq(rc, 0, "--to 3: " + err)
        check("undone   0004_" in err and "1 migration undone" in err, err)
        check("note" not in columns(db, "task"), columns(db, "task"))
        eq(db.query("SELECT id, title FROM task"), [["1", "a"]], "row kept")
        rc, out, err = db.migrate("--check")
        eq(rc, 1, "--check: the models have what was undone")
        check("pending  0004_" in out, out)
        # and forward again
        apply(db, "reapply")
        eq(db.query("SELECT id, note FROM task"),
           [["1", "None" if not db.pg else ""]], "reapplied")

        # the SQL, for either database and both ways
        rc, out, err = db.migrate("--sql", "4", "--backend", "postgres")
        eq(rc, 0, "--sql 4: " + err)
        check("ALTER TABLE task ALTER COLUMN title TYPE varchar(300) USING "
              "title;" in out and "ALTER TABLE task ADD COLUMN note text;"
              in out, out)
        rc, out, err = db.migrate("--sql", "4", "--backend", "sqlite",
                                  "--reverse")
        eq(rc, 0, "--sql 4 --reverse: " + err)
        check("-- 0004_" in out and "undoing it, for sqlite" in out and
              "-- rebuild task" in out, out)
        rc, out, err = db.migrate("--sql", "2", "--reverse")
        check(rc == 0 and "DELETE FROM task WHERE id = 1;" in out, out + err)
        rc, out, err = db.migrate("--sql", "9")
        eq(rc, 1, "--sql of a missing migration")
        check("no migration numbered 9" in err, err)


def test_renaming_a_model_keeps_its_rows_and_links():
    with Project() as p:
        db = Target(p)
        p.write("models/tag.toml", '[fields]\nlabel = "text"\n')
        p.write("models/todo.toml",
                '[fields]\ntitle = { type = "string", unique = true }\n'
                'parent = "ref:todo?"\ntags = "many:tag"\n')
        made(db, "init")
        apply(db, "init")
        db.query("INSERT INTO tag (id, label) VALUES (1, 'x')")
        db.query("INSERT INTO todo (id, title) VALUES (1, 'a'), (2, 'b')")
        db.query("UPDATE todo SET parent_id = 1 WHERE id = 2")
        db.query("INSERT INTO todo_tags (todo_id, tag_id) VALUES (2, 1)")
        p.remove("models/todo.toml")
        p.write("models/task.toml",
                '[fields]\ntitle = { type = "string", unique = true }\n'
                'parent = "ref:task?"\ntags = "many:tag"\n')
        rc, out, err = make(db)
        eq(rc, 1, "an unhinted model rename is refused")
        check("model todo is gone from models/" in err and
              "--rename todo=task" in err, err)
        path, out = made(db, "a model rename", "--rename", "todo=task")
        check("renames model todo to task (table task)" in out, out)
        apply(db, "a model rename")
        clean(db, "a model rename")
        eq(db.query("SELECT id, title, parent_id FROM task ORDER BY id"),
           [["1", "a", "None" if not db.pg else ""], ["2", "b", "1"]],
           "rows of the renamed table")
        eq(db.query("SELECT task_id, tag_id FROM task_tags"), [["2", "1"]],
           "links of the renamed join table")
        check("task_title_uniq" in indexes(db, "task"), indexes(db, "task"))
        # the references still act: task 2's parent is task 1 (cascade)
        db.query("DELETE FROM task WHERE id = 1")
        eq(db.query("SELECT count(*) FROM task"), [["0"]], "cascaded")
        eq(db.query("SELECT count(*) FROM task_tags"), [["0"]], "and links")
        if db.pg:
            # the app's tables (Kiln's own, kiln_*, have references too)
            names = db.query("SELECT conname FROM pg_constraint WHERE "
                             "contype = 'f' AND conrelid::regclass::text "
                             "NOT LIKE 'kiln%' ORDER BY 1")
            eq([n[0] for n in names],
               ["task_parent_id_fkey", "task_tags_tag_id_fkey",
                "task_tags_task_id_fkey"], "constraint names follow")


def test_hand_written_migrations_between_generated_ones():
    with Project() as p:
        db = Target(p)
        p.write("models/task.toml", '[fields]\ntitle = "text"\n')
        made(db, "init")
        p.write("migrations/0002_search.sql",
                "CREATE INDEX task_lower_title ON task (lower(title));\n"
                "CREATE TABLE audit (what TEXT);\n"
                "INSERT INTO task (title) VALUES ('Hello');\n"
                "-- kiln:down\nDROP TABLE audit;\n"
                "DROP INDEX task_lower_title;\n")
        edit(p, "models/task.toml", 'title = "text"',
             'title = "text"\nrank = { type = "integer", default = 1 }\n'
             'code = "string:20?"')
        made(db, "after a .sql")
        edit(p, "models/task.toml", 'code = "string:20?"',
             'code = { type = "string", max_length = 20, default = "x" }')
        made(db, "a default", "--default", "task.code=old")
        rc, out, err = db.migrate("--status")
        eq(rc, 0, "--status")
        check(re.search(r"pending  0001_init\.toml\n  pending  "
                        r"0002_search\.sql\n  pending  0003_\S+\.toml\n"
                        r"  pending  0004_", out) is not None, out)
        err = apply(db, "interleaved")
        check("4 migrations applied" in err, err)
        eq(db.query("SELECT title, rank, code FROM task"),
           [["Hello", "1", "old"]], "the hand-written row, filled")
        check("task_lower_title" in indexes(db, "task"),
              "the hand-written index survives: %r" % indexes(db, "task"))
        rc, out, err = db.migrate("--to", "1")
        eq(rc, 0, "--to 1: " + err)
        check(not db.has_table("audit"), "the .sql's down section ran")
        check("task_lower_title" not in indexes(db, "task"),
              indexes(db, "task"))
        eq(db.query("SELECT title FROM task"), [["Hello"]], "row kept")
        eq(sorted(columns(db, "task")), ["id", "title"], "back to 0001")


# The models app of test_models.py, its item model as it was before: a
# shorter string, fewer decimal digits, an enum value and four fields fewer.
OLD_ITEM = """
[fields]
i = { type = "integer", min = -5, max = 1000000, index = true }
f = "float?"
d = { type = "decimal", precision = 8, scale = 2 }
b = { type = "bool", default = false }
s = { type = "string", max_length = 10, blank = true, default = "" }
t = "text?"
dt = "date?"
dtt = "datetime?"
u = { type = "uuid", default = "random" }
e = "email?"
en = { type = "enum", values = ["red", "green"], default = "red" }
secret = { type = "string", max_length = 40, optional = true }
owner = { type = "ref", to = "owner", optional = true, on_delete = "set_null" }
tags = "many:tag"
created = { type = "datetime", auto = "created" }

[[unique]]
fields = ["owner", "s"]
"""


def test_the_runtime_reads_and_writes_what_migrations_made():
    import test_models

    class App(test_models.App):
        """test_models' app, its tables made by kiln migrate --make: first
        for OLD_ITEM, with a row in it, then for its models."""

        def __init__(self):
            super().__init__()
            os.remove(os.path.join(self.root, "migrations", "0001_init.sql"))

        def sql(self, text):
            if self.pg:
                test_migrate.pg_server.psql(self.url, text)
                return
            con = sqlite3.connect(os.path.join(self.root, "app.db"))
            con.executescript(text)
            con.close()

        def step(self, *args):
            rc, out, err = self.kiln("migrate", *args)
            eq(rc, 0, "kiln migrate %s: %s%s" % (" ".join(args), out, err))
            return out

    app = App()
    try:
        item = os.path.join(app.root, "models", "item.toml")
        with open(item) as f:
            new_item = f.read()
        with open(item, "w") as f:
            f.write(OLD_ITEM)
        app.step("--make")
        app.step()
        made = ("'2026-01-02T03:04:05Z'" if app.pg
                else "'2026-01-02 03:04:05.000000+00:00'")
        app.sql("INSERT INTO owner (id, name) VALUES (1, 'ann');\n"
                "INSERT INTO item (id, i, d, s, u, en, owner_id, created) "
                "VALUES (1, 7, '1.50', 'old one', "
                "'0f8fad5b-d9cb-469f-a165-70867728950e', 'green', 1, %s);\n"
                % made)
        with open(item, "w") as f:
            f.write(new_item)
        out = app.step("--make")
        check("changes field item.s" in out and "adds field item.updated "
              "(rows there get the migration's time)" in out, out)
        app.step()
        if app.pg:
            app.sql("SELECT setval(pg_get_serial_sequence('owner', 'id'), 1);"
                    "SELECT setval(pg_get_serial_sequence('item', 'id'), 1);")
        app.start()
        # the row from before, through the generated calls
        st, old, raw = app.call("GET", "/api/items/1")
        eq(st, 200, "the old row: " + raw)
        for k, v in {"i": 7, "d": "1.500", "s": "old one", "en": "green",
                     "owner": 1, "tags": [], "url": None,
                     "u": "0f8fad5b-d9cb-469f-a165-70867728950e",
                     "created": "2026-01-02T03:04:05.000Z"}.items():
            eq(old.get(k), v, "old row's %s" % k)
        check(old["updated"].endswith("Z"), "updated filled: %r" % old)
        # a new row of every type: what is stored encodes as what was sent
        test_models.app_tags(app)
        st, created, raw = app.call("POST", "/api/items",
                                    dict(test_models.FULL, owner=1, s="x"))
        eq(st, 201, "create: " + raw)
        eq(created["d"], "12.500", "decimal")
        eq(created["en"], "light blue", "the new enum value")
        eq(created["tags"], [1, 2], "links")
        st, _, got = app.call("GET", "/api/items/%d" % created["id"])
        eq(st, 200, "get")
        eq(got, raw, "the stored row encodes as the inserted one")
        # constraints the migrations made answer as the runtime expects
        st, body, raw = app.call("POST", "/api/items",
                                 dict(test_models.FULL, owner=1, s="x"))
        eq(st, 409, "the unique constraint (owner, s): " + raw)
        st, body, raw = app.call("POST", "/api/items",
                                 dict(test_models.FULL, owner=99, s="y"))
        eq(st, 422, "a missing owner: " + raw)
    finally:
        app.close()
