#!/bin/sh
# `emauth spf add` and `emauth spf flatten` (with --check) against
# data/edit/world.zone: text and JSON against golden files, refusals (exit 1),
# usage errors (exit 2), and a flattened set loaded back and checked.
. "$(dirname "$0")/common.inc"
DATA=data/edit
ZONE=$DATA/world.zone

# cases VERB EXIT LIST: "name|arguments" lines (arguments split on spaces);
# each runs `emauth spf VERB --zone ZONE ARGS $EXTRA`, its stdout (and, with
# SHOW_ERR=1, its stderr) appended to $OUT/$GOLD.out after a "# name" line.
cases() {
    _verb=$1 _rc=$2
    : >"$OUT/$GOLD.out"
    printf '%s\n' "$3" >"$OUT/cases.txt"
    while IFS='|' read -r name args; do
        [ -n "$name" ] || continue
        echo "# $name" >>"$OUT/$GOLD.out"
        # shellcheck disable=SC2086
        run one "$_rc" spf "$_verb" --zone "$ZONE" $EXTRA $args
        cat "$OUT/one.out" >>"$OUT/$GOLD.out"
        if [ "${SHOW_ERR:-0}" = 1 ]; then
            cat "$OUT/one.err" >>"$OUT/$GOLD.out"
        elif [ -s "$OUT/one.err" ]; then
            fail "$name: unexpected standard error: $(cat "$OUT/one.err")"
        fi
    done <"$OUT/cases.txt"
}

# Appends `emauth spf add ARGS` (exit 0) to $OUT/$GOLD.out: for arguments with spaces.
add_case() {
    _case=$1
    shift
    run one 0 spf add --zone "$ZONE" $EXTRA "$@"
    { echo "# $_case"; cat "$OUT/one.out"; } >>"$OUT/$GOLD.out"
}

# ---- add ------------------------------------------------------------------------

ADD='merge|example.com include:sender.example ip4:192.0.2.0/28 mx
no_record_mx|fresh.example include:sender.example
no_record_all|quiet.example include:sender.example -all
before_redirect|moved.example ip4:192.0.2.61 -ip4:192.0.2.62
qualifiers|strict.example ~include:sender.example ?ip6:2001:db8:9::/48
dash_terms|example.com -ip4:192.0.2.99 -- -a:other.example
flatten_over|example.com include:heavy.example --flatten
flatten_under|example.com include:sender.example --flatten'

for GOLD in add_text add_json; do
    EXTRA=
    [ "$GOLD" = add_json ] && EXTRA=--json
    cases add 0 "$ADD"
    add_case record --record 'v=spf1  a   -all' include:sender.example
    add_case record_domain --record 'v=spf1 a -all' --domain quiet.example mx --ttl 600
done
EXTRA=
golden add_text
grep -v '^#' "$OUT/add_json.out" >"$OUT/add_json_only.out"
json_lines_ok add_json_only.out
golden add_json

# The first line is the merged record, the last the line to publish.
run first 0 spf add --zone "$ZONE" example.com include:sender.example
MERGED='v=spf1 mx include:_spf.mailer.example include:sender.example ~all'
[ "$(sed -n 1p "$OUT/first.out")" = "$MERGED" ] || fail "add: first line is not the merged record"
[ "$(tail -n 1 "$OUT/first.out")" = "example.com. 3600 IN TXT \"$MERGED\"" ] ||
    fail "add: last line is not the master-file line"

# Refusals: exit 1, nothing on stdout, one line (and a caret) on stderr.
REFUSED='too_many_lookups|example.com include:heavy.example
syntax|broken.example a
multiple_records|double.example a
dns_error|flaky.example a
conflicting_all|example.com -all'
GOLD=add_refused EXTRA= SHOW_ERR=1
cases add 1 "$REFUSED"
golden add_refused
GOLD=add_refused_json EXTRA=--json SHOW_ERR=0
cases add 1 "$REFUSED"
grep -v '^#' "$OUT/add_refused_json.out" >"$OUT/add_refused_json_only.out"
json_lines_ok add_refused_json_only.out
golden add_refused_json

# ---- flatten ----------------------------------------------------------------------

FLAT='one_record|example.com
chained|big.example
redirect|moved.example
exp_kept|strict.example'
GOLD=flatten_text EXTRA=
cases flatten 0 "$FLAT"
golden flatten_text
GOLD=flatten_json EXTRA=--json
cases flatten 0 "$FLAT"
grep -v '^#' "$OUT/flatten_json.out" >"$OUT/flatten_json_only.out"
json_lines_ok flatten_json_only.out
golden flatten_json

FLAT_REFUSED='not_a_union|tricky.example
no_record|quiet.example
syntax|broken.example
multiple_records|double.example'
GOLD=flatten_refused EXTRA= SHOW_ERR=1
cases flatten 1 "$FLAT_REFUSED"
golden flatten_refused
GOLD=flatten_refused_json EXTRA=--json SHOW_ERR=0
cases flatten 1 "$FLAT_REFUSED"
grep -v '^#' "$OUT/flatten_refused_json.out" >"$OUT/flatten_refused_json_only.out"
json_lines_ok flatten_refused_json_only.out
golden flatten_refused_json

# The printed lines load as a zone; every string is at most 255 bytes.
run big 0 spf flatten --zone "$ZONE" big.example
if grep -o '"[^"]*"' "$OUT/big.out" | awk 'length($0) > 257 { bad = 1 } END { exit !bad }'; then
    fail "flatten: a TXT string over 255 bytes"
fi

# ---- flatten --check ------------------------------------------------------------------

run set 0 spf flatten --zone "$ZONE" example.com
cp "$OUT/set.out" "$OUT/set.zone"
run no_drift 0 spf flatten --zone "$ZONE" --check "$OUT/set.zone" example.com
run drift 1 spf flatten --zone "$DATA/later.zone" --check "$OUT/set.zone" example.com
run drift_json 1 spf flatten --zone "$DATA/later.zone" --check "$OUT/set.zone" example.com --json
{ cat "$OUT/no_drift.out" "$OUT/drift.out"; } >"$OUT/check_text.out"
golden check_text
cp "$OUT/drift_json.out" "$OUT/check_json.out"
json_lines_ok check_json.out
golden check_json

# The source from --record; without it and without the comment, the domain's
# record now, which must not be the flattened set itself.
run src 0 spf flatten --zone "$DATA/later.zone" --check "$OUT/set.zone" example.com \
    --record 'v=spf1 mx ip4:198.51.100.0/24 ip6:2001:db8:5::/48 -all'
grep -v '^;' "$OUT/set.zone" >"$OUT/bare.zone"
run live_source 1 spf flatten --zone "$DATA/later.zone" --check "$OUT/bare.zone" example.com
has live_source.out "1 range added, 1 removed"
run self 1 spf flatten --zone "$OUT/bare.zone" --check "$OUT/bare.zone" example.com
err_is self "emauth: cannot check: example.com publishes the flattened record itself: give the \
record it was flattened from"

# add --flatten output checks as a set too
run add_set 0 spf add --zone "$ZONE" example.com include:heavy.example --flatten
tail -n 5 "$OUT/add_set.out" >"$OUT/add_set.zone"
run add_set_check 0 spf flatten --zone "$ZONE" --check "$OUT/add_set.zone" example.com
has add_set_check.out "no drift"

# ---- usage errors: exit 2, one line on stderr ---------------------------------------------

: >"$OUT/usage.out"
usage() {
    run u 2 spf "$@"
    [ ! -s "$OUT/u.out" ] || fail "usage error with output: emauth spf $*"
    cat "$OUT/u.err" >>"$OUT/usage.out"
}
usage add
usage add example.com
usage add --zone "$ZONE" example.com include:
usage add --zone "$ZONE" example.com 'a mx'
usage add --zone "$ZONE" example.com redirect=other.example
usage add --zone "$ZONE" --record 'v=spf1 foo' a
usage add --domain example.com a
usage add --record 'v=spf1 a' --flatten a
usage add --zone "$ZONE" bad..example a
usage add --zone "$ZONE" --ttl soon example.com a
usage add --frob example.com a
usage flatten
usage flatten a.example b.example
usage flatten --zone "$ZONE" --check "$DATA/missing.zone" example.com
usage flatten --zone "$DATA/missing.zone" example.com
usage flatten --zone "$ZONE" --nameserver 127.0.0.1 example.com
golden usage

# ---- valgrind: one of each ------------------------------------------------------------------

vg spf add --zone "$ZONE" example.com include:sender.example ip4:192.0.2.0/28 mx --json
vg spf add --zone "$ZONE" example.com include:heavy.example --flatten
vg spf add --zone "$ZONE" broken.example a
vg spf add --zone "$ZONE" example.com include:
vg spf flatten --zone "$ZONE" big.example
vg spf flatten --zone "$DATA/later.zone" --check "$OUT/set.zone" example.com --json
exit 0
