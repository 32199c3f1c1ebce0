/* bench_util.h - the clock and the noise every C benchmark uses.
 * Header-only; single-threaded benchmark code. */
#ifndef DSPD_BENCH_UTIL_H
#define DSPD_BENCH_UTIL_H

#include <stdint.h>
#include <time.h>

/* Monotonic time in seconds. */
static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Uniform noise in [-0.5, 0.5) from a linear congruential generator:
 * the same seed gives the same signal in every run. */
static inline float noise_next(uint32_t *state)
{
	*state = *state * 1664525u + 1013904223u;
	return (float)((double)(*state >> 8) / (1 << 24) - 0.5);
}

#endif
