#!/usr/bin/env python3
"""Differential test: Kiln templates against Jinja2, byte for byte.

Every tests/tpl/corpus/NAME.html that has a NAME.json next to it is rendered
twice with that JSON object as the context:

  * by Jinja2 (Debian: apt-get install python3-jinja2), with
        Environment(loader=FileSystemLoader(corpus), autoescape=True)
    (Jinja2's other defaults: keep_trailing_newline=False, Undefined)
    the same corpus folder serving {% extends %}, {% include %} and
    {% import %} (helper templates are the .html files without a .json);
  * by tests/tpl/tpl_render (the C driver), with the corpus as its search
    path: tpl_render -I corpus NAME.html NAME.json

and the two outputs are compared byte for byte. The script prints
"ok - NAME" or "not ok - NAME" per template and "N passed, N failed".

Name prefixes choose settings for both engines (several may be combined,
err_ first: err_strict_..., keepnl_trim_...):
  err_      both engines must fail to render (output is not compared)
  strict_   StrictUndefined / --strict
  ws_       trim_blocks=True, lstrip_blocks=True / --trim-blocks
            --lstrip-blocks
  trim_     trim_blocks=True / --trim-blocks
  lstrip_   lstrip_blocks=True / --lstrip-blocks
  keepnl_   keep_trailing_newline=True / --keep-trailing-newline
A helper template's own settings are those of the template that uses it.

Settings chosen so the engines can agree, and intended differences (keep
templates that exercise these out of the corpus):
  * Lenient mode is Kiln's default; its undefined is "chainable" (x.y of an
    undefined x is undefined), where Jinja2's Undefined raises. The corpus
    only uses undefined values that Jinja2's default Undefined also accepts
    (print, test, default, iterate, length).
  * Integers are 64-bit: where Python would grow a big int, Kiln raises.
  * The date filter is Kiln's own; Jinja2 has none.
  * Case mapping (upper, lower, title, capitalize) covers ASCII, Latin-1,
    Latin Extended-A, Greek and Cyrillic; other scripts are left alone.
  * |striptags decodes only the common HTML entities (&amp; &lt; &gt;
    &quot; &apos; &nbsp; numeric ones, a few more).
  * Jinja2 turns \\v, \\f, \\x1c-\\x1e, U+0085, U+2028 and U+2029 in template
    text into newlines (str.splitlines); Kiln normalises only \\r\\n and \\r.
  * Printing a list of safe strings shows Markup('...') in both, but other
    Python object reprs (generators from |reverse, dict_items...) differ:
    Kiln's filters return lists, so pipe them through |list or |join.
  * |replace follows MarkupSafe 3 (Markup.replace escapes only the new
    text); MarkupSafe 2 also escaped the old text.
  * sum() of floats adds left to right (Python < 3.12); Python 3.12's sum
    is compensated.
  * Jinja2's compile-time constant folding drops Markup from an expression
    made only of literals: {{ "<" ~ ">"|safe }} prints &lt;&gt; there but
    &lt;> when either side is a variable. Kiln always gives the run-time
    answer (&lt;>), so the corpus concatenates safe strings with variables.
  * Not implemented: the format filter, Python's % string formatting,
    varargs/kwargs inside macros; Jinja2 extensions (i18n, do, loopcontrols).

Usage: diff_jinja.py [--driver PATH] [--corpus DIR] [-v] [NAME...]
The driver defaults to $KILN_TPL_RENDER, else build/tests/tpl/tpl_render.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

try:
    import jinja2
except ImportError:  # pragma: no cover
    print("diff_jinja.py: Jinja2 is missing (apt-get install python3-jinja2)",
          file=sys.stderr)
    sys.exit(77)


PREFIXES = ("err_", "strict_", "ws_", "trim_", "lstrip_", "keepnl_")


def settings(name):
    """The set of settings prefixes a name starts with."""
    found = set()
    while True:
        p = next((p for p in PREFIXES if name.startswith(p)), None)
        if not p:
            return found
        found.add(p)
        name = name[len(p):]


def jinja_env(corpus, name):
    s = settings(name)
    opts = dict(loader=jinja2.FileSystemLoader(corpus), autoescape=True)
    if "strict_" in s:
        opts["undefined"] = jinja2.StrictUndefined
    if "ws_" in s or "trim_" in s:
        opts["trim_blocks"] = True
    if "ws_" in s or "lstrip_" in s:
        opts["lstrip_blocks"] = True
    if "keepnl_" in s:
        opts["keep_trailing_newline"] = True
    return jinja2.Environment(**opts)


def render_jinja(corpus, name, ctx):
    try:
        out = jinja_env(corpus, name).get_template(name).render(ctx)
        return True, out.encode("utf-8")
    except Exception as e:  # any error: the template does not render
        return False, ("%s: %s" % (type(e).__name__, e)).encode()


def render_kiln(driver, corpus, name, ctx_path):
    s = settings(name)
    cmd = [driver, "-I", corpus, "--all"]
    if "strict_" in s:
        cmd.append("--strict")
    if "ws_" in s or "trim_" in s:
        cmd.append("--trim-blocks")
    if "ws_" in s or "lstrip_" in s:
        cmd.append("--lstrip-blocks")
    if "keepnl_" in s:
        cmd.append("--keep-trailing-newline")
    cmd += [name, ctx_path]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    if p.returncode == 0:
        return True, p.stdout
    return False, p.stderr.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--driver", default=os.environ.get(
        "KILN_TPL_RENDER", os.path.join(ROOT, "build/tests/tpl/tpl_render")))
    ap.add_argument("--corpus", default=os.path.join(HERE, "corpus"))
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="show both outputs of failures")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    if not os.access(args.driver, os.X_OK):
        print("diff_jinja.py: no driver at %s (build tpl_render, or pass "
              "--driver)" % args.driver, file=sys.stderr)
        return 2
    names = sorted(f for f in os.listdir(args.corpus)
                   if f.endswith(".html") and os.path.exists(
                       os.path.join(args.corpus, f[:-5] + ".json")))
    if args.names:
        names = [n for n in names if n in args.names or n[:-5] in args.names]
    passed = failed = 0
    for name in names:
        ctx_path = os.path.join(args.corpus, name[:-5] + ".json")
        with open(ctx_path, encoding="utf-8") as f:
            ctx = json.load(f)
        jok, jout = render_jinja(args.corpus, name, ctx)
        kok, kout = render_kiln(args.driver, args.corpus, name, ctx_path)
        if name.startswith("err_"):
            good = not jok and not kok
        else:
            good = jok and kok and jout == kout
        if good:
            passed += 1
            print("ok - %s" % name)
            continue
        failed += 1
        print("not ok - %s" % name)
        if args.verbose or not (jok and kok):
            print("  jinja2 (%s): %r" % ("ok" if jok else "error", jout))
            print("  kiln   (%s): %r" % ("ok" if kok else "error", kout))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
