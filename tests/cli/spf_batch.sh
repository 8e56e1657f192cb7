#!/bin/sh
# `emauth spf check --batch`: the line format (comments, blank lines, CRLF,
# missing and extra fields, no final newline), error lines and the exit
# status, stdin, and input order kept across many blocks and threads.
. "$(dirname "$0")/common.inc"
BATCH=$DATA/batch.txt   # 12 queries, 4 of them bad (lines 9, 10, 11, 12)

run batch_text 2 spf check --zone "$ZONE" --receiver mx.test --batch "$BATCH"
golden batch_text
err_is batch_text "emauth: 4 batch lines could not be checked"

run batch_json 2 spf check --zone "$ZONE" --receiver mx.test --batch "$BATCH" --json
json_lines_ok batch_json.out
golden batch_json
has batch_json.out '{"ip":"not-an-ip","mail_from":"user@example.com","helo":"mail.example.com","identity":null,"domain":null,"result":null,'
has batch_json.out '"error":"line 9: bad IP address \"not-an-ip\""}'

# Error lines keep the same fields as the others, --header and --trace included.
run batch_full 2 spf check --zone "$ZONE" --receiver mx.test --batch "$BATCH" --json --header --trace
json_lines_ok batch_full.out
golden batch_full

run batch_header 2 spf check --zone "$ZONE" --receiver mx.test --batch "$BATCH" --header --trace
golden batch_header

# Standard input gives the same.
"$EMAUTH" spf check --zone "$ZONE" --receiver mx.test --batch - --json <"$BATCH" >"$OUT/stdin.out" 2>/dev/null
[ $? = 2 ] || fail "stdin: exit status"
cmp -s "$OUT/stdin.out" "$OUT/batch_json.out" || fail "--batch - differs from --batch FILE"

# A batch without bad lines exits 0 and says nothing on stderr; an empty one too.
grep -v -e not-an-ip -e extra -e '^192.0.2.99$' -e '^	' "$BATCH" >"$OUT/good.txt"
run good 0 spf check --zone "$ZONE" --receiver mx.test --batch "$OUT/good.txt" --json
[ ! -s "$OUT/good.err" ] || fail "good batch: stderr: $(cat "$OUT/good.err")"
[ "$(wc -l <"$OUT/good.out")" -eq 8 ] || fail "good batch: 8 results expected"
: >"$OUT/empty.txt"
run empty 0 spf check --zone "$ZONE" --batch "$OUT/empty.txt" --json
[ ! -s "$OUT/empty.out" ] || fail "empty batch: output"

# A NUL byte makes a line bad; the line is still reported, JSON-escaped.
printf '192.0.2.10\tuser@exa\000mple.com\n192.0.2.10\tuser@example.com\n' >"$OUT/nul.txt"
run nul 2 spf check --zone "$ZONE" --receiver mx.test --batch "$OUT/nul.txt" --json
has nul.out '"mail_from":"user@exa\u0000mple.com"'
has nul.out '"error":"line 1: NUL byte in the line"}'
has nul.out '"result":"pass"'

# Many blocks: results stay in input order and bad lines keep their numbers.
N=30000
awk -v n=$N 'BEGIN {
    for (i = 1; i <= n; i++) {
        if (i % 1000 == 0) { printf "bad-%d\tuser@example.com\n", i; continue }
        printf "10.%d.%d.%d\tuser%d@example.com\thelo%d.example.net\n", int(i / 65536) % 256, int(i / 256) % 256, i % 256, i, i
    }
}' >"$OUT/big.txt"
run big 2 spf check --zone "$ZONE" --batch "$OUT/big.txt" --json
err_is big "emauth: 30 batch lines could not be checked"
awk -v n=$N '
    { ip = $0; sub(/^\{"ip":"/, "", ip); sub(/".*/, "", ip) }
    NR % 1000 == 0 {
        if (ip != "bad-" NR || index($0, "\"error\":\"line " NR ": bad IP address") == 0) { print "line " NR ": " $0; exit 1 }
        next
    }
    {
        want = sprintf("10.%d.%d.%d", int(NR / 65536) % 256, int(NR / 256) % 256, NR % 256)
        if (ip != want || index($0, "\"mail_from\":\"user" NR "@example.com\"") == 0 || index($0, "\"result\":\"softfail\"") == 0) {
            print "line " NR ": want " want ": " $0; exit 1
        }
    }
    END { if (NR != n) { print NR " results for " n " lines"; exit 1 } }
' "$OUT/big.out" >&2 || fail "big batch: results out of order or missing"

# The text output of the big batch has one line per query as well.
run big_text 2 spf check --zone "$ZONE" --batch "$OUT/big.txt"
[ "$(wc -l <"$OUT/big_text.out")" -eq $N ] || fail "big batch text: $N lines expected"

vg spf check --zone "$ZONE" --receiver mx.test --batch "$BATCH" --json --header --trace
vg spf check --zone "$ZONE" --receiver mx.test --batch "$BATCH"
exit 0
