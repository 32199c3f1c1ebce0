/* rig_selftest.c - proves the dspdtest test device itself, with plain
 * alsa-lib and none of dspd's code.
 *
 * For every format it runs, each in its own process (the device keeps its
 * state per process) and all concurrently:
 *   clean    nonblocking snd_pcm_wait/readi/writei loop-back, 48 kHz
 *            stereo, period 1024, buffer 4096, 3072 frames of silence
 *            prefilled: expects no xrun, no gap, no mismatch and a constant
 *            latency of 3072 frames;
 *   stall    the same with "stall 300" injected through the control file:
 *            expects overruns and underruns counted, exactly one gap per
 *            aplay-style recovery, and the latency back to 3072;
 *   blocking the clean run in blocking mode;
 *   faults   the loop-back itself drops 10 frames once and alters one
 *            sample once: the checker must see exactly that (proves it
 *            can fail);
 *   vanish   "vanish 0" read by an open: the open fails with -ENODEV, a
 *            playback waiting in snd_pcm_wait wakes with -ENODEV, opens
 *            keep failing until "return"; then "vanish 300" during the
 *            loop-back: -ENODEV within a period, DISCONNECTED for good,
 *            opens refused for 300 ms, and after reopening the loop-back
 *            runs again with one gap of the time the device was gone;
 *   suspend  "suspend": -ESTRPIPE within a period, snd_pcm_resume() goes
 *            on in place (one gap of the time suspended, latency kept),
 *            a second suspend is recovered by snd_pcm_prepare();
 *   jump     "jump 300": an xrun at once, without the application
 *            sleeping, and one gap of about 300 ms.
 * plus one negotiation check (formats dspd must not get silently).
 * One thread per job except for vanish's waiter; one line per check,
 * "N passed, M failed" at the end, exit status 1 on any failure.
 *
 * Usage: rig_selftest [-D PCM] [-t SECONDS] [-k] [FORMAT...]
 * PCM (default "dspdtest") must accept the REPORT and CONTROL arguments
 * like the PCMs of tests/alsa/tests.conf.in. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <alsa/asoundlib.h>

#define RATE 48000u
#define CHANNELS 2u
#define PERIOD 1024u
#define BUFFER 4096u
#define PREFILL 3072u
#define STALL_MS 300u
#define FAULT_DROP 10u          /* frames the faults phase throws away */
#define VANISH_MS 300u
#define SUSPEND_MS 200u
#define JUMP_MS 300u
#define REOPEN_INTERVAL_US 2000u
#define MAX_JOBS 64

enum phase {
	PHASE_NEGOTIATION, PHASE_CLEAN, PHASE_STALL, PHASE_BLOCKING, PHASE_FAULTS,
	PHASE_VANISH, PHASE_SUSPEND, PHASE_JUMP,
	PHASE_LAST = PHASE_JUMP,
};

static const char *const phase_names[] = {
	[PHASE_NEGOTIATION] = "negotiation",
	[PHASE_CLEAN] = "clean",
	[PHASE_STALL] = "stall",
	[PHASE_BLOCKING] = "blocking",
	[PHASE_FAULTS] = "faults",
	[PHASE_VANISH] = "vanish",
	[PHASE_SUSPEND] = "suspend",
	[PHASE_JUMP] = "jump",
};

static const snd_pcm_format_t all_formats[] = {
	SND_PCM_FORMAT_S16_LE, SND_PCM_FORMAT_S24_LE, SND_PCM_FORMAT_S24_3LE,
	SND_PCM_FORMAT_S32_LE, SND_PCM_FORMAT_FLOAT_LE, SND_PCM_FORMAT_FLOAT64_LE,
	SND_PCM_FORMAT_U8,
};
#define ALL_FORMAT_COUNT (sizeof(all_formats) / sizeof(all_formats[0]))

struct job_result {
	int passed;
	int failed;
};

struct job {
	enum phase phase;
	snd_pcm_format_t format;
	const char *pcm_base;
	unsigned int seconds;
	char report[PATH_MAX];
	char control[PATH_MAX];
	FILE *out;
	struct job_result *result;      /* shared with the parent */
	pid_t pid;
};

/* What one loop-back run saw from the application's side. */
struct run_stats {
	unsigned int recoveries;
	bool completed;
};

static void check(struct job *job, bool ok, const char *fmt, ...)
{
	va_list ap;

	fprintf(job->out, "%s  %-10s %-8s ", ok ? "PASS" : "FAIL",
		job->phase == PHASE_NEGOTIATION ? "-" : snd_pcm_format_name(job->format),
		phase_names[job->phase]);
	va_start(ap, fmt);
	vfprintf(job->out, fmt, ap);
	va_end(ap);
	fputc('\n', job->out);
	if (ok)
		job->result->passed++;
	else
		job->result->failed++;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- report reading ------------------------------------------------------ */

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t len;

	if (!f)
		return NULL;
	buf = calloc(1, 65536);
	if (buf) {
		len = fread(buf, 1, 65535, f);
		buf[len] = '\0';
	}
	fclose(f);
	return buf;
}

/* End of the object or array opening at *open (its closing bracket). */
static const char *json_skip(const char *open)
{
	int depth = 0;

	for (const char *p = open; *p; p++) {
		if (*p == '{' || *p == '[')
			depth++;
		else if ((*p == '}' || *p == ']') && --depth == 0)
			return p;
	}
	return open + strlen(open);
}

/* The number after "key": inside the value of "section" (an object, or
 * an array whose first object is searched), or at the top level when
 * section is NULL; NAN when absent.  Enough for the report the device
 * writes, whose keys are unique within each object. */
static double report_number(const char *json, const char *section, const char *key)
{
	char pattern[128];
	const char *start = json;
	const char *end = json + strlen(json);
	const char *hit;

	if (section) {
		snprintf(pattern, sizeof(pattern), "\"%s\":", section);
		start = strstr(json, pattern);
		if (!start)
			return NAN;
		start += strlen(pattern);
		if (*start == '[')
			start++;
		if (*start != '{')
			return NAN;
		end = json_skip(start);
	}
	snprintf(pattern, sizeof(pattern), "\"%s\":", key);
	for (hit = strstr(start, pattern); hit && hit < end;
	     hit = strstr(hit + 1, pattern)) {
		/* skip matches nested deeper than the searched object */
		int depth = 0;
		for (const char *p = start + 1; p < hit; p++) {
			if (*p == '{' || *p == '[')
				depth++;
			else if (*p == '}' || *p == ']')
				depth--;
		}
		if (depth == 0)
			return strtod(hit + strlen(pattern), NULL);
	}
	return NAN;
}

/* ---- PCM set-up ---------------------------------------------------------- */

static int pcm_configure(snd_pcm_t *pcm, snd_pcm_format_t format)
{
	snd_pcm_hw_params_t *hw;
	snd_pcm_sw_params_t *sw;
	snd_pcm_uframes_t period = PERIOD, buffer = BUFFER, boundary;
	int err;

	snd_pcm_hw_params_alloca(&hw);
	snd_pcm_sw_params_alloca(&sw);
	if ((err = snd_pcm_hw_params_any(pcm, hw)) < 0 ||
	    (err = snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0 ||
	    (err = snd_pcm_hw_params_set_format(pcm, hw, format)) < 0 ||
	    (err = snd_pcm_hw_params_set_channels(pcm, hw, CHANNELS)) < 0 ||
	    (err = snd_pcm_hw_params_set_rate_resample(pcm, hw, 0)) < 0 ||
	    (err = snd_pcm_hw_params_set_rate(pcm, hw, RATE, 0)) < 0 ||
	    (err = snd_pcm_hw_params_set_period_size(pcm, hw, period, 0)) < 0 ||
	    (err = snd_pcm_hw_params_set_buffer_size(pcm, hw, buffer)) < 0 ||
	    (err = snd_pcm_hw_params(pcm, hw)) < 0)
		return err;
	if ((err = snd_pcm_sw_params_current(pcm, sw)) < 0 ||
	    (err = snd_pcm_sw_params_get_boundary(sw, &boundary)) < 0 ||
	    (err = snd_pcm_sw_params_set_avail_min(pcm, sw, PERIOD)) < 0 ||
	    (err = snd_pcm_sw_params_set_start_threshold(pcm, sw, boundary)) < 0 ||
	    (err = snd_pcm_sw_params(pcm, sw)) < 0)
		return err;
	return 0;
}

static int pcm_open_job(struct job *job, snd_pcm_t **pcm,
			snd_pcm_stream_t stream, int mode)
{
	char name[3 * PATH_MAX];

	snprintf(name, sizeof(name), "%s:REPORT=\"%s\",CONTROL=\"%s\"",
		 job->pcm_base, job->report, job->control);
	return snd_pcm_open(pcm, name, stream, mode);
}

static int pcm_open_configured(struct job *job, snd_pcm_t **pcm,
			       snd_pcm_stream_t stream, int mode)
{
	int err;

	err = pcm_open_job(job, pcm, stream, mode);
	if (err < 0)
		return err;
	err = pcm_configure(*pcm, job->format);
	if (err < 0) {
		snd_pcm_close(*pcm);
		*pcm = NULL;
	}
	return err;
}

/* ---- loop-back ----------------------------------------------------------- */

static int prefill_and_start(snd_pcm_t *cap, snd_pcm_t *play, void *buf,
			     snd_pcm_format_t format)
{
	snd_pcm_sframes_t n;
	int err;

	snd_pcm_format_set_silence(format, buf, PREFILL * CHANNELS);
	n = snd_pcm_writei(play, buf, PREFILL);
	if (n != (snd_pcm_sframes_t)PREFILL)
		return n < 0 ? (int)n : -EIO;
	if ((err = snd_pcm_start(cap)) < 0)
		return err;
	return snd_pcm_start(play);
}

/* aplay's recovery, for both streams at once. */
static int recover(snd_pcm_t *cap, snd_pcm_t *play, void *buf,
		   snd_pcm_format_t format)
{
	int err;

	snd_pcm_drop(cap);
	snd_pcm_drop(play);
	if ((err = snd_pcm_prepare(cap)) < 0 || (err = snd_pcm_prepare(play)) < 0)
		return err;
	return prefill_and_start(cap, play, buf, format);
}

/* Write one control command, atomically. */
static int request(const struct job *job, const char *command)
{
	char tmp[PATH_MAX + 8];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", job->control);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "%s\n", command);
	if (fclose(f) != 0)
		return -errno;
	return rename(tmp, job->control) < 0 ? -errno : 0;
}

/* Damage the data once, the way a buggy pipeline would: drop FAULT_DROP
 * frames, then flip one sample of channel 1 of the next frame kept. */
static snd_pcm_sframes_t inject_faults(void *buf, snd_pcm_sframes_t got,
				       snd_pcm_format_t format)
{
	size_t frame_bytes = (size_t)snd_pcm_format_physical_width(format) / 8 * CHANNELS;
	unsigned char *frames = buf;

	if (got <= (snd_pcm_sframes_t)FAULT_DROP)
		return got;
	got -= FAULT_DROP;
	memmove(frames, frames + FAULT_DROP * frame_bytes, (size_t)got * frame_bytes);
	frames[frame_bytes / CHANNELS] ^= 0x40;     /* first byte of channel 1 */
	return got;
}

/* A blocking reader takes what is there, but at least a period. */
static snd_pcm_uframes_t read_size(snd_pcm_t *cap)
{
	snd_pcm_sframes_t avail = snd_pcm_avail_update(cap);

	if (avail <= (snd_pcm_sframes_t)PERIOD)
		return PERIOD;  /* readi blocks, or reports the xrun */
	return avail < (snd_pcm_sframes_t)BUFFER ? (snd_pcm_uframes_t)avail : BUFFER;
}

/* One period (or what is there) from capture to playback; 0, -EPIPE for
 * an xrun, or another negative errno.  *fault asks for inject_faults(). */
static int pump_once(snd_pcm_t *cap, snd_pcm_t *play, void *buf, bool blocking,
		     snd_pcm_format_t format, bool *fault)
{
	snd_pcm_sframes_t got, put;
	int err;

	if (!blocking) {
		err = snd_pcm_wait(cap, 1000);
		if (err < 0)
			return err;
		if (err == 0)
			return -ETIMEDOUT;
	}
	got = snd_pcm_readi(cap, buf, blocking ? read_size(cap) : BUFFER);
	if (got == -EAGAIN)
		return 0;
	if (got < 0)
		return (int)got;
	if (*fault && got > (snd_pcm_sframes_t)FAULT_DROP) {
		got = inject_faults(buf, got, format);
		*fault = false;
	}
	put = snd_pcm_writei(play, buf, (snd_pcm_uframes_t)got);
	if (put < 0)
		return (int)put;
	return put == got ? 0 : -ENOSPC;
}

static void loopback(struct job *job, snd_pcm_t *cap, snd_pcm_t *play,
		     struct run_stats *rs)
{
	bool blocking = job->phase == PHASE_BLOCKING;
	size_t frame_bytes = (size_t)snd_pcm_format_physical_width(job->format) / 8 * CHANNELS;
	void *buf = malloc(BUFFER * frame_bytes);
	double start = now_seconds();
	double length = job->seconds;
	bool stall_sent = job->phase != PHASE_STALL;
	bool fault = false, fault_sent = job->phase != PHASE_FAULTS;
	int err;

	if (job->phase == PHASE_STALL && length < 2.5)
		length = 2.5;
	err = buf ? prefill_and_start(cap, play, buf, job->format) : -ENOMEM;
	check(job, err == 0, "prefill %u frames and start both streams: %s",
	      PREFILL, err ? snd_strerror(err) : "ok");
	while (err == 0 && now_seconds() - start < length) {
		if (!stall_sent && now_seconds() - start >= 1.0) {
			char command[32];
			snprintf(command, sizeof(command), "stall %u", STALL_MS);
			err = request(job, command);
			stall_sent = true;
			if (err < 0)
				break;
		}
		if (!fault_sent && now_seconds() - start >= 1.0)
			fault = fault_sent = true;
		err = pump_once(cap, play, buf, blocking, job->format, &fault);
		if (err == -EPIPE) {
			rs->recoveries++;
			err = recover(cap, play, buf, job->format);
		}
	}
	rs->completed = err == 0;
	check(job, rs->completed, "loop-back for %.1f s (%u recoveries): %s",
	      length, rs->recoveries, err ? snd_strerror(err) : "ok");
	free(buf);
}

/* ---- report checks ------------------------------------------------------- */

static bool near(double value, double target, double tolerance)
{
	return fabs(value - target) <= tolerance;
}

static void check_setup(struct job *job, const char *r)
{
	check(job, strstr(r, snd_pcm_format_name(job->format)) &&
	      report_number(r, NULL, "rate") == RATE &&
	      report_number(r, NULL, "channels") == CHANNELS &&
	      report_number(r, NULL, "period_frames") == PERIOD &&
	      report_number(r, NULL, "buffer_frames") == BUFFER,
	      "report shows %s, %u Hz, %u ch, period %u, buffer %u",
	      snd_pcm_format_name(job->format), RATE, CHANNELS, PERIOD, BUFFER);
}

static void check_latency(struct job *job, const char *r)
{
	double lmin = report_number(r, "playback", "latency_min");
	double lmax = report_number(r, "playback", "latency_max");
	double last = report_number(r, "playback", "latency_last");

	check(job, lmax - lmin <= 1 && near(lmin, PREFILL, 2) && near(last, PREFILL, 2),
	      "latency constant at %u frames (min %.0f, max %.0f, last %.0f)",
	      PREFILL, lmin, lmax, last);
}

static void check_clean_report(struct job *job, const char *r)
{
	double counters = report_number(r, "playback", "counter_frames");
	double captured = report_number(r, "capture", "frames");
	double first = report_number(r, "playback", "first_counter");
	double last = report_number(r, "playback", "last_counter");
	double expected = job->seconds * (double)RATE;

	check_setup(job, r);
	check(job, report_number(r, "capture", "overruns") == 0 &&
	      report_number(r, "playback", "underruns") == 0,
	      "no overrun, no underrun");
	check(job, report_number(r, "playback", "gaps") == 0,
	      "no gap (%.0f)", report_number(r, "playback", "gaps"));
	check(job, report_number(r, "playback", "mismatches") == 0,
	      "no mismatch (%.0f)", report_number(r, "playback", "mismatches"));
	check(job, counters == captured && last - first + 1 == counters &&
	      near(counters, expected, 0.05 * expected + BUFFER),
	      "every captured frame checked once, in order (%.0f of %.0f, ~%.0f)",
	      counters, captured, expected);
	check(job, report_number(r, "playback", "silent_frames") == PREFILL,
	      "silence is exactly the prefill (%.0f)",
	      report_number(r, "playback", "silent_frames"));
	check_latency(job, r);
}

static void check_stall_report(struct job *job, const char *r,
			       const struct run_stats *rs)
{
	double gaps = report_number(r, "playback", "gaps");
	double missing = report_number(r, "gap_list", "missing");
	double stall_frames = STALL_MS * (double)RATE / 1000.0;

	check_setup(job, r);
	check(job, report_number(r, "capture", "stalls_injected") == 1,
	      "one stall injected");
	check(job, rs->recoveries >= 1 &&
	      report_number(r, "capture", "overruns") >= 1 &&
	      report_number(r, "playback", "underruns") >= 1,
	      "xruns counted (overruns %.0f, underruns %.0f, recoveries %u)",
	      report_number(r, "capture", "overruns"),
	      report_number(r, "playback", "underruns"), rs->recoveries);
	check(job, report_number(r, "capture", "starts") == rs->recoveries + 1 &&
	      report_number(r, "playback", "starts") == rs->recoveries + 1,
	      "each recovery restarted both streams");
	check(job, gaps == rs->recoveries,
	      "exactly one gap per recovery (%.0f gaps)", gaps);
	check(job, missing >= stall_frames - 2 && missing <= stall_frames + 0.2 * RATE,
	      "first gap spans the stall (%.0f frames missing, stall %.0f)",
	      missing, stall_frames);
	check(job, report_number(r, "playback", "mismatches") == 0,
	      "no mismatch (%.0f)", report_number(r, "playback", "mismatches"));
	check(job, near(report_number(r, "playback", "latency_last"), PREFILL, 2),
	      "latency back to %u after re-sync (%.0f)", PREFILL,
	      report_number(r, "playback", "latency_last"));
}

static void check_faults_report(struct job *job, const char *r)
{
	double lmin = report_number(r, "playback", "latency_min");
	double lmax = report_number(r, "playback", "latency_max");
	double last = report_number(r, "playback", "latency_last");

	check_setup(job, r);
	check(job, report_number(r, "playback", "gaps") == 1 &&
	      report_number(r, "gap_list", "missing") == FAULT_DROP,
	      "the %u dropped frames are one gap of %u (%.0f gaps, %.0f missing)",
	      FAULT_DROP, FAULT_DROP, report_number(r, "playback", "gaps"),
	      report_number(r, "gap_list", "missing"));
	check(job, report_number(r, "playback", "mismatches") == 1,
	      "the altered sample is one mismatch (%.0f)",
	      report_number(r, "playback", "mismatches"));
	check(job, near(lmax, PREFILL, 2) && near(lmin, PREFILL - FAULT_DROP, 2) &&
	      near(last, PREFILL - FAULT_DROP, 2),
	      "latency drops by %u with the frames (min %.0f, max %.0f, last %.0f)",
	      FAULT_DROP, lmin, lmax, last);
}

/* ---- device events: vanish, suspend, jump -------------------------------- */

/* Both streams of a nonblocking loop-back and what it needed. */
struct loop {
	snd_pcm_t *cap, *play;
	void *buf;
	snd_pcm_format_t format;
	unsigned int recoveries;
};

/* Open, configure, prefill and start both streams. */
static int loop_open(struct job *job, struct loop *lp)
{
	int err;

	lp->cap = lp->play = NULL;
	lp->format = job->format;
	err = pcm_open_configured(job, &lp->cap, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK);
	if (err == 0)
		err = pcm_open_configured(job, &lp->play, SND_PCM_STREAM_PLAYBACK,
					  SND_PCM_NONBLOCK);
	if (err == 0)
		err = prefill_and_start(lp->cap, lp->play, lp->buf, lp->format);
	return err;
}

static void loop_close(struct loop *lp)
{
	if (lp->cap)
		snd_pcm_close(lp->cap);
	if (lp->play)
		snd_pcm_close(lp->play);
	lp->cap = lp->play = NULL;
}

/* Loop-back for seconds, recovering from xruns like aplay: 0 or the
 * first other error. */
static int loop_run(struct loop *lp, double seconds)
{
	double start = now_seconds();
	bool fault = false;
	int err = 0;

	while (err == 0 && now_seconds() - start < seconds) {
		err = pump_once(lp->cap, lp->play, lp->buf, false, lp->format, &fault);
		if (err == -EPIPE) {
			lp->recoveries++;
			err = recover(lp->cap, lp->play, lp->buf, lp->format);
		}
	}
	return err;
}

/* Loop-back until something fails: that error (-ETIMEDOUT if nothing did
 * within timeout seconds), *at: when the application got it. */
static int loop_until_error(struct loop *lp, double timeout, double *at)
{
	double start = now_seconds();
	bool fault = false;
	int err = 0;

	while (err == 0 && now_seconds() - start < timeout)
		err = pump_once(lp->cap, lp->play, lp->buf, false, lp->format, &fault);
	*at = now_seconds();
	return err ? err : -ETIMEDOUT;
}

static const char *state_name(snd_pcm_t *pcm)
{
	return snd_pcm_state_name(snd_pcm_state(pcm));
}

/* Whether both streams are in state; the playback notices a device event
 * at its next pointer update. */
static bool both_in_state(struct loop *lp, snd_pcm_state_t state, char *names,
			  size_t size)
{
	snd_pcm_avail_update(lp->play);
	snprintf(names, size, "%s, %s", state_name(lp->cap), state_name(lp->play));
	return snd_pcm_state(lp->cap) == state && snd_pcm_state(lp->play) == state;
}

/* Scheduling latency the timing checks allow, in seconds. */
#define SLACK 0.01

/* The application sees a device event at its next wake-up: a period. */
static bool within_a_period(double seconds)
{
	return seconds >= 0 && seconds <= (double)PERIOD / RATE + SLACK;
}

/* A gap that began with an event: the frames captured but not yet read
 * then (up to a period) are lost too. */
static bool gap_spans(double missing, double frames)
{
	return missing >= frames - 0.002 * RATE &&
	       missing <= frames + PERIOD + SLACK * RATE;
}

struct waiter {
	snd_pcm_t *pcm;
	int err;
	double returned_at;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	w->err = snd_pcm_wait(w->pcm, 3000);
	w->returned_at = now_seconds();
	return NULL;
}

/* "vanish 0" and "return" read by opens; a playback waiting in poll with a
 * full buffer (nothing would wake it) must wake with -ENODEV at once.
 * Returns the opens refused. */
static unsigned int vanish_until_return(struct job *job)
{
	size_t frame_bytes = (size_t)snd_pcm_format_physical_width(job->format) / 8 * CHANNELS;
	struct waiter w = { .err = 1 };
	snd_pcm_t *pcm = NULL;
	unsigned int refused = 0;
	pthread_t thread;
	void *silence;
	double t;
	int err;

	silence = calloc(BUFFER, frame_bytes);
	err = silence ? pcm_open_configured(job, &w.pcm, SND_PCM_STREAM_PLAYBACK,
					    SND_PCM_NONBLOCK) : -ENOMEM;
	if (err == 0) {
		snd_pcm_format_set_silence(job->format, silence, BUFFER * CHANNELS);
		err = snd_pcm_writei(w.pcm, silence, BUFFER) == BUFFER ? 0 : -EIO;
	}
	if (err == 0)
		err = -pthread_create(&thread, NULL, waiter_main, &w);
	check(job, err == 0, "prepared playback with a full buffer waits in snd_pcm_wait: %s",
	      err ? snd_strerror(err) : "ok");
	free(silence);
	if (err) {
		if (w.pcm)
			snd_pcm_close(w.pcm);
		return 0;
	}
	usleep(50000);
	request(job, "vanish 0");
	t = now_seconds();
	err = pcm_open_job(job, &pcm, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK);
	refused += err == -ENODEV;
	check(job, err == -ENODEV, "the capture open that reads \"vanish 0\" fails: %s",
	      err ? snd_strerror(err) : "opened");
	pthread_join(thread, NULL);
	check(job, w.err == -ENODEV && within_a_period(w.returned_at - t),
	      "the waiting playback wakes with -ENODEV (%s, after %.1f ms)",
	      w.err < 0 ? snd_strerror(w.err) : "no error", (w.returned_at - t) * 1000);
	if (err == 0)
		snd_pcm_close(pcm);
	usleep(100000);
	err = pcm_open_job(job, &pcm, SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK);
	refused += err == -ENODEV;
	check(job, err == -ENODEV, "still gone 100 ms later, playback open fails: %s",
	      err ? snd_strerror(err) : "opened");
	if (err == 0)
		snd_pcm_close(pcm);
	request(job, "return");
	err = pcm_open_job(job, &pcm, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK);
	check(job, err == 0, "the capture open that reads \"return\" succeeds: %s",
	      err ? snd_strerror(err) : "ok");
	if (err == 0)
		snd_pcm_close(pcm);
	check(job, snd_pcm_state(w.pcm) == SND_PCM_STATE_DISCONNECTED &&
	      snd_pcm_prepare(w.pcm) == -ENODEV,
	      "a PCM opened before the vanish stays dead after the return (%s)",
	      state_name(w.pcm));
	snd_pcm_close(w.pcm);
	return refused;
}

/* Retry opening the capture until it works; *refused counts -ENODEV. */
static int reopen_capture(struct job *job, struct loop *lp, unsigned int *refused,
			  double timeout)
{
	double start = now_seconds();
	int err;

	do {
		err = pcm_open_configured(job, &lp->cap, SND_PCM_STREAM_CAPTURE,
					  SND_PCM_NONBLOCK);
		if (err != -ENODEV)
			return err;
		(*refused)++;
		usleep(REOPEN_INTERVAL_US);
	} while (now_seconds() - start < timeout);
	return err;
}

static void run_vanish_job(struct job *job, struct loop *lp)
{
	unsigned int refused = vanish_until_return(job);
	unsigned int refused_timed = 0;
	double requested, lost, reopened, restarted, gone_frames, missing;
	char command[32], states[64];
	char *r;
	bool ok;
	int err;

	err = loop_open(job, lp);
	if (err == 0)
		err = loop_run(lp, 1.0);
	check(job, err == 0, "loop-back for 1 s: %s", err ? snd_strerror(err) : "ok");
	if (err)
		return;
	snprintf(command, sizeof(command), "vanish %u", VANISH_MS);
	request(job, command);
	requested = now_seconds();
	err = loop_until_error(lp, 1.0, &lost);
	check(job, err == -ENODEV && within_a_period(lost - requested),
	      "\"%s\": the loop-back fails with %s after %.1f ms", command,
	      snd_strerror(err), (lost - requested) * 1000);
	ok = both_in_state(lp, SND_PCM_STATE_DISCONNECTED, states, sizeof(states));
	check(job, ok && snd_pcm_writei(lp->play, lp->buf, 1) == -ENODEV &&
	      snd_pcm_readi(lp->cap, lp->buf, 1) == -ENODEV,
	      "both streams DISCONNECTED (%s), readi/writei -ENODEV", states);
	check(job, snd_pcm_prepare(lp->cap) == -ENODEV && snd_pcm_prepare(lp->play) == -ENODEV,
	      "prepare fails with -ENODEV on both");
	loop_close(lp);
	err = reopen_capture(job, lp, &refused_timed, 2.0);
	reopened = now_seconds();
	check(job, err == 0 && refused_timed >= 1 &&
	      reopened - lost >= VANISH_MS / 1000.0 - 0.002 &&
	      reopened - lost <= VANISH_MS / 1000.0 + 0.05,
	      "opens refused for %.1f ms (%u tries), then the capture opens: %s",
	      (reopened - lost) * 1000, refused_timed, err ? snd_strerror(err) : "ok");
	if (err == 0)
		err = pcm_open_configured(job, &lp->play, SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK);
	if (err == 0)
		err = prefill_and_start(lp->cap, lp->play, lp->buf, lp->format);
	restarted = now_seconds();
	if (err == 0)
		err = loop_run(lp, 0.7);
	check(job, err == 0 && lp->recoveries == 0,
	      "reopened loop-back for 0.7 s (%u recoveries): %s", lp->recoveries,
	      err ? snd_strerror(err) : "ok");
	loop_close(lp);
	r = read_file(job->report);
	check(job, r != NULL, "report %s written at close", job->report);
	if (!r)
		return;
	check_setup(job, r);
	check(job, report_number(r, "device", "vanishes") == 2 &&
	      report_number(r, "device", "opens_refused") == refused + refused_timed,
	      "2 vanishes, %u opens refused (report: %.0f, %.0f)",
	      refused + refused_timed, report_number(r, "device", "vanishes"),
	      report_number(r, "device", "opens_refused"));
	check(job, report_number(r, "capture", "starts") == 2 &&
	      report_number(r, "playback", "starts") == 2 &&
	      report_number(r, "capture", "overruns") == 0 &&
	      report_number(r, "playback", "underruns") == 0,
	      "two runs each, an unplug is no xrun");
	/* lost: the vanish began; the frames not yet read then are lost too */
	gone_frames = (restarted - lost) * RATE;
	missing = report_number(r, "gap_list", "missing");
	check(job, report_number(r, "playback", "gaps") == 1 && gap_spans(missing, gone_frames),
	      "one gap of the time gone, within a period (%.0f missing, gone %.0f)",
	      missing, gone_frames);
	check(job, report_number(r, "playback", "mismatches") == 0,
	      "no mismatch (%.0f)", report_number(r, "playback", "mismatches"));
	check_latency(job, r);
	free(r);
}

static void run_suspend_job(struct job *job, struct loop *lp)
{
	double requested, suspended, resumed_at, again, missing;
	int err, err_cap, err_play;
	char states[64];
	char *r;
	bool ok;

	err = loop_open(job, lp);
	if (err == 0)
		err = loop_run(lp, 1.0);
	check(job, err == 0, "loop-back for 1 s: %s", err ? snd_strerror(err) : "ok");
	if (err)
		return;
	request(job, "suspend");
	requested = now_seconds();
	err = loop_until_error(lp, 1.0, &suspended);
	check(job, err == -ESTRPIPE && within_a_period(suspended - requested),
	      "\"suspend\": the loop-back fails with %s after %.1f ms",
	      snd_strerror(err), (suspended - requested) * 1000);
	ok = both_in_state(lp, SND_PCM_STATE_SUSPENDED, states, sizeof(states));
	check(job, ok && snd_pcm_writei(lp->play, lp->buf, 1) == -ESTRPIPE,
	      "both streams SUSPENDED (%s), writei -ESTRPIPE", states);
	usleep(SUSPEND_MS * 1000);
	resumed_at = now_seconds();
	err_cap = snd_pcm_resume(lp->cap);
	err_play = snd_pcm_resume(lp->play);
	check(job, err_cap == 0 && err_play == 0 &&
	      snd_pcm_state(lp->cap) == SND_PCM_STATE_RUNNING &&
	      snd_pcm_state(lp->play) == SND_PCM_STATE_RUNNING,
	      "snd_pcm_resume: %d, %d; RUNNING again (%s, %s)", err_cap, err_play,
	      state_name(lp->cap), state_name(lp->play));
	err = loop_run(lp, 0.8);
	check(job, err == 0 && lp->recoveries == 0,
	      "resumed loop-back for 0.8 s without xrun (%u recoveries): %s",
	      lp->recoveries, err ? snd_strerror(err) : "ok");
	request(job, "suspend");
	err = loop_until_error(lp, 1.0, &again);
	if (err == -ESTRPIPE && (err = snd_pcm_prepare(lp->cap)) == 0 &&
	    (err = snd_pcm_prepare(lp->play)) == 0)
		err = prefill_and_start(lp->cap, lp->play, lp->buf, lp->format);
	if (err == 0)
		err = loop_run(lp, 0.5);
	check(job, err == 0 && lp->recoveries == 0,
	      "second suspend recovered by snd_pcm_prepare, 0.5 s more: %s",
	      err ? snd_strerror(err) : "ok");
	loop_close(lp);
	r = read_file(job->report);
	check(job, r != NULL, "report %s written at close", job->report);
	if (!r)
		return;
	check_setup(job, r);
	check(job, report_number(r, "device", "suspends") == 2 &&
	      report_number(r, "device", "resumes") == 2,
	      "2 suspends, 2 streams resumed (report: %.0f, %.0f)",
	      report_number(r, "device", "suspends"), report_number(r, "device", "resumes"));
	check(job, report_number(r, "capture", "starts") == 2 &&
	      report_number(r, "playback", "starts") == 2 &&
	      report_number(r, "capture", "overruns") == 0 &&
	      report_number(r, "playback", "underruns") == 0,
	      "one restart (the prepare), a suspend is no xrun");
	/* the clock stood still from the suspend (between the request and
	 * the error) to the resume; nothing unread is lost */
	missing = report_number(r, "gap_list", "missing");
	check(job, report_number(r, "playback", "gaps") == 2 &&
	      missing >= (resumed_at - suspended) * RATE - 2 &&
	      missing <= (resumed_at - requested) * RATE + 2,
	      "2 gaps, the first the time suspended (%.0f missing, %.0f..%.0f)", missing,
	      (resumed_at - suspended) * RATE, (resumed_at - requested) * RATE);
	check(job, report_number(r, "playback", "mismatches") == 0,
	      "no mismatch (%.0f)", report_number(r, "playback", "mismatches"));
	/* the streams resume microseconds apart, and each new origin rounds */
	check(job, near(report_number(r, "playback", "latency_min"), PREFILL, 3) &&
	      near(report_number(r, "playback", "latency_max"), PREFILL, 3) &&
	      near(report_number(r, "playback", "latency_last"), PREFILL, 2),
	      "latency kept across the resume (min %.0f, max %.0f, last %.0f)",
	      report_number(r, "playback", "latency_min"),
	      report_number(r, "playback", "latency_max"),
	      report_number(r, "playback", "latency_last"));
	free(r);
}

static void run_jump_job(struct job *job, struct loop *lp)
{
	double requested, xrun_at, restarted, jump_frames, missing;
	char command[32];
	int err;
	char *r;

	err = loop_open(job, lp);
	if (err == 0)
		err = loop_run(lp, 1.0);
	check(job, err == 0, "loop-back for 1 s: %s", err ? snd_strerror(err) : "ok");
	if (err)
		return;
	snprintf(command, sizeof(command), "jump %u", JUMP_MS);
	request(job, command);
	requested = now_seconds();
	err = loop_until_error(lp, 1.0, &xrun_at);
	check(job, err == -EPIPE && within_a_period(xrun_at - requested),
	      "\"%s\": an xrun after %.1f ms, nobody slept (%s)", command,
	      (xrun_at - requested) * 1000, snd_strerror(err));
	check(job, snd_pcm_avail_update(lp->play) == -EPIPE,
	      "the playback underran too");
	err = recover(lp->cap, lp->play, lp->buf, lp->format);
	restarted = now_seconds();
	if (err == 0)
		err = loop_run(lp, 1.0);
	check(job, err == 0 && lp->recoveries == 0,
	      "recovered, loop-back for 1 s more: %s", err ? snd_strerror(err) : "ok");
	loop_close(lp);
	r = read_file(job->report);
	check(job, r != NULL, "report %s written at close", job->report);
	if (!r)
		return;
	check_setup(job, r);
	check(job, report_number(r, "device", "jumps") == 1 &&
	      report_number(r, "capture", "stalls_injected") == 0,
	      "one jump, no stall");
	check(job, report_number(r, "capture", "overruns") == 1 &&
	      report_number(r, "playback", "underruns") == 1 &&
	      report_number(r, "capture", "starts") == 2,
	      "one overrun, one underrun, one restart");
	/* the jump plus the recovery time, plus up to a period unread */
	jump_frames = JUMP_MS * (double)RATE / 1000 + (restarted - xrun_at) * RATE;
	missing = report_number(r, "gap_list", "missing");
	check(job, report_number(r, "playback", "gaps") == 1 && gap_spans(missing, jump_frames),
	      "one gap of the jump (%.0f missing, jump + recovery %.0f)",
	      missing, jump_frames);
	check(job, report_number(r, "playback", "mismatches") == 0,
	      "no mismatch (%.0f)", report_number(r, "playback", "mismatches"));
	check(job, near(report_number(r, "playback", "latency_last"), PREFILL, 2),
	      "latency back to %u after re-sync (%.0f)", PREFILL,
	      report_number(r, "playback", "latency_last"));
	free(r);
}

static void run_device_job(struct job *job)
{
	size_t frame_bytes = (size_t)snd_pcm_format_physical_width(job->format) / 8 * CHANNELS;
	struct loop lp = { .buf = malloc(BUFFER * frame_bytes) };

	unlink(job->report);
	unlink(job->control);
	if (!lp.buf) {
		check(job, false, "out of memory");
		return;
	}
	if (job->phase == PHASE_VANISH)
		run_vanish_job(job, &lp);
	else if (job->phase == PHASE_SUSPEND)
		run_suspend_job(job, &lp);
	else
		run_jump_job(job, &lp);
	loop_close(&lp);
	free(lp.buf);
}

/* ---- jobs ---------------------------------------------------------------- */

static void run_loopback_job(struct job *job)
{
	int mode = job->phase == PHASE_BLOCKING ? 0 : SND_PCM_NONBLOCK;
	snd_pcm_t *cap = NULL, *play = NULL;
	struct run_stats rs = { 0 };
	char *report;
	int err;

	unlink(job->report);
	unlink(job->control);
	err = pcm_open_configured(job, &cap, SND_PCM_STREAM_CAPTURE, mode);
	if (err == 0)
		err = pcm_open_configured(job, &play, SND_PCM_STREAM_PLAYBACK, mode);
	check(job, err == 0, "open capture+playback %s: %s",
	      mode ? "nonblocking" : "blocking", err ? snd_strerror(err) : "ok");
	if (err == 0)
		loopback(job, cap, play, &rs);
	if (cap)
		snd_pcm_close(cap);
	if (play)
		snd_pcm_close(play);
	if (err)
		return;
	report = read_file(job->report);
	check(job, report != NULL, "report %s written at close", job->report);
	if (!report)
		return;
	if (job->phase == PHASE_STALL)
		check_stall_report(job, report, &rs);
	else if (job->phase == PHASE_FAULTS)
		check_faults_report(job, report);
	else
		check_clean_report(job, report);
	free(report);
}

/* The device offers what it says and refuses the rest: no silent fallback. */
static void run_negotiation_job(struct job *job)
{
	static const snd_pcm_format_t foreign[] = {
		SND_PCM_FORMAT_U32_LE, SND_PCM_FORMAT_S32_BE, SND_PCM_FORMAT_S16_BE,
	};
	snd_pcm_hw_params_t *hw;
	snd_pcm_t *pcm;
	int err;

	snd_pcm_hw_params_alloca(&hw);
	err = snd_pcm_open(&pcm, job->pcm_base, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK);
	check(job, err == 0, "open %s: %s", job->pcm_base, err ? snd_strerror(err) : "ok");
	if (err)
		return;
	snd_pcm_hw_params_any(pcm, hw);
	for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++)
		check(job, snd_pcm_hw_params_test_format(pcm, hw, foreign[i]) < 0,
		      "%s refused", snd_pcm_format_name(foreign[i]));
	check(job, snd_pcm_hw_params_test_channels(pcm, hw, 33) < 0 &&
	      snd_pcm_hw_params_test_rate(pcm, hw, 7999, 0) < 0,
	      "33 channels and 7999 Hz refused");
	snd_pcm_close(pcm);
}

static bool format_supported(const char *pcm_base, snd_pcm_format_t format)
{
	snd_pcm_hw_params_t *hw;
	snd_pcm_t *pcm;
	bool ok;

	snd_pcm_hw_params_alloca(&hw);
	if (snd_pcm_open(&pcm, pcm_base, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK) < 0)
		return false;
	ok = snd_pcm_hw_params_any(pcm, hw) >= 0 &&
	     snd_pcm_hw_params_test_format(pcm, hw, format) == 0;
	snd_pcm_close(pcm);
	return ok;
}

static void job_child(struct job *job)
{
	if (job->phase == PHASE_NEGOTIATION)
		run_negotiation_job(job);
	else if (job->phase >= PHASE_VANISH)
		run_device_job(job);
	else
		run_loopback_job(job);
	fflush(job->out);
	_exit(0);
}

static int job_add(struct job *jobs, size_t *count, struct job_result *results,
		   const char *dir, const struct job *proto)
{
	struct job *job;

	if (*count >= MAX_JOBS)
		return -E2BIG;
	job = &jobs[*count];
	*job = *proto;
	job->result = &results[*count];
	snprintf(job->report, sizeof(job->report), "%s/%zu.json", dir, *count);
	snprintf(job->control, sizeof(job->control), "%s/%zu.ctl", dir, *count);
	job->out = tmpfile();
	if (!job->out)
		return -errno;
	(*count)++;
	return 0;
}

static void job_collect(struct job *job)
{
	char line[512];
	int status;

	if (waitpid(job->pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		check(job, false, "job process ended abnormally (status %d)", status);
	rewind(job->out);
	while (fgets(line, sizeof(line), job->out))
		fputs(line, stdout);
	fclose(job->out);
}

static void cleanup_dir(const char *dir, size_t count)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < count; i++) {
		snprintf(path, sizeof(path), "%s/%zu.json", dir, i);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%zu.ctl", dir, i);
		unlink(path);
	}
	rmdir(dir);
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [-D PCM] [-t SECONDS] [-k] [FORMAT...]\n"
		"  -D PCM      device accepting REPORT and CONTROL args (dspdtest)\n"
		"  -t SECONDS  length of each loop-back run (3)\n"
		"  -k          keep the reports (in a directory under /tmp)\n"
		"  FORMAT      default: every format the device offers\n", argv0);
}

int main(int argc, char **argv)
{
	static struct job jobs[MAX_JOBS];
	struct job proto = { .pcm_base = "dspdtest", .seconds = 3 };
	struct job_result *results;
	char dir[] = "/tmp/rig_selftest.XXXXXX";
	size_t count = 0;
	int passed = 0, failed = 0;
	bool keep = false;
	int opt;

	while ((opt = getopt(argc, argv, "D:t:kh")) != -1) {
		switch (opt) {
		case 'D': proto.pcm_base = optarg; break;
		case 't': proto.seconds = (unsigned int)atoi(optarg); break;
		case 'k': keep = true; break;
		default: usage(argv[0]); return 2;
		}
	}
	if (proto.seconds < 1 || proto.seconds > 3600) {
		usage(argv[0]);
		return 2;
	}
	results = mmap(NULL, sizeof(*results) * MAX_JOBS, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (results == MAP_FAILED || !mkdtemp(dir)) {
		perror("rig_selftest");
		return 1;
	}
	proto.phase = PHASE_NEGOTIATION;
	job_add(jobs, &count, results, dir, &proto);
	if (optind == argc) {
		for (size_t i = 0; i < ALL_FORMAT_COUNT; i++) {
			if (!format_supported(proto.pcm_base, all_formats[i])) {
				printf("skip  %-10s not offered by %s\n",
				       snd_pcm_format_name(all_formats[i]), proto.pcm_base);
				continue;
			}
			proto.format = all_formats[i];
			for (proto.phase = PHASE_CLEAN; proto.phase <= PHASE_LAST; proto.phase++)
				job_add(jobs, &count, results, dir, &proto);
		}
	}
	for (int i = optind; i < argc; i++) {
		proto.format = snd_pcm_format_value(argv[i]);
		if (proto.format == SND_PCM_FORMAT_UNKNOWN) {
			fprintf(stderr, "rig_selftest: unknown format %s\n", argv[i]);
			return 2;
		}
		for (proto.phase = PHASE_CLEAN; proto.phase <= PHASE_LAST; proto.phase++)
			if (job_add(jobs, &count, results, dir, &proto) < 0) {
				fprintf(stderr, "rig_selftest: too many jobs\n");
				return 2;
			}
	}
	fflush(stdout);
	for (size_t i = 0; i < count; i++) {
		jobs[i].pid = fork();
		if (jobs[i].pid == 0)
			job_child(&jobs[i]);
	}
	for (size_t i = 0; i < count; i++) {
		job_collect(&jobs[i]);
		passed += results[i].passed;
		failed += results[i].failed;
	}
	if (keep || failed)
		printf("reports kept in %s\n", dir);
	else
		cleanup_dir(dir, count);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
