/* fx.h - the interface every DSP block of the pipeline implements.
 *
 * A block is created from its validated configuration on the control thread
 * (all allocation, planning and file loading happen there), then runs on the
 * RT thread, where process() may not allocate, lock, log or make syscalls.
 *
 * Blocks work in place on planar float channel buffers.  Most touch only the
 * channels in channel_mask and keep channels_out == channels_in; a mixer
 * reads channels_in channels and writes channels_out (the buffers always
 * have room for FX_MAX_CHANNELS rows of max_frames).  IIR state is double. */
#ifndef DSPD_FX_H
#define DSPD_FX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define FX_MAX_CHANNELS CFG_MAX_CHANNELS

/* What a block is told about its place in the pipeline. */
struct fx_env {
	unsigned rate;
	unsigned max_frames;         /* largest frames per process() call */
	unsigned channels;           /* channels entering the block */
	/* the master volume (linear, written by the control thread), for
	 * blocks that follow it; NULL: 0 dB */
	const _Atomic float *master_gain;
	/* fir: the taps its file had when the budget was checked
	 * (fx_fir_cost()); 0: not checked */
	size_t max_taps;
};

struct fx;

struct fx_ops {
	const char *type;
	/* RT thread: process `frames` frames in place. */
	void (*process)(struct fx *fx, float *const *bufs, uint32_t frames);
	/* RT thread, optional: process channel ch alone.  A block that has
	 * it keeps nothing shared between its channels that changes while it
	 * runs (each channel's state and scratch are its own), so channels
	 * may run on different workers at once (pipeline_schedule.h); the
	 * result is bit for bit that of process(), which calls it for each
	 * channel in channel_mask. */
	void (*process_channel)(struct fx *fx, unsigned ch, float *buf,
	                        uint32_t frames);
	/* RT thread: forget all state (after non-finite output was caught). */
	void (*reset)(struct fx *fx);
	/* Control thread: free the block. */
	void (*destroy)(struct fx *fx);
	/* RT thread, optional: take over the signal state (filter history,
	 * envelopes) of old, the block of the same name and type in the graph
	 * this one replaces, so the change makes no start-up transient.  A
	 * block that does not take state starts from silence and is warmed up
	 * for warmup_frames before it is heard (transition.h).  Bounded work:
	 * copies, no allocation.  Called only when fx_can_adopt() is true. */
	void (*adopt)(struct fx *fx, const struct fx *old);
	/* Any thread, optional (NULL: any old block of the same name, type
	 * and channels fits): does old's state fit (section count, delay
	 * length, the same FIR taps...)? */
	bool (*can_adopt)(const struct fx *fx, const struct fx *old);
	/* Any thread, optional (NULL: every channel passes unchanged): the
	 * exact response of the path from input channel `in` to output
	 * channel `out` at the n angular frequencies w[] (radians per sample,
	 * 0..pi), from what the constructor set: H(e^jw) into h[], dH/dw into
	 * dh[].  Returns false when no path joins them.  Only the audio's
	 * real delay is in it (a FIR's taps as they are, a lookahead).  Called
	 * through fx_response() (fx_response.h), which answers for bypassed
	 * blocks. */
	bool (*response)(const struct fx *fx, unsigned out, unsigned in,
	                 const double *w, size_t n, double _Complex *h,
	                 double _Complex *dh);
	/* Optional: response()'s work per frequency and path, in complex
	 * multiply-adds of a FIR's DTFT (about 0.75 ns each here; NULL: 1). */
	size_t (*response_cost)(const struct fx *fx);
	/* The response depends on the signal's level (dynamics, plugins):
	 * response() gives it at small signal. */
	bool level_dependent;
};

struct fx {
	const struct fx_ops *ops;
	char name[CFG_NAME_MAX];
	uint32_t channel_mask;       /* channels processed (bit n = channel n) */
	unsigned channels_in, channels_out;
	unsigned latency_frames;     /* delay the block adds (FIR, lookahead) */
	/* frames from silence until its output is what it would have been
	 * had it always run: FIR length, delay, IIR decay (capped) */
	uint32_t warmup_frames;
	bool bypass;                 /* configured "bypass": kept, not applied */
	/* cost of a frame of one channel, in about ns on a current x86 core:
	 * what the scheduler balances the workers with (fx_init: 1) */
	float work_per_frame;
	uint32_t name_hash;          /* of name, to match blocks across graphs */
	uint64_t config_hash;        /* of its configuration: unchanged block */
	_Atomic uint64_t resets;     /* non-finite output caught and cleared */
};

/* Create the block for cfg at a point of the pipeline with env->channels
 * channels.  Returns 0 or -errno with a message in err (control thread). */
typedef int (*fx_create_fn)(const struct cfg_block *cfg,
                            const struct fx_env *env, struct fx **ret,
                            char *err, size_t err_len);

int fx_create(const struct cfg_block *cfg, const struct fx_env *env,
              struct fx **ret, char *err, size_t err_len);

/* Each family of blocks (fx_<family>.c) exports its constructors in a
 * table ending with { .create = NULL }. */
struct fx_constructor {
	enum cfg_block_type type;
	fx_create_fn create;
};

extern const struct fx_constructor fx_constructors_filters[];
extern const struct fx_constructor fx_constructors_fir[];
extern const struct fx_constructor fx_constructors_basic[];
extern const struct fx_constructor fx_constructors_ladspa[];

/* Fill the common part; mask is limited to the channels that exist. */
void fx_init(struct fx *fx, const struct fx_ops *ops,
             const struct cfg_block *cfg, const struct fx_env *env);
/* Two blocks are the same block of two graphs: same name, type and input
 * channels (any thread). */
bool fx_same_block(const struct fx *a, const struct fx *b);
/* fx can take over old's state (fx_ops.adopt): any thread. */
bool fx_can_adopt(const struct fx *fx, const struct fx *old);

/* Each block family's constructor (fx_<family>.c). */
int fx_gain_create(const struct cfg_block *cfg, const struct fx_env *env,
                   struct fx **ret, char *err, size_t err_len);
int fx_loudcomp_create(const struct cfg_block *cfg, const struct fx_env *env,
                       struct fx **ret, char *err, size_t err_len);

#endif
