/* rig_faults.c - the rig self-test's checks of what is injected into the
 * dspdtest device, one job per format, each in its own process:
 *   stall    "stall 300" through the control file during the loop-back:
 *            overruns and underruns counted, exactly one gap per
 *            aplay-style recovery, and the latency back to 3072;
 *   faults   the loop-back drops 10 frames once and alters one sample
 *            once: the checker sees exactly that (proves it can fail);
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
 *   hang     "hang": no error and no movement for good (both RUNNING,
 *            the capture never ready), a re-sync of the hung handles
 *            succeeds and nothing moves; new handles (their start
 *            made 200 ms slow by "slowprepare 200") run, one gap of
 *            the time hung.
 * The stall and faults runs are rig_selftest.c's loop-back; this file checks
 * their reports.  Each job runs on its own thread, vanish adds a waiter.
 * The clock jobs are in rig_clock.c. */
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

void check_stall_report(struct job *job, const char *r,
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
	check(job, latency_near(report_number(r, "playback", "latency_last"), PREFILL),
	      "latency back to %u after re-sync (%.0f; start skew up to %.0f)", PREFILL,
	      report_number(r, "playback", "latency_last"), start_skew_frames());
}

void check_faults_report(struct job *job, const char *r)
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
	check(job, latency_near(lmax, PREFILL) && near(lmax - lmin, FAULT_DROP, 1) &&
	      latency_near(last, PREFILL - FAULT_DROP),
	      "latency drops by %u with the frames (min %.0f, max %.0f, last %.0f; "
	      "start skew up to %.0f)", FAULT_DROP, lmin, lmax, last, start_skew_frames());
}

/* ---- device events: vanish, suspend, jump -------------------------------- */

#define VANISH_MS 300u
#define SUSPEND_MS 200u
#define JUMP_MS 300u
#define REOPEN_INTERVAL_US 2000u

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

void loop_close(struct loop *lp)
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

/* Open the loop-back, run it for a second, then send the device command;
 * *requested is when it was sent.  False (and a failed check) when the
 * loop-back does not run. */
static bool inject_after_a_second(struct job *job, struct loop *lp,
				  const char *command, double *requested)
{
	int err = loop_open(job, lp);

	if (err == 0)
		err = loop_run(lp, 1.0);
	check(job, err == 0, "loop-back for 1 s: %s", err ? snd_strerror(err) : "ok");
	if (err)
		return false;
	request(job, command);
	*requested = now_seconds();
	return true;
}

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

	snprintf(command, sizeof(command), "vanish %u", VANISH_MS);
	if (!inject_after_a_second(job, lp, command, &requested))
		return;
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

	if (!inject_after_a_second(job, lp, "suspend", &requested))
		return;
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
	/* the resumed run keeps its position: the latency may move only by
	 * the frames the rig's own thread takes to write again after resume
	 * (a few; 31 seen on a preempted run) and to start again after the
	 * prepare; a lost or doubled period is PERIOD, four times the bound */
	check(job, near(report_number(r, "playback", "latency_min"), PREFILL, PERIOD / 4) &&
	      near(report_number(r, "playback", "latency_max"), PREFILL, PERIOD / 4) &&
	      near(report_number(r, "playback", "latency_last"), PREFILL, PERIOD / 4),
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

	snprintf(command, sizeof(command), "jump %u", JUMP_MS);
	if (!inject_after_a_second(job, lp, command, &requested))
		return;
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
	check(job, latency_near(report_number(r, "playback", "latency_last"), PREFILL),
	      "latency back to %u after re-sync (%.0f; start skew up to %.0f)", PREFILL,
	      report_number(r, "playback", "latency_last"), start_skew_frames());
	free(r);
}

/* The capture's position now, and that nothing failed: avail of both. */
static bool frozen_for(struct loop *lp, double seconds, snd_pcm_sframes_t *cap_avail,
		       snd_pcm_sframes_t *play_avail)
{
	snd_pcm_sframes_t c0 = snd_pcm_avail(lp->cap), p0 = snd_pcm_avail(lp->play);
	int w = snd_pcm_wait(lp->cap, (int)(seconds * 1000));

	*cap_avail = snd_pcm_avail(lp->cap);
	*play_avail = snd_pcm_avail(lp->play);
	return w == 0 && c0 >= 0 && p0 >= 0 && *cap_avail == c0 && *play_avail == p0 &&
	       snd_pcm_state(lp->cap) == SND_PCM_STATE_RUNNING &&
	       snd_pcm_state(lp->play) == SND_PCM_STATE_RUNNING;
}

/* "hang": both handles stop moving for good with no error (a JACK PCM
 * whose server died); a re-sync (drop, prepare, prefill, start) succeeds
 * and still nothing moves; closed and opened again, the loop-back runs,
 * with one gap of the time hung. */
static void run_hang_job(struct job *job, struct loop *lp)
{
	snd_pcm_sframes_t cap_avail = -1, play_avail = -1;
	double slow_from, slow;
	bool frozen;
	double requested, errored, restarted, hung_frames, missing;
	int err;
	char *r;

	if (!inject_after_a_second(job, lp, "hang", &requested))
		return;
	err = loop_until_error(lp, 0.3, &errored);
	check(job, err == -ETIMEDOUT, "\"hang\": no error for 300 ms (%s)",
	      err == -ETIMEDOUT ? "none" : snd_strerror(err));
	frozen = frozen_for(lp, 0.3, &cap_avail, &play_avail);
	check(job, frozen,
	      "both RUNNING, nothing moves for 300 ms more, the capture never ready "
	      "(avail %ld, %ld)", (long)cap_avail, (long)play_avail);
	err = recover(lp->cap, lp->play, lp->buf, lp->format);
	check(job, err == 0, "the re-sync of the hung handles succeeds: %s",
	      err ? snd_strerror(err) : "ok");
	frozen = frozen_for(lp, 0.3, &cap_avail, &play_avail);
	check(job, frozen && cap_avail == 0,
	      "and after it nothing moves either (avail %ld, %ld)",
	      (long)cap_avail, (long)play_avail);
	loop_close(lp);
	/* "slowprepare 200", read when the new capture opens: its first
	 * prepare (in hw_params) takes that long */
	request(job, "slowprepare 200");
	slow_from = now_seconds();
	err = loop_open(job, lp);
	restarted = now_seconds();
	slow = restarted - slow_from;
	check(job, err == 0 && slow >= 0.2 && slow < 0.2 + SLACK + 0.05,
	      "\"slowprepare 200\": the new handles took %.1f ms to start", slow * 1000);
	if (err == 0)
		err = loop_run(lp, 0.7);
	check(job, err == 0 && lp->recoveries == 0,
	      "new handles: loop-back for 0.7 s (%u recoveries): %s", lp->recoveries,
	      err ? snd_strerror(err) : "ok");
	loop_close(lp);
	r = read_file(job->report);
	check(job, r != NULL, "report %s written at close", job->report);
	if (!r)
		return;
	check_setup(job, r);
	check(job, report_number(r, "device", "slow_prepares") == 1,
	      "one slow prepare (%.0f)", report_number(r, "device", "slow_prepares"));
	check(job, report_number(r, "device", "hangs") == 1 &&
	      report_number(r, "capture", "overruns") == 0 &&
	      report_number(r, "playback", "underruns") == 0,
	      "one hang, no xrun (%.0f overruns, %.0f underruns)",
	      report_number(r, "capture", "overruns"), report_number(r, "playback", "underruns"));
	/* the hang came when the capture read the command, within a period
	 * of the request; the new capture starts at restarted */
	hung_frames = (restarted - requested) * RATE;
	missing = report_number(r, "gap_list", "missing");
	check(job, report_number(r, "playback", "gaps") == 1 &&
	      missing >= hung_frames - PERIOD - SLACK * RATE &&
	      missing <= hung_frames + SLACK * RATE,
	      "one gap of the time hung (%.0f missing, hung %.0f)", missing, hung_frames);
	check(job, report_number(r, "playback", "mismatches") == 0,
	      "no mismatch (%.0f)", report_number(r, "playback", "mismatches"));
	free(r);
}

void run_device_job(struct job *job)
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
	else if (job->phase == PHASE_HANG)
		run_hang_job(job, &lp);
	else
		run_jump_job(job, &lp);
	loop_close(&lp);
	free(lp.buf);
}
