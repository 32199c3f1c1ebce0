/* fx_response.h - a block's own frequency response (fx_ops.response),
 * with the rules every block shares: a bypassed block or one without a
 * response passes its channels unchanged; a block that keeps its channels
 * (channels_in == channels_out, not a mixer) acts on the channels of its
 * mask only, and joins no channel to another.
 * Any thread: reads only what the block's constructor set (and, for
 * loudness_comp, the master volume atomic). */
#ifndef DSPD_FX_RESPONSE_H
#define DSPD_FX_RESPONSE_H

#include <complex.h>
#include <stdbool.h>
#include <stddef.h>

#include "fx.h"

/* The path in -> out of fx at n frequencies w (radians per sample): true
 * with h = H(e^jw), dh = dH/dw filled; false when there is no path. */
bool fx_response(const struct fx *fx, unsigned out, unsigned in,
                 const double *w, size_t n, double complex *h,
                 double complex *dh);
/* Work per frequency and path of fx_response() (1 for most blocks, the
 * taps of a FIR). */
size_t fx_response_cost(const struct fx *fx);
bool fx_response_level_dependent(const struct fx *fx);

/* For a block's response(): the path's kind for a block that keeps its
 * channels.  FX_PATH_NONE (out != in: no path), FX_PATH_THROUGH (a channel
 * outside the mask: h = 1 written), FX_PATH_OWN (h = 1, dh = 0 written:
 * multiply the block's own response in). */
enum fx_path { FX_PATH_NONE, FX_PATH_THROUGH, FX_PATH_OWN };
enum fx_path fx_response_path(const struct fx *fx, unsigned out, unsigned in,
                              size_t n, double complex *h, double complex *dh);

#endif
