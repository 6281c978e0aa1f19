# shellcheck shell=bash disable=SC2034  # the WL_ variables are read by measure
# remains: what still stands between UML and native once chapters 1-6
# are in (chapter 7).  One guest boot runs small programs of
# code/guest/src, each timing itself with the monotonic clock:
#
#  - syscall.getppid (us/op): getppid() in a tight loop, the cheapest
#    system call there is (sysloop.c);
#  - syscall.pipe64-rt (us/op): a 64-byte message and its answer between
#    two processes over two pipes, one round trip (pipepong.c);
#  - thread.futex-rt (us/op): a token handed from one thread to another
#    and back through futex(), one round trip (thrpong.c);
#  - thread.compute-1t, thread.compute-2t (s): a fixed CPU-bound job (an
#    integer hash over a cached buffer, parhash.c) done by one thread,
#    then shared by two; thread.speedup (x) is the first over the second:
#    about 1 on one CPU (UML 6.12 is a uniprocessor kernel, and QEMU
#    gets one vCPU), up to 2 with two free CPUs.  Every target runs on one
#    host CPU, so natively the job runs a second time on host CPUs 0
#    and 1 (taskset -c 0-1): thread.compute-1t-2cpus,
#    thread.compute-2t-2cpus and thread.speedup-2cpus, native only;
#  - timer.late-mean, timer.late-max (us): how late a 1 kHz loop of
#    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) wakes up after its
#    deadlines, and timer.period (us) the loop's achieved period: a
#    deadline that passes while it sleeps is skipped, so a period above
#    1000 us means the system cannot wake it every millisecond
#    (timerlat.c);
#  - mem.write-bw (GB/s): memset() passes over a 256 MiB buffer whose
#    pages are all there, and mem.fault (us/page): the first write to
#    each 4 KiB page of 64 MiB of fresh anonymous memory (memcost.c).
#    A UML guest's RAM is a shared mapping of a file in /dev/shm, so
#    natively the same two run a second time on a MAP_SHARED mapping of
#    a file in /dev/shm, unlinked at once (mem.write-bw-shm,
#    mem.fault-shm, native only): the article's claim that such memory
#    costs what anonymous memory does, tested on the host itself.
#
# The guests get 512 MB, for the 256 MiB buffer.  Counts (wl_count):
# host system calls per getppid() and per pipe round trip.
WL_DESC="what remains: getppid, pipe and futex round trips, 1 vs 2 threads, 1 kHz timer lateness, memset GB/s and page-fault cost"
WL_KINDS="uml native qemu"

REMAINS_MEM=512
# the host CPUs of the native two-CPU run of the compute job: the first
# two the host has (one on a one-CPU host, where the run shows no gain)
REMAINS_CPUS=0-$(($(nproc) > 1 ? 1 : 0))

# remains_size WHAT: the size of each part, full or quick
remains_size() {
	local q=0
	[ "$QUICK" != 1 ] || q=1
	case "$1:$q" in
	getppid:0) echo 50000 ;;
	getppid:1) echo 5000 ;;
	pipe:0 | futex:0) echo 5000 ;;
	pipe:1 | futex:1) echo 500 ;;
	passes:0) echo 10000 ;; # about 0.5 s natively for one thread
	passes:1) echo 1000 ;;
	wakeups:0) echo 500 ;;
	wakeups:1) echo 100 ;;
	memcost:0) echo "256 8 64" ;; # WRITE_MIB PASSES FAULT_MIB
	memcost:1) echo "64 2 16" ;;
	esac
}

# remains_lib: shell functions of the guest (or host) script.
# fig NAME KEY UNIT prints the metric line of the "KEY VALUE" line in
# $out, and fails if there is none.
remains_lib() {
	cat << 'EOF'
set -e
fig() {
	echo "$out" | awk -v n="$1" -v k="$2" -v u="$3" '$1 == k { v = $2 }
		END { if (v == "") exit 1; print "metric", n, v, u }'
}
EOF
}

# remains_compute BIN SUFFIX: the compute job with one thread and with
# two, and the speedup; SUFFIX ends the metric names
remains_compute() {
	cat << EOF
out=\$($1/parhash 1 $(remains_size passes)); fig thread.compute-1t$2 seconds s; one=\$out
out=\$($1/parhash 2 $(remains_size passes)); fig thread.compute-2t$2 seconds s
printf '%s\\n%s\\n' "\$one" "\$out" | awk '\$1 == "seconds" { s[++n] = \$2 }
	END { if (n != 2 || s[2] <= 0) exit 1; printf "metric thread.speedup$2 %.3f x\\n", s[1] / s[2] }'
EOF
}

# remains_script BIN: every part but the native-only ones
# book: begin script
remains_script() {
	cat << EOF
out=\$($1/sysloop $(remains_size getppid)); fig syscall.getppid us_per_call us/op
out=\$($1/pipepong $(remains_size pipe) 64); fig syscall.pipe64-rt us_per_round us/op
out=\$($1/thrpong $(remains_size futex)); fig thread.futex-rt us_per_round us/op
$(remains_compute "$1" '')
out=\$($1/timerlat $(remains_size wakeups) 1000)
fig timer.late-mean late_mean_us us; fig timer.late-max late_max_us us
fig timer.period achieved_period_us us
out=\$($1/memcost $(remains_size memcost)); fig mem.write-bw write_gbps GB/s; fig mem.fault fault_us_per_page us/page
EOF
}
# book: end script

# remains_shm BIN PREFIX: memcost on a shared mapping of a file PREFIX.*
remains_shm() {
	cat << EOF
out=\$($1/memcost -s $2 $(remains_size memcost))
fig mem.write-bw-shm write_gbps GB/s; fig mem.fault-shm fault_us_per_page us/page
EOF
}

# memcost unlinks its file at once; this catches one left by a kill
wl_teardown() {
	rm -f "/dev/shm/$SHM_PREFIX.remains".*
}

wl_run() {
	local t=$1 bin=$BUILD/guest/bin
	case "$(target_kind "$t")" in
	native)
		# pinned to the guests' CPU, as a guest's programs are
		native /bin/busybox sh -c "$(remains_lib; remains_script "$bin"
			remains_shm "$bin" "/dev/shm/$SHM_PREFIX.remains")" || return 1
		# the compute job again, free to use two host CPUs
		taskset -c "$REMAINS_CPUS" /bin/busybox sh -c "$(remains_lib; remains_compute "$bin" -2cpus)"
		;;
	*) guest "$t" -t 300 -m "$REMAINS_MEM" -- "$(remains_lib; remains_script /opt/fastuml/bin)" ;;
	esac
}

# host system calls per getppid() and per pipe round trip: all of them,
# and the ptrace() and wait4() calls of the UML kernel process.  The
# timer ticks that fall into the loop ride along (a few calls each: on
# ch7 about 0.1 per getppid() and 0.3 per round trip, in the total)
wl_count() {
	local t=$1 m name n1 n2 cmd sc
	# shellcheck disable=SC2016  # $N expands in the guest
	for m in 'syscall.getppid:2000:10000:/opt/fastuml/bin/sysloop $N' \
		'syscall.pipe64-rt:500:2500:/opt/fastuml/bin/pipepong $N 64'; do
		IFS=: read -r name n1 n2 cmd <<< "$m"
		syscalls_per_op "$t" "$n1" "$n2" "$cmd > /dev/null" > "$WORK/sc"
		awk -v m="$name" '{ s += $2 } END { printf "count %s.all %.4g calls/op\n", m, s }' "$WORK/sc"
		for sc in ptrace wait4; do
			echo "count $name.$sc $(per_op_of "$sc" "$WORK/sc") calls/op"
		done
	done
}
