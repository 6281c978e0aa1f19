#!/bin/bash
# The UML runner's contract: the guest command's exit status and output
# come back; a failing command, a hang, a missing image or kernel and a bad
# option each give the documented status and one clear error line, and no
# run leaves a process or a /dev/shm file behind.
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

need_kernels upstream
need_rootfs
run=$S/uml-run
tmp=$(mktemp -d "$BUILD/runner.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# run_case NAME ARGS...: run uml-run, keep stdout, stderr and status
run_case() {
	local name=$1
	shift
	rc=0
	"$run" "$@" > "$tmp/$name.out" 2> "$tmp/$name.err" || rc=$?
	TAP_ERR=$tmp/$name.err
}

run_case ok -- 'echo out-line; echo err-line >&2'
is "$rc" 0 "a succeeding command exits 0"
is "$(cat "$tmp/ok.out")" out-line "its stdout comes back on stdout"
grep -qx err-line "$tmp/ok.err"
ok $? "its stderr comes back on stderr"

run_case fail -- 'exit 7'
is "$rc" 7 "a failing command's exit status comes back (7)"

# shellcheck disable=SC2016  # $HOME must reach the guest unexpanded
run_case argv -- printf '[%s]' 'a b' "it's" '$HOME'
is "$(cat "$tmp/argv.out")" "[a b][it's][\$HOME]" "several arguments reach the guest quoted"

start=$(date +%s)
run_case hang -t 5 -- 'sleep 1000'
is "$rc" 124 "a hanging command times out with status 124"
grep -q 'timeout after 5 s' "$tmp/hang.err"
ok $? "the timeout is reported"
[ $(($(date +%s) - start)) -lt 30 ] && rc=0 || rc=1
ok "$rc" "the timeout is enforced promptly"
is "$(leftovers)" "" "after the timeout no UML process or /dev/shm file is left"

# wait_booted: until a UML of this checkout runs (at most 30 s)
wait_booted() {
	for _ in $(seq 300); do
		pgrep -f "uml_dir=/dev/shm/${SHM_PREFIX}[.]" > /dev/null && return 0
		sleep 0.1
	done
}

# a signal to uml-run while the guest runs: the signal's status, and the
# UML process tree goes with it
"$run" -- 'sleep 1000' > "$tmp/term.out" 2> "$tmp/term.err" &
runpid=$!
wait_booted
sleep 3
kill -TERM "$runpid"
rc=0
wait "$runpid" || rc=$?
is "$rc" 143 "SIGTERM to uml-run while the guest runs: exit status 143"
TAP_ERR=$tmp/term.err
grep -q 'stopped by a signal' "$tmp/term.err"
ok $? "... and it says so"
is "$(leftovers)" "" "after SIGTERM no UML process or /dev/shm file is left"

# the same while the guest creates processes as fast as it can (UML's
# host processes come and go while uml-run looks for them), SIGTERM to
# every uml-run process (pkill -f: the runner and its launcher subshell)
"$run" -- 'while :; do /bin/true; done' > /dev/null 2> "$tmp/busy.err" &
runpid=$!
wait_booted
sleep 3
pkill -TERM -P "$$" -f 'uml-run'
pkill -TERM -P "$runpid"
rc=0
wait "$runpid" || rc=$?
is "$rc" 143 "SIGTERM to the runner and its launcher of a forking guest: exit status 143"
is "$(leftovers)" "" "... and no UML process or /dev/shm file is left"

# a caller killed with SIGKILL, which cannot pass anything on: uml-run
# sees its parent go and kills the guest
bash -c '"$1" -- "sleep 1000"; echo "never here"' sh "$run" > "$tmp/orphan.out" 2> "$tmp/orphan.err" &
callpid=$!
wait_booted
sleep 2
kill -KILL "$callpid"
wait "$callpid" 2> /dev/null || true
for _ in $(seq 100); do
	[ -z "$(leftovers)" ] && break
	sleep 0.1
done
is "$(leftovers)" "" "the caller of uml-run killed: the guest goes too, no /dev/shm file is left"

run_case crash -a 'init=/nonexistent' -- true
is "$rc" 125 "a guest that never reports a status gives 125"
grep -q 'reported no exit status' "$tmp/crash.err"
ok $? "... and says so"

# a kernel that exits at once (UML refuses more than its command-line
# limit of arguments): 125, its log, and nothing left behind
run_case toomany -a "$(seq -f 'x%g' 1 3000 | tr '\n' ' ')" -- true
is "$rc" 125 "a kernel that exits at once gives 125"
grep -q 'Too many command line arguments' "$tmp/toomany.err"
ok $? "... and its log says why"

# name:options:expected message
for c in "noimage:-i $tmp/missing.img true:no guest image at" \
	"nokernel:-k $tmp/missing-linux true:no UML kernel at" \
	"badkernel:-k ch9 true:unknown kernel 'ch9'" \
	"badopt:--frobnicate true:unknown option '--frobnicate'" \
	"novalue:-t:option '-t' needs a value" \
	"badtimeout:-t soon true:timeout 'soon' is not" \
	"nocmd::no guest command given"; do
	IFS=: read -r name opts want <<< "$c"
	# shellcheck disable=SC2086
	run_case "$name" $opts
	is "$rc" 125 "$name: exit status 125"
	is "$(wc -l < "$tmp/$name.err")" 1 "$name: exactly one line on stderr"
	grep -qF "uml-run: error: $want" "$tmp/$name.err"
	ok $? "$name: the line says \"$want\""
done
is "$(leftovers)" "" "no UML process or /dev/shm file is left at the end"
# this lane's job directories only: the other lane runs UML at the same time
is "$(ls -d "$BUILD/run/job${FASTUML_LANE:+-lane$FASTUML_LANE}".* 2> /dev/null)" "" \
	"no job directory is left in build/run"

done_testing
