#!/bin/sh
# Dispatch, help texts, usage errors and the exit codes / messages they give.
. "$(dirname "$0")/common.inc"

# Version and help.
run version 0 --version
grep -qE '^emauth [0-9]+\.[0-9]+\.[0-9]+$' "$OUT/version.out" || fail "--version: $(cat "$OUT/version.out")"
run help 0 --help
has help.out "spf check"
run help_cmd 0 help
cmp -s "$OUT/help.out" "$OUT/help_cmd.out" || fail "'emauth help' differs from 'emauth --help'"
run spf_help 0 spf --help
has spf_help.out "check"

# The command's help documents every flag and the batch format.
run check_help 0 spf check --help
for flag in --ip --mail-from --helo --receiver --zone --batch --json --header --trace; do
    has check_help.out "  $flag"
done
has check_help.out "IP<TAB>MAIL-FROM<TAB>HELO"
has check_help.out "lines starting with '#' are skipped"
run check_help2 0 help spf check
cmp -s "$OUT/check_help.out" "$OUT/check_help2.out" || fail "'help spf check' differs from --help"
# --help wins over everything else on the line.
run check_help3 0 spf check --frob --help
cmp -s "$OUT/check_help.out" "$OUT/check_help3.out" || fail "--help after a bad flag"

# Usage errors: exit 2, one clear line on stderr starting "emauth: ".
run noargs 2
has noargs.err "emauth: missing command"
run bad_area 2 frob
err_is bad_area "emauth: unknown command 'frob' (see 'emauth --help')"
run bad_flag_top 2 --frob
err_is bad_flag_top "emauth: unknown option '--frob' (see 'emauth --help')"
run no_verb 2 spf
err_is no_verb "emauth: missing verb after 'spf' (see 'emauth spf --help')"
run bad_verb 2 spf frob
err_is bad_verb "emauth: unknown command 'spf frob' (see 'emauth spf --help')"
run bad_flag 2 spf check --zone "$ZONE" --ip 192.0.2.1 --frob
err_is bad_flag "emauth: spf check: unknown option '--frob' (see 'emauth spf check --help')"
run short_flag 2 spf check --zone "$ZONE" --ip 192.0.2.1 -x
err_is short_flag "emauth: spf check: unknown option '-x' (see 'emauth spf check --help')"
run stray_arg 2 spf check --zone "$ZONE" --ip 192.0.2.1 example.com
err_is stray_arg "emauth: spf check: unexpected argument 'example.com' (see 'emauth spf check --help')"
run no_value 2 spf check --zone "$ZONE" --ip
err_is no_value "emauth: spf check: option --ip needs a value (see 'emauth spf check --help')"
run flag_value 2 spf check --zone "$ZONE" --ip 192.0.2.1 --json=yes
err_is flag_value "emauth: spf check: option --json takes no value (see 'emauth spf check --help')"
run no_ip 2 spf check --zone "$ZONE" --mail-from user@example.com
err_is no_ip "emauth: spf check: --ip IP or --batch FILE is required (see 'emauth spf check --help')"
run batch_and_ip 2 spf check --zone "$ZONE" --batch - --ip 192.0.2.1
err_is batch_and_ip "emauth: spf check: --batch replaces --ip, --mail-from and --helo (see 'emauth spf check --help')"
run bad_receiver 2 spf check --zone "$ZONE" --ip 192.0.2.1 --receiver "two words"
err_is bad_receiver "emauth: spf check: --receiver must be a host name (see 'emauth spf check --help')"

# Input errors: exit 2.
# Without --zone DNS is live: only ever a loopback server here. Port 1 has
# no server, so the query is refused at once: a temperror, still exit 0.
run live_refused 0 spf check --nameserver 127.0.0.1:1 --timeout 200 --tries 1 --ip 192.0.2.1 --mail-from user@example.com
has live_refused.out "temperror: example.com: DNS servfail looking up TXT example.com"
run bad_nameserver 2 spf check --nameserver 127.0.0.1:70000 --ip 192.0.2.1
err_is bad_nameserver 'emauth: bad name server "127.0.0.1:70000": expected ADDR, ADDR:PORT or [IPV6]:PORT'
run bad_timeout 2 spf check --nameserver 127.0.0.1:1 --timeout 0 --ip 192.0.2.1
has bad_timeout.err "--timeout takes a whole number from 1 to 600000"
run bad_ip 2 spf check --zone "$ZONE" --ip 192.0.2.300 --mail-from user@example.com
err_is bad_ip 'emauth: bad IP address "192.0.2.300"'
run bad_ip_long 2 spf check --zone "$ZONE" --ip "$(printf 'x%.0s' $(seq 100))"
has bad_ip_long.err '..."'
run null_no_helo 2 spf check --zone "$ZONE" --ip 192.0.2.1
has null_no_helo.err "emauth: "
run missing_zone 2 spf check --zone $DATA/no-such.zone --ip 192.0.2.1
has missing_zone.err "emauth: "
has missing_zone.err "no-such.zone"
run bad_zone 2 spf check --zone $DATA/bad.zone --ip 192.0.2.1 --mail-from user@example.com
has bad_zone.err "emauth: $DATA/bad.zone:4:"
[ ! -s "$OUT/bad_zone.out" ] || fail "bad_zone: output on stdout"
run missing_batch 2 spf check --zone "$ZONE" --batch $DATA/no-such.batch
has missing_batch.err "emauth: cannot open batch file $DATA/no-such.batch"

# Zone warnings are printed, and the check still runs.
run warn_zone 0 spf check --zone $DATA/warn.zone --ip 192.0.2.1 --mail-from user@warn.example
has warn_zone.err "emauth: warning: $DATA/warn.zone:3:"
has warn_zone.out "fail:"

# Several --zone files make one zone.
run two_zones 0 spf check --zone "$ZONE" --zone $DATA/warn.zone --ip 192.0.2.1 \
    --mail-from user@warn.example --receiver mx.test
has two_zones.out "fail: 192.0.2.1 is not authorized to send for warn.example"

vg spf check --zone $DATA/bad.zone --ip 192.0.2.1
vg spf check --frob
vg --help
exit 0
