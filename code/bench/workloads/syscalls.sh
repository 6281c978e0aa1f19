# shellcheck shell=bash disable=SC2034  # the WL_ variables are read by measure
# syscalls: the deterministic twin of the timed workloads.  For every
# workload that defines wl_count, the host system calls the UML process
# tree makes per guest operation (perf trace -s, two sizes subtracted so
# that boot and shutdown cancel out).  Counts hardly vary from run to
# run, so one run is enough.
WL_DESC="host system calls per guest operation, for every workload that has a count"
WL_KINDS="uml"
WL_RUNS=1
# SYSCALLS_OF="block exec" limits it to those workloads (default: all)
SYSCALLS_OF=${SYSCALLS_OF:-}

wl_run() {
	local t=$1 f w
	for f in "$FASTUML_ROOT"/code/bench/workloads/*.sh; do
		w=$(basename "$f" .sh)
		[ "$w" != syscalls ] || continue
		[ -z "$SYSCALLS_OF" ] || case " $SYSCALLS_OF " in *" $w "*) ;; *) continue ;; esac
		grep -q '^wl_count()' "$f" || continue
		(
			unset -f wl_setup wl_teardown wl_count
			# shellcheck source=/dev/null
			. "$f"
			case " $WL_KINDS " in *" uml "*) ;; *) exit 0 ;; esac
			if declare -F wl_teardown > /dev/null; then
				trap wl_teardown EXIT
			fi
			if declare -F wl_setup > /dev/null; then
				wl_setup
			fi
			wl_count "$t" | awk -v w="$w" '$1 == "count" { print "metric", w "." $2, $3, $4 }'
		) || { echo "syscalls: counting $w on $t failed" >&2; return 1; }
	done
}
