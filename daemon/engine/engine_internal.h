/* engine_internal.h - what engine.c (the control-side API), engine_rt.c
 * (the RT loop), engine_recover.c (re-syncs, device loss: RT thread) and
 * engine_streams.c (opening the devices: control thread) share: the
 * engine's state and the small helpers both sides use.  Which thread owns
 * each member is said at the member. */
#ifndef DSPD_ENGINE_INTERNAL_H
#define DSPD_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "engine.h"
#include "gain.h"
#include "load_hist.h"
#include "rate_ctl.h"
#include "resampler.h"
#include "ring.h"
#include "transition.h"

#define LOAD_HISTORY 128

enum eng_event_type {
	ENG_EVENT_METERS,
	ENG_EVENT_XRUN,
	ENG_EVENT_POSITIONS,        /* a stream was parked or resumed: where
	                               both devices were at that moment */
};

struct eng_event {
	uint32_t type;
	uint32_t periods;           /* meters: periods the block covers */
	uint64_t busy_ns_sum;
	uint64_t busy_ns_max;
	uint64_t busy_ns_last;
	struct eng_rate clocks;     /* meters: the clocks' loop */
	struct eng_positions positions; /* meters: both devices' positions */
	union {
		struct meter_block meters;
		struct eng_xrun xrun;
	} u;
};

/* The master gain target and its ramp length packed in one word, so the RT
 * thread always reads a consistent pair, and a burst of changes costs
 * nothing: only the latest is seen. */
static inline uint64_t pack_gain(float gain, uint32_t ramp_frames)
{
	uint32_t bits;

	memcpy(&bits, &gain, sizeof(bits));
	return (uint64_t)bits << 32 | ramp_frames;
}

static inline float unpack_gain(uint64_t word, uint32_t *ramp_frames)
{
	uint32_t bits = (uint32_t)(word >> 32);
	float gain;

	memcpy(&gain, &bits, sizeof(gain));
	*ramp_frames = (uint32_t)word;
	return gain;
}

/* A stream the RT thread has let go of (engine_park.c): a followed source
 * stopped or changed rate (capture), or the output was released while the
 * input is silent (playback).  The two sides take turns: the control
 * thread may touch a stream's handle, buffers and converter only while it
 * is ENG_PARKED; the RT thread only while it is ENG_LIVE. */
enum eng_park {
	ENG_LIVE,
	ENG_PARK_WANTED,        /* control asked; RT parks at its next period */
	ENG_PARKED,             /* RT has dropped it and will not touch it */
	ENG_RESUME_WANTED,      /* control has (re)opened it; RT starts it */
};

struct engine {
	struct dspd_config cfg;
	struct pcm_stream capture, playback;
	unsigned work_channels;
	unsigned capture_channels;       /* fixed: readable while the capture is parked */
	bool linked;                     /* snd_pcm_link() accepted */
	unsigned char *capture_raw, *playback_raw, *prefill;
	snd_pcm_uframes_t prefill_frames;
	float *work_mem;
	float *work[METER_MAX_CHANNELS];
	/* the pipeline's workers (threads > 1: engine_start..engine_stop).  A
	 * late run keeps its rows: the RT thread goes on with the other set
	 * of work rows (work_set), and plays silence (zero_rows) meanwhile */
	struct workers *pool;
	float *work_mem2, *zero_mem;
	float *work_set[2][FX_MAX_CHANNELS];
	float *zero_rows[FX_MAX_CHANNELS];
	unsigned work_cur;               /* RT: the set work[] points at */
	int work_held;                   /* RT: the set a late run holds, -1: none */
	uint64_t worker_seen_ns[CFG_MAX_THREADS];   /* RT: busy totals read */
	struct load_hist worker_hist[CFG_MAX_THREADS]; /* RT adds, control samples */
	_Atomic uint64_t late_periods;
	struct eng_xrun late;            /* RT: the late periods in a row so far */
	/* capture through the resampler (NULL: straight into work) */
	struct resampler *rs;
	double resampler_delay;          /* its look-ahead, output frames */
	float *capture_mem;              /* decoded capture periods, planar */
	float *capture_planes[METER_MAX_CHANNELS];
	struct transition graph;         /* the pipeline and its changes */
	_Atomic uint64_t master_target;  /* pack_gain(), written by control */
	_Atomic float master_linear;     /* the target alone, for blocks */
	uint64_t master_applied;         /* RT thread: the last word applied */
	struct ring events;              /* RT -> control */

	pthread_t thread;
	bool thread_started;
	_Atomic bool keep_going;
	_Atomic int state;
	bool rt, mlocked;

	/* sample taps for recording (see engine_tap_start) */
	struct ring taps[METER_TAPS];
	_Atomic bool tap_on[METER_TAPS];
	_Atomic uint64_t tap_dropped[METER_TAPS];   /* frames */
	unsigned tap_users[METER_TAPS];              /* control thread only */

	/* written by the RT thread, read by anyone */
	_Atomic uint64_t captured, processed, played, dropped;
	_Atomic uint64_t xruns[2], resyncs, events_lost, losses, stall_losses;
	_Atomic unsigned stall_timeouts; /* consecutive timeouts (ENG_STALLED) */
	_Atomic double pitch_adjust;     /* "pitch": the correction to write */

	/* RT thread only */
	struct gain_ramp master;
	struct meter_block meter_acc;
	uint64_t busy_sum, busy_max, busy_last;
	uint32_t busy_periods;
	unsigned timeouts_in_row;        /* period timeouts since one got through */
	uint64_t capture_started_ns;     /* CLOCK_MONOTONIC at the last start */
	uint64_t frames_since_start;     /* played through since then */
	uint64_t clips[METER_MAX_CHANNELS];
	struct rate_ctl clocks;          /* the clocks' control loop */
	bool pitch;                      /* rate_adjust.method "pitch": the loop
	                                    runs without a resampler */

	struct load_hist busy_hist;       /* RT adds, control samples */

	/* parking (engine_park.c): index 0 capture, 1 playback */
	_Atomic int park[2];             /* enum eng_park */
	_Atomic bool interrupt[2];       /* wake a transfer waiting on it */
	_Atomic int park_error[2];       /* why RT parked it itself, or 0 */
	_Atomic uint64_t parked_ns[2];   /* CLOCK_MONOTONIC when parked */
	_Atomic uint64_t resumed_ns[2];  /* ... when the first period after a
	                                    resume went through */
	_Atomic uint64_t park_dropped[2];/* frames let go of at the last park */
	bool park_on_error;              /* a capture error parks the capture
	                                    (following a source) instead of a
	                                    re-sync of both streams */
	bool await_first[2];             /* RT: stamp resumed_ns at the next period */
	uint32_t epoch;                  /* RT: positions' epoch (eng_positions) */
	uint64_t read_total;             /* RT: capture frames ever read */
	uint64_t written_total;          /* RT: playback frames ever written
	                                    (prefill and silence included) */
	uint32_t fade_in_frames;         /* RT: the playback's fade after a resume */

	/* control thread only */
	uint64_t busy_hist_sampled_ns;   /* when load_hist_sample last ran */
	struct meter_history history;
	struct eng_xrun xrun_log[ENG_XRUN_LOG];
	uint64_t xrun_total;
	double load_last, load_avg;
	double load_hist[LOAD_HISTORY];
	unsigned load_pos;
	double gain_db;
	bool mute;
	double default_ramp_ms;
	double max_db;                   /* the volume ceiling */
	uint64_t reopens;
	struct eng_rate clocks_last;     /* the newest the RT thread published */
	struct eng_positions positions_last;  /* the newest valid one */
	uint32_t positions_epoch;        /* the newest epoch, valid or not */
};

static inline int io_timeout_ms(const struct engine *e)
{
	int buffer_ms = (int)(1000u * e->playback.buffer_frames / e->cfg.rate);

	return buffer_ms * 10 > 2000 ? buffer_ms * 10 : 2000;
}

static inline void publish(struct engine *e, struct eng_event *ev)
{
	if (!ring_push(&e->events, ev))
		atomic_fetch_add_explicit(&e->events_lost, 1, memory_order_relaxed);
}

/* ---- engine_rt.c ---- */

/* The RT thread's body (pthread_create's start routine); arg: the engine. */
void *engine_rt_main(void *arg);

/* ---- engine_streams.c (control thread) ---- */

/* Open both devices for cfg (the capture at its own rate and period when
 * resampled; at capture_rate instead, if not 0: a followed source's rate
 * now).  0 or -errno with err filled. */
int engine_open_streams(const struct dspd_config *cfg, unsigned capture_rate,
                        struct pcm_stream *capture, struct pcm_stream *playback,
                        char *err, size_t err_len);
/* The devices came back as they were first opened: the buffers, codecs
 * and pipeline still fit. */
bool engine_same_stream(const struct pcm_stream *a, const struct pcm_stream *b);

/* Both devices' positions into p (valid only while following a source
 * with both streams live).  engine_rt.c. */
void engine_read_positions(struct engine *e, struct eng_positions *p);
/* ... published on their own, at a park or a resume. */
void engine_publish_positions(struct engine *e);

/* After a period's write: measure the latency and steer the clocks
 * (resampler ratio or, with "pitch", pitch_adjust).  engine_rt.c. */
void engine_steer(struct engine *e, uint32_t frames);

/* ---- engine_park.c (RT thread) ---- */

static inline bool engine_live(const struct engine *e, int dir)
{
	return atomic_load_explicit(&e->park[dir], memory_order_acquire) == ENG_LIVE;
}

/* Top of every period: carry out what the control thread asked. */
void engine_park_service(struct engine *e);
/* Let go of stream dir now (an error, err < 0, or a request, 0). */
void engine_park_now(struct engine *e, int dir, int err);
/* One period of input while the capture is parked: silence, paced by the
 * playback so that its queue stays at the latency target (or by the clock
 * when both are parked).  0, or an error of the playback. */
int engine_parked_input(struct engine *e, uint32_t frames);

/* ---- engine_recover.c (RT thread) ---- */

/* RT thread: drop both streams, prepare, prefill playback with silence,
 * start both. */
int engine_restart_streams(struct engine *e);
/* Errors after which a device is not coming back by itself. */
bool engine_device_gone(int err);
/* RT thread: err came from direction dir (0 capture, 1 playback): count
 * it, re-sync, report.  0, or -ENODEV when the devices are lost and the RT
 * thread must end (the engine is then ENG_WAITING). */
int engine_recover(struct engine *e, int err, int dir);
/* RT thread: a period timed out (returns how many in a row now), or one
 * got through (a stalled engine runs again). */
unsigned engine_note_timeout(struct engine *e);
void engine_note_progress(struct engine *e);

#endif
