#!/usr/bin/env bash
# scripts/deps.sh GROUP... - installs the Debian packages Kiln needs that are
# missing (apt-get; sudo when not root). Groups:
#   build  compiler and build system
#   test   + what `make check` uses (python3, clang + libFuzzer, sanitizers,
#          PostgreSQL and Redis: the tests start their own servers; chromium and, when
#          no `node` is on PATH, nodejs + npm for tests/browser, whose npm
#          packages `npm ci` installs from the committed lock file: also
#          tests/openapi's @redocly/cli and share/openapi-docs' Swagger UI;
#          python3-jsonschema for test_openapi)
#   demo   + sqlite3 and node/npm for examples/board (htmx, and its React
#          front end: Vite 8 needs Node 20.19 or later, which Debian 13's
#          nodejs is; on an older Debian install Node 20 from elsewhere)
#   bench  + nginx, wrk, PostgreSQL (pgbench), Django + gunicorn, Django REST
#          framework (+ simplejwt, python3-cryptography for
#          bench/auth_bench.py), FastAPI + uvicorn + asyncpg, pydantic,
#          simdjson + g++, Node.js + npm (the ws package, from bench/ws's
#          lock file), Django Channels + daphne, Celery + redis-server for
#          bench/
# Safe to run again: it only installs what dpkg does not already have.
set -euo pipefail

pkgs_build="gcc libc6-dev make meson ninja-build pkg-config libsqlite3-dev libpq-dev libhiredis-dev zlib1g-dev libssl-dev libcurl4-openssl-dev libsodium-dev"
pkgs_test="python3 python3-jinja2 python3-jsonschema python3-websockets clang libfuzzer-14-dev libclang-rt-14-dev postgresql sqlite3 chromium redis-server"
# node >= 18 may come from elsewhere (nodesource); Debian's only when none
command -v node >/dev/null || pkgs_test="$pkgs_test nodejs npm"
# the demo: sqlite3 loads examples/board's seed data, npm its htmx and its
# React front end (examples/board/frontend)
pkgs_demo="sqlite3"
command -v node >/dev/null || pkgs_demo="$pkgs_demo nodejs npm"
pkgs_bench="nginx-light wrk python3 postgresql postgresql-contrib python3-django gunicorn python3-psycopg2 python3-djangorestframework python3-djangorestframework-simplejwt python3-cryptography python3-fastapi python3-uvicorn python3-asyncpg python3-pydantic libsimdjson-dev g++ python3-django-channels daphne celery python3-redis redis-server"
command -v node >/dev/null || pkgs_bench="$pkgs_bench nodejs npm"

want=""
for g in "${@:-build}"; do
    case "$g" in
    build) want="$want $pkgs_build" ;;
    test) want="$want $pkgs_build $pkgs_test" ;;
    demo) want="$want $pkgs_build $pkgs_demo" ;;
    bench) want="$want $pkgs_build $pkgs_bench" ;;
    *) echo "deps.sh: unknown group '$g' (build, test, demo, bench)" >&2; exit 2 ;;
    esac
done

missing=""
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        case " $missing " in *" $p "*) ;; *) missing="$missing $p" ;; esac
    fi
done
[ -z "$missing" ] && exit 0

echo "deps.sh: installing:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "deps.sh: need root or sudo to install:$missing" >&2; exit 1; }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
