#!/bin/bash
# The measurement harness in quick mode: every workload runs on every
# kind of target it supports (chapter 1's kernel, native, QEMU; upstream
# for the net workload, whose driver differs; the syscalls workload on
# chapter 1's kernel) and writes a CSV
# whose rows carry figures and their provenance; make figures' plotter
# turns a CSV into an SVG; bad names give one error line listing the
# valid ones.  Timings are only checked to be numbers, never compared.
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

need_kernels ch1 upstream
need_rootfs
need_debian	# the article workload's guest
tmp=$(mktemp -d "$BUILD/measure-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
measure=$FASTUML_ROOT/code/bench/measure
# every kind of target (a UML kernel, the host, QEMU) runs every timed
# workload; upstream's own path through the harness is its network
# driver (the vector driver), so it runs the net workload only
targets="ch1 native qemu"
mapfile -t workloads < <(find "$FASTUML_ROOT/code/bench/workloads" -name '*.sh' -printf '%f\n' | sed 's/\.sh$//' | sort)

# syscalls, the counts of every other workload, runs on one UML kernel
# and for two cheap workloads: the same code counts on any kernel and for
# any workload, and the signature tests (46, 50-59) check each workload's
# counts on the kernels that matter
timed=$(printf '%s\n' "${workloads[@]}" | grep -vx syscalls | tr '\n' ' ')
# quick TARGETS WORKLOADS: measure -q, its status in rc; the time of
# each workload on each target goes to the TAP output (where this file's
# minutes go)
quick() {
	local t w t0
	rc=0
	for t in $1; do
		for w in $2; do
			t0=$SECONDS
			"$measure" -q -K -c 1 -t "$t" -w "$w" -o "$tmp/out" > "$tmp/log" 2>&1 || rc=$?
			diag "measure -q -t $t -w $w: $((SECONDS - t0)) s"
			[ "$rc" -eq 0 ] || return 0
		done
	done
}
quick "$targets" "$timed"
ok "$rc" "measure -q runs every timed workload on $targets"
[ "$rc" -eq 0 ] || diag "$(tail -n 30 "$tmp/log")"
quick upstream net
ok "$rc" "measure -q runs the net workload on upstream (the vector driver)"
[ "$rc" -eq 0 ] || diag "$(tail -n 30 "$tmp/log")"
SYSCALLS_OF="syscall irq" quick ch1 syscalls
ok "$rc" "measure -q runs the syscalls workload on ch1 (the counts of syscall and irq)"
[ "$rc" -eq 0 ] || diag "$(tail -n 30 "$tmp/log")"
# -i: the targets' runs interleaved, into one CSV with a row set per
# target and QEMU's accelerator still named
rc=0
"$measure" -q -K -i -c 1 -t "$targets" -w exec -o "$tmp/il" > "$tmp/log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] && grep -q 'interleaved' "$tmp/log" &&
	[ "$(awk -F, 'NR > 1 { print $4 }' "$tmp/il/exec.csv" | sort -u | tr '\n' ' ')" = "ch1 native qemu " ] &&
	awk -F, 'NR > 1 && $4 == "qemu" && $10 != "kvm" && $10 != "tcg" { bad = 1 } END { exit bad }' "$tmp/il/exec.csv"
ok $? "measure -i runs the targets interleaved: rows for $targets, QEMU's accel named (status $rc)"
[ "$rc" -eq 0 ] || diag "$(tail -n 30 "$tmp/log")"

for w in "${workloads[@]}"; do
	csv=$tmp/out/$w.csv
	[ -s "$csv" ]
	ok $? "$w: wrote $w.csv"
	kinds=$(sed -n 's/^WL_KINDS="\(.*\)"$/\1/p' "$FASTUML_ROOT/code/bench/workloads/$w.sh")
	wtargets=$targets
	[ "$w" != syscalls ] || wtargets=ch1
	[ "$w" != net ] || wtargets="$targets upstream"
	for t in $wtargets; do
		case "$t" in native | qemu) k=$t ;; *) k=uml ;; esac
		case " $kinds " in *" $k "*) ;; *) continue ;; esac
		# numeric median/min/max with min <= median <= max, and provenance
		bad=$(awk -F, -v t="$t" 'NR > 1 && $4 == t {
			n++
			num = "^-?[0-9.]+(e[-+]?[0-9]+)?$"
			if ($5 !~ num || $6 !~ num || $7 !~ num || $6 + 0 > $5 + 0 || $5 + 0 > $7 + 0) print "figures: " $0
			if ($8 != 1 || $9 == "" || $12 == "" || $13 == "" || $14 !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]$/) print "provenance: " $0
			if (t == "qemu" && $10 != "kvm" && $10 != "tcg") print "accel: " $0
		} END { if (n == 0) print "no rows" }' "$csv")
		is "$bad" "" "$w on $t: rows with figures and provenance"
	done
done

# the exec figures are positive times (a broken run prints zeros or nothing)
pos=$(awk -F, 'NR > 1 && $2 == "forkexec" && $5 > 0' "$tmp/out/exec.csv" | wc -l)
is "$pos" 3 "exec: a positive fork+exec time on every target"

# a quick run never writes over the committed results
is "$(git -C "$FASTUML_ROOT" status --porcelain -- images)" "" "a quick run leaves images/ alone"

rc=0
TAP_ERR=$tmp/err
"$FASTUML_ROOT/code/bench/plot.sh" "$tmp/out/exec.csv" "$tmp/exec.svg" 2> "$tmp/err" || rc=$?
[ "$rc" -eq 0 ] && grep -q '<svg' "$tmp/exec.svg" && grep -q 'forkexec' "$tmp/exec.svg"
ok $? "plot.sh draws the exec results as SVG"
rc=0
"$FASTUML_ROOT/code/bench/plot.sh" --sweep "$tmp/out/net.csv" "$tmp/sweep.svg" 2> "$tmp/err" || rc=$?
[ "$rc" -eq 0 ] && grep -q 'received against offered' "$tmp/sweep.svg" && grep -q "'ch1'\|>ch1<" "$tmp/sweep.svg"
ok $? "plot.sh --sweep draws the net workload's rate sweep as SVG"
# --native: a time's ratio is native over the target (higher is faster),
# checked on a two-row file whose ratio is known (0.25)
rc=0
printf '%s\n' 'workload,metric,unit,target,median,min,max,runs,kernel,accel,pinned,commit,cpu,date' \
	'exec,forkexec,us/op,ch1,400,400,400,1,k,-,0,c,cpu,d' \
	'exec,forkexec,us/op,native,100,100,100,1,k,-,0,c,cpu,d' > "$tmp/ratio.csv"
"$FASTUML_ROOT/code/bench/plot.sh" --native "$tmp/ratio.csv" "$tmp/ratio.svg" 2> "$tmp/err" || rc=$?
[ "$rc" -eq 0 ] && grep -q 'fraction of native' "$tmp/ratio.svg" && grep -q '>0\.25<' "$tmp/ratio.svg"
ok $? "plot.sh --native draws a time as native's over the target's (0.25 here)"
rc=0
grep -v ',native,' "$tmp/ratio.csv" > "$tmp/nonative.csv"
"$FASTUML_ROOT/code/bench/plot.sh" --native "$tmp/nonative.csv" "$tmp/none.svg" 2> "$tmp/err" || rc=$?
[ "$rc" -ne 0 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q 'no metric with a native row' "$tmp/err"
ok $? "plot.sh --native on results without a native row: one error line"
rc=0
"$FASTUML_ROOT/code/bench/plot.sh" --sweep "$tmp/out/exec.csv" "$tmp/none.svg" 2> "$tmp/err" || rc=$?
[ "$rc" -ne 0 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q 'has no rate sweep' "$tmp/err"
ok $? "plot.sh --sweep on results without a sweep: one error line"

rc=0
# --fds: one line per target through the descriptor counts; a target
# measured at one count only (native) is left out
printf '%s\n' 'workload,metric,unit,target,median,min,max,runs,kernel,accel,pinned,commit,cpu,date' \
	'irq,cost.fds1,us/event,ch2,30,29,31,1,k,-,0,c,cpu,d' \
	'irq,cost.fds64,us/event,ch2,50,49,51,1,k,-,0,c,cpu,d' \
	'irq,cost.fds1,us/event,ch3,30,29,31,1,k,-,0,c,cpu,d' \
	'irq,cost.fds64,us/event,ch3,31,30,32,1,k,-,0,c,cpu,d' \
	'irq,cost.fds1,us/event,native,5,5,5,1,k,-,0,c,cpu,d' > "$tmp/fds.csv"
"$FASTUML_ROOT/code/bench/plot.sh" --fds "$tmp/fds.csv" "$tmp/fds.svg" 2> "$tmp/err" || rc=$?
[ "$rc" -eq 0 ] && grep -q 'registered descriptors' "$tmp/fds.svg" && grep -q '>ch3<' "$tmp/fds.svg" &&
	! grep -q '>native<' "$tmp/fds.svg"
ok $? "plot.sh --fds draws a line per target against the descriptor count (status $rc)"
[ "$rc" -eq 0 ] || diag "plot.sh --fds:" "$(cat "$tmp/err")"
rc=0
"$FASTUML_ROOT/code/bench/plot.sh" --fds "$tmp/ratio.csv" "$tmp/none.svg" 2> "$tmp/err" || rc=$?
[ "$rc" -ne 0 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q 'no metrics at several descriptor counts' "$tmp/err"
ok $? "plot.sh --fds on results without descriptor counts: one error line"

# bad input: one line, naming the valid choices, non-zero status
for c in "-w nosuch:unknown workload 'nosuch' (valid: " \
	"-t ch9:unknown target 'ch9' (valid: " \
	"-c 0:chapter '0' is not 1..7"; do
	opt=${c%%:*} want=${c#*:}
	rc=0
	# shellcheck disable=SC2086
	"$measure" -q $opt > /dev/null 2> "$tmp/err" || rc=$?
	[ "$rc" -ne 0 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -qF "$want" "$tmp/err"
	ok $? "measure $opt: one error line ($want...)"
done
# the analysis scripts of chapter 6 check their input the same way
for c in "-t ch9:unknown target 'ch9' (valid: " \
	"-t native:unknown target 'native'" \
	"-n 5:cycle count 5 is too small"; do
	opt=${c%%:*} want=${c#*:}
	rc=0
	# shellcheck disable=SC2086
	"$FASTUML_ROOT/code/bench/profile-exec" $opt -o "$tmp/profile.csv" > /dev/null 2> "$tmp/err" || rc=$?
	[ "$rc" -ne 0 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -qF "$want" "$tmp/err" && [ ! -e "$tmp/profile.csv" ]
	ok $? "profile-exec $opt: one error line ($want...), no CSV"
done
is "$(leftovers)" "" "no UML process or /dev/shm file is left behind"

done_testing
