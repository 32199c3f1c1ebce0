/* pipeline.h - the DSP graph the RT thread runs between capture and
 * playback: an ordered list of blocks (fx.h) working in place on planar
 * float channel buffers; mixers change the channel count between blocks.
 *
 * pipeline_build/pipeline_free: control thread (they allocate).
 * pipeline_process: RT thread only; no allocation, no locks, no syscalls. */
#ifndef DSPD_PIPELINE_H
#define DSPD_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "fx.h"
#include "pipeline_schedule.h"
#include "workers.h"

/* How a graph replaces the one before it (transition.h). */
struct pipeline_plan {
	uint32_t fade_frames;         /* crossfade length, 0: switch at once */
	uint32_t max_warmup_frames;   /* cap on the shadow run */
	int curve;                    /* enum cfg_fade_curve */
};

struct pipeline {
	uint64_t generation;          /* set by transition_submit() */
	struct pipeline_plan plan;
	unsigned channels_in;         /* channels entering the first block */
	unsigned channels_out;        /* channels leaving the last block */
	unsigned latency_frames;      /* through the applied blocks, every channel
	                                 aligned to the most delayed (fx_align.h) */
	uint64_t filter_taps;         /* fir blocks: taps x channels convolved */
	uint64_t filter_bytes;        /* fir blocks: spectra and states */
	struct pipeline_schedule sched;   /* the blocks' work for the workers */
	unsigned n_fx;
	struct fx *fx[];
};

/* Build the graph of cfg->blocks for channels_in channels at rate, with
 * periods of at most max_frames, its work planned for config_threads(cfg)
 * workers; master_gain (may be NULL: 0 dB) is the
 * linear master volume for blocks that follow it.  The fir blocks' taps
 * and memory are counted from their files' headers against cfg->limits
 * before each is loaded (-E2BIG naming the block and the numbers).
 * Returns 0 or -errno with err filled. */
int pipeline_build(const struct dspd_config *cfg, unsigned channels_in,
                   unsigned max_frames, const _Atomic float *master_gain,
                   struct pipeline **ret, char *err, size_t err_len);
/* The pipeline for a whole configuration: it starts with the capture
 * channels and must end with the playback channels.  One that never
 * changes the channel count (no mixer) runs on the larger of the two
 * instead: capture channel n feeds playback channel n, extra playback
 * channels get silence.  Also the full check of a configuration (block
 * files, rate-dependent limits) before anything runs. */
int pipeline_build_for(const struct dspd_config *cfg,
                       const _Atomic float *master_gain, struct pipeline **ret,
                       char *err, size_t err_len);
void pipeline_free(struct pipeline *p);
/* The check of pipeline_build_for() that does not stop at the first
 * error: each block is built and freed at once (the filter budget counted
 * as the build would), and every failing one is handed to on_error with
 * its index (cfg->n_blocks: the pipeline's channels as a whole).  Blocks
 * whose bit is set in skip are not built (their files already failed).
 * Returns how many errors. */
typedef void (*pipeline_error_fn)(void *arg, unsigned block, int r, const char *err);
unsigned pipeline_check_blocks(const struct dspd_config *cfg, uint64_t skip,
                               pipeline_error_fn on_error, void *arg);
/* The plan cfg->transition asks for (frames at cfg->rate). */
void pipeline_plan_from_config(struct pipeline_plan *plan,
                               const struct dspd_config *cfg);
/* Run every block that is not bypassed, on the pool w (NULL: all on the
 * calling thread; the output is the same bit for bit), waiting for late
 * workers at most until deadline_ns (0: no limit).  A block whose output
 * is not sane (NaN, Inf or a magnitude of 2^64 or more, from its input or
 * its own state) has those channels silenced for this period and is reset
 * after it; fx->resets counts it.  bufs has FX_MAX_CHANNELS rows of
 * max_frames.  Returns 0, or -ETIMEDOUT / -EBUSY when a worker was late
 * (pipeline_schedule_run(); pipeline_late_block() names the block). */
int pipeline_run(struct pipeline *p, struct workers *w, float *const *bufs,
                 uint32_t frames, uint64_t deadline_ns);
/* pipeline_run on the calling thread alone. */
void pipeline_process(struct pipeline *p, float *const *bufs, uint32_t frames);
/* The block a late run was waiting for ("" if none known). */
const char *pipeline_late_block(const struct pipeline *p);
/* Non-finite recoveries of all blocks together. */
uint64_t pipeline_resets(const struct pipeline *p);

#endif
