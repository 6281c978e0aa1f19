/*
 * pagetouch: touch a given number of fresh memory pages, for the tests that
 * count the host work a guest page costs (code/tests/52-history-mm.t).
 *
 *   pagetouch [-f] PAGES [PROG [ARGS...]]
 *
 * Maps PAGES anonymous pages with MAP_POPULATE, so that the guest kernel
 * sets up every page table entry inside the one mmap() call, then writes
 * one word to each page, in address order, and reads them all back.
 * With -f the mapping is not populated: each first write is a guest page
 * fault (code/tests/59-ch6-mm.t, exercise ch06/anon-fault-around).  With PROG, it then forks
 * a child that executes PROG (a path) and waits for it: the fork copies a
 * process that holds PAGES more pages.  Its system calls do not depend on
 * PAGES: any host work that grows with PAGES is the price of getting those
 * pages into a host process.  Exits 0 if every page holds what was written
 * (and PROG exited 0), 1 with a message otherwise, 2 on a bad argument.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* 1 GiB of 4 KiB pages: far more than a test guest has */
#define MAX_PAGES (1UL << 18)

/* Forks, executes argv[0] in the child, waits; 0 if it exited 0. */
static int run(char **argv)
{
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		perror("pagetouch: fork");
		return -1;
	}
	if (pid == 0) {
		execv(argv[0], argv);
		fprintf(stderr, "pagetouch: cannot execute %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("pagetouch: waitpid");
			return -1;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	fprintf(stderr, "pagetouch: %s failed (wait status %#x)\n", argv[0],
		(unsigned int)status);
	return -1;
}

int main(int argc, char **argv)
{
	unsigned long pages, i;
	long page_size = sysconf(_SC_PAGESIZE);
	int populate = MAP_POPULATE;
	char *end, *mem;

	if (argc > 1 && strcmp(argv[1], "-f") == 0) {
		populate = 0;
		argv++;
		argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: pagetouch [-f] PAGES [PROG [ARGS...]]\n");
		return 2;
	}
	errno = 0;
	pages = strtoul(argv[1], &end, 10);
	if (errno != 0 || end == argv[1] || *end != '\0' ||
	    argv[1][0] == '-' || pages == 0 || pages > MAX_PAGES) {
		fprintf(stderr, "pagetouch: PAGES must be 1..%lu, not '%s'\n",
			MAX_PAGES, argv[1]);
		return 2;
	}
	if (page_size <= 0) {
		perror("pagetouch: sysconf(_SC_PAGESIZE)");
		return 1;
	}

	mem = mmap(NULL, pages * (unsigned long)page_size,
		   PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | populate, -1, 0);
	if (mem == MAP_FAILED) {
		perror("pagetouch: mmap");
		return 1;
	}
	for (i = 0; i < pages; i++)
		*(volatile unsigned long *)(mem + i * page_size) = i + 1;
	for (i = 0; i < pages; i++) {
		if (*(volatile unsigned long *)(mem + i * page_size) != i + 1) {
			fprintf(stderr, "pagetouch: page %lu lost its value\n",
				i);
			return 1;
		}
	}
	if (argc > 2 && run(argv + 2) != 0)
		return 1;
	return 0;
}
