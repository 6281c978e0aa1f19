# shellcheck shell=bash
# A small TAP producer for the fastuml tests (run by prove).
# Source it from a test; it also sources code/scripts/common.sh.

# shellcheck source=code/scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"
S=$FASTUML_ROOT/code/scripts
tap_n=0
tap_failed=0

# ok STATUS NAME: report a result (STATUS 0 = pass)
ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

# diag TEXT...: print diagnostics (each line prefixed with '# ')
diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
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
bail() {
	echo "Bail out! $*"
	exit 255
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# need_kernels / need_rootfs: build what is missing (quietly when up to date)
need_kernels() {
	"$S/kbuild.sh" "$@" >&2 || bail "kernel build failed: $*"
}
need_rootfs() {
	[ -f "$BUILD/rootfs.img" ] || "$S/mkrootfs.sh" "$BUILD/rootfs.img" >&2 ||
		bail "guest image build failed"
}

# processes left in sessions this checkout's UML runs create, and its
# files in /dev/shm
leftovers() {
	pgrep -a -f "uml_dir=/dev/shm/$SHM_PREFIX" || true
	ls -d /dev/shm/"$SHM_PREFIX".* 2> /dev/null || true
}
