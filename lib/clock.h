/* clock.h - the one way dspd and dspctl read the time: CLOCK_MONOTONIC for
 * intervals and deadlines, CLOCK_REALTIME only for timestamps people read.
 * clock_gettime is a vDSO call, no system call: any thread, the RT thread
 * included. */
#ifndef DSPD_CLOCK_H
#define DSPD_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t monotonic_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static inline int64_t monotonic_ms(void)
{
	return (int64_t)(clock_ns(CLOCK_MONOTONIC) / 1000000u);
}

static inline int64_t realtime_ns(void)
{
	return (int64_t)clock_ns(CLOCK_REALTIME);
}

#endif
