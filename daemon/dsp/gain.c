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
	g->start = linear;
	g->length = 0;
	g->remaining = 0;
	g->rot_cos = 1.0;
	g->rot_sin = 0.0;
}

void gain_ramp_set(struct gain_ramp *g, float target, uint32_t ramp_frames)
{
	g->target = target;
	if (ramp_frames == 0 || g->current == target) {
		g->current = target;
		g->start = target;
		g->length = 0;
		g->remaining = 0;
		return;
	}
	g->start = g->current;
	g->length = ramp_frames;
	g->remaining = ramp_frames;
	g->rot_cos = cos(M_PI / ramp_frames);
	g->rot_sin = sin(M_PI / ramp_frames);
}

/* The gain at frame k (0..N) of the running ramp, computed directly. */
static float ramp_at(const struct gain_ramp *g, uint32_t k)
{
	double c = cos(M_PI * (double)k / (double)g->length);

	return (float)(g->start + (g->target - g->start) * 0.5 * (1.0 - c));
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

/* Frames done+1 .. done+n of the ramp on one channel; the cosine of frame
 * done comes in as (c, s) and advances by a rotation of pi/N a frame. */
static void ramp_channel(const struct gain_ramp *g, float *x, uint32_t n,
                         double c, double s)
{
	const double half = 0.5 * ((double)g->target - (double)g->start);
	const double base = (double)g->start + half;

	for (uint32_t i = 0; i < n; i++) {
		double c1 = c * g->rot_cos - s * g->rot_sin;

		s = s * g->rot_cos + c * g->rot_sin;
		c = c1;
		x[i] *= (float)(base - half * c);
	}
}

void gain_ramp_process(struct gain_ramp *g, float *const *bufs,
                       unsigned channels, uint32_t channel_mask,
                       uint32_t frames)
{
	uint32_t ramped = g->remaining < frames ? g->remaining : frames;

	if (ramped > 0) {
		uint32_t done = g->length - g->remaining;
		bool lands = ramped == g->remaining;
		/* the ramp's last frame is the target exactly: apply it apart */
		uint32_t curved = lands ? ramped - 1 : ramped;
		double phase = M_PI * (double)done / (double)g->length;
		double c = cos(phase), s = sin(phase);

		for (unsigned ch = 0; ch < channels; ch++) {
			if (!(channel_mask & (1u << ch)))
				continue;
			ramp_channel(g, bufs[ch], curved, c, s);
			if (lands)
				bufs[ch][curved] *= g->target;
		}
		g->remaining -= ramped;
		g->current = g->remaining ? ramp_at(g, done + ramped) : g->target;
	}
	if (ramped == frames || g->current == 1.0f)
		return;
	scale_constant(bufs, channels, channel_mask, ramped, frames, g->current);
}
