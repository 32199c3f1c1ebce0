/* config.h - dspd's configuration: the parsed, validated form of dspd.conf.
 *
 * Parsing and validation happen on the control thread only (startup, SIGHUP,
 * `dspd --check-config`).  The result is a plain value with no pointers into
 * the JSON, so it can be copied and compared freely. */
#ifndef DSPD_CONFIG_H
#define DSPD_CONFIG_H

#include <alsa/asoundlib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_MAX_CHANNELS 32
#define CFG_MAX_BLOCKS 64
#define CFG_MAX_ERRORS 32
#define CFG_MAX_FILE_BYTES (4u << 20)  /* a config larger than 4 MiB is refused */
#define CFG_NAME_MAX 64
#define CFG_DEVICE_MAX 256
#define CFG_PATH_MAX 108               /* sizeof(sun_path) */

/* How a changed graph fades in (transition.curve). */
enum cfg_fade_curve {
	CFG_FADE_EQUAL_GAIN,            /* sin^2/cos^2: the gains sum to 1 */
	CFG_FADE_EQUAL_POWER,           /* sin/cos: the squares sum to 1 */
};

/* SND_PCM_FORMAT_UNKNOWN in cfg_pcm.format means "auto". */
#define CFG_FORMAT_AUTO SND_PCM_FORMAT_UNKNOWN

struct cfg_pcm {
	char device[CFG_DEVICE_MAX];
	unsigned channels;              /* 1..CFG_MAX_CHANNELS */
	snd_pcm_format_t format;        /* or CFG_FORMAT_AUTO */
	unsigned rate;                  /* capture only: 8000..768000, 0 = the
	                                   top-level rate (no fixed resampling) */
	bool follow;                    /* capture only: capture.rate "follow" */
};

enum cfg_block_type {
	CFG_BLOCK_GAIN,
	CFG_BLOCK_METER,                /* a level meter tap: fx_meter.c */
	CFG_BLOCK_LOUDNESS_COMP,        /* volume-tracking shelves: fx_loudcomp.c */
	/* filters: fx_filters_cfg.h */
	CFG_BLOCK_BIQUAD,
	CFG_BLOCK_BUTTERWORTH,
	CFG_BLOCK_LINKWITZ_RILEY,
	CFG_BLOCK_PEQ,
	CFG_BLOCK_GEQ,
	/* convolution: fx_fir_cfg.h */
	CFG_BLOCK_FIR,
	/* routing, time, dynamics, word length: fx_basic_cfg.h */
	CFG_BLOCK_DELAY,
	CFG_BLOCK_MIXER,
	CFG_BLOCK_COMPRESSOR,
	CFG_BLOCK_LIMITER,
	CFG_BLOCK_GATE,
	CFG_BLOCK_DITHER,
	/* a hosted LADSPA plugin: fx_ladspa_cfg.h */
	CFG_BLOCK_LADSPA,
};

#include "fx_basic_cfg.h"
#include "fx_filters_cfg.h"
#include "fx_fir_cfg.h"
#include "fx_ladspa_cfg.h"

struct cfg_block {
	enum cfg_block_type type;
	char name[CFG_NAME_MAX];        /* unique within the pipeline */
	uint32_t channel_mask;          /* bit n = channel n; all ones = all */
	bool bypass;                    /* kept in the graph but not applied */
	/* gain */
	double db;                      /* -150..+40 */
	bool mute;
	bool invert;                    /* polarity */
	/* the other types' parameters */
	union {
		struct cfg_biquad biquad;
		struct cfg_xover xover;             /* butterworth, linkwitz_riley */
		struct cfg_peq peq;
		struct cfg_geq geq;
		struct cfg_fir fir;
		struct cfg_delay delay;
		struct cfg_mixer mixer;
		struct cfg_dynamics dynamics;       /* compressor, limiter, gate */
		struct cfg_dither dither;
		struct cfg_ladspa ladspa;
		struct {
			double window_ms;   /* RMS integration time */
		} meter;
		struct {
			double reference_db;    /* volume with no boost */
			double low_boost_db;    /* at 20 dB below reference */
			double high_boost_db;
		} loudcomp;
	} u;
};

#define CFG_MAX_RATES 16

enum cfg_source_kind { CFG_SOURCE_STREAM, CFG_SOURCE_LOOPBACK, CFG_SOURCE_GADGET };
enum cfg_adjust_method { CFG_ADJUST_RESAMPLE, CFG_ADJUST_PITCH };

struct dspd_config {
	bool rate_follow;               /* "rate": "follow" */
	unsigned rate;                  /* 8000..768000, default 48000: the
	                                   playback and processing rate */
	unsigned period_frames;         /* 16..65536, default 256 */
	unsigned periods;               /* 2..64, default 4 */
	struct cfg_pcm capture;
	struct cfg_pcm playback;
	char socket_path[CFG_PATH_MAX]; /* control.socket */
	char monitor_socket_path[CFG_PATH_MAX]; /* control.monitor_socket, read-only
	                                   methods only; "" = none (default) */
	char socket_group[CFG_NAME_MAX];  /* control.group: group of the sockets,
	                                   default "audio"; "" = do not change */
	unsigned max_clients;           /* control.max_clients 1..4096, default 1024 */
	struct {
		bool enabled;           /* realtime.enabled, default true */
		int priority;           /* realtime.priority 1..99, default 70 */
		bool mlock;             /* realtime.mlock, default true */
	} realtime;
	struct {
		double db;              /* volume.db, -150..+40, default 0 */
		bool mute;              /* volume.mute, default false */
		double ramp_ms;         /* volume.ramp_ms 0..10000, default 20 */
		double max_db;          /* volume.max_db: the ceiling no request may
		                           exceed, -150..40, default 40 (GAIN_DB_MAX,
		                           no ceiling) */
		char control[CFG_DEVICE_MAX]; /* volume.control: ALSA ctl device of
		                           the volume link, "" = no link (default) */
		char element[CFG_NAME_MAX];   /* volume.element, default
		                           "Master Playback Volume" */
		char mute_element[CFG_NAME_MAX]; /* volume.mute_element, "" = none */
		bool create;            /* volume.create: add a user element when
		                           missing, default true */
		double create_min_db;   /* volume.create_min_db, default -60 */
		double create_max_db;   /* volume.create_max_db, default 0 */
	} volume;
	struct {
		double crossfade_ms;    /* transition.crossfade_ms 0..1000, default 20 */
		int curve;              /* transition.curve: enum cfg_fade_curve */
		double max_warmup_ms;   /* transition.max_warmup_ms 0..10000, default 3000 */
	} transition;
	char fftw_wisdom[CFG_PATH_MAX * 2]; /* fftw_wisdom: FFT plans' measurements
	                                   kept across restarts; "" = none (default) */
	char state_file[CFG_PATH_MAX * 2]; /* state_file: gain/mute kept across
	                                   restarts; "" = none (default) */
	struct {
		bool enabled;           /* rate_adjust.enabled, default false */
		unsigned target_level;  /* rate_adjust.target_level, frames of
		                           capture -> playback latency; 0 = auto:
		                           (periods - 1) * period_frames */
		double max_ppm;         /* rate_adjust.max_ppm 1..10000, default 2000 */
		double bandwidth_hz;    /* rate_adjust.bandwidth_hz 0.005..1, default 0.05 */
		int method;             /* enum cfg_adjust_method */
		char control[CFG_DEVICE_MAX];
		char element[CFG_NAME_MAX];
		long scale;
	} rate_adjust;
	struct {
		int kind;               /* enum cfg_source_kind */
		char control[CFG_DEVICE_MAX];
		int subdevice;
		int device;
		unsigned rates[CFG_MAX_RATES];
		unsigned n_rates;
		unsigned initial_rate;
	} source;
	struct {
		double threshold_db;
		double seconds;         /* 0 = off */
		bool release_playback;
		double fade_in_ms;
	} silence;
	struct {
		int quality;            /* resampler.quality: enum rs_quality */
	} resampler;
	struct {
		int tap;                /* loudness.tap: -1 off (default), else
		                           enum meter_tap: 0 capture, 1 playback */
	} loudness;
	unsigned n_blocks;
	struct cfg_block blocks[CFG_MAX_BLOCKS];
};

/* Every problem found, each a complete message such as
 *   "dspd.conf:12:5: syntax error: unexpected '}'"  or
 *   "dspd.conf: /capture/format: unknown format \"S33_LE\" (supported: ...)" */
struct cfg_errors {
	unsigned count;                 /* may exceed CFG_MAX_ERRORS; extras dropped */
	char msg[CFG_MAX_ERRORS][320];
};

void config_defaults(struct dspd_config *cfg);

/* The capture device's rate (capture.rate, or the top-level rate). */
unsigned config_capture_rate(const struct dspd_config *cfg);
/* Whether capture goes through the resampler: another capture rate, or
 * rate_adjust enabled. */
bool config_resamples(const struct dspd_config *cfg);
/* The capture period: period_frames at the capture rate, rounded. */
unsigned config_capture_period(const struct dspd_config *cfg);
/* rate_adjust.target_level, or its automatic value. */
unsigned config_target_level(const struct dspd_config *cfg);

/* Parse and validate.  On success fill *cfg and return 0.  On failure return
 * -EINVAL (bad content), -ENOENT/-EACCES/-EFBIG... (file problems) and fill
 * errs with every error found; *cfg is then unspecified (callers parse into
 * a scratch copy so the running config is never touched). */
int config_load_file(const char *path, struct dspd_config *cfg,
                     struct cfg_errors *errs);
int config_load_string(const char *text, size_t len, const char *origin,
                       struct dspd_config *cfg, struct cfg_errors *errs);

#endif
