/*
 * mmcheck's checks across processes: cow, shared, stale.
 */
#include "mmcheck.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* the stale check's address: far from anything the loader places */
#define STALE_ADDR ((void *)0x4000000000UL)	/* 256 GiB */
#define STALE_PAGES 16
#define STALE_TAG 0x57a1u

/* ---- cow ------------------------------------------------------------- */

#define COW_PAGES 32
#define COW_GENERATIONS 3

struct cow {
	uint64_t *anon, *file;
	unsigned atag[COW_PAGES], ftag[COW_PAGES];
};

static void cow_write(struct cow *c, unsigned tag)
{
	for (size_t i = 0; i < COW_PAGES; i++) {
		c->atag[i] = c->ftag[i] = tag;
		fill(c->anon, i, 1, tag);
		fill(c->file, i, 1, tag);
	}
}

static void cow_expect(const struct cow *c, const char *what)
{
	expect(c->anon, 0, COW_PAGES, -1, c->atag, what);
	expect(c->file, 0, COW_PAGES, -1, c->ftag, what);
}

/*
 * Generation gen forks the next one.  After the fork the parent writes
 * first and the child must still see the pages as they were at the
 * fork; then the child writes, and the parent must not see it.
 */
static void cow_generation(struct cow *c, unsigned gen)
{
	char what[64];
	int down[2], up[2];
	pid_t pid;

	if (gen + 1 >= COW_GENERATIONS)
		return;
	if (pipe(down) != 0 || pipe(up) != 0)
		fail("pipe: %s", strerror(errno));
	pid = xfork();
	if (pid == 0) {
		await(down[0]);
		snprintf(what, sizeof(what), "generation %u after its "
			 "parent wrote", gen + 1);
		cow_expect(c, what);
		cow_write(c, 0x100 * (gen + 1) + 1);
		tell(up[1]);
		cow_generation(c, gen + 1);
		snprintf(what, sizeof(what), "generation %u after its "
			 "child's writes", gen + 1);
		cow_expect(c, what);
		_exit(0);
	}
	cow_write(c, 0x100 * gen + 2);
	tell(down[1]);
	await(up[0]);
	snprintf(what, sizeof(what), "generation %u after its child wrote", gen);
	cow_expect(c, what);
	reap(pid, "the child");
	cow_expect(c, what);
	close(down[0]), close(down[1]), close(up[0]), close(up[1]);
}

void check_cow(void)
{
	struct cow c;
	int fd = make_file(COW_PAGES);

	c.anon = xmmap(NULL, COW_PAGES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1);
	c.file = xmmap(NULL, COW_PAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd);
	/*
	 * Before the first fork: every fourth anonymous page never touched
	 * (the zero page, or nothing), every other file page still the
	 * file's (read, so it is mapped), the rest written.
	 */
	for (size_t i = 0; i < COW_PAGES; i++) {
		c.atag[i] = i % 4 == 3 ? 0 : 0x10;
		c.ftag[i] = i % 2 ? FILE_TAG : 0x10;
		if (c.atag[i])
			fill(c.anon, i, 1, c.atag[i]);
		if (c.ftag[i] != FILE_TAG)
			fill(c.file, i, 1, c.ftag[i]);
	}
	expect(c.file, 0, COW_PAGES, -1, c.ftag, "private file pages before fork");
	cow_generation(&c, 0);
	expect_file(fd, 0, COW_PAGES, FILE_TAG, "the file under private writes");
	close(fd);
}

/* ---- shared ---------------------------------------------------------- */

#define SH_PAGES 8

void check_shared(void)
{
	int fd = make_file(SH_PAGES), down[2], up[2];
	char *anon = xmmap(NULL, SH_PAGES, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1);
	char *file = xmmap(NULL, SH_PAGES, PROT_READ | PROT_WRITE,
			   MAP_SHARED, fd);
	uint64_t page[WORDS];
	pid_t pid;

	fill(anon, 0, SH_PAGES, 1);
	expect(file, 0, SH_PAGES, FILE_TAG, NULL, "the file's mapping");
	if (pipe(down) != 0 || pipe(up) != 0)
		fail("pipe: %s", strerror(errno));
	pid = xfork();
	if (pid == 0) {
		await(down[0]);
		expect(anon, 0, SH_PAGES, 2, NULL, "child: the parent's anonymous writes");
		expect(file, 0, SH_PAGES, 2, NULL, "child: the parent's file writes");
		fill(anon, 0, SH_PAGES, 3);
		fill(file, 1, SH_PAGES - 1, 3);
		fill_page(page, 0, 4);
		if (pwrite(fd, page, PG, 0) != (ssize_t)PG)
			fail("child: pwrite: %s", strerror(errno));
		tell(up[1]);
		await(down[0]);
		expect(anon, 0, SH_PAGES, 5, NULL, "child: the parent's second writes");
		expect(file, 0, SH_PAGES, 5, NULL, "child: the parent's second file writes");
		_exit(0);
	}
	fill(anon, 0, SH_PAGES, 2);
	fill(file, 0, SH_PAGES, 2);
	tell(down[1]);
	await(up[0]);
	expect(anon, 0, SH_PAGES, 3, NULL, "parent: the child's anonymous writes");
	expect(file, 1, SH_PAGES - 1, 3, NULL, "parent: the child's file writes");
	expect(file, 0, 1, 4, NULL, "parent: the child's pwrite() in the mapping");
	expect_file(fd, 1, SH_PAGES - 1, 3, "read() of the child's mapped writes");
	fill(anon, 0, SH_PAGES, 5);
	fill(file, 0, SH_PAGES, 5);
	tell(down[1]);
	reap(pid, "the child");
	expect_file(fd, 0, SH_PAGES, 5, "read() of the parent's mapped writes");
	close(fd);
}

/* ---- stale ----------------------------------------------------------- */

/* run 1: leave the magic value at STALE_ADDR and exit without unmapping */
void stale_write(void)
{
	char *p = xmmap(STALE_ADDR, STALE_PAGES, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1);

	if (p != STALE_ADDR)
		fail("mmap at %p gave %p", STALE_ADDR, (void *)p);
	fill(p, 0, STALE_PAGES, STALE_TAG);
}

/* run 2: nothing there; mapped afresh, zeros */
void stale_read(const char *what)
{
	char *p = STALE_ADDR;

	for (int i = 0; i < STALE_PAGES; i++)
		must_fault(p + i * PG, i % 2, SEGV_MAPERR, what);
	xmmap(p, STALE_PAGES, PROT_READ | PROT_WRITE,
	      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1);
	expect(p, 0, STALE_PAGES, 0, NULL, what);
}

static void run_self(const char *hidden)
{
	pid_t pid = xfork();

	if (pid == 0) {
		execl("/proc/self/exe", "mmcheck", hidden, (char *)NULL);
		fail("cannot execute /proc/self/exe: %s", strerror(errno));
	}
	reap(pid, hidden);
}

void check_stale(void)
{
	pid_t pid;

	/* two programs, one after the other */
	run_self("stale-write");
	run_self("stale-read");
	/* two forked children of this process, without exec */
	pid = xfork();
	if (pid == 0) {
		stale_write();
		_exit(0);
	}
	reap(pid, "the first child");
	pid = xfork();
	if (pid == 0) {
		stale_read("the next forked child");
		_exit(0);
	}
	reap(pid, "the second child");
}

