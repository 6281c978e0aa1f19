/*
 * timeit: run a command and print how long it took.
 *
 *   timeit PROG [ARGS...]
 *
 * Runs PROG (searched in PATH) with fork(), execvp() and waitpid() and
 * prints "timeit: X.XXXXXX s" on stderr, measured with the monotonic
 * clock from just before the fork to just after the wait.  The exit
 * status is PROG's (127 if it could not be run, 128+N if signal N
 * killed it).  Busybox's date has no sub-second format, so the
 * benchmarks use this to time a guest command with microseconds.
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

static double now_s(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		perror("timeit: clock_gettime");
		exit(125);
	}
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double start, end;
	pid_t pid;
	int status;

	if (argc < 2) {
		fprintf(stderr, "usage: timeit PROG [ARGS...]\n");
		return 125;
	}
	start = now_s();
	pid = fork();
	if (pid < 0) {
		perror("timeit: fork");
		return 125;
	}
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "timeit: cannot run %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid) {
		perror("timeit: waitpid");
		return 125;
	}
	end = now_s();
	fprintf(stderr, "timeit: %.6f s\n", end - start);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
