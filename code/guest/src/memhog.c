/*
 * memhog: take memory until the kernel stops it.
 *
 *   memhog
 *
 * Allocates anonymous memory 1 MiB at a time and writes every page of
 * it, without end: the out-of-memory killer is meant to end it with
 * SIGKILL.  It first sets its own oom_score_adj to 1000, so that it is
 * the process chosen.  Every 64 MiB it prints how much it holds.  If an
 * allocation fails instead (overcommit refused it), it says so and
 * exits 1; it never exits 0.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHUNK (1L << 20)

int main(void)
{
	FILE *adj = fopen("/proc/self/oom_score_adj", "w");
	long mib;

	if (!adj || fputs("1000\n", adj) == EOF || fclose(adj)) {
		perror("memhog: oom_score_adj");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (mib = 1;; mib++) {
		char *p = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			fprintf(stderr, "memhog: no more memory after %ld MiB (mmap refused)\n", mib - 1);
			return 1;
		}
		memset(p, (int)mib, CHUNK);
		if (mib % 64 == 0)
			printf("memhog: %ld MiB\n", mib);
	}
}
