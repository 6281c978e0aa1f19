/*
 * pipepong: what a message to another process and its answer cost.
 *
 *   pipepong N [SIZE]
 *
 * A parent and its child pass a SIZE-byte message (default 64, at most
 * 4096) back and forth over two pipes, N times: the parent writes it to
 * the child, the child reads all of it and writes it back, the parent
 * reads all of the answer.  A round trip is two writes, two reads (or
 * more, should a read return less) and two switches from one process to
 * the other.  Prints
 *   rounds N
 *   size SIZE
 *   us_per_round X
 * from the parent's monotonic clock around the loop.  A failure stops
 * both processes with a message on stderr and status 1 (2 for a bad
 * argument); each process holds only the pipe ends it uses, so the end
 * of one is an end of file for the other and nothing waits for ever.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "timing.h"

#define MAX_SIZE 4096

/* all of len bytes, or -1 (end of file counts as an error: EPIPE) */
static int get(int fd, char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EPIPE;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int put(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* the child: echo messages until the parent closes its end */
static int echo(int in, int out, size_t size)
{
	char buf[MAX_SIZE];

	for (;;) {
		ssize_t n = read(in, buf, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return 0;	/* the parent is done */
		if (n < 0 || get(in, buf + n, size - (size_t)n) < 0 ||
		    put(out, buf, size) < 0) {
			perror("pipepong: child");
			return 1;
		}
	}
}

int main(int argc, char **argv)
{
	int to_child[2], to_parent[2], status;
	char msg[MAX_SIZE], back[MAX_SIZE];
	long rounds, size, i;
	double t0, t1;
	pid_t pid;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: pipepong N [SIZE]\n");
		return 2;
	}
	rounds = count_arg("pipepong", "N", argv[1], 1L << 40);
	size = argc == 3 ? count_arg("pipepong", "SIZE", argv[2], MAX_SIZE) : 64;
	for (i = 0; i < size; i++)
		msg[i] = (char)('a' + i % 26);

	/* a write to a pipe whose reader is gone fails (EPIPE), and says so */
	signal(SIGPIPE, SIG_IGN);
	if (pipe(to_child) < 0 || pipe(to_parent) < 0) {
		perror("pipepong: pipe");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("pipepong: fork");
		return 1;
	}
	if (pid == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		_exit(echo(to_child[0], to_parent[1], (size_t)size));
	}
	close(to_child[0]);
	close(to_parent[1]);

	t0 = mono_us();
	/* book: begin loop */
	for (i = 0; i < rounds; i++) {
		if (put(to_child[1], msg, (size_t)size) < 0 ||
		    get(to_parent[0], back, (size_t)size) < 0) {
			perror("pipepong: parent");
			return 1;	/* the child reads end of file and exits */
		}
	}
	/* book: end loop */
	t1 = mono_us();

	close(to_child[1]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("pipepong: waitpid");
			return 1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "pipepong: error: the child failed (wait status %#x)\n",
			(unsigned int)status);
		return 1;
	}
	if (memcmp(msg, back, (size_t)size) != 0) {
		fprintf(stderr, "pipepong: error: the answer differs from the message\n");
		return 1;
	}
	printf("rounds %ld\nsize %ld\nus_per_round %.3f\n", rounds, size, (t1 - t0) / rounds);
	return 0;
}
