#!/bin/bash
# Every kernel boots on the guest image and passes the smoke suite: shell,
# fork/exec, FPU state, /proc and /sys, fio and iperf3, and data written
# to and read from ubd disks, with checksums compared on the host, fio
# crc32c write-then-verify (random sizes, queue depth 1 and 32) on a plain
# disk and on a COW overlay, and pieces of a pattern written by the guest
# at random offsets, found on the host where they belong.  Also:
# the kernel sized its FP state to the host's XSAVE area.  One boot per
# distinct kernel: a chapter with no patches yet shares the previous
# chapter's tree, and booting it again would test nothing new.
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=code/tests/lib/smoke.sh
. "$(dirname "$0")/lib/smoke.sh"

# shellcheck disable=SC2086
need_kernels $TARGETS
need_rootfs
tmp=$(mktemp -d "$BUILD/smoke.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

gcc -std=c11 -Wall -Wextra -Werror -O2 -o "$tmp/xsave-size" \
	"$FASTUML_ROOT/code/tools/xsave-size.c" || bail "cannot build xsave-size"
host_xsave=$("$tmp/xsave-size")

# shellcheck disable=SC2086
mapfile -t kernels < <(distinct_kernels $TARGETS)
for k in "${kernels[@]}"; do
	t=${k%%=*}
	[ "$k" = "$t" ] || diag "$t's kernel is also ${k#*=}'s: booted once"
	smoke_boot "$t" "$tmp" 180
	fp=$(sed -n 's/^Host FP state: XSAVE, \([0-9]*\) bytes$/\1/p' "$tmp/job/uml.log")
	is "$fp" "$host_xsave" "$t: FP state sized to the host XSAVE area (CPUID 0xD)"
done
leftover=$(leftovers)
is "$leftover" "" "no UML process or /dev/shm file is left behind"

done_testing
