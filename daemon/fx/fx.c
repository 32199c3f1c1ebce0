/* fx.c - the block base every block builds on: fx_init() fills the common
 * part of a new block, and the identity checks a graph change uses to hand
 * a block's state to its successor.  Control thread only. */
#include "fx.h"

#include <stdio.h>
#include <string.h>

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
	fx->work_per_frame = 1.0f;
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
