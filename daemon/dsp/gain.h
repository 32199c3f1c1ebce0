/* gain.h - gain stage with click-free raised-cosine ramps.
 *
 * A ramp moves the gain from its current value (a) to the target (b) over
 * ramp_frames frames (N) along a raised cosine: frame k of the ramp (1..N)
 * is multiplied by a + (b - a) * (1 - cos(pi * k / N)) / 2.  Its slope is 0
 * at both ends, so the change of gain has no corner: the splatter of a
 * ramped tone falls off at 18 dB an octave away from it, where a linear
 * ramp's corners leave sidelobes falling at 6 dB (-75 dB measured).  The
 * largest change of the multiplier between two consecutive samples is
 * pi/2 * |b - a| / N.  The last frame lands exactly on the target.  A new
 * target mid-ramp starts a new ramp from the gain reached (no jump).
 * At exactly 1.0 with no ramp running the samples are left untouched
 * (bit-exact pass-through).
 *
 * Cost: no cos() per sample: the cosine advances by a rotation (one complex
 * multiply a frame), started afresh from cos()/sin() once per call, so the
 * rounding cannot build up beyond one period.
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
	float start;          /* the gain when the running ramp began */
	uint32_t length;      /* frames of the running ramp (N) */
	uint32_t remaining;   /* frames left in the running ramp */
	double rot_cos, rot_sin;  /* cos and sin of pi / N */
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
