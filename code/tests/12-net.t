#!/bin/bash
# Networking between guest and host over a legacy uml_net transport
# (tuntap) and over the vector driver (raw socket on a veth pair) on
# upstream, and over chapter 1's per-packet "packet" transport (a packet
# socket on the same veth) on ch1, in network namespaces the test
# creates: ping, an upload and a download, checksums compared on the
# host.  Addresses are from 198.18.0.0/15, the range set aside for
# benchmark networks, and never leave the namespaces.
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=code/tests/lib/veth.sh
. "$(dirname "$0")/lib/veth.sh"

need_kernels upstream ch1
need_rootfs
for tool in socat ethtool; do
	command -v "$tool" > /dev/null || bail "$tool is missing (make deps)"
done
a=fastuml-uml-$$ b=fastuml-peer-$$

# UML runs in $a: veth end "fu-vu" is its vector link (upstream) or
# packet link (ch1), the peer "fu-vh" lives in $b (lib/veth.sh); tap
# "fu-tap" in $a is its legacy link.
veth_begin "$a" "$b" net
ip -n "$a" tuntap add dev fu-tap mode tap || bail "cannot create a tap device"
ip -n "$a" addr add 198.18.0.1/24 dev fu-tap
ip -n "$a" link set fu-tap up

# the host end of each link: an upload sink (socat) and a download source
# (httpd); the vector and packet links share the veth, on their own ports
sinks=()
for side in tuntap:"$a":198.18.0.1:5001:8080 vector:"$b":198.18.1.1:5001:8080 \
	packet:"$b":198.18.1.1:5002:8081; do
	IFS=: read -r name ns addr up down <<< "$side"
	mkdir -p "$tmp/www-$name"
	head -c 1048576 /dev/urandom > "$tmp/www-$name/down"
	ip netns exec "$ns" timeout 180 socat -u TCP-LISTEN:"$up",bind="$addr",reuseaddr \
		OPEN:"$tmp/up-$name",creat,trunc &
	pids+=($!)
	sinks+=($!)
	ip netns exec "$ns" timeout 180 busybox httpd -f -p "$addr:$down" -h "$tmp/www-$name" &
	pids+=($!)
done
sleep 0.5

# run KERNEL NAME NETARGS... -- EXCHANGES: one guest run
run() {
	local kernel=$1 name=$2 rc=0 nets=()
	shift 2
	while [ "$1" != -- ]; do
		nets+=(-n "$1")
		shift
	done
	shift
	ip netns exec "$a" "$S/uml-run" -k "$kernel" -t 120 -j "$tmp/job-$name" "${nets[@]}" \
		"$(cat "$FASTUML_ROOT/code/tests/guest/net.sh")
$*" > "$tmp/out-$name" 2> "$tmp/err-$name" || rc=$?
	ok "$rc" "$kernel: the guest network script runs (uml-run status $rc)"
	[ "$rc" -eq 0 ] || diag "$(tail -n 20 "$tmp/err-$name")"
	is "$(grep '^FAIL' "$tmp/out-$name")" "" "$kernel: no step of the exchange fails"
}
run upstream legacy eth0=tuntap,fu-tap vec0:transport=raw,ifname=fu-vu -- \
	"exchange eth0 198.18.0.2 198.18.0.1 tuntap
	exchange vec0 198.18.1.2 198.18.1.1 vector"
run ch1 packet eth0=packet,fu-vu -- \
	"exchange eth0 198.18.1.2 198.18.1.1 packet 5002 8081"
cat "$tmp/out-legacy" "$tmp/out-packet" > "$tmp/out"
wait "${sinks[@]}" 2> /dev/null
TAP_ERR=$tmp/out
for name in tuntap vector packet; do
	grep -qx "PASS $name-ping" "$tmp/out"
	ok $? "$name: the guest pings the host"
	is "$(sha256sum < "$tmp/up-$name" 2> /dev/null | cut -d' ' -f1)" \
		"$(sed -n "s/^SUM $name-up //p" "$tmp/out")" "$name: the host receives the guest's upload intact"
	is "$(sed -n "s/^SUM $name-down //p" "$tmp/out")" \
		"$(sha256sum < "$tmp/www-$name/down" | cut -d' ' -f1)" "$name: the guest receives the host's file intact"
done
is "$(leftovers)" "" "no UML process or /dev/shm file is left behind"

done_testing
