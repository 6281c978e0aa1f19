#!/bin/bash
# The newest chapter's kernel built with the debugging options of
# code/kernel/debug.config (KASAN, lockdep, UBSAN, DEBUG_LIST, DEBUG_VM,
# DEBUG_SG, DEBUG_OBJECTS, DEBUG_NET): target ch7-debug, "make kernel CH=7
# DEBUG=1".  Two boots drive every path the series changes, and the test
# fails on any report those checks print on the console:
#  (1) the smoke suite (lib/smoke.sh: fork/exec, FP state, data written
#      and read back with checksums, fio crc32c write-then-verify at queue
#      depth 1 and 32 on a plain disk and a COW overlay, a pattern at
#      random offsets), the same checks as 10-smoke.t;
#  (2) on a veth pair (lib/veth.sh), through chapter 4's mmsg driver with
#      its offloads: 8 MiB over TCP each way and numbered UDP datagrams
#      each way, checksummed; a host flood of small datagrams; then, on a
#      disk, batched random writes and reads at queue depth 32 with
#      verification (chapter 5's IPC), zeroing and discarding (chapter 7);
#      and 300 fork+exec+wait plus a two-thread ping-pong (chapter 6).
# The checks must be live: every option of debug.config is in the
# kernel's .config, the binary calls KASAN's checks, and each boot prints
# lockdep's banner.  Gates on the console's contents, checksums and exit
# statuses; nothing is timed.
# Last in the first lane, after its share of the exercise grading:
# run-tests builds the debug kernel in the background from the start,
# and need_kernels waits for that build if it is not done yet.
# shellcheck disable=SC2016  # the guest commands expand in the guest
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=code/tests/lib/smoke.sh
. "$(dirname "$0")/lib/smoke.sh"
# shellcheck source=code/tests/lib/veth.sh
. "$(dirname "$0")/lib/veth.sh"

K=$TEST_DEBUG_TARGET
PORT=5300 SINK=5301
# what the debug options print when they find something: KASAN ("BUG:
# KASAN: ..."), lockdep and every WARN ("WARNING: ..."), UBSAN, debug
# objects ("ODEBUG: ..."), list and slab corruption, RCU and hung-task
# reports, oopses and panics
REPORTS='BUG:|WARNING:|UBSAN:|ODEBUG:|[Cc]orruption|INFO: |Oops|Kernel panic|Call Trace:|DEBUG_LOCKS_WARN_ON'
# what lockdep prints when it starts (UML's KASAN prints nothing)
LIVE_LOCKDEP='Lock dependency validator'

need_kernels "$K"
need_rootfs
for tool in ethtool socat busybox; do
	command -v "$tool" > /dev/null || bail "$tool is missing (make deps)"
done
a=fastuml-dbga-$$ b=fastuml-dbgb-$$
veth_begin "$a" "$b" debug

# console NAME DIR: checks the console of the boot whose job directory is DIR
console() {
	local name=$1 log reports
	log=$(cat "$2/uml.log" "$2/console" 2> /dev/null)
	reports=$(grep -E "$REPORTS" <<< "$log")
	is "$reports" "" "$K, $name: no KASAN, lockdep, UBSAN, WARN, BUG or corruption report on the console"
	[ -z "$reports" ] || diag "report lines, counted:" \
		"$(cut -d']' -f2- <<< "$reports" | sort | uniq -c | sort -rn | head -n 20)" \
		"the console from the first report on:" "$(grep -E -m1 -A40 "$REPORTS" <<< "$log")"
	grep -qF "$LIVE_LOCKDEP" <<< "$log"
	ok $? "$K, $name: the console shows lockdep at work ('$LIVE_LOCKDEP')"
}

# --- the checks are built in -------------------------------------------------

missing=$(grep -E '^(CONFIG_|# CONFIG_)' "$FASTUML_ROOT/code/kernel/debug.config" |
	grep -vxF -f "$BUILD/$K/.config")
is "$missing" "" "$K: every option of code/kernel/debug.config is in its .config"
nm "$BUILD/$K/linux" | grep -q ' __asan_report_load8_noabort$'
ok $? "$K: the kernel is compiled with KASAN's checks (nm: __asan_report_load8_noabort)"

# --- (1) the smoke suite ---------------------------------------------------

smoke_boot "$K" "$tmp" 400
console smoke "$tmp/job"

# --- (2) network, block and exec ----------------------------------------------

burst=/opt/fastuml/bin/udpburst
mkdir -p "$tmp/www"
head -c 8388608 /dev/urandom > "$tmp/www/down"
truncate -s 64M "$tmp/disk.img"
ip netns exec "$b" timeout 900 "$BUILD/guest/bin/udpburst" serve 198.18.1.1 "$PORT" > "$tmp/serve.log" 2>&1 &
pids+=($!)
ip netns exec "$b" timeout 900 socat -u TCP-LISTEN:5001,bind=198.18.1.1,reuseaddr OPEN:"$tmp/up",creat,trunc &
pids+=($!)
ip netns exec "$b" timeout 900 busybox httpd -f -p 198.18.1.1:8080 -h "$tmp/www" &
pids+=($!)
ip netns exec "$b" timeout 900 "$BUILD/guest/bin/udpburst" sink 198.18.1.1 "$SINK" 64 1000 > "$tmp/sink.log" 2>&1 &
sink=$!
pids+=($!)
sleep 0.5

guest='ip addr add 198.18.1.2/24 dev mmsg0 && ip link set mmsg0 up || { echo "FAIL config"; exit 3; }
head -c 8388608 /dev/urandom > /tmp/up
echo "SUM up $(sha256sum < /tmp/up | cut -d" " -f1)"
/opt/fastuml/bin/tcpput 198.18.1.1 5001 < /tmp/up || echo "FAIL upload"
rm -f /tmp/up
if timeout 300 wget -q -O /tmp/down http://198.18.1.1:8080/down; then
	echo "SUM down $(sha256sum < /tmp/down | cut -d" " -f1)"
else
	echo "FAIL download"
fi
rm -f /tmp/down
'$burst' send 198.18.1.1 '$SINK' 64 1000 || echo "FAIL udp-send"
'$burst' recv 198.18.1.1 '$PORT' 64 1472 > /tmp/r 2>&1 || echo "FAIL udp-recv: $(cat /tmp/r)"
'$burst' flood 198.18.1.1 '$PORT' 18 100 > /tmp/f 2>&1 || echo "FAIL flood: $(cat /tmp/f)"
for rw in randwrite randread; do
	fio --name=$rw --filename=/dev/ubdb --direct=1 --ioengine=libaio --rw=$rw \
		--bsrange=512-64k --size=64m --iodepth=32 --iodepth_batch_submit=8 \
		--iodepth_batch_complete_min=1 --verify=crc32c --verify_fatal=1 \
		--randrepeat=1 --output=/tmp/fio > /dev/null 2>&1 || { echo "FAIL fio $rw"; cat /tmp/fio; }
done
/opt/fastuml/bin/zeroout /dev/ubdb 0 16777216 || echo "FAIL zeroout"
blkdiscard -o 16777216 -l 16777216 /dev/ubdb || echo "FAIL discard"
echo "SUM zeroed $(head -c 16777216 /dev/ubdb | sha256sum | cut -d" " -f1)"
i=0
while [ "$i" -lt 300 ]; do /bin/true || echo "FAIL exec $i"; i=$((i + 1)); done
/opt/fastuml/bin/thrpong 2000 > /dev/null || echo "FAIL thrpong"
echo DONE'
rc=0
ip netns exec "$a" "$S/uml-run" -k "$K" -t 600 -a ipv6.disable=1 -j "$tmp/job2" \
	-n mmsg0=fu-vu -d "$tmp/disk.img" -- "$guest" > "$tmp/out2" 2> "$tmp/err2" || rc=$?
ok "$rc" "$K: the network, block and exec run completes (uml-run status $rc)"
[ "$rc" -eq 0 ] || diag "$(tail -n 20 "$tmp/err2")"
is "$(grep '^FAIL' "$tmp/out2")" "" "$K: no step of the guest's script fails (TCP, UDP, flood, fio verify, zeroing, exec)"
grep -qx DONE "$tmp/out2"
ok $? "$K: the guest's script runs to its end"
is "$(sha256sum < "$tmp/up" 2> /dev/null | cut -d' ' -f1)" "$(sed -n 's/^SUM up //p' "$tmp/out2")" \
	"$K: the host receives the guest's 8 MiB TCP upload intact"
is "$(sed -n 's/^SUM down //p' "$tmp/out2")" "$(sha256sum < "$tmp/www/down" | cut -d' ' -f1)" \
	"$K: the guest receives the host's 8 MiB over TCP intact"
wait "$sink"
ok $? "$K: the host receives the guest's 64 numbered UDP datagrams once each, intact"
is "$(sed -n 's/^SUM zeroed //p' "$tmp/out2")" "$(head -c 16777216 /dev/zero | sha256sum | cut -d' ' -f1)" \
	"$K: the zeroed range reads back as zeros in the guest"
console "network, block and exec" "$tmp/job2"

kill "${pids[@]}" 2> /dev/null
wait 2> /dev/null
pids=()
is "$(leftovers)" "" "no UML process or /dev/shm file is left behind"

done_testing
