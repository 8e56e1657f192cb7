#!/bin/sh
# DKIM interoperability: emauth against the peers installed from Debian,
# in both directions, with keys made by emauth, openssl and dkimpy.
#
#   sh tests/interop/dkim_interop.sh EMAUTH REPO-ROOT [--opendkim-tool PATH]
#                                    [--bodyhash-tool PATH]
#
# Peers (each optional; a missing one prints "SKIP: <peer> not installed"):
#   dkimpy    python3-dkim, driven by tests/interop/dkimpy_tool.py
#   libopendkim  libopendkim-dev, driven by tests/interop/opendkim_tool.c
#             (built by tests/interop/CMakeLists.txt: --opendkim-tool)
#   opendkim-testmsg  opendkim-tools (signs rsa-sha1 only, relaxed/simple)
# No DNS anywhere: emauth reads a zone file written here (--zone), the peers
# a key file of "SELECTOR._domainkey.DOMAIN RECORD" lines.
#
# Sections:
#   A  signed by dkimpy / libopendkim / opendkim-testmsg -> emauth verifies
#   B  signed by emauth -> dkimpy and libopendkim verify (one and two keys)
#   C  changes after signing: tampering (body byte, signed header, a second
#      From after or before the original) fails everywhere; harmless changes
#      pass under relaxed and fail under simple; content after l= passes
#   D  edge messages: empty body, no final line end, bare LF line ends, a
#      1 MB body of whitespace runs (the reader's chunk boundaries)
#   E  RFC 8463 Appendix A (both signatures pass); RFC 6376 Appendix A (known
#      errata: must not pass)
#   F  body hashes of 3000 random bodies pushed in random pieces, emauth
#      against dkimpy's canonicalization (tests/interop/bodyhash_tool.c)
# Every verifier must agree with the expectation; each disagreement prints
# the case, the verifier, what was expected and what came back.
set -u
if [ $# -lt 2 ]; then
    echo "usage: dkim_interop.sh EMAUTH REPO-ROOT [--opendkim-tool PATH] [--bodyhash-tool PATH]" >&2
    exit 2
fi
EMAUTH=$1
ROOT=$2
shift 2
ODK=""
BHT=""
while [ $# -ge 2 ]; do
    case $1 in
    --opendkim-tool) ODK=$2 ;;
    --bodyhash-tool) BHT=$2 ;;
    *) echo "dkim_interop.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift 2
done
PY=${EMAUTH_PYTHON:-/usr/bin/python3}
HERE=$ROOT/tests/interop
SUITES=${EMAUTH_TESTSUITES:-$ROOT/../shared/testsuites}
DOMAIN=example.com
NO_COLOR=1
export NO_COLOR

T=$(mktemp -d "${TMPDIR:-/tmp}/emauth-interop.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
K=$T/keys
M=$T/msg
mkdir -p "$K" "$M"
ZONE=$K/zone            # for emauth --zone
KEYS=$K/keys.txt        # for dkimpy and libopendkim
# shellcheck disable=SC2016
echo '$TTL 300' >"$ZONE"
: >"$KEYS"

checks=0
failures=0
bad() {
    failures=$((failures + 1))
    printf 'FAIL: %s\n' "$*"
}
ok() { checks=$((checks + 1)); }

# ---- peers ---------------------------------------------------------------

HAVE_DKIMPY=0
HAVE_NACL=0
if [ -x "$PY" ] && "$PY" -c 'import dkim' 2>/dev/null; then
    HAVE_DKIMPY=1
    "$PY" -c 'import nacl.signing' 2>/dev/null && HAVE_NACL=1
else
    echo "SKIP: dkimpy (python3-dkim) not installed"
fi
[ "$HAVE_DKIMPY" = 1 ] && [ "$HAVE_NACL" = 0 ] &&
    echo "SKIP: dkimpy ed25519 (python3-nacl) not installed"
HAVE_ODK=0
if [ -n "$ODK" ] && [ -x "$ODK" ]; then
    HAVE_ODK=1
else
    echo "SKIP: libopendkim (libopendkim-dev; tests/interop/opendkim_tool) not installed"
fi
TESTMSG=$(command -v opendkim-testmsg || ls /usr/sbin/opendkim-testmsg 2>/dev/null || true)
[ -n "$TESTMSG" ] || echo "SKIP: opendkim-testmsg (opendkim-tools) not installed"
HAVE_OPENSSL=0
if command -v openssl >/dev/null 2>&1; then HAVE_OPENSSL=1; else echo "SKIP: openssl not installed"; fi

# ---- keys ----------------------------------------------------------------

# add_key SELECTOR RECORD [MASTER-FILE-TEXT]: publishes RECORD at
# SELECTOR._domainkey.example.com, for emauth (the master-file text given,
# else a line written here in 255-byte strings) and for the peers.
add_key() {
    printf '%s._domainkey.%s %s\n' "$1" "$DOMAIN" "$2" >>"$KEYS"
    if [ $# -ge 3 ]; then
        printf '%s\n' "$3" >>"$ZONE"
    else
        {
            printf '%s._domainkey.%s. IN TXT' "$1" "$DOMAIN"
            printf '%s\n' "$2" | fold -b -w 255 | while IFS= read -r part; do
                printf ' "%s"' "$part"
            done
            printf '\n'
        } >>"$ZONE"
    fi
}

# Which keys each signer can use, and their algorithms ("SELECTOR:ALG").
EM_KEYS=""      # keys emauth can sign with (PEM)
PY_KEYS=""      # keys dkimpy can sign with
ODK_KEYS=""     # keys libopendkim can sign with

# keygen_emauth SELECTOR TYPE: emauth dkim keygen; the printed master-file
# line goes into the zone as it is, the printed record into the peers' file.
keygen_emauth() {
    sel=$1
    "$EMAUTH" dkim keygen --domain "$DOMAIN" --selector "$sel" --type "$2" \
        --out "$K/$sel.pem" >"$K/$sel.keygen" 2>"$K/$sel.keygen.err"
    rc=$?
    if [ "$rc" != 0 ]; then
        bad "keygen $2: emauth dkim keygen --domain $DOMAIN --selector $sel --type $2 --out FILE:" \
            "exit status $rc: $(cat "$K/$sel.keygen.err")"
        return 1
    fi
    # The record: the first line with v=DKIM1 outside a master-file line.
    rec=$(grep -v 'TXT' "$K/$sel.keygen" | grep -o 'v=DKIM1.*' | head -n 1 |
        sed 's/[";[:space:]]*$//')
    # The master-file line: from the line naming the owner and TXT to the
    # closing parenthesis when the value is split over lines.
    master=$(awk -v own="$sel._domainkey." '
        !on && index($0, own) && $0 ~ /TXT/ { on = 1 }
        on { print; if (index($0, "(") && !index($0, ")")) { paren = 1; next }
             if (!paren || index($0, ")")) exit }' "$K/$sel.keygen")
    if [ -z "$rec" ] || [ -z "$master" ]; then
        bad "keygen $2: no record or no master-file line in the output:"
        cat "$K/$sel.keygen"
        return 1
    fi
    case $2 in ed25519) want="k=ed25519" ;; *) want="k=rsa" ;; esac
    case $rec in *"$want"*) ok ;; *) bad "keygen $2: record lacks $want: $rec" ;; esac
    # The master-file line must carry the same record (strings joined).
    joined=$(printf '%s\n' "$master" | tr -d '\n' | sed 's/^[^"]*"//; s/"[^"]*$//; s/"[[:space:]]*"//g')
    [ "$joined" = "$rec" ] && ok || bad "keygen $2: master-file line and record differ:" \
        "record '$rec', master-file strings joined '$joined'"
    [ -z "$(find "$K/$sel.pem" -perm /077 2>/dev/null)" ] && ok ||
        bad "keygen $2: $sel.pem is not mode 0600: $(ls -l "$K/$sel.pem")"
    add_key "$sel" "$rec" "$master"
}

if keygen_emauth em-rsa rsa; then
    EM_KEYS="$EM_KEYS em-rsa:rsa-sha256"
    PY_KEYS="$PY_KEYS em-rsa:rsa-sha256"
    ODK_KEYS="$ODK_KEYS em-rsa:rsa-sha256"
    bits=$(openssl pkey -in "$K/em-rsa.pem" -noout -text 2>/dev/null | sed -n 's/.*Private-Key: (\([0-9]*\) bit.*/\1/p')
    [ "$HAVE_OPENSSL" = 0 ] || [ "$bits" = 2048 ] && ok || bad "keygen rsa: default size $bits bits, expected 2048"
fi
if keygen_emauth em-ed ed25519; then
    EM_KEYS="$EM_KEYS em-ed:ed25519-sha256"
    PY_KEYS="$PY_KEYS em-ed:ed25519-sha256"
    ODK_KEYS="$ODK_KEYS em-ed:ed25519-sha256"
fi

if [ "$HAVE_OPENSSL" = 1 ]; then
    # openssl: a traditional (PKCS#1) RSA key and a PKCS#8 Ed25519 key.
    openssl genrsa -traditional -out "$K/os-rsa.pem" 2048 2>/dev/null &&
        add_key os-rsa "v=DKIM1; k=rsa; p=$(openssl pkey -in "$K/os-rsa.pem" -pubout -outform DER | base64 -w0)" &&
        { EM_KEYS="$EM_KEYS os-rsa:rsa-sha256"; PY_KEYS="$PY_KEYS os-rsa:rsa-sha256"; ODK_KEYS="$ODK_KEYS os-rsa:rsa-sha256"; }
    openssl genpkey -algorithm ed25519 -out "$K/os-ed.pem" 2>/dev/null &&
        add_key os-ed "v=DKIM1; k=ed25519; p=$(openssl pkey -in "$K/os-ed.pem" -pubout -outform DER | tail -c 32 | base64 -w0)" &&
        { EM_KEYS="$EM_KEYS os-ed:ed25519-sha256"; PY_KEYS="$PY_KEYS os-ed:ed25519-sha256"; ODK_KEYS="$ODK_KEYS os-ed:ed25519-sha256"; }
fi
if [ "$HAVE_DKIMPY" = 1 ] && command -v dknewkey >/dev/null 2>&1; then
    # dkimpy's dknewkey: a PKCS#8 RSA key with h=sha256 in its record, and an
    # Ed25519 key as dkimpy keeps it (a base64 seed: dkimpy signs with it).
    (cd "$K" && dknewkey --ktype rsa dk-rsa >/dev/null 2>&1) &&
        add_key dk-rsa "$(cat "$K/dk-rsa.dns")" &&
        { EM_KEYS="$EM_KEYS dk-rsa:rsa-sha256"; PY_KEYS="$PY_KEYS dk-rsa:rsa-sha256"; ODK_KEYS="$ODK_KEYS dk-rsa:rsa-sha256"; }
    if [ "$HAVE_NACL" = 1 ]; then
        (cd "$K" && dknewkey --ktype ed25519 dk-ed >/dev/null 2>&1) &&
            add_key dk-ed "$(cat "$K/dk-ed.dns")" && PY_KEYS="$PY_KEYS dk-ed:ed25519-sha256"
    fi
fi
[ "$HAVE_NACL" = 1 ] || PY_KEYS=$(echo "$PY_KEYS" | tr ' ' '\n' | grep -v ed25519 | tr '\n' ' ')

# The zone must load: an unsigned message verifies with exit status 0.
printf 'From: joe@example.com\r\nSubject: unsigned\r\n\r\nHello.\r\n' >"$T/unsigned.eml"
if "$EMAUTH" dkim verify --zone "$ZONE" --json <"$T/unsigned.eml" >"$T/zone.out" 2>"$T/zone.err"; then
    ok
else
    bad "emauth dkim verify --zone ZONE of an unsigned message: exit status $?: $(cat "$T/zone.err")"
    cat "$ZONE"
fi

# ---- messages ------------------------------------------------------------

# crlf: LF to CRLF (the input has no CR).
crlf() { sed 's/$/\r/'; }

# The base message: folded and oddly spaced headers, mixed-case names,
# trailing whitespace, tabs, empty lines at the end of the body.
crlf >"$M/base.eml" <<'EOF'
Received: from mail.example.com (mail.example.com [192.0.2.1])
	by mx.example.net with ESMTPS id 4a2b; Fri, 11 Jul 2003 21:01:59 -0700
From: "Joe  SixPack" <joe@example.com>
To: Suzie Q <suzie@shopping.example.net>,
   "Other   One" <other@example.net>
Subject:   Is  dinner	ready?   
Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)
Message-ID: <20030712040037.46341.5F8J@example.com>
MIME-Version: 1.0
content-type: text/plain;
	charset=us-ascii
X-Unsigned:   anything

Hi.

We lost the game.   Are you hungry yet?   
	An indented line, with a tab	and spaces  
  
Joe.


EOF
# No body at all; a body whose last line has no line end, without and with
# blanks at its end.
HDR='From: joe@example.com\r\nTo: suzie@example.net\r\nSubject: edge\r\nDate: Fri, 11 Jul 2003 21:00:37 -0700\r\n\r\n'
# shellcheck disable=SC2059
printf "$HDR" >"$M/empty.eml"
# shellcheck disable=SC2059
printf "${HDR}line one\r\nlast line" >"$M/noeol.eml"
# shellcheck disable=SC2059
printf "${HDR}line one\r\nlast line  \t" >"$M/noeol-ws.eml"
# About 1 MB of lines of random length made of words, runs of spaces and
# tabs, empty and blank lines: relaxed canonicalization across the reader's
# chunk boundaries.
{
    printf 'From: joe@example.com\r\nTo: suzie@example.net\r\nSubject: big\r\nDate: Fri, 11 Jul 2003 21:00:37 -0700\r\n\r\n'
    awk 'BEGIN {
        s = 12345; w[0] = "alpha"; w[1] = " "; w[2] = "  "; w[3] = "\t"; w[4] = "beta";
        w[5] = " \t "; w[6] = "x"; w[7] = "gamma-delta"; w[8] = "     "; w[9] = ".";
        total = 0
        while (total < 1048576) {
            s = (s * 1103515245 + 12345) % 2147483648; n = int(s / 65536) % 40
            line = ""
            for (i = 0; i < n; i++) { s = (s * 1103515245 + 12345) % 2147483648; line = line w[int(s / 65536) % 10] }
            printf "%s\r\n", line; total += length(line) + 2
        }
    }'
} >"$M/big.eml"

# ---- verifiers -------------------------------------------------------------

# jfield LINE FIELD: a field of one JSON object on one line (string, number or boolean).
jfield() {
    printf '%s\n' "$1" | sed -n "s/.*\"$2\": *\"\{0,1\}\([^\",}]*\).*/\1/p" | head -n 1
}

# emauth_expect CASE FILE RESULT [COUNT [ALG CANON LIMITED]]: every one of
# COUNT (default 1) JSON lines has result RESULT; the first line's algorithm,
# header_canon/body_canon and body_length_limited are checked when given.
emauth_expect() {
    _case=$1 _file=$2 _want=$3 _count=${4:-1}
    "$EMAUTH" dkim verify --zone "$ZONE" --json <"$_file" >"$T/ev.out" 2>"$T/ev.err"
    _rc=$?
    if [ "$_rc" != 0 ]; then
        bad "$_case: emauth dkim verify: exit status $_rc, expected 0: $(head -c 300 "$T/ev.err")"
        return
    fi
    _n=$(grep -c . "$T/ev.out")
    if [ "$_n" != "$_count" ]; then
        bad "$_case: emauth: $_n result lines, expected $_count: $(cat "$T/ev.out")"
        return
    fi
    _fail=0
    while IFS= read -r _line; do
        _got=$(jfield "$_line" result)
        if [ "$_got" != "$_want" ]; then
            bad "$_case: emauth: expected $_want, got ${_got:-nothing} ($(jfield "$_line" reason)): $_line"
            _fail=1
        fi
    done <"$T/ev.out"
    [ "$_fail" = 0 ] || { printf '  signature: %s\n' "$(sed -n '1,/^[^ \t]/p' "$_file" | head -n 4 | tr -d '\r' | tr '\n' ' ')"; return; }
    if [ $# -ge 7 ]; then
        _line=$(head -n 1 "$T/ev.out")
        _hc=${6%/*} _bc=${6#*/}
        [ "$(jfield "$_line" algorithm)" = "$5" ] &&
            [ "$(jfield "$_line" header_canon)" = "$_hc" ] &&
            [ "$(jfield "$_line" body_canon)" = "$_bc" ] &&
            [ "$(jfield "$_line" body_length_limited)" = "$7" ] ||
            { bad "$_case: emauth: expected algorithm $5, canon $6, body_length_limited $7: $_line"; return; }
        _d=$(jfield "$_line" domain)
        [ "$_d" = "$DOMAIN" ] || { bad "$_case: emauth: domain $_d, expected $DOMAIN: $_line"; return; }
    fi
    ok
}

# peer_expect CASE PEER FILE RESULT [COUNT]: dkimpy or libopendkim give
# RESULT (pass/fail) for each of COUNT signatures.
peer_expect() {
    _case=$1 _peer=$2 _file=$3 _want=$4 _count=${5:-1}
    case $_peer in
    dkimpy)
        # Queued: one Python process verifies them all at the end.
        [ "$HAVE_DKIMPY" = 1 ] || return 0
        PYN=$((PYN + 1))
        cp "$_file" "$PYQ/$PYN.eml"
        printf '%s|%s|%s|%s\n' "$PYN" "$_want" "$_count" "$_case" >>"$PYQ/list"
        return 0 ;;
    opendkim)
        [ "$HAVE_ODK" = 1 ] || return 0
        "$ODK" verify "$KEYS" <"$_file" >"$T/pv.out" 2>"$T/pv.err" ;;
    esac
    _rc=$?
    if [ "$_rc" -gt 1 ]; then
        bad "$_case: $_peer: error (exit status $_rc): $(head -c 300 "$T/pv.err")"
        return
    fi
    _n=$(grep -c "result=$_want" "$T/pv.out")
    _all=$(grep -c . "$T/pv.out")
    if [ "$_n" != "$_count" ] || [ "$_all" != "$_count" ]; then
        bad "$_case: $_peer: expected $_count x $_want, got: $(tr '\n' ';' <"$T/pv.out")"
        return
    fi
    ok
}

PYQ=$T/pyq
PYN=0
mkdir -p "$PYQ"
: >"$PYQ/list"

# The queued dkimpy verifications, checked as peer_expect checks the others.
dkimpy_queue_run() {
    [ "$HAVE_DKIMPY" = 1 ] && [ "$PYN" -gt 0 ] || return 0
    _files=$(awk -F'|' -v d="$PYQ" '{ printf "%s/%s.eml ", d, $1 }' "$PYQ/list")
    # shellcheck disable=SC2086
    "$PY" "$HERE/dkimpy_tool.py" verify --keys "$KEYS" $_files >"$PYQ/results" 2>"$PYQ/err"
    if [ $? -gt 1 ]; then
        bad "dkimpy: verifying $PYN messages failed: $(head -c 500 "$PYQ/err")"
        return
    fi
    while IFS='|' read -r _i _want _count _case; do
        grep "^$PYQ/$_i.eml	" "$PYQ/results" | cut -f 2- >"$T/pv.out"
        _n=$(grep -c "result=$_want" "$T/pv.out")
        _all=$(grep -c . "$T/pv.out")
        if [ "$_n" != "$_count" ] || [ "$_all" != "$_count" ]; then
            bad "$_case: dkimpy: expected $_count x $_want, got: $(tr '\n' ';' <"$T/pv.out")"
        else
            ok
        fi
    done <"$PYQ/list"
}

# peer_note CASE PEER FILE: what a peer says, printed, not checked (a peer
# known to depart from the RFC on this input).
peer_note() {
    case $2 in
    dkimpy)
        [ "$HAVE_DKIMPY" = 1 ] || return 0
        "$PY" "$HERE/dkimpy_tool.py" verify --keys "$KEYS" <"$3" >"$T/pn.out" 2>&1 ;;
    opendkim)
        [ "$HAVE_ODK" = 1 ] || return 0
        "$ODK" verify "$KEYS" <"$3" >"$T/pn.out" 2>&1 ;;
    esac
    printf 'NOTE: %s: %s says: %s\n' "$1" "$2" "$(tr '\r\n' '  ' <"$T/pn.out")"
}

# all_expect CASE FILE RESULT [COUNT]: emauth, dkimpy and libopendkim agree.
all_expect() {
    emauth_expect "$1" "$2" "$3" "${4:-1}"
    peer_expect "$1" dkimpy "$2" "$3" "${4:-1}"
    peer_expect "$1" opendkim "$2" "$3" "${4:-1}"
}

# ---- signers -------------------------------------------------------------

# sign SIGNER SELECTOR ALG CANON LENGTH(0/1) IN OUT
sign() {
    _s=$1 _sel=$2 _alg=$3 _canon=$4 _len=$5 _in=$6 _out=$7
    _key=$K/$_sel.pem
    [ -f "$_key" ] || _key=$K/$_sel.key
    case $_s in
    emauth)
        set -- --key "$_key" --domain "$DOMAIN" --selector "$_sel" --algorithm "$_alg" --canon "$_canon"
        [ "$_len" = 1 ] && set -- "$@" --body-length
        "$EMAUTH" dkim sign "$@" <"$_in" >"$_out" 2>"$T/sign.err" ;;
    dkimpy)
        _pre=$(py_signed "$_in" "$_sel" "$_canon" "$_len")
        if [ -f "$_pre" ]; then
            cp "$_pre" "$_out"
            : >"$T/sign.err"
        else
            bad "dkimpy did not sign $(basename "$_in") with $_sel c=$_canon l=$_len: $(cat "$PYS/err")"
            return 1
        fi ;;
    opendkim)
        set -- "$_key" "$DOMAIN" "$_sel" -a "$_alg" -c "$_canon"
        [ "$_len" = 1 ] && set -- "$@" -l
        "$ODK" sign "$@" <"$_in" >"$_out" 2>"$T/sign.err" ;;
    esac
    _rc=$?
    if [ "$_rc" != 0 ] || ! grep -qi '^DKIM-Signature:' "$_out"; then
        if [ "${SIGN_SOFT:-0}" = 1 ]; then
            printf 'NOTE: %s would not sign %s with %s c=%s: %s\n' "$_s" "$(basename "$_in")" "$_sel" \
                "$_canon" "$(head -c 300 "$T/sign.err")"
        else
            bad "sign $_s $_sel $_alg $_canon l=$_len $(basename "$_in"): exit status $_rc: $(head -c 300 "$T/sign.err")"
        fi
        return 1
    fi
    return 0
}

CANONS="relaxed/relaxed simple/simple relaxed/simple simple/relaxed"
# keys with the full matrix (every canonicalization, with and without l=);
# the others: relaxed/relaxed and simple/simple without l=.
full_matrix() { case $1 in em-*) return 0 ;; esac; return 1; }

# dkimpy signs every message the sections use at once, up front (Python
# starts slowly): py_signed names the result of a signing job.
PYS=$T/pysigned
mkdir -p "$PYS"
: >"$PYS/jobs"
: >"$PYS/err"
py_signed() { echo "$PYS/$(basename "$1" .eml)-$2-$(echo "$3" | tr / -)-$4.eml"; }
py_job() { # MESSAGE SELECTOR ALG CANON LENGTH
    _k=$K/$2.pem
    [ -f "$_k" ] || _k=$K/$2.key
    echo "$M/$1.eml $(py_signed "$1" "$2" "$4" "$5") $_k $DOMAIN $2 $3 $4 $5" >>"$PYS/jobs"
}
if [ "$HAVE_DKIMPY" = 1 ]; then
    for ka in $PY_KEYS; do
        for canon in $CANONS; do
            for len in 0 1; do
                if full_matrix "${ka%%:*}" || { [ "$len" = 0 ] && case $canon in relaxed/relaxed | simple/simple) true ;; *) false ;; esac; }; then
                    py_job base "${ka%%:*}" "${ka#*:}" "$canon" "$len"
                fi
            done
        done
    done
    for canon in relaxed/relaxed simple/simple; do
        for m in empty noeol noeol-ws big; do py_job "$m" em-rsa rsa-sha256 "$canon" 0; done
        [ "$HAVE_NACL" = 1 ] && py_job big em-ed ed25519-sha256 "$canon" 0
    done
    "$PY" "$HERE/dkimpy_tool.py" sign-batch "$PYS/jobs" 2>"$PYS/err" ||
        bad "dkimpy sign-batch: $(head -c 500 "$PYS/err")"
fi

# ---- A: signed by the peers, verified by emauth (and by the other peer) ---

echo "== A: signed by dkimpy and libopendkim, verified by emauth"
n=0
for signer in dkimpy opendkim; do
    case $signer in
    dkimpy) [ "$HAVE_DKIMPY" = 1 ] || continue; keys=$PY_KEYS ;;
    opendkim) [ "$HAVE_ODK" = 1 ] || continue; keys=$ODK_KEYS ;;
    esac
    for ka in $keys; do
        sel=${ka%%:*} alg=${ka#*:}
        for canon in $CANONS; do
            for len in 0 1; do
                if ! full_matrix "$sel"; then
                    case $canon in relaxed/relaxed | simple/simple) ;; *) continue ;; esac
                    [ "$len" = 0 ] || continue
                fi
                c="A $signer $sel $alg c=$canon l=$len"
                out=$M/A-$signer-$sel-$(echo "$canon" | tr / -)-$len.eml
                sign "$signer" "$sel" "$alg" "$canon" "$len" "$M/base.eml" "$out" || continue
                n=$((n + 1))
                lim=false
                [ "$len" = 1 ] && lim=true
                if [ "$signer" = opendkim ] && [ "$alg" = ed25519-sha256 ] && [ "${canon%/*}" = simple ]; then
                    # libopendkim 2.11.0~beta2 makes Ed25519 signatures with
                    # c=simple/* that neither it nor dkimpy accept: a peer bug.
                    # emauth must agree with both that they fail.
                    emauth_expect "$c (libopendkim ed25519 simple-header bug)" "$out" fail
                    peer_expect "$c" dkimpy "$out" fail
                    peer_expect "$c" opendkim "$out" fail
                    continue
                fi
                emauth_expect "$c" "$out" pass 1 "$alg" "$canon" "$lim"
                peer_expect "$c" dkimpy "$out" pass
                peer_expect "$c" opendkim "$out" pass
            done
        done
    done
done
if [ -n "$TESTMSG" ] && [ -f "$K/em-rsa.pem" ]; then
    # opendkim-testmsg signs with rsa-sha1, c=relaxed/simple: valid, but
    # RFC 8301 says not a pass; emauth's default policy says "policy".
    c="A opendkim-testmsg em-rsa rsa-sha1"
    if "$TESTMSG" -C -d "$DOMAIN" -s em-rsa -k "$K/em-rsa.pem" -t "$T" <"$M/base.eml" >"$M/A-testmsg.eml" 2>"$T/tm.err"; then
        n=$((n + 1))
        emauth_expect "$c" "$M/A-testmsg.eml" policy
        peer_expect "$c" dkimpy "$M/A-testmsg.eml" pass
        peer_expect "$c" opendkim "$M/A-testmsg.eml" pass
    else
        bad "$c: opendkim-testmsg failed: $(cat "$T/tm.err")"
    fi
fi
echo "   $n signed messages"

# ---- B: signed by emauth, verified by the peers ---------------------------

echo "== B: signed by emauth, verified by dkimpy and libopendkim"
n=0
for ka in $EM_KEYS; do
    sel=${ka%%:*} alg=${ka#*:}
    for canon in $CANONS; do
        for len in 0 1; do
            if ! full_matrix "$sel"; then
                case $canon in relaxed/relaxed | simple/simple) ;; *) continue ;; esac
                [ "$len" = 0 ] || continue
            fi
            c="B emauth $sel $alg c=$canon l=$len"
            out=$M/B-$sel-$(echo "$canon" | tr / -)-$len.eml
            sign emauth "$sel" "$alg" "$canon" "$len" "$M/base.eml" "$out" || continue
            n=$((n + 1))
            lim=false
            [ "$len" = 1 ] && lim=true
            emauth_expect "$c" "$out" pass 1 "$alg" "$canon" "$lim"
            peer_expect "$c" dkimpy "$out" pass
            peer_expect "$c" opendkim "$out" pass
            # The signature's tags as signed.
            sig=$(sed -n '1,/^[^ \t]/p' "$out" | sed '$d' | tr -d '\r\n\t ')
            case $sig in *"c=$canon"*) ok ;; *) bad "$c: no c=$canon in $sig" ;; esac
            if [ "$len" = 1 ]; then
                case $sig in *";l="[0-9]*) ok ;; *) bad "$c: no l= in $sig" ;; esac
            else
                case $sig in *";l="[0-9]*) bad "$c: l= without --body-length: $sig" ;; *) ok ;; esac
            fi
        done
    done
done
# Defaults: relaxed/relaxed, no l=, From signed once more than present.
if [ -f "$K/em-rsa.pem" ]; then
    c="B emauth defaults"
    if "$EMAUTH" dkim sign --key "$K/em-rsa.pem" --domain "$DOMAIN" --selector em-rsa <"$M/base.eml" >"$M/B-default.eml" 2>"$T/sign.err"; then
        n=$((n + 1))
        all_expect "$c" "$M/B-default.eml" pass
        sig=$(sed -n '1,/^[^ \t]/p' "$M/B-default.eml" | sed '$d' | tr -d '\r\n\t ' | tr '[:upper:]' '[:lower:]')
        case $sig in *"c=relaxed/relaxed"*) ok ;; *) bad "$c: default canonicalization is not relaxed/relaxed: $sig" ;; esac
        case $sig in *";l="*) bad "$c: l= by default: $sig" ;; *) ok ;; esac
        h=$(printf '%s' "$sig" | sed -n 's/.*;h=\([^;]*\).*/\1/p')
        froms=$(printf '%s' "$h" | tr ':' '\n' | grep -c '^from$')
        [ "$froms" = 2 ] && ok || bad "$c: From signed $froms times in h=$h, expected 2 (RFC 6376 5.4.1 with one extra)"
        # Folded at 78 columns.
        long=$(sed -n '1,/^[^ \t]/p' "$M/B-default.eml" | sed '$d' | tr -d '\r' | awk 'length($0) > 78' | head -n 1)
        [ -z "$long" ] && ok || bad "$c: DKIM-Signature line over 78 columns: $long"
    else
        bad "$c: emauth dkim sign failed: $(cat "$T/sign.err")"
    fi
fi
# Two keys at once: RSA and Ed25519, both signatures verify everywhere.
if [ -f "$K/em-rsa.pem" ] && [ -f "$K/em-ed.pem" ]; then
    c="B emauth dual rsa+ed25519"
    if "$EMAUTH" dkim sign --key "$K/em-rsa.pem" --domain "$DOMAIN" --selector em-rsa \
        --key "$K/em-ed.pem" --domain "$DOMAIN" --selector em-ed <"$M/base.eml" >"$M/B-dual.eml" 2>"$T/sign.err"; then
        n=$((n + 1))
        all_expect "$c" "$M/B-dual.eml" pass 2
        [ "$(grep -ci '^DKIM-Signature:' "$M/B-dual.eml")" = 2 ] && ok || bad "$c: expected 2 DKIM-Signature fields"
    else
        bad "$c: emauth dkim sign with two keys failed: $(cat "$T/sign.err")"
    fi
fi
echo "   $n signed messages"

# ---- C: changes after signing ---------------------------------------------

echo "== C: tampered messages fail, harmless changes follow the canonicalization"
# change NAME: the sed script of a change to a signed message (CRLF kept).
change() {
    case $1 in
    # Tampering.
    BODY) printf '%s\n' 's/hungry yet/hungrY yet/' ;;
    HEADER) printf '%s\n' 's/^Subject:   Is  dinner/Subject:   Is  lunch/' ;;
    # A second From after the original (the one verifiers take, RFC 6376 5.4.2).
    FROM_AFTER) printf '/^X-Unsigned:/i\\\nFrom: Mallory <mallory@example.org>\r\n' ;;
    # A second From above every field: defeated only by signing From once more.
    FROM_BEFORE) printf '1i\\\nFrom: Mallory <mallory@example.org>\r\n' ;;
    # Harmless under relaxed: header whitespace and name case, body trailing whitespace.
    WS_HEADER) printf '%s\n' 's/^Subject:   Is  dinner\tready?   \r$/SUBJECT: Is dinner ready?\r/' ;;
    WS_BODY) printf '%s\n' 's/hungry yet?   \r$/hungry yet?\r/' ;;
    esac
}
n=0
for signer in emauth dkimpy opendkim; do
    case $signer in
    dkimpy) [ "$HAVE_DKIMPY" = 1 ] || continue ;;
    opendkim) [ "$HAVE_ODK" = 1 ] || continue ;;
    esac
    for spec in em-rsa:rsa-sha256:relaxed/relaxed em-rsa:rsa-sha256:simple/simple \
        em-ed:ed25519-sha256:relaxed/relaxed em-ed:ed25519-sha256:simple/simple; do
        sel=${spec%%:*} rest=${spec#*:}
        alg=${rest%%:*} canon=${rest#*:}
        [ -f "$K/$sel.pem" ] || continue
        [ "$signer" = dkimpy ] && [ "$alg" = ed25519-sha256 ] && [ "$HAVE_NACL" = 0 ] && continue
        # libopendkim's Ed25519 signatures with simple headers are broken (see A).
        [ "$signer" = opendkim ] && [ "$alg" = ed25519-sha256 ] && [ "$canon" = simple/simple ] && canon=relaxed/simple
        base=$M/C-$signer-$sel-$(echo "$canon" | tr / -).eml
        if [ "$signer" = opendkim ]; then
            # Sign From one extra time, as emauth and dkimpy do.
            "$ODK" sign "$K/$sel.pem" "$DOMAIN" "$sel" -a "$alg" -c "$canon" -o from <"$M/base.eml" >"$base" 2>"$T/sign.err" ||
                { bad "sign opendkim $sel -o from: $(cat "$T/sign.err")"; continue; }
        else
            sign "$signer" "$sel" "$alg" "$canon" 0 "$M/base.eml" "$base" || continue
        fi
        n=$((n + 1))
        c="C $signer $sel $alg c=$canon"
        all_expect "$c unchanged" "$base" pass
        for t in BODY HEADER FROM_AFTER FROM_BEFORE; do
            sed "$(change "$t")" "$base" >"$M/tampered.eml"
            cmp -s "$base" "$M/tampered.eml" && { bad "$c: tamper $t changed nothing"; continue; }
            all_expect "$c tampered $t" "$M/tampered.eml" fail
        done
        for h in WS_HEADER WS_BODY; do
            sed "$(change "$h")" "$base" >"$M/harmless.eml"
            cmp -s "$base" "$M/harmless.eml" && { bad "$c: change $h changed nothing"; continue; }
            case $h:$canon in
            WS_HEADER:relaxed/* | WS_BODY:*/relaxed) want=pass ;;
            *) want=fail ;;
            esac
            all_expect "$c whitespace $h" "$M/harmless.eml" "$want"
        done
    done
done
# l=: content appended after the signed length still passes, everywhere.
for signer in emauth dkimpy opendkim; do
    case $signer in
    dkimpy) [ "$HAVE_DKIMPY" = 1 ] || continue ;;
    opendkim) [ "$HAVE_ODK" = 1 ] || continue ;;
    esac
    for ka in em-rsa:rsa-sha256 em-ed:ed25519-sha256; do
        sel=${ka%%:*} alg=${ka#*:}
        [ -f "$K/$sel.pem" ] || continue
        [ "$signer" = dkimpy ] && [ "$alg" = ed25519-sha256 ] && [ "$HAVE_NACL" = 0 ] && continue
        for canon in relaxed/relaxed relaxed/simple; do
            sign "$signer" "$sel" "$alg" "$canon" 1 "$M/base.eml" "$M/l.eml" || continue
            n=$((n + 1))
            printf 'Appended after signing: an unsubscribe footer.\r\n' >>"$M/l.eml"
            all_expect "C $signer $sel $alg c=$canon l= with content appended" "$M/l.eml" pass
            # A change inside the signed length still fails.
            sed "$(change BODY)" "$M/l.eml" >"$M/tampered.eml"
            all_expect "C $signer $sel $alg c=$canon l= tampered inside l=" "$M/tampered.eml" fail
        done
    done
done
echo "   $n signed messages"

# ---- D: edge messages -----------------------------------------------------

echo "== D: empty body, no final line end, bare LF, 1 MB of whitespace runs"
n=0
for m in empty noeol noeol-ws big; do
    for signer in emauth dkimpy opendkim; do
        case $signer in
        dkimpy) [ "$HAVE_DKIMPY" = 1 ] || continue ;;
        opendkim) [ "$HAVE_ODK" = 1 ] || continue ;;
        esac
        for canon in relaxed/relaxed simple/simple; do
            [ -f "$K/em-rsa.pem" ] || continue
            out=$M/D-$m-$signer-$(echo "$canon" | tr / -).eml
            # libopendkim may refuse a body without a final CRLF.
            soft=0
            case $m:$signer in noeol*:opendkim) soft=1 ;; esac
            SIGN_SOFT=$soft sign "$signer" em-rsa rsa-sha256 "$canon" 0 "$M/$m.eml" "$out" || continue
            n=$((n + 1))
            c="D $m signed by $signer c=$canon"
            # A body whose last line has no CRLF, under relaxed: RFC 6376
            # 3.4.4 drops the blanks at the end of the line, then adds the
            # CRLF ("last line\r\n"). libopendkim adds no CRLF; dkimpy
            # keeps one SP of the blanks ("last line \r\n"). emauth must
            # follow the RFC; what the peers say is printed only.
            case $m:$canon:$signer in
            noeol:relaxed/*:opendkim | noeol-ws:relaxed/*:opendkim | noeol-ws:relaxed/*:dkimpy)
                emauth_expect "$c (the signer departs from RFC 6376 3.4.4)" "$out" fail
                for p in dkimpy opendkim; do [ "$p" = "$signer" ] || peer_note "$c" "$p" "$out"; done
                continue ;;
            noeol:relaxed/*:*)
                emauth_expect "$c" "$out" pass
                peer_expect "$c" dkimpy "$out" pass
                peer_note "$c (libopendkim adds no CRLF)" opendkim "$out"
                continue ;;
            noeol-ws:relaxed/*:emauth)
                emauth_expect "$c" "$out" pass
                peer_note "$c (dkimpy keeps a SP)" dkimpy "$out"
                peer_note "$c (libopendkim adds no CRLF)" opendkim "$out"
                continue ;;
            esac
            all_expect "$c" "$out" pass
        done
    done
done
# Bare LF line ends (an MTA's local delivery): emauth treats LF as CRLF.
for signer in emauth dkimpy opendkim; do
    case $signer in
    dkimpy) [ "$HAVE_DKIMPY" = 1 ] || continue ;;
    opendkim) [ "$HAVE_ODK" = 1 ] || continue ;;
    esac
    for m in base big; do
        [ -f "$K/em-ed.pem" ] || continue
        for canon in relaxed/relaxed simple/simple; do
            [ "$signer" = opendkim ] && [ "${canon%/*}" = simple ] && continue   # see A
            [ "$signer" = dkimpy ] && [ "$HAVE_NACL" = 0 ] && continue
            sign "$signer" em-ed ed25519-sha256 "$canon" 0 "$M/$m.eml" "$M/lf-src.eml" || continue
            n=$((n + 1))
            tr -d '\r' <"$M/lf-src.eml" >"$M/lf.eml"
            emauth_expect "D $m signed by $signer c=$canon, then CRLF -> LF" "$M/lf.eml" pass
        done
    done
done
# Signing an LF message with emauth gives what signing its CRLF form gives.
if [ -f "$K/em-ed.pem" ]; then
    tr -d '\r' <"$M/base.eml" >"$M/base-lf.eml"
    if sign emauth em-ed ed25519-sha256 relaxed/relaxed 0 "$M/base-lf.eml" "$M/D-signed-lf.eml"; then
        n=$((n + 1))
        # The output may keep LF or use CRLF; the peers get CRLF.
        sed 's/\r*$/\r/' "$M/D-signed-lf.eml" >"$M/D-signed-lf-crlf.eml"
        all_expect "D LF message signed by emauth" "$M/D-signed-lf-crlf.eml" pass
    fi
fi
echo "   $n signed messages"

# ---- E: the RFC examples ---------------------------------------------------

echo "== E: RFC 8463 Appendix A, RFC 6376 Appendix A"
R8463=$SUITES/dkim/rfc8463
if [ -f "$R8463/appendix-a3-signed.eml" ] && [ -f "$R8463/dns.zone" ]; then
    crlf <"$R8463/appendix-a3-signed.eml" >"$M/rfc8463.eml"
    "$EMAUTH" dkim verify --zone "$R8463/dns.zone" --json <"$M/rfc8463.eml" >"$T/rfc.out" 2>"$T/rfc.err"
    rc=$?
    got=$(while IFS= read -r l; do printf '%s:%s:%s ' "$(jfield "$l" selector)" "$(jfield "$l" algorithm)" "$(jfield "$l" result)"; done <"$T/rfc.out")
    if [ "$rc" = 0 ] && [ "$got" = "brisbane:ed25519-sha256:pass test:rsa-sha256:pass " ]; then
        ok
    else
        bad "E RFC 8463 A.3: emauth: expected brisbane ed25519 pass, test rsa pass; got exit $rc: $got $(cat "$T/rfc.err")"
    fi
    # The same with the peers, the zone's TXT strings joined into their key file.
    sed -n 's/^\([^;][^ ]*\)\. IN TXT \(.*\)$/\1 \2/p' "$R8463/dns.zone" |
        sed 's/" "//g; s/ "/ /; s/"$//' >"$K/rfc8463.keys"
    if [ "$HAVE_DKIMPY" = 1 ]; then
        "$PY" "$HERE/dkimpy_tool.py" verify --keys "$K/rfc8463.keys" <"$M/rfc8463.eml" >"$T/pv.out" 2>&1
        [ "$(grep -c 'result=pass' "$T/pv.out")" = 2 ] && ok ||
            bad "E RFC 8463 A.3: dkimpy: expected 2 x pass, got: $(tr '\n' ';' <"$T/pv.out")"
    fi
    KEYS_SAVE=$KEYS
    KEYS=$K/rfc8463.keys
    peer_expect "E RFC 8463 A.3" opendkim "$M/rfc8463.eml" pass 2
    KEYS=$KEYS_SAVE
    # LF line ends as published: the same two passes.
    "$EMAUTH" dkim verify --zone "$R8463/dns.zone" --json <"$R8463/appendix-a3-signed.eml" >"$T/rfc.out" 2>&1
    [ "$(grep -c '"result": *"pass"' "$T/rfc.out")" = 2 ] && ok ||
        bad "E RFC 8463 A.3 with LF line ends: emauth: $(cat "$T/rfc.out")"
else
    echo "SKIP: RFC 8463 vectors not found under $R8463"
fi
R6376=$SUITES/dkim/rfc6376
if [ -f "$R6376/appendix-a2-signed.eml" ]; then
    # Known errata: bh= is the relaxed body hash under c=simple/simple. With
    # the Appendix C key published where d= and s= point, it must fail.
    p=$(grep -v '^-----' "$R6376/appendix-c-rsa.public.pem" | tr -d '\n')
    printf 'brisbane._domainkey.example.com. IN TXT "v=DKIM1; k=rsa; p=%s"\n' "$p" >"$K/rfc6376.zone"
    crlf <"$R6376/appendix-a2-signed.eml" >"$M/rfc6376.eml"
    "$EMAUTH" dkim verify --zone "$K/rfc6376.zone" --json <"$M/rfc6376.eml" >"$T/rfc.out" 2>"$T/rfc.err"
    rc=$?
    r=$(jfield "$(head -n 1 "$T/rfc.out")" result)
    [ "$rc" = 0 ] && [ "$r" = fail ] && ok ||
        bad "E RFC 6376 A.2 (errata): emauth: expected fail, got exit $rc: $(cat "$T/rfc.out" "$T/rfc.err")"
fi

# ---- F: body hashes against dkimpy's canonicalization ----------------------

echo "== F: body hashes of random bodies in random pieces, emauth against dkimpy"
if [ "$HAVE_DKIMPY" = 0 ]; then
    :
elif [ -z "$BHT" ] || [ ! -x "$BHT" ]; then
    echo "SKIP: tests/interop/bodyhash_tool not built"
else
    for seed in 1 2; do
        if "$PY" "$HERE/dkimpy_tool.py" bodyhash-diff --tool "$BHT" --seed "$seed" >"$T/bh.out" 2>&1; then
            ok
            echo "   seed $seed: $(tail -n 1 "$T/bh.out")"
        else
            bad "F body hashes, seed $seed: emauth and dkimpy differ:"
            cat "$T/bh.out"
        fi
    done
fi

# ---- under valgrind (when the CLI tests run so) -----------------------------

if [ -n "${EMAUTH_VALGRIND:-}" ] && [ -f "$M/B-dual.eml" ]; then
    for args in "dkim verify --zone $ZONE --json" \
        "dkim sign --key $K/em-ed.pem --domain $DOMAIN --selector em-ed --algorithm ed25519-sha256"; do
        # shellcheck disable=SC2086
        "$EMAUTH_VALGRIND" -q --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite,indirect,possible "$EMAUTH" $args \
            <"$M/B-dual.eml" >/dev/null 2>"$T/vg.err"
        if [ $? = 99 ]; then bad "valgrind: emauth $args: $(cat "$T/vg.err")"; else ok; fi
    done
fi

echo "== dkimpy: the $PYN queued verifications"
dkimpy_queue_run

echo "$checks checks passed, $failures failed"
[ "$failures" = 0 ]
