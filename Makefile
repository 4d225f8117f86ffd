# Kiln - top-level Makefile: a thin wrapper around Meson + Ninja.
#
#   make            build everything into build/
#   make demo       install what is missing, build, run examples/board (the task
#                   board: migrated and seeded on first run) on 127.0.0.1:8000,
#                   its React front end built and served at /app/
#   make check      install what is missing, build, run every test (also under
#                   ASan+UBSan, plus each libFuzzer target for FUZZ_SECONDS),
#                   then print how long each step took
#   make bench      run bench/ (hello and static files against nginx in the same
#                   run; kiln dev rebuild latency)
#   make fuzz       run the fuzz targets for FUZZ_SECONDS (default 300)
#   make install    install kiln, libkiln, headers, kiln.pc under PREFIX
#                   (default /usr/local; e.g. make install PREFIX=~/.local)
#   make format     clang-format every C file

PREFIX       ?= /usr/local
FUZZ_SECONDS ?= 10
PORT         ?= 8000
MESON_FLAGS  ?=
BUILD        ?= build

.PHONY: all deps deps-test build demo check bench fuzz install format clean

all: build

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

# htmx for the admin, from npm (share/admin's lock file): meson compiles
# it in when it is there (src/admin/meson.build); without npm the admin is
# built without it and its pages load whole.
ADMIN_HTMX = share/admin/node_modules/htmx.org/dist/htmx.min.js

# (after an install, build folders set up without it read the admin's
# meson.build again: it is touched)
$(ADMIN_HTMX):
	@if command -v npm >/dev/null; then \
	    npm ci --prefix share/admin --ignore-scripts --no-audit --no-fund --loglevel=error && \
	    touch src/admin/meson.build; \
	else \
	    echo "make: no npm: the admin is built without htmx"; \
	fi

build/build.ninja: | $(ADMIN_HTMX)
	meson setup build --prefix=$(PREFIX) $(MESON_FLAGS)

build: deps build/build.ninja
	ninja -C build

build-asan/build.ninja: | $(ADMIN_HTMX)
	meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

build-fuzz/build.ninja: | $(ADMIN_HTMX)
	CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized -Ddefault_library=static

BOARD = examples/board

# The board under kiln dev: htmx from npm into static/, the React front
# end's packages installed and built (served at /app/), the database
# migrated (and seeded once, when it is new), then served and rebuilt on
# every change (kiln dev also runs Vite for the React side, on :5173).
demo:
	@scripts/deps.sh demo
	@$(MAKE) --no-print-directory build
	cd $(BOARD) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	cd $(BOARD)/frontend && npm ci --no-audit --no-fund --loglevel=error
	npm ci --prefix share/openapi-docs --ignore-scripts --no-audit --no-fund --loglevel=error
	cp $(BOARD)/node_modules/htmx.org/dist/htmx.min.js \
	    $(BOARD)/node_modules/htmx-ext-sse/dist/sse.min.js $(BOARD)/static/
	cd $(BOARD) && ../../build/kiln types && cd frontend && npm run build
	@if [ ! -f $(BOARD)/app.db ]; then \
	    (cd $(BOARD) && ../../build/kiln migrate && sqlite3 app.db < seed.sql) && \
	    echo "demo: seeded $(BOARD)/app.db"; \
	else \
	    cd $(BOARD) && ../../build/kiln migrate; \
	fi
	@echo "demo: log in as ana (admin), ben (editor) or chen (viewer)," \
	    "password kiln-board-demo; the React front end is at /app/"
	cd $(BOARD) && ../../build/kiln dev --host 127.0.0.1 --port $(PORT)

# tests/run.py --build sets up and builds build, build-asan and build-fuzz
# (with the rules above), runs npm ci meanwhile, then every suite, and
# prints how long each step took; the packages come first (timed here).
check:
	@t0=$$(date +%s%N) && scripts/deps.sh test && \
	KILN_CHECK_DEPS_MS=$$(( ($$(date +%s%N) - t0) / 1000000 )) \
	FUZZ_SECONDS=$(FUZZ_SECONDS) python3 tests/run.py --build

bench: build
	@scripts/deps.sh bench
	bench/bench.sh
	bench/static_bench.sh
	python3 bench/dev_bench.py --kiln $(BUILD)/kiln

fuzz: deps-test build-fuzz/build.ninja
	ninja -C build-fuzz
	FUZZ_SECONDS=$(or $(filter-out 10,$(FUZZ_SECONDS)),300) scripts/fuzz.sh build-fuzz

# Configures (or re-configures) $(BUILD) for PREFIX, so the installed kiln
# looks for its headers and libkiln under PREFIX.
install: deps | $(ADMIN_HTMX)
	@if [ -f $(BUILD)/build.ninja ]; then \
	    meson configure $(BUILD) -Dprefix=$(abspath $(PREFIX)); \
	else \
	    meson setup $(BUILD) --prefix=$(abspath $(PREFIX)) $(MESON_FLAGS); \
	fi
	ninja -C $(BUILD)
	meson install -C $(BUILD) --destdir "$(DESTDIR)"
	@echo "installed under $(PREFIX): make sure $(PREFIX)/bin is on your PATH"

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-fuzz
