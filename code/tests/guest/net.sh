# shellcheck shell=sh
# Guest side of the network test: "exchange DEV MINE PEER NAME [UP DOWN]"
# pings the host end PEER of interface DEV, uploads a random file with nc
# (to TCP port UP, default 5001) and downloads one with wget (from HTTP
# port DOWN, default 8080), printing "SUM name value" for the host to
# compare.  The host appends the exchange lines for the interfaces of a run.
exchange() {
	dev=$1 mine=$2 peer=$3 name=$4 up=${5:-5001} down=${6:-8080}
	if ! { ip addr add "$mine/24" dev "$dev" && ip link set "$dev" up; }; then
		echo "FAIL $name-config"
		return
	fi
	if ping -c 3 -W 5 "$peer" > /tmp/ping 2>&1; then
		echo "PASS $name-ping"
	else
		echo "FAIL $name-ping: $(tail -n 2 /tmp/ping)"
	fi
	head -c 1048576 /dev/urandom > /tmp/up
	echo "SUM $name-up $(sha256sum < /tmp/up | cut -d' ' -f1)"
	nc -w 10 "$peer" "$up" < /tmp/up || echo "FAIL $name-upload"
	# (not wget -T: it crashes in Debian 12's busybox, natively too)
	if timeout 20 wget -q -O /tmp/down "http://$peer:$down/down"; then
		echo "SUM $name-down $(sha256sum < /tmp/down | cut -d' ' -f1)"
	else
		echo "FAIL $name-download"
	fi
}
