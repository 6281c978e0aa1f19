/*
 * fpcheck: check that the floating-point and vector register state of a
 * process survives context switches, fork and signal delivery.
 *
 * The parent first computes reference results with nothing else going
 * on.  Then it forks WORKERS children and works alongside them; every
 * process arms a SIGALRM interval timer whose handler does FP and
 * vector work of its own, and every process repeats, ROUNDS times:
 *
 *   - spin: a chaotic recurrence (the logistic map) in SSE2, AVX and
 *     AVX-512 vectors and in x87 long double, whose result is compared
 *     bit for bit with the reference; a chaotic map turns any
 *     disturbance of a register into a different result;
 *   - hold: loads a pattern unique to the process and round into every
 *     vector register (xmm0-15, ymm0-15, zmm0-31 and k1-7), busy-waits
 *     in integer code around a sched_yield() system call and a write to
 *     a page that is not mapped (a page fault), and checks that the
 *     registers still hold the pattern.
 *
 * Every process also runs a second thread that does the holds with a
 * pattern of its own, so that threads sharing one address space (one
 * host process under UML) switch between each other's holds.
 *
 * Also checks that a child inherits the parent's MXCSR (rounding mode)
 * across fork.  AVX and AVX-512 parts run only where the CPU and host
 * kernel enable them.  Prints "fpcheck: ok" and exits 0 if everything
 * matched, otherwise prints each difference on stderr and exits 1.
 *
 *   fpcheck [sse|avx|avx512]
 *
 * The optional argument caps the vector extensions used (default: the
 * widest available), to tell which part of the state goes astray.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKERS 4		/* children, besides the parent */
#define ROUNDS 4
#define SPIN_ITERS 200000L	/* per variant and round */
#define HOLD_SPINS 4000000UL	/* busy-loop iterations around a syscall */
#define HANDLER_ITERS 300L	/* spin iterations in the signal handler */
#define TIMER_US 1000		/* SIGALRM interval */
#define MAX_LANES 64		/* 8 accumulators x 8 doubles (AVX-512) */
#define MXCSR_RC_MASK 0x6000u	/* rounding control bits */
#define MXCSR_RC_ZERO 0x6000u	/* round toward zero */

typedef double v2d __attribute__((vector_size(16)));
typedef double v4d __attribute__((vector_size(32)));
typedef double v8d __attribute__((vector_size(64)));

/* ---- spin: the logistic map in vector registers --------------------- */

static double lane_start(double seed, int lane)
{
	double x = seed + 0.0137 * lane;

	while (x >= 0.95)
		x -= 0.9;
	return x;
}

#define STEP(a) ((a) = r * (a) * (one - (a)))

/*
 * Eight independent accumulators of W lanes each stay in registers for
 * the whole loop; out[] receives 8 * W doubles.
 */
#define DEFINE_SPIN(ATTR, NAME, VT, W)                                   \
	ATTR static void NAME(double *out, double seed, long iters)      \
	{                                                                \
		VT r, one, a0, a1, a2, a3, a4, a5, a6, a7;               \
		int l;                                                   \
		for (l = 0; l < (W); l++) {                              \
			r[l] = 3.90 + 0.01 * l;                          \
			one[l] = 1.0;                                    \
			a0[l] = lane_start(seed, 0 * (W) + l);           \
			a1[l] = lane_start(seed, 1 * (W) + l);           \
			a2[l] = lane_start(seed, 2 * (W) + l);           \
			a3[l] = lane_start(seed, 3 * (W) + l);           \
			a4[l] = lane_start(seed, 4 * (W) + l);           \
			a5[l] = lane_start(seed, 5 * (W) + l);           \
			a6[l] = lane_start(seed, 6 * (W) + l);           \
			a7[l] = lane_start(seed, 7 * (W) + l);           \
		}                                                        \
		for (long i = 0; i < iters; i++) {                       \
			STEP(a0); STEP(a1); STEP(a2); STEP(a3);          \
			STEP(a4); STEP(a5); STEP(a6); STEP(a7);          \
		}                                                        \
		for (l = 0; l < (W); l++) {                              \
			out[0 * (W) + l] = a0[l];                        \
			out[1 * (W) + l] = a1[l];                        \
			out[2 * (W) + l] = a2[l];                        \
			out[3 * (W) + l] = a3[l];                        \
			out[4 * (W) + l] = a4[l];                        \
			out[5 * (W) + l] = a5[l];                        \
			out[6 * (W) + l] = a6[l];                        \
			out[7 * (W) + l] = a7[l];                        \
		}                                                        \
	}

DEFINE_SPIN(, spin_sse, v2d, 2)
DEFINE_SPIN(__attribute__((target("avx"))), spin_avx, v4d, 4)
DEFINE_SPIN(__attribute__((target("avx512f"))), spin_avx512, v8d, 8)

static long double spin_x87(long double seed, long iters)
{
	long double a = seed, b = seed + 0.21L, c = seed + 0.43L;

	for (long i = 0; i < iters; i++) {
		a = 3.93L * a * (1.0L - a);
		b = 3.95L * b * (1.0L - b);
		c = 3.97L * c * (1.0L - c);
	}
	return a + b + c;
}

/* ---- hold: patterns in every vector register across a syscall -------- */

#define X16(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) \
	M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15)
#define X32(M) X16(M) M(16) M(17) M(18) M(19) M(20) M(21) M(22) M(23) \
	M(24) M(25) M(26) M(27) M(28) M(29) M(30) M(31)

/* spin in integer registers, enter the kernel, spin again */
#define WAIT_AND_SYSCALL                                                 \
	"mov %[spins], %%rdx\n\t"                                        \
	"1: dec %%rdx\n\t"                                               \
	"jnz 1b\n\t"                                                     \
	"mov %[nr], %%eax\n\t"                                           \
	"syscall\n\t"                                                    \
	"movb $1, (%[touch])\n\t"                                        \
	"mov %[spins], %%rdx\n\t"                                        \
	"2: dec %%rdx\n\t"                                               \
	"jnz 2b\n\t"

#define HOLD_INPUTS                                                      \
	[in] "r"(in), [out] "r"(out), [spins] "r"(spins),                \
	[touch] "r"(touch), [nr] "i"(SYS_sched_yield)
#define GPR_CLOBBERS "rax", "rcx", "rdx", "r11", "memory"
#define XMM_CLOBBERS                                                     \
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",  \
	"xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"
#define XMM_HI_CLOBBERS                                                  \
	"xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22",   \
	"xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29",   \
	"xmm30", "xmm31"

#define SSE_LD(n) "movupd " #n "*16(%[in]), %%xmm" #n "\n\t"
#define SSE_ST(n) "movupd %%xmm" #n ", " #n "*16(%[out])\n\t"
#define AVX_LD(n) "vmovupd " #n "*32(%[in]), %%ymm" #n "\n\t"
#define AVX_ST(n) "vmovupd %%ymm" #n ", " #n "*32(%[out])\n\t"
#define ZMM_LD(n) "vmovupd " #n "*64(%[in]), %%zmm" #n "\n\t"
#define ZMM_ST(n) "vmovupd %%zmm" #n ", " #n "*64(%[out])\n\t"
#define K_LD(n) "kmovw " #n "*2(%[kin]), %%k" #n "\n\t"
#define K_ST(n) "kmovw %%k" #n ", " #n "*2(%[kout])\n\t"
#define K1_7(M) M(1) M(2) M(3) M(4) M(5) M(6) M(7)

/* in/out: 16 x 2 doubles */
static void hold_sse(const double *in, double *out, unsigned long spins,
		     char *touch)
{
	__asm__ volatile(X16(SSE_LD) WAIT_AND_SYSCALL X16(SSE_ST)
			 : : HOLD_INPUTS : GPR_CLOBBERS, XMM_CLOBBERS);
}

/* in/out: 16 x 4 doubles */
__attribute__((target("avx")))
static void hold_avx(const double *in, double *out, unsigned long spins,
		     char *touch)
{
	__asm__ volatile(X16(AVX_LD) WAIT_AND_SYSCALL X16(AVX_ST)
			 "vzeroupper\n\t"
			 : : HOLD_INPUTS : GPR_CLOBBERS, XMM_CLOBBERS);
}

/* in/out: 32 x 8 doubles; kin/kout: 8 masks, k1-k7 used */
__attribute__((target("avx512f")))
static void hold_avx512(const double *in, double *out, const uint16_t *kin,
			uint16_t *kout, unsigned long spins, char *touch)
{
	__asm__ volatile(X32(ZMM_LD) K1_7(K_LD) WAIT_AND_SYSCALL
			 X32(ZMM_ST) K1_7(K_ST) "vzeroupper\n\t"
			 : : HOLD_INPUTS, [kin] "r"(kin), [kout] "r"(kout)
			 : GPR_CLOBBERS, XMM_CLOBBERS, XMM_HI_CLOBBERS,
			   "k1", "k2", "k3", "k4", "k5", "k6", "k7");
}

/* ---- shared state ---------------------------------------------------- */

static int have_avx, have_avx512;
static double ref_sse[MAX_LANES], ref_avx[MAX_LANES], ref_avx512[MAX_LANES];
static double href_sse[MAX_LANES], href_avx[MAX_LANES], href_avx512[MAX_LANES];
static long double ref_x87;

static volatile sig_atomic_t signals_seen, handler_mismatches;

/* one counter pair per process, shared with the parent */
struct tally {
	long signals;		/* SIGALRMs handled */
	long mismatches;	/* checks that failed, the handler's included */
};
static struct tally *tallies;

static const double SPIN_SEED = 0.1234, HANDLER_SEED = 0.6789;

static int same(const double *a, const double *b, int n)
{
	return memcmp(a, b, (size_t)n * sizeof(double)) == 0;
}

static void on_alarm(int sig)
{
	double tmp[MAX_LANES];

	(void)sig;
	spin_sse(tmp, HANDLER_SEED, HANDLER_ITERS);
	if (!same(tmp, href_sse, 16))
		handler_mismatches = handler_mismatches + 1;
	if (have_avx) {
		spin_avx(tmp, HANDLER_SEED, HANDLER_ITERS);
		if (!same(tmp, href_avx, 32))
			handler_mismatches = handler_mismatches + 1;
	}
	if (have_avx512) {
		spin_avx512(tmp, HANDLER_SEED, HANDLER_ITERS);
		if (!same(tmp, href_avx512, 64))
			handler_mismatches = handler_mismatches + 1;
	}
	signals_seen = signals_seen + 1;
}

static void set_timer(long us)
{
	struct itimerval it = {
		.it_interval = { .tv_sec = 0, .tv_usec = us },
		.it_value = { .tv_sec = 0, .tv_usec = us },
	};

	if (setitimer(ITIMER_REAL, &it, NULL) != 0) {
		perror("fpcheck: setitimer");
		exit(1);
	}
}

/* ---- checks ---------------------------------------------------------- */

/* Reports the first lane where got differs from want; returns 1 if any. */
static int report(const char *what, int id, int round, const double *got,
		  const double *want, int n)
{
	for (int i = 0; i < n; i++) {
		if (memcmp(&got[i], &want[i], sizeof(double)) != 0) {
			fprintf(stderr, "fpcheck: process %d round %d: %s "
				"lane %d is %a, expected %a\n", id, round,
				what, i, got[i], want[i]);
			return 1;
		}
	}
	return 0;
}

static int check_spins(int id, int round)
{
	double out[MAX_LANES];
	long double x;
	int bad = 0;

	spin_sse(out, SPIN_SEED, SPIN_ITERS);
	bad += report("sse spin", id, round, out, ref_sse, 16);
	if (have_avx) {
		spin_avx(out, SPIN_SEED, SPIN_ITERS);
		bad += report("avx spin", id, round, out, ref_avx, 32);
	}
	if (have_avx512) {
		spin_avx512(out, SPIN_SEED, SPIN_ITERS);
		bad += report("avx512 spin", id, round, out, ref_avx512, 64);
	}
	x = spin_x87(SPIN_SEED, SPIN_ITERS);
	if (x != ref_x87) {
		fprintf(stderr, "fpcheck: process %d round %d: x87 spin is "
			"%La, expected %La\n", id, round, x, ref_x87);
		bad++;
	}
	return bad;
}

/*
 * A page of its own for each caller's holds to write to: dropped before
 * every hold, so that the write in the hold faults.
 */
static char *fault_page(void)
{
	long size = sysconf(_SC_PAGESIZE);
	char *page = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED) {
		perror("fpcheck: mmap");
		exit(1);
	}
	return page;
}

static char *dropped(char *page)
{
	if (madvise(page, (size_t)sysconf(_SC_PAGESIZE), MADV_DONTNEED)) {
		perror("fpcheck: madvise");
		exit(1);
	}
	return page;
}

static int check_holds(int id, int round, char *page)
{
	double in[256], out[256];
	uint16_t kin[8], kout[8];
	int bad = 0;

	/* a pattern that no other process or round uses */
	for (int i = 0; i < 256; i++)
		in[i] = id * 1e6 + round * 1e3 + i + 0.25;
	for (int i = 0; i < 8; i++)
		kin[i] = (uint16_t)(0xa500u ^ (unsigned)(id << 8) ^
				    (unsigned)(round << 4) ^ (unsigned)i);
	memset(out, 0, sizeof(out));
	hold_sse(in, out, HOLD_SPINS, dropped(page));
	bad += report("xmm hold", id, round, out, in, 32);
	if (have_avx) {
		memset(out, 0, sizeof(out));
		hold_avx(in, out, HOLD_SPINS, dropped(page));
		bad += report("ymm hold", id, round, out, in, 64);
	}
	if (have_avx512) {
		memset(out, 0, sizeof(out));
		memset(kout, 0, sizeof(kout));
		hold_avx512(in, out, kin, kout, HOLD_SPINS, dropped(page));
		bad += report("zmm hold", id, round, out, in, 256);
		for (int i = 1; i < 8; i++) {
			if (kout[i] != kin[i]) {
				fprintf(stderr, "fpcheck: process %d round %d:"
					" k%d is %#x, expected %#x\n", id,
					round, i, kout[i], kin[i]);
				bad++;
				break;
			}
		}
	}
	return bad;
}

/* The second thread of a process: holds with a pattern of its own. */
static void *thread_holds(void *arg)
{
	int id = (int)(intptr_t)arg;
	char *page = fault_page();
	intptr_t bad = 0;

	for (int round = 0; round < ROUNDS; round++)
		bad += check_holds(id, round, page);
	return (void *)bad;
}

/* The work every process does; returns the number of mismatches. */
static long worker(int id)
{
	char *page = fault_page();
	pthread_t thread;
	void *thread_bad;
	long bad = 0;
	int err;

	/* ids above WORKERS: patterns no process uses */
	err = pthread_create(&thread, NULL, thread_holds,
			     (void *)(intptr_t)(id + WORKERS + 1));
	if (err) {
		fprintf(stderr, "fpcheck: pthread_create: %s\n", strerror(err));
		exit(1);
	}
	set_timer(TIMER_US);
	for (int round = 0; round < ROUNDS; round++) {
		bad += check_spins(id, round);
		bad += check_holds(id, round, page);
	}
	set_timer(0);
	err = pthread_join(thread, &thread_bad);
	if (err) {
		fprintf(stderr, "fpcheck: pthread_join: %s\n", strerror(err));
		exit(1);
	}
	bad += (intptr_t)thread_bad;
	if (handler_mismatches)
		fprintf(stderr, "fpcheck: process %d: the signal handler's "
			"FP results differed %d times\n", id,
			(int)handler_mismatches);
	bad += handler_mismatches;
	tallies[id].signals = signals_seen;
	tallies[id].mismatches += bad;
	return bad;
}

static void compute_references(void)
{
	spin_sse(ref_sse, SPIN_SEED, SPIN_ITERS);
	spin_sse(href_sse, HANDLER_SEED, HANDLER_ITERS);
	if (have_avx) {
		spin_avx(ref_avx, SPIN_SEED, SPIN_ITERS);
		spin_avx(href_avx, HANDLER_SEED, HANDLER_ITERS);
	}
	if (have_avx512) {
		spin_avx512(ref_avx512, SPIN_SEED, SPIN_ITERS);
		spin_avx512(href_avx512, HANDLER_SEED, HANDLER_ITERS);
	}
	ref_x87 = spin_x87(SPIN_SEED, SPIN_ITERS);
}

/* Child side of the MXCSR-across-fork check; restores the default. */
static long check_inherited_mxcsr(int id, unsigned int want, unsigned int def)
{
	unsigned int got = __builtin_ia32_stmxcsr();

	__builtin_ia32_ldmxcsr(def);
	if (got == want)
		return 0;
	fprintf(stderr, "fpcheck: process %d: MXCSR after fork is %#x, "
		"expected %#x\n", id, got, want);
	return 1;
}

/* Caps the vector extensions used at isa; returns -1 if it is unknown. */
static int limit_isa(const char *isa)
{
	if (strcmp(isa, "sse") == 0)
		have_avx = have_avx512 = 0;
	else if (strcmp(isa, "avx") == 0)
		have_avx512 = 0;
	else if (strcmp(isa, "avx512") != 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	pid_t pids[WORKERS];
	unsigned int mxcsr_default, mxcsr_fork;
	long signals = 0, mismatches = 0;
	int broken = 0, status;

	have_avx = __builtin_cpu_supports("avx");
	have_avx512 = __builtin_cpu_supports("avx512f");
	if (argc > 2 || (argc == 2 && limit_isa(argv[1]) != 0)) {
		fprintf(stderr, "usage: fpcheck [sse|avx|avx512]\n");
		return 2;
	}
	compute_references();

	tallies = mmap(NULL, sizeof(*tallies) * (WORKERS + 1),
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);
	if (tallies == MAP_FAILED) {
		perror("fpcheck: mmap");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) != 0) {
		perror("fpcheck: sigaction");
		return 1;
	}

	/* children must see the parent's unusual rounding mode */
	mxcsr_default = __builtin_ia32_stmxcsr();
	mxcsr_fork = (mxcsr_default & ~MXCSR_RC_MASK) | MXCSR_RC_ZERO;
	fflush(NULL);
	__builtin_ia32_ldmxcsr(mxcsr_fork);
	for (int i = 0; i < WORKERS; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			__builtin_ia32_ldmxcsr(mxcsr_default);
			perror("fpcheck: fork");
			return 1;
		}
		if (pids[i] == 0) {
			tallies[i + 1].mismatches = check_inherited_mxcsr(
				i + 1, mxcsr_fork, mxcsr_default);
			worker(i + 1);
			_exit(tallies[i + 1].mismatches ? 1 : 0);
		}
	}
	__builtin_ia32_ldmxcsr(mxcsr_default);

	worker(0);
	for (int i = 0; i < WORKERS; i++) {
		while (waitpid(pids[i], &status, 0) < 0) {
			if (errno != EINTR) {
				perror("fpcheck: waitpid");
				return 1;
			}
		}
		if (WIFSIGNALED(status)) {
			fprintf(stderr, "fpcheck: process %d killed by "
				"signal %d\n", i + 1, WTERMSIG(status));
			broken++;
		}
	}
	for (int i = 0; i <= WORKERS; i++) {
		signals += tallies[i].signals;
		mismatches += tallies[i].mismatches;
	}
	if (signals == 0) {
		fprintf(stderr, "fpcheck: no SIGALRM arrived, so signal "
			"delivery was not tested\n");
		broken++;
	}

	printf("fpcheck: %d processes of 2 threads x %d rounds, sse%s%s x87, "
	       "%ld signals\n", WORKERS + 1, ROUNDS,
	       have_avx ? " avx" : "", have_avx512 ? " avx512" : "", signals);
	if (mismatches || broken) {
		printf("fpcheck: FAILED: %ld mismatches%s\n", mismatches,
		       broken ? ", and the test itself broke" : "");
		return 1;
	}
	printf("fpcheck: ok\n");
	return 0;
}
