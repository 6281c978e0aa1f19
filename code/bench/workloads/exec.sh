# shellcheck shell=bash disable=SC2034  # the WL_ variables are read by measure
# exec: what process creation costs, and how much of a file walk it is.
#
#  - forkexec: fork + exec + wait of a small static program, in µs per
#    iteration (code/guest/src/forkexec.c);
#  - forkexec-dyn: the same with Debian's dynamically linked
#    /usr/bin/true (coreutils; in the image with its libraries, and the
#    host's own natively): the loader and libc's start-up, as most real
#    programs have them;
#  - find-exec: "find FIXTURE -type f -exec cat {} \;" over the fixture
#    tree (2048 small files), one exec of cat per file (busybox find
#    runs /proc/self/exe), in seconds;
#  - find-batch: the same walk and the same reads with "-exec cat {} +",
#    which runs cat once for many files: the work without the execs.
# The seed article's question: the two walks differ by the cost of 2048
# execs, which is where UML is slow.
WL_DESC="fork+exec µs/iter; find -exec cat per file vs batched (exec-heavy vs exec-free)"
WL_KINDS="uml native qemu"

exec_iters() { [ "$QUICK" = 1 ] && echo 100 || echo 1000; }
# the tree the walks cover: all of it, or in a quick run one of its 32
# directories (64 files; a quick run's figures are never committed)
exec_tree() { [ "$QUICK" = 1 ] && echo "$1/d00" || echo "$1"; }

# the guest (or host) script; $1 = bin dir, $2 = fixture, $3 = iterations
exec_script() {
	cat << EOF
$1/forkexec $3 $1/true 2>&1 | sed -n 's/.* \\([0-9.]*\\) us\\/iter$/metric forkexec \\1 us\\/op/p'
$1/forkexec $3 /usr/bin/true 2>&1 | sed -n 's/.* \\([0-9.]*\\) us\\/iter$/metric forkexec-dyn \\1 us\\/op/p'
$1/timeit find $2 -type f -exec cat {} \\; 2>&1 > /dev/null | sed -n 's/^timeit: \\([0-9.]*\\) s$/metric find-exec \\1 s/p'
$1/timeit find $2 -type f -exec cat {} + 2>&1 > /dev/null | sed -n 's/^timeit: \\([0-9.]*\\) s$/metric find-batch \\1 s/p'
EOF
}

wl_run() {
	local t=$1 script
	case "$(target_kind "$t")" in
	native)
		# the same static programs, the same busybox (whose sh runs find
		# as an applet, and whose find execs /proc/self/exe for cat)
		script=$(exec_script "$BUILD/guest/bin" "$(exec_tree "$BUILD/guest/fixture")" "$(exec_iters)")
		native /bin/busybox sh -c "$script"
		;;
	*)
		guest "$t" -t 600 -- "$(exec_script /opt/fastuml/bin "$(exec_tree /opt/fastuml/fixture)" "$(exec_iters)")"
		;;
	esac
}

# host system calls per fork+exec and per file of the find walk
wl_count() {
	local t=$1
	local m prog sc
	for m in forkexec:/opt/fastuml/bin/true forkexec-dyn:/usr/bin/true; do
		prog=${m#*:} m=${m%%:*}
		syscalls_per_op "$t" 20 60 "/opt/fastuml/bin/forkexec \$N $prog > /dev/null" > "$WORK/fe"
		awk -v m="$m" '{ s += $2 } END { printf "count %s.all %.4g calls/op\n", m, s }' "$WORK/fe"
		for sc in ptrace wait4 mmap munmap mprotect clone; do
			echo "count $m.$sc $(per_op_of "$sc" "$WORK/fe") calls/op"
		done
	done
}
