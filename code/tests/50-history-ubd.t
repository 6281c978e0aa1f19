#!/bin/bash
# shellcheck disable=SC2016  # awk programs and guest commands expand later
# The two ubd history patches, proven by the host system calls they make
# (perf trace over the UML process tree, per guest request, two run
# lengths subtracted), and shown absent from upstream:
#  - 0002: every run of sectors is lseek() + read(); upstream: pread64();
#  - 0003: the IO thread reads one 8-byte request pointer per read() and
#    writes one back per write(), and the IRQ handler reads completions
#    one per read(); upstream asks for 64 pointers per read().
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

need_kernels ch1 upstream
need_rootfs
tmp=$(mktemp -d "$BUILD/hist-ubd.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
head -c 16777216 /dev/urandom > "$tmp/disk.img"
want=$(sha256sum < "$tmp/disk.img" | cut -d' ' -f1)

# trace K N CMD: run CMD (with $N set to N) on kernel K under a full perf
# trace; prints the "TID SYSCALL COUNT RESULT" lines of syscount -l
trace() {
	local k=$1 n=$2 cmd=$3
	"$S/uml-run" -k "$k" -d "$tmp/disk.img" -P "$tmp/trace" \
		-e read,write,lseek,pread64,pwrite64,preadv,pwritev,preadv2,pwritev2 \
		-- "N=$n; $cmd" > "$tmp/out" 2> "$tmp/err" ||
		{ diag "$k: the guest command failed:" "$(tail -n 5 "$tmp/err")"; return 1; }
	"$S/syscount" -l "$tmp/trace"
}

# io_tid: the IO thread is the thread that does the disk's data calls
io_tid() {
	awk '$2 ~ /^(lseek|pread64|preadv|preadv2)$/ { c[$1]++ }
		END { for (t in c) if (c[t] > m) { m = c[t]; b = t }; print b }'
}

# record K N1 N2 CMD: trace CMD on kernel K with N=N1 and with N=N2
record() {
	local k=$1 cmd=$4
	n1=$2 n2=$3
	trace "$k" "$n1" "$cmd" > "$tmp/calls.1" && trace "$k" "$n2" "$cmd" > "$tmp/calls.2"
}

# per_request AWK: what AWK counts in the recorded traces (io = the IO
# thread's id), per operation: (count(N2) - count(N1)) / (N2 - N1)
per_request() {
	local c1 c2
	c1=$(awk -v io="$(io_tid < "$tmp/calls.1")" "$1" "$tmp/calls.1")
	c2=$(awk -v io="$(io_tid < "$tmp/calls.2")" "$1" "$tmp/calls.2")
	awk -v a="$c1" -v b="$c2" -v d=$((n2 - n1)) 'BEGIN { printf "%.3f\n", (b - a) / d }'
}

# between X LO HI: LO <= X <= HI
between() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }

# --- 0002: lseek + read per run of sectors ---------------------------------
# one 1 MiB O_DIRECT read = 256 page-sized segments, each its own run
read1m='dd if=/dev/ubdb of=/dev/null bs=1M count=$N iflag=direct 2> /dev/null'
for k in ch1 upstream; do
	record "$k" 2 6 "$read1m" || { ok 1 "$k: tracing 1 MiB reads"; continue; }
	lseeks=$(per_request '$1 == io && $2 == "lseek" { n++ } END { print n + 0 }')
	preads=$(per_request '$1 == io && $2 ~ /^pread/ { n++ } END { print n + 0 }')
	# data reads: every read() of the IO thread but the 8-byte pointers
	reads=$(per_request '$1 == io && $2 == "read" && $3 > 8 { n++ } END { print n + 0 }')
	diag "$k: per 1 MiB read: lseek $lseeks, data read() $reads, pread64 $preads"
	if [ "$k" = ch1 ]; then
		between "$lseeks" 256 272 && between "$reads" "$(awk -v x="$lseeks" 'BEGIN { print x - 1 }')" \
			"$(awk -v x="$lseeks" 'BEGIN { print x + 1 }')" && [ "$preads" = 0.000 ]
		ok $? "ch1: a 1 MiB read costs one lseek() and one read() per 4 KiB segment, no pread()"
	else
		between "$preads" 256 272 && [ "$lseeks" = 0.000 ]
		ok $? "upstream: one pread64() per segment and no lseek() (no history signature)"
	fi
done

# --- 0003: one request pointer per pipe read and write ---------------------
# 4 KiB random reads at queue depth 32: one request per IO
fio='fio --name=q --filename=/dev/ubdb --direct=1 --ioengine=libaio --iodepth=32 --rw=randread --bs=4k --size=16M --number_ios=$N --output-format=terse > /dev/null'
for k in ch1 upstream; do
	record "$k" 512 1536 "$fio" || { ok 1 "$k: tracing fio"; continue; }
	# IO thread: 8-byte reads that returned a pointer; 8-byte writes; and
	# reads that ask for 64 pointers (512 bytes) and get fewer or EAGAIN
	r8=$(per_request '$1 == io && $2 == "read" && $3 == 8 && $4 == 8 { n++ } END { print n + 0 }')
	w8=$(per_request '$1 == io && $2 == "write" && $3 == 8 { n++ } END { print n + 0 }')
	bulk=$(per_request '$1 == io && $2 == "read" && $3 == 512 && $4 != 512 { n++ } END { print n + 0 }')
	diag "$k: per request, IO thread: read(8) $r8, write(8) $w8, read(512) of the pipe $bulk"
	if [ "$k" = ch1 ]; then
		between "$r8" 0.99 1.01 && between "$w8" 0.99 1.01 && [ "$bulk" = 0.000 ]
		ok $? "ch1: the IO thread reads one pointer per read() and writes one per write()"
	else
		between "$r8" 0 0.01 && between "$bulk" 0.5 3
		ok $? "upstream: the IO thread asks for many pointers per read() (no history signature)"
	fi
done

# --- the data is right through both designs --------------------------------
for k in ch1 upstream; do
	got=$("$S/uml-run" -k "$k" -d "$tmp/disk.img" -- 'sha256sum < /dev/ubdb' 2> /dev/null | cut -d' ' -f1)
	is "$got" "$want" "$k: the guest reads the host's data intact"
done
is "$(leftovers)" "" "no UML process or /dev/shm file is left behind"

done_testing
