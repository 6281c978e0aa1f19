/*
 * sysloop: what the cheapest guest system call costs.
 *
 *   sysloop N
 *
 * Calls getppid() N times in a tight loop.  getppid() does next to no
 * work in the kernel and the C library does not cache it, so each call
 * is one trip into the kernel and back and nothing else: under UML a
 * ptrace stop of the process's host process, a turn of the UML kernel
 * process, and the resume.  Prints
 *   calls N
 *   us_per_call X
 * from the monotonic clock around the loop.  Exits 2 on a bad argument.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "timing.h"

int main(int argc, char **argv)
{
	volatile pid_t sink = 0;
	double t0, t1;
	long n, i;

	if (argc != 2) {
		fprintf(stderr, "usage: sysloop N\n");
		return 2;
	}
	n = count_arg("sysloop", "N", argv[1], 1L << 40);

	t0 = mono_us();
	/* book: begin loop */
	for (i = 0; i < n; i++)
		sink = getppid();
	/* book: end loop */
	t1 = mono_us();
	(void)sink;

	printf("calls %ld\nus_per_call %.4f\n", n, (t1 - t0) / n);
	return 0;
}
