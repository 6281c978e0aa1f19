// SPDX-License-Identifier: GPL-2.0
/*
 * xsave-size: print the size in bytes of the XSAVE area for the state
 * components the host OS has enabled (CPUID leaf 0xD, sub-leaf 0, EBX).
 * The fastuml tests compare it with what a UML kernel discovered at boot.
 */
#include <cpuid.h>
#include <stdio.h>

int main(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (__get_cpuid_max(0, NULL) < 0xd) {
		fprintf(stderr, "xsave-size: CPUID leaf 0xD not supported\n");
		return 1;
	}
	__cpuid_count(0xd, 0, eax, ebx, ecx, edx);
	(void)eax;
	(void)ecx;
	(void)edx;
	printf("%u\n", ebx);
	return 0;
}
