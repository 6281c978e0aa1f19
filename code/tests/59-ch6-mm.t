#!/bin/bash
# shellcheck disable=SC2016  # the guest command expands in the guest
# Chapter 6's address spaces stay correct.  Chapter 6 changes when and
# how UML brings a guest process's host mappings up to date (fork, exec,
# faults); whatever it changes, every access must see exactly what the
# guest's page tables say, from the next instruction on.  On ch6 and on
# upstream, one boot each (a ch6 without patches of its own is ch5's
# kernel and is booted once, under the first name), runs:
#
#  - mmcheck all (code/guest/src/mmcheck): copy-on-write over three
#    generations, mprotect, munmap, MAP_SHARED, mremap, threads of one
#    process, and a program that must not see the previous one's page;
#    files on the guest's tmpfs;
#  - mmcheck cow and shared again with their files on an ext4 disk (page
#    cache pages that came from a block device), which the host then
#    checks with e2fsck;
#  - forkexec 2000 /opt/fastuml/bin/true: 2000 address spaces made and
#    torn down, each program exits 0;
#  - bigexec, 20 times: a static program with 8 MiB of read-only data
#    (code/guest/src/bigexec.c) that checks every word of it, so every
#    page of a large executable reaches the process right;
#  - fpcheck sse and fpcheck avx: FP and vector state across switches,
#    fork and signals (fpcheck uses AVX only where the host has it; never
#    AVX-512, whose signal frames 6.12 gets wrong: see 10-smoke.t).
#
# Then the signature of the chapter's fault-around step: fewer host stops
# per fork+exec on ch6 than on upstream (perf trace counts, two loop
# lengths, lib/mmcount.sh).  Then no UML process or /dev/shm file may be
# left.  Gates on the
# programs' ok lines and exit statuses only; each boot's time is printed,
# never tested.
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=code/tests/lib/mmcount.sh
. "$(dirname "$0")/lib/mmcount.sh"

need_kernels ch6 upstream
need_rootfs
# the image must hold the current guest programs
src=$FASTUML_ROOT/code/guest/src
if [ ! -x "$BUILD/guest/bin/mmcheck" ] || [ ! -x "$BUILD/guest/bin/bigexec" ] ||
	[ -n "$(find "$src" -newer "$BUILD/rootfs.img" -print -quit)" ]; then
	"$S/mkrootfs.sh" "$BUILD/rootfs.img" >&2 || bail "guest image build failed"
fi
command -v mke2fs > /dev/null || bail "mke2fs is missing (make deps)"
tmp=$(mktemp -d "$BUILD/ch6-mm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

CHECKS="cow mprotect munmap shared mremap threads stale"
EXT4_CHECKS="cow shared"
FORKS=2000
BIGEXECS=20
# the signature's loop lengths, and the bound: ch6 makes about 0.72 of
# upstream's stops, a kernel without 0022 1.0
SIG_SHORT=20 SIG_LONG=120 SIG_RATIO=0.85

# Each step's output lines come back prefixed with "STEP| ", then
# "STEP| STATUS n" with its exit status.
guest='step() {
	name=$1
	shift
	"$@" > /tmp/step.out 2>&1
	rc=$?
	sed "s/^/$name| /" /tmp/step.out
	echo "$name| STATUS $rc"
}
mkdir /tmp/ext4
step mount mount -t ext4 /dev/ubdb /tmp/ext4
step mmcheck mmcheck all
step ext4 mmcheck -d /tmp/ext4 '"$EXT4_CHECKS"'
step umount umount /tmp/ext4
step forkexec forkexec '"$FORKS"' /opt/fastuml/bin/true
step bigexec sh -c "i=0; while [ \$i -lt '"$BIGEXECS"' ]; do bigexec || exit 1; i=\$((i + 1)); done"
step sse fpcheck sse
step avx fpcheck avx
exit 0'

# section STEP: the lines step STEP printed, without the prefix
section() { sed -n "s/^$1| //p" "$tmp/out"; }
# console: the guest's stderr and the last console lines, once a boot
console() {
	[ -z "$console_shown" ] || { diag "(console lines: see above)"; return 0; }
	console_shown=1
	[ ! -s "$tmp/job/err" ] || diag "guest stderr:" "$(tail -n 10 "$tmp/job/err")"
	diag "last console lines:" "$(tail -n 20 "$tmp/job/console" "$tmp/job/uml.log" 2> /dev/null)"
}
# why STEP: the diagnostics of a failed check of step STEP: its lines
# and the console
why() {
	diag "step $1 printed:" "$(section "$1")"
	console
}
# has K STEP LINE NAME: step STEP printed LINE
has() {
	local rc=0
	section "$2" | grep -xF "$3" > /dev/null || rc=1
	ok "$rc" "$1: $4"
	[ "$rc" -eq 0 ] || why "$2"
}
# status K STEP NAME: step STEP exited 0
status() {
	local got
	got=$(section "$2" | sed -n 's/^STATUS //p')
	is "${got:-none}" 0 "$1: $3 (exit status ${got:-none})"
	[ "${got:-none}" = 0 ] || why "$2"
}

for kk in $(distinct_kernels ch6 upstream); do
	k=${kk%%=*}
	[ "$kk" = "$k" ] || diag "$k's kernel is also ${kk#*=}'s: booted once"
	rm -f "$tmp/ext4.img"
	truncate -s 32M "$tmp/ext4.img"
	mke2fs -q -F -t ext4 "$tmp/ext4.img" 2> "$tmp/err" || bail "mke2fs failed: $(cat "$tmp/err")"
	start=$EPOCHREALTIME rc=0
	"$S/uml-run" -k "$k" -t 120 -j "$tmp/job" -d "$tmp/ext4.img" -- "$guest" \
		> "$tmp/out" 2> "$tmp/err" || rc=$?
	diag "$k: the boot took $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
	ok "$rc" "$k: the guest's run completes (uml-run status $rc)"
	console_shown=
	if [ "$rc" -ne 0 ]; then
		diag "uml-run's stderr:" "$(tail -n 10 "$tmp/err")"
		console
	fi
	status "$k" mount "the guest mounts the ext4 disk"
	for c in $CHECKS; do
		has "$k" mmcheck "mmcheck $c: ok" "mmcheck $c"
	done
	status "$k" mmcheck "mmcheck all"
	for c in $EXT4_CHECKS; do
		has "$k" ext4 "mmcheck $c: ok" "mmcheck $c with its files on ext4"
	done
	status "$k" ext4 "mmcheck $EXT4_CHECKS on ext4"
	status "$k" umount "the guest unmounts the ext4 disk"
	rc=0
	e2fsck -fn "$tmp/ext4.img" > "$tmp/fsck" 2>&1 || rc=$?
	ok "$rc" "$k: e2fsck finds the ext4 disk clean afterwards (status $rc)"
	[ "$rc" -eq 0 ] || { diag "e2fsck:" "$(cat "$tmp/fsck")"; console; }
	n=$(section forkexec | sed -n 's/^forkexec: \([0-9]*\) iterations, .*/\1/p')
	is "${n:-none}" "$FORKS" "$k: forkexec runs all $FORKS fork+exec cycles of true"
	[ "${n:-none}" = "$FORKS" ] || why forkexec
	status "$k" forkexec "forkexec $FORKS true"
	diag "$k: $(section forkexec | head -n 1)"
	n=$(section bigexec | grep -cx 'bigexec: ok' || true)
	is "$n" "$BIGEXECS" "$k: $BIGEXECS execs of bigexec (8 MiB of read-only data) each read their whole table right"
	[ "$n" = "$BIGEXECS" ] || why bigexec
	status "$k" bigexec "bigexec $BIGEXECS times"
	for m in sse avx; do
		has "$k" "$m" "fpcheck: ok" "fpcheck $m"
		status "$k" "$m" "fpcheck $m"
	done
done
# The signature of chapter 6's own step (0022, a page table of cached
# file pages per read fault): a fork+exec of the static true takes about
# a third fewer faults than on upstream, and each fault is about three
# stops (the SIGSEGV, the stub's handler, the stub run that maps).
# Stops per cycle from two loop lengths under perf trace (lib/mmcount.sh).
bin=/opt/fastuml/bin
declare -A per_cycle
for k in ch6 upstream; do
	read -r s1 _ < <(measure "$k" fe-short "$bin/forkexec $SIG_SHORT $bin/true > /dev/null")
	read -r s2 _ < <(measure "$k" fe-long "$bin/forkexec $SIG_LONG $bin/true > /dev/null")
	if [ "$s1" = error ] || [ "$s2" = error ]; then
		ok 1 "$k: the fork+exec loops run under perf trace"
		per_cycle[$k]=0
		continue
	fi
	ok 0 "$k: the fork+exec loops run under perf trace"
	per_cycle[$k]=$(awk -v a="$s1" -v b="$s2" -v n=$((SIG_LONG - SIG_SHORT)) 'BEGIN { printf "%.1f", (b - a) / n }')
	diag "$k: ${per_cycle[$k]} host stops per fork+exec"
done
rc=1
awk -v c="${per_cycle[ch6]}" -v u="${per_cycle[upstream]}" -v r="$SIG_RATIO" \
	'BEGIN { exit !(c > 0 && u > 0 && c <= r * u) }' && rc=0
ok "$rc" "ch6 takes at most $SIG_RATIO times upstream's host stops per fork+exec (${per_cycle[ch6]} against ${per_cycle[upstream]})"

is "$(leftovers)" "" "no UML process or /dev/shm file of this checkout is left behind"

done_testing
