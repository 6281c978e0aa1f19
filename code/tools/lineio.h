/*
 * lineio.h: what the serial-line host tools share (linefeed.c,
 * linedrain.c).  Each gives a UML guest one serial line, ssl1
 * (/dev/ttyS1 in the guest): one end of a host stream socket pair,
 * inherited as fd 10.  In COMMAND's arguments "@LINE@" becomes the kernel
 * argument that attaches it ("ssl1=fd:10").  The tool keeps its own end
 * open until COMMAND is done and exits with COMMAND's exit status, or 1
 * when its side of the exchange failed.
 *
 * Define PROG (the tool's name, a string) before including this.
 */
#ifndef LINEIO_H
#define LINEIO_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define GUEST_FD 10

static void die(const char *what)
{
	fprintf(stderr, PROG ": error: %s: %s\n", what, strerror(errno));
	exit(1);
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

/* write all of @buf to @fd: 0, or -1 */
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

/* one byte from @fd into @c: 1, or 0 at end of file, or -1 */
static int get_byte(int fd, char *c)
{
	ssize_t n;

	do {
		n = read(fd, c, 1);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : n;
}

/*
 * Start the @argc arguments at @argv as COMMAND with the guest's end of a
 * new socket pair as GUEST_FD; a @sndbuf above 0 sets that end's send
 * buffer.  Sets *@ours to our end and returns COMMAND's pid.
 */
static pid_t line_start(int argc, char **argv, int sndbuf, int *ours)
{
	char line[32], **cmd;
	int sp[2], i;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
		die("socketpair");
	if (sndbuf > 0 &&
	    setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) < 0)
		die("setsockopt");
	if (dup2(sp[0], GUEST_FD) < 0)
		die("dup2");
	close(sp[0]);
	if (fcntl(sp[1], F_SETFD, FD_CLOEXEC) < 0)
		die("fcntl");
	snprintf(line, sizeof(line), "ssl1=fd:%d", GUEST_FD);

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
		fprintf(stderr, PROG ": error: cannot run %s: %s\n", cmd[0],
			strerror(errno));
		_exit(127);
	}
	close(GUEST_FD);
	*ours = sp[1];
	return pid;
}

/*
 * Wait for COMMAND, then close our end (it stays open until then: no
 * hang-up meanwhile).  Returns the tool's exit status: 1 unless @ok,
 * else COMMAND's.
 */
static int line_finish(pid_t pid, int ours, int ok)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	close(ours);
	if (!ok)
		return 1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

#endif
