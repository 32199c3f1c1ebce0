/* cpu.c - the CPU feature probe of cpu.h.  Any thread, constructors
 * included (__builtin_cpu_init may be called any number of times). */
#include "cpu.h"

#include <stdint.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

unsigned cpu_features(void)
{
	unsigned f = 0;

#if defined(__x86_64__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2"))
		f |= CPU_AVX2;
	if (__builtin_cpu_supports("fma"))
		f |= CPU_FMA;
#endif
	return f;
}

void cpu_flush_denormals(void)
{
#if defined(__SSE__)
	_mm_setcsr(_mm_getcsr() | 0x8040);      /* FTZ | DAZ */
#elif defined(__aarch64__)
	uint64_t fpcr;

	__asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
	__asm__ volatile("msr fpcr, %0" : : "r"(fpcr | (1u << 24)));
#endif
}
