#!/bin/sh
# Install the Debian packages emauth needs to build and test.
# As root: installs what is missing. Otherwise: prints the exact apt-get line.
set -eu
PKGS="build-essential cmake pkg-config libc-ares-dev libssl-dev libyaml-dev libcmocka-dev valgrind jq nsd python3-dkim opendkim-tools libopendkim-dev time libpsl-dev publicsuffix libopendmarc-dev clang libclang-rt-dev"
[ "$#" -gt 0 ] && PKGS="$PKGS $*"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    echo "deps: installing:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    # RUNLEVEL=1: packages with a daemon (nsd) are installed, not started;
    # the tests start their own NSD on a loopback port.
    export RUNLEVEL=1
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
    echo "deps: missing packages; run as root:" >&2
    echo "  apt-get install -y$missing" >&2
    exit 1
fi
