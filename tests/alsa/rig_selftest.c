/* rig_selftest.c - proves the dspdtest test device itself, with plain
 * alsa-lib and none of dspd's code: this file holds the jobs and their
 * processes, the loop-back, the report reading and the clean, blocking and
 * negotiation checks; rig_faults.c holds the checks of what is injected
 * (stall, faults) and the device events (vanish, suspend, jump).
 *
 * For every format it runs, each in its own process (the device keeps its
 * state per process) and all concurrently:
 *   clean    nonblocking snd_pcm_wait/readi/writei loop-back, 48 kHz
 *            stereo, period 1024, buffer 4096, 3072 frames of silence
 *            prefilled: expects no xrun, no gap, no mismatch and a constant
 *            latency of 3072 frames;
 *   stall    the same with "stall 300" injected through the control file;
 *   blocking the clean run in blocking mode;
 *   faults   the loop-back itself drops 10 frames once and alters one
 *            sample once: the checker must see exactly that;
 *   vanish, suspend, jump   device events (rig_faults.c);
 * plus one negotiation check (formats dspd must not get silently), and,
 * once, after all of those, the clock jobs (rig_faults.c: speed, drift,
 * ppm, mismatch).
 * One thread per job except for vanish's waiter; one line per check,
 * "N passed, M failed" at the end, exit status 1 on any failure.
 *
 * Usage: rig_selftest [-D PCM] [-t SECONDS] [-k] [FORMAT...]
 * PCM (default "dspdtest") must accept the REPORT and CONTROL arguments
 * like the PCMs of tests/alsa/tests.conf.in. */
#include <errno.h>
#include <limits.h>
#include <math.h>
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

#include "rig.h"

#define MAX_JOBS 80

static const char *const phase_names[] = {
	[PHASE_NEGOTIATION] = "negotiation",
	[PHASE_CLEAN] = "clean",
	[PHASE_STALL] = "stall",
	[PHASE_BLOCKING] = "blocking",
	[PHASE_FAULTS] = "faults",
	[PHASE_VANISH] = "vanish",
	[PHASE_SUSPEND] = "suspend",
	[PHASE_JUMP] = "jump",
	[PHASE_HANG] = "hang",
	[PHASE_SPEED] = "speed",
	[PHASE_DRIFT] = "drift",
	[PHASE_PPM] = "ppm",
	[PHASE_MISMATCH] = "mismatch",
	[PHASE_SRC_CTL] = "src-ctl",
	[PHASE_SRC_LOOP] = "src-loop",
	[PHASE_SRC_GADGET] = "src-gadget",
	[PHASE_SRC_STREAM] = "src-stream",
};

static const snd_pcm_format_t all_formats[] = {
	SND_PCM_FORMAT_S16_LE, SND_PCM_FORMAT_S24_LE, SND_PCM_FORMAT_S24_3LE,
	SND_PCM_FORMAT_S32_LE, SND_PCM_FORMAT_FLOAT_LE, SND_PCM_FORMAT_FLOAT64_LE,
	SND_PCM_FORMAT_U8,
};
#define ALL_FORMAT_COUNT (sizeof(all_formats) / sizeof(all_formats[0]))

void check(struct job *job, bool ok, const char *fmt, ...)
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

double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- report reading ------------------------------------------------------ */

char *read_file(const char *path)
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
double report_number(const char *json, const char *section, const char *key)
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

int pcm_configure_geometry(snd_pcm_t *pcm, snd_pcm_format_t format,
			   snd_pcm_uframes_t period, snd_pcm_uframes_t buffer)
{
	snd_pcm_hw_params_t *hw;
	snd_pcm_sw_params_t *sw;
	snd_pcm_uframes_t boundary;
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
	    (err = snd_pcm_sw_params_set_avail_min(pcm, sw, period)) < 0 ||
	    (err = snd_pcm_sw_params_set_start_threshold(pcm, sw, boundary)) < 0 ||
	    (err = snd_pcm_sw_params(pcm, sw)) < 0)
		return err;
	return 0;
}

static int pcm_configure(snd_pcm_t *pcm, snd_pcm_format_t format)
{
	return pcm_configure_geometry(pcm, format, PERIOD, BUFFER);
}

int pcm_open_job(struct job *job, snd_pcm_t **pcm,
			snd_pcm_stream_t stream, int mode)
{
	char name[3 * PATH_MAX];

	snprintf(name, sizeof(name), "%s:REPORT=\"%s\",CONTROL=\"%s\"%s",
		 job->pcm_base, job->report, job->control, job->args);
	return snd_pcm_open(pcm, name, stream, mode);
}

int pcm_open_configured(struct job *job, snd_pcm_t **pcm,
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

/* The most the playback's start came after the capture's in this job
 * (a job is one process), frames: the measured latency is the prefill
 * plus that, and a preemption between the two calls makes it larger. */
static double start_skew_most;

int prefill_and_start(snd_pcm_t *cap, snd_pcm_t *play, void *buf,
			     snd_pcm_format_t format)
{
	snd_pcm_sframes_t n;
	double before;
	int err;

	snd_pcm_format_set_silence(format, buf, PREFILL * CHANNELS);
	n = snd_pcm_writei(play, buf, PREFILL);
	if (n != (snd_pcm_sframes_t)PREFILL)
		return n < 0 ? (int)n : -EIO;
	before = now_seconds();
	if ((err = snd_pcm_start(cap)) < 0)
		return err;
	err = snd_pcm_start(play);
	if ((now_seconds() - before) * RATE > start_skew_most)
		start_skew_most = (now_seconds() - before) * RATE;
	return err;
}

/* aplay's recovery, for both streams at once. */
int recover(snd_pcm_t *cap, snd_pcm_t *play, void *buf,
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
int request(const struct job *job, const char *command)
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

/* Write all frames, waiting for room: a nonblocking writei takes only
 * what fits, and after a preemption between the two starts the playback
 * holds more than the prefill (seen in CI: 1091 frames of start skew, so
 * a full read did not fit).  Frames written, or a negative errno. */
snd_pcm_sframes_t write_all(snd_pcm_t *play, const void *buf,
			    snd_pcm_uframes_t frames, snd_pcm_format_t format)
{
	size_t frame_bytes = (size_t)snd_pcm_format_physical_width(format) / 8 * CHANNELS;
	const unsigned char *at = buf;
	snd_pcm_uframes_t done = 0;

	while (done < frames) {
		snd_pcm_sframes_t put = snd_pcm_writei(play, at + done * frame_bytes,
						       frames - done);
		if (put == -EAGAIN)
			put = 0;
		if (put < 0)
			return put;
		done += (snd_pcm_uframes_t)put;
		if (done < frames) {
			int err = snd_pcm_wait(play, 1000);
			if (err < 0)
				return err;
			if (err == 0)
				return -ETIMEDOUT;
		}
	}
	return (snd_pcm_sframes_t)done;
}

/* One period (or what is there) from capture to playback; 0, -EPIPE for
 * an xrun, or another negative errno.  *fault asks for inject_faults(). */
int pump_once(snd_pcm_t *cap, snd_pcm_t *play, void *buf, bool blocking,
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
	put = write_all(play, buf, (snd_pcm_uframes_t)got, format);
	return put < 0 ? (int)put : 0;
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

bool near(double value, double target, double tolerance)
{
	return fabs(value - target) <= tolerance;
}

void check_setup(struct job *job, const char *r)
{
	check(job, strstr(r, snd_pcm_format_name(job->format)) &&
	      report_number(r, NULL, "rate") == RATE &&
	      report_number(r, NULL, "channels") == CHANNELS &&
	      report_number(r, NULL, "period_frames") == PERIOD &&
	      report_number(r, NULL, "buffer_frames") == BUFFER,
	      "report shows %s, %u Hz, %u ch, period %u, buffer %u",
	      snd_pcm_format_name(job->format), RATE, CHANNELS, PERIOD, BUFFER);
}

double start_skew_frames(void)
{
	return ceil(start_skew_most);
}

bool latency_near(double latency, double want)
{
	return latency >= want - 2 && latency <= want + 2 + start_skew_frames();
}

void check_latency(struct job *job, const char *r)
{
	double lmin = report_number(r, "playback", "latency_min");
	double lmax = report_number(r, "playback", "latency_max");
	double last = report_number(r, "playback", "latency_last");

	check(job, latency_near(lmin, PREFILL) && latency_near(lmax, PREFILL) &&
	      lmax - lmin <= 1 + start_skew_frames() && last >= lmin && last <= lmax,
	      "latency constant at %u frames + the start skew, at most %.0f here "
	      "(min %.0f, max %.0f, last %.0f)", PREFILL, start_skew_frames(), lmin, lmax, last);
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

/* Whether pcm_base takes the clock arguments (same values as the
 * defaults, so the process's clock stays consistent). */
static bool clock_args_accepted(const char *pcm_base)
{
	char name[PATH_MAX];
	snd_pcm_t *pcm;

	snprintf(name, sizeof(name), "%s:SPEED=1,CAPTURE_PPM=0,PLAYBACK_PPM=0", pcm_base);
	if (snd_pcm_open(&pcm, name, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK) < 0)
		return false;
	snd_pcm_close(pcm);
	return true;
}

#define PROBE_CLOCK_ARGS (1u << ALL_FORMAT_COUNT)

/* What the device offers: bit i for all_formats[i], PROBE_CLOCK_ARGS.
 * Probed in a child process, because the first open configures the
 * device's process-wide clock, which the jobs forked from here must not
 * inherit. */
static unsigned int probe_device(const char *pcm_base)
{
	unsigned int offered = 0;
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		for (size_t i = 0; i < ALL_FORMAT_COUNT; i++)
			if (format_supported(pcm_base, all_formats[i]))
				offered |= 1u << i;
		if (clock_args_accepted(pcm_base))
			offered |= PROBE_CLOCK_ARGS;
		_exit((int)offered);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return 0;
	return (unsigned int)WEXITSTATUS(status);
}

static void job_child(struct job *job)
{
	if (job->phase == PHASE_NEGOTIATION)
		run_negotiation_job(job);
	else if (job->phase >= PHASE_SRC_FIRST)
		run_source_job(job);
	else if (job->phase >= PHASE_CLOCK_FIRST)
		run_clock_job(job);
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
	snd_pcm_format_t clock_format = SND_PCM_FORMAT_UNKNOWN;
	unsigned int offered;
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
	offered = probe_device(proto.pcm_base);
	if (optind == argc) {
		for (size_t i = 0; i < ALL_FORMAT_COUNT; i++) {
			if (!(offered & (1u << i))) {
				printf("skip  %-10s not offered by %s\n",
				       snd_pcm_format_name(all_formats[i]), proto.pcm_base);
				continue;
			}
			proto.format = all_formats[i];
			if (clock_format == SND_PCM_FORMAT_UNKNOWN)
				clock_format = proto.format;
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
		if (clock_format == SND_PCM_FORMAT_UNKNOWN)
			clock_format = proto.format;
		for (proto.phase = PHASE_CLEAN; proto.phase <= PHASE_LAST; proto.phase++)
			if (job_add(jobs, &count, results, dir, &proto) < 0) {
				fprintf(stderr, "rig_selftest: too many jobs\n");
				return 2;
			}
	}
	proto.format = clock_format;
	if (!(offered & PROBE_CLOCK_ARGS) || clock_format == SND_PCM_FORMAT_UNKNOWN)
		printf("skip  clock checks: %s takes no SPEED/CAPTURE_PPM/PLAYBACK_PPM\n",
		       proto.pcm_base);
	else
		for (proto.phase = PHASE_CLOCK_FIRST; proto.phase <= PHASE_CLOCK_LAST; proto.phase++)
			if (job_add(jobs, &count, results, dir, &proto) < 0) {
				fprintf(stderr, "rig_selftest: too many jobs\n");
				return 2;
			}
	/* the source jobs use their own PCMs (dspdtest_loopback ...) */
	if (!strcmp(proto.pcm_base, "dspdtest"))
		for (proto.phase = PHASE_SRC_FIRST; proto.phase <= PHASE_SRC_LAST; proto.phase++)
			if (job_add(jobs, &count, results, dir, &proto) < 0) {
				fprintf(stderr, "rig_selftest: too many jobs\n");
				return 2;
			}
	/* the clock jobs run after the others: at speed 10 a period is 2 ms
	 * real, too short a margin while 50 processes start at once */
	for (size_t first = 0, end; first < count; first = end) {
		bool clock_wave = jobs[first].phase >= PHASE_CLOCK_FIRST;

		for (end = first; end < count &&
		     (jobs[end].phase >= PHASE_CLOCK_FIRST) == clock_wave; end++)
			;
		fflush(stdout);
		for (size_t i = first; i < end; i++) {
			jobs[i].pid = fork();
			if (jobs[i].pid == 0)
				job_child(&jobs[i]);
		}
		for (size_t i = first; i < end; i++) {
			job_collect(&jobs[i]);
			passed += results[i].passed;
			failed += results[i].failed;
		}
	}
	if (keep || failed)
		printf("reports kept in %s\n", dir);
	else
		cleanup_dir(dir, count);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
