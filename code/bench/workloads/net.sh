# shellcheck shell=bash disable=SC2034  # the WL_ variables are read by measure
# net: iperf3 between the guest and a server on the host, over one host
# medium for every design: a packet socket on one end of a veth pair
# whose other end (with the server, offloads off) is in a network
# namespace that wl_setup creates.  The guest's end is in the host's own
# namespace, where the runners start UML.  UDP at 64 and 1500 bytes per
# IP packet (iperf3 -l 36 and -l 1472, unlimited rate, and host to guest
# at fixed rates too: see net_sweep): Gbit/s of UDP
# payload and datagrams per second, both as the receiving iperf3 counts
# them, and "-dev-pps", the frames per second through the guest's
# interface (the driver's rate: under a flood the guest's iperf3, one
# guest system call per datagram, drops most of them); TCP: Gbit/s.
# "tx" is guest to host, "rx" host to guest.  "native" runs the same
# iperf3 clients on the host, over the same veth pair.
#
# Which guest driver a target uses: see net_driver.  QEMU's guest has a
# virtio-net interface on a tap device, bridged with the same veth end
# for the run (see net_qemu).
WL_DESC="iperf3 over a veth (packet socket): UDP 64/1500 B Gbit/s and packets/s, TCP Gbit/s, each way"
WL_KINDS="uml native qemu"

NET_PEER=198.18.1.1 NET_GUEST=198.18.1.2 NET_NATIVE=198.18.1.3
NET_IPERF_PORT=5201 NET_BURST_PORT=5300
# set by wl_setup: the namespace, the host's veth end, the servers; by
# net_qemu: the tap and bridge of a QEMU run
net_ns='' net_if='' net_pids=() net_tap='' net_br=''

net_secs() { [ "$QUICK" = 1 ] && echo 1 || echo 3; }

# net_driver T: the guest network driver measured on target T.
#  - upstream: 6.12's vector driver, transport=raw (recvmmsg/sendmmsg);
#  - chapters 1 to 3: chapter 1's legacy "packet" transport, one host
#    system call per packet (patch 0006);
#  - chapter 4 and later (chN.K counts as chapter N): chapter 4's mmsg
#    driver on the same kind of socket, recvmmsg/sendmmsg in NAPI (patch
#    0014, the chapter's first, so every step ch4.K has it); from 0017 on
#    with checksum and TSO offloads through a virtio-net header.
net_driver() {
	local ch
	case "$1" in
	upstream) echo vector; return ;;
	ch[1-9] | ch[1-9].[0-9]*) ch=${1#ch}; ch=${ch%%.*} ;;
	*) echo "net: no guest driver for target $1" >&2; return 1 ;;
	esac
	if [ "$ch" -ge 4 ]; then
		echo mmsg	# chapter 4's driver
	else
		echo packet
	fi
}

# net_netarg DRIVER: "DEV NETARG", the guest's interface and the UML
# command-line argument that attaches it to the veth end
net_netarg() {
	case "$1" in
	packet) echo "eth0 eth0=packet,$net_if" ;;
	mmsg) echo "mmsg0 mmsg0=$net_if" ;;
	vector) echo "vec0 vec0:transport=raw,ifname=$net_if" ;;
	*) echo "net: unknown driver $1" >&2; return 1 ;;
	esac
}

# a host CPU other than the one the guest is pinned to, for the servers
net_server_cpu() {
	local n
	n=$(nproc)
	[ "$n" -gt 1 ] || { echo 0; return; }
	echo $(((BENCH_CPU + 1) % n))
}

wl_setup() {
	local burst=$BUILD/guest/bin/udpburst
	[ -x "$burst" ] || { echo "net: $burst is missing (make rootfs)" >&2; return 1; }
	for tool in iperf3 ethtool ip; do
		command -v "$tool" > /dev/null || { echo "net: $tool is missing (make deps)" >&2; return 1; }
	done
	ip netns add "fastuml-net-$$" || return 1
	net_ns=fastuml-net-$$
	ip link add "fub$$u" type veth peer name fu-vh netns "$net_ns" || return 1
	net_if=fub$$u
	ip -n "$net_ns" link set lo up || return 1
	# no IPv6 on the veth: its announcements would be extra packets
	if [ -d /proc/sys/net/ipv6 ]; then
		ip netns exec "$net_ns" sysctl -qw net.ipv6.conf.fu-vh.disable_ipv6=1 || return 1
		sysctl -qw "net.ipv6.conf.$net_if.disable_ipv6=1" || return 1
	fi
	ip link set "$net_if" up || return 1
	ip -n "$net_ns" addr add "$NET_PEER/24" dev fu-vh || return 1
	ip -n "$net_ns" link set fu-vh up || return 1
	# the guests negotiate no offloads with the peer (see code/tests/lib/veth.sh)
	ip netns exec "$net_ns" ethtool -K fu-vh tx off tso off gso off > /dev/null || return 1
	ip netns exec "$net_ns" taskset -c "$(net_server_cpu)" \
		iperf3 -s -B "$NET_PEER" -p "$NET_IPERF_PORT" > "$WORK/iperf3-server.log" 2>&1 &
	net_pids+=($!)
	ip netns exec "$net_ns" taskset -c "$(net_server_cpu)" \
		"$burst" serve "$NET_PEER" "$NET_BURST_PORT" > "$WORK/udpburst-server.log" 2>&1 &
	net_pids+=($!)
	# the iperf3 server is ready when it listens
	for _ in $(seq 50); do
		ip netns exec "$net_ns" ss -ltn "sport = :$NET_IPERF_PORT" | grep -q LISTEN && return 0
		sleep 0.1
	done
	echo "net: the iperf3 server did not start: $(tail -n 3 "$WORK/iperf3-server.log")" >&2
	return 1
}

# (measure runs it under set -e: no step may stop the ones after it)
wl_teardown() {
	if [ ${#net_pids[@]} -gt 0 ]; then
		kill "${net_pids[@]}" 2> /dev/null || true
		wait "${net_pids[@]}" 2> /dev/null || true
	fi
	net_pids=()
	net_qemu_down
	if [ -n "$net_if" ]; then
		ip link del "$net_if" 2> /dev/null || true
	fi
	if [ -n "$net_ns" ]; then
		ip netns del "$net_ns" 2> /dev/null || true
	fi
	net_if='' net_ns=''
}

# net_script SETUP BIND IF [OFFLOADS]: the iperf3 runs as a shell script
# that prints metric lines.  SETUP configures the interface (empty for
# native), BIND is the client's address, IF the interface whose counters
# give the frames per second the guest's driver moved (UDP only: a TCP
# frame may be a TSO super-frame).  With OFFLOADS=1 (a UML guest) the
# TCP runs are made again with the interface's offloads switched off by
# ethtool (segmentation, checksums, scatter-gather, GRO), as
# tcp-tx-nooffload and tcp-rx-nooffload: what the offloads are worth on
# each driver.  iperf3 -f m: Mbits/sec; its "receiver" line
# has the interval, the bit rate and, for UDP, lost/total datagrams.
net_script() {
	cat << EOF
$1
frames() { cat /sys/class/net/$3/statistics/\$1; }
run() {
	name=\$1 counter=\$2 tries=0; shift 2
	# a server still winding up the previous run (on a busy host CPU)
	# refuses the next one as busy: wait for it, up to 20 s
	while :; do
		f0=\$(frames \$counter)
		iperf3 -c $NET_PEER -p $NET_IPERF_PORT -B $2 -t $(net_secs) -f m "\$@" > /tmp/iperf3.out 2>&1 && break
		grep -q 'server is busy' /tmp/iperf3.out && [ \$tries -lt 20 ] ||
			{ cat /tmp/iperf3.out >&2; exit 1; }
		tries=\$((tries + 1))
		sleep 1
	done
	f1=\$(frames \$counter)
	awk -v n="\$name" -v frames=\$((f1 - f0)) '/ receiver\$/ {
		split(\$3, t, "-"); secs = t[2] - t[1]
		for (i = 1; i <= NF; i++) {
			if (\$i == "Mbits/sec") mbit = \$(i - 1)
			if (\$i ~ /^[0-9]+\\/[0-9]+\$/) { split(\$i, l, "/"); got = l[2] - l[1]; udp = 1 }
		}
		printf "metric %s %.4f Gbit/s\\n", n, mbit / 1000
		if (udp && secs > 0) {
			printf "metric %s-pps %.0f packets/s\\n", n, got / secs
			printf "metric %s-dev-pps %.0f packets/s\\n", n, frames / secs
		}
		found = 1
	} END { if (!found) exit 1 }' /tmp/iperf3.out || { cat /tmp/iperf3.out >&2; exit 1; }
}
run udp64-tx tx_packets -u -b 0 -l 36
run udp64-rx rx_packets -u -b 0 -l 36 -R
$(net_sweep)
run udp1500-tx tx_packets -u -b 0 -l 1472
run udp1500-rx rx_packets -u -b 0 -l 1472 -R
run tcp-tx tx_packets
run tcp-rx rx_packets -R
$([ "${4:-0}" = 1 ] && net_nooffload "$3")
EOF
}

# net_nooffload IF: the script lines of the TCP runs without offloads.
# A driver that cannot switch a feature off keeps it (ethtool -K changes
# what it can); the runs need segmentation offload off, and check it.
net_nooffload() {
	cat << EOF
ethtool -K $1 tso off gso off gro off tx off sg off > /dev/null 2>&1
ethtool -k $1 | grep -q '^tcp-segmentation-offload: off' ||
	{ echo "net: cannot switch $1's segmentation offload off" >&2; exit 1; }
run tcp-tx-nooffload tx_packets
run tcp-rx-nooffload rx_packets -R
EOF
}

# net_sweep: the receive-livelock sweep, host to guest at fixed offered
# rates of 64-byte datagrams (iperf3 -b counts the 36-byte payload):
# below the rate a guest can take, it receives all of them; a guest in
# livelock receives less the more it is offered, down to the flood's
# udp64-rx.  Metrics udp64-rx-at-Nk: N thousand datagrams per second.
NET_SWEEP_KPPS="5 10 20 40 80 160"
net_sweep() {
	local k rates=$NET_SWEEP_KPPS
	[ "$QUICK" != 1 ] || rates=20	# a quick run: one point
	for k in $rates; do
		echo "run udp64-rx-at-${k}k rx_packets -u -b $((k * 1000 * 36 * 8)) -l 36 -R"
	done
}

# net_guest_if T: "DEV NETARG" for UML target T
net_guest_if() {
	local drv
	drv=$(net_driver "$1") && net_netarg "$drv"
}

wl_run() {
	local t=$1 dev arg spec
	case "$(target_kind "$t")" in
	uml)
		spec=$(net_guest_if "$t") || return 1
		read -r dev arg <<< "$spec"
		guest "$t" -t 300 -a ipv6.disable=1 -n "$arg" -- \
			"$(net_script "ip addr add $NET_GUEST/24 dev $dev && ip link set $dev up || exit 1" "$NET_GUEST" "$dev" 1)"
		;;
	native)
		ip addr add "$NET_NATIVE/24" dev "$net_if" || return 1
		(cd "$WORK" && native /bin/busybox sh -c "$(net_script "" "$NET_NATIVE" "$net_if" | sed 's|/tmp/iperf3.out|iperf3.out|g')")
		local rc=$?
		ip addr del "$NET_NATIVE/24" dev "$net_if"
		return "$rc"
		;;
	qemu) net_qemu ;;
	*) echo "net: $t is not measured" >&2; return 1 ;;
	esac
}

# net_qemu: one run under QEMU.  Its guest's virtio-net interface sits on
# a tap device, which a bridge joins to the host's veth end for the run,
# so that QEMU's frames take the same veth to the same server.
net_qemu() {
	local rc=0
	net_tap=fuq$$ net_br=fubr$$
	{ ip tuntap add dev "$net_tap" mode tap &&
		ip link add "$net_br" type bridge &&
		ip link set "$net_tap" master "$net_br" &&
		ip link set "$net_if" master "$net_br" &&
		ip link set "$net_tap" up && ip link set "$net_br" up; } ||
		{ echo "net: cannot bridge a tap device to $net_if" >&2; net_qemu_down; return 1; }
	if [ -d /proc/sys/net/ipv6 ]; then
		sysctl -qw "net.ipv6.conf.$net_tap.disable_ipv6=1" "net.ipv6.conf.$net_br.disable_ipv6=1" || true
	fi
	QEMU_RUN_APPEND=ipv6.disable=1 guest qemu -t 300 -n "$net_tap" -- \
		"$(net_script "ip addr add $NET_GUEST/24 dev eth0 && ip link set eth0 up || exit 1" "$NET_GUEST" eth0)" || rc=$?
	net_qemu_down
	return "$rc"
}

# net_qemu_down: take the bridge and the tap of net_qemu away again
net_qemu_down() {
	[ -z "$net_if" ] || ip link set "$net_if" nomaster 2> /dev/null || true
	[ -z "$net_br" ] || ip link del "$net_br" 2> /dev/null || true
	[ -z "$net_tap" ] || ip link del "$net_tap" 2> /dev/null || true
	net_tap='' net_br=''
}

# host system calls per packet: the guest sends N UDP datagrams of 512
# bytes in one burst (one sendmsg() with UDP_SEGMENT), then receives N
# that the host sends with one sendmmsg() (see code/guest/src/udpburst.c).
# Printed: the socket calls that move frames, and their sum.  (The other
# calls whose counts change, ptrace, wait4, timers, come from the guest's
# scheduling and vary from run to run.)
wl_count() {
	local t=$1 dev arg spec dir s
	spec=$(net_guest_if "$t") || return 1
	read -r dev arg <<< "$spec"
	for dir in tx:send rx:recv; do
		syscalls_per_op "$t" 16 48 "ip addr add $NET_GUEST/24 dev $dev && ip link set $dev up &&
			/opt/fastuml/bin/udpburst ${dir#*:} $NET_PEER $NET_BURST_PORT \$N 512" \
			-a ipv6.disable=1 -n "$arg" > "$WORK/c" || return 1
		for s in sendto recvfrom sendmsg recvmsg sendmmsg recvmmsg; do
			echo "$s $(per_op_of "$s" "$WORK/c")"
		done | awk -v o="${dir%%:*}" '{ n += $2; printf "count %s.%s %s calls/op\n", o, $1, $2 }
			END { printf "count %s.socket %.4g calls/op\n", o, n }'
	done
}
