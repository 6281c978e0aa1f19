#!/bin/bash
# qemu-kernel.sh: fetch the guest kernel that qemu-run boots.
#
# The QEMU guest runs Debian's cloud kernel (linux-image-cloud-amd64).
# It is not installed on the host: the versioned package the metapackage
# depends on is fetched with apt-get download and unpacked into
# build/qemu/ with dpkg-deb -x.  The result is
#
#   build/qemu/vmlinuz         the kernel
#   build/qemu/initrd.img      a tiny initramfs (see below)
#   build/qemu/kernel-release  the kernel release, e.g. 6.1.0-56-cloud-amd64
#
# The cloud kernel has ext4 (which also serves ext2) and the 8250 serial
# console built in, but virtio, virtio-mmio, virtio-pci and virtio-blk
# are modules.  So the initramfs holds busybox-static and those modules;
# its /init loads them with insmod in dependency order, mounts the root
# disk read-only and switch_roots to the real init named by init=.
#
# Running it again does nothing unless something is missing or the
# metapackage now points at a newer kernel.
#
# Needs: apt (apt-get, apt-cache), dpkg-deb, busybox-static.

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=$top/build/qemu
meta=linux-image-cloud-amd64
# The modules the initramfs loads; their dependencies are added
# automatically.  virtio_mmio serves -M microvm, virtio_pci -M q35/pc.
want_modules=(virtio_mmio virtio_pci virtio_blk)

say() { echo "qemu-kernel: $*"; }
die() { echo "qemu-kernel: error: $*" >&2; exit 1; }

command -v apt-get > /dev/null || die "apt-get not found (this needs a Debian host)"
command -v dpkg-deb > /dev/null || die "dpkg-deb not found (apt-get install dpkg)"
busybox=/bin/busybox
if ! "$busybox" --list 2> /dev/null | grep -qx switch_root; then
	die "$busybox with switch_root not found (apt-get install busybox-static)"
fi

# Which versioned kernel does the metapackage want?
pkg=$(apt-cache depends "$meta" 2> /dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -n 1) || true
[ -n "$pkg" ] ||
	die "apt-cache does not know $meta (is deb.debian.org in sources.list? try apt-get update)"
release=${pkg#linux-image-}

mkdir -p "$out"
deb=$(find "$out" -maxdepth 1 -name "${pkg}_*_amd64.deb" -print -quit)
if [ -n "$deb" ]; then
	say "have $(basename "$deb")"
else
	say "downloading $pkg into build/qemu/"
	if ! (cd "$out" && apt-get download -q -o APT::Sandbox::User=root "$pkg" > "$out/apt.log" 2>&1); then
		die "apt-get download $pkg failed: $(grep -E '^(E|W):' "$out/apt.log" | head -n 1)"
	fi
	rm -f "$out/apt.log"
	deb=$(find "$out" -maxdepth 1 -name "${pkg}_*_amd64.deb" -print -quit)
	[ -n "$deb" ] || die "apt-get download $pkg left no .deb in build/qemu/"
fi

# Unpack (once per kernel release).
tree=$out/pkg
if [ "$(cat "$out/kernel-release" 2> /dev/null)" != "$release" ] ||
	[ ! -f "$tree/boot/vmlinuz-$release" ] || [ ! -f "$out/vmlinuz" ]; then
	say "unpacking $(basename "$deb") into build/qemu/pkg/"
	rm -rf "$tree" "$out/initrd.img"
	dpkg-deb -x "$deb" "$tree"
	cp "$tree/boot/vmlinuz-$release" "$out/vmlinuz.new"
	mv "$out/vmlinuz.new" "$out/vmlinuz"
	cp "$tree/boot/config-$release" "$out/config"
	echo "$release" > "$out/kernel-release"
	# Old kernels' packages are no longer needed.
	find "$out" -maxdepth 1 -name 'linux-image-*.deb' ! -name "$(basename "$deb")" -delete
fi

# Make sure the things the guest needs without modules really are built in.
for opt in CONFIG_EXT4_FS CONFIG_EXT4_USE_FOR_EXT2 CONFIG_SERIAL_8250_CONSOLE \
	CONFIG_DEVTMPFS CONFIG_BLK_DEV_INITRD CONFIG_TMPFS; do
	grep -qx "$opt=y" "$out/config" || die "$release lacks $opt=y; qemu-kernel.sh needs updating"
done

# Is the initramfs up to date?
initrd=$out/initrd.img
if [ -f "$initrd" ] && [ "$initrd" -nt "${BASH_SOURCE[0]}" ] && [ "$initrd" -nt "$busybox" ]; then
	say "build/qemu/vmlinuz and build/qemu/initrd.img are up to date ($release)"
	exit 0
fi

moddir=$tree/lib/modules/$release/kernel
mod_path() { find "$moddir" -name "$1.ko" -print -quit; }
mod_deps() { tr '\0' '\n' < "$1" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '; }

# Dependency order: a module comes after everything it depends on.
order=()
add_module() {
	local m=$1 f d
	for d in "${order[@]}"; do [ "$d" != "$m" ] || return 0; done
	f=$(mod_path "$m")
	[ -n "$f" ] || die "module $m.ko not in $(basename "$deb")"
	for d in $(mod_deps "$f"); do add_module "$d"; done
	order+=("$m")
}
for m in "${want_modules[@]}"; do add_module "$m"; done

say "building build/qemu/initrd.img (busybox + ${order[*]})"
stage=$(mktemp -d "$out/initrd.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,newroot,lib/modules}
cp "$busybox" "$stage/bin/busybox"
for m in "${order[@]}"; do cp "$(mod_path "$m")" "$stage/lib/modules/"; done

# The initramfs's /init.  Kernel arguments it understands:
#   root=/dev/vdX          the root disk (mounted read-only, ext4)
#   init=/path             the real init (default /sbin/init)
#   fastuml.job=/dev/vdX   waits for this disk too
#   fastuml.probe          print "fastuml-probe-ok" and power off at once
#                          (qemu-run's check that an accelerator works)
{
	echo '#!/bin/busybox sh'
	echo '# generated by code/scripts/qemu-kernel.sh'
	echo "modules='${order[*]}'"
	cat << 'EOF'
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs devtmpfs /dev
fail() {
	echo "initramfs: $*" > /dev/console
	/bin/busybox poweroff -f
}
root= init=/sbin/init job= probe=
read -r cmdline < /proc/cmdline
for arg in $cmdline; do
	case "$arg" in
	root=*) root=${arg#root=} ;;
	init=*) init=${arg#init=} ;;
	fastuml.job=/dev/*) job=${arg#fastuml.job=} ;;
	fastuml.probe) probe=1 ;;
	esac
done
if [ -n "$probe" ]; then
	echo "fastuml-probe-ok" > /dev/console
	/bin/busybox poweroff -f
fi
for m in $modules; do
	/bin/busybox insmod "/lib/modules/$m.ko" || fail "insmod $m failed"
done
[ -n "$root" ] || fail "no root= on the kernel command line"
n=0
while [ ! -b "$root" ] || { [ -n "$job" ] && [ ! -b "$job" ]; }; do
	n=$((n + 1))
	[ "$n" -le 500 ] || fail "no $root $job after 5 s"
	/bin/busybox usleep 10000
done
/bin/busybox mount -t ext4 -o ro "$root" /newroot || fail "cannot mount $root"
/bin/busybox umount /dev /proc
exec /bin/busybox switch_root /newroot "$init"
EOF
} > "$stage/init"
chmod 755 "$stage/init"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	"$busybox" cpio -o -H newc -R 0:0 2> /dev/null) > "$initrd.new"
mv "$initrd.new" "$initrd"
say "done: build/qemu/vmlinuz build/qemu/initrd.img ($release)"
