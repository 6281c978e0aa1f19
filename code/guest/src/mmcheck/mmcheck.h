/*
 * mmcheck.h: what the parts of mmcheck share (see main.c).
 */
#ifndef MMCHECK_H
#define MMCHECK_H
#define _GNU_SOURCE
#include <signal.h>	/* SEGV_MAPERR, SEGV_ACCERR */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PG 4096UL
#define WORDS (PG / sizeof(uint64_t))
#define FILE_TAG 0xf11eu	/* the pages of a file make_file() wrote */

extern const char *cur;		/* the check being run */
extern const char *dir;		/* where files go */

/* util.c: reporting; every x* call and must_* check fails the check */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void reap(pid_t pid, const char *who);
pid_t xfork(void);
void *xmmap(void *at, size_t pages, int prot, int flags, int fd);
void xmprotect(void *p, size_t pages, int prot);
void xmunmap(void *p, size_t pages);
void tell(int fd);
void await(int fd);

/* util.c: faults */
void catch_faults(void);
void must_fault(void *p, int wr, int code, const char *what);
uint64_t must_read(void *p, const char *what);
void must_write(void *p, uint64_t v, const char *what);

/* util.c: page contents */
uint64_t pat(unsigned tag, size_t i, size_t w);
void fill_page(void *page, size_t i, unsigned tag);
void fill(void *base, size_t first, size_t n, unsigned tag);
void expect_page(const void *page, size_t i, unsigned tag, const char *what);
void expect(const void *base, size_t first, size_t n, long tag,
	    const unsigned *tags, const char *what);
int make_file(size_t n);
void expect_file(int fd, size_t first, size_t n, unsigned tag, const char *what);

/* the checks: procs.c (across processes), maps.c (within one) */
void check_cow(void);
void check_shared(void);
void check_stale(void);
void stale_write(void);
void stale_read(const char *what);
void check_mprotect(void);
void check_munmap(void);
void check_mremap(void);
void check_threads(void);

#endif
