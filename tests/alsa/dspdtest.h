/* dspdtest.h - internal interface between the files of "dspdtest", an ALSA
 * ioplug PCM paced by CLOCK_MONOTONIC: the test rig that proves dspd loses
 * no sample.  Users read tests/alsa/README.md; this header is for the
 * files below, which are linked into one libasound_module_pcm_dspdtest.so:
 *
 *   pcm_dspdtest.c      ioplug callbacks, construction, plugin entry point,
 *                       the process-wide shared state
 *   dspdtest_timebase.c device time (speed) and the capture and playback
 *                       stream clocks (ppm), process-wide
 *   dspdtest_clock.c    the simulated hardware: run position, xruns, the
 *                       counter label G, timerfd wake-ups and poll readiness
 *   dspdtest_params.c   device parameters from the ALSA configuration
 *   dspdtest_signal.c   sample formats, counter encoding/decoding, sine,
 *                       the capture signal generator
 *   dspdtest_check.c    the playback checker: gaps, mismatches, latency
 *   dspdtest_report.c   the JSON report and the float32 recording
 *   dspdtest_control.c  the control file: fault-injection commands
 *   dspdtest_device.c   the device's presence and power: unplug (vanish),
 *                       suspend/resume, clock jumps, the open instances
 *   dspdtest_source.c   the source behind the capture (a player on
 *                       snd-aloop, a USB host on u_audio, an S/PDIF
 *                       transmitter) and the control elements' values
 *   dspdtest_ctl.c      the snd_ctl_ext control device "dspdtest": element
 *                       lists, reads, writes, TLV, events
 *
 * All capture and playback instances of one process share one state (clock
 * origin t0 = first start of either stream, every counter, the checker),
 * because dspd opens both streams of the device in one process.  That state
 * lives as long as the process and survives close/reopen, so a reopen shows
 * up as one gap.  Callbacks run on whatever thread the application calls
 * alsa-lib from; the shared state is guarded by shared.lock, and functions
 * marked "Lock held" below expect the caller to hold it.  The time base
 * (dspdtest_timebase.c) has its own leaf mutex, taken inside shared.lock or
 * alone, so its functions may be called with or without shared.lock.
 *
 * Times: an instance's times (run start, suspend moment) are on its
 * direction's stream clock, in ns; t0 and vanish deadlines are in device
 * time too; only the timerfd and sleeps use CLOCK_MONOTONIC.  Everything here
 * is test code: it may log (SNDERR), write files and sleep on the caller's
 * thread, which is the point of a fault injector.
 *
 * Every symbol declared here is hidden: the .so exports only the plugin's
 * entry point, as when all of this was one file of static functions. */
#ifndef DSPDTEST_H
#define DSPDTEST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <alsa/asoundlib.h>
#include <alsa/pcm_external.h>

#pragma GCC visibility push(hidden)

#define MAX_CHANNELS 32
#define GAP_LIST_MAX 64
#define SAMPLE_FORMAT_COUNT 7   /* entries of dspdtest_signal.c's table */

/* ---- sample formats (dspdtest_signal.c) -------------------------------- */

struct sample_format {
	snd_pcm_format_t format;
	unsigned int bytes;     /* storage per sample */
	unsigned int bits;      /* significant bits B of the counter */
};

/* NULL when dspdtest does not support format. */
const struct sample_format *sample_format_find(snd_pcm_format_t format);
/* Fill formats with every supported format; returns how many. */
unsigned int sample_format_all(unsigned int formats[SAMPLE_FORMAT_COUNT]);

/* Two's-complement wrap of x to a signed bits-wide value. */
int64_t wrap_bits(int64_t x, unsigned int bits);
/* Counter encoding of frame counter k on channel c (before storage). */
int64_t counter_value(int64_t k, unsigned int channel, unsigned int bits);
/* One sample of fmt in units of the least significant of fmt->bits bits
 * (exact for every encoded counter; fractional when something scaled it). */
double sample_decode(const struct sample_format *fmt, const unsigned char *src);

static inline unsigned char *area_frame(const snd_pcm_channel_area_t *area,
					snd_pcm_uframes_t frame)
{
	return (unsigned char *)area->addr + (area->first + area->step * frame) / 8;
}

/* ---- time base (dspdtest_timebase.c) ---------------------------------- */

/* The two stream clocks, indexed by direction. */
enum { DIR_CAPTURE, DIR_PLAYBACK, DIR_COUNT };

/* The clock parameters of a PCM definition (speed, capture_ppm,
 * playback_ppm); the first open of the process fixes them. */
struct clock_config {
	double speed;                   /* device time per CLOCK_MONOTONIC time */
	double ppm[DIR_COUNT];          /* stream clock offsets from device time */
};

/* Device time and both stream clocks at one instant, ns. */
struct clock_reading {
	uint64_t device_ns;
	uint64_t stream_ns[DIR_COUNT];
};

/* What the report shows: the clock as it is now. */
struct clock_report {
	double speed;
	double ppm[DIR_COUNT];          /* current offsets */
	uint64_t ppm_changes;
	uint64_t device_ns;             /* device time now */
};

/* The first call (first open) adopts cfg and starts device time; later
 * calls: 0, or -EINVAL (logged, naming the parameter and both values)
 * when cfg differs from the first one. */
int clock_configure(const struct clock_config *cfg);
uint64_t device_now_ns(void);
/* Stream clock dir (DIR_*) now. */
uint64_t stream_now_ns(unsigned int dir);
void clock_read(struct clock_reading *r);
void clock_report_read(struct clock_report *r);
/* The CLOCK_MONOTONIC time at which stream clock dir reaches stream_ns,
 * rounded up (1, long past, when it has); valid until the clock changes. */
uint64_t stream_to_monotonic(unsigned int dir, uint64_t stream_ns);
/* Sleep ms of device time (ms / speed of real time). */
void device_sleep_ms(unsigned int ms);
/* Commands, called with shared.lock held (dspdtest_device.c): stream clock
 * dir runs at ppm from now on, continuous; device time leaps ahead. */
void clock_set_ppm(unsigned int dir, double ppm);
void clock_jump(uint64_t device_ns);
/* Source commands (dspdtest_source.c), shared.lock held: stream clock dir
 * runs at factor times its ppm slope from now on, continuous (0: it
 * stands still); not counted in ppm_changes. */
void clock_set_trim(unsigned int dir, double factor);

/* ---- process-wide shared state (pcm_dspdtest.c) ------------------------ */

struct gap_entry {
	int64_t at;             /* counter that was expected */
	int64_t missing;        /* counter received minus expected */
};

struct capture_stats {
	int64_t run_origin;     /* first counter of the newest capture segment */
	uint64_t segments;      /* runs started or resumed: the counter may jump */
	uint64_t starts;
	uint64_t frames;
	uint64_t overruns;
	uint64_t stalls_injected;
};

struct playback_stats {
	uint64_t starts;
	uint64_t frames;
	uint64_t underruns;
	uint64_t silent_frames;
	uint64_t counter_frames;
	uint64_t gaps;
	uint64_t mismatches;
	struct gap_entry gap_list[GAP_LIST_MAX];
	unsigned int gap_list_len;
	bool have_counter;      /* at least one counter frame matched */
	bool after_silence;     /* silence since the last counter frame */
	uint64_t capture_segments_seen; /* capture segments at the last counter */
	bool have_latency;
	int64_t expected;       /* next counter if nothing is lost */
	int64_t first_counter;
	int64_t last_counter;
	int64_t latency_min;
	int64_t latency_max;
	int64_t latency_last;
};

struct device_stats {
	uint64_t vanishes;      /* "vanish" commands */
	uint64_t opens_refused; /* opens failed with -ENODEV while gone */
	uint64_t suspends;      /* "suspend" commands */
	uint64_t resumes;       /* streams brought back by snd_pcm_resume() */
	uint64_t jumps;         /* "jump" commands */
	uint64_t hangs;         /* "hang" commands */
	uint64_t slow_prepares; /* capture prepares slowed by "slowprepare" */
};

struct dspdtest;

/* The simulated card as a whole (dspdtest_device.c). */
struct device_state {
	bool gone;              /* unplugged: opens fail with -ENODEV */
	uint64_t gone_until_ns; /* device time the vanish ends; 0: never */
	struct clock_reading suspend_at;        /* the newest suspend */
	struct clock_reading hang_at;           /* the newest hang */
	unsigned int slow_prepare_ms;   /* the next capture prepare sleeps */
	struct dspdtest *instances;     /* every open PCM, for wake-ups */
	struct device_stats stats;
};

/* ---- the source behind the capture (dspdtest_source.c) ----------------- */

enum source_kind { SOURCE_NONE, SOURCE_STREAM, SOURCE_LOOPBACK, SOURCE_GADGET };

#define CTL_NAME_MAX 44          /* SNDRV_CTL_ELEM_ID_NAME_MAXLEN */
#define LOOP_DEVICES 2          /* aloop: PCM devices 0 and 1 */
#define LOOP_SUBDEVICES 8       /* aloop: pcm_substreams default */
#define LOOP_CABLE_DEVICE 1     /* the rig's player writes device 0 sub 0 ... */
#define LOOP_CABLE_SUBDEVICE 0  /* ... which setup[0][1] describes */

/* Every element value, process-wide; index with CV_*. */
enum control_value {
	CV_RATE_SHIFT, CV_NOTIFY, CV_SLAVE_ACTIVE, CV_SLAVE_FORMAT,
	CV_SLAVE_RATE, CV_SLAVE_CHANNELS,       /* aloop, per setup */
	CV_CAPTURE_PITCH, CV_CAPTURE_RATE,      /* u_audio */
	CV_VOLUME, CV_SWITCH,                   /* the optional mixer pair */
	CV_COUNT
};

/* aloop's struct loopback_setup, one per [subdevice][device]. */
struct loop_setup {
	long rate_shift, notify, format, rate, channels;
};

struct source_state {
	enum source_kind kind;  /* of the PCMs opened; NONE until one is */
	bool playing;           /* the player / host plays now */
	unsigned int rate;      /* what it plays (or played last) at */
	uint64_t changes;       /* start, stop and rate changes */
	uint64_t generation;    /* bumped at every change the capture sees */
	struct clock_reading changed_at;        /* the newest change */
	struct loop_setup setup[LOOP_SUBDEVICES][LOOP_DEVICES];
	long pitch;             /* u_audio c_prm.pitch */
	long volume, volume_switch;
	unsigned int capture_rate;      /* newest source capture's hw rate */
	unsigned int capture_valid;     /* source captures past hw_params */
	uint64_t app_writes[CV_COUNT];  /* element writes by applications */
	uint64_t command_writes[CV_COUNT];      /* ... and by "cset" */
	uint64_t events[CV_COUNT];      /* value-change events sent */
};

struct ctl_handle;

struct shared_state {
	pthread_mutex_t lock;
	bool have_origin;
	struct clock_reading origin;    /* t0: the first start */
	struct capture_stats capture;
	struct playback_stats playback;
	struct device_state device;
	struct source_state source;
	struct ctl_handle *ctl_handles; /* open control devices, for events */
};

extern struct shared_state shared;

/* ---- one open PCM ------------------------------------------------------ */

enum signal_kind { SIGNAL_COUNTER, SIGNAL_SINE, SIGNAL_SILENCE };

struct dspdtest_params {
	unsigned int formats[SAMPLE_FORMAT_COUNT];
	unsigned int format_count;
	unsigned int channels_min, channels_max;
	unsigned int rate_min, rate_max;
	enum signal_kind signal;
	int mmap;               /* also MMAP_INTERLEAVED (ioplug's mmap_rw), for plug */
	double sine_freq;
	double sine_dbfs;
	char *report_path;
	char *record_path;
	char *control_path;
	enum source_kind source;
	struct clock_config clock;
};

/* Latency of counter frames written before their run started, kept
 * relative (run position minus counter) until start() knows Gstart. */
struct pending_latency {
	bool any;
	int64_t min, max, last;
};

struct dspdtest {
	snd_pcm_ioplug_t io;
	struct dspdtest_params params;
	const struct sample_format *fmt;        /* NULL until hw_params */
	int timer_fd;
	snd_pcm_uframes_t avail_min;
	snd_pcm_uframes_t boundary;
	bool run_active;        /* started and not yet stopped/prepared */
	bool xrun_seen;         /* this run already overran/underran */
	uint64_t run_start_ns;  /* on the stream clock, like every time below */
	int64_t run_origin;     /* G at run start: Gstart */
	bool origin_known;      /* run_origin belongs to the current run */
	struct pending_latency pending;         /* playback, before start */
	uint64_t run_frames;    /* frames transferred in this run */
	uint64_t frames_total;  /* frames transferred since open */
	uint64_t next_report_frames;
	FILE *record;
	snd_pcm_sframes_t last_pointer;         /* what pointer() last said */
	/* device events (dspdtest_device.c); *_seen: shared counts handled */
	struct dspdtest *next_instance;
	bool registered;
	uint64_t vanishes_seen;         /* a vanish since open kills the PCM */
	uint64_t suspends_seen;
	uint64_t hangs_seen;            /* a hang since open freezes the PCM */
	bool hung;                      /* its clock stands still for good ... */
	uint64_t hung_ns;               /* ... at this moment */
	bool suspended;                 /* the clock stands still ... */
	uint64_t suspended_ns;          /* ... at this moment */
	snd_pcm_state_t suspended_from; /* the state resume() restores */
	/* the source (dspdtest_source.c) */
	uint64_t source_seen;           /* source.generation handled */
	bool halted;                    /* aloop stopped it: DRAINING ... */
	uint64_t halted_ns;             /* ... its clock stopped here */
	bool counted_valid;             /* in source.capture_valid */
};

static inline bool is_capture(const struct dspdtest *t)
{
	return t->io.stream == SND_PCM_STREAM_CAPTURE;
}

/* The stream clock t runs on. */
static inline unsigned int stream_dir(const struct dspdtest *t)
{
	return is_capture(t) ? DIR_CAPTURE : DIR_PLAYBACK;
}

/* ---- configuration (dspdtest_params.c) --------------------------------- */

void params_set_defaults(struct dspdtest_params *p);
/* Apply the PCM's configuration node; logs and fails on anything unknown. */
int params_parse(struct dspdtest_params *p, snd_config_t *conf);
void params_free(struct dspdtest_params *p);

/* ---- simulated hardware (dspdtest_clock.c) ----------------------------- */

/* Set t0 to now (a reading) unless a start already did. Lock held. */
void shared_origin_set(const struct clock_reading *now);
/* G_d = round((S_d - S_d(t0)) * rate) for t's direction d, at stream time
 * stream_ns; t0 is set. Lock held. */
int64_t shared_global_frame(const struct dspdtest *t, uint64_t stream_ns);
/* Frames the clock advanced since the current run started. */
uint64_t run_elapsed(const struct dspdtest *t, uint64_t now_ns);
/* The instance's present on its stream clock: now, or the moment a
 * suspend froze it. */
uint64_t run_now(const struct dspdtest *t);
/* Whether the run has overrun/underrun at elapsed frames. */
bool xrun_condition(const struct dspdtest *t, uint64_t elapsed);
/* Hardware position of the running stream, or -EPIPE after an xrun. */
int64_t run_position(struct dspdtest *t);
/* End the current run (drop or prepare), counting an unnoticed xrun. */
void run_end(struct dspdtest *t);
/* Arm the timerfd for the moment the PCM becomes ready in state (at
 * once when a device event is pending for it). Takes shared.lock. */
void wakeup_arm(struct dspdtest *t, snd_pcm_state_t state);
/* Wake t's poller at once; any thread. */
void wakeup_now(struct dspdtest *t);
/* POLLIN/POLLOUT, 0 or POLLERR for the PCM's state, from the clock. */
unsigned short ready_events(struct dspdtest *t);

/* ---- device presence and power (dspdtest_device.c) --------------------- */

/* At open: -ENODEV (counted) while the device is gone, else note the
 * events so far as handled. */
int device_attach(struct dspdtest *t);
/* List t (its timer_fd open) for the wake-ups of device events. */
void device_register(struct dspdtest *t);
/* Unlist t; no-op when it was never registered. */
void device_detach(struct dspdtest *t);
/* Control commands: act on the shared state and wake every open PCM. */
void device_vanish(unsigned int ms);
void device_return(void);
void device_suspend(void);
void device_jump(unsigned int ms);
void device_hang(void);
/* "slowprepare MS": the next capture prepare sleeps MS ms (device time). */
void device_set_slow_prepare(unsigned int ms);
/* In a capture's prepare: sleep if asked to (then counted). */
void device_slow_prepare(void);
void device_set_ppm(unsigned int dir, double ppm);
/* Apply the device's events to t at a transfer, pointer, poll or start:
 * 0, -ENODEV (t is now DISCONNECTED, for good) or -ESTRPIPE (SUSPENDED). */
int device_check(struct dspdtest *t);
/* The ioplug resume callback. */
int device_resume(struct dspdtest *t);
/* An event t has not handled yet: its poller must wake now. Lock held. */
bool device_event_pending(const struct dspdtest *t);

/* ---- the source (dspdtest_source.c) ------------------------------------ */

/* At open: 0, or -EINVAL when the process already has another kind. */
int source_attach(struct dspdtest *t);
void source_detach(struct dspdtest *t);
/* set_constraints(): the capture's rate range as the source allows. */
void source_rate_range(const struct dspdtest *t, unsigned int *lo, unsigned int *hi);
/* Capture hw_params at t->io.rate: 0 or -EINVAL. */
int source_hw_params(struct dspdtest *t);
/* Capture start: 0 or -EIO (aloop's loopback_check_format). */
int source_start_check(struct dspdtest *t);
/* Apply source changes to a capture on its thread (aloop stops it). */
void source_check(struct dspdtest *t);
/* Whether capture frames are silence now (nothing plays). */
bool source_silent(const struct dspdtest *t);
/* Commands (any thread): play at rate (0: stop), resume, stop. */
int source_play(unsigned int rate);
int source_resume(void);
/* "cset": a player writes element name. */
int source_cset(const char *name, long value);
/* Element values; shared.lock held. from_app: a ctl write, else a
 * command.  write returns 1 when the value changed, 0, or -EINVAL. */
long control_get(enum control_value cv, unsigned int dev, unsigned int sub);
int control_set(enum control_value cv, unsigned int dev, unsigned int sub,
		long value, bool from_app);
/* Element names (the mixer pair's as the ctl device configured them,
 * set with shared.lock held). */
const char *control_name(enum control_value cv);
void control_set_mixer_names(const char *volume, const char *sw);
/* Queue a value event for (cv, dev, sub) to every subscribed control
 * handle (dspdtest_ctl.c). Lock held. */
void ctl_notify(enum control_value cv, unsigned int dev, unsigned int sub);
/* Run the control file of the ctl device, if it has one (dspdtest_ctl.c). */
void control_poll_path(const char *path);
/* The report's "source" and "controls" sections. Lock held. */
void source_report(FILE *f);

/* ---- capture (dspdtest_signal.c, dspdtest_control.c) ------------------- */

/* Fill size frames at offset with the configured signal. */
void capture_generate(struct dspdtest *t, const snd_pcm_channel_area_t *areas,
		      snd_pcm_uframes_t offset, snd_pcm_uframes_t size);
/* Run the control file's commands, if one is present; it is consumed.
 * t may still be opening (no ioplug yet): commands touch only shared
 * state and the registered instances. */
void control_poll(struct dspdtest *t);

/* ---- playback (dspdtest_check.c, dspdtest_report.c) -------------------- */

/* Check, count and record size frames that t plays from offset. */
void playback_check(struct dspdtest *t, const snd_pcm_channel_area_t *areas,
		    snd_pcm_uframes_t offset, snd_pcm_uframes_t size);
/* The run started at origin: account the latency of frames written
 * before. Lock held. */
void pending_commit(struct pending_latency *p, struct playback_stats *s,
		    int64_t origin);

/* Frames decoded in playback_check, batched for the recording file. */
struct record_batch {
	float samples[4096];
	size_t len;
	double scale;           /* counter LSB units to full scale 1.0 */
};

void record_batch_init(struct record_batch *b, const struct dspdtest *t);
/* Queue one frame of t->io.channels decoded samples; no-op when t does
 * not record. */
void record_frame(struct dspdtest *t, struct record_batch *b, const double *x);
/* Write out what is queued; a failed write stops the recording. */
void record_flush(struct dspdtest *t, struct record_batch *b);

/* Write the report atomically (tmp + rename); playback instances only. */
int report_write(struct dspdtest *t);
/* report_write() about every 0.5 s of transferred frames. */
void report_maybe(struct dspdtest *t);

#pragma GCC visibility pop

#endif
