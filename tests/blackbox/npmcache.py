"""Front-end packages for the tests, installed once per lock file.

A test project with a front end (`kiln new --template react`, the board's
frontend/) needs its node_modules. Installing them for every project
would cost each test a minute, so `node_modules_for(folder)` runs
`npm ci --prefer-offline` once per distinct package-lock.json, in
BIN_DIR/frontend-modules/<sha256 of the lock>/ (a build folder: not in
the source tree), and links the folder's node_modules to it. Later
projects with the same lock file (every project of one template) reuse
it, in this run and later ones.
"""

import fcntl
import hashlib
import os
import shutil
import subprocess

import harness
from harness import TestFailure, t


def _digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


def install(folder):
    """`npm ci` of folder's package.json and package-lock.json, into the
    shared place (once per lock file). Returns that place's node_modules;
    raises TestFailure with npm's output when npm ci fails."""
    lock = os.path.join(folder, "package-lock.json")
    if not os.path.isfile(lock):
        raise TestFailure("%s: no package-lock.json" % folder)
    base = os.path.join(harness.BIN_DIR, "frontend-modules")
    place = os.path.join(base, _digest(lock))
    os.makedirs(place, exist_ok=True)
    done = os.path.join(place, ".installed")
    with open(os.path.join(place, ".lock"), "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # one npm ci at a time per lock
        if not os.path.exists(done):
            for name in ("package.json", "package-lock.json"):
                shutil.copyfile(os.path.join(folder, name),
                                os.path.join(place, name))
            p = subprocess.run(
                ["npm", "ci", "--prefer-offline", "--no-audit", "--no-fund",
                 "--loglevel=error"], cwd=place, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, timeout=t(600))
            if p.returncode != 0:
                raise TestFailure("npm ci in %s failed:\n%s" % (
                    place, p.stdout.decode("utf-8", "replace")[-3000:]))
            with open(done, "w") as f:
                f.write("ok\n")
    return os.path.join(place, "node_modules")


def node_modules_for(folder):
    """Links folder/node_modules to the installed packages of its lock
    file (installing them first when needed)."""
    target = install(folder)
    link = os.path.join(folder, "node_modules")
    if os.path.islink(link) or os.path.exists(link):
        return link
    os.symlink(target, link)
    return link
