/* fx_filters_cfg.h - configuration of the filter blocks (biquad,
 * butterworth, linkwitz_riley, peq, geq): plain values, no pointers.
 * The kinds and keys of a biquad, and which keys each kind takes, are
 * biquad_design.h's (dsp/). */
#ifndef DSPD_FX_FILTERS_CFG_H
#define DSPD_FX_FILTERS_CFG_H

#include "biquad_design.h"

#define CFG_PEQ_MAX_BANDS 32
#define CFG_GEQ_MAX_BANDS 31            /* ISO 1/3 octave, 20 Hz..20 kHz */
#define CFG_PEQ_FILE_MAX 256

struct cfg_biquad {
	int kind;                       /* enum biquad_kind */
	unsigned given;                 /* keys present in the file */
	double param[BQK_N];
};

/* butterworth and linkwitz_riley */
struct cfg_xover {
	int kind;                       /* BQ_LOWPASS or BQ_HIGHPASS */
	double freq;
	int order;
};

struct cfg_peq_band {
	int kind;                       /* a shape kind */
	unsigned given;
	double param[BQK_N_SHAPE];
};

/* "bands", or "file": an EqualizerAPO / AutoEq / REW text file
 * (lib/eq_text.h) read when the block is built (fx/eq_file.c), after the
 * socket's file policy allowed it (control/ir_policy.c). */
struct cfg_peq {
	unsigned n_bands;               /* 0 with a file */
	struct cfg_peq_band bands[CFG_PEQ_MAX_BANDS];
	double preamp_db;               /* folded into the first section; a
	                                   file's Preamp adds to it */
	char file[CFG_PEQ_FILE_MAX];    /* absolute (resolved), "" = bands */
};

struct cfg_geq {
	int resolution;                 /* enum geq_resolution */
	unsigned n_bands;               /* 31 (third) or 10 (octave) */
	double gain_db[CFG_GEQ_MAX_BANDS];
};

#endif
