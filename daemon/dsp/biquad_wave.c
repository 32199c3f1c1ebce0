/* biquad_wave.c - the biquad cascade of one channel run as a wavefront,
 * all its sections side by side in the lanes of AVX2 vectors.  RT thread
 * (no allocation); called by biquad_run (biquad.c), which flushes
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
#include "biquad.h"
#include "cpu.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)

#define LANES 4
#define SKEW 2                          /* steps between two sections */
#define MAX_SECTIONS 12                 /* in registers: see Size above */
#define MIN_FRAMES 32
#define MAX_VECTORS (MAX_SECTIONS / LANES)

typedef double v4df __attribute__((vector_size(32)));
typedef int64_t v4di __attribute__((vector_size(32)));

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

/* Where a chunk of sections reads its input and writes its output: the
 * float buffer for the first and last chunk of the cascade (no separate
 * conversion passes), the double scratch in between.  The output of
 * sample n is written after the input of sample n + lag is read, so both
 * can be the same buffer. */
struct chunk_io {
	const float *in_f;              /* or NULL: read in_d */
	const double *in_d;
	float *out_f;                   /* or NULL: write out_d */
	double *out_d;
};

static inline __attribute__((always_inline)) double
read_sample(const struct chunk_io *io, uint32_t t)
{
	return io->in_f ? (double)io->in_f[t] : io->in_d[t];
}

static inline __attribute__((always_inline)) void
write_sample(const struct chunk_io *io, uint32_t t, double v)
{
	if (io->out_f)
		io->out_f[t] = (float)v;
	else
		io->out_d[t] = v;
}

/* Vectors are not passed by value (that would tie the ABI to AVX), so
 * these two are macros. */
#define SELECT_LANES(mask, yes, no)                                          \
	((v4df)(((v4di)(yes) & (mask)) | ((v4di)(no) & ~(mask))))
#define SPLAT(v) ((v4df){ (v), (v), (v), (v) })
/* Lanes i0..i3 of the pair (a, b), numbered 0..7 (gcc and clang spell it
 * differently). */
#if defined(__clang__)
#define SHUFFLE2(a, b, i0, i1, i2, i3) __builtin_shufflevector(a, b, i0, i1, i2, i3)
#else
#define SHUFFLE2(a, b, i0, i1, i2, i3) __builtin_shuffle(a, b, (v4di){ i0, i1, i2, i3 })
#endif

/* Every section's predecessor: vector j of the result is v[j-1]; vector 0
 * is v[V-1] moved up a lane, with `sample` in lane 0 (section 0). */
static inline __attribute__((always_inline)) void
shift_in(const v4df *v, double sample, v4df *in, unsigned vectors)
{
	in[0] = SHUFFLE2(v[vectors - 1], SPLAT(sample), 4, 0, 1, 2);
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
ramp_in(struct wave *w, const struct lanes *saved,
        const struct chunk_io *io, uint32_t lag, unsigned vectors)
{
	for (uint32_t t = 0; t < lag; t += SKEW) {
#pragma GCC unroll 2
		for (uint32_t s = 0; s < SKEW; s++)
			step(w, read_sample(io, t + s), vectors);
		copy_section(&w->h, saved, t + SKEW, w->skew, vectors);
	}
}

/* Steps lag .. N-1: every section runs; the last one's output is sample
 * t - lag. */
static inline __attribute__((always_inline)) void
steady(struct wave *w, const struct chunk_io *io, uint32_t lag,
       uint32_t frames, unsigned n, unsigned vectors)
{
	for (uint32_t t = lag; t < frames; t++) {
		step(w, read_sample(io, t), vectors);
		write_sample(io, t - lag, last_output(w, n, vectors));
	}
}

/* Steps N .. N-1+lag: a section that has done its last sample (section k
 * at step N-1 + SKEW * k) has its history copied to `saved`, and then runs
 * on; only sections that are also done read what it makes. */
static inline __attribute__((always_inline)) void
ramp_out(struct wave *w, struct lanes *saved, const struct chunk_io *io,
         uint32_t lag, uint32_t frames, unsigned n, unsigned vectors)
{
	copy_section(saved, &w->h, 0.0, w->skew, vectors);
	for (uint32_t t = frames; t < frames + lag; t += SKEW) {
#pragma GCC unroll 2
		for (uint32_t s = 0; s < SKEW; s++) {
			step(w, 0.0, vectors);
			write_sample(io, t + s - lag,
			             last_output(w, n, vectors));
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
             const struct chunk_io *io, uint32_t frames, unsigned n)
{
	const unsigned vectors = (n + LANES - 1) / LANES;
	const uint32_t lag = SKEW * (n - 1);
	struct wave w;
	struct lanes saved;

	load(&w, coef, state, n, vectors);
	saved = w.h;
	ramp_in(&w, &saved, io, lag, vectors);
	steady(&w, io, lag, frames, n, vectors);
	ramp_out(&w, &saved, io, lag, frames, n, vectors);
	store(&saved, state, n, vectors);
}

static bool have_avx2;

__attribute__((constructor)) static void check_cpu(void)
{
	have_avx2 = cpu_has(CPU_AVX2);
}

/* Run 3..MAX_SECTIONS sections; needs frames >= SKEW (n - 1). */
static inline __attribute__((always_inline)) void
run_chunk(const struct biquad_coef *coef, struct biquad_state *state,
          unsigned n, const struct chunk_io *io, uint32_t frames)
{
	_Static_assert(MAX_SECTIONS == 12, "one case per section count");
	switch (n) {
	case 3: run_sections(coef, state, io, frames, 3); break;
	case 4: run_sections(coef, state, io, frames, 4); break;
	case 5: run_sections(coef, state, io, frames, 5); break;
	case 6: run_sections(coef, state, io, frames, 6); break;
	case 7: run_sections(coef, state, io, frames, 7); break;
	case 8: run_sections(coef, state, io, frames, 8); break;
	case 9: run_sections(coef, state, io, frames, 9); break;
	case 10: run_sections(coef, state, io, frames, 10); break;
	case 11: run_sections(coef, state, io, frames, 11); break;
	default: run_sections(coef, state, io, frames, 12); break;
	}
}

/* How many of the `left` sections the next wavefront takes: chunks of
 * equal size up to MAX_SECTIONS, with ramps (SKEW steps per section) of
 * at most half the period.  Below 3 sections or MIN_FRAMES frames the
 * wavefront is slower than one section after the other (measured). */
static unsigned chunk_size(unsigned left, uint32_t frames)
{
	unsigned chunks = (left + MAX_SECTIONS - 1) / MAX_SECTIONS;
	unsigned size = (left + chunks - 1) / chunks;
	uint32_t fit = frames / (2 * SKEW) + 1;

	if (frames < MIN_FRAMES)
		return 0;
	return size < fit ? size : fit;
}

/* The cascade in chunks, from buf back to buf; x carries the signal in
 * double between chunks.  What is left when the chunks no longer pay runs
 * one section after the other on x. */
__attribute__((target("avx2"))) static void
run_avx2(const struct biquad_coef *coef, struct biquad_state *state,
         unsigned n_sections, float *buf, double *x, uint32_t frames)
{
	bool in_buf = true;
	unsigned k = 0;

	while (k < n_sections) {
		unsigned size = chunk_size(n_sections - k, frames);
		bool last = k + size == n_sections;
		struct chunk_io io = { in_buf ? buf : NULL, x,
		                       last ? buf : NULL, x };

		if (size < 3)
			break;
		run_chunk(coef + k, state + k, size, &io, frames);
		in_buf = last;
		k += size;
	}
	if (k == n_sections)
		return;
	if (in_buf)
		for (uint32_t i = 0; i < frames; i++)
			x[i] = buf[i];
	biquad_run_scalar(coef + k, state + k, n_sections - k, x, frames);
	for (uint32_t i = 0; i < frames; i++)
		buf[i] = (float)x[i];
}

int biquad_wave_run(const struct biquad_coef *coef,
                    struct biquad_state *state, unsigned n_sections,
                    float *buf, double *scratch, uint32_t frames)
{
	if (!have_avx2)
		return -ENOTSUP;
	run_avx2(coef, state, n_sections, buf, scratch, frames);
	return 0;
}

#else

int biquad_wave_run(const struct biquad_coef *coef,
                    struct biquad_state *state, unsigned n_sections,
                    float *buf, double *scratch, uint32_t frames)
{
	return -ENOTSUP;
}

#endif
