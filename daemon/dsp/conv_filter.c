/* conv_filter.c - the impulse response side of the convolver: choosing the
 * partition layout, transforming each partition, planning the FFTs.
 * Control thread only (FFTW planning is not thread-safe).
 *
 * Layout.  Level 0 has blocks of `partition` frames (the period by default)
 * and starts at tap 0; it is what makes the convolver latency-free.  In a
 * uniform layout it covers the whole IR.  In a non-uniform layout each
 * further level has blocks CONV_GROWTH times larger (up to CONV_MAX_RATIO
 * times B and CONV_MAX_BLOCK frames) and starts at twice its own block size:
 *
 *   level 0: block B,      taps [0, 8B)       8 partitions
 *   level 1: block 4B,     taps [8B, 32B)     6 partitions
 *   level 2: block 16B,    taps [32B, ...)    as many as the IR needs
 *
 * (65536 taps at B = 64: 8 x 64, 6 x 256, 62 x 1024.)  The cap on the
 * largest block keeps the worst period near the average one: a level's two
 * FFTs cannot be split across periods (conv_process.c), and an 8192-point
 * FFT pair costs about five times what the rest of a 64-frame period does.
 *
 * Starting at 2 * block leaves a whole block of time between the moment a
 * level's input block is complete and the moment its output is due, so
 * its FFTs and multiply-adds can be spread over the periods of that block
 * (conv_process.c).  Larger blocks cost less per sample, so long filters
 * run at small periods. */
#include "conv_filter.h"
#include "conv_kernel.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static unsigned div_up(size_t a, size_t b)
{
	return (unsigned)((a + b - 1) / b);
}

static size_t max_block(unsigned partition)
{
	size_t by_ratio = (size_t)CONV_MAX_RATIO * partition;

	return by_ratio < CONV_MAX_BLOCK ? by_ratio : CONV_MAX_BLOCK;
}

/* Fill f->level[].block/parts/offset for n_taps taps. */
static void plan_layout(struct conv_filter *f, size_t n_taps,
                       unsigned partition, bool uniform)
{
	size_t covered, block = partition;
	unsigned n = 0;

	if (uniform || n_taps <= 2u * CONV_GROWTH * partition ||
	    (size_t)CONV_GROWTH * partition > max_block(partition)) {
		f->level[0] = (struct conv_level){ .block = partition,
		                 .parts = div_up(n_taps, partition) };
		f->n_levels = 1;
		return;
	}
	f->level[n++] = (struct conv_level){ .block = partition,
	                                     .parts = 2 * CONV_GROWTH };
	covered = 2u * CONV_GROWTH * block;
	block *= CONV_GROWTH;
	for (;;) {
		size_t next = block * CONV_GROWTH;
		struct conv_level *lv = &f->level[n++];

		/* invariant: covered == 2 * block, where this level starts */
		lv->block = (unsigned)block;
		lv->offset = (unsigned)covered;
		if (next <= max_block(partition) && n_taps > 2 * next &&
		    n < CONV_MAX_LEVELS) {
			lv->parts = (unsigned)((2 * next - covered) / block);
			covered = 2 * next;
			block = next;
			continue;
		}
		lv->parts = div_up(n_taps - covered, block);
		break;
	}
	f->n_levels = n;
}

/* FFTW's planner (plans made and destroyed, wisdom read and written) is
 * not thread-safe: the control thread and the pipeline builder
 * (control/build.c) take turns through this lock.  Executing a plan (the
 * RT thread) needs no lock. */
static pthread_mutex_t planner = PTHREAD_MUTEX_INITIALIZER;

void conv_planner_lock(void)
{
	pthread_mutex_lock(&planner);
}

bool conv_planner_trylock(void)
{
	return pthread_mutex_trylock(&planner) == 0;
}

void conv_planner_unlock(void)
{
	pthread_mutex_unlock(&planner);
}

static int make_plans(struct conv_level *lv)
{
	size_t n = 2 * (size_t)lv->block;
	float *t = fftwf_malloc(n * sizeof(float));
	fftwf_complex *c = fftwf_malloc((lv->block + 1) * sizeof(fftwf_complex));
	int r = 0;

	if (!t || !c) {
		r = -ENOMEM;
		goto out;
	}
	conv_planner_lock();
	lv->r2c = fftwf_plan_dft_r2c_1d((int)n, t, c, FFTW_MEASURE);
	lv->c2r = fftwf_plan_dft_c2r_1d((int)n, c, t, FFTW_MEASURE);
	conv_planner_unlock();
	if (!lv->r2c || !lv->c2r)
		r = -ENOMEM;
out:
	fftwf_free(t);
	fftwf_free(c);
	return r;
}

/* Spectra of the level's partitions, scaled by 1/N so that a forward and
 * an inverse FFTW transform (unnormalised) give the convolution. */
static int transform_level(struct conv_level *lv, const float *taps,
                           size_t n_taps)
{
	size_t n = 2 * (size_t)lv->block, stride = 2 * (size_t)lv->bins;
	float *t = fftwf_malloc(n * sizeof(float));
	fftwf_complex *c = fftwf_malloc((lv->block + 1) * sizeof(fftwf_complex));
	const float scale = 1.0f / (float)n;
	int r = 0;

	lv->spectra = conv_alloc(lv->parts * stride * sizeof(float));
	if (!t || !c || !lv->spectra) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned q = 0; q < lv->parts; q++) {
		size_t first = lv->offset + (size_t)q * lv->block;

		memset(t, 0, n * sizeof(float));
		for (size_t i = 0; i < lv->block && first + i < n_taps; i++)
			t[i] = taps[first + i] * scale;
		fftwf_execute_dft_r2c(lv->r2c, t, c);
		conv_to_split(lv->spectra + q * stride, c, lv->block + 1, lv->bins);
	}
out:
	fftwf_free(t);
	fftwf_free(c);
	return r;
}

int conv_filter_create(const float *taps, size_t n_taps, unsigned partition,
                       bool uniform, struct conv_filter **ret)
{
	struct conv_filter *f;
	int r;

	if (n_taps == 0 || n_taps > UINT32_MAX / 4 || partition == 0 ||
	    partition > (1u << 24))
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->taps = (unsigned)n_taps;
	plan_layout(f, n_taps, partition, uniform);
	for (unsigned l = 0; l < f->n_levels; l++) {
		struct conv_level *lv = &f->level[l];

		lv->bins = (unsigned)conv_padded_bins(lv->block + 1);
		if ((r = make_plans(lv)) < 0 ||
		    (r = transform_level(lv, taps, n_taps)) < 0) {
			conv_filter_free(f);
			return r;
		}
	}
	*ret = f;
	return 0;
}

void conv_filter_free(struct conv_filter *f)
{
	if (!f)
		return;
	conv_planner_lock();
	for (unsigned l = 0; l < f->n_levels; l++) {
		struct conv_level *lv = &f->level[l];

		if (lv->r2c)
			fftwf_destroy_plan(lv->r2c);
		if (lv->c2r)
			fftwf_destroy_plan(lv->c2r);
	}
	conv_planner_unlock();
	for (unsigned l = 0; l < f->n_levels; l++)
		conv_free(f->level[l].spectra);
	free(f);
}

bool conv_same_layout(const struct conv_filter *a, const struct conv_filter *b)
{
	if (a->n_levels != b->n_levels)
		return false;
	for (unsigned l = 0; l < a->n_levels; l++)
		if (a->level[l].block != b->level[l].block ||
		    a->level[l].parts != b->level[l].parts)
			return false;
	return true;
}

int conv_filter_estimate(size_t n_taps, unsigned partition, bool uniform,
                         size_t *ret_filter_bytes, size_t *ret_state_bytes)
{
	struct conv_filter f = { 0 };

	if (n_taps == 0 || n_taps > UINT32_MAX / 4 || partition == 0 ||
	    partition > (1u << 24))
		return -EINVAL;
	f.taps = (unsigned)n_taps;
	plan_layout(&f, n_taps, partition, uniform);
	for (unsigned l = 0; l < f.n_levels; l++)
		f.level[l].bins = (unsigned)conv_padded_bins(f.level[l].block + 1);
	*ret_filter_bytes = conv_filter_bytes(&f);
	*ret_state_bytes = conv_state_bytes(&f);
	return 0;
}

size_t conv_filter_bytes(const struct conv_filter *f)
{
	size_t bytes = sizeof(*f);

	for (unsigned l = 0; l < f->n_levels; l++)
		bytes += (size_t)f->level[l].parts * 2 * f->level[l].bins *
		         sizeof(float);
	return bytes;
}

float conv_work_per_frame(const struct conv_filter *f)
{
	float work = 1.0f;

	for (unsigned l = 0; l < f->n_levels; l++) {
		unsigned log2n = 0;

		while ((2u << log2n) < 2 * f->level[l].block)
			log2n++;
		work += 1.0f * (float)(log2n + 1) + 0.5f * (float)f->level[l].parts;
	}
	return work;
}
