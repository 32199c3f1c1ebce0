/* pipeline.h - the DSP graph the RT thread runs between capture and
 * playback: an ordered list of blocks working in place on planar float
 * channel buffers.
 *
 * pipeline_build/pipeline_free: control thread (they allocate).
 * pipeline_process: RT thread only; no allocation, no locks, no syscalls. */
#ifndef DSPD_PIPELINE_H
#define DSPD_PIPELINE_H

#include <stdint.h>

#include "config.h"
#include "gain.h"

struct pipeline_block {
	enum cfg_block_type type;
	uint32_t channel_mask;
	union {
		struct gain_ramp gain;
	} u;
};

struct pipeline {
	unsigned n_blocks;
	struct pipeline_block blocks[];
};

/* Build the graph for cfg (channels = channels the graph runs on).
 * Returns 0 or -errno. */
int pipeline_build(const struct dspd_config *cfg, unsigned channels,
                   struct pipeline **ret);
void pipeline_free(struct pipeline *p);
void pipeline_process(struct pipeline *p, float *const *bufs,
                      unsigned channels, uint32_t frames);

#endif
