/*
 * timerlat: how late a periodic sleeper wakes up.
 *
 *   timerlat N [PERIOD_US]
 *
 * Sleeps N times with clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)
 * until absolute deadlines PERIOD_US apart (default 1000 µs: a 1 kHz
 * loop), the first one period after the start.  After each wake-up it
 * reads the clock: the lateness is the time past the deadline it slept
 * for.  The next deadline is the next one of the grid start + k *
 * PERIOD_US that is still ahead: a deadline that passed while it slept
 * or ran is missed, not caught up with by a sleep that returns at once,
 * so every wake-up is a real one and the loop's achieved period shows
 * how often the system can wake it.  Prints
 *   wakeups N
 *   period_us PERIOD_US
 *   late_mean_us X
 *   late_max_us X
 *   achieved_period_us X      (from the start to the last wake-up, / N)
 *   missed M                  (deadlines skipped)
 * Runs with the scheduling policy it was started with.  Exits 1 if
 * clock_nanosleep() fails, 2 on a bad argument.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "timing.h"

int main(int argc, char **argv)
{
	long long start, deadline, period, now = 0, late, sum = 0, max = 0, missed = 0;
	struct timespec ts;
	long n, i;
	int err;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: timerlat N [PERIOD_US]\n");
		return 2;
	}
	n = count_arg("timerlat", "N", argv[1], 10000000);
	period = 1000LL * (argc == 3 ? count_arg("timerlat", "PERIOD_US", argv[2], 10000000) : 1000);

	start = mono_ns();
	deadline = start + period;
	/* book: begin loop */
	for (i = 0; i < n; i++) {
		ts.tv_sec = deadline / 1000000000LL;
		ts.tv_nsec = deadline % 1000000000LL;
		do
			err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		while (err == EINTR);
		if (err) {
			fprintf(stderr, "timerlat: error: clock_nanosleep: %s\n", strerror(err));
			return 1;
		}
		now = mono_ns();
		late = now - deadline;
		sum += late;
		if (late > max)
			max = late;
		/* the next deadline still ahead; those passed are missed */
		deadline += period;
		if (deadline <= now) {
			long long skip = (now - deadline) / period + 1;

			missed += skip;
			deadline += skip * period;
		}
	}
	/* book: end loop */

	printf("wakeups %ld\nperiod_us %lld\nlate_mean_us %.2f\nlate_max_us %.2f\n"
	       "achieved_period_us %.2f\nmissed %lld\n",
	       n, period / 1000, sum / 1e3 / n, max / 1e3, (now - start) / 1e3 / n, missed);
	return 0;
}
