# shellcheck shell=sh disable=SC2016  # the sh -c scripts expand in the guest
# Guest side of the smoke suite (run by fastuml-init as the job's command).
# Prints one "PASS name" or "FAIL name: detail" line per check, and the
# checksums the host compares as "SUM name value".  Disks: ubdb holds data
# the host wrote (read it back), ubdc is blank (write to it), ubdd is a
# blank plain disk and ubde a COW overlay (fio write-then-verify on both),
# ubdf is blank and gets pieces of /mnt/job/pattern at the offsets listed
# in /mnt/job/offsets (the host replays them and compares the images).
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
t() { name=$1; shift; if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi; }

t shell-arithmetic test "$((6 * 7))" = 42
t shell-pipeline sh -c 'seq 1 100 | awk "{ s += \$1 } END { exit s != 5050 }"'
t fork-exec forkexec 200 /opt/fastuml/bin/true
# x87, SSE and AVX state across switches, fork and signals.  Not AVX-512:
# 6.12's signal frame holds only the first 832 bytes of the XSAVE area, so
# a handler that touches zmm/k registers corrupts the interrupted code
# (fpcheck avx512 shows it); the book treats that as a chapter-1 problem.
t fpu-state fpcheck avx
t proc-meminfo grep -q '^MemTotal:' /proc/meminfo
t proc-self-exe sh -c '[ "$(readlink /proc/self/exe)" = /bin/busybox ]'
t proc-mounts grep -q ' /tmp tmpfs ' /proc/mounts
t sys-block test -e /sys/block/ubda
t dev-ubdb test -b /dev/ubdb
t fio-runs fio --version
t iperf3-runs iperf3 --version

# read: what the host put on ubdb
echo "SUM ubdb-read $(sha256sum < /dev/ubdb | cut -d' ' -f1)"
# write: fresh random data to ubdc, bypassing the guest page cache
head -c 8388608 /dev/urandom > /tmp/data
echo "SUM ubdc-written $(sha256sum < /tmp/data | cut -d' ' -f1)"
t ubdc-write dd if=/tmp/data of=/dev/ubdc bs=1M oflag=direct
t ubdc-readback sh -c '[ "$(dd if=/dev/ubdc bs=1M count=8 iflag=direct 2>/dev/null | sha256sum)" = "$(sha256sum < /tmp/data)" ]'

# integrity: fio writes every block of the disk in random sizes (512 B to
# 1 MiB) and checks each block's crc32c, at queue depth 1 and 32, on a
# plain disk and on a COW overlay
fio_verify() {
	fio --name=v --filename="/dev/$1" --direct=1 --ioengine=libaio --iodepth="$2" \
		--rw=randwrite --bsrange=512-1m --verify=crc32c --do_verify=1 \
		--verify_fatal=1 --output-format=terse > /dev/null
}
t fio-verify-plain-qd1 fio_verify ubdd 1
t fio-verify-plain-qd32 fio_verify ubdd 32
t fio-verify-cow-qd1 fio_verify ubde 1
t fio-verify-cow-qd32 fio_verify ubde 32
# pieces of the host's pattern at sector offsets the host chose ("SRC DST
# COUNT" in 512-byte sectors), through the page cache, then synced
t pattern-at-offsets sh -c 'while read -r s d c; do
	dd if=/mnt/job/pattern of=/dev/ubdf bs=512 skip="$s" seek="$d" count="$c" conv=notrunc 2> /dev/null || exit 1
done < /mnt/job/offsets && sync'
