"""25. kiln migrate: migrations/NNNN_name.sql applied in order, each in a
transaction, recorded with a checksum; --status and --check. On the
project's SQLite file by default; with KILN_TEST_DB_URL (tests/run.py's db
suite) each test gets a fresh PostgreSQL database on that server.
"""

import os
import sqlite3
import sys
import uuid

from harness import check, eq
from kilncli import Project

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pg_server  # noqa: E402


class Target:
    """The database one test migrates: the project's SQLite file, or a new
    PostgreSQL database."""

    def __init__(self, project):
        self.p = project
        base = os.environ.get("KILN_TEST_DB_URL")
        self.pg = bool(base)
        if self.pg:
            name = "mig_" + uuid.uuid4().hex[:12]
            pg_server.psql(base, "CREATE DATABASE " + name)
            self.url = base.rsplit("/", 1)[0] + "/" + name
            self.env = {"KILN_DATABASE_URL": self.url}
        else:
            self.url = None
            self.env = {}

    def migrate(self, *args):
        return self.p.kiln("migrate", *args, env=self.env)

    def query(self, sql):
        """Rows of sql as lists of strings."""
        if self.pg:
            out = pg_server.psql(self.url, sql)
            return [line.split("|") for line in out.splitlines() if line]
        con = sqlite3.connect(self.p.path("app.db"))
        try:
            return [[str(v) for v in row] for row in con.execute(sql)]
        finally:
            con.close()

    def has_table(self, name):
        if self.pg:
            return self.query("SELECT to_regclass('%s') IS NOT NULL" %
                              name) == [["t"]]
        return bool(self.query("SELECT name FROM sqlite_master WHERE "
                               "type='table' AND name='%s'" % name))


def test_apply_status_check():
    with Project() as p:
        db = Target(p)
        p.write("migrations/0001_init.sql",
                "CREATE TABLE post (id INTEGER PRIMARY KEY, title TEXT);\n"
                "INSERT INTO post (id, title) VALUES (1, 'first');\n")
        p.write("migrations/0002_more.sql",
                "-- a comment; with a semicolon\n"
                "INSERT INTO post (id, title) VALUES (2, 'it''s; fine');\n")
        p.write("migrations/README.md", "notes, not a migration\n")
        rc, out, err = db.migrate("--status")
        eq(rc, 0, "--status exit: " + err)
        check("pending  0001_init.sql" in out and
              "pending  0002_more.sql" in out and "2 pending" in out, out)
        rc, out, err = db.migrate("--check")
        eq(rc, 1, "--check with pending migrations")
        check(not db.has_table("post"), "--status and --check change nothing")
        rc, out, err = db.migrate()
        eq(rc, 0, "migrate: " + err)
        check("2 migrations applied" in err, err)
        eq(db.query("SELECT id, title FROM post ORDER BY id"),
           [["1", "first"], ["2", "it's; fine"]], "rows")
        rows = db.query("SELECT id, name, checksum FROM kiln_migrations "
                        "ORDER BY id")
        eq([r[:2] for r in rows], [["1", "0001_init"], ["2", "0002_more"]],
           "kiln_migrations rows")
        check(all(len(r[2]) == 64 for r in rows), "SHA-256 checksums")
        rc, out, err = db.migrate("--check")
        eq(rc, 0, "--check when up to date: " + out + err)
        check("applied  0001_init.sql" in out and "0 pending" in out, out)
        rc, out, err = db.migrate()
        eq(rc, 0, "again")
        check("up to date" in err, err)
        eq(len(db.query("SELECT id FROM post")), 2, "applied once")


def test_numeric_order():
    with Project() as p:
        db = Target(p)
        ins = "INSERT INTO log (n, seq) SELECT %d, count(*) FROM log;"
        p.write("migrations/0010_c.sql", ins % 10)
        p.write("migrations/0002_b.sql", ins % 2)
        p.write("migrations/0001_a.sql",
                "CREATE TABLE log (seq INTEGER, n INTEGER);")
        rc, out, err = db.migrate()
        eq(rc, 0, "migrate: " + err)
        eq(db.query("SELECT n FROM log ORDER BY seq"), [["2"], ["10"]],
           "applied in number order")
        # a new one later goes on top
        p.write("migrations/0011_d.sql", ins % 11)
        rc, out, err = db.migrate("--check")
        eq(rc, 1, "one pending")
        check("pending  0011_d.sql" in out and "1 pending" in out, out)
        eq(db.migrate()[0], 0, "apply the new one")
        eq(db.query("SELECT n FROM log ORDER BY seq"),
           [["2"], ["10"], ["11"]], "after the new one")


def test_edited_or_deleted_migration_is_an_error():
    with Project() as p:
        db = Target(p)
        p.write("migrations/0001_init.sql", "CREATE TABLE a (x INTEGER);\n")
        p.write("migrations/0002_b.sql", "CREATE TABLE b (x INTEGER);\n")
        eq(db.migrate()[0], 0, "first run")
        p.write("migrations/0001_init.sql",
                "CREATE TABLE a (x INTEGER, y INTEGER);\n")
        p.write("migrations/0003_c.sql", "CREATE TABLE c (x INTEGER);\n")
        for args in ((), ("--status",), ("--check",)):
            rc, out, err = db.migrate(*args)
            check(rc != 0, "edited migration with %r: exit %d" % (args, rc))
            check("migrations/0001_init.sql was edited after it was applied"
                  in err, err)
        check(not db.has_table("c"), "nothing applied past the error")
        p.write("migrations/0001_init.sql", "CREATE TABLE a (x INTEGER);\n")
        p.remove("migrations/0002_b.sql")
        rc, out, err = db.migrate()
        check(rc != 0, "deleted migration")
        check("0002_b" in err and "gone" in err, err)


def test_failing_migration_is_rolled_back():
    with Project() as p:
        db = Target(p)
        p.write("migrations/0001_ok.sql", "CREATE TABLE ok (x INTEGER);\n")
        p.write("migrations/0002_bad.sql",
                "CREATE TABLE half (x INTEGER);\n"
                "INSERT INTO ok (x) VALUES (1);\n"
                "INSERT INTO nope (x) VALUES (1);\n")
        p.write("migrations/0003_after.sql", "CREATE TABLE after (x INTEGER);")
        rc, out, err = db.migrate()
        eq(rc, 1, "exit status")
        check("migrations/0002_bad.sql:3:" in err and "nope" in err,
              "the error names the file and line: " + err)
        check(db.has_table("ok"), "the migration before it stays applied")
        check(not db.has_table("half"), "the failing one is rolled back")
        eq(db.query("SELECT count(*) FROM ok"), [["0"]], "its rows too")
        check(not db.has_table("after"), "nothing after it ran")
        eq(db.query("SELECT id FROM kiln_migrations"), [["1"]], "recorded")
        # fixed, it applies
        p.write("migrations/0002_bad.sql", "CREATE TABLE half (x INTEGER);\n")
        eq(db.migrate()[0], 0, "after the fix")
        check(db.has_table("half") and db.has_table("after"), "all applied")


def test_bad_file_names():
    with Project() as p:
        db = Target(p)
        p.write("migrations/1_short.sql", "SELECT 1;")
        rc, out, err = db.migrate()
        eq(rc, 1, "short number")
        check("migrations/1_short.sql: a migration is named NNNN_name.sql"
              in err, err)
        p.remove("migrations/1_short.sql")
        p.write("migrations/0001_a.sql", "SELECT 1;")
        p.write("migrations/0001_b.sql", "SELECT 1;")
        rc, out, err = db.migrate("--status")
        eq(rc, 1, "duplicate number")
        check("0001_a.sql and 0001_b.sql have the same number" in err, err)
        p.remove("migrations/0001_b.sql")
        p.write("migrations/0002_bad name.sql", "SELECT 1;")
        rc, out, err = db.migrate()
        check(rc != 0 and "0002_bad name.sql" in err, err)
        p.remove("migrations/0002_bad name.sql")
        p.remove("migrations")
        rc, out, err = db.migrate()
        eq(rc, 1, "no folder")
        check("no migrations folder" in err, err)
