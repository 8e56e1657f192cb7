#!/bin/sh
# `emauth audit`: one report per domain over the demo zones. Golden text
# (the summary with the lines to publish, then the details) and JSON for
# the demo domains: a good one (acme.example), one with a removed DMARC tag
# (example.com), several SPF records (example.net), an SPF syntax error
# (shop.example.net), too many lookups (busy.example), no DMARC record;
# --ip and --include, authorized or not; --domains FILE; usage errors;
# one run under valgrind.
. "$(dirname "$0")/common.inc"
DATA=data/audit
EX=../examples
ZONES="--zone $EX/example.zone --zone $EX/dmarc.zone"

# audit NAME RC ARGS...: emauth audit over the demo zones; golden output.
audit() {
    _aname=$1 _arc=$2
    shift 2
    # shellcheck disable=SC2086
    run "$_aname" "$_arc" audit $ZONES "$@"
    golden "$_aname"
}

# A domain with nothing wrong: exit 0, no "publish:" block.
audit good 0 acme.example --selector demo2026
has good.out "acme.example: no problems"
grep -q '^publish:' "$OUT/good.out" && fail "good: unexpected publish block"
# A warning only (pct= removed by RFC 9989): still exit 0.
audit example_com 0 example.com --selector cc
has example_com.out "DMARC: removed-tag (warning)"
# In RFC 7489 mode pct= is a tag of the protocol, not a removed one.
# shellcheck disable=SC2086
run example_com_7489 0 audit $ZONES --dmarc-mode 7489 example.com --selector cc
has example_com_7489.out "example.com: no problems"
run bad_mode 2 audit $ZONES --dmarc-mode 8 example.com
has bad_mode.err "--dmarc-mode is 9989 or 7489"

# Several SPF records: merged into one; no DMARC record: the p=none start.
audit example_net 1 example.net
has example_net.out "SPF: multiple-records (error)"
has example_net.out 'example.net. 3600 IN TXT "v=spf1 mx include:_spf.mailer.example -all"'
has example_net.out '_dmarc.example.net. 3600 IN TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.net"'
has example_net.out "starts at p=none to collect reports"
# A syntax error: no automatic fix, the term and its column.
audit shop 1 shop.example.net
has shop.out 'correct "ipv4:192.0.2.41" at column 11'
# Over the lookup limit: the flattened record.
audit busy 1 busy.example
has busy.out "SPF: too-many-lookups (error)"
has busy.out 'busy.example. 3600 IN TXT "v=spf1 ip4:192.0.2.120/31'
# No SPF record, no DMARC: starting records (mx: the domain has MX records).
audit legacy 1 legacy.example.com
has legacy.out 'legacy.example.com. 3600 IN TXT "v=spf1 mx ~all"'
# DKIM: a missing key record is an error; a present one is checked.
audit dkim 1 acme.example --selector demo2026 --selector gone
has dkim.out "DKIM gone: no-record (error)"

# --ip and --include: authorized, reached (cost shown) ...
audit ip_ok 0 example.com --ip 198.51.100.7 --include _spf.mailer.example
has ip_ok.out "198.51.100.7: pass"
has ip_ok.out "include:_spf.mailer.example: reached at lookup 2, costs 2 lookups"
# ... or not: one record with both terms added is the fix.
audit ip_no 1 acme.example --ip 203.0.113.7 --include _spf.mailer.example
has ip_no.out 'acme.example. 3600 IN TXT "v=spf1 ip4:192.0.2.100 ip4:203.0.113.7 include:_spf.mailer.example -all"'
has ip_no.out '; SPF include-not-reached: include:_spf.mailer.example is in the ip-not-authorized fix above'
# ... and when the pair would pass 10 lookups, each term is tried alone.
run fallback 1 audit $ZONES --zone data/audit/fallback.zone fallback.example \
    --ip 203.0.113.9 --include _spf.mailer.example
has fallback.out '; SPF ip-not-authorized: the record with ip4:203.0.113.9 added, 9 DNS lookups (emauth spf add)'
has fallback.out 'a:h9.fallback.example ip4:203.0.113.9 -all"'
has fallback.out '; SPF include-not-reached: no record adds include:_spf.mailer.example: too-many-lookups'
# The editor cannot add to several records: it says why.
audit ip_refused 1 example.net --ip 192.0.2.40
has ip_refused.out "ip-not-authorized: no record adds ip4:192.0.2.40: multiple-records"

# JSON: one object per domain per line, in input order.
audit json 1 --json acme.example example.com example.net shop.example.net busy.example \
    --selector demo2026 --ip 192.0.2.100 --include _spf.mailer.example
json_lines_ok json.out
[ "$(wc -l <"$OUT/json.out")" = 5 ] || fail "json: 5 lines expected"
has json.out '{"domain":"acme.example","mx":[{"preference":10,"exchange":"mail.acme.example"}],"spf":{"valid":true'
has json.out '"fixes":[{"area":"spf","code":"multiple-records","zone_lines":["example.net. 3600 IN TXT'
has json.out '"note":"no automatic fix: correct \"ipv4:192.0.2.41\" at column 11 of the record at shop.example.net"'

# --domains FILE: the file's domains after those given, comments skipped.
printf '# demo\nexample.com\n\n  busy.example  # over the limit\n' >"$OUT/list"
audit_list() {
    # shellcheck disable=SC2086
    run domains 1 audit $ZONES --json acme.example --domains "$OUT/list"
}
audit_list
[ "$(sed -n 's/^{"domain":"\([^"]*\)".*/\1/p' "$OUT/domains.out" | tr '\n' ' ')" = \
    "acme.example example.com busy.example " ] || fail "domains: not in input order"

# --domains on the async engine: 200 generated domains in a zone, reports in
# input order (the file lists them backwards), the same at any --concurrency;
# --stats prints the DNS counters.
i=1
: >"$OUT/many.zone"
: >"$OUT/many.list"
while [ $i -le 200 ]; do
    printf 'd%s.many.example. 300 IN MX 10 mx.many.example.\n' $i >>"$OUT/many.zone"
    printf 'd%s.many.example. 300 IN TXT "v=spf1 ip4:192.0.2.%s -all"\n' $i $((i % 250)) \
        >>"$OUT/many.zone"
    printf '_dmarc.d%s.many.example. 300 IN TXT "v=DMARC1; p=reject"\n' $i >>"$OUT/many.zone"
    printf 'k._domainkey.d%s.many.example. 300 IN TXT "v=DKIM1; p="\n' $i >>"$OUT/many.zone"
    printf 'd%s.many.example\n' $((201 - i)) >>"$OUT/many.list"
    i=$((i + 1))
done
run many_1 1 audit --zone "$OUT/many.zone" --json --selector k --ip 192.0.2.7 \
    --concurrency 1 --domains "$OUT/many.list"
run many_50 1 audit --zone "$OUT/many.zone" --json --selector k --ip 192.0.2.7 \
    --concurrency 50 --domains "$OUT/many.list" --stats
json_lines_ok many_50.out
[ "$(wc -l <"$OUT/many_50.out")" = 200 ] || fail "many: 200 lines expected"
sed -n 's/^{"domain":"\([^"]*\)".*/\1/p' "$OUT/many_50.out" | diff "$OUT/many.list" - >&2 ||
    fail "many: not in input order"
cmp -s "$OUT/many_1.out" "$OUT/many_50.out" || fail "many: --concurrency 1 and 50 differ"
has many_50.err "dns: "
has many_50.err "questions"
has many_50.err "dns: latency p50"
run many_text 0 audit --zone "$OUT/many.zone" --concurrency 7 --domains "$OUT/many.list"
run u_conc 2 audit example.com --concurrency 0
has u_conc.err "concurrency"

# Usage errors: exit 2.
run u_none 2 audit
err_is u_none "emauth: audit: a DOMAIN or --domains FILE is required (see 'emauth audit --help')"
run u_ip 2 audit example.com --ip 1.2.3
err_is u_ip "emauth: audit: --ip: not an IP address: \"1.2.3\" (see 'emauth audit --help')"
run u_dom 2 audit "bad domain"
has u_dom.err "not a domain name"
run u_sel 2 audit example.com --selector "a b"
has u_sel.err "--selector: not a selector"
run u_inc 2 audit example.com --include ""
has u_inc.err "--include: not a domain name"
run u_opt 2 audit example.com --frobnicate
run u_file 2 audit --zone $EX/example.zone --domains "$OUT/missing"
has u_file.err "cannot open"
run help 0 audit --help
has help.out "Usage: emauth audit DOMAIN..."

# shellcheck disable=SC2086
vg audit $ZONES example.net busy.example shop.example.net acme.example --selector demo2026 \
    --selector gone --ip 203.0.113.7 --include _spf.crm.example
# shellcheck disable=SC2086
vg audit --zone "$OUT/many.zone" --concurrency 3 --selector k --ip 192.0.2.7 \
    --domains "$OUT/many.list"
exit 0
