/* fx_filters_cfg.h - configuration of the filter blocks (biquad,
 * butterworth, linkwitz_riley, peq, geq): plain values, no pointers.
 * Which keys each biquad kind takes is in biquad_design.h. */
#ifndef DSPD_FX_FILTERS_CFG_H
#define DSPD_FX_FILTERS_CFG_H

#define CFG_PEQ_MAX_BANDS 32
#define CFG_GEQ_MAX_BANDS 31            /* ISO 1/3 octave, 20 Hz..20 kHz */

/* "kind" of a biquad block or of a peq band.  The shape kinds (those a peq
 * band may use) come first. */
enum biquad_kind {
	BQ_KIND_NONE = -1,              /* not given (yet) */
	BQ_LOWPASS,
	BQ_HIGHPASS,
	BQ_BANDPASS,                    /* constant 0 dB peak */
	BQ_NOTCH,
	BQ_ALLPASS,
	BQ_PEAKING,
	BQ_LOWSHELF,
	BQ_HIGHSHELF,
	BQ_LOWPASS1,                    /* first order */
	BQ_HIGHPASS1,
	BQ_LOWSHELF1,
	BQ_HIGHSHELF1,
	BQ_ALLPASS1,
	BQ_N_SHAPE_KINDS,
	BQ_LINKWITZ_TRANSFORM = BQ_N_SHAPE_KINDS,
	BQ_FREE,
	BQ_N_KINDS,
};

/* The numeric keys of a biquad; the first BQK_N_SHAPE ones are a peq
 * band's.  Index into param[], bit (1u << key) of given. */
enum biquad_key {
	BQK_FREQ,
	BQK_Q,
	BQK_GAIN_DB,
	BQK_SLOPE,
	BQK_N_SHAPE,
	BQK_FREQ_ACT = BQK_N_SHAPE,
	BQK_Q_ACT,
	BQK_FREQ_TARGET,
	BQK_Q_TARGET,
	BQK_B0,
	BQK_B1,
	BQK_B2,
	BQK_A1,
	BQK_A2,
	BQK_N,
};

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

struct cfg_peq {
	unsigned n_bands;
	struct cfg_peq_band bands[CFG_PEQ_MAX_BANDS];
};

enum geq_resolution { GEQ_THIRD, GEQ_OCTAVE };

struct cfg_geq {
	int resolution;                 /* enum geq_resolution */
	unsigned n_bands;               /* 31 (third) or 10 (octave) */
	double gain_db[CFG_GEQ_MAX_BANDS];
};

#endif
