/*
 * thrpong: what handing work from one thread to another costs.
 *
 *   thrpong N
 *
 * Two threads of one process pass a token back and forth N times
 * through one shared word and the futex() system call: the main thread
 * gives the token to its peer (stores 1, FUTEX_WAKE) and sleeps until it
 * comes back (FUTEX_WAIT while the word is 1); the peer sleeps until it
 * has the token, gives it back (stores 0, FUTEX_WAKE) and sleeps again.
 * No thread spins: on one CPU a round trip is two switches from one
 * thread to the other and about four futex() calls, the path of every
 * mutex or condition variable that has to wait.  Under UML each thread
 * is a host process that the UML kernel process traces.  Prints
 *   rounds N
 *   us_per_round X
 * from the main thread's monotonic clock around the loop.  Exits 1 if a
 * thread cannot be made or a futex() call fails, 2 on a bad argument.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "timing.h"

/* whose turn it is: 0 the main thread's, 1 the peer's */
static atomic_int turn;
static long rounds;

static void futex(int op, int val)
{
	if (syscall(SYS_futex, (int *)&turn, op, val, NULL, NULL, 0) < 0 &&
	    errno != EAGAIN && errno != EINTR) {
		perror("thrpong: futex");
		exit(1);
	}
}

/* book: begin hand-over */
/* give the token to the other side (to = 0 or 1), then wait for it back */
static void hand_over(int to)
{
	atomic_store(&turn, to);
	futex(FUTEX_WAKE_PRIVATE, 1);
	while (atomic_load(&turn) == to)
		futex(FUTEX_WAIT_PRIVATE, to);	/* sleeps only while it is still "to" */
}
/* book: end hand-over */

static void *peer(void *arg)
{
	long i;

	(void)arg;
	while (atomic_load(&turn) == 0)
		futex(FUTEX_WAIT_PRIVATE, 0);
	for (i = 0; i < rounds - 1; i++)
		hand_over(0);
	/* the last one: give the token back and stop */
	atomic_store(&turn, 0);
	futex(FUTEX_WAKE_PRIVATE, 1);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	double t0, t1;
	long i;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: thrpong N\n");
		return 2;
	}
	rounds = count_arg("thrpong", "N", argv[1], 1L << 40);
	err = pthread_create(&t, NULL, peer, NULL);
	if (err) {
		fprintf(stderr, "thrpong: error: pthread_create: %s\n", strerror(err));
		return 1;
	}

	t0 = mono_us();
	for (i = 0; i < rounds; i++)
		hand_over(1);
	t1 = mono_us();

	err = pthread_join(t, NULL);
	if (err) {
		fprintf(stderr, "thrpong: error: pthread_join: %s\n", strerror(err));
		return 1;
	}
	printf("rounds %ld\nus_per_round %.3f\n", rounds, (t1 - t0) / rounds);
	return 0;
}
