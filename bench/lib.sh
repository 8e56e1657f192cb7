# bench/lib.sh - shared by bench/run.sh, bench/live.sh and bench/dkim.sh
# shellcheck shell=sh disable=SC2034
# (sourced, from the repository root, after BUILD is set).
#
# Every measured command goes through `measure`, which prints it exactly as
# it runs, shows its output, reads its last "RESULT rate=... runs=... n=..."
# line and its peak RSS (GNU time, %M), and appends one row to
# $OUT/results.tsv, the input of bench/report.sh:
#   SECTION IMPL CASE RATE RUNS RSS_KIB STATUS NOTE
# STATUS is ok, unsupported (the driver exited 3: the peer cannot do this
# case), failed (any other exit: a verdict was wrong, or an error), or n/a
# (not run, NOTE says why). The commands go to $OUT/commands.tsv.
#
# Sizes, from the environment:
#   BENCH_QUICK=1     one short run of everything (development; the results
#                     then go to bench/out/results.md, not bench/results.md)
#   BENCH_SECONDS     seconds per timed run of an in-process bench (1; quick 0.2)
#   BENCH_RUNS        timed runs per measurement, the median reported (5; quick 1)

OUT=bench/out
TSV=$OUT/results.tsv
CMDS=$OUT/commands.tsv
mkdir -p "$OUT"

if [ "${BENCH_QUICK:-0}" = 1 ]; then
    SECS=${BENCH_SECONDS:-0.2}
    RUNS=${BENCH_RUNS:-1}
else
    SECS=${BENCH_SECONDS:-1}
    RUNS=${BENCH_RUNS:-5}
fi

# One core for the in-process benchmarks, when taskset is there.
PIN=""
command -v taskset >/dev/null 2>&1 && PIN="taskset -c 0"

# Peak RSS with GNU time when installed (package "time").
TIMER=""
[ -x /usr/bin/time ] && TIMER="/usr/bin/time -f %M -o $OUT/rss.txt"

PY=/usr/bin/python3

# record SECTION IMPL CASE RATE RUNS RSS STATUS NOTE: one row of results.tsv.
record() {
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" >>"$TSV"
}

# measure SECTION IMPL CASE CMD...: runs CMD (under GNU time), shows and
# logs its output, records its RESULT line. Never fails the caller: a
# failure is recorded (and marked in $OUT/failed) and the bench goes on.
measure() {
    _sec=$1
    _impl=$2
    _case=$3
    shift 3
    _log=$OUT/log-$_sec-$_impl-$_case.txt
    echo "\$ $TIMER${TIMER:+ }$*"
    printf '%s\t%s\t%s\t%s\n' "$_sec" "$_impl" "$_case" "$TIMER${TIMER:+ }$*" >>"$CMDS"
    echo 0 >"$OUT/rss.txt"
    # shellcheck disable=SC2086
    rm -f "$OUT/rc.txt"
    # (a && b || c: exempt from set -e, so the exit status is kept)
    { $TIMER "$@" 2>&1 && echo 0 >"$OUT/rc.txt" || echo "$?" >"$OUT/rc.txt"; } |
        tee "$_log" | sed 's/^/    /'
    _rc=$(cat "$OUT/rc.txt" 2>/dev/null || echo 99)
    _rss=$(tail -n 1 "$OUT/rss.txt" 2>/dev/null | tr -cd '0-9')
    [ -n "$_rss" ] || _rss=0
    _res=$(grep '^RESULT ' "$_log" | tail -n 1 || true)
    if [ "$_rc" -eq 0 ] && [ -n "$_res" ]; then
        _rate=$(printf '%s\n' "$_res" | sed -n 's/.* rate=\([^ ]*\).*/\1/p')
        _runs=$(printf '%s\n' "$_res" | sed -n 's/.* runs=\([^ ]*\).*/\1/p')
        _q=$(printf '%s\n' "$_res" | sed -n 's/.* questions=\([^ ]*\).*/\1/p')
        record "$_sec" "$_impl" "$_case" "$_rate" "$_runs" "$_rss" ok "${_q:+questions=$_q}"
    elif [ "$_rc" -eq 3 ]; then
        _why=$(grep -v '^RESULT ' "$_log" | head -n 1 | tr '\t' ' ')
        record "$_sec" "$_impl" "$_case" - - - unsupported "$_why"
        echo "    -> $_impl cannot do this case (recorded as unsupported)"
    else
        _why=$(grep -v '^ *run [0-9]' "$_log" | tail -n 1 | tr '\t' ' ')
        record "$_sec" "$_impl" "$_case" - - - failed "exit $_rc: $_why"
        echo "    -> FAILED (exit $_rc); recorded, going on" >&2
        echo "$_sec $_impl $_case" >>"$OUT/failed"
    fi
}

# have_py MODULE / have_pm MODULE: is the peer installed?
have_py() { [ -x "$PY" ] && "$PY" -c "import $1" >/dev/null 2>&1; }
have_pm() { perl -M"$1" -e 1 >/dev/null 2>&1; }
