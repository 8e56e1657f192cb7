#!/bin/sh
# Hostile bytes in queries reach every output safely: JSON stays valid
# (control characters as \u00XX, each byte that is not valid UTF-8 as
# \ufffd, valid UTF-8 kept), text shows control bytes and invalid UTF-8 as
# \xHH, and header fields stay one line of printable ASCII.
. "$(dirname "$0")/common.inc"

# One query per line; octal escapes make the bytes.
printf '%b\n' \
    '192.0.2.10\ta\001b\037c\177d@example.com\tmail.example.com' \
    '192.0.2.10\tq"uo\\te@example.com\th\\"elo.example' \
    '192.0.2.10\tj\0303\0251r\0303\0264me\0360\0237\0230\0200@example.com' \
    '192.0.2.10\tlone\0377.trunc\0303.overlong\0300\0257.surrogate\0355\0240\0200.big\0364\0220\0200\0200@example.com' \
    '192.0.2.10\tc1\0302\0233x@example.com\t\033[31mred' \
    '192.0.2.99\tuser@exa\001mple.com' \
    '\033[2J\tuser@example.com' \
    '192.0.2.99\tend\0303@moved.example' \
    '192.0.2.99\tc1\0302\0233x@moved.example' >"$OUT/hostile.txt"

run escape_json 2 spf check --zone "$ZONE" --receiver mx.test --batch "$OUT/hostile.txt" --json --header
json_lines_ok escape_json.out
golden escape_json
has escape_json.out '"mail_from":"a\u0001b\u001fc\u007fd@example.com"'
has escape_json.out '"mail_from":"q\"uo\\te@example.com","helo":"h\\\"elo.example"'
has escape_json.out '"mail_from":"jérôme😀@example.com"'
has escape_json.out '"mail_from":"lone\ufffd.trunc\ufffd.overlong\ufffd\ufffd.surrogate\ufffd\ufffd\ufffd.big\ufffd\ufffd\ufffd\ufffd@example.com"'
has escape_json.out '"helo":"\u001b[31mred"'
has escape_json.out '{"ip":"\u001b[2J",'

run escape_text 2 spf check --zone "$ZONE" --receiver mx.test --batch "$OUT/hostile.txt" --header
golden escape_text
has escape_text.out 'error: line 7: bad IP address "\x1b[2J"'
has escape_text.out 'permitted sender for end\xc3@moved.example'
# C1 controls are valid UTF-8 (kept in JSON) but act as escapes on some terminals.
has escape_text.out 'permitted sender for c1\xc2\x9bx@moved.example'

# Whatever came in: JSON is valid UTF-8 without control bytes, text has no
# control bytes (so no terminal escapes) and only valid UTF-8.
for f in escape_json escape_text; do
    if LC_ALL=C tr -d '\n\040-\176\200-\377' <"$OUT/$f.out" | grep -q .; then
        fail "$f: control bytes in the output"
    fi
    if command -v iconv >/dev/null 2>&1; then
        iconv -f UTF-8 -t UTF-8 <"$OUT/$f.out" >/dev/null 2>&1 || fail "$f: invalid UTF-8 in the output"
    fi
done
# Header fields are printable ASCII only.
grep -e '^Received-SPF:' -e '^Authentication-Results:' "$OUT/escape_text.out" >"$OUT/headers.txt"
if LC_ALL=C tr -d '\n\040-\176' <"$OUT/headers.txt" | grep -q .; then
    fail "header fields: bytes outside printable ASCII"
fi

# Single queries take hostile bytes from the command line the same way.
run argv_json 0 spf check --zone "$ZONE" --receiver mx.test --ip 192.0.2.10 --json \
    --mail-from "$(printf 'x\033]0;title\007@example.com')"
has argv_json.out '"mail_from":"x\u001b]0;title\u0007@example.com"'
run argv_text 0 spf check --zone "$ZONE" --receiver mx.test --ip 192.0.2.99 \
    --mail-from "$(printf 'x\033]0;title\007@moved.example')"
has argv_text.out 'x\x1b]0;title\x07@moved.example'

vg spf check --zone "$ZONE" --receiver mx.test --batch "$OUT/hostile.txt" --json --header --trace
vg spf check --zone "$ZONE" --receiver mx.test --batch "$OUT/hostile.txt" --header --trace
exit 0
