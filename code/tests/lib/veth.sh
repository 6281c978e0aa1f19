# shellcheck shell=bash
# The network the net tests share: two network namespaces the test
# creates, A for UML and B for the host's servers, joined by a veth pair:
# "fu-vu" in A (UML's packet socket or vector link), "fu-vh" in B with
# 198.18.1.1/24 (198.18.0.0/15 is set aside for benchmark networks and
# never leaves the namespaces).  No IPv6 in either: its timed
# announcements would add packets that do not cancel out between runs.
# Most guests negotiate no offloads, so the peer must not hand them TSO
# super-frames or partial checksums (with them, host-to-guest TCP crawls
# through retransmissions); chapter 4's mmsg (patch 0017) would take
# them, but every design gets the same medium.  Source after tap.sh;
# needs ip and ethtool.

# veth_setup A B: create the namespaces and the pair; bails on failure
veth_setup() {
	local ns
	{ ip netns add "$1" && ip netns add "$2"; } || bail "cannot create network namespaces"
	for ns in "$1" "$2"; do
		ip -n "$ns" link set lo up
		[ ! -d /proc/sys/net/ipv6 ] || ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	done
	ip link add fu-vu netns "$1" type veth peer name fu-vh netns "$2" || bail "cannot create a veth pair"
	ip -n "$1" link set fu-vu up
	ip -n "$2" addr add 198.18.1.1/24 dev fu-vh
	ip -n "$2" link set fu-vh up
	ip netns exec "$2" ethtool -K fu-vh tx off tso off gso off > /dev/null ||
		bail "cannot turn off offloads on the veth peer (ethtool)"
}

# veth_cleanup A B: remove both namespaces (and with them the pair)
veth_cleanup() {
	ip netns del "$1" 2> /dev/null
	ip netns del "$2" 2> /dev/null
	return 0
}

# veth_begin A B NAME: what a network test starts with: a scratch
# directory $tmp (build/NAME.XXXXXX), the namespaces and the pair
# (veth_setup), and an EXIT trap that stops the background jobs the test
# lists in the array pids and removes the namespaces and $tmp
veth_begin() {
	# shellcheck disable=SC2034  # the test uses tmp and pids
	tmp=$(mktemp -d "$BUILD/$3.XXXXXX") || bail "cannot make a scratch directory"
	pids=()
	veth_a=$1 veth_b=$2
	trap veth_end EXIT
	veth_setup "$1" "$2"
}
veth_end() {
	[ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2> /dev/null
	wait 2> /dev/null
	veth_cleanup "$veth_a" "$veth_b"
	rm -rf "$tmp"
}
