"""The OpenAPI 3.1 document (docs/openapi.md): `kiln openapi` on a project
with models that have [api], an api/ handler with an endpoint schema and
one without; the document served by the app at /api/openapi.json (ETag,
304); and an independent consumer, @redocly/cli's lint with the
recommended rules (installed by `npm ci` from tests/openapi's lock file),
which must report no error, and openapi-typescript, whose types must
compile under `tsc --strict` (and refuse a deliberate mistake). Sample rows are validated against the
document's schemas with python3-jsonschema.
"""

import json
import os
import subprocess

import harness
from harness import check, eq, t
from kilncli import Dev, Project, env_for, get_when_up

SRC = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
NPM_DIR = os.path.join(SRC, "tests", "openapi")
DOCS_DIR = os.path.join(SRC, "share", "openapi-docs")

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
contact = "email?"
site = "url?"
at = "time?"
token = { type = "string", max_length = 40, write_only = true, optional = true }
created = "datetime:created"

[api]
operations = ["all"]
path = "tasks"
filters = ["status", "due", "title"]
ordering = ["due", "title"]
search = ["title"]
expand = ["project"]
page_size = 10
max_page_size = 50
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


def make(p):
    p.write("models/project.toml", PROJECT)
    p.write("models/task.toml", TASK)
    p.write("api/posts/[id]/like.c", LIKE_C)
    p.write("api/posts/[id]/like.toml", LIKE_TOML)
    p.write("api/ping.c", PING_C)
    # a hand-written handler at a generated operation's method and path
    p.write("api/projects/[id].c", PING_C.replace("ping", "project_show"))


def document(p):
    rc, out, err = p.kiln("openapi")
    eq(rc, 0, "kiln openapi: " + err)
    return out, json.loads(out)


def test_openapi_document_contents():
    with Project("board") as p:
        make(p)
        text, d = document(p)
        eq(d["openapi"], "3.1.0", "version")
        eq(d["info"]["title"], "board", "the project's name")
        paths = d["paths"]
        # every route: CRUD, the endpoint schema, the free-form handler;
        # the scaffold's pages are left out
        ops = sorted((path, m, o["operationId"]) for path, item in
                     paths.items() for m, o in item.items())
        eq(ops, sorted([
            ("/api/hello", "get", "getHello"),
            ("/api/ping", "get", "getPing"),
            ("/api/posts/{id}/like", "post", "postPostsByIdLike"),
            ("/api/projects", "get", "listProjects"),
            ("/api/projects/{id}", "get", "getProjectsById"),
            ("/api/tasks", "get", "listTasks"),
            ("/api/tasks", "post", "createTask"),
            ("/api/tasks/{id}", "get", "getTask"),
            ("/api/tasks/{id}", "put", "updateTask"),
            ("/api/tasks/{id}", "patch", "patchTask"),
            ("/api/tasks/{id}", "delete", "deleteTask"),
            # Kiln's own (docs/auth.md)
            ("/api/auth/login", "post", "postAuthLogin"),
            ("/api/auth/logout", "post", "postAuthLogout"),
            ("/api/auth/me", "get", "getAuthMe"),
            ("/api/auth/tokens", "get", "getAuthTokens"),
            ("/api/auth/tokens", "post", "postAuthTokens"),
            ("/api/auth/tokens/{id}", "delete", "deleteAuthTokensById")]),
           "operations")
        eq(paths["/api/projects/{id}"]["get"]["responses"]["200"]["content"]
           ["application/json"]["schema"], {},
           "the hand-written handler replaces the generated one")
        check(not any(not k.startswith("/api/") for k in paths),
              "no page in the document: %r" % list(paths))
        eq(paths["/api/tasks"]["get"]["tags"], ["tasks"], "tag per model")
        tags = [tg["name"] for tg in d["tags"]]
        check("tasks" in tags and "projects" in tags, "tags declared: %r" % tags)

        s = d["components"]["schemas"]
        task, tin, tpatch = s["Task"], s["TaskInput"], s["TaskPatch"]
        # output: read-only id and created in, write-only token out
        check("token" not in task["properties"], "write-only not output")
        eq(task["properties"]["id"].get("readOnly"), True, "id read-only")
        eq(task["properties"]["id"]["type"], "integer", "id type")
        # input: read-only out, write-only in
        check("id" not in tin["properties"] and
              "created" not in tin["properties"], "read-only not input")
        eq(tin["properties"]["token"].get("writeOnly"), True, "write-only")
        eq(sorted(tin["required"]), ["project", "title"],
           "required: no default, not optional")
        eq(tin.get("additionalProperties"), False, "unknown keys refused")
        check("required" not in tpatch, "every field of a patch optional")
        # nullable as type arrays; formats; constraints
        eq(task["properties"]["due"]["type"], ["string", "null"], "nullable")
        eq(task["properties"]["due"]["format"], "date", "date")
        eq(task["properties"]["created"]["format"], "date-time", "datetime")
        eq(task["properties"]["ref"]["format"], "uuid", "uuid")
        eq(task["properties"]["contact"]["format"], "email", "email")
        eq(task["properties"]["site"]["format"], "uri", "url")
        title = tin["properties"]["title"]
        eq((title["minLength"], title["maxLength"]), (3, 200), "lengths")
        eq(title["description"], "What needs doing", "help text")
        pr = tin["properties"]["priority"]
        eq((pr["minimum"], pr["maximum"], pr["default"]), (1, 5, 3), "bounds")
        est = task["properties"]["estimate"]
        eq(est["type"], ["string", "null"], "decimal as a string")
        check("pattern" in est, "decimal pattern")
        # named enum, referenced
        eq(s["TaskStatus"], {"type": "string",
                             "enum": ["todo", "doing", "done"]}, "enum")
        eq(tin["properties"]["status"]["$ref"],
           "#/components/schemas/TaskStatus", "enum by reference")
        # expand: the id or the project
        kinds = task["properties"]["project"]["anyOf"]
        check({"$ref": "#/components/schemas/Project"} in kinds,
              "expandable ref: %r" % kinds)
        # page
        page = s["TaskPage"]
        eq(page["properties"]["items"]["items"]["$ref"],
           "#/components/schemas/Task", "page items")
        eq(page["properties"]["next"]["type"], ["string", "null"], "next")
        eq(sorted(page["required"]), ["items", "next"], "count optional")
        # problems
        vp = json.dumps(s["ValidationProblem"])
        check('"errors"' in vp and '"pointer"' in vp, "ValidationProblem")
        # list parameters and responses
        lst = paths["/api/tasks"]["get"]
        params = {q["name"]: q for q in lst["parameters"]}
        for name in ("limit", "cursor", "offset", "ordering", "search",
                     "expand", "status", "status__in", "due__gte",
                     "due__isnull", "title__icontains"):
            check(name in params, "list parameter %s: %r" % (name, params))
        eq((params["limit"]["schema"]["maximum"],
            params["limit"]["schema"]["default"]), (50, 10), "page sizes")
        check("title__isnull" not in params, "isnull: optional fields only")
        eq(lst["responses"]["422"]["$ref"],
           "#/components/responses/ValidationFailed", "422")
        upd = paths["/api/tasks/{id}"]["put"]
        for st in ("400", "404", "409", "412", "422"):
            check(st in upd["responses"], "PUT answers %s" % st)
        patch = paths["/api/tasks/{id}"]["patch"]["requestBody"]["content"]
        eq(patch["application/merge-patch+json"]["schema"]["$ref"],
           "#/components/schemas/TaskPatch", "merge patch body")
        rs = d["components"]["responses"]
        eq(list(rs["PreconditionFailed"]["content"]),
           ["application/problem+json"], "problem+json")
        # the endpoint schema
        like = paths["/api/posts/{id}/like"]["post"]
        eq(like["summary"], "Like a post", "summary")
        lp = {(q["in"], q["name"]): q for q in like["parameters"]}
        eq(lp[("path", "id")]["schema"]["minimum"], 1, "path parameter")
        eq(lp[("query", "notify")]["schema"]["type"], "boolean", "query")
        body = like["requestBody"]["content"]["application/json"]["schema"]
        lb = s[body["$ref"].rsplit("/", 1)[1]]
        eq(sorted(lb["properties"]), ["mood", "reason"], "body fields")
        eq(lb["required"], ["mood"], "body required")
        eq(like["responses"]["200"]["content"]["application/json"]["schema"]
           ["$ref"], "#/components/schemas/Project", "response model")
        eq(like["responses"]["404"]["description"], "no such post", "404")
        # the free-form handler: any JSON
        ping = paths["/api/ping"]["get"]
        eq(ping["responses"]["200"]["content"]["application/json"]["schema"],
           {}, "free-form")
        # --out writes the same bytes
        rc, _, err = p.kiln("openapi", "--out", "doc.json")
        eq(rc, 0, err)
        eq(p.read("doc.json"), text, "--out")
        rc, _, err = p.kiln("openapi", "--bogus")
        eq(rc, 2, "a bad option: " + err)


def test_openapi_sample_rows_validate():
    import jsonschema
    with Project("board") as p:
        make(p)
        _, d = document(p)
        s = d["components"]["schemas"]

        def validator(name):
            root = {"$defs": s, "$ref": "#/$defs/" + name}
            text = json.dumps(root).replace("#/components/schemas/",
                                            "#/$defs/")
            return jsonschema.Draft202012Validator(
                json.loads(text),
                format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)

        row = {"id": 1, "project": 2, "title": "Write docs",
               "description": None, "status": "doing", "priority": 3,
               "due": "2026-03-05", "estimate": "12.5",
               "ref": "0f8fad5b-d9cb-469f-a165-70867728950e",
               "contact": None, "site": "https://example.com/",
               "at": "14:07:00", "created": "2026-03-05T14:07:00.123Z"}
        task = validator("Task")
        eq(list(task.iter_errors(row)), [], "a row as the encoder writes it")
        expanded = dict(row, project={"id": 2, "name": "Kiln"})
        eq(list(task.iter_errors(expanded)), [], "an expanded row")
        for bad in ({"status": "later"}, {"title": "ab"},
                    {"priority": 9}, {"estimate": "1.25"},
                    {"due": "2026-13-01"}, {"at": "25:00"}):
            check(list(task.iter_errors(dict(row, **bad))),
                  "refused: %r" % bad)
        inp = validator("TaskInput")
        eq(list(inp.iter_errors({"project": 2, "title": "abc"})), [],
           "a minimal input")
        check(list(inp.iter_errors({"title": "abc"})), "project is required")
        check(list(inp.iter_errors({"project": 2, "title": "abc",
                                    "id": 4})), "id is not input")
        vp = validator("ValidationProblem")
        problem = {"type": "about:blank", "title": "Unprocessable Content",
                   "status": 422, "errors": [
                       {"pointer": "/title", "code": "too_short",
                        "detail": "at least 3 characters"},
                       {"parameter": "limit", "code": "out_of_range",
                        "detail": "1 to 50"}]}
        eq(list(vp.iter_errors(problem)), [], "a 422 as Kiln writes it")
        check(list(vp.iter_errors(dict(problem, errors=[
            {"code": "invalid", "detail": "x"}]))),
              "an error names a field or a parameter")
        page = validator("TaskPage")
        eq(list(page.iter_errors({"items": [row], "next": None})), [],
           "a page")


def test_openapi_served_with_etag():
    with Project("board") as p:
        make(p)
        text, _ = document(p)
        with Dev(p) as dev:
            r = dev.wait_for("/api/openapi.json", lambda r: r.status == 200,
                             "the document", timeout=120)
            eq(r.body.decode(), text, "the document kiln openapi prints")
            check(r.header("Content-Type", "").startswith("application/json"),
                  "content type: %r" % r.header("Content-Type"))
            etag = r.header("ETag", "")
            check(etag.startswith('"') and not etag.startswith("W/"),
                  "strong ETag: %r" % etag)
            r2 = dev.get("/api/openapi.json", headers=[("If-None-Match",
                                                        etag)])
            eq(r2.status, 304, "If-None-Match")
            # a model change rebuilds the document
            p.write("models/project.toml",
                    PROJECT.replace('["list", "retrieve"]', '["retrieve"]'))
            r3 = dev.wait_for("/api/openapi.json",
                              lambda r: r.status == 200 and
                              b"listProjects" not in r.body,
                              "the rebuilt document", timeout=120)
            check(r3.header("ETag") != etag, "a new ETag")


test_openapi_served_with_etag.timeout = 240


def npm_ci(folder=NPM_DIR):
    """`npm ci` in folder unless its node_modules has its lock file's."""
    harness.npm_ci(folder)


def test_openapi_redocly_lint_recommended():
    npm_ci()
    with Project("board") as p:
        make(p)
        rc, _, err = p.kiln("openapi", "--out", "openapi.json")
        eq(rc, 0, err)
        redocly = os.path.join(NPM_DIR, "node_modules", ".bin", "redocly")
        r = subprocess.run([redocly, "lint", "--extends=recommended",
                            "--format=json", "openapi.json"],
                           cwd=p.root, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=t(120),
                           env=dict(os.environ, REDOCLY_TELEMETRY="off",
                                    REDOCLY_SUPPRESS_UPDATE_NOTICE="true"))
        out = r.stdout.decode("utf-8", "replace")
        report = json.loads(out)
        errors = [pr for pr in report.get("problems", [])
                  if pr.get("severity") == "error"]
        eq(errors, [], "redocly errors")
        eq(r.returncode, 0, "redocly lint: " + out[-2000:] +
           r.stderr.decode("utf-8", "replace")[-2000:])


test_openapi_redocly_lint_recommended.timeout = 360

USE_TS = """\
import type { components, operations } from "./schema";

type Task = components["schemas"]["Task"];
type Input = components["schemas"]["TaskInput"];
type Query = NonNullable<operations["listTasks"]["parameters"]["query"]>;

export function title(t: Task): string {
    const due: string | null = t.due;
    const status: "todo" | "doing" | "done" = t.status;
    return t.title + (due ?? "") + status;
}
export const input: Input = { project: 1, title: "Write the docs" };
export const query: Query = { limit: 10, status: "doing", due__gte: "2026-01-01" };
"""


def test_openapi_typescript_types_compile():
    npm_ci()
    bins = os.path.join(NPM_DIR, "node_modules", ".bin")
    with Project("board") as p:
        make(p)
        rc, _, err = p.kiln("openapi", "--out", "openapi.json")
        eq(rc, 0, err)
        r = subprocess.run([os.path.join(bins, "openapi-typescript"),
                            "openapi.json", "-o", "schema.d.ts",
                            # a default makes an input field optional, not
                            # required (docs/openapi.md)
                            "--default-non-nullable=false"],
                           cwd=p.root, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=t(120))
        eq(r.returncode, 0, "openapi-typescript: " + r.stdout.decode())
        types = p.read("schema.d.ts")
        for op in ("listTasks", "createTask", "patchTask", "postPostsByIdLike"):
            check(op + ":" in types, "operation %s in the types" % op)
        p.write("use.ts", USE_TS)
        # a deliberate mistake: a status the enum does not have
        p.write("bad.ts", USE_TS.replace('status: "doing"',
                                         'status: "later"'))
        tsc = [os.path.join(bins, "tsc"), "--strict", "--noEmit"]
        # one run over both files (tsc is the slow part): use.ts compiles,
        # bad.ts fails on its one line
        r = subprocess.run(tsc + ["use.ts", "bad.ts"], cwd=p.root,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=t(120))
        out = r.stdout.decode()
        errs = [ln for ln in out.splitlines() if ": error TS" in ln]
        check(r.returncode != 0 and len(errs) == 1 and
              errs[0].startswith("bad.ts(13,") and '"later"' in errs[0],
              "tsc: use.ts compiles, bad.ts's status is refused: %s" % out)


test_openapi_typescript_types_compile.timeout = 360


def test_openapi_docs_page_dev_only_by_default():
    npm_ci(DOCS_DIR)
    bundle = os.path.join(DOCS_DIR, "node_modules", "swagger-ui-dist",
                          "swagger-ui-bundle.js")
    with open(bundle, "rb") as f:
        js = f.read()
    with Project("board") as p:
        make(p)
        with Dev(p) as dev:
            r = dev.wait_for("/api/docs", lambda r: r.status == 200,
                             "the docs page", timeout=120)
            eq(r.header("Content-Type"), "text/html; charset=utf-8", "html")
            page = r.body.decode()
            for ref in ("/api/docs/swagger-ui.css",
                        "/api/docs/swagger-ui-bundle.js", "/api/docs/init.js"):
                check(ref in page, "the page loads %s" % ref)
            check("http" not in page.replace("http-equiv", ""),
                  "nothing from another server: " + page)
            r = dev.get("/api/docs/swagger-ui-bundle.js")
            eq(r.status, 200, "the bundle")
            check(r.body == js, "the bundle is swagger-ui-dist's, as installed")
            r = dev.get("/api/docs/init.js")
            check(b'"/api/openapi.json"' in r.body and
                  b"validatorUrl: null" in r.body, "init: %r" % r.body)
        # production: a release carries the page only when its settings say
        # api.docs = "on" when it is built; then the setting at run time
        # still decides
        env = {"KILN_APP_SECRET_KEY": "k" * 20 + "s3cr3t-for-the-tests-only"}

        def release(cases):
            rc, out, err = p.kiln("build")
            eq(rc, 0, "kiln build: " + out + err)
            for setting, want in cases:
                port = harness.free_port()
                e = dict(env, KILN_API_DOCS=setting) if setting else env
                proc = subprocess.Popen(
                    [os.path.join(p.root, "dist", "board"), "--port",
                     str(port), "--root", p.root], env=env_for(e),
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                try:
                    r = get_when_up(port, "/api/openapi.json")
                    check(r is not None and r.status == 200,
                          "the document is served in production")
                    for u in ("/api/docs", "/api/docs/swagger-ui-bundle.js"):
                        r = get_when_up(port, u)
                        eq(r.status, want,
                           "%s with api.docs=%s" % (u, setting))
                finally:
                    proc.terminate()
                    proc.wait(timeout=t(10))

        # built without it: no Swagger UI in the binary, whatever is said
        release(((None, 404), ("on", 404), ("off", 404)))
        with open(os.path.join(p.root, "kiln.toml"), "a") as f:
            f.write('\n[api]\ndocs = "on"\n')
        release(((None, 200), ("off", 404)))


test_openapi_docs_page_dev_only_by_default.timeout = 300

