#!/usr/bin/perl
# bench/peers/maildkim_bench.pl - Mail::DKIM (Debian libmail-dkim-perl)
# verifying one signed message again and again, in-process, for the DKIM
# comparison in bench/run.sh.
#
#   maildkim_bench.pl KEYS MESSAGE [SECONDS [RUNS]]
#
# KEYS: lines "SELECTOR._domainkey.DOMAIN RECORD" (dkim_bench --generate
# writes them). Mail::DKIM fetches keys through Mail::DKIM::DNS, whose
# resolver is set (Mail::DKIM::DNS::resolver) to a
# Net::DNS::Resolver::Programmable answering TXT from KEYS: no network.
# MESSAGE: the signed message (CRLF), read once. Each verification is a new
# Mail::DKIM::Verifier, the message PRINTed in 64 KiB pieces, CLOSE, result.
# The first must be "pass" (else exit 1; exit 3 when this Mail::DKIM has no
# support for the signature's algorithm); so must every timed one. Each run
# lasts about SECONDS (default 1); RUNS runs (default 5); prints each, then:
#   RESULT rate=VERIFICATIONS_PER_S runs=R1,R2,... n=N
use strict;
use warnings;
use Time::HiRes qw(time);
use Mail::DKIM;
use Mail::DKIM::Verifier;
use Mail::DKIM::DNS;
use Net::DNS;
use Net::DNS::Resolver::Programmable;

@ARGV >= 2 or die "usage: maildkim_bench.pl KEYS MESSAGE [SECONDS [RUNS]]\n";
my ($keyfile, $msgfile) = @ARGV;
my $seconds = $ARGV[2] // 1;
my $runs = $ARGV[3] // 5;

my %keys;
open my $kf, '<', $keyfile or die "maildkim_bench: $keyfile: $!\n";
while (my $line = <$kf>) {
    $line =~ s/\r?\n\z//;
    my ($name, $record) = split / /, $line, 2;
    next unless defined $record;
    # One TXT RR of 255-byte character-strings, as DNS would carry it.
    $keys{lc $name} = Net::DNS::RR->new(name => $name, type => 'TXT', ttl => 300,
                                        txtdata => [ unpack '(a255)*', $record ]);
}
close $kf;
Mail::DKIM::DNS::resolver(Net::DNS::Resolver::Programmable->new(resolver_code => sub {
    my ($domain, $type) = @_;
    $domain = lc $domain;
    $domain =~ s/\.$//;
    return ('NXDOMAIN', 1) unless $keys{$domain};
    return ('NOERROR', 1, $type eq 'TXT' ? ($keys{$domain}) : ());
}));

open my $mf, '<:raw', $msgfile or die "maildkim_bench: $msgfile: $!\n";
my $msg = do { local $/; <$mf> };
close $mf;

sub verify {
    my $v = Mail::DKIM::Verifier->new();
    for (my $off = 0; $off < length $msg; $off += 65536) {
        $v->PRINT(substr($msg, $off, 65536));
    }
    $v->CLOSE;
    return ($v->result, $v->result_detail, $v->signature);
}

my ($result, $detail, $sig) = verify();
if ($result ne 'pass' && $detail =~ /unsupported algorithm (\S+?)\)?$/) {
    # This Mail::DKIM has no class for the algorithm (Mail::DKIM::Signature
    # ->get_algorithm_class): the case is reported as unsupported.
    printf "Mail::DKIM %s cannot verify %s signatures: \"%s\"\n", $Mail::DKIM::VERSION, $1,
        $detail;
    exit 3;
}
my $alg = $sig ? $sig->algorithm : undef;
printf "Mail::DKIM %s (Perl %vd): %s, %d bytes: %s%s\n", $Mail::DKIM::VERSION, $^V,
    $msgfile, length $msg, $detail, $alg ? " (a=$alg)" : '';
exit 1 if $result ne 'pass';
$| = 1;
my (@rates, $total);
for my $r (1 .. $runs) {
    my ($n, $t0, $el) = (0, time, 0);
    while (1) {
        (verify())[0] eq 'pass' or die "maildkim_bench: a timed verification did not pass\n";
        $n++;
        $el = time - $t0;
        last if $el >= $seconds;
    }
    $total += $n;
    push @rates, $n / $el;
    printf "  run %d: %.1f verifications/s (%.1f MB/s)\n", $r, $n / $el,
        $n / $el * length($msg) / 1e6;
}
my @s = sort { $a <=> $b } @rates;
printf "RESULT rate=%.1f runs=%s n=%d\n", $s[int(@s / 2)],
    join(',', map { sprintf '%.1f', $_ } @rates), int($total / $runs);
