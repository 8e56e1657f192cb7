#!/usr/bin/env python3
"""bench/pyspf_bench.py ZONE [N] - pyspf on the reference case, for comparison.

Optional: needs Debian's python3-spf (pyspf). pyspf's DNS function is
replaced by a stub that answers from ZONE (bench/bench.zone, read with a
small reader for its one-record-per-line subset), so no network is used and
pyspf, like spf_bench, runs in-process against an in-memory zone.
Prints checks/s and us/check: the median of 5 runs of N checks.
"""
import statistics
import sys
import time

import spf

REF = ("198.51.100.77", "user@example.com", "out.provider.example")


def tokens(line):
    """Splits a master-file line: quoted strings kept whole, ';' comments dropped."""
    out, cur, quoted, i = [], None, False, 0
    while i < len(line):
        ch = line[i]
        if quoted:
            if ch == "\\" and i + 1 < len(line):
                cur += line[i + 1]
                i += 1
            elif ch == '"':
                out.append(("q", cur))
                cur, quoted = None, False
            else:
                cur += ch
        elif ch == '"':
            if cur is not None:
                out.append(("w", cur))
            cur, quoted = "", True
        elif ch == ";":
            break
        elif ch in " \t":
            if cur is not None:
                out.append(("w", cur))
                cur = None
        else:
            cur = (cur or "") + ch
        i += 1
    if cur is not None and not quoted:
        out.append(("w", cur))
    return out, line[:1] in (" ", "\t")


def load(path):
    zone, origin, last = {}, "", None
    for raw in open(path, encoding="utf-8"):
        toks, blank_owner = tokens(raw.rstrip("\n"))
        if not toks:
            continue
        if toks[0][1] == "$ORIGIN":
            origin = toks[1][1].rstrip(".").lower()
            continue
        if toks[0][1].startswith("$"):
            continue
        if blank_owner:
            owner = last
        else:
            o = toks.pop(0)[1]
            owner = origin if o == "@" else (o[:-1] if o.endswith(".") else o + "." + origin)
            owner = owner.lower()
        last = owner
        while toks and (toks[0][1].isdigit() or toks[0][1].upper() == "IN"):
            toks.pop(0)
        rtype, rdata = toks[0][1].upper(), toks[1:]
        if rtype in ("A", "AAAA"):
            data = rdata[0][1]
        elif rtype == "MX":
            data = (int(rdata[0][1]), rdata[1][1].rstrip("."))
        elif rtype == "TXT":
            data = tuple(t[1].encode() for t in rdata)
        else:
            continue
        zone.setdefault((owner, rtype), []).append(data)
    return zone


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: pyspf_bench.py ZONE [N]")
    zone = load(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    asked = []

    def stub(name, qtype, strict=True, timeout=None):
        name = name.lower().rstrip(".")
        asked.append((qtype, name))
        return [((name, qtype), d) for d in zone.get((name, qtype), [])]

    spf.DNSLookup = stub

    def check():
        return spf.query(*REF, receiver="mx.bench.example").check()

    res = check()
    if res[0] != "pass":
        sys.exit("pyspf: reference case gave %r, expected pass" % (res,))
    print("pyspf %s: reference case -> %s, %d DNS questions asked through the stub"
          % (spf.__version__, res[0], len(asked)))

    if n == 0:  # size N to about 1 s per run
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < 0.3:
            check()
            n += 1
        n = max(1, int(n / (time.perf_counter() - t0)))
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            check()
        runs.append((time.perf_counter() - t0) / n)
    med = statistics.median(runs)
    print("pyspf reference: %.0f checks/s, %.1f us/check (median of 5 runs of %d)"
          % (1 / med, med * 1e6, n))


if __name__ == "__main__":
    main()
