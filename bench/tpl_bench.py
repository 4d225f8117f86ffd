#!/usr/bin/env python3
"""Kiln templates against Jinja2 on the TechEmpower "fortunes" page.

Renders the same template as bench/tpl_bench.c with Jinja2 (autoescape on,
template compiled once), checks that both engines produce the same bytes,
runs the C benchmark and prints two speed ratios: rendering alone with a
prebuilt context (the target figure), and building the 13-row context for
every render plus rendering (what a request handler pays).

Usage: bench/tpl_bench.py [--kiln PATH] [-n N]
PATH defaults to build/bench/tpl_bench (build it with meson, or by hand:
  cc -O2 -D_GNU_SOURCE -Iinclude -Isrc bench/tpl_bench.c \\
     $(find src/tpl src/json src/core -name '*.c') -lm -o tpl_bench)
The target is a ratio of at least 50.
"""
import argparse
import os
import re
import subprocess
import sys
import time

import jinja2

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PAGE = (
    "<!DOCTYPE html>\n"
    "<html>\n"
    "<head><title>Fortunes</title></head>\n"
    "<body>\n"
    "<table>\n"
    "<tr><th>id</th><th>message</th></tr>\n"
    "{% for f in fortunes %}"
    "<tr><td>{{ f.id }}</td><td>{{ f.message }}</td></tr>\n"
    "{% endfor %}"
    "</table>\n"
    "</body>\n"
    "</html>\n")

FORTUNES = [
    (11, '<script>alert("This should not be displayed in a browser alert '
         'box.");</script>'),
    (4, "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1"),
    (5, "A computer program does what you tell it to do, not what you want "
        "it to do."),
    (2, "A computer scientist is someone who fixes things that aren't "
        "broken."),
    (8, "A list is only as strong as its weakest link. \u2014 Donald Knuth"),
    (0, "Additional fortune added at request time."),
    (3, "After enough decimal places, nobody gives a damn."),
    (7, "Any program that runs right is obsolete."),
    (10, "Computers make very fast, very accurate mistakes."),
    (6, "Emacs is a nice operating system, but I prefer UNIX. \u2014 Tom "
        "Christaensen"),
    (9, "Feature: A bug with seniority."),
    (1, "fortune: No such file or directory"),
    (12, "\u30d5\u30ec\u30fc\u30e0\u30ef\u30fc\u30af\u306e\u30d9\u30f3\u30c1"
         "\u30de\u30fc\u30af"),
]


def ctx():
    return {"fortunes": [{"id": i, "message": m} for i, m in FORTUNES]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kiln", default=os.path.join(ROOT,
                                                   "build/bench/tpl_bench"))
    ap.add_argument("-n", type=int, default=20000, help="Jinja2 renders")
    args = ap.parse_args()

    env = jinja2.Environment(autoescape=True)  # its defaults, as Kiln
    tmpl = env.from_string(PAGE)
    expected = tmpl.render(ctx()).encode("utf-8")

    prebuilt = ctx()
    t0 = time.perf_counter()
    for _ in range(args.n):
        tmpl.render(prebuilt)
    jinja_render = (time.perf_counter() - t0) / args.n * 1e9
    t0 = time.perf_counter()
    for _ in range(args.n):
        tmpl.render(ctx())
    jinja_full = (time.perf_counter() - t0) / args.n * 1e9
    print("jinja2 %s: %d renders, %.0f ns/render (context + render), "
          "%.0f ns/render (render)"
          % (jinja2.__version__, args.n, jinja_full, jinja_render))

    if not os.access(args.kiln, os.X_OK):
        print("no Kiln benchmark at %s (pass --kiln)" % args.kiln)
        return 2
    page = subprocess.run([args.kiln, "--print"], stdout=subprocess.PIPE,
                          check=True).stdout
    if page != expected:
        print("outputs differ:\n  jinja2: %r\n  kiln:   %r" % (expected, page))
        return 1
    print("outputs identical (%d bytes)" % len(page))
    out = subprocess.run([args.kiln, str(max(args.n * 20, 200000))],
                         stdout=subprocess.PIPE, check=True,
                         universal_newlines=True).stdout
    sys.stdout.write(out)
    full = float(re.search(r"kiln full: \d+ renders, ([\d.]+) ns", out)
                 .group(1))
    render = float(re.search(r"kiln render: ([\d.]+) ns", out).group(1))
    ratio = jinja_render / render
    print("ratio (render, context prebuilt): Kiln is %.0fx faster than "
          "Jinja2 (target >= 50x)" % ratio)
    print("ratio (context built per render + render): %.0fx"
          % (jinja_full / full))
    return 0 if ratio >= 50 else 1


if __name__ == "__main__":
    sys.exit(main())
