/*
 * timing.h: what the small timing programs of code/guest/src share (each
 * program is one .c file that includes this header).
 *
 *   mono_ns()      the monotonic clock, in nanoseconds
 *   mono_s()       the same, in seconds
 *   mono_us()      the same, in microseconds
 *   count_arg(PROG, WHAT, S, MAX)
 *                  S as a whole number from 1 to MAX; otherwise one
 *                  error line "PROG: error: ..." and exit status 2
 */
#ifndef FASTUML_TIMING_H
#define FASTUML_TIMING_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline double mono_s(void)
{
	return mono_ns() / 1e9;
}

static inline double mono_us(void)
{
	return mono_ns() / 1e3;
}

static inline long count_arg(const char *prog, const char *what, const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 1 || v > max) {
		fprintf(stderr, "%s: error: %s '%s' is not a number from 1 to %ld\n",
			prog, what, s, max);
		exit(2);
	}
	return v;
}

#endif
