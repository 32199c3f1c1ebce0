/* fx_fir.c - the "fir" block: one impulse response (ir_load.c) convolved
 * with each chosen channel (conv_filter.h).  The channels share the IR's
 * spectra and each has its own state.  No latency is added: the output of
 * a period is the exact convolution up to its last sample.
 * create/destroy: control thread (file loading, FFT planning); process and
 * reset: RT thread. */
#include "fx_fir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv_filter.h"
#include "fx_response.h"
#include "ir_load.h"
#include "response.h"

struct fx_fir {
	struct fx fx;
	uint64_t ir_hash;                 /* of the taps as convolved */
	float *taps;                      /* as convolved, for the response */
	size_t n_taps;
	struct conv_filter *filter;
	struct conv_state *state[FX_MAX_CHANNELS];  /* NULL: not processed */
};

/* The filter is read-only; each channel's state is its own. */
static void fir_channel(struct fx *fx, unsigned ch, float *buf, uint32_t frames)
{
	struct fx_fir *b = (struct fx_fir *)fx;

	if (b->state[ch])
		conv_process(b->filter, b->state[ch], buf, frames);
}

static void fir_process(struct fx *fx, float *const *bufs, uint32_t frames)
{
	for (unsigned ch = 0; ch < fx->channels_in; ch++)
		fir_channel(fx, ch, bufs[ch], frames);
}

static void fir_reset(struct fx *fx)
{
	struct fx_fir *b = (struct fx_fir *)fx;

	for (unsigned ch = 0; ch < fx->channels_in; ch++)
		if (b->state[ch])
			conv_state_reset(b->filter, b->state[ch]);
}

static void fir_destroy(struct fx *fx)
{
	struct fx_fir *b = (struct fx_fir *)fx;

	for (unsigned ch = 0; ch < FX_MAX_CHANNELS; ch++)
		conv_state_free(b->state[ch]);
	conv_filter_free(b->filter);
	free(b->taps);
	free(b);
}

/* RT thread: the same filter (same taps, same partitions) keeps its
 * history; any other starts empty and is warmed up (its partial sums
 * would be the old IR's). */
static bool fir_can_adopt(const struct fx *fx, const struct fx *old_fx)
{
	const struct fx_fir *b = (const struct fx_fir *)fx;
	const struct fx_fir *old = (const struct fx_fir *)old_fx;

	if (b->ir_hash != old->ir_hash || !conv_same_layout(b->filter, old->filter))
		return false;
	for (unsigned ch = 0; ch < fx->channels_in; ch++)
		if (!b->state[ch] != !old->state[ch])
			return false;
	return true;
}

static void fir_adopt(struct fx *fx, const struct fx *old_fx)
{
	struct fx_fir *b = (struct fx_fir *)fx;
	const struct fx_fir *old = (const struct fx_fir *)old_fx;

	for (unsigned ch = 0; ch < fx->channels_in; ch++)
		if (b->state[ch])
			conv_state_copy(b->filter, b->state[ch], old->state[ch]);
}

/* Any thread: the DTFT of the taps as they are convolved.  The output is
 * the convolution up to its last sample (no latency): tap k delays by k. */
static bool fir_response(const struct fx *fx, unsigned out, unsigned in,
                         const double *w, size_t n, double complex *h,
                         double complex *dh)
{
	const struct fx_fir *b = (const struct fx_fir *)fx;
	enum fx_path path = fx_response_path(fx, out, in, n, h, dh);

	if (path == FX_PATH_OWN)
		resp_fir(b->taps, b->n_taps, w, n, h, dh);
	return path != FX_PATH_NONE;
}

static size_t fir_response_cost(const struct fx *fx)
{
	return ((const struct fx_fir *)fx)->n_taps;
}

static const struct fx_ops fir_ops = {
	.type = "fir",
	.process = fir_process,
	.process_channel = fir_channel,
	.reset = fir_reset,
	.destroy = fir_destroy,
	.adopt = fir_adopt,
	.can_adopt = fir_can_adopt,
	.response = fir_response,
	.response_cost = fir_response_cost,
};

/* The taps' bits, hashed 32 bits at a time (FNV-1a over words, with a
 * final mix): the same filter across a reload.  Never stored. */
static uint64_t hash_taps(const float *taps, size_t n)
{
	uint64_t h = 14695981039346656037ull ^ n;

	for (size_t i = 0; i < n; i++) {
		uint32_t bits;

		memcpy(&bits, &taps[i], sizeof(bits));
		h = (h ^ bits) * 1099511628211ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 33);
}

static unsigned block_channels(const struct cfg_block *cfg,
                               const struct fx_env *env)
{
	unsigned n = 0;

	for (unsigned ch = 0; ch < env->channels && ch < FX_MAX_CHANNELS; ch++)
		n += !!(cfg->channel_mask & (1u << ch));
	return n;
}

int fx_fir_cost(const struct cfg_block *cfg, const struct fx_env *env,
                struct fx_fir_cost *ret, char *err, size_t err_len)
{
	const struct cfg_fir *c = &cfg->u.fir;
	unsigned partition = c->partition ? c->partition : env->max_frames;
	size_t filter_bytes, state_bytes;
	char why[256];
	int r;

	if ((r = ir_probe(c, env->rate, &ret->taps, why, sizeof(why))) < 0) {
		snprintf(err, err_len, "block \"%s\": %s", cfg->name, why);
		return r;
	}
	if ((r = conv_filter_estimate(ret->taps, partition,
	                              c->partitioning == CFG_FIR_UNIFORM,
	                              &filter_bytes, &state_bytes)) < 0) {
		snprintf(err, err_len, "block \"%s\": cannot prepare a %zu-tap "
		         "convolution with %u-frame partitions: bad size",
		         cfg->name, ret->taps, partition);
		return r;
	}
	ret->channels = block_channels(cfg, env);
	/* the taps themselves are kept too, for the response */
	ret->bytes = filter_bytes + ret->channels * state_bytes +
	             ret->taps * sizeof(float);
	return 0;
}

/* The IR's spectra, partitioned for this pipeline. */
static int make_filter(struct fx_fir *b, const struct cfg_block *cfg,
                       const struct fx_env *env, char *err, size_t err_len)
{
	const struct cfg_fir *c = &cfg->u.fir;
	unsigned partition = c->partition ? c->partition : env->max_frames;
	char why[256];
	float *taps;
	size_t n;
	int r;

	r = ir_load(c, env->rate, &taps, &n, why, sizeof(why));
	if (r < 0) {
		snprintf(err, err_len, "block \"%s\": %s", cfg->name,
		         r == -ENOMEM ? "out of memory loading the IR" : why);
		return r;
	}
	/* the budget was checked against the header (fx_fir_cost()): a file
	 * that grew since may not take more */
	if (env->max_taps && n > env->max_taps) {
		snprintf(err, err_len, "block \"%s\": the IR file changed while "
		         "it was loaded (%zu taps, %zu expected)", cfg->name, n,
		         env->max_taps);
		free(taps);
		return -EAGAIN;
	}
	b->ir_hash = hash_taps(taps, n);
	r = conv_filter_create(taps, n, partition,
	                       c->partitioning == CFG_FIR_UNIFORM, &b->filter);
	b->taps = taps;                   /* kept for the response */
	b->n_taps = n;
	if (r < 0)
		snprintf(err, err_len, "block \"%s\": cannot prepare a %zu-tap "
		         "convolution with %u-frame partitions: %s", cfg->name, n,
		         partition, r == -ENOMEM ? "out of memory" : "bad size");
	return r;
}

static int fx_fir_create(const struct cfg_block *cfg, const struct fx_env *env,
                         struct fx **ret, char *err, size_t err_len)
{
	struct fx_fir *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	fx_init(&b->fx, &fir_ops, cfg, env);
	if ((r = make_filter(b, cfg, env, err, err_len)) < 0)
		goto fail;
	/* a new or changed filter runs unheard until it has seen its length
	 * of input */
	b->fx.warmup_frames = b->filter->taps;
	b->fx.work_per_frame = conv_work_per_frame(b->filter);
	for (unsigned ch = 0; ch < b->fx.channels_in; ch++) {
		if (!(b->fx.channel_mask & (1u << ch)))
			continue;
		if ((r = conv_state_create(b->filter, &b->state[ch])) < 0) {
			snprintf(err, err_len, "block \"%s\": out of memory for "
			         "the convolution state", cfg->name);
			goto fail;
		}
	}
	*ret = &b->fx;
	return 0;
fail:
	fir_destroy(&b->fx);
	return r;
}

const struct fx_constructor fx_constructors_fir[] = {
	{ CFG_BLOCK_FIR, fx_fir_create },
	{ .create = NULL },
};
