/* fx_biquad_wave.c - the biquad cascade of one channel run as a wavefront,
 * all its sections side by side in SIMD lanes.  RT thread (no allocation);
 * called by fx_biquad_run (fx_biquad.c), which converts, chunks and
 * flushes.
 *
 * Why: a section's recursion is a chain of dependent operations (about 12
 * cycles a sample) while the arithmetic of one sample takes ~3, so a
 * section run on its own leaves the CPU waiting on that chain.  Here every
 * section steps at once: at step t section k works on sample t - 2k, and
 * its input is the output section k-1 made two steps earlier (k-1's y2),
 * long since computed.  What is left are the recursions, one per lane,
 * running in parallel.
 * Layout: section k sits in vector k % V, lane k / V, so its input is the
 * same lane of the vector before; vector 0 takes the last vector moved up
 * a lane, with the new sample in lane 0.  Slots past the last section
 * (at most 3) have zero coefficients and feed nothing.  The last section's
 * output is picked from a copy of the y1 vectors: its place depends on the
 * section count, and indexing the registers would put them in memory.
 * Exactness: each lane does the scalar kernel's operations on the same
 * values in the same order (no reassociation; no FMA, which the AVX2 clone
 * does not enable), so the output is bit-identical to running the sections
 * one after the other.
 * Ramp in (steps 0 .. 2(S-1)-1): section k starts at step 2k; until then
 * its lane keeps its state.  Ramp out (steps N .. N-1+2(S-1)): section k
 * ends at step N-1+2k, then keeps its state; on its last sample a section
 * reads its predecessor's y1, since that one has stopped a step before. */
#include "fx_biquad.h"

#include <stdint.h>
#include <string.h>

#define LANES 4
#define SKEW 2                          /* steps between two sections */
#define MAX_VECTORS (FX_BIQUAD_WAVE_MAX_SECTIONS / LANES)

#if defined(__x86_64__) && !defined(FX_BIQUAD_NO_CLONES)
#define HOT_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define HOT_CLONES
#endif

typedef double v4df __attribute__((vector_size(32)));
typedef int64_t v4di __attribute__((vector_size(32)));

/* The cascade's registers: one vector per LANES slots. */
struct wave {
	v4df b0[MAX_VECTORS], b1[MAX_VECTORS], b2[MAX_VECTORS];
	v4df a1[MAX_VECTORS], a2[MAX_VECTORS];
	v4df x1[MAX_VECTORS], x2[MAX_VECTORS], y1[MAX_VECTORS], y2[MAX_VECTORS];
	v4df skew[MAX_VECTORS];         /* SKEW * section of each lane */
};

/* Where the last section's output is picked up: copies of the y1 vectors,
 * and the place of that section among them. */
struct pickup {
	double y1[MAX_VECTORS * LANES];
	unsigned last;
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
	in[0] = __builtin_shuffle(v[vectors - 1], (v4di){ 0, 0, 1, 2 });
	in[0][0] = sample;
#pragma GCC unroll 8
	for (unsigned j = 1; j < vectors; j++)
		in[j] = v[j - 1];
}

/* One step of every slot; lanes outside `active` keep their state. */
static inline __attribute__((always_inline)) void
step(struct wave *w, const v4df *in, const v4di *active, unsigned vectors)
{
#pragma GCC unroll 8
	for (unsigned j = 0; j < vectors; j++) {
		v4df out = w->b0[j] * in[j] + w->b1[j] * w->x1[j] +
		           w->b2[j] * w->x2[j] - w->a1[j] * w->y1[j] -
		           w->a2[j] * w->y2[j];

		if (active) {
			w->x2[j] = SELECT_LANES(active[j], w->x1[j], w->x2[j]);
			w->x1[j] = SELECT_LANES(active[j], in[j], w->x1[j]);
			w->y2[j] = SELECT_LANES(active[j], w->y1[j], w->y2[j]);
			w->y1[j] = SELECT_LANES(active[j], out, w->y1[j]);
		} else {
			w->x2[j] = w->x1[j];
			w->x1[j] = in[j];
			w->y2[j] = w->y1[j];
			w->y1[j] = out;
		}
	}
}

static inline __attribute__((always_inline)) double
last_output(const struct wave *w, struct pickup *pick, unsigned vectors)
{
#pragma GCC unroll 8
	for (unsigned j = 0; j < vectors; j++)
		memcpy(&pick->y1[j * LANES], &w->y1[j], sizeof(w->y1[j]));
	return pick->y1[pick->last];
}

/* Steps 0 .. 2(S-1)-1: sections start one after the other. */
static inline __attribute__((always_inline)) void
ramp_in(struct wave *w, const double *x, uint32_t steps, unsigned vectors)
{
	for (uint32_t t = 0; t < steps; t++) {
		v4df in[MAX_VECTORS];
		v4di active[MAX_VECTORS];

#pragma GCC unroll 8
		for (unsigned j = 0; j < vectors; j++)
			active[j] = w->skew[j] <= SPLAT((double)t);
		shift_in(w->y2, x[t], in, vectors);
		step(w, in, active, vectors);
	}
}

/* Steps 2(S-1) .. N-1: every section runs; the last one's output of
 * sample t - 2(S-1) goes back to x. */
static inline __attribute__((always_inline)) void
steady(struct wave *w, struct pickup *pick, double *x, uint32_t begin,
       uint32_t frames, unsigned vectors)
{
	for (uint32_t t = begin; t < frames; t++) {
		v4df in[MAX_VECTORS];

		shift_in(w->y2, x[t], in, vectors);
		step(w, in, NULL, vectors);
		x[t - begin] = last_output(w, pick, vectors);
	}
}

/* Steps N .. N-1+2(S-1): sections end one after the other. */
static inline __attribute__((always_inline)) void
ramp_out(struct wave *w, struct pickup *pick, double *x, uint32_t lag,
         uint32_t frames, unsigned vectors)
{
	for (uint32_t t = frames; t < frames + lag; t++) {
		v4df from_y1[MAX_VECTORS], from_y2[MAX_VECTORS];
		v4df in[MAX_VECTORS];
		v4di active[MAX_VECTORS];

		shift_in(w->y1, 0.0, from_y1, vectors);
		shift_in(w->y2, 0.0, from_y2, vectors);
#pragma GCC unroll 8
		for (unsigned j = 0; j < vectors; j++) {
			v4df sample = SPLAT((double)t) - w->skew[j];

			active[j] = sample <= SPLAT(frames - 1.0);
			in[j] = SELECT_LANES(sample == SPLAT(frames - 1.0),
			                     from_y1[j], from_y2[j]);
		}
		step(w, in, active, vectors);
		x[t - lag] = last_output(w, pick, vectors);
	}
}

static inline __attribute__((always_inline)) void
load(struct wave *w, struct pickup *pick, const struct biquad_coef *coef,
     const struct biquad_state *state, unsigned n, unsigned vectors)
{
	memset(w, 0, sizeof(*w));
	for (unsigned k = 0; k < n; k++) {
		unsigned j = k % vectors, l = k / vectors;

		w->b0[j][l] = coef[k].b0;
		w->b1[j][l] = coef[k].b1;
		w->b2[j][l] = coef[k].b2;
		w->a1[j][l] = coef[k].a1;
		w->a2[j][l] = coef[k].a2;
		w->x1[j][l] = state[k].x1;
		w->x2[j][l] = state[k].x2;
		w->y1[j][l] = state[k].y1;
		w->y2[j][l] = state[k].y2;
		w->skew[j][l] = (double)SKEW * k;
	}
	pick->last = (n - 1) % vectors * LANES + (n - 1) / vectors;
}

static inline __attribute__((always_inline)) void
store(const struct wave *w, struct biquad_state *state, unsigned n,
      unsigned vectors)
{
	for (unsigned k = 0; k < n; k++) {
		unsigned j = k % vectors, l = k / vectors;

		state[k] = (struct biquad_state){ w->x1[j][l], w->x2[j][l],
		                                  w->y1[j][l], w->y2[j][l] };
	}
}

/* The whole period for a constant number of vectors, so that the loops
 * unroll and the cascade stays in registers. */
static inline __attribute__((always_inline)) void
run_vectors(const struct biquad_coef *coef, struct biquad_state *state,
            unsigned n, double *x, uint32_t frames, unsigned vectors)
{
	struct wave w;
	struct pickup pick;
	uint32_t lag = SKEW * (n - 1);

	load(&w, &pick, coef, state, n, vectors);
	ramp_in(&w, x, lag, vectors);
	steady(&w, &pick, x, lag, frames, vectors);
	ramp_out(&w, &pick, x, lag, frames, vectors);
	store(&w, state, n, vectors);
}

HOT_CLONES
void fx_biquad_wave_run(const struct biquad_coef *coef,
                        struct biquad_state *state, unsigned n_sections,
                        double *x, uint32_t frames)
{
	switch ((n_sections + LANES - 1) / LANES) {
	case 1: run_vectors(coef, state, n_sections, x, frames, 1); break;
	case 2: run_vectors(coef, state, n_sections, x, frames, 2); break;
	case 3: run_vectors(coef, state, n_sections, x, frames, 3); break;
	case 4: run_vectors(coef, state, n_sections, x, frames, 4); break;
	case 5: run_vectors(coef, state, n_sections, x, frames, 5); break;
	case 6: run_vectors(coef, state, n_sections, x, frames, 6); break;
	case 7: run_vectors(coef, state, n_sections, x, frames, 7); break;
	default: run_vectors(coef, state, n_sections, x, frames, 8); break;
	}
}
