/* fx_dither.h - the "dither" block: TPDF dither and rounding to a target
 * word length of `bits` bits, optionally noise-shaped.
 *
 * Every output sample is a multiple of 2^-(bits-1) within
 * [-1, 1 - 2^-(bits-1)], so a later integer encoding of that width (S16_LE
 * for bits 16) is exact.  The dither is triangular (the sum of two uniform
 * values), +-1 LSB peak; plain TPDF rounding leaves an error of LSB/2 RMS
 * (LSB^2/6 dither + LSB^2/12 rounding).
 * "shaped" feeds the rounding error (dither included) back through
 * Wannamaker's 3-tap F-weighted filter, h = {1.623, -0.982, 0.109}: the
 * error spectrum is shaped by 1 - h1 z^-1 - h2 z^-2 - h3 z^-3, about
 * -12 dB at DC, -19 dB at 4 kHz, 0 dB near 10 kHz and +11 dB at 22-24 kHz
 * (at 44.1 and 48 kHz): more noise in total (+6.6 dB), less where the ear
 * is most sensitive.
 * Each channel has its own xorshift64 generator, seeded from the block's
 * name and the channel index: the output is deterministic.
 *
 * create/destroy: control thread; process/reset: RT thread. */
#ifndef DSPD_FX_DITHER_H
#define DSPD_FX_DITHER_H

#include <stddef.h>

#include "fx.h"

#define FX_DITHER_SHAPE_TAPS 3

extern const double fx_dither_shape[FX_DITHER_SHAPE_TAPS];

int fx_dither_create(const struct cfg_block *cfg, const struct fx_env *env,
                     struct fx **ret, char *err, size_t err_len);

#endif
