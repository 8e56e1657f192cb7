#!/bin/sh
# Runs the libFuzzer targets of tests/fuzz (issue 7) for FUZZ_TIME seconds
# each, FUZZ_JOBS at a time, and prints one line per target.
#
#   FUZZ_TIME=60 FUZZ_TARGETS="spf_record canon" FUZZ_JOBS=2 sh scripts/fuzz.sh
#
# Builds build-fuzz/ (clang, -DEMAUTH_FUZZ=ON). Each target fuzzes a
# working corpus build-fuzz/corpus/<name>/ seeded from tests/fuzz/corpus/<name>/
# (the repository corpus is only read), with tests/fuzz/dict/<name>.dict.
# Findings go to build-fuzz/artifacts/<name>/, logs to build-fuzz/logs/.
# Exits 1 when any target found a crash, a timeout, a leak or an OOM.
set -eu

FUZZ_TIME=${FUZZ_TIME:-60}
FUZZ_JOBS=${FUZZ_JOBS:-2}
FUZZ_TARGETS=${FUZZ_TARGETS:-all}
BUILD=${FUZZ_BUILD:-build-fuzz}
JOBS=${JOBS:-2}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

if [ "${1:-}" != --one ]; then
    # clang and the libFuzzer runtime (deps.sh installs what is missing as root).
    sh scripts/deps.sh clang libclang-rt-dev
    cmake -S . -B "$BUILD" -DCMAKE_C_COMPILER=clang -DEMAUTH_FUZZ=ON -DEMAUTH_TESTS=OFF >/dev/null
    make --no-print-directory -C "$BUILD" -j"$JOBS" >/dev/null
fi

if [ "$FUZZ_TARGETS" = all ]; then
    FUZZ_TARGETS=$(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')
fi

# Longest input per target: whole messages and bodies get room, records less.
max_len() {
    case $1 in
    message|canon|dkim_verify) echo 65536 ;;
    zone_parse|dns_wire|authres|from|spf_header) echo 16384 ;;
    *) echo 4096 ;;
    esac
}

run_one() {
    name=$1
    bin=$BUILD/tests/fuzz/fuzz_$name
    work=$BUILD/corpus/$name
    art=$BUILD/artifacts/$name
    [ -x "$bin" ] || { echo "fuzz: no target $name" >&2; return 1; }
    mkdir -p "$work" "$art" "$BUILD/logs"
    # Artifacts of an earlier run would be counted as this run's.
    rm -f "$art"/*
    # Seeds are copied in; libFuzzer adds to the working copy only.
    cp tests/fuzz/corpus/"$name"/* "$work"/
    dict=
    [ -f tests/fuzz/dict/"$name".dict ] && dict=-dict=tests/fuzz/dict/$name.dict
    start=$(date +%s)
    # shellcheck disable=SC2086
    "$bin" "$work" $dict -max_total_time="$FUZZ_TIME" -timeout=10 -rss_limit_mb=2048 \
        -max_len="$(max_len "$name")" -artifact_prefix="$art"/ -print_final_stats=1 \
        >"$BUILD/logs/$name.log" 2>&1 || true
    echo $(($(date +%s) - start)) >"$BUILD/logs/$name.seconds"
}

# FUZZ_JOBS targets at a time: xargs runs this script once per target.
if [ "${1:-}" = --one ]; then
    run_one "$2"
    exit 0
fi
mkdir -p "$BUILD/logs" "$BUILD/artifacts"
echo "fuzz: $(echo $FUZZ_TARGETS | wc -w) targets, ${FUZZ_TIME}s each, $FUZZ_JOBS at a time" >&2
for name in $FUZZ_TARGETS; do echo "$name"; done |
    FUZZ_TIME=$FUZZ_TIME FUZZ_BUILD=$BUILD xargs -n 1 -P "$FUZZ_JOBS" sh "$ROOT/scripts/fuzz.sh" --one

# The summary, from libFuzzer's final lines and stats.
found=0
clean=0
printf '%-16s %6s %12s %9s %6s %7s %7s %6s\n' target seconds execs execs/s cov ft corpus found
for name in $FUZZ_TARGETS; do
    log=$BUILD/logs/$name.log
    secs=$(cat "$BUILD/logs/$name.seconds" 2>/dev/null || echo 0)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    corp=$(ls "$BUILD/corpus/$name" 2>/dev/null | wc -l)
    arts=$(ls "$BUILD/artifacts/$name" 2>/dev/null | wc -l)
    printf '%-16s %6s %12s %9s %6s %7s %7s %6s\n' "$name" "$secs" "${execs:-?}" "${rate:-?}" \
        "${cov:-?}" "${ft:-?}" "$corp" "$arts"
    if [ "$arts" -gt 0 ] || grep -q '^==[0-9]*==ERROR\|^SUMMARY: \|deadly signal' "$log"; then
        found=$((found + 1))
    else
        clean=$((clean + 1))
    fi
done
# A target passes when its run found nothing.
echo "fuzz: $clean passed, $found failed"

if [ "$found" -ne 0 ]; then
    echo
    echo "fuzz: findings (logs in $BUILD/logs/):"
    for name in $FUZZ_TARGETS; do
        for a in "$BUILD/artifacts/$name"/*; do
            [ -f "$a" ] || continue
            echo "  $a"
            echo "    reproduce: $BUILD/tests/fuzz/fuzz_$name $a"
            echo "    (or, without clang: build-fz/tests/fuzz/fuzz_${name}_replay $a)"
        done
    done
    exit 1
fi
