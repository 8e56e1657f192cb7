#!/usr/bin/python3
"""bench/peers/dkimpy_bench.py - dkimpy (Debian python3-dkim) verifying one
signed message again and again, in-process, for the DKIM comparison.

    dkimpy_bench.py KEYS MESSAGE [SECONDS [RUNS]]

KEYS: lines "SELECTOR._domainkey.DOMAIN RECORD" (dkim_bench --generate writes
them), served through dkim.verify's dnsfunc hook from memory: no DNS.
MESSAGE: the signed message (CRLF), read once. Each verification is
dkim.verify(message, dnsfunc=stub), the library's one-call API. The first
must return True (else exit 1; exit 3 when dkimpy cannot do the algorithm);
so must every timed one. Each run lasts about SECONDS (default 1); RUNS runs
(default 5); prints each, then, for bench/run.sh:
    RESULT rate=VERIFICATIONS_PER_S runs=R1,R2,... n=N
"""
import statistics
import sys
import time

import dkim


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: dkimpy_bench.py KEYS MESSAGE [SECONDS [RUNS]]")
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    keys = {}
    with open(sys.argv[1], "rb") as f:
        for line in f:
            name, _, record = line.rstrip(b"\r\n").partition(b" ")
            keys[name.lower()] = record
    with open(sys.argv[2], "rb") as f:
        msg = f.read()

    def stub(name, timeout=5):
        if isinstance(name, str):
            name = name.encode()
        return keys.get(name.lower().rstrip(b"."))

    version = "?"
    try:
        from importlib.metadata import version as dist_version
        version = dist_version("dkimpy")
    except Exception:
        pass
    try:
        ok = dkim.verify(msg, dnsfunc=stub)
    except Exception as e:  # e.g. Ed25519 without PyNaCl
        print("dkimpy %s: %s: cannot verify: %s" % (version, sys.argv[2], e))
        sys.exit(3 if "ed25519" in sys.argv[2] else 1)
    print("dkimpy %s (Python %s): %s, %d bytes: %s"
          % (version, sys.version.split()[0], sys.argv[2], len(msg), "pass" if ok else "FAIL"))
    if not ok:
        sys.exit(1)
    sys.stdout.flush()
    rates, total = [], 0
    for r in range(runs):
        n, t0 = 0, time.perf_counter()
        while True:
            if not dkim.verify(msg, dnsfunc=stub):
                sys.exit("dkimpy_bench: a timed verification did not pass")
            n += 1
            el = time.perf_counter() - t0
            if el >= seconds:
                break
        total += n
        rates.append(n / el)
        print("  run %d: %.1f verifications/s (%.1f MB/s)" % (r + 1, n / el, n / el * len(msg) / 1e6))
    print("RESULT rate=%.1f runs=%s n=%d"
          % (statistics.median(rates), ",".join("%.1f" % x for x in rates), total // runs))


if __name__ == "__main__":
    main()
