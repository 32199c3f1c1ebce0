/* rig_clock.c - the rig self-test's checks of the dspdtest device's
 * clocks, each job run once (one format) in its own process:
 *   speed    SPEED=10: 5 s of device time pass in 0.5 s real, both
 *            streams at exactly rate * 10 per real second, nothing lost;
 *   drift    SPEED=4, CAPTURE_PPM=1000: the capture delivers +1000 ppm,
 *            the playback consumes +0 ppm of rate per device second;
 *   ppm      "ppm capture 500" mid-run: the capture position continuous
 *            across it, its rate +500 ppm from then on, no xrun, no gap;
 *   mismatch a second open with other clock values is refused, naming
 *            the parameter and both values.
 * The clock jobs measure hardware positions exactly: frames moved plus
 * snd_pcm_avail, sampled between two clock readings 10 us apart at most.
 * Each job runs on one thread. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <alsa/asoundlib.h>

#include "rig.h"

/* ---- clocks: speed, drift, ppm change, mismatched opens ------------------ */

/* The clock runs keep a deep buffer: at speed 10 the rig's 4096 frames
 * are 8.5 ms real, less than this machine's scheduling hiccups; 28672
 * frames prefilled of 32768 leave ~57 ms real at speed 10. */
#define CLOCK_BUFFER 32768u
#define CLOCK_PREFILL 28672u
#define FAST_SPEED 10.0
#define FAST_DEVICE_SECONDS 5.0
#define DRIFT_SPEED 4.0
#define DRIFT_PPM 1000.0
#define CHANGE_PPM 500.0
/* A position sample is taken between two clock readings at most this far
 * apart (s): it is then known to within this much real time. */
#define SAMPLE_BRACKET 10e-6
/* Clock rates measured against CLOCK_MONOTONIC over ~1..2 s real (200k+
 * frames): the sample brackets and floor() allow ~10 ppm. */
#define PPM_TOLERANCE 30.0
/* The two streams' positions sampled at (nearly) the same instant: their
 * ratio is known better than either rate. */
#define RELATIVE_PPM_TOLERANCE 20.0

/* A loop-back that counts the frames it moved, for exact positions. */
struct counted_loop {
	struct loop lp;
	double speed;
	/* real times: the capture's start (t0) and the playback's close
	 * (which writes the report) each happened between two of these */
	double started, capture_started, closing, closed;
	uint64_t read, written;         /* written: prefill included */
};

/* Hardware positions of both streams at real time at (s). */
struct positions {
	double at;
	double capture, playback;
};

static int counted_open_stream(struct job *job, snd_pcm_t **pcm,
			       snd_pcm_stream_t stream)
{
	int err = pcm_open_job(job, pcm, stream, SND_PCM_NONBLOCK);

	if (err == 0)
		err = pcm_configure_geometry(*pcm, job->format, PERIOD, CLOCK_BUFFER);
	return err;
}

/* Open both streams (period PERIOD, buffer CLOCK_BUFFER), prefill
 * CLOCK_PREFILL frames of silence, start. */
static int counted_open(struct job *job, struct counted_loop *cl, double speed)
{
	struct loop *lp = &cl->lp;
	snd_pcm_sframes_t n;
	int err;

	cl->speed = speed;
	cl->read = 0;
	cl->written = CLOCK_PREFILL;
	err = counted_open_stream(job, &lp->cap, SND_PCM_STREAM_CAPTURE);
	if (err == 0)
		err = counted_open_stream(job, &lp->play, SND_PCM_STREAM_PLAYBACK);
	if (err)
		return err;
	snd_pcm_format_set_silence(job->format, lp->buf, CLOCK_PREFILL * CHANNELS);
	n = snd_pcm_writei(lp->play, lp->buf, CLOCK_PREFILL);
	if (n != (snd_pcm_sframes_t)CLOCK_PREFILL)
		return n < 0 ? (int)n : -EIO;
	cl->started = now_seconds();
	err = snd_pcm_start(lp->cap);
	cl->capture_started = now_seconds();
	return err ? err : snd_pcm_start(lp->play);
}

/* One period (or what is there) from capture to playback, counted: 0, or
 * an error (an xrun included: these runs must have none). */
static int counted_pump(struct counted_loop *cl)
{
	struct loop *lp = &cl->lp;
	snd_pcm_sframes_t avail, got, put;
	int err = snd_pcm_wait(lp->cap, 1000);

	if (err <= 0)
		return err < 0 ? err : -ETIMEDOUT;
	/* what is there, no more: on this ioplug a nonblocking readi of more
	 * than avail can wait for all of it (seen: 62 ms for a full buffer at
	 * speed 10, while the playback's 60 ms of prefill ran out) */
	avail = snd_pcm_avail(lp->cap);
	if (avail < 0)
		return (int)avail;
	got = snd_pcm_readi(lp->cap, lp->buf, (snd_pcm_uframes_t)avail < CLOCK_BUFFER ?
			    (snd_pcm_uframes_t)avail : CLOCK_BUFFER);
	if (got == -EAGAIN)
		return 0;
	if (got < 0)
		return (int)got;
	cl->read += (uint64_t)got;
	put = write_all(lp->play, lp->buf, (snd_pcm_uframes_t)got, lp->format);
	if (put < 0)
		return (int)put;
	cl->written += (uint64_t)put;
	return 0;
}

/* Run the loop-back until real time until (s). */
static int counted_run_until(struct counted_loop *cl, double until)
{
	int err = 0;

	while (err == 0 && now_seconds() < until)
		err = counted_pump(cl);
	return err;
}

/* Both hardware positions: frames moved plus what avail says, sampled
 * between two clock readings at most SAMPLE_BRACKET apart. */
static int sample_positions(struct counted_loop *cl, struct positions *p)
{
	for (int tries = 0; tries < 10000; tries++) {
		double before = now_seconds();
		snd_pcm_sframes_t cap = snd_pcm_avail(cl->lp.cap);
		snd_pcm_sframes_t play = snd_pcm_avail(cl->lp.play);
		double after = now_seconds();

		if (cap < 0 || play < 0)
			return cap < 0 ? (int)cap : (int)play;
		if (after - before > SAMPLE_BRACKET)
			continue;
		p->at = (before + after) / 2;
		p->capture = (double)cl->read + (double)cap;
		p->playback = (double)cl->written - CLOCK_BUFFER + (double)play;
		return 0;
	}
	return -EAGAIN;
}

/* Run the loop-back until `seconds` after it started, then sample. */
static int sample_at(struct counted_loop *cl, double seconds, struct positions *p)
{
	int err = counted_run_until(cl, cl->started + seconds);

	return err ? err : sample_positions(cl, p);
}

/* Rate offsets between two samples, in ppm: each stream against device
 * time (real time * speed * RATE) and the capture against the playback. */
struct rates {
	double capture, playback, relative;
};

static struct rates rates_between(const struct counted_loop *cl,
				  const struct positions *a, const struct positions *b)
{
	double nominal = (b->at - a->at) * cl->speed * RATE;
	double cap = b->capture - a->capture, play = b->playback - a->playback;

	return (struct rates){
		.capture = (cap / nominal - 1) * 1e6,
		.playback = (play / nominal - 1) * 1e6,
		.relative = (cap / play - 1) * 1e6,
	};
}

/* The rates of both streams are what the clocks say. */
static void check_rates(struct job *job, const char *what, const struct rates *r,
			double capture_ppm, double playback_ppm)
{
	check(job, near(r->capture, capture_ppm, PPM_TOLERANCE) &&
	      near(r->playback, playback_ppm, PPM_TOLERANCE),
	      "%s: capture %+.1f ppm, playback %+.1f ppm of device time "
	      "(want %+.0f, %+.0f, +-%.0f)", what, r->capture, r->playback,
	      capture_ppm, playback_ppm, PPM_TOLERANCE);
	check(job, near(r->relative, capture_ppm - playback_ppm, RELATIVE_PPM_TOLERANCE),
	      "%s: capture runs %+.1f ppm against the playback (want %+.0f, +-%.0f)",
	      what, r->relative, capture_ppm - playback_ppm, RELATIVE_PPM_TOLERANCE);
}

/* A lossless loop-back keeps the checker's latency (an offset of counter
 * labels) constant whatever the clocks do; it is the prefill plus the
 * frames the playback's clock ran between the two starts, which take a few
 * microseconds, times the speed (allowed: 1 ms real). */
static void check_clock_latency(struct job *job, const char *r, double speed)
{
	double lmin = report_number(r, "playback", "latency_min");
	double lmax = report_number(r, "playback", "latency_max");
	double skew = 0.001 * speed * RATE;

	check(job, lmax - lmin <= 1 && lmin >= CLOCK_PREFILL - 2 &&
	      lmax <= CLOCK_PREFILL + skew,
	      "latency constant, %u frames + the start skew (min %.0f, max %.0f)",
	      CLOCK_PREFILL, lmin, lmax);
}

/* The report after a clean clock run: the clock section, and not one
 * frame lost, repeated or altered. */
static void check_clock_report(struct job *job, const char *r,
			       const struct counted_loop *cl,
			       double capture_ppm, double playback_ppm, double changes)
{
	double device_seconds = report_number(r, "clock", "device_seconds");
	double least = (cl->closing - cl->capture_started) * cl->speed;
	double most = (cl->closed - cl->started) * cl->speed;

	check(job, report_number(r, NULL, "period_frames") == PERIOD &&
	      report_number(r, NULL, "buffer_frames") == CLOCK_BUFFER,
	      "report shows period %u, buffer %u", PERIOD, CLOCK_BUFFER);
	check(job, report_number(r, "clock", "speed") == cl->speed &&
	      report_number(r, "clock", "capture_ppm") == capture_ppm &&
	      report_number(r, "clock", "playback_ppm") == playback_ppm &&
	      report_number(r, "clock", "ppm_changes") == changes,
	      "report clock: speed %g, capture_ppm %g, playback_ppm %g, ppm_changes %g",
	      report_number(r, "clock", "speed"), report_number(r, "clock", "capture_ppm"),
	      report_number(r, "clock", "playback_ppm"),
	      report_number(r, "clock", "ppm_changes"));
	check(job, device_seconds >= least - 1e-6 && device_seconds <= most + 1e-6,
	      "device_seconds %.4f = real time from start to report x %g (%.4f..%.4f)",
	      device_seconds, cl->speed, least, most);
	check(job, report_number(r, "capture", "overruns") == 0 &&
	      report_number(r, "playback", "underruns") == 0 &&
	      report_number(r, "playback", "gaps") == 0 &&
	      report_number(r, "playback", "mismatches") == 0,
	      "no xrun, no gap, no mismatch (%.0f, %.0f, %.0f, %.0f)",
	      report_number(r, "capture", "overruns"),
	      report_number(r, "playback", "underruns"),
	      report_number(r, "playback", "gaps"),
	      report_number(r, "playback", "mismatches"));
	check(job, report_number(r, "capture", "frames") == (double)cl->read &&
	      report_number(r, "playback", "counter_frames") == (double)cl->read,
	      "every frame read was played and checked (%.0f read)", (double)cl->read);
	check_clock_latency(job, r, cl->speed);
}

/* Close the loop-back, then check its report (check_clock_report). */
static void counted_close_and_check(struct job *job, struct counted_loop *cl,
				    double capture_ppm, double playback_ppm, double changes)
{
	char *r;

	snd_pcm_close(cl->lp.cap);
	cl->lp.cap = NULL;
	cl->closing = now_seconds();
	snd_pcm_close(cl->lp.play);
	cl->lp.play = NULL;
	cl->closed = now_seconds();
	r = read_file(job->report);
	check(job, r != NULL, "report %s written at close", job->report);
	if (!r)
		return;
	check_clock_report(job, r, cl, capture_ppm, playback_ppm, changes);
	free(r);
}

/* speed 10: 5 s of device time pass in 0.5 s, and nothing is lost. */
static void run_speed_job(struct job *job, struct counted_loop *cl)
{
	uint64_t target = (uint64_t)(FAST_DEVICE_SECONDS * RATE);
	double real = FAST_DEVICE_SECONDS / FAST_SPEED, took;
	struct positions a, b;
	struct rates rates;
	int err;

	snprintf(job->args, sizeof(job->args), ",SPEED=%g", FAST_SPEED);
	err = counted_open(job, cl, FAST_SPEED);
	if (err == 0)
		err = sample_positions(cl, &a);
	while (err == 0 && cl->read < target)
		err = counted_pump(cl);
	took = now_seconds() - cl->started;
	if (err == 0)
		err = sample_positions(cl, &b);
	check(job, err == 0 && took >= real - 0.002 && took <= real + 0.06,
	      "loop-back of %.0f s device time (%llu frames) took %.3f s real "
	      "(want %.3f): %s", FAST_DEVICE_SECONDS, (unsigned long long)target, took,
	      real, err ? snd_strerror(err) : "ok");
	if (err)
		return;
	rates = rates_between(cl, &a, &b);
	check_rates(job, "speed 10", &rates, 0, 0);
	counted_close_and_check(job, cl, 0, 0, 0);
}

/* capture +1000 ppm, playback 0, speed 4: each stream at its rate. */
static void run_drift_job(struct job *job, struct counted_loop *cl)
{
	struct positions a, b;
	struct rates rates;
	int err;

	snprintf(job->args, sizeof(job->args), ",SPEED=%g,CAPTURE_PPM=%g,PLAYBACK_PPM=0",
		 DRIFT_SPEED, DRIFT_PPM);
	err = counted_open(job, cl, DRIFT_SPEED);
	if (err == 0)
		err = sample_at(cl, 0.2, &a);
	if (err == 0)
		err = sample_at(cl, 2.2, &b);
	check(job, err == 0, "loop-back for 8.8 s device time (2.2 s real): %s",
	      err ? snd_strerror(err) : "ok");
	if (err)
		return;
	rates = rates_between(cl, &a, &b);
	check_rates(job, "8 s device time", &rates, DRIFT_PPM, 0);
	counted_close_and_check(job, cl, DRIFT_PPM, 0, 0);
}

/* The command is consumed at the capture's next poll: pump until the
 * control file is gone. */
static int pump_until_consumed(struct job *job, struct counted_loop *cl)
{
	int err = 0;

	for (int i = 0; err == 0 && access(job->control, F_OK) == 0; i++)
		err = i < 100 ? counted_pump(cl) : -ETIMEDOUT;
	return err;
}

/* "ppm capture 500" mid-run: the capture's rate changes from then on, its
 * position does not leap. */
static void run_ppm_job(struct job *job, struct counted_loop *cl)
{
	struct positions a, b, c, d;
	struct rates before, after;
	double predicted, cap_step, relative_step;
	char command[64];
	int err;

	snprintf(job->args, sizeof(job->args), ",SPEED=%g", DRIFT_SPEED);
	snprintf(command, sizeof(command), "ppm capture %g", CHANGE_PPM);
	err = counted_open(job, cl, DRIFT_SPEED);
	if (err == 0)
		err = sample_at(cl, 0.2, &a);
	if (err == 0)
		err = sample_at(cl, 1.2, &b);
	if (err == 0)
		err = request(job, command);
	if (err == 0)
		err = pump_until_consumed(job, cl);
	if (err == 0)
		err = sample_positions(cl, &c);
	if (err == 0)
		err = sample_at(cl, 2.7, &d);
	check(job, err == 0, "loop-back of 10.8 s device time with \"%s\" at 4.8 s: %s",
	      command, err ? snd_strerror(err) : "ok");
	if (err)
		return;
	/* across the change (a few ms): no leap of the capture position,
	 * neither against real time nor against the playback */
	predicted = (c.at - b.at) * cl->speed * RATE;
	cap_step = c.capture - b.capture;
	relative_step = cap_step - (c.playback - b.playback);
	check(job, near(cap_step, predicted, 6) && near(relative_step, 0, 4),
	      "the capture position is continuous across the change (%.0f frames in "
	      "%.2f ms, want %.1f; %+.0f against the playback)", cap_step,
	      (c.at - b.at) * 1000, predicted, relative_step);
	before = rates_between(cl, &a, &b);
	after = rates_between(cl, &c, &d);
	check_rates(job, "before the change", &before, 0, 0);
	check_rates(job, "after the change", &after, CHANGE_PPM, 0);
	counted_close_and_check(job, cl, CHANGE_PPM, 0, 1);
}

static char last_error[512];

static void remember_error(const char *file, int line, const char *function,
			   int err, const char *fmt, ...)
{
	va_list ap;

	(void)file, (void)line, (void)function, (void)err;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

/* Open with these extra arguments; the error, and its message in
 * last_error. */
static int open_with(struct job *job, snd_pcm_t **pcm, snd_pcm_stream_t stream,
		     const char *args)
{
	snprintf(job->args, sizeof(job->args), "%s", args);
	last_error[0] = '\0';
	return pcm_open_job(job, pcm, stream, SND_PCM_NONBLOCK);
}

/* A second open whose clock differs from the first open's is refused,
 * and says why; the same values written differently are accepted. */
static void run_mismatch_job(struct job *job)
{
	static const struct {
		const char *args;
		const char *message;    /* what the error log must say */
	} refused[] = {
		{ ",SPEED=5,CAPTURE_PPM=300", "speed 5 differs from 4" },
		{ ",SPEED=4,CAPTURE_PPM=301", "capture_ppm 301 differs from 300" },
		{ ",SPEED=4,CAPTURE_PPM=300,PLAYBACK_PPM=-2.5",
		  "playback_ppm -2.5 differs from 0" },
		{ "", "speed 1 differs from 4" },
	};
	static const char *const out_of_range[] = {
		",SPEED=0.5", ",SPEED=101", ",CAPTURE_PPM=20001", ",PLAYBACK_PPM=-20001",
	};
	snd_pcm_t *cap = NULL, *play = NULL;
	char *r;
	int err;

	snd_lib_error_set_handler(remember_error);
	snprintf(job->args, sizeof(job->args), ",SPEED=4,CAPTURE_PPM=300");
	err = pcm_open_job(job, &cap, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK);
	check(job, err == 0, "first open (capture, SPEED=4,CAPTURE_PPM=300): %s",
	      err ? snd_strerror(err) : "ok");
	for (size_t i = 0; err == 0 && i < sizeof(refused) / sizeof(refused[0]); i++) {
		int e = open_with(job, &play, SND_PCM_STREAM_PLAYBACK, refused[i].args);
		check(job, e == -EINVAL && strstr(last_error, refused[i].message),
		      "open with \"%s\" refused: %s, \"%s\"", refused[i].args,
		      e ? snd_strerror(e) : "opened", last_error);
		if (e == 0)
			snd_pcm_close(play);
	}
	for (size_t i = 0; i < sizeof(out_of_range) / sizeof(out_of_range[0]); i++) {
		int e = open_with(job, &play, SND_PCM_STREAM_PLAYBACK, out_of_range[i]);
		check(job, e < 0, "out of range \"%s\" refused: %s", out_of_range[i],
		      e ? snd_strerror(e) : "opened");
		if (e == 0)
			snd_pcm_close(play);
	}
	if (err == 0) {
		err = open_with(job, &play, SND_PCM_STREAM_PLAYBACK,
				",SPEED=4.0,CAPTURE_PPM=\"300\",PLAYBACK_PPM=0");
		check(job, err == 0, "the same values written differently open: %s",
		      err ? snd_strerror(err) : "ok");
	}
	if (err == 0) {
		/* only the valid command counts; read by a capture open */
		request(job, "ppm capture 20001\nppm sideways 5\nppm capture\n"
			"ppm playback -20000\nppm playback 1 2");
		snd_pcm_close(cap);
		err = open_with(job, &cap, SND_PCM_STREAM_CAPTURE, ",SPEED=4,CAPTURE_PPM=300");
		err = err ? err : snd_pcm_close(cap);
		cap = NULL;
		snd_pcm_close(play);
		play = NULL;
		r = read_file(job->report);
		check(job, err == 0 && r &&
		      report_number(r, "clock", "ppm_changes") == 1 &&
		      report_number(r, "clock", "playback_ppm") == -20000 &&
		      report_number(r, "clock", "capture_ppm") == 300,
		      "of five ppm commands only the valid one ran (ppm_changes %g, "
		      "playback_ppm %g, capture_ppm %g)",
		      r ? report_number(r, "clock", "ppm_changes") : NAN,
		      r ? report_number(r, "clock", "playback_ppm") : NAN,
		      r ? report_number(r, "clock", "capture_ppm") : NAN);
		free(r);
	}
	if (cap)
		snd_pcm_close(cap);
	if (play)
		snd_pcm_close(play);
	snd_lib_error_set_handler(NULL);
}

void run_clock_job(struct job *job)
{
	size_t frame_bytes = (size_t)snd_pcm_format_physical_width(job->format) / 8 * CHANNELS;
	struct counted_loop cl = { .lp.buf = malloc(CLOCK_BUFFER * frame_bytes),
				   .lp.format = job->format };

	unlink(job->report);
	unlink(job->control);
	if (!cl.lp.buf) {
		check(job, false, "out of memory");
		return;
	}
	if (job->phase == PHASE_SPEED)
		run_speed_job(job, &cl);
	else if (job->phase == PHASE_DRIFT)
		run_drift_job(job, &cl);
	else if (job->phase == PHASE_PPM)
		run_ppm_job(job, &cl);
	else
		run_mismatch_job(job);
	loop_close(&cl.lp);
	free(cl.lp.buf);
}
