#!/bin/sh
# Line coverage of the parsers by their fuzz corpora (issue 7).
#
#   FUZZ_TARGETS="spf_record canon" sh scripts/fuzz-coverage.sh
#
# Builds build-cov/ with clang source-based coverage and the replay driver
# (no libFuzzer, no sanitizers), replays each target over its repository
# corpus tests/fuzz/corpus/<name>/ plus build-fuzz/corpus/<name>/ when a
# fuzz run left one, and prints per target the line coverage of the
# source files that target is about. Reports stay in build-cov/report/.
set -eu

FUZZ_TARGETS=${FUZZ_TARGETS:-all}
BUILD=${COV_BUILD:-build-cov}
JOBS=${JOBS:-2}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

# The LLVM tools that match clang (Debian names them with the version).
tool() {
    for t in "$1" "$1-14" "$1-15" "$1-16"; do
        command -v "$t" >/dev/null 2>&1 && { echo "$t"; return; }
    done
    echo "fuzz-coverage: $1 not found" >&2
    exit 1
}
sh scripts/deps.sh clang
PROFDATA=$(tool llvm-profdata)
COV=$(tool llvm-cov)

flags="-fprofile-instr-generate -fcoverage-mapping"
cmake -S . -B "$BUILD" -DCMAKE_C_COMPILER=clang -DEMAUTH_FUZZ=ON -DEMAUTH_FUZZ_ENGINE=replay \
    -DEMAUTH_TESTS=OFF -DCMAKE_C_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null

if [ "$FUZZ_TARGETS" = all ]; then
    FUZZ_TARGETS=$(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')
fi

# The sources each target is about.
sources() {
    case $1 in
    spf_record) echo src/spf/record.c ;;
    spf_macro) echo src/spf/macro.c ;;
    spf_header) echo src/spf/header.c ;;
    zone_parse) echo src/dns/zone_parse.c src/dns/zone.c src/dns/format.c ;;
    dns_wire) echo src/dns/wire.c ;;
    dkim_signature) echo src/dkim/signature.c ;;
    dkim_keyrec) echo src/dkim/keyrec.c src/dkim/keys.c ;;
    dkim_verify) echo src/dkim/verify.c ;;
    base64) echo src/dkim/crypto.c ;;
    canon) echo src/dkim/canon.c ;;
    message) echo src/message/message.c ;;
    from) echo src/message/from.c ;;
    dmarc_record) echo src/dmarc/record.c ;;
    authres) echo src/authres/parse.c src/authres/format.c ;;
    tagvalue) echo src/util/tagvalue.c ;;
    ip) echo src/util/ip.c src/util/cidr.c ;;
    *) echo "fuzz-coverage: no sources listed for $1" >&2; exit 1 ;;
    esac
}

targets=""
for name in $FUZZ_TARGETS; do targets="$targets fuzz_${name}_replay"; done
# shellcheck disable=SC2086
make --no-print-directory -C "$BUILD" -j"$JOBS" $targets >/dev/null

mkdir -p "$BUILD/profiles" "$BUILD/report"
printf '%-16s %8s %8s %7s  %s\n' target lines missed cover 'per file'
status=0
for name in $FUZZ_TARGETS; do
    bin=$BUILD/tests/fuzz/fuzz_${name}_replay
    prof=$BUILD/profiles/$name
    rm -f "$prof".*.profraw "$prof.profdata"
    dirs=tests/fuzz/corpus/$name
    [ -d "build-fuzz/corpus/$name" ] && dirs="$dirs build-fuzz/corpus/$name"
    # shellcheck disable=SC2086
    if ! LLVM_PROFILE_FILE="$prof.%p.profraw" "$bin" $dirs >"$BUILD/report/$name.replay" 2>&1; then
        echo "fuzz-coverage: $name: the replay failed (see $BUILD/report/$name.replay)" >&2
        status=1
    fi
    "$PROFDATA" merge -sparse "$prof".*.profraw -o "$prof.profdata"
    # shellcheck disable=SC2046
    "$COV" report "$bin" -instr-profile="$prof.profdata" $(sources "$name") \
        >"$BUILD/report/$name.txt"
    # Columns: name, regions missed cover, functions missed cover, lines missed cover.
    report=$BUILD/report/$name.txt
    total=$(grep '^TOTAL' "$report" || true)
    [ -n "$total" ] || total=$(grep '\.c ' "$report" | tail -1)
    files=$(grep '\.c ' "$report" | awk '{n=split($1, p, "/"); printf "%s %s  ", p[n], $10}')
    printf '%-16s %8s %8s %7s  %s\n' "$name" "$(echo "$total" | awk '{print $8}')" \
        "$(echo "$total" | awk '{print $9}')" "$(echo "$total" | awk '{print $10}')" "$files"
done
exit $status
