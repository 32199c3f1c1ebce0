/* engine.h - the audio engine: one RT thread moving every captured period
 * through the pipeline to playback, plus the control-thread API that talks
 * to it.
 *
 * Threads: engine_create/start/stop/destroy and every other function here
 * belong to the control thread (engine.c).  The RT thread is private to
 * engine_rt.c and engine_recover.c; the two sides meet only through SPSC rings (events out,
 * retired pipelines back), one pointer (the next pipeline, transition.h),
 * one word (the master gain) and relaxed atomic counters. */
#ifndef DSPD_ENGINE_H
#define DSPD_ENGINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "meter.h"
#include "load_hist.h"
#include "pcm.h"

enum eng_state {
	ENG_STARTING,
	ENG_RUNNING,
	ENG_RECOVERING,
	ENG_STOPPED,
	ENG_WAITING,         /* a device is gone: the RT thread has ended,
	                        engine_reopen() brings it back */
	ENG_STALLED,         /* a device stopped moving: re-synced after a
	                        timeout, no period through since; after
	                        ENG_STALL_LIMIT timeouts in a row it is treated
	                        as gone (ENG_WAITING) */
};

/* Consecutive period timeouts (each one io timeout long: 10 buffers, at
 * least 2 s) after which a device that re-syncs but never moves (a JACK
 * PCM whose server died, a hung driver) is closed and reopened as a lost
 * one.  A period that gets through resets the count. */
#define ENG_STALL_LIMIT 3

#define ENG_XRUN_LOG 32
#define ENG_PEAK_HOLD_MS 2000.0   /* levels: peak_hold_dbfs covers this long */

enum eng_xrun_cause {
	ENG_XRUN_PIPE,       /* overrun / underrun (-EPIPE) */
	ENG_XRUN_SUSPEND,    /* -ESTRPIPE, resumed */
	ENG_XRUN_TIMEOUT,    /* the device stopped moving */
	ENG_XRUN_ERROR,      /* any other I/O error */
	ENG_XRUN_LOST,       /* the device is gone (or recovery kept failing):
	                        the engine waits for it (ENG_WAITING) */
	ENG_XRUN_LATE,       /* a pipeline worker was late: the period was
	                        played as silence, the streams kept going */
};

struct eng_xrun {
	uint32_t directions;      /* bit 0 capture, bit 1 playback */
	int32_t cause;            /* enum eng_xrun_cause */
	int32_t error;            /* the negative errno that triggered it */
	uint64_t frames_lost;     /* estimated from the clock */
	uint64_t monotonic_ns;    /* CLOCK_MONOTONIC when detected */
	int64_t realtime_ns;      /* CLOCK_REALTIME when detected */
	char block[CFG_NAME_MAX]; /* ENG_XRUN_LATE: the block it waited for */
};

/* The clocks' state (rate_ctl.h), as the RT thread last published it. */
struct eng_rate {
	double adjust;            /* correction in use: capture clock vs playback, a fraction */
	double ratio;             /* the resampler's output frames per input frame */
	double level;             /* capture -> playback latency, frames (window mean) */
	double level_min, level_max;  /* since the streams last started */
	double target;            /* the latency held, frames */
	bool clamped;             /* the correction is at rate_adjust.max_ppm */
	uint64_t updates;         /* windows so far */
};

/* Where both devices are, read back to back by the RT thread: frames the
 * capture has captured and the playback has played since the engine
 * started (xruns and parks make them jump: a new `epoch`).  Their ratio
 * over a window is the capture's real rate against the playback clock. */
struct eng_positions {
	uint64_t capture, playback;
	uint64_t ns;              /* CLOCK_MONOTONIC when read */
	uint32_t epoch;           /* bumped at every re-sync, park and resume */
	bool valid;               /* both streams live, positions read */
};

struct eng_status {
	enum eng_state state;
	unsigned rate, period_frames, periods;
	const struct pcm_stream *capture, *playback;
	uint64_t captured, processed, played, dropped;
	uint64_t xruns_capture, xruns_playback, resyncs;
	unsigned latency_frames;
	bool rt;
	int rt_priority;
	bool mlock;
	double load_last, load_avg, load_max;    /* busy time / period time */
	struct load_percentiles busy;  /* per-period busy time, last 10 s */
	unsigned threads;         /* the pipeline's workers, the RT thread included */
	bool workers_rt;          /* the other workers run SCHED_FIFO */
	uint64_t late_periods;    /* periods played as silence: a worker was late */
	/* each worker's share of the periods' work, last 10 s */
	struct load_percentiles worker_busy[CFG_MAX_THREADS];
	double gain_db;
	bool mute;
	double ramp_ms;
	double max_db;            /* the volume ceiling (volume.max_db) */
	uint64_t clipped_capture, clipped_playback;  /* all channels, since start */
	uint64_t events_lost;     /* meter/xrun events the RT thread could not queue */
	uint64_t losses;          /* times a device was lost */
	uint64_t stall_losses;    /* ... of them, after ENG_STALL_LIMIT timeouts */
	unsigned stall_timeouts;  /* consecutive timeouts now (ENG_STALLED) */
	uint64_t reopens;         /* times the devices were opened again */
	bool resampling;          /* capture goes through the resampler */
	bool rate_adjust;         /* ... steered by the clocks' control loop */
	bool pitch;               /* the loop steers the capture clock instead */
	unsigned capture_rate, capture_period;
	double resampler_delay;   /* output frames, part of latency_frames */
	struct eng_rate clocks;   /* when resampling */
	struct eng_positions positions;   /* the newest valid reading */
	uint32_t positions_epoch;         /* the epoch now (valid or not) */
};

struct engine;

/* Open both devices and allocate everything the RT thread will touch.
 * On failure returns -errno with a message in err. */
int engine_create(struct engine **ret, const struct dspd_config *cfg,
                  char *err, size_t err_len);
/* mlockall (if configured), start the RT thread and make it SCHED_FIFO (if
 * configured).  Refused privileges are not errors: see sched_error and
 * mlock_error (0 or -errno) for the caller to report. */
int engine_start(struct engine *e, int *sched_error, int *mlock_error);
void engine_stop(struct engine *e);
/* In ENG_WAITING: close both devices, open them again with the same
 * configuration and, if they come back as they were, start the RT thread
 * again with the pipeline, volume (faded in) and counters kept.  Returns
 * 0, or -errno with err filled (the engine keeps waiting). */
int engine_reopen(struct engine *e, char *err, size_t err_len);
void engine_destroy(struct engine *e);

/* Drain the event ring: meters into the history, xruns (and device
 * losses, cause ENG_XRUN_LOST) into the log.  For every new one, on_xrun
 * (may be NULL) is called.  Call every ~10 ms. */
void engine_poll(struct engine *e,
                 void (*on_xrun)(const struct eng_xrun *x, void *data),
                 void *data);

void engine_status(struct engine *e, struct eng_status *out);
struct pipeline;
struct transition_status;
/* The newest pipeline (running or about to), read-only: its blocks'
 * counters are atomics.  Valid until the next engine_submit_pipeline(). */
const struct pipeline *engine_pipeline(const struct engine *e);
/* The master volume as blocks that follow it read it (pipeline_build). */
const _Atomic float *engine_master_linear(const struct engine *e);
/* Replace the pipeline without a gap: p (built for this engine's channels,
 * period and rate, p->plan filled) is warmed up and crossfaded in by the
 * RT thread (transition.h); the engine owns it from here.  Returns its
 * generation. */
uint64_t engine_submit_pipeline(struct engine *e, struct pipeline *p);
void engine_transition_status(struct engine *e, struct transition_status *out);
/* The ramp engine_set_gain uses when given ramp_ms < 0. */
void engine_set_default_ramp(struct engine *e, double ramp_ms);
/* The configuration the engine runs (valid until engine_destroy). */
const struct dspd_config *engine_config(const struct engine *e);
/* The volume ceiling: engine_set_gain never goes above max_db (the
 * master volume is lowered to it at once when it is above). */
void engine_set_ceiling(struct engine *e, double max_db);
/* Master volume: db in GAIN_DB_MIN..GAIN_DB_MAX, ramp_ms < 0 means the
 * configured default; a db above the ceiling is lowered to it (the
 * control plane refuses or clamps first and says so; this is the last
 * guard, for the paths that do not ask: reloads, the saved state).
 * Latest wins: the RT thread picks up the newest target at its next
 * period.  Returns 0 or -EINVAL. */
int engine_set_gain(struct engine *e, double db, bool mute, double ramp_ms);
/* Meters since *since (0 = the last window_ms); updates *since. */
void engine_levels(struct engine *e, uint64_t *since, double window_ms,
                   struct meter_reading *out);
/* Test hook (DSPD_TEST_HOOKS): worker 1.. sleeps ms before each of its
 * next `periods` periods.  0, or -EINVAL (no such worker). */
int engine_stall_worker(struct engine *e, unsigned worker, unsigned ms,
                        unsigned periods);
/* The most recent xruns, oldest first; returns how many were copied. */
unsigned engine_xrun_log(struct engine *e, struct eng_xrun *out, unsigned max);

/* Sample taps for recording: the RT thread copies the tap's interleaved
 * float frames into a lock-free ring while at least one user is recording;
 * frames that do not fit are dropped and counted, never waited for. */
void engine_tap_start(struct engine *e, enum meter_tap tap);
void engine_tap_stop(struct engine *e, enum meter_tap tap);
/* Copy up to max_samples (a multiple of the channel count) out; returns the
 * number of samples copied, always whole frames. */
uint32_t engine_tap_read(struct engine *e, enum meter_tap tap, float *out,
                         uint32_t max_samples);
uint64_t engine_tap_dropped(struct engine *e, enum meter_tap tap);
unsigned engine_tap_channels(struct engine *e, enum meter_tap tap);

/* ---- following a source, releasing the output (engine_follow.c) ----
 * dir: 0 capture, 1 playback.  A stream is live, or parked by the RT
 * thread (on request, or by itself when a followed capture fails); while
 * parked the other stream keeps running (silence in, or capture metered
 * with no output) and the control thread may close and open it. */
struct eng_stream_state {
	int state;                /* 0 live, 1 park asked, 2 parked, 3 resume asked */
	int error;                /* why the RT thread parked it itself, or 0 */
	bool open;                /* the device is open */
	uint64_t parked_ns;       /* CLOCK_MONOTONIC at the last park */
	uint64_t resumed_ns;      /* ... when the first period after the last
	                             resume went through */
	uint64_t dropped;         /* frames let go of at the last park */
};
#define ENG_STREAM_PARKED 2
int engine_park(struct engine *e, int dir);
void engine_stream_state(struct engine *e, int dir, struct eng_stream_state *out);
/* Parked capture: close it and open it again at rate (another rate needs
 * the resampler: capture.rate "follow").  0 or -errno with err filled (it
 * stays parked, closed). */
int engine_reopen_capture(struct engine *e, unsigned rate, char *err, size_t err_len);
/* Parked playback: close the device / open it again as it was. */
void engine_close_playback(struct engine *e);
int engine_open_playback(struct engine *e, char *err, size_t err_len);
/* Hand a parked, open stream back: the RT thread starts it and fades in. */
int engine_resume(struct engine *e, int dir);
/* rate_adjust.method "pitch": the correction the clocks' loop wants (the
 * capture clock's excess over the playback's, a fraction). */
double engine_pitch_adjust(struct engine *e);

const char *eng_state_name(enum eng_state s);

#endif
