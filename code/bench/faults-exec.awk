# faults-exec.awk: classify the guest page faults in an strace of the
# UML kernel's main thread (see faults-exec).  Input files, in order:
#   1. forkexec's layout ("KIND START END" lines, from faults-exec)
#   2. true's layout
#   3. strace -o output: ptrace, wait4 and clone calls of one thread
# Variables: cycles, t (target), prov (the provenance columns).
# Faults are divided by cycles: the trace also holds forkexec's own
# start and exit and the shell's wait, a fraction of a fault per cycle.
# Prints CSV rows target,phase,segment,code,faults_per_op,PROVENANCE.

FILENAME == ARGV[1] { n1++; k1[n1] = $0; s1[n1] = $(NF - 1); e1[n1] = $NF; sub(/ [0-9]+ [0-9]+$/, "", k1[n1]); next }
FILENAME == ARGV[2] { n2++; k2[n2] = $0; s2[n2] = $(NF - 1); e2[n2] = $NF; sub(/ [0-9]+ [0-9]+$/, "", k2[n2]); next }

# a host process made for a new address space
/^clone3?\(/ && / = [0-9]+$/ {
	pid = $NF
	created++
	born[pid] = created
	next
}

# a host process ended (os_kill_ptraced_process: kill, PTRACE_KILL)
/^ptrace\(PTRACE_KILL, [0-9]+/ {
	split($0, a, /[(,]/)
	pid = a[3] + 0
	if (pid in born && !(pid in died))
		died[pid] = created
	next
}

/^ptrace\(PTRACE_GETSIGINFO, / && /si_signo=SIGSEGV/ {
	split($0, a, /[(,]/)
	pid = a[3] + 0
	code = $0
	sub(/.*si_code=/, "", code)
	sub(/[,}].*/, "", code)
	addr = $0
	sub(/.*si_addr=/, "", addr)
	sub(/[,}].*/, "", addr)
	nf++
	fpid[nf] = pid
	fcode[nf] = code
	faddr[nf] = hex(addr)
	next
}


# hex "0x...": its value (mawk has no strtonum)
function hex(s,    i, v) {
	v = 0
	for (i = 3; i <= length(s); i++)
		v = v * 16 + index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
	return v
}

# segment LAYOUT ADDR: the segment of ADDR in forkexec's (1) or true's (2) layout
function segment(which, addr,    i, n, last) {
	n = which == 1 ? n1 : n2
	for (i = 1; i <= n; i++) {
		if (which == 1 && addr >= s1[i] && addr < e1[i]) return k1[i]
		if (which == 2 && addr >= s2[i] && addr < e2[i]) return k2[i]
	}
	last = which == 1 ? e1[n1] : e2[n2]
	if (addr >= last && addr < last + 1073741824) return "heap"
	if (addr >= 4294967296) return "stack"
	return "other"
}

END {
	# phases: the host process that outlives most creations is the
	# parent; one alive across exactly one creation is a forked child
	# (its exec made the next one), one alive across none is the new
	# program
	best = -1
	for (p in born) {
		span = ((p in died) ? died[p] : created) - born[p]
		if (span > best) { best = span; parent = p }
	}
	for (p in born) {
		span = ((p in died) ? died[p] : created) - born[p]
		if (p == parent) phase[p] = "parent"
		else if (span == 1) phase[p] = "child"
		else if (span == 0 && (p in died)) { phase[p] = "new program"; programs++ }
	}
	if (best < 2 * cycles - 2 || programs < cycles - 1) {
		printf "faults-exec.awk: %s: found %d new programs and a parent alive across %d creations, for %d cycles\n",
			t, programs, best, cycles > "/dev/stderr"
		exit 1
	}
	for (i = 1; i <= nf; i++) {
		p = fpid[i]
		if (!(p in phase)) continue
		ph = phase[p]
		seg = segment(ph == "new program" ? 2 : 1, faddr[i])
		n[ph "," seg "," fcode[i]]++
		tot[ph]++
		all++
	}
	# rows in a fixed order: phase, then segment, then code
	np = split("parent,child,new program", phases, ",")
	ns = split("ELF header,text,rodata,data,bss,heap,stack,other", segs, ",")
	for (i = 1; i <= np; i++) {
		for (j = 1; j <= ns; j++)
			for (c = 1; c <= 2; c++) {
				k = phases[i] "," segs[j] "," (c == 1 ? "SEGV_MAPERR" : "SEGV_ACCERR")
				if (k in n)
					printf "%s,%s,%.3f,%s\n", t, k, n[k] / cycles, prov
			}
		printf "%s,%s,all,all,%.3f,%s\n", t, phases[i], tot[phases[i]] / cycles, prov
	}
	printf "%s,all,all,all,%.3f,%s\n", t, all / cycles, prov
}
