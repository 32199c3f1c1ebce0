/* engine_rt.c - the RT thread: the loop engine_start() runs (see engine.h;
 * its control-thread API is engine.c).
 *
 * The RT loop, once per period:
 *     read capture -> decode [-> resample] -> meter -> pipeline -> master
 *     gain -> encode -> meter -> write playback [-> steer the resampler]
 * Playback is pre-filled with (periods - 1) periods of silence at every
 * (re)start (or rate_adjust.target_level frames when resampled), so the
 * capture -> playback latency is exactly that many frames and stays so:
 * every xrun, suspend or stalled device leads to one "resync" (drop both,
 * prepare both, prefill, start both) that restores it; a lost device ends
 * the RT thread in ENG_WAITING (engine_recover.c).
 *
 * When the capture is resampled (another rate, or two clocks), a period of
 * output pulls what it needs from the resampler, which asks for capture
 * periods as it runs short; after the write, the latency is measured and
 * the clocks' control loop (rate_ctl.h) steers the resampler's ratio.
 *
 * Everything the RT thread touches is allocated in engine_create().  The RT
 * thread makes no allocation, takes no lock, never logs; the only calls it
 * makes besides arithmetic are alsa-lib calls on its two PCMs and
 * clock_gettime (vDSO).  Sleeping happens only on the recovery path when a
 * restart failed. */
#include "engine_internal.h"
#include "delay_pair.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "cpu.h"
#include "pipeline.h"
#include "workers.h"

/* The newest master volume (graph changes come through e->graph). */
static void apply_master_gain(struct engine *e)
{
	uint64_t target = atomic_load_explicit(&e->master_target, memory_order_acquire);

	if (target != e->master_applied) {
		uint32_t ramp_frames;
		float gain = unpack_gain(target, &ramp_frames);

		gain_ramp_set(&e->master, gain, ramp_frames);
		e->master_applied = target;
	}
}

static void publish_meters(struct engine *e)
{
	struct eng_event ev;

	ev.type = ENG_EVENT_METERS;
	ev.periods = e->busy_periods;
	ev.busy_ns_sum = e->busy_sum;
	ev.busy_ns_max = e->busy_max;
	ev.busy_ns_last = e->busy_last;
	ev.u.meters = e->meter_acc;
	memset(&ev.clocks, 0, sizeof(ev.clocks));
	/* a parked capture's converter is the control thread's */
	if (engine_live(e, 0) && (e->rs || e->pitch)) {
		const struct rate_ctl *c = &e->clocks;

		ev.clocks = (struct eng_rate){
			.adjust = c->adjust, .ratio = e->rs ? resampler_ratio(e->rs) : 1.0,
			.level = c->level, .level_min = c->level_min,
			.level_max = c->level_max, .target = c->p.target,
			.clamped = c->clamped, .updates = c->updates,
		};
	}
	engine_read_positions(e, &ev.positions);
	publish(e, &ev);
	meter_block_reset(&e->meter_acc, e->capture_channels, e->playback.channels);
	e->busy_sum = e->busy_max = 0;
	e->busy_periods = 0;
}

/* Copy one period of a tap point, interleaved, into its ring: all of it
 * or (no room: the control thread is behind) none of it, counted. */
static void tap_write(struct engine *e, enum meter_tap tap,
                      float *const *bufs, unsigned channels, uint32_t frames)
{
	struct ring *r = &e->taps[tap];
	uint32_t start, n = frames * channels;

	if (!atomic_load_explicit(&e->tap_on[tap], memory_order_relaxed))
		return;
	if (!ring_reserve(r, n, &start)) {
		atomic_fetch_add_explicit(&e->tap_dropped[tap], frames, memory_order_relaxed);
		return;
	}
	for (uint32_t i = 0; i < frames; i++)
		for (unsigned ch = 0; ch < channels; ch++)
			*(float *)ring_slot(r, start++) = bufs[ch][i];
	ring_commit(r, n);
}

/* How long a capture read may wait.  Following a source, a capture that
 * stalls (a gadget's host went idle, a receiver lost its signal) must not
 * take the playback down with it: the wait ends while the playback still
 * has a period queued, and the capture is parked (engine_park.c). */
static int capture_timeout_ms(struct engine *e, uint32_t frames)
{
	snd_pcm_sframes_t queued;
	int64_t ms;

	if (!e->park_on_error || !engine_live(e, 1) ||
	    snd_pcm_delay(e->playback.handle, &queued) < 0)
		return io_timeout_ms(e);
	ms = ((int64_t)queued - (int64_t)frames) * 1000 / (int64_t)e->cfg.rate;
	return ms < 1 ? 1 : (int)ms;
}

/* One period of input at the processing rate into e->work: straight from
 * the capture, or through the resampler, reading capture periods until it
 * has enough.  *io_done_ns: when the last capture read returned. */
static int take_input(struct engine *e, uint32_t frames, uint64_t *io_done_ns)
{
	const uint32_t period = (uint32_t)e->capture.period_frames;
	uint32_t done = 0;
	int r;

	if (!e->rs) {
		r = pcm_read(&e->capture, e->capture_raw, frames,
		             capture_timeout_ms(e, frames), &e->keep_going, &e->interrupt[0]);
		if (r < 0)
			return r;
		*io_done_ns = clock_ns(CLOCK_MONOTONIC);
		e->read_total += frames;
		atomic_fetch_add_explicit(&e->captured, frames, memory_order_relaxed);
		e->capture.codec->decode(e->capture_raw, e->work, e->capture.channels, frames);
		return 0;
	}
	*io_done_ns = clock_ns(CLOCK_MONOTONIC);
	while ((done += resampler_pull(e->rs, e->work, done, frames - done)) < frames) {
		r = pcm_read(&e->capture, e->capture_raw, period,
		             capture_timeout_ms(e, frames), &e->keep_going, &e->interrupt[0]);
		if (r < 0)
			return r;
		*io_done_ns = clock_ns(CLOCK_MONOTONIC);
		e->read_total += period;
		atomic_fetch_add_explicit(&e->captured, period, memory_order_relaxed);
		e->capture.codec->decode(e->capture_raw, e->capture_planes,
		                         e->capture.channels, period);
		/* cannot fail while pull keeps its promise; if it ever did,
		 * a re-sync resets the resampler */
		if (resampler_push(e->rs, (const float *const *)e->capture_planes, period) < 0)
			return -EPIPE;
	}
	return 0;
}

static int read_delay(void *ctx, int which, int64_t *ret_delay)
{
	struct engine *e = ctx;
	snd_pcm_sframes_t d;
	int r = snd_pcm_delay(which == 0 ? e->playback.handle : e->capture.handle, &d);

	*ret_delay = d;
	return r;
}

static uint64_t read_clock(void *ctx)
{
	(void)ctx;
	return clock_ns(CLOCK_MONOTONIC);
}

/* After a write: the latency now, from both devices' delays read as a
 * bracketed pair (delay_pair.h, rate_ctl.h), into the clocks' loop.  A new correction goes to the
 * resampler at once; with the "pitch" method (no resampler) it is
 * published for the control thread, which writes the clock-trim element. */
void engine_steer(struct engine *e, uint32_t frames)
{
	const struct delay_reader reader = { read_delay, read_clock, e };
	struct delay_pair pair;
	double queued, unread, level;

	if (!e->rs && !e->pitch)
		return;
	if (delay_pair_read(&reader, DELAY_PAIR_MAX_NS, DELAY_PAIR_MAX_DRIFT, &pair) < 0)
		return;         /* an xrun: the next transfer reports it */
	queued = (double)pair.playback;
	unread = (double)pair.capture;
	if (e->rs)
		level = queued + (unread + resampler_held(e->rs)) * resampler_ratio(e->rs);
	else
		level = queued + unread;
	if (!rate_ctl_measure(&e->clocks, level, frames))
		return;
	if (e->rs)
		resampler_set_adjust(e->rs, e->clocks.adjust);
	else
		atomic_store_explicit(&e->pitch_adjust, e->clocks.adjust, memory_order_relaxed);
}

/* The first period through after a stream came back: when the switch
 * or the wake-up ended, for the control thread to report. */
static void stamp_first_period(struct engine *e, int dir)
{
	if (e->await_first[dir]) {
		e->await_first[dir] = false;
		atomic_store_explicit(&e->resumed_ns[dir], clock_ns(CLOCK_MONOTONIC),
		                      memory_order_release);
	}
}

/* The rows to work in this period: while a late run still holds the
 * current set, the other one. */
static void choose_work_rows(struct engine *e)
{
	if (e->work_held >= 0 && workers_idle(e->pool))
		e->work_held = -1;
	if (e->work_held != (int)e->work_cur)
		return;
	e->work_cur ^= 1;
	memcpy(e->work, e->work_set[e->work_cur], sizeof(e->work_set[0]));
}

/* How long the workers may take: until the playback would run dry, less
 * a millisecond to encode and write (one period if the delay is unknown). */
static uint64_t workers_deadline(struct engine *e, uint64_t now)
{
	uint64_t period_ns = (uint64_t)e->playback.period_frames * 1000000000u / e->cfg.rate;
	snd_pcm_sframes_t queued;
	uint64_t left;

	if (!engine_live(e, 1) || snd_pcm_delay(e->playback.handle, &queued) < 0 ||
	    queued <= 0)
		return now + period_ns;
	left = (uint64_t)queued * 1000000000u / e->cfg.rate;
	left = left > 1000000u ? left - 1000000u : 0;
	return now + (left > period_ns / 4 ? left : period_ns / 4);
}

/* A period whose pipeline run was late (-ETIMEDOUT) or could not start
 * (-EBUSY: an earlier late run still holds the pool): counted and played
 * as silence.  Late periods in a row are one episode, reported (like an
 * xrun, with the block waited for) when it ends. */
static void note_late_period(struct engine *e, int r)
{
	struct eng_xrun *x = &e->late;

	if (r == -ETIMEDOUT)
		e->work_held = (int)e->work_cur;
	if (x->frames_lost == 0) {
		memset(x, 0, sizeof(*x));
		x->directions = 2;      /* the output is what suffers */
		x->cause = ENG_XRUN_LATE;
		x->error = r;
		x->monotonic_ns = clock_ns(CLOCK_MONOTONIC);
		x->realtime_ns = (int64_t)clock_ns(CLOCK_REALTIME);
		snprintf(x->block, sizeof(x->block), "%s", transition_late_block(&e->graph));
	}
	x->frames_lost += e->playback.period_frames;
	atomic_fetch_add_explicit(&e->late_periods, 1, memory_order_relaxed);
}

/* The first whole period after late ones: the episode's report. */
static void end_late_episode(struct engine *e)
{
	struct eng_event ev = { .type = ENG_EVENT_XRUN };

	ev.u.xrun = e->late;
	publish(e, &ev);
	e->late.frames_lost = 0;
}

/* Each worker's share of the period that just ran (after a whole run). */
static void add_worker_busy(struct engine *e)
{
	unsigned n = workers_count(e->pool);

	for (unsigned k = 0; k < n && k < CFG_MAX_THREADS; k++) {
		uint64_t total = workers_busy_total_ns(e->pool, k);

		load_hist_add(&e->worker_hist[k], total - e->worker_seen_ns[k]);
		e->worker_seen_ns[k] = total;
	}
}

/* The pipeline over e->work: on the workers if any.  The rows to play:
 * e->work, or silence when the run was late. */
static float *const *run_pipeline(struct engine *e, uint32_t frames, uint64_t now)
{
	int r;

	if (!e->pool) {
		transition_process(&e->graph, NULL, e->work, frames, 0);
		return e->work;
	}
	r = workers_idle(e->pool)
	    ? transition_process(&e->graph, e->pool, e->work, frames,
	                         workers_deadline(e, now))
	    : -EBUSY;
	if (r < 0) {
		note_late_period(e, r);
		return e->zero_rows;
	}
	add_worker_busy(e);
	if (e->late.frames_lost)
		end_late_episode(e);
	return e->work;
}

static int run_period(struct engine *e, int *failed_dir)
{
	const uint32_t frames = (uint32_t)e->playback.period_frames;
	const uint32_t all = UINT32_MAX;
	bool capture_live, playback_live;
	uint64_t start;
	int r;

	float *const *out;

	engine_park_service(e);
	if (e->pool)
		choose_work_rows(e);
	capture_live = engine_live(e, 0);
	playback_live = engine_live(e, 1);
	if (capture_live) {
		r = take_input(e, frames, &start);
	} else {
		r = engine_parked_input(e, frames);
		start = clock_ns(CLOCK_MONOTONIC);
	}
	if (r < 0) {
		*failed_dir = capture_live ? 0 : 1;
		return r;
	}
	apply_master_gain(e);

	meter_block_add(&e->meter_acc, METER_TAP_CAPTURE,
	                (const float *const *)e->work, frames,
	                capture_live ? e->capture.codec->clip_level : 0.0f);
	tap_write(e, METER_TAP_CAPTURE, e->work, e->capture_channels, frames);
	out = run_pipeline(e, frames, start);
	if (out == e->work)
		gain_ramp_process(&e->master, e->work, e->work_channels, all, frames);
	tap_write(e, METER_TAP_PLAYBACK, out, e->playback.channels, frames);
	atomic_fetch_add_explicit(&e->processed, frames, memory_order_relaxed);
	if (playback_live) {
		memset(e->clips, 0, sizeof(e->clips));
		e->playback.codec->encode((const float *const *)out, e->playback_raw,
		                          e->playback.channels, frames, e->clips);
	}
	meter_block_add(&e->meter_acc, METER_TAP_PLAYBACK,
	                (const float *const *)out, frames, 0.0f);
	if (playback_live) {
		meter_block_add_clips(&e->meter_acc, METER_TAP_PLAYBACK, e->clips);
		r = pcm_write(&e->playback, e->playback_raw, frames, io_timeout_ms(e),
		              &e->keep_going);
		if (r < 0) {
			*failed_dir = 1;
			return r;
		}
		e->written_total += frames;
		atomic_fetch_add_explicit(&e->played, frames, memory_order_relaxed);
		stamp_first_period(e, 1);
	}
	if (capture_live)
		stamp_first_period(e, 0);
	e->frames_since_start += frames;
	if (capture_live && playback_live)
		engine_steer(e, frames);

	e->busy_last = clock_ns(CLOCK_MONOTONIC) - start;
	load_hist_add(&e->busy_hist, e->busy_last);
	e->busy_sum += e->busy_last;
	if (e->busy_last > e->busy_max)
		e->busy_max = e->busy_last;
	e->busy_periods++;
	if (e->meter_acc.frames >= e->cfg.rate / 100)
		publish_meters(e);
	return 0;
}

void *engine_rt_main(void *arg)
{
	struct engine *e = arg;
	int r, dir = 0;

	cpu_flush_denormals();
	meter_block_reset(&e->meter_acc, e->capture_channels, e->playback.channels);
	e->capture_started_ns = clock_ns(CLOCK_MONOTONIC);
	e->frames_since_start = 0;
	e->await_first[0] = e->await_first[1] = true;   /* stamp resumed_ns */
	e->timeouts_in_row = 0;
	/* a late episode the last stop cut short ends here, reported now */
	if (e->late.frames_lost)
		end_late_episode(e);
	atomic_store_explicit(&e->stall_timeouts, 0, memory_order_relaxed);
	r = engine_restart_streams(e);
	if (r < 0 && engine_recover(e, r, 0) < 0)
		return NULL;            /* waiting for the devices */
	atomic_store_explicit(&e->state, ENG_RUNNING, memory_order_relaxed);
	while (atomic_load_explicit(&e->keep_going, memory_order_relaxed)) {
		r = run_period(e, &dir);
		if (r == 0)
			engine_note_progress(e);
		if (r == -ECANCELED)
			break;
		/* a followed source stopping or changing rate shows up as
		 * any error of the capture (aloop: -EBADFD after its stop):
		 * the follower opens it again (source.c) */
		if (r == -EINTR || (r < 0 && dir == 0 && e->park_on_error)) {
			engine_park_now(e, 0, r == -EINTR ? 0 : r);
			continue;
		}
		if (r < 0 && engine_recover(e, r, dir) < 0)
			return NULL;    /* waiting for the devices */
	}
	if (engine_live(e, 0))
		snd_pcm_drop(e->capture.handle);
	if (engine_live(e, 1))
		snd_pcm_drop(e->playback.handle);
	atomic_store_explicit(&e->state, ENG_STOPPED, memory_order_relaxed);
	return NULL;
}
