#!/bin/bash
# deps.sh: install every Debian package fastuml needs (idempotent).
#
# "deps.sh --list" prints the packages, one a line, and installs nothing:
# code/scripts/deps-check reads it to prove that every command the
# repository's scripts run comes from one of them.
set -euo pipefail
PROG=deps

packages=(
	# kernel build
	linux-source-6.12 build-essential patch flex bison bc ccache xz-utils perl
	# guest image
	busybox-static e2fsprogs fio iperf3
	# runners, measurements and tests
	util-linux procps file iproute2 ethtool socat strace linux-perf shellcheck
	# the harness's plots (make figures), without X
	gnuplot-nox
	# make grade and the exercises' development trees
	git
	# the tests' JSON and EPUB checks
	python3
	# the article's Debian image (make debian-rootfs)
	debootstrap wget
	# QEMU comparison (the guest kernel is fetched with apt-get download)
	qemu-system-x86 lz4 zstd
	# the book (make book): pandoc, Graphviz diagrams, the PDF, the browser check
	pandoc graphviz weasyprint fonts-dejavu-core chromium
)
# Node.js runs the browser check; use the machine's if it has one
if [ "${1:-}" = --list ]; then
	printf '%s\n' "${packages[@]}" nodejs npm
	exit 0
fi
[ $# -eq 0 ] || { echo "$PROG: error: usage: deps.sh [--list]" >&2; exit 2; }
command -v npm > /dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${db:Status-Status}' "$p" 2> /dev/null | grep -qx installed; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "$PROG: all ${#packages[@]} packages are installed"
else
	[ "$(id -u)" = 0 ] || { echo "$PROG: error: installing ${missing[*]} needs root" >&2; exit 1; }
	echo "$PROG: installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-cache show linux-source-6.12 > /dev/null 2>&1 ||
		{ echo "$PROG: error: apt knows no linux-source-6.12: Debian 12 has it in bookworm-security (add it to /etc/apt/sources.list)" >&2; exit 1; }
	apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
	echo "$PROG: installed ${#missing[@]} packages"
fi

# The book's pandoc options and Lua filters need pandoc 2.17 (Debian 12) or later.
read -r pmaj pmin < <(pandoc --version | sed -n '1s/^pandoc \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
if [ -z "${pmaj:-}" ] || [ "$pmaj" -lt 2 ] || { [ "$pmaj" -eq 2 ] && [ "$pmin" -lt 17 ]; }; then
	echo "$PROG: error: pandoc ${pmaj:-?}.${pmin:-?} is too old; the book needs 2.17 or later" >&2
	exit 1
fi

# The browser check's driver (playwright-core, pinned by the lockfile),
# installed into code/book/node_modules when the lockfile changes.
book=$(cd "$(dirname "$0")/../book" && pwd)
stamp=$book/node_modules/.fastuml-lock
if ! cmp -s "$book/package-lock.json" "$stamp"; then
	echo "$PROG: installing the book's Node packages (npm ci in code/book)"
	(cd "$book" && npm ci --no-audit --no-fund --loglevel=error > /dev/null) ||
		{ echo "$PROG: error: npm ci failed in code/book" >&2; exit 1; }
	cp "$book/package-lock.json" "$stamp"
fi
