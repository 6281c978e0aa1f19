/*
 * sigframe: look at the FP state in the signal frames the kernel builds.
 * Part of the checker of exercise ch01/xsave-sigframe; built static on
 * the host and run in the guest.
 *
 * The interrupted code loads patterns into xmm15, ymm15, zmm31 and k7,
 * then sends itself SIGUSR1 with a raw kill system call, so the signal
 * arrives exactly on the return from that system call, and stores the
 * registers afterwards.  The handler reads (and in some checks changes)
 * the frame.  Prints one "PASS name" or "FAIL name: detail" line per
 * check; the vector parts use AVX-512 where the CPU has it, else AVX.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define MAGIC1 0x46505853u	/* FP_XSTATE_MAGIC1 */
#define MAGIC2 0x46505845u	/* FP_XSTATE_MAGIC2 */
#define SW_BYTES 464		/* fpx_sw_bytes in the legacy area */
#define XMM_OFF 160		/* xmm0 in the legacy area */
#define HDR_OFF 512		/* XSAVE header: xstate_bv */
#define YMMH_OFF 576		/* upper halves of ymm0-15 */

/* what a register holds, as bytes: xmm15, ymm15's upper half, zmm31, k7 */
struct regs {
	uint8_t xmm15[16];
	uint8_t ymmh15[16];
	uint8_t zmm31[64];
	uint64_t k7;
};

enum mode { LOOK, REWRITE, LEGACY };

static struct {
	enum mode mode;
	int avx512;
	unsigned int size;		/* CPUID 0xD: the XSAVE area's size */
	unsigned int off_k, off_hi16;	/* offsets of opmask and Hi16_ZMM */
	struct regs want;		/* what the handler expects */
	struct regs put;		/* what REWRITE/LEGACY write */
	int seen;
	char why[160];			/* the first problem the handler saw */
	/* the frame as the handler found it */
	uint32_t magic1, ext_size, xstate_size, magic2;
	uint64_t xstate_bv;
	uintptr_t fpstate;
} h;

static void note(const char *what)
{
	if (!h.why[0])
		snprintf(h.why, sizeof(h.why), "%s", what);
}

static void on_usr1(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;

	(void)sig;
	(void)si;
	h.seen++;
	h.fpstate = (uintptr_t)fp;
	memcpy(&h.magic1, fp + SW_BYTES, 4);
	memcpy(&h.ext_size, fp + SW_BYTES + 4, 4);
	memcpy(&h.xstate_size, fp + SW_BYTES + 16, 4);
	memcpy(&h.xstate_bv, fp + HDR_OFF, 8);
	if (h.magic1 == MAGIC1 && h.xstate_size >= HDR_OFF + 64 &&
	    h.xstate_size <= 1u << 20)
		memcpy(&h.magic2, fp + h.xstate_size, 4);
	if (h.mode == LOOK) {
		if (memcmp(fp + XMM_OFF + 15 * 16, h.want.xmm15, 16))
			note("xmm15 differs in the frame");
		if (memcmp(fp + YMMH_OFF + 15 * 16, h.want.ymmh15, 16))
			note("ymm15's upper half differs in the frame");
		if (h.avx512 && h.size != h.xstate_size)
			note("the frame does not say that it holds the AVX-512 "
			     "registers");
		if (h.avx512 && h.size == h.xstate_size) {
			if (memcmp(fp + h.off_hi16 + 15 * 64, h.want.zmm31, 64))
				note("zmm31 differs in the frame");
			if (memcmp(fp + h.off_k + 7 * 8, &h.want.k7, 8))
				note("k7 differs in the frame");
		}
		return;
	}
	memcpy(fp + XMM_OFF + 15 * 16, h.put.xmm15, 16);
	memcpy(fp + YMMH_OFF + 15 * 16, h.put.ymmh15, 16);
	if (h.avx512 && h.size == h.xstate_size) {
		memcpy(fp + h.off_hi16 + 15 * 64, h.put.zmm31, 64);
		memcpy(fp + h.off_k + 7 * 8, &h.put.k7, 8);
	}
	if (h.mode == LEGACY)
		memset(fp + SW_BYTES, 0, 4);	/* magic1: "no extended state" */
}

#define KILL_SELF                                                        \
	"mov %[nr], %%eax\n\t"                                           \
	"mov %[pid], %%edi\n\t"                                          \
	"mov %[sig], %%esi\n\t"                                          \
	"syscall\n\t"
#define KILL_INPUTS [nr] "i"(SYS_kill), [pid] "r"(pid), [sig] "i"(SIGUSR1)

__attribute__((target("avx512f")))
static void roundtrip_avx512(const struct regs *in, struct regs *out, int pid)
{
	__asm__ volatile("vmovdqu64 %[zi], %%zmm31\n\t"
			 "kmovw %[ki], %%k7\n\t"
			 "vmovdqu %[yi], %%ymm15\n\t"
			 KILL_SELF
			 "vmovdqu64 %%zmm31, %[zo]\n\t"
			 "kmovw %%k7, %[ko]\n\t"
			 "vmovdqu %%ymm15, %[yo]\n\t"
			 "vzeroupper\n\t"
			 : [zo] "=m"(out->zmm31), [ko] "=m"(out->k7),
			   [yo] "=m"(*(uint8_t(*)[32])out->xmm15)
			 : [zi] "m"(in->zmm31), [ki] "m"(in->k7),
			   [yi] "m"(*(const uint8_t(*)[32])in->xmm15), KILL_INPUTS
			 : "rax", "rcx", "rdx", "rdi", "rsi", "r11", "memory",
			   "xmm15", "xmm31", "k7");
}

__attribute__((target("avx")))
static void roundtrip_avx(const struct regs *in, struct regs *out, int pid)
{
	__asm__ volatile("vmovdqu %[yi], %%ymm15\n\t"
			 KILL_SELF
			 "vmovdqu %%ymm15, %[yo]\n\t"
			 "vzeroupper\n\t"
			 : [yo] "=m"(*(uint8_t(*)[32])out->xmm15)
			 : [yi] "m"(*(const uint8_t(*)[32])in->xmm15), KILL_INPUTS
			 : "rax", "rcx", "rdx", "rdi", "rsi", "r11", "memory",
			   "xmm15");
}

static void fill(struct regs *r, uint8_t seed)
{
	for (int i = 0; i < 16; i++) {
		r->xmm15[i] = (uint8_t)(seed + i);
		r->ymmh15[i] = (uint8_t)(seed + 0x40 + i);
	}
	for (int i = 0; i < 64; i++)
		r->zmm31[i] = (uint8_t)(seed + 0x80 + i);
	r->k7 = 0xa5c3u ^ seed;
}

static void roundtrip(enum mode mode, const struct regs *in, struct regs *out)
{
	h.mode = mode;
	h.seen = 0;
	h.why[0] = 0;
	h.magic2 = 0;
	memset(out, 0, sizeof(*out));
	if (h.avx512)
		roundtrip_avx512(in, out, getpid());
	else
		roundtrip_avx(in, out, getpid());
}

static void result(const char *name, const char *problem)
{
	if (problem && problem[0])
		printf("FAIL %s: %s\n", name, problem);
	else
		printf("PASS %s\n", name);
}

static const char *compare(const struct regs *got, const struct regs *want,
			   int legacy)
{
	static const uint8_t zero[64];

	if (memcmp(got->xmm15, want->xmm15, 16))
		return "xmm15 is not what the frame held";
	if (memcmp(got->ymmh15, legacy ? zero : want->ymmh15, 16))
		return legacy ? "ymm15's upper half survived a legacy frame"
			      : "ymm15's upper half is not what the frame held";
	if (!h.avx512)
		return NULL;
	if (memcmp(got->zmm31, legacy ? zero : want->zmm31, 64))
		return legacy ? "zmm31 survived a legacy frame"
			      : "zmm31 is not what the frame held";
	if (got->k7 != (legacy ? 0 : want->k7))
		return legacy ? "k7 survived a legacy frame"
			      : "k7 is not what the frame held";
	return NULL;
}

int main(void)
{
	unsigned int a, b, c, d;
	struct sigaction sa;
	struct regs in, out;
	char why[200];

	__cpuid(1, a, b, c, d);
	if (!(c & bit_OSXSAVE) || !(c & bit_AVX)) {
		printf("FAIL sigframe: the CPU has no AVX with XSAVE\n");
		return 1;
	}
	__cpuid_count(0xd, 0, a, b, c, d);
	h.size = b;
	h.avx512 = __builtin_cpu_supports("avx512f") && (a & 0xe0) == 0xe0;
	__cpuid_count(0xd, 5, a, b, c, d);
	h.off_k = b;
	__cpuid_count(0xd, 7, a, b, c, d);
	h.off_hi16 = b;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL)) {
		perror("sigaction");
		return 1;
	}

	/* 1: the frame describes the host's whole XSAVE area */
	fill(&in, 0x10);
	h.want = in;
	roundtrip(LOOK, &in, &out);
	why[0] = 0;
	if (h.seen != 1)
		snprintf(why, sizeof(why), "the handler ran %d times", h.seen);
	else if (h.magic1 != MAGIC1)
		snprintf(why, sizeof(why), "magic1 is %#x", h.magic1);
	else if (h.xstate_size != h.size)
		snprintf(why, sizeof(why), "xstate_size is %u, the XSAVE area "
			 "(CPUID 0xD) is %u bytes", h.xstate_size, h.size);
	else if (h.ext_size != h.size + 4)
		snprintf(why, sizeof(why), "extended_size is %u, want %u",
			 h.ext_size, h.size + 4);
	else if (h.magic2 != MAGIC2)
		snprintf(why, sizeof(why), "no FP_XSTATE_MAGIC2 after the "
			 "%u-byte area (found %#x)", h.size, h.magic2);
	else if (h.fpstate % 64)
		snprintf(why, sizeof(why), "the FP state at %#lx is not "
			 "64-byte aligned", (unsigned long)h.fpstate);
	result("frame-layout", why);

	/*
	 * 2: it holds the interrupted code's registers, the widest too
	 * (zmm31 and k7 where the CPU has AVX-512, else ymm15): the names
	 * of the checks do not depend on the CPU, their details do
	 */
	result("frame-holds-vectors", h.why);
	result("vectors-survive-handler", compare(&out, &in, 0));

	/* 3: sigreturn takes the registers from the frame */
	fill(&in, 0x20);
	fill(&h.put, 0x30);
	roundtrip(REWRITE, &in, &out);
	result("sigreturn-restores-frame", compare(&out, &h.put, 0));

	/* 4: a frame without extended state restores only x87/SSE */
	fill(&in, 0x40);
	fill(&h.put, 0x50);
	roundtrip(LEGACY, &in, &out);
	result("legacy-frame", compare(&out, &h.put, 1));
	return 0;
}
