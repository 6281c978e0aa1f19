/*
 * forkexec: time the fork + exec + wait cycle.
 *
 *   forkexec N PROG [ARGS...]
 *
 * Runs PROG (searched in PATH if it has no slash) N times, one after
 * the other, each time with fork(), execvp() and waitpid(), and prints
 *   forkexec: N iterations, X us/iter
 * measured with the monotonic clock over the whole loop.  Any failure
 * (fork, exec, a child that does not exit with status 0) stops the loop
 * with a message on stderr and a non-zero exit status.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The child uses this status to say that execvp() itself failed. */
#define EXEC_FAILED 127

static void usage(void)
{
	fprintf(stderr, "usage: forkexec N PROG [ARGS...]\n");
	exit(2);
}

static double now_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		perror("forkexec: clock_gettime");
		exit(1);
	}
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Runs argv once; returns 0 on success, prints why and returns -1 if not. */
static int run_once(char **argv, unsigned long iter)
{
	pid_t pid = fork();
	int status;

	if (pid < 0) {
		fprintf(stderr, "forkexec: fork failed at iteration %lu: %s\n",
			iter, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "forkexec: cannot execute %s: %s\n",
			argv[0], strerror(errno));
		_exit(EXEC_FAILED);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "forkexec: waitpid: %s\n",
				strerror(errno));
			return -1;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		fprintf(stderr, "forkexec: %s exited with status %d "
			"at iteration %lu\n", argv[0], WEXITSTATUS(status),
			iter);
	else if (WIFSIGNALED(status))
		fprintf(stderr, "forkexec: %s killed by signal %d "
			"at iteration %lu\n", argv[0], WTERMSIG(status), iter);
	else
		fprintf(stderr, "forkexec: %s stopped with wait status %#x "
			"at iteration %lu\n", argv[0], (unsigned)status, iter);
	return -1;
}

int main(int argc, char **argv)
{
	unsigned long n, i;
	char *end;
	double start, elapsed;

	if (argc < 3)
		usage();
	errno = 0;
	n = strtoul(argv[1], &end, 10);
	if (errno != 0 || end == argv[1] || *end != '\0' || n == 0 ||
	    argv[1][0] == '-') {
		fprintf(stderr, "forkexec: N must be a positive integer, "
			"not '%s'\n", argv[1]);
		usage();
	}
	fflush(NULL);

	start = now_us();
	for (i = 0; i < n; i++)
		if (run_once(argv + 2, i + 1) != 0)
			return 1;
	elapsed = now_us() - start;

	printf("forkexec: %lu iterations, %.1f us/iter\n", n,
	       elapsed / (double)n);
	return fflush(stdout) == 0 ? 0 : 1;
}
