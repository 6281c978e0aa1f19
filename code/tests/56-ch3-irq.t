#!/bin/bash
# Chapter 3's IRQ controller: one host epoll set, one epoll_wait() per
# SIGIO.  The guest takes a fixed number of IRQ events on a serial line
# (see lib/irq.sh) with 9 and with 41 registered device fds (the busy
# line's socket and 8 or 40 idle fds on more serial lines).
#   ch2 (chapter 1's poll() design): poll() per event, no epoll at all;
#   ch3:      exactly one epoll_wait() per event, whatever the number of
#             fds, and no poll(); every byte echoed, one read IRQ each;
#   upstream: two epoll_wait() per event (it asks until nothing is left).
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

is "$(leftovers)" "" "no UML process or /dev/shm file is left behind"

done_testing
