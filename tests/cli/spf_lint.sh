#!/bin/sh
# `emauth spf lint`: the broken demo domains of examples/example.zone, a
# whole zone, every problem code on a record that triggers it and one that
# must not, --record, text and JSON against golden files, hostile bytes,
# colour, usage errors and exit codes.
. "$(dirname "$0")/common.inc"
DATA=data/lint
DEMO=../examples/example.zone
CODES=$DATA/codes.zone

# lint NAME ARGS...: runs `spf lint ARGS`; exit 1 exactly when a report has an error.
lint() {
    _lint=$1
    shift
    "$EMAUTH" spf lint "$@" >"$OUT/$_lint.out" 2>"$OUT/$_lint.err"
    _rc=$?
    [ ! -s "$OUT/$_lint.err" ] || fail "$_lint: unexpected standard error: $(cat "$OUT/$_lint.err")"
    case $_rc in
    0) ! grep -q '"valid":false\|: [0-9]* errors\?, ' "$OUT/$_lint.out" ||
        fail "$_lint: exit 0 with errors" ;;
    1) grep -q '"valid":false\|: [0-9]* errors\?, ' "$OUT/$_lint.out" ||
        fail "$_lint: exit 1 without errors" ;;
    *) fail "$_lint: exit status $_rc: emauth spf lint $*" ;;
    esac
}

# codes NAME: the problem codes of a JSON report, one per line, sorted.
codes() {
    if command -v jq >/dev/null 2>&1; then
        jq -r '.problems[].code' "$OUT/$1.out" | sort -u
    else
        grep -o '"code":"[a-z0-9-]*"' "$OUT/$1.out" | cut -d'"' -f4 | sort -u
    fi
}

# ---- The demo world --------------------------------------------------------------
# Each broken demo domain with its code (see the comments in the zone), and
# two healthy ones; text and JSON against golden files.
DEMO_CASES='example.net|1|multiple-records
shop.example.net|1|syntax
busy.example|1|too-many-lookups
legacy.example.com|1|no-record
example.com|0|
example.org|0|'
echo "$DEMO_CASES" | while IFS='|' read -r domain rc code; do
    run "demo_$domain" "$rc" spf lint --zone "$DEMO" "$domain"
    golden "demo_$domain"
    run "demo_json_$domain" "$rc" spf lint --zone "$DEMO" "$domain" --json
    json_lines_ok "demo_json_$domain.out"
    golden "demo_json_$domain"
    [ -z "$code" ] || has "demo_json_$domain.out" "\"code\":\"$code\""
    [ -z "$code" ] || has "demo_$domain.out" "error $code: "
done || exit 1
has demo_busy.example.out "11 DNS lookups (limit 10), 0 void lookups (limit 2): "
has demo_example.com.out "4 DNS lookups (limit 10), 0 void lookups (limit 2): valid"
has demo_example.com.out "\`-- include:_spf.mailer.example  2 lookups, total 4"
has demo_shop.example.net.out "                            ^~~~~~~~~~~~~~~"

# The whole zone: every name with an SPF-looking record, one report after
# the other (JSON Lines), exit 1 because some have errors.
run zone 1 spf lint --zone "$DEMO"
golden zone
has zone.out "zone: 18 domains with SPF records, "
run zone_json 1 spf lint --zone "$DEMO" --json
json_lines_ok zone_json.out
golden zone_json
[ "$(grep -c . "$OUT/zone_json.out")" = 18 ] || fail "zone_json: one line per domain"
for domain in example.net shop.example.net busy.example example.com; do
    has zone_json.out "{\"domain\":\"$domain\","
done
# legacy.example.com publishes nothing SPF-like: not in the zone-wide run.
! grep -q '"domain":"legacy.example.com"' "$OUT/zone_json.out" || fail "zone_json: legacy.example.com"

# Several domains on the command line: the same reports, in that order.
run several 1 spf lint --zone "$DEMO" --json example.net example.com
sed -n 1p "$DATA/demo_json_example.net.out" >"$OUT/several.want"
sed -n 1p "$DATA/demo_json_example.com.out" >>"$OUT/several.want"
cmp -s "$OUT/several.want" "$OUT/several.out" || fail "several domains: not the single reports in order"

# ---- Every problem code: a record that triggers it, one that must not --------------
CODE_LIST='no-record multiple-records syntax bad-version spf-rr-type answer-too-large
too-many-lookups void-lookups mx-too-many tree-cut include-loop include-no-record
include-permerror permissive-all no-all all-not-last redirect-ignored duplicate-term
redundant-ip ip-host-bits ptr-deprecated unknown-modifier exp-problem dynamic-term dns-error'
for code in $CODE_LIST; do
    lint "bad_$code" --zone "$CODES" --json "$code.bad.lint.example"
    codes "bad_$code" | grep -qx -- "$code" || fail "$code.bad.lint.example: no $code ($(codes "bad_$code" | tr '\n' ' '))"
    lint "ok_$code" --zone "$CODES" --json "$code.ok.lint.example"
    ! codes "ok_$code" | grep -qx -- "$code" || fail "$code.ok.lint.example: $code"
done
lint permissive_neutral --zone "$CODES" --json permissive-neutral.bad.lint.example
has permissive_neutral.out '"code":"permissive-all"'

# string-too-long: only a given record can hold a string over 255 bytes.
long="v=spf1"
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do long="$long ip4:198.51.100.$i"; done
lint string_long --zone "$CODES" --json --record "$long -all" --domain long.lint.example
has string_long.out '"code":"string-too-long"'
lint string_short --zone "$CODES" --json --record "v=spf1 ip4:198.51.100.1 -all" --domain short.lint.example
! grep -q '"code":"string-too-long"' "$OUT/string_short.out" || fail "string-too-long on a short record"

# One golden file per family of codes, text and JSON.
FAMILIES='record|no-record multiple-records syntax bad-version spf-rr-type answer-too-large
limits|too-many-lookups void-lookups mx-too-many
includes|include-loop include-no-record include-permerror dns-error
all|permissive-all permissive-neutral no-all all-not-last redirect-ignored
terms|duplicate-term redundant-ip ip-host-bits ptr-deprecated unknown-modifier exp-problem dynamic-term'
echo "$FAMILIES" | while IFS='|' read -r family list; do
    domains=""
    for code in $list; do domains="$domains $code.bad.lint.example"; done
    # shellcheck disable=SC2086
    lint "family_$family" --zone "$CODES" $domains
    golden "family_$family"
    # shellcheck disable=SC2086
    lint "family_json_$family" --zone "$CODES" --json $domains
    json_lines_ok "family_json_$family.out"
    golden "family_json_$family"
done || exit 1

# ---- --record ---------------------------------------------------------------------------
run record 1 spf lint --zone "$CODES" --record "v=spf1 ip4:198.51.100.1/24 ip4:198.51.100.7 include:nospf.lint.example +all"
golden record
has record.out "SPF lint of the given record"
run record_json 1 spf lint --zone "$CODES" --json --record "v=spf1 ip4:198.51.100.1/24 ip4:198.51.100.7 include:nospf.lint.example +all"
json_lines_ok record_json.out
has record_json.out '{"domain":null,"record":"v=spf1 ip4:198.51.100.1/24 ip4:198.51.100.7 include:nospf.lint.example +all","valid":false,'
# As if published at a domain: includes are followed through the zone.
run record_at 0 spf lint --zone "$CODES" --record "v=spf1 mx include:healthy.lint.example -all" \
    --domain mx-too-many.ok.lint.example
golden record_at
run record_at_json 0 spf lint --zone "$CODES" --json --domain mx-too-many.ok.lint.example \
    --record "v=spf1 mx include:healthy.lint.example -all"
json_lines_ok record_at_json.out
golden record_at_json
has record_at_json.out '{"domain":"mx-too-many.ok.lint.example","record":"v=spf1 mx include:healthy.lint.example -all","valid":true,'

# ---- Hostile bytes --------------------------------------------------------------------
run escape 1 spf lint --zone "$CODES" escape.lint.example invalid-utf8.lint.example utf8.lint.example
golden escape
run escape_json 1 spf lint --zone "$CODES" --json escape.lint.example invalid-utf8.lint.example \
    utf8.lint.example
json_lines_ok escape_json.out
golden escape_json
has escape.out 'v=spf1 \x1b[31mred -all'
has escape_json.out '"record":"v=spf1 \u001b[31mred -all"'
has escape_json.out '"record":"v=spf1 a:\ufffd\ufffd.lint.example'
for f in escape escape_json; do
    if LC_ALL=C tr -d '\n\040-\176\200-\377' <"$OUT/$f.out" | grep -q .; then
        fail "$f: control bytes in the output"
    fi
done

# ---- Colour only on a terminal, never with NO_COLOR ------------------------------------------
if command -v script >/dev/null 2>&1; then
    cmd="'$EMAUTH' spf lint --zone '$DEMO' shop.example.net"
    (unset NO_COLOR; script -qc "$cmd" /dev/null) >"$OUT/tty.out" 2>&1 </dev/null
    esc=$(printf '\033')
    grep -q "^${esc}\[31merror${esc}\[0m syntax: " "$OUT/tty.out" || fail "no colour on a terminal"
    grep -q "${esc}\[31m^~~~" "$OUT/tty.out" || fail "no coloured caret on a terminal"
    (NO_COLOR=1 script -qc "$cmd" /dev/null) >"$OUT/tty_nc.out" 2>&1 </dev/null
    grep -q "^error syntax: " "$OUT/tty_nc.out" || fail "colour despite NO_COLOR"
fi

# ---- Usage errors: exit 2 and one clear line -------------------------------------------
run no_domain 2 spf lint
err_is no_domain "emauth: spf lint: missing DOMAIN (or --record, or --zone to lint a whole zone) (see 'emauth spf lint --help')"
run both 2 spf lint --zone "$DEMO" --record "v=spf1 -all" example.com
err_is both "emauth: spf lint: give DOMAIN or --record, not both (see 'emauth spf lint --help')"
run domain_alone 2 spf lint --zone "$DEMO" --domain example.com
err_is domain_alone "emauth: spf lint: --domain goes with --record (give DOMAIN alone otherwise) (see 'emauth spf lint --help')"
run bad_flag 2 spf lint --zone "$DEMO" --frob example.com
err_is bad_flag "emauth: spf lint: unknown option '--frob' (see 'emauth spf lint --help')"
run no_value 2 spf lint example.com --record
err_is no_value "emauth: spf lint: option --record needs a value (see 'emauth spf lint --help')"
run zone_and_ns 2 spf lint --zone "$DEMO" --nameserver 192.0.2.53 example.com
err_is zone_and_ns "emauth: spf lint: --zone and --nameserver exclude each other (see 'emauth spf lint --help')"
run bad_name 2 spf lint --zone "$DEMO" "$(printf 'exa mple\033.com')"
err_is bad_name "emauth: spf lint: not a domain name: \"exa mple\\x1b.com\" (see 'emauth spf lint --help')"
run bad_domain 2 spf lint --zone "$DEMO" --record "v=spf1 -all" --domain a@b.example
err_is bad_domain "emauth: spf lint: --domain: not a domain name: \"a@b.example\" (see 'emauth spf lint --help')"
run bad_zone 2 spf lint --zone data/cli/bad.zone ok.example
has bad_zone.err "emauth: data/cli/bad.zone:4:"
run missing_zone 2 spf lint --zone "$OUT/none.zone" example.com
has missing_zone.err "emauth: "
[ ! -s "$OUT/missing_zone.out" ] || fail "missing_zone: output on stdout"
# "--" ends the options; DOMAIN may come before them.
run dashdash 0 spf lint --zone "$DEMO" --json -- example.com
cmp -s "$OUT/dashdash.out" "$DATA/demo_json_example.com.out" || fail "-- DOMAIN"
run domain_first 0 spf lint example.com --json --zone "$DEMO"
cmp -s "$OUT/domain_first.out" "$DATA/demo_json_example.com.out" || fail "DOMAIN before the options"

# The help documents every flag and the output.
run help 0 spf lint --help
for flag in --record --domain --json --zone --nameserver; do
    has help.out "  $flag"
done
has help.out 'dns_lookups, void_lookups'

# ---- Memory -------------------------------------------------------------------------------
vg spf lint --zone "$DEMO"
vg spf lint --zone "$CODES" --json tree-cut.bad.lint.example include-loop.bad.lint.example escape.lint.example
vg spf lint --zone "$CODES" --record "$long -all"
exit 0
