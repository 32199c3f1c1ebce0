/* engine_park.c - letting go of one stream while the other keeps running,
 * and taking it back (RT thread side; the control side is engine_follow.c).
 *
 * The capture is parked when a followed source stops or changes its rate
 * (the control thread then opens it again, at the new rate) and, with
 * source following on, when it fails (instead of a re-sync that would
 * restart the playback too).  The playback is parked when the output is
 * released after a long silence (its device is closed so that the DAC and
 * the amplifier can sleep).
 *
 * While the capture is parked, each period is silence through the
 * pipeline (filter tails ring out, nothing clicks), written to the
 * playback paced so that its queue stays at the latency target: when the
 * capture comes back, the latency is what it was.  While the playback is
 * parked the capture still paces the loop and is metered, so a signal
 * can wake the output.  With both parked the loop sleeps a period at a
 * time.
 *
 * Hand-over rule (enum eng_park): the control thread touches a stream's
 * handle, buffers and converter only while it is ENG_PARKED; this side
 * only while it is ENG_LIVE.  Immutable fields (channels, the playback's
 * period) are read by both.  RT thread only: no allocation, no lock, no
 * logging; sleeping only while a stream is parked. */
#include "engine_internal.h"

#include <errno.h>
#include <math.h>
#include <time.h>

static struct pcm_stream *stream_of(struct engine *e, int dir)
{
	return dir == 0 ? &e->capture : &e->playback;
}

static void sleep_frames(struct engine *e, uint64_t frames)
{
	uint64_t ns = frames * 1000000000ull / e->cfg.rate;
	struct timespec t = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };

	clock_nanosleep(CLOCK_MONOTONIC, 0, &t, NULL);
}

void engine_park_now(struct engine *e, int dir, int err)
{
	struct pcm_stream *s = stream_of(e, dir);
	snd_pcm_sframes_t n = 0;
	uint64_t dropped = 0;

	/* where the run ended: a followed capture's rate is measured up
	 * to here (source.c) */
	engine_publish_positions(e);
	if (dir == 0) {
		/* captured but never read, and what the converter held */
		/* (a stopped stream holds nothing; an overrun a buffer) */
		snd_pcm_state_t state = snd_pcm_state(s->handle);

		if ((state == SND_PCM_STATE_RUNNING || state == SND_PCM_STATE_DRAINING ||
		     state == SND_PCM_STATE_XRUN) && (n = snd_pcm_avail(s->handle)) > 0)
			dropped = (uint64_t)n < s->buffer_frames ? (uint64_t)n : s->buffer_frames;
		if (e->rs && resampler_held(e->rs) > 0.0)
			dropped += (uint64_t)lround(resampler_held(e->rs));
	} else if (snd_pcm_delay(s->handle, &n) == 0 && n > 0) {
		/* queued, never played */
		dropped = (uint64_t)n < s->buffer_frames ? (uint64_t)n : s->buffer_frames;
	}
	snd_pcm_drop(s->handle);
	e->epoch++;
	atomic_fetch_add_explicit(&e->dropped, dropped, memory_order_relaxed);
	atomic_store_explicit(&e->park_dropped[dir], dropped, memory_order_relaxed);
	atomic_store_explicit(&e->park_error[dir], err, memory_order_relaxed);
	atomic_store_explicit(&e->parked_ns[dir], clock_ns(CLOCK_MONOTONIC),
	                      memory_order_relaxed);
	atomic_store_explicit(&e->interrupt[dir], false, memory_order_relaxed);
	e->await_first[dir] = false;
	atomic_store_explicit(&e->park[dir], ENG_PARKED, memory_order_release);
}

/* Fade the output in from silence to the master volume's target. */
static void fade_in(struct engine *e)
{
	e->master.current = 0.0f;
	gain_ramp_set(&e->master, e->master.target, e->fade_in_frames);
}

static void resume(struct engine *e, int dir)
{
	struct pcm_stream *s = stream_of(e, dir);
	int r = pcm_reset(s);

	if (dir == 0) {
		if (e->rs) {
			resampler_reset(e->rs);
			rate_ctl_restart(&e->clocks);
		}
		if (r == 0)
			r = snd_pcm_start(s->handle);
	} else {
		if (r == 0)
			r = pcm_write(s, e->prefill, e->prefill_frames, io_timeout_ms(e),
			              &e->keep_going);
		if (r == 0)
			e->written_total += e->prefill_frames;
		if (r == 0)
			r = snd_pcm_start(s->handle);
	}
	if (r < 0) {
		engine_park_now(e, dir, r);
		return;
	}
	e->epoch++;
	fade_in(e);
	e->await_first[dir] = true;
	/* a park asked while this thread parked it itself left this set */
	atomic_store_explicit(&e->interrupt[dir], false, memory_order_relaxed);
	atomic_store_explicit(&e->park[dir], ENG_LIVE, memory_order_release);
	engine_publish_positions(e);        /* where the new run begins */
}

void engine_park_service(struct engine *e)
{
	for (int dir = 0; dir < 2; dir++) {
		int state = atomic_load_explicit(&e->park[dir], memory_order_acquire);

		if (state == ENG_PARK_WANTED)
			engine_park_now(e, dir, 0);
		else if (state == ENG_RESUME_WANTED)
			resume(e, dir);
	}
}

int engine_parked_input(struct engine *e, uint32_t frames)
{
	snd_pcm_sframes_t queued;

	for (unsigned ch = 0; ch < e->capture_channels; ch++)
		memset(e->work[ch], 0, frames * sizeof(float));
	if (!engine_live(e, 1)) {
		sleep_frames(e, frames);
		return 0;
	}
	/* keep the playback's queue at the latency target: after this
	 * period's write it holds the prefill, as with a live capture */
	if (snd_pcm_delay(e->playback.handle, &queued) < 0)
		return 0;       /* an xrun: the write reports it */
	if ((uint64_t)queued + frames > e->prefill_frames)
		sleep_frames(e, (uint64_t)queued + frames - e->prefill_frames);
	return 0;
}
