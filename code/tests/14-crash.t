#!/bin/bash
# shellcheck disable=SC2016  # the guest commands expand in the guest
# What the guest was told is on disk survives a crash of UML.  On every
# distinct kernel from chapter 2 on, and on upstream, one boot writes
# numbered 4 KiB records to a plain disk (ubdb) and to a COW overlay
# (ubdc), each with dd conv=fsync, and appends the record's number to
# /mnt/job/acks (hostfs: the host sees it at once) only after both
# fsync()s returned.  Once enough records are acknowledged, the test kills
# the whole UML process tree with SIGKILL, mid-stream.  Then every
# acknowledged record must be intact: on the plain image read by the host
# directly, and through the COW overlay (and the plain disk again) by a
# second boot of the same kernel.  A kill -9 of UML is not a host crash:
# what the host's page cache holds survives it, so this finds a driver
# that acknowledges a write or a flush before its host write was done,
# not one whose flush never reaches the host's disk (chapter 2 shows
# that upstream's does not; no test here can pull the host's power).
# lane: 2
# (run-tests: beside lane 1's tests, on the last CPU, its UML runs pinned
# there; it times nothing, so sharing the machine changes no result.)
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

KERNELS="ch2 ch3 ch4 ch5 ch6 ch7 upstream"
# shellcheck disable=SC2086
need_kernels $KERNELS
need_rootfs
tmp=$(mktemp -d "$BUILD/crash.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
RECORDS=4096	# 4 KiB each: 16 MiB disks
KILL_AFTER=60	# acknowledged records before the kill

writer='i=0
while [ "$i" -lt '$RECORDS' ]; do
	for d in ubdb ubdc; do
		dd if=/mnt/job/records of=/dev/$d bs=4096 skip="$i" seek="$i" count=1 \
			conv=notrunc,fsync 2> /dev/null || { echo "dd failed on $d at record $i"; exit 1; }
	done
	echo "$i" >> /mnt/job/acks
	i=$((i + 1))
done'


# shellcheck disable=SC2086
mapfile -t kernels < <(distinct_kernels $KERNELS)
for k in "${kernels[@]}"; do
	t=${k%%=*}
	[ "$k" = "$t" ] || diag "$t's kernel is also ${k#*=}'s: tested once"
	job=$tmp/job-$t
	rm -rf "$job" "$tmp/plain.img" "$tmp/cow.img"
	mkdir -p "$job"
	head -c $((RECORDS * 4096)) /dev/urandom > "$job/records"
	truncate -s $((RECORDS * 4096)) "$tmp/plain.img"
	head -c $((RECORDS * 4096)) /dev/urandom > "$tmp/back.img"
	: > "$job/acks"
	rc=0
	"$S/uml-run" -k "$t" -t 120 -j "$job" -d "$tmp/plain.img" -d "$tmp/cow.img,$tmp/back.img" \
		-- "$writer" > "$tmp/out" 2> "$tmp/err" &
	runner=$!
	# wait for KILL_AFTER acknowledgements (at most 90 s), then SIGKILL
	# every process of UML's session at once
	killed=1
	for _ in $(seq 1800); do
		if [ "$(wc -l < "$job/acks")" -ge "$KILL_AFTER" ]; then
			p=$(uml_pid "$job") && sid=$(ps -o sid= -p "$p" | tr -d ' ') &&
				pkill -KILL -s "$sid" && killed=0
			break
		fi
		kill -0 "$runner" 2> /dev/null || break
		sleep 0.05
	done
	wait "$runner" || rc=$?
	ok "$killed" "$t: UML killed with SIGKILL while it wrote (runner exit $rc)"
	[ "$killed" -eq 0 ] || diag "$(cat "$tmp/out" "$tmp/err" | tail -n 5)"
	# acknowledged: the complete lines (a kill may cut the last one short)
	acked=$(tr -cd '\n' < "$job/acks" | wc -c)
	[ "$acked" -ge "$KILL_AFTER" ] && r=0 || r=1
	ok "$r" "$t: $acked records acknowledged before the kill"
	bytes=$((acked * 4096))
	want=$(head -c "$bytes" "$job/records" | sha256sum | cut -d' ' -f1)
	got=$(head -c "$bytes" "$tmp/plain.img" | sha256sum | cut -d' ' -f1)
	is "$got" "$want" "$t: every acknowledged record is in the plain image (read by the host)"
	[ "$got" = "$want" ] || diag "$(cmp -n "$bytes" "$tmp/plain.img" "$job/records" | head -n 1)"
	is "$(leftovers)" "" "$t: the kill leaves no UML process or /dev/shm file"
	# the second boot reads both disks back
	out=$("$S/uml-run" -k "$t" -t 120 -j "$job" -d "$tmp/plain.img" -d "$tmp/cow.img,$tmp/back.img" -- \
		'for d in ubdb ubdc; do echo "$d $(head -c '"$bytes"' /dev/$d | sha256sum | cut -d" " -f1)"; done' \
		2> "$tmp/err") || diag "second boot: $(tail -n 3 "$tmp/err")"
	is "$(sed -n 's/^ubdb //p' <<< "$out")" "$want" "$t: a second boot reads every acknowledged record from the plain disk"
	is "$(sed -n 's/^ubdc //p' <<< "$out")" "$want" "$t: a second boot reads every acknowledged record through the COW overlay"
done
is "$(leftovers)" "" "no UML process or /dev/shm file is left behind"

done_testing
