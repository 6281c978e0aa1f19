# shellcheck shell=bash disable=SC2034  # the WL_ variables are read by measure
# article: the seed article's experiment, run literally on its kind of
# system: a minimal Debian 12 (make debian-rootfs, code/scripts/mkdebian.sh)
# booted as the guest's root, with Debian's own dynamically linked GNU
# find and /bin/cat.  Each run:
#
#  - to-shell: the guest's /proc/uptime when the job's shell (Debian's
#    dash) runs its first command: kernel start to a shell prompt, on the
#    guest's clock (UML and QEMU);
#  - files: how many regular files the walks cover (/usr: about 4,700);
#  - one untimed walk "find /usr -type f -exec cat {} +" warms the page
#    cache, then three timed walks, each in s and in ms per file:
#      gnu-exec      find /usr -type f -exec cat {} \;   (one exec of the
#                    dynamic /usr/bin/cat per file: the article's command)
#      busybox-exec  busybox find /usr -type f -exec cat {} \;  (Debian's
#                    busybox-static prefers its applets: its find forks and
#                    execs /proc/self/exe, a static binary, per file)
#      gnu-batch     find /usr -type f -exec cat {} +   (cat once per many
#                    files: the same reads without the per-file execs);
#  - *-forks: the guest's process creations per file in each walk, from
#    /proc/stat's "processes" (guests only: on the host it counts every
#    process of the machine).
# native runs the same script in a chroot of the image's tree on the
# host, pinned to the benchmark CPU like the guests.
#
# The deterministic twin (wl_count, UML): which programs each walk
# actually execs, per file (Debian's strace in the guest, over the
# smaller tree /usr/share/doc), and the host system calls and wait4()
# stops of UML per fork+exec of the dynamic /bin/cat and of the static
# /bin/busybox (as "busybox true").
WL_DESC="the article's experiment on a minimal Debian: GNU and busybox find -exec cat per file vs batched; boot to a shell"
WL_KINDS="uml native qemu"
# each run warms the page cache itself: no warm-up run
WL_WARMUP=0

DEBIAN_IMG=$BUILD/debian.img
DEBIAN_ROOT=$BUILD/debian/root

# the tree the timed walks cover; a quick run walks a small directory
# (33 files; a quick run's figures are never committed)
article_tree() { [ "$QUICK" = 1 ] && echo /usr/share/lintian || echo /usr; }
# the tree the exec census covers (under strace: slower)
census_tree() { [ "$QUICK" = 1 ] && echo /usr/share/lintian || echo /usr/share/doc; }

wl_setup() {
	"$S/mkdebian.sh" "$DEBIAN_IMG" >&2 || return 1
}

# the script, run by Debian's /bin/sh (dash); $1 = the tree, $2 = 1 to
# report fork counts.  root's PATH as Debian sets it: GNU find's execvp
# of "cat" looks where it would on the article's system.
article_script() {
	cat << 'EOF'
read -r up _ < /proc/uptime
echo "metric to-shell $up s"
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
tree=$1 forks=$2
procs() {
	while read -r k v; do
		[ "$k" != processes ] || { echo "$v"; return; }
	done < /proc/stat
}
files=$(find "$tree" -type f | wc -l)
echo "metric files $files files"
# book: begin warm
find "$tree" -type f -exec cat {} + > /dev/null
# book: end warm
walk() {
	name=$1
	shift
	p0=$(procs)
	/opt/fastuml/bin/timeit "$@" > /dev/null 2> /tmp/walk.err || {
		echo "article: $name failed:" >&2; cat /tmp/walk.err >&2; exit 1; }
	p1=$(procs)
	s=$(sed -n 's/^timeit: \([0-9.]*\) s$/\1/p' /tmp/walk.err)
	echo "metric $name $s s"
	awk -v n="$name" -v s="$s" -v f="$files" 'BEGIN { printf "metric %s-per-file %.4f ms/file\n", n, s * 1000 / f }'
	# p1 - p0 counts the shell's fork of timeit and timeit's of find, and
	# the command substitution that read p1
	[ "$forks" = 0 ] || awk -v n="$name" -v d=$((p1 - p0 - 3)) -v f="$files" \
		'BEGIN { printf "metric %s-forks %.4f forks/file\n", n, d / f }'
}
# book: begin walks
walk gnu-exec find "$tree" -type f -exec cat {} \;
walk busybox-exec busybox find "$tree" -type f -exec cat {} \;
walk gnu-batch find "$tree" -type f -exec cat {} +
# book: end walks
EOF
}

# a guest command line: the script with its arguments
article_cmd() {
	printf "sh -c '%s' article %s %s" "$(article_script | sed "s/'/'\\\\''/g")" "$1" "$2"
}

wl_run() {
	local t=$1 t0 t1
	case "$(target_kind "$t")" in
	native)
		# the same tree, with /proc (busybox find's /proc/self/exe) in a
		# private mount namespace, so nothing stays mounted
		# shellcheck disable=SC2016  # expanded by that sh
		native unshare --mount --propagation private /bin/sh -c \
			'mount -t proc proc "$1/proc" && exec chroot "$1" /bin/sh -c "$2" article "$3" 0' \
			sh "$DEBIAN_ROOT" "$(article_script)" "$(article_tree)" |
			grep -v '^metric to-shell '
		;;
	*)
		guest "$t" -i "$DEBIAN_IMG" -t 3000 -- "$(article_cmd "$(article_tree)" 1)"
		# a whole run of "true" on the Debian image, host wall clock:
		# start, boot, the shell, power-off and the runner's clean-up
		t0=$(date +%s.%N)
		guest "$t" -i "$DEBIAN_IMG" -t 300 -- true
		t1=$(date +%s.%N)
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "metric run-true %.4f s\n", b - a }'
		;;
	esac
}

# census_script TREE: which programs each walk execs (successful execve
# calls, by path, from strace -f), as "count census.WALK.PROG PER_FILE execs/file"
census_script() {
	cat << EOF
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
tree=$1
files=\$(find "\$tree" -type f | wc -l)
census() {
	name=\$1
	shift
	/opt/fastuml/bin/strace -f -qq -e trace=execve -e signal=none -o /tmp/census "\$@" > /dev/null || exit 1
	# the first exec is the walk's own find; the rest are its children's
	awk -v n="\$name" -v f="\$files" '
		/execve\\(/ && / = 0\$/ {
			if (!first++) next
			p = \$0; sub(/^[^"]*"/, "", p); sub(/".*/, "", p)
			c[p]++
		}
		END {
			printf "count census.%s.files %d files\\n", n, f
			for (p in c) { q = p; sub(/^\\//, "", q); gsub(/[^a-z0-9]+/, "_", q); printf "count census.%s.%s %.4f execs/file\\n", n, q, c[p] / f }
		}' /tmp/census
}
census gnu-exec find "\$tree" -type f -exec cat {} \\;
census busybox-exec busybox find "\$tree" -type f -exec cat {} \\;
census gnu-batch find "\$tree" -type f -exec cat {} +
EOF
}

wl_count() {
	local t=$1 sc m
	guest "$t" -i "$DEBIAN_IMG" -t 3000 -- "$(census_script "$(census_tree)")" |
		grep '^count ' | sort
	# the exec of each walk on its own: Debian's dynamic cat (GNU find's),
	# and the static busybox running an applet (busybox find's)
	for m in "cat:/bin/cat" "busybox:/bin/busybox true"; do
		syscalls_per_op "$t" 20 60 "/opt/fastuml/bin/forkexec \$N ${m#*:} > /dev/null" -i "$DEBIAN_IMG" > "$WORK/fe"
		awk -v m="${m%%:*}" '{ s += $2 } END { printf "count forkexec-%s.all %.4g calls/op\n", m, s }' "$WORK/fe"
		for sc in ptrace wait4; do
			echo "count forkexec-${m%%:*}.$sc $(per_op_of "$sc" "$WORK/fe") calls/op"
		done
	done
}
