#!/bin/sh
# tests/install_test.sh - `make install` end to end: installs Kiln under a
# temporary prefix, then uses only what was installed (bin/kiln, the
# headers, libkiln.a, kiln.pc through pkg-config) to create, build and run
# an app. Prints "ok - NAME" / "not ok - NAME" lines (tests/run.py counts
# them). Usage: tests/install_test.sh [SOURCE_DIR]
set -u
src=$(cd "${1:-$(dirname "$0")/..}" && pwd)
tmp=$(mktemp -d /tmp/kiln-install-XXXXXX)
trap 'kill $app 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
app=
prefix=$tmp/prefix
ok() { echo "ok - install/$1"; }
fail() { echo "not ok - install/$1: $2"; exit 1; }

make -C "$src" install PREFIX="$prefix" BUILD="$tmp/build" \
    MESON_FLAGS="-Dbuildtype=debug -Dtests=false" >"$tmp/make.log" 2>&1 ||
    fail make-install "$(tail -20 "$tmp/make.log")"
ok make-install

for f in bin/kiln include/kiln.h include/kiln/app.h include/kiln/config.h; do
    [ -e "$prefix/$f" ] || fail files "missing $f"
done
pc=$(find "$prefix" -name kiln.pc | head -1)
lib=$(find "$prefix" -name libkiln.a | head -1)
[ -n "$pc" ] && [ -n "$lib" ] || fail files "no kiln.pc or libkiln.a"
for f in htmx/pages/index.html react/frontend/package-lock.json \
    react/frontend/src/NoteForm.tsx; do
    [ -e "$prefix/share/kiln/scaffold/$f" ] || fail files "missing scaffold $f"
done
[ ! -e "$prefix/share/kiln/scaffold/react/frontend/node_modules" ] ||
    fail files "node_modules installed with the react template"
ok files

# the installed kiln, its headers and library only: a bare PATH, no checkout
export PKG_CONFIG_PATH=$(dirname "$pc")
export PATH=$prefix/bin:/usr/bin:/bin
[ "$(pkg-config --variable=includedir kiln)" = "$prefix/include" ] ||
    fail pkg-config "includedir is $(pkg-config --variable=includedir kiln)"
ok pkg-config

# the templates come from the install (share/kiln/scaffold), not the checkout
cd "$tmp" && kiln new spa --template react >"$tmp/new.log" 2>&1 ||
    fail new-template "$(cat "$tmp/new.log")"
[ -f spa/frontend/src/api/notes.ts ] && grep -q 'name = "spa"' spa/kiln.toml ||
    fail new-template "spa/ is not the react template: $(cat "$tmp/new.log")"
ok new-template

cd "$tmp" && kiln new shop >/dev/null || fail new "kiln new failed"
cd shop && kiln build >"$tmp/build.log" 2>&1 ||
    fail build "$(cat "$tmp/build.log")"
[ -x dist/shop ] || fail build "no dist/shop"
ok build

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
KILN_APP_SECRET_KEY=0123456789abcdefghijklmnopqrstuvwxyzABCD \
    ./dist/shop --port "$port" --workers 1 2>"$tmp/app.log" &
app=$!
i=0
while [ $i -lt 100 ]; do
    body=$(python3 - "$port" <<'PY' 2>/dev/null
import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/api/hello?name=pc" % sys.argv[1], timeout=2).read().decode())
PY
) && break
    i=$((i + 1))
    sleep 0.1
done
[ "$body" = '{"message":"Hello, pc!"}' ] ||
    fail run "got '$body': $(cat "$tmp/app.log")"
ok run
