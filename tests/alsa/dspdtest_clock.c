/* dspdtest_clock.c - dspdtest's simulated hardware: a sound card whose
 * capture and playback run on their own stream clocks (dspdtest_timebase.c:
 * device time, speed, ppm).  Owns the shared clock origin t0 and the counter
 * label G, the hardware position of a run (floor(elapsed * rate) on the
 * stream clock from its start), xrun detection and counting (once per run),
 * and the timerfd that makes the poll descriptor level-triggered like a
 * kernel PCM's (wake-up times converted back to CLOCK_MONOTONIC).  A
 * suspended instance's clock stands still (run_now()); device events
 * (vanish, suspend, jump, ppm: dspdtest_device.c) are applied before
 * readiness is read.
 *
 * Called from the ioplug callbacks on the application's thread; takes
 * shared.lock itself where it touches shared counters, except
 * shared_origin_set() and shared_global_frame(), whose caller holds it. */
#include <errno.h>
#include <poll.h>
#include <sys/timerfd.h>
#include <time.h>

#include "dspdtest.h"

#define NSEC_PER_SEC 1000000000ull
#define WAKE_NOW 1ull           /* an absolute time long past */
#define WAKE_NEVER 0ull         /* disarms the timer */

/* ---- frames and ns ----------------------------------------------------- */

/* floor(ns * rate / 1e9) without overflow. */
static uint64_t frames_in_ns(uint64_t ns, unsigned int rate)
{
	return (ns / NSEC_PER_SEC) * rate + (ns % NSEC_PER_SEC) * rate / NSEC_PER_SEC;
}

/* round(ns * rate / 1e9). */
static int64_t frames_in_ns_rounded(uint64_t ns, unsigned int rate)
{
	return (int64_t)((ns / NSEC_PER_SEC) * rate +
			 ((ns % NSEC_PER_SEC) * rate + NSEC_PER_SEC / 2) / NSEC_PER_SEC);
}

/* Smallest ns with frames_in_ns(ns, rate) >= frames. */
static uint64_t ns_for_frames(uint64_t frames, unsigned int rate)
{
	uint64_t rest = frames % rate;
	return (frames / rate) * NSEC_PER_SEC + (rest * NSEC_PER_SEC + rate - 1) / rate;
}

void shared_origin_set(const struct clock_reading *now)
{
	if (shared.have_origin)
		return;
	shared.have_origin = true;
	shared.origin = *now;
}

int64_t shared_global_frame(const struct dspdtest *t, uint64_t stream_ns)
{
	return frames_in_ns_rounded(stream_ns - shared.origin.stream_ns[stream_dir(t)],
				    t->io.rate);
}

/* ---- runs and xruns ---------------------------------------------------- */

uint64_t run_elapsed(const struct dspdtest *t, uint64_t now_ns)
{
	return frames_in_ns(now_ns - t->run_start_ns, t->io.rate);
}

uint64_t run_now(const struct dspdtest *t)
{
	if (t->suspended)
		return t->suspended_ns;
	if (t->hung)            /* frozen at the hang, or at a later start */
		return t->hung_ns > t->run_start_ns ? t->hung_ns : t->run_start_ns;
	return t->halted ? t->halted_ns : stream_now_ns(stream_dir(t));
}

bool xrun_condition(const struct dspdtest *t, uint64_t elapsed)
{
	if (is_capture(t))
		return elapsed > t->run_frames + t->io.buffer_size;
	return elapsed > t->run_frames;
}

/* Count the xrun of this run once, the moment anyone notices it. */
static void note_xrun(struct dspdtest *t)
{
	if (t->xrun_seen)
		return;
	t->xrun_seen = true;
	pthread_mutex_lock(&shared.lock);
	if (is_capture(t))
		shared.capture.overruns++;
	else
		shared.playback.underruns++;
	pthread_mutex_unlock(&shared.lock);
}

int64_t run_position(struct dspdtest *t)
{
	uint64_t elapsed = run_elapsed(t, run_now(t));

	if (t->xrun_seen || xrun_condition(t, elapsed)) {
		note_xrun(t);
		return -EPIPE;
	}
	return (int64_t)elapsed;
}

/* An xrun that happened before the application noticed still counts, as
 * on real hardware; running dry at the end of a drain does not. */
void run_end(struct dspdtest *t)
{
	if (!t->run_active)
		return;
	if (t->io.state != SND_PCM_STATE_DRAINING &&
	    xrun_condition(t, run_elapsed(t, run_now(t))))
		note_xrun(t);
	t->run_active = false;
}

static void timer_set(struct dspdtest *t, uint64_t abs_ns)
{
	struct itimerspec its = {
		.it_value = {
			.tv_sec = (time_t)(abs_ns / NSEC_PER_SEC),
			.tv_nsec = (long)(abs_ns % NSEC_PER_SEC),
		},
	};

	timerfd_settime(t->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

void wakeup_now(struct dspdtest *t)
{
	timer_set(t, WAKE_NOW);
}

/* Frames the application may transfer now (run_position() result). */
static uint64_t run_avail(const struct dspdtest *t, uint64_t elapsed)
{
	if (is_capture(t))
		return elapsed - t->run_frames;
	return t->io.buffer_size - (t->run_frames - elapsed);
}

/* When t becomes ready (or must report POLLERR) in state: a time on its
 * stream clock, WAKE_NOW or WAKE_NEVER. */
static uint64_t wakeup_time(const struct dspdtest *t, snd_pcm_state_t state)
{
	uint64_t target;

	switch (state) {
	case SND_PCM_STATE_RUNNING:
		if (is_capture(t)) {
			target = t->run_frames + t->avail_min;
		} else {
			if (t->run_frames + t->avail_min <= t->io.buffer_size)
				return WAKE_NOW;
			target = t->run_frames + t->avail_min - t->io.buffer_size;
		}
		return t->run_start_ns + ns_for_frames(target, t->io.rate);
	case SND_PCM_STATE_DRAINING:
		if (!is_capture(t))
			return t->run_start_ns + ns_for_frames(t->run_frames, t->io.rate);
		return WAKE_NOW;
	case SND_PCM_STATE_PREPARED:
		if (is_capture(t) ||
		    t->io.buffer_size - t->run_frames < t->avail_min)
			return WAKE_NEVER;
		return WAKE_NOW;
	case SND_PCM_STATE_PAUSED:
		return WAKE_NEVER;
	default:        /* XRUN, SUSPENDED, DISCONNECTED, SETUP: POLLERR */
		return WAKE_NOW;
	}
}

/* So the fd behaves level-triggered like a kernel PCM's.  Under
 * shared.lock, so that a device event or a clock change (ppm, jump: made
 * under shared.lock too, then every poller woken) cannot slip in between
 * the check or the conversion to CLOCK_MONOTONIC and the arming, and
 * leave a poller asleep. */
void wakeup_arm(struct dspdtest *t, snd_pcm_state_t state)
{
	uint64_t at;

	pthread_mutex_lock(&shared.lock);
	at = device_event_pending(t) ? WAKE_NOW : wakeup_time(t, state);
	if (t->hung && at != WAKE_NOW)
		at = WAKE_NEVER;        /* its clock never gets there */
	if (at != WAKE_NOW && at != WAKE_NEVER)
		at = stream_to_monotonic(stream_dir(t), at);
	timer_set(t, at);
	pthread_mutex_unlock(&shared.lock);
}

/* Readiness from the clock; the timerfd only wakes the poller up. */
unsigned short ready_events(struct dspdtest *t)
{
	unsigned short ready = is_capture(t) ? POLLIN : POLLOUT;
	int64_t pos;

	if (device_check(t) < 0)
		return POLLERR;         /* the state is set: snd_pcm_wait says why */
	switch (t->io.state) {
	case SND_PCM_STATE_RUNNING:
		pos = run_position(t);
		if (pos < 0) {
			snd_pcm_ioplug_set_state(&t->io, SND_PCM_STATE_XRUN);
			return POLLERR;
		}
		return run_avail(t, (uint64_t)pos) >= t->avail_min ? ready : 0;
	case SND_PCM_STATE_DRAINING:
		/* snd_pcm_poll: a draining capture is ready, POLLERR once
		 * nothing is left (aloop's stop: snd_pcm_wait says -EIO) */
		if (is_capture(t))
			return run_elapsed(t, run_now(t)) > t->run_frames ?
			       ready : ready | POLLERR;
		if (run_elapsed(t, run_now(t)) >= t->run_frames)
			return ready;
		return 0;
	case SND_PCM_STATE_PREPARED:
		if (!is_capture(t) &&
		    t->io.buffer_size - t->run_frames >= t->avail_min)
			return ready;
		return 0;
	case SND_PCM_STATE_PAUSED:
		return 0;
	default:
		return POLLERR;
	}
}
