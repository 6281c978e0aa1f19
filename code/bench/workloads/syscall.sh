# shellcheck shell=bash disable=SC2034  # the WL_ variables are read by measure
# syscall: what one system call costs a guest program.
#
# busybox dd copies /dev/zero to /dev/null one byte at a time: every block
# is one read() and one write(), so N blocks are 2N system calls and
# hardly anything else.  Under UML each of them is a ptrace stop of the
# guest's host process and a trip through the UML kernel process.
WL_DESC="one guest system call: dd bs=1 from /dev/zero to /dev/null, µs per call"
WL_KINDS="uml native qemu"

syscall_blocks() { [ "$QUICK" = 1 ] && echo 20000 || echo 200000; }

# syscall_script TIMEIT: the command, printing the metric line
# book: begin script
syscall_script() {
	cat << SCRIPT
$1 dd if=/dev/zero of=/dev/null bs=1 count=$(syscall_blocks) 2>&1 > /dev/null |
	awk -v n=$(syscall_blocks) '/^timeit: / { printf "metric syscall %.3f us/op\\n", \$2 * 1e6 / (2 * n) }'
SCRIPT
}
# book: end script

wl_run() {
	local t=$1
	case "$(target_kind "$t")" in
	native) native /bin/busybox sh -c "$(syscall_script "$BUILD/guest/bin/timeit")" ;;
	*) guest "$t" -t 300 -- "$(syscall_script /opt/fastuml/bin/timeit)" ;;
	esac
}

# host system calls per guest system call (per dd block: two)
wl_count() {
	local t=$1 sc
	# shellcheck disable=SC2016  # $N expands in the guest
	syscalls_per_op "$t" 2000 10000 'dd if=/dev/zero of=/dev/null bs=1 count=$N 2> /dev/null' > "$WORK/sc"
	awk '{ s += $2 } END { printf "count syscall.all %.4g calls/op\n", s / 2 }' "$WORK/sc"
	for sc in ptrace wait4; do
		echo "count syscall.$sc $(awk -v v="$(per_op_of "$sc" "$WORK/sc")" 'BEGIN { printf "%.4g", v / 2 }') calls/op"
	done
}
