#!/bin/bash
# shellcheck disable=SC2016  # guest commands and awk programs expand later
# Chapter 2's disk path: data integrity through the vectored IO thread
# (fio write-then-verify over a whole plain disk and a whole COW overlay;
# a known pattern checked on the host; a sub-page COW write), flushes
# that reach the host, and the system-call signature that tells the
# three designs apart: per 1 MiB O_DIRECT read, chapter 1 seeks before
# every read, upstream preads every page, chapter 2 makes one preadv().
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

need_kernels ch1 ch2 upstream
need_rootfs
tmp=$(mktemp -d "$BUILD/ch2-ubd.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
run() { "$S/uml-run" -t 300 "$@" 2> "$tmp/err"; }

# --- integrity: fio writes every block of the disk, then verifies it ------
verify='fio --name=v --filename=/dev/ubdb --direct=1 --ioengine=libaio --iodepth=16 --rw=randwrite --bsrange=512-1m --verify=crc32c --do_verify=1 --output-format=terse > /dev/null && echo VERIFIED'
truncate -s 32M "$tmp/plain.img"
is "$(run -k ch2 -d "$tmp/plain.img" -- "$verify")" VERIFIED "ch2: fio crc32c write-then-verify over a whole 32 MiB disk"
head -c 4194304 /dev/urandom > "$tmp/back.img"
is "$(run -k ch2 -d "$tmp/cow.img,$tmp/back.img" -- "$verify")" VERIFIED \
	"ch2: fio crc32c write-then-verify over a whole COW overlay"

# --- a known pattern, written by the guest, compared on the host ----------
mkdir -p "$tmp/job"
head -c 3145728 /dev/urandom > "$tmp/job/pattern"
truncate -s 8M "$tmp/plain2.img"
run -k ch2 -j "$tmp/job" -d "$tmp/plain2.img" -- \
	'dd if=/mnt/job/pattern of=/dev/ubdb bs=1M seek=2 oflag=direct 2> /dev/null && sync' > /dev/null
is "$(dd if="$tmp/plain2.img" bs=1M skip=2 count=3 2> /dev/null | sha256sum)" \
	"$(sha256sum < "$tmp/job/pattern")" "ch2: the host finds the guest's pattern at 2 MiB in the image"
is "$(dd if="$tmp/plain2.img" bs=1M count=2 2> /dev/null | tr -d '\0' | wc -c)" 0 \
	"ch2: and nothing before it"

# --- a 512-byte write into a COW overlay, then an 8 KiB read --------------
# (6.12 moves the request offset by the last run of a COW-split segment,
# not by the segment: the second page comes from the wrong place)
# book: begin cow-subpage
head -c 1048576 /dev/urandom > "$tmp/back2.img"
want=$( { head -c 512 "$tmp/back2.img"; printf '\336\255\276\357%.0s' $(seq 128); \
	tail -c +1025 "$tmp/back2.img" | head -c 7168; } | sha256sum | cut -d' ' -f1)
subpage='fio --name=w --filename=/dev/ubdb --direct=1 --rw=write --bs=512 --size=512 --offset=512 --ioengine=psync --buffer_pattern=0xdeadbeef --output-format=terse > /dev/null; echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/ubdb bs=8192 count=1 2> /dev/null | sha256sum'
for k in ch2 upstream; do
	rm -f "$tmp/cow2.img"
	got=$(run -k "$k" -d "$tmp/cow2.img,$tmp/back2.img" -- "$subpage" | cut -d' ' -f1)
	if [ "$k" = ch2 ]; then
		is "$got" "$want" "ch2: a COW-split page is followed by the right data"
	else
		[ "$got" != "$want" ]
		ok $? "upstream: the same read returns wrong data (the bug patch 0008 fixes)"
	fi
done
# book: end cow-subpage

# --- flushes ---------------------------------------------------------------
# book: begin flush
for k in ch2 upstream; do
	run -k "$k" -d "$tmp/plain.img" -p "$tmp/perf" -- \
		'dd if=/dev/zero of=/dev/ubdb bs=4k count=16 conv=fsync 2> /dev/null' > /dev/null
	n=$("$S/syscount" "$tmp/perf" | awk '$1 == "fdatasync" { print $2 }')
	if [ "$k" = ch2 ]; then
		[ "${n:-0}" -ge 1 ]
		ok $? "ch2: a guest fsync() reaches the host as fdatasync() (${n:-0})"
	else
		is "${n:-0}" 0 "upstream: a guest fsync() never reaches the host (the bug patch 0009 fixes)"
	fi
done
# book: end flush

# --- the signature of the three designs, per 1 MiB read -------------------
read1m='dd if=/dev/ubdb of=/dev/null bs=1M count=$N iflag=direct 2> /dev/null'
# per_mib K: "SYSCALL PER_MIB" from two run lengths
per_mib() {
	local n
	for n in 2 6; do
		run -k "$1" -d "$tmp/plain.img" -p "$tmp/perf.$n" -- "N=$n; $read1m" > /dev/null
		"$S/syscount" "$tmp/perf.$n" > "$tmp/count.$n"
	done
	join -a1 -a2 -e 0 -o 0,1.2,2.2 "$tmp/count.2" "$tmp/count.6" |
		awk '{ printf "%s %.3f\n", $1, ($3 - $2) / 4 }'
}
of() { awk -v s="$1" '$1 == s { v = $2 } END { print v + 0 }' "$tmp/sig.$2"; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
for k in ch1 ch2 upstream; do
	per_mib "$k" > "$tmp/sig.$k"
	diag "$k per MiB: lseek $(of lseek "$k") read $(of read "$k") pread64 $(of pread64 "$k") preadv $(of preadv "$k")"
done
ge "$(of lseek ch1)" 256 && le "$(of pread64 ch1)" 0.5 && le "$(of preadv ch1)" 0.5
ok $? "ch1: >= 256 lseek() per MiB, no pread64()/preadv()"
ge "$(of pread64 upstream)" 256 && le "$(of lseek upstream)" 0.5 && le "$(of preadv upstream)" 0.5
ok $? "upstream: >= 256 pread64() per MiB (one per page), no lseek()/preadv()"
le "$(of lseek ch2)" 0.5 && le "$(of pread64 ch2)" 0.5 && ge "$(of preadv ch2)" 0.9 && le "$(of preadv ch2)" 1.1
ok $? "ch2: one preadv() per MiB, no lseek() or pread64()"
is "$(leftovers)" "" "no UML process or /dev/shm file is left behind"

done_testing
