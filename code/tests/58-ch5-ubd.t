#!/bin/bash
# shellcheck disable=SC2016  # guest commands and awk programs expand later
# Chapter 5's disk IPC: how requests travel between the ubd driver and its
# IO thread.  Chapter 1's history (patch 0003, still in ch4) passes one
# request pointer per pipe write() and read(), both ways; upstream writes
# once per request and drains in bulk; chapter 5 batches both ways, then
# replaces the pipe with shared rings and rings a doorbell only when the
# other side sleeps.
#
#  (a) integrity, on ch5: fio crc32c write-then-verify at queue depth 32,
#      512 B to 1 MiB requests, an fsync every 8 writes, over a whole
#      plain disk and a whole COW overlay at the same time, while 8 dd
#      processes write a host pattern onto a third disk (the host finds it
#      in the image afterwards);
#  (b) in the same boot, a backing file that fails: a disk on a full host
#      tmpfs; the guest's O_DIRECT writes past the space fail (non-zero
#      exit, an I/O error in the guest's kernel log), and the guest goes on;
#  (c) shutdown with requests in flight: that boot ends with fio busy at
#      queue depth 32 and the guest powers off; in two more boots the host
#      kills UML with SIGTERM and with SIGKILL while fio is busy: uml-run
#      returns, the kernel's own processes are gone before uml-run cleans
#      anything up (uml-run is stopped meanwhile), and so are the files in
#      /dev/shm they had open;
#  (d) the signature: host IPC calls per request of fio 4 KiB random
#      reads at queue depth 32, submitted and reaped in batches, from two
#      run lengths, on ch4, ch5 and upstream; and a guest fsync() that
#      reaches the host as fdatasync() on ch5.
# Until chapter 5 has patches of its own, ch5 is ch4's kernel: (a)-(c)
# pass on it, and (d) says ch5 is not there yet.
# Gates on data, exit statuses and counts, never time.
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

need_kernels ch4 ch5 upstream
need_rootfs
tmp=$(mktemp -d "$BUILD/ch5-ubd.XXXXXX")
full=$tmp/full
runner=
cleanup() {
	[ -z "$runner" ] || kill -CONT "$runner" 2> /dev/null
	[ -z "$runner" ] || wait "$runner" 2> /dev/null
	! mountpoint -q "$full" || umount "$full" || umount -l "$full"
	rm -rf "$tmp"
}
trap cleanup EXIT
run() { "$S/uml-run" -t 240 "$@" 2> "$tmp/err"; }
K=ch5

# busy: a guest shell function that waits (up to 20 s) until fio is busy
# on ubdb, and sets n to the requests ubdb completed in 0.1 s then.  (The
# guest cannot catch a request in flight in /sys/block/ubdb/inflight: its
# shell runs after the interrupt that completed them.)
busy='busy() {
	n=0
	for i in $(seq 200); do
		a=$(awk "{ print \$1 + \$5 }" /sys/block/ubdb/stat)
		usleep 100000
		n=$(($(awk "{ print \$1 + \$5 }" /sys/block/ubdb/stat) - a))
		[ "$n" -gt 32 ] && break
	done
}
'

# --- (a), (b), (c): one boot ----------------------------------------------
head -c 4194304 /dev/urandom > "$tmp/back.img"
mkdir -p "$tmp/job" "$full"
head -c 4194304 /dev/urandom > "$tmp/job/p"
truncate -s 32M "$tmp/plain.img"
truncate -s 8M "$tmp/pat.img"
# a 16 MiB disk on a 4 MiB tmpfs
mount -t tmpfs -o size=4m fastuml-full "$full" || bail "cannot mount a tmpfs on $full"
truncate -s 16M "$full/disk.img"

# the guest's part; prints PATTERN, FIO, JOB, FULL and BUSY lines
main=$busy'
# three disks busy at once, and a fourth that fails: one fio, three jobs
# (verify on ubdb and ubdc; ubde on the full tmpfs), beside 8 dd writers
fio --output-format=terse --ioengine=libaio --direct=1 --iodepth=32 \
	--iodepth_batch_submit=8 --iodepth_batch_complete_min=4 \
	--name=plain --filename=/dev/ubdb --rw=randwrite --bsrange=512-1m \
	--verify=crc32c --do_verify=1 --verify_fatal=1 --fsync=8 \
	--name=cow --filename=/dev/ubdc --rw=randwrite --bsrange=512-1m \
	--verify=crc32c --do_verify=1 --verify_fatal=1 --fsync=8 \
	--name=full --filename=/dev/ubde --rw=write --bs=64k --size=12m \
	> /tmp/fio.out 2> /tmp/fio.err &
fio=$!
# the host pattern onto ubdd from 2 MiB on, 512 KiB per writer
dds=
for i in 0 1 2 3 4 5 6 7; do
	dd if=/mnt/job/p of=/dev/ubdd bs=64k skip=$((i * 8)) seek=$((32 + i * 8)) \
		count=8 oflag=direct conv=fsync 2> /dev/null &
	dds="$dds $!"
done
bad=0
for p in $dds; do wait $p || bad=$((bad + 1)); done
echo "PATTERN $bad"
wait $fio
echo "FIO $?"
# each job: "JOB name error", error being the errno it stopped on
awk -F";" "{ print \"JOB\", \$3, \$5 }" /tmp/fio.out
grep -q "verify" /tmp/fio.err && head -n 5 /tmp/fio.err
# the same disk, with dd
dd if=/dev/zero of=/dev/ubde bs=1M count=12 oflag=direct 2> /dev/null
echo "FULL dd $?"
echo "FULL log $(dmesg | grep -c -E "(I/O|critical space allocation) error.* dev ubde")"
# power off with requests in flight
fio --name=bg --filename=/dev/ubdb --direct=1 --ioengine=libaio --iodepth=32 \
	--rw=randrw --bs=4k --time_based --runtime=100 > /dev/null 2>&1 &
busy
echo "BUSY $n"
'
rc=0
out=$(run -k "$K" -j "$tmp/job" -d "$tmp/plain.img" -d "$tmp/cow.img,$tmp/back.img" \
	-d "$tmp/pat.img" -d "$full/disk.img" -- "$main") || rc=$?
TAP_ERR=$tmp/err ok "$rc" "$K: the integrity, full-disk and power-off run completes (uml-run status $rc)"
line() { sed -n "s/^$1 //p" <<< "$out"; }
is "$(line 'JOB plain'),$(line 'JOB cow')" 0,0 \
	"$K: fio crc32c write-then-verify at QD 32, 512 B-1 MiB, fsync every 8, on a plain disk and a COW overlay at once"
[ "$(line 'JOB plain'),$(line 'JOB cow')" = 0,0 ] || diag "guest's output:" "$out"
is "$(line PATTERN)" 0 "$K: 8 dd processes writing at once onto a third disk all succeed"
is "$(dd if="$tmp/pat.img" bs=1M skip=2 count=4 2> /dev/null | sha256sum)" \
	"$(sha256sum < "$tmp/job/p")" "$K: the host finds their pattern at 2 MiB in the image"
is "$(dd if="$tmp/pat.img" bs=1M count=2 2> /dev/null | tr -d '\0' | wc -c)" 0 \
	"$K: and nothing before it"
fio_err=$(line 'JOB full') dd_rc=$(line 'FULL dd') log=$(line 'FULL log')
[ -n "$fio_err" ] && [ "$fio_err" != 0 ] && [ "$(line FIO)" != 0 ] && [ -n "$dd_rc" ] && [ "$dd_rc" != 0 ]
ok $? "$K: writes past the space of the disk's host file fail in the guest, beside the others (fio's job stops on errno ${fio_err:-?}, fio status $(line FIO), dd status ${dd_rc:-?})"
[ -n "$log" ] && [ "$log" -ge 1 ]
ok $? "$K: and the guest's kernel log says so (${log:-no} lines of I/O or space allocation error on ubde)"
n=$(line BUSY)
[ -n "$n" ] && [ "$n" -gt 32 ]
ok $? "$K: the guest powers off while fio keeps 32 requests in flight (${n:-no} completed on ubdb in the 0.1 s before), and uml-run returns"
umount "$full" || umount -l "$full"

# --- (c) the host kills UML with requests in flight ---------------------------

# kill_run KERNEL SIGNAL: boot KERNEL with fio busy on a disk and send
# SIGNAL to the UML kernel's process, with uml-run stopped; sets busy_n
# (requests completed in the 0.1 s before), shm_files (the files under
# /dev/shm that UML's processes had open or mapped then), survivors (the
# UML session's processes up to 5 s after the signal, before uml-run
# cleans up) and rc (uml-run's status)
kill_run() {
	local k=$1 sig=$2 job=$tmp/kill-$1-$2 i p pid=
	mkdir -p "$job"
	truncate -s 32M "$tmp/plain.img"
	"$S/uml-run" -k "$k" -t 120 -j "$job" -d "$tmp/plain.img" -- "$busy"'
		fio --name=bg --filename=/dev/ubdb --direct=1 --ioengine=libaio \
			--iodepth=32 --rw=randrw --bs=4k --time_based --runtime=100 \
			> /dev/null 2>&1 &
		busy
		echo "BUSY $n" > /mnt/job/flag
		wait' > /dev/null 2> "$tmp/err" &
	runner=$!
	for i in $(seq 600); do
		[ ! -s "$job/flag" ] || break
		kill -0 "$runner" 2> /dev/null || break
		sleep 0.1
	done
	# the UML kernel: the leader of the session uml-run made for it
	pid=$(ps -eo pid=,sid=,args= |
		awk -v j="fastuml.job=hostfs:$job" 'index($0, j) && $1 == $2 { print $1 }')
	busy_n=$(sed -n 's/^BUSY //p' "$job/flag" 2> /dev/null)
	survivors=unknown shm_files=
	if [ -n "$pid" ]; then
		kill -STOP "$runner"
		shm_files=$(for p in $(pgrep -s "$pid"); do
			find "/proc/$p/fd" -mindepth 1 -maxdepth 1 -exec readlink {} + 2> /dev/null
			awk '{ print $6 }' "/proc/$p/maps" 2> /dev/null
		done | grep '^/dev/shm/' | sort -u)
		kill "-$sig" "$pid"
		for i in $(seq 50); do
			survivors=$(pgrep -s "$pid" | tr '\n' ' ')
			[ -n "$survivors" ] || break
			sleep 0.1
		done
		[ -z "$survivors" ] || diag "$(ps -o pid,ppid,stat,args -s "$pid")"
		kill -CONT "$runner"
	fi
	rc=0
	wait "$runner" || rc=$?
	runner=
}
for sig in TERM KILL; do
	kill_run "$K" "$sig"
	[ -n "$busy_n" ] && [ "$busy_n" -gt 32 ]
	ok $? "$K: SIG$sig from the host reaches UML while fio keeps 32 requests in flight (${busy_n:-no} completed in the 0.1 s before)"
	is "${survivors:-none}" none "$K: after SIG$sig, no process of UML's is left (before uml-run cleans up)"
	TAP_ERR=$tmp/err is "$rc" 125 "$K: and uml-run returns, with no status from the guest (got $rc; 124 is its timeout)"
	left=$(for f in $shm_files; do [ ! -e "$f" ] || echo "$f"; done)
	is "$left" "" "$K: no file in /dev/shm that UML had open is left ($(wc -w <<< "$shm_files") were open)"
done
is "$(leftovers)" "" "no UML process or /dev/shm file of this checkout is left behind"

# --- (d) the signature: host IPC calls per request -------------------------------
#
# The IPC calls are the host system calls that move requests and
# completions between the kernel and the IO thread or wait for them: a
# pipe, socket or eventfd read() or write(), the IO thread's poll(), the
# epoll_wait() through which the ubd interrupt arrives (chapter 3), and
# futex() and thread signals, should a design use them.  kill() is not
# among them: on these kernels it comes with the timer and the idle loop,
# as many as timer_settime(), and follows time, not requests.
# One boot per kernel runs the fio job twice, in one fio, for N1 and then
# N2 requests, each run between two markers the host trace shows (a
# truncate() of a file of the job directory, which hostfs passes on, run
# by fio before and after a job); only those calls are traced (perf trace
# -e), so that tracing slows the rest down less.  Calls per request
# = (calls of the N2 run - calls of the N1 run) / (its requests - the N1
# run's), requests being what the disk says it served (reads completed,
# /sys/block/ubdb/stat).  The boot ends with a 16 KiB write and an fsync.
IPC="read write readv writev poll ppoll select pselect6 epoll_wait epoll_pwait epoll_pwait2 futex tgkill tkill"
EVENTS="$(tr ' ' ',' <<< "$IPC"),kill,fdatasync,truncate,ftruncate"
N1=1000 N2=5000
sig='cat > /tmp/mark << "EOF"
awk "{ print \"REQS\", \$1 }" /sys/block/ubdb/stat >> /tmp/reqs
truncate -s 0 /mnt/job/mark
EOF
fio --thread --filename=/dev/ubdb --direct=1 --ioengine=libaio --rw=randread \
	--bs=4k --iodepth=32 --iodepth_batch_submit=32 --iodepth_batch_complete_min=16 \
	--norandommap --size=32M --output-format=terse \
	--name=n1 --number_ios='$N1' --exec_prerun="sh /tmp/mark" --exec_postrun="sh /tmp/mark" \
	--name=n2 --stonewall --number_ios='$N2' --exec_postrun="sh /tmp/mark" > /dev/null || exit 1
cat /tmp/reqs
dd if=/dev/zero of=/dev/ubdb bs=4k count=4 oflag=direct conv=fsync 2> /dev/null'
truncate -s 32M "$tmp/sig.img"
mkdir -p "$tmp/sigjob"
# signature KERNEL: "IPC_PER_REQUEST WRITES_PER_REQUEST REQUESTS" and, in
# $tmp/sig.KERNEL, each traced system call's calls per request, and in
# $tmp/calls.KERNEL every call of the boot
signature() {
	local k=$1 try r
	for try in 1 2 3; do
		run -k "$k" -j "$tmp/sigjob" -d "$tmp/sig.img" -P "$tmp/perf.$k" -e "$EVENTS" -- "$sig" \
			> "$tmp/out.$k" || { diag "$k: the guest's fio failed: $(tail -n 3 "$tmp/err")"; return 1; }
		# a trace that lost events is taken again (syscount refuses it)
		"$S/syscount" -l "$tmp/perf.$k" > "$tmp/calls.$k" 2> "$tmp/err" && break
		[ "$try" -lt 3 ] || { diag "$k: $(cat "$tmp/err")"; return 1; }
	done
	# requests of the N1 and the N2 run
	r=$(awk '$1 == "REQS" { r[n++] = $2 } END { if (n == 3) print r[1] - r[0], r[2] - r[1] }' "$tmp/out.$k")
	if [ -z "$r" ]; then
		diag "$k: no request counts in the guest's output: $(cat "$tmp/out.$k")"
		return 1
	fi
	# calls between the first and second marker, and the second and third
	awk -v r="$r" '
		$2 == "truncate" || $2 == "ftruncate" { m++; next }
		m == 1 { a[$2]++ } m == 2 { b[$2]++; a[$2] += 0 }
		END {
			split(r, q, " ")
			if (m != 3 || q[2] <= q[1]) exit 1
			for (s in a) printf "%s %.4f\n", s, (b[s] - a[s]) / (q[2] - q[1])
		}' "$tmp/calls.$k" | sort > "$tmp/sig.$k" ||
		{ diag "$k: the trace does not show the 3 markers"; return 1; }
	awk -v ipc=" $IPC " -v r="$r" '
		index(ipc, " " $1 " ") { s += $2 }
		$1 == "write" { w = $2 }
		END { split(r, q, " "); printf "%.4f %.4f %d\n", s, w, q[2] - q[1] }' "$tmp/sig.$k"
}
of() { awk -v s="$1" '$1 == s { v = $2 } END { print v + 0 }' "$tmp/sig.$2"; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
declare -A ipc=() writes=()
for kk in $(distinct_kernels ch4 ch5 upstream); do
	k=${kk%%=*}
	if read -r i w r < <(signature "$k"); then
		diag "$kk: $i IPC calls per request over $r more requests: $(for s in $IPC kill; do
			[ "$(of "$s" "$k")" = 0 ] || printf '%s %s ' "$s" "$(of "$s" "$k")"; done)"
		# a target that shares the kernel tree shares its figures
		for t in $k $(tr ',=' '  ' <<< "${kk#"$k"}"); do
			ipc[$t]=$i writes[$t]=$w
			[ "$t" = "$k" ] || cp "$tmp/calls.$k" "$tmp/calls.$t"
		done
	fi
done
# ch4: one pointer per write() and per successful read(), both ways: a
# write() and a read() to submit, the same to complete, 4 calls per request
# (reads that find the pipe empty and epoll_wait() come on top)
[ -n "${ipc[ch4]:-}" ] && ge "${ipc[ch4]}" 3.9 && ge "${writes[ch4]}" 1.98 && le "${writes[ch4]}" 2.02
ok $? "ch4: at least 4 IPC calls per request, 2 of them write() (got ${ipc[ch4]:-none}, ${writes[ch4]:-none} write())"
# upstream: still one write() per request submitted (at least 1 call per
# request), but completions go back several to a write() (fewer than
# ch4's 2 write() per request: 1.2 to 1.5 measured here)
[ -n "${ipc[upstream]:-}" ] && ge "${writes[upstream]}" 0.98 && le "${writes[upstream]}" 1.9
ok $? "upstream: between 1 and 1.9 write() per request, one per submission (got ${writes[upstream]:-none}; ${ipc[upstream]:-none} IPC calls in all)"
# ch5: a doorbell each way only when the other side sleeps.  fio hands
# over a batch when 16 requests have completed, and with UML and its IO
# thread taking turns on one CPU each side is asleep when the other rings:
# 4 calls per batch (eventfd write and read one way, socket byte and
# epoll_wait the other), 0.25 per request.  The bound leaves room for a
# stray timer wake-up and stays over 3 times under upstream's one write()
# per request.  (The issue's benchmark target, 0.1, is not reached: see
# chapter 5.)
MAX_CH5=0.3
[ -n "${ipc[ch5]:-}" ] && le "${ipc[ch5]}" "$MAX_CH5"
ok $? "ch5: at most $MAX_CH5 IPC calls per request (got ${ipc[ch5]:-none})"
# flushes: a guest fsync() reaches the host as fdatasync() (patch 0009)
n=$(awk '$2 == "fdatasync" { n++ } END { print n + 0 }' "$tmp/calls.$K" 2> /dev/null)
[ "${n:-0}" -ge 1 ]
ok $? "$K: the guest's dd conv=fsync reaches the host as fdatasync() (${n:-0})"

is "$(leftovers)" "" "no UML process or /dev/shm file is left behind"

done_testing
