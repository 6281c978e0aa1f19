# shellcheck shell=bash disable=SC2034  # the WL_ variables are read by measure
# Workload "irq": the cost of one IRQ event while more and more host fds
# are registered for IRQs and only one of them is busy.
#
# The event source is a serial line (ssl1, /dev/ttyS1 in the guest) on a
# host socket: the host sends one byte, the guest echoes it, and only then
# comes the next byte (code/tools/irqfeed.c on the host,
# code/guest/src/irqpong.c in the guest, which times the rounds).  FDS
# counts the device fds registered beside the always-present ones: the
# busy socket plus FDS - 1 idle fds that nothing ever wakes.
#
# What registers an IRQ fd in the fastuml configuration, and how many:
# - ubd: one pipe to its IO thread, whatever the number of disks;
# - mconsole: one socket;
# - serial lines (ssl0..ssl63) and consoles (con0..con15), once opened in
#   the guest: one fd per channel (input and output may be separate
#   fds).  Each open line takes two IRQ numbers (read and write) from the
#   45 dynamic ones, and con0 takes two, so 21 lines can be open: the busy
#   one and 20 idle ones with two fds each, 41 fds in all;
# - network interfaces while up: uml_net one fd (every interface shares
#   IRQ 3), vector one or two.  The ucast transport needs nothing on the
#   host, so the idle fds past 41 are ucast interfaces.  Each must be
#   named on the kernel command line (4096 bytes): at 128 fds it holds
#   about 3300 bytes here, and 200 do not fit.
# The always-present fds (ubd, mconsole, the console's two) are not
# counted.  Idle lines: input from a pipe that never carries data, output
# to a full pipe; idle interfaces: UDP sockets nothing sends to.
#
# native and qemu run the same exchange with N = 1 only (nothing else
# is registered there): natively irqpong runs on the host, pinned like
# UML, on the socket itself ("fd:N"); QEMU gets the socket as its second
# 16550 serial port (qemu-run -s), /dev/ttyS1 in the guest.  QEMU's UART
# model paces the line at its rate (irqpong sets 115200 baud), and a lone
# byte waits for the receive FIFO's timeout, so QEMU's wall time per
# round is mostly the model's; its CPU time is the figure to compare.
#
# Metrics, for N = 1, 16, 64, 128:
# - us_per_event.fdsN (us/event): the time of one round as the guest
#   sees it, host turnaround included;
# - cpu_us_per_event.fdsN (us/event): the host CPU time that the UML
#   process tree used per round (irqfeed reads the scheduler's per-thread
#   run times before and after the rounds), which, unlike wall time,
#   does not grow while other work on the host keeps UML waiting.
# Counts (wl_count): host calls per event with 1 and 128 fds, from two
# runs of different lengths (boot and shutdown cancel): poll(),
# epoll_wait() and epoll_ctl() always, every other call that comes to
# 0.05 or more per event, and the total.

WL_DESC="IRQ events on a serial line: us per event with 1, 16, 64 and 128 registered fds, one busy"
WL_KINDS="uml native qemu"

IRQ_FDS="1 16 64 128"

# irq_feeder: the host side, built once into $WORK
irq_feeder() {
	if [ ! -x "$WORK/irqfeed" ]; then
		gcc -std=c11 -O2 -Wall -Wextra -Werror -o "$WORK/irqfeed" \
			"$FASTUML_ROOT/code/tools/irqfeed.c" >&2 || {
			echo "irq: error: cannot build code/tools/irqfeed.c" >&2
			return 1
		}
	fi
	echo "$WORK/irqfeed"
}

# irq_pong TARGET FDS ROUNDS [UML-RUN OPTIONS]: one run; prints the
# guest's output ("us_per_round X" among it) and irqfeed's
# ("host_cpu_us_per_round X").  uml-run runs under irqfeed, which owns
# the host fds that UML inherits, so lib.sh's guest() cannot be used.
irq_pong() {
	local t=$1 fds=$2 rounds=$3 feeder
	shift 3
	feeder=$(irq_feeder) || return 1
	"$feeder" -r "$rounds" -n "$fds" -- \
		"$S/uml-run" -k "$(uml_kernel "$t")" "$@" -a @LINES@ -- \
		"irqpong $rounds /dev/ttyS1 @IDLE@"
}

# irq_other TARGET ROUNDS: one run on native or qemu, one busy fd
irq_other() {
	local t=$1 rounds=$2 feeder
	feeder=$(irq_feeder) || return 1
	case "$(target_kind "$t")" in
	native)
		"$feeder" -r "$rounds" -n 1 -- \
			taskset -c "$BENCH_CPU" "$BUILD/guest/bin/irqpong" "$rounds" "fd:@FD@" ;;
	qemu)
		"$feeder" -r "$rounds" -n 1 -- "$S/qemu-run" -t 300 -s @FD@ -- \
			"irqpong $rounds /dev/ttyS1" 2> "$WORK/runner.err" || {
			cat "$WORK/runner.err" >&2
			return 1
		}
		grep '^qemu-run: accel=' "$WORK/runner.err" >> "$WORK/runner.log" || true ;;
	esac
}

wl_run() {
	local t=$1 fds rounds=2000 out us cpu all=$IRQ_FDS
	[ "$QUICK" != 1 ] || rounds=200
	[ "$(target_kind "$t")" = uml ] || all=1
	for fds in $all; do
		if [ "$(target_kind "$t")" = uml ]; then
			out=$(irq_pong "$t" "$fds" "$rounds")
		else
			out=$(irq_other "$t" "$rounds")
		fi || {
			echo "irq: error: $t: the run with $fds fds failed" >&2
			return 1
		}
		us=$(sed -n 's/^us_per_round //p' <<< "$out")
		cpu=$(sed -n 's/^host_cpu_us_per_round //p' <<< "$out")
		if [ -z "$us" ] || [ -z "$cpu" ]; then
			echo "irq: error: $t: no figures in the output of the run with $fds fds" >&2
			return 1
		fi
		echo "metric us_per_event.fds$fds $us us/event"
		echo "metric cpu_us_per_event.fds$fds $cpu us/event"
	done
}

wl_count() {
	local t=$1 fds r1=100 r2=300
	for fds in 1 128; do
		if ! irq_pong "$t" "$fds" "$r1" -p "$WORK/irq.$r1.perf" > /dev/null ||
			! irq_pong "$t" "$fds" "$r2" -p "$WORK/irq.$r2.perf" > /dev/null; then
			echo "irq: error: $t: the counted run with $fds fds failed" >&2
			return 1
		fi
		"$S/syscount" "$WORK/irq.$r1.perf" > "$WORK/irq.$r1.count"
		"$S/syscount" "$WORK/irq.$r2.perf" > "$WORK/irq.$r2.count"
		# every call that the longer run made more often, per event,
		# and the total; the IRQ controller's calls always
		awk -v f="$fds" -v n=$((r2 - r1)) '
			FNR == NR { a[$1] = $2; all -= $2; next }
			{ d = ($2 - a[$1]) / n; all += $2
			  if (d >= 0.05 || $1 ~ /^(poll|epoll_wait|epoll_ctl)$/)
				printf "count %s.fds%s %.2f calls/op\n", $1, f, d }
			END { printf "count all.fds%s %.2f calls/op\n", f, all / n }
		' "$WORK/irq.$r1.count" "$WORK/irq.$r2.count"
		for s in poll epoll_wait epoll_ctl; do
			grep -q "^$s " "$WORK/irq.$r2.count" ||
				echo "count $s.fds$fds 0.00 calls/op"
		done
	done
}
