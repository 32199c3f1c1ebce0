/* gain.h - gain stage with click-free linear ramps.
 *
 * A ramp moves the gain from its current value to the target by a constant
 * step per frame over ramp_frames frames, so the largest change of the
 * multiplier between two consecutive samples is |target - current| /
 * ramp_frames.  At exactly 1.0 with no ramp running the samples are left
 * untouched (bit-exact pass-through).
 *
 * gain_ramp_set/process: RT thread (or any single owner).  gain_db_to_linear:
 * any thread. */
#ifndef DSPD_GAIN_H
#define DSPD_GAIN_H

#include <stdbool.h>
#include <stdint.h>

#define GAIN_DB_MIN -150.0
#define GAIN_DB_MAX 40.0

struct gain_ramp {
	float current;
	float target;
	float step;           /* per frame while remaining > 0 */
	uint32_t remaining;   /* frames left in the running ramp */
};

double gain_db_to_linear(double db);
/* Finite dB for a linear gain; silence floor -200 dB (JSON has no -inf). */
double gain_linear_to_db(double linear);

void gain_ramp_init(struct gain_ramp *g, float linear);
/* Start a ramp from wherever the gain is now; ramp_frames 0 jumps. */
void gain_ramp_set(struct gain_ramp *g, float target, uint32_t ramp_frames);
/* Multiply the channels selected by channel_mask (bit n = channel n). */
void gain_ramp_process(struct gain_ramp *g, float *const *bufs,
                       unsigned channels, uint32_t channel_mask,
                       uint32_t frames);

#endif
