/* fx_dynamics.c - compressor, limiter and gate (see fx_dynamics.h for the
 * algorithms).  Each block starts with struct dyn_common, which holds the
 * gain-reduction meter the control thread reads.  Detector and gain state
 * are double; audio is float.
 * create/destroy: control thread; process/reset: RT thread. */
#include "fx_dynamics.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fx_response.h"
#include "response.h"

#define LEVEL_FLOOR 1e-30               /* keeps log10() finite */
/* The limiter aims this fraction below its ceiling: float rounding of the
 * gain and of gain x sample is far smaller. */
#define LIMITER_MARGIN (1.0 - 1e-6)

struct dyn_common {
	struct fx fx;
	_Atomic float reduction_db;     /* >= 0, deepest of the last period */
};

static const struct fx_ops compressor_ops, limiter_ops, gate_ops;

bool fx_is_dynamics(const struct fx *fx)
{
	return fx->ops == &compressor_ops || fx->ops == &limiter_ops ||
	       fx->ops == &gate_ops;
}

double fx_dynamics_gain_reduction_db(const struct fx *fx)
{
	const struct dyn_common *d = (const struct dyn_common *)fx;

	if (!fx_is_dynamics(fx))
		return 0.0;
	return atomic_load_explicit(&d->reduction_db, memory_order_relaxed);
}

static void publish_reduction(struct dyn_common *d, double min_gain_db)
{
	float db = min_gain_db < 0.0 ? (float)-min_gain_db : 0.0f;

	atomic_store_explicit(&d->reduction_db, db, memory_order_relaxed);
}

/* One-pole coefficient for a time constant; 0 ms is instant. */
static double time_coef(double ms, unsigned rate)
{
	return ms > 0.0 ? exp(-1000.0 / (ms * rate)) : 0.0;
}

static unsigned ms_to_frames(double ms, unsigned rate)
{
	return (unsigned)lround(ms * rate / 1000.0);
}

static double db_to_gain(double db)
{
	return exp(db * (M_LN10 / 20.0));
}

static double gain_to_db(double gain)
{
	return 20.0 * log10(gain > LEVEL_FLOOR ? gain : LEVEL_FLOOR);
}

static void common_destroy(struct fx *fx)
{
	free(fx);
}

/* ---- compressor ------------------------------------------------------- */

struct fx_compressor {
	struct dyn_common c;
	double threshold_db, slope, knee_db, makeup_db;  /* slope = 1/R - 1 */
	double attack, release, rms_coef;
	bool rms, link;
	double mean_square[FX_MAX_CHANNELS];
	double gain_db[FX_MAX_CHANNELS];  /* smoothed, <= 0; [0] when linked */
};

static double compressor_curve(const struct fx_compressor *k, double level_db)
{
	double over = level_db - k->threshold_db;

	if (2.0 * over <= -k->knee_db)
		return 0.0;
	if (2.0 * fabs(over) <= k->knee_db) {
		double t = over + k->knee_db / 2.0;

		return k->slope * t * t / (2.0 * k->knee_db);
	}
	return k->slope * over;
}

/* The detector's level of channel ch for sample x, in dB. */
static double compressor_level_db(struct fx_compressor *k, unsigned ch, float x)
{
	double ms;

	if (!k->rms)
		return gain_to_db(fabs(x));
	ms = k->rms_coef * k->mean_square[ch] + (1.0 - k->rms_coef) * x * x;
	k->mean_square[ch] = ms;
	return 10.0 * log10(ms > LEVEL_FLOOR ? ms : LEVEL_FLOOR);
}

static double compressor_smooth(const struct fx_compressor *k, double state,
                                double target)
{
	double coef = target < state ? k->attack : k->release;

	return coef * state + (1.0 - coef) * target;
}

static void compressor_process(struct fx *fx, float *const *bufs,
                               uint32_t frames)
{
	struct fx_compressor *k = (struct fx_compressor *)fx;
	double deepest = 0.0;

	for (uint32_t i = 0; i < frames; i++) {
		double loudest = -INFINITY;

		for (unsigned ch = 0; ch < fx->channels_in; ch++) {
			double level, g;

			if (!(fx->channel_mask & (1u << ch)))
				continue;
			level = compressor_level_db(k, ch, bufs[ch][i]);
			if (k->link) {
				loudest = level > loudest ? level : loudest;
				continue;
			}
			g = compressor_smooth(k, k->gain_db[ch],
			                      compressor_curve(k, level));
			k->gain_db[ch] = g;
			deepest = g < deepest ? g : deepest;
			bufs[ch][i] *= (float)db_to_gain(g + k->makeup_db);
		}
		if (k->link && loudest > -INFINITY) {
			double g = compressor_smooth(k, k->gain_db[0],
			                             compressor_curve(k, loudest));
			float gain = (float)db_to_gain(g + k->makeup_db);

			k->gain_db[0] = g;
			deepest = g < deepest ? g : deepest;
			for (unsigned ch = 0; ch < fx->channels_in; ch++)
				if (fx->channel_mask & (1u << ch))
					bufs[ch][i] *= gain;
		}
	}
	publish_reduction(&k->c, deepest);
}

static void compressor_reset(struct fx *fx)
{
	struct fx_compressor *k = (struct fx_compressor *)fx;

	memset(k->mean_square, 0, sizeof(k->mean_square));
	memset(k->gain_db, 0, sizeof(k->gain_db));
}

/* The same compressor keeps its envelope through a parameter change. */
static void compressor_adopt(struct fx *fx, const struct fx *old_fx)
{
	struct fx_compressor *k = (struct fx_compressor *)fx;
	const struct fx_compressor *old = (const struct fx_compressor *)old_fx;

	memcpy(k->mean_square, old->mean_square, sizeof(k->mean_square));
	memcpy(k->gain_db, old->gain_db, sizeof(k->gain_db));
	if (k->link && !old->link)
		for (unsigned ch = 1; ch < fx->channels_in; ch++)
			k->gain_db[0] = fmin(k->gain_db[0], old->gain_db[ch]);
}

/* Any thread: below the threshold (and its knee) the gain is the makeup
 * alone, as the float the samples are multiplied by. */
static bool compressor_response(const struct fx *fx, unsigned out, unsigned in,
                                const double *w, size_t n, double complex *h,
                                double complex *dh)
{
	const struct fx_compressor *k = (const struct fx_compressor *)fx;
	enum fx_path path = fx_response_path(fx, out, in, n, h, dh);

	(void)w;
	if (path == FX_PATH_OWN)
		resp_gain((float)db_to_gain(k->makeup_db), n, h, dh);
	return path != FX_PATH_NONE;
}

static const struct fx_ops compressor_ops = {
	.type = "compressor",
	.process = compressor_process,
	.reset = compressor_reset,
	.destroy = common_destroy,
	.adopt = compressor_adopt,
	.response = compressor_response,
	.level_dependent = true,
};

/* Frames for an envelope of time constant ms to settle (7 time constants:
 * below 0.1 %), the warm-up of a dynamics block started from rest. */
static uint32_t settle_frames(double ms, unsigned rate)
{
	return ms_to_frames(7.0 * ms, rate);
}

int fx_compressor_create(const struct cfg_block *cfg, const struct fx_env *env,
                         struct fx **ret, char *err, size_t err_len)
{
	const struct cfg_dynamics *d = &cfg->u.dynamics;
	struct fx_compressor *k = calloc(1, sizeof(*k));

	(void)err, (void)err_len;
	if (!k)
		return -ENOMEM;
	fx_init(&k->c.fx, &compressor_ops, cfg, env);
	atomic_init(&k->c.reduction_db, 0.0f);
	k->threshold_db = d->threshold_db;
	k->slope = 1.0 / d->ratio - 1.0;
	k->knee_db = d->knee_db;
	k->makeup_db = d->makeup_gain_db;
	k->attack = time_coef(d->attack_ms, env->rate);
	k->release = time_coef(d->release_ms, env->rate);
	k->rms_coef = time_coef(d->rms_ms, env->rate);
	k->rms = d->detection == CFG_DETECT_RMS;
	k->link = d->link;
	k->c.fx.warmup_frames = settle_frames(fmax(fmax(d->attack_ms, d->release_ms),
	                                           k->rms ? d->rms_ms : 0.0), env->rate);
	*ret = &k->c.fx;
	return 0;
}

/* ---- limiter ---------------------------------------------------------- */

struct fx_limiter {
	struct dyn_common c;
	double ceiling, release;
	uint32_t lookahead;             /* frames, >= 1 */
	uint64_t n;                     /* frames seen */
	/* audio delay: one ring of lookahead samples per processed channel */
	float *delay[FX_MAX_CHANNELS];
	uint32_t delay_pos;
	/* moving minimum of the needed gain over lookahead + 1 frames: a
	 * deque of increasing values, indexes by frame number */
	double *min_gain;
	uint64_t *min_frame;
	uint32_t min_head, min_tail, min_mask;
	double hold;                    /* the minimum, released */
	/* moving average of hold over lookahead + 1 frames */
	double *box;
	uint32_t box_pos;
	double box_sum;
};

static double limiter_moving_min(struct fx_limiter *l, double need)
{
	uint32_t mask = l->min_mask;

	while (l->min_tail != l->min_head &&
	       l->min_gain[(l->min_tail - 1) & mask] >= need)
		l->min_tail--;
	l->min_gain[l->min_tail & mask] = need;
	l->min_frame[l->min_tail & mask] = l->n;
	l->min_tail++;
	while (l->min_frame[l->min_head & mask] + l->lookahead < l->n)
		l->min_head++;
	return l->min_gain[l->min_head & mask];
}

static double limiter_box(struct fx_limiter *l, double hold)
{
	l->box_sum += hold - l->box[l->box_pos];
	l->box[l->box_pos] = hold;
	if (++l->box_pos == l->lookahead + 1)
		l->box_pos = 0;
	return l->box_sum / (l->lookahead + 1);
}

/* The gain for the frame leaving the delay line now. */
static double limiter_gain(struct fx_limiter *l, double peak)
{
	double need = peak > l->ceiling ? l->ceiling / peak : 1.0;
	double floor_gain = limiter_moving_min(l, need);

	if (floor_gain < l->hold)
		l->hold = floor_gain;
	else
		l->hold = l->release * l->hold + (1.0 - l->release) * floor_gain;
	l->n++;
	return limiter_box(l, l->hold);
}

static void limiter_process(struct fx *fx, float *const *bufs, uint32_t frames)
{
	struct fx_limiter *l = (struct fx_limiter *)fx;
	double lowest = 1.0;

	/* re-add the window so rounding cannot accumulate over hours */
	l->box_sum = 0.0;
	for (uint32_t k = 0; k <= l->lookahead; k++)
		l->box_sum += l->box[k];
	for (uint32_t i = 0; i < frames; i++) {
		float peak = 0.0f, gain;
		double g;

		for (unsigned ch = 0; ch < fx->channels_in; ch++)
			if ((fx->channel_mask & (1u << ch)) &&
			    fabsf(bufs[ch][i]) > peak)
				peak = fabsf(bufs[ch][i]);
		g = limiter_gain(l, peak);
		lowest = g < lowest ? g : lowest;
		gain = (float)g;
		for (unsigned ch = 0; ch < fx->channels_in; ch++) {
			float *ring = l->delay[ch], x;

			if (!(fx->channel_mask & (1u << ch)))
				continue;
			x = bufs[ch][i];
			bufs[ch][i] = ring[l->delay_pos] * gain;
			ring[l->delay_pos] = x;
		}
		if (++l->delay_pos == l->lookahead)
			l->delay_pos = 0;
	}
	publish_reduction(&l->c, gain_to_db(lowest));
}

static void limiter_reset(struct fx *fx)
{
	struct fx_limiter *l = (struct fx_limiter *)fx;

	for (unsigned ch = 0; ch < FX_MAX_CHANNELS; ch++)
		if (l->delay[ch])
			memset(l->delay[ch], 0, l->lookahead * sizeof(float));
	for (uint32_t k = 0; k <= l->lookahead; k++)
		l->box[k] = 1.0;
	l->box_sum = l->lookahead + 1.0;
	l->box_pos = l->delay_pos = 0;
	l->min_head = l->min_tail = 0;
	l->hold = 1.0;
	l->n = 0;
}

static void limiter_destroy(struct fx *fx)
{
	struct fx_limiter *l = (struct fx_limiter *)fx;

	for (unsigned ch = 0; ch < FX_MAX_CHANNELS; ch++)
		free(l->delay[ch]);
	free(l->min_gain);
	free(l->min_frame);
	free(l->box);
	free(l);
}

/* Any thread: below the ceiling the audio passes unchanged, delayed by
 * the lookahead. */
static bool limiter_response(const struct fx *fx, unsigned out, unsigned in,
                             const double *w, size_t n, double complex *h,
                             double complex *dh)
{
	enum fx_path path = fx_response_path(fx, out, in, n, h, dh);

	if (path == FX_PATH_OWN)
		resp_delay(((const struct fx_limiter *)fx)->lookahead, w, n, h, dh);
	return path != FX_PATH_NONE;
}

static size_t limiter_response_cost(const struct fx *fx)
{
	(void)fx;
	return 32;                        /* cos/sin of each frequency */
}

static const struct fx_ops limiter_ops = {
	.type = "limiter",
	.process = limiter_process,
	.reset = limiter_reset,
	.destroy = limiter_destroy,
	.response = limiter_response,
	.response_cost = limiter_response_cost,
	.level_dependent = true,
};

static int limiter_alloc(struct fx_limiter *l)
{
	uint32_t capacity = 1;

	while (capacity < l->lookahead + 2)
		capacity <<= 1;
	l->min_mask = capacity - 1;
	l->min_gain = calloc(capacity, sizeof(double));
	l->min_frame = calloc(capacity, sizeof(uint64_t));
	l->box = calloc(l->lookahead + 1, sizeof(double));
	if (!l->min_gain || !l->min_frame || !l->box)
		return -ENOMEM;
	for (unsigned ch = 0; ch < l->c.fx.channels_in; ch++)
		if ((l->c.fx.channel_mask & (1u << ch)) &&
		    !(l->delay[ch] = calloc(l->lookahead, sizeof(float))))
			return -ENOMEM;
	return 0;
}

int fx_limiter_create(const struct cfg_block *cfg, const struct fx_env *env,
                      struct fx **ret, char *err, size_t err_len)
{
	const struct cfg_dynamics *d = &cfg->u.dynamics;
	struct fx_limiter *l = calloc(1, sizeof(*l));
	unsigned lookahead = ms_to_frames(d->lookahead_ms, env->rate);

	if (!l)
		return -ENOMEM;
	fx_init(&l->c.fx, &limiter_ops, cfg, env);
	atomic_init(&l->c.reduction_db, 0.0f);
	l->lookahead = lookahead > 0 ? lookahead : 1;
	l->c.fx.latency_frames = l->lookahead;
	l->ceiling = db_to_gain(d->ceiling_db) * LIMITER_MARGIN;
	l->release = time_coef(d->release_ms, env->rate);
	if (limiter_alloc(l) < 0) {
		snprintf(err, err_len, "block \"%s\": out of memory for a "
		         "lookahead of %u frames", cfg->name, l->lookahead);
		limiter_destroy(&l->c.fx);
		return -ENOMEM;
	}
	limiter_reset(&l->c.fx);
	l->c.fx.warmup_frames = l->lookahead + settle_frames(d->release_ms, env->rate);
	*ret = &l->c.fx;
	return 0;
}

/* ---- gate ------------------------------------------------------------- */

struct fx_gate {
	struct dyn_common c;
	double threshold, closed_gain, attack, release;
	uint32_t hold_frames, hold_left;
	double gain;
};

static void gate_process(struct fx *fx, float *const *bufs, uint32_t frames)
{
	struct fx_gate *g = (struct fx_gate *)fx;
	double lowest = 1.0;

	for (uint32_t i = 0; i < frames; i++) {
		double peak = 0.0, target, coef;
		float gain;

		for (unsigned ch = 0; ch < fx->channels_in; ch++)
			if ((fx->channel_mask & (1u << ch)) &&
			    fabs(bufs[ch][i]) > peak)
				peak = fabs(bufs[ch][i]);
		if (peak >= g->threshold)
			g->hold_left = g->hold_frames + 1;
		if (g->hold_left > 0) {
			g->hold_left--;
			target = 1.0;
		} else {
			target = g->closed_gain;
		}
		coef = target > g->gain ? g->attack : g->release;
		g->gain = target + (g->gain - target) * coef;
		lowest = g->gain < lowest ? g->gain : lowest;
		gain = (float)g->gain;
		for (unsigned ch = 0; ch < fx->channels_in; ch++)
			if (fx->channel_mask & (1u << ch))
				bufs[ch][i] *= gain;
	}
	publish_reduction(&g->c, gain_to_db(lowest));
}

static void gate_reset(struct fx *fx)
{
	struct fx_gate *g = (struct fx_gate *)fx;

	g->gain = 1.0;
	g->hold_left = 0;
}

static void gate_adopt(struct fx *fx, const struct fx *old_fx)
{
	struct fx_gate *g = (struct fx_gate *)fx;
	const struct fx_gate *old = (const struct fx_gate *)old_fx;

	g->gain = old->gain;
	g->hold_left = old->hold_left < g->hold_frames + 1 ? old->hold_left
	                                                   : g->hold_frames + 1;
}

static const struct fx_ops gate_ops = {
	.type = "gate",
	.process = gate_process,
	.reset = gate_reset,
	.destroy = common_destroy,
	.adopt = gate_adopt,
	/* no response: open, it passes the audio unchanged */
	.level_dependent = true,
};

int fx_gate_create(const struct cfg_block *cfg, const struct fx_env *env,
                   struct fx **ret, char *err, size_t err_len)
{
	const struct cfg_dynamics *d = &cfg->u.dynamics;
	struct fx_gate *g = calloc(1, sizeof(*g));

	(void)err, (void)err_len;
	if (!g)
		return -ENOMEM;
	fx_init(&g->c.fx, &gate_ops, cfg, env);
	atomic_init(&g->c.reduction_db, 0.0f);
	g->threshold = db_to_gain(d->threshold_db);
	g->closed_gain = db_to_gain(-d->range_db);
	g->attack = time_coef(d->attack_ms, env->rate);
	g->release = time_coef(d->release_ms, env->rate);
	g->hold_frames = ms_to_frames(d->hold_ms, env->rate);
	gate_reset(&g->c.fx);
	g->c.fx.warmup_frames = settle_frames(fmax(d->attack_ms, d->release_ms), env->rate);
	*ret = &g->c.fx;
	return 0;
}
