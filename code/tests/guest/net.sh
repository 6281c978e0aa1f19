# shellcheck shell=sh
# Guest side of the network test.  Interfaces: eth0 (legacy uml_net,
# tuntap), vec0 (vector driver, raw socket on a veth).  For each, ping the
# host end, upload a random file with nc and download one with wget,
# printing "SUM name value" for the host to compare.
exchange() {
	dev=$1 mine=$2 peer=$3 name=$4
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
	nc -w 10 "$peer" 5001 < /tmp/up || echo "FAIL $name-upload"
	# (not wget -T: it crashes in Debian 12's busybox, natively too)
	if timeout 20 wget -q -O /tmp/down "http://$peer:8080/down"; then
		echo "SUM $name-down $(sha256sum < /tmp/down | cut -d' ' -f1)"
	else
		echo "FAIL $name-download"
	fi
}
exchange eth0 198.18.0.2 198.18.0.1 tuntap
exchange vec0 198.18.1.2 198.18.1.1 vector
