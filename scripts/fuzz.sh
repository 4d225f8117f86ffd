#!/usr/bin/env bash
# scripts/fuzz.sh BUILD_DIR [TARGET...] - runs each libFuzzer target for
# $FUZZ_SECONDS (default 20) seconds on a corpus under BUILD_DIR/corpus/.
# Prints "ok - fuzz/NAME" or "not ok - fuzz/NAME" per target.
set -u
dir=${1:?usage: fuzz.sh BUILD_DIR [TARGET...]}
shift
secs=${FUZZ_SECONDS:-20}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=($(ls "$dir"/fuzz/ | grep '^fuzz_' | grep -v '\.p$'))
fi
fail=0
for t in "${targets[@]}"; do
    corpus="$dir/corpus/$t"
    mkdir -p "$corpus"
    seeds=""
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
    log="$dir/fuzz-$t.log"
    if ASAN_OPTIONS=detect_leaks=1 "$dir/fuzz/$t" -max_total_time="$secs" \
        -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$dir/crash-$t-" "$corpus" $seeds >"$log" 2>&1; then
        echo "ok - fuzz/$t ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$') runs)"
    else
        echo "not ok - fuzz/$t (see $log)"
        tail -n 30 "$log" | sed 's/^/  /'
        fail=1
    fi
done
exit $fail
