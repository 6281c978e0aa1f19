/*
 * linefeed: send files to a UML guest's serial line when it asks.
 *
 *   linefeed FILE... -- COMMAND [ARG...]
 *
 * Gives a UML guest one serial line, ssl1 (/dev/ttyS1 in the guest): one
 * end of a host stream socket pair, inherited as fd 10.  In COMMAND's
 * arguments "@LINE@" becomes the kernel argument that attaches it
 * ("ssl1=fd:10").  For each FILE in turn, linefeed waits for one byte
 * from the guest (it is ready for the next file), then writes the file's
 * contents to the line as fast as the socket takes them.  It keeps its
 * end open until COMMAND is done, and exits with COMMAND's exit status,
 * or 1 when the exchange failed.  Used by the chapter 3 tests and the
 * checker of exercise ch03/line-bulk-read.
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
#include <unistd.h>

#define GUEST_FD 10

static void die(const char *what)
{
	fprintf(stderr, "linefeed: error: %s: %s\n", what, strerror(errno));
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
	char line[32], **cmd, chunk[65536], c;
	int sp[2], data, status, i, f, sep, ok = 1;
	ssize_t n;
	pid_t pid;

	for (sep = 1; sep < argc && strcmp(argv[sep], "--"); sep++)
		;
	if (sep < 2 || sep + 1 >= argc) {
		fprintf(stderr, "usage: linefeed FILE... -- COMMAND [ARG...]\n");
		return 2;
	}
	for (f = 1; f < sep; f++)
		if (access(argv[f], R_OK) < 0)
			die(argv[f]);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
		die("socketpair");
	if (dup2(sp[0], GUEST_FD) < 0)
		die("dup2");
	close(sp[0]);
	if (fcntl(sp[1], F_SETFD, FD_CLOEXEC) < 0)
		die("fcntl");
	snprintf(line, sizeof(line), "ssl1=fd:%d", GUEST_FD);

	cmd = calloc(argc - sep, sizeof(*cmd));
	if (!cmd)
		die("calloc");
	for (i = sep + 1; i < argc; i++)
		cmd[i - sep - 1] = substitute(argv[i], line);

	signal(SIGPIPE, SIG_IGN);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execvp(cmd[0], cmd);
		fprintf(stderr, "linefeed: error: cannot run %s: %s\n", cmd[0],
			strerror(errno));
		_exit(127);
	}
	close(GUEST_FD);

	for (f = 1; ok && f < sep; f++) {
		do {
			n = read(sp[1], &c, 1);
		} while (n < 0 && errno == EINTR);
		if (n != 1) {
			fprintf(stderr, "linefeed: error: the guest closed the line before it was ready for %s\n",
				argv[f]);
			ok = 0;
			break;
		}
		data = open(argv[f], O_RDONLY | O_CLOEXEC);
		if (data < 0) {
			fprintf(stderr, "linefeed: error: %s: %s\n", argv[f],
				strerror(errno));
			ok = 0;
			break;
		}
		while (ok && (n = read(data, chunk, sizeof(chunk))) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 || put_all(sp[1], chunk, n) < 0) {
				fprintf(stderr, "linefeed: error: sending %s: %s\n",
					argv[f], strerror(errno));
				ok = 0;
			}
		}
		close(data);
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
