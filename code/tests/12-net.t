#!/bin/bash
# Networking between guest and host over a legacy uml_net transport
# (tuntap) and over the vector driver (raw socket on a veth pair), in
# network namespaces the test creates: ping, an upload and a download,
# checksums compared on the host.  Addresses are from 198.18.0.0/15, the
# range set aside for benchmark networks, and never leave the namespaces.
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

need_kernels upstream
need_rootfs
for tool in socat ethtool; do
	command -v "$tool" > /dev/null || bail "$tool is missing (make deps)"
done
tmp=$(mktemp -d "$BUILD/net.XXXXXX")
a=fastuml-uml-$$ b=fastuml-peer-$$
pids=()
cleanup() {
	[ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2> /dev/null
	wait 2> /dev/null
	ip netns del "$a" 2> /dev/null
	ip netns del "$b" 2> /dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# UML runs in $a: tap "fu-tap" is its legacy link, veth end "fu-vu" its
# vector link; the veth peer "fu-vh" lives in $b.
{ ip netns add "$a" && ip netns add "$b"; } || bail "cannot create network namespaces"
ip -n "$a" link set lo up
ip -n "$b" link set lo up
ip -n "$a" tuntap add dev fu-tap mode tap || bail "cannot create a tap device"
ip -n "$a" addr add 198.18.0.1/24 dev fu-tap
ip -n "$a" link set fu-tap up
ip link add fu-vu netns "$a" type veth peer name fu-vh netns "$b" || bail "cannot create a veth pair"
ip -n "$a" link set fu-vu up
ip -n "$b" addr add 198.18.1.1/24 dev fu-vh
ip -n "$b" link set fu-vh up
# The guest's vector interface negotiates no offloads, so the peer must not
# hand it TSO super-frames or partial checksums (with them, host-to-guest
# TCP crawls through retransmissions).
ip netns exec "$b" ethtool -K fu-vh tx off tso off gso off > /dev/null ||
	bail "cannot turn off offloads on the veth peer (ethtool)"

# the host end of each link: an upload sink (socat) and a download source (httpd)
for side in tuntap:"$a":198.18.0.1 vector:"$b":198.18.1.1; do
	IFS=: read -r name ns addr <<< "$side"
	mkdir -p "$tmp/www-$name"
	head -c 1048576 /dev/urandom > "$tmp/www-$name/down"
	ip netns exec "$ns" timeout 120 socat -u TCP-LISTEN:5001,bind="$addr",reuseaddr \
		OPEN:"$tmp/up-$name",creat,trunc &
	pids+=($!)
	ip netns exec "$ns" timeout 120 busybox httpd -f -p "$addr:8080" -h "$tmp/www-$name" &
	pids+=($!)
done
sleep 0.5

rc=0
ip netns exec "$a" "$S/uml-run" -k upstream -t 120 -j "$tmp/job" \
	-n eth0=tuntap,fu-tap -n vec0:transport=raw,ifname=fu-vu \
	"$(cat "$FASTUML_ROOT/code/tests/guest/net.sh")" > "$tmp/out" 2> "$tmp/err" || rc=$?
ok "$rc" "the guest network script runs (uml-run status $rc)"
[ "$rc" -eq 0 ] || diag "$(tail -n 20 "$tmp/err")"
fails=$(grep '^FAIL' "$tmp/out")
is "$fails" "" "no step of the exchange fails"
wait "${pids[0]}" "${pids[2]}" 2> /dev/null
for name in tuntap vector; do
	grep -qx "PASS $name-ping" "$tmp/out"
	ok $? "$name: the guest pings the host"
	is "$(sha256sum < "$tmp/up-$name" 2> /dev/null | cut -d' ' -f1)" \
		"$(sed -n "s/^SUM $name-up //p" "$tmp/out")" "$name: the host receives the guest's upload intact"
	is "$(sed -n "s/^SUM $name-down //p" "$tmp/out")" \
		"$(sha256sum < "$tmp/www-$name/down" | cut -d' ' -f1)" "$name: the guest receives the host's file intact"
done
is "$(leftovers)" "" "no UML process or /dev/shm file is left behind"

done_testing
