/* fx.c - block construction: the table from configured block type to
 * constructor.  Control thread only. */
#include "fx.h"
#include "fx_meter.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct fx_constructor gain_constructors[] = {
	{ CFG_BLOCK_GAIN, fx_gain_create },
	{ CFG_BLOCK_METER, fx_meter_create },
	{ CFG_BLOCK_LOUDNESS_COMP, fx_loudcomp_create },
	{ .create = NULL },
};

static const struct fx_constructor *const families[] = {
	gain_constructors, fx_constructors_filters, fx_constructors_fir,
	fx_constructors_basic, fx_constructors_ladspa,
};

void fx_init(struct fx *fx, const struct fx_ops *ops,
             const struct cfg_block *cfg, const struct fx_env *env)
{
	uint32_t all = env->channels >= 32 ? UINT32_MAX : (1u << env->channels) - 1;

	fx->ops = ops;
	snprintf(fx->name, sizeof(fx->name), "%s", cfg->name);
	fx->channel_mask = cfg->channel_mask & all;
	fx->channels_in = fx->channels_out = env->channels;
	fx->latency_frames = 0;
	fx->warmup_frames = 0;
	fx->bypass = cfg->bypass;
	fx->name_hash = 2166136261u;             /* FNV-1a */
	for (const char *c = fx->name; *c; c++)
		fx->name_hash = (fx->name_hash ^ (unsigned char)*c) * 16777619u;
	/* the parsed block is a plain value, zeroed before parsing: its bytes
	 * are the same for the same configuration */
	fx->config_hash = 14695981039346656037ull;
	for (size_t i = 0; i < sizeof(*cfg); i++)
		fx->config_hash = (fx->config_hash ^ ((const unsigned char *)cfg)[i]) *
		                  1099511628211ull;
	atomic_init(&fx->resets, 0);
}

bool fx_can_adopt(const struct fx *fx, const struct fx *old)
{
	return fx->ops->adopt && fx_same_block(fx, old) &&
	       (!fx->ops->can_adopt || fx->ops->can_adopt(fx, old));
}

bool fx_same_block(const struct fx *a, const struct fx *b)
{
	return a->name_hash == b->name_hash && a->ops == b->ops &&
	       a->channels_in == b->channels_in && strcmp(a->name, b->name) == 0;
}

int fx_create(const struct cfg_block *cfg, const struct fx_env *env,
              struct fx **ret, char *err, size_t err_len)
{
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
		for (const struct fx_constructor *c = families[f]; c->create; c++)
			if (c->type == cfg->type)
				return c->create(cfg, env, ret, err, err_len);
	snprintf(err, err_len, "block \"%s\": no implementation for its type", cfg->name);
	return -ENOSYS;
}
