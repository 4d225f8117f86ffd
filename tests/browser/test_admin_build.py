"""share/admin/static/admin.js is what tsc --strict makes of
share/admin/src/*.ts: the sources, tsconfig.json and the lock file are
copied to a temporary folder, `npm ci` installs the pinned TypeScript
there, `tsc -p tsconfig.json` builds, and the result must equal the
committed file byte for byte (apps never need Node for their admin)."""

import os
import shutil
import subprocess
import tempfile

from harness import TestFailure, t

HERE = os.path.dirname(os.path.abspath(__file__))
ADMIN = os.path.join(os.path.dirname(os.path.dirname(HERE)), "share", "admin")


def test_admin_js_matches_a_fresh_tsc_build():
    with tempfile.TemporaryDirectory(prefix="kiln-admin-tsc-") as d:
        for name in ("package.json", "package-lock.json", "tsconfig.json"):
            shutil.copy(os.path.join(ADMIN, name), d)
        shutil.copytree(os.path.join(ADMIN, "src"), os.path.join(d, "src"))
        os.mkdir(os.path.join(d, "static"))
        for cmd in (["npm", "ci", "--ignore-scripts", "--no-audit",
                     "--no-fund"],
                    [os.path.join(d, "node_modules", ".bin", "tsc"), "-p",
                     "tsconfig.json", "--pretty", "false"]):
            p = subprocess.run(cmd, cwd=d, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=t(240))
            if p.returncode != 0:
                raise TestFailure("%s failed:\n%s" % (" ".join(cmd[:2]),
                                  p.stdout.decode("utf-8", "replace")))
        with open(os.path.join(d, "static", "admin.js"), "rb") as f:
            fresh = f.read()
    with open(os.path.join(ADMIN, "static", "admin.js"), "rb") as f:
        committed = f.read()
    if fresh != committed:
        raise TestFailure(
            "share/admin/static/admin.js is not tsc's build of src/*.ts "
            "(%d bytes committed, %d built): run `npm ci && npx tsc` in "
            "share/admin and commit static/admin.js" % (len(committed),
                                                        len(fresh)))
test_admin_js_matches_a_fresh_tsc_build.timeout = 300
