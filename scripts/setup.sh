#!/bin/sh
# setup.sh: install the Debian 12 packages iommusim needs to build, test and benchmark.
# Idempotent: packages already installed are left alone. Run as root (or with sudo).
set -eu

PKGS="build-essential autoconf automake libtool pkg-config
libjansson-dev libtraceevent-dev libtracecmd-dev libtracefs-dev
liblzma-dev libzstd-dev xz-utils zstd
libcriterion-dev
libbpf-dev libelf-dev zlib1g-dev clang llvm bpftool bpftrace
trace-cmd gnuplot-nox
chromium
python3-jsonschema python3-pandas"

SUDO=
if [ "$(id -u)" != 0 ]; then
	SUDO=sudo
fi

missing=
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "setup: all $(echo $PKGS | wc -w) packages already installed"
	exit 0
fi

echo "setup: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
echo "setup: done"
