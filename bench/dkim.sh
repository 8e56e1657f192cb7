#!/bin/sh
# bench/dkim.sh [BUILD] - the DKIM benchmarks, with the exact commands.
#
# Called from bench/run.sh as: sh bench/dkim.sh build   (from the repository root)
#  1. openssl speed on this machine: RSA-2048 and Ed25519 verify/s, SHA-256
#     bytes/s (16 KiB blocks).
#  2. build/dkim_bench: in-process verification of a 10 KB and a 1 MB
#     message, rsa-2048 and ed25519, one reused verifier, in-memory zone,
#     one core; each figure against the issue's limit
#         1 / (1/verify_rate + 2 * size / sha256_rate)
#     from the openssl figures of step 1 (target: at least 0.8 of it).
#  3. libopendkim on the same signed messages, when tests/interop/opendkim_tool
#     is built (libopendkim-dev installed).
#  4. Memory: a 100 MB message through `emauth dkim verify` against a 1 KB one
#     (tests/cli/dkim_bigmsg.sh).
# Generated files go to bench/out/ (ignored by git).
# DKIM_BENCH_SECONDS sets the time of each openssl and libopendkim
# measurement (default 2); dkim_bench reports the median of 5 runs of 0.5 s.
# The load average is printed before and after: on a shared machine, other
# work on the cores moves every figure.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in
    /*) ;;
    *) [ -d "$BUILD" ] && BUILD=$(cd "$BUILD" && pwd) ;;
esac
cd "$ROOT"
case $BUILD in "$ROOT"/*) BUILD=${BUILD#"$ROOT"/} ;; esac

BENCH=$BUILD/dkim_bench
EMAUTH=$BUILD/emauth
ODK=$BUILD/tests/interop/opendkim_tool
OUT=bench/out
SECS=${DKIM_BENCH_SECONDS:-2}
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
echo "openssl: $(openssl version 2>/dev/null || echo 'not installed')"
echo "load:    $(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null) (1, 5, 15 min) at the start"

echo
echo "== DKIM 1. openssl speed, one core"
echo "\$ ${PIN}openssl speed -seconds $SECS rsa2048 ed25519"
# shellcheck disable=SC2086
${PIN}openssl speed -seconds "$SECS" rsa2048 ed25519 2>/dev/null | tee "$OUT/openssl-pk.txt" |
    grep -E 'sign/s|^rsa 2048|Ed25519'
echo "\$ ${PIN}openssl speed -seconds $SECS sha256"
# shellcheck disable=SC2086
${PIN}openssl speed -seconds "$SECS" sha256 2>/dev/null | tee "$OUT/openssl-sha.txt" |
    grep -E '^type|^sha256'
RSA_V=$(awk '/^rsa 2048 bits/ { print $NF }' "$OUT/openssl-pk.txt")
ED_V=$(awk '/EdDSA \(Ed25519\)/ { print $NF }' "$OUT/openssl-pk.txt")
# The 16384-byte column, in 1000s of bytes per second ("123456.78k").
SHA=$(awk '/^sha256/ { v = $NF; sub(/k$/, "", v); print v * 1000 }' "$OUT/openssl-sha.txt")
echo "verify/s: rsa-2048 $RSA_V, ed25519 $ED_V; sha256: $SHA bytes/s"

echo
echo "== DKIM 2. in-process verification, one verifier reused, in-memory zone, one core"
echo "\$ ${PIN}$BENCH --write $OUT"
# shellcheck disable=SC2086
${PIN}"$BENCH" --write "$OUT" | tee "$OUT/dkim-bench.txt" | grep -v '^result '

echo
echo "limit = 1/(1/verify_rate + 2*size/sha256_rate), openssl figures above; target ratio >= 0.80"
awk -v rsa="$RSA_V" -v ed="$ED_V" -v sha="$SHA" '
    /^result / {
        size = $4; raw = $5; split_ = $6
        v = ($3 == "rsa-2048") ? rsa : ed
        limit = 1 / (1 / v + 2 * size / sha)
        printf "  %-4s %-9s %8d bytes: limit %9.1f/s; raw %9.1f/s = %.2f of it; split %9.1f/s = %.2f%s\n",
               $2, $3, size, limit, raw, raw / limit, split_, split_ / limit,
               (raw / limit >= 0.8) ? "" : "  (below 0.80)"
    }' "$OUT/dkim-bench.txt"

echo
echo "== DKIM 3. libopendkim on the same messages (same machine, one core)"
if [ -x "$ODK" ]; then
    for c in 10k-rsa 10k-ed25519 1m-rsa 1m-ed25519; do
        echo "\$ ${PIN}$ODK bench $OUT/dkim-keys.txt $OUT/dkim-$c.eml $SECS"
        printf '  %-12s ' "$c"
        # shellcheck disable=SC2086
        ${PIN}"$ODK" bench "$OUT/dkim-keys.txt" "$OUT/dkim-$c.eml" "$SECS"
    done
else
    echo "skipped: $ODK not built (Debian: apt-get install libopendkim-dev, then make)"
fi

echo
echo "== DKIM 4. memory: a 100 MB message verified, against a 1 KB one"
case $EMAUTH in /*) EMAUTH_ABS=$EMAUTH ;; *) EMAUTH_ABS=$ROOT/$EMAUTH ;; esac
echo "\$ sh tests/cli/dkim_bigmsg.sh $EMAUTH_ABS $ROOT"
sh tests/cli/dkim_bigmsg.sh "$EMAUTH_ABS" "$ROOT" 2>&1 || true
echo
echo "load:    $(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null) (1, 5, 15 min) at the end"
