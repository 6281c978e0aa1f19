#!/bin/bash
# deps.sh: install every Debian package fastuml needs (idempotent).
set -euo pipefail
PROG=deps

packages=(
	# kernel build
	linux-source-6.12 build-essential patch flex bison bc ccache xz-utils perl
	# guest image
	busybox-static e2fsprogs fio iperf3
	# runners, measurements and tests
	util-linux procps file iproute2 ethtool socat strace linux-perf shellcheck
	# QEMU comparison (the guest kernel is fetched with apt-get download)
	qemu-system-x86 lz4
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${db:Status-Status}' "$p" 2> /dev/null | grep -qx installed; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "$PROG: all ${#packages[@]} packages are installed"
	exit 0
fi
[ "$(id -u)" = 0 ] || { echo "$PROG: error: installing ${missing[*]} needs root" >&2; exit 1; }
echo "$PROG: installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
echo "$PROG: installed ${#missing[@]} packages"
