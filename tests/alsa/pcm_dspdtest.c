/* pcm_dspdtest.c - "dspdtest", an ALSA ioplug PCM paced by CLOCK_MONOTONIC:
 * the test rig that proves dspd loses no sample.
 *
 * Owns: the simulated hardware (position = floor(elapsed * rate), counted
 * from each start, xruns exactly like a real card), the capture signal
 * generator (frame counter, sine or silence), the playback checker (gaps,
 * mismatches, latency), the JSON report, the float32 recording and the
 * control file (fault injection).
 *
 * All capture and playback instances of one process share one state (clock
 * origin t0 = first start of either stream, every counter, the checker),
 * because dspd opens both streams of the device in one process.  That state
 * lives as long as the process and survives close/reopen, so a reopen shows
 * up as one gap.  Callbacks run on whatever thread the application calls
 * alsa-lib from; the shared state is guarded by one mutex.  Everything here
 * is test code: it may log (SNDERR), write files and sleep on the caller's
 * thread, which is the point of a fault injector.
 *
 * Documented for users in tests/alsa/README.md. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <alsa/asoundlib.h>
#include <alsa/pcm_external.h>

#define NSEC_PER_SEC 1000000000ull
#define MAX_CHANNELS 32
#define GAP_LIST_MAX 64
#define CHANNEL_OFFSET 0x3C3C    /* counter offset between channels */
#define CONTROL_FILE_MAX 4096

/* ---- sample formats ---------------------------------------------------- */

struct sample_format {
	snd_pcm_format_t format;
	unsigned int bytes;     /* storage per sample */
	unsigned int bits;      /* significant bits B of the counter */
};

static const struct sample_format sample_formats[] = {
	{ SND_PCM_FORMAT_S16_LE, 2, 16 },
	{ SND_PCM_FORMAT_S24_LE, 4, 24 },
	{ SND_PCM_FORMAT_S24_3LE, 3, 24 },
	{ SND_PCM_FORMAT_S32_LE, 4, 24 },
	{ SND_PCM_FORMAT_FLOAT_LE, 4, 24 },
	{ SND_PCM_FORMAT_FLOAT64_LE, 8, 24 },
	{ SND_PCM_FORMAT_U8, 1, 8 },
};
#define SAMPLE_FORMAT_COUNT (sizeof(sample_formats) / sizeof(sample_formats[0]))

static const struct sample_format *sample_format_find(snd_pcm_format_t format)
{
	for (size_t i = 0; i < SAMPLE_FORMAT_COUNT; i++)
		if (sample_formats[i].format == format)
			return &sample_formats[i];
	return NULL;
}

/* Two's-complement wrap of x to a signed bits-wide value. */
static int64_t wrap_bits(int64_t x, unsigned int bits)
{
	uint64_t mask = (1ull << bits) - 1;
	uint64_t sign = 1ull << (bits - 1);
	return (int64_t)(((uint64_t)x & mask) ^ sign) - (int64_t)sign;
}

static void store_le(unsigned char *dst, uint64_t value, unsigned int bytes)
{
	for (unsigned int i = 0; i < bytes; i++)
		dst[i] = (unsigned char)(value >> (8 * i));
}

static uint64_t load_le(const unsigned char *src, unsigned int bytes)
{
	uint64_t value = 0;
	for (unsigned int i = 0; i < bytes; i++)
		value |= (uint64_t)src[i] << (8 * i);
	return value;
}

static int64_t sign_extend(uint64_t value, unsigned int bits)
{
	return wrap_bits((int64_t)value, bits);
}

/* Store v, a signed value of fmt->bits bits, as one sample of fmt. */
static void sample_encode(const struct sample_format *fmt, unsigned char *dst,
			  int64_t v)
{
	float f;
	double d;
	uint32_t u32;
	uint64_t u64;

	switch (fmt->format) {
	case SND_PCM_FORMAT_S32_LE:
		store_le(dst, (uint64_t)v << 8, 4);
		break;
	case SND_PCM_FORMAT_FLOAT_LE:
		f = (float)v / 8388608.0f;
		memcpy(&u32, &f, 4);
		store_le(dst, u32, 4);
		break;
	case SND_PCM_FORMAT_FLOAT64_LE:
		d = (double)v / 8388608.0;
		memcpy(&u64, &d, 8);
		store_le(dst, u64, 8);
		break;
	case SND_PCM_FORMAT_U8:
		dst[0] = (unsigned char)(v + 128);
		break;
	default:        /* S16_LE, S24_LE (sign-extended), S24_3LE */
		store_le(dst, (uint64_t)v, fmt->bytes);
		break;
	}
}

/* One sample of fmt in units of the least significant of fmt->bits bits
 * (exact for every encoded counter; fractional when something scaled it). */
static double sample_decode(const struct sample_format *fmt,
			    const unsigned char *src)
{
	float f;
	double d;
	uint32_t u32;
	uint64_t u64;

	switch (fmt->format) {
	case SND_PCM_FORMAT_S16_LE:
		return (double)sign_extend(load_le(src, 2), 16);
	case SND_PCM_FORMAT_S24_LE:
	case SND_PCM_FORMAT_S24_3LE:
		return (double)sign_extend(load_le(src, 3), 24);
	case SND_PCM_FORMAT_S32_LE:
		return (double)sign_extend(load_le(src, 4), 32) / 256.0;
	case SND_PCM_FORMAT_FLOAT_LE:
		u32 = (uint32_t)load_le(src, 4);
		memcpy(&f, &u32, 4);
		return (double)f * 8388608.0;
	case SND_PCM_FORMAT_FLOAT64_LE:
		u64 = load_le(src, 8);
		memcpy(&d, &u64, 8);
		return d * 8388608.0;
	case SND_PCM_FORMAT_U8:
		return (double)src[0] - 128.0;
	default:
		return 0.0;
	}
}

/* Counter encoding of frame counter k on channel c (before storage). */
static int64_t counter_value(int64_t k, unsigned int channel, unsigned int bits)
{
	return wrap_bits(k + (int64_t)channel * CHANNEL_OFFSET, bits);
}

/* ---- time -------------------------------------------------------------- */

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

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

static void sleep_ms(unsigned int ms)
{
	uint64_t until = monotonic_ns() + (uint64_t)ms * 1000000ull;
	struct timespec ts = {
		.tv_sec = (time_t)(until / NSEC_PER_SEC),
		.tv_nsec = (long)(until % NSEC_PER_SEC),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* ---- process-wide shared state ----------------------------------------- */

struct gap_entry {
	int64_t at;             /* counter that was expected */
	int64_t missing;        /* counter received minus expected */
};

struct capture_stats {
	int64_t run_origin;     /* first counter of the newest capture run */
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
	uint64_t capture_starts_seen;   /* capture starts at the last counter */
	bool have_latency;
	int64_t expected;       /* next counter if nothing is lost */
	int64_t first_counter;
	int64_t last_counter;
	int64_t latency_min;
	int64_t latency_max;
	int64_t latency_last;
};

static struct {
	pthread_mutex_t lock;
	bool have_origin;
	uint64_t origin_ns;     /* t0: first start of either stream */
	struct capture_stats capture;
	struct playback_stats playback;
} shared = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* G(t) = round((t - t0) * rate); sets t0 on the first call. Lock held. */
static int64_t shared_global_frame(uint64_t now_ns, unsigned int rate)
{
	if (!shared.have_origin) {
		shared.have_origin = true;
		shared.origin_ns = now_ns;
	}
	return frames_in_ns_rounded(now_ns - shared.origin_ns, rate);
}

/* ---- instance ---------------------------------------------------------- */

enum signal_kind { SIGNAL_COUNTER, SIGNAL_SINE, SIGNAL_SILENCE };

struct dspdtest_params {
	unsigned int formats[SAMPLE_FORMAT_COUNT];
	unsigned int format_count;
	unsigned int channels_min, channels_max;
	unsigned int rate_min, rate_max;
	enum signal_kind signal;
	double sine_freq;
	double sine_dbfs;
	char *report_path;
	char *record_path;
	char *control_path;
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
	uint64_t run_start_ns;
	int64_t run_origin;     /* G at run start: Gstart */
	bool origin_known;      /* run_origin belongs to the current run */
	struct pending_latency pending;         /* playback, before start */
	uint64_t run_frames;    /* frames transferred in this run */
	uint64_t frames_total;  /* frames transferred since open */
	uint64_t next_report_frames;
	FILE *record;
};

/* ---- configuration ----------------------------------------------------- */

static int parse_formats(struct dspdtest_params *p, const char *list)
{
	char buf[256];
	char *save = NULL;

	if (strlen(list) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, list);
	p->format_count = 0;
	for (char *tok = strtok_r(buf, " ,\t", &save); tok;
	     tok = strtok_r(NULL, " ,\t", &save)) {
		snd_pcm_format_t format = snd_pcm_format_value(tok);
		if (!sample_format_find(format)) {
			SNDERR("dspdtest: unsupported format '%s'", tok);
			return -EINVAL;
		}
		if (p->format_count < SAMPLE_FORMAT_COUNT)
			p->formats[p->format_count++] = (unsigned int)format;
	}
	return p->format_count ? 0 : -EINVAL;
}

static void params_set_defaults(struct dspdtest_params *p)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < SAMPLE_FORMAT_COUNT; i++)
		p->formats[i] = (unsigned int)sample_formats[i].format;
	p->format_count = SAMPLE_FORMAT_COUNT;
	p->channels_min = 1;
	p->channels_max = MAX_CHANNELS;
	p->rate_min = 8000;
	p->rate_max = 768000;
	p->signal = SIGNAL_COUNTER;
	p->sine_freq = 1000.0;
	p->sine_dbfs = -6.0;
}

static void params_free(struct dspdtest_params *p)
{
	free(p->report_path);
	free(p->record_path);
	free(p->control_path);
}

/* A string parameter; "" leaves the path unset. */
static int param_path(snd_config_t *n, char **dst)
{
	const char *s;
	int err = snd_config_get_string(n, &s);

	if (err < 0)
		return err;
	free(*dst);
	*dst = NULL;
	if (!*s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

static int param_uint(snd_config_t *n, unsigned int lo, unsigned int hi,
		      unsigned int *dst)
{
	long v;
	int err = snd_config_get_integer(n, &v);

	if (err < 0)
		return err;
	if (v < (long)lo || v > (long)hi)
		return -ERANGE;
	*dst = (unsigned int)v;
	return 0;
}

static int param_signal(snd_config_t *n, enum signal_kind *dst)
{
	const char *s;
	int err = snd_config_get_string(n, &s);

	if (err < 0)
		return err;
	if (!strcmp(s, "counter") || !*s)
		*dst = SIGNAL_COUNTER;
	else if (!strcmp(s, "sine"))
		*dst = SIGNAL_SINE;
	else if (!strcmp(s, "silence"))
		*dst = SIGNAL_SILENCE;
	else
		return -EINVAL;
	return 0;
}

static int param_apply(struct dspdtest_params *p, const char *id, snd_config_t *n)
{
	const char *s;
	unsigned int rate = 0;
	int err;

	if (!strcmp(id, "formats")) {
		err = snd_config_get_string(n, &s);
		if (err < 0)
			return err;
		return *s ? parse_formats(p, s) : 0;
	}
	if (!strcmp(id, "channels_min"))
		return param_uint(n, 1, MAX_CHANNELS, &p->channels_min);
	if (!strcmp(id, "channels_max"))
		return param_uint(n, 1, MAX_CHANNELS, &p->channels_max);
	if (!strcmp(id, "rate")) {
		err = param_uint(n, 0, 768000, &rate);
		if (err < 0 || rate == 0)
			return err;
		if (rate < 8000)
			return -ERANGE;
		p->rate_min = p->rate_max = rate;
		return 0;
	}
	if (!strcmp(id, "signal"))
		return param_signal(n, &p->signal);
	if (!strcmp(id, "sine_freq"))
		return snd_config_get_ireal(n, &p->sine_freq);
	if (!strcmp(id, "sine_dbfs"))
		return snd_config_get_ireal(n, &p->sine_dbfs);
	if (!strcmp(id, "report"))
		return param_path(n, &p->report_path);
	if (!strcmp(id, "record"))
		return param_path(n, &p->record_path);
	if (!strcmp(id, "control"))
		return param_path(n, &p->control_path);
	return -ENOENT;
}

static int params_parse(struct dspdtest_params *p, snd_config_t *conf)
{
	snd_config_iterator_t i, next;

	snd_config_for_each(i, next, conf) {
		snd_config_t *n = snd_config_iterator_entry(i);
		const char *id;
		int err;

		if (snd_config_get_id(n, &id) < 0)
			continue;
		if (!strcmp(id, "comment") || !strcmp(id, "type") ||
		    !strcmp(id, "hint"))
			continue;
		err = param_apply(p, id, n);
		if (err == -ENOENT) {
			SNDERR("dspdtest: unknown parameter '%s'", id);
			return -EINVAL;
		}
		if (err < 0) {
			SNDERR("dspdtest: invalid value for '%s'", id);
			return err;
		}
	}
	if (p->channels_min > p->channels_max) {
		SNDERR("dspdtest: channels_min > channels_max");
		return -EINVAL;
	}
	return 0;
}

/* ---- simulated hardware ------------------------------------------------ */

static bool is_capture(const struct dspdtest *t)
{
	return t->io.stream == SND_PCM_STREAM_CAPTURE;
}

static uint64_t run_elapsed(const struct dspdtest *t, uint64_t now_ns)
{
	return frames_in_ns(now_ns - t->run_start_ns, t->io.rate);
}

static bool xrun_condition(const struct dspdtest *t, uint64_t elapsed)
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

/* Hardware position of the running stream, or -EPIPE after an xrun. */
static int64_t run_position(struct dspdtest *t)
{
	uint64_t elapsed = run_elapsed(t, monotonic_ns());

	if (t->xrun_seen || xrun_condition(t, elapsed)) {
		note_xrun(t);
		return -EPIPE;
	}
	return (int64_t)elapsed;
}

/* End the current run (drop or prepare): an xrun that happened before
 * the application noticed still counts, as on real hardware; running dry
 * at the end of a drain does not. */
static void run_end(struct dspdtest *t)
{
	if (!t->run_active)
		return;
	if (t->io.state != SND_PCM_STATE_DRAINING &&
	    xrun_condition(t, run_elapsed(t, monotonic_ns())))
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

#define WAKE_NOW 1ull           /* an absolute time long past */
#define WAKE_NEVER 0ull         /* disarms the timer */

/* Frames the application may transfer now (run_position() result). */
static uint64_t run_avail(const struct dspdtest *t, uint64_t elapsed)
{
	if (is_capture(t))
		return elapsed - t->run_frames;
	return t->io.buffer_size - (t->run_frames - elapsed);
}

/* Arm the timerfd for the moment the PCM becomes ready in @state, so
 * the fd behaves level-triggered like a kernel PCM's. */
static void wakeup_arm(struct dspdtest *t, snd_pcm_state_t state)
{
	uint64_t when = WAKE_NOW;
	uint64_t target;

	switch (state) {
	case SND_PCM_STATE_RUNNING:
		if (is_capture(t)) {
			target = t->run_frames + t->avail_min;
		} else {
			if (t->run_frames + t->avail_min <= t->io.buffer_size)
				break;
			target = t->run_frames + t->avail_min - t->io.buffer_size;
		}
		when = t->run_start_ns + ns_for_frames(target, t->io.rate);
		break;
	case SND_PCM_STATE_DRAINING:
		if (!is_capture(t))
			when = t->run_start_ns + ns_for_frames(t->run_frames, t->io.rate);
		break;
	case SND_PCM_STATE_PREPARED:
		if (is_capture(t) ||
		    t->io.buffer_size - t->run_frames < t->avail_min)
			when = WAKE_NEVER;
		break;
	case SND_PCM_STATE_PAUSED:
		when = WAKE_NEVER;
		break;
	default:        /* XRUN, SETUP, ...: report POLLERR at once */
		break;
	}
	timer_set(t, when);
}

/* ---- capture: signal and control file ---------------------------------- */

static int control_stall(struct dspdtest *t, const char *args)
{
	char *end;
	unsigned long ms = strtoul(args, &end, 10);

	if (end == args || ms > 600000)
		return -EINVAL;
	pthread_mutex_lock(&shared.lock);
	shared.capture.stalls_injected++;
	pthread_mutex_unlock(&shared.lock);
	sleep_ms((unsigned int)ms);
	return 0;
}

static const struct control_command {
	const char *name;
	int (*run)(struct dspdtest *t, const char *args);
} control_commands[] = {
	{ "stall", control_stall },
};

static void control_run_line(struct dspdtest *t, char *line)
{
	char *args;
	size_t len;

	line += strspn(line, " \t");
	len = strcspn(line, " \t");
	if (!len || line[0] == '#')
		return;
	args = line + len + strspn(line + len, " \t");
	for (size_t i = 0; i < sizeof(control_commands) / sizeof(control_commands[0]); i++) {
		const struct control_command *cmd = &control_commands[i];
		if (strlen(cmd->name) != len || strncmp(cmd->name, line, len))
			continue;
		if (cmd->run(t, args) < 0)
			SNDERR("dspdtest: bad control command '%s'", line);
		return;
	}
	SNDERR("dspdtest: unknown control command '%s'", line);
}

/* Run the control file's commands, if one is present; it is consumed. */
static void control_poll(struct dspdtest *t)
{
	char buf[CONTROL_FILE_MAX + 1];
	struct stat st;
	ssize_t len;
	char *save = NULL;
	int fd;

	if (!t->params.control_path || stat(t->params.control_path, &st) < 0)
		return;
	fd = open(t->params.control_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	len = read(fd, buf, CONTROL_FILE_MAX);
	close(fd);
	unlink(t->params.control_path);
	if (len <= 0)
		return;
	buf[len] = '\0';
	for (char *line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		control_run_line(t, line);
}

static int64_t sine_value(const struct dspdtest *t, int64_t k, unsigned int bits)
{
	double amplitude = pow(10.0, t->params.sine_dbfs / 20.0);
	double phase = 2.0 * M_PI * fmod((double)k * t->params.sine_freq /
					 t->io.rate, 1.0);
	double full = (double)(1ll << (bits - 1));
	double v = nearbyint(amplitude * sin(phase) * full);

	if (v > full - 1)
		v = full - 1;
	if (v < -full)
		v = -full;
	return (int64_t)v;
}

static unsigned char *area_frame(const snd_pcm_channel_area_t *area,
				 snd_pcm_uframes_t frame)
{
	return (unsigned char *)area->addr + (area->first + area->step * frame) / 8;
}

static void capture_generate(struct dspdtest *t, const snd_pcm_channel_area_t *areas,
			     snd_pcm_uframes_t offset, snd_pcm_uframes_t size)
{
	unsigned int bits = t->fmt->bits;

	for (snd_pcm_uframes_t i = 0; i < size; i++) {
		int64_t k = t->run_origin + (int64_t)(t->run_frames + i);
		int64_t sine = t->params.signal == SIGNAL_SINE ?
			       sine_value(t, k, bits) : 0;

		for (unsigned int c = 0; c < t->io.channels; c++) {
			int64_t v = 0;
			if (t->params.signal == SIGNAL_COUNTER)
				v = counter_value(k, c, bits);
			else if (t->params.signal == SIGNAL_SINE)
				v = sine;
			sample_encode(t->fmt, area_frame(&areas[c], offset + i), v);
		}
	}
}

/* ---- playback: checker, recording, report ------------------------------ */

static void checker_gap(struct playback_stats *s, int64_t k)
{
	s->gaps++;
	if (s->gap_list_len < GAP_LIST_MAX) {
		s->gap_list[s->gap_list_len].at = s->expected;
		s->gap_list[s->gap_list_len].missing = k - s->expected;
		s->gap_list_len++;
	}
}

static void checker_latency(struct playback_stats *s, int64_t latency)
{
	if (!s->have_latency || latency < s->latency_min)
		s->latency_min = latency;
	if (!s->have_latency || latency > s->latency_max)
		s->latency_max = latency;
	s->latency_last = latency;
	s->have_latency = true;
}

static void pending_add(struct pending_latency *p, int64_t relative)
{
	if (!p->any || relative < p->min)
		p->min = relative;
	if (!p->any || relative > p->max)
		p->max = relative;
	p->last = relative;
	p->any = true;
}

/* The run started at origin: account the latency of frames written before. */
static void pending_commit(struct pending_latency *p, struct playback_stats *s,
			   int64_t origin)
{
	if (!p->any)
		return;
	checker_latency(s, origin + p->min);
	checker_latency(s, origin + p->max);
	checker_latency(s, origin + p->last);
	p->any = false;
}

/* k = ref + wrap(v0 - ref): the counter congruent to v0 nearest to ref. */
static int64_t counter_near(int64_t ref, int64_t v0, unsigned int bits,
			    uint64_t *distance)
{
	int64_t delta = wrap_bits(v0 - ref, bits);

	*distance = (uint64_t)(delta < 0 ? -delta : delta);
	return ref + delta;
}

/* The counter a frame most likely carries, given ch0 = v0 (which only
 * tells k modulo 2^bits): the candidate nearest to one of these
 * predictions, earlier ones winning ties: the next expected counter;
 * right after silence (an xrun re-sync) the counter that keeps the last
 * latency; when the capture restarted since the last counter frame, the
 * first counter of its newest run.  So even 8-bit counters measure
 * re-sync gaps exactly. */
static int64_t checker_decode(const struct playback_stats *s, int64_t v0,
			      const int64_t *played_at, unsigned int bits)
{
	uint64_t best_distance, distance;
	int64_t best = counter_near(s->expected, v0, bits, &best_distance);
	int64_t k;

	if (played_at && s->have_latency && s->after_silence) {
		k = counter_near(*played_at - s->latency_last, v0, bits, &distance);
		if (distance < best_distance) {
			best = k;
			best_distance = distance;
		}
	}
	if (shared.capture.starts != s->capture_starts_seen) {
		k = counter_near(shared.capture.run_origin, v0, bits, &distance);
		if (distance < best_distance)
			best = k;
	}
	return best;
}

/* Check one frame (decoded samples) that t will play at run position p. */
static void checker_frame(struct playback_stats *s, struct dspdtest *t,
			  const double *x, int64_t p)
{
	unsigned int channels = t->io.channels;
	unsigned int bits = t->fmt->bits;
	int64_t played_at = t->run_origin + p;
	bool silent = true;
	int64_t k;

	for (unsigned int c = 0; c < channels; c++)
		silent = silent && x[c] == 0.0;
	if (silent && !(channels == 1 && s->have_counter &&
			wrap_bits(s->expected, bits) == 0)) {
		s->silent_frames++;
		s->after_silence = true;
		return;
	}
	k = checker_decode(s, (int64_t)nearbyint(x[0]),
			   t->origin_known ? &played_at : NULL, bits);
	for (unsigned int c = 0; c < channels; c++) {
		if (x[c] != (double)counter_value(k, c, bits)) {
			s->mismatches++;        /* present but altered */
			s->expected++;
			return;
		}
	}
	if (s->have_counter && k != s->expected)
		checker_gap(s, k);
	if (!s->have_counter)
		s->first_counter = k;
	s->have_counter = true;
	s->after_silence = false;
	s->capture_starts_seen = shared.capture.starts;
	s->last_counter = k;
	s->expected = k + 1;
	if (t->origin_known)
		checker_latency(s, played_at - k);
	else
		pending_add(&t->pending, p - k);
	s->counter_frames++;
}

static void record_flush(struct dspdtest *t, const float *buf, size_t count)
{
	if (count && fwrite(buf, sizeof(float), count, t->record) != count) {
		SNDERR("dspdtest: cannot write record file, recording stops");
		fclose(t->record);
		t->record = NULL;
	}
}

static void playback_check(struct dspdtest *t, const snd_pcm_channel_area_t *areas,
			   snd_pcm_uframes_t offset, snd_pcm_uframes_t size)
{
	float rec[4096];
	size_t rec_len = 0;
	double x[MAX_CHANNELS];
	unsigned int channels = t->io.channels;
	double scale = 1.0 / (double)(1ll << (t->fmt->bits - 1));

	pthread_mutex_lock(&shared.lock);
	for (snd_pcm_uframes_t i = 0; i < size; i++) {
		for (unsigned int c = 0; c < channels; c++)
			x[c] = sample_decode(t->fmt, area_frame(&areas[c], offset + i));
		checker_frame(&shared.playback, t, x, (int64_t)(t->run_frames + i));
		if (!t->record)
			continue;
		if (rec_len + channels > sizeof(rec) / sizeof(rec[0])) {
			record_flush(t, rec, rec_len);
			rec_len = 0;
		}
		for (unsigned int c = 0; c < channels; c++)
			rec[rec_len++] = (float)(x[c] * scale);
	}
	shared.playback.frames += size;
	pthread_mutex_unlock(&shared.lock);
	if (t->record)
		record_flush(t, rec, rec_len);
}

static void report_write_gaps(FILE *f, const struct playback_stats *s)
{
	for (unsigned int i = 0; i < s->gap_list_len; i++)
		fprintf(f, "%s{\"at\":%" PRId64 ",\"missing\":%" PRId64 "}",
			i ? "," : "", s->gap_list[i].at, s->gap_list[i].missing);
}

static void report_write_body(FILE *f, const struct dspdtest *t)
{
	const struct capture_stats *c = &shared.capture;
	const struct playback_stats *p = &shared.playback;

	fprintf(f, "{\"format\":\"%s\",\"rate\":%u,\"channels\":%u,"
		"\"period_frames\":%lu,\"buffer_frames\":%lu,\n",
		t->fmt ? snd_pcm_format_name(t->fmt->format) : "",
		t->fmt ? t->io.rate : 0, t->fmt ? t->io.channels : 0,
		t->fmt ? (unsigned long)t->io.period_size : 0,
		t->fmt ? (unsigned long)t->io.buffer_size : 0);
	fprintf(f, "\"capture\":{\"starts\":%" PRIu64 ",\"frames\":%" PRIu64
		",\"overruns\":%" PRIu64 ",\"stalls_injected\":%" PRIu64 "},\n",
		c->starts, c->frames, c->overruns, c->stalls_injected);
	fprintf(f, "\"playback\":{\"starts\":%" PRIu64 ",\"frames\":%" PRIu64
		",\"underruns\":%" PRIu64 ",\"silent_frames\":%" PRIu64
		",\"counter_frames\":%" PRIu64 ",\"gaps\":%" PRIu64 ",\"gap_list\":[",
		p->starts, p->frames, p->underruns, p->silent_frames,
		p->counter_frames, p->gaps);
	report_write_gaps(f, p);
	fprintf(f, "],\"mismatches\":%" PRIu64 ",\"latency_min\":%" PRId64
		",\"latency_max\":%" PRId64 ",\"latency_last\":%" PRId64
		",\"first_counter\":%" PRId64 ",\"last_counter\":%" PRId64 "}}\n",
		p->mismatches, p->latency_min, p->latency_max, p->latency_last,
		p->first_counter, p->last_counter);
}

/* Write the report atomically (tmp + rename); playback instances only. */
static int report_write(struct dspdtest *t)
{
	char tmp[PATH_MAX];
	FILE *f;
	int err = 0;

	if (is_capture(t) || !t->params.report_path)
		return 0;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", t->params.report_path,
		     (long)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	if (t->record)
		fflush(t->record);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	pthread_mutex_lock(&shared.lock);
	report_write_body(f, t);
	pthread_mutex_unlock(&shared.lock);
	if (fflush(f) != 0)
		err = -errno;
	if (fclose(f) != 0 && !err)
		err = -errno;
	if (!err && rename(tmp, t->params.report_path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static void report_maybe(struct dspdtest *t)
{
	if (t->frames_total < t->next_report_frames)
		return;
	t->next_report_frames = t->frames_total + t->io.rate / 2;
	if (report_write(t) < 0)
		SNDERR("dspdtest: cannot write report %s", t->params.report_path);
}

/* ---- ioplug callbacks -------------------------------------------------- */

static int dspdtest_start(snd_pcm_ioplug_t *io)
{
	struct dspdtest *t = io->private_data;
	uint64_t now = monotonic_ns();

	pthread_mutex_lock(&shared.lock);
	t->run_origin = shared_global_frame(now, io->rate);
	if (is_capture(t)) {
		shared.capture.starts++;
		shared.capture.run_origin = t->run_origin;
	} else {
		shared.playback.starts++;
		pending_commit(&t->pending, &shared.playback, t->run_origin);
	}
	pthread_mutex_unlock(&shared.lock);
	t->run_start_ns = now;
	t->origin_known = true;
	t->run_active = true;
	wakeup_arm(t, SND_PCM_STATE_RUNNING);
	return 0;
}

static int dspdtest_stop(snd_pcm_ioplug_t *io)
{
	struct dspdtest *t = io->private_data;

	run_end(t);
	wakeup_arm(t, SND_PCM_STATE_SETUP);
	report_write(t);
	return 0;
}

static int dspdtest_prepare(snd_pcm_ioplug_t *io)
{
	struct dspdtest *t = io->private_data;

	run_end(t);
	t->xrun_seen = false;
	t->origin_known = false;
	t->pending.any = false;
	t->run_frames = 0;
	wakeup_arm(t, SND_PCM_STATE_PREPARED);
	return 0;
}

static snd_pcm_sframes_t dspdtest_pointer(snd_pcm_ioplug_t *io)
{
	struct dspdtest *t = io->private_data;
	int64_t pos;

	switch (io->state) {
	case SND_PCM_STATE_RUNNING:
		pos = run_position(t);
		if (pos < 0) {
			wakeup_arm(t, SND_PCM_STATE_XRUN);
			return pos;
		}
		break;
	case SND_PCM_STATE_DRAINING:
		pos = (int64_t)run_elapsed(t, monotonic_ns());
		if (is_capture(t) && (uint64_t)pos > t->run_frames + io->buffer_size)
			pos = (int64_t)(t->run_frames + io->buffer_size);
		if (!is_capture(t) && (uint64_t)pos > t->run_frames)
			pos = (int64_t)t->run_frames;
		break;
	case SND_PCM_STATE_XRUN:
		return -EPIPE;
	default:
		pos = 0;
		break;
	}
	return (snd_pcm_sframes_t)((uint64_t)pos % t->boundary);
}

static snd_pcm_sframes_t dspdtest_transfer(snd_pcm_ioplug_t *io,
					   const snd_pcm_channel_area_t *areas,
					   snd_pcm_uframes_t offset,
					   snd_pcm_uframes_t size)
{
	struct dspdtest *t = io->private_data;

	if (is_capture(t)) {
		control_poll(t);
		capture_generate(t, areas, offset, size);
		pthread_mutex_lock(&shared.lock);
		shared.capture.frames += size;
		pthread_mutex_unlock(&shared.lock);
	} else {
		playback_check(t, areas, offset, size);
	}
	t->run_frames += size;
	t->frames_total += size;
	wakeup_arm(t, io->state);
	if (!is_capture(t))
		report_maybe(t);
	return (snd_pcm_sframes_t)size;
}

/* Readiness from the clock; the timerfd only wakes the poller up. */
static unsigned short ready_events(struct dspdtest *t)
{
	unsigned short ready = is_capture(t) ? POLLIN : POLLOUT;
	int64_t pos;

	switch (t->io.state) {
	case SND_PCM_STATE_RUNNING:
		pos = run_position(t);
		if (pos < 0) {
			snd_pcm_ioplug_set_state(&t->io, SND_PCM_STATE_XRUN);
			return POLLERR;
		}
		return run_avail(t, (uint64_t)pos) >= t->avail_min ? ready : 0;
	case SND_PCM_STATE_DRAINING:
		if (is_capture(t) || run_elapsed(t, monotonic_ns()) >= t->run_frames)
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

static int dspdtest_poll_revents(snd_pcm_ioplug_t *io, struct pollfd *pfd,
				 unsigned int nfds, unsigned short *revents)
{
	struct dspdtest *t = io->private_data;
	uint64_t expirations;

	if (nfds != 1 || pfd[0].fd != t->timer_fd)
		return -EINVAL;
	if (read(t->timer_fd, &expirations, sizeof(expirations)) < 0 &&
	    errno != EAGAIN)
		return -errno;
	*revents = ready_events(t);
	wakeup_arm(t, io->state);
	return 0;
}

static int dspdtest_hw_params(snd_pcm_ioplug_t *io, snd_pcm_hw_params_t *params)
{
	struct dspdtest *t = io->private_data;

	t->fmt = sample_format_find(io->format);
	if (!t->fmt)
		return -EINVAL;
	/* alsa-lib's own boundary rule; sw_params reports the real one */
	t->boundary = io->buffer_size;
	while (t->boundary * 2 <= LONG_MAX - io->buffer_size)
		t->boundary *= 2;
	t->avail_min = io->period_size;
	return 0;
}

static int dspdtest_sw_params(snd_pcm_ioplug_t *io, snd_pcm_sw_params_t *params)
{
	struct dspdtest *t = io->private_data;
	snd_pcm_uframes_t value;

	if (snd_pcm_sw_params_get_avail_min(params, &value) == 0)
		t->avail_min = value ? value : 1;
	if (snd_pcm_sw_params_get_boundary(params, &value) == 0 && value)
		t->boundary = value;
	return 0;
}

static void dspdtest_free(struct dspdtest *t)
{
	if (t->record)
		fclose(t->record);
	if (t->timer_fd >= 0)
		close(t->timer_fd);
	params_free(&t->params);
	free(t);
}

static int dspdtest_close(snd_pcm_ioplug_t *io)
{
	struct dspdtest *t = io->private_data;

	run_end(t);
	report_write(t);
	dspdtest_free(t);
	return 0;
}

static const snd_pcm_ioplug_callback_t dspdtest_callback = {
	.start = dspdtest_start,
	.stop = dspdtest_stop,
	.pointer = dspdtest_pointer,
	.transfer = dspdtest_transfer,
	.close = dspdtest_close,
	.hw_params = dspdtest_hw_params,
	.sw_params = dspdtest_sw_params,
	.prepare = dspdtest_prepare,
	.poll_revents = dspdtest_poll_revents,
};

/* ---- construction ------------------------------------------------------ */

static int set_constraints(struct dspdtest *t)
{
	static const unsigned int access[] = { SND_PCM_ACCESS_RW_INTERLEAVED };
	snd_pcm_ioplug_t *io = &t->io;
	const struct dspdtest_params *p = &t->params;
	int err;

	err = snd_pcm_ioplug_set_param_list(io, SND_PCM_IOPLUG_HW_ACCESS, 1, access);
	if (err < 0)
		return err;
	err = snd_pcm_ioplug_set_param_list(io, SND_PCM_IOPLUG_HW_FORMAT,
					    p->format_count, p->formats);
	if (err < 0)
		return err;
	err = snd_pcm_ioplug_set_param_minmax(io, SND_PCM_IOPLUG_HW_CHANNELS,
					      p->channels_min, p->channels_max);
	if (err < 0)
		return err;
	err = snd_pcm_ioplug_set_param_minmax(io, SND_PCM_IOPLUG_HW_RATE,
					      p->rate_min, p->rate_max);
	if (err < 0)
		return err;
	err = snd_pcm_ioplug_set_param_minmax(io, SND_PCM_IOPLUG_HW_PERIOD_BYTES,
					      32, 16 << 20);
	if (err < 0)
		return err;
	err = snd_pcm_ioplug_set_param_minmax(io, SND_PCM_IOPLUG_HW_BUFFER_BYTES,
					      64, 64 << 20);
	if (err < 0)
		return err;
	return snd_pcm_ioplug_set_param_minmax(io, SND_PCM_IOPLUG_HW_PERIODS,
					       2, 1024);
}

/* Create the PCM; on failure t is freed. */
static int dspdtest_open(struct dspdtest *t, const char *name,
			 snd_pcm_stream_t stream, int mode)
{
	int err;

	t->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->timer_fd < 0) {
		err = -errno;
		goto fail;
	}
	if (stream == SND_PCM_STREAM_PLAYBACK && t->params.record_path) {
		t->record = fopen(t->params.record_path, "ab");
		if (!t->record) {
			err = -errno;
			SNDERR("dspdtest: cannot open record file %s",
			       t->params.record_path);
			goto fail;
		}
	}
	t->io.version = SND_PCM_IOPLUG_VERSION;
	t->io.name = "dspdtest: paced test device";
	t->io.flags = SND_PCM_IOPLUG_FLAG_BOUNDARY_WA | SND_PCM_IOPLUG_FLAG_MONOTONIC;
	t->io.poll_fd = t->timer_fd;
	t->io.poll_events = POLLIN;
	t->io.mmap_rw = 0;
	t->io.callback = &dspdtest_callback;
	t->io.private_data = t;
	err = snd_pcm_ioplug_create(&t->io, name, stream, mode);
	if (err < 0)
		goto fail;
	err = set_constraints(t);
	if (err < 0)
		snd_pcm_ioplug_delete(&t->io);  /* frees t via dspdtest_close */
	return err;
fail:
	dspdtest_free(t);
	return err;
}

SND_PCM_PLUGIN_DEFINE_FUNC(dspdtest)
{
	struct dspdtest *t;
	int err;

	(void)root;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->timer_fd = -1;
	params_set_defaults(&t->params);
	err = params_parse(&t->params, conf);
	if (err < 0) {
		dspdtest_free(t);
		return err;
	}
	err = dspdtest_open(t, name, stream, mode);
	if (err < 0)
		return err;
	*pcmp = t->io.pcm;
	return 0;
}

SND_PCM_PLUGIN_SYMBOL(dspdtest);
