/* fx_basic_cfg.h - configuration of delay, mixer, compressor, limiter,
 * gate and dither blocks: plain values, no pointers. */
#ifndef DSPD_FX_BASIC_CFG_H
#define DSPD_FX_BASIC_CFG_H

struct cfg_delay {
	double value;
	int unit;
};

struct cfg_mixer {
	unsigned channels_out;
};

struct cfg_dynamics {
	double threshold_db;
};

struct cfg_dither {
	int kind;
	unsigned bits;
};

#endif
