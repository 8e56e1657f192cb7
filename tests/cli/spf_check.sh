#!/bin/sh
# `emauth spf check` on single queries against data/cli/world.zone: every
# result, in text and JSON, with --header and --trace, against golden files.
. "$(dirname "$0")/common.inc"

# name | arguments (split on spaces)
CASES='pass_mx|--ip 192.0.2.10 --mail-from user@example.com --helo mail.example.com
pass_include|--ip 198.51.100.7 --mail-from user@example.com
pass_ipv6|--ip 2001:DB8:5::25 --mail-from user@example.com
pass_v4mapped|--ip ::ffff:198.51.100.7 --mail-from user@example.com
softfail|--ip 192.0.2.99 --mail-from user@example.com --helo mail.example.net
fail_exp|--ip 192.0.2.99 --mail-from user@strict.example
fail_redirect_default_exp|--ip 192.0.2.99 --mail-from user@moved.example
neutral|--ip 192.0.2.99 --mail-from user@neutral.example
neutral_no_match|--ip 192.0.2.99 --mail-from user@nomatch.example
none_no_record|--ip 192.0.2.99 --mail-from user@plain.example
none_nxdomain|--ip 192.0.2.99 --mail-from user@nowhere.example
permerror_two_records|--ip 192.0.2.99 --mail-from user@double.example
permerror_syntax|--ip 192.0.2.99 --mail-from user@broken.example
permerror_lookups|--ip 192.0.2.99 --mail-from user@greedy.example
permerror_voids|--ip 192.0.2.99 --mail-from user@voids.example
temperror|--ip 192.0.2.99 --mail-from user@flaky.example
helo_pass|--ip 192.0.2.40 --helo mta.helo.example
helo_fail|--ip 192.0.2.99 --mail-from "" --helo mta.helo.example
no_local_part|--ip 192.0.2.10 --mail-from @example.com'

# all NAME FLAGS...: every case with FLAGS into $OUT/NAME.out; text gets a "# case" line first.
all() {
    _all=$1
    shift
    : >"$OUT/$_all.out"
    echo "$CASES" | while IFS='|' read -r name args; do
        case " $* " in *" --json "*) ;; *) echo "# $name" >>"$OUT/$_all.out" ;; esac
        # shellcheck disable=SC2086
        if [ "$name" = helo_fail ]; then
            run one 0 spf check --zone "$ZONE" --receiver mx.test --ip 192.0.2.99 --mail-from "" \
                --helo mta.helo.example "$@"
        else
            run one 0 spf check --zone "$ZONE" --receiver mx.test $args "$@"
        fi
        [ ! -s "$OUT/one.err" ] || fail "$name: unexpected standard error: $(cat "$OUT/one.err")"
        cat "$OUT/one.out" >>"$OUT/$_all.out"
    done || exit 1
}

all check_text
golden check_text
all check_json --json
json_lines_ok check_json.out
golden check_json
all check_header --header
golden check_header
all check_trace --trace
golden check_trace
all check_full_json --json --header --trace
json_lines_ok check_full_json.out
golden check_full_json

# One line per result in text, one JSON object per line.
[ "$(grep -c . "$OUT/check_json.out")" = "$(echo "$CASES" | grep -c .)" ] || fail "one JSON line per case"

# The default receiver is this host's name.
run default_receiver 0 spf check --zone "$ZONE" --ip 192.0.2.10 --mail-from user@example.com --header
has default_receiver.out "Authentication-Results: $(uname -n); spf=pass smtp.mailfrom=user@example.com"
has default_receiver.out "receiver=$(uname -n);"

# Options may come in any order and as --name=value.
run eq_form 0 spf check --json --helo=mail.example.com --mail-from=user@example.com \
    --ip=192.0.2.10 --zone="$ZONE" --receiver=mx.test
sed -n 1p "$DATA/check_json.out" >"$OUT/first.json"
cmp -s "$OUT/eq_form.out" "$OUT/first.json" || fail "--name=value form gives a different result"

# Colour only on a terminal (script(1) makes one) and never with NO_COLOR set;
# the golden files above show none when writing to a file.
if command -v script >/dev/null 2>&1; then
    cmd="'$EMAUTH' spf check --zone '$ZONE' --ip 192.0.2.99 --mail-from user@strict.example"
    (unset NO_COLOR; script -qc "$cmd" /dev/null) >"$OUT/tty.out" 2>&1 </dev/null
    grep -q "$(printf '\033')\[31mfail$(printf '\033')\[0m: " "$OUT/tty.out" || fail "no colour on a terminal"
    (NO_COLOR=1 script -qc "$cmd" /dev/null) >"$OUT/tty_nc.out" 2>&1 </dev/null
    grep -q "^fail: " "$OUT/tty_nc.out" || fail "colour despite NO_COLOR"
fi

vg spf check --zone "$ZONE" --receiver mx.test --ip 192.0.2.99 --mail-from user@strict.example --header --trace
vg spf check --zone "$ZONE" --receiver mx.test --ip 192.0.2.99 --mail-from user@flaky.example --json --header --trace
exit 0
