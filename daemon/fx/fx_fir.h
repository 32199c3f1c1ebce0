/* fx_fir.h - what a "fir" block would cost before it is made: its taps
 * and bytes from the IR file's header (ir_probe()) and the convolution's
 * layout (conv_filter_estimate()), so that the pipeline's filter budget
 * (limits.*) is checked before anything is loaded, allocated or planned.
 * Control thread (it opens the file). */
#ifndef DSPD_FX_FIR_H
#define DSPD_FX_FIR_H

#include <stddef.h>

#include "fx.h"

struct fx_fir_cost {
	size_t taps;                    /* of the IR */
	unsigned channels;              /* convolved (the block's channels) */
	size_t bytes;                   /* spectra + every channel's state +
	                                   the taps (kept for the response) */
};

/* The cost of the fir block cfg in env.  0, or -errno with err filled
 * ("block "NAME": ...", as the constructor would say). */
int fx_fir_cost(const struct cfg_block *cfg, const struct fx_env *env,
                struct fx_fir_cost *ret, char *err, size_t err_len);

#endif
