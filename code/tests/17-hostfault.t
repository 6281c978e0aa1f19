#!/bin/bash
# shellcheck disable=SC2016  # the guest commands expand in the guest
# When the host lets the disk down, the guest gets an error, not a hang
# or silent loss, and a bad disk argument gets one clear error line:
#  - a disk whose file lives on a full file system (a 8 MiB tmpfs, the
#    image a sparse 32 MiB file): writing it all fails in the guest with
#    an IO error, what fit is read back right, and the guest stays up;
#    on every distinct kernel;
#  - WRITE_ZEROES and DISCARD on a disk in tmpfs (no ZERO_RANGE there):
#    zeros in the guest and on the host, and on ch7 no error on the
#    console (upstream prints one, then writes the zeros itself) and a
#    host fallocate() per MiB, not per 32 KiB;
#  - a disk on a read-only file system, a COW overlay whose backing file
#    is missing (given with -d COW,BACKING, or recorded in an existing
#    COW file): uml-run's one error line and exit 125, no boot.
# lane: 2
# (run-tests: beside lane 1's tests, on the last CPU, its UML runs pinned
# there; it times nothing, so sharing the machine changes no result.)
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

# shellcheck disable=SC2086
need_kernels $TARGETS
need_rootfs
tmp=$(mktemp -d "$BUILD/hostfault.XXXXXX")
mnt=$tmp/mnt
mkdir -p "$mnt"
trap 'umount "$mnt" 2> /dev/null; rm -rf "$tmp"' EXIT
mount -t tmpfs -o size=8m fastuml-test "$mnt" || bail "cannot mount a tmpfs at $mnt"

# --- a full file system under the disk --------------------------------------
# 32 MiB of zeroes do not fit in 8 MiB: dd must fail; then the first 4 MiB
# (written before the file system filled up) must read back as written
guest='head -c 4194304 /dev/urandom > /tmp/head
echo "head $(sha256sum < /tmp/head | cut -d" " -f1)"
{ cat /tmp/head; head -c 29360128 /dev/zero; } | dd of=/dev/ubdb bs=1M oflag=direct 2> /tmp/dd.err
echo "dd exit $?"
grep -o "I/O error\|No space left on device" /tmp/dd.err | head -n 1 | sed "s/^/dd error /"
echo "read $(dd if=/dev/ubdb bs=1M count=4 iflag=direct 2> /dev/null | sha256sum | cut -d" " -f1)"
echo alive'
# shellcheck disable=SC2086
mapfile -t kernels < <(distinct_kernels $TARGETS)
for k in "${kernels[@]}"; do
	t=${k%%=*}
	[ "$k" = "$t" ] || diag "$t's kernel is also ${k#*=}'s: tested once"
	rm -f "$mnt/disk.img"
	truncate -s 32M "$mnt/disk.img"
	rc=0
	out=$("$S/uml-run" -k "$t" -t 120 -d "$mnt/disk.img" -- "$guest" 2> "$tmp/err") || rc=$?
	ok "$rc" "$t: a disk on a full file system: the guest runs on to the end (exit $rc)"
	[ "$rc" -eq 0 ] || diag "$(tail -n 5 "$tmp/err")"
	rc=$(sed -n 's/^dd exit //p' <<< "$out")
	[ -n "$rc" ] && [ "$rc" -ne 0 ] && r=0 || r=1
	ok "$r" "$t: writing past the space left fails in the guest (dd exit ${rc:-none}: $(sed -n 's/^dd error //p' <<< "$out"))"
	want=$(sed -n 's/^head //p' <<< "$out")
	[ -n "$want" ] || want=none
	is "$(sed -n 's/^read //p' <<< "$out")" "$want" "$t: the 4 MiB written before it filled up read back right"
done

# --- WRITE_ZEROES and DISCARD on a host file system without ZERO_RANGE -------
# tmpfs can punch holes but not fallocate(ZERO_RANGE).  The guest zeroes
# 2 MiB at 1 MiB (BLKZEROOUT: WRITE_ZEROES requests) and discards the first
# MiB.  upstream fails the WRITE_ZEROES with "not supported", which the
# guest's block layer prints as an error before it writes zero pages
# itself; ch7 zeroes the range on the host (a punched hole) and prints
# nothing.  Either way the range must read back as zeros, in the guest and
# in the image, and the last MiB must be untouched.
zero_guest='zeroout /dev/ubdb 1048576 2097152; echo "zeroout exit $?"
blkdiscard -o 0 -l 1048576 /dev/ubdb; echo "discard exit $?"
echo "read $(dd if=/dev/ubdb bs=1M skip=1 count=2 iflag=direct 2> /dev/null | sha256sum | cut -d" " -f1)"'
zeros=$(head -c 2097152 /dev/zero | sha256sum | cut -d' ' -f1)
for t in ch7 upstream; do
	rm -f "$mnt/z.img" "$mnt/disk.img"
	head -c 4194304 /dev/urandom > "$mnt/z.img"
	tail_want=$(tail -c 1048576 "$mnt/z.img" | sha256sum | cut -d' ' -f1)
	rm -rf "$tmp/zjob"
	rc=0
	out=$("$S/uml-run" -k "$t" -t 60 -j "$tmp/zjob" -p "$tmp/z.perf" -e fallocate -d "$mnt/z.img" -- \
		"$zero_guest" 2> "$tmp/err") || rc=$?
	ok "$rc" "$t: WRITE_ZEROES and DISCARD on a tmpfs disk: the guest runs to the end (exit $rc)"
	is "$(sed -n 's/^zeroout exit //p' <<< "$out")" 0 "$t: BLKZEROOUT on the tmpfs disk succeeds"
	is "$(sed -n 's/^discard exit //p' <<< "$out")" 0 "$t: a discard on the tmpfs disk succeeds"
	is "$(sed -n 's/^read //p' <<< "$out")" "$zeros" "$t: the zeroed range reads back as zeros in the guest"
	is "$(dd if="$mnt/z.img" bs=1M skip=1 count=2 status=none | sha256sum | cut -d' ' -f1)" "$zeros" \
		"$t: and in the image on the host"
	is "$(tail -c 1048576 "$mnt/z.img" | sha256sum | cut -d' ' -f1)" "$tail_want" "$t: the last MiB is untouched"
	errors=$(grep -c 'operation not supported error' "$tmp/zjob/console")
	calls=$("$S/syscount" "$tmp/z.perf" | awk '$1 == "fallocate" { print $2 }')
	if [ "$t" = upstream ]; then
		[ "$errors" -gt 0 ] && r=0 || r=1
		ok "$r" "upstream prints the WRITE_ZEROES failure on the console ($errors lines): the case this checks"
		# 32 KiB per request: the 1 MiB discard alone is 32 hole punches
		[ "${calls:-0}" -ge 33 ] && r=0 || r=1
		ok "$r" "upstream: a host fallocate() per 32 KiB (${calls:-no} calls)"
	else
		is "$errors" 0 "$t: no \"operation not supported\" error on the console"
		[ "$errors" -eq 0 ] || diag "$(grep 'operation not supported' "$tmp/zjob/console" | head -n 3)"
		# 0027: two 1 MiB zeroing requests (a failing ZERO_RANGE and a
		# hole punch each) and one 1 MiB discard
		[ -n "$calls" ] && [ "$calls" -le 5 ] && r=0 || r=1
		ok "$r" "$t: at most 5 host fallocate() calls for 2 MiB zeroed and 1 MiB discarded (${calls:-no} calls)"
	fi
done

# --- a disk on a read-only file system --------------------------------------
rm -f "$mnt/disk.img"
truncate -s 8M "$mnt/disk.img"
truncate -s 8M "$mnt/back.img"
mount -o remount,ro "$mnt" || bail "cannot remount $mnt read-only"
runs_before=$(find "$BUILD/run" -maxdepth 1 -name "job${FASTUML_LANE:+-lane$FASTUML_LANE}.*" 2> /dev/null | wc -l)
rc=0
"$S/uml-run" -k ch1 -d "$mnt/disk.img" -- true > "$tmp/out" 2> "$tmp/err" || rc=$?
[ "$rc" -eq 125 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q '^uml-run: error: disk image .* is not writable' "$tmp/err" &&
	r=0 || r=1
ok "$r" "a disk on a read-only file system: one error line, exit 125 ($(cat "$tmp/err"))"
rc=0
"$S/uml-run" -k ch1 -d "$mnt/cow.img,$mnt/back.img" -- true > "$tmp/out" 2> "$tmp/err" || rc=$?
[ "$rc" -eq 125 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q '^uml-run: error: cannot create a COW file' "$tmp/err" &&
	r=0 || r=1
ok "$r" "a new COW overlay on a read-only file system: one error line, exit 125 ($(cat "$tmp/err"))"
mount -o remount,rw "$mnt" || bail "cannot remount $mnt read-write"

# --- COW overlays without their backing file ---------------------------------
rc=0
"$S/uml-run" -k ch1 -d "$tmp/cow.img,$tmp/no-such-backing.img" -- true > "$tmp/out" 2> "$tmp/err" || rc=$?
[ "$rc" -eq 125 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q '^uml-run: error: no backing file at' "$tmp/err" &&
	r=0 || r=1
ok "$r" "-d COW,BACKING with no BACKING: one error line, exit 125 ($(cat "$tmp/err"))"
# an overlay made on a backing file that is then removed, attached alone
head -c 4194304 /dev/urandom > "$tmp/back.img"
"$S/uml-run" -k ch1 -d "$tmp/cow.img,$tmp/back.img" -- true > /dev/null 2>&1 ||
	bail "cannot make a COW overlay"
rm -f "$tmp/back.img"
rc=0
"$S/uml-run" -k ch1 -d "$tmp/cow.img" -- true > "$tmp/out" 2> "$tmp/err" || rc=$?
[ "$rc" -eq 125 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] &&
	grep -q "^uml-run: error: COW file $tmp/cow.img: its backing file $tmp/back.img is missing" "$tmp/err" &&
	r=0 || r=1
ok "$r" "a COW file whose recorded backing file is gone: one error line, exit 125 ($(cat "$tmp/err"))"
# (this lane's job directories only: the other lane's runs come and go)
is "$(find "$BUILD/run" -maxdepth 1 -name "job${FASTUML_LANE:+-lane$FASTUML_LANE}.*" 2> /dev/null | wc -l)" "$runs_before" "the refused runs left no job directory"
is "$(leftovers)" "" "no UML process or /dev/shm file is left behind"

done_testing
