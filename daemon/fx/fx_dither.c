/* fx_dither.c - the "dither" block (see fx_dither.h).  Works in units of
 * the target LSB, in double: v = x 2^(bits-1) - sum h_k e[n-k], output
 * round(v + tpdf), error e = output - v before the output is clamped to
 * the word length (so a clipped sample does not feed its clipping back).
 * |e| <= 1.5 LSB always, and the feedback is FIR in e, so it is stable.
 * create/destroy: control thread; process/reset: RT thread. */
#include "fx_dither.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double fx_dither_shape[FX_DITHER_SHAPE_TAPS] = { 1.623, -0.982, 0.109 };

struct dither_channel {
	uint64_t rng;
	double err[FX_DITHER_SHAPE_TAPS];  /* err[0] is the latest */
};

struct fx_dither {
	struct fx fx;
	bool shaped;
	double scale, inv_scale, code_min, code_max;
	uint64_t seed;
	struct dither_channel ch[FX_MAX_CHANNELS];
};

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;   /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

/* Uniform in [0, 1). */
static double next_uniform(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return (double)(x >> 11) * 0x1p-53;
}

static double shaped_feedback(const struct dither_channel *c)
{
	double sum = 0.0;

	for (int k = 0; k < FX_DITHER_SHAPE_TAPS; k++)
		sum += fx_dither_shape[k] * c->err[k];
	return sum;
}

static void dither_channel(struct fx_dither *d, struct dither_channel *c,
                           float *x, uint32_t frames)
{
	for (uint32_t i = 0; i < frames; i++) {
		double v = x[i] * d->scale, tpdf, code;

		if (d->shaped)
			v -= shaped_feedback(c);
		tpdf = next_uniform(&c->rng) - next_uniform(&c->rng);
		code = floor(v + tpdf + 0.5);
		if (d->shaped) {
			memmove(c->err + 1, c->err,
			        (FX_DITHER_SHAPE_TAPS - 1) * sizeof(double));
			c->err[0] = code - v;
		}
		if (code > d->code_max)
			code = d->code_max;
		else if (code < d->code_min)
			code = d->code_min;
		x[i] = (float)(code * d->inv_scale);
	}
}

/* Each channel has its own noise generator and error history. */
static void dither_one(struct fx *fx, unsigned ch, float *buf, uint32_t frames)
{
	struct fx_dither *d = (struct fx_dither *)fx;

	dither_channel(d, &d->ch[ch], buf, frames);
}

static void dither_process(struct fx *fx, float *const *bufs, uint32_t frames)
{
	for (unsigned ch = 0; ch < fx->channels_in; ch++)
		if (fx->channel_mask & (1u << ch))
			dither_one(fx, ch, bufs[ch], frames);
}

static void dither_reset(struct fx *fx)
{
	struct fx_dither *d = (struct fx_dither *)fx;

	for (unsigned ch = 0; ch < FX_MAX_CHANNELS; ch++) {
		struct dither_channel *c = &d->ch[ch];

		memset(c->err, 0, sizeof(c->err));
		/* xorshift must not start at 0; splitmix64 of distinct inputs
		 * is 0 for at most one of them */
		c->rng = splitmix64(d->seed + ch) | 1u;
	}
}

static void dither_destroy(struct fx *fx)
{
	free(fx);
}

static const struct fx_ops dither_ops = {
	.type = "dither",
	.process = dither_process,
	.process_channel = dither_one,
	.reset = dither_reset,
	.destroy = dither_destroy,
};

int fx_dither_create(const struct cfg_block *cfg, const struct fx_env *env,
                     struct fx **ret, char *err, size_t err_len)
{
	const struct cfg_dither *c = &cfg->u.dither;
	struct fx_dither *d;

	if (c->bits < 8 || c->bits > 24) {
		snprintf(err, err_len, "block \"%s\": dither bits must be 8 to "
		         "24, is %u", cfg->name, c->bits);
		return -EINVAL;
	}
	if (!(d = calloc(1, sizeof(*d))))
		return -ENOMEM;
	fx_init(&d->fx, &dither_ops, cfg, env);
	d->shaped = c->kind == CFG_DITHER_SHAPED;
	d->scale = ldexp(1.0, (int)c->bits - 1);
	d->inv_scale = 1.0 / d->scale;
	d->code_min = -d->scale;
	d->code_max = d->scale - 1.0;
	d->seed = name_hash(cfg->name);
	dither_reset(&d->fx);
	*ret = &d->fx;
	return 0;
}
