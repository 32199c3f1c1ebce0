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
#define CFG_HTTP_LISTEN_MAX 64
#define CFG_HTTP_PATH_MAX 256
#ifndef DSPD_WEB_DIR
#define DSPD_WEB_DIR "/usr/share/dspd/web"   /* http.root's default */
#endif
#define CFG_MAX_RATES 16               /* source.rates */
#define CFG_ELEMENT_NAME_MAX 44        /* an ALSA control element's name, with
                                          its NUL (SNDRV_CTL_ELEM_ID_NAME_MAXLEN) */
#define CFG_MAX_IR_DIRS 8               /* control.ir_dirs */
#define CFG_MAX_THREADS 16              /* threads: the RT thread and workers */
#define CFG_MAX_CPU 1023                /* realtime.cpus: highest CPU number */
#define CFG_DEFAULT_MAX_TAPS_TOTAL (1u << 23)  /* limits.max_taps_total */
#define CFG_MAX_TAPS_TOTAL_LIMIT (1u << 28)
#define CFG_DEFAULT_FILTER_MEMORY_MB 256u      /* limits.filter_memory_mb */
#define CFG_FILTER_MEMORY_MB_LIMIT 65536u
#define CFG_VOLUME_DB_MAX 40.0         /* volume.db's ceiling, and max_db's
                                          default: no ceiling */

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
	                                   top-level rate (no fixed resampling);
	                                   with follow: the initial capture rate */
	bool follow;                    /* capture only: "rate": "follow", mode
	                                   (b): the capture reopens at the
	                                   source's rate, resampled to cfg.rate */
};

/* What feeds the capture (source.kind): where its rate and clock-trim
 * elements are. */
enum cfg_source_kind {
	CFG_SOURCE_STREAM,              /* any capture: no control elements */
	CFG_SOURCE_LOOPBACK,            /* snd-aloop: "PCM Slave Rate", ... */
	CFG_SOURCE_GADGET,              /* UAC2 gadget (u_audio): "Capture Rate" */
};

/* rate_adjust.larger: a larger trim value makes the capture clock ... */
enum cfg_trim_sense { CFG_TRIM_AUTO, CFG_TRIM_FASTER, CFG_TRIM_SLOWER };

/* rate_adjust.method: how the drift controller corrects the clocks. */
enum cfg_adjust_method {
	CFG_ADJUST_RESAMPLE,            /* a resampler ratio (default) */
	CFG_ADJUST_PITCH,               /* a clock-trim element: bit-perfect */
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

struct dspd_config {
	unsigned rate;                  /* 8000..768000, default 48000: the
	                                   playback and processing rate; with
	                                   rate_follow the initial one
	                                   (source.initial_rate) */
	bool rate_follow;               /* "rate": "follow", mode (a): capture,
	                                   pipeline and playback reopen at the
	                                   source's rate */
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
	/* control.ir_dirs: where IR files named over the socket may be (the
	 * config file's directory, /etc/dspd and /var/lib/dspd when not
	 * given); absolute, as written.  Only the file's value counts. */
	char ir_dirs[CFG_MAX_IR_DIRS][CFG_FIR_PATH_MAX];
	unsigned n_ir_dirs;             /* 0: the defaults */
	struct {
		unsigned max_taps_total;  /* limits.max_taps_total: FIR taps x
		                             channels convolved, whole pipeline;
		                             default CFG_DEFAULT_MAX_TAPS_TOTAL */
		unsigned filter_memory_mb;  /* limits.filter_memory_mb: the FIR
		                             blocks' spectra and states, MiB,
		                             default CFG_DEFAULT_FILTER_MEMORY_MB */
	} limits;
	unsigned max_clients_per_uid;   /* control.max_clients_per_uid 1..8192,
	                                   default 64: both sockets together */
	unsigned output_budget;         /* control.output_budget, bytes held for
	                                   all clients at once (unread output,
	                                   unfinished request lines): 1 MiB..1 GiB,
	                                   default 16 MiB */
	unsigned max_client_output;     /* control.max_client_output, one client's
	                                   unread bytes: 64 KiB..64 MiB, default 1 MiB */
	bool monitor_record;            /* control.monitor_record: `record` allowed
	                                   on the monitor socket, default false */
	/* "http": the web page and JSON-RPC over HTTP (config_http.c); off
	 * when the section is absent.  Only the file's value counts. */
	struct {
		bool enabled;           /* the section is present */
		char listen[CFG_HTTP_LISTEN_MAX];   /* "host:port", default
		                                       127.0.0.1:8080; IPv6 "[::1]:8080" */
		char token_file[CFG_HTTP_PATH_MAX]; /* "" = read-only for everyone */
		char root[CFG_HTTP_PATH_MAX];       /* the page's files, default
		                                       DSPD_WEB_DIR */
		unsigned max_clients;   /* event streams + requests in flight,
		                           1..256, default 16 */
	} http;
	struct {
		bool enabled;           /* realtime.enabled, default true */
		int priority;           /* realtime.priority 1..99, default 70 */
		bool mlock;             /* realtime.mlock, default true */
		/* threads (top level) 1..CFG_MAX_THREADS, or 0 = "auto": the
		 * online CPUs; default 1 (the RT thread alone) */
		unsigned threads;
		/* realtime.cpus: CPU of the RT thread, then of each worker in
		 * turn (cycling); n_cpus 0 = no pinning (default) */
		unsigned short cpus[CFG_MAX_THREADS];
		unsigned n_cpus;
	} realtime;
	struct {
		double db;              /* volume.db, -150..+40, default 0 */
		bool mute;              /* volume.mute, default false */
		double ramp_ms;         /* volume.ramp_ms 0..10000, default 20 */
		double max_db;          /* volume.max_db -150..+40: no request may
		                           exceed it; default CFG_VOLUME_DB_MAX (none) */
		/* the link to a player's mixer element; control "" = none (default) */
		char control[CFG_DEVICE_MAX];     /* ALSA ctl device, "hw:Loopback" */
		char element[CFG_NAME_MAX];       /* required with control */
		char mute_element[CFG_NAME_MAX];  /* a switch, "" = none (default) */
		bool create;            /* create a user element when missing,
		                           default true */
		double create_min_db;   /* its dB range (0.5 dB steps), default -60 */
		double create_max_db;   /* default 0 */
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
		int method;             /* rate_adjust.method: enum cfg_adjust_method */
		/* pitch only (filled from source.kind's defaults after the load): */
		char control[CFG_DEVICE_MAX];   /* default source.control */
		char element[CFG_NAME_MAX];     /* default by source.kind */
		long scale;             /* the element's value for a ratio of 1.0;
		                           default the element name's trailing number */
		int larger;             /* rate_adjust.larger: what a larger value
		                           does to the capture clock, enum
		                           cfg_trim_sense; default by element:
		                           "PCM Rate Shift ..." slower (aloop's
		                           byte_pos divides by it), others faster */
	} rate_adjust;
	struct {
		int kind;               /* source.kind: enum cfg_source_kind, default
		                           CFG_SOURCE_STREAM */
		char control[CFG_DEVICE_MAX];   /* ALSA ctl device, "" = none;
		                                   required for loopback and gadget */
		unsigned subdevice;     /* loopback: whose "PCM Slave *" elements,
		                           0..31, default 0 */
		unsigned device;        /* loopback: the capture side's element
		                           device number, 0..31, default 1 */
		unsigned rates[CFG_MAX_RATES];  /* the rates the source may switch
		                                   to, default 44100 48000 88200
		                                   96000 176400 192000 */
		unsigned n_rates;
		unsigned initial_rate;  /* in rates; default 48000 (or rates[0]
		                           when 48000 is not in rates) */
	} source;
	struct {
		double threshold_db;    /* silence.threshold_db -200..0, default -80 */
		double seconds;         /* 0 = off (default), else 0.1..86400 */
		bool release_playback;  /* close the playback while idle, default false */
		double fade_in_ms;      /* 0..5000, default 50 */
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
/* Whether capture goes through the resampler: another capture rate, a
 * capture that follows the source (mode b), or rate_adjust enabled with
 * method "resample" (method "pitch" alone is bit-perfect). */
bool config_resamples(const struct dspd_config *cfg);
/* The processing rates the configuration allows, into rates[CFG_MAX_RATES]:
 * every source.rates with "rate": "follow" (mode a), else cfg->rate alone.
 * Returns how many. */
unsigned config_pipeline_rates(const struct dspd_config *cfg,
                               unsigned rates[CFG_MAX_RATES]);
/* Whether rate is one of source.rates. */
bool config_source_has_rate(const struct dspd_config *cfg, unsigned rate);
/* The IR file of a FIR block at rate, into out (size bytes): path with each
 * "{rate}" replaced by the decimal rate, or the map's entry for rate.
 * 0; -ENOENT when the map has no entry for rate or the block has no path
 * (inline values); -ENAMETOOLONG when out is too small. */
int config_fir_path(const struct cfg_fir *fir, unsigned rate, char *out,
                    size_t size);
/* The threads the pipeline runs on: realtime.threads, "auto" (0) being
 * the CPUs online now (at most CFG_MAX_THREADS).  Any thread. */
unsigned config_threads(const struct dspd_config *cfg);
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
/* config_load_string() for text read from a file in the directory dir:
 * relative IR paths resolve against dir (config_load_file() does this).
 * dir NULL: the default directory (config_set_default_dir()). */
int config_load_string_at(const char *text, size_t len, const char *origin,
                          const char *dir, struct dspd_config *cfg,
                          struct cfg_errors *errs);
/* The directory relative IR paths of a configuration without a file of
 * its own (config.load text, edits over the socket, the state file)
 * resolve against: the daemon's config file's directory, set once at
 * startup.  Until it is set such paths are refused. */
void config_set_default_dir(const char *dir);
const char *config_default_dir(void);
/* The absolute directory of the file path into out (size bytes), symbolic
 * links resolved when the file exists.  0 or -ENAMETOOLONG/-errno. */
int config_dir_of(const char *path, char *out, size_t size);

/* http.listen's "host:port" split (config_http.c): host an IPv4 or IPv6
 * literal (IPv6 in brackets) or "localhost", port 1..65535.  Returns 0
 * or -EINVAL; host gets the literal ("localhost" becomes 127.0.0.1),
 * loopback whether it is one. */
int cfg_http_split_listen(const char *listen, char *host, size_t host_size,
                          unsigned *port, bool *loopback);

#endif
