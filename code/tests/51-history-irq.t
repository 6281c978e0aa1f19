#!/bin/bash
# The signature of chapter 1's IRQ controller, which re-creates UML's old
# poll() design: on SIGIO, poll() over every registered fd, no epoll.
# The guest takes a fixed number of IRQ events: the host sends bytes on
# a serial line one at a time, and the guest echoes each one back before
# the next is sent (code/tools/irqfeed.c, code/guest/src/irqpong.c).
# Host system calls of the UML process tree are counted for two numbers
# of events; the difference, divided by the difference of the numbers,
# is the cost per event (boot and shutdown cancel out).
#   ch1:      poll() grows with the events, about one or two per event;
#             no epoll_wait() or epoll_ctl() at all.
#   upstream: epoll_wait() per event, no poll() on the event path.
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

need_kernels ch1 upstream
need_rootfs
command -v perf > /dev/null || bail "perf is missing (make deps)"
tmp=$(mktemp -d "$BUILD/irq.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
gcc -std=c11 -Wall -Wextra -Werror -O2 -o "$tmp/irqfeed" \
	"$FASTUML_ROOT/code/tools/irqfeed.c" || bail "cannot build irqfeed"

K1=100 K2=300
FDS=9	# the busy line's socket and eight idle fds on four more lines

# pong KERNEL ROUNDS: ROUNDS events on KERNEL under perf trace; leaves
# $tmp/KERNEL.ROUNDS.{out,err,perf,count}; fails when the run fails
pong() {
	local k=$1 r=$2 base=$tmp/$1.$2
	"$tmp/irqfeed" -r "$r" -n "$FDS" -- \
		"$S/uml-run" -k "$k" -t 120 -p "$base.perf" -a @LINES@ -- \
		"irqpong $r /dev/ttyS1 @IDLE@ && grep -E ' ssl(-write)?\$' /proc/interrupts" \
		> "$base.out" 2> "$base.err" || return 1
	"$S/syscount" "$base.perf" > "$base.count"
}

# calls KERNEL ROUNDS SYSCALL: how many times the UML tree made SYSCALL
calls() {
	awk -v s="$3" '$1 == s { n = $2 } END { print n + 0 }' "$tmp/$1.$2.count"
}

# per_event KERNEL SYSCALL: calls per event, from the two runs (2 decimals)
per_event() {
	awk -v a="$(calls "$1" $K1 "$2")" -v b="$(calls "$1" $K2 "$2")" \
		-v n=$((K2 - K1)) 'BEGIN { printf "%.2f\n", (b - a) / n }'
}

# in_range VALUE MIN MAX: MIN <= VALUE <= MAX
in_range() {
	awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'
}

for k in ch1 upstream; do
	for r in $K1 $K2; do
		rc=0
		pong "$k" "$r" || rc=1
		ok "$rc" "$k: $r serial-line events run (irqfeed and uml-run exit 0)"
		[ "$rc" -eq 0 ] || diag "$(tail -n 20 "$tmp/$k.$r.err")"
		# one read IRQ per byte on the busy line (its IRQ counts as
		# "ssl", the idle lines' stay at 0)
		irqs=$(awk '$NF == "ssl" { n += $2 } END { print n + 0 }' "$tmp/$k.$r.out")
		is "$irqs" "$r" "$k: the guest took $r serial-line read IRQs"
	done
done

poll_ch1=$(per_event ch1 poll)
diag "per event: ch1 poll $poll_ch1, epoll_wait $(per_event ch1 epoll_wait);" \
	"upstream poll $(per_event upstream poll), epoll_wait $(per_event upstream epoll_wait)"

in_range "$poll_ch1" 1 4
ok $? "ch1: poll() calls grow with the events, 1 to 4 per event (got $poll_ch1)"
for s in epoll_wait epoll_ctl epoll_create epoll_create1; do
	is "$(calls ch1 $K1 "$s") $(calls ch1 $K2 "$s")" "0 0" "ch1: no $s() at all"
done

ep_up=$(per_event upstream epoll_wait)
in_range "$ep_up" 1 4
ok $? "upstream: epoll_wait() calls grow with the events, 1 to 4 per event (got $ep_up)"
poll_up=$(per_event upstream poll)
in_range "$poll_up" -0.5 0.5
ok $? "upstream: no poll() per event (got $poll_up per event)"

is "$(leftovers)" "" "no UML process or /dev/shm file is left behind"

done_testing
