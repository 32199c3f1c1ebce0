/* engine_recover.c - when the streams stop: the re-sync after an xrun,
 * a suspend or a stall (RT thread), the escalation to ENG_WAITING when a
 * device is gone, the re-sync keeps failing, or the device keeps timing
 * out after re-syncs that succeed (ENG_STALLED, then ENG_WAITING at
 * ENG_STALL_LIMIT timeouts in a row: a JACK PCM whose server died re-syncs
 * fine and never moves again; only a new handle works).  RT thread only (opening
 * the devices again is engine_streams.c's and engine.c's).
 * See engine.h for the states and engine_internal.h for the shared state. */
#include "engine_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>

#define RESTART_ATTEMPTS 6       /* 10+20+...+320 ms, then wait for the device */

/* ---- RT thread ------------------------------------------------------- */

int engine_restart_streams(struct engine *e)
{
	uint64_t before;
	int r;

	bool capture_live = engine_live(e, 0), playback_live = engine_live(e, 1);

	/* a parked stream is the control thread's: leave it alone */
	if ((capture_live && (r = pcm_reset(&e->capture)) < 0) ||
	    (playback_live && (r = pcm_reset(&e->playback)) < 0))
		return r;
	if (capture_live && e->rs) {
		resampler_reset(e->rs);
		rate_ctl_restart(&e->clocks);
	}
	if (capture_live && e->pitch)
		rate_ctl_restart(&e->clocks);
	e->epoch++;
	if (playback_live) {
		r = pcm_write(&e->playback, e->prefill, e->prefill_frames,
		              io_timeout_ms(e), &e->keep_going);
		if (r < 0)
			return r;
		e->written_total += e->prefill_frames;
	}
	/* capture first: the playback clock then starts no earlier, so the
	 * latency is the prefill plus at most the few microseconds between */
	before = clock_ns(CLOCK_MONOTONIC);
	if (capture_live && (r = snd_pcm_start(e->capture.handle)) < 0)
		return r;
	/* the device started somewhere in between */
	e->capture_started_ns = before + (clock_ns(CLOCK_MONOTONIC) - before) / 2;
	e->frames_since_start = 0;
	if (playback_live && (!e->linked || !capture_live) &&
	    (r = snd_pcm_start(e->playback.handle)) < 0)
		return r;
	return 0;
}

/* One more period timeout without a period through since the last. */
unsigned engine_note_timeout(struct engine *e)
{
	e->timeouts_in_row++;
	atomic_store_explicit(&e->stall_timeouts, e->timeouts_in_row, memory_order_relaxed);
	return e->timeouts_in_row;
}

/* A period got through: a stalled device moves again. */
void engine_note_progress(struct engine *e)
{
	if (!e->timeouts_in_row)
		return;
	e->timeouts_in_row = 0;
	atomic_store_explicit(&e->stall_timeouts, 0, memory_order_relaxed);
	atomic_store_explicit(&e->state, ENG_RUNNING, memory_order_relaxed);
}

static enum eng_xrun_cause xrun_cause(int err)
{
	switch (err) {
	case -EPIPE: return ENG_XRUN_PIPE;
	case -ESTRPIPE: return ENG_XRUN_SUSPEND;
	case -ETIMEDOUT: return ENG_XRUN_TIMEOUT;
	default: return ENG_XRUN_ERROR;
	}
}

/* Errors after which the device is not coming back by itself: a USB card
 * unplugged or powered off, a driver gone. */
bool engine_device_gone(int err)
{
	return err == -ENODEV || err == -ENXIO || err == -EBADFD || err == -EIO ||
	       err == -ESHUTDOWN;
}

/* Give up on the devices: tell the control thread, which reopens them
 * (engine_reopen).  The RT thread ends after this. */
static void lose_devices(struct engine *e, struct eng_event *ev)
{
	ev->u.xrun.cause = ENG_XRUN_LOST;
	ev->u.xrun.frames_lost = 0;
	atomic_fetch_add_explicit(&e->losses, 1, memory_order_relaxed);
	publish(e, ev);
	atomic_store_explicit(&e->state, ENG_WAITING, memory_order_release);
}

/* Retries a failing restart with bounded exponential backoff; a device
 * that is gone, or a restart that keeps failing, ends in lose_devices(). */
int engine_recover(struct engine *e, int err, int dir)
{
	struct pcm_stream *other = dir == 0 ? &e->playback : &e->capture;
	bool other_live = engine_live(e, 1 - dir);
	struct eng_event ev = { .type = ENG_EVENT_XRUN };
	struct eng_xrun *x = &ev.u.xrun;
	long backoff_ms = 10;
	unsigned attempts = 0;
	uint64_t old_start_ns, frames_read, restarted_ns;
	int r;

	atomic_store_explicit(&e->state, ENG_RECOVERING, memory_order_relaxed);
	x->directions = 1u << dir;
	/* snd_pcm_avail() updates the hw pointer, so it sees an xrun the
	 * other stream has had but not reported yet */
	if (other_live && snd_pcm_avail(other->handle) == -EPIPE)
		x->directions |= 1u << (1 - dir);
	x->cause = xrun_cause(err);
	x->error = err;
	x->monotonic_ns = clock_ns(CLOCK_MONOTONIC);
	x->realtime_ns = (int64_t)clock_ns(CLOCK_REALTIME);
	if (engine_device_gone(err)) {
		lose_devices(e, &ev);
		return -ENODEV;
	}
	if (err == -ETIMEDOUT &&
	    engine_note_timeout(e) >= ENG_STALL_LIMIT) {
		atomic_fetch_add_explicit(&e->stall_losses, 1, memory_order_relaxed);
		lose_devices(e, &ev);
		return -ENODEV;
	}
	old_start_ns = e->capture_started_ns;
	frames_read = e->frames_since_start;
	while ((r = engine_restart_streams(e)) < 0 &&
	       atomic_load_explicit(&e->keep_going, memory_order_relaxed)) {
		struct timespec pause = { backoff_ms / 1000, (backoff_ms % 1000) * 1000000 };

		if (engine_device_gone(r) || ++attempts >= RESTART_ATTEMPTS) {
			x->error = r;
			lose_devices(e, &ev);
			return -ENODEV;
		}
		clock_nanosleep(CLOCK_MONOTONIC, 0, &pause, NULL);
		backoff_ms *= 2;
	}
	/* every frame the device captured between the two starts that did
	 * not reach playback (never read, or read but refused by playback)
	 * is a frame the listener lost */
	restarted_ns = e->capture_started_ns;
	x->frames_lost = (restarted_ns - old_start_ns) * e->cfg.rate / 1000000000u;
	x->frames_lost = x->frames_lost > frames_read ? x->frames_lost - frames_read : 0;
	if (!engine_live(e, 0))
		x->frames_lost = 0;     /* no capture to lose frames of */
	for (int d = 0; d < 2; d++)
		if (x->directions & (1u << d))
			atomic_fetch_add_explicit(&e->xruns[d], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&e->dropped, x->frames_lost, memory_order_relaxed);
	atomic_fetch_add_explicit(&e->resyncs, 1, memory_order_relaxed);
	publish(e, &ev);
	/* stalled until a period gets through (engine_note_progress) */
	atomic_store_explicit(&e->state, e->timeouts_in_row ? ENG_STALLED : ENG_RUNNING,
	                      memory_order_relaxed);
	return 0;
}
