/* cpu.h - the one probe of what the CPU can run, for the kernels that pick
 * a SIMD path (conv_kernel.c, biquad_wave.c), and the denormal mode of the
 * threads that run them.  Callable from constructors,
 * before main and before any thread; the callers keep the answer, so the
 * RT thread never probes. */
#ifndef DSPD_CPU_H
#define DSPD_CPU_H

#include <stdbool.h>

enum cpu_feature {
	CPU_AVX2 = 1u << 0,
	CPU_FMA = 1u << 1,
};

/* The enum cpu_feature bits this CPU has (none off x86-64). */
unsigned cpu_features(void);

/* FTZ and DAZ on the calling thread (x86 MXCSR, arm64 FPCR.FZ): every
 * thread that runs the pipeline (the RT thread, the workers, --render)
 * calls it first.  RT-safe. */
void cpu_flush_denormals(void);

static inline bool cpu_has(unsigned features)
{
	return (cpu_features() & features) == features;
}

#endif
