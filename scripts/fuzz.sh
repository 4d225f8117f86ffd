#!/usr/bin/env bash
# scripts/fuzz.sh BUILD_DIR [TARGET...] - runs each libFuzzer target for
# $FUZZ_SECONDS (default 20) seconds on a corpus under BUILD_DIR/corpus/,
# $FUZZ_JOBS targets at a time (default 2; each target is one process on
# one core, for the same seconds however many run beside it).
# Prints "ok - fuzz/NAME" or "not ok - fuzz/NAME" per target, in the
# targets' order, when all have run.
set -u
dir=${1:?usage: fuzz.sh BUILD_DIR [TARGET...]}
shift
secs=${FUZZ_SECONDS:-20}
jobs=${FUZZ_JOBS:-2}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=($(ls "$dir"/fuzz/ | grep '^fuzz_' | grep -v '\.p$'))
fi

# one_target NAME: runs it; writes its lines to BUILD_DIR/fuzz-NAME.result
# and exits 1 if it failed
one_target() {
    local t=$1 corpus="$dir/corpus/$1" seeds="" log="$dir/fuzz-$1.log"
    local out="$dir/fuzz-$1.result"
    mkdir -p "$corpus"
    [ -d "fuzz/seeds/$t" ] && seeds="fuzz/seeds/$t"
    # the JSON target also starts from the JSONTestSuite files
    if [ "$t" = fuzz_json ] && [ -d ../shared/conformance/json-test-suite ]; then
        seeds="$seeds ../shared/conformance/json-test-suite"
    fi
    if [ "$t" = fuzz_tpl ]; then
        seeds="$seeds tests/tpl/corpus"
    fi
    if [ "$t" = fuzz_toml ] && [ -d ../shared/conformance/toml-test/valid ]; then
        seeds="$seeds $(find ../shared/conformance/toml-test/valid -type d | tr '\n' ' ')"
    fi
    # shellcheck disable=SC2086
    if ASAN_OPTIONS=detect_leaks=1 "$dir/fuzz/$t" -max_total_time="$secs" \
        -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$dir/crash-$t-" "$corpus" $seeds >"$log" 2>&1; then
        echo "ok - fuzz/$t ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$') runs)" >"$out"
    else
        { echo "not ok - fuzz/$t (see $log)"; tail -n 30 "$log" | sed 's/^/  /'; } >"$out"
        return 1
    fi
}

fail=0
running=0
for t in "${targets[@]}"; do
    rm -f "$dir/fuzz-$t.result"
    if [ "$running" -ge "$jobs" ]; then
        wait -n || fail=1
        running=$((running - 1))
    fi
    one_target "$t" &
    running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
    wait -n || fail=1
    running=$((running - 1))
done
for t in "${targets[@]}"; do
    if [ -f "$dir/fuzz-$t.result" ]; then
        cat "$dir/fuzz-$t.result"
    else
        echo "not ok - fuzz/$t (no result: see $dir/fuzz-$t.log)"
        fail=1
    fi
done
exit $fail
