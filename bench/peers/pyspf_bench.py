#!/usr/bin/python3
"""bench/pyspf_bench.py - pyspf (Debian python3-spf) on the benchmark's SPF cases.

In memory (the in-process comparison):
    pyspf_bench.py --records RECORDS --ip IP --mail-from ADDR --helo HELO
                   [--seconds S] [--runs R]
  pyspf's DNS function (spf.DNSLookup) is replaced by a stub answering from
  RECORDS (bench/out/spf-records.tsv, made from bench/bench.zone by
  bench/peers/zone2tsv.awk): no network, in-process, like spf_bench. Each run
  is N checks, N sized to about S seconds (default 1); R runs (default 5).

Live DNS (pyspf's own DNS path, dnspython, pointed at a port):
    pyspf_bench.py --server HOST:PORT --batch FILE [--seconds S] [--runs R]
  dnspython's default resolver is replaced by one with nameservers=[HOST]
  and port=PORT (no /etc/resolv.conf involved). Each run checks the lines of
  FILE ("IP<TAB>MAIL-FROM<TAB>HELO", as `emauth spf check --batch` reads)
  one after the other for about S seconds, continuing where the last run
  stopped; every verdict must be "pass".

Each check is a new spf.query(...).check(), as pyspf is used per message.
The first check must pass (else exit 1); so must every timed one. Prints
each run, then, for bench/run.sh:
    RESULT rate=CHECKS_PER_S runs=R1,R2,... n=N [questions=Q]
(questions: of the first check, in memory only)
"""
import argparse
import statistics
import sys
import time

import spf


def load_records(path):
    zone = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            owner, rtype, data = line.rstrip("\n").split("\t", 2)
            if rtype == "MX":
                pref, exch = data.split(" ", 1)
                value = (int(pref), exch)
            elif rtype == "TXT":
                value = (data.encode(),)
            else:
                value = data
            zone.setdefault((owner, rtype), []).append(value)
    return zone


def report(runs, n, questions=None):
    med = statistics.median(runs)
    print("RESULT rate=%.1f runs=%s n=%d%s"
          % (med, ",".join("%.0f" % r for r in runs), n,
             "" if questions is None else " questions=%d" % questions))


def in_memory(a):
    zone = load_records(a.records)
    asked = []

    counting = [True]   # the questions of the first check only

    def stub(name, qtype, strict=True, timeout=None):
        name = name.lower().rstrip(".")
        if counting[0]:
            asked.append((qtype, name))
        return [((name, qtype), d) for d in zone.get((name, qtype), [])]

    spf.DNSLookup = stub

    def check():
        return spf.query(a.ip, a.mail_from, a.helo, receiver="mx.bench.example").check()

    res = check()
    print("pyspf %s (Python %s): questions of the first check:"
          % (spf.__version__, sys.version.split()[0]))
    for i, (t, nm) in enumerate(asked):
        print("  q%-2d %-4s %s" % (i + 1, t, nm))
    print("ip=%s mail_from=%s -> %s, %d DNS questions" % (a.ip, a.mail_from, res[0], len(asked)))
    if res[0] != "pass":
        sys.exit("pyspf_bench: expected pass, got %r" % (res,))
    questions = len(asked)
    counting[0] = False

    def timed(n):
        t0 = time.perf_counter()
        for _ in range(n):
            if check()[0] != "pass":
                sys.exit("pyspf_bench: a timed check did not pass")
        return time.perf_counter() - t0

    n = 4
    while True:
        el = timed(n)
        if el >= a.seconds / 4:
            n = max(1, int(n * a.seconds / el))
            break
        n *= 2
    runs = []
    for i in range(a.runs):
        el = timed(n)
        runs.append(n / el)
        print("  run %d: %d checks in %.3f s = %.0f checks/s" % (i + 1, n, el, n / el))
    report(runs, n, questions)


def live(a):
    import dns.resolver

    host, _, port = a.server.rpartition(":")
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = [host]
    r.port = int(port)
    r.timeout = 2.0
    r.lifetime = 5.0
    dns.resolver.default_resolver = r
    lines = []
    with open(a.batch, encoding="utf-8") as f:
        for line in f:
            ip, mail_from, helo = line.rstrip("\n").split("\t")
            lines.append((ip, mail_from, helo))
    pos = [0]

    def check_next():
        ip, mail_from, helo = lines[pos[0] % len(lines)]
        pos[0] += 1
        res = spf.query(ip, mail_from, helo, receiver="mx.bench.example").check()
        if res[0] != "pass":
            sys.exit("pyspf_bench: %s %s: expected pass, got %r" % (ip, mail_from, res))

    print("pyspf %s with dnspython %s, nameserver %s port %s; %d batch lines"
          % (spf.__version__, dns.version.version, host, port, len(lines)))
    check_next()
    runs, total = [], 0
    for i in range(a.runs):
        n, t0 = 0, time.perf_counter()
        while True:
            for _ in range(10):
                check_next()
            n += 10
            el = time.perf_counter() - t0
            if el >= a.seconds:
                break
        total += n
        runs.append(n / el)
        print("  run %d: %d checks in %.3f s = %.0f checks/s" % (i + 1, n, el, n / el))
    report(runs, total // a.runs)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--records")
    p.add_argument("--ip")
    p.add_argument("--mail-from")
    p.add_argument("--helo")
    p.add_argument("--server")
    p.add_argument("--batch")
    p.add_argument("--seconds", type=float, default=1.0)
    p.add_argument("--runs", type=int, default=5)
    a = p.parse_args()
    if a.server and a.batch:
        live(a)
    elif a.records and a.ip and a.mail_from is not None and a.helo:
        in_memory(a)
    else:
        p.error("give --records, --ip, --mail-from and --helo, or --server and --batch")


if __name__ == "__main__":
    main()
