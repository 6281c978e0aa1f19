#!/bin/bash
# mkdebian.sh [IMAGE]: the article's system, a minimal Debian 12 guest.
#
# debootstrap --variant=minbase bookworm (plus busybox-static) from the
# Debian mirror this machine's apt uses, into build/debian/root, then an
# ext4 image of that tree with mke2fs -d (no loop mounts), by default
# build/debian.img.  Added to Debian's files, all outside /usr so that
# the walks of the article workload cover Debian's /usr only:
#   /sbin/fastuml-init   the runners' PID 1 (the same as the fastuml image)
#   /opt/fastuml/bin     poweroff (a busybox link: minbase has no init
#                        system), our static timeit and forkexec, and
#                        strace (Debian's, run through the loader with its
#                        own libraries in /opt/fastuml/lib) for exec counts
#   /mnt/job             where PID 1 mounts the runner's job
# The tree stays: the native target of the article workload runs the
# same commands in a chroot of it.
#
# The image is rebuilt only when its recipe changes: this script, the
# init, the mirror, and the programs copied in.  DEBIAN_MIRROR=URL
# overrides the mirror.  One line on stderr and exit 1 on any failure,
# for example when the mirror cannot be reached.
set -euo pipefail
umask 022
export LC_ALL=C
# shellcheck disable=SC2034  # read by common.sh (die)
PROG=mkdebian
# shellcheck source=code/scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
PATH=$PATH:/usr/sbin:/sbin

SUITE=bookworm
VARIANT=minbase
INCLUDE=busybox-static
FS_UUID=66617374-756d-4c00-8000-64656269616e	# "fastuml", "debian"

[ $# -le 1 ] || { echo "usage: $0 [IMAGE]" >&2; exit 2; }
image=${1:-$BUILD/debian.img}
dir=$BUILD/debian
root=$dir/root

# ---- host tools ------------------------------------------------------
[ "$(id -u)" = 0 ] || die "debootstrap needs root (run as root)"
for t in debootstrap:debootstrap wget:wget mke2fs:e2fsprogs strace:strace; do
	command -v "${t%%:*}" > /dev/null ||
		die "${t%%:*} is missing; install the Debian package ${t#*:} (make deps)"
done
for p in timeit forkexec; do
	[ -x "$BUILD/guest/bin/$p" ] ||
		die "$BUILD/guest/bin/$p is missing; build the guest image first (make rootfs)"
done

# debian_mirror: the first Debian archive apt uses for the main suite
# (DEB822 .sources files, then one-line sources.list entries)
debian_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" && $0 !~ /security/ {
			for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$f"
	done
}
mirror=${DEBIAN_MIRROR:-$(debian_mirror | head -n 1)}
[ -n "$mirror" ] || die "no Debian mirror in /etc/apt/sources.list*; set DEBIAN_MIRROR=URL"
mirror=${mirror%/}

# ---- is it up to date? -----------------------------------------------
strace_libs() {
	ldd /usr/bin/strace | awk '$2 == "=>" && $3 ~ /^\// && $1 !~ /^(libc|ld-linux)/ { print $3 }'
}
recipe=$({
	echo "$SUITE $VARIANT $INCLUDE $mirror $FS_UUID"
	cat "${BASH_SOURCE[0]}" "$FASTUML_ROOT/code/guest/fastuml-init"
	cat "$BUILD/guest/bin/timeit" "$BUILD/guest/bin/forkexec" /usr/bin/strace
	strace_libs | xargs cat
} | sha256sum | cut -c1-16)
if [ -f "$image" ] && [ "$(cat "$dir/recipe" 2> /dev/null)" = "$recipe" ]; then
	echo "debian-rootfs: ${image#"$FASTUML_ROOT"/} is up to date (recipe $recipe)"
	exit 0
fi

# ---- the tree ----------------------------------------------------------
wget -q -T 20 -t 2 -O /dev/null "$mirror/dists/$SUITE/Release" ||
	die "cannot reach the Debian mirror $mirror (no $mirror/dists/$SUITE/Release); check the network or set DEBIAN_MIRROR=URL"
mkdir -p "$dir"
rm -f "$dir/recipe"
rm -rf "$root"
log=$dir/debootstrap.log
debootstrap --variant="$VARIANT" --include="$INCLUDE" "$SUITE" "$root" "$mirror" > "$log" 2>&1 ||
	die "debootstrap failed: $(grep -E '^[EW]:' "$log" | tail -n 1) (log: ${log#"$FASTUML_ROOT"/})"
# what debootstrap leaves that the image does not need
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*_Packages

install -m 0755 "$FASTUML_ROOT/code/guest/fastuml-init" "$root/sbin/fastuml-init"
mkdir -p "$root/mnt/job" "$root/opt/fastuml/bin" "$root/opt/fastuml/lib"
ln -s /bin/busybox "$root/opt/fastuml/bin/poweroff"
install -m 0755 "$BUILD/guest/bin/timeit" "$BUILD/guest/bin/forkexec" "$root/opt/fastuml/bin/"
install -m 0755 /usr/bin/strace "$root/opt/fastuml/lib/strace"
strace_libs | while read -r lib; do
	cp -L "$lib" "$root/opt/fastuml/lib/"
done
cat > "$root/opt/fastuml/bin/strace" << 'EOF'
#!/bin/sh
# Debian's strace with its own libraries, which are not in this image's /usr
exec /lib64/ld-linux-x86-64.so.2 --library-path /opt/fastuml/lib /opt/fastuml/lib/strace "$@"
EOF
chmod 0755 "$root/opt/fastuml/bin/strace"
printf 'fastuml-debian\n' > "$root/etc/hostname"

# ---- the image ---------------------------------------------------------
mib=$(du -sm "$root" | cut -f1)
mib=$(((mib * 5 / 4 + 64 + 63) / 64 * 64))
tmp=$image.tmp
trap 'rm -f "$tmp"' EXIT
rm -f "$tmp"
truncate -s "${mib}M" "$tmp"
mke2fs -q -F -t ext4 -b 4096 -m 0 -L fastuml-debian -U "$FS_UUID" -d "$root" "$tmp" ||
	die "mke2fs failed"
mv -f "$tmp" "$image"
echo "$recipe" > "$dir/recipe"
files=$(find "$root/usr" -type f | wc -l)
echo "debian-rootfs: ${image#"$FASTUML_ROOT"/} ($mib MiB; Debian $(cat "$root/etc/debian_version"), $files files under /usr; mirror $mirror)"
