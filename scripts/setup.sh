#!/bin/sh
# setup.sh: install the Debian 12 packages iommusim needs to build, test and benchmark.
# Idempotent: packages already installed are left alone. Run as root (or with sudo).
#
# On a bare Debian 12 (debootstrap minbase) this installs about 2 GB in all. The largest
# single item is chromium (about 360 MB with its common files): only the report test
# (tests/cli/t0305-browser.sh) uses it, to open report.html in a real browser; set
# ISM_SETUP_NO_BROWSER=1 to leave it out (that test then skips and says why).
# man-db and groff-base make `man -l man/iommusim.1` and the man-page test work.
# slurm-wlm, munge and parallel run the emitted sweeps (tests/cli/t0306-sweep-emit.sh starts a
# single-node Slurm of its own in a temporary folder; the system's slurm services are not used).
set -eu

PKGS="build-essential autoconf automake libtool pkg-config
libjansson-dev libtraceevent-dev libtracecmd-dev libtracefs-dev
liblzma-dev libzstd-dev xz-utils zstd
libcriterion-dev
libbpf-dev libelf-dev zlib1g-dev clang libclang-rt-14-dev llvm bpftool bpftrace
trace-cmd gnuplot-nox
python3-jsonschema python3-pandas
man-db groff-base git
slurm-wlm munge parallel"
if [ "${ISM_SETUP_NO_BROWSER:-0}" != 1 ]; then
	PKGS="$PKGS chromium"
fi

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
case $missing in *chromium*) echo "setup: (chromium, about 360 MB, is for the report's browser test; ISM_SETUP_NO_BROWSER=1 leaves it out)" ;; esac
export DEBIAN_FRONTEND=noninteractive
# wait for another apt/dpkg run to finish instead of failing on its lock
LOCK="-o DPkg::Lock::Timeout=600"
# shellcheck disable=SC2086
$SUDO apt-get $LOCK update -qq
# shellcheck disable=SC2086
$SUDO apt-get $LOCK install -y -qq --no-install-recommends $missing
echo "setup: done"
