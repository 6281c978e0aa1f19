#!/bin/bash
# The signature of chapter 1's IRQ controller, which re-creates UML's old
# poll() design: on SIGIO, poll() over every registered fd, no epoll.
# The guest takes a fixed number of IRQ events on a serial line (see
# lib/irq.sh), with 9 registered device fds: the busy line's socket and
# eight idle fds on four more lines.
#   ch1:      poll() grows with the events, about one or two per event;
#             no epoll_wait() or epoll_ctl() at all.
#   upstream: epoll_wait() per event, no poll() on the event path.
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

need_kernels ch1 upstream
need_rootfs
command -v perf > /dev/null || bail "perf is missing (make deps)"
# shellcheck source=code/tests/lib/irq.sh
. "$(dirname "$0")/lib/irq.sh"

FDS=9
for k in ch1 upstream; do
	irq_runs "$k" $FDS
done

poll_ch1=$(irq_per_event ch1 $FDS poll)
diag "per event: ch1 poll $poll_ch1, epoll_wait $(irq_per_event ch1 $FDS epoll_wait);" \
	"upstream poll $(irq_per_event upstream $FDS poll), epoll_wait $(irq_per_event upstream $FDS epoll_wait)"

in_range "$poll_ch1" 1 4
ok $? "ch1: poll() calls grow with the events, 1 to 4 per event (got $poll_ch1)"
for s in epoll_wait epoll_ctl epoll_create epoll_create1; do
	is "$(irq_calls ch1 $FDS $IRQ_K1 "$s") $(irq_calls ch1 $FDS $IRQ_K2 "$s")" "0 0" "ch1: no $s() at all"
done

ep_up=$(irq_per_event upstream $FDS epoll_wait)
in_range "$ep_up" 1 4
ok $? "upstream: epoll_wait() calls grow with the events, 1 to 4 per event (got $ep_up)"
poll_up=$(irq_per_event upstream $FDS poll)
in_range "$poll_up" -0.5 0.5
ok $? "upstream: no poll() per event (got $poll_up per event)"

is "$(leftovers)" "" "no UML process or /dev/shm file is left behind"

done_testing
