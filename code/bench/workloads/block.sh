# shellcheck shell=bash disable=SC2034  # the WL_ variables are read by measure
# block: fio on a scratch disk, O_DIRECT in the guest (so the guest's
# page cache stays out of it): sequential 1 MiB reads and writes (MB/s,
# queue depth 1) and random 4 KiB reads and writes (IOPS) at queue depth
# 1 and 32, libaio.  The disk is a file on a host tmpfs, so what is
# measured is the virtual disk path, not a host device: UML attaches it
# as a ubd disk, QEMU as a virtio disk, and "native" runs the same fio
# jobs on the file itself (O_DIRECT, which tmpfs accepts on hosts >= 6.6).
#
# The "-qd32b" jobs keep 32 requests in flight and move them in batches:
# fio submits all 32 with one io_submit() and reaps at least
# BLOCK_BATCH_REAP of them per io_getevents(), so the guest hands the disk
# many requests at once (what a batching IO-thread IPC can use): random
# 4 KiB reads, writes, and a 70/30 read/write mix (its total IOPS, and
# the read and write parts).
WL_DESC="fio O_DIRECT: seq 1 MiB read/write MB/s, random 4 KiB read/write IOPS at QD 1, 32 and 32 batched, 70/30 mix"
WL_KINDS="uml native qemu"

block_mib() { [ "$QUICK" = 1 ] && echo 64 || echo 256; }
block_secs() { [ "$QUICK" = 1 ] && echo 1 || echo 3; }
BLOCK_BATCH_REAP=16
# fio options of the batched queue-depth-32 jobs
block_qd32b() {
	echo "--iodepth=32 --iodepth_batch_submit=32 --iodepth_batch_complete_min=$BLOCK_BATCH_REAP --iodepth_batch_complete_max=32"
}

wl_setup() {
	block_dir=$(mktemp -d "/dev/shm/$SHM_PREFIX.block.XXXXXX")
	disk=$block_dir/disk.img
	# real pages, not holes: every target reads data that is there
	dd if=/dev/zero of="$disk" bs=1M count="$(block_mib)" status=none
}

wl_teardown() {
	rm -rf "${block_dir:-/nonexistent}"
}

# block_script DEV: the fio jobs as a shell script printing metric lines.
# Terse format 3: field 7/8 are read KiB/s and IOPS, 48/49 the same for
# writes.
block_script() {
	cat << EOF
job() {
	name=\$1 kind=\$2; shift 2
	fio --name="\$name" --filename=$1 --direct=1 --ioengine=libaio \\
		--runtime=$(block_secs) --time_based --size=$(block_mib)M \\
		--output-format=terse --terse-version=3 "\$@" > /tmp/fio.out || exit 1
	awk -F';' -v n="\$name" -v k="\$kind" '{
		if (k == "read-mb") printf "metric %s %.1f MB/s\\n", n, \$7 * 1024 / 1e6
		if (k == "write-mb") printf "metric %s %.1f MB/s\\n", n, \$48 * 1024 / 1e6
		if (k == "read-iops") printf "metric %s %.0f IOPS\\n", n, \$8
		if (k == "write-iops") printf "metric %s %.0f IOPS\\n", n, \$49
		if (k == "mix-iops") {
			printf "metric %s %.0f IOPS\\n", n, \$8 + \$49
			printf "metric %s-read %.0f IOPS\\n", n, \$8
			printf "metric %s-write %.0f IOPS\\n", n, \$49
		}
	}' /tmp/fio.out
}
job seq-read-1m read-mb --rw=read --bs=1M --iodepth=1
job seq-write-1m write-mb --rw=write --bs=1M --iodepth=1
job rand-read-4k-qd1 read-iops --rw=randread --bs=4k --iodepth=1
job rand-write-4k-qd1 write-iops --rw=randwrite --bs=4k --iodepth=1
job rand-read-4k-qd32 read-iops --rw=randread --bs=4k --iodepth=32
job rand-write-4k-qd32 write-iops --rw=randwrite --bs=4k --iodepth=32
job rand-read-4k-qd32b read-iops --rw=randread --bs=4k $(block_qd32b)
job rand-write-4k-qd32b write-iops --rw=randwrite --bs=4k $(block_qd32b)
job rand-rw70-4k-qd32b mix-iops --rw=randrw --rwmixread=70 --bs=4k $(block_qd32b)
EOF
}

wl_run() {
	local t=$1
	case "$(target_kind "$t")" in
	uml) guest "$t" -t 600 -d "$disk" -- "$(block_script /dev/ubdb)" ;;
	qemu) guest "$t" -t 600 -d "$disk" -- "$(block_script /dev/vdc)" ;;
	native) (cd "$WORK" && native /bin/busybox sh -c "$(block_script "$disk" | sed 's|/tmp/fio.out|fio.out|g')") ;;
	esac
}

# The host system calls that carry the IO-thread IPC and its interrupt,
# by name: the pipe/socket/eventfd reads and writes of the kernel and the
# IO thread (read, write and their socket and vector forms), the waits
# (epoll_wait, poll, futex) and the return from each signal handler
# (rt_sigreturn: one per SIGIO, and per timer or other signal the kernel
# takes).  The data transfer is not among them (pread64/preadv/pwritev),
# except on chapter 1's kernel, whose IO thread moves the data with
# read()/write() after an lseek(): there "ipc" includes one call per lseek.
BLOCK_IPC_CALLS="read write readv writev recvfrom sendto recvmsg sendmsg recvmmsg sendmmsg epoll_wait epoll_pwait poll ppoll futex rt_sigreturn"

# host system calls per guest request: 1 MiB and 4 KiB O_DIRECT reads and
# writes with dd (each dd block is one request); and fio's random 4 KiB
# reads and writes at queue depth 32, batched as in the -qd32b jobs
# (rand-read-4k-qd32b, rand-write-4k-qd32b): per call name, the sum of
# the IPC calls "ipc" (see BLOCK_IPC_CALLS) and of every call "all".  fio --number_ios=N
# makes exactly N requests, after fio's own start-up, which cancels out.
wl_count() {
	local t=$1 op
	for op in read-1m:"if=/dev/ubdb of=/dev/null bs=1M iflag=direct" \
		write-1m:"if=/dev/zero of=/dev/ubdb bs=1M oflag=direct" \
		read-4k:"if=/dev/ubdb of=/dev/null bs=4k iflag=direct" \
		write-4k:"if=/dev/zero of=/dev/ubdb bs=4k oflag=direct"; do
		syscalls_per_op "$t" 8 40 "dd ${op#*:} count=\$N 2> /dev/null" -d "$disk" > "$WORK/c"
		awk -v o="${op%%:*}" '{ s += $2; printf "count %s.%s %s calls/op\n", o, $1, $2 }
			END { printf "count %s.all %.4g calls/op\n", o, s }' "$WORK/c"
	done
	# zeroing (BLKZEROOUT: WRITE_ZEROES requests) and discarding one MiB
	# at a time: on this tmpfs disk the host has no fallocate(ZERO_RANGE)
	# (chapter 7's patches 0026 and 0027)
	for op in zero-1m:"zeroout /dev/ubdb \$((i * 1048576)) 1048576" \
		discard-1m:"blkdiscard -o \$((i * 1048576)) -l 1048576 /dev/ubdb"; do
		syscalls_per_op "$t" 8 40 "i=0; while [ \$i -lt \$N ]; do ${op#*:} || exit 1; i=\$((i + 1)); done" \
			-d "$disk" > "$WORK/c"
		awk -v o="${op%%:*}" '{ s += $2; printf "count %s.%s %s calls/op\n", o, $1, $2 }
			END { printf "count %s.all %.4g calls/op\n", o, s }' "$WORK/c"
	done
	for op in rand-read-4k-qd32b:randread rand-write-4k-qd32b:randwrite; do
		syscalls_per_op "$t" 512 2560 "fio --name=c --filename=/dev/ubdb --direct=1 --ioengine=libaio \
			--rw=${op#*:} --bs=4k --size=$(block_mib)M $(block_qd32b) --number_ios=\$N \
			--output-format=terse > /dev/null" -d "$disk" > "$WORK/c"
		awk -v o="${op%%:*}" -v ipc=" $BLOCK_IPC_CALLS " '
			index(ipc, " " $1 " ") { i += $2 }
			{ s += $2; printf "count %s.%s %s calls/op\n", o, $1, $2 }
			END { printf "count %s.ipc %.4g calls/op\ncount %s.all %.4g calls/op\n", o, i, o, s }' "$WORK/c"
	done
}
