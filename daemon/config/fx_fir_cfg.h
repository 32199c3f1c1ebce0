/* fx_fir_cfg.h - configuration of the "fir" block: plain values, no
 * pointers.  The IR file is only named here; fx_fir.c loads it (control
 * thread).  Filled by config_fx_fir.c. */
#ifndef DSPD_FX_FIR_CFG_H
#define DSPD_FX_FIR_CFG_H

#define CFG_FIR_PATH_MAX 256
#define CFG_FIR_MAX_VALUES 256          /* inline coefficients */
#define CFG_FIR_DEFAULT_MAX_TAPS (1u << 20)
#define CFG_FIR_MAX_TAPS_LIMIT (1u << 24)
#define CFG_FIR_MAX_RATE_PATHS 16       /* entries of a "path" map (rate -> file) */
#define CFG_FIR_RATE_PLACEHOLDER "{rate}"
#define CFG_FIR_MAX_GEQ_POINTS 256       /* "graphic_eq" points */

/* "format" of the IR file: auto = any format libsndfile recognises (WAV,
 * FLAC, AIFF, ...); the others are headerless little-endian mono files. */
enum cfg_fir_format {
	CFG_FIR_FORMAT_AUTO,
	CFG_FIR_FORMAT_F32LE,
	CFG_FIR_FORMAT_F64LE,
	CFG_FIR_FORMAT_S16LE,
	CFG_FIR_FORMAT_S24LE,           /* 3 bytes per sample */
	CFG_FIR_FORMAT_S32LE,
};

enum cfg_fir_partitioning {
	CFG_FIR_NON_UNIFORM,            /* level 0 at "partition", larger after */
	CFG_FIR_UNIFORM,                /* every partition "partition" frames */
};

/* One entry of a "path" map: the file for one rate. */
struct cfg_fir_rate_path {
	unsigned rate;
	char path[CFG_FIR_PATH_MAX];    /* absolute (a relative one is resolved
	                                   against the config's directory) */
};

/* The file for a rate: config_fir_path() (config.h) resolves it. */
struct cfg_fir {
	char path[CFG_FIR_PATH_MAX];    /* absolute (resolved), may hold "{rate}"; "" when
	                                   values or a map are given */
	unsigned n_rate_paths;          /* "path" as an object: 1..CFG_FIR_MAX_RATE_PATHS */
	struct cfg_fir_rate_path rate_paths[CFG_FIR_MAX_RATE_PATHS];
	int format;                     /* enum cfg_fir_format */
	unsigned channel;               /* of a multi-channel file, from 0 */
	double gain_db;                 /* applied to the coefficients */
	unsigned partition;             /* frames; 0 = the period */
	int partitioning;               /* enum cfg_fir_partitioning */
	unsigned max_taps;              /* longer IRs are refused */
	unsigned n_values;              /* inline coefficients, 0 = use path */
	float values[CFG_FIR_MAX_VALUES];
	/* "graphic_eq": [[freq, gain_db], ...], an EqualizerAPO GraphicEQ
	 * curve: a minimum-phase FIR designed at the rate (dsp/min_phase.c) */
	unsigned n_geq_points;
	float geq_points[CFG_FIR_MAX_GEQ_POINTS][2];
	/* "graphic_eq" as a string: a GraphicEQ text file (absolute, resolved
	 * like "path"), read when the block is built (fx/eq_file.c) */
	char geq_file[CFG_FIR_PATH_MAX];
};

#endif
