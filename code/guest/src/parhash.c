/*
 * parhash: a fixed CPU-bound job, split among threads.
 *
 *   parhash THREADS PASSES
 *
 * The job is PASSES passes of an integer hash over a 256 KiB buffer of
 * 64-bit words (small enough to stay in a CPU's own cache, so that
 * memory bandwidth does not limit it).  THREADS threads share the passes
 * out (as evenly as they go), each over its own buffer with the same
 * contents, and run at once; the job makes no system call between its
 * start and its end.  On a machine with THREADS free CPUs the job takes
 * 1/THREADS of the time one thread takes; on one CPU (UML 6.12 is a
 * uniprocessor kernel) it takes as long whatever THREADS is.  Prints
 *   threads THREADS
 *   passes PASSES
 *   seconds X
 *   hash H
 * X from the monotonic clock, from before the first thread is made to
 * after the last one is joined; H (the threads' hashes combined) only
 * keeps the compiler from dropping the work.  Exits 1 if a thread cannot
 * be made, 2 on a bad argument.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "timing.h"

#define WORDS (256 * 1024 / 8)
#define MAX_THREADS 64

struct part {
	pthread_t thread;
	long passes;
	uint64_t hash;
	uint64_t buf[WORDS];
};

/* book: begin hash */
/* one thread's share: each word mixed into a running hash, pass after pass */
static void *work(void *arg)
{
	struct part *p = arg;
	uint64_t h = 0;
	long pass;
	int i;

	for (pass = 0; pass < p->passes; pass++) {
		for (i = 0; i < WORDS; i++) {
			h = (h ^ p->buf[i]) * 0x9e3779b97f4a7c15u;
			h ^= h >> 31;
		}
	}
	p->hash = h;
	return NULL;
}
/* book: end hash */

int main(int argc, char **argv)
{
	struct part *parts;
	long threads, passes, t;
	uint64_t hash = 0;
	double t0, t1;
	int i, err;

	if (argc != 3) {
		fprintf(stderr, "usage: parhash THREADS PASSES\n");
		return 2;
	}
	threads = count_arg("parhash", "THREADS", argv[1], MAX_THREADS);
	passes = count_arg("parhash", "PASSES", argv[2], 1L << 40);
	parts = calloc((size_t)threads, sizeof(*parts));
	if (!parts) {
		perror("parhash: calloc");
		return 1;
	}
	for (t = 0; t < threads; t++) {
		parts[t].passes = passes / threads + (t < passes % threads);
		for (i = 0; i < WORDS; i++)
			parts[t].buf[i] = (uint64_t)i * 0x0101010101010101u + 1;
	}

	t0 = mono_s();
	for (t = 0; t < threads; t++) {
		err = pthread_create(&parts[t].thread, NULL, work, &parts[t]);
		if (err) {
			fprintf(stderr, "parhash: error: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	for (t = 0; t < threads; t++) {
		err = pthread_join(parts[t].thread, NULL);
		if (err) {
			fprintf(stderr, "parhash: error: pthread_join: %s\n", strerror(err));
			return 1;
		}
		hash = hash * 31 + parts[t].hash;
	}
	t1 = mono_s();

	printf("threads %ld\npasses %ld\nseconds %.6f\nhash %016llx\n", threads, passes,
	       t1 - t0, (unsigned long long)hash);
	return 0;
}
