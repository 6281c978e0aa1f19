/*
 * bigexec: a program whose read-only data alone is 8 MiB, for the tests
 * that exec large programs (code/tests/59-ch6-mm.t).
 *
 *   bigexec
 *
 * The table below is 2^20 64-bit words that the assembler computes from
 * their index; the program reads every one of them from its own mapping
 * and compares it with the same formula, then prints "bigexec: ok" and
 * exits 0, or names the first word that differs and exits 1.  Every page
 * of the table is a page of the executable file, so the check covers the
 * whole path from the file's pages in the guest's page cache, through
 * the guest's page tables, to the host mappings of the process.
 */
#include <stdint.h>
#include <stdio.h>

/* word n of the table; the assembler below writes the same */
#define WORD(n) ((uint64_t)(n) * 0x10001u + 0x5a5au)
#define WORDS (1u << 20)

/* the table, written by the assembler (a C initializer of 2^20 words
 * takes the compiler minutes) */
extern const uint64_t table[WORDS];
__asm__(".section .rodata\n"
	".balign 4096\n"
	".globl table\n"
	"table:\n"
	".set n, 0\n"
	".rept 1048576\n"
	".quad n * 0x10001 + 0x5a5a\n"
	".set n, n + 1\n"
	".endr\n"
	".previous\n");

int main(void)
{
	for (uint32_t i = 0; i < WORDS; i++) {
		if (((const volatile uint64_t *)table)[i] != WORD(i)) {
			fprintf(stderr, "bigexec: word %u of the table is wrong\n", i);
			return 1;
		}
	}
	printf("bigexec: ok\n");
	return 0;
}
