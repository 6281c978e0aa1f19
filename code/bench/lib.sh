# shellcheck shell=bash
# Functions every workload gets (see code/bench/README.md).  Sourced by
# code/bench/measure after code/scripts/common.sh.

S=$FASTUML_ROOT/code/scripts
QUICK=${QUICK:-0}
WORK=${WORK:-}
# the host CPU every target runs on: UML and QEMU (uml-run and qemu-run
# read FASTUML_CPU) and the native programs alike
BENCH_CPU=${BENCH_CPU:-$FASTUML_CPU}
export FASTUML_CPU=$BENCH_CPU

# target_kind T: uml, native or qemu
target_kind() {
	case "$1" in
	native) echo native ;;
	qemu) echo qemu ;;
	*) echo uml ;;
	esac
}

# uml_kernel T: the UML binary of a uml target
uml_kernel() {
	echo "$BUILD/$1/linux"
}

# guest T [RUNNER OPTIONS] -- CMD: run CMD in T's guest; its output and
# status pass through.  The runner's summary line (boot-to-init=, total=,
# accel=) goes to $WORK/runner.log instead of stderr.
guest() {
	local t=$1 rc=0 summary
	shift
	case "$(target_kind "$t")" in
	uml)
		"$S/uml-run" -k "$(uml_kernel "$t")" "$@" 2> "$WORK/runner.err" || rc=$?
		summary='^uml-run: kernel=' ;;
	qemu)
		"$S/qemu-run" "$@" 2> "$WORK/runner.err" || rc=$?
		summary='^qemu-run: accel=' ;;
	*) echo "guest: $t has no guest" >&2; return 125 ;;
	esac
	grep -v "$summary" "$WORK/runner.err" >&2 || true
	grep "$summary" "$WORK/runner.err" >> "$WORK/runner.log" || true
	return "$rc"
}

# native CMD...: run a host program the way a guest's would be, pinned to
# the CPU the guests use
native() {
	taskset -c "$BENCH_CPU" "$@"
}

# runner_field NAME [LOG]: the last value of NAME=... (boot-to-init, total,
# accel) that a runner printed into LOG (default: the current run's,
# $WORK/runner.log)
runner_field() {
	sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p" "${2:-$WORK/runner.log}" | tail -n 1
}

# syscalls_per_op T N1 N2 CMD [RUNNER OPTIONS]: host system calls per
# guest operation.  CMD runs twice in T's guest under perf trace -s, with
# N=N1 and N=N2 set in the guest; for each system call whose count
# changed, prints "SYSCALL PER_OP" = (count2 - count1) / (N2 - N1).
syscalls_per_op() {
	local t=$1 n1=$2 n2=$3 cmd=$4 n
	shift 4
	[ "$(target_kind "$t")" = uml ] || { echo "syscalls_per_op: $t is not a UML target" >&2; return 1; }
	local try
	for n in "$n1" "$n2"; do
		for try in 1 2 3; do
			guest "$t" "$@" -p "$WORK/perf.$n" -- "N=$n; $cmd" > /dev/null ||
				{ echo "syscalls_per_op: the guest command failed on $t (N=$n)" >&2; return 1; }
			# a trace that lost events is taken again
			! "$S/syscount" "$WORK/perf.$n" > "$WORK/count.$n" 2> "$WORK/count.err" || break
			[ "$try" -lt 3 ] || { cat "$WORK/count.err" >&2; return 1; }
		done
	done
	join -a1 -a2 -e 0 -o 0,1.2,2.2 "$WORK/count.$n1" "$WORK/count.$n2" |
		awk -v d=$((n2 - n1)) '$3 != $2 { printf "%s %.4g\n", $1, ($3 - $2) / d }'
}

# per_op_of SYSCALL FILE: the figure for SYSCALL in syscalls_per_op output (0 if absent)
per_op_of() {
	awk -v s="$1" '$1 == s { v = $2 } END { print v + 0 }' "$2"
}
