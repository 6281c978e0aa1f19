#!/bin/bash
# The signature of chapter 1's network design, from host system call
# counts: over the same medium (an AF_PACKET socket on one end of a veth
# pair), ch1's legacy "packet" transport makes one host call per packet,
# and upstream's vector driver (transport=raw) moves packets with
# recvmmsg/sendmmsg.
#
# The guest sends N UDP datagrams in one burst (one sendmsg() with
# UDP_SEGMENT: its kernel hands the driver N frames in one go) and then
# asks a server on the host for N datagrams, which the server sends with
# one sendmmsg().  Each kernel runs this for N = N1 and N = N2 under
# "uml-run -p"; the difference of the two runs' counts, divided by
# N2 - N1, is the cost of one more packet each way (boot, address
# resolution and shutdown cancel out).  Gates on counts only, no timing.
#
# NET_SIG_SWAP=1 applies each design's checks to the other design's
# counts: every check of the signature must then fail (a demonstration
# that the test can tell the two apart).
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=code/tests/lib/veth.sh
. "$(dirname "$0")/lib/veth.sh"

N1=16 N2=48 SIZE=512 PORT=5300
dn=$((N2 - N1))

need_kernels ch1 upstream
burst=$BUILD/guest/bin/udpburst
if [ ! -x "$burst" ] || [ "$FASTUML_ROOT/code/guest/src/udpburst.c" -nt "$BUILD/rootfs.img" ]; then
	"$S/mkrootfs.sh" "$BUILD/rootfs.img" >&2 || bail "guest image build failed"
fi
for tool in perf ethtool; do
	command -v "$tool" > /dev/null || bail "$tool is missing (make deps)"
done
tmp=$(mktemp -d "$BUILD/net-sig.XXXXXX")
a=fastuml-siga-$$ b=fastuml-sigb-$$
server=
cleanup() {
	[ -z "$server" ] || kill "$server" 2> /dev/null
	wait 2> /dev/null
	veth_cleanup "$a" "$b"
	rm -rf "$tmp"
}
trap cleanup EXIT

# UML runs in $a, on veth end "fu-vu"; the peer "fu-vh" and the server
# are in $b (lib/veth.sh).
veth_setup "$a" "$b"
ip netns exec "$b" timeout 600 "$burst" serve 198.18.1.1 "$PORT" &
server=$!

# sum_col FILE SYSCALL COLUMN: a perf trace -s summary's calls (2) or
# errors (3) of SYSCALL, summed over the threads
sum_col() {
	awk -v s="$2" -v c="$3" '$1 == s && NF == 8 && $2 ~ /^[0-9]+$/ { n += $c }
		END { print n + 0 }' "$1"
}

# measure NAME KERNEL DEV NETARG: the two runs; sets ${NAME}_SYSCALL_{1,2}
# (calls) and ${NAME}_ok.  Successful recvfrom calls are recvfrom_ok.
measure() {
	local name=$1 kernel=$2 dev=$3 net=$4 i n rc out s f
	eval "${name}_ok=1"
	for i in 1 2; do
		n=$N1
		[ "$i" = 1 ] || n=$N2
		f=$tmp/perf-$name-$n
		rc=0
		out=$(ip netns exec "$a" "$S/uml-run" -k "$kernel" -t 120 -a ipv6.disable=1 -n "$net" -p "$f" -- "
			ip addr add 198.18.1.2/24 dev $dev && ip link set $dev up || exit 3
			/opt/fastuml/bin/udpburst send 198.18.1.1 $PORT $n $SIZE || exit 4
			/opt/fastuml/bin/udpburst recv 198.18.1.1 $PORT $n $SIZE || exit 5" 2>&1) || rc=$?
		if [ "$rc" -ne 0 ]; then
			eval "${name}_ok=0"
			diag "$kernel ($net), $n packets each way: uml-run status $rc" "$out"
			continue
		fi
		for s in recvfrom sendto recvmsg sendmsg recvmmsg sendmmsg; do
			eval "${name}_${s}_$i=$(sum_col "$f" "$s" 2)"
		done
		eval "${name}_recvfrom_ok_$i=$(($(sum_col "$f" recvfrom 2) - $(sum_col "$f" recvfrom 3)))"
	done
}

# d NAME SYSCALL: the second run's count minus the first's
d() {
	local v1 v2
	v1=${1}_${2}_1 v2=${1}_${2}_2
	echo $((${!v2:-0} - ${!v1:-0}))
}
# per NAME SYSCALL: calls per extra packet, two decimals
per() {
	awk -v d="$(d "$1" "$2")" -v n="$dn" 'BEGIN { printf "%.2f", d / n }'
}
# both NAME SYSCALL: the counts of both runs, "first,second"
both() {
	local v1 v2
	v1=${1}_${2}_1 v2=${1}_${2}_2
	echo "${!v1:-0},${!v2:-0}"
}

packet_ok=0 vector_ok=0
measure packet ch1 eth0 eth0=packet,fu-vu
measure vector upstream vec0 vec0:transport=raw,ifname=fu-vu
ok $((1 - packet_ok)) "ch1, packet transport: the guest sends $N1 and $N2 datagrams in a burst and receives as many"
ok $((1 - vector_ok)) "upstream, vector raw transport: the same exchange works"
diag "host calls per extra packet (N = $N1 -> $N2, $dn more each way):"
for name in packet vector; do
	diag "  $name: recvfrom $(per "$name" recvfrom) (successful $(per "$name" recvfrom_ok))" \
		"  $name: sendto $(per "$name" sendto), recvmsg $(per "$name" recvmsg), sendmsg $(per "$name" sendmsg)" \
		"  $name: recvmmsg $(per "$name" recvmmsg) [$(both "$name" recvmmsg)], sendmmsg $(per "$name" sendmmsg) [$(both "$name" sendmmsg)]"
done

legacy=packet batched=vector
if [ "${NET_SIG_SWAP:-0}" = 1 ]; then
	legacy=vector batched=packet
	diag "NET_SIG_SWAP=1: checking each design against the other's signature"
fi

# per-packet design: one send per sent packet, one successful receive
# per received packet (plus a failed one, EAGAIN, each time the socket
# is drained), and no multi-message call at all
# exactly one call per packet, give or take two frames (near, lib/tap.sh)
near "$(d $legacy sendto)" "$dn"
ok $? "per-packet design: one sendto() per sent packet ($(d $legacy sendto) for $dn packets, +-2)"
near "$(d $legacy recvfrom_ok)" "$dn"
ok $? "per-packet design: one successful recvfrom() per received packet ($(d $legacy recvfrom_ok) for $dn packets, +-2)"
[ "$(d $legacy recvfrom)" -le $((2 * dn)) ] && [ "$(d $legacy recvfrom)" -ge "$dn" ]
ok $? "per-packet design: between 1 and 2 recvfrom() calls per received packet ($(per $legacy recvfrom))"
is "$(both $legacy recvmmsg),$(both $legacy sendmmsg)" "0,0,0,0" \
	"per-packet design: no recvmmsg() or sendmmsg() in either run"

# multi-message design: no per-packet calls; a burst of up to 64 frames
# (the vector queue's depth) leaves in one sendmmsg(), so more packets
# do not mean more send calls; received packets come through recvmmsg()
is "$(d $batched sendto),$(d $batched sendmsg),$(d $batched recvfrom),$(d $batched recvmsg)" "0,0,0,0" \
	"multi-message design: no sendto/sendmsg/recvfrom/recvmsg per packet"
v1=${batched}_sendmmsg_1 v2=${batched}_sendmmsg_2
[ "${!v1:-0}" -ge 1 ] && [ "$(d $batched sendmmsg)" -lt "$dn" ]
ok $? "multi-message design: sendmmsg(), fewer calls than packets ($(d $batched sendmmsg) more calls for $dn more packets)"
v1=${batched}_recvmmsg_1 v2=${batched}_recvmmsg_2
[ "${!v1:-0}" -ge 1 ] && [ "${!v2:-0}" -ge 1 ]
ok $? "multi-message design: received packets come through recvmmsg() ($(per $batched recvmmsg) per packet)"

kill "$server" 2> /dev/null
wait "$server" 2> /dev/null
server=
is "$(leftovers)" "" "no UML process or /dev/shm file is left behind"

done_testing
