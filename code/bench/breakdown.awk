# breakdown.awk: the CPU timeline of a 'perf script' of breakdown-ubd's
# trace, cut into classes per request.  Run by code/bench/breakdown-ubd:
#   awk -v linux=KERNEL -v fio_iops=IOPS -f perf-events.awk -f breakdown.awk \
#       unistd_64.h EVENTS EVENTS
# (perf-events.awk reads the system call numbers and parses the events.)
# The events are read twice: the first pass finds the UML process tree (the exec of
# KERNEL and its forks), the IO thread and the window of requests; the
# second cuts the window's time into slices.  Prints "class|NAME|CALLS|US"
# and "count|NAME|CALLS" per request, and "fio|US" (1e6 / IOPS).

pass == 2 {
	if (ev == "sched:sched_process_exec" && field(rest, "filename") == linux && root == "") {
		root = field(rest, "pid"); tree[root] = 1
	} else if (ev == "sched:sched_process_fork" && (field(rest, "pid") in tree)) {
		tree[field(rest, "child_pid")] = 1
	} else if (ev == "raw_syscalls:sys_enter" && (tid in tree)) {
		split(rest, w, / +/); nr = w[2]
		nm = name[nr]
		if (nm == "preadv" || nm == "pread64" || nm == "preadv2") {
			fd = arg(rest, 1)
			nt[fd]++; tt[fd, nt[fd]] = ts
			xfer[tid]++
		}
	}
	next
}

function role(t) {
	if (t == root) return "kernel"
	if (t == iotid) return "io"
	if (t in tree) return "guest"
	if (t == 0) return "idle"
	return "other"
}
function class(r, s) {
	if (r == "idle") return "CPU idle"
	if (r == "other") return "other host tasks on the CPU"
	if (r == "guest") return s == "user" ? "guest processes: user mode and traps into the host" : \
		"guest processes: host calls of the stub (mmap...)"
	if (r == "io") {
		if (s == "read") return "IO thread: read of a request (with its wake-up)"
		if (s == "write") return "IO thread: write of a completion (with the SIGIO)"
		if (s ~ /^(preadv|pread64|preadv2|lseek)$/) return "IO thread: transfer (" s ")"
		return "IO thread: user mode and other calls"
	}
	if (s == "user") return "kernel: UML kernel code (user mode; signal delivery)"
	if (s == "ptrace" || s == "wait4") return "kernel: ptrace and wait4 (guest traps)"
	if (s ~ /^(write|sendto|sendmsg|writev)$/) return "kernel: IPC write (submission)"
	if (s ~ /^(read|recvfrom|recvmsg|readv)$/) return "kernel: IPC read (completions)"
	if (s ~ /^(epoll_wait|epoll_pwait|poll|ppoll)$/) return "kernel: poll or epoll_wait (IRQ)"
	if (s ~ /^(rt_sig|sigaltstack|timer_|kill|tgkill)/) return "kernel: signals and timers"
	return "kernel: other host calls"
}

pass == 3 && FNR == 1 {
	best = ""
	for (fd in nt) if (best == "" || nt[fd] > nt[best]) best = fd
	if (best == "" || nt[best] < 100) { print "breakdown: no disk transfers in the trace" > "/dev/stderr"; exit 1 }
	i0 = int(nt[best] * 0.1); i1 = int(nt[best] * 0.9)
	lo = tt[best, i0]; hi = tt[best, i1]; reqs = i1 - i0
	for (t in xfer) if (iotid == "" || xfer[t] > xfer[iotid]) iotid = t
	cur = ""; last = ""
	count_from_zero("guest traps (ptrace SYSEMU resumes)|guest page faults (SIGSEGV stops)|SIGIO deliveries|timer signal deliveries|context switches between UML threads")
}

pass == 3 {
	take_slice()
	inw = ts >= lo && ts <= hi
	cur = tid
	if (ev == "raw_syscalls:sys_enter") {
		split(rest, w, / +/); nm = (w[2] in name) ? name[w[2]] : "nr" w[2]
		insys[tid] = nm
		if (inw && (tid in tree)) {
			calls[role(tid), nm]++
			if (role(tid) == "kernel" && nm == "ptrace") {
				req = arg(rest, 1)
				if (req == "1f" || req == "20") cnt["guest traps (ptrace SYSEMU resumes)"]++
				if (req == "7" && arg(rest, 4) == "b") cnt["guest page faults (SIGSEGV stops)"]++
			}
		}
	} else if (ev == "raw_syscalls:sys_exit") {
		delete insys[tid]
	} else if (ev == "sched:sched_switch") {
		cur = field(rest, "next_pid")
		if (inw && (tid in tree) && role(tid) != role(cur)) cnt["context switches between UML threads"]++
	} else if (ev == "signal:signal_deliver" && inw && (tid in tree)) {
		s = field(rest, "sig")
		if (s == 29) cnt["SIGIO deliveries"]++
		else if (s == 14 || s == 26) cnt["timer signal deliveries"]++
		else if (s == 11) cnt["SIGSEGV deliveries"]++
	}
	last = ts
}

END {
	if (pass < 3 || reqs == 0) exit 1
	print_classes(reqs)
	printf "count|requests in the window|%d\n", reqs
	if (fio_iops > 0) printf "fio|%.3f\n", 1e6 / fio_iops
}
