#!/bin/sh
# A 100 MB message verifies in bounded memory (issue 5, "Done when"): the
# peak RSS of `emauth dkim verify` on a 100 MB message may exceed that of the
# same command on a 1 KB message by less than 1 MB (1024 KiB).
#
# The message is generated on the fly, twice, identically (printf + yes |
# head -c): once through `emauth dkim sign`, of whose output only the
# DKIM-Signature field is kept, and once behind that field into `emauth dkim
# verify`. Nothing of 100 MB is ever stored. Peak RSS is the child's
# ru_maxrss, read with GNU time when installed, else with python3.
#
# EMAUTH_BIG_MB sets the size (default 100); bench/dkim.sh runs this too.
. "$(dirname "$0")/common.inc"

MB=${EMAUTH_BIG_MB:-100}
LIMIT_KIB=1024
D=big.example
S=sel

# maxrss RSSFILE CMD...: runs CMD (stdin and stdout inherited) and writes
# its peak RSS in KiB to RSSFILE; the exit status is CMD's.
if [ -x /usr/bin/time ]; then
    RSS_TOOL="GNU time (/usr/bin/time -f %M)"
    maxrss() {
        _r=$1
        shift
        /usr/bin/time -o "$_r" -f '%M' "$@"
    }
elif [ -x /usr/bin/python3 ]; then
    RSS_TOOL="python3 resource.getrusage(RUSAGE_CHILDREN).ru_maxrss"
    maxrss() {
        /usr/bin/python3 -c '
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=f)
sys.exit(rc)' "$@"
    }
else
    echo "SKIP: neither GNU time nor python3 to read the peak RSS"
    exit 0
fi

# gen BYTES: a message whose body is BYTES bytes of CRLF text lines.
gen() {
    printf 'From: Big Sender <big@%s>\r\nTo: someone@example.net\r\nSubject: a big one\r\n' "$D"
    printf 'Date: Fri, 11 Jul 2003 21:00:37 -0700\r\nMessage-ID: <big-%s@%s>\r\n\r\n' "$1" "$D"
    yes "$(printf 'The quick brown fox  jumps over the lazy dog,\tagain and again;  0123456789 \r')" |
        head -c "$1"
}

run keygen 0 dkim keygen --domain "$D" --selector "$S" --type ed25519 --out "$OUT/key.pem"
awk -v own="$S._domainkey." '
    !on && index($0, own) && $0 ~ /TXT/ { on = 1 }
    on { print; if (index($0, "(") && !index($0, ")")) { paren = 1; next }
         if (!paren || index($0, ")")) exit }' "$OUT/keygen.out" >"$OUT/zone"
[ -s "$OUT/zone" ] || fail "keygen printed no master-file line: $(cat "$OUT/keygen.out")"

# measure NAME BYTES: sign, then verify, each with its peak RSS; sets
# RSS_SIGN and RSS_VERIFY (KiB).
measure() {
    _name=$1 _bytes=$2
    # Only the DKIM-Signature field(s) of the signed output are kept: the
    # lines before the generated message's first field (sed reads it all).
    gen "$_bytes" | {
        maxrss "$OUT/$_name.sign.rss" "$EMAUTH" dkim sign --key "$OUT/key.pem" --domain "$D" \
            --selector "$S" --algorithm ed25519-sha256 2>"$OUT/$_name.sign.err"
        echo $? >"$OUT/$_name.sign.rc"
    } | sed -n '/^From: Big Sender/,$!p' >"$OUT/$_name.sig"
    [ "$(cat "$OUT/$_name.sign.rc")" = 0 ] ||
        fail "$_name: emauth dkim sign: exit status $(cat "$OUT/$_name.sign.rc"): $(cat "$OUT/$_name.sign.err")"
    grep -qi '^DKIM-Signature:' "$OUT/$_name.sig" || fail "$_name: no DKIM-Signature in the signed output"
    RSS_SIGN=$(tail -n 1 "$OUT/$_name.sign.rss")
    { cat "$OUT/$_name.sig"; gen "$_bytes"; } |
        maxrss "$OUT/$_name.verify.rss" "$EMAUTH" dkim verify --zone "$OUT/zone" --json \
            >"$OUT/$_name.json" 2>"$OUT/$_name.verify.err" ||
        fail "$_name: emauth dkim verify: $(cat "$OUT/$_name.verify.err")"
    grep -q '"result": *"pass"' "$OUT/$_name.json" ||
        fail "$_name: expected pass: $(cat "$OUT/$_name.json")"
    RSS_VERIFY=$(tail -n 1 "$OUT/$_name.verify.rss")
}

t0=$(date +%s)
measure small 1024
small_sign=$RSS_SIGN small_verify=$RSS_VERIFY
measure big $((MB * 1024 * 1024))
big_sign=$RSS_SIGN big_verify=$RSS_VERIFY
t1=$(date +%s)

diff=$((big_verify - small_verify))
echo "peak RSS by $RSS_TOOL, KiB:"
echo "  emauth dkim verify: 1 KB body $small_verify, $MB MB body $big_verify: +$diff KiB (limit $LIMIT_KIB)"
echo "  emauth dkim sign:   1 KB body $small_sign, $MB MB body $big_sign: +$((big_sign - small_sign)) KiB (for information)"
echo "  $((t1 - t0)) s in all"
[ "$diff" -lt "$LIMIT_KIB" ] || fail "verifying a $MB MB message takes $diff KiB more than a 1 KB one (limit $LIMIT_KIB KiB)"
