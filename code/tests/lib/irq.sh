# shellcheck shell=bash
# Helpers of the IRQ signature tests: a fixed number of IRQ events on a
# serial line, counted.  The host sends bytes one at a time and the guest
# echoes each one back before the next is sent (code/tools/irqfeed.c,
# code/guest/src/irqpong.c).  Host system calls of the UML process tree
# are counted for two numbers of events; the difference, divided by the
# difference of the numbers, is the cost per event (boot and shutdown
# cancel out).  Source after tap.sh; needs need_rootfs and perf.

IRQ_K1=100 IRQ_K2=300
irq_tmp=$(mktemp -d "$BUILD/irq.XXXXXX")
trap 'rm -rf "$irq_tmp"' EXIT
gcc -std=c11 -Wall -Wextra -Werror -O2 -o "$irq_tmp/irqfeed" \
	"$FASTUML_ROOT/code/tools/irqfeed.c" || bail "cannot build irqfeed"

# irq_pong TARGET FDS ROUNDS: ROUNDS events on TARGET's kernel with FDS
# registered device fds (the busy line's socket and FDS - 1 idle ones)
# under perf trace; leaves $irq_tmp/TARGET.FDS.ROUNDS.{out,err,perf,count};
# fails when the run fails
irq_pong() {
	local k=$1 fds=$2 r=$3 base=$irq_tmp/$1.$2.$3
	"$irq_tmp/irqfeed" -r "$r" -n "$fds" -- \
		"$S/uml-run" -k "$k" -t 120 -p "$base.perf" -a @LINES@ -- \
		"irqpong $r /dev/ttyS1 @IDLE@ && grep -E ' ssl(-write)?\$' /proc/interrupts" \
		> "$base.out" 2> "$base.err" || return 1
	"$S/syscount" "$base.perf" > "$base.count"
}

# irq_runs TARGET FDS: the two counted runs, each as two TAP results (it
# ran; the guest took one serial-line read IRQ per byte, counted as
# "ssl" while the idle lines' stay at 0)
irq_runs() {
	local k=$1 fds=$2 r rc irqs
	for r in $IRQ_K1 $IRQ_K2; do
		rc=0
		irq_pong "$k" "$fds" "$r" || rc=1
		ok "$rc" "$k: $r serial-line events with $fds fds run (irqfeed and uml-run exit 0)"
		[ "$rc" -eq 0 ] || diag "$(tail -n 20 "$irq_tmp/$k.$fds.$r.err")"
		irqs=$(awk '$NF == "ssl" { n += $2 } END { print n + 0 }' "$irq_tmp/$k.$fds.$r.out")
		is "$irqs" "$r" "$k: the guest took $r serial-line read IRQs with $fds fds"
	done
}

# irq_calls TARGET FDS ROUNDS SYSCALL: how many times the UML tree made SYSCALL
irq_calls() {
	awk -v s="$4" '$1 == s { n = $2 } END { print n + 0 }' "$irq_tmp/$1.$2.$3.count"
}

# irq_per_event TARGET FDS SYSCALL: calls per event, from the two runs (2 decimals)
irq_per_event() {
	awk -v a="$(irq_calls "$1" "$2" $IRQ_K1 "$3")" -v b="$(irq_calls "$1" "$2" $IRQ_K2 "$3")" \
		-v n=$((IRQ_K2 - IRQ_K1)) 'BEGIN { printf "%.2f\n", (b - a) / n }'
}

# in_range VALUE MIN MAX: MIN <= VALUE <= MAX
in_range() {
	awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'
}
