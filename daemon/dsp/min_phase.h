/* min_phase.h - a minimum-phase FIR from a magnitude curve given as
 * GraphicEQ points (min_phase.c): what a fir block's "graphic_eq" key
 * runs.  Control thread or the control plane's builder thread (FFTW's
 * planner is taken under conv_planner_lock()). */
#ifndef DSPD_MIN_PHASE_H
#define DSPD_MIN_PHASE_H

#include "eq_text.h"

/* The FIR length at rate: 8192 taps up to 48 kHz (170 ms, a bin every
 * 2.9 Hz of the 2x design grid), doubled with each doubling of the rate,
 * at most 65536. */
unsigned min_phase_taps(double rate);

/* The n_taps (min_phase_taps(rate)) coefficients whose magnitude follows
 * the n GraphicEQ points (at least 2, increasing frequency), interpolated
 * as EqualizerAPO does (eq_graphic_gain_at: linear in dB over log
 * frequency, flat beyond the ends), with minimum phase: the real
 * cepstrum of the log magnitude folded onto positive quefrencies on a
 * grid of 2 n_taps bins, exponentiated, back to time, and the second
 * half of a Hann window over the taps (as EqualizerAPO's GraphicEQFilter).
 * Returns 0 or -ENOMEM. */
int min_phase_design(const struct eq_point *pts, unsigned n, double rate,
                     float *taps, unsigned n_taps);

#endif
