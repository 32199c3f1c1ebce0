/* conv_filter.h - zero-latency partitioned FIR convolution (FFTW, single
 * precision), uniform or non-uniform.
 *
 * A conv_filter is an impulse response cut into partitions and turned into
 * spectra, with the FFTW plans to use them: immutable once made, shared by
 * every channel that uses the same IR.  A conv_state is one channel's
 * memory (input history, frequency-domain delay lines, pending output); it
 * holds nothing of the IR, so a filter of the same layout (conv_same_layout)
 * can replace another on a live state.
 *
 * Threads: conv_filter_create/free and conv_state_create/free plan FFTs and
 * allocate: the control thread or the pipeline builder (control/build.c),
 * never the RT thread; the planner is serialised by conv_planner_lock().
 * conv_process and conv_state_reset run on the RT thread: no allocation,
 * no locks, no system calls; FFTW's new-array execute functions only.
 *
 * Latency: none.  Output sample n is the exact convolution of the input up
 * to and including sample n, whatever the number of frames per call (see
 * conv_process.c for how). */
#ifndef DSPD_CONV_FILTER_H
#define DSPD_CONV_FILTER_H

#include <fftw3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONV_MAX_LEVELS 8
#define CONV_GROWTH 4               /* block size ratio of adjacent levels */
#define CONV_MAX_BLOCK 8192         /* largest block of a non-uniform layout */
#define CONV_MAX_RATIO 16           /* ... and at most 16 level-0 blocks */

/* One uniform partitioning of a segment of the IR. */
struct conv_level {
	unsigned block;             /* partition size in frames */
	unsigned parts;             /* partitions */
	unsigned offset;            /* first tap: 0, else 2 * block */
	unsigned bins;              /* block + 1 rounded up (conv_kernel.h) */
	float *spectra;             /* parts spectra of 2 * bins floats */
	fftwf_plan r2c, c2r;        /* size 2 * block, out of place */
};

struct conv_filter {
	unsigned taps;
	unsigned n_levels;          /* 1 = uniform */
	struct conv_level level[CONV_MAX_LEVELS];
};

/* Cut taps[0..n_taps) into partitions of `partition` frames (level 0) and,
 * unless uniform, larger levels after it (conv_filter.c has the layout).
 * Returns 0, -EINVAL (bad sizes) or -ENOMEM. */
int conv_filter_create(const float *taps, size_t n_taps, unsigned partition,
                       bool uniform, struct conv_filter **ret);
void conv_filter_free(struct conv_filter *f);
/* True when a and b have the same partitions, so states are exchangeable. */
bool conv_same_layout(const struct conv_filter *a, const struct conv_filter *b);

struct conv_state;

int conv_state_create(const struct conv_filter *f, struct conv_state **ret);
void conv_state_free(struct conv_state *s);
/* Take src's history into dst, both states of f or of filters with the
 * same layout and taps (RT thread: copies only). */
void conv_state_copy(const struct conv_filter *f, struct conv_state *dst,
                     const struct conv_state *src);
/* Forget all past input (RT thread). */
void conv_state_reset(const struct conv_filter *f, struct conv_state *s);
/* Convolve buf[0..frames) in place (RT thread); any frames count. */
void conv_process(const struct conv_filter *f, struct conv_state *s,
                  float *buf, uint32_t frames);

/* The lock around FFTW's planner, which is not thread-safe: plans are made
 * and destroyed here under it; whoever else calls the planner or the
 * wisdom functions (daemon/fftw_wisdom.c) takes it too.  Never on the RT
 * thread (executing a plan needs no lock). */
void conv_planner_lock(void);
bool conv_planner_trylock(void);
void conv_planner_unlock(void);

/* What conv_filter_create(n_taps, partition, uniform) and one
 * conv_state_create() of it would allocate, in bytes, without allocating
 * or planning anything (a budget is checked before a filter is made).
 * 0 or -EINVAL (the sizes conv_filter_create refuses).  Any thread. */
int conv_filter_estimate(size_t n_taps, unsigned partition, bool uniform,
                         size_t *ret_filter_bytes, size_t *ret_state_bytes);
/* About the ns one channel's frame costs on a current x86 core: the FFT
 * pair of each level spread over its block, plus its multiply-adds (the
 * pipeline's scheduler balances workers with it).  Any thread. */
float conv_work_per_frame(const struct conv_filter *f);
/* Bytes of the spectra and plans (filter) and of one channel's state. */
size_t conv_filter_bytes(const struct conv_filter *f);
size_t conv_state_bytes(const struct conv_filter *f);

#endif
