#!/bin/bash
# Chapter 4's network driver, mmsg (patch 0014): recvmmsg() into a ring of
# preallocated buffers in a budgeted NAPI poll, sendmmsg() of a TX ring
# per burst, on the medium of chapter 1's per-packet "packet" transport
# (an AF_PACKET socket on one end of a veth pair, lib/veth.sh); and its
# offloads through a virtio-net header (patch 0017).
#
#  (a) signature, from host system call counts (the N1/N2 difference
#      method of 53-history-net.t): in each run the guest sends N UDP
#      datagrams in one burst and receives N that the host sends in one
#      burst, at 64 and at 512 bytes.  ch3 (packet transport) makes one
#      send call per sent and one successful receive call per received
#      packet; ch4 makes at most 0.1 send-family and 0.1 receive-family
#      calls per packet, all of them sendmmsg() and recvmmsg().  Upstream's
#      vector driver is shown for comparison, not checked.
#  (b) integrity, on ch4: 8 MiB over TCP each way and UDP datagrams with
#      sequence numbers each way (udpburst: no loss, duplicate or
#      corruption), checksums compared on both ends;
#  (e) offloads, in the same boot: mmsg0's ethtool -k shows checksum,
#      scatter-gather and TCP segmentation offloads on; the 8 MiB upload
#      (tcpput: 64 KiB writes) leaves in frames of more than 4 MSS on
#      average (super-frames the host takes whole: each TX frame is one
#      message of a sendmmsg());
#      with "ethtool -K mmsg0 tso off" the upload after the flood leaves
#      in frames of at most 1514 bytes, intact; and mmsg3, on a second
#      veth pair with vnet=0, has no offloads, says "plain frames" in one
#      console line and passes TCP both ways intact;
#  (c) a host flood of small UDP datagrams that runs until a guest program
#      has done a fixed amount of work and asks the host to stop it (a
#      livelocked guest never would: the host then stops by itself after
#      50 million datagrams and says so); after it, TCP each way again;
#  (d) bad input: in the same boot, mmsg1 names a missing host interface,
#      mmsg2 an unknown option and mmsg4 a bad vnet=, and a boot without
#      CAP_NET_RAW: one
#      console line each, no such interface, and the guest runs its
#      command all the same.
# Gates on counts, checksums and exit statuses only.
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=code/tests/lib/veth.sh
. "$(dirname "$0")/lib/veth.sh"

N1=16 N2=112 SIZES="64 512" PORT=5300 SINK=5301
MAC=02:66:75:6d:6d:02
dn=$((N2 - N1))
nsizes=$(wc -w <<< "$SIZES")
MAX_PER_PACKET=0.1

need_kernels ch3 ch4 upstream
burst=$BUILD/guest/bin/udpburst
if [ ! -x "$burst" ] || [ "$FASTUML_ROOT/code/guest/src/udpburst.c" -nt "$BUILD/rootfs.img" ] ||
	[ "$FASTUML_ROOT/code/guest/src/tcpput.c" -nt "$BUILD/rootfs.img" ]; then
	"$S/mkrootfs.sh" "$BUILD/rootfs.img" >&2 || bail "guest image build failed"
fi
for tool in perf ethtool socat busybox setpriv; do
	command -v "$tool" > /dev/null || bail "$tool is missing (make deps)"
done
a=fastuml-ch4a-$$ b=fastuml-ch4b-$$

# UML runs in $a on veth end "fu-vu"; the peer "fu-vh" (198.18.1.1) and
# the servers are in $b
veth_begin "$a" "$b" net-ch4
# a second pair for mmsg3 (vnet=0): "fu-vu2" in A, "fu-vh2" (198.18.2.1) in B
{ ip link add fu-vu2 netns "$a" type veth peer name fu-vh2 netns "$b" &&
	ip -n "$a" link set fu-vu2 up && ip -n "$b" addr add 198.18.2.1/24 dev fu-vh2 &&
	ip -n "$b" link set fu-vh2 up &&
	ip netns exec "$b" ethtool -K fu-vh2 tx off tso off gso off > /dev/null; } ||
	bail "cannot set up the second veth pair"
ip netns exec "$b" timeout 600 "$burst" serve 198.18.1.1 "$PORT" > "$tmp/serve.log" 2>&1 &
pids+=($!)

# --- (a) the signature ------------------------------------------------------

# calls FILE SYSCALL COLUMN: a perf trace -s summary's calls (2) or errors
# (3) of SYSCALL, summed over the threads
calls() {
	awk -v s="$2" -v c="$3" '$1 == s && NF == 8 && $2 ~ /^[0-9]+$/ { n += $c }
		END { print n + 0 }' "$1"
}

# measure NAME KERNEL DEV NETARG: a run for N1 and one for N2; sets
# ${NAME}_${SYSCALL}_{1,2} and ${NAME}_ok
measure() {
	local name=$1 kernel=$2 dev=$3 net=$4 i n rc out s f size script
	eval "${name}_ok=1"
	for i in 1 2; do
		n=$N1
		[ "$i" = 1 ] || n=$N2
		f=$tmp/perf-$name-$n
		script="ip addr add 198.18.1.2/24 dev $dev && ip link set $dev up || exit 3"
		for size in $SIZES; do
			script="$script
			/opt/fastuml/bin/udpburst send 198.18.1.1 $PORT $n $size || exit 4
			/opt/fastuml/bin/udpburst recv 198.18.1.1 $PORT $n $size || exit 5"
		done
		rc=0
		out=$(ip netns exec "$a" "$S/uml-run" -k "$kernel" -t 120 -a ipv6.disable=1 \
			-n "$net" -p "$f" -- "$script" 2>&1) || rc=$?
		if [ "$rc" -ne 0 ]; then
			eval "${name}_ok=0"
			diag "$kernel ($net), $n packets each way per size: uml-run status $rc" "$out"
			continue
		fi
		for s in sendto sendmsg sendmmsg recvfrom recvmsg recvmmsg; do
			eval "${name}_${s}_$i=$(calls "$f" "$s" 2)"
		done
		eval "${name}_recvfrom_ok_$i=$(($(calls "$f" recvfrom 2) - $(calls "$f" recvfrom 3)))"
		eval "${name}_tx_$i=$(($(calls "$f" sendto 2) + $(calls "$f" sendmsg 2) + $(calls "$f" sendmmsg 2)))"
		eval "${name}_rx_$i=$(($(calls "$f" recvfrom 2) + $(calls "$f" recvmsg 2) + $(calls "$f" recvmmsg 2)))"
	done
}

# d NAME WHAT: the second run's count minus the first's
d() {
	local v1=${1}_${2}_1 v2=${1}_${2}_2
	echo $((${!v2:-0} - ${!v1:-0}))
}
# per NAME WHAT: calls per extra packet in one direction, two decimals
per() {
	awk -v d="$(d "$1" "$2")" -v n="$((dn * nsizes))" 'BEGIN { printf "%.2f", d / n }'
}
# first NAME WHAT: the first run's count
first() {
	local v=${1}_${2}_1
	echo "${!v:-0}"
}

packet_ok=0 mmsg_ok=0 vector_ok=0
measure packet ch3 eth0 eth0=packet,fu-vu
measure mmsg ch4 mmsg0 mmsg0=fu-vu
measure vector upstream vec0 vec0:transport=raw,ifname=fu-vu
ok $((1 - packet_ok)) "ch3, packet transport: $N1 and $N2 datagrams each way at $SIZES bytes"
ok $((1 - mmsg_ok)) "ch4, mmsg: the same exchange works"
diag "host calls per extra packet (N = $N1 -> $N2 at $SIZES bytes: $((dn * nsizes)) more each way):"
for name in packet mmsg vector; do
	diag "  $name: send family $(per $name tx) (sendto $(per $name sendto), sendmsg $(per $name sendmsg), sendmmsg $(per $name sendmmsg); first run $(first $name tx))" \
		"  $name: receive family $(per $name rx) (recvfrom $(per $name recvfrom), recvmsg $(per $name recvmsg), recvmmsg $(per $name recvmmsg); first run $(first $name rx))"
done
[ "$vector_ok" = 1 ] || diag "(upstream's runs failed: its figures above mean nothing)"

# exactly one call per packet, give or take two frames (near, lib/tap.sh)
near "$(d packet sendto)" "$((dn * nsizes))"
ok $? "ch3: one sendto() per sent packet ($(d packet sendto) for $((dn * nsizes)) packets, +-2)"
near "$(d packet recvfrom_ok)" "$((dn * nsizes))"
ok $? "ch3: one successful recvfrom() per received packet ($(d packet recvfrom_ok) for $((dn * nsizes)) packets, +-2)"

# per-packet cost within the bound, and at least one batch call each way
within() {
	awk -v x="$1" -v m="$MAX_PER_PACKET" 'BEGIN { exit !(x <= m) }'
}
[ "$mmsg_ok" = 1 ] && within "$(per mmsg tx)" && [ "$(first mmsg sendmmsg)" -ge 1 ]
ok $? "ch4: at most $MAX_PER_PACKET send-family calls per sent packet, through sendmmsg() (got $(per mmsg tx))"
[ "$mmsg_ok" = 1 ] && within "$(per mmsg rx)" && [ "$(first mmsg recvmmsg)" -ge 1 ]
ok $? "ch4: at most $MAX_PER_PACKET receive-family calls per received packet, through recvmmsg() (got $(per mmsg rx))"
is "$(d mmsg sendto),$(d mmsg sendmsg),$(d mmsg recvfrom),$(d mmsg recvmsg)" "0,0,0,0" \
	"ch4: no single-message call per packet (sendto, sendmsg, recvfrom, recvmsg)"

# --- (b), (c), (d): one ch4 boot, plus one without CAP_NET_RAW ---------------

mkdir -p "$tmp/www"
head -c 8388608 /dev/urandom > "$tmp/www/down"
for x in 198.18.1.1:5001 198.18.1.1:5002 198.18.2.1:5003; do
	ip netns exec "$b" timeout 300 socat -u TCP-LISTEN:${x#*:},bind=${x%:*},reuseaddr \
		OPEN:"$tmp/up-${x#*:}",creat,trunc &
	pids+=($!)
done
for host in 198.18.1.1 198.18.2.1; do
	ip netns exec "$b" timeout 300 busybox httpd -f -p $host:8080 -h "$tmp/www" &
	pids+=($!)
done
ip netns exec "$b" timeout 300 "$burst" sink 198.18.1.1 "$SINK" 64 1000 > "$tmp/sink.log" 2>&1 &
sink=$!
pids+=($!)
sleep 0.5

# transfer NAME PORT BYTES [HOST DEV [SENDER]]: a guest shell snippet:
# upload BYTES random bytes to HOST:PORT (198.18.1.1, through mmsg0) and
# download the host's file, printing their checksums, and the frames and
# bytes DEV sent during the upload.  SENDER is busybox nc (the default),
# which writes about 1 KiB at a time, or tcpput, which writes 64 KiB at a
# time (what TSO needs to make super-frames)
transfer() {
	local host=${4:-198.18.1.1} dev=${5:-mmsg0} up
	up="nc -w 10 $host $2 < /tmp/up"
	[ "${6:-nc}" = nc ] || up="/opt/fastuml/bin/tcpput $host $2 < /tmp/up"
	cat << EOF
head -c $3 /dev/urandom > /tmp/up
echo "SUM $1-up \$(sha256sum < /tmp/up | cut -d' ' -f1)"
f0=\$(cat /sys/class/net/$dev/statistics/tx_packets) b0=\$(cat /sys/class/net/$dev/statistics/tx_bytes)
$up || echo "FAIL $1-upload"
echo "TXF $1 \$((\$(cat /sys/class/net/$dev/statistics/tx_packets) - f0)) \$((\$(cat /sys/class/net/$dev/statistics/tx_bytes) - b0))"
rm -f /tmp/up
if timeout 120 wget -q -O /tmp/down http://$host:8080/down; then
	echo "SUM $1-down \$(sha256sum < /tmp/down | cut -d' ' -f1)"
else
	echo "FAIL $1-download"
fi
rm -f /tmp/down
EOF
}

guest="ip addr add 198.18.1.2/24 dev mmsg0 && ip link set mmsg0 up || { echo 'FAIL config'; exit 3; }
ip addr add 198.18.2.2/24 dev mmsg3 && ip link set mmsg3 up || echo 'FAIL config mmsg3'
for dev in mmsg1 mmsg2 mmsg4; do
	if ip link show \$dev > /dev/null 2>&1; then echo \"FAIL \$dev exists\"; fi
done
for dev in mmsg0 mmsg3; do
	ethtool -k \$dev | sed -n \"s/^\\(tx-checksumming\\|scatter-gather\\|tcp-segmentation-offload\\|rx-checksumming\\): /FEAT \$dev \\1 /p\"
done
$(transfer tcp 5001 8388608 198.18.1.1 mmsg0 tcpput)
$(transfer plain 5003 2097152 198.18.2.1 mmsg3)
/opt/fastuml/bin/udpburst send 198.18.1.1 $SINK 64 1000 || echo 'FAIL udp-send'
/opt/fastuml/bin/udpburst recv 198.18.1.1 $PORT 64 1472 > /tmp/r 2>&1 || echo \"FAIL udp-recv: \$(cat /tmp/r)\"
r0=\$(cat /sys/class/net/mmsg0/statistics/rx_packets)
/opt/fastuml/bin/udpburst flood 198.18.1.1 $PORT 18 300 > /tmp/f 2>&1 || echo \"FAIL flood: \$(cat /tmp/f)\"
r1=\$(cat /sys/class/net/mmsg0/statistics/rx_packets)
echo \"FLOOD \$((r1 - r0))\"
ethtool -K mmsg0 tso off || echo 'FAIL tso off'
$(transfer after 5002 2097152)
echo DONE"
rc=0
ip netns exec "$a" "$S/uml-run" -k ch4 -t 240 -a ipv6.disable=1 -j "$tmp/job" \
	-n "mmsg0=fu-vu,mac=$MAC" -n mmsg1=fu-nope -n mmsg2=fu-vu,bogus=1 \
	-n mmsg3=fu-vu2,vnet=0 -n mmsg4=fu-vu,vnet=2 -- "$guest" \
	> "$tmp/out" 2> "$tmp/err" || rc=$?
ok "$rc" "ch4: the integrity, flood and bad-input run completes (uml-run status $rc)"
[ "$rc" -eq 0 ] || diag "$(tail -n 20 "$tmp/err")"
is "$(grep '^FAIL' "$tmp/out")" "" "ch4: no step of the guest's script fails"
grep -qx DONE "$tmp/out"
ok $? "ch4: the guest's script runs to its end"
wait "$sink"
ok $? "ch4: the host receives the guest's 64 numbered UDP datagrams once each, intact"
[ -s "$tmp/sink.log" ] && diag "host's sink: $(tr '\n' ' ' < "$tmp/sink.log")"

# (b) TCP both ways, before and after the flood, and over mmsg3 (vnet=0)
for x in tcp:5001 after:5002 plain:5003; do
	name=${x%%:*} port=${x#*:}
	is "$(sha256sum < "$tmp/up-$port" 2> /dev/null | cut -d' ' -f1)" \
		"$(sed -n "s/^SUM $name-up //p" "$tmp/out")" "ch4: the host receives the guest's TCP upload intact ($name)"
	is "$(sed -n "s/^SUM $name-down //p" "$tmp/out")" \
		"$(sha256sum < "$tmp/www/down" | cut -d' ' -f1)" "ch4: the guest receives the host's 8 MiB over TCP intact ($name)"
done

# (c) the flood: it reached the guest, and the guest's program stopped it
flood=$(sed -n 's/^FLOOD //p' "$tmp/out")
[ -n "$flood" ] && [ "$flood" -ge 1000 ]
ok $? "ch4: the flood reached the guest (${flood:-no} frames taken by mmsg0 during it)"
grep -q "stopped by the peer" "$tmp/serve.log"
ok $? "ch4: the guest's program did its work under the flood and stopped it"
diag "host's server: $(grep flood "$tmp/serve.log" | tr '\n' ' ')"

# (e) offloads: features, super-frames out, none with tso off or vnet=0
feat() {
	sed -n "s/^FEAT $1 $2 //p" "$tmp/out"
}
is "$(feat mmsg0 tx-checksumming),$(feat mmsg0 scatter-gather),$(feat mmsg0 tcp-segmentation-offload),$(feat mmsg0 rx-checksumming)" \
	"on,on,on,on" "ch4: mmsg0 offers checksum, scatter-gather and TCP segmentation offloads (ethtool -k)"
is "$(feat mmsg3 tx-checksumming),$(feat mmsg3 tcp-segmentation-offload)" "off,off" \
	"ch4: mmsg3 (vnet=0) offers none"
# txf NAME: "FRAMES BYTES" that the guest's interface sent during NAME's upload
txf() {
	sed -n "s/^TXF $1 //p" "$tmp/out"
}
read -r frames bytes <<< "$(txf tcp)"
[ -n "$bytes" ] && [ "$((frames * 4 * 1448))" -lt 8388608 ]
ok $? "ch4: the 8 MiB upload leaves in super-frames, > 4 MSS each on average (${frames:-?} frames, ${bytes:-?} bytes)"
for x in after:2097152 plain:2097152; do
	read -r frames bytes <<< "$(txf "${x%%:*}")"
	[ -n "$bytes" ] && [ "$bytes" -le "$((frames * 1514))" ] && [ "$((frames * 1448))" -ge "${x#*:}" ]
	ok $? "ch4: the ${x%%:*} upload (${x#*:} bytes) leaves in frames of at most 1514 bytes (${frames:-?} frames, ${bytes:-?} bytes)"
done

# (d) bad input: one console line each, and no interface
console=$(cat "$tmp/job/uml.log" "$tmp/job/console" 2> /dev/null)
one_line() {
	local what=$1 pattern=$2 want=$3 lines rc=0
	lines=$(grep -F "$pattern" <<< "$console")
	{ [ "$(grep -c . <<< "$lines")" = 1 ] && grep -qF "$want" <<< "$lines"; } || rc=1
	ok "$rc" "ch4: $what gives one console line that says so"
	[ "$rc" -eq 0 ] || diag "console lines with '$pattern':" "${lines:-(none)}"
}
one_line "a missing host interface" "mmsg: mmsg1=fu-nope" "No such device"
one_line "an unknown option" "mmsg: mmsg2=fu-vu,bogus=1" "bad option 'bogus=1'"
one_line "a bad vnet= value" "mmsg: mmsg4=fu-vu,vnet=2" "bad option 'vnet=2'"
one_line "vnet=0" "mmsg3: on host interface fu-vu2" "plain frames"
one_line "mmsg0's offloads" "mmsg0: on host interface fu-vu" "offloads through a virtio-net header"

rc=0
ip netns exec "$a" setpriv --bounding-set -net_raw "$S/uml-run" -k ch4 -t 120 -j "$tmp/job-nocap" \
	-n mmsg0=fu-vu -- "ip link show mmsg0 > /dev/null 2>&1 && echo 'FAIL mmsg0 exists'; echo ALIVE" \
	> "$tmp/out-nocap" 2> "$tmp/err-nocap" || rc=$?
is "$rc,$(cat "$tmp/out-nocap")" "0,ALIVE" "ch4 without CAP_NET_RAW: the guest boots without mmsg0 and runs its command"
[ "$rc" -eq 0 ] || diag "$(tail -n 20 "$tmp/err-nocap")"
console=$(cat "$tmp/job-nocap/uml.log" "$tmp/job-nocap/console" 2> /dev/null)
one_line "a host without CAP_NET_RAW" "mmsg: mmsg0=fu-vu" "CAP_NET_RAW"

kill "${pids[@]}" 2> /dev/null
wait 2> /dev/null
pids=()
is "$(leftovers)" "" "no UML process or /dev/shm file is left behind"

done_testing
