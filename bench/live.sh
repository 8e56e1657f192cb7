#!/bin/sh
# bench/live.sh [BUILD] - SPF checks over live DNS against NSD on loopback.
#
# Called from bench/run.sh (section 2); runs alone too (from the repository
# root), appending its rows to bench/out/results.tsv (see bench/lib.sh).
#
# 10,000 customer domains, each "v=spf1 mx include:_spf.provN.example -all"
# with its own MX host, sharing 4 providers whose include chains hold the
# sender's address: each check asks 6 questions. One batch line per domain.
#  - emauth's CLI over the whole batch at concurrency 1 and 200, with its
#    answer cache on and off (bench/cli_runs.sh: every verdict must be pass);
#  - pyspf (dnspython pointed at NSD's port) and Mail::SPF (Net::DNS pointed
#    at NSD's port), one check after the other through the same batch lines
#    for a fixed time per run, every verdict checked;
#  - libspf2 is not run: its resolver layer (SPF_dns_resolv_new) calls
#    res_ninit on its own resolver state, which reads /etc/resolv.conf, and
#    resolv.conf cannot name a port; pointing it at NSD would take a
#    system-wide change (resolv.conf, or NSD on port 53), which this
#    benchmark does not make.
# Peak RSS of each process by GNU time. NSD is started here on a free
# 127.0.0.1 port and stopped by its PID on exit, error or interrupt.
# DOMAINS sets the number of domains (10000).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
cd "$ROOT"
case $BUILD in "$ROOT"/*) BUILD=${BUILD#"$ROOT"/} ;; esac
. bench/lib.sh
EMAUTH=$BUILD/emauth
DOMAINS=${DOMAINS:-10000}
NSD=$(command -v nsd || echo /usr/sbin/nsd)
if [ "${BENCH_QUICK:-0}" = 1 ]; then
    LRUNS=1      # runs of each emauth configuration (the whole batch each)
    PSECS=0.5    # seconds per peer run
    PRUNS=1
else
    LRUNS=3
    PSECS=2
    PRUNS=3
fi

if [ ! -x "$EMAUTH" ]; then
    echo "bench: $EMAUTH: not built; run: make" >&2
    exit 2
fi
if [ ! -x "$NSD" ]; then
    echo "bench: nsd is not installed (apt-get install nsd): live DNS benchmark skipped"
    record spf-live emauth-c1-cache live - - - n/a "nsd not installed"
    exit 0
fi

DIR=$OUT/live            # the zone, the batch, NSD's files (its config wants absolute paths)
rm -rf "$DIR"
mkdir -p "$DIR"
ADIR=$ROOT/$DIR
NSD_PID=""
cleanup() {
    if [ -n "$NSD_PID" ]; then
        kill "$NSD_PID" 2>/dev/null || true
        wait "$NSD_PID" 2>/dev/null || true
        NSD_PID=""
    fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

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
        echo "  zonesdir: \"$ADIR\""
        echo "  pidfile: \"$ADIR/nsd.pid\""
        echo "  xfrdfile: \"$ADIR/xfrd.state\""
        echo "  zonelistfile: \"$ADIR/zone.list\""
        echo "  xfrdir: \"$ADIR\""
        echo "  logfile: \"$ADIR/nsd.log\""
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

echo "NSD $("$NSD" -v 2>&1 | sed -n 's/^NSD version //p') on $SERVER (pid $NSD_PID), started by this script"
echo "data: $DOMAINS domains, 4 providers; each check asks 6 questions: TXT, MX and A"
echo "      of the domain, TXT of the provider's include and of its v4 include, A of"
echo "      the relay; with emauth's cache, only the first three are new for each domain"
printf 'nsd_server=%s\n' "$SERVER" >>"$OUT/meta.txt"

for conc in 1 200; do
    for cache in on off; do
        flags="--concurrency $conc"
        [ "$cache" = off ] && flags="$flags --no-cache"
        echo
        echo "-- emauth CLI, concurrency $conc, cache $cache: $LRUNS run(s) of the $DOMAINS-line batch"
        # shellcheck disable=SC2086
        measure spf-live "emauth-c$conc-cache-$cache" live sh bench/cli_runs.sh "$DOMAINS" "$LRUNS" \
            "$DIR/out.jsonl" "$EMAUTH" spf check --nameserver "$SERVER" --batch "$DIR/batch.tsv" \
            --json --stats $flags
    done
done

echo
echo "-- pyspf, dnspython pointed at $SERVER: $PRUNS run(s) of $PSECS s"
if have_py spf && have_py dns.resolver; then
    measure spf-live pyspf live "$PY" bench/peers/pyspf_bench.py --server "$SERVER" \
        --batch "$DIR/batch.tsv" --seconds "$PSECS" --runs "$PRUNS"
else
    record spf-live pyspf live - - - n/a "python3-spf or python3-dnspython not installed"
fi
echo
echo "-- Mail::SPF, Net::DNS pointed at $SERVER: $PRUNS run(s) of $PSECS s"
if have_pm Mail::SPF; then
    measure spf-live mailspf live perl bench/peers/mailspf_bench.pl --server "$SERVER" \
        --batch "$DIR/batch.tsv" --seconds "$PSECS" --runs "$PRUNS"
else
    record spf-live mailspf live - - - n/a "libmail-spf-perl not installed"
fi
echo
echo "-- libspf2: not run (its resolver reads /etc/resolv.conf, which cannot name a port)"
record spf-live libspf2 live - - - n/a \
    "its DNS layer (SPF_dns_resolv_new) uses res_ninit, i.e. /etc/resolv.conf, which cannot name a port; pointing it at NSD would need a system-wide change"
