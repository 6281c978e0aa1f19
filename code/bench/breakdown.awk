# breakdown.awk: the CPU timeline of a 'perf script' of breakdown-ubd's
# trace, cut into classes per request.  Run by code/bench/breakdown-ubd:
#   awk -v linux=KERNEL -v fio_iops=IOPS -f breakdown.awk unistd_64.h EVENTS EVENTS
# First file: system call numbers (#define __NR_name nr).  The events are
# read twice: the first pass finds the UML process tree (the exec of
# KERNEL and its forks), the IO thread and the window of requests; the
# second cuts the window's time into slices.  Prints "class|NAME|CALLS|US"
# and "count|NAME|CALLS" per request, and "fio|US" (1e6 / IOPS).

BEGIN { pass = 0 }
FNR == 1 { pass++ }

pass == 1 {
	if ($1 == "#define" && $2 ~ /^__NR_/) { n = $2; sub(/^__NR_/, "", n); name[$3] = n }
	next
}

# "comm tid [cpu] secs: event: details"; comm may hold spaces
{
	for (i = 2; i <= NF - 2; i++) if ($i ~ /^\[[0-9]+\]$/) break
	if (i > NF - 2) next
	tid = $(i - 1); ts = $(i + 1); ev = $(i + 2)
	sub(/:$/, "", ts); sub(/:$/, "", ev)
	ts += 0
	rest = substr($0, index($0, $(i + 2)) + length($(i + 2)))
	sub(/^ +/, "", rest)
}

function arg(s, i,  a) {
	# "NR 101 (1f, be1, 0, 0, 1e, 77ec2558)": the i-th argument, hex
	a = s; sub(/^[^(]*\(/, "", a); sub(/\).*/, "", a)
	split(a, av, /, */)
	return av[i]
}
function field(s, k,  v) {
	if (!match(s, k "=[^ ]+")) return ""
	v = substr(s, RSTART + length(k) + 1, RLENGTH - length(k) - 1)
	return v
}

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
	split("guest traps (ptrace SYSEMU resumes)|guest page faults (SIGSEGV stops)|SIGIO deliveries|timer signal deliveries|context switches between UML threads", zero, "|")
	for (i in zero) cnt[zero[i]] = 0
}

pass == 3 {
	# the slice since the last event belongs to the task that ran
	if (last != "" && cur != "") {
		a = last < lo ? lo : last; b = ts > hi ? hi : ts
		if (b > a) {
			st = (cur in insys) ? insys[cur] : "user"
			time[role(cur), st] += b - a
		}
	}
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
	for (k in time) {
		split(k, p, SUBSEP)
		c = class(p[1], p[2]); us[c] += time[k] * 1e6
	}
	for (k in calls) {
		split(k, p, SUBSEP)
		c = class(p[1], p[2]); nc[c] += calls[k]
	}
	for (c in us) {
		printf "class|%s|%s|%.3f\n", c, (c in nc) ? sprintf("%.3f", nc[c] / reqs) : "-", us[c] / reqs
	}
	for (c in cnt) printf "count|%s|%.3f\n", c, cnt[c] / reqs
	printf "count|requests in the window|%d\n", reqs
	if (fio_iops > 0) printf "fio|%.3f\n", 1e6 / fio_iops
}
