#!/usr/bin/env python3
"""Writes the seed corpora corpus/<target>/seed-*: inputs drawn from the
test data, the examples, the conformance suites and the RFCs. Run from
anywhere; existing seed-* files are replaced, the others are kept:
regress-<what> (inputs that found a bug) and cov-<sha1> (inputs of at most
1 KiB kept from libFuzzer runs by -merge=1 for the coverage they add).
Each seed is named seed-<what>-<hash>."""
import glob, hashlib, os, re, struct, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
SUITES = os.environ.get('EMAUTH_TESTSUITES', os.path.join(ROOT, '..', 'shared', 'testsuites'))
RFC = os.path.join(ROOT, '..', 'shared', 'rfc')
MAX_SEED = 16384
corpus = {}

def add(target, what, data):
    if isinstance(data, str):
        data = data.encode('latin-1')
    if len(data) > MAX_SEED:
        return
    corpus.setdefault(target, {})[hashlib.sha1(data).hexdigest()[:12]] = (what, data)

def read(path):
    with open(path, 'rb') as f:
        return f.read()

def files(*patterns):
    out = []
    for p in patterns:
        out += sorted(glob.glob(os.path.join(ROOT, p), recursive=True))
    return out

def zone_txt(text):
    """TXT data of each zone line (quoted strings joined)."""
    out = []
    for line in text.decode('latin-1').splitlines():
        if re.search(r'\s(TXT|SPF)\s', line):
            strs = re.findall(r'"((?:[^"\\]|\\.)*)"', line)
            if strs:
                out.append(''.join(strs))
    return out

def header_fields(msg):
    hdr = msg.replace(b'\r\n', b'\n').split(b'\n\n', 1)[0]
    fields = []
    for line in hdr.split(b'\n'):
        if line[:1] in (b' ', b'\t') and fields:
            fields[-1] += b'\r\n' + line
        elif line:
            fields.append(line)
    return fields

emls = files('examples/*.eml', 'tests/data/**/*.eml') + \
    sorted(glob.glob(os.path.join(SUITES, 'dkim', '**', '*.eml'), recursive=True))
zones = files('examples/*.zone', 'tests/data/**/*.zone', 'tests/data/zone/*.inc') + \
    sorted(glob.glob(os.path.join(SUITES, 'dkim', '**', '*.zone'), recursive=True))
txts = [t for z in zones for t in zone_txt(read(z))]

# ---- SPF records and macros: the OpenSPF suites, the zones ----
spf_records = [t for t in txts if t.lower().startswith('v=spf1')]
macro_ips = []
try:
    import yaml
    for y in sorted(glob.glob(os.path.join(SUITES, 'spf', '*.yml'))):
        with open(y, encoding='utf-8', errors='replace') as f:
            for doc in yaml.safe_load_all(f):
                if not doc:
                    continue
                for name, rrs in (doc.get('zonedata') or {}).items():
                    for rr in rrs or []:
                        if isinstance(rr, dict):
                            for k, v in rr.items():
                                if k in ('TXT', 'SPF'):
                                    v = ''.join(v) if isinstance(v, list) else v
                                    if isinstance(v, str):
                                        spf_records.append(v)
                for t in (doc.get('tests') or {}).values():
                    macro_ips.append((str(t.get('host', '')), str(t.get('mailfrom', '')),
                                      str(t.get('helo', ''))))
except ImportError:
    print('seeds.py: no PyYAML, SPF suites skipped', file=sys.stderr)
spf_records += ['v=spf1 -all', 'v=spf1 a mx ip4:192.0.2.0/24 ip6:2001:db8::/32 ~all',
                'v=spf1 include:_spf.example.com exists:%{ir}.%{l1r+-}._spf.%{d} -all',
                'v=spf1 a:mail.example.com/24//64 mx/28 ptr:example.com ?all redirect=_spf.example.com',
                'v=spf1 -all exp=explain._spf.%{d} moo=cow']
for r in spf_records:
    add('spf_record', 'rec', r)

macros = {m for r in spf_records for m in re.findall(r'\S*%\S*', r)}
macros |= {'%{s}', '%{o}', '%{d}', '%{d4}', '%{d3}', '%{d2}', '%{d1}', '%{dr}', '%{d2r}',
           '%{l}', '%{l-}', '%{lr}', '%{lr-}', '%{l1r-}', '%{ir}.%{v}._spf.%{d2}',
           '%{lr-}.lp._spf.%{d2}', '%{lr-}.lp.%{ir}.%{v}._spf.%{d2}',
           '%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}', '%{d2}.trusted-domains.example.net',
           '%{c} %{r} %{t} %{p} %{h} %%%_%-', '%{i6r}.%{i}.%{v}', '%{S}%{L}%{O}%{D}%{I}%{P}%{H}%{V}',
           '%{l=+,/_.-}', '%{d0}', '%{d999}', '%{x}', '%', '%{', '%{d', '%{d2r+'}
for i, m in enumerate(sorted(macros)):
    for flags in (0, 1, 2, 9):
        add('spf_macro', 'macro', bytes([flags]) + m.encode('latin-1', 'replace'))
for host, mailfrom, helo in sorted(set(macro_ips))[:40]:
    add('spf_macro', 'ctx', b'\x00%{ir}.%{v}.%{l}.%{o}.%{h}\n' + mailfrom.encode('latin-1', 'replace') +
        b'\n' + helo.encode('latin-1', 'replace'))

# ---- zones ----
for z in zones:
    add('zone_parse', os.path.basename(z).replace('.', '_'), b'\x00' + read(z))
add('zone_parse', 'origin', b'\x01$TTL 1h\n@ IN SOA ns hostmaster 1 2 3 4 5\nwww 60 IN A 192.0.2.1\n'
    b'mx IN MX 10 mail\n\\046weird\\.label IN TXT "a\\"b" \\# ( "c"\n "d" )\n'
    b'v6 IN AAAA ::ffff:192.0.2.1\nalias IN CNAME www\n$TIMEOUT slow\n')

# ---- DNS wire answers ----
TYPES = [1, 28, 15, 16, 99, 12, 5, 2, 6]
def wname(n):
    return b''.join(bytes([len(l)]) + l.encode() for l in n.split('.') if l) + b'\0'
def msg(rcode, q, qtype, answers, auth=()):
    m = struct.pack('>HHHHHH', 1, 0x8180 | rcode, 1, len(answers), len(auth), 0)
    m += wname(q) + struct.pack('>HH', qtype, 1)
    for name, t, ttl, rdata in list(answers) + list(auth):
        m += (name if isinstance(name, bytes) else wname(name))
        m += struct.pack('>HHIH', t, 1, ttl, len(rdata)) + rdata
    return m
def wire_seed(what, q, qtype, m):
    add('dns_wire', what, bytes([TYPES.index(qtype)]) + q.encode() + b'\0' + m)
q = 'example.com'
soa = wname('ns.example.com') + wname('host.example.com') + struct.pack('>IIIII', 1, 2, 3, 4, 300)
wire_seed('a', q, 1, msg(0, q, 1, [(q, 1, 300, bytes([192, 0, 2, 1])), (b'\xc0\x0c', 1, 60, bytes([192, 0, 2, 2]))]))
wire_seed('aaaa', q, 28, msg(0, q, 28, [(q, 28, 300, bytes(range(16)))]))
wire_seed('mx', q, 15, msg(0, q, 15, [(q, 15, 300, b'\x00\x0a' + wname('mail.example.com')), (q, 15, 300, b'\x00\x00\x00')]))
txt = b'\x0fv=spf1 -all xx\x00\x05hello'
wire_seed('txt', q, 16, msg(0, q, 16, [(q, 16, 300, txt)]))
wire_seed('spf', q, 99, msg(0, q, 99, [(q, 99, 300, txt)]))
wire_seed('ptr', '1.2.0.192.in-addr.arpa', 12, msg(0, '1.2.0.192.in-addr.arpa', 12, [('1.2.0.192.in-addr.arpa', 12, 300, wname('mail.example.com'))]))
wire_seed('cname', 'www.' + q, 1, msg(0, 'www.' + q, 1, [('www.' + q, 5, 300, b'\xc0\x0c'), (b'\xc0\x0c', 1, 30, bytes([192, 0, 2, 3]))]))
wire_seed('cname-loop', 'a.' + q, 1, msg(0, 'a.' + q, 1, [('a.' + q, 5, 300, wname('b.' + q)), ('b.' + q, 5, 300, wname('a.' + q))]))
wire_seed('ns', q, 2, msg(0, q, 2, [(q, 2, 300, wname('ns1.example.com'))]))
wire_seed('soa', q, 6, msg(0, q, 6, [(q, 6, 300, soa)]))
wire_seed('nxdomain', 'no.' + q, 16, msg(3, 'no.' + q, 16, [], [(q, 6, 900, soa)]))
wire_seed('nodata', q, 28, msg(0, q, 28, [], [(q, 6, 900, soa)]))
wire_seed('servfail', q, 1, msg(2, q, 1, []))
wire_seed('ptr-loop', q, 1, msg(0, q, 1, [(b'\xc0\x1d', 1, 1, b'\x01\x02\x03\x04')]))
wire_seed('truncated', q, 16, msg(0, q, 16, [(q, 16, 300, txt)])[:-3])

# ---- DKIM: signature fields, key records, messages ----
signatures, froms = [], []
for e in emls:
    data = read(e)
    for f in header_fields(data):
        if f.lower().startswith(b'dkim-signature'):
            signatures.append(f)
        if f.lower().startswith(b'from:'):
            froms.append(f[5:])
signatures += [b'DKIM-Signature: v=1; a=rsa-sha256; d=example.net; s=brisbane; c=simple; q=dns/txt;'
               b' i=@eng.example.net; t=1117574938; x=1118006938; l=200; h=from:to:subject:date;'
               b' z=From:foo@eng.example.net|To:joe@example.com; bh=MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=;'
               b' b=dzdVyOfAKCdLXdJOc9G2q8LoXSlEniSbav+yuU4zGeeruD00lszZVoG4ZHRNiYzR']
for s in signatures:
    add('dkim_signature', 'sig', s)
    add('tagvalue', 'sig', b'\x40' + s.split(b':', 1)[1])
keyrecs = [t for t in txts if 'p=' in t and ('DKIM1' in t or 'k=' in t)]
keyrecs += ['v=DKIM1; p=', 'v=DKIM1; h=sha256:sha1; k=ed25519; s=email:*; t=y:s; n=notes; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=',
            'k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB']
for k in keyrecs:
    add('dkim_keyrec', 'key', k)
    add('tagvalue', 'key', b'\x20' + k.encode())
    m = re.search(r'p=([A-Za-z0-9+/=\s]+)', k)
    if m and m.group(1):
        add('base64', 'p', m.group(1))
for s in signatures:
    for m in re.findall(rb'b(?:h)?=([A-Za-z0-9+/=\s]+)', s):
        add('base64', 'sig', m)
for b in (b'', b'Zg==', b'Zm8=', b'Zm9v', b'Zm9v YmFy', b'Zm9\r\n vYg==', b'=', b'Zg=', b'Zm9v\x00'):
    add('base64', 'small', b)
for e in emls:
    data = read(e)
    name = os.path.basename(e).replace('.', '_')
    add('dkim_verify', name, data)
    add('dkim_verify', name + '_crlf', data.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n'))
    for flags, seed in ((0, 7), (1, 3), (2, 200), (3, 0), (4 | 1, 9), (8 | 2, 17)):
        add('message', name, bytes([flags, seed]) + data)
    body = data.replace(b'\r\n', b'\n').split(b'\n\n', 1)[-1].replace(b'\n', b'\r\n')
    for flags in (0, 1, 2 | 8, 1 | 16, 4 | 1):
        add('canon', name, bytes([flags, 5]) + (b'\x00\x20' if flags & 4 else b'') + body)
add('message', 'mbox', b'\x00\x01From sender@example.com Sat Jan  3 01:05:34 1996\nFrom: a@b.example\n'
    b'Subject : obsolete\n blank\r\nX:\r\n\r\nbody\rline\nlast')
add('message', 'nobody', b'\x01\x02From: a@b.example\r\nTo: c@d.example')
add('canon', 'blanks', b'\x01\x03 \t a  b \t\r\n\r\n \r\n\r\n')
add('canon', 'header', b'\x01\x00SubJect \t:  Is  dinner\r\n\tready? \t\r\n')

# ---- From ----
froms += [b' Joe SixPack <joe@football.example.com>', b'"Joe Q. Public" <john.q.public@example.com>',
          b'Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>', b'"a@b" <c@D.Example.>',
          b'=?utf-8?q?J=C3=B6rg?= <j@example.org>', b'group: a@b.example, c@d.example;',
          b'a@b.example, c@d.example', b'<@route.example:user@example.com>', b'user@[192.0.2.1]',
          b'"quoted local"@example.com', b'a@b.example\x00c@d.example', b'Mary Smith <mary@x.test>, jdoe@example.org']
for f in froms:
    add('from', 'from', f)

# ---- DMARC ----
dmarc = [t for t in txts if t.startswith('v=DMARC1')]
dmarc += ['v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=r; psd=n; t=y; fo=0:1:d:s; '
          'rua=mailto:a@example.com!10m,mailto:b@example.org; ruf=mailto:f@example.com!1g',
          'v=DMARC1; p=none; pct=50; rf=afrf; ri=3600', 'v=DMARC1;p=quarantine;rua=https://x.example/r',
          'v=DMARC1', 'v=DMARC1; p=bogus; sp=; adkim=x']
for d in dmarc:
    add('dmarc_record', 'dmarc', d)
    add('tagvalue', 'dmarc', b'\x10' + d.encode())

# ---- Authentication-Results: RFC 8601 Appendix B, the writer's forms ----
authres = []
try:
    text = read(os.path.join(RFC, 'rfc8601.txt')).decode('latin-1')
    app = text[text.find('Appendix B.  Authentication-Results Examples'):]
    for m in re.finditer(r'Authentication-Results:(.*?)\n(?=\s*[A-Z][A-Za-z-]+:|\s*\n)', app, re.S):
        authres.append(re.sub(r'\n\s+', '\r\n\t', m.group(1)))
except OSError:
    pass
authres += [' mx.example.org; spf=pass smtp.mailfrom=user@example.com; dkim=pass header.d=example.com '
            'header.s=sel header.b=abcdefgh; dmarc=pass header.from=example.com policy.dmarc=reject',
            ' mx.example.org; dkim=fail reason="body hash mismatch" header.d=example.com header.s=s1; '
            'dmarc=permerror reason="no \\"usable\\" From" header.from=x',
            ' "quoted id" 1; none', ' mx.example.org; dkim/1=pass header.b=ab/c+d=; spf=pass smtp.mailfrom="a b"@example.com;']
for a in authres:
    add('authres', 'ar', a)

# ---- IP addresses and ranges ----
ips = ['192.0.2.1', '0.0.0.0', '255.255.255.255', '2001:db8::1', '::', '::1', '::ffff:192.0.2.1',
       '2001:DB8:0:0:1:0:0:1', '1:2:3:4:5:6:7:8', '1::8', 'fe80::1:2:3:4', '1:2:3:4:5:6:1.2.3.4',
       '01.2.3.4', '1.2.3', '1:2:3:4:5:6:7:8:9', ':::']
ips += [m for r in spf_records for m in re.findall(r'ip[46]:([^/\s]+)', r)][:40]
ranges = [bytes([0, 192, 0, 2, 0, 25, 0, 192, 0, 2, 128, 25, 0, 10, 0, 0, 0, 8]),
          bytes([1]) + bytes(16) + bytes([0]) + bytes([1, 0x20, 1, 0x0d, 0xb8] + [0] * 12 + [32])]
for i, ip in enumerate(ips):
    add('ip', 'ip', ip.encode() + b'\0' + ranges[i % 2])

# ---- SPF header fields ----
for flags in (2, 3, 5, 6 | 16, 0 | 8 | 16 | 32, 4 | 64):
    add('spf_header', 'hdr', bytes([flags, 40]) + b'user@example.com\nexample.com\nuser@example.com\n'
        b'mail.example.com\nmx.example.org\ninclude:_spf.example.com\nvoid lookups "exceeded" (2)')
add('spf_header', 'hostile', b'\x03\x10"ev\\il"@exa mple.com\r\nX-Injected: 1\nexample.com\n\n'
    b'helo\tname\n\x01\x7f\xff\n' + b'a' * 300 + b'\n' + b'(' * 50)

def write():
    total = 0
    for target, seeds in sorted(corpus.items()):
        d = os.path.join(HERE, 'corpus', target)
        os.makedirs(d, exist_ok=True)
        for old in glob.glob(os.path.join(d, 'seed-*')):
            os.remove(old)
        for h, (what, data) in sorted(seeds.items()):
            with open(os.path.join(d, 'seed-%s-%s' % (what, h)), 'wb') as f:
                f.write(data)
            total += len(data)
        print('%-16s %4d seeds' % (target, len(seeds)))
    print('total %d bytes' % total)

write()
