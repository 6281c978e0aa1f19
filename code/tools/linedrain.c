/*
 * linedrain: take what a UML guest writes to its serial line, slowly.
 *
 *   linedrain [-c CHUNK] [-d MS] [-s SNDBUF] [-r ROUNDS] BYTES FILE -- COMMAND [ARG...]
 *
 * Gives a UML guest one serial line, ssl1 (/dev/ttyS1 in the guest): one
 * end of a host stream socket pair, inherited as fd 10.  In COMMAND's
 * arguments "@LINE@" becomes the kernel argument that attaches it
 * ("ssl1=fd:10").  linedrain reads BYTES bytes from its end of the line
 * into FILE, at most CHUNK bytes per read() (default 1024), and waits MS
 * milliseconds before each read (default 1).  The guest's end of the
 * socket pair gets a send buffer of SNDBUF bytes (default 16384; 0 keeps
 * the host's default).  Then, with -r, it plays the host side of
 * code/guest/src/irqpong.c on the same line: it waits for one byte (the
 * guest is ready), then ROUNDS times sends one byte and waits for the
 * guest to send it back.
 *
 * The pauses and the small send buffer make a guest that writes a lot at
 * once fill the socket: its writes fall short, the line keeps the rest
 * in its buffer and must be told by its write IRQ when there is room
 * again.  Nothing is timed.  linedrain keeps its end open until COMMAND
 * is done, and exits with COMMAND's exit status, or 1 when the line ended
 * before BYTES bytes came or a round's echo was wrong or missing.  Used
 * by the checker of exercise
 * ch03/write-irq-on-demand.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GUEST_FD 10

static void die(const char *what)
{
	fprintf(stderr, "linedrain: error: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: linedrain [-c CHUNK] [-d MS] [-s SNDBUF] [-r ROUNDS] BYTES FILE -- COMMAND [ARG...]\n");
	exit(2);
}

/* a whole number from @s, at least @min, or usage() */
static long number(const char *s, long min)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min)
		usage();
	return v;
}

/* @arg with every "@LINE@" replaced by @line */
static char *substitute(const char *arg, const char *line)
{
	static const char key[] = "@LINE@";
	char *out = strdup(arg), *at;

	if (!out)
		die("strdup");
	while ((at = strstr(out, key))) {
		size_t pre = at - out;
		char *n = malloc(strlen(out) - strlen(key) + strlen(line) + 1);

		if (!n)
			die("malloc");
		memcpy(n, out, pre);
		strcpy(n + pre, line);
		strcat(n, at + strlen(key));
		free(out);
		out = n;
	}
	return out;
}

/* sleep @ms milliseconds, whatever signals come */
static void pause_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* one byte from @fd into @c: 1, or 0 at end of file, or -1 */
static int get_byte(int fd, char *c)
{
	ssize_t n;

	do {
		n = read(fd, c, 1);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : n;
}

/* write all of @buf to @fd */
static int put_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long chunk = 1024, delay = 1, sndbuf = 16384, rounds = 0, want, got = 0, r;
	char line[32], **cmd, *buf, c, echo;
	const char *path;
	int sp[2], out, status, i, opt, ok = 1;
	ssize_t n;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+c:d:r:s:")) != -1) {
		switch (opt) {
		case 'c':
			chunk = number(optarg, 1);
			break;
		case 'd':
			delay = number(optarg, 0);
			break;
		case 'r':
			rounds = number(optarg, 0);
			break;
		case 's':
			sndbuf = number(optarg, 0);
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 4 || strcmp(argv[optind + 2], "--"))
		usage();
	want = number(argv[optind], 0);
	path = argv[optind + 1];
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		   0644);
	if (out < 0)
		die(path);
	buf = malloc(chunk);
	if (!buf)
		die("malloc");

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
		die("socketpair");
	if (sndbuf > 0 && setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &(int){ sndbuf },
				     sizeof(int)) < 0)
		die("setsockopt");
	if (dup2(sp[0], GUEST_FD) < 0)
		die("dup2");
	close(sp[0]);
	if (fcntl(sp[1], F_SETFD, FD_CLOEXEC) < 0)
		die("fcntl");
	snprintf(line, sizeof(line), "ssl1=fd:%d", GUEST_FD);

	argc -= optind + 3;
	argv += optind + 3;
	cmd = calloc(argc + 1, sizeof(*cmd));
	if (!cmd)
		die("calloc");
	for (i = 0; i < argc; i++)
		cmd[i] = substitute(argv[i], line);

	signal(SIGPIPE, SIG_IGN);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execvp(cmd[0], cmd);
		fprintf(stderr, "linedrain: error: cannot run %s: %s\n", cmd[0],
			strerror(errno));
		_exit(127);
	}
	close(GUEST_FD);

	while (got < want) {
		long ask = want - got < chunk ? want - got : chunk;

		pause_ms(delay);
		n = read(sp[1], buf, ask);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "linedrain: error: reading the line: %s\n",
				strerror(errno));
			ok = 0;
			break;
		}
		if (n == 0) {
			fprintf(stderr, "linedrain: error: the line ended after %ld of %ld bytes\n",
				got, want);
			ok = 0;
			break;
		}
		if (put_all(out, buf, n) < 0)
			die(path);
		got += n;
	}
	if (close(out) < 0)
		die(path);

	if (ok && rounds > 0 && get_byte(sp[1], &c) != 1) {
		fprintf(stderr, "linedrain: error: the guest closed the line before it was ready for the rounds\n");
		ok = 0;
	}
	for (r = 0; ok && r < rounds; r++) {
		c = 'a' + r % 26;
		if (put_all(sp[1], &c, 1) < 0 || get_byte(sp[1], &echo) != 1 ||
		    echo != c) {
			fprintf(stderr, "linedrain: error: round %ld of %ld: no echo, or a wrong one\n",
				r + 1, rounds);
			ok = 0;
		}
	}

	/* our end stays open until COMMAND is done: no hang-up meanwhile */
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	close(sp[1]);
	if (!ok)
		return 1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
