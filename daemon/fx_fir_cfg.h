/* fx_fir_cfg.h - configuration of the "fir" block: plain values. */
#ifndef DSPD_FX_FIR_CFG_H
#define DSPD_FX_FIR_CFG_H

struct cfg_fir {
	char path[256];
};

#endif
