#!/bin/sh
# `emauth dmarc lint`: the DMARC checker over the demo zones. Golden text
# (the record, each problem with a caret under its tag, the summary) and
# JSON for good and broken records; each problem code the demo zone
# holds; RFC 7489 mode; exit codes 0 (no error), 1 (errors), 2 (usage);
# one run under valgrind.
. "$(dirname "$0")/common.inc"
DATA=data/check
EX=../examples
ZONES="--zone $EX/example.zone --zone $EX/dmarc.zone"

# lint NAME RC ARGS...: emauth dmarc lint over the demo zones; golden output.
lint() {
    _lname=$1 _lrc=$2
    shift 2
    # shellcheck disable=SC2086
    run "$_lname" "$_lrc" dmarc lint $ZONES "$@"
    golden "$_lname"
}

# Good records: exit 0.
lint lint_good 0 acme.example dmarc-lint.example
has lint_good.out "record: v=DMARC1; p=reject; rua=mailto:dmarc-reports@acme.example"
# A subdomain without its own record inherits the organizational domain's.
lint lint_inherited 0 www.dmarc-lint.example
has lint_inherited.out "inherited"
has lint_inherited.out "policy domain: dmarc-lint.example"
lint lint_monitor 0 monitor.dmarc-lint.example
has lint_monitor.out "info policy-none"
lint lint_authorized 0 authorized.dmarc-lint.example

# A record that does not start with v=DMARC1 is none: the parent's applies.
lint lint_order 0 order.dmarc-lint.example
has lint_order.out "policy domain: dmarc-lint.example"

# Warnings: still valid, exit 0; each with its code and a caret under the tag.
lint lint_removed 0 legacy.dmarc-lint.example
has lint_removed.out "warning removed-tag"
has lint_removed.out "^~~"
lint lint_missing_p 0 nop.dmarc-lint.example
has lint_missing_p.out "warning missing-p"
lint lint_external 0 external.dmarc-lint.example
has lint_external.out "warning rua-external-unauthorized"
lint lint_baduri 0 baduri.dmarc-lint.example
has lint_baduri.out "warning invalid-uri"
# example.com's record has pct= (removed by RFC 9989) ...
lint lint_example_com 0 example.com
has lint_example_com.out "removed-tag"
# ... which RFC 7489 mode accepts.
lint lint_example_com_7489 0 example.com --dmarc-mode 7489
[ "$(grep -c removed-tag "$OUT/lint_example_com_7489.out")" = 0 ] || fail "7489 mode: pct= flagged"

# Errors: exit 1.
lint lint_syntax 1 typo.dmarc-lint.example
has lint_syntax.out "error syntax"
lint lint_twice 1 twice.dmarc-lint.example
has lint_twice.out "error multiple-records"
lint lint_none 1 nothing.example
has lint_none.out "error no-record"

# Several domains: one report each; the exit status is the worst.
run lint_many 1 dmarc lint $ZONES acme.example nothing.example legacy.dmarc-lint.example
has lint_many.out "DMARC lint of acme.example"
has lint_many.out "DMARC lint of nothing.example"
has lint_many.out "DMARC lint of legacy.dmarc-lint.example"

# JSON: one object per domain per line.
lint lint_json 1 --json acme.example legacy.dmarc-lint.example external.dmarc-lint.example nothing.example
json_lines_ok lint_json.out
[ "$(wc -l <"$OUT/lint_json.out")" = 4 ] || fail "lint_json: four lines expected"
for key in domain policy_domain org_domain record valid problems code severity message term column; do
    has lint_json.out "\"$key\":"
done
has lint_json.out '{"domain":"acme.example","policy_domain":"acme.example","org_domain":"acme.example"'
has lint_json.out '"code":"removed-tag"'
has lint_json.out '"valid":false'
if command -v jq >/dev/null 2>&1; then
    [ "$(jq -r 'keys_unsorted|join(",")' "$OUT/lint_json.out" | sort -u)" = \
        "domain,policy_domain,org_domain,record,valid,problems" ] || fail "lint_json: fields"
    [ "$(jq -r '.problems[]|keys_unsorted|join(",")' "$OUT/lint_json.out" | sort -u)" = \
        "code,severity,message,domain,term,column" ] || fail "lint_json: problem fields"
fi

# ---- Usage: exit 2 ----
run no_domain 2 dmarc lint $ZONES
err_is no_domain "emauth: dmarc lint: a DOMAIN is required (see 'emauth dmarc lint --help')"
run bad_domain 2 dmarc lint $ZONES 'a b.example'
err_is bad_domain "emauth: dmarc lint: \"a b.example\" is not a domain name (see 'emauth dmarc lint --help')"
run bad_mode 2 dmarc lint $ZONES --dmarc-mode 9999 acme.example
err_is bad_mode "emauth: dmarc lint: --dmarc-mode is 9989 or 7489, not \"9999\" (see 'emauth dmarc lint --help')"
run bad_flag 2 dmarc lint $ZONES --frob acme.example
run zone_and_ns 2 dmarc lint $ZONES --nameserver 127.0.0.1 acme.example
run help 0 dmarc lint --help
for flag in --dmarc-mode --json --zone --nameserver; do
    has help.out "  $flag"
done

# ---- Memory ----
# shellcheck disable=SC2086
vg dmarc lint $ZONES acme.example legacy.dmarc-lint.example external.dmarc-lint.example nothing.example
# shellcheck disable=SC2086
vg dmarc lint $ZONES --json twice.dmarc-lint.example typo.dmarc-lint.example
exit 0
