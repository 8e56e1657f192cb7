#!/usr/bin/perl
# bench/peers/mailspf_bench.pl - Mail::SPF (Debian libmail-spf-perl) on the
# benchmark's SPF cases.
#
# In memory (the in-process comparison):
#   mailspf_bench.pl --records RECORDS --ip IP --mail-from ADDR --helo HELO
#                    [--seconds S] [--runs R]
#   Mail::SPF::Server's dns_resolver is a Net::DNS::Resolver::Programmable
#   (libnet-dns-resolver-programmable-perl) whose resolver_code answers from
#   RECORDS (bench/out/spf-records.tsv, made from bench/bench.zone by
#   bench/peers/zone2tsv.awk), NXDOMAIN for a name it does not hold. No
#   network. Each run is N checks, N sized to about S seconds (default 1);
#   R runs (default 5).
#
# Live DNS (Mail::SPF's own DNS path, Net::DNS, pointed at a port):
#   mailspf_bench.pl --server HOST:PORT --batch FILE [--seconds S] [--runs R]
#   dns_resolver is Net::DNS::Resolver->new(nameservers => [HOST],
#   port => PORT); no /etc/resolv.conf involved. Each run checks the lines of
#   FILE ("IP<TAB>MAIL-FROM<TAB>HELO") one after the other for about S
#   seconds, continuing where the last run stopped.
#
# One Mail::SPF::Server is reused; each check is a new Mail::SPF::Request
# (scope mfrom) and $server->process, as Mail::SPF is used per message. The
# first check must pass (else exit 1); so must every timed one. Prints each
# run, then, for bench/run.sh:
#   RESULT rate=CHECKS_PER_S runs=R1,R2,... n=N [questions=Q]
# (questions: of the first check, in memory only)
use strict;
use warnings;
use Getopt::Long;
use Time::HiRes qw(time);
use Mail::SPF;
use Net::DNS;

my %o = (seconds => 1, runs => 5);
GetOptions(\%o, 'records=s', 'ip=s', 'mail-from=s', 'helo=s', 'server=s', 'batch=s',
           'seconds=f', 'runs=i') or die "usage: see the head of $0\n";

sub median {
    my @s = sort { $a <=> $b } @_;
    return $s[int(@s / 2)];
}

sub report {
    my ($runs, $n, $q) = @_;
    printf "RESULT rate=%.1f runs=%s n=%d%s\n", median(@$runs),
        join(',', map { sprintf '%.0f', $_ } @$runs), $n, defined $q ? " questions=$q" : '';
}

sub check {
    my ($server, $ip, $from, $helo) = @_;
    my $req = Mail::SPF::Request->new(scope => 'mfrom', identity => $from,
                                      ip_address => $ip, helo_identity => $helo);
    return $server->process($req)->code;
}

my $version = "Mail::SPF " . ($Mail::SPF::VERSION =~ s/^v//r) . ", Net::DNS $Net::DNS::VERSION, Perl " . sprintf('%vd', $^V);

if (defined $o{records}) {
    require Net::DNS::Resolver::Programmable;
    my (%zone, %names, @asked);
    my $counting = 1;    # the questions of the first check only
    open my $fh, '<', $o{records} or die "mailspf_bench: $o{records}: $!\n";
    while (my $line = <$fh>) {
        chomp $line;
        my ($owner, $type, $data) = split /\t/, $line, 3;
        my $rr;
        if ($type eq 'TXT') {
            $rr = Net::DNS::RR->new(name => $owner, type => 'TXT', ttl => 3600, txtdata => $data);
        } elsif ($type eq 'MX') {
            my ($pref, $exch) = split / /, $data, 2;
            $rr = Net::DNS::RR->new(name => $owner, type => 'MX', ttl => 3600,
                                    preference => $pref, exchange => $exch);
        } else {
            $rr = Net::DNS::RR->new(name => $owner, type => $type, ttl => 3600, address => $data);
        }
        push @{ $zone{"$owner/$type"} }, $rr;
        $names{$owner} = 1;
    }
    close $fh;
    my $resolver = Net::DNS::Resolver::Programmable->new(resolver_code => sub {
        my ($domain, $type) = @_;
        $domain =~ s/\.$//;
        push @asked, "$type $domain" if $counting;
        return ('NXDOMAIN', 1) unless $names{$domain};
        return ('NOERROR', 1, @{ $zone{"$domain/$type"} || [] });
    });
    my $server = Mail::SPF::Server->new(dns_resolver => $resolver);
    my @args = ($server, $o{ip}, $o{'mail-from'}, $o{helo});
    my $code = check(@args);
    print "$version: questions of the first check:\n";
    my $i = 0;
    printf "  q%-2d %s\n", ++$i, $_ for @asked;
    printf "ip=%s mail_from=%s -> %s, %d DNS questions\n", $o{ip}, $o{'mail-from'}, $code,
        scalar @asked;
    die "mailspf_bench: expected pass, got $code\n" unless $code eq 'pass';
    my $q = @asked;
    $counting = 0;
    my $timed = sub {
        my ($n) = @_;
        my $t0 = time;
        for (1 .. $n) {
            check(@args) eq 'pass' or die "mailspf_bench: a timed check did not pass\n";
        }
        return time - $t0;
    };
    my $n = 4;
    while (1) {
        my $el = $timed->($n);
        if ($el >= $o{seconds} / 4) {
            $n = int($n * $o{seconds} / $el) || 1;
            last;
        }
        $n *= 2;
    }
    my @runs;
    for my $r (1 .. $o{runs}) {
        my $el = $timed->($n);
        push @runs, $n / $el;
        printf "  run %d: %d checks in %.3f s = %.0f checks/s\n", $r, $n, $el, $n / $el;
    }
    report(\@runs, $n, $q);
} elsif (defined $o{server} && defined $o{batch}) {
    my ($host, $port) = $o{server} =~ /^(.*):(\d+)$/ or die "mailspf_bench: --server HOST:PORT\n";
    my $resolver = Net::DNS::Resolver->new(nameservers => [$host], port => $port,
                                           udp_timeout => 2, tcp_timeout => 2, retry => 2);
    my $server = Mail::SPF::Server->new(dns_resolver => $resolver);
    open my $fh, '<', $o{batch} or die "mailspf_bench: $o{batch}: $!\n";
    my @lines = map { chomp; [split /\t/] } <$fh>;
    close $fh;
    my $pos = 0;
    my $next = sub {
        my $l = $lines[$pos++ % @lines];
        my $code = check($server, @$l);
        $code eq 'pass' or die "mailspf_bench: $l->[0] $l->[1]: expected pass, got $code\n";
    };
    print "$version, nameserver $host port $port; ", scalar @lines, " batch lines\n";
    $next->();
    my (@runs, $total);
    for my $r (1 .. $o{runs}) {
        my ($n, $t0, $el) = (0, time, 0);
        while (1) {
            $next->() for 1 .. 10;
            $n += 10;
            $el = time - $t0;
            last if $el >= $o{seconds};
        }
        $total += $n;
        push @runs, $n / $el;
        printf "  run %d: %d checks in %.3f s = %.0f checks/s\n", $r, $n, $el, $n / $el;
    }
    report(\@runs, int($total / $o{runs}));
} else {
    die "mailspf_bench: give --records, --ip, --mail-from and --helo, or --server and --batch\n";
}
