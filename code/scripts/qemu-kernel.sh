#!/bin/bash
# qemu-kernel.sh: fetch the guest kernel that qemu-run boots.
#
# The QEMU guest runs Debian's cloud kernel (linux-image-cloud-amd64).
# It is not installed on the host: the versioned package the metapackage
# depends on is fetched with apt-get download and unpacked into
# build/qemu/pkg/ with dpkg-deb -x.  The results are
#
#   build/qemu/vmlinuz         the kernel as packaged (a bzImage)
#   build/qemu/vmlinux         the same kernel uncompressed (an ELF file);
#                              QEMU starts it at its PVH entry point, which
#                              skips the firmware and the decompressor
#   build/qemu/initrd.img      a tiny initramfs (see below)
#   build/qemu/config          the kernel's configuration
#   build/qemu/kernel-release  e.g. 6.1.0-56-cloud-amd64
#
# The cloud kernel has ext4 (which also serves ext2), devtmpfs and the
# 8250 serial console built in, but virtio, virtio-mmio, virtio-pci and
# virtio-blk are modules.  So the initramfs holds busybox-static and
# those modules; its /init loads them with insmod in dependency order,
# mounts the root disk read-only and switch_roots to the init= program.
#
# Running it again only redoes what is missing or out of date (a newer
# kernel behind the metapackage, a changed script, a new busybox).
#
# Needs: apt, dpkg, busybox-static, lz4 (the kernel is LZ4-compressed).

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=$top/build/qemu
self=${BASH_SOURCE[0]}
meta=linux-image-cloud-amd64
busybox=/bin/busybox
# The modules the initramfs loads; what they depend on is added
# automatically.  virtio_mmio serves -M microvm, virtio_pci -M q35/pc;
# virtio_net is for qemu-run -n.
want_modules=(virtio_mmio virtio_pci virtio_blk virtio_net)

say() { echo "qemu-kernel: $*"; }
die() {
	echo "qemu-kernel: error: $*" >&2
	exit 1
}

for tool in apt-get apt-cache dpkg-deb od; do
	command -v "$tool" > /dev/null || die "$tool not found (this needs a Debian host)"
done
if ! "$busybox" --list 2> /dev/null | grep -x switch_root > /dev/null; then
	die "$busybox with switch_root not found (apt-get install busybox-static)"
fi

# Which versioned kernel package does the metapackage want?
pkg=$(apt-cache depends "$meta" 2> /dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -n 1) || true
[ -n "$pkg" ] ||
	die "apt-cache does not know $meta (is Debian's main archive in the apt sources? try apt-get update)"
release=${pkg#linux-image-}

# 1. The package.
mkdir -p "$out"
find_deb() { find "$out" -maxdepth 1 -name "${pkg}_*_amd64.deb" -print -quit; }
deb=$(find_deb)
if [ -n "$deb" ]; then
	say "have build/qemu/$(basename "$deb")"
else
	say "apt-get download $pkg (into build/qemu/)"
	# APT::Sandbox::User=root: the _apt user may not be able to write here.
	if ! (cd "$out" && apt-get download -q -o APT::Sandbox::User=root "$pkg" > apt.log 2>&1); then
		die "apt-get download $pkg failed: $(grep -m 1 '^E:' "$out/apt.log" || tail -n 1 "$out/apt.log") (all of it: build/qemu/apt.log)"
	fi
	rm -f "$out/apt.log"
	deb=$(find_deb)
	[ -n "$deb" ] || die "apt-get download $pkg left no .deb in build/qemu/"
	# Packages of older kernels are no longer needed.
	find "$out" -maxdepth 1 -name 'linux-image-*.deb' ! -name "$(basename "$deb")" -delete
fi

# 2. Unpack it (once per kernel release).
tree=$out/pkg
if [ "$(cat "$out/kernel-release" 2> /dev/null)" != "$release" ] ||
	[ ! -f "$tree/boot/vmlinuz-$release" ] || [ ! -f "$out/vmlinuz" ] || [ ! -f "$out/config" ]; then
	say "dpkg-deb -x $(basename "$deb") build/qemu/pkg/"
	rm -rf "$tree" "$out/vmlinux" "$out/initrd.img" "$out/kernel-release"
	dpkg-deb -x "$deb" "$tree"
	cp "$tree/boot/config-$release" "$out/config"
	cp "$tree/boot/vmlinuz-$release" "$out/vmlinuz.tmp"
	mv "$out/vmlinuz.tmp" "$out/vmlinuz"
	echo "$release" > "$out/kernel-release"
fi

# The guest needs these without any module.
for opt in CONFIG_EXT4_FS CONFIG_EXT4_USE_FOR_EXT2 CONFIG_SERIAL_8250_CONSOLE \
	CONFIG_DEVTMPFS CONFIG_BLK_DEV_INITRD CONFIG_TMPFS CONFIG_PVH; do
	grep -qx "$opt=y" "$out/config" || die "$release lacks $opt=y; qemu-kernel.sh needs updating"
done

# 3. vmlinux: the bzImage's payload, decompressed.  The x86 boot header
# gives the payload's place: setup_sects at 0x1f1, payload_offset at
# 0x248 (counted from the end of the setup code) and payload_length at
# 0x24c; the payload's last 4 bytes are the uncompressed size.
if [ ! -f "$out/vmlinux" ] || [ "$out/vmlinux" -ot "$out/vmlinuz" ]; then
	bz=$out/vmlinuz
	u8() { od -An -tu1 -j "$1" -N 1 "$bz" | tr -d ' '; }
	u32() { od -An -tu4 -j "$1" -N 4 "$bz" | tr -d ' '; } # little endian host
	setup=$(u8 $((0x1f1)))
	[ "$setup" -ne 0 ] || setup=4
	start=$(((setup + 1) * 512 + $(u32 $((0x248)))))
	length=$(u32 $((0x24c)))
	magic=$(od -An -tx1 -j "$start" -N 4 "$bz" | tr -d ' ')
	case "$magic" in
	02214c18) unpack=(lz4 -dc) ;;
	1f8b*) unpack=(gzip -dc) ;;
	fd377a58) unpack=(xz -dc --single-stream) ;;
	28b52ffd) unpack=(zstd -dcq) ;;
	*) die "vmlinuz: unknown compression (magic $magic)" ;;
	esac
	command -v "${unpack[0]}" > /dev/null ||
		die "${unpack[0]} not found, needed to uncompress the kernel (apt-get install ${unpack[0]})"
	say "${unpack[0]} -d: build/qemu/vmlinuz -> build/qemu/vmlinux"
	size=$(u32 $((start + length - 4)))
	# The decompressors complain about the trailing size (and lz4 exits
	# 1 over it); the size check below is what tells success.
	tail -c +$((start + 1)) "$bz" | head -c "$length" | "${unpack[@]}" > "$out/vmlinux.tmp" 2> /dev/null || true
	if [ "$(stat -c %s "$out/vmlinux.tmp")" != "$size" ] ||
		[ "$(od -An -c -N 4 "$out/vmlinux.tmp" | tr -d ' ')" != '177ELF' ]; then
		rm -f "$out/vmlinux.tmp"
		die "could not uncompress build/qemu/vmlinuz"
	fi
	mv "$out/vmlinux.tmp" "$out/vmlinux"
fi

# 4. The initramfs.
initrd=$out/initrd.img
if [ -f "$initrd" ] && [ "$initrd" -nt "$self" ] && [ "$initrd" -nt "$busybox" ] &&
	[ "$initrd" -nt "$out/vmlinuz" ]; then
	say "up to date: build/qemu/vmlinuz, vmlinux and initrd.img ($release)"
	exit 0
fi

moddir=$tree/lib/modules/$release/kernel
mod_path() { find "$moddir" -name "$1.ko" -print -quit; }
# A module's dependencies are in its .modinfo section ("depends=a,b").
mod_deps() { tr '\0' '\n' < "$1" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '; }

# Dependency order: each module after everything it depends on.
order=()
add_module() {
	local m=$1 f d
	for d in "${order[@]}"; do [ "$d" != "$m" ] || return 0; done
	f=$(mod_path "$m")
	[ -n "$f" ] || die "module $m.ko is not in $(basename "$deb")"
	for d in $(mod_deps "$f"); do add_module "$d"; done
	order+=("$m")
}
for m in "${want_modules[@]}"; do add_module "$m"; done

say "building build/qemu/initrd.img: busybox + ${order[*]}"
stage=$(mktemp -d "$out/initrd.XXXXXX")
trap 'rm -rf "$stage" "$initrd.tmp"' EXIT
mkdir -p "$stage"/{bin,dev,proc,newroot,lib/modules}
cp "$busybox" "$stage/bin/busybox"
for m in "${order[@]}"; do cp "$(mod_path "$m")" "$stage/lib/modules/"; done

# The initramfs's /init.  Kernel arguments it reads:
#   root=/dev/vdX         the root disk, mounted read-only as ext4
#   init=/path            the real init (default /sbin/init)
#   fastuml.job=/dev/vdX  the job disk; waited for as well
#   fastuml.probe         print "fastuml-probe-ok" and power off at once
#                         (qemu-run's test whether an accelerator works)
{
	echo '#!/bin/busybox sh'
	echo '# generated by code/scripts/qemu-kernel.sh'
	echo "modules='${order[*]}'"
	cat << 'EOF'
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t devtmpfs devtmpfs /dev
fail() {
	echo "initramfs: $*" > /dev/console
	$bb poweroff -f
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
	$bb poweroff -f
fi
# The virtio-pci modules only where there is PCI (not on -M microvm).
pci=
read -r _ 2> /dev/null < /proc/bus/pci/devices && pci=1
for m in $modules; do
	case "$m" in
	virtio_pci*) [ -n "$pci" ] || continue ;;
	esac
	$bb insmod "/lib/modules/$m.ko" || fail "insmod $m failed"
done
[ -n "$root" ] || fail "no root= on the kernel command line"
n=0
while [ ! -b "$root" ] || { [ -n "$job" ] && [ ! -b "$job" ]; }; do
	n=$((n + 1))
	[ "$n" -le 500 ] || fail "$root $job did not appear within 5 s"
	$bb usleep 10000
done
$bb mount -t ext4 -o ro "$root" /newroot || fail "cannot mount $root"
# Hand /proc and /dev over to the real root (its init finds them
# mounted), or unmount them if it has no mount point for them.
for d in /proc /dev; do
	if [ -d "/newroot$d" ]; then
		$bb mount --move "$d" "/newroot$d"
	else
		$bb umount "$d"
	fi
done
exec $bb switch_root /newroot "$init"
EOF
} > "$stage/init"
chmod 755 "$stage/init"
# No compression: unpacking an uncompressed cpio is the fastest.
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	"$busybox" cpio -o -H newc -R 0:0 2> /dev/null) > "$initrd.tmp"
mv "$initrd.tmp" "$initrd"
say "done: build/qemu/vmlinuz, vmlinux and initrd.img ($release)"
