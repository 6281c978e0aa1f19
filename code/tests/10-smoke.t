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
smoke=$FASTUML_ROOT/code/tests/guest/smoke.sh
nchecks=$(grep -c '^t ' "$smoke")

# shellcheck disable=SC2086
mapfile -t kernels < <(distinct_kernels $TARGETS)
for k in "${kernels[@]}"; do
	t=${k%%=*}
	[ "$k" = "$t" ] || diag "$t's kernel is also ${k#*=}'s: booted once"
	smoke_setup "$tmp"
	rc=0
	"$S/uml-run" -k "$t" -t 180 -j "$tmp/job" "${smoke_disks[@]}" \
		"$(cat "$smoke")" > "$tmp/out" 2> "$tmp/err" || rc=$?
	ok "$rc" "$t: boots and the smoke suite exits 0"
	[ "$rc" -eq 0 ] || diag "$(tail -n 30 "$tmp/err")"
	npass=$(grep -c '^PASS ' "$tmp/out")
	[ "$npass" -eq "$nchecks" ] && rc=0 || rc=1
	ok "$rc" "$t: every smoke check passes ($npass of $nchecks)"
	[ "$rc" -eq 0 ] || diag "$(grep -v '^PASS ' "$tmp/out")"
	is "$(sed -n 's/^SUM ubdb-read //p' "$tmp/out")" \
		"$(sha256sum < "$tmp/in.img" | cut -d' ' -f1)" \
		"$t: the guest reads what the host wrote to ubdb"
	is "$(sha256sum < "$tmp/out.img" | cut -d' ' -f1)" \
		"$(sed -n 's/^SUM ubdc-written //p' "$tmp/out")" \
		"$t: the host finds what the guest wrote to ubdc"
	is "$(sha256sum < "$tmp/pat.img" | cut -d' ' -f1)" "$(sha256sum < "$tmp/want.img" | cut -d' ' -f1)" \
		"$t: the host finds the guest's 64 pattern pieces at their offsets on ubdf"
	[ "$(sha256sum < "$tmp/pat.img" | cut -d' ' -f1)" = "$(sha256sum < "$tmp/want.img" | cut -d' ' -f1)" ] ||
		diag "$(cmp -l "$tmp/pat.img" "$tmp/want.img" | awk 'NR == 1 { printf "first difference at byte %d (sector %d); ", $1 - 1, ($1 - 1) / 512 } END { printf "%d bytes differ", NR }')"
	fp=$(sed -n 's/^Host FP state: XSAVE, \([0-9]*\) bytes$/\1/p' "$tmp/job/uml.log")
	is "$fp" "$host_xsave" "$t: FP state sized to the host XSAVE area (CPUID 0xD)"
done
leftover=$(leftovers)
is "$leftover" "" "no UML process or /dev/shm file is left behind"

done_testing
