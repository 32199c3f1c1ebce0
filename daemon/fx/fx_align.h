/* fx_align.h - the latency alignment the pipeline appends (pipeline.c):
 * blocks with a latency (a LADSPA plugin's "latency" port, a limiter's
 * lookahead, FIR) on some channels only leave the channels out of step;
 * this block delays every other channel by what it lacks against the most
 * delayed one, so all leave the pipeline sample-aligned, the pipeline's
 * latency being that largest one.
 *
 * fx_align_create/destroy: control thread; process/reset: RT thread. */
#ifndef DSPD_FX_ALIGN_H
#define DSPD_FX_ALIGN_H

#include "fx.h"

#define FX_ALIGN_NAME "(latency alignment)"
#define FX_ALIGN_MAX_FRAMES (1u << 20)  /* ~22 s at 48 kHz */

/* delays[ch] frames for each of channels; 0 or -errno (-EINVAL past
 * FX_ALIGN_MAX_FRAMES, -ENOMEM). */
int fx_align_create(const unsigned *delays, unsigned channels,
                    struct fx **ret);
/* The delay of channel ch of an alignment block (tests, views). */
unsigned fx_align_delay(const struct fx *fx, unsigned ch);
bool fx_is_align(const struct fx *fx);

#endif
