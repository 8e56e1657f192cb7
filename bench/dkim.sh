#!/bin/sh
# bench/dkim.sh [BUILD] - DKIM verification: emauth against its peers.
#
# Called from bench/run.sh (section 3); runs alone too (from the repository
# root), appending its rows to bench/out/results.tsv (see bench/lib.sh).
#  1. openssl speed on one core: RSA-2048 and Ed25519 verifications/s,
#     SHA-256 bytes/s over 16 KiB blocks (the EVP path, as emauth uses it).
#     The report's limit for a message of SIZE bytes is
#         1 / (1/verify_rate + 2 * SIZE / sha256_rate)
#     one signature verification and two passes at SHA-256 speed over the
#     message (canonicalization and hashing): the bound that emauth's DKIM
#     target (at least 0.8 of it) has been stated against.
#  2. build/dkim_bench --generate: an RSA-2048 and an Ed25519 key, a 10 KB
#     and a 1 MB message, each signed by emauth (relaxed/relaxed) and written
#     to bench/out/ with the key records (dkim-keys.txt).
#  3. The same four messages verified, one core, keys from memory (no DNS):
#     emauth (dkim_bench --keys --message: one verifier reused, and with
#     --fresh a new verifier per message), libopendkim (bench/peers/
#     opendkim_bench.c), dkimpy (bench/peers/dkimpy_bench.py), Mail::DKIM
#     (bench/peers/maildkim_bench.pl). Each driver checks the signature
#     passes before timing it, and every timed verification.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
cd "$ROOT"
case $BUILD in "$ROOT"/*) BUILD=${BUILD#"$ROOT"/} ;; esac
. bench/lib.sh
BENCH=$BUILD/dkim_bench
if [ ! -x "$BENCH" ]; then
    echo "bench: $BENCH: not built; run: make" >&2
    exit 2
fi
if [ "${BENCH_QUICK:-0}" = 1 ]; then OSECS=1; else OSECS=2; fi

echo "-- openssl speed, one core"
# openssl [ARGS...]: runs openssl speed pinned, shows the command.
ossl() {
    echo "\$ $PIN${PIN:+ }openssl speed $*"
    printf 'limit\topenssl\t-\t%s\n' "$PIN${PIN:+ }openssl speed $*" >>"$CMDS"
    # shellcheck disable=SC2086
    $PIN openssl speed "$@" 2>/dev/null
}
ossl -seconds "$OSECS" rsa2048 ed25519 >"$OUT/openssl-pk.txt"
grep -E 'sign/s|^rsa 2048|Ed25519' "$OUT/openssl-pk.txt" | sed 's/^/    /'
ossl -seconds "$OSECS" -bytes 16384 -evp sha256 >"$OUT/openssl-sha.txt"
grep -E '^type|^sha256' "$OUT/openssl-sha.txt" | sed 's/^/    /'
RSA_V=$(awk '/^rsa 2048 bits/ { print $NF }' "$OUT/openssl-pk.txt")
ED_V=$(awk '/EdDSA \(Ed25519\)/ { print $NF }' "$OUT/openssl-pk.txt")
# The 16384-byte column, in 1000s of bytes per second ("123456.78k").
SHA=$(awk '/^sha256/ { v = $NF; sub(/k$/, "", v); printf "%.0f", v * 1000 }' "$OUT/openssl-sha.txt")
echo "    verify/s: rsa-2048 $RSA_V, ed25519 $ED_V; sha256: $SHA bytes/s"
record limit openssl rsa2048-verify "${RSA_V:--}" - - ok ""
record limit openssl ed25519-verify "${ED_V:--}" - - ok ""
record limit openssl sha256-bytes "${SHA:--}" - - ok ""

echo
echo "-- the messages: keys generated now, each message signed once by emauth"
echo "\$ $BENCH --generate $OUT"
printf 'dkim\tdata\t-\t%s\n' "$BENCH --generate $OUT" >>"$CMDS"
"$BENCH" --generate "$OUT" | sed 's/^/    /'
KEYS=$OUT/dkim-keys.txt

for c in 10k-rsa 10k-ed25519 1m-rsa 1m-ed25519; do
    M=$OUT/dkim-$c.eml
    bytes=$(wc -c <"$M" | tr -d ' ')
    record dkim-size msg "$c" "$bytes" - - ok ""
    echo
    echo "-- $c: $M, $bytes bytes"
    # shellcheck disable=SC2086
    measure dkim emauth "$c" $PIN "$BENCH" --keys "$KEYS" --message "$M" \
        --seconds "$SECS" --runs "$RUNS"
    # shellcheck disable=SC2086
    measure dkim emauth-fresh "$c" $PIN "$BENCH" --keys "$KEYS" --message "$M" --fresh \
        --seconds "$SECS" --runs "$RUNS"
    if [ -x "$OUT/opendkim_bench" ]; then
        # shellcheck disable=SC2086
        measure dkim libopendkim "$c" $PIN "$OUT/opendkim_bench" "$KEYS" "$M" "$SECS" "$RUNS"
    else
        record dkim libopendkim "$c" - - - n/a "libopendkim-dev not installed"
    fi
    if have_py dkim; then
        # shellcheck disable=SC2086
        measure dkim dkimpy "$c" $PIN "$PY" bench/peers/dkimpy_bench.py "$KEYS" "$M" "$SECS" "$RUNS"
    else
        record dkim dkimpy "$c" - - - n/a "python3-dkim not installed"
    fi
    if have_pm Mail::DKIM::Verifier && have_pm Net::DNS::Resolver::Programmable; then
        # shellcheck disable=SC2086
        measure dkim maildkim "$c" $PIN perl bench/peers/maildkim_bench.pl "$KEYS" "$M" \
            "$SECS" "$RUNS"
    else
        record dkim maildkim "$c" - - - n/a \
            "libmail-dkim-perl or libnet-dns-resolver-programmable-perl not installed"
    fi
done
