/*
 * memcost: what memory costs a program, once it has it and before.
 *
 *   memcost [-s PREFIX] WRITE_MIB PASSES FAULT_MIB
 *
 * Two figures, each on a mapping of its own:
 *  - streaming writes: a WRITE_MIB buffer is populated with
 *    madvise(MADV_POPULATE_WRITE) (every page there without a page fault
 *    each, which under UML would take seconds) and written once all
 *    through, then memset() PASSES times more; the bandwidth of those
 *    passes, in GB/s (10^9 bytes a second);
 *  - first touch: a fresh FAULT_MIB mapping has one byte written in each
 *    of its 4 KiB pages, in address order: each write is a page fault
 *    that gets a zeroed page; the time per page, in µs.
 * The mappings are private anonymous memory (MAP_PRIVATE|MAP_ANONYMOUS),
 * or with -s a shared mapping (MAP_SHARED) of a new file PREFIX.XXXXXX
 * (mkstemp), unlinked as soon as it is open, on whatever file system
 * PREFIX is on: with PREFIX in /dev/shm that is tmpfs, the kind of
 * memory a UML guest's RAM is.  The file is sized with ftruncate() and
 * holds no page until one is touched (or populated).  Both mappings are advised
 * MADV_NOHUGEPAGE (where the kernel knows the advice), so that every
 * page is a 4 KiB one, as a UML guest's are.  Prints
 *   memory anon|shared-file
 *   write_gbps X
 *   fault_us_per_page X
 * Exits 1 if memory cannot be had, 2 on a bad argument.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "timing.h"

#define PAGE 4096UL

static const char *prefix;	/* -s PREFIX, or NULL for anonymous memory */

static void fail(const char *what)
{
	fprintf(stderr, "memcost: error: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* len bytes of fresh memory of the kind asked for; with populate, every
 * page of it there (where the kernel can), else none */
static unsigned char *get_memory(size_t len, int populate)
{
	unsigned char *p;
	char path[4096];
	int fd;

	if (!prefix) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			fail("mmap");
	} else {
		if (snprintf(path, sizeof(path), "%s.XXXXXX", prefix) >= (int)sizeof(path)) {
			errno = ENAMETOOLONG;
			fail("-s PREFIX");
		}
		fd = mkstemp(path);
		if (fd < 0)
			fail(path);
		if (unlink(path) < 0)
			fail(path);
		if (ftruncate(fd, (off_t)len) < 0)
			fail("ftruncate");
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			fail("mmap");
		close(fd);	/* the mapping keeps the file */
	}
	/* 4 KiB pages only; a kernel without huge pages refuses the advice */
	(void)madvise(p, len, MADV_NOHUGEPAGE);
	/* a kernel older than 5.14 refuses it: the first memset() does it */
	if (populate)
		(void)madvise(p, len, MADV_POPULATE_WRITE);
	return p;
}

/* book: begin write */
static double write_gbps(size_t len, long passes)
{
	unsigned char *p = get_memory(len, 1);
	double t0, t1;
	long i;

	memset(p, 1, len);	/* every page there and written before the clock starts */
	t0 = mono_s();
	for (i = 0; i < passes; i++) {
		memset(p, (int)(i + 2), len);
		/* a read of what was written: the passes cannot be dropped */
		if (((volatile unsigned char *)p)[len - 1] != (unsigned char)(i + 2))
			fail("memset");
	}
	t1 = mono_s();
	munmap(p, len);
	return (double)len * passes / (t1 - t0) / 1e9;
}
/* book: end write */

/* book: begin fault */
static double fault_us_per_page(size_t len)
{
	unsigned char *p = get_memory(len, 0);
	double t0, t1;
	size_t off;

	t0 = mono_s();
	for (off = 0; off < len; off += PAGE)
		((volatile unsigned char *)p)[off] = 1;
	t1 = mono_s();
	munmap(p, len);
	return (t1 - t0) * 1e6 / (double)(len / PAGE);
}
/* book: end fault */

int main(int argc, char **argv)
{
	long write_mib, passes, fault_mib;
	double gbps, us;

	if (argc > 2 && strcmp(argv[1], "-s") == 0) {
		prefix = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: memcost [-s PREFIX] WRITE_MIB PASSES FAULT_MIB\n");
		return 2;
	}
	write_mib = count_arg("memcost", "WRITE_MIB", argv[1], 1L << 20);
	passes = count_arg("memcost", "PASSES", argv[2], 1L << 20);
	fault_mib = count_arg("memcost", "FAULT_MIB", argv[3], 1L << 20);

	gbps = write_gbps((size_t)write_mib << 20, passes);
	us = fault_us_per_page((size_t)fault_mib << 20);
	printf("memory %s\nwrite_gbps %.3f\nfault_us_per_page %.4f\n",
	       prefix ? "shared-file" : "anon", gbps, us);
	return 0;
}
