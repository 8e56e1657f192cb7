#!/bin/sh
# `emauth spf authorizes`: --ip (check_host per domain) and --include (the
# include reachable through '+' includes and redirects), from arguments,
# --domains FILE and stdin, results in input order whatever the
# concurrency, text with its summary and JSON Lines against golden files,
# usage errors and exit codes.
. "$(dirname "$0")/common.inc"
DATA=data/lint
DEMO=../examples/example.zone
CODES=$DATA/codes.zone
DOMAINS=$DATA/domains.txt   # 10 domains, one of them not a domain name (line 11)

# ---- --ip ------------------------------------------------------------------------------
run ip_text 2 spf authorizes --zone "$DEMO" --ip 198.51.100.7 --domains "$DOMAINS"
golden ip_text
err_is ip_text "emauth: 1 domain could not be checked"
has ip_text.out "example.com: authorized (pass, mechanism include:_spf.mailer.example, 3 lookups)"
has ip_text.out "not a domain: error: line 11: not a domain name"
has ip_text.out "Summary: 10 domains"
run ip_json 2 spf authorizes --zone "$DEMO" --ip 198.51.100.7 --domains "$DOMAINS" --json
json_lines_ok ip_json.out
golden ip_json
[ "$(grep -c . "$OUT/ip_json.out")" = 10 ] || fail "ip_json: one line per domain"
has ip_json.out '{"domain":"example.com","authorized":true,"result":"pass","mechanism":"include:_spf.mailer.example","lookups":3,"path":null,"problem":null}'
has ip_json.out '{"domain":"not a domain","authorized":false,"result":null,"mechanism":null,"lookups":null,"path":null,"problem":"line 11: not a domain name"}'
has ip_json.out '{"domain":"mailer.example","authorized":true,'

# Arguments (all good: exit 0), and arguments before the file.
run ip_args 0 spf authorizes --zone "$DEMO" --ip 192.0.2.25 --json example.com example.org example.net
json_lines_ok ip_args.out
has ip_args.out '{"domain":"example.com","authorized":true,"result":"pass","mechanism":"mx",'
has ip_args.out '{"domain":"example.org","authorized":false,"result":"fail","mechanism":"-all",'
has ip_args.out '{"domain":"example.net","authorized":false,"result":"permerror","mechanism":null,'
run ip_both 2 spf authorizes --zone "$DEMO" --ip 198.51.100.7 --json --domains "$DOMAINS" example.org
sed -n 1p "$OUT/ip_both.out" | grep -q '^{"domain":"example.org",' || fail "arguments come first"
[ "$(grep -c . "$OUT/ip_both.out")" = 11 ] || fail "ip_both: arguments and file"

# Standard input, and the order kept at any concurrency.
"$EMAUTH" spf authorizes --zone "$DEMO" --ip 198.51.100.7 --json --domains - <"$DOMAINS" \
    >"$OUT/stdin.out" 2>/dev/null
[ $? = 2 ] || fail "stdin: exit status"
cmp -s "$OUT/stdin.out" "$OUT/ip_json.out" || fail "--domains - differs from --domains FILE"
run ip_c1 2 spf authorizes --zone "$DEMO" --ip 198.51.100.7 --json --domains "$DOMAINS" --concurrency 1
cmp -s "$OUT/ip_c1.out" "$OUT/ip_json.out" || fail "--concurrency 1 changes the output"
# Many domains: input order kept across the slot ring.
i=0
: >"$OUT/many.txt"
while [ $i -lt 300 ]; do
    printf 'example.com\nexample.org\nbusy.example\n' >>"$OUT/many.txt"
    i=$((i + 1))
done
run many 0 spf authorizes --zone "$DEMO" --ip 198.51.100.7 --json --domains "$OUT/many.txt" --concurrency 7
[ "$(grep -c . "$OUT/many.out")" = 900 ] || fail "many: one line per domain"
cut -d'"' -f4 "$OUT/many.out" | paste -d' ' - - - | sort -u >"$OUT/many.order"
[ "$(cat "$OUT/many.order")" = "example.com example.org busy.example" ] || fail "many: input order lost"

# ---- --include -------------------------------------------------------------------------
run inc_text 2 spf authorizes --zone "$DEMO" --include _spf.mailer.example --domains "$DOMAINS"
golden inc_text
run inc_json 2 spf authorizes --zone "$DEMO" --include _spf.mailer.example --domains "$DOMAINS" --json
json_lines_ok inc_json.out
golden inc_json
has inc_json.out '{"domain":"example.com","authorized":true,"result":null,"mechanism":"include:_spf.mailer.example","lookups":2,"path":["include:_spf.mailer.example"],"problem":null}'
has inc_json.out '{"domain":"busy.example","authorized":true,"result":null,"mechanism":"include:_spf.mailer.example","lookups":3,"path":["include:_spf.mailer.example"],"problem":"too-many-lookups: '
has inc_json.out '{"domain":"example.org","authorized":false,"result":null,"mechanism":null,"lookups":null,"path":null,"problem":null}'
has inc_json.out '{"domain":"example.net","authorized":false,"result":null,"mechanism":null,"lookups":null,"path":null,"problem":"multiple-records: '

# Deeper paths, redirect, a '~' include (not '+': not authorized); names in
# any case, with a trailing dot.
run inc_paths 0 spf authorizes --zone "$CODES" --include _V4.Provider.LINT.example. --json \
    healthy.lint.example moved.lint.example softly.lint.example leaf.lint.example
json_lines_ok inc_paths.out
golden inc_paths
has inc_paths.out '{"domain":"healthy.lint.example","authorized":true,"result":null,"mechanism":"include:_v4.provider.lint.example","lookups":3,"path":["include:_spf.provider.lint.example","include:_v4.provider.lint.example"],"problem":null}'
has inc_paths.out '{"domain":"moved.lint.example","authorized":true,"result":null,"mechanism":"include:_v4.provider.lint.example","lookups":4,"path":["redirect=healthy.lint.example","include:_spf.provider.lint.example","include:_v4.provider.lint.example"],"problem":null}'
has inc_paths.out '{"domain":"softly.lint.example","authorized":false,'
run inc_paths_text 0 spf authorizes --zone "$CODES" --include _v4.provider.lint.example \
    healthy.lint.example moved.lint.example softly.lint.example leaf.lint.example
golden inc_paths_text

# ---- --stats ---------------------------------------------------------------------------
run stats 0 spf authorizes --zone "$DEMO" --ip 192.0.2.25 example.com --stats
has stats.err "emauth: dns: "

# ---- On a terminal: colours, and the progress line on stderr (script(1) makes one) ----------
if command -v script >/dev/null 2>&1; then
    cmd="'$EMAUTH' spf authorizes --zone '$DEMO' --ip 192.0.2.25 example.com example.org"
    (unset NO_COLOR; script -qc "$cmd" /dev/null) >"$OUT/tty.out" 2>&1 </dev/null
    esc=$(printf '\033')
    grep -q "^example.com: ${esc}\[32mauthorized${esc}\[0m (pass" "$OUT/tty.out" || fail "no colour on a terminal"
    grep -q "2 checked, " "$OUT/tty.out" || fail "no progress line on a terminal"
    (NO_COLOR=1 script -qc "$cmd" /dev/null) >"$OUT/tty_nc.out" 2>&1 </dev/null
    grep -q "^example.org: not authorized (fail" "$OUT/tty_nc.out" || fail "colour despite NO_COLOR"
fi
# Not on a terminal: no progress line.
err_is inc_json "emauth: 1 domain could not be checked"

# ---- Usage errors ------------------------------------------------------------------------
U="(see 'emauth spf authorizes --help')"
run neither 2 spf authorizes --zone "$DEMO" example.com
err_is neither "emauth: spf authorizes: give one of --ip IP and --include NAME $U"
run both 2 spf authorizes --zone "$DEMO" --ip 192.0.2.1 --include x.example example.com
err_is both "emauth: spf authorizes: give one of --ip IP and --include NAME $U"
run bad_ip 2 spf authorizes --zone "$DEMO" --ip "$(printf '192.0.2.256\033')" example.com
err_is bad_ip "emauth: spf authorizes: --ip: bad IP address \"192.0.2.256\\x1b\" $U"
run bad_include 2 spf authorizes --zone "$DEMO" --include "a b" example.com
err_is bad_include "emauth: spf authorizes: --include: bad domain name \"a b\" $U"
run no_domains 2 spf authorizes --zone "$DEMO" --ip 192.0.2.1
err_is no_domains "emauth: spf authorizes: missing DOMAIN (or --domains FILE) $U"
run bad_conc 2 spf authorizes --zone "$DEMO" --ip 192.0.2.1 --concurrency 0 example.com
err_is bad_conc "emauth: spf authorizes: --concurrency takes a whole number from 1 to 100000, not \"0\" $U"
run bad_flag 2 spf authorizes --zone "$DEMO" --ip 192.0.2.1 --frob example.com
err_is bad_flag "emauth: spf authorizes: unknown option '--frob' $U"
run missing_file 2 spf authorizes --zone "$DEMO" --ip 192.0.2.1 --domains "$OUT/none.txt"
has missing_file.err "emauth: cannot open $OUT/none.txt: "
run bad_zone 2 spf authorizes --zone data/cli/bad.zone --ip 192.0.2.1 ok.example
has bad_zone.err "emauth: data/cli/bad.zone:4:"

run help 0 spf authorizes --help
for flag in --ip --include --domains --json --concurrency --stats --zone --nameserver; do
    has help.out "  $flag"
done

# ---- Memory -------------------------------------------------------------------------------
vg spf authorizes --zone "$DEMO" --ip 198.51.100.7 --domains "$DOMAINS"
vg spf authorizes --zone "$DEMO" --include _spf.mailer.example --domains "$DOMAINS" --json
exit 0
