/* load_hist.h - the distribution of the RT thread's processing time per
 * period: how long each period's work took (read done to write done, the
 * waits excluded), in log-spaced buckets, so that status and stats can say
 * p50/p99/max over the last seconds, not only an average.
 *
 * Buckets: 4 per octave from 1 us (each about 19 % wide); a percentile is
 * reported as its bucket's upper edge, so it never understates, bounded by
 * the exact max, so it never exceeds it.
 *
 * load_hist_add: the RT thread only, one relaxed atomic increment (no
 * lock, no syscall).  Everything else: the control thread, which keeps a
 * snapshot a second and answers over the last LOAD_HIST_WINDOW of them. */
#ifndef DSPD_LOAD_HIST_H
#define DSPD_LOAD_HIST_H

#include <stdatomic.h>
#include <stdint.h>

#define LOAD_HIST_BUCKETS 96        /* 1 us .. 2^24 us (16.8 s) */
#define LOAD_HIST_WINDOW 10         /* seconds the percentiles cover */

struct load_hist {
	_Atomic uint32_t count[LOAD_HIST_BUCKETS];  /* RT: since start, wraps */
	_Atomic uint64_t max_ns;                    /* RT: since the last sample */
	/* control thread */
	uint32_t snap[LOAD_HIST_WINDOW + 1][LOAD_HIST_BUCKETS];
	uint64_t snap_max[LOAD_HIST_WINDOW + 1];
	unsigned pos, filled;
};

struct load_percentiles {
	uint64_t periods;               /* in the window */
	double p50_ns, p99_ns, max_ns;
};

void load_hist_init(struct load_hist *h);
/* RT thread: one period took ns. */
void load_hist_add(struct load_hist *h, uint64_t ns);
/* Control thread, once a second: close a second of the window. */
void load_hist_sample(struct load_hist *h);
/* Control thread: over the last LOAD_HIST_WINDOW seconds sampled plus what
 * came since the newest sample. */
void load_hist_read(struct load_hist *h, struct load_percentiles *out);
/* The bucket of ns and its upper edge in ns (exported for tests). */
unsigned load_hist_bucket(uint64_t ns);
double load_hist_upper_ns(unsigned bucket);

#endif
