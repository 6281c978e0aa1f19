# breakdown-exec.awk: the CPU timeline of a 'perf script' of breakdown-exec's
# trace, cut into classes per fork+exec.  Run by code/bench/breakdown-exec:
#   awk -v linux=KERNEL -f perf-events.awk -f breakdown-exec.awk \
#       unistd_64.h EVENTS EVENTS
# (perf-events.awk reads the system call numbers and parses the events.)
# The events are read twice: the first pass finds the UML process tree (the exec of
# KERNEL and its forks) and the new guest address spaces (two per
# fork+exec: one for the child's copy of the parent's, one for the new
# program's).  Each new address space starts with the stub unmapping
# its whole user range, a host munmap() at address 0 in the host process
# that holds it, whether that process is new or reused (patch 0024); a
# second one before guest code ran there again is the same address
# space's (the history kernels unmap at exec too).  The second pass
# cuts the time between the 10th and the 90th percentile of those
# unmaps into slices.  Prints "class|NAME|CALLS|US" and
# "count|NAME|CALLS" per fork+exec, and "loop|US" (the guest's own time
# per iteration, traced).

pass == 2 {
	if (ev == "sched:sched_process_exec" && field(rest, "filename") == linux && root == "") {
		root = field(rest, "pid"); tree[root] = 1
	} else if (ev == "sched:sched_process_fork" && (field(rest, "pid") in tree)) {
		c = field(rest, "child_pid")
		tree[c] = 1
	} else if (ev == "raw_syscalls:sys_enter" && tid == root) {
		# a resume of a guest process (PTRACE_SYSEMU): it ran guest code
		split(rest, w, / +/)
		if (name[w[2]] == "ptrace" && (arg(rest, 1) == "1f" || arg(rest, 1) == "20"))
			ran[hex(arg(rest, 2))] = 1
	} else if (ev == "raw_syscalls:sys_enter" && (tid in tree)) {
		# a new guest address space: the stub's munmap() from address 0,
		# the first in its host process since guest code last ran there
		# (the history kernels unmap from 0 again at exec)
		split(rest, w, / +/)
		if (name[w[2]] == "munmap" && arg(rest, 1) == "0" && (!(tid in seen) || ran[tid])) {
			nf++; ft[nf] = ts
			seen[tid] = 1; ran[tid] = 0
		}
	}
	next
}

# hex DIGITS: the value of a hexadecimal number without 0x (mawk has no strtonum)
function hex(s,    i, v) {
	v = 0
	for (i = 1; i <= length(s); i++)
		v = v * 16 + index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
	return v
}

function role(t) {
	if (t == root) return "kernel"
	if (t in tree) return "guest"
	if (t == 0) return "idle"
	return "other"
}
function class(r, s) {
	if (r == "idle") return "CPU idle"
	if (r == "other") return "other host tasks on the CPU"
	if (r == "guest") {
		if (s == "user") return "guest processes: user mode (program and stub code) and traps into the host"
		if (s ~ /^(mmap|munmap|mprotect)$/) return "guest processes: the stub's host mm calls (" s ")"
		return "guest processes: other host calls"
	}
	if (s == "user") return "kernel: UML kernel code (user mode; signal delivery)"
	if (s == "ptrace") return "kernel: ptrace (registers and resumes)"
	if (s == "wait4") return "kernel: wait4 (for a guest process to stop)"
	if (s ~ /^(clone|clone3|fork|vfork)$/) return "kernel: creating host processes (clone)"
	if (s ~ /^(kill|tgkill|tkill)$/) return "kernel: kill (host processes and timer ticks)"
	if (s ~ /^(rt_sig|sigaltstack|timer_)/) return "kernel: signals and timers"
	if (s ~ /^(mmap|munmap|mprotect|madvise)$/) return "kernel: its own mm calls"
	return "kernel: other host calls"
}

pass == 3 && FNR == 1 {
	if (nf < 40) { print "breakdown-exec: too few new address spaces in the trace (" nf ")" > "/dev/stderr"; exit 1 }
	i0 = int(nf * 0.1); i1 = int(nf * 0.9)
	lo = ft[i0]; hi = ft[i1]; spaces = i1 - i0
	ops = spaces / 2
	cur = ""; last = ""
	count_from_zero("guest traps (ptrace SYSEMU resumes)|page faults sent to the stub (PTRACE_CONT with SIGSEGV)|other resumes (PTRACE_CONT)|stops taken (wait4 returning a pid)|page faults (SIGSEGV raised in a guest process)|new host processes|SIGSEGV deliveries|timer signal deliveries")
}

pass == 3 {
	take_slice()
	inw = ts >= lo && ts < hi
	cur = tid
	if (ev == "raw_syscalls:sys_enter") {
		split(rest, w, / +/); nm = (w[2] in name) ? name[w[2]] : "nr" w[2]
		insys[tid] = nm
		if (inw && (tid in tree)) {
			calls[role(tid), nm]++
			if (role(tid) == "kernel" && nm == "ptrace") {
				req = arg(rest, 1)
				if (req == "1f" || req == "20") cnt["guest traps (ptrace SYSEMU resumes)"]++
				else if (req == "7" && arg(rest, 4) == "b") cnt["page faults sent to the stub (PTRACE_CONT with SIGSEGV)"]++
				else if (req == "7") cnt["other resumes (PTRACE_CONT)"]++
			}
		}
	} else if (ev == "raw_syscalls:sys_exit") {
		if (inw && tid == root && insys[tid] == "wait4") {
			# "NR 61 = 1234": the pid of the process that stopped
			split(rest, w, / +/)
			if (w[4] ~ /^[0-9]+$/ && w[4] + 0 > 0) cnt["stops taken (wait4 returning a pid)"]++
		}
		delete insys[tid]
	} else if (ev == "sched:sched_switch") {
		cur = field(rest, "next_pid")
	} else if (ev == "sched:sched_process_fork" && inw && field(rest, "pid") == root) {
		cnt["new host processes"]++
	} else if (ev == "signal:signal_generate" && inw && role(tid) == "guest") {
		# the host raises SIGSEGV in the faulting process itself
		if (field(rest, "sig") == 11) cnt["page faults (SIGSEGV raised in a guest process)"]++
	} else if (ev == "signal:signal_deliver" && inw && (tid in tree)) {
		s = field(rest, "sig")
		if (s == 14 || s == 26) cnt["timer signal deliveries"]++
		else if (s == 11) cnt["SIGSEGV deliveries"]++
	}
	last = ts
}

END {
	if (pass < 3 || ops == 0) exit 1
	print_classes(ops)
	printf "count|fork+exec cycles in the window|%d\n", ops
	printf "loop|%.3f\n", (hi - lo) * 1e6 / ops
}
