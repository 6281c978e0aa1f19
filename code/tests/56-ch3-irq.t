#!/bin/bash
# Chapter 3's IRQ controller: one host epoll set, one epoll_wait() per
# SIGIO.  The guest takes a fixed number of IRQ events on a serial line
# (see lib/irq.sh) with 9 and with 41 registered device fds (the busy
# line's socket and 8 or 40 idle fds on more serial lines).
#   ch2 (chapter 1's poll() design): poll() per event, no epoll at all;
#   ch3:      exactly one epoll_wait() per event, whatever the number of
#             fds, and no poll(); every byte echoed, one read IRQ each;
#   upstream: two epoll_wait() per event (it asks until nothing is left).
# And input after a throttle: the guest lets 128 KiB wait on the line
# (the tty throttles it), reads them, then asks for 4 KiB more.  Upstream
# removes the line's read IRQ when the tty throttles it and never brings
# it back, so the 4 KiB never come; chapter 3 (patch 0013) gets them.
# And more fds ready at once (24) than one epoll_wait() takes (16): on
# ch3 and upstream, every one is served.
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

need_kernels ch2 ch3 upstream
need_rootfs
command -v perf > /dev/null || bail "perf is missing (make deps)"
# shellcheck source=code/tests/lib/irq.sh
. "$(dirname "$0")/lib/irq.sh"

irq_runs ch2 9
for fds in 9 41; do
	irq_runs ch3 $fds
done
irq_runs upstream 9

diag "epoll_wait per event: ch2 $(irq_per_event ch2 9 epoll_wait)," \
	"ch3 $(irq_per_event ch3 9 epoll_wait) (9 fds) $(irq_per_event ch3 41 epoll_wait) (41 fds)," \
	"upstream $(irq_per_event upstream 9 epoll_wait)"

poll_ch2=$(irq_per_event ch2 9 poll)
in_range "$poll_ch2" 1 4
ok $? "ch2: poll() per event, the chapter 1 design (got $poll_ch2)"
is "$(irq_calls ch2 9 $IRQ_K2 epoll_wait)" 0 "ch2: no epoll_wait() at all"

for fds in 9 41; do
	ep=$(irq_per_event ch3 $fds epoll_wait)
	in_range "$ep" 0.95 1.05
	ok $? "ch3: one epoll_wait() per event with $fds fds (got $ep)"
	p=$(irq_per_event ch3 $fds poll)
	in_range "$p" -0.05 0.05
	ok $? "ch3: no poll() per event with $fds fds (got $p)"
	c=$(irq_per_event ch3 $fds epoll_ctl)
	in_range "$c" -0.05 0.05
	ok $? "ch3: no epoll_ctl() per event with $fds fds, nothing is re-armed (got $c)"
done
ep_up=$(irq_per_event upstream 9 epoll_wait)
in_range "$ep_up" 1.8 4
ok $? "upstream: at least two epoll_wait() per event (got $ep_up)"

# book: begin throttle
gcc -std=c11 -Wall -Wextra -Werror -O2 -o "$irq_tmp/linefeed" \
	"$FASTUML_ROOT/code/tools/linefeed.c" || bail "cannot build linefeed"
head -c 131072 /dev/urandom > "$irq_tmp/burst"
head -c 4096 /dev/urandom > "$irq_tmp/more"
want="$(md5sum < "$irq_tmp/burst")
$(md5sum < "$irq_tmp/more")"
# the guest: raw line, ready; sleep while the burst comes; read it; ready
# again; read the rest
guest='exec 3<>/dev/ttyS1; stty raw -echo -iexten <&3 && printf R >&3 && sleep 1 &&
	head -c 131072 <&3 | md5sum && printf R >&3 && head -c 4096 <&3 | md5sum'
throttled() {
	"$irq_tmp/linefeed" "$irq_tmp/burst" "$irq_tmp/more" -- \
		"$S/uml-run" -k "$1" -t "$2" -a @LINE@ -- "$guest" 2> "$irq_tmp/throttle.err"
}
got=$(throttled ch3 60) || true
is "$got" "$want" "ch3: input that comes after the tty throttled and unthrottled the line arrives intact"
got=$(throttled upstream 20) && rc=0 || rc=$?
is "$rc $(head -n 1 <<< "$got")" "124 $(head -n 1 <<< "$want")" \
	"upstream: the burst arrives, then the line takes no more input (the run times out)"
# book: end throttle

# More fds ready at once than one epoll_wait() takes (OS_IRQ_BATCH, 16):
# 24 network interfaces on the ucast transport (a UDP socket each).  With
# the guest idle, the host stops the UML kernel process, sends one frame
# to each interface's socket, and lets UML go on: its first SIGIO finds
# all 24 ready, more than a batch.  Every interface must count its frame
# by the time the guest looks.  (A kernel that takes only the first batch
# still passes: the next SIGIO harvests the rest within that time, as we
# found with the loop after a full batch removed.  The test guards
# against lost events, not late ones.)
NIFS=24 PORT0=21400
ifs_args='' ifs_up=''
for i in $(seq 0 $((NIFS - 1))); do
	ifs_args="$ifs_args eth$i=ucast,,127.0.0.1,$((PORT0 + i)),9"
	ifs_up="$ifs_up eth$i"
done
# shellcheck disable=SC2016
many_guest='for i in '$ifs_up'; do ip link set "$i" up || exit 1; done
: > /mnt/job/ready
while [ ! -e /mnt/job/go ]; do :; done
n=0
for i in '$ifs_up'; do [ "$(cat /sys/class/net/$i/statistics/rx_packets)" -ge 1 ] && n=$((n + 1)); done
echo "interfaces with their frame: $n"'
for t in ch3 upstream; do
	job=$irq_tmp/many-$t
	rm -rf "$job"
	mkdir -p "$job"
	"$S/uml-run" -k "$t" -t 60 -j "$job" -a "$ifs_args" -- "$many_guest" > "$job.out" 2> "$job.err" &
	runner=$!
	for _ in $(seq 600); do
		if [ -e "$job/ready" ] || ! kill -0 "$runner" 2> /dev/null; then break; fi
		sleep 0.05
	done
	sent=0
	if pid=$(uml_pid "$job") && kill -STOP "$pid"; then
		for i in $(seq 0 $((NIFS - 1))); do
			printf '%060d' 0 > "/dev/udp/127.0.0.1/$((PORT0 + i))" && sent=$((sent + 1))
		done
		kill -CONT "$pid"
	fi
	: > "$job/go"
	rc=0
	wait "$runner" || rc=$?
	is "$rc $sent $(sed -n 's/^interfaces with their frame: //p' "$job.out")" "0 $NIFS $NIFS" \
		"$t: $NIFS fds ready at once (more than one epoll_wait() batch): every interface takes its frame"
	[ "$rc" -eq 0 ] || diag "$(tail -n 3 "$job.err")"
done

is "$(leftovers)" "" "no UML process or /dev/shm file is left behind"

done_testing
