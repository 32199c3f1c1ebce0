/* biquad.c - the biquad cascade kernel (see biquad.h).  RT thread.
 *
 * Structure: direct form I in double,
 *   y[n] = b0 x[n] + b1 x[n-1] + b2 x[n-2] - a1 y[n-1] - a2 y[n-2].
 * - Accuracy at 20 Hz / 192 kHz: the poles sit 6.5e-4 from z = 1, so the
 *   recursion amplifies rounding noise by about 1 / (1 - r)^2 ~ 1e6.  In
 *   double (eps 1.1e-16) that leaves ~1e-10, far below float output
 *   resolution; DF-I rounds only the products and one sum, its state never
 *   holds the large, mutually cancelling partial sums that the transposed
 *   form II keeps near z = 1, and it cannot overflow internally.
 * - The state is pure signal history, independent of the coefficients:
 *   swapping coefficients between periods (parameter changes) keeps a
 *   consistent state, where a transposed form's state would be a mix of
 *   old coefficients and old samples.
 * - Denormals: FTZ/DAZ is set on the RT thread, but the kernel does not
 *   rely on it.  A decaying low-frequency recursion reaches the denormal
 *   range of double and can then sit there in a limit cycle (with a1 near
 *   -2, -a1 y1 - a2 y2 rounds back to y1) at 10-100x the cost per
 *   operation.  At the end of each period every history value below 1e-30
 *   (-600 dB, far below float's smallest normal 1.2e-38) is set to zero,
 *   which leaves a silent section at exact zeros.
 * Throughput: each section's recursion is a chain of dependent multiply-
 * adds.  Where the CPU has AVX2, the sections of a cascade run side by
 * side in SIMD lanes, as a wavefront (biquad_wave.c).  Elsewhere, and
 * for what the wavefront leaves (cascades of 1-2 sections, periods too
 * short for its ramps), they run two at a time over the period, the
 * second lagging the first by a sample in the CPU's pipeline
 * (biquad_scalar.c).  Both do the
 * same operations in the same order on every sample, so their outputs are
 * bit-identical; the state is flushed once, at period end. */
#include "biquad.h"

#include <math.h>

#define HISTORY_FLOOR 1e-30

static inline double flush_tiny(double v)
{
	return fabs(v) < HISTORY_FLOOR ? 0.0 : v;
}

static void flush_state(struct biquad_state *s, unsigned n_sections)
{
	for (unsigned k = 0; k < n_sections; k++) {
		s[k].x1 = flush_tiny(s[k].x1);
		s[k].x2 = flush_tiny(s[k].x2);
		s[k].y1 = flush_tiny(s[k].y1);
		s[k].y2 = flush_tiny(s[k].y2);
	}
}

void biquad_run(const struct biquad_coef *coef, struct biquad_state *state,
                   unsigned n_sections, float *buf, double *scratch,
                   uint32_t frames)
{
	if (biquad_wave_run(coef, state, n_sections, buf, scratch,
	                       frames) < 0) {
		for (uint32_t i = 0; i < frames; i++)
			scratch[i] = buf[i];
		biquad_run_scalar(coef, state, n_sections, scratch, frames);
		for (uint32_t i = 0; i < frames; i++)
			buf[i] = (float)scratch[i];
	}
	flush_state(state, n_sections);
}

void biquad_clear(struct biquad_state *state, unsigned n_sections)
{
	for (unsigned k = 0; k < n_sections; k++)
		state[k] = (struct biquad_state){ 0.0, 0.0, 0.0, 0.0 };
}
