/*
 * mmcheck: check that the kernel keeps address spaces right.  What a
 * process maps, protects, unmaps, shares or inherits must be exactly
 * what it can reach, from its very next access on: UML keeps a host
 * mapping per guest page and brings it up to date lazily, so a missed
 * update shows as an access that should fault and does not, or as
 * memory that shows another process's data.
 *
 *   mmcheck [-d DIR] all|cow|mprotect|munmap|shared|mremap|threads|stale...
 *
 *   cow       fork over three generations, with anonymous and private
 *             file pages: every process writes after the fork and each
 *             sees only its own writes; the file stays as it was
 *   mprotect  RW -> RO: the next write faults; PROT_NONE: a read
 *             faults; a change of half a range; RO -> RW: writes work
 *   munmap    access to an unmapped page faults; MAP_FIXED over it
 *             again gives zeros
 *   shared    MAP_SHARED anonymous and file memory, parent and child
 *             see each other's writes; read() sees mapped writes and
 *             the mapping sees pwrite()
 *   mremap    grow and move keep the contents; the old range faults
 *   threads   two threads of one process: one unmaps or write-protects
 *             a page the other just used, whose next access faults
 *   stale     a program writes a magic value at a fixed address and
 *             exits; the next program (after exec, and after fork) must
 *             fault there
 *
 * Files go to DIR (default /tmp) and are unlinked at once.  Each check
 * runs in a child process and prints "mmcheck NAME: ok" or the first
 * difference; the exit status is 1 if any check failed, 2 on bad usage.
 * Expected faults are caught with sigsetjmp/siglongjmp; the fault's
 * address and si_code are checked too.
 *
 * Parts: util.c (reporting, expected faults, page contents), procs.c
 * (cow, shared, stale), maps.c (mprotect, munmap, mremap, threads).
 */
#include "mmcheck.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

const char *cur = "mmcheck";
const char *dir = "/tmp";

static const struct {
	const char *name;
	void (*fn)(void);
} checks[] = {
	{ "cow", check_cow }, { "mprotect", check_mprotect },
	{ "munmap", check_munmap }, { "shared", check_shared },
	{ "mremap", check_mremap }, { "threads", check_threads },
	{ "stale", check_stale },
};
#define NCHECKS (sizeof(checks) / sizeof(checks[0]))

/* Runs check i in a child; prints its ok line; returns 0 if it passed. */
static int run_check(size_t i)
{
	pid_t pid;
	int st;

	cur = checks[i].name;
	pid = xfork();
	if (pid == 0) {
		checks[i].fn();
		_exit(0);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			printf("mmcheck %s: waitpid: %s\n", cur, strerror(errno));
			return 1;
		}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		printf("mmcheck %s: ok\n", cur);
		return 0;
	}
	if (WIFSIGNALED(st))
		printf("mmcheck %s: killed by signal %d\n", cur, WTERMSIG(st));
	return 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: mmcheck [-d DIR] all|cow|mprotect|munmap|"
		"shared|mremap|threads|stale...\n");
	return 2;
}

int main(int argc, char **argv)
{
	int bad = 0, a = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	catch_faults();
	if (argc == 2 && strcmp(argv[1], "stale-write") == 0) {
		cur = "stale";
		stale_write();
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "stale-read") == 0) {
		cur = "stale";
		stale_read("the next program");
		return 0;
	}
	if (argc > 2 && strcmp(argv[1], "-d") == 0)
		dir = argv[2], a = 3;
	if (a >= argc)
		return usage();
	for (int i = a; i < argc; i++) {
		size_t k = 0;

		if (strcmp(argv[i], "all") != 0) {
			while (k < NCHECKS && strcmp(argv[i], checks[k].name) != 0)
				k++;
			if (k == NCHECKS)
				return usage();
		}
	}
	for (int i = a; i < argc; i++)
		for (size_t k = 0; k < NCHECKS; k++)
			if (strcmp(argv[i], "all") == 0 ||
			    strcmp(argv[i], checks[k].name) == 0)
				bad += run_check(k);
	return bad ? 1 : 0;
}
