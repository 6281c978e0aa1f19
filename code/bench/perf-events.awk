# perf-events.awk: what breakdown.awk and breakdown-exec.awk share, loaded
# before either (awk -f perf-events.awk -f breakdown.awk unistd_64.h
# EVENTS EVENTS).  The first file gives system call names by number
# (#define __NR_name nr, into name[]); each following file is one pass
# over the events of a 'perf script -F comm,tid,cpu,time,event,trace',
# counted in pass.  For every event line it sets tid, ts (seconds), ev
# (the event's name) and rest (its details); other lines are skipped.

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

# The timeline, for a main program that defines role(TID) and
# class(ROLE, CALL), sets lo and hi (the window, in seconds), keeps cur
# (the task on the CPU), last (the time of the previous event) and
# insys[TID] (the system call a task is in), and counts into calls[ROLE,
# CALL] and cnt[NAME].

# count_from_zero(LIST): the counters LIST names ("|" between names)
# start at 0, so that they are printed even if nothing is counted
function count_from_zero(list,  z, i) {
	split(list, z, "|")
	for (i in z) cnt[z[i]] = 0
}

# take_slice(): the time since the last event, within the window, goes to
# the task that ran, in its role and the system call it was in ("user"
# outside any)
function take_slice(  a, b, st) {
	if (last == "" || cur == "") return
	a = last < lo ? lo : last; b = ts > hi ? hi : ts
	if (b > a) {
		st = (cur in insys) ? insys[cur] : "user"
		time[role(cur), st] += b - a
	}
}

# print_classes(N): "class|NAME|CALLS|US" for every class and
# "count|NAME|COUNT" for every counter, each per one of N operations
function print_classes(n,  k, p, c, us, nc) {
	for (k in time) {
		split(k, p, SUBSEP)
		c = class(p[1], p[2]); us[c] += time[k] * 1e6
	}
	for (k in calls) {
		split(k, p, SUBSEP)
		c = class(p[1], p[2]); nc[c] += calls[k]
	}
	for (c in us)
		printf "class|%s|%s|%.3f\n", c, (c in nc) ? sprintf("%.3f", nc[c] / n) : "-", us[c] / n
	for (c in cnt) printf "count|%s|%.3f\n", c, cnt[c] / n
}
