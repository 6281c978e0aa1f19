#!/bin/bash
# mkrootfs.sh IMAGE: build the fastuml guest root filesystem image.
#
# Compiles the guest programs (code/guest/src/*.c, and each directory
# code/guest/src/NAME/ as one program NAME of its *.c) into build/guest/bin,
# assembles the root tree in build/guest/root and turns it into an ext4
# image with mke2fs -d: no root privileges, no loop devices.  The tree
# holds a static busybox with its applet links, /sbin/fastuml-init,
# Debian's fio, iperf3 and ethtool with every shared library they load,
# coreutils' dynamically linked /usr/bin/true (the exec workload's
# dynamic program),
# our programs in /opt/fastuml/bin, a deterministic fixture tree with
# its checksums, and a minimal /etc.  Each run rebuilds the tree and the
# image (only the fixture is kept between runs while it is intact); the
# image is the same bit for bit when the inputs are, whoever builds it.
set -euo pipefail
umask 022
export LC_ALL=C

IMAGE_MIB=256
INODES=16384
FS_UUID=66617374-756d-4c00-8000-726f6f746673	# fixed: "fastuml", "rootfs"
HASH_SEED=66617374-756d-4c00-8000-686173687365
EPOCH=${SOURCE_DATE_EPOCH:-1735689600}		# 2025-01-01, every timestamp
CFLAGS=(-std=c11 -O2 -Wall -Wextra -Werror -static)

die() {
	echo "mkrootfs: error: $*" >&2
	exit 1
}

# need_pkg WHAT PACKAGE: the one-line error for a missing host tool
need_pkg() {
	die "$1 is missing; install the Debian package $2 (make deps)"
}

[ $# -eq 1 ] || { echo "usage: $0 IMAGE" >&2; exit 2; }
image=$1
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
guest=$top/code/guest
out=${BUILD:-$top/build}/guest
bindir=$out/bin
root=$out/root
PATH=$PATH:/usr/sbin:/sbin

# ---- host tools ------------------------------------------------------
command -v gcc > /dev/null || need_pkg gcc gcc
[ "$(gcc -print-file-name=libc.a)" != libc.a ] ||
	need_pkg "the static C library (libc.a)" libc6-dev
command -v mke2fs > /dev/null || need_pkg mke2fs e2fsprogs
command -v ldd > /dev/null || need_pkg ldd libc-bin
# The dynamic busybox package also installs /bin/busybox; we need the
# static one, which runs without libraries.
if [ ! -x /bin/busybox ] || ldd /bin/busybox > /dev/null 2>&1; then
	need_pkg "a static /bin/busybox" busybox-static
fi
[ -x /usr/bin/fio ] || need_pkg /usr/bin/fio fio
[ -x /usr/bin/iperf3 ] || need_pkg /usr/bin/iperf3 iperf3
[ -x /usr/sbin/ethtool ] || need_pkg /usr/sbin/ethtool ethtool
command -v debugfs > /dev/null || need_pkg debugfs e2fsprogs

# ---- our programs ----------------------------------------------------
# compile SRC: build $bindir/NAME from NAME.c or from the directory
# NAME/, keeping the old file (and its time) when the result is the same,
# so that what depends on it is not redone
compile() {
	local name srcs=("$1")
	name=$(basename "$1" .c)
	[ ! -d "$1" ] || srcs=("$1"/*.c)
	gcc "${CFLAGS[@]}" -o "$bindir/.$name.new" "${srcs[@]}" || return 1
	if cmp -s "$bindir/.$name.new" "$bindir/$name"; then
		rm -f "$bindir/.$name.new"
	else
		mv -f "$bindir/.$name.new" "$bindir/$name"
	fi
}

mkdir -p "$bindir"
pids=()
for src in "$guest"/src/*.c "$guest"/src/*/; do
	[ -e "$src" ] || continue	# a pattern that matched nothing
	compile "${src%/}" &
	pids+=("$!")
done
for pid in "${pids[@]}"; do
	wait "$pid" || die "compiling the guest programs failed"
done

# ---- the fixture -----------------------------------------------------
# Writing thousands of small files is the slowest step, so the fixture
# is kept in $out/fixture and made again only when mkfixture changed or
# the tree no longer matches its checksums.
fixture=$out/fixture
sums=$out/fixture.sha256
fixture_ok() {
	[ -f "$sums" ] && [ ! "$bindir/mkfixture" -nt "$sums" ] &&
		[ "$(find "$fixture" -type f | wc -l)" = "$(wc -l < "$sums")" ] &&
		(cd "$fixture" && sha256sum --status -c "$sums")
}
if ! fixture_ok 2> /dev/null; then
	rm -rf "$fixture" "$sums"
	"$bindir/mkfixture" "$fixture"
	(
		cd "$fixture"
		find . -type f -printf '%P\n' | sort | xargs -d '\n' sha256sum
	) > "$sums.tmp"
	mv -f "$sums.tmp" "$sums"
fi

# ---- the tree --------------------------------------------------------
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,etc,lib,proc,sys,dev,run,mnt/job,usr/bin,usr/sbin}
mkdir -p "$root"/opt/fastuml/bin
mkdir -m 0700 "$root/root"
mkdir -m 1777 "$root/tmp"
mkdir -p "$root/var"
mkdir -m 1777 "$root/var/tmp"

cp -al "$fixture" "$root/opt/fastuml/fixture"
cp "$sums" "$root/opt/fastuml/fixture.sha256"

install -m 0755 /bin/busybox "$root/bin/busybox"
install -m 0755 "$guest/fastuml-init" "$root/sbin/fastuml-init"
ln -s fastuml-init "$root/sbin/init"

# copy_lib PATH: copy a host file to the same path in the tree; each
# symbolic link on the way (PATH's last component, then its target's)
# is recreated as it is, so the loader finds every name it looks for.
copy_lib() {
	local p=$1 t
	while [ -L "$p" ]; do
		t=$(readlink "$p")
		mkdir -p "$root${p%/*}"
		ln -sfn "$t" "$root$p"
		case $t in
		/*) p=$t ;;
		*) p=${p%/*}/$t ;;
		esac
	done
	mkdir -p "$root${p%/*}"
	cp "$p" "$root$p"
}

libs=()
for prog in /usr/bin/fio /usr/bin/iperf3 /usr/sbin/ethtool /usr/bin/true; do
	install -m 0755 "$prog" "$root$prog"
	deps=$(ldd "$prog") || die "ldd $prog failed"
	if grep -q 'not found' <<< "$deps"; then
		die "$prog needs a library that is not installed:" \
			"$(grep 'not found' <<< "$deps" | head -1 | tr -s '\t ' ' ')"
	fi
	mapfile -t -O "${#libs[@]}" libs < <(awk '
		$2 == "=>" && $3 ~ /^\// { print $3 }
		$1 ~ /^\// { print $1 }' <<< "$deps")
done
while read -r lib; do
	copy_lib "$lib"
done < <(printf '%s\n' "${libs[@]}" | sort -u)

for prog in "$bindir"/*; do
	[ "${prog##*/}" = mkfixture ] && continue	# a build tool
	install -m 0755 "$prog" "$root/opt/fastuml/bin/"
done

printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"
printf 'fastuml\n' > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tfastuml\n' > "$root/etc/hosts"

# busybox applet links, except where something else already lives
while read -r applet; do
	[ -e "$root/$applet" ] || [ -L "$root/$applet" ] && continue
	mkdir -p "$root/$(dirname "$applet")"
	ln -s /bin/busybox "$root/$applet"
done < <(/bin/busybox --list-full)

# ---- the image -------------------------------------------------------
find "$root" -exec touch -h -d "@$EPOCH" {} +

mkdir -p "$(dirname "$image")"
tmp=$image.tmp
trap 'rm -f "$tmp"' EXIT
rm -f "$tmp"
truncate -s "${IMAGE_MIB}M" "$tmp"
E2FSPROGS_FAKE_TIME=$EPOCH mke2fs -q -F -t ext4 -b 4096 -N "$INODES" \
	-m 0 -L fastuml -U "$FS_UUID" \
	-E "hash_seed=$HASH_SEED,root_owner=0:0" -d "$root" "$tmp" ||
	die "mke2fs failed"

# mke2fs -d copies each inode's change time (which touch cannot set)
# and owner from the tree: pin the times to $EPOCH and give everything
# to root, which a build by a user needs and a build by root does not
# mind (the image stays the same either way).
find "$root" -printf '/%P\n' |
	awk -v epoch="$EPOCH" '{
		print "sif \"" $0 "\" ctime @" epoch
		print "sif \"" $0 "\" uid 0"
		print "sif \"" $0 "\" gid 0"
	}' > "$out/fixup.debugfs"
E2FSPROGS_FAKE_TIME=$EPOCH debugfs -w -f "$out/fixup.debugfs" "$tmp" \
	> "$out/fixup.log" 2>&1 || die "debugfs failed, see $out/fixup.log"
# debugfs reports a failed command on a line of its own and exits 0
grep -qv '^debugfs' "$out/fixup.log" && die "debugfs failed, see $out/fixup.log"
mv -f "$tmp" "$image"

files=$(find "$root" ! -type d | wc -l)
echo "rootfs: $image ($IMAGE_MIB MiB, $files files)"
