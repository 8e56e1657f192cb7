#!/bin/sh
# bench/cli_runs.sh LINES RUNS OUTFILE CMD... - times RUNS runs of an
# `emauth spf check --batch ... --json` command over LINES batch lines.
#
# Each run: CMD > OUTFILE, stderr kept; its wall clock read with date +%s%N
# around it. After every run, OUTFILE must hold LINES results, all "pass"
# (else exit 1). The --stats lines of the last run are shown. Prints each
# run, then, for bench/run.sh (lib.sh's measure):
#   RESULT rate=CHECKS_PER_S runs=R1,R2,... n=LINES
set -eu
[ "$#" -ge 4 ] || { echo "usage: cli_runs.sh LINES RUNS OUTFILE CMD..." >&2; exit 2; }
LINES=$1
RUNS=$2
OUTFILE=$3
shift 3

rates=""
i=1
while [ "$i" -le "$RUNS" ]; do
    t0=$(date +%s%N)
    "$@" >"$OUTFILE" 2>"$OUTFILE.err"
    t1=$(date +%s%N)
    got=$(wc -l <"$OUTFILE" | tr -d ' ')
    pass=$(grep -c '"result": *"pass"' "$OUTFILE" || true)
    if [ "$got" -ne "$LINES" ] || [ "$pass" -ne "$LINES" ]; then
        echo "cli_runs: run $i: expected $LINES pass results, got $got lines, $pass pass" >&2
        head -n 3 "$OUTFILE.err" >&2
        exit 1
    fi
    r=$(awk -v a="$t0" -v b="$t1" -v n="$LINES" 'BEGIN { printf "%.1f", n / ((b - a) / 1e9) }')
    awk -v a="$t0" -v b="$t1" -v n="$LINES" -v i="$i" -v r="$r" 'BEGIN {
        printf "run %d: %d checks, all pass, in %.3f s = %.0f checks/s\n", i, n, (b - a) / 1e9, r }'
    rates="$rates $r"
    i=$((i + 1))
done
sed -n 's/^emauth: dns: /dns: /p' "$OUTFILE.err"
# shellcheck disable=SC2086
printf '%s\n' $rates | awk -v n="$LINES" '
    { r[NR] = $1; all = all (NR > 1 ? "," : "") sprintf("%.0f", $1) }
    END {
        # median: sort a copy
        for (i = 1; i <= NR; i++) s[i] = r[i]
        for (i = 1; i <= NR; i++)
            for (j = i + 1; j <= NR; j++)
                if (s[j] < s[i]) { t = s[i]; s[i] = s[j]; s[j] = t }
        printf "RESULT rate=%.1f runs=%s n=%d\n", s[int((NR + 1) / 2)], all, n
    }'
