#!/bin/bash
# The QEMU comparison runner boots the same guest image with a Debian
# kernel, returns the guest command's output and status, names the
# accelerator it used (KVM only where a probe boot works, else TCG), and
# fails cleanly on a timeout or a missing image.
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

need_rootfs
"$S/qemu-kernel.sh" >&2 || bail "cannot fetch the QEMU guest kernel"
run=$S/qemu-run
tmp=$(mktemp -d)
TAP_ERR=$tmp/err
trap 'rm -rf "$tmp"' EXIT
# qemu-run keeps its files under $TMPDIR: here, so that the test can tell
# its own QEMU processes from any others on the machine
export TMPDIR=$tmp

rc=0
"$run" -t 300 -- 'uname -r; /opt/fastuml/bin/forkexec 20 /opt/fastuml/bin/true; exit 3' \
	> "$tmp/out" 2> "$tmp/err" || rc=$?
is "$rc" 3 "the guest command's exit status comes back (3)"
[ "$rc" -eq 3 ] || diag "$(tail -n 20 "$tmp/err")"
grep -qx "$(cat "$BUILD/qemu/kernel-release")" "$tmp/out"
ok $? "the guest runs the Debian kernel ($(cat "$BUILD/qemu/kernel-release" 2> /dev/null))"
grep -q '^forkexec: 20 iterations' "$tmp/out"
ok $? "the project's guest programs run under QEMU"
accel=$(sed -n 's/^qemu-run: accel=\([a-z]*\) .*/\1/p' "$tmp/err")
case "$accel" in kvm | tcg) rc=0 ;; *) rc=1 ;; esac
ok "$rc" "the result names its accelerator ($accel)"

rc=0
"$run" -t 5 -- 'sleep 1000' > /dev/null 2> "$tmp/err" || rc=$?
is "$rc" 124 "a hanging guest times out with status 124"
is "$(pgrep -c -f "qemu-system-x86_64 .*$tmp/")" 0 "no QEMU process is left after the timeout"

rc=0
"$run" -n fastuml-no-such-tap true > /dev/null 2> "$tmp/err" || rc=$?
is "$rc" 125 "a missing tap device gives 125"
grep -q 'no tap device fastuml-no-such-tap' "$tmp/err"
ok $? "... and names it"

rc=0
"$run" -s 99 true > /dev/null 2> "$tmp/err" || rc=$?
is "$rc" 125 "-s with an fd that is not an inherited socket gives 125"
is "$(grep -c 'not an inherited socket fd' "$tmp/err") $(wc -l < "$tmp/err")" "1 1" \
	"... with one error line that says so"

# a second serial port on a host socket: bytes the host sends come back
# from the guest's /dev/ttyS1 (irqfeed checks every echo)
gcc -std=c11 -Wall -Wextra -Werror -O2 -o "$tmp/irqfeed" \
	"$FASTUML_ROOT/code/tools/irqfeed.c" || bail "cannot build irqfeed"
rc=0
"$tmp/irqfeed" -r 20 -n 1 -- "$run" -t 120 -s @FD@ -- "irqpong 20 /dev/ttyS1" \
	> "$tmp/out" 2> "$tmp/err" || rc=$?
ok "$rc" "-s FD: 20 bytes echoed through the guest's /dev/ttyS1"
[ "$rc" -eq 0 ] || diag "$(tail -n 5 "$tmp/err")"

rc=0
"$run" -i "$tmp/missing.img" true > /dev/null 2> "$tmp/err" || rc=$?
is "$rc" 125 "a missing image gives 125"
is "$(wc -l < "$tmp/err")" 1 "... with one error line"

done_testing
