/* backoff.h - retrying something that failed (a device to open, an
 * element to find) after a delay that doubles from a first to a longest
 * one, so that a thing that never comes back costs a try every few
 * seconds, not a busy loop.  A plain value; whichever single thread owns
 * it (the control thread's ticks). */
#ifndef DSPD_BACKOFF_H
#define DSPD_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

struct backoff {
	uint64_t next_ns;       /* no try before this (CLOCK_MONOTONIC) */
	uint32_t delay_ms;      /* the last delay; 0 after a success */
};

/* Whether a try is due at now_ns. */
static inline bool backoff_due(const struct backoff *b, uint64_t now_ns)
{
	return now_ns >= b->next_ns;
}

/* A try failed at now_ns: wait first_ms, then twice as long each time, at
 * most max_ms. */
static inline void backoff_failed(struct backoff *b, uint64_t now_ns,
                                  uint32_t first_ms, uint32_t max_ms)
{
	b->delay_ms = b->delay_ms ? b->delay_ms * 2 : first_ms;
	if (b->delay_ms > max_ms)
		b->delay_ms = max_ms;
	b->next_ns = now_ns + (uint64_t)b->delay_ms * 1000000u;
}

/* A try worked: the next failure starts again at first_ms, at once. */
static inline void backoff_reset(struct backoff *b)
{
	b->next_ns = 0;
	b->delay_ms = 0;
}

#endif
