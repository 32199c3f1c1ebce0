/* fx_basic.c - constructors of the basic block family: delay (fx_delay.c),
 * mixer (fx_mixer.c), compressor, limiter, gate (fx_dynamics.c) and dither
 * (fx_dither.c).  Control thread. */
#include "fx.h"
#include "fx_delay.h"
#include "fx_dither.h"
#include "fx_dynamics.h"
#include "fx_mixer.h"

const struct fx_constructor fx_constructors_basic[] = {
	{ CFG_BLOCK_DELAY, fx_delay_create },
	{ CFG_BLOCK_MIXER, fx_mixer_create },
	{ CFG_BLOCK_COMPRESSOR, fx_compressor_create },
	{ CFG_BLOCK_LIMITER, fx_limiter_create },
	{ CFG_BLOCK_GATE, fx_gate_create },
	{ CFG_BLOCK_DITHER, fx_dither_create },
	{ .create = NULL },
};
