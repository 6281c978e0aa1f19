#!/bin/bash
# shellcheck disable=SC2016  # the guest command expands in the guest
# A guest cannot make UML leak host processes or /dev/shm files.  On the
# newest chapter's kernel and on upstream, one boot each runs, in turn:
#  - a fork bomb that a process limit stops (forkbomb 64 2: user nobody,
#    RLIMIT_NPROC 64, every process forking for 2 s, then all killed);
#  - 5000 short processes (forkexec 5000 true; 1000 on upstream, where a
#    fork+exec costs several times as much, to keep the suite's time);
#  - an out-of-memory kill (memhog, oom_score_adj 1000, killed by the
#    guest's OOM killer with SIGKILL).
# After a warm-up, and after each of the three, the guest leaves a mark in
# its job directory and waits; the host then counts the processes of the
# UML session and the files under its /dev/shm directory, which must come
# back (within 10 s) to what they were after the warm-up.  ch6 keeps up
# to four host processes of dead address spaces for reuse: before each
# mark six processes end together, which fills that pool.
# lane: 2
# (run-tests: beside lane 1's tests, on the last CPU, its UML runs pinned
# there; it times nothing, so sharing the machine changes no result.)
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

KERNELS="ch7 upstream"
# forks_of KERNEL: the short processes it runs
forks_of() {
	case "$1" in upstream) echo 1000 ;; *) echo 5000 ;; esac
}
# shellcheck disable=SC2086
need_kernels $KERNELS
need_rootfs
src=$FASTUML_ROOT/code/guest/src
if [ ! -x "$BUILD/guest/bin/forkbomb" ] || [ ! -x "$BUILD/guest/bin/memhog" ] ||
	[ -n "$(find "$src" -newer "$BUILD/rootfs.img" -print -quit)" ]; then
	"$S/mkrootfs.sh" "$BUILD/rootfs.img" >&2 || bail "guest image build failed"
fi
tmp=$(mktemp -d "$BUILD/hostile.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

guest='mark() {
	# six processes that end together: ch6 parks the host processes of
	# dead address spaces (up to four), so the pool is full at every mark
	for i in 1 2 3 4 5 6; do sleep 0.1 & done
	wait
	: > "/mnt/job/mark.$1"
	while [ ! -e "/mnt/job/ack.$1" ]; do :; done
}
forkexec 50 /opt/fastuml/bin/true > /dev/null || exit 1
mark warm
forkbomb 64 2 || exit 1
mark bomb
forkexec "$1" /opt/fastuml/bin/true || exit 1
mark many
rc=0
memhog > /dev/null || rc=$?
echo "memhog exit $rc"
echo "oom kills $(dmesg | grep -c "Killed process [0-9]* (memhog)")"
mark oom'
MARKS="warm bomb many oom"

# counts SID SHM: "processes files" of UML's session and /dev/shm directory
counts() {
	echo "$(pgrep -c -s "$1") $(find "$2" -mindepth 1 | wc -l)"
}

# settle SID SHM [WANT]: the counts once they hold still (two samples
# 0.5 s apart agree), or once they equal WANT; after 10 s, whatever they
# are (a host process of a dead address space may go a moment after the
# guest's process: the OOM killer's hold on the memory is dropped late)
settle() {
	local now last='' i
	for i in $(seq 20); do
		now=$(counts "$1" "$2")
		if [ -n "${3:-}" ]; then
			[ "$now" != "$3" ] || break
		else
			[ "$now" != "$last" ] || break
		fi
		last=$now
		sleep 0.5
	done
	echo "$now"
}

for t in $KERNELS; do
	job=$tmp/job-$t
	rm -rf "$job"
	mkdir -p "$job"
	forks=$(forks_of "$t")
	"$S/uml-run" -k "$t" -t 300 -j "$job" -- sh -c "$guest" guest "$forks" > "$tmp/out" 2> "$tmp/err" &
	runner=$!
	declare -A at=()
	sid='' shm=''
	for m in $MARKS; do
		while [ ! -e "$job/mark.$m" ] && kill -0 "$runner" 2> /dev/null; do
			sleep 0.05
		done
		[ -e "$job/mark.$m" ] || break
		if [ -z "$sid" ]; then
			p=$(uml_pid "$job") &&
				sid=$(ps -o sid= -p "$p" | tr -d ' ') &&
				shm=$(tr '\0' '\n' < "/proc/$p/cmdline" | sed -n 's/^uml_dir=//p')
		fi
		at[$m]=$(settle "$sid" "$shm" "${at[warm]:-}")
		: > "$job/ack.$m"
	done
	rc=0
	wait "$runner" || rc=$?
	ok "$rc" "$t: the guest's bomb, $forks processes and OOM kill run, and the guest exits 0"
	[ "$rc" -eq 0 ] || diag "$(tail -n 5 "$tmp/out" "$tmp/err")"
	grep -q '^forkbomb: .* refused, none left$' "$tmp/out" && r=0 || r=1
	ok "$r" "$t: the fork bomb hit its process limit and was cleaned up ($(grep '^forkbomb' "$tmp/out"))"
	is "$(sed -n 's/^memhog exit //p' "$tmp/out")" 137 "$t: memhog was killed with SIGKILL"
	is "$(sed -n 's/^oom kills //p' "$tmp/out")" 1 "$t: by the OOM killer, once"
	diag "$t: host processes and /dev/shm files of the UML session: $(for m in $MARKS; do printf '%s %s; ' "$m" "${at[$m]:-?}"; done)"
	for m in bomb many oom; do
		is "${at[$m]:-none}" "${at[warm]:-none}" "$t: after the $m, as many host processes and /dev/shm files as before"
	done
	unset at
done
is "$(leftovers)" "" "no UML process or /dev/shm file is left behind"

done_testing
