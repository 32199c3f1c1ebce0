/* dspdtest_device.c - the simulated card as a whole: whether it is plugged
 * in (vanish / return), its power state (suspend / resume) and its clocks
 * (jump, ppm), plus the list of open instances so that an event can wake
 * every poller at once.
 *
 * The commands (device_vanish() ... device_set_ppm(), run by the control
 * file on whatever thread polled it) only change shared.device or the time
 * base under shared.lock and arm every registered instance's timerfd,
 * which is safe from any thread.  Each instance applies the events to
 * itself on its own thread, in its callbacks, through device_check(): it
 * compares the shared event counts with the ones it has handled
 * (t->*_seen); clock changes need no such step, the clock is read anew.
 *
 *   vanish   every PCM open at that moment is disconnected for good, like
 *            the handles of an unplugged USB card; opens fail with -ENODEV
 *            until the vanish ends (by time or "return").
 *   suspend  running and prepared PCMs go SUSPENDED when they notice; the
 *            clock of a suspended PCM stands still at the suspend moment,
 *            and resume() continues the run from there (the counter jumps
 *            by the time spent suspended: one gap).
 *   hang     every PCM open at that moment stops moving for good, with
 *            no error, like a JACK PCM whose server died: its clock
 *            stands still (no xrun, never ready), prepare and start
 *            succeed and nothing moves; PCMs opened later work.
 *   jump     device time leaps ahead (dspdtest_timebase.c), so the
 *            positions of running runs and G leap, and xruns follow as
 *            after a stall; a suspended PCM's clock stands still.
 *   ppm      one stream clock changes its rate from now on, continuous.
 * Durations (vanish, jump) are device time. */
#include <errno.h>

#include "dspdtest.h"

#define NSEC_PER_MSEC 1000000ull

/* ---- shared side (shared.lock held) ------------------------------------ */

static bool device_gone(void)
{
	struct device_state *d = &shared.device;

	if (d->gone && d->gone_until_ns && device_now_ns() >= d->gone_until_ns)
		d->gone = false;
	return d->gone;
}

static void device_wake_all(void)
{
	for (struct dspdtest *t = shared.device.instances; t; t = t->next_instance)
		wakeup_now(t);
}

static bool device_disconnected(const struct dspdtest *t)
{
	return shared.device.stats.vanishes != t->vanishes_seen;
}

bool device_event_pending(const struct dspdtest *t)
{
	const struct device_state *d = &shared.device;

	return device_disconnected(t) || d->stats.suspends != t->suspends_seen ||
	       d->stats.hangs != t->hangs_seen;
}

/* ---- open and close ---------------------------------------------------- */

int device_attach(struct dspdtest *t)
{
	struct device_state *d = &shared.device;
	int err = 0;

	pthread_mutex_lock(&shared.lock);
	if (device_gone()) {
		d->stats.opens_refused++;
		err = -ENODEV;
	} else {
		t->vanishes_seen = d->stats.vanishes;
		t->suspends_seen = d->stats.suspends;
		t->hangs_seen = d->stats.hangs;
	}
	pthread_mutex_unlock(&shared.lock);
	return err;
}

void device_register(struct dspdtest *t)
{
	pthread_mutex_lock(&shared.lock);
	t->next_instance = shared.device.instances;
	shared.device.instances = t;
	t->registered = true;
	pthread_mutex_unlock(&shared.lock);
}

void device_detach(struct dspdtest *t)
{
	struct dspdtest **link;

	if (!t->registered)
		return;
	pthread_mutex_lock(&shared.lock);
	for (link = &shared.device.instances; *link; link = &(*link)->next_instance) {
		if (*link == t) {
			*link = t->next_instance;
			break;
		}
	}
	t->registered = false;
	pthread_mutex_unlock(&shared.lock);
}

/* ---- commands ---------------------------------------------------------- */

void device_vanish(unsigned int ms)
{
	uint64_t now = device_now_ns();

	pthread_mutex_lock(&shared.lock);
	shared.device.stats.vanishes++;
	shared.device.gone = true;
	shared.device.gone_until_ns = ms ? now + (uint64_t)ms * NSEC_PER_MSEC : 0;
	device_wake_all();
	pthread_mutex_unlock(&shared.lock);
}

void device_return(void)
{
	pthread_mutex_lock(&shared.lock);
	shared.device.gone = false;
	pthread_mutex_unlock(&shared.lock);
}

void device_suspend(void)
{
	struct clock_reading now;

	clock_read(&now);
	pthread_mutex_lock(&shared.lock);
	shared.device.stats.suspends++;
	shared.device.suspend_at = now;
	device_wake_all();
	pthread_mutex_unlock(&shared.lock);
}

void device_hang(void)
{
	struct clock_reading now;

	clock_read(&now);
	pthread_mutex_lock(&shared.lock);
	shared.device.stats.hangs++;
	shared.device.hang_at = now;
	device_wake_all();
	pthread_mutex_unlock(&shared.lock);
}

void device_set_slow_prepare(unsigned int ms)
{
	pthread_mutex_lock(&shared.lock);
	shared.device.slow_prepare_ms = ms;
	pthread_mutex_unlock(&shared.lock);
}

void device_slow_prepare(void)
{
	unsigned int ms;

	pthread_mutex_lock(&shared.lock);
	ms = shared.device.slow_prepare_ms;
	shared.device.slow_prepare_ms = 0;
	if (ms)
		shared.device.stats.slow_prepares++;
	pthread_mutex_unlock(&shared.lock);
	if (ms)
		device_sleep_ms(ms);
}

void device_jump(unsigned int ms)
{
	uint64_t jump_ns = (uint64_t)ms * NSEC_PER_MSEC;

	pthread_mutex_lock(&shared.lock);
	shared.device.stats.jumps++;
	clock_jump(jump_ns);            /* positions and G leap with it */
	device_wake_all();
	pthread_mutex_unlock(&shared.lock);
}

void device_set_ppm(unsigned int dir, double ppm)
{
	pthread_mutex_lock(&shared.lock);
	clock_set_ppm(dir, ppm);
	device_wake_all();
	pthread_mutex_unlock(&shared.lock);
}

/* ---- one instance (its own thread) ------------------------------------- */

/* Unplugged: the run ends (no xrun), the handle is dead for good. */
static int device_disconnect(struct dspdtest *t)
{
	t->run_active = false;
	t->suspended = false;
	snd_pcm_ioplug_set_state(&t->io, SND_PCM_STATE_DISCONNECTED);
	return -ENODEV;
}

/* Stop t's clock at the suspend moment at_ns, unless it is not running
 * or prepared, or had already overrun/underrun by then. */
static void device_suspend_enter(struct dspdtest *t, uint64_t at_ns)
{
	snd_pcm_state_t state = t->io.state;

	if (state == SND_PCM_STATE_RUNNING) {
		if (at_ns < t->run_start_ns)
			at_ns = t->run_start_ns;
		if (t->xrun_seen || xrun_condition(t, run_elapsed(t, at_ns)))
			return;         /* the xrun came first */
	} else if (state != SND_PCM_STATE_PREPARED) {
		return;
	}
	t->suspended = true;
	t->suspended_ns = at_ns;
	t->suspended_from = state;
	snd_pcm_ioplug_set_state(&t->io, SND_PCM_STATE_SUSPENDED);
}

int device_check(struct dspdtest *t)
{
	bool disconnected, suspend = false;
	uint64_t suspend_ns = 0;

	pthread_mutex_lock(&shared.lock);
	disconnected = device_disconnected(t);
	if (!disconnected && shared.device.stats.hangs != t->hangs_seen) {
		t->hangs_seen = shared.device.stats.hangs;
		if (!t->hung) {
			t->hung = true;
			t->hung_ns = shared.device.hang_at.stream_ns[stream_dir(t)];
		}
	}
	if (!disconnected && shared.device.stats.suspends != t->suspends_seen) {
		t->suspends_seen = shared.device.stats.suspends;
		suspend_ns = shared.device.suspend_at.stream_ns[stream_dir(t)];
		suspend = true;
	}
	pthread_mutex_unlock(&shared.lock);
	if (disconnected)
		return device_disconnect(t);
	if (suspend)
		device_suspend_enter(t, suspend_ns);
	if (!t->suspended)
		source_check(t);
	return t->suspended ? -ESTRPIPE : 0;
}

/* The run goes on where its clock stopped; the capture counter continues
 * from the shared clock, so the time suspended is one gap. */
int device_resume(struct dspdtest *t)
{
	snd_pcm_state_t state;
	uint64_t now;

	if (device_check(t) == -ENODEV)
		return -ENODEV;
	if (!t->suspended)
		return -EBADFD;
	now = stream_now_ns(stream_dir(t));
	state = t->suspended_from;
	t->suspended = false;
	pthread_mutex_lock(&shared.lock);
	shared.device.stats.resumes++;
	if (state == SND_PCM_STATE_RUNNING) {
		t->run_start_ns += now - t->suspended_ns;
		t->run_origin = shared_global_frame(t, t->run_start_ns);
		if (is_capture(t)) {
			shared.capture.segments++;
			shared.capture.run_origin = t->run_origin + (int64_t)t->run_frames;
		}
	}
	pthread_mutex_unlock(&shared.lock);
	snd_pcm_ioplug_set_state(&t->io, state);
	wakeup_arm(t, state);
	return 0;
}
