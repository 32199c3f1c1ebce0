/* fx_delay.h - the "delay" block: a per-channel delay in samples, ms or mm,
 * with sub-sample precision.
 *
 * The whole-sample part is a ring buffer (bit-exact: a delay of N samples
 * outputs each input sample exactly N samples later).  A fractional part f
 * adds a 32-tap Blackman-windowed sinc interpolator centred on
 * FX_DELAY_FRAC_CENTRE + f; its own bulk delay is taken out of the ring, so
 * the block delays by exactly the requested amount and reports no extra
 * latency.  That needs a total delay of at least FX_DELAY_FRAC_CENTRE
 * samples when the delay has a fractional part; shorter fractional delays
 * are refused by the constructor (whole-sample ones of any length work).
 * Measured accuracy of the interpolator for every fraction, up to 0.4 x
 * the sample rate (0.8 x Nyquist): magnitude within 0.01 dB, group delay
 * within 0.01 samples (tests/unit/fx/test_delay.c).
 *
 * create/destroy: control thread; process/reset: RT thread. */
#ifndef DSPD_FX_DELAY_H
#define DSPD_FX_DELAY_H

#include <stddef.h>

#include "fx.h"

#define FX_DELAY_FRAC_TAPS 32
#define FX_DELAY_FRAC_CENTRE 15         /* taps / 2 - 1 */
#define FX_DELAY_MAX_SECONDS 10.0
/* Fractions closer than this to a whole sample are rounded to it. */
#define FX_DELAY_FRAC_EPSILON 1e-6

/* The configured delay in samples at rate (any unit). */
double fx_delay_in_samples(const struct cfg_delay *d, unsigned rate);

/* The interpolator taps for a delay of FX_DELAY_FRAC_CENTRE + fraction
 * samples, 0 < fraction < 1; the taps sum to 1. */
void fx_delay_design_fraction(double fraction,
                              float taps[FX_DELAY_FRAC_TAPS]);

int fx_delay_create(const struct cfg_block *cfg, const struct fx_env *env,
                    struct fx **ret, char *err, size_t err_len);

#endif
