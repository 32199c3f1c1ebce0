/* fx_filters.c - the filter blocks: biquad, butterworth, linkwitz_riley,
 * peq and geq.  Each is a cascade of second-order sections (biquad_design.h)
 * run by the kernel of biquad.h on every channel of its mask, with one
 * state per section and channel.  Constructors and destroy: control thread
 * (they design and allocate, and check what needs the rate: frequencies
 * below rate/2, stability of free coefficients).  process and reset: RT
 * thread. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "biquad_design.h"
#include "fx.h"
#include "biquad.h"
#include "eq_file.h"
#include "fx_response.h"
#include "response.h"

struct fx_filter {
	struct fx fx;
	unsigned n_sections;
	/* The coefficient set is apart from the state: a parameter change
	 * replaces coef between periods and keeps the state. */
	struct biquad_coef *coef;
	struct biquad_state *state;     /* n_sections per channel */
	double *scratch;                /* max_frames per channel */
	unsigned max_frames;
};

/* Each channel has its own state and scratch: channels may run on
 * different workers at once. */
static void filter_channel(struct fx *fx, unsigned ch, float *buf, uint32_t frames)
{
	struct fx_filter *f = (struct fx_filter *)fx;

	biquad_run(f->coef, f->state + ch * f->n_sections, f->n_sections, buf,
	           f->scratch + (size_t)ch * f->max_frames, frames);
}

static void filter_process(struct fx *fx, float *const *bufs, uint32_t frames)
{
	for (unsigned ch = 0; ch < fx->channels_in; ch++)
		if (fx->channel_mask & (1u << ch))
			filter_channel(fx, ch, bufs[ch], frames);
}

static void filter_reset(struct fx *fx)
{
	struct fx_filter *f = (struct fx_filter *)fx;

	biquad_clear(f->state, f->n_sections * fx->channels_in);
}

static void filter_destroy(struct fx *fx)
{
	struct fx_filter *f = (struct fx_filter *)fx;

	if (!f)
		return;
	free(f->coef);
	free(f->state);
	free(f->scratch);
	free(f);
}

/* Keep the signal history of the same filter before its change: with the
 * same sections on the same channels, the new coefficients continue from
 * where the old ones were. */
static bool filter_can_adopt(const struct fx *fx, const struct fx *old)
{
	return ((const struct fx_filter *)fx)->n_sections ==
	       ((const struct fx_filter *)old)->n_sections;
}

static void filter_adopt(struct fx *fx, const struct fx *old_fx)
{
	struct fx_filter *f = (struct fx_filter *)fx;
	const struct fx_filter *old = (const struct fx_filter *)old_fx;

	memcpy(f->state, old->state,
	       (size_t)f->n_sections * fx->channels_in * sizeof(*f->state));
}

/* Any thread: the designed sections, in double as they run. */
static bool filter_response(const struct fx *fx, unsigned out, unsigned in,
                            const double *w, size_t n, double complex *h,
                            double complex *dh)
{
	const struct fx_filter *f = (const struct fx_filter *)fx;
	enum fx_path path = fx_response_path(fx, out, in, n, h, dh);

	if (path == FX_PATH_OWN)
		resp_biquads(f->coef, f->n_sections, w, n, h, dh);
	return path != FX_PATH_NONE;
}

static size_t filter_response_cost(const struct fx *fx)
{
	/* cos/sin of each frequency, then a complex division a section:
	 * about 20 + 17 ns, in the units of a FIR tap (0.75 ns) */
	return 25 + 22 * ((const struct fx_filter *)fx)->n_sections;
}

#define FILTER_OPS(name_) { .type = name_, .process = filter_process,\
                            .process_channel = filter_channel,         \
                            .reset = filter_reset, .destroy = filter_destroy, \
                            .adopt = filter_adopt,                     \
                            .can_adopt = filter_can_adopt,     \
                            .response = filter_response,       \
                            .response_cost = filter_response_cost }

static const struct fx_ops biquad_ops = FILTER_OPS("biquad");
static const struct fx_ops butterworth_ops = FILTER_OPS("butterworth");
static const struct fx_ops linkwitz_riley_ops = FILTER_OPS("linkwitz_riley");
static const struct fx_ops peq_ops = FILTER_OPS("peq");
static const struct fx_ops geq_ops = FILTER_OPS("geq");

/* The block around n designed sections. */
static int filter_new(const struct cfg_block *cfg, const struct fx_env *env,
                      const struct fx_ops *ops, const struct biquad_coef *coef,
                      unsigned n, struct fx **ret)
{
	struct fx_filter *f = calloc(1, sizeof(*f));
	unsigned channels = env->channels ? env->channels : 1;

	if (!f)
		return -ENOMEM;
	f->n_sections = n;
	f->coef = calloc(n ? n : 1, sizeof(*f->coef));
	f->state = calloc((size_t)(n ? n : 1) * channels, sizeof(*f->state));
	f->max_frames = env->max_frames ? env->max_frames : 1;
	f->scratch = calloc((size_t)f->max_frames * channels, sizeof(*f->scratch));
	if (!f->coef || !f->state || !f->scratch) {
		filter_destroy(&f->fx);
		return -ENOMEM;
	}
	memcpy(f->coef, coef, n * sizeof(*coef));
	fx_init(&f->fx, ops, cfg, env);
	f->fx.warmup_frames = biquad_decay_frames(coef, n, 1e-4);
	f->fx.work_per_frame = 1.0f + 2.0f * (float)n;
	*ret = &f->fx;
	return 0;
}

/* Start a biquad's parameters at the defaults, then take the given ones. */
static void given_params(int kind, unsigned given, const double *src,
                         unsigned n_src, double *param)
{
	memcpy(param, biquad_key_defaults, BQK_N * sizeof(*param));
	for (unsigned k = 0; k < n_src; k++)
		if ((given & (1u << k)) && (biquad_kinds[kind].keys & (1u << k)))
			param[k] = src[k];
}

static int missing_keys(const char *block, const char *where, int kind,
                        unsigned given, char *err, size_t err_len)
{
	unsigned missing = biquad_kinds[kind].required & ~given;
	char keys[128];

	if (!missing)
		return 0;
	biquad_key_list(missing, keys, sizeof(keys));
	snprintf(err, err_len, "block \"%s\"%s: kind %s needs %s", block, where,
	         biquad_kind_names[kind], keys);
	return -EINVAL;
}

static int create_biquad(const struct cfg_block *cfg,
                            const struct fx_env *env, struct fx **ret,
                            char *err, size_t err_len)
{
	const struct cfg_biquad *bq = &cfg->u.biquad;
	double param[BQK_N];
	struct biquad_coef coef;
	char why[200];
	int r;

	if (bq->kind < 0 || bq->kind >= BQ_N_KINDS) {
		snprintf(err, err_len, "block \"%s\": no kind given", cfg->name);
		return -EINVAL;
	}
	if ((r = missing_keys(cfg->name, "", bq->kind, bq->given, err,
	                      err_len)) < 0)
		return r;
	given_params(bq->kind, bq->given, bq->param, BQK_N, param);
	if (biquad_design(bq->kind, param, env->rate, &coef, why,
	                  sizeof(why)) < 0) {
		snprintf(err, err_len, "block \"%s\" (%s biquad): %s", cfg->name,
		         biquad_kind_names[bq->kind], why);
		return -EINVAL;
	}
	return filter_new(cfg, env, &biquad_ops, &coef, 1, ret);
}

static int xover_freq_ok(const struct cfg_block *cfg, const struct fx_env *env,
                         char *err, size_t err_len)
{
	if (cfg->u.xover.freq < env->rate / 2.0)
		return 0;
	snprintf(err, err_len, "block \"%s\": freq %g Hz is not below half the "
	         "rate (%g Hz)", cfg->name, cfg->u.xover.freq, env->rate / 2.0);
	return -EINVAL;
}

static int create_butterworth(const struct cfg_block *cfg,
                                 const struct fx_env *env, struct fx **ret,
                                 char *err, size_t err_len)
{
	const struct cfg_xover *x = &cfg->u.xover;
	struct biquad_coef coef[BIQUAD_MAX_ORDER];
	unsigned n;

	if (x->order < 1 || x->order > BIQUAD_MAX_ORDER) {
		snprintf(err, err_len, "block \"%s\": order %d is not 1..%d",
		         cfg->name, x->order, BIQUAD_MAX_ORDER);
		return -EINVAL;
	}
	if (xover_freq_ok(cfg, env, err, err_len) < 0)
		return -EINVAL;
	n = butterworth_design(x->kind, (unsigned)x->order, x->freq, env->rate,
	                       coef);
	return filter_new(cfg, env, &butterworth_ops, coef, n, ret);
}

static int create_linkwitz_riley(const struct cfg_block *cfg,
                                    const struct fx_env *env, struct fx **ret,
                                    char *err, size_t err_len)
{
	const struct cfg_xover *x = &cfg->u.xover;
	struct biquad_coef coef[BIQUAD_MAX_ORDER];
	unsigned n;

	if (x->order < 2 || x->order > BIQUAD_MAX_ORDER || x->order % 2) {
		snprintf(err, err_len, "block \"%s\": order %d is not one of 2, 4, "
		         "6, 8", cfg->name, x->order);
		return -EINVAL;
	}
	if (xover_freq_ok(cfg, env, err, err_len) < 0)
		return -EINVAL;
	n = linkwitz_riley_design(x->kind, (unsigned)x->order, x->freq,
	                          env->rate, coef);
	return filter_new(cfg, env, &linkwitz_riley_ops, coef, n, ret);
}

/* The bands of a peq, from its "file" when it has one (into *buf), and
 * the preamp: the block's, plus the file's. */
static int peq_bands(const struct cfg_block *cfg, const struct fx_env *env,
                     struct cfg_peq *buf, const struct cfg_peq **ret,
                     double *preamp_db, char *err, size_t err_len)
{
	const struct cfg_peq *peq = &cfg->u.peq;
	char why[400];
	double file_db = 0.0;
	int r;

	*ret = peq;
	*preamp_db = peq->preamp_db;
	if (!peq->file[0]) {
		if (peq->n_bands >= 1 && peq->n_bands <= CFG_PEQ_MAX_BANDS)
			return 0;
		snprintf(err, err_len, "block \"%s\": give \"bands\" (1..%d) or "
		         "an EQ \"file\"", cfg->name, CFG_PEQ_MAX_BANDS);
		return -EINVAL;
	}
	if ((r = eq_file_load(peq->file, env->rate, buf, &file_db, why,
	                      sizeof(why))) < 0) {
		snprintf(err, err_len, "block \"%s\": %s", cfg->name, why);
		return r;
	}
	*ret = buf;
	*preamp_db += file_db;
	return 0;
}

/* The preamp, exactly: the first section's numerator scaled (a file with
 * a Preamp and no filter: one section that is only that gain). */
static unsigned fold_preamp(struct biquad_coef *coef, unsigned n,
                            double preamp_db)
{
	double g = pow(10.0, preamp_db / 20.0);

	if (n == 0)
		coef[n++] = (struct biquad_coef){ 1.0, 0.0, 0.0, 0.0, 0.0 };
	coef[0].b0 *= g;
	coef[0].b1 *= g;
	coef[0].b2 *= g;
	return n;
}

static int create_peq(const struct cfg_block *cfg, const struct fx_env *env,
                         struct fx **ret, char *err, size_t err_len)
{
	struct cfg_peq *file = malloc(sizeof(*file));
	const struct cfg_peq *peq;
	struct biquad_coef coef[CFG_PEQ_MAX_BANDS];
	char why[200], where[32];
	double preamp_db;
	int r;

	if (!file)
		return -ENOMEM;
	if ((r = peq_bands(cfg, env, file, &peq, &preamp_db, err, err_len)) < 0)
		goto out;
	r = -EINVAL;
	for (unsigned i = 0; i < peq->n_bands; i++) {
		const struct cfg_peq_band *b = &peq->bands[i];
		double param[BQK_N];

		snprintf(where, sizeof(where), " band %u", i);
		if (b->kind < 0 || b->kind >= BQ_N_SHAPE_KINDS) {
			snprintf(err, err_len, "block \"%s\"%s: no kind given",
			         cfg->name, where);
			goto out;
		}
		if (missing_keys(cfg->name, where, b->kind, b->given, err,
		                 err_len) < 0)
			goto out;
		given_params(b->kind, b->given, b->param, BQK_N_SHAPE, param);
		if (biquad_design(b->kind, param, env->rate, &coef[i], why,
		                  sizeof(why)) < 0) {
			snprintf(err, err_len, "block \"%s\"%s (%s): %s", cfg->name,
			         where, biquad_kind_names[b->kind], why);
			goto out;
		}
	}
	r = filter_new(cfg, env, &peq_ops, coef,
	               fold_preamp(coef, peq->n_bands, preamp_db), ret);
out:
	free(file);
	return r;
}

/* Bands at or above rate/2 with 0 dB are left out (a 20 kHz band at
 * 32 kHz); with any other gain they are an error. */
static int create_geq(const struct cfg_block *cfg, const struct fx_env *env,
                         struct fx **ret, char *err, size_t err_len)
{
	const struct cfg_geq *geq = &cfg->u.geq;
	struct biquad_coef coef[CFG_GEQ_MAX_BANDS];
	double param[BQK_N] = { [BQK_Q] = geq_band_q(geq->resolution) };
	unsigned n = 0;
	char why[200];

	if (geq->n_bands != geq_band_count(geq->resolution)) {
		snprintf(err, err_len, "block \"%s\": %u bands given, the %s "
		         "resolution has %u", cfg->name, geq->n_bands,
		         geq->resolution == GEQ_OCTAVE ? "octave" : "third",
		         geq_band_count(geq->resolution));
		return -EINVAL;
	}
	for (unsigned i = 0; i < geq->n_bands; i++) {
		param[BQK_FREQ] = geq_band_freq(geq->resolution, i);
		param[BQK_GAIN_DB] = geq->gain_db[i];
		if (param[BQK_FREQ] < env->rate / 2.0) {
			biquad_design(BQ_PEAKING, param, env->rate, &coef[n++],
			              why, sizeof(why));
		} else if (geq->gain_db[i] != 0.0) {
			snprintf(err, err_len, "block \"%s\": band %u (%.0f Hz) "
			         "is not below half the rate (%g Hz); set its "
			         "gain to 0", cfg->name, i, param[BQK_FREQ],
			         env->rate / 2.0);
			return -EINVAL;
		}
	}
	return filter_new(cfg, env, &geq_ops, coef, n, ret);
}

const struct fx_constructor fx_constructors_filters[] = {
	{ CFG_BLOCK_BIQUAD, create_biquad },
	{ CFG_BLOCK_BUTTERWORTH, create_butterworth },
	{ CFG_BLOCK_LINKWITZ_RILEY, create_linkwitz_riley },
	{ CFG_BLOCK_PEQ, create_peq },
	{ CFG_BLOCK_GEQ, create_geq },
	{ .create = NULL },
};
