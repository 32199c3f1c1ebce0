/* fx_biquad_wave.c - the biquad cascade of one channel run as a wavefront,
 * all its sections side by side in the lanes of AVX2 vectors.  RT thread
 * (no allocation); called by fx_biquad_run (fx_biquad.c), which flushes
 * the state, and runs the sections one by one where this answers -ENOTSUP
 * (a CPU without AVX2, or not x86-64).  The CPU is checked once at program
 * start, before any thread exists.
 *
 * Why: a section's recursion is a chain of dependent operations (about 12
 * cycles a sample) while its arithmetic takes ~3 cycles, so a
 * section run on its own leaves the CPU waiting on that chain.  Here every
 * section steps at once: at step t section k works on sample t - 2k, and
 * its input is the output section k-1 made two steps earlier (k-1's y2),
 * long since computed.  What is left are the recursions, one per lane,
 * running in parallel.
 * Layout: section k sits in vector k % V, lane k / V, so its input is the
 * same lane of the vector before; vector 0 takes the last vector moved up
 * a lane, with the new sample in lane 0.  Slots past the last section
 * (at most 3) have zero coefficients and feed nothing.  There is one
 * version per section count, so that all places are constants (indexing
 * registers with a variable would put them in memory).
 * Exactness: each lane does the scalar kernel's operations on the same
 * values in the same order (no reassociation; no FMA, which target("avx2")
 * does not enable), so the output is bit-identical to running the sections
 * one after the other.
 * Size: up to 3 vectors (12 sections) the cascade stays in the 16 vector
 * registers; longer cascades run in chunks, one after the other.
 * Ramps: section k starts at step 2k and ends at step N-1+2k.  Lanes run
 * free from the first step to the last; a section's history is put back
 * from the period's start when it starts, and saved when it ends (what it
 * makes before and after feeds only sections that have not started or are
 * done, never a sample of the output).
 */
#include "fx_biquad.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)

#define LANES 4
#define SKEW 2                          /* steps between two sections */
#define MAX_SECTIONS 12                /* in registers: see Size above */
#define MAX_VECTORS (MAX_SECTIONS / LANES)

typedef double v4df __attribute__((vector_size(32)));
typedef int64_t v4di __attribute__((vector_size(32)));
typedef float v4sf __attribute__((vector_size(16)));

/* The history of every lane. */
struct lanes {
	v4df x1[MAX_VECTORS], x2[MAX_VECTORS], y1[MAX_VECTORS], y2[MAX_VECTORS];
};

/* The cascade in registers. */
struct wave {
	v4df b0[MAX_VECTORS], b1[MAX_VECTORS], b2[MAX_VECTORS];
	v4df a1[MAX_VECTORS], a2[MAX_VECTORS];
	struct lanes h;
	v4df skew[MAX_VECTORS];         /* SKEW * section; -1 past the last */
};

/* Vectors are not passed by value (that would tie the ABI to AVX), so
 * these two are macros. */
#define SELECT_LANES(mask, yes, no)                                          \
	((v4df)(((v4di)(yes) & (mask)) | ((v4di)(no) & ~(mask))))
#define SPLAT(v) ((v4df){ (v), (v), (v), (v) })

/* Every section's predecessor: vector j of the result is v[j-1]; vector 0
 * is v[V-1] moved up a lane, with `sample` in lane 0 (section 0). */
static inline __attribute__((always_inline)) void
shift_in(const v4df *v, double sample, v4df *in, unsigned vectors)
{
	in[0] = __builtin_shuffle(v[vectors - 1], SPLAT(sample),
	                          (v4di){ 4, 0, 1, 2 });
#pragma GCC unroll 4
	for (unsigned j = 1; j < vectors; j++)
		in[j] = v[j - 1];
}

/* One step of every lane, each fed by its predecessor's y2.  (Last vector
 * first: with GCC 12 that order keeps all of them in registers.) */
static inline __attribute__((always_inline)) void
step(struct wave *w, double sample, unsigned vectors)
{
	struct lanes *h = &w->h;
	v4df in[MAX_VECTORS];

	shift_in(h->y2, sample, in, vectors);
#pragma GCC unroll 4
	for (unsigned j = vectors; j-- > 0;) {
		v4df out = w->b0[j] * in[j] + w->b1[j] * h->x1[j] +
		           w->b2[j] * h->x2[j] - w->a1[j] * h->y1[j] -
		           w->a2[j] * h->y2[j];

		h->x2[j] = h->x1[j];
		h->x1[j] = in[j];
		h->y2[j] = h->y1[j];
		h->y1[j] = out;
	}
}

/* Copy the history of the section whose skew is `skew` from one set of
 * lanes to the other. */
static inline __attribute__((always_inline)) void
copy_section(struct lanes *to, const struct lanes *from, double skew,
             const v4df *skews, unsigned vectors)
{
#pragma GCC unroll 4
	for (unsigned j = 0; j < vectors; j++) {
		v4di m = skews[j] == SPLAT(skew);

		to->x1[j] = SELECT_LANES(m, from->x1[j], to->x1[j]);
		to->x2[j] = SELECT_LANES(m, from->x2[j], to->x2[j]);
		to->y1[j] = SELECT_LANES(m, from->y1[j], to->y1[j]);
		to->y2[j] = SELECT_LANES(m, from->y2[j], to->y2[j]);
	}
}

/* The last section's newest output; n, and so its place, is a constant. */
static inline __attribute__((always_inline)) double
last_output(const struct wave *w, unsigned n, unsigned vectors)
{
	return w->h.y1[(n - 1) % vectors][(n - 1) / vectors];
}

/* Steps 0 .. lag-1: sections that have not started yet run on whatever
 * comes, and get their history back from `saved` on the step they start
 * (section k at step SKEW * k). */
static inline __attribute__((always_inline)) void
ramp_in(struct wave *w, const struct lanes *saved, const double *x,
        uint32_t lag, unsigned vectors)
{
	for (uint32_t t = 0; t < lag; t += SKEW) {
#pragma GCC unroll 2
		for (uint32_t s = 0; s < SKEW; s++)
			step(w, x[t + s], vectors);
		copy_section(&w->h, saved, t + SKEW, w->skew, vectors);
	}
}

/* Steps lag .. N-1: every section runs; the last one's output of sample
 * t - lag goes back to x. */
static inline __attribute__((always_inline)) void
steady(struct wave *w, double *x, uint32_t lag, uint32_t frames,
       unsigned n, unsigned vectors)
{
	for (uint32_t t = lag; t < frames; t++) {
		step(w, x[t], vectors);
		x[t - lag] = last_output(w, n, vectors);
	}
}

/* Steps N .. N-1+lag: a section that has done its last sample (section k
 * at step N-1 + SKEW * k) has its history copied to `saved`, and then runs
 * on; only sections that are also done read what it makes. */
static inline __attribute__((always_inline)) void
ramp_out(struct wave *w, struct lanes *saved, double *x, uint32_t lag,
         uint32_t frames, unsigned n, unsigned vectors)
{
	copy_section(saved, &w->h, 0.0, w->skew, vectors);
	for (uint32_t t = frames; t < frames + lag; t += SKEW) {
#pragma GCC unroll 2
		for (uint32_t s = 0; s < SKEW; s++) {
			step(w, 0.0, vectors);
			x[t + s - lag] = last_output(w, n, vectors);
		}
		copy_section(saved, &w->h, t + SKEW - frames, w->skew,
		             vectors);
	}
}

static inline __attribute__((always_inline)) void
load(struct wave *w, const struct biquad_coef *coef,
     const struct biquad_state *state, unsigned n, unsigned vectors)
{
	memset(w, 0, sizeof(*w));
	for (unsigned j = 0; j < vectors; j++)
		w->skew[j] = SPLAT(-1.0);
	for (unsigned k = 0; k < n; k++) {
		unsigned j = k % vectors, l = k / vectors;

		w->b0[j][l] = coef[k].b0;
		w->b1[j][l] = coef[k].b1;
		w->b2[j][l] = coef[k].b2;
		w->a1[j][l] = coef[k].a1;
		w->a2[j][l] = coef[k].a2;
		w->h.x1[j][l] = state[k].x1;
		w->h.x2[j][l] = state[k].x2;
		w->h.y1[j][l] = state[k].y1;
		w->h.y2[j][l] = state[k].y2;
		w->skew[j][l] = (double)SKEW * k;
	}
}

static inline __attribute__((always_inline)) void
store(const struct lanes *h, struct biquad_state *state, unsigned n,
      unsigned vectors)
{
	for (unsigned k = 0; k < n; k++) {
		unsigned j = k % vectors, l = k / vectors;

		state[k] = (struct biquad_state){ h->x1[j][l], h->x2[j][l],
		                                  h->y1[j][l], h->y2[j][l] };
	}
}

/* The whole period for a constant number of sections, so that the loops
 * unroll, the cascade stays in registers and the last section's place is
 * known. */
static inline __attribute__((always_inline)) void
run_sections(const struct biquad_coef *coef, struct biquad_state *state,
             double *x, uint32_t frames, unsigned n)
{
	const unsigned vectors = (n + LANES - 1) / LANES;
	const uint32_t lag = SKEW * (n - 1);
	struct wave w;
	struct lanes saved;

	load(&w, coef, state, n, vectors);
	saved = w.h;
	ramp_in(&w, &saved, x, lag, vectors);
	steady(&w, x, lag, frames, n, vectors);
	ramp_out(&w, &saved, x, lag, frames, n, vectors);
	store(&saved, state, n, vectors);
}

static bool have_avx2;

__attribute__((constructor)) static void check_cpu(void)
{
	__builtin_cpu_init();
	have_avx2 = __builtin_cpu_supports("avx2");
}

/* Run 1..MAX_SECTIONS sections over x; needs frames >= SKEW (n - 1). */
static inline __attribute__((always_inline)) void
run_chunk(const struct biquad_coef *coef, struct biquad_state *state,
          unsigned n, double *x, uint32_t frames)
{
	_Static_assert(MAX_SECTIONS == 12, "one case per section count");
	switch (n) {
	case 1: run_sections(coef, state, x, frames, 1); break;
	case 2: run_sections(coef, state, x, frames, 2); break;
	case 3: run_sections(coef, state, x, frames, 3); break;
	case 4: run_sections(coef, state, x, frames, 4); break;
	case 5: run_sections(coef, state, x, frames, 5); break;
	case 6: run_sections(coef, state, x, frames, 6); break;
	case 7: run_sections(coef, state, x, frames, 7); break;
	case 8: run_sections(coef, state, x, frames, 8); break;
	case 9: run_sections(coef, state, x, frames, 9); break;
	case 10: run_sections(coef, state, x, frames, 10); break;
	case 11: run_sections(coef, state, x, frames, 11); break;
	default: run_sections(coef, state, x, frames, 12); break;
	}
}

/* How many of the `left` sections the next wavefront takes: chunks of
 * even size up to MAX_SECTIONS, with ramps (SKEW steps per section) of at
 * most half the period.  Below 3 the wavefront does not pay. */
static unsigned chunk_size(unsigned left, uint32_t frames)
{
	unsigned chunks = (left + MAX_SECTIONS - 1) / MAX_SECTIONS;
	unsigned size = (left + chunks - 1) / chunks;
	uint32_t fit = frames / (2 * SKEW) + 1;

	return size < fit ? size : fit;
}

/* float <-> double, 4 samples a step (the same rounding as one by one) */
static inline __attribute__((always_inline)) void
widen(const float *in, double *out, uint32_t frames)
{
	uint32_t i = 0;

	for (; i + LANES <= frames; i += LANES) {
		v4sf f;
		v4df d;

		memcpy(&f, in + i, sizeof(f));
		d = __builtin_convertvector(f, v4df);
		memcpy(out + i, &d, sizeof(d));
	}
	for (; i < frames; i++)
		out[i] = in[i];
}

static inline __attribute__((always_inline)) void
narrow(const double *in, float *out, uint32_t frames)
{
	uint32_t i = 0;

	for (; i + LANES <= frames; i += LANES) {
		v4df d;
		v4sf f;

		memcpy(&d, in + i, sizeof(d));
		f = __builtin_convertvector(d, v4sf);
		memcpy(out + i, &f, sizeof(f));
	}
	for (; i < frames; i++)
		out[i] = (float)in[i];
}

__attribute__((target("avx2"))) static void
run_avx2(const struct biquad_coef *coef, struct biquad_state *state,
         unsigned n_sections, float *buf, double *x, uint32_t frames)
{
	unsigned k = 0;

	widen(buf, x, frames);
	while (k < n_sections) {
		unsigned size = chunk_size(n_sections - k, frames);

		if (size < 3) {
			fx_biquad_run_scalar(coef + k, state + k, n_sections - k,
			                     x, frames);
			break;
		}
		run_chunk(coef + k, state + k, size, x, frames);
		k += size;
	}
	narrow(x, buf, frames);
}

int fx_biquad_wave_run(const struct biquad_coef *coef,
                       struct biquad_state *state, unsigned n_sections,
                       float *buf, double *scratch, uint32_t frames)
{
	if (!have_avx2)
		return -ENOTSUP;
	run_avx2(coef, state, n_sections, buf, scratch, frames);
	return 0;
}

#else

int fx_biquad_wave_run(const struct biquad_coef *coef,
                       struct biquad_state *state, unsigned n_sections,
                       float *buf, double *scratch, uint32_t frames)
{
	return -ENOTSUP;
}

#endif
