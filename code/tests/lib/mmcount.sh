# shellcheck shell=bash disable=SC2154  # tmp and S are the caller's
# Host counts of a guest operation's address-space work, shared by
# 52-history-mm.t and 59-ch6-mm.t.  Source after tap.sh; the caller sets
# tmp (a scratch directory).  See 52-history-mm.t for what "stops" and
# "mmaps" count.

# wait4_errors FILE TID: failed wait4 calls of thread TID in a perf summary
wait4_errors() {
	awk -v want="$2" '
		/^ [^ ].* \([0-9]+\), [0-9]+ events/ {
			tid = $0; sub(/.*\(/, "", tid); sub(/\).*/, "", tid)
			next
		}
		tid == want && NF == 8 && $1 == "wait4" { n += $3 }
		END { print n + 0 }
	' "$1"
}

# measure KERNEL NAME GUEST_COMMAND: run it under perf trace and print
# "STOPS MMAPS PTRACE CLONES" (PTRACE and CLONES: the ptrace and clone
# calls of the thread that runs the guest's processes; a clone there
# makes the host process of a new address space); prints "error" (and the reason as diagnostics) if the
# run or the counting failed.  perf trace drops events when the machine is
# too busy to drain its buffers (it writes "LOST n events!" into its
# output) and the counts are then short: such a run is repeated.
measure() {
	local k=$1 perf=$tmp/$1-$2.perf rc try main
	for try in 1 2 3; do
		rc=0
		"$S/uml-run" -k "$k" -p "$perf" -- "$3" > "$tmp/out" 2> "$tmp/err" || rc=$?
		if [ "$rc" -ne 0 ]; then
			diag "$k: '$3' exited $rc" "$(tail -n 5 "$tmp/err")" >&2
			echo error
			return 0
		fi
		grep -q '^LOST [0-9]* events' "$perf" || break
		diag "$k: perf trace lost events during '$3' (try $try of 3)" >&2
		[ "$try" -lt 3 ] || { echo error; return 0; }
	done
	"$S/syscount" -t "$perf" > "$tmp/counts" || { echo error; return 0; }
	main=$(awk '$3 == "ptrace" && $4 > max { max = $4; tid = $1 }
		END { print tid }' "$tmp/counts")
	[ -n "$main" ] || { echo error; return 0; }
	awk -v main="$main" -v werr="$(wait4_errors "$perf" "$main")" '
		$1 == main && $3 == "wait4" { stops += $4 }
		$1 == main && $3 == "kill" { stops -= $4 }
		$1 == main && $3 == "ptrace" { ptrace += $4 }
		$1 == main && ($3 == "clone" || $3 == "clone3") { clones += $4 }
		$1 != main && $3 == "mmap" { mmaps += $4 }
		END { print stops - werr, mmaps + 0, ptrace + 0, clones + 0 }
	' "$tmp/counts"
}
