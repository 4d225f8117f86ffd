"""The TypeScript client (docs/typescript.md): `kiln types` on a project
with models that have [api] and an api/ handler with an endpoint schema.
TypeScript's own compiler (`tsc --strict`, installed by `npm ci` from
tests/types's lock file with @tanstack/react-query v5 and React's types)
compiles the files it writes with a React component that uses the hooks and
the client (tests/types/board.tsx) and the example of docs/typescript.md,
and refuses a file of deliberate type errors (tests/types/bad.ts) with the
expected messages. Orval's react-query client, generated from `kiln
openapi`'s document, compiles too. The client, compiled to JavaScript and
run by Node against `kiln dev`, gets answers and ApiErrors. Also: `kiln
types --check` for CI, and `kiln dev` rewriting the files when a model
changes.
"""

import json
import os
import re
import subprocess

import harness
from harness import check, eq, t
from kilncli import Dev, Project

# Each test makes its own project: tests/blackbox/run.py may run them in
# processes of their own, side by side.
SPLIT = True

NPM_DIR = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "types")

PROJECT = """\
# A project of the board.
[fields]
name = { type = "string", max_length = 80, help = "Shown on the board" }

[api]
operations = ["list", "retrieve"]
"""

TASK = """\
# A task on a project's board.
ordering = ["due"]

[fields]
project = { type = "ref", to = "project" }
title = { type = "string", min_length = 3, max_length = 200, help = "What needs doing" }
description = { type = "text", optional = true, blank = true }
status = { type = "enum", values = ["todo", "doing", "done"], default = "todo" }
priority = { type = "integer", min = 1, max = 5, default = 3 }
due = "date?"
estimate = { type = "decimal", precision = 5, scale = 1, optional = true }
ref = { type = "uuid", default = "random" }
token = { type = "string", max_length = 40, write_only = true, optional = true }
created = "datetime:created"

[api]
operations = ["all"]
path = "tasks"
filters = ["status", "due", "title", "project"]
ordering = ["due", "title"]
search = ["title"]
expand = ["project"]
"""

COMMENT = """\
# A comment on a task.
[fields]
task = { type = "ref", to = "task" }
body = { type = "text", max_length = 2000 }

[api]
operations = ["list", "create", "delete"]
path = "task-comments"
filters = ["task"]
"""

LIKE_C = """\
#include <kiln.h>

#include "models.h"

KILN_POST(like)
{
    return kiln_jsonf(c, 200, "{\\"ok\\":true}");
}
"""

LIKE_TOML = """\
[post]
name = "like"
summary = "Like a post"
path = { id = { type = "integer", min = 1 } }
query = { notify = "bool?" }
body = { fields = { reason = "string:200?", mood = "enum:happy,sad" } }
responses = { 200 = "project", 404 = { description = "no such post" } }
"""

PING_C = """\
#include <kiln.h>

KILN_GET(ping)
{
    return kiln_jsonf(c, 200, "{\\"pong\\":true}");
}
"""

FILES = ["client.ts", "types.ts", "query.ts", "projects.ts", "tasks.ts",
         "task-comments.ts", "endpoints.ts", "index.ts"]


def make(p):
    p.write("models/project.toml", PROJECT)
    p.write("models/task.toml", TASK)
    p.write("models/task_comment.toml", COMMENT)
    p.write("api/posts/[id]/like.c", LIKE_C)
    p.write("api/posts/[id]/like.toml", LIKE_TOML)
    p.write("api/ping.c", PING_C)
    # a hand-written handler at a generated operation's method and path
    p.write("api/projects/[id].c", PING_C.replace("ping", "project_show"))


def npm_ci():
    """`npm ci` in tests/types unless its node_modules has its lock file's."""
    harness.npm_ci(NPM_DIR)


def tsc(p, files, flags=()):
    """Runs tsc --strict over files (relative to web/src) with
    tests/types/tsconfig.json's options and flags; returns (status,
    output)."""
    with open(os.path.join(NPM_DIR, "tsconfig.json")) as f:
        conf = json.load(f)
    conf["files"] = files
    p.write("web/src/tsconfig.json", json.dumps(conf, indent=2))
    link = p.path("web/node_modules")
    if not os.path.exists(link):
        os.symlink(os.path.join(NPM_DIR, "node_modules"), link)
    r = subprocess.run([os.path.join(NPM_DIR, "node_modules", ".bin", "tsc"),
                        "-p", "web/src/tsconfig.json", "--pretty", "false"] +
                       list(flags),
                       cwd=p.root, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=t(300))
    return r.returncode, r.stdout.decode("utf-8", "replace")


def test_types_files():
    with Project("board") as p:
        make(p)
        rc, _, err = p.kiln("types", "--out", "web/src/api")
        eq(rc, 0, "kiln types: " + err)
        eq(sorted(os.listdir(p.path("web/src/api"))), sorted(FILES),
           "the files")
        types = p.read("web/src/api/types.ts")
        for want in ('export type TaskStatus = "todo" | "doing" | "done";',
                     "export const taskStatusValues: readonly TaskStatus[]",
                     "  project: number | Project;",  # expandable
                     "  due: string | null;",
                     "  estimate: string | null;",  # decimal as text
                     "  due?: string | null;",  # input: optional
                     "  project: number;",  # input: required, an id
                     "  status__in?: readonly TaskStatus[];",
                     "  next: string | null;",
                     "export interface TaskInput {",
                     "export interface TaskPatch {",
                     "export interface LikeBody {",
                     "export interface TaskCommentPage {"):
            check(want in types, "types.ts has %r" % want)
        task = types.split("export interface Task {")[1].split("}")[0]
        check("token" not in task, "write-only left out of the output")
        tin = types.split("export interface TaskInput {")[1].split("}")[0]
        check("created" not in tin and "  id" not in tin,
              "read-only left out of the input: " + tin)
        tasks = p.read("web/src/api/tasks.ts")
        for want in ('export const taskKeys = queryKeys<TaskListParams>'
                     '("tasks");',
                     "export const listTasks = "
                     'listCall<TaskListParams, TaskPage>("/api/tasks");',
                     'export const patchTask = patchCall<TaskPatch, Task>'
                     '("/api/tasks");',
                     "export const useListTasksInfinite = "
                     "infiniteListQuery(taskKeys, listTasks);",
                     "export const useCreateTask = "
                     "createMutation(taskKeys, createTask);",
                     "export const usePatchTask = "
                     "updateMutation(taskKeys, patchTask);"):
            check(want in tasks, "tasks.ts has %r" % want)
        # a model's file is its keys and a line per call and hook: what
        # they do is written once, in client.ts and query.ts
        lines = tasks.splitlines()
        check(len(lines) <= 70 and max(map(len, lines)) <= 80 and
              "function" not in tasks and "=>" not in tasks,
              "tasks.ts is short and declarative:\n" + tasks)
        query = p.read("web/src/api/query.ts")
        for want in ("export function infiniteListQuery<",
                     "getNextPageParam: (page) => page.next,",
                     "queryClient.invalidateQueries({ queryKey: "
                     "keys.detail(id) })"):
            check(want in query, "query.ts has %r" % want)
        check('"application/merge-patch+json"' in
              p.read("web/src/api/client.ts"), "patchCall's content type")
        comments = p.read("web/src/api/task-comments.ts")
        check("export const createTaskComment =" in comments and
              "export const listTaskComments =" in comments and
              "updateTaskComment" not in comments,
              "only the operations the model exposes")
        projects = p.read("web/src/api/projects.ts")
        check("getProject" not in projects,
              "the hand-written handler replaces the generated retrieve")
        ends = p.read("web/src/api/endpoints.ts")
        check("export function postPostsByIdLike(" in ends and
              "Ping" not in ends, "endpoint schemas only: " + ends)
        # the same names as the OpenAPI document's components
        rc, doc, err = p.kiln("openapi")
        eq(rc, 0, err)
        comps = set(json.loads(doc)["components"]["schemas"])
        named = set(re.findall(r"^export (?:interface|type) (\w+)", types,
                               re.M))
        eq(sorted(comps - named), ["Problem", "ValidationProblem"],
           "every component a type of types.ts (problems: client.ts)")
        check("ProjectInput" not in named, "no input without a write")
        client = p.read("web/src/api/client.ts")
        check("export class ApiError extends Error" in client and
              "credentials: config.credentials" in client, "the client")
        # the same bytes every time
        rc, _, err = p.kiln("types", "--out", "again")
        eq(rc, 0, err)
        for name in FILES:
            eq(p.read("again/" + name), p.read("web/src/api/" + name), name)
        rc, _, err = p.kiln("types", "--bogus")
        eq(rc, 2, "a bad option: " + err)


def test_types_compile_strict():
    npm_ci()
    with Project("board") as p:
        make(p)
        rc, _, err = p.kiln("types", "--out", "web/src/api")
        eq(rc, 0, "kiln types: " + err)
        with open(os.path.join(NPM_DIR, "board.tsx")) as f:
            p.write("web/src/board.tsx", f.read())
        with open(os.path.join(NPM_DIR, "bad.ts")) as f:
            p.write("web/src/bad.ts", f.read())
        # the React example of docs/typescript.md, as printed there
        docs = os.path.join(os.path.dirname(NPM_DIR), "..", "docs",
                            "typescript.md")
        with open(docs) as f:
            example = f.read().split("```tsx\n")[1].split("```")[0]
        check("useCreateTask" in example, "the example: " + example[:200])
        p.write("web/src/example.tsx", example)
        rc, out = tsc(p, ["board.tsx", "example.tsx"] +
                      ["api/" + n for n in FILES])
        eq(rc, 0, "tsc over the client, board.tsx and the docs' example:\n"
           + out)
        rc, out = tsc(p, ["bad.ts"])
        check(rc != 0, "bad.ts must not compile")
        errors = [line for line in out.splitlines() if "error TS" in line]
        eq(len(errors), 3, "three errors:\n" + out)
        check("TS2322" in errors[0] and "'\"later\"'" in errors[0] and
              "TaskStatus" in errors[0], "a status outside the enum: " + out)
        check("Property 'project' is missing" in out,
              "a required field missing: " + out)
        check("TS2339" in errors[2] and "'title'" in errors[2] and
              "TaskPage" in errors[2], "a page is not a row: " + out)


test_types_compile_strict.timeout = 600


def test_types_orval_from_the_document():
    """Orval (7.13.x: later ones need Node 22), an independent generator,
    makes its react-query client from `kiln openapi`'s document without an
    error, with hooks named after the operationIds, and tsc --strict
    compiles it."""
    npm_ci()
    with Project("board") as p:
        make(p)
        rc, _, err = p.kiln("openapi", "--out", "openapi.json")
        eq(rc, 0, "kiln openapi: " + err)
        r = subprocess.run([os.path.join(NPM_DIR, "node_modules", ".bin",
                                         "orval"),
                            "--input", "openapi.json",
                            "--output", "web/src/orval/api.ts",
                            "--client", "react-query"],
                           cwd=p.root, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=t(300))
        out = r.stdout.decode("utf-8", "replace")
        eq(r.returncode, 0, "orval: " + out)
        api = p.read("web/src/orval/api.ts")
        for want in ("export function useListTasks<",
                     "export function useGetTask<",
                     "export const useCreateTask = ",
                     "export const usePatchTask = ",
                     "export const usePostPostsByIdLike = ",
                     "export interface TaskInput {",
                     "export type TaskStatus = "):
            check(want in api, "orval wrote %r" % want)
        rc, out = tsc(p, ["orval/api.ts"])
        eq(rc, 0, "tsc over orval's output:\n" + out)


test_types_orval_from_the_document.timeout = 600


def test_types_client_against_the_app():
    """The client at work: tests/types/run.ts and the files kiln types wrote,
    compiled by tsc to CommonJS and run by Node against kiln dev, get the
    handler's answer, and ApiError with the problem's status, title and
    every failing field and query parameter; so do a model's calls
    (listTasks, getTask, createTask, deleteTask), made by client.ts's
    makers."""
    npm_ci()
    with Project("board") as p:
        make(p)
        p.write("kiln.toml", p.read("kiln.toml") +
                '\n[types]\nout = "web/src/api"\n')
        with open(os.path.join(NPM_DIR, "run.ts")) as f:
            p.write("web/src/run.ts", f.read())
        for cmd in (["migrate", "--make"], ["migrate"]):  # the tables
            rc, _, err = p.kiln(*cmd)
            eq(rc, 0, "kiln %s: %s" % (" ".join(cmd), err))
        with Dev(p) as dev:
            dev.wait_for("/api/openapi.json", lambda r: r.status == 200,
                         "the app", timeout=120)
            rc, out = tsc(p, ["run.ts"], ["--noEmit", "false", "--outDir",
                                          "web/out", "--module", "commonjs",
                                          "--moduleResolution", "node10"])
            eq(rc, 0, "tsc run.ts:\n" + out)
            r = subprocess.run(["node", "web/out/run.js",
                                "http://127.0.0.1:%d" % dev.port],
                               cwd=p.root, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=t(60))
            eq(r.returncode, 0, "node: " + r.stderr.decode())
            good, bad, missing, seen, calls = json.loads(r.stdout)
            eq(seen, ["application/json"], "onResponse sees the response")
            eq(good, {"ok": {"ok": True}}, "the handler's answer")
            eq((bad["status"], bad["title"], bad["mood"], bad["notify"]),
               (422, "Unprocessable Content", 1, 1), "422: %r" % bad)
            eq(sorted((e.get("pointer", ""), e.get("parameter", ""),
                       e["code"]) for e in bad["errors"]),
               [("", "notify", "type"), ("/mood", "", "choice")],
               "every failing field and parameter")
            eq(missing["status"], 404, "a path parameter out of range")
            # tasks.ts's calls, made by client.ts's makers
            page, bad_limit, no_row, bad_row, no_delete = calls
            eq(page, {"ok": {"items": [], "next": None}}, "listTasks")
            eq([e.get("parameter") for e in bad_limit["errors"]], ["limit"],
               "listTasks sends its params in the query: %r" % bad_limit)
            eq(no_row["status"], 404, "getTask(999): %r" % no_row)
            eq(bad_row["status"], 422, "createTask: %r" % bad_row)
            eq(sorted(e.get("pointer") for e in bad_row["errors"]),
               ["/project", "/title"], "createTask's body: %r" % bad_row)
            eq(no_delete["status"], 404, "deleteTask(999): %r" % no_delete)


test_types_client_against_the_app.timeout = 600


def test_types_check():
    with Project("board") as p:
        make(p)
        rc, _, err = p.kiln("types")
        eq(rc, 2, "no folder: " + err)
        check("[types] out" in err, "says how to name one: " + err)
        toml = p.read("kiln.toml")
        p.write("kiln.toml", toml + '\n[types]\nout = "web/src/api"\n')
        rc, _, err = p.kiln("types", "--check")
        eq(rc, 1, "nothing written yet: " + err)
        check("types.ts is stale" in err, err)
        rc, _, err = p.kiln("types")
        eq(rc, 0, err)
        rc, _, err = p.kiln("types", "--check")
        eq((rc, err), (0, ""), "fresh")
        # a model changes: the files it makes are stale, named
        p.write("models/task.toml",
                TASK.replace('due = "date?"', 'due = "date?"\nsize = "integer?"'))
        rc, _, err = p.kiln("types", "--check")
        eq(rc, 1, "stale after a model change: " + err)
        check("kiln types: web/src/api/types.ts is stale (run kiln types)\n"
              in err, err)
        check("tasks.ts" not in err, "only what changed: " + err)
        # a file edited by hand
        p.write("web/src/api/client.ts", "// mine\n")
        rc, _, err = p.kiln("types", "--check")
        check(rc == 1 and "client.ts is stale" in err, err)
        # a model losing [api]: its file is left over, then removed
        p.write("models/task_comment.toml", COMMENT.split("[api]")[0])
        rc, _, err = p.kiln("types", "--check")
        check(rc == 1 and "task-comments.ts is stale" in err, err)
        check(os.path.exists(p.path("web/src/api/task-comments.ts")),
              "--check writes nothing")
        rc, _, err = p.kiln("types")
        eq(rc, 0, err)
        check(not os.path.exists(p.path("web/src/api/task-comments.ts")),
              "the left-over file removed")
        p.write("web/src/api/notes.ts", "// the app's own\n")
        rc, _, err = p.kiln("types", "--check")
        eq((rc, err), (0, ""), "fresh again; the app's own file is no concern")
        check(os.path.exists(p.path("web/src/api/notes.ts")), "kept")


def test_types_dev_rewrites():
    with Project("board") as p:
        make(p)
        toml = p.read("kiln.toml")
        p.write("kiln.toml", toml + '\n[types]\nout = "web/src/api"\n')
        with Dev(p) as dev:
            dev.wait_for("/api/openapi.json", lambda r: r.status == 200,
                         "the app", timeout=120)
            types = p.read("web/src/api/types.ts")
            check("export interface Task {" in types, "written by kiln dev")
            p.write("models/task.toml",
                    TASK.replace('due = "date?"',
                                 'due = "date?"\nsize = "integer?"'))
            dev.wait_for("/api/openapi.json",
                         lambda r: r.status == 200 and b'"size"' in r.body,
                         "the rebuilt app", timeout=120)
            check("  size: number | null;" in
                  p.read("web/src/api/types.ts"),
                  "types.ts rewritten when the model changed")


test_types_dev_rewrites.timeout = 300
