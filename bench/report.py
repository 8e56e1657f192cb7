#!/usr/bin/python3
"""bench/report.py OUT - the Markdown report of one bench/run.sh run.

Reads what bench/run.sh, bench/live.sh and bench/dkim.sh left in OUT
(bench/out): results.tsv (one row per measurement, see bench/lib.sh),
commands.tsv (the exact command of each), meta.txt (machine, date, times),
versions.tsv (dpkg-query -W) and bigmsg.txt; writes Markdown to stdout.
Nothing here measures: it only lays out, divides and compares.
"""
import os
import statistics
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else "bench/out"


def read_tsv(name, width):
    rows = []
    path = os.path.join(OUT, name)
    if not os.path.exists(path):
        return rows
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < width:
                parts += [""] * (width - len(parts))
            rows.append(parts[:width - 1] + ["\t".join(parts[width - 1:])])
    return rows


def read_meta():
    meta = {}
    path = os.path.join(OUT, "meta.txt")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("=")
                meta[k] = v
    return meta


class Row:
    def __init__(self, parts):
        self.section, self.impl, self.case, rate, runs, rss, self.status, self.note = parts
        self.rate = float(rate) if self.status == "ok" and rate not in ("", "-") else None
        self.runs = [float(x) for x in runs.split(",")] if self.rate is not None and runs not in ("", "-") else []
        self.rss = int(rss) if rss.isdigit() and int(rss) > 0 else None
        self.questions = None
        if self.note.startswith("questions="):
            self.questions = int(self.note.split("=", 1)[1])


rows = [Row(p) for p in read_tsv("results.tsv", 8)]
commands = read_tsv("commands.tsv", 4)
meta = read_meta()
versions = dict((p[0], p[1]) for p in read_tsv("versions.tsv", 2))


def get(section, impl, case):
    for r in rows:
        if r.section == section and r.impl == impl and r.case == case:
            return r
    return None


def num(v):
    """A rate: thousands separated, one decimal below 100."""
    if v is None:
        return "–"
    if v >= 100:
        return "{:,.0f}".format(v)
    return "{:.1f}".format(v)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    x = a / b
    if x >= 10:
        return "{:.0f}".format(x)
    if x >= 0.1:
        return "{:.2f}".format(x)
    if x >= 0.01:
        return "{:.3f}".format(x)
    return "{:.4f}".format(x)


def times(a, b):
    """'5.8×': how many times a is b."""
    if a is None or b is None or b == 0:
        return "–"
    x = a / b
    return ("{:.0f}×" if x >= 10 else "{:.1f}×").format(x)


def mib(kib):
    return "–" if kib is None else "{:.1f} MiB".format(kib / 1024)


def spread(r):
    if r is None or len(r.runs) < 2:
        return "1 run" if r is not None and r.runs else "–"
    return "{}–{} ({} runs)".format(num(min(r.runs)), num(max(r.runs)), len(r.runs))


def v(pkg):
    return versions.get(pkg, "?")


def status_cell(r):
    if r is None:
        return "not measured"
    if r.status == "unsupported":
        return "**unsupported**"
    if r.status == "failed":
        return "**FAILED**"
    if r.status == "n/a":
        return "n/a"
    return num(r.rate)


NAMES_SPF = {
    "emauth": ("**emauth**", "`spf_bench`: emauth_spf_eval_start/run, one evaluator reused, emauth's zone resolver"),
    "emauth-fresh": ("emauth, new evaluator per check", "`spf_bench --fresh`: emauth_spf_eval_new ... _free around every check, so no memory or parsed record is reused"),
    "libspf2": ("libspf2 " + v("libspf2-2"), "its in-memory zone layer (SPF_dns_zone_new/SPF_dns_zone_add_str); per check SPF_request_new ... SPF_request_query_mailfrom"),
    "pyspf": ("pyspf " + v("python3-spf"), "spf.query(...).check(), spf.DNSLookup replaced by a stub reading the records"),
    "mailspf": ("Mail::SPF " + v("libmail-spf-perl"), "Mail::SPF::Server->process, dns_resolver a Net::DNS::Resolver::Programmable answering from the records"),
}
NAMES_LIVE = {
    "emauth-c1-cache-on": ("emauth CLI, concurrency 1, cache on", ""),
    "emauth-c1-cache-off": ("**emauth CLI, concurrency 1, cache off**", "sequential, no answer kept between checks: like the peers below"),
    "emauth-c200-cache-on": ("**emauth CLI, concurrency 200, cache on**", "how emauth is meant to be run in bulk"),
    "emauth-c200-cache-off": ("emauth CLI, concurrency 200, cache off", ""),
    "pyspf": ("pyspf " + v("python3-spf") + " + dnspython " + v("python3-dnspython"), "one check after the other; dnspython Resolver(configure=False), nameservers=[127.0.0.1], port=PORT"),
    "mailspf": ("Mail::SPF " + v("libmail-spf-perl") + " + Net::DNS " + v("libnet-dns-perl"), "one check after the other; Net::DNS::Resolver->new(nameservers => ['127.0.0.1'], port => PORT)"),
    "libspf2": ("libspf2 " + v("libspf2-2"), ""),
}
NAMES_DKIM = {
    "emauth": ("**emauth**", "one verifier reused (its cache of decoded keys warm)"),
    "emauth-fresh": ("emauth, new verifier per message", "the public key decoded for every message, as the peers do"),
    "libopendkim": ("libopendkim " + v("libopendkim11"), "dkim_verify ... dkim_eom per message, key lookup callback"),
    "dkimpy": ("dkimpy " + v("python3-dkim"), "dkim.verify(msg, dnsfunc=stub)"),
    "maildkim": ("Mail::DKIM " + v("libmail-dkim-perl"), "Mail::DKIM::Verifier, Mail::DKIM::DNS resolver stubbed"),
}
CASES_DKIM = [("10k-rsa", "10 KB, rsa-2048"), ("10k-ed25519", "10 KB, ed25519"),
              ("1m-rsa", "1 MB, rsa-2048"), ("1m-ed25519", "1 MB, ed25519")]

out = []
p = out.append
losses = []   # (text) where a peer beats emauth
notes = []

p("# emauth against its peers: benchmark results")
p("")
p("Written by `bench/run.sh` (`make bench`) on {}; every figure below comes from that one run, "
  "on one machine, the peers installed from Debian. Do not edit by hand: run `make bench`."
  .format(meta.get("date", "?")))
p("")
p("- **Mode**: {}".format(meta.get("mode", "?")))
p("- **Machine**: {}, {} cores, {}, {} RAM, {}".format(
    meta.get("cpu", "?"), meta.get("cores", "?"), meta.get("kernel", "?"), meta.get("mem", "?"),
    meta.get("os", "?")))
p("- **Build**: {}".format(meta.get("build", "?")))
p("- **emauth**: {}, commit {}".format(meta.get("emauth", "?"), meta.get("commit", "?")))
p("- **Load average** (1, 5, 15 min): {} at the start, {} at the end (other work on the "
  "machine moves every figure)".format(meta.get("load_start", "?"), meta.get("load_end", "?")))
p("- **Wall time** of `bench/run.sh`: {} s, of which {} s installing peers".format(
    meta.get("total_seconds", "?"), meta.get("install_seconds", "?")))
p("- **One core**: the in-process measurements run under `{}`".format(meta.get("pin", "?")))
p("")
p("Rates are medians over the runs (the range of the runs is shown beside them). "
  "**÷ emauth** is the peer's rate divided by emauth's: below 1, the peer is slower. "
  "**Peak RSS** is the whole process's maximum resident set (GNU time `%M`), interpreter "
  "included for Python and Perl. Every driver first checks that its result is right (SPF "
  "\"pass\", DKIM signature valid) and checks every timed result too; a peer that cannot do "
  "a case says **unsupported**.")
p("")

# ---- headline
p("## Headline")
p("")
head = []
e = get("spf-mem", "emauth", "realistic")
ef = get("spf-mem", "emauth-fresh", "realistic")
for impl in ("libspf2", "pyspf", "mailspf"):
    r = get("spf-mem", impl, "realistic")
    if e and r and r.rate:
        head.append("SPF realistic, in-process: emauth {} {} ({} with a new evaluator per check)".format(
            times(e.rate, r.rate), NAMES_SPF[impl][0], times(ef.rate if ef else None, r.rate)))
e1 = get("spf-live", "emauth-c1-cache-off", "live")
e200 = get("spf-live", "emauth-c200-cache-on", "live")
for impl in ("pyspf", "mailspf"):
    r = get("spf-live", impl, "live")
    if r and r.rate:
        head.append("SPF over DNS (NSD): emauth {} {} one check at a time, {} at concurrency 200".format(
            times(e1.rate if e1 else None, r.rate), NAMES_LIVE[impl][0].split(" +")[0],
            times(e200.rate if e200 else None, r.rate)))
for case, label in CASES_DKIM:
    e = get("dkim", "emauth", case)
    ef = get("dkim", "emauth-fresh", case)
    parts = []
    for impl in ("libopendkim", "dkimpy", "maildkim"):
        r = get("dkim", impl, case)
        if e and r and r.rate:
            parts.append("{} {} ({} new verifier)".format(
                times(e.rate, r.rate), NAMES_DKIM[impl][0].split(" ")[0],
                times(ef.rate if ef else None, r.rate)))
        elif r and r.status == "unsupported":
            parts.append("{} unsupported".format(NAMES_DKIM[impl][0].split(" ")[0]))
    if parts:
        head.append("DKIM {}: emauth {}".format(label, ", ".join(parts)))
for h in head:
    p("- " + h)
p("")
p("(\"emauth N× X\": emauth does N times as many checks or verifications per second as X.)")
p("")


# ---- 1. SPF in memory
def spf_table(case, title, intro):
    p("### " + title)
    p("")
    p(intro)
    p("")
    p("| implementation | how | checks/s | runs | ÷ emauth | ÷ emauth new evaluator | DNS questions | peak RSS |")
    p("|---|---|---:|---|---:|---:|---:|---:|")
    e = get("spf-mem", "emauth", case)
    ef = get("spf-mem", "emauth-fresh", case)
    for impl in ("emauth", "emauth-fresh", "libspf2", "pyspf", "mailspf"):
        r = get("spf-mem", impl, case)
        name, how = NAMES_SPF[impl]
        if r is None:
            continue
        if r.rate is None:
            p("| {} | {} | {} | {} | | | | |".format(name, how, status_cell(r), r.note))
            continue
        p("| {} | {} | {} | {} | {} | {} | {} | {} |".format(
            name, how, num(r.rate), spread(r), ratio(r.rate, e.rate if e else None),
            ratio(r.rate, ef.rate if ef else None), r.questions if r.questions is not None else "?",
            mib(r.rss)))
        if impl not in ("emauth", "emauth-fresh"):
            if e and e.rate and r.rate > e.rate:
                losses.append("SPF {}: {} is faster than emauth ({} vs {} checks/s)".format(
                    case, name, num(r.rate), num(e.rate)))
            elif ef and ef.rate and r.rate > ef.rate:
                losses.append("SPF {}: {} ({} checks/s) is faster than emauth with a new evaluator "
                              "per check ({} checks/s), though not than emauth as it is meant to be "
                              "used ({} checks/s)".format(case, name, num(r.rate), num(ef.rate),
                                                          num(e.rate if e else None)))
            if e and e.rss and r.rss and r.rss < e.rss:
                losses.append("SPF {}: {}'s process peaks at {} against spf_bench's {}".format(
                    case, name, mib(r.rss), mib(e.rss)))
    p("")


p("## 1. SPF, in-process, in-memory DNS, one core")
p("")
p("Every implementation is a library called in one process on one core, its DNS answered "
  "from memory by the means its API offers, all from the same records: "
  "[`bench/bench.zone`](bench.zone) for emauth, and the records "
  "`bench/peers/zone2tsv.awk` reads from it for the peers (`bench/out/spf-records.tsv`). "
  "Each check is the whole of `check_host()`: every DNS question asked again (none of the "
  "four keeps answers between checks), every record parsed again (emauth's reused "
  "evaluator keeps a small cache of parsed records keyed by their text, as a long-running "
  "server would: the *new evaluator* row shows emauth without it).")
p("")
spf_table("realistic", "Realistic record: includes three deep",
          "Client 198.51.100.77, MAIL FROM user@example.com. `example.com` publishes "
          "`v=spf1 a mx include:_spf.provider.example ip4:192.0.2.0/24 ~all`, and the client "
          "matches only at the end of an include chain three deep: 8 DNS-querying terms, 12 DNS "
          "questions (the questions column is each implementation's own count of its first "
          "check), pass.")
spf_table("trivial", "Trivial record",
          "Client 192.0.2.10, MAIL FROM user@example.net; `example.net` publishes "
          "`v=spf1 ip4:192.0.2.0/24 -all`: one DNS question, pass.")

p("### emauth's CLI, a batch of the realistic case")
p("")
p("Not in-process: the `emauth spf check --zone --batch --json` process, reading the batch "
  "and writing one JSON line per check to a file (every line checked to be a pass); the CLI "
  "spreads a batch over a few threads. For reference beside the library figures.")
p("")
p("| run | checks/s | runs | peak RSS |")
p("|---|---:|---|---:|")
for case, label in (("all-cores", "all {} cores".format(meta.get("cores", "?"))), ("one-core", "one core (taskset -c 0)")):
    r = get("spf-cli", "emauth-cli", case)
    if r:
        p("| {} | {} | {} | {} |".format(label, status_cell(r), spread(r), mib(r.rss)))
p("")

# ---- 2. live
p("## 2. SPF against a real DNS server: NSD on loopback")
p("")
p("NSD {} on 127.0.0.1 (a free port, started and stopped by `bench/live.sh`), serving 10,000 "
  "customer domains, each `v=spf1 mx include:_spf.provN.example -all` with its own MX host, "
  "sharing 4 providers whose include chains hold the sender's address: 6 DNS questions per "
  "check, every verdict a pass (checked). emauth's CLI runs the whole 10,000-line batch; each "
  "peer goes through the same lines one check after the other for a fixed time per run. NSD "
  "shares the machine's cores with the client.".format(v("nsd")))
p("")
p("| implementation | how | checks/s | runs | ÷ emauth c=1 no cache | ÷ emauth c=200 cache | peak RSS |")
p("|---|---|---:|---|---:|---:|---:|")
for impl in ("emauth-c1-cache-on", "emauth-c1-cache-off", "emauth-c200-cache-on",
             "emauth-c200-cache-off", "pyspf", "mailspf", "libspf2"):
    r = get("spf-live", impl, "live")
    name, how = NAMES_LIVE[impl]
    if r is None:
        continue
    if r.rate is None:
        p("| {} | {} | {} | | | | |".format(name, r.note if r.status == "n/a" else how, status_cell(r)))
        continue
    p("| {} | {} | {} | {} | {} | {} | {} |".format(
        name, how, num(r.rate), spread(r), ratio(r.rate, e1.rate if e1 else None),
        ratio(r.rate, e200.rate if e200 else None), mib(r.rss)))
    if not impl.startswith("emauth"):
        if e1 and e1.rate and r.rate > e1.rate:
            losses.append("SPF over DNS: {} is faster than emauth at concurrency 1 without cache".format(name))
        if e1 and e1.rss and r.rss and r.rss < e1.rss:
            losses.append("SPF over DNS: {} peaks at {} against emauth's {} (concurrency 1, no cache)".format(
                name, mib(r.rss), mib(e1.rss)))
p("")
p("libspf2 is left out of this table on purpose: its DNS layer (`SPF_dns_resolv_new`) calls "
  "`res_ninit`, which reads `/etc/resolv.conf`, and resolv.conf cannot name a port; pointing "
  "it at the benchmark's NSD would take a system-wide change (editing resolv.conf, or NSD on "
  "port 53), which this benchmark does not make. Its in-memory figures are in section 1.")
p("")

# ---- 3. DKIM
rsa_v = get("limit", "openssl", "rsa2048-verify")
ed_v = get("limit", "openssl", "ed25519-verify")
sha = get("limit", "openssl", "sha256-bytes")
p("## 3. DKIM verification, in-process, one core")
p("")
p("An RSA-2048 and an Ed25519 key generated for this run, a 10 KB and a 1 MB message, each "
  "signed once by emauth (relaxed/relaxed; `dkim_bench --generate`, into `bench/out/`). "
  "Every verifier gets the same message bytes and the key record from memory (no DNS), and "
  "must find the signature valid before it is timed.")
p("")
if rsa_v and ed_v and sha and rsa_v.rate and ed_v.rate and sha.rate:
    p("The limit, from `openssl speed` on the same core: RSA-2048 {} verifications/s, Ed25519 "
      "{} verifications/s, SHA-256 {:.0f} MB/s (16 KiB blocks, EVP). For a message of SIZE bytes, "
      "limit = 1 / (1/verify_rate + 2·SIZE/sha256_rate): one signature verification and two "
      "passes at SHA-256 speed over the message (canonicalization and hashing).".format(
          num(rsa_v.rate), num(ed_v.rate), sha.rate / 1e6))
    p("")
p("| message | implementation | how | verifications/s | MB/s | runs | ÷ emauth | ÷ emauth new verifier | ÷ limit | peak RSS |")
p("|---|---|---|---:|---:|---|---:|---:|---:|---:|")
for case, label in CASES_DKIM:
    size = get("dkim-size", "msg", case)
    nbytes = size.rate if size else None
    lim = None
    vr = rsa_v if case.endswith("rsa") else ed_v
    if nbytes and vr and vr.rate and sha and sha.rate:
        lim = 1 / (1 / vr.rate + 2 * nbytes / sha.rate)
    e = get("dkim", "emauth", case)
    ef = get("dkim", "emauth-fresh", case)
    p("| {} | openssl limit | | {} | {} | | | | 1 | |".format(
        label, num(lim), "–" if lim is None else "{:.1f}".format(lim * nbytes / 1e6)))
    for impl in ("emauth", "emauth-fresh", "libopendkim", "dkimpy", "maildkim"):
        r = get("dkim", impl, case)
        name, how = NAMES_DKIM[impl]
        if r is None:
            continue
        if r.rate is None:
            p("| {} | {} | {} | {} | | | | | | |".format(label, name, r.note, status_cell(r)))
            continue
        p("| {} | {} | {} | {} | {:.1f} | {} | {} | {} | {} | {} |".format(
            label, name, how, num(r.rate), r.rate * nbytes / 1e6 if nbytes else 0, spread(r),
            ratio(r.rate, e.rate if e else None), ratio(r.rate, ef.rate if ef else None),
            ratio(r.rate, lim), mib(r.rss)))
        if impl not in ("emauth", "emauth-fresh"):
            if e and e.rate and r.rate > e.rate:
                losses.append("DKIM {}: {} is faster than emauth ({} vs {}/s)".format(
                    label, name, num(r.rate), num(e.rate)))
            elif ef and ef.rate and r.rate > ef.rate:
                losses.append("DKIM {}: {} ({}/s) is faster than emauth with a new verifier per "
                              "message ({}/s)".format(label, name, num(r.rate), num(ef.rate)))
            if e and e.rss and r.rss and r.rss < e.rss:
                losses.append("DKIM {}: {}'s process peaks at {} against dkim_bench's {}".format(
                    label, name, mib(r.rss), mib(e.rss)))
        if impl == "emauth" and lim and r.rate < 0.8 * lim:
            losses.append("DKIM {}: emauth reaches {} of the openssl limit (the target is 0.8)".format(
                label, ratio(r.rate, lim)))
p("")

# ---- 4. memory
p("## 4. Memory")
p("")
p("Peak RSS of every measured process is in the tables above. A 100 MB message through "
  "`emauth dkim verify` against a 1 KB one (`tests/cli/dkim_bigmsg.sh`):")
p("")
big = os.path.join(OUT, "bigmsg.txt")
if os.path.exists(big):
    p("```")
    with open(big, encoding="utf-8") as f:
        for line in f:
            p(line.rstrip("\n"))
    p("```")
else:
    p("(not run)")
p("")

# ---- where emauth loses
p("## Where emauth loses, and why")
p("")
unsupported = [r for r in rows if r.status == "unsupported"]
failed = [r for r in rows if r.status == "failed"]
if not losses:
    p("In this run no peer was faster than emauth, or used less memory, in any row above.")
    p("")
else:
    p("Found in this run's figures:")
    p("")
    for l in losses:
        p("- " + l)
    p("")
p("Why, where it applies:")
p("")
p("- **emauth's own caches.** The reused SPF evaluator keeps a small cache of parsed records; "
  "the reused DKIM verifier keeps decoded public keys (decoding an RSA key through OpenSSL 3's "
  "decoders costs more than verifying with it). The peers decode or parse again for every "
  "message. The *new evaluator* / *new verifier* rows are emauth without either: that is the "
  "like-for-like comparison, and where emauth's lead is smallest (10 KB RSA messages, where "
  "decoding the key costs more than verifying the signature).")
p("- **Memory.** `spf_bench` and `dkim_bench` link emauth statically with OpenSSL (and, for "
  "live DNS, c-ares); a small C driver around libspf2 or libopendkim can peak lower. The CLI at "
  "concurrency 200 asks for a 4 MiB socket receive buffer and keeps 200 checks in flight, so "
  "it peaks higher than at concurrency 1.")
p("- **DKIM against the openssl limit.** For 10 KB messages, the per-message work around the "
  "signature check (splitting the message into fields, parsing the DKIM-Signature and the key "
  "record, the header hash, setting up the verification) is not in the limit; for 1 MB "
  "messages, relaxed body canonicalization costs more than the second SHA-256-speed pass the "
  "limit allows for it. The in-process figures also include reading the message through "
  "emauth's RFC 5322 splitter, as `emauth dkim verify` does.")
p("- **Mail::SPF and Mail::DKIM** are measured with Net::DNS::Resolver::Programmable as the "
  "in-memory DNS, which builds a Net::DNS reply packet per question: part of their time is "
  "that stub, as it would be Net::DNS's with a real server. dkimpy verifies RSA in pure "
  "Python. Mail::SPF's peak RSS grows with the number of checks made in the process (a few "
  "KiB per check that it does not give back, with or without the stub), so its figure "
  "depends on how long it ran.")
for r in unsupported:
    name = (NAMES_DKIM if r.section == "dkim" else NAMES_SPF).get(r.impl, (r.impl, ""))[0]
    p("- **{} cannot do {}**: {}".format(name, r.case, r.note))
for r in failed:
    p("- **{} {} {} FAILED**: {}".format(r.section, r.impl, r.case, r.note))
p("")

# ---- versions and commands
p("## Versions")
p("")
p("`dpkg-query -W` at the time of the run:")
p("")
p("| package | version |")
p("|---|---|")
for k, val in versions.items():
    p("| {} | {} |".format(k, val))
p("")
p("## Exact commands")
p("")
p("From the repository root, in this order (`bench/run.sh` prints each as it runs it, with its "
  "output; logs in `bench/out/log-*.txt`). `taskset -c 0` holds a process to one core; "
  "`/usr/bin/time -f %M` reads its peak RSS.")
p("")
p("```")
p("sh scripts/deps.sh libspf2-dev python3-spf python3-dnspython libmail-spf-perl "
  "libnet-dns-resolver-programmable-perl libmail-dkim-perl python3-dkim python3-nacl "
  "libopendkim-dev nsd time")
p("awk -f bench/peers/zone2tsv.awk bench/bench.zone > bench/out/spf-records.tsv")
p("cc -O2 -o bench/out/libspf2_bench bench/peers/libspf2_bench.c -lspf2")
p("cc -O2 -o bench/out/opendkim_bench bench/peers/opendkim_bench.c $(pkg-config --cflags --libs opendkim)")
for c in commands:
    p(c[3])
p("```")
sys.stdout.write("\n".join(out) + "\n")
