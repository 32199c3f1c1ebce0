/* fx_filters_cfg.h - configuration of the filter blocks (biquad,
 * butterworth, linkwitz_riley, peq, geq): plain values, no pointers. */
#ifndef DSPD_FX_FILTERS_CFG_H
#define DSPD_FX_FILTERS_CFG_H

struct cfg_biquad {
	int kind;
	double freq, q, gain_db;
};

struct cfg_xover {
	int kind;
	double freq;
	int order;
};

struct cfg_peq {
	unsigned n_bands;
};

struct cfg_geq {
	unsigned n_bands;
};

#endif
