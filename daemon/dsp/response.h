/* response.h - exact frequency responses of the kernels' filters, from
 * their coefficients: H(e^jw) and its derivative dH/dw at given angular
 * frequencies w (radians per sample), in double.  The derivative makes the
 * group delay exact (-Im(H'/H)) and survives products (the product rule)
 * and sums of paths, which a group delay does not.
 *
 * Each function multiplies what it is given (h, dh) by its own response,
 * so that a chain is evaluated by calling them in turn on the same arrays
 * (start from h = 1, dh = 0: resp_identity()).
 *
 * Pure functions, no state, no allocation: any thread. */
#ifndef DSPD_RESPONSE_H
#define DSPD_RESPONSE_H

#include <complex.h>
#include <stddef.h>

#include "biquad_design.h"

/* FIR taps are evaluated with phasors rotated from tap to tap and set
 * again from cos()/sin() every RESP_FIR_ANCHOR taps (rounding < 1e-12). */
#define RESP_FIR_ANCHOR 1024

/* h = 1, dh = 0. */
void resp_identity(size_t n, double complex *h, double complex *dh);
/* h = g, dh = 0 (g = 0: a path that carries nothing). */
void resp_constant(double g, size_t n, double complex *h, double complex *dh);
/* Multiply by a real gain. */
void resp_gain(double g, size_t n, double complex *h, double complex *dh);
/* Multiply by a delay of d samples (any real d): e^(-jwd). */
void resp_delay(double d, const double *w, size_t n, double complex *h,
                double complex *dh);
/* Multiply by a cascade of n_sections biquads (biquad_design.h). */
void resp_biquads(const struct biquad_coef *coef, unsigned n_sections,
                  const double *w, size_t n, double complex *h,
                  double complex *dh);
/* Multiply by the FIR sum_k taps[k] e^(-jwk): the exact DTFT of the taps,
 * n_taps x n complex multiply-adds (vectorised over the frequencies). */
void resp_fir(const float *taps, size_t n_taps, const double *w, size_t n,
              double complex *h, double complex *dh);

/* What JSON shows of a response: magnitude in dB, phase in degrees
 * wrapped to (-180, 180], group delay in samples (-Im(dh/h)).  Returns 0,
 * or -EDOM when h is exactly 0 (none of them exists). */
int resp_values(double complex h, double complex dh, double *db,
                double *phase_deg, double *group_delay);

#endif
