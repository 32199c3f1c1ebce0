/* conv_process.c - the signal side of the convolver: per-channel state and
 * the overlap-save loop.  conv_state_create/free: control thread;
 * conv_process and conv_state_reset: RT thread (no allocation, no locks,
 * no system calls; FFTW new-array execute only).
 *
 * Level 0 (block B, partitions H0..Hp-1, frequency-domain delay line of
 * the input spectra X) is uniformly partitioned overlap-save with FFT size
 * 2B.  The input block j is the upper half of a 2B buffer whose lower half
 * is block j-1; output block j is the upper half of
 *     IFFT(X_j H_0 + A_j),  A_j = sum over k >= 1 of X_{j-k} H_k.
 * A_j only needs complete blocks, so it is computed once, when block j-1
 * completes.  X_j H_0 is recomputed for whatever part of block j has
 * arrived (the missing samples are zero, and by causality they cannot
 * change the outputs already due).  Hence no latency for any call size;
 * with calls of exactly B frames (partition == period) each call costs one
 * FFT, p multiply-adds and one inverse FFT, the classic figure.
 *
 * Levels 1.. (blocks of R = block/B level-0 blocks, starting at tap
 * 2 * block, conv_filter.c) work in the background of level 0, one tick per
 * completed level-0 block:
 *   phase 0      the level's input block is complete: the output computed
 *                during the last block becomes current; FFT of the new
 *                input into the level's delay line
 *   phase 1..R-2 multiply-adds of the delay line, in equal slices
 *   phase R-1    inverse FFT of the sum: the output for the block after
 *                next, which starts at the following phase 0
 * Because a level starts at tap 2 * block, the output due in level block
 * i+2 needs input blocks up to i only: a whole level block of time.  So the
 * per-period cost is flat except for the two FFTs of each level, which
 * FFTW cannot split; they fall on the first and last tick of the level's
 * block.  Levels do not run in other threads. */
#include "conv_filter.h"
#include "conv_kernel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct conv_level_state {
	float *in;                  /* 2 * block: previous and current input */
	float *fdl;                 /* parts input spectra, a ring */
	unsigned head;              /* slot of the newest spectrum */
	float *acc;                 /* level 0: A_j; others: next output */
	float *out_cur, *out_next;  /* levels 1..: block frames each */
	unsigned blk;               /* level-0 blocks done in this block */
	size_t done;                /* multiply-add progress (floats) */
};

struct conv_state {
	unsigned fill;              /* frames of the current level-0 block */
	fftwf_complex *cplx;        /* FFT scratch, largest level */
	float *tout;                /* inverse FFT scratch, largest level */
	float *y;                   /* level-0 output spectrum */
	struct conv_level_state lv[CONV_MAX_LEVELS];
};

static size_t spectrum_floats(const struct conv_level *lv)
{
	return 2 * (size_t)lv->bins;
}

static float *slot(const struct conv_level *lv, const struct conv_level_state *ls,
                   unsigned age)
{
	unsigned i = (ls->head + lv->parts - age % lv->parts) % lv->parts;

	return ls->fdl + i * spectrum_floats(lv);
}

static unsigned largest_block(const struct conv_filter *f)
{
	return f->level[f->n_levels - 1].block;
}

/* ---- control thread ------------------------------------------------- */

static int level_state_alloc(const struct conv_level *lv,
                             struct conv_level_state *ls, bool outputs)
{
	ls->in = fftwf_malloc(2 * (size_t)lv->block * sizeof(float));
	ls->fdl = conv_alloc(lv->parts * spectrum_floats(lv) * sizeof(float));
	ls->acc = conv_alloc(spectrum_floats(lv) * sizeof(float));
	if (outputs) {
		ls->out_cur = conv_alloc(lv->block * sizeof(float));
		ls->out_next = conv_alloc(lv->block * sizeof(float));
		if (!ls->out_cur || !ls->out_next)
			return -ENOMEM;
	}
	return ls->in && ls->fdl && ls->acc ? 0 : -ENOMEM;
}

int conv_state_create(const struct conv_filter *f, struct conv_state **ret)
{
	struct conv_state *s = calloc(1, sizeof(*s));
	size_t big = largest_block(f);

	if (!s)
		return -ENOMEM;
	s->cplx = fftwf_malloc((big + 1) * sizeof(fftwf_complex));
	s->tout = fftwf_malloc(2 * big * sizeof(float));
	s->y = conv_alloc(spectrum_floats(&f->level[0]) * sizeof(float));
	if (!s->cplx || !s->tout || !s->y)
		goto fail;
	for (unsigned l = 0; l < f->n_levels; l++) {
		if (level_state_alloc(&f->level[l], &s->lv[l], l > 0) < 0)
			goto fail;
		/* the rest comes zeroed from conv_alloc (megabytes for a long
		 * filter: not written twice) */
		memset(s->lv[l].in, 0, 2 * (size_t)f->level[l].block * sizeof(float));
	}
	*ret = s;
	return 0;
fail:
	conv_state_free(s);
	return -ENOMEM;
}

void conv_state_free(struct conv_state *s)
{
	if (!s)
		return;
	for (unsigned l = 0; l < CONV_MAX_LEVELS; l++) {
		fftwf_free(s->lv[l].in);
		conv_free(s->lv[l].fdl);
		conv_free(s->lv[l].acc);
		conv_free(s->lv[l].out_cur);
		conv_free(s->lv[l].out_next);
	}
	fftwf_free(s->cplx);
	fftwf_free(s->tout);
	conv_free(s->y);
	free(s);
}

size_t conv_state_bytes(const struct conv_filter *f)
{
	size_t big = largest_block(f);
	size_t bytes = sizeof(struct conv_state) + (big + 1) * sizeof(fftwf_complex) +
	               2 * big * sizeof(float) +
	               spectrum_floats(&f->level[0]) * sizeof(float);

	for (unsigned l = 0; l < f->n_levels; l++) {
		const struct conv_level *lv = &f->level[l];

		bytes += (2 * (size_t)lv->block + (lv->parts + 1) * spectrum_floats(lv) +
		          (l ? 2 * (size_t)lv->block : 0)) * sizeof(float);
	}
	return bytes;
}

/* ---- RT thread -------------------------------------------------------- */

void conv_state_reset(const struct conv_filter *f, struct conv_state *s)
{
	s->fill = 0;
	for (unsigned l = 0; l < f->n_levels; l++) {
		const struct conv_level *lv = &f->level[l];
		struct conv_level_state *ls = &s->lv[l];

		memset(ls->in, 0, 2 * (size_t)lv->block * sizeof(float));
		memset(ls->fdl, 0, lv->parts * spectrum_floats(lv) * sizeof(float));
		memset(ls->acc, 0, spectrum_floats(lv) * sizeof(float));
		if (l > 0) {
			memset(ls->out_cur, 0, lv->block * sizeof(float));
			memset(ls->out_next, 0, lv->block * sizeof(float));
		}
		ls->head = 0;
		ls->blk = 0;
		ls->done = 0;
	}
}

void conv_state_copy(const struct conv_filter *f, struct conv_state *dst,
                     const struct conv_state *src)
{
	dst->fill = src->fill;
	memcpy(dst->y, src->y, spectrum_floats(&f->level[0]) * sizeof(float));
	for (unsigned l = 0; l < f->n_levels; l++) {
		const struct conv_level *lv = &f->level[l];
		const struct conv_level_state *from = &src->lv[l];
		struct conv_level_state *to = &dst->lv[l];

		memcpy(to->in, from->in, 2 * (size_t)lv->block * sizeof(float));
		memcpy(to->fdl, from->fdl, lv->parts * spectrum_floats(lv) * sizeof(float));
		memcpy(to->acc, from->acc, spectrum_floats(lv) * sizeof(float));
		if (l > 0) {
			memcpy(to->out_cur, from->out_cur, lv->block * sizeof(float));
			memcpy(to->out_next, from->out_next, lv->block * sizeof(float));
		}
		to->head = from->head;
		to->blk = from->blk;
		to->done = from->done;
	}
}

/* Forward FFT of the level's input buffer into the newest delay-line slot. */
static void transform_input(const struct conv_level *lv,
                            struct conv_level_state *ls, struct conv_state *s)
{
	fftwf_execute_dft_r2c(lv->r2c, ls->in, s->cplx);
	conv_to_split(slot(lv, ls, 0), s->cplx, lv->block + 1, lv->bins);
}

/* Inverse FFT of a spectrum; the valid output is s->tout + block. */
static void inverse(const struct conv_level *lv, struct conv_state *s,
                    const float *spectrum)
{
	conv_from_split(s->cplx, spectrum, lv->block + 1, lv->bins);
	fftwf_execute_dft_c2r(lv->c2r, s->cplx, s->tout);
}

/* Level 0, the part of the current block that arrived: n frames at fill. */
static void level0_output(const struct conv_filter *f, struct conv_state *s,
                          float *out, uint32_t n)
{
	const struct conv_level *lv = &f->level[0];
	struct conv_level_state *ls = &s->lv[0];
	float *x = slot(lv, ls, 0);

	transform_input(lv, ls, s);
	if (lv->parts > 1)
		conv_add_mul(s->y, ls->acc, x, lv->spectra, lv->bins);
	else
		conv_mul(s->y, x, lv->spectra, lv->bins, 0, lv->bins);
	inverse(lv, s, s->y);
	memcpy(out, s->tout + lv->block + s->fill, n * sizeof(float));
}

/* acc = sum over k in [1, parts) of X_{j+1-k} H_k: level 0's older
 * partitions for the next block, once block j is complete. */
static void level0_sum_older(const struct conv_level *lv,
                             struct conv_level_state *ls)
{
	size_t stride = spectrum_floats(lv);
	unsigned k = 1;

	if (lv->parts < 2)
		return;
	conv_mul(ls->acc, slot(lv, ls, 0), lv->spectra + stride, lv->bins, 0,
	         lv->bins);
	for (k = 2; k + 1 < lv->parts; k += 2)
		conv_mac2(ls->acc, slot(lv, ls, k - 1), lv->spectra + k * stride,
		          slot(lv, ls, k), lv->spectra + (k + 1) * stride, lv->bins);
	if (k < lv->parts)
		conv_mac(ls->acc, slot(lv, ls, k - 1), lv->spectra + k * stride,
		         lv->bins, 0, lv->bins);
}

/* Multiply-adds of a background level up to `upto` floats of progress;
 * partition q's slice uses the spectrum q blocks old. */
static void level_macs(const struct conv_level *lv,
                       struct conv_level_state *ls, size_t upto)
{
	size_t stride = spectrum_floats(lv);

	while (ls->done < upto) {
		size_t q = ls->done / lv->bins, begin = ls->done % lv->bins;
		size_t end = begin + (upto - ls->done);
		const float *x = slot(lv, ls, (unsigned)q);
		const float *h = lv->spectra + q * stride;

		end = end < lv->bins ? end : lv->bins;
		if (q == 0)
			conv_mul(ls->acc, x, h, lv->bins, begin, end);
		else
			conv_mac(ls->acc, x, h, lv->bins, begin, end);
		ls->done += end - begin;
	}
}

/* One tick of background level l: a level-0 block `x` just completed. */
static void level_tick(const struct conv_filter *f, struct conv_state *s,
                       unsigned l, const float *x)
{
	const struct conv_level *lv = &f->level[l];
	struct conv_level_state *ls = &s->lv[l];
	unsigned b0 = f->level[0].block, ticks = lv->block / b0;
	size_t total = (size_t)lv->parts * lv->bins;

	memcpy(ls->in + lv->block + (size_t)ls->blk * b0, x, b0 * sizeof(float));
	if (++ls->blk == ticks) {
		float *t = ls->out_cur;

		ls->out_cur = ls->out_next;
		ls->out_next = t;
		ls->blk = 0;
		ls->head = (ls->head + 1) % lv->parts;
		transform_input(lv, ls, s);
		memcpy(ls->in, ls->in + lv->block, lv->block * sizeof(float));
		ls->done = 0;
		return;
	}
	if (ls->blk + 1 < ticks) {
		size_t upto = total * ls->blk / (ticks - 2);

		level_macs(lv, ls, upto / CONV_VEC_FLOATS * CONV_VEC_FLOATS);
		return;
	}
	level_macs(lv, ls, total);
	inverse(lv, s, ls->acc);
	memcpy(ls->out_next, s->tout + lv->block, lv->block * sizeof(float));
}

static void block_complete(const struct conv_filter *f, struct conv_state *s)
{
	const struct conv_level *lv = &f->level[0];
	struct conv_level_state *ls = &s->lv[0];
	size_t b = lv->block;

	level0_sum_older(lv, ls);
	ls->head = (ls->head + 1) % lv->parts;
	for (unsigned l = 1; l < f->n_levels; l++)
		level_tick(f, s, l, ls->in + b);
	memcpy(ls->in, ls->in + b, b * sizeof(float));
	memset(ls->in + b, 0, b * sizeof(float));
	s->fill = 0;
}

void conv_process(const struct conv_filter *f, struct conv_state *s,
                  float *buf, uint32_t frames)
{
	unsigned b = f->level[0].block;

	while (frames > 0) {
		uint32_t n = b - s->fill < frames ? b - s->fill : frames;

		memcpy(s->lv[0].in + b + s->fill, buf, n * sizeof(float));
		level0_output(f, s, buf, n);
		for (unsigned l = 1; l < f->n_levels; l++) {
			const float *o = s->lv[l].out_cur +
			                 (size_t)s->lv[l].blk * b + s->fill;

			for (uint32_t i = 0; i < n; i++)
				buf[i] += o[i];
		}
		s->fill += n;
		buf += n;
		frames -= n;
		if (s->fill == b)
			block_complete(f, s);
	}
}
