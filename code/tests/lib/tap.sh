# shellcheck shell=bash
# A small TAP producer for the fastuml tests (run by prove).
# Source it from a test; it also sources code/scripts/common.sh.

# shellcheck source=code/scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"
S=$FASTUML_ROOT/code/scripts
tap_n=0
tap_failed=0

# ok STATUS NAME: report a result (STATUS 0 = pass).  A failure also
# shows where it was tested (the test's file, line and the code that
# decided it) and, if the test set TAP_ERR to a file that is not empty,
# that file's last lines (the stderr of the command the test ran).
ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
		return 0
	fi
	echo "not ok $tap_n - $2"
	tap_failed=$((tap_failed + 1))
	local i=1 file line
	# the caller of ok, or of is/check when they called it
	case "${FUNCNAME[1]:-}" in is | check) i=2 ;; esac
	file=${BASH_SOURCE[$i]:-} line=${BASH_LINENO[$((i - 1))]:-0}
	if [ -f "$file" ] && [ "$line" -gt 0 ]; then
		diag "at ${file#"$FASTUML_ROOT"/} line $line:"
		sed -n "$((line > 2 ? line - 2 : 1)),${line}p" "$file" | sed 's/^/#     /' >&2
	fi
	if [ -n "${TAP_ERR:-}" ] && [ -s "$TAP_ERR" ]; then
		diag "last lines of ${TAP_ERR#"$FASTUML_ROOT"/}:"
		tail -n 15 "$TAP_ERR" | sed 's/^/# /' >&2
	fi
	return 0
}

# diag TEXT...: print diagnostics (each line prefixed with '# '), on
# stderr as Test::More does, so that prove shows them without -v
diag() {
	printf '%s\n' "$@" | sed 's/^/# /' >&2
}

# check NAME CMD...: run CMD, pass if it exits 0; show its output if not
check() {
	local name=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	ok "$rc" "$name"
	[ "$rc" -eq 0 ] || diag "command: $*" "exit status: $rc" "$out"
	return 0
}

# is GOT WANT NAME: pass if GOT equals WANT
is() {
	local rc=0
	[ "$1" = "$2" ] || rc=1
	ok "$rc" "$3"
	[ "$rc" -eq 0 ] || diag "got:  '$1'" "want: '$2'"
	return 0
}

# bail TEXT: stop the whole run (missing prerequisites)
# near X WANT [SLACK]: X is within SLACK (default 2) of WANT (counts of
# host calls, where a frame that is not the test's, an ARP exchange, may
# fall into one of two runs)
near() {
	local x=$1 want=$2 slack=${3:-2}
	[ "$x" -ge $((want - slack)) ] && [ "$x" -le $((want + slack)) ]
}

bail() {
	echo "Bail out! $*"
	exit 255
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# need_kernels / need_rootfs: build what is missing.  "make test" has
# built every kernel before the tests start, so a kernel whose patches and
# configuration have not changed since is taken as it is (kbuild.sh
# --if-changed), without a make run over its tree.
need_kernels() {
	"$S/kbuild.sh" --if-changed "$@" >&2 || bail "kernel build failed: $*"
}
# distinct_kernels TARGET...: the targets whose kernels differ, the first
# of each set that shares one tree (a chapter without patches of its own
# is a link to the previous chapter's tree: booting it again tests nothing
# new); each printed as "TARGET" or "TARGET=T1,T2" with the targets it
# stands for
distinct_kernels() {
	local t tree
	declare -A seen=() order=()
	local trees=()
	for t in "$@"; do
		tree=$(readlink -f "$BUILD/$t")
		if [ -z "${seen[$tree]:-}" ]; then
			seen[$tree]=$t
			trees+=("$tree")
		else
			order[$tree]="${order[$tree]:+${order[$tree]},}$t"
		fi
	done
	for tree in "${trees[@]}"; do
		echo "${seen[$tree]}${order[$tree]:+=${order[$tree]}}"
	done
}
need_rootfs() {
	[ -f "$BUILD/rootfs.img" ] || "$S/mkrootfs.sh" "$BUILD/rootfs.img" >&2 ||
		bail "guest image build failed"
}
# need_debian: the article's Debian image (make debian-rootfs); its
# script prints the one line that says why it cannot be built (e.g. the
# mirror cannot be reached), and the test stops there
need_debian() {
	"$S/mkdebian.sh" >&2 || bail "the Debian image (make debian-rootfs) could not be built"
}

# processes left in sessions this checkout's UML runs create, and its
# files in /dev/shm
leftovers() {
	pgrep -a -f "uml_dir=/dev/shm/${SHM_PREFIX}[.]" || true
	ls -d /dev/shm/"$SHM_PREFIX".* 2> /dev/null || true
}

# uml_pid JOB: the pid of the UML kernel process that runs job directory
# JOB (uml-run -j JOB); its session holds every host process of that UML
uml_pid() {
	pgrep -o -f "fastuml.job=hostfs:$1( |$)"
}
