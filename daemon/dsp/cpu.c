/* cpu.c - the CPU feature probe of cpu.h.  Any thread, constructors
 * included (__builtin_cpu_init may be called any number of times). */
#include "cpu.h"

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
