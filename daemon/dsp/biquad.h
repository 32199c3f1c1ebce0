/* biquad.h - the biquad cascade kernel: a chain of second-order
 * sections run over a whole period of one channel, in double.
 *
 * Coefficients (biquad_design.h) and state are kept apart: the state of a
 * section is only the signal history (direct form I), so a new set of
 * coefficients can replace the old one between two periods while the state
 * is kept.  biquad_run/biquad_clear: RT thread (no allocation). */
#ifndef DSPD_BIQUAD_H
#define DSPD_BIQUAD_H

#include <stdint.h>

#include "biquad_design.h"

/* Direct form I history of one section: its last two inputs and outputs. */
struct biquad_state {
	double x1, x2, y1, y2;
};

/* Run n_sections sections over buf (frames samples of one channel) in
 * place.  scratch holds frames doubles: the signal stays in double from the
 * first section to the last. */
void biquad_run(const struct biquad_coef *coef, struct biquad_state *state,
                   unsigned n_sections, float *buf, double *scratch,
                   uint32_t frames);

void biquad_clear(struct biquad_state *state, unsigned n_sections);

/* Kernel internals, used by biquad.c; the wavefront runs what it leaves
 * with the scalar one.  Both leave the state unflushed, as it would be in
 * mid-period. */

/* Sections one after the other over x in place (biquad_scalar.c). */
void biquad_run_scalar(const struct biquad_coef *coef,
                       struct biquad_state *state, unsigned n_sections,
                       double *x, uint32_t frames);

/* The period as biquad_run does it, with AVX2 (biquad_wave.c).
 * Returns 0, or -ENOTSUP (nothing done) where the CPU has no AVX2. */
int biquad_wave_run(const struct biquad_coef *coef,
                    struct biquad_state *state, unsigned n_sections,
                    float *buf, double *scratch, uint32_t frames);

#endif
