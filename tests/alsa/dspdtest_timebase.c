/* dspdtest_timebase.c - dspdtest's time: device time and the two stream
 * clocks (capture, playback), process-wide.
 *
 *   device time  D = base + (monotonic - base) * speed + jumps, where base
 *                is CLOCK_MONOTONIC at the first open of the process and
 *                jumps are the "jump MS" commands added up;
 *   stream clock S_d (d = capture, playback) is piecewise linear in D with
 *                slope 1 + ppm_d * 1e-6, continuous: a "ppm" command
 *                re-anchors S_d at the present, so no position leaps.
 *
 * Every time an instance keeps (run start, suspend moment) is on its own
 * direction's stream clock; vanish deadlines and t0 are also kept in
 * device time.  The arithmetic is exact integer arithmetic (speed in parts
 * per 1e9, slopes in parts per 1e12, 128-bit products), so every reading
 * is a non-decreasing function of CLOCK_MONOTONIC and the inverse used for
 * the timerfd wake-ups rounds up: a wake-up never comes before the stream
 * clock reaches its target.
 *
 * Thread safety: any thread.  The state below has its own mutex, a leaf:
 * it is taken inside shared.lock (or without it), never the other way
 * round, and nothing else is locked while it is held.  Readings take the
 * monotonic clock inside the lock, so they are ordered with the re-anchors
 * of clock_set_ppm().  The commands that change the clock (ppm, jump) are
 * called with shared.lock held (dspdtest_device.c), so that wakeup_arm(),
 * which converts wake-up times under shared.lock, never arms a stale time
 * after the change has woken every poller. */
#include <errno.h>
#include <math.h>
#include <time.h>

#include "dspdtest.h"

#define NSEC_PER_SEC 1000000000ull
#define SPEED_UNIT 1000000000ull        /* speed in parts per 1e9 */
#define SLOPE_UNIT 1000000000000ull     /* slope in parts per 1e12 */

typedef unsigned __int128 u128;

struct stream_clock {
	double ppm;
	double trim;                    /* the source's factor (1: none) */
	uint64_t slope;                 /* (1 + ppm * 1e-6) * SLOPE_UNIT */
	uint64_t anchor_device_ns;      /* S = anchor_stream_ns at this D */
	uint64_t anchor_stream_ns;
};

struct timebase {
	pthread_mutex_t lock;
	bool configured;
	struct clock_config first;      /* the first open's configuration */
	uint64_t speed;                 /* in SPEED_UNIT */
	uint64_t base_ns;               /* CLOCK_MONOTONIC = D at the first open */
	uint64_t jump_ns;               /* "jump" commands added up */
	struct stream_clock stream[DIR_COUNT];
	uint64_t ppm_changes;
};

/* Until the first open configures it: speed 1, no offset, D = monotonic. */
static struct timebase timebase = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.speed = SPEED_UNIT,
	.stream = { { .slope = SLOPE_UNIT, .trim = 1.0 },
		    { .slope = SLOPE_UNIT, .trim = 1.0 } },
};

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* floor(x * num / den) */
static uint64_t scale_down(uint64_t x, uint64_t num, uint64_t den)
{
	return (uint64_t)((u128)x * num / den);
}

/* Smallest x with floor(x * num / den) >= y. */
static uint64_t scale_inverse(uint64_t y, uint64_t num, uint64_t den)
{
	return (uint64_t)(((u128)y * den + num - 1) / num);
}

static uint64_t slope_of(double ppm, double trim)
{
	return (uint64_t)llround((1e6 + ppm) * 1e6 * trim);
}

/* ---- readings (timebase.lock held) ------------------------------------- */

static uint64_t device_at(uint64_t mono_ns)
{
	const struct timebase *tb = &timebase;
	uint64_t since = mono_ns > tb->base_ns ? mono_ns - tb->base_ns : 0;

	return tb->base_ns + tb->jump_ns + scale_down(since, tb->speed, SPEED_UNIT);
}

/* device_ns is never before the anchor: readings are taken in order. */
static uint64_t stream_at(const struct stream_clock *c, uint64_t device_ns)
{
	return c->anchor_stream_ns +
	       scale_down(device_ns - c->anchor_device_ns, c->slope, SLOPE_UNIT);
}

static uint64_t device_now_locked(void)
{
	return device_at(monotonic_ns());
}

/* ---- configuration ----------------------------------------------------- */

static int clock_compare(const char *name, double value, double first)
{
	if (value == first)
		return 0;
	SNDERR("dspdtest: %s %.10g differs from %.10g, the %s of the first "
	       "dspdtest PCM opened in this process (the clock is process-wide)",
	       name, value, first, name);
	return -EINVAL;
}

int clock_configure(const struct clock_config *cfg)
{
	struct timebase *tb = &timebase;
	int err = 0;

	pthread_mutex_lock(&tb->lock);
	if (!tb->configured) {
		tb->configured = true;
		tb->first = *cfg;
		tb->speed = (uint64_t)llround(cfg->speed * (double)SPEED_UNIT);
		tb->base_ns = monotonic_ns();
		for (unsigned int d = 0; d < DIR_COUNT; d++) {
			tb->stream[d].ppm = cfg->ppm[d];
			tb->stream[d].slope = slope_of(cfg->ppm[d], tb->stream[d].trim);
			tb->stream[d].anchor_device_ns = tb->base_ns;
			tb->stream[d].anchor_stream_ns = tb->base_ns;
		}
	} else {
		err = clock_compare("speed", cfg->speed, tb->first.speed);
		if (!err)
			err = clock_compare("capture_ppm", cfg->ppm[DIR_CAPTURE],
					    tb->first.ppm[DIR_CAPTURE]);
		if (!err)
			err = clock_compare("playback_ppm", cfg->ppm[DIR_PLAYBACK],
					    tb->first.ppm[DIR_PLAYBACK]);
	}
	pthread_mutex_unlock(&tb->lock);
	return err;
}

/* ---- readings ---------------------------------------------------------- */

uint64_t device_now_ns(void)
{
	uint64_t now;

	pthread_mutex_lock(&timebase.lock);
	now = device_now_locked();
	pthread_mutex_unlock(&timebase.lock);
	return now;
}

uint64_t stream_now_ns(unsigned int dir)
{
	uint64_t now;

	pthread_mutex_lock(&timebase.lock);
	now = stream_at(&timebase.stream[dir], device_now_locked());
	pthread_mutex_unlock(&timebase.lock);
	return now;
}

void clock_read(struct clock_reading *r)
{
	pthread_mutex_lock(&timebase.lock);
	r->device_ns = device_now_locked();
	for (unsigned int d = 0; d < DIR_COUNT; d++)
		r->stream_ns[d] = stream_at(&timebase.stream[d], r->device_ns);
	pthread_mutex_unlock(&timebase.lock);
}

void clock_report_read(struct clock_report *r)
{
	pthread_mutex_lock(&timebase.lock);
	r->speed = timebase.configured ? timebase.first.speed : 1.0;
	for (unsigned int d = 0; d < DIR_COUNT; d++)
		r->ppm[d] = timebase.stream[d].ppm;
	r->ppm_changes = timebase.ppm_changes;
	r->device_ns = device_now_locked();
	pthread_mutex_unlock(&timebase.lock);
}

/* ---- back to CLOCK_MONOTONIC ------------------------------------------- */

uint64_t stream_to_monotonic(unsigned int dir, uint64_t stream_ns)
{
	const struct timebase *tb = &timebase;
	const struct stream_clock *c;
	uint64_t device_ns, since, mono = 1;    /* 1: long past */

	pthread_mutex_lock(&timebase.lock);
	c = &tb->stream[dir];
	if (!c->slope) {        /* stands still: now or never (0 disarms) */
		mono = stream_ns > c->anchor_stream_ns ? 0 : 1;
	} else if (stream_ns > c->anchor_stream_ns) {
		device_ns = c->anchor_device_ns +
			    scale_inverse(stream_ns - c->anchor_stream_ns,
					  c->slope, SLOPE_UNIT);
		if (device_ns > tb->base_ns + tb->jump_ns) {
			since = device_ns - tb->base_ns - tb->jump_ns;
			mono = tb->base_ns + scale_inverse(since, tb->speed, SPEED_UNIT);
		}
	}
	pthread_mutex_unlock(&timebase.lock);
	return mono;
}

static uint64_t device_ms_to_monotonic_ns(unsigned int ms)
{
	uint64_t ns;

	pthread_mutex_lock(&timebase.lock);
	ns = scale_inverse((uint64_t)ms * 1000000ull, timebase.speed, SPEED_UNIT);
	pthread_mutex_unlock(&timebase.lock);
	return ns;
}

void device_sleep_ms(unsigned int ms)
{
	uint64_t until = monotonic_ns() + device_ms_to_monotonic_ns(ms);
	struct timespec ts = {
		.tv_sec = (time_t)(until / NSEC_PER_SEC),
		.tv_nsec = (long)(until % NSEC_PER_SEC),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* ---- commands (shared.lock held by the caller) ------------------------- */

void clock_set_ppm(unsigned int dir, double ppm)
{
	struct stream_clock *c = &timebase.stream[dir];
	uint64_t device_ns;

	pthread_mutex_lock(&timebase.lock);
	device_ns = device_now_locked();
	c->anchor_stream_ns = stream_at(c, device_ns);
	c->anchor_device_ns = device_ns;
	c->ppm = ppm;
	c->slope = slope_of(ppm, c->trim);
	timebase.ppm_changes++;
	pthread_mutex_unlock(&timebase.lock);
}

void clock_set_trim(unsigned int dir, double factor)
{
	struct stream_clock *c = &timebase.stream[dir];
	uint64_t device_ns;

	pthread_mutex_lock(&timebase.lock);
	device_ns = device_now_locked();
	c->anchor_stream_ns = stream_at(c, device_ns);
	c->anchor_device_ns = device_ns;
	c->trim = factor;
	c->slope = slope_of(c->ppm, factor);
	pthread_mutex_unlock(&timebase.lock);
}

void clock_jump(uint64_t device_ns)
{
	pthread_mutex_lock(&timebase.lock);
	timebase.jump_ns += device_ns;
	pthread_mutex_unlock(&timebase.lock);
}
