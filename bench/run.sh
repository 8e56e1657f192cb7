#!/bin/sh
# bench/run.sh [BUILD] - the SPF benchmarks, with the exact commands.
#
# Called by `make bench` as: sh bench/run.sh build   (from the repository root)
#  1. build/spf_bench: in-process, one evaluator reused, in-memory zone,
#     one core (pinned with taskset when present).
#  2. The CLI reference run: 200,000 lines of the reference query through
#     `emauth spf check --batch ... --json`, output included, timed 5 times.
#  3. Optional: pyspf (Debian python3-spf) on the same reference case, its
#     DNS answered by a stub reading the same zone.
#  4. Live DNS: 10,000 domains through NSD on loopback (bench/live.sh).
# Generated files go to bench/out/ (ignored by git).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in
    /*) ;;
    *) [ -d "$BUILD" ] && BUILD=$(cd "$BUILD" && pwd) ;;
esac
cd "$ROOT"
# Show paths relative to the repository root when they are inside it.
case $BUILD in "$ROOT"/*) BUILD=${BUILD#"$ROOT"/} ;; esac

BENCH=$BUILD/spf_bench
EMAUTH=$BUILD/emauth
ZONE=bench/bench.zone
OUT=bench/out
BATCH=$OUT/batch-200k.tsv
LINES=200000
RUNS=5

for f in "$BENCH" "$EMAUTH"; do
    if [ ! -x "$f" ]; then
        echo "bench: $f: not built; run: make" >&2
        exit 2
    fi
done
mkdir -p "$OUT"

PIN=""
command -v taskset >/dev/null 2>&1 && PIN="taskset -c 0 "

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "machine: $(nproc) cores, ${cpu:-unknown CPU}, $(uname -sr)"
bt=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
echo "build:   $BUILD (${bt:-RelWithDebInfo, the CMakeLists.txt default})"

echo
echo "== 1. in-process: check_host() over the in-memory zone, one core"
echo "\$ ${PIN}$BENCH --zone $ZONE"
# shellcheck disable=SC2086
${PIN}"$BENCH" --zone "$ZONE"

echo
echo "== 2. CLI: $LINES reference queries in one batch, JSON output included"
echo "\$ $BENCH --batch-file $BATCH $LINES"
"$BENCH" --batch-file "$BATCH" "$LINES"
CMD="$EMAUTH spf check --zone $ZONE --batch $BATCH --json"

# One untimed run: every line must come back, every verdict a pass.
"$EMAUTH" spf check --zone "$ZONE" --batch "$BATCH" --json >"$OUT/batch-200k.jsonl"
got=$(wc -l <"$OUT/batch-200k.jsonl" | tr -d ' ')
pass=$(grep -c '"result": *"pass"' "$OUT/batch-200k.jsonl" || true)
if [ "$got" -ne "$LINES" ] || [ "$pass" -ne "$LINES" ]; then
    echo "bench: expected $LINES pass results, got $got lines, $pass pass" >&2
    exit 1
fi
echo "checked: $got result lines, all \"pass\"; first line:"
head -n 1 "$OUT/batch-200k.jsonl"

# timeit LABEL PREFIX: RUNS timed runs of the batch command, each line
# printed, then the median. PREFIX is "" or "taskset -c 0 ".
timeit() {
    label=$1
    prefix=$2
    echo "-- $label"
    times=""
    i=1
    while [ "$i" -le "$RUNS" ]; do
        if [ -x /usr/bin/time ]; then
            [ "$i" -eq 1 ] && echo "\$ ${prefix}/usr/bin/time -f '%e s elapsed, %U s user, %S s sys, %M KiB max RSS' $CMD > /dev/null"
            # /usr/bin/time gives user, sys and RSS to 10 ms; the wall
            # clock is also read around it to the millisecond.
            t0=$(date +%s%N)
            # shellcheck disable=SC2086
            $prefix /usr/bin/time -o "$OUT/time.txt" \
                -f '%e s elapsed, %U s user, %S s sys, %M KiB max RSS' \
                "$EMAUTH" spf check --zone "$ZONE" --batch "$BATCH" --json >/dev/null
            t1=$(date +%s%N)
            el=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
            line="$el s wall clock; $(cat "$OUT/time.txt")"
        else
            [ "$i" -eq 1 ] && echo "\$ ${prefix}$CMD > /dev/null   (timed with date +%s%N)"
            t0=$(date +%s%N)
            # shellcheck disable=SC2086
            $prefix "$EMAUTH" spf check --zone "$ZONE" --batch "$BATCH" --json >/dev/null
            t1=$(date +%s%N)
            el=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
            line="$el s elapsed"
        fi
        echo "  run $i: $line"
        times="$times $el"
        i=$((i + 1))
    done
    # shellcheck disable=SC2086
    printf '%s\n' $times | sort -n | awk -v n="$LINES" -v label="$label" '
        { t[NR] = $1 }
        END {
            m = t[int((NR + 1) / 2)]
            printf "CLI batch, %s: median %.3f s for %d queries = %.0f checks/s (I/O and JSON included)\n",
                   label, m, n, n / m
        }'
}

if command -v hyperfine >/dev/null 2>&1; then
    echo "\$ hyperfine --warmup 1 --runs 10 '$CMD > /dev/null' '${PIN}$CMD > /dev/null'"
    hyperfine --warmup 1 --runs 10 "$CMD > /dev/null" "${PIN}$CMD > /dev/null"
else
    # The CLI spreads a batch over a few threads: time it as a user runs it
    # (every core of this machine), then held to one core.
    timeit "all $(nproc) cores" ""
    [ -n "$PIN" ] && timeit "one core" "$PIN"
fi

echo
echo "== 3. pyspf on the same reference case (optional)"
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import spf' >/dev/null 2>&1; then
    echo "\$ ${PIN}/usr/bin/python3 bench/pyspf_bench.py $ZONE"
    # shellcheck disable=SC2086
    ${PIN}/usr/bin/python3 bench/pyspf_bench.py "$ZONE"
else
    echo "skipped: pyspf is not installed (Debian: apt-get install python3-spf)"
fi

echo
echo "== 4. live DNS: bulk checks against NSD on loopback (bench/live.sh)"
echo "\$ sh bench/live.sh $BUILD"
sh bench/live.sh "$BUILD"

echo
echo "== 5. DKIM: openssl speed, in-process verification, libopendkim, 100 MB memory"
echo "\$ sh bench/dkim.sh $BUILD"
sh bench/dkim.sh "$BUILD"
