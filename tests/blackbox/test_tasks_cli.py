"""34. Tasks in a project: tasks/ and services/ files found by scanning,
[tasks.periodic] in kiln.toml, the app binary with --tasks (kiln run
--tasks), and the kiln tasks command. SQLite by default; the db suite runs
it again with KILN_TEST_DB_URL (the project's database.url then).
"""

import os
import re
import signal
import subprocess
import time

import harness
from harness import check, eq, t
from kilncli import Project, env_for

SECRET = "x9Q2mLp4Rt7Vz1Kc8Nf3Hb6Jd0Ws5Ye2Ua"

WELCOME = r"""#include <kiln.h>

/* enqueued by api/signup.c; its options: a queue and two attempts */
KILN_TASK(welcome, .queue = "mail", .max_attempts = 2)
{
    const kiln_json *user = kiln_json_get(payload, "user");
    if (!user || user->type != KILN_JSON_NUMBER)
        return kiln_task_abort(c, "no user in the payload");
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return kiln_task_fail(c, "no database");
    if (kiln_db_exec(db, "INSERT INTO welcomed (user_id) VALUES ($1)",
                     KILN_INT(user->u.number.i)) != 1)
        return kiln_task_fail(c, "%s", kiln_db_errmsg(db));
    return 0;
}
"""

SIGNUP = r"""#include <kiln.h>

/* POST /api/signup?user=N: the task exists only if the request commits */
KILN_POST(signup)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    if (kiln_db_begin(db) != 0)
        return kiln_db_fail(c, db);
    int rc = kiln_task_enqueuef(db, "email/welcome", NULL, NULL, "{user:%lld}",
                                (long long)kiln_query_int(c, "user", 0));
    if (rc < 0)
        return kiln_db_fail(c, db);
    if (kiln_query(c, "fail").p)
        return kiln_problem(c, 409, "changed my mind") < 0 ? -1 : KILN_EIO;
    if (kiln_db_commit(db) != 0)
        return kiln_db_fail(c, db);
    return kiln_jsonf(c, 201, "{ok:true}");
}
"""

TICK = r"""#include <kiln.h>

KILN_TASK(tick)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return KILN_EUNAVAIL;
    return kiln_db_exec(db, "INSERT INTO ticks (n) VALUES (1)") == 1
               ? 0
               : kiln_task_fail(c, "%s", kiln_db_errmsg(db));
}
"""

HEARTBEAT = r"""#include <kiln.h>

KILN_SERVICE(heartbeat, .worker = 1)
{
    kiln_log(KILN_LOG_INFO, "heartbeat service up");
    while (kiln_sleep_ms(50) == 0)
        ;
    return 0;
}
"""


def project(p, url):
    p.write("kiln.toml", p.read("kiln.toml") +
            "\n[database]\nurl = \"%s\"\n\n[tasks.periodic]\n"
            "tick = \"* * * * * *\"\n" % url)
    p.write("tasks/email/welcome.c", WELCOME)
    p.write("tasks/tick.c", TICK)
    p.write("tasks/_shared.h", "/* a helper header: not a task */\n")
    p.write("services/heartbeat.c", HEARTBEAT)
    p.write("api/signup.c", SIGNUP)
    p.write("migrations/0001_app.sql",
            "CREATE TABLE welcomed (user_id INTEGER);\n"
            "CREATE TABLE ticks (n INTEGER);\n")


def db_url(p):
    return os.environ.get("KILN_TEST_DB_URL") or "sqlite://./app.db"


def reset_pg():
    """The suite's PostgreSQL is shared: drop what an earlier run left."""
    if not os.environ.get("KILN_TEST_DB_URL"):
        return
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    import pg_server
    pg_server.psql(os.environ["KILN_TEST_DB_URL"],
                   "DROP TABLE IF EXISTS welcomed, ticks, kiln_migrations, "
                   "kiln_tasks, kiln_task_ticks, kiln_token, kiln_user_role, "
                   "kiln_user, kiln_session, kiln_schema")


def state(p, task_id):
    rc, out, err = p.kiln("tasks", "show", str(task_id))
    m = re.search(r"^state +(\w+)$", out, re.M)
    return m.group(1) if m else None


def test_tasks_in_a_project():
    with Project() as p:
        reset_pg()
        url = db_url(p)
        project(p, url)
        # the scan finds them
        rc, out, err = p.kiln("routes")
        eq(rc, 0, "routes: " + err)
        # kiln tasks before the tables exist
        rc, out, err = p.kiln("tasks")
        eq(rc, 1, "kiln tasks without tables")
        eq(err, "kiln tasks: the database has no task tables yet: run kiln "
           "migrate\n", "message")
        rc, out, err = p.kiln("migrate")
        eq(rc, 0, "migrate: " + err)
        check("applied  kiln: tasks 1" in err and
              "Kiln's own tables: 3 steps applied" in err and
              "1 migration applied" in err, err)
        rc, out, err = p.kiln("migrate", "--status")
        check("applied  kiln: tasks 1" in out and "0 pending" in out, out)
        # by hand: one good, one that aborts, one for a task that is not
        rc, out, err = p.kiln("tasks", "add", "email/welcome",
                              '{"user": 41}', "--queue", "mail")
        eq((rc, out), (0, "task 1 queued\n"), "add: " + err)
        rc, out, err = p.kiln("tasks", "add", "email/welcome", "{}",
                              "--queue", "mail", "--key", "k")
        eq(rc, 0, "add 2: " + err)
        rc, out, err = p.kiln("tasks", "add", "email/welcome", "{}",
                              "--queue", "mail", "--key", "k")
        eq(out, "task 2 has that key already: nothing added\n", "key")
        rc, out, err = p.kiln("tasks", "add", "email/welcome", "{oops")
        eq(rc, 1, "bad payload")
        check("the payload is not JSON" in err and err.count("\n") == 1, err)
        rc, out, err = p.kiln("tasks")
        eq(rc, 0, "list: " + err)
        check(re.search(r"^1 +queued +email/welcome +mail +0 ", out, re.M),
              out)
        check("2 queued, 0 running, 0 failed, 0 done" in out, out)
        # the release binary runs them, the periodic tick and the service
        rc, out, err = p.kiln("build", timeout=300)
        eq(rc, 0, "build: " + err[-2000:])
        env = env_for({"KILN_APP_SECRET_KEY": SECRET})
        log = open(p.path("tasks.log"), "wb")
        proc = subprocess.Popen(
            [harness.BIN_DIR + "/kiln", "run", "--tasks", "--workers", "2",
             "--set", "tasks.poll_ms=50"], cwd=p.root, env=env,
            stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + t(20)
            while time.monotonic() < deadline:
                if state(p, 1) == "done" and state(p, 2) == "failed":
                    break
                time.sleep(0.2)
            time.sleep(1.5)  # a tick or two more
        finally:
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(timeout=t(20))
            log.close()
        text = open(p.path("tasks.log")).read()
        eq(rc, 0, "kiln run --tasks exit: " + text[-1500:])
        check("2 tasks, 1 services" in text, text[:600])
        check("heartbeat service up" in text and
              "service heartbeat: stopped" in text, text[-1500:])
        rc, out, err = p.kiln("tasks", "--failed")
        check(re.search(r"^2 +failed +email/welcome +mail +1/2 .* no user in "
                        r"the payload$", out, re.M), out)
        rc, out, err = p.kiln("tasks", "show", "2")
        check(re.search(r"^last_error +no user in the payload$", out, re.M) and
              re.search(r"^payload +\{\}$", out, re.M), out)
        rc, out, err = p.kiln("tasks", "--done", "--name", "tick")
        check(re.search(r"^\d+ +done +tick +default ", out, re.M), out)
        # retry and delete
        rc, out, err = p.kiln("tasks", "retry", "2")
        eq((rc, out), (0, "task 2 queued again\n"), "retry: " + err)
        eq(state(p, 2), "queued", "queued again")
        rc, out, err = p.kiln("tasks", "retry", "2")
        eq(rc, 1, "retry a queued one")
        eq(err, "kiln tasks: task 2 is queued: only failed tasks are "
           "retried\n", "message")
        rc, out, err = p.kiln("tasks", "delete", "2", "1")
        eq((rc, out), (0, "task 2 deleted\ntask 1 deleted\n"), "delete")
        rc, out, err = p.kiln("tasks", "show", "2")
        eq((rc, err), (1, "kiln tasks: no task 2\n"), "gone")
        rc, out, err = p.kiln("tasks", "delete", "--done")
        check(rc == 0 and re.match(r"\d+ done tasks? deleted\n$", out), out)
        # usage errors
        for args, msg in ((["tasks", "retry"], "retry takes task IDs or a "
                                               "state"),
                          (["tasks", "show", "x"], "'x' is not a task ID"),
                          (["tasks", "--failed", "--done"], "one state at a "
                                                            "time"),
                          (["tasks", "delete", "--queued"], "delete takes "
                                                            "IDs")):
            rc, out, err = p.kiln(*args)
            eq(rc, 2, "%s: status" % args)
            check(msg in err and err.count("\n") == 1, err)
test_tasks_in_a_project.timeout = 400


def test_task_files_break_no_rules():
    with Project() as p:
        p.write("tasks/empty.c", "#include <kiln.h>\n/* nothing */\n")
        p.write("tasks/two.c", "#include <kiln.h>\nKILN_TASK(a) { return 0; }"
                "\nKILN_TASK(b) { return 0; }\n")
        p.write("tasks/get.c", "#include <kiln.h>\nKILN_GET(x) { return 0; }"
                "\n")
        p.write("tasks/notes.txt", "hello\n")
        p.write("api/job.c", "#include <kiln.h>\nKILN_TASK(x) { return 0; }"
                "\n")
        p.write("services/s.c", "#include <kiln.h>\nKILN_TASK(x) { return 0; }"
                "\n")
        rc, out, err = p.kiln("routes")
        eq(rc, 1, "routes status")
        for msg in ("tasks/empty.c: no task here: define one, e.g. "
                    "KILN_TASK(name) { ... }",
                    "tasks/two.c: one KILN_TASK per file",
                    "tasks/get.c: handlers (KILN_GET, ...) are for api/ and "
                    "pages/ files",
                    "tasks/notes.txt: unknown file in tasks/",
                    "api/job.c: KILN_TASK is for tasks/ files",
                    "services/s.c: KILN_TASK is for tasks/ files"):
            check(msg in err, "%r in %s" % (msg, err))
        # the periodic entry names a task that is not there: the app says so
        p.remove("tasks")
        p.remove("services")
        p.remove("api/job.c")
        p.write("kiln.toml", p.read("kiln.toml") +
                "\n[tasks.periodic]\nnightly = \"0 3 * * *\"\n")
        rc, out, err = p.kiln("build", timeout=300)
        eq(rc, 0, "build: " + err[-1000:])
        env = env_for({"KILN_APP_SECRET_KEY": SECRET})
        r = subprocess.run([p.path("dist/app"), "--tasks"], cwd=p.root,
                           env=env, capture_output=True, timeout=t(20))
        eq(r.returncode, 2, "start with a periodic entry and no task")
        check(b"kiln.toml:" in r.stderr and b"tasks.periodic.nightly: no task "
              b"is called 'nightly' (a project defines it in "
              b"tasks/nightly.c)" in r.stderr, r.stderr)
test_task_files_break_no_rules.timeout = 300

