/* dspdtest_source.c - the source behind the capture, process-wide: a
 * player on snd-aloop (kind "loopback"), a USB host on the UAC2 gadget's
 * u_audio (kind "gadget") or an S/PDIF transmitter (kind "stream"), and the
 * values of the control elements that describe and steer it (read and
 * written by dspdtest_ctl.c, by "cset" and by the "source" commands).
 *
 * What it emulates, from the kernel sources (sound/drivers/aloop.c,
 * drivers/usb/gadget/function/u_audio.c):
 *   loopback  a player starting at another rate than a running capture
 *             stops the capture (loopback_check_format: snd_pcm_stop(...,
 *             DRAINING)) unless PCM Notify is 0 and the capture is set up,
 *             in which case the cable's rules force the player to the
 *             capture's rate (rule_rate, params_change); PCM Slave Rate and
 *             PCM Slave Active change with snd_ctl_notify events; with
 *             nothing playing the capture gets silence (clear_capture_buf);
 *             PCM Rate Shift V makes the cable run at 100000 / V of its
 *             rate (byte_pos: bytes = jiffies * bps * NO_PITCH /
 *             (HZ * rate_shift)), clamped to 80000..120000.
 *   gadget    Capture Rate reads the host's rate, 0 while it is idle
 *             (u_audio_rate_get), one event per active change (set_active);
 *             no ISO completions while idle: the capture stands still; the
 *             host sends rate * pitch / 1e6 (u_audio_set_fback_frequency),
 *             pitch clamped to 750000..1005000 (u_audio_pitch_put) and
 *             reset to 1000000 at each host start (u_audio_start_capture);
 *             the capture PCM's rate is fixed at open to the host's last
 *             rate (uac_pcm_open).
 *   stream    the capture delivers the source's rate per second of device
 *             time whatever rate it was opened at; silence when stopped.
 * The capture clock factor goes into the time base (clock_set_trim), so
 * positions stay continuous as with "ppm".
 *
 * Threads: commands run on whatever thread polled a control file, element
 * writes on the application's thread of the ctl handle; both change this
 * state under shared.lock and wake every PCM; each capture applies a stop
 * to itself on its own thread (source_check). */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "dspdtest.h"

#define NO_PITCH 100000                 /* aloop */
#define RATE_SHIFT_MIN 80000            /* loopback_rate_shift_put */
#define RATE_SHIFT_MAX 120000
#define PITCH_UNIT 1000000              /* u_audio */
#define PITCH_MIN ((1000 - 250) * 1000) /* FBACK_SLOW_MAX 250 */
#define PITCH_MAX ((1000 + 5) * 1000)   /* fb_max default 5 (f_uac2) */
#define VOLUME_MAX 120                  /* -60 dB .. 0 dB in 0.5 dB */
#define FORMAT_S16_LE 2                 /* SNDRV_PCM_FORMAT_S16_LE */

static bool source_ready;

static const char *cv_names[CV_COUNT] = {
	[CV_RATE_SHIFT] = "PCM Rate Shift 100000",
	[CV_NOTIFY] = "PCM Notify",
	[CV_SLAVE_ACTIVE] = "PCM Slave Active",
	[CV_SLAVE_FORMAT] = "PCM Slave Format",
	[CV_SLAVE_RATE] = "PCM Slave Rate",
	[CV_SLAVE_CHANNELS] = "PCM Slave Channels",
	[CV_CAPTURE_PITCH] = "Capture Pitch 1000000",
	[CV_CAPTURE_RATE] = "Capture Rate",
	[CV_VOLUME] = "Master Playback Volume",
	[CV_SWITCH] = "Master Playback Switch",
};

static const char *const kind_names[] = {
	[SOURCE_NONE] = "none", [SOURCE_STREAM] = "stream",
	[SOURCE_LOOPBACK] = "loopback", [SOURCE_GADGET] = "gadget",
};

/* ---- state (shared.lock held) ------------------------------------------ */

/* loopback_mixer_new()'s defaults; u_audio's c_srates[0], pitch. */
static void source_init(void)
{
	struct source_state *s = &shared.source;

	if (source_ready)
		return;
	source_ready = true;
	for (unsigned int sub = 0; sub < LOOP_SUBDEVICES; sub++)
		for (unsigned int dev = 0; dev < LOOP_DEVICES; dev++)
			s->setup[sub][dev] = (struct loop_setup){
				.rate_shift = NO_PITCH, .notify = 0,
				.format = FORMAT_S16_LE, .rate = 48000, .channels = 2,
			};
	s->rate = 48000;
	s->pitch = PITCH_UNIT;
	s->volume = VOLUME_MAX;
	s->volume_switch = 1;
}

static struct loop_setup *cable_setup(void)
{
	return &shared.source.setup[LOOP_CABLE_SUBDEVICE][LOOP_CABLE_DEVICE];
}

/* The factor of the capture clock now. */
static double source_trim(void)
{
	const struct source_state *s = &shared.source;
	double ratio = s->capture_rate ? (double)s->rate / s->capture_rate : 1.0;

	switch (s->kind) {
	case SOURCE_LOOPBACK:
		return (double)NO_PITCH / (double)cable_setup()->rate_shift;
	case SOURCE_GADGET:
		return s->playing ? ratio * (double)s->pitch / PITCH_UNIT : 0.0;
	case SOURCE_STREAM:
		return s->playing ? ratio : 1.0;
	default:
		return 1.0;
	}
}

static double applied_trim = 1.0;

static void source_retrim(void)
{
	double trim = source_trim();

	if (trim != applied_trim) {
		applied_trim = trim;
		clock_set_trim(DIR_CAPTURE, trim);
	}
}

static bool loopback_capture(const struct dspdtest *t)
{
	return t->params.source == SOURCE_LOOPBACK && is_capture(t);
}

/* aloop's cable rules follow the player while it plays. */
static void source_constrain_all(void)
{
	for (struct dspdtest *t = shared.device.instances; t; t = t->next_instance) {
		unsigned int lo, hi;

		if (!loopback_capture(t))
			continue;
		source_rate_range(t, &lo, &hi);
		snd_pcm_ioplug_set_param_minmax(&t->io, SND_PCM_IOPLUG_HW_RATE, lo, hi);
	}
}

/* Something the captures must see: wake them all. */
static void source_changed(void)
{
	struct source_state *s = &shared.source;

	clock_read(&s->changed_at);
	s->changes++;
	s->generation++;
	source_retrim();
	source_constrain_all();
	for (struct dspdtest *t = shared.device.instances; t; t = t->next_instance)
		wakeup_now(t);
}

/* ---- PCM side ---------------------------------------------------------- */

int source_attach(struct dspdtest *t)
{
	struct source_state *s = &shared.source;
	int err = 0;

	pthread_mutex_lock(&shared.lock);
	source_init();
	t->source_seen = s->generation;
	if (t->params.source != SOURCE_NONE) {
		if (s->kind == SOURCE_NONE) {
			s->kind = t->params.source;
			source_retrim();
		} else if (s->kind != t->params.source) {
			SNDERR("dspdtest: source %s differs from %s, the source of "
			       "this process", kind_names[t->params.source],
			       kind_names[s->kind]);
			err = -EINVAL;
		}
	}
	pthread_mutex_unlock(&shared.lock);
	return err;
}

void source_detach(struct dspdtest *t)
{
	if (!t->counted_valid)
		return;
	pthread_mutex_lock(&shared.lock);
	shared.source.capture_valid--;
	t->counted_valid = false;
	pthread_mutex_unlock(&shared.lock);
}

void source_rate_range(const struct dspdtest *t, unsigned int *lo, unsigned int *hi)
{
	const struct source_state *s = &shared.source;

	*lo = t->params.rate_min;
	*hi = t->params.rate_max;
	if (!is_capture(t))
		return;
	if ((t->params.source == SOURCE_LOOPBACK && s->playing) ||
	    t->params.source == SOURCE_GADGET)
		*lo = *hi = s->rate;
}

int source_hw_params(struct dspdtest *t)
{
	struct source_state *s = &shared.source;
	int err = 0;

	if (!is_capture(t) || t->params.source == SOURCE_NONE)
		return 0;
	pthread_mutex_lock(&shared.lock);
	if (loopback_capture(t) && s->playing && t->io.rate != s->rate) {
		err = -EINVAL;          /* rule_rate */
	} else {
		s->capture_rate = t->io.rate;
		if (!t->counted_valid) {
			t->counted_valid = true;
			s->capture_valid++;
		}
		source_retrim();
	}
	pthread_mutex_unlock(&shared.lock);
	return err;
}

int source_start_check(struct dspdtest *t)
{
	int err = 0;

	if (!loopback_capture(t))
		return 0;
	pthread_mutex_lock(&shared.lock);
	if (shared.source.playing && t->io.rate != shared.source.rate)
		err = -EIO;             /* loopback_check_format, capture side */
	t->source_seen = shared.source.generation;
	pthread_mutex_unlock(&shared.lock);
	return err;
}

void source_check(struct dspdtest *t)
{
	const struct source_state *s = &shared.source;
	bool stop = false;
	uint64_t at = 0;

	if (!loopback_capture(t))
		return;
	pthread_mutex_lock(&shared.lock);
	if (t->source_seen != s->generation) {
		t->source_seen = s->generation;
		stop = s->playing && t->io.rate != s->rate;
		at = s->changed_at.stream_ns[DIR_CAPTURE];
	}
	pthread_mutex_unlock(&shared.lock);
	if (!stop || t->io.state != SND_PCM_STATE_RUNNING || !t->run_active)
		return;
	if (at < t->run_start_ns)
		at = t->run_start_ns;
	if (t->xrun_seen || xrun_condition(t, run_elapsed(t, at)))
		return;                 /* the overrun came first */
	/* snd_pcm_stop(capture, SNDRV_PCM_STATE_DRAINING): the position
	 * stands still, what was captured can still be read */
	t->halted = true;
	t->halted_ns = at;
	snd_pcm_ioplug_set_state(&t->io, SND_PCM_STATE_DRAINING);
}

bool source_silent(const struct dspdtest *t)
{
	bool silent;

	if (t->params.source != SOURCE_LOOPBACK && t->params.source != SOURCE_STREAM)
		return false;
	pthread_mutex_lock(&shared.lock);
	silent = !shared.source.playing;
	pthread_mutex_unlock(&shared.lock);
	return silent;
}

/* ---- commands ---------------------------------------------------------- */

/* The player stops (aloop: trigger STOP, loopback_active_notify). */
static void source_stop_locked(void)
{
	struct source_state *s = &shared.source;

	if (!s->playing)
		return;
	s->playing = false;
	if (s->kind == SOURCE_LOOPBACK)
		ctl_notify(CV_SLAVE_ACTIVE, LOOP_CABLE_DEVICE, LOOP_CABLE_SUBDEVICE);
	else if (s->kind == SOURCE_GADGET)
		ctl_notify(CV_CAPTURE_RATE, 0, 0);      /* set_active(false) */
}

static void source_start_locked(unsigned int rate)
{
	struct source_state *s = &shared.source;
	struct loop_setup *setup = cable_setup();

	if (s->kind == SOURCE_LOOPBACK) {
		/* PCM Notify 0 and the capture set up first: the cable's rate
		 * rule forces the player to the capture's rate */
		if (!setup->notify && s->capture_valid && s->capture_rate)
			rate = s->capture_rate;
		s->rate = rate;
		s->playing = true;
		if (setup->rate != (long)rate) {        /* loopback_check_format */
			ctl_notify(CV_SLAVE_RATE, LOOP_CABLE_DEVICE, LOOP_CABLE_SUBDEVICE);
			setup->rate = rate;
		}
		ctl_notify(CV_SLAVE_ACTIVE, LOOP_CABLE_DEVICE, LOOP_CABLE_SUBDEVICE);
	} else {
		s->rate = rate;
		s->playing = true;
		if (s->kind == SOURCE_GADGET) {
			s->pitch = PITCH_UNIT;  /* u_audio_start_capture */
			ctl_notify(CV_CAPTURE_RATE, 0, 0);      /* set_active(true) */
		}
	}
}

int source_play(unsigned int rate)
{
	struct source_state *s = &shared.source;

	pthread_mutex_lock(&shared.lock);
	source_init();
	if (!rate) {
		if (s->playing) {
			source_stop_locked();
			source_changed();
		}
	} else if (!s->playing || s->rate != rate) {
		source_stop_locked();   /* a new stream: stop, then start */
		source_start_locked(rate);
		source_changed();
	}
	pthread_mutex_unlock(&shared.lock);
	return 0;
}

int source_resume(void)
{
	unsigned int rate;

	pthread_mutex_lock(&shared.lock);
	source_init();
	rate = shared.source.rate;
	pthread_mutex_unlock(&shared.lock);
	return source_play(rate);
}

int source_cset(const char *name, long value)
{
	unsigned int dev = 0, sub = 0;
	int err = -ENOENT;

	for (unsigned int cv = 0; cv < CV_COUNT; cv++) {
		if (strcmp(name, cv_names[cv]))
			continue;
		if (cv <= CV_SLAVE_CHANNELS) {
			dev = LOOP_CABLE_DEVICE;
			sub = LOOP_CABLE_SUBDEVICE;
		}
		pthread_mutex_lock(&shared.lock);
		source_init();
		err = control_set(cv, dev, sub, value, false);
		pthread_mutex_unlock(&shared.lock);
		break;
	}
	return err < 0 ? err : 0;
}

const char *control_name(enum control_value cv)
{
	return cv_names[cv];
}

void control_set_mixer_names(const char *volume, const char *sw)
{
	static char volume_name[CTL_NAME_MAX];
	static char switch_name[CTL_NAME_MAX];

	if (volume && *volume) {
		snprintf(volume_name, sizeof(volume_name), "%s", volume);
		cv_names[CV_VOLUME] = volume_name;
	}
	if (sw && *sw) {
		snprintf(switch_name, sizeof(switch_name), "%s", sw);
		cv_names[CV_SWITCH] = switch_name;
	}
}

/* ---- element values (shared.lock held) --------------------------------- */

long control_get(enum control_value cv, unsigned int dev, unsigned int sub)
{
	const struct source_state *s = &shared.source;
	const struct loop_setup *setup = &s->setup[sub % LOOP_SUBDEVICES][dev % LOOP_DEVICES];

	source_init();
	switch (cv) {
	case CV_RATE_SHIFT: return setup->rate_shift;
	case CV_NOTIFY: return setup->notify;
	case CV_SLAVE_ACTIVE:   /* loopback_active_get: the cable into dev */
		return s->kind == SOURCE_LOOPBACK && s->playing &&
		       dev == LOOP_CABLE_DEVICE && sub == LOOP_CABLE_SUBDEVICE;
	case CV_SLAVE_FORMAT: return setup->format;
	case CV_SLAVE_RATE: return setup->rate;
	case CV_SLAVE_CHANNELS: return setup->channels;
	case CV_CAPTURE_PITCH: return s->pitch;
	case CV_CAPTURE_RATE: return s->playing ? (long)s->rate : 0;
	case CV_VOLUME: return s->volume;
	case CV_SWITCH: return s->volume_switch;
	default: return 0;
	}
}

static long clamp(long v, long lo, long hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

int control_set(enum control_value cv, unsigned int dev, unsigned int sub,
		long value, bool from_app)
{
	struct source_state *s = &shared.source;
	struct loop_setup *setup = &s->setup[sub % LOOP_SUBDEVICES][dev % LOOP_DEVICES];
	long *slot;

	source_init();
	switch (cv) {
	case CV_RATE_SHIFT:             /* loopback_rate_shift_put */
		slot = &setup->rate_shift;
		value = clamp(value, RATE_SHIFT_MIN, RATE_SHIFT_MAX);
		break;
	case CV_NOTIFY:                 /* loopback_notify_put */
		slot = &setup->notify;
		value = value ? 1 : 0;
		break;
	case CV_CAPTURE_PITCH:          /* u_audio_pitch_put */
		slot = &s->pitch;
		value = clamp(value, PITCH_MIN, PITCH_MAX);
		break;
	case CV_VOLUME:
		slot = &s->volume;
		value = clamp(value, 0, VOLUME_MAX);
		break;
	case CV_SWITCH:
		slot = &s->volume_switch;
		value = value ? 1 : 0;
		break;
	default:
		return -EPERM;          /* read-only */
	}
	if (from_app)
		s->app_writes[cv]++;
	else
		s->command_writes[cv]++;
	if (*slot == value)
		return 0;
	*slot = value;
	/* snd_ctl_elem_write: a put that changed the value notifies */
	ctl_notify(cv, dev, sub);
	source_retrim();
	return 1;
}

/* ---- report (shared.lock held) ----------------------------------------- */

void source_report(FILE *f)
{
	const struct source_state *s = &shared.source;

	source_init();
	fprintf(f, "\"source\":{\"kind\":\"%s\",\"rate\":%u,\"active\":%s,"
		"\"changes\":%" PRIu64 ",\"capture_rate\":%u,\"trim\":%.9g},\n",
		kind_names[s->kind], s->rate, s->playing ? "true" : "false",
		s->changes, s->capture_rate, applied_trim);
	fprintf(f, "\"controls\":{");
	for (unsigned int cv = 0; cv < CV_COUNT; cv++) {
		unsigned int dev = cv <= CV_SLAVE_CHANNELS ? LOOP_CABLE_DEVICE : 0;
		unsigned int sub = cv <= CV_SLAVE_CHANNELS ? LOOP_CABLE_SUBDEVICE : 0;

		fprintf(f, "%s\"%s\":{\"value\":%ld,\"app_writes\":%" PRIu64
			",\"command_writes\":%" PRIu64 ",\"events\":%" PRIu64 "}",
			cv ? "," : "", cv_names[cv], control_get(cv, dev, sub),
			s->app_writes[cv], s->command_writes[cv], s->events[cv]);
	}
	fprintf(f, "},\n");
}
