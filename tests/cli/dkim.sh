#!/bin/sh
# `emauth dkim sign|verify|keygen|lint`: sign -> verify round trips through
# the CLI over a zone holding the published keys (RSA, traditional RSA PEM,
# Ed25519, every canonicalization, dual signatures, l=), the message passed
# through byte for byte with the input's line ends, folding at 78 columns,
# golden output for fixed t=; verify results for each key-record state;
# keygen (mode 0600, no overwrite, a published key that verifies); lint and
# its exit codes; usage errors; one run of each command under valgrind.
. "$(dirname "$0")/common.inc"
DATA=data/dkim-cli
DZ=$DATA/dkim.zone
MSG=$DATA/message.eml
CR=$(printf '\r')

# field_lines FILE: how many lines the DKIM-Signature fields at its top take.
field_lines() {
    awk '/^DKIM-Signature:/ || /^ / { n++; next } { exit } END { print n + 0 }' "$1"
}

# same_message SIGNED ORIGINAL: after the fields, SIGNED is ORIGINAL byte for byte.
same_message() {
    _n=$(field_lines "$1")
    [ "$_n" -gt 0 ] || fail "$1: no DKIM-Signature field at the top"
    tail -n +"$((_n + 1))" "$1" | cmp -s - "$2" || fail "$1: the message after the fields differs from $2"
}

# folded SIGNED: the field lines are at most 78 columns before the line end.
folded() {
    _n=$(field_lines "$1")
    head -n "$_n" "$1" | tr -d '\r' | awk -v f="$1" 'length($0) > 78 { print f ": " length($0) " columns: " $0; bad = 1 } END { exit bad }' >&2 ||
        fail "$1: a field line over 78 columns"
}

# tag_of FILE TAG: the value of TAG in the first DKIM-Signature field of FILE, unfolded, no blanks.
tag_of() {
    awk '/^DKIM-Signature:/ { n++ } n == 1 && (/^DKIM-Signature:/ || /^ /) { printf "%s", $0 } n > 1 || !/^(DKIM-Signature:| )/ { exit }' "$1" |
        tr -d ' \t\r' | tr ';' '\n' | sed -n "s/^$2=//p"
}

# line_ends SIGNED crlf|lf: every field line ends so.
line_ends() {
    _n=$(field_lines "$OUT/$1")
    _with_cr=$(head -n "$_n" "$OUT/$1" | grep -c "$CR\$")
    if [ "$2" = crlf ]; then
        [ "$_with_cr" = "$_n" ] || fail "$1: $_with_cr of $_n field lines end in CRLF"
    else
        [ "$_with_cr" = 0 ] || fail "$1: $_with_cr field lines end in CRLF, input was LF"
    fi
}

# verify_is NAME SIGNED-FILE EXPECTED...: `dkim verify` prints exactly these lines (prefixes up to ": ").
verify_is() {
    _vname=$1 _vin=$2
    shift 2
    run "$_vname" 0 dkim verify --zone "$DZ" <"$_vin"
    [ "$(wc -l <"$OUT/$_vname.out")" = "$#" ] || {
        cat "$OUT/$_vname.out" >&2
        fail "$_vname: $# lines expected"
    }
    _i=0
    for _want; do
        _i=$((_i + 1))
        sed -n "${_i}p" "$OUT/$_vname.out" | grep -qF -- "$_want" || {
            cat "$OUT/$_vname.out" >&2
            fail "$_vname: line $_i lacks: $_want"
        }
    done
}

# The message with CRLF line ends.
sed "s/\$/$CR/" "$MSG" >"$OUT/message-crlf.eml"

# ---- Round trips ------------------------------------------------------------------
for spec in rsa:rsa.pem:rsa-sha256 rsa:rsa-trad.pem:rsa-sha256 ed:ed.pem:ed25519-sha256; do
    sel=${spec%%:*}
    rest=${spec#*:}
    key=${rest%%:*}
    alg=${rest#*:}
    for canon in relaxed/relaxed simple/simple relaxed/simple simple/relaxed; do
        for input in message.eml message-crlf.eml; do
            case $input in message.eml) in=$MSG ends=lf ;; *) in=$OUT/$input ends=crlf ;; esac
            name=rt_${sel}_${key%.pem}_$(echo "$canon" | tr / _)_$ends
            run "$name" 0 dkim sign --key "$DATA/$key" --domain example.com --selector "$sel" \
                --canon "$canon" <"$in"
            same_message "$OUT/$name.out" "$in"
            folded "$OUT/$name.out"
            line_ends "$name.out" "$ends"
            has "$name.out" "c=$canon;"
            has "$name.out" "a=$alg;"
            verify_is "v_$name" "$OUT/$name.out" "pass d=example.com s=$sel a=$alg: "
        done
    done
done

# --algorithm given, matching the key; --canon H alone is H/simple (as c= reads it)
run alg_given 0 dkim sign --key "$DATA/ed.pem" --domain example.com --selector ed \
    --algorithm ed25519-sha256 --canon relaxed <"$MSG"
has alg_given.out "c=relaxed/simple;"
verify_is v_alg_given "$OUT/alg_given.out" "pass d=example.com s=ed a=ed25519-sha256: "

# Dual signatures: RSA then Ed25519, one --domain for both.
run dual 0 dkim sign --key "$DATA/rsa.pem" --selector rsa --key "$DATA/ed.pem" --selector ed \
    --domain example.com <"$MSG"
same_message "$OUT/dual.out" "$MSG"
folded "$OUT/dual.out"
[ "$(grep -c '^DKIM-Signature:' "$OUT/dual.out")" = 2 ] || fail "dual: two fields expected"
verify_is v_dual "$OUT/dual.out" "pass d=example.com s=rsa a=rsa-sha256: " \
    "pass d=example.com s=ed a=ed25519-sha256: "
run v_dual_json 0 dkim verify --zone "$DZ" --json <"$OUT/dual.out"
json_lines_ok v_dual_json.out
has v_dual_json.out '{"domain":"example.com","selector":"rsa","algorithm":"rsa-sha256","result":"pass","reason":"'
has v_dual_json.out '","header_canon":"relaxed","body_canon":"relaxed","body_length_limited":false,"identity":"@example.com","key_bits":2048,"testing":false,"content_after_limit":false}'
has v_dual_json.out '"selector":"ed","algorithm":"ed25519-sha256","result":"pass"'
has v_dual_json.out '"key_bits":256,'

# The default h=: the listed fields present, each instance, From once more.
h=$(tag_of "$OUT/dual.out" h)
[ "$h" = from:from:subject:date:to:cc:list-unsubscribe:message-id:mime-version:content-type ] ||
    fail "dual: h=$h"

# ---- Golden output: fixed t=, deterministic signatures -----------------------------------
run sign_golden 0 dkim sign --key "$DATA/rsa.pem" --key "$DATA/ed.pem" --domain example.com \
    --selector rsa --selector ed --timestamp 1700000000 <"$MSG"
golden sign_golden
run sign_golden_tags 0 dkim sign --key "$DATA/ed.pem" --domain example.com --selector ed \
    --timestamp 1700000000 --expire 86400 --identity alice@mail.example.com --body-length \
    --headers From:To:Subject:X-Mailer --canon simple/relaxed <"$OUT/message-crlf.eml"
golden sign_golden_tags
verify_is v_golden "$DATA/sign_golden.out" "pass d=example.com s=rsa a=rsa-sha256: " \
    "pass d=example.com s=ed a=ed25519-sha256: "
run v_golden_text 0 dkim verify --zone "$DZ" <"$DATA/sign_golden.out"
golden v_golden_text
# x= = t= + 86400: expired now, a pass at a time inside it
run v_expired 0 dkim verify --zone "$DZ" --json <"$DATA/sign_golden_tags.out"
has v_expired.out '"result":"policy"'
run v_in_time 0 dkim verify --zone "$DZ" --json --now 1700000100 <"$DATA/sign_golden_tags.out"
golden v_in_time
has v_in_time.out '"result":"pass"'
has v_in_time.out '"identity":"alice@mail.example.com"'
has v_in_time.out '"body_length_limited":true'
has v_in_time.out '"content_after_limit":false'

# ---- What breaks, what does not --------------------------------------------------------------
sed 's/lunch at/lunch AT/' "$OUT/dual.out" >"$OUT/body_changed.eml"
verify_is v_body_changed "$OUT/body_changed.eml" "fail d=example.com s=rsa a=rsa-sha256: " \
    "fail d=example.com s=ed a=ed25519-sha256: "
sed 's/^Subject: .*/Subject: free money/' "$OUT/dual.out" >"$OUT/subject_changed.eml"
verify_is v_subject_changed "$OUT/subject_changed.eml" "fail d=example.com s=rsa" "fail d=example.com s=ed"
{ cat "$OUT/dual.out"; } | sed 's/^From: Alice.*/&\nFrom: mallory@example.net/' >"$OUT/from_added.eml"
verify_is v_from_added "$OUT/from_added.eml" "fail d=example.com s=rsa" "fail d=example.com s=ed"
sed 's/^X-Mailer: .*/X-Mailer: other/' "$OUT/dual.out" >"$OUT/unsigned_changed.eml"
verify_is v_unsigned_changed "$OUT/unsigned_changed.eml" "pass d=example.com s=rsa" "pass d=example.com s=ed"

# l=: content added after signing still passes, and is reported.
run sign_l 0 dkim sign --key "$DATA/rsa.pem" --domain example.com --selector rsa --body-length <"$MSG"
has sign_l.out " l="
{ cat "$OUT/sign_l.out"; echo "Click here: http://example.net/"; } >"$OUT/l_appended.eml"
run v_l_appended 0 dkim verify --zone "$DZ" --json <"$OUT/l_appended.eml"
has v_l_appended.out '"result":"pass"'
has v_l_appended.out '"body_length_limited":true'
has v_l_appended.out '"content_after_limit":true'

# ---- Key records and verify results ------------------------------------------------------------
for case in testing:pass revoked:permerror sha1:permerror missing:permerror slow:temperror; do
    sel=${case%%:*}
    res=${case#*:}
    run "s_$sel" 0 dkim sign --key "$DATA/rsa.pem" --domain example.com --selector "$sel" <"$MSG"
    verify_is "v_$sel" "$OUT/s_$sel.out" "$res d=example.com s=$sel a=rsa-sha256: "
done
run v_testing_json 0 dkim verify --zone "$DZ" --json <"$OUT/s_testing.out"
has v_testing_json.out '"testing":true'
run v_other_key 0 dkim sign --key "$DATA/other.pem" --domain example.com --selector rsa <"$MSG"
verify_is v_wrong_key "$OUT/v_other_key.out" "fail d=example.com s=rsa a=rsa-sha256: "

# No signature.
run v_none 0 dkim verify --zone "$DZ" <"$MSG"
[ ! -s "$OUT/v_none.err" ] || fail "v_none: unexpected standard error"
[ "$(cat "$OUT/v_none.out")" = "none: no DKIM signature" ] || fail "v_none: $(cat "$OUT/v_none.out")"
run v_none_json 0 dkim verify --zone "$DZ" --json <"$MSG"
json_lines_ok v_none_json.out
[ "$(cat "$OUT/v_none_json.out")" = '{"domain":null,"selector":null,"algorithm":null,"result":"none","reason":"no DKIM signature","header_canon":null,"body_canon":null,"body_length_limited":false,"identity":null,"key_bits":null,"testing":false,"content_after_limit":false}' ] ||
    fail "v_none_json: $(cat "$OUT/v_none_json.out")"

# A malformed signature: the tags it has are shown; hostile bytes stay harmless.
printf 'DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=rsa\nFrom: a@example.com\n\nbody\n' >"$OUT/bad_sig.eml"
run v_bad_sig 0 dkim verify --zone "$DZ" <"$OUT/bad_sig.eml"
has v_bad_sig.out 'permerror d=example.com s=rsa a=rsa-sha256: '
run v_bad_sig_json 0 dkim verify --zone "$DZ" --json <"$OUT/bad_sig.eml"
json_lines_ok v_bad_sig_json.out
has v_bad_sig_json.out '"result":"permerror"'
printf 'DKIM-Signature: v=1; a=rsa-sha256; d=exa\033[31mmple.com; s=rsa\nFrom: a@example.com\n\nbody\n' >"$OUT/esc_sig.eml"
run v_esc_sig 0 dkim verify --zone "$DZ" <"$OUT/esc_sig.eml"
has v_esc_sig.out 'permerror '
! grep -q "$(printf '\033')" "$OUT/v_esc_sig.out" || fail "v_esc_sig: an escape byte reached the output"
printf 'DKIM-Signature: v=1\nFrom: a@example.com\n\nbody\n' >"$OUT/bare_sig.eml"
run v_bare_sig 0 dkim verify --zone "$DZ" <"$OUT/bare_sig.eml"
has v_bare_sig.out 'permerror d=- s=- a=-: '

# ---- keygen ---------------------------------------------------------------------------------------
(cd "$OUT" && "$EMAUTH" dkim keygen --domain example.com --selector k1 >k1.out 2>k1.err) ||
    fail "keygen with the default file name"
[ -f "$OUT/k1.example.com.private" ] || fail "keygen: no k1.example.com.private"
[ "$(stat -c %a "$OUT/k1.example.com.private")" = 600 ] || fail "keygen: mode $(stat -c %a "$OUT/k1.example.com.private")"
head -1 "$OUT/k1.example.com.private" | grep -qx -- '-----BEGIN PRIVATE KEY-----' || fail "keygen: not PKCS#8 PEM"
has k1.err "private key (rsa, 2048 bits) written to k1.example.com.private"
[ "$(wc -l <"$OUT/k1.out")" = 2 ] || fail "keygen: two lines expected"
sed -n 1p "$OUT/k1.out" | grep -q '^v=DKIM1; k=rsa; p=MIIBIjAN[A-Za-z0-9+/=]*$' || fail "keygen: record line"
sed -n 2p "$OUT/k1.out" | grep -q '^k1\._domainkey\.example\.com\. 3600 IN TXT "v=DKIM1; k=rsa; p=MII[A-Za-z0-9+/=]*" "[A-Za-z0-9+/=]*"$' ||
    fail "keygen: master-file line: $(sed -n 2p "$OUT/k1.out")"
# no overwrite, even with --out; the file is untouched
sum_before=$(cksum <"$OUT/k1.example.com.private")
(cd "$OUT" && "$EMAUTH" dkim keygen --domain example.com --selector k1 >k1b.out 2>k1b.err)
[ $? = 2 ] || fail "keygen over an existing file: exit status not 2"
has k1b.err "k1.example.com.private exists: not overwritten"
[ ! -s "$OUT/k1b.out" ] || fail "keygen over an existing file printed a record"
[ "$(cksum <"$OUT/k1.example.com.private")" = "$sum_before" ] || fail "keygen changed an existing file"
run k1c 2 dkim keygen --domain example.com --selector k1 --out "$OUT/k1.example.com.private"
# nor through a symbolic link
ln -s "$OUT/target.pem" "$OUT/link.pem"
run k_link 2 dkim keygen --domain example.com --selector kl --out "$OUT/link.pem"
[ ! -e "$OUT/target.pem" ] || fail "keygen followed a symbolic link"
# Ed25519, RSA 1024, JSON
run k_ed 0 dkim keygen --domain example.com --selector k2 --type ed25519 --out "$OUT/k2.pem"
sed -n 1p "$OUT/k_ed.out" | grep -q '^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]\{43\}=$' || fail "keygen ed25519: record"
has k_ed.out 'k2._domainkey.example.com. 3600 IN TXT "v=DKIM1; k=ed25519; p='
[ "$(stat -c %a "$OUT/k2.pem")" = 600 ] || fail "keygen ed25519: mode"
run k_1024 0 dkim keygen --domain example.com --selector k3 --bits 1024 --out "$OUT/k3.pem" --json
json_lines_ok k_1024.out
has k_1024.out '{"domain":"example.com","selector":"k3","type":"rsa","bits":1024,"private_key":"'
has k_1024.out '"name":"k3._domainkey.example.com","record":"v=DKIM1; k=rsa; p=MIGfMA0G'
has k_1024.out '"zone_line":"k3._domainkey.example.com. 3600 IN TXT \"v=DKIM1; k=rsa; p='

# What keygen prints is a zone the keys verify against; lint agrees with --key.
{
    printf '$ORIGIN example.com.\n@ 3600 IN SOA ns hostmaster 1 3600 600 86400 300\n'
    sed -n 2p "$OUT/k1.out"
    sed -n 2p "$OUT/k_ed.out"
} >"$OUT/keys.zone"
run kg_sign 0 dkim sign --key "$OUT/k1.example.com.private" --key "$OUT/k2.pem" --domain example.com \
    --selector k1 --selector k2 <"$MSG"
run kg_verify 0 dkim verify --zone "$OUT/keys.zone" <"$OUT/kg_sign.out"
[ "$(grep -c '^pass ' "$OUT/kg_verify.out")" = 2 ] || fail "keygen keys do not verify: $(cat "$OUT/kg_verify.out")"
run kg_lint 0 dkim lint example.com --selector k1 --zone "$OUT/keys.zone" --key "$OUT/k1.example.com.private"
run kg_lint_ed 0 dkim lint example.com --selector k2 --zone "$OUT/keys.zone" --key "$OUT/k2.pem"
run kg_lint_other 1 dkim lint example.com --selector k1 --zone "$OUT/keys.zone" --key "$OUT/k2.pem"
has kg_lint_other.out "error key-mismatch: the record has an RSA key, the private key is Ed25519"

# ---- lint -----------------------------------------------------------------------------------------
run lint_rsa 0 dkim lint example.com --selector rsa --zone "$DZ"
golden lint_rsa
run lint_rsa_json 0 dkim lint example.com --selector rsa --zone "$DZ" --json
json_lines_ok lint_rsa_json.out
golden lint_rsa_json
run lint_rsa_key 0 dkim lint example.com --selector rsa --zone "$DZ" --key "$DATA/rsa-trad.pem"
run lint_rsa_other 1 dkim lint example.com --selector rsa --zone "$DZ" --key "$DATA/other.pem"
has lint_rsa_other.out "error key-mismatch: the record's key is not the public half of the private key"
has lint_rsa_other.out "1 error, 0 warnings"
run lint_ed 0 dkim lint example.com --selector ed --zone "$DZ" --key "$DATA/ed.pem"
has lint_ed.out "info key: an Ed25519 key"
run lint_testing 0 dkim lint example.com --selector testing --zone "$DZ"
has lint_testing.out "  warning testing: t=y"
has lint_testing.out "valid"
for case in revoked:revoked sha1:hash junk:syntax missing:no-record; do
    sel=${case%%:*}
    code=${case#*:}
    run "lint_$sel" 1 dkim lint example.com --selector "$sel" --zone "$DZ"
    has "lint_$sel.out" "  error $code: "
    run "lint_json_$sel" 1 dkim lint example.com --selector "$sel" --zone "$DZ" --json
    json_lines_ok "lint_json_$sel.out"
    has "lint_json_$sel.out" "\"valid\":false,\"errors\":1,"
    has "lint_json_$sel.out" "{\"severity\":\"error\",\"code\":\"$code\",\"message\":\""
done
has lint_missing.out "missing._domainkey.example.com: no key record"
has lint_json_missing.out '"record":null'
has lint_junk.out 'junk._domainkey.example.com: hello "world"; \x1b[31m'
run lint_twice 1 dkim lint example.com --selector twice --zone "$DZ" --json
json_lines_ok lint_twice.out
[ "$(grep -c '"code":"multiple-records"' "$OUT/lint_twice.out")" = 2 ] || fail "lint_twice: one object per record"
run lint_slow 2 dkim lint example.com --selector slow --zone "$DZ"
has lint_slow.err "slow._domainkey.example.com: DNS timeout"

# ---- Usage and input errors ---------------------------------------------------------------------------
K=$DATA/rsa.pem
run u_sign_nokey 2 dkim sign --domain example.com --selector rsa <"$MSG"
err_is u_sign_nokey "emauth: dkim sign: missing --key (see 'emauth dkim sign --help')"
run u_sign_nodomain 2 dkim sign --key "$K" --selector rsa <"$MSG"
err_is u_sign_nodomain "emauth: dkim sign: missing --domain (see 'emauth dkim sign --help')"
run u_sign_noselector 2 dkim sign --key "$K" --domain example.com <"$MSG"
run u_sign_counts 2 dkim sign --key "$K" --key "$DATA/ed.pem" --domain a.example --domain b.example \
    --domain c.example --selector s <"$MSG"
has u_sign_counts.err "--domain given 3 times for 2 keys"
run u_sign_same 2 dkim sign --key "$K" --key "$DATA/ed.pem" --domain example.com --selector s <"$MSG"
has u_sign_same.err "the same domain and selector"
run u_sign_canon 2 dkim sign --key "$K" --domain example.com --selector rsa --canon relaxed/loose <"$MSG"
has u_sign_canon.err "--canon takes simple or relaxed"
run u_sign_alg 2 dkim sign --key "$K" --domain example.com --selector rsa --algorithm rsa-sha1 <"$MSG"
has u_sign_alg.err "--algorithm is rsa-sha256 or ed25519-sha256"
run u_sign_alg_key 2 dkim sign --key "$K" --domain example.com --selector rsa --algorithm ed25519-sha256 <"$MSG"
has u_sign_alg_key.err "does not fit"
run u_sign_nofile 2 dkim sign --key "$OUT/nonexistent.pem" --domain example.com --selector rsa <"$MSG"
has u_sign_nofile.err "nonexistent.pem: No such file or directory"
run u_sign_notpem 2 dkim sign --key "$MSG" --domain example.com --selector rsa <"$MSG"
has u_sign_notpem.err "not a PEM key"
run u_sign_headers 2 dkim sign --key "$K" --domain example.com --selector rsa --headers to:subject <"$MSG"
has u_sign_headers.err "h= must include From"
run u_sign_headers_empty 2 dkim sign --key "$K" --domain example.com --selector rsa --headers from::to <"$MSG"
run u_sign_domain 2 dkim sign --key "$K" --domain "bad domain" --selector rsa <"$MSG"
has u_sign_domain.err "not a domain name"
run u_sign_identity 2 dkim sign --key "$K" --domain example.com --selector rsa --identity a@example.org <"$MSG"
run u_sign_expire 2 dkim sign --key "$K" --domain example.com --selector rsa --expire 0 <"$MSG"
run u_sign_arg 2 dkim sign --key "$K" --domain example.com --selector rsa message.eml <"$MSG"
printf 'From: a@example.com\nnot a header line\n\nbody\n' >"$OUT/malformed.eml"
run u_sign_malformed 2 dkim sign --key "$K" --domain example.com --selector rsa <"$OUT/malformed.eml"
has u_sign_malformed.err "emauth: standard input: line 2: "
[ ! -s "$OUT/u_sign_malformed.out" ] || fail "sign wrote output for a malformed message"

run u_verify_arg 2 dkim verify --zone "$DZ" message.eml <"$MSG"
run u_verify_zone 2 dkim verify --zone "$OUT/no.zone" <"$MSG"
run u_verify_both 2 dkim verify --zone "$DZ" --nameserver 127.0.0.1 <"$MSG"
run u_verify_now 2 dkim verify --zone "$DZ" --now yesterday <"$MSG"
run u_verify_malformed 2 dkim verify --zone "$DZ" <"$OUT/malformed.eml"
has u_verify_malformed.err "emauth: standard input: line 2: "

run u_keygen_nodomain 2 dkim keygen --selector s --out "$OUT/u1.pem"
run u_keygen_type 2 dkim keygen --domain example.com --selector s --type dsa --out "$OUT/u2.pem"
run u_keygen_bits 2 dkim keygen --domain example.com --selector s --bits 512 --out "$OUT/u3.pem"
run u_keygen_bits_ed 2 dkim keygen --domain example.com --selector s --type ed25519 --bits 2048 --out "$OUT/u4.pem"
run u_keygen_domain 2 dkim keygen --domain "exa mple.com" --selector s --out "$OUT/u5.pem"
run u_keygen_dir 2 dkim keygen --domain example.com --selector s --out "$OUT/no/such/dir.pem"
for f in u1 u2 u3 u4 u5; do
    [ ! -e "$OUT/$f.pem" ] || fail "keygen wrote $f.pem after a usage error"
done

run u_lint_nodomain 2 dkim lint --selector rsa --zone "$DZ"
err_is u_lint_nodomain "emauth: dkim lint: missing DOMAIN (see 'emauth dkim lint --help')"
run u_lint_noselector 2 dkim lint example.com --zone "$DZ"
run u_lint_two 2 dkim lint example.com example.org --selector rsa --zone "$DZ"
run u_lint_key 2 dkim lint example.com --selector rsa --zone "$DZ" --key "$OUT/nonexistent.pem"

# ---- Help -------------------------------------------------------------------------------------------------
run h_area 0 dkim --help
for verb in verify sign keygen lint; do
    has h_area.out "  $verb "
    run "h_$verb" 0 dkim "$verb" --help
    has "h_$verb.out" "Usage: emauth dkim $verb"
done
run h_all 0 --help
has h_all.out "  dkim verify "

# ---- Under valgrind ------------------------------------------------------------------------------------------
vg dkim sign --key "$DATA/rsa.pem" --key "$DATA/ed.pem" --domain example.com --selector rsa \
    --selector ed --body-length <"$MSG"
vg dkim verify --zone "$DZ" --json <"$DATA/sign_golden.out"
vg dkim verify --zone "$DZ" <"$OUT/bad_sig.eml"
vg dkim keygen --domain example.com --selector vg --type ed25519 --out "$OUT/vg.pem"
vg dkim keygen --domain example.com --selector vg --out "$OUT/vg.pem"
vg dkim lint example.com --selector rsa --zone "$DZ" --key "$DATA/rsa.pem" --json
vg dkim lint example.com --selector twice --zone "$DZ"
vg dkim sign --domain example.com <"$MSG"

exit 0
