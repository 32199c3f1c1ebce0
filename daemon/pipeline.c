/* pipeline.c - building (control thread) and running (RT thread) the DSP
 * graph described by the config's "pipeline" array. */
#include "pipeline.h"

#include <errno.h>
#include <stdlib.h>

static void build_gain(struct pipeline_block *b, const struct cfg_block *c)
{
	float linear = c->mute ? 0.0f : (float)gain_db_to_linear(c->db);

	gain_ramp_init(&b->u.gain, c->invert ? -linear : linear);
}

int pipeline_build(const struct dspd_config *cfg, unsigned channels,
                   struct pipeline **ret)
{
	uint32_t all = channels >= 32 ? UINT32_MAX : (1u << channels) - 1;
	struct pipeline *p;

	p = calloc(1, sizeof(*p) + cfg->n_blocks * sizeof(p->blocks[0]));
	if (!p)
		return -ENOMEM;
	for (unsigned i = 0; i < cfg->n_blocks; i++) {
		const struct cfg_block *c = &cfg->blocks[i];
		struct pipeline_block *b = &p->blocks[i];

		b->type = c->type;
		b->channel_mask = c->channel_mask & all;
		switch (c->type) {
		case CFG_BLOCK_GAIN:
			build_gain(b, c);
			break;
		default:
			free(p);
			return -EINVAL;
		}
	}
	p->n_blocks = cfg->n_blocks;
	*ret = p;
	return 0;
}

void pipeline_free(struct pipeline *p)
{
	free(p);
}

void pipeline_process(struct pipeline *p, float *const *bufs,
                      unsigned channels, uint32_t frames)
{
	for (unsigned i = 0; i < p->n_blocks; i++) {
		struct pipeline_block *b = &p->blocks[i];

		switch (b->type) {
		case CFG_BLOCK_GAIN:
			gain_ramp_process(&b->u.gain, bufs, channels,
			                  b->channel_mask, frames);
			break;
		}
	}
}
