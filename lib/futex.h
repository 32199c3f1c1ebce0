/* futex.h - waiting on a 32-bit atomic word without a lock: the wake-up
 * and join of the pipeline's workers (workers.c, pipeline_schedule.c).
 *
 * futex_wait sleeps while *word == expected, at most until deadline_ns
 * (CLOCK_MONOTONIC; 0: no limit); it may return early (a wake, a signal, a
 * changed word): callers re-check their condition in a loop.  futex_wake
 * wakes up to n sleepers.  Both are single system calls, safe on the RT
 * thread (they neither allocate nor take a lock); any thread. */
#ifndef DSPD_FUTEX_H
#define DSPD_FUTEX_H

#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static inline void futex_wait(_Atomic uint32_t *word, uint32_t expected,
                              uint64_t deadline_ns)
{
	struct timespec ts = { (time_t)(deadline_ns / 1000000000u),
	                       (long)(deadline_ns % 1000000000u) };

	/* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline */
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
	        expected, deadline_ns ? &ts : NULL, NULL, FUTEX_BITSET_MATCH_ANY);
}

static inline void futex_wake(_Atomic uint32_t *word, int n)
{
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n,
	        NULL, NULL, 0);
}

/* In a spin before futex_wait: tell the CPU (x86 PAUSE). */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static inline void futex_wake_all(_Atomic uint32_t *word)
{
	futex_wake(word, INT_MAX);
}

#endif
