/* gain.c - ramped gain kernel (see gain.h).  No allocation, no syscalls:
 * the RT thread calls gain_ramp_process once per stage per period. */
#include "gain.h"

#include <math.h>

double gain_db_to_linear(double db)
{
	return pow(10.0, db / 20.0);
}

double gain_linear_to_db(double linear)
{
	double db;

	if (!(linear > 1e-10))
		return -200.0;
	db = 20.0 * log10(linear);
	return db < -200.0 ? -200.0 : db;
}

void gain_ramp_init(struct gain_ramp *g, float linear)
{
	g->current = linear;
	g->target = linear;
	g->step = 0.0f;
	g->remaining = 0;
}

void gain_ramp_set(struct gain_ramp *g, float target, uint32_t ramp_frames)
{
	g->target = target;
	if (ramp_frames == 0 || g->current == target) {
		g->current = target;
		g->remaining = 0;
		g->step = 0.0f;
		return;
	}
	g->remaining = ramp_frames;
	g->step = (target - g->current) / (float)ramp_frames;
}

static void scale_constant(float *const *bufs, unsigned channels,
                           uint32_t mask, uint32_t from, uint32_t to,
                           float gain)
{
	for (unsigned ch = 0; ch < channels; ch++) {
		float *x = bufs[ch];

		if (!(mask & (1u << ch)))
			continue;
		for (uint32_t i = from; i < to; i++)
			x[i] *= gain;
	}
}

void gain_ramp_process(struct gain_ramp *g, float *const *bufs,
                       unsigned channels, uint32_t channel_mask,
                       uint32_t frames)
{
	uint32_t ramped = g->remaining < frames ? g->remaining : frames;

	if (ramped > 0) {
		float start = g->current;

		for (unsigned ch = 0; ch < channels; ch++) {
			float *x = bufs[ch];

			if (!(channel_mask & (1u << ch)))
				continue;
			for (uint32_t i = 0; i < ramped; i++)
				x[i] *= start + g->step * (float)(i + 1);
		}
		g->remaining -= ramped;
		/* land exactly on the target, free of accumulated rounding */
		g->current = g->remaining ? start + g->step * (float)ramped
		                          : g->target;
	}
	if (ramped == frames || g->current == 1.0f)
		return;
	scale_constant(bufs, channels, channel_mask, ramped, frames, g->current);
}
