#!/usr/bin/env python3
"""bench/openapi_bench.py - how long Kiln takes to make the OpenAPI document
of an app with 200 endpoints.

    python3 bench/openapi_bench.py [--build build] [--endpoints 200] [--runs 15]

Generates a project in a temporary folder: models with [api] exposing all
six operations (list, create, retrieve, update, partial update, delete)
until there are as many endpoints as asked, each model with ten fields of
mixed types (an enum, a ref to the previous model, optional fields,
constraints, help texts) and filters, ordering, search and expand. Then
times `kiln openapi --out FILE` end to end (process start, project scan,
model loading, the document written) and prints the median and the best
run (wall clock) and the median CPU time (user + system: what the
process itself cost, whatever else the machine runs), the document's size
and its number of operations.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

MODEL = """\
# Model {i} of the benchmark.
ordering = ["title"]

[fields]
title = {{ type = "string", max_length = 200, help = "The title of item {i}" }}
body = {{ type = "text", optional = true, blank = true }}
status = {{ type = "enum", values = ["todo", "doing", "done"], default = "todo" }}
rank = {{ type = "integer", min = 1, max = 100, default = 50 }}
due = "date?"
price = {{ type = "decimal", precision = 10, scale = 2, optional = true }}
contact = "email?"
code = {{ type = "uuid", default = "random" }}
done = "bool"
{ref}created = "datetime:created"

[api]
operations = ["all"]
filters = ["status", "rank", "due", "title"{reff}]
ordering = ["title", "rank", "due"]
search = ["title", "body"]
{expand}"""


def make_project(root, endpoints):
    os.makedirs(os.path.join(root, "models"))
    with open(os.path.join(root, "kiln.toml"), "w") as f:
        f.write('[app]\nname = "bench"\n')
    n = (endpoints + 5) // 6
    for i in range(n):
        ref = 'parent = { type = "ref", to = "m%03d", optional = true }\n' % (
            i - 1) if i else ""
        text = MODEL.format(i=i, ref=ref, reff=', "parent"' if i else "",
                            expand='expand = ["parent"]\n' if i else "")
        with open(os.path.join(root, "models", "m%03d.toml" % i), "w") as f:
            f.write(text)
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--endpoints", type=int, default=200)
    ap.add_argument("--runs", type=int, default=15)
    o = ap.parse_args()
    kiln = os.path.abspath(os.path.join(o.build, "kiln"))
    if not os.path.exists(kiln):
        sys.exit("no %s: build Kiln first (ninja -C build)" % kiln)
    tmp = tempfile.mkdtemp(prefix="kiln-openapi-bench-")
    try:
        root = os.path.join(tmp, "bench")
        nmodels = make_project(root, o.endpoints)
        out = os.path.join(tmp, "openapi.json")
        times, cpu = [], []
        for _ in range(o.runs):
            t0 = time.perf_counter()
            p = subprocess.Popen([kiln, "openapi", "--out", out], cwd=root)
            _, status, ru = os.wait4(p.pid, 0)
            times.append(time.perf_counter() - t0)
            cpu.append(ru.ru_utime + ru.ru_stime)
            p.returncode = os.waitstatus_to_exitcode(status)
            if p.returncode != 0:
                sys.exit("kiln openapi failed (%d)" % p.returncode)
        with open(out) as f:
            doc = json.load(f)
        nops = sum(len(v) for v in doc["paths"].values())
        size = os.path.getsize(out)
        print("models: %d, operations: %d, document: %.0f KiB"
              % (nmodels, nops, size / 1024))
        print("kiln openapi: wall median %.1f ms, best %.1f ms; CPU (user + "
              "sys) median %.1f ms (%d runs)"
              % (statistics.median(times) * 1e3, min(times) * 1e3,
                 statistics.median(cpu) * 1e3, o.runs))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
