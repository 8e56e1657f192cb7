#!/bin/sh
# scripts/demo.sh EMAUTH ZONE - a tour of `emauth spf check` on a small world.
#
# Called by `make demo` as: sh scripts/demo.sh build/emauth examples/example.zone
# Every check is offline: DNS answers come from the zone file (see the
# comments in examples/example.zone for who publishes what).
# Each step prints "# what it shows", the exact command, then its output:
# spf check for a receiving server, then lint/add/flatten for a domain
# owner and authorizes for a sending platform, then DKIM keygen, sign,
# verify and lint, then `emauth check` (SPF, DKIM, DMARC) on the four demo
# messages examples/check-*.eml over example.zone and dmarc.zone beside it.
# Exit: 0 when every command ran (whatever the verdicts), 1 when one failed,
# 2 when the binary or the zone is missing.
#
# EMAUTH_VALGRIND=valgrind sh scripts/demo.sh ... runs each command under
# valgrind (leaks and memory errors make the demo fail).
set -u

EMAUTH=${1:-build/emauth}
ZONE=${2:-examples/example.zone}

if [ ! -x "$EMAUTH" ]; then
    echo "demo: $EMAUTH: no such executable; build it first with: make" >&2
    exit 2
fi
if [ ! -r "$ZONE" ]; then
    echo "demo: $ZONE: cannot read the zone file" >&2
    exit 2
fi

WRAP=""
if [ -n "${EMAUTH_VALGRIND:-}" ]; then
    WRAP="$EMAUTH_VALGRIND --quiet --error-exitcode=99 --leak-check=full"
    WRAP="$WRAP --errors-for-leak-kinds=definite,indirect,possible"
fi

steps=0

# Prints its arguments as a shell would need them typed (empty or unusual
# ones in single quotes).
quoted() {
    out=""
    for a in "$@"; do
        case $a in
            '' | *[!A-Za-z0-9@%+,./:=_-]*) a="'$a'" ;;
        esac
        out="$out $a"
    done
    printf '%s' "${out# }"
}

# run VERB "what this shows" ARGS... : runs $EMAUTH spf VERB --zone $ZONE ARGS...;
# expect is the exit status that counts as ran (lint says 1 when it found errors).
run() {
    verb=$1
    expect=$2
    what=$3
    shift 3
    steps=$((steps + 1))
    printf '\n# %s\n' "$what"
    printf '$ %s spf %s --zone %s %s\n' "$EMAUTH" "$verb" "$ZONE" "$(quoted "$@")"
    # shellcheck disable=SC2086
    $WRAP "$EMAUTH" spf "$verb" --zone "$ZONE" "$@"
    rc=$?
    if [ "$rc" -ne "$expect" ]; then
        echo "demo: the command above failed (exit $rc)" >&2
        exit 1
    fi
}

step() {
    run check 0 "$@"
}

echo "emauth demo: SPF checks (RFC 7208) against $ZONE, offline."
echo "A receiving mail server asks: may this IP address send mail for this domain?"

step "pass: 192.0.2.25 is mail.example.com, an MX host of example.com (v=spf1 mx include:_spf.mailer.example ~all)" \
    --ip 192.0.2.25 --mail-from alice@example.com --helo mail.example.com

step "pass via the sending provider's include chain (_spf4.mailer.example lists 198.51.100.0/26); --trace lists the DNS questions" \
    --ip 198.51.100.17 --mail-from newsletter@example.com --helo out1.mailer.example --trace

step "softfail: an address example.com does not list; its record ends in ~all (deliver, but mark as suspect)" \
    --ip 203.0.113.66 --mail-from alice@example.com --helo dyn-203-0-113-66.example

step "fail: example.org ends in -all (reject); the explanation comes from its exp= record, macros expanded" \
    --ip 203.0.113.66 --mail-from billing@example.org --helo dyn-203-0-113-66.example

step "permerror: example.net publishes two v=spf1 records (RFC 7208 allows exactly one)" \
    --ip 192.0.2.40 --mail-from bob@example.net --helo mail.example.net

step "permerror: busy.example needs 11 DNS lookups to answer (the limit is 10)" \
    --ip 203.0.113.66 --mail-from info@busy.example --helo dyn-203-0-113-66.example

step "permerror: shop.example.net has a typo, \"ipv4:\" for \"ip4:\"; the problem names the term and its column" \
    --ip 192.0.2.41 --mail-from orders@shop.example.net --helo mail.example.net

step "none: legacy.example.com publishes no SPF record, so SPF says nothing either way" \
    --ip 192.0.2.90 --mail-from root@legacy.example.com --helo legacy.example.com

step "HELO identity: a bounce (empty MAIL FROM) is checked against the HELO name's own record" \
    --ip 192.0.2.25 --mail-from '' --helo mail.example.com

step "--json: one JSON object per check, for programs (IPv6 client, matched by _spf6.mailer.example)" \
    --ip 2001:db8:5000::17 --mail-from newsletter@example.com --helo out1.mailer.example --json

step "--header: the Received-SPF and Authentication-Results fields a receiving server adds to the message" \
    --ip 203.0.113.66 --mail-from billing@example.org --helo dyn-203-0-113-66.example \
    --receiver mx.example.net --header

echo
echo "A domain owner asks: is my record right, and what does it cost?"

run lint 1 "spf lint: busy.example's include tree, each node with its lookups; the 11th lookup breaks it" \
    busy.example

run lint 1 "spf lint: the typo in shop.example.net, with a caret under the column" \
    shop.example.net

run add 0 "spf add: a new sending provider for example.com, merged into the one record, with the line to publish" \
    example.com include:spf.helpdesk.example

run flatten 0 "spf flatten: busy.example's includes resolved into address ranges that fit the limits" \
    busy.example

run_audit() {
    steps=$((steps + 1))
    printf '\n# %s\n' "$1"
    shift
    printf '$ %s audit --zone %s --zone %s %s\n' "$EMAUTH" "$ZONE" "$DMARC_ZONE" "$(quoted "$@")"
    # shellcheck disable=SC2086
    $WRAP "$EMAUTH" audit --zone "$ZONE" --zone "$DMARC_ZONE" "$@"
    rc=$?
    if [ "$rc" -gt 1 ]; then   # 1: problems found, which is the point here
        echo "demo: the command above failed (exit $rc)" >&2
        exit 1
    fi
}

DMARC_ZONE=$(dirname "$ZONE")/dmarc.zone
run_audit "audit: every broken record of example.net, with the lines to publish that fix it" \
    example.net

echo
echo "A sending platform asks: which customer domains let our servers send?"

run authorizes 0 "spf authorizes: does each domain's policy pass mail from 198.51.100.17?" \
    --ip 198.51.100.17 example.com example.net example.org busy.example

echo
echo "A sending platform signs a customer's mail; the receiver verifies it (DKIM)."

TMP=$(mktemp -d "${TMPDIR:-/tmp}/emauth-demo-XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# dk "what this shows" IN OUT ARGS... : runs $EMAUTH dkim ARGS... with
# standard input from IN and standard output to OUT ("-" = none / shown).
dk() {
    what=$1
    in=$2
    out=$3
    shift 3
    steps=$((steps + 1))
    printf '\n# %s\n' "$what"
    printf '$ %s dkim %s%s%s\n' "$EMAUTH" "$(quoted "$@")" \
        "$([ "$in" = - ] || printf ' < %s' "$in")" "$([ "$out" = - ] || printf ' > %s' "$out")"
    # shellcheck disable=SC2086
    $WRAP "$EMAUTH" dkim "$@" <"$([ "$in" = - ] && echo /dev/null || echo "$in")" \
        >"$([ "$out" = - ] && echo /dev/stdout || echo "$out")"
    rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "demo: the command above failed (exit $rc)" >&2
        exit 1
    fi
}

dk "dkim keygen: a new Ed25519 key for example.com, and what to publish at s2026._domainkey.example.com" \
    - "$TMP/keygen.out" keygen --domain example.com --selector s2026 --type ed25519 \
    --out "$TMP/s2026.private"
cat "$TMP/keygen.out"
sed -n 2p "$TMP/keygen.out" >"$TMP/keys.zone"   # the master-file line, "published"

dk "dkim sign: the message with its DKIM-Signature field first (relaxed/relaxed, From signed twice)" \
    examples/message.eml "$TMP/signed.eml" sign --key "$TMP/s2026.private" \
    --domain example.com --selector s2026
sed -n '1,/^From:/p' "$TMP/signed.eml"

dk "dkim verify: the receiver fetches the key and checks the signature" \
    "$TMP/signed.eml" - verify --zone "$ZONE" --zone "$TMP/keys.zone"

dk "dkim lint: the RSA key example.com already publishes at cc._domainkey.example.com" \
    - - lint example.com --selector cc --zone "$ZONE"

sed 's/quarterly report/annual report/' "$TMP/signed.eml" >"$TMP/tampered.eml"
dk "dkim verify: one word of the body changed on the way: the body hash no longer matches" \
    "$TMP/tampered.eml" - verify --zone "$ZONE" --zone "$TMP/keys.zone" --json

echo
echo "A receiving server checks a whole message: SPF, DKIM and DMARC (acme.example: p=reject)."

EXDIR=$(dirname "$ZONE")
DZONE=$EXDIR/dmarc.zone

# ck "what this shows" MESSAGE ARGS... : runs $EMAUTH check over both demo
# zones with the message on standard input.
ck() {
    what=$1
    in=$2
    shift 2
    steps=$((steps + 1))
    printf '\n# %s\n' "$what"
    printf '$ %s check --zone %s --zone %s --receiver mx.example.org %s < %s\n' "$EMAUTH" "$ZONE" "$DZONE" "$(quoted "$@")" "$in"
    # shellcheck disable=SC2086
    $WRAP "$EMAUTH" check --zone "$ZONE" --zone "$DZONE" --receiver mx.example.org "$@" <"$in"
    rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "demo: the command above failed (exit $rc)" >&2
        exit 1
    fi
}

ck "check: all pass: acme.example's own server (SPF pass), its signature (DKIM pass), both aligned" \
    "$EXDIR"/check-pass.eml --ip 192.0.2.100 --helo mail.acme.example --mail-from news@acme.example

ck "check: SPF fails (a mailing list forwards it), but the DKIM signature survives and aligns: dmarc=pass" \
    "$EXDIR"/check-forwarded.eml --ip 203.0.113.50 --helo lists.example.org --mail-from carol@acme.example

ck "check: DKIM fails (a footer added after signing), but SPF passes and aligns: dmarc=pass" \
    "$EXDIR"/check-footer.eml --ip 192.0.2.100 --helo mail.acme.example --mail-from dave@acme.example

ck "check: both fail (a forged sender, a replayed signature) under p=reject: the message is to be rejected" \
    "$EXDIR"/check-spoofed.eml --ip 203.0.113.66 --helo dyn-203-0-113-66.example \
    --mail-from billing@acme.example

printf '\ndemo: %d commands ran.\n' "$steps"
exit 0
