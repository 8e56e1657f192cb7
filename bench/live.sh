#!/bin/sh
# bench/live.sh [BUILD] - SPF bulk checks over live DNS against NSD on loopback.
#
# 10,000 customer domains, each "v=spf1 mx include:_spf.provN.example -all"
# with its own MX host, sharing 4 providers whose include chains hold the
# sender's address. One batch line per domain. Runs the CLI at concurrency
# 1 and 200, with the answer cache on and off, and reports checks per
# second, DNS queries sent and peak memory (max RSS).
# NSD is started here on a 127.0.0.1 port and stopped by its PID.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
cd "$ROOT"
EMAUTH=$BUILD/emauth
DOMAINS=${DOMAINS:-10000}
NSD=$(command -v nsd || echo /usr/sbin/nsd)

if [ ! -x "$EMAUTH" ]; then
    echo "bench: $EMAUTH: not built; run: make" >&2
    exit 2
fi
if [ ! -x "$NSD" ]; then
    echo "bench: nsd is not installed (apt-get install nsd): live DNS benchmark skipped"
    exit 0
fi

DIR=$(mktemp -d /tmp/emauth-bench-live-XXXXXX)
NSD_PID=""
cleanup() {
    if [ -n "$NSD_PID" ]; then
        kill "$NSD_PID" 2>/dev/null || true
        wait "$NSD_PID" 2>/dev/null || true
    fi
    rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

# The world, as NSD's root zone.
awk -v n="$DOMAINS" 'BEGIN {
    print "$ORIGIN ."
    print "$TTL 3600"
    print ". SOA ns.bench. hostmaster.bench. 1 3600 600 86400 3600"
    print ". NS ns.bench."
    for (p = 0; p < 4; p++) {
        printf "_spf.prov%d.example. TXT \"v=spf1 include:_v4.prov%d.example include:_v6.prov%d.example -all\"\n", p, p, p
        printf "_v4.prov%d.example. TXT \"v=spf1 a:relay.prov%d.example ip4:198.51.%d.0/24 -all\"\n", p, p, 100 + p
        printf "_v6.prov%d.example. TXT \"v=spf1 ip6:2001:db8:%d::/48 -all\"\n", p, p
        printf "relay.prov%d.example. A 203.0.113.%d\n", p, 200 + p
    }
    for (i = 0; i < n; i++) {
        printf "cust%d.example. TXT \"v=spf1 mx include:_spf.prov%d.example -all\"\n", i, i % 4
        printf "cust%d.example. MX 10 mx.cust%d.example.\n", i, i
        printf "mx.cust%d.example. A 192.0.%d.%d\n", i, 2 + int(i / 250) % 50, i % 250 + 1
    }
}' >"$DIR/root.zone"
# Each sender sits in its provider's ip4 range: every check walks the chain.
awk -v n="$DOMAINS" 'BEGIN {
    for (i = 0; i < n; i++)
        printf "198.51.%d.%d\tbounce@cust%d.example\tout.prov%d.example\n", 100 + i % 4, i % 250 + 1, i, i % 4
}' >"$DIR/batch.tsv"

write_conf() {
    {
        echo "server:"
        echo "  ip-address: 127.0.0.1@$1"
        echo "  port: $1"
        echo "  do-ip6: no"
        echo "  username: \"\""
        echo "  chroot: \"\""
        echo "  database: \"\""
        echo "  zonesdir: \"$DIR\""
        echo "  pidfile: \"$DIR/nsd.pid\""
        echo "  xfrdfile: \"$DIR/xfrd.state\""
        echo "  zonelistfile: \"$DIR/zone.list\""
        echo "  xfrdir: \"$DIR\""
        echo "  logfile: \"$DIR/nsd.log\""
        echo "  server-count: 1"
        echo "  tcp-count: 128"
        echo "  rrl-ratelimit: 0"
        echo "  rrl-whitelist-ratelimit: 0"
        echo "remote-control:"
        echo "  control-enable: no"
        echo "zone:"
        echo "  name: \".\""
        echo "  zonefile: \"root.zone\""
    } >"$DIR/nsd.conf"
}

# Starts NSD on port $1 and waits until it answers; 1 when it does not.
start_nsd() {
    write_conf "$1"
    "$NSD" -d -c "$DIR/nsd.conf" </dev/null >/dev/null 2>&1 &
    NSD_PID=$!
    SERVER=127.0.0.1:$1
    i=0
    until "$EMAUTH" spf check --nameserver "$SERVER" --timeout 200 --tries 1 \
            --ip 198.51.100.1 --mail-from x@cust0.example 2>/dev/null | grep -q '^pass'; do
        i=$((i + 1))
        if [ "$i" -gt 100 ] || ! kill -0 "$NSD_PID" 2>/dev/null; then
            kill "$NSD_PID" 2>/dev/null || true
            wait "$NSD_PID" 2>/dev/null || true
            NSD_PID=""
            return 1
        fi
        sleep 0.1
    done
}

# A port from our PID; if NSD cannot take it, the next one.
PORT=$((20000 + $$ % 30000))
tries=0
until start_nsd "$PORT"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 5 ]; then
        echo "bench: NSD did not start:" >&2
        cat "$DIR/nsd.log" >&2 2>/dev/null || true
        exit 1
    fi
    PORT=$((PORT + 1))
done

echo "machine: $(nproc) cores; NSD $("$NSD" -v 2>&1 | sed -n 's/^NSD version //p') on $SERVER (pid $NSD_PID)"
echo "data: $DOMAINS domains, 4 providers; each check asks 6 questions: TXT, MX and A"
echo "      of the domain, TXT of the provider's include and of its v4 include, A of"
echo "      the relay; with the cache, only the first three are new for each domain"
echo
printf '%-12s %-6s %9s %10s %14s %11s\n' concurrency cache seconds checks/s "queries sent" "max RSS"
for conc in 1 200; do
    for cache in on off; do
        flags="--concurrency $conc"
        [ "$cache" = off ] && flags="$flags --no-cache"
        cmd="$EMAUTH spf check --nameserver $SERVER --batch $DIR/batch.tsv --json --stats $flags"
        echo 0 >"$DIR/rss"
        start=$(date +%s.%N)
        if [ -x /usr/bin/time ]; then
            # shellcheck disable=SC2086
            /usr/bin/time -f '%M' -o "$DIR/rss" $cmd >"$DIR/out.jsonl" 2>"$DIR/err"
        else
            # shellcheck disable=SC2086
            $cmd >"$DIR/out.jsonl" 2>"$DIR/err"
        fi
        end=$(date +%s.%N)
        pass=$(grep -c '"result":"pass"' "$DIR/out.jsonl" || true)
        if [ "$pass" -ne "$DOMAINS" ]; then
            echo "bench: expected $DOMAINS passes, got $pass" >&2
            head -n 3 "$DIR/err" >&2
            exit 1
        fi
        sent=$(sed -n 's/.* \([0-9]*\) queries sent.*/\1/p' "$DIR/err")
        rss=$(tail -n 1 "$DIR/rss")
        awk -v c="$conc" -v k="$cache" -v s="$start" -v e="$end" -v n="$DOMAINS" -v q="$sent" \
            -v m="$rss" 'BEGIN {
                printf "%-12s %-6s %9.2f %10.0f %14s %11s\n", c, k, e - s, n / (e - s), q,
                       (m > 0) ? sprintf("%.1f MiB", m / 1024) : "n/a"
            }'
        echo "    \$ $cmd"
        sed -n 's/^emauth: dns: /    /p' "$DIR/err"
    done
done
