/* pipeline.c - building (control thread) and running (RT thread) the DSP
 * graph described by the config's "pipeline" array.
 *
 * Latency: each channel's delay through the blocks is followed (a block's
 * latency_frames counts on the channels it processes).  Where they differ
 * before a mixer and at the end, an alignment block (fx_align.h) delays
 * the others to the most delayed one, so channels mix and leave in step;
 * the pipeline's latency is that largest delay. */
#include "pipeline.h"
#include "fx_fir.h"
#include "fx_align.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The filter budget (limits.*), before a fir block is loaded: its taps
 * and bytes from the file's header, added to what the blocks before it
 * took.  0, or -E2BIG with err naming the block and the numbers. */
struct budget {
	uint64_t taps, bytes;           /* of the fir blocks so far */
};

static int check_budget(const struct dspd_config *cfg, const struct cfg_block *b,
                        struct fx_env *env, struct budget *p, char *err,
                        size_t err_len)
{
	uint64_t memory_budget = (uint64_t)cfg->limits.filter_memory_mb << 20;
	struct fx_fir_cost cost;
	uint64_t taps, bytes;
	int r;

	if ((r = fx_fir_cost(b, env, &cost, err, err_len)) < 0)
		return r;
	taps = p->taps + (uint64_t)cost.taps * cost.channels;
	bytes = p->bytes + cost.bytes;
	if (taps > cfg->limits.max_taps_total) {
		snprintf(err, err_len, "block \"%s\": %zu taps x %u channels "
		         "would bring the pipeline's filters to %llu taps, over "
		         "limits.max_taps_total %u", b->name, cost.taps,
		         cost.channels, (unsigned long long)taps,
		         cfg->limits.max_taps_total);
		return -E2BIG;
	}
	if (bytes > memory_budget) {
		snprintf(err, err_len, "block \"%s\": its %zu-tap filter for %u "
		         "channels needs %.1f MiB, bringing the pipeline's filters "
		         "to %.1f MiB, over limits.filter_memory_mb %u", b->name,
		         cost.taps, cost.channels, cost.bytes / 1048576.0,
		         bytes / 1048576.0, cfg->limits.filter_memory_mb);
		return -E2BIG;
	}
	p->taps = taps;
	p->bytes = bytes;
	env->max_taps = cost.taps;
	return 0;
}

/* Delay every channel to the most delayed one (an alignment block) when
 * they differ; lat[] is then that for all. */
static int align_channels(struct pipeline *p, unsigned *lat, unsigned channels,
                          char *err, size_t err_len)
{
	unsigned delays[FX_MAX_CHANNELS], most = 0;
	bool needed = false;
	struct fx *fx;
	int r;

	for (unsigned ch = 0; ch < channels; ch++)
		most = lat[ch] > most ? lat[ch] : most;
	for (unsigned ch = 0; ch < channels; ch++) {
		delays[ch] = most - lat[ch];
		needed |= delays[ch] != 0;
	}
	if (!needed)
		return 0;
	if ((r = fx_align_create(delays, channels, &fx)) < 0) {
		snprintf(err, err_len, "the pipeline's channels are up to %u frames "
		         "apart in latency: cannot align them (%s)", most,
		         r == -ENOMEM ? "out of memory" : "too far apart");
		return r;
	}
	p->fx[p->n_fx++] = fx;
	for (unsigned ch = 0; ch < channels; ch++)
		lat[ch] = most;
	return 0;
}

static void add_latency(const struct fx *fx, unsigned *lat)
{
	unsigned most = 0;

	if (fx->channels_out == fx->channels_in) {
		for (unsigned ch = 0; ch < fx->channels_in; ch++)
			if (fx->channel_mask & (1u << ch))
				lat[ch] += fx->latency_frames;
		return;
	}
	/* a mixer's inputs are aligned before it (align_channels) */
	for (unsigned ch = 0; ch < fx->channels_in; ch++)
		most = lat[ch] > most ? lat[ch] : most;
	for (unsigned ch = 0; ch < fx->channels_out; ch++)
		lat[ch] = most + fx->latency_frames;
}

/* The fir blocks built side by side on config_threads() threads before
 * the graph is put together in order: loading a long IR and transforming
 * its partitions is most of a big graph's start-up, and fir blocks do not
 * depend on each other.  FFTW's planner stays serialised
 * (conv_planner_lock()); executing plans needs no lock. */
struct early_fir {
	const struct dspd_config *cfg;
	struct fx_env env[CFG_MAX_BLOCKS];  /* as the ordered build will see it */
	bool wanted[CFG_MAX_BLOCKS];
	struct fx *fx[CFG_MAX_BLOCKS];
	int r[CFG_MAX_BLOCKS];
	char err[CFG_MAX_BLOCKS][256];
	_Atomic unsigned next;
};

static void early_fir_job(void *arg, unsigned worker)
{
	struct early_fir *e = arg;
	unsigned i;

	(void)worker;
	while ((i = atomic_fetch_add(&e->next, 1)) < e->cfg->n_blocks)
		if (e->wanted[i])
			e->r[i] = fx_create(&e->cfg->blocks[i], &e->env[i], &e->fx[i],
			                    e->err[i], sizeof(e->err[i]));
}

/* The fir blocks' environments as the ordered build will give them, up to
 * the first one over the budget (the ordered build reports that one);
 * then, with two or more and threads to spare, build them. */
static void build_firs_early(const struct dspd_config *cfg, unsigned channels_in,
                             unsigned max_frames, const _Atomic float *master_gain,
                             struct early_fir *e)
{
	struct fx_env env = { cfg->rate, max_frames, channels_in, master_gain, 0 };
	/* not RT threads: named apart from the pipeline's workers */
	struct workers_config wc = { .threads = config_threads(cfg), .name = "dspd-build" };
	struct budget budget = { 0, 0 };
	struct workers *w;
	unsigned n = 0;
	char err[256];
	int rt_err;

	e->cfg = cfg;
	for (unsigned i = 0; i < cfg->n_blocks && wc.threads > 1; i++) {
		const struct cfg_block *b = &cfg->blocks[i];

		env.max_taps = 0;
		if (b->type == CFG_BLOCK_FIR) {
			if (check_budget(cfg, b, &env, &budget, err, sizeof(err)) < 0)
				break;
			e->env[i] = env;
			e->wanted[i] = true;
			n++;
		}
		if (b->type == CFG_BLOCK_MIXER && !b->bypass)
			env.channels = b->u.mixer.channels_out;
	}
	if (n < 2) {
		memset(e->wanted, 0, sizeof(e->wanted));
		return;
	}
	if (wc.threads > n)
		wc.threads = n;
	if (workers_create(&wc, &w, &rt_err, err, sizeof(err)) < 0) {
		memset(e->wanted, 0, sizeof(e->wanted));
		return;
	}
	workers_run(w, early_fir_job, e, 0);
	workers_destroy(w);
}

/* Block i as built early, if it was, for this same environment: 0 or its
 * error (*ret, err filled); 1: not built early, build it now. */
static int take_early(struct early_fir *e, unsigned i, const struct fx_env *env,
                      struct fx **ret, char *err, size_t err_len)
{
	if (!e || !e->wanted[i] || e->env[i].channels != env->channels ||
	    e->env[i].max_taps != env->max_taps)
		return 1;
	e->wanted[i] = false;
	*ret = e->fx[i];
	e->fx[i] = NULL;
	if (e->r[i] < 0)
		snprintf(err, err_len, "%s", e->err[i]);
	return e->r[i];
}

static void free_early(struct early_fir *e)
{
	for (unsigned i = 0; e && i < CFG_MAX_BLOCKS; i++)
		if (e->fx[i])
			e->fx[i]->ops->destroy(e->fx[i]);
	free(e);
}

static int build_in_order(const struct dspd_config *cfg, unsigned channels_in,
                          unsigned max_frames, const _Atomic float *master_gain,
                          struct early_fir *early, struct pipeline **ret,
                          char *err, size_t err_len);

int pipeline_build(const struct dspd_config *cfg, unsigned channels_in,
                   unsigned max_frames, const _Atomic float *master_gain,
                   struct pipeline **ret, char *err, size_t err_len)
{
	struct early_fir *early = calloc(1, sizeof(*early));
	int r;

	if (early)
		build_firs_early(cfg, channels_in, max_frames, master_gain, early);
	r = build_in_order(cfg, channels_in, max_frames, master_gain, early, ret,
	                   err, err_len);
	free_early(early);
	return r;
}

static int build_in_order(const struct dspd_config *cfg, unsigned channels_in,
                          unsigned max_frames, const _Atomic float *master_gain,
                          struct early_fir *early, struct pipeline **ret,
                          char *err, size_t err_len)
{
	struct fx_env env = { cfg->rate, max_frames, channels_in, master_gain, 0 };
	struct budget budget = { 0, 0 };
	unsigned lat[FX_MAX_CHANNELS] = { 0 };
	struct pipeline *p;
	int r;

	/* room for an alignment before each block and one at the end */
	p = calloc(1, sizeof(*p) + (2 * cfg->n_blocks + 1) * sizeof(p->fx[0]));
	if (!p)
		return -ENOMEM;
	p->channels_in = channels_in;
	for (unsigned i = 0; i < cfg->n_blocks; i++) {
		struct fx *fx;

		env.max_taps = 0;
		if (cfg->blocks[i].type == CFG_BLOCK_FIR &&
		    (r = check_budget(cfg, &cfg->blocks[i], &env, &budget, err, err_len)) < 0) {
			pipeline_free(p);
			return r;
		}
		if (cfg->blocks[i].type == CFG_BLOCK_MIXER && !cfg->blocks[i].bypass &&
		    (r = align_channels(p, lat, env.channels, err, err_len)) < 0) {
			pipeline_free(p);
			return r;
		}
		if ((r = take_early(early, i, &env, &fx, err, err_len)) == 1)
			r = fx_create(&cfg->blocks[i], &env, &fx, err, err_len);
		if (r < 0) {
			pipeline_free(p);
			return r;
		}
		p->fx[p->n_fx++] = fx;
		if (fx->bypass && fx->channels_out != fx->channels_in) {
			snprintf(err, err_len, "block \"%s\": a mixer that turns %u "
			         "channels into %u cannot be bypassed", fx->name,
			         fx->channels_in, fx->channels_out);
			pipeline_free(p);
			return -EINVAL;
		}
		if (!fx->bypass)
			add_latency(fx, lat);
		env.channels = fx->channels_out;
	}
	if ((r = align_channels(p, lat, env.channels, err, err_len)) < 0) {
		pipeline_free(p);
		return r;
	}
	if ((r = pipeline_schedule_plan(&p->sched, p->fx, p->n_fx, config_threads(cfg),
	                                max_frames)) < 0) {
		snprintf(err, err_len, "out of memory planning the pipeline's tasks");
		pipeline_free(p);
		return r;
	}
	p->latency_frames = lat[0];
	p->channels_out = env.channels;
	p->filter_taps = budget.taps;
	p->filter_bytes = budget.bytes;
	*ret = p;
	return 0;
}

/* The channels pipeline_build_for() starts with. */
static unsigned channels_first(const struct dspd_config *cfg, bool *ret_mixer)
{
	unsigned cap = cfg->capture.channels, play = cfg->playback.channels;

	*ret_mixer = false;
	for (unsigned i = 0; i < cfg->n_blocks; i++)
		*ret_mixer |= cfg->blocks[i].type == CFG_BLOCK_MIXER;
	return *ret_mixer ? cap : (cap > play ? cap : play);
}

unsigned pipeline_check_blocks(const struct dspd_config *cfg, uint64_t skip,
                               pipeline_error_fn on_error, void *arg)
{
	bool has_mixer;
	struct fx_env env = { cfg->rate, cfg->period_frames,
	                      channels_first(cfg, &has_mixer), NULL, 0 };
	struct budget budget = { 0, 0 };
	unsigned bad = 0;
	char err[256];

	for (unsigned i = 0; i < cfg->n_blocks; i++) {
		const struct cfg_block *b = &cfg->blocks[i];
		unsigned out = env.channels;
		struct fx *fx = NULL;
		int r = 0;

		if (b->type == CFG_BLOCK_MIXER)
			out = b->u.mixer.channels_out;  /* as configured, if it fails */
		env.max_taps = 0;
		if (!(skip & (1ull << i)) &&
		    ((b->type == CFG_BLOCK_FIR &&
		      (r = check_budget(cfg, b, &env, &budget, err, sizeof(err))) < 0) ||
		     (r = fx_create(b, &env, &fx, err, sizeof(err))) < 0)) {
			on_error(arg, i, r, err);
			bad++;
		}
		if (fx) {
			out = fx->channels_out;
			if (fx->bypass && fx->channels_out != fx->channels_in) {
				snprintf(err, sizeof(err), "block \"%s\": a mixer that turns "
				         "%u channels into %u cannot be bypassed", fx->name,
				         fx->channels_in, fx->channels_out);
				on_error(arg, i, -EINVAL, err);
				bad++;
			}
			fx->ops->destroy(fx);
		}
		env.channels = out;
	}
	if (has_mixer && env.channels != cfg->playback.channels) {
		snprintf(err, sizeof(err), "the pipeline turns %u capture channels "
		         "into %u, but playback has %u", cfg->capture.channels,
		         env.channels, cfg->playback.channels);
		on_error(arg, cfg->n_blocks, -EINVAL, err);
		bad++;
	}
	return bad;
}

int pipeline_build_for(const struct dspd_config *cfg,
                       const _Atomic float *master_gain, struct pipeline **ret,
                       char *err, size_t err_len)
{
	unsigned play = cfg->playback.channels;
	bool has_mixer;
	int r;

	r = pipeline_build(cfg, channels_first(cfg, &has_mixer),
	                   cfg->period_frames, master_gain, ret, err, err_len);
	if (r < 0 || !has_mixer || (*ret)->channels_out == play)
		return r;
	snprintf(err, err_len, "the pipeline turns %u capture channels into %u, "
	         "but playback has %u", (*ret)->channels_in, (*ret)->channels_out, play);
	pipeline_free(*ret);
	*ret = NULL;
	return -EINVAL;
}

void pipeline_plan_from_config(struct pipeline_plan *plan,
                               const struct dspd_config *cfg)
{
	plan->fade_frames = (uint32_t)lround(cfg->transition.crossfade_ms * cfg->rate / 1000.0);
	plan->max_warmup_frames = (uint32_t)lround(cfg->transition.max_warmup_ms *
	                                           cfg->rate / 1000.0);
	plan->curve = cfg->transition.curve;
}

void pipeline_free(struct pipeline *p)
{
	if (!p)
		return;
	pipeline_schedule_free(&p->sched);
	for (unsigned i = 0; i < p->n_fx; i++)
		p->fx[i]->ops->destroy(p->fx[i]);
	free(p);
}

int pipeline_run(struct pipeline *p, struct workers *w, float *const *bufs,
                 uint32_t frames, uint64_t deadline_ns)
{
	return pipeline_schedule_run(&p->sched, w, bufs, frames, deadline_ns);
}

void pipeline_process(struct pipeline *p, float *const *bufs, uint32_t frames)
{
	pipeline_schedule_run(&p->sched, NULL, bufs, frames, 0);
}

const char *pipeline_late_block(const struct pipeline *p)
{
	return p->sched.late_fx >= 0 ? p->fx[p->sched.late_fx]->name : "";
}

uint64_t pipeline_resets(const struct pipeline *p)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < p->n_fx; i++)
		n += atomic_load_explicit(&p->fx[i]->resets, memory_order_relaxed);
	return n;
}
