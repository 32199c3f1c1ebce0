/* fx_basic_cfg.h - configuration of delay, mixer, compressor, limiter,
 * gate and dither blocks: plain values, no pointers.  Filled by
 * config_fx_basic.c (control thread), read by the constructors. */
#ifndef DSPD_FX_BASIC_CFG_H
#define DSPD_FX_BASIC_CFG_H

#include <stdbool.h>
#include <stdint.h>

/* "delay": value in unit; mm use speed_of_sound (m/s). */
enum cfg_delay_unit {
	CFG_DELAY_SAMPLES,
	CFG_DELAY_MS,
	CFG_DELAY_MM,
};

struct cfg_delay {
	double value;
	int unit;                       /* enum cfg_delay_unit */
	double speed_of_sound;          /* m/s, default 343 (air at 20 C) */
};

/* "mixer": output channel `out` receives input channel `in` times gain. */
#define CFG_MIXER_MAX_ROUTES 128

struct cfg_mixer_route {
	float gain_db;
	uint8_t out, in;
	bool invert;
};

struct cfg_mixer {
	unsigned channels_in, channels_out;
	unsigned n_routes;
	struct cfg_mixer_route routes[CFG_MIXER_MAX_ROUTES];
};

/* "compressor", "limiter", "gate": each uses its own subset. */
enum cfg_detection {
	CFG_DETECT_PEAK,
	CFG_DETECT_RMS,
};

struct cfg_dynamics {
	double threshold_db;            /* compressor, gate */
	double ratio;                   /* compressor */
	double attack_ms;               /* compressor, gate */
	double release_ms;              /* all */
	double knee_db;                 /* compressor */
	double makeup_gain_db;          /* compressor */
	double rms_ms;                  /* compressor, detection rms */
	int detection;                  /* enum cfg_detection */
	bool link;                      /* compressor: one gain for all */
	double ceiling_db;              /* limiter */
	double lookahead_ms;            /* limiter */
	double hold_ms;                 /* gate */
	double range_db;                /* gate: attenuation when closed */
};

/* "dither" */
enum cfg_dither_kind {
	CFG_DITHER_TPDF,
	CFG_DITHER_SHAPED,
};

struct cfg_dither {
	int kind;                       /* enum cfg_dither_kind */
	unsigned bits;                  /* target word length 8..24 */
};

#endif
