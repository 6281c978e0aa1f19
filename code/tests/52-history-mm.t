#!/bin/bash
# The signature of chapter 1's old address-space handling (the history
# patch "um: sync user address spaces page by page, as old UML did", after
# Linux 4.4): every page a new program touches comes back to its host
# process through its own host fault and its own stub run with its own
# mmap, and a fork re-maps the pages of the process in stub runs of at most
# 56 host calls (4.4's stub page).  Upstream 6.12 brings the same pages in
# with a few batched stub runs, up to 99 host calls each.
#
# Figures are host syscall counts of the UML process tree (uml-run -p,
# syscount -t) while the guest runs a fixed operation, for two sizes whose
# difference is PAGES pages; everything that does not grow with the size
# (boot, shell, the programs' own system calls) cancels out.  No timing.
#
#   stops: host stops of guest processes that are not timer ticks.  The
#     UML kernel thread (the one that makes the ptrace calls) runs each
#     guest host process and waits for it to stop again: one successful
#     wait4 per stop, whether the stop ends a stub run (PTRACE_CONT to the
#     stub, which traps when its host calls are done), a host page fault
#     (two stops: the SIGSEGV, then the stub's fault handler) or a guest
#     system call.  A timer tick that lands in a guest process adds a stop,
#     but um_timer() first sends that process SIGALRM with kill(), so
#     stops = wait4 calls - failed wait4 (EINTR) - kill calls.
#   mmaps: mmap calls made by every other thread, i.e. by the stubs in the
#     guests' host processes (plus a constant from helper threads).
#
# The operations, each run REPS times by forkexec:
#   exec: fork+exec of pagetouch, which maps P pages with MAP_POPULATE
#         and writes and reads each one;
#   fork: the same, and pagetouch then forks and execs true, so that a
#         process holding P touched pages is copied by a fork.
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=code/tests/lib/mmcount.sh
. "$(dirname "$0")/lib/mmcount.sh"

need_kernels ch1 upstream
need_rootfs
tmp=$(mktemp -d "$BUILD/history-mm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

bin=/opt/fastuml/bin
reps=4 small=256 large=2304
pages=$((reps * (large - small)))
# The counts repeat from boot to boot within a few dozen (two timer signals
# sent before a process runs again make one stop; after a fork, whether
# parent or child runs first moves a page or two), so the lower bounds
# allow pages/32 less than the exact figure, far above what a batched
# design makes (upstream maps about half as many pages).
slack=$((pages / 32))

# Measurements: for each kernel and operation, the difference large - small.
declare -A d_stops d_mmaps
for k in ch1 upstream; do
	for op in exec fork; do
		extra=
		[ "$op" = fork ] && extra=" $bin/true"
		read -r s1 m1 _ < <(measure "$k" "$op-$small" \
			"$bin/forkexec $reps $bin/pagetouch $small$extra")
		read -r s2 m2 _ < <(measure "$k" "$op-$large" \
			"$bin/forkexec $reps $bin/pagetouch $large$extra")
		if [ "$s1" = error ] || [ "$s2" = error ]; then
			ok 1 "$k: the $op operation runs under perf trace"
			d_stops[$k-$op]=0 d_mmaps[$k-$op]=0
			continue
		fi
		ok 0 "$k: the $op operation runs under perf trace"
		d_stops[$k-$op]=$((s2 - s1))
		d_mmaps[$k-$op]=$((m2 - m1))
		diag "$k $op: $pages more pages: +${d_stops[$k-$op]} stops, +${d_mmaps[$k-$op]} mmaps"
	done
done

# ge GOT MIN NAME / lt GOT MAX NAME
ge() {
	local rc=0
	[ "$1" -ge "$2" ] || rc=1
	ok "$rc" "$3"
	[ "$rc" -eq 0 ] || diag "got $1, want at least $2"
}
lt() {
	local rc=0
	[ "$1" -lt "$2" ] || rc=1
	ok "$rc" "$3"
	[ "$rc" -eq 0 ] || diag "got $1, want less than $2"
}

# ch1: the old design.  A page touched after exec: one host fault (two
# stops; pagetouch writes each page before it reads it, so one fault a
# page) and one stub run (one stop) carrying its own mmap: 3 stops a page
# means at least as many stub runs as pages.
ge "${d_mmaps[ch1-exec]}" "$((pages - slack))" \
	"ch1: every page touched after exec gets its own host mmap (no merging)"
ge "${d_stops[ch1-exec]}" $((3 * pages - slack)) \
	"ch1: every page touched after exec costs its own fault and its own stub run (3 stops a page)"
# A fork of a process holding the pages: the parent's eager flush re-maps
# them once fork has write-protected them, and the child re-maps all of
# them before it runs (forced full re-sync).  Pages that are also
# contiguous in the guest's physical memory share one mmap, so how many
# mmaps that takes depends on where the allocator put them; but a stub run
# carries at most 56 host calls, so the stub runs (stops) are at least a
# 56th of the mmaps.  The bound allows pages/256 stops less (the fork and
# exec figures come from different boots); upstream's 99 calls a run falls
# below it whenever the fork makes a few thousand mmaps.
fork_stops=$((${d_stops[ch1-fork]} - ${d_stops[ch1-exec]}))
fork_mmaps=$((${d_mmaps[ch1-fork]} - ${d_mmaps[ch1-exec]}))
ge "$fork_stops" $((fork_mmaps / 56 - pages / 256)) \
	"ch1: a fork re-maps the pages at most 56 host calls a stub run ($fork_mmaps mmaps)"

# upstream: the lazy, batched sync: far fewer round trips than pages.
lt "${d_stops[upstream-exec]}" $((pages / 16)) \
	"upstream: pages touched after exec cost far fewer host stops than pages"
lt "${d_stops[upstream-fork]}" $((pages / 16)) \
	"upstream: a fork of a process holding them costs far fewer host stops than pages"

leftover=$(leftovers)
is "$leftover" "" "no UML process or /dev/shm file is left behind"

done_testing
