/*
 * mmcheck's helpers: reporting, expected faults, page contents.
 */
#include "mmcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- reporting ------------------------------------------------------- */


void fail(const char *fmt, ...)
{
	va_list ap;

	printf("mmcheck %s: ", cur);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	_exit(1);
}

/* Waits for pid; a child that failed has said why, so just fail too. */
void reap(pid_t pid, const char *who)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			fail("waitpid for %s: %s", who, strerror(errno));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return;
	if (WIFEXITED(st)) {
		fflush(stdout);
		_exit(1);
	}
	fail("%s was killed by signal %d", who, WTERMSIG(st));
}

pid_t xfork(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	return pid;
}

void *xmmap(void *at, size_t pages, int prot, int flags, int fd)
{
	void *p = mmap(at, pages * PG, prot, flags, fd, 0);

	if (p == MAP_FAILED)
		fail("mmap of %zu pages: %s", pages, strerror(errno));
	return p;
}

void xmprotect(void *p, size_t pages, int prot)
{
	if (mprotect(p, pages * PG, prot) != 0)
		fail("mprotect %p: %s", p, strerror(errno));
}

void xmunmap(void *p, size_t pages)
{
	if (munmap(p, pages * PG) != 0)
		fail("munmap %p: %s", p, strerror(errno));
}

/* one byte through a pipe: the handshakes between processes */
void tell(int fd)
{
	if (write(fd, "x", 1) != 1)
		fail("pipe write: %s", strerror(errno));
}

void await(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1)
		fail("pipe read: the other process is gone");
}

/* ---- faults ---------------------------------------------------------- */

static __thread sigjmp_buf fault_jmp;
static __thread volatile sig_atomic_t armed;
static __thread void *volatile fault_addr;
static __thread volatile int fault_code;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	char msg[128];
	int n;

	(void)uc;
	if (armed) {
		armed = 0;
		fault_addr = si->si_addr;
		fault_code = si->si_code;
		siglongjmp(fault_jmp, sig);
	}
	n = snprintf(msg, sizeof(msg), "mmcheck %s: unexpected signal %d at "
		     "%p (si_code %d)\n", cur, sig, si->si_addr, si->si_code);
	if (write(1, msg, n) < 0)
		_exit(1);
	_exit(1);
}

void catch_faults(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) != 0 || sigaction(SIGBUS, &sa, NULL) != 0)
		fail("sigaction: %s", strerror(errno));
}

/*
 * Reads the word at p into *got, or writes v there if wr; returns 0, or
 * the signal the access raised.
 */
static int access_word(volatile uint64_t *p, int wr, uint64_t v, uint64_t *got)
{
	int sig = sigsetjmp(fault_jmp, 1);

	if (sig)
		return sig;
	armed = 1;
	if (wr)
		*p = v;
	else
		*got = *p;
	armed = 0;
	return 0;
}

/* The access must fault with SIGSEGV at p, with si_code code. */
void must_fault(void *p, int wr, int code, const char *what)
{
	uint64_t got = 0;
	int sig = access_word(p, wr, 0xbad, &got);

	if (!sig && wr)
		fail("%s: a write at %p did not fault", what, p);
	if (!sig)
		fail("%s: a read at %p did not fault (it read %#llx)", what,
		     p, (unsigned long long)got);
	if (sig != SIGSEGV || fault_addr != p || fault_code != code)
		fail("%s: a %s at %p raised signal %d at %p with si_code %d, "
		     "expected %d at %p with %d", what, wr ? "write" : "read",
		     p, sig, fault_addr, fault_code, SIGSEGV, p, code);
}

uint64_t must_read(void *p, const char *what)
{
	uint64_t got;
	int sig = access_word(p, 0, 0, &got);

	if (sig)
		fail("%s: a read at %p raised signal %d (si_code %d)", what,
		     p, sig, fault_code);
	return got;
}

void must_write(void *p, uint64_t v, const char *what)
{
	int sig = access_word(p, 1, v, NULL);

	if (sig)
		fail("%s: a write at %p raised signal %d (si_code %d)", what,
		     p, sig, fault_code);
}

/* ---- page contents --------------------------------------------------- */

/* word w of page i holds pat(tag, i, w); tag 0 means a page of zeros */
uint64_t pat(unsigned tag, size_t i, size_t w)
{
	return tag ? (uint64_t)tag << 40 | (uint64_t)i << 16 | w : 0;
}

void fill_page(void *page, size_t i, unsigned tag)
{
	for (size_t w = 0; w < WORDS; w++)
		((uint64_t *)page)[w] = pat(tag, i, w);
}

void fill(void *base, size_t first, size_t n, unsigned tag)
{
	for (size_t i = first; i < first + n; i++)
		fill_page((char *)base + i * PG, i, tag);
}

/* Page i of the address space (or file) is at page and must hold tag. */
void expect_page(const void *page, size_t i, unsigned tag,
			const char *what)
{
	for (size_t w = 0; w < WORDS; w++) {
		uint64_t got = ((const uint64_t *)page)[w];

		if (got != pat(tag, i, w))
			fail("%s: page %zu word %zu is %#llx, expected %#llx",
			     what, i, w, (unsigned long long)got,
			     (unsigned long long)pat(tag, i, w));
	}
}

/* Pages first..first+n-1 of base hold tag (page i tags[i] if tag < 0). */
void expect(const void *base, size_t first, size_t n, long tag,
		   const unsigned *tags, const char *what)
{
	for (size_t i = first; i < first + n; i++)
		expect_page((const char *)base + i * PG, i,
			    tag < 0 ? tags[i] : (unsigned)tag, what);
}

/* An unlinked file of n pages of pat(FILE_TAG) in dir. */
int make_file(size_t n)
{
	uint64_t page[WORDS];
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/mmcheck.%s.%d", dir, cur, getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		fail("cannot create %s: %s", path, strerror(errno));
	unlink(path);
	for (size_t i = 0; i < n; i++) {
		fill_page(page, i, FILE_TAG);
		if (write(fd, page, PG) != (ssize_t)PG)
			fail("cannot write %s: %s", path, strerror(errno));
	}
	return fd;
}

/* The file's pages first..first+n-1, read with pread(), hold tag. */
void expect_file(int fd, size_t first, size_t n, unsigned tag,
			const char *what)
{
	static uint64_t page[WORDS];

	for (size_t i = first; i < first + n; i++) {
		if (pread(fd, page, PG, i * PG) != (ssize_t)PG)
			fail("%s: pread: %s", what, strerror(errno));
		expect_page(page, i, tag, what);
	}
}

