#!/bin/sh
# bench/run.sh [BUILD] - emauth against its peers, side by side, in one run.
#
# Called by `make bench` as: sh bench/run.sh build   (from the repository root)
#
#  0. Installs the peers from Debian when missing (as root, in one apt call,
#     through scripts/deps.sh): libspf2, pyspf, Mail::SPF, Mail::DKIM,
#     dkimpy, libopendkim, NSD, GNU time. Builds the two C peer drivers
#     (bench/peers/*.c, not linked with emauth) into bench/out/.
#  1. SPF, in-process, in-memory DNS, one core: emauth (build/spf_bench),
#     libspf2 (bench/peers/libspf2_bench.c, its zone layer), pyspf
#     (bench/peers/pyspf_bench.py, a DNS stub), Mail::SPF
#     (bench/peers/mailspf_bench.pl, Net::DNS::Resolver::Programmable), all
#     answering from the same records (bench/bench.zone; the peers read
#     bench/out/spf-records.tsv, made from it by bench/peers/zone2tsv.awk):
#     the realistic reference case (includes three deep, 8 DNS-querying
#     terms, 12 questions) and a trivial "ip4 ... -all" record. Every driver
#     checks its verdict is "pass" before timing, and every timed one.
#     Then the emauth CLI on a 200,000-line batch of the reference case.
#  2. SPF against NSD on loopback (bench/live.sh): emauth's CLI at
#     concurrency 1 and 200, pyspf and Mail::SPF pointed at NSD's port.
#  3. DKIM verification (bench/dkim.sh): openssl speed as the limit; emauth
#     (build/dkim_bench), libopendkim, dkimpy, Mail::DKIM on the same four
#     messages (10 KB and 1 MB, rsa-2048 and ed25519) signed by emauth.
#  4. Peak memory: every measured process runs under GNU time (%M); and a
#     100 MB message through `emauth dkim verify` (tests/cli/dkim_bigmsg.sh).
#  5. bench/report.py writes the Markdown report, printed at the end:
#     bench/results.md (bench/out/results.md in quick mode).
#
# Environment: BENCH_QUICK=1 for one short run of everything (development);
# BENCH_SECONDS, BENCH_RUNS (see bench/lib.sh). Generated files go to
# bench/out/ (ignored by git). Exit 1 when a measurement failed (the report
# is written all the same, the failure in it).
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

T_START=$(date +%s)
. bench/lib.sh

BENCH=$BUILD/spf_bench
EMAUTH=$BUILD/emauth
ZONE=bench/bench.zone
REC=$OUT/spf-records.tsv
for f in "$BENCH" "$EMAUTH" "$BUILD/dkim_bench"; do
    if [ ! -x "$f" ]; then
        echo "bench: $f: not built; run: make" >&2
        exit 2
    fi
done
rm -f "$TSV" "$CMDS" "$OUT/failed" "$OUT"/log-*.txt
if [ "${BENCH_QUICK:-0}" = 1 ]; then
    MODE="quick (BENCH_QUICK=1: $RUNS run of ${SECS} s each; figures for development only)"
    RESULTS=${BENCH_RESULTS:-$OUT/results.md}
else
    MODE="full ($RUNS runs of about ${SECS} s per in-process measurement, the median reported)"
    RESULTS=${BENCH_RESULTS:-bench/results.md}
fi

echo "== 0. peers (Debian packages), installed when missing"
PEER_PKGS="libspf2-dev python3-spf python3-dnspython libmail-spf-perl
    libnet-dns-resolver-programmable-perl libmail-dkim-perl python3-dkim python3-nacl
    libopendkim-dev nsd time"
# shellcheck disable=SC2086
echo "\$ sh scripts/deps.sh" $PEER_PKGS
# shellcheck disable=SC2086
if ! sh scripts/deps.sh $PEER_PKGS; then
    echo "bench: some peers could not be installed; their rows will say so" >&2
fi
T_INSTALLED=$(date +%s)
# Re-read now that GNU time may have been installed.
. bench/lib.sh

{
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "mode=$MODE"
    echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)"
    echo "cores=$(nproc)"
    echo "kernel=$(uname -sr)"
    echo "mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null)"
    # shellcheck source=/dev/null
    echo "os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
    bt=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
    echo "build=$BUILD (${bt:-RelWithDebInfo, -O2 -g, the CMakeLists.txt default}); peer drivers: cc -O2; $(cc --version 2>/dev/null | head -n 1)"
    echo "commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "emauth=$("$EMAUTH" --version 2>/dev/null | head -n 1 || true)"
    echo "load_start=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null)"
    echo "pin=${PIN:-none (taskset not found)}"
    echo "install_seconds=$((T_INSTALLED - T_START))"
} >"$OUT/meta.txt"
# Versions of everything measured (dpkg-query -W), for the report.
dpkg-query -W -f='${Package}\t${Version}\n' libspf2-2 libspf2-dev python3-spf python3-dnspython \
    libmail-spf-perl libnet-dns-perl libnet-dns-resolver-programmable-perl libmail-dkim-perl \
    python3-dkim python3-nacl libopendkim11 libopendkim-dev nsd openssl libssl3 python3 perl \
    gcc libc-ares2 2>/dev/null | awk -F '\t' '$2 != ""' >"$OUT/versions.tsv" || true
echo
sed 's/^/  /' "$OUT/meta.txt"

echo
echo "== data and peer drivers"
echo "\$ awk -f bench/peers/zone2tsv.awk $ZONE > $REC"
awk -f bench/peers/zone2tsv.awk "$ZONE" >"$REC"
echo "  $(wc -l <"$REC" | tr -d ' ') records, the same that $ZONE gives emauth (SOA, NS and \$TIMEOUT aside)"
LIBSPF2_BENCH=""
if [ -f /usr/include/spf2/spf.h ]; then
    echo "\$ cc -O2 -o $OUT/libspf2_bench bench/peers/libspf2_bench.c -lspf2"
    cc -O2 -o "$OUT/libspf2_bench" bench/peers/libspf2_bench.c -lspf2 && LIBSPF2_BENCH=$OUT/libspf2_bench
fi
if pkg-config --exists opendkim 2>/dev/null; then
    echo "\$ cc -O2 -o $OUT/opendkim_bench bench/peers/opendkim_bench.c $(pkg-config --cflags --libs opendkim)"
    # shellcheck disable=SC2046
    cc -O2 -o "$OUT/opendkim_bench" bench/peers/opendkim_bench.c $(pkg-config --cflags --libs opendkim) ||
        rm -f "$OUT/opendkim_bench"
fi

echo
echo "== 1. SPF, in-process, in-memory DNS, one core ($PIN)"
# case  spf_bench-case  IP  MAIL-FROM  HELO
for c in "realistic reference 198.51.100.77 user@example.com out.provider.example" \
         "trivial trivial 192.0.2.10 user@example.net mail.example.net"; do
    # shellcheck disable=SC2086
    set -- $c
    name=$1 bcase=$2 ip=$3 from=$4 helo=$5
    echo
    echo "-- $name: ip=$ip mail_from=$from"
    # shellcheck disable=SC2086
    measure spf-mem emauth "$name" $PIN "$BENCH" --zone "$ZONE" --case "$bcase" \
        --seconds "$SECS" --runs "$RUNS"
    # shellcheck disable=SC2086
    measure spf-mem emauth-fresh "$name" $PIN "$BENCH" --zone "$ZONE" --case "$bcase" --fresh \
        --seconds "$SECS" --runs "$RUNS"
    if [ -n "$LIBSPF2_BENCH" ]; then
        # shellcheck disable=SC2086
        measure spf-mem libspf2 "$name" $PIN "$LIBSPF2_BENCH" "$REC" "$ip" "$from" "$helo" \
            "$SECS" "$RUNS"
    else
        record spf-mem libspf2 "$name" - - - n/a "libspf2-dev not installed"
    fi
    if have_py spf; then
        # shellcheck disable=SC2086
        measure spf-mem pyspf "$name" $PIN "$PY" bench/peers/pyspf_bench.py --records "$REC" \
            --ip "$ip" --mail-from "$from" --helo "$helo" --seconds "$SECS" --runs "$RUNS"
    else
        record spf-mem pyspf "$name" - - - n/a "python3-spf not installed"
    fi
    if have_pm Mail::SPF && have_pm Net::DNS::Resolver::Programmable; then
        # shellcheck disable=SC2086
        measure spf-mem mailspf "$name" $PIN perl bench/peers/mailspf_bench.pl --records "$REC" \
            --ip "$ip" --mail-from "$from" --helo "$helo" --seconds "$SECS" --runs "$RUNS"
    else
        record spf-mem mailspf "$name" - - - n/a \
            "libmail-spf-perl or libnet-dns-resolver-programmable-perl not installed"
    fi
done

echo
echo "-- emauth CLI: the reference case as a batch, JSON output included"
if [ "${BENCH_QUICK:-0}" = 1 ]; then LINES=50000; else LINES=200000; fi
BATCH=$OUT/batch-$LINES.tsv
echo "\$ $BENCH --batch-file $BATCH $LINES"
"$BENCH" --batch-file "$BATCH" "$LINES"
measure spf-cli emauth-cli "all-cores" sh bench/cli_runs.sh "$LINES" "$RUNS" "$OUT/batch.jsonl" \
    "$EMAUTH" spf check --zone "$ZONE" --batch "$BATCH" --json
if [ -n "$PIN" ]; then
    # shellcheck disable=SC2086
    measure spf-cli emauth-cli "one-core" $PIN sh bench/cli_runs.sh "$LINES" "$RUNS" \
        "$OUT/batch.jsonl" "$EMAUTH" spf check --zone "$ZONE" --batch "$BATCH" --json
fi

echo
echo "== 2. SPF against NSD on loopback"
echo "\$ sh bench/live.sh $BUILD"
sh bench/live.sh "$BUILD"

echo
echo "== 3. DKIM verification"
echo "\$ sh bench/dkim.sh $BUILD"
sh bench/dkim.sh "$BUILD"

echo
echo "== 4. memory: a 100 MB message through emauth dkim verify, against a 1 KB one"
case $EMAUTH in /*) EMAUTH_ABS=$EMAUTH ;; *) EMAUTH_ABS=$ROOT/$EMAUTH ;; esac
echo "\$ sh tests/cli/dkim_bigmsg.sh $EMAUTH_ABS $ROOT"
printf 'mem\temauth-cli\tdkim-100MB\tsh tests/cli/dkim_bigmsg.sh %s %s\n' "$EMAUTH_ABS" "$ROOT" \
    >>"$CMDS"
if sh tests/cli/dkim_bigmsg.sh "$EMAUTH_ABS" "$ROOT" >"$OUT/bigmsg.txt" 2>&1; then
    sed 's/^/    /' "$OUT/bigmsg.txt"
else
    sed 's/^/    /' "$OUT/bigmsg.txt"
    echo "    -> FAILED" >&2
    echo "mem emauth dkim-100MB" >>"$OUT/failed"
fi

T_END=$(date +%s)
{
    echo "load_end=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null)"
    echo "total_seconds=$((T_END - T_START))"
} >>"$OUT/meta.txt"

echo
echo "== 5. report"
echo "\$ $PY bench/report.py $OUT > $RESULTS"
"$PY" bench/report.py "$OUT" >"$RESULTS.tmp"
mv "$RESULTS.tmp" "$RESULTS"
[ "$RESULTS" = "$OUT/results.md" ] || cp "$RESULTS" "$OUT/results.md"
echo
cat "$RESULTS"
echo
echo "bench: report written to $RESULTS; $((T_END - T_START)) s in all ($(sed -n 's/^install_seconds=//p' "$OUT/meta.txt") s of it installing)"
if [ -s "$OUT/failed" ]; then
    echo "bench: these measurements FAILED (see bench/out/log-*.txt):" >&2
    sed 's/^/  /' "$OUT/failed" >&2
    exit 1
fi
