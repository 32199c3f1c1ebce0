/* fx_delay.c - the "delay" block (see fx_delay.h for what it promises).
 *
 * Each processed channel has a ring of ring_len samples (the whole-sample
 * part, minus the interpolator's bulk delay when there is a fraction) and,
 * for a fractional delay, a history of FX_DELAY_FRAC_TAPS - 1 samples in
 * front of the period being filtered.  Memory is allocated and touched in
 * the constructor so the RT thread never faults a fresh page in.
 * create/destroy: control thread; process/reset: RT thread. */
#include "fx_delay.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fx_response.h"
#include "response.h"

#define HISTORY (FX_DELAY_FRAC_TAPS - 1)

struct delay_line {
	float *ring;                    /* ring_len samples, or NULL */
	uint32_t pos;
	float *history;                 /* HISTORY + max_frames, or NULL */
};

struct fx_delay {
	struct fx fx;
	uint32_t ring_len;
	bool fractional;
	unsigned max_frames;
	float taps_reversed[FX_DELAY_FRAC_TAPS];
	struct delay_line lines[FX_MAX_CHANNELS];
};

double fx_delay_in_samples(const struct cfg_delay *d, unsigned rate)
{
	switch (d->unit) {
	case CFG_DELAY_MS:
		return d->value * rate / 1000.0;
	case CFG_DELAY_MM:
		return d->value * rate / (1000.0 * d->speed_of_sound);
	default:
		return d->value;
	}
}

static double blackman(double t, double half_width)
{
	double r = t / half_width;

	if (fabs(r) >= 1.0)
		return 0.0;
	return 0.42 + 0.5 * cos(M_PI * r) + 0.08 * cos(2.0 * M_PI * r);
}

static double sinc(double t)
{
	return t == 0.0 ? 1.0 : sin(M_PI * t) / (M_PI * t);
}

void fx_delay_design_fraction(double fraction, float taps[FX_DELAY_FRAC_TAPS])
{
	double centre = FX_DELAY_FRAC_CENTRE + fraction, h[FX_DELAY_FRAC_TAPS];
	double sum = 0.0;

	for (int k = 0; k < FX_DELAY_FRAC_TAPS; k++) {
		double t = k - centre;

		h[k] = sinc(t) * blackman(t, FX_DELAY_FRAC_TAPS / 2.0);
		sum += h[k];
	}
	for (int k = 0; k < FX_DELAY_FRAC_TAPS; k++)
		taps[k] = (float)(h[k] / sum);
}

/* ---- RT thread --------------------------------------------------------- */

static void delay_ring(struct delay_line *l, uint32_t len, float *x,
                       uint32_t frames)
{
	uint32_t pos = l->pos;

	for (uint32_t i = 0; i < frames; i++) {
		float y = l->ring[pos];

		l->ring[pos] = x[i];
		x[i] = y;
		if (++pos == len)
			pos = 0;
	}
	l->pos = pos;
}

static void delay_fraction(const float *taps_reversed, float *history,
                           float *x, uint32_t frames)
{
	memcpy(history + HISTORY, x, frames * sizeof(float));
	for (uint32_t i = 0; i < frames; i++) {
		const float *s = history + i;
		float acc = 0.0f;

		for (int k = 0; k < FX_DELAY_FRAC_TAPS; k++)
			acc += taps_reversed[k] * s[k];
		x[i] = acc;
	}
	memmove(history, history + frames, HISTORY * sizeof(float));
}

/* Each channel has its own line. */
static void delay_channel(struct fx *fx, unsigned ch, float *buf, uint32_t frames)
{
	struct fx_delay *d = (struct fx_delay *)fx;
	struct delay_line *l = &d->lines[ch];

	if (d->ring_len)
		delay_ring(l, d->ring_len, buf, frames);
	if (d->fractional)
		delay_fraction(d->taps_reversed, l->history, buf, frames);
}

static void delay_process(struct fx *fx, float *const *bufs, uint32_t frames)
{
	for (unsigned ch = 0; ch < fx->channels_in; ch++)
		if (fx->channel_mask & (1u << ch))
			delay_channel(fx, ch, bufs[ch], frames);
}

static void delay_reset(struct fx *fx)
{
	struct fx_delay *d = (struct fx_delay *)fx;

	for (unsigned ch = 0; ch < FX_MAX_CHANNELS; ch++) {
		struct delay_line *l = &d->lines[ch];

		if (l->ring)
			memset(l->ring, 0, d->ring_len * sizeof(float));
		if (l->history)
			memset(l->history, 0, HISTORY * sizeof(float));
		l->pos = 0;
	}
}

/* ---- control thread ---------------------------------------------------- */

static void delay_destroy(struct fx *fx)
{
	struct fx_delay *d = (struct fx_delay *)fx;

	for (unsigned ch = 0; ch < FX_MAX_CHANNELS; ch++) {
		free(d->lines[ch].ring);
		free(d->lines[ch].history);
	}
	free(d);
}

/* RT thread: the same delay keeps its line (a new length starts empty and
 * is warmed up instead). */
static bool delay_can_adopt(const struct fx *fx, const struct fx *old_fx)
{
	const struct fx_delay *d = (const struct fx_delay *)fx;
	const struct fx_delay *old = (const struct fx_delay *)old_fx;

	if (old->ring_len != d->ring_len || old->fractional != d->fractional ||
	    old->max_frames != d->max_frames ||
	    memcmp(old->taps_reversed, d->taps_reversed, sizeof(d->taps_reversed)) != 0)
		return false;
	for (unsigned ch = 0; ch < fx->channels_in; ch++) {
		const struct delay_line *from = &old->lines[ch];
		const struct delay_line *to = &d->lines[ch];

		if (!from->ring != !to->ring || !from->history != !to->history)
			return false;
	}
	return true;
}

static void delay_adopt(struct fx *fx, const struct fx *old_fx)
{
	struct fx_delay *d = (struct fx_delay *)fx;
	const struct fx_delay *old = (const struct fx_delay *)old_fx;

	for (unsigned ch = 0; ch < fx->channels_in; ch++) {
		const struct delay_line *from = &old->lines[ch];
		struct delay_line *to = &d->lines[ch];

		if (to->ring)
			memcpy(to->ring, from->ring, d->ring_len * sizeof(float));
		if (to->history)
			memcpy(to->history, from->history,
			       (HISTORY + d->max_frames) * sizeof(float));
		to->pos = from->pos;
	}
}

/* Any thread: the ring's whole samples, then the interpolator's float
 * taps (its bulk delay is what the ring left out). */
static bool delay_response(const struct fx *fx, unsigned out, unsigned in,
                           const double *w, size_t n, double complex *h,
                           double complex *dh)
{
	const struct fx_delay *d = (const struct fx_delay *)fx;
	enum fx_path path = fx_response_path(fx, out, in, n, h, dh);
	float taps[FX_DELAY_FRAC_TAPS];

	if (path != FX_PATH_OWN)
		return path != FX_PATH_NONE;
	resp_delay(d->ring_len, w, n, h, dh);
	if (d->fractional) {
		for (int k = 0; k < FX_DELAY_FRAC_TAPS; k++)
			taps[k] = d->taps_reversed[FX_DELAY_FRAC_TAPS - 1 - k];
		resp_fir(taps, FX_DELAY_FRAC_TAPS, w, n, h, dh);
	}
	return true;
}

static size_t delay_response_cost(const struct fx *fx)
{
	/* cos/sin of each frequency (about 25 ns), then the taps */
	return 32 + (((const struct fx_delay *)fx)->fractional ? FX_DELAY_FRAC_TAPS : 0);
}

static const struct fx_ops delay_ops = {
	.type = "delay",
	.process = delay_process,
	.process_channel = delay_channel,
	.reset = delay_reset,
	.destroy = delay_destroy,
	.adopt = delay_adopt,
	.can_adopt = delay_can_adopt,
	.response = delay_response,
	.response_cost = delay_response_cost,
};

/* Zeroed memory whose pages are already touched. */
static float *alloc_samples(size_t n)
{
	float *p = malloc(n * sizeof(float));

	if (p)
		memset(p, 0, n * sizeof(float));
	return p;
}

static int alloc_lines(struct fx_delay *d)
{
	for (unsigned ch = 0; ch < d->fx.channels_in; ch++) {
		struct delay_line *l = &d->lines[ch];

		if (!(d->fx.channel_mask & (1u << ch)))
			continue;
		if (d->ring_len && !(l->ring = alloc_samples(d->ring_len)))
			return -ENOMEM;
		if (d->fractional &&
		    !(l->history = alloc_samples(HISTORY + d->max_frames)))
			return -ENOMEM;
	}
	return 0;
}

/* Split the delay into ring length and fraction; explain a refusal. */
static int plan_delay(struct fx_delay *d, const struct cfg_block *cfg,
                      unsigned rate, char *err, size_t err_len)
{
	double samples = fx_delay_in_samples(&cfg->u.delay, rate);
	double whole = floor(samples), fraction = samples - whole;

	if (samples > FX_DELAY_MAX_SECONDS * rate + FX_DELAY_FRAC_EPSILON) {
		snprintf(err, err_len, "block \"%s\": delay of %.6g samples "
		         "(%.3f s at %u Hz) exceeds the maximum of %.0f s",
		         cfg->name, samples, samples / rate, rate,
		         FX_DELAY_MAX_SECONDS);
		return -EINVAL;
	}
	if (fraction > 1.0 - FX_DELAY_FRAC_EPSILON) {
		whole += 1.0;
		fraction = 0.0;
	} else if (fraction < FX_DELAY_FRAC_EPSILON) {
		fraction = 0.0;
	}
	if (fraction > 0.0 && whole < FX_DELAY_FRAC_CENTRE) {
		snprintf(err, err_len, "block \"%s\": delay of %.6g samples at "
		         "%u Hz has a fractional part and is shorter than the "
		         "%d samples the sub-sample interpolator needs: use a "
		         "whole number of samples, or add the same %d samples "
		         "to every path", cfg->name, samples, rate,
		         FX_DELAY_FRAC_CENTRE, FX_DELAY_FRAC_CENTRE);
		return -EINVAL;
	}
	d->fractional = fraction > 0.0;
	d->ring_len = (uint32_t)whole - (d->fractional ? FX_DELAY_FRAC_CENTRE : 0);
	if (d->fractional) {
		float taps[FX_DELAY_FRAC_TAPS];

		fx_delay_design_fraction(fraction, taps);
		for (int k = 0; k < FX_DELAY_FRAC_TAPS; k++)
			d->taps_reversed[k] = taps[FX_DELAY_FRAC_TAPS - 1 - k];
	}
	return 0;
}

int fx_delay_create(const struct cfg_block *cfg, const struct fx_env *env,
                    struct fx **ret, char *err, size_t err_len)
{
	struct fx_delay *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return -ENOMEM;
	fx_init(&d->fx, &delay_ops, cfg, env);
	d->max_frames = env->max_frames;
	if ((r = plan_delay(d, cfg, env->rate, err, err_len)) < 0 ||
	    (r = alloc_lines(d)) < 0) {
		if (r == -ENOMEM)
			snprintf(err, err_len, "block \"%s\": out of memory for "
			         "a delay line of %u samples", cfg->name,
			         d->ring_len);
		delay_destroy(&d->fx);
		return r;
	}
	d->fx.warmup_frames = d->ring_len + FX_DELAY_FRAC_TAPS;
	*ret = &d->fx;
	return 0;
}
