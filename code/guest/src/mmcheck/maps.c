/*
 * mmcheck's checks within one address space: mprotect, munmap, mremap,
 * and threads (one changes a mapping the other uses).
 */
#include "mmcheck.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

/* ---- mprotect -------------------------------------------------------- */

void check_mprotect(void)
{
	char *p = xmmap(NULL, 8, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1);
	const char *w = "RW -> RO";

	fill(p, 0, 8, 1);
	xmprotect(p, 8, PROT_READ);
	must_fault(p + 3 * PG + 8, 1, SEGV_ACCERR, w);
	expect(p, 0, 8, 1, NULL, w);

	w = "RO -> PROT_NONE";
	xmprotect(p, 8, PROT_NONE);
	must_fault(p + 5 * PG, 0, SEGV_ACCERR, w);

	w = "pages 0-3 RW, 4-7 RO";
	xmprotect(p, 4, PROT_READ | PROT_WRITE);
	xmprotect(p + 4 * PG, 4, PROT_READ);
	fill(p, 0, 4, 2);
	must_fault(p + 4 * PG, 1, SEGV_ACCERR, w);
	must_fault(p + 7 * PG + 16, 1, SEGV_ACCERR, w);
	expect(p, 0, 4, 2, NULL, w);
	expect(p, 4, 4, 1, NULL, w);

	w = "pages 2-5 PROT_NONE";
	xmprotect(p + 2 * PG, 4, PROT_NONE);
	must_fault(p + 2 * PG, 0, SEGV_ACCERR, w);
	must_fault(p + 5 * PG + 64, 0, SEGV_ACCERR, w);
	must_write(p + PG, pat(3, 1, 0), w);
	must_fault(p + 6 * PG, 1, SEGV_ACCERR, w);
	if (must_read(p + 7 * PG, w) != pat(1, 7, 0))
		fail("%s: page 7 changed", w);

	w = "all RO -> RW";
	xmprotect(p, 8, PROT_READ | PROT_WRITE);
	must_write(p + 6 * PG, pat(4, 6, 0), w);
	fill(p, 0, 8, 5);
	expect(p, 0, 8, 5, NULL, w);
	xmunmap(p, 8);

	/*
	 * The first write to a page right below a read-only part that no
	 * one has touched yet: whatever the kernel fills in around a fault
	 * must keep the other part's rights.
	 */
	w = "a first write below untouched RO pages";
	p = xmmap(NULL, 8, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1);
	xmprotect(p + 4 * PG, 4, PROT_READ);
	must_write(p + 3 * PG, pat(6, 3, 0), w);
	must_fault(p + 4 * PG, 1, SEGV_ACCERR, w);
	must_fault(p + 7 * PG + 8, 1, SEGV_ACCERR, w);
	expect(p, 4, 4, 0, NULL, w);
	xmunmap(p, 8);
}

/* ---- munmap ---------------------------------------------------------- */

void check_munmap(void)
{
	char *p = xmmap(NULL, 8, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1);
	const char *w = "pages 2-5 unmapped";
	int fd;

	fill(p, 0, 8, 1);
	xmunmap(p + 2 * PG, 4);
	must_fault(p + 2 * PG, 0, SEGV_MAPERR, w);
	must_fault(p + 5 * PG + 8, 1, SEGV_MAPERR, w);
	expect(p, 0, 2, 1, NULL, w);
	expect(p, 6, 2, 1, NULL, w);

	w = "MAP_FIXED over the hole";
	xmmap(p + 2 * PG, 4, PROT_READ | PROT_WRITE,
	      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1);
	expect(p, 2, 4, 0, NULL, w);
	w = "all unmapped";
	xmunmap(p, 8);
	for (int i = 0; i < 8; i++)
		must_fault(p + i * PG, i % 2, SEGV_MAPERR, w);

	w = "MAP_FIXED anonymous where a file was";
	fd = make_file(8);
	xmmap(p, 8, PROT_READ, MAP_SHARED | MAP_FIXED, fd);
	expect(p, 0, 8, FILE_TAG, NULL, "the file's mapping");
	xmmap(p, 8, PROT_READ | PROT_WRITE,
	      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1);
	expect(p, 0, 8, 0, NULL, w);
	xmunmap(p, 8);
	must_fault(p + 7 * PG, 0, SEGV_MAPERR, "unmapped again");
	close(fd);

	/*
	 * The first write to a page right below a hole: whatever the kernel
	 * fills in around a fault must stay inside the mapping.
	 */
	w = "a first write below a hole";
	p = xmmap(NULL, 8, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1);
	xmunmap(p + 2 * PG, 4);
	must_write(p + PG, pat(7, 1, 0), w);
	must_fault(p + 2 * PG, 1, SEGV_MAPERR, w);
	must_fault(p + 5 * PG + 8, 0, SEGV_MAPERR, w);
	xmunmap(p, 8);
}

/* ---- mremap ---------------------------------------------------------- */

void check_mremap(void)
{
	char *p = xmmap(NULL, 4, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1), *q, *to;

	void *guard;

	fill(p, 0, 4, 1);
	/* grow: a mapping right after it makes the kernel move it */
	guard = mmap(p + 4 * PG, PG, PROT_READ,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	q = mremap(p, 4 * PG, 16 * PG, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		fail("mremap grow: %s", strerror(errno));
	expect(q, 0, 4, 1, NULL, "grown: the old pages");
	expect(q, 4, 12, 0, NULL, "grown: the new pages");
	if (q != p) {
		must_fault(p, 0, SEGV_MAPERR, "grown and moved: the old range");
		must_fault(p + 3 * PG, 1, SEGV_MAPERR, "grown and moved: the old range");
	}
	if (guard != MAP_FAILED)
		xmunmap(guard, 1);
	fill(q, 0, 16, 2);

	/* move to a chosen place */
	to = xmmap(NULL, 16, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	p = mremap(q, 16 * PG, 16 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, to);
	if (p != to)
		fail("mremap to %p gave %p: %s", to, p, strerror(errno));
	expect(p, 0, 16, 2, NULL, "moved");
	must_fault(q, 0, SEGV_MAPERR, "moved: the old range");
	must_fault(q + 15 * PG, 1, SEGV_MAPERR, "moved: the old range");

	/* shrink */
	if (mremap(p, 16 * PG, 2 * PG, 0) != p)
		fail("mremap shrink: %s", strerror(errno));
	expect(p, 0, 2, 2, NULL, "shrunk");
	must_fault(p + 2 * PG, 0, SEGV_MAPERR, "shrunk: the cut pages");
	must_fault(p + 15 * PG, 0, SEGV_MAPERR, "shrunk: the cut pages");
	xmunmap(p, 2);
}

/* ---- threads --------------------------------------------------------- */

#define TH_PAGES 16
static pthread_barrier_t bar;
static char *th_mem;

static void sync_threads(void)
{
	int rc = pthread_barrier_wait(&bar);

	if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD)
		fail("pthread_barrier_wait: %s", strerror(rc));
}

/* the second thread: pages 8-15 are its own, 0-7 the first thread's */
static void *th_second(void *arg)
{
	(void)arg;
	fill(th_mem, 8, 8, 2);
	sync_threads();
	expect(th_mem, 0, 8, 1, NULL, "second thread: the first one's pages");
	sync_threads();
	/* the first thread unmaps pages 12-15 */
	must_write(th_mem + 15 * PG, 7, "second thread before munmap");
	sync_threads();
	sync_threads();
	must_fault(th_mem + 15 * PG, 0, SEGV_MAPERR, "second thread after munmap");
	must_fault(th_mem + 12 * PG, 1, SEGV_MAPERR, "second thread after munmap");
	/* the first thread write-protects pages 0-7 */
	must_write(th_mem, 8, "second thread before mprotect");
	sync_threads();
	sync_threads();
	must_fault(th_mem, 1, SEGV_ACCERR, "second thread after mprotect");
	if (must_read(th_mem, "second thread after mprotect") != 8)
		fail("second thread after mprotect: its own write was lost");
	sync_threads();
	return NULL;
}

void check_threads(void)
{
	pthread_t t;
	int rc;

	th_mem = xmmap(NULL, TH_PAGES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1);
	pthread_barrier_init(&bar, NULL, 2);
	rc = pthread_create(&t, NULL, th_second, NULL);
	if (rc != 0)
		fail("pthread_create: %s", strerror(rc));
	fill(th_mem, 0, 8, 1);
	sync_threads();
	expect(th_mem, 8, 8, 2, NULL, "first thread: the second one's pages");
	sync_threads();
	sync_threads();
	if (must_read(th_mem + 15 * PG, "first thread") != 7)
		fail("first thread: the second one's write is not there");
	xmunmap(th_mem + 12 * PG, 4);
	sync_threads();
	sync_threads();
	xmprotect(th_mem, 8, PROT_READ);
	sync_threads();
	sync_threads();
	must_fault(th_mem + 7 * PG, 1, SEGV_ACCERR, "first thread after its mprotect");
	pthread_join(t, NULL);
	xmunmap(th_mem, 12);
}

