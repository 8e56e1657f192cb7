#!/bin/sh
# `emauth check`: SPF, DKIM and DMARC on a whole message over the demo
# zones (examples/example.zone + examples/dmarc.zone) and the demo messages
# examples/check-*.eml: the four DMARC cases of the issue (all pass; SPF
# fails but DKIM aligns; DKIM fails but SPF aligns; both fail under
# p=reject) with their exact Authentication-Results and disposition; the
# HELO identity for a null sender; From problems (two From fields, none, a
# group: dmarc=permerror with the reason; an address inside a quoted
# display name is not the author); --json and its field shape; usage and
# input errors; one run under valgrind.
. "$(dirname "$0")/common.inc"
DATA=data/check
EX=../examples
ZONES="--zone $EX/example.zone --zone $EX/dmarc.zone"
RCV="--receiver mx.example.org"
ACME="--ip 192.0.2.100 --helo mail.acme.example"
LIST="--ip 203.0.113.50 --helo lists.example.org"
SPOOF="--ip 203.0.113.66 --helo dyn-203-0-113-66.example"

# check NAME MESSAGE ARGS...: emauth check over the demo zones; exit 0; golden output.
check() {
    _cname=$1 _cmsg=$2
    shift 2
    # shellcheck disable=SC2086
    run "$_cname" 0 check $ZONES $RCV "$@" <"$_cmsg"
    golden "$_cname"
}

# (a) all pass: acme.example's own server, signed.
check pass $EX/check-pass.eml $ACME --mail-from news@acme.example
has pass.out "spf=pass"
has pass.out "dkim=pass"
has pass.out "dmarc=pass"
has pass.out "disposition: none (dmarc=pass, policy from acme.example)"

# (b) SPF fails (a list server forwards), the DKIM signature aligns.
check forwarded $EX/check-forwarded.eml $LIST --mail-from carol@acme.example
has forwarded.out "spf=fail"
has forwarded.out "dkim=pass"
has forwarded.out "dmarc=pass"
has forwarded.out "disposition: none (dmarc=pass, policy from acme.example)"

# (c) DKIM fails (a footer added after signing), SPF aligns.
check footer $EX/check-footer.eml $ACME --mail-from dave@acme.example
has footer.out "spf=pass"
has footer.out "dkim=fail"
has footer.out "dmarc=pass"

# (d) both fail under p=reject: a forged message with a replayed signature.
check spoofed $EX/check-spoofed.eml $SPOOF --mail-from billing@acme.example
has spoofed.out "spf=fail"
has spoofed.out "dkim=fail"
has spoofed.out "dmarc=fail"
has spoofed.out "disposition: reject (dmarc=fail, policy from acme.example)"

# A null sender: SPF checks the HELO name (mail.acme.example: v=spf1 a -all),
# which aligns with acme.example in relaxed mode.
check null_sender $EX/check-footer.eml $ACME --mail-from ''
has null_sender.out "smtp.helo=mail.acme.example"
has null_sender.out "dmarc=pass"

# RFC 7489 mode gives the same verdicts here.
check spoofed_7489 $EX/check-spoofed.eml $SPOOF --mail-from billing@acme.example --dmarc-mode 7489
has spoofed_7489.out "disposition: reject (dmarc=fail, policy from acme.example)"

# --now: t= of the demo signatures is 2026-01-06; a clock before it makes
# the signature "in the future" (policy), and DMARC then rests on SPF.
check now_early $EX/check-forwarded.eml $LIST --mail-from carol@acme.example --now 1700000000
has now_early.out "dmarc=fail"

# ---- From problems: never a silent pass ----
check two_from $DATA/two-from.eml $ACME --mail-from news@acme.example
has two_from.out "dmarc=permerror"
check no_from $DATA/no-from.eml $ACME --mail-from news@acme.example
has no_from.out "dmarc=permerror"
check group_from $DATA/group-from.eml $ACME --mail-from news@acme.example
has group_from.out "dmarc=permerror"
# The "<...>" in a quoted display name is not the address (OpenDMARC#243).
check quoted_from $DATA/quoted-from.eml $SPOOF --mail-from mallory@attacker.example
has quoted_from.out "header.from=attacker.example"

# ---- JSON ----
check pass_json $EX/check-pass.eml $ACME --mail-from news@acme.example --json
json_lines_ok pass_json.out
[ "$(wc -l <"$OUT/pass_json.out")" = 1 ] || fail "pass_json: one line expected"
for key in authentication_results disposition spf dkim dmarc; do
    has pass_json.out "\"$key\":"
done
# spf: the fields of `spf check --json`; dkim: those of `dkim verify --json`.
for key in ip mail_from helo identity domain result mechanism explanation problem \
    dns_lookups void_lookups mechanism_domain mechanism_column error; do
    has pass_json.out "\"$key\":"
done
for key in selector algorithm reason header_canon body_canon body_length_limited identity \
    key_bits testing content_after_limit; do
    has pass_json.out "\"$key\":"
done
for key in result policy reason from_domain policy_domain org_domain spf_aligned dkim_aligned \
    dkim_aligned_domain testing; do
    has pass_json.out "\"$key\":"
done
has pass_json.out '"disposition":"none"'
has pass_json.out '"dkim_aligned_domain":"acme.example"'
if command -v jq >/dev/null 2>&1; then
    [ "$(jq -r '[.spf|keys_unsorted[]]|join(",")' "$OUT/pass_json.out")" = \
        "ip,mail_from,helo,identity,domain,result,mechanism,explanation,problem,dns_lookups,void_lookups,mechanism_domain,mechanism_column,error" ] ||
        fail "pass_json: spf fields differ from spf check --json"
    [ "$(jq -r '.dmarc|keys_unsorted|join(",")' "$OUT/pass_json.out")" = \
        "result,policy,reason,from_domain,policy_domain,org_domain,spf_aligned,dkim_aligned,dkim_aligned_domain,testing" ] ||
        fail "pass_json: dmarc fields"
    [ "$(jq -r '.dkim|length' "$OUT/pass_json.out")" = 1 ] || fail "pass_json: one dkim entry"
fi
check spoofed_json $EX/check-spoofed.eml $SPOOF --mail-from billing@acme.example --json
json_lines_ok spoofed_json.out
has spoofed_json.out '"disposition":"reject"'
# No signature: dkim is the one "none" object of dkim verify --json.
check two_from_json $DATA/two-from.eml $ACME --mail-from news@acme.example --json
json_lines_ok two_from_json.out
has two_from_json.out '"dkim":[{"domain":null'
has two_from_json.out '"result":"permerror"'

# ---- Usage and input errors: exit 2 ----
run no_ip 2 check $ZONES --helo x.example </dev/null
err_is no_ip "emauth: check: --ip IP is required (see 'emauth check --help')"
run no_helo 2 check $ZONES --ip 192.0.2.1 </dev/null
err_is no_helo "emauth: check: --helo NAME is required (see 'emauth check --help')"
run bad_ip 2 check $ZONES --ip 192.0.2.300 --helo x.example </dev/null
err_is bad_ip "emauth: check: bad IP address \"192.0.2.300\" (see 'emauth check --help')"
run bad_mode 2 check $ZONES $ACME --dmarc-mode 2026 </dev/null
err_is bad_mode "emauth: check: --dmarc-mode is 9989 or 7489, not \"2026\" (see 'emauth check --help')"
run bad_now 2 check $ZONES $ACME --now yesterday </dev/null
has bad_now.err "--now takes a whole number"
run zone_and_ns 2 check $ZONES --nameserver 127.0.0.1 $ACME </dev/null
has zone_and_ns.err "exclude each other"
run bad_flag 2 check $ZONES $ACME --frob </dev/null
err_is bad_flag "emauth: check: unknown option '--frob' (see 'emauth check --help')"
run no_zone 2 check --zone $DATA/missing.zone $ACME <$EX/check-pass.eml
run malformed 2 check $ZONES $ACME <$DATA/malformed.eml
has malformed.err "standard input: line 2"
[ ! -s "$OUT/malformed.out" ] || fail "malformed: output on an input error"

# ---- Help ----
run help 0 check --help
for flag in --ip --helo --mail-from --receiver --dmarc-mode --now --json --zone --nameserver; do
    has help.out "  $flag"
done
run help2 0 help check
cmp -s "$OUT/help.out" "$OUT/help2.out" || fail "'help check' differs from 'check --help'"
run top_help 0 --help
has top_help.out "  check "
has top_help.out "  dmarc lint"

# ---- Memory ----
# shellcheck disable=SC2086
vg check $ZONES $RCV $ACME --mail-from news@acme.example --json <$EX/check-pass.eml
# shellcheck disable=SC2086
vg check $ZONES $RCV $SPOOF --mail-from billing@acme.example <$EX/check-spoofed.eml
# shellcheck disable=SC2086
vg check $ZONES $RCV $ACME --mail-from news@acme.example <$DATA/two-from.eml
exit 0
