/*
 * irqfeed: the host side of the IRQ measurements.
 *
 *   irqfeed [-r ROUNDS] [-n FDS] [-p PORT] -- COMMAND [ARG...]
 *
 * Gives a UML guest one busy serial line and FDS - 1 idle host fds
 * registered for IRQs, then drives the busy line one byte at a time, so
 * that every byte is one IRQ event in the guest.
 *
 * - The busy line is ssl1 (/dev/ttyS1 in the guest): one end of a host
 *   socket pair, for input and output.
 * - The first idle fds go to serial lines ssl0, ssl2, ssl3, ..., two per
 *   line: the read end of a pipe that never carries data (input) and
 *   the write end of a full pipe (output).  irqfeed keeps the other ends
 *   open, so neither ever becomes ready: no data, no room, no hang-up.
 *   An open line takes two of the kernel's 45 dynamic IRQ numbers, and
 *   the console two, so at most 20 idle lines (40 fds) fit.
 * - The rest are network interfaces eth0, eth1, ... on the ucast
 *   transport: UDP sockets that UML binds to ports PORT, PORT + 1, ...
 *   (default 21000), to which nothing sends.  They share one IRQ number;
 *   the kernel command line, which names each, limits how many fit.
 *
 * COMMAND runs with the guest's fds inherited.  In its arguments,
 * "@LINES@" becomes the kernel arguments that attach them ("ssl1=fd:10
 * ssl0=fd:11,fd:12 ... eth0=ucast,,127.0.0.1,21000,9 ...") and "@IDLE@"
 * the guest's idle devices and interfaces ("/dev/ttyS0 ... eth0 ...");
 * "@FD@" is the busy line's fd, for running the guest side natively
 * ("irqpong ROUNDS fd:@FD@").
 * irqfeed waits for one byte from the guest (it is ready), then ROUNDS
 * times sends one byte and waits for the guest to send it back.
 *
 * When COMMAND is done, irqfeed prints "host_cpu_us_per_round X": the
 * CPU time that COMMAND's processes (UML, its helpers and the guest's
 * processes) used during the rounds, divided by ROUNDS, from the host's
 * per-thread scheduler statistics (/proc/PID/task/TID/schedstat).  Unlike
 * wall time, it does not grow when other work on the host delays UML.
 * irqfeed exits with COMMAND's exit status, or 1 when the exchange failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define BUSY_SSL 1
/* idle lines beside the busy one and the console: see the top */
#define IDLE_LINES 20
#define MAX_FDS 200

static const char *prog = "irqfeed";

static void usage(void)
{
	fprintf(stderr, "usage: %s [-r ROUNDS] [-n FDS] [-p PORT] -- COMMAND [ARG...]\n"
		"  FDS: host fds registered for guest IRQs, 1..%d (default 1)\n"
		"  PORT: first UDP port of the idle network interfaces (default 21000)\n",
		prog, MAX_FDS);
	exit(2);
}

static void die(const char *what)
{
	fprintf(stderr, "%s: error: %s: %s\n", prog, what, strerror(errno));
	exit(1);
}

static long number(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "%s: error: %s '%s' is not a number in %ld..%ld\n",
			prog, what, s, min, max);
		exit(2);
	}
	return v;
}

/* append printf-style text to a growing string */
static void appendf(char **buf, size_t *len, const char *fmt, ...)
{
	char piece[64], *bigger;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(piece, sizeof(piece), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(piece))
		die("formatting the line arguments");
	bigger = realloc(*buf, *len + n + 1);
	if (!bigger)
		die("out of memory");
	memcpy(bigger + *len, piece, n + 1);
	*buf = bigger;
	*len += n;
}

/*
 * An fd for the guest: inherited, and numbered 10 or more, out of the
 * way of the fds the runner redirects for UML (3 is its console).
 */
static int guest_fd(int fd)
{
	int moved = fcntl(fd, F_DUPFD, 10);

	if (moved < 0)
		die("fcntl");
	close(fd);
	return moved;
}

/* a pipe: the guest's end stays inheritable, ours closes on exec */
static void make_pipe(int *guest_end, int *our_end, int guest_reads)
{
	int p[2];

	if (pipe(p) < 0)
		die("pipe");
	*guest_end = guest_fd(guest_reads ? p[0] : p[1]);
	*our_end = guest_reads ? p[1] : p[0];
	if (fcntl(*our_end, F_SETFD, FD_CLOEXEC) < 0)
		die("fcntl");
}

static void fill(int fd)
{
	static char junk[65536];

	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		die("fcntl");
	while (write(fd, junk, sizeof(junk)) > 0)
		;
	if (errno != EAGAIN)
		die("filling a pipe");
}

/* the serial line number of idle line i: 0, then 2, 3, ... (1 is busy) */
static int idle_line(int i)
{
	return i < BUSY_SSL ? i : i + 1;
}

static char *substitute(const char *arg, const char *lines, const char *idle,
			const char *busy)
{
	const char *keys[3] = { "@LINES@", "@IDLE@", "@FD@" };
	const char *vals[3] = { lines, idle, busy };
	char *out = strdup(arg);
	int k;

	if (!out)
		die("out of memory");
	for (k = 0; k < 3; k++) {
		char *at;

		while ((at = strstr(out, keys[k]))) {
			size_t pre = at - out, klen = strlen(keys[k]);
			size_t vlen = strlen(vals[k]);
			char *n = malloc(strlen(out) - klen + vlen + 1);

			if (!n)
				die("out of memory");
			memcpy(n, out, pre);
			memcpy(n + pre, vals[k], vlen);
			strcpy(n + pre + vlen, at + klen);
			free(out);
			out = n;
		}
	}
	return out;
}

/* the parent of process @pid, or -1 */
static long parent_of(long pid)
{
	char path[64], buf[512], *p;
	long ppid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	/* "pid (comm) state ppid ...": comm may hold anything but ')' last */
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		if (sscanf(p + 1, " %*c %ld", &ppid) != 1)
			ppid = -1;
	fclose(f);
	return ppid;
}

/* is @pid @root or one of its descendants? */
static int in_tree(long pid, long root)
{
	int depth;

	for (depth = 0; pid > 1 && depth < 64; depth++) {
		if (pid == root)
			return 1;
		pid = parent_of(pid);
	}
	return 0;
}

/* nanoseconds on CPU of every thread of @pid */
static unsigned long long process_cpu_ns(long pid)
{
	unsigned long long sum = 0, ns;
	char path[300];
	struct dirent *t;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/task", pid);
	d = opendir(path);
	if (!d)
		return 0;	/* gone meanwhile */
	while ((t = readdir(d))) {
		if (t->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/task/%.32s/schedstat",
			 pid, t->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &ns) == 1)
			sum += ns;
		fclose(f);
	}
	closedir(d);
	return sum;
}

/* nanoseconds on CPU of process @root and all its descendants */
static unsigned long long tree_cpu_ns(long root)
{
	unsigned long long sum = 0;
	struct dirent *e;
	DIR *proc = opendir("/proc");

	if (!proc)
		die("opendir /proc");
	while ((e = readdir(proc))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || end == e->d_name)
			continue;
		if (in_tree(pid, root))
			sum += process_cpu_ns(pid);
	}
	closedir(proc);
	return sum;
}

/* read one byte; 0 at end of file */
static int get_byte(int fd, unsigned char *c)
{
	ssize_t n;

	do {
		n = read(fd, c, 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		die("reading from the guest");
	return n;
}

int main(int argc, char **argv)
{
	long rounds = 1000, fds = 1, port = 21000, i, left;
	unsigned long long cpu0 = 0, cpu1 = 0;
	char *lines = NULL, *idle = NULL, busy[16];
	size_t llen = 0, ilen = 0;
	int sp[2], opt, status, ok = 1;
	unsigned char c;
	char **cmd;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+r:n:p:h")) != -1) {
		switch (opt) {
		case 'r':
			rounds = number(optarg, 0, INT_MAX, "rounds");
			break;
		case 'n':
			fds = number(optarg, 1, MAX_FDS, "fds");
			break;
		case 'p':
			port = number(optarg, 1, 65535 - MAX_FDS, "port");
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
		die("socketpair");
	sp[0] = guest_fd(sp[0]);
	if (fcntl(sp[1], F_SETFD, FD_CLOEXEC) < 0)
		die("fcntl");
	appendf(&lines, &llen, "ssl%d=fd:%d", BUSY_SSL, sp[0]);
	snprintf(busy, sizeof(busy), "%d", sp[0]);
	appendf(&idle, &ilen, "%s", "");
	left = fds - 1;
	for (i = 0; i < IDLE_LINES && left > 0; i++) {
		/* our ends stay open until we exit: see the top */
		int num = idle_line(i), in, keep_in, out = -1, keep_out;

		make_pipe(&in, &keep_in, 1);
		left--;
		if (left > 0) {
			make_pipe(&out, &keep_out, 0);
			fill(out);
			left--;
		}
		appendf(&lines, &llen, " ssl%d=fd:%d", num, in);
		if (out >= 0)
			appendf(&lines, &llen, ",fd:%d", out);
		appendf(&idle, &ilen, "%s/dev/ttyS%d", ilen ? " " : "", num);
	}
	for (i = 0; left > 0; i++, left--) {
		appendf(&lines, &llen, " eth%ld=ucast,,127.0.0.1,%ld,9", i, port + i);
		appendf(&idle, &ilen, "%seth%ld", ilen ? " " : "", i);
	}

	cmd = calloc(argc - optind + 1, sizeof(*cmd));
	if (!cmd)
		die("out of memory");
	for (i = optind; i < argc; i++)
		cmd[i - optind] = substitute(argv[i], lines, idle, busy);

	signal(SIGPIPE, SIG_IGN);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execvp(cmd[0], cmd);
		fprintf(stderr, "%s: error: cannot run %s: %s\n", prog, cmd[0],
			strerror(errno));
		_exit(127);
	}
	close(sp[0]);

	if (!get_byte(sp[1], &c)) {
		fprintf(stderr, "%s: error: the guest closed the line before it was ready\n",
			prog);
		ok = 0;
	}
	cpu0 = tree_cpu_ns(pid);
	for (i = 0; ok && i < rounds; i++) {
		unsigned char sent = 'a' + i % 26;

		if (write(sp[1], &sent, 1) != 1) {
			fprintf(stderr, "%s: error: writing to the guest: %s\n",
				prog, strerror(errno));
			ok = 0;
		} else if (!get_byte(sp[1], &c)) {
			fprintf(stderr, "%s: error: the guest closed the line after %ld of %ld rounds\n",
				prog, i, rounds);
			ok = 0;
		} else if (c != sent) {
			fprintf(stderr, "%s: error: round %ld: sent '%c', got back 0x%02x\n",
				prog, i, sent, c);
			ok = 0;
		}
	}
	cpu1 = tree_cpu_ns(pid);

	/*
	 * Our end stays open until COMMAND is done: closing it would hang
	 * up the guest's line while the guest may still be using it.
	 */
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	close(sp[1]);
	if (!ok)
		return 1;
	if (rounds > 0)
		printf("host_cpu_us_per_round %.2f\n",
		       (double)(cpu1 - cpu0) / 1e3 / rounds);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
