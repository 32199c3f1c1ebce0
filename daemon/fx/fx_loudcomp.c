/* fx_loudcomp.c - the "loudness_comp" block: volume-tracking bass and
 * treble shelves (equal-loudness compensation).  At the master volume
 * reference_db the block is transparent; for every dB below it the shelves
 * (70 Hz low, 3500 Hz high, Q 1/sqrt 2) rise by 1/20 of their full boost,
 * reached 20 dB below the reference.  The RT thread reads the master volume
 * once per period and moves the boost at most 5 % of full per period
 * towards its target, redesigning the two sections (arithmetic only) while
 * keeping their state, so volume changes stay click-free.
 * create/destroy: control thread; process/reset: RT thread. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fx.h"
#include "biquad.h"
#include "fx_response.h"
#include "gain.h"
#include "response.h"

#define LOW_SHELF_HZ 70.0
#define HIGH_SHELF_HZ 3500.0
#define MAX_STEP 0.05           /* of the full boost, per period */

struct fx_loudcomp {
	struct fx fx;
	const _Atomic float *master;
	double rate, reference_db, low_boost_db, high_boost_db;
	double fraction;                    /* 0..1 of the full boost, designed */
	struct biquad_coef coef[2];
	struct biquad_state state[FX_MAX_CHANNELS][2];
	double *scratch;                    /* max_frames doubles */
};

static double target_fraction(const struct fx_loudcomp *l)
{
	float g = l->master ? atomic_load_explicit(l->master, memory_order_relaxed) : 1.0f;
	double below = l->reference_db - gain_linear_to_db(g);
	double f = below / 20.0;

	return f < 0.0 ? 0.0 : f > 1.0 ? 1.0 : f;
}

/* Shelves for a fraction of the full boost (pure arithmetic, RT-safe). */
static void design(struct fx_loudcomp *l, double fraction)
{
	double param[BQK_N] = { 0 };
	char why[8];

	param[BQK_Q] = M_SQRT1_2;
	param[BQK_FREQ] = LOW_SHELF_HZ;
	param[BQK_GAIN_DB] = fraction * l->low_boost_db;
	biquad_design(BQ_LOWSHELF, param, l->rate, &l->coef[0], why, sizeof(why));
	param[BQK_FREQ] = HIGH_SHELF_HZ;
	param[BQK_GAIN_DB] = fraction * l->high_boost_db;
	biquad_design(BQ_HIGHSHELF, param, l->rate, &l->coef[1], why, sizeof(why));
	l->fraction = fraction;
}

static void loudcomp_process(struct fx *fx, float *const *bufs, uint32_t frames)
{
	struct fx_loudcomp *l = (struct fx_loudcomp *)fx;
	double target = target_fraction(l), next = l->fraction;

	if (target != l->fraction) {
		next = target > l->fraction ? fmin(target, l->fraction + MAX_STEP)
		                            : fmax(target, l->fraction - MAX_STEP);
		design(l, next);
	}
	if (l->fraction == 0.0)
		return;   /* transparent: 0 dB shelves */
	for (unsigned ch = 0; ch < fx->channels_in; ch++)
		if (fx->channel_mask & (1u << ch))
			biquad_run(l->coef, l->state[ch], 2, bufs[ch], l->scratch, frames);
}

static void loudcomp_reset(struct fx *fx)
{
	struct fx_loudcomp *l = (struct fx_loudcomp *)fx;

	memset(l->state, 0, sizeof(l->state));
}

static void loudcomp_destroy(struct fx *fx)
{
	struct fx_loudcomp *l = (struct fx_loudcomp *)fx;

	free(l->scratch);
	free(l);
}

/* Keep the shelves' history and where the boost is: from there it moves
 * to the new settings at its usual pace. */
static void loudcomp_adopt(struct fx *fx, const struct fx *old_fx)
{
	struct fx_loudcomp *l = (struct fx_loudcomp *)fx;
	const struct fx_loudcomp *old = (const struct fx_loudcomp *)old_fx;

	memcpy(l->state, old->state, sizeof(l->state));
	if (old->fraction != l->fraction)
		design(l, old->fraction);
}

/* Any thread: the shelves for the master volume now (where the RT thread
 * takes them within 20 periods); the RT thread's own coefficients are
 * not read while it may redesign them. */
static bool loudcomp_response(const struct fx *fx, unsigned out, unsigned in,
                              const double *w, size_t n, double complex *h,
                              double complex *dh)
{
	const struct fx_loudcomp *block = (const struct fx_loudcomp *)fx;
	enum fx_path path = fx_response_path(fx, out, in, n, h, dh);
	static const struct fx_loudcomp zero;
	struct fx_loudcomp l = zero;      /* the settings only, no state */
	double fraction;

	if (path != FX_PATH_OWN)
		return path != FX_PATH_NONE;
	l.master = block->master;
	l.rate = block->rate;
	l.reference_db = block->reference_db;
	l.low_boost_db = block->low_boost_db;
	l.high_boost_db = block->high_boost_db;
	fraction = target_fraction(&l);
	if (fraction > 0.0) {
		design(&l, fraction);
		resp_biquads(l.coef, 2, w, n, h, dh);
	}
	return true;
}

static size_t loudcomp_response_cost(const struct fx *fx)
{
	(void)fx;
	return 80;                        /* two sections, designed per call */
}

static const struct fx_ops loudcomp_ops = {
	.type = "loudness_comp",
	.process = loudcomp_process,
	.reset = loudcomp_reset,
	.destroy = loudcomp_destroy,
	.adopt = loudcomp_adopt,
	.response = loudcomp_response,
	.response_cost = loudcomp_response_cost,
};

int fx_loudcomp_create(const struct cfg_block *cfg, const struct fx_env *env,
                       struct fx **ret, char *err, size_t err_len)
{
	struct fx_loudcomp *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	if (env->rate <= 2 * HIGH_SHELF_HZ) {
		snprintf(err, err_len, "block \"%s\": loudness_comp needs a rate above %.0f Hz",
		         cfg->name, 2 * HIGH_SHELF_HZ);
		free(l);
		return -EINVAL;
	}
	l->scratch = calloc(env->max_frames, sizeof(double));
	if (!l->scratch) {
		free(l);
		return -ENOMEM;
	}
	fx_init(&l->fx, &loudcomp_ops, cfg, env);
	l->master = env->master_gain;
	l->rate = env->rate;
	l->reference_db = cfg->u.loudcomp.reference_db;
	l->low_boost_db = cfg->u.loudcomp.low_boost_db;
	l->high_boost_db = cfg->u.loudcomp.high_boost_db;
	/* start where the volume is, not with a sweep */
	design(l, target_fraction(l));
	l->fx.warmup_frames = biquad_decay_frames(l->coef, 2, 1e-4);
	*ret = &l->fx;
	return 0;
}
