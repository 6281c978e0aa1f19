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
#  - fpcheck sse and fpcheck avx: FP and vector state across switches
#    between processes and between threads of one process, page faults,
#    fork and signals (fpcheck uses AVX only where the host has it; never
#    AVX-512, whose signal frames 6.12 gets wrong: see 10-smoke.t).
#
# Then the signatures of the chapter's steps past upstream: fewer host
# stops and ptrace calls per fork+exec, fewer ptrace calls per guest
# system call, and no new host process per fork+exec, on ch6 against
# upstream (perf trace counts, lib/mmcount.sh).  Then no UML
# process or /dev/shm file may be left.  Gates on the
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
# the signature's loop lengths, and the bound: ch6 makes about 0.58 of
# upstream's stops, a kernel without 0025 about 0.7, without 0022 1.0
SIG_SHORT=20 SIG_LONG=120 SIG_RATIO=0.62
# and its ptrace calls per fork+exec, at most half upstream's with 0025
# (about 0.45), 0.55 without it
SIG_PTRACE_RATIO=0.5
# and for 0023: 5 ptrace calls per guest system call before, 3 after
SIG_DD_SHORT=2000 SIG_DD_LONG=12000 SIG_PTRACE_MAX=3.5
# and for 0024: a fork+exec makes two address spaces and drops two; with
# the dropped ones' host processes kept for reuse it clones none
SIG_CLONES_MAX=0.1

# 0023 leaves a task's FP registers in its host process while the UML
# kernel handles a trap, and runs the stub there meanwhile (syscall_stub_flush,
# the fault handler with its own save and restore around it): the stub
# must not touch an FP or vector register.  Disassemble the stub section
# of ch6's linked kernel.
stub=$(nm "$BUILD/ch6/linux" 2> "$tmp/err" | awk '$3 == "__syscall_stub_start" { a = $1 }
	$3 == "__syscall_stub_end" { b = $1 } END { if (a != "" && b != "") print "0x" a, "0x" b }')
rc=1 fp_insns=unknown
if [ -n "$stub" ]; then
	objdump -d --start-address="${stub% *}" --stop-address="${stub#* }" "$BUILD/ch6/linux" \
		2>> "$tmp/err" | awk -F'\t' 'NF >= 3 { print $3 }' > "$tmp/stub.s"
	fp_insns=$(grep -cE '%([xyz]mm[0-9]|mm[0-7]\b|k[0-7]\b|st\b|st\()|^(f[a-z0-9]+|v[a-z0-9]+|[a-z]*mxcsr|x(save|rstor)[a-z0-9]*|emms) ' "$tmp/stub.s" || true)
	[ "$(wc -l < "$tmp/stub.s")" -gt 20 ] && [ "$fp_insns" = 0 ] && rc=0
fi
ok "$rc" "ch6: the stub's code uses no FP or vector register ($(wc -l < "$tmp/stub.s" 2> /dev/null || echo 0) instructions, $fp_insns of them FP)"
[ "$rc" -eq 0 ] || diag "nm/objdump:" "$(cat "$tmp/err")" "FP instructions:" "$(grep -E '%[xyz]mm|^f|^v' "$tmp/stub.s" 2> /dev/null | head -n 5)"

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
# The signatures of chapter 6's own steps, from perf trace counts of
# three boots per kernel (lib/mmcount.sh): A runs SIG_SHORT fork+execs
# and SIG_DD_SHORT dd blocks, B more fork+execs, C more dd blocks, so
# B - A is the fork+execs' and C - A the dd blocks' share.
#  - 0022 (a page table of cached file pages per read fault): a fork+exec
#    of the static true takes about a third fewer faults than on
#    upstream, and each fault is about three stops (the SIGSEGV, the
#    stub's handler, the stub run that maps; two with 0025): fewer stops.
#  - 0023 (FP registers left in the host process): a guest system call
#    (dd bs=1: a read and a write per block) takes 3 ptrace calls, not 5.
#  - 0024 (host processes of dead address spaces reused): a fork+exec
#    clones no new host process, where upstream clones two.
#  - 0025 (faults resolved from the stop's siginfo, not the stub's
#    handler): a stop and three ptrace calls fewer per fault, so fewer
#    stops and ptrace calls per fork+exec.
bin=/opt/fastuml/bin
declare -A per_cycle per_call clones ptrace_cycle
dd_cmd() { echo "dd if=/dev/zero of=/dev/null bs=1 count=$1 2> /dev/null"; }
for k in ch6 upstream; do
	read -r sa _ pa ca < <(measure "$k" sig-a "$bin/forkexec $SIG_SHORT $bin/true > /dev/null; $(dd_cmd "$SIG_DD_SHORT")")
	read -r sb _ pb cb < <(measure "$k" sig-b "$bin/forkexec $SIG_LONG $bin/true > /dev/null; $(dd_cmd "$SIG_DD_SHORT")")
	read -r _ _ pc _ < <(measure "$k" sig-c "$bin/forkexec $SIG_SHORT $bin/true > /dev/null; $(dd_cmd "$SIG_DD_LONG")")
	if [ "$sa" = error ] || [ "$sb" = error ] || [ -z "$pc" ]; then
		ok 1 "$k: the fork+exec and dd loops run under perf trace"
		per_cycle[$k]=0 per_call[$k]=0 clones[$k]=-1 ptrace_cycle[$k]=0
		continue
	fi
	ok 0 "$k: the fork+exec and dd loops run under perf trace"
	per_cycle[$k]=$(awk -v a="$sa" -v b="$sb" -v n=$((SIG_LONG - SIG_SHORT)) 'BEGIN { printf "%.1f", (b - a) / n }')
	per_call[$k]=$(awk -v a="$pa" -v c="$pc" -v n=$((2 * (SIG_DD_LONG - SIG_DD_SHORT))) 'BEGIN { printf "%.2f", (c - a) / n }')
	ptrace_cycle[$k]=$(awk -v a="$pa" -v b="$pb" -v n=$((SIG_LONG - SIG_SHORT)) 'BEGIN { printf "%.1f", (b - a) / n }')
	clones[$k]=$(awk -v a="$ca" -v b="$cb" -v n=$((SIG_LONG - SIG_SHORT)) 'BEGIN { printf "%.2f", (b - a) / n }')
	diag "$k: ${per_cycle[$k]} host stops, ${ptrace_cycle[$k]} ptrace calls and ${clones[$k]} new host processes per fork+exec, ${per_call[$k]} ptrace calls per guest system call"
done
rc=1
awk -v c="${per_cycle[ch6]}" -v u="${per_cycle[upstream]}" -v r="$SIG_RATIO" \
	'BEGIN { exit !(c > 0 && u > 0 && c <= r * u) }' && rc=0
ok "$rc" "ch6 takes at most $SIG_RATIO times upstream's host stops per fork+exec (${per_cycle[ch6]} against ${per_cycle[upstream]})"
rc=1
awk -v c="${ptrace_cycle[ch6]}" -v u="${ptrace_cycle[upstream]}" -v r="$SIG_PTRACE_RATIO" \
	'BEGIN { exit !(c > 0 && u > 0 && c <= r * u) }' && rc=0
ok "$rc" "ch6 makes at most $SIG_PTRACE_RATIO times upstream's ptrace calls per fork+exec (${ptrace_cycle[ch6]} against ${ptrace_cycle[upstream]})"
rc=1
awk -v c="${per_call[ch6]}" -v u="${per_call[upstream]}" -v m="$SIG_PTRACE_MAX" \
	'BEGIN { exit !(c > 0 && c <= m && u > m) }' && rc=0
ok "$rc" "a guest system call takes at most $SIG_PTRACE_MAX ptrace calls on ch6, more on upstream (${per_call[ch6]} against ${per_call[upstream]})"
rc=1
awk -v c="${clones[ch6]}" -v u="${clones[upstream]}" -v m="$SIG_CLONES_MAX" \
	'BEGIN { exit !(c >= 0 && c <= m && u >= 1.9) }' && rc=0
ok "$rc" "ch6 reuses host processes: at most $SIG_CLONES_MAX clone() per fork+exec, upstream two (${clones[ch6]} against ${clones[upstream]})"

is "$(leftovers)" "" "no UML process or /dev/shm file of this checkout is left behind"

done_testing
