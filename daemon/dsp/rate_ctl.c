/* rate_ctl.c - the PI loop of rate_ctl.h.  Pure arithmetic: no allocation,
 * no syscall; the RT thread calls it once per period. */
#include "rate_ctl.h"

#include <math.h>
#include <string.h>

#define ZETA 1.0                /* critically damped */
#define SMOOTH_PER_WN 0.25      /* the P term's smoothing: tau = 1 / (4 wn) */

void rate_ctl_init(struct rate_ctl *c, const struct rate_ctl_params *p)
{
	double wn = 2.0 * M_PI * p->bandwidth_hz;

	memset(c, 0, sizeof(*c));
	c->p = *p;
	c->kp = 2.0 * ZETA * wn / p->rate;
	c->ki = wn * wn / p->rate;
	c->tau = SMOOTH_PER_WN / wn;
	c->level = p->target;
}

void rate_ctl_restart(struct rate_ctl *c)
{
	c->sum = 0.0;
	c->samples = 0;
	c->frames = 0;
	c->have_level = false;
	c->error_smooth = 0.0;
}

static double clamp(double x, double limit, bool *hit)
{
	*hit = true;
	if (x > limit)
		return limit;
	if (x < -limit)
		return -limit;
	*hit = false;
	return x;
}

static void update(struct rate_ctl *c, double mean, double seconds)
{
	double limit = c->p.max_ppm * 1e-6;
	double e = mean - c->p.target;
	double integral = c->integral + c->ki * e * seconds;
	double unclamped;

	c->level = mean;
	c->updates++;
	if (!c->p.steer)
		return;
	c->error_smooth += (e - c->error_smooth) * seconds / (c->tau + seconds);
	unclamped = c->kp * c->error_smooth + integral;

	/* no wind-up: while clamped, the integral only moves back */
	if (fabs(unclamped) <= limit || fabs(integral) < fabs(c->integral))
		c->integral = integral;
	c->adjust = clamp(c->kp * c->error_smooth + c->integral, limit, &c->clamped);
}

bool rate_ctl_measure(struct rate_ctl *c, double level, uint32_t frames)
{
	if (!c->have_level) {
		c->level_min = c->level_max = level;
		c->have_level = true;
	}
	if (level < c->level_min)
		c->level_min = level;
	if (level > c->level_max)
		c->level_max = level;
	c->sum += level;
	c->samples++;
	c->frames += frames;
	if ((double)c->frames < c->p.interval_s * c->p.rate)
		return false;
	update(c, c->sum / c->samples, (double)c->frames / c->p.rate);
	c->sum = 0.0;
	c->samples = 0;
	c->frames = 0;
	return true;
}
