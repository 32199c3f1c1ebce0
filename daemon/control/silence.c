/* silence.c - idle after a long silence (control thread).
 *
 * With silence.seconds > 0, the capture's peak meters (every ~10 ms block
 * the RT thread publishes) are compared with silence.threshold_db.  After
 * silence.seconds below it on every channel the state becomes "idle": a
 * "source" event {"event":"idle"}, a "state" event, sd_notify STATUS and
 * the journal say so.  With silence.release_playback the playback device
 * is then released (parked by the RT thread, closed here), so that the DAC
 * and the amplifier can sleep or another program can use it; the capture
 * keeps being read and metered.  The first block above the threshold
 * opens the playback again; the RT thread prefills it, starts it and
 * fades in over silence.fade_in_ms.  The time from the signal to the
 * first period played is reported ({"event":"active","resume_ms":...}).
 * The audio captured while the output was being reopened is not played
 * (it is counted in frames.dropped). */
#include "silence.h"
#include "subscriptions.h"
#include "views.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "clock.h"
#include "log.h"

enum { SIL_ACTIVE, SIL_IDLE, SIL_WAKING };

struct ctl_silence {
	int state;
	uint64_t since;                 /* meter cursor */
	uint64_t last_loud_ns;          /* CLOCK_MONOTONIC of the last loud block */
	uint64_t idle_ns, wake_ns;
	bool released;
	uint64_t idles, wakes;
	const struct engine *engine;    /* the one this state is about */
	double last_resume_ms;
	char error[256];
};

bool ctl_silence_idle(const struct ctl_context *ctx)
{
	return ctx->silence && ctx->silence->state != SIL_ACTIVE;
}

static void notify(struct ctl_context *ctx, const char *what, double resume_ms)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string(what));
	if (resume_ms >= 0)
		json_object_object_add(o, "resume_ms", json_number(resume_ms, 0.01));
	ctl_notify(ctx, PROTO_TOPIC_SOURCE, "source", o);
	o = json_object_new_object();
	json_object_object_add(o, "state", json_object_new_string(
	        strcmp(what, "idle") == 0 ? "idle" : "running"));
	json_object_object_add(o, "previous", json_object_new_string(
	        strcmp(what, "idle") == 0 ? "running" : "idle"));
	ctl_notify(ctx, PROTO_TOPIC_STATE, "state", o);
}

/* The loudest capture peak since the last tick, dBFS; false when no new
 * meter block arrived. */
static bool newest_peak(struct ctl_context *ctx, struct ctl_silence *s, double *peak)
{
	struct meter_reading m;
	uint64_t before = s->since;

	engine_levels(ctx->engine, &s->since, 10.0, &m);
	if (s->since == before || m.frames == 0)
		return false;
	*peak = -200.0;
	for (unsigned ch = 0; ch < m.channels[METER_TAP_CAPTURE]; ch++)
		if (m.peak_dbfs[METER_TAP_CAPTURE][ch] > *peak)
			*peak = m.peak_dbfs[METER_TAP_CAPTURE][ch];
	return true;
}

static void go_idle(struct ctl_context *ctx, struct ctl_silence *s, uint64_t now)
{
	const struct dspd_config *cfg = ctx->running;

	s->state = SIL_IDLE;
	s->idle_ns = now;
	s->idles++;
	log_info("silence: idle after %.1f s below %.1f dBFS%s", cfg->silence.seconds,
	         cfg->silence.threshold_db,
	         cfg->silence.release_playback ? "; releasing the playback device" : "");
	sd_notifyf(0, "STATUS=idle: no signal for %.0f s%s", cfg->silence.seconds,
	           cfg->silence.release_playback ? ", playback released" : "");
	if (cfg->silence.release_playback)
		engine_park(ctx->engine, 1);
	notify(ctx, "idle", -1.0);
}

static void wake(struct ctl_context *ctx, struct ctl_silence *s, uint64_t now)
{
	s->wake_ns = now;
	s->wakes++;
	if (ctx->running->silence.release_playback) {
		s->state = SIL_WAKING;          /* step_release() takes it back */
		return;
	}
	s->state = SIL_ACTIVE;
	s->last_resume_ms = 0.0;
	log_info("silence: signal again after %.1f s idle", (now - s->idle_ns) / 1e9);
	sd_notify(0, "STATUS=running");
	notify(ctx, "active", 0.0);
}

/* Idle with the output released: close it once the RT thread let go;
 * waking: open it again and hand it back; report when it plays. */
static void step_release(struct ctl_context *ctx, struct ctl_silence *s)
{
	struct eng_stream_state pb;
	char err[256];

	engine_stream_state(ctx->engine, 1, &pb);
	if (s->state == SIL_IDLE && !s->released && pb.state == ENG_STREAM_PARKED) {
		engine_close_playback(ctx->engine);
		s->released = true;
		return;
	}
	if (s->state != SIL_WAKING)
		return;
	if (pb.state == ENG_STREAM_PARKED) {
		if (engine_open_playback(ctx->engine, err, sizeof(err)) < 0 ||
		    engine_resume(ctx->engine, 1) < 0) {
			if (strcmp(err, s->error) != 0) {
				log_warning("silence: cannot open the playback again: %s", err);
				snprintf(s->error, sizeof(s->error), "%s", err);
			}
		}
		return;
	}
	if (pb.state == 0 && pb.resumed_ns > s->wake_ns) {
		s->released = false;
		s->state = SIL_ACTIVE;
		s->error[0] = '\0';
		s->last_resume_ms = (pb.resumed_ns - s->wake_ns) / 1e6;
		log_info("silence: signal again after %.1f s idle; playback back in %.1f ms",
		         (s->wake_ns - s->idle_ns) / 1e9, s->last_resume_ms);
		sd_notify(0, "STATUS=running");
		notify(ctx, "active", s->last_resume_ms);
	}
}

void ctl_silence_tick(struct ctl_context *ctx)
{
	const struct dspd_config *cfg = ctx->running;
	struct ctl_silence *s = ctx->silence;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	struct eng_status st;
	double peak;

	if (!cfg || cfg->silence.seconds <= 0 || !ctx->engine)
		return;
	if (!s && !(s = ctx->silence = calloc(1, sizeof(*s))))
		return;
	if (s->engine != ctx->engine) {
		/* a new engine (restart, reload): its output is open */
		memset(s, 0, sizeof(*s));
		s->engine = ctx->engine;
		s->last_loud_ns = now;
	}
	engine_status(ctx->engine, &st);
	if (st.state != ENG_RUNNING && st.state != ENG_RECOVERING)
		return;
	if (newest_peak(ctx, s, &peak) && peak > cfg->silence.threshold_db) {
		s->last_loud_ns = now;
		if (s->state == SIL_IDLE)
			wake(ctx, s, now);
	}
	if (s->state == SIL_ACTIVE &&
	    now - s->last_loud_ns >= (uint64_t)(cfg->silence.seconds * 1e9))
		go_idle(ctx, s, now);
	if (cfg->silence.release_playback)
		step_release(ctx, s);
}

json_object *ctl_silence_json(struct ctl_context *ctx)
{
	const struct dspd_config *cfg = ctx->running;
	struct ctl_silence *s = ctx->silence;
	json_object *o = json_object_new_object();
	static const char *const names[] = { "active", "idle", "waking" };

	json_object_object_add(o, "enabled", json_object_new_boolean(cfg && cfg->silence.seconds > 0));
	if (!cfg || cfg->silence.seconds <= 0 || !s)
		return o;
	json_object_object_add(o, "state", json_object_new_string(names[s->state]));
	json_object_object_add(o, "threshold_db", json_number(cfg->silence.threshold_db, 0.01));
	json_object_object_add(o, "seconds", json_number(cfg->silence.seconds, 0.001));
	json_object_object_add(o, "playback_released", json_object_new_boolean(s->released));
	json_object_object_add(o, "idles", json_object_new_int64((int64_t)s->idles));
	json_object_object_add(o, "wakes", json_object_new_int64((int64_t)s->wakes));
	json_object_object_add(o, "last_resume_ms", json_number(s->last_resume_ms, 0.01));
	if (s->error[0])
		json_object_object_add(o, "error", json_object_new_string(s->error));
	return o;
}

void ctl_silence_free(struct ctl_context *ctx)
{
	free(ctx->silence);
	ctx->silence = NULL;
}
