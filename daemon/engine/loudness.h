/* loudness.h - EBU R128 / ITU-R BS.1770 loudness of a tap point, measured
 * with libebur128 on the control thread from the engine's sample tap (the
 * RT thread only copies samples into a lock-free ring).  Control thread. */
#ifndef DSPD_LOUDNESS_H
#define DSPD_LOUDNESS_H

#include <stdbool.h>

#include "engine.h"

struct loudness;

/* Start measuring tap of e (tap < 0: off; *ret = NULL).  0 or -errno. */
int loudness_start(struct loudness **ret, struct engine *e, int tap);
void loudness_stop(struct loudness *l);
int loudness_tap(const struct loudness *l);
void loudness_feed(struct loudness *l, const float *interleaved, size_t frames);
/* Forget the integrated measurement and start it again. */
int loudness_reset(struct loudness *l);
#define LOUDNESS_FLOOR_LUFS -200.0          /* silence: finite, never -inf */

/* What has been measured so far. */
struct loudness_reading {
	int tap;                        /* enum meter_tap */
	double momentary_lufs, short_term_lufs, integrated_lufs; /* >= the floor */
	double range_lu;                /* 0 until there is a range */
	unsigned channels;
	double sample_peak_dbfs[CFG_MAX_CHANNELS];
	double seconds;                 /* measured */
};

void loudness_read(struct loudness *l, struct loudness_reading *ret);

#endif
