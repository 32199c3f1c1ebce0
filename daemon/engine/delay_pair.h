/* delay_pair.h - both devices' delays read as one measurement, for the
 * clocks' loop (engine_steer(), rate_ctl.h).
 *
 * The loop wants L = frames queued in playback + frames captured but not
 * read, taken at one instant.  Two reads cannot be one instant; back to
 * back they are a few microseconds apart, but a preemption (or a slow
 * device call) between them lets one device's position move while the
 * other's is frozen in the reading, and L comes out wrong by up to the
 * frames that passed.  So the reads are bracketed: playback (A), capture
 * (B), playback again (A').  A pair is clean when A' was taken at most
 * max_ns after A and A' moved from A by at most max_drift frames: then B
 * lies between two readings of A that agree.  A pair that is not clean is
 * read again, DELAY_PAIR_TRIES times at most; if none is clean, the one
 * with the shortest bracket is used (the loop averages; a measurement is
 * never dropped), and *ret_clean says so.
 *
 * The devices and the clock come through callbacks, so the arithmetic is
 * tested with injected readings and times (tests/unit/engine).  RT thread:
 * no allocation, no syscall beyond the callbacks. */
#ifndef DSPD_DELAY_PAIR_H
#define DSPD_DELAY_PAIR_H

#include <stdbool.h>
#include <stdint.h>

#define DELAY_PAIR_TRIES 3
#define DELAY_PAIR_MAX_NS 100000        /* 100 us: ~5 frames at 48 kHz */
#define DELAY_PAIR_MAX_DRIFT 2          /* frames A may move in a bracket */

struct delay_reader {
	/* which: 0 the playback (the bracketing one), 1 the capture; 0 or a
	 * negative errno */
	int (*read)(void *ctx, int which, int64_t *ret_delay);
	uint64_t (*now_ns)(void *ctx);
	void *ctx;
};

struct delay_pair {
	int64_t playback;       /* the mean of A and A' */
	int64_t capture;        /* B */
	uint64_t bracket_ns;    /* from A to A' */
	unsigned tries;         /* brackets read */
	bool clean;
};

/* 0 with *ret filled, or the first read's negative errno. */
int delay_pair_read(const struct delay_reader *r, uint64_t max_ns,
                    int64_t max_drift, struct delay_pair *ret);

#endif
