/* source.c - following the source (control thread).
 *
 * With "rate": "follow" (mode "reopen") or capture.rate "follow" (mode
 * "resample"), dspd learns the source's rate from the source itself:
 *   - loopback (snd-aloop): the capture subdevice's "PCM Slave Active" and
 *     "PCM Slave Rate" elements, read when their change events arrive; the
 *     kernel also stops a capture running at another rate
 *     (loopback_check_format), which parks it here (engine_park.c);
 *   - gadget (f_uac2/u_audio): "Capture Rate", 0 while the host is idle
 *     (the capture then stalls, so it is parked at once);
 *   - stream (anything else): the capture's errors park it, and it is
 *     opened again at the same rate.
 * On a change of rate the capture is parked and opened again at the new
 * one: in mode "reopen" the engine restarts at that rate (playback too,
 * the pipeline rebuilt for it: biquads recomputed, per-rate FIR files);
 * in mode "resample" only the capture is reopened and the resampler
 * retuned, the playback never stops.  A switch ends when the first period
 * at the new rate has gone through; it is then reported as a "source"
 * event (old and new rate, duration, frames dropped), in status.source,
 * on sd_notify's STATUS line and in the journal.
 *
 * Control events are read every tick (10 ms) from a nonblocking handle,
 * so the control thread never waits for the device. */
#include "source.h"
#include "subscriptions.h"
#include "views.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "alsa_ctl.h"
#include "backoff.h"
#include "clock.h"
#include "log.h"

#define RETRY_FIRST_MS 100
#define RETRY_MAX_MS 5000

enum src_phase { SRC_STEADY, SRC_PARKING, SRC_OPENING, SRC_RESTARTED };

struct ctl_source {
	struct actl *ctl;
	char device[CFG_DEVICE_MAX];
	struct actl_elem active, rate;
	bool have_active, have_rate;
	bool dirty;                     /* an event came: read the elements */
	unsigned source_rate;           /* what the source plays, 0 = nothing */
	bool source_active;
	enum src_phase phase;
	unsigned from_rate, to_rate;
	uint64_t change_ns;             /* when the change was noticed */
	uint64_t dropped;
	struct backoff retry;           /* opening the control device, the capture */
	uint64_t switches, refused, stops, reopens;
	struct eng_positions first, newest; /* stream: the window measured */
	const struct engine *measuring;  /* ... on this engine (a restart resets it) */
	unsigned short_rate;             /* ... at this capture rate */
	uint64_t short_captured, short_played, short_ns; /* runs too short alone */
	double measured;                /* stream: the capture's rate, measured */
	unsigned refused_rate;
	char error[256];
	bool error_fresh;               /* a new error, not yet an event */
	struct {
		unsigned from, to;
		double ms;
		uint64_t dropped;
		int64_t realtime_ns;
		bool valid;
	} last;
};

static const char *const kind_names[] = { "stream", "loopback", "gadget" };

static bool following(const struct dspd_config *cfg)
{
	return cfg->rate_follow || cfg->capture.follow;
}

static const char *mode_name(const struct dspd_config *cfg)
{
	return cfg->rate_follow ? "reopen" : "resample";
}

static void set_error(struct ctl_source *s, const char *fmt, const char *what, int err)
{
	char msg[sizeof(s->error)];

	snprintf(msg, sizeof(msg), fmt, what, strerror(-err));
	if (strcmp(msg, s->error) != 0) {
		log_warning("source: %s", msg);
		snprintf(s->error, sizeof(s->error), "%s", msg);
		s->error_fresh = true;
	}
}

static void close_ctl(struct ctl_source *s)
{
	actl_close(s->ctl);
	s->ctl = NULL;
	s->have_active = s->have_rate = false;
}

/* snd-aloop stops a capture whose player starts at another rate only with
 * "PCM Notify" on (loopback_check_format); with it off, the cable forces
 * the player to the capture's rate, and no switch could ever happen. */
static void enable_notify(struct ctl_source *s, const struct dspd_config *cfg)
{
	struct actl_elem notify;
	long on = 0;
	int r;

	r = actl_find(s->ctl, "PCM Notify", ACTL_IFACE_ANY, cfg->source.device,
	              cfg->source.subdevice, &notify);
	if (r == 0 && actl_read(s->ctl, &notify, &on) == 0 && on)
		return;
	if (r == 0)
		r = actl_write(s->ctl, &notify, 1);
	if (r < 0)
		log_warning("source: cannot turn \"PCM Notify\" on at %s: %s; a player "
		            "starting at another rate will be forced to the capture's",
		            cfg->source.control, strerror(-r));
}

/* Open the source's control device and find its elements.  Loopback: the
 * capture subdevice's own "PCM Slave *" elements describe the player on
 * the other end of the cable. */
static int open_ctl(struct ctl_source *s, const struct dspd_config *cfg)
{
	int r;

	if ((r = actl_open(&s->ctl, cfg->source.control)) < 0) {
		set_error(s, "cannot open control device %s: %s", cfg->source.control, r);
		return r;
	}
	snprintf(s->device, sizeof(s->device), "%s", cfg->source.control);
	if (cfg->source.kind == CFG_SOURCE_LOOPBACK) {
		r = actl_find(s->ctl, "PCM Slave Rate", ACTL_IFACE_ANY, cfg->source.device,
		              cfg->source.subdevice, &s->rate);
		if (r == 0)
			r = actl_find(s->ctl, "PCM Slave Active", ACTL_IFACE_ANY,
			              cfg->source.device, cfg->source.subdevice, &s->active);
		s->have_active = r == 0;
	} else {
		r = actl_find(s->ctl, "Capture Rate", ACTL_IFACE_ANY, ACTL_ANY, ACTL_ANY,
		              &s->rate);
	}
	if (r < 0) {
		set_error(s, "%s: the source's elements are missing: %s",
		          cfg->source.control, r);
		close_ctl(s);
		return r;
	}
	s->have_rate = true;
	s->dirty = true;
	if (cfg->source.kind == CFG_SOURCE_LOOPBACK)
		enable_notify(s, cfg);
	s->error[0] = '\0';
	log_info("source: following %s (%s)", cfg->source.control,
	         kind_names[cfg->source.kind]);
	return 0;
}

static void on_event(unsigned numid, unsigned mask, void *data)
{
	struct ctl_source *s = data;

	(void)mask;
	if (numid == s->rate.numid || (s->have_active && numid == s->active.numid))
		s->dirty = true;
}

/* Read what the source plays now (after its events). */
static void read_source(struct ctl_source *s, const struct dspd_config *cfg, uint64_t now)
{
	long rate = 0, active = 1;
	int r;

	if (!s->ctl) {
		if (!backoff_due(&s->retry, now))
			return;
		if (open_ctl(s, cfg) < 0) {
			backoff_failed(&s->retry, now, RETRY_FIRST_MS, RETRY_MAX_MS);
			return;
		}
		backoff_reset(&s->retry);
	}
	if ((r = actl_read_events(s->ctl, on_event, s)) < 0) {
		set_error(s, "control device %s: %s", s->device, r);
		close_ctl(s);
		return;
	}
	if (!s->dirty)
		return;
	s->dirty = false;
	if ((r = actl_read(s->ctl, &s->rate, &rate)) < 0 ||
	    (s->have_active && (r = actl_read(s->ctl, &s->active, &active)) < 0)) {
		set_error(s, "cannot read the source's elements on %s: %s", s->device, r);
		close_ctl(s);
		return;
	}
	s->source_active = active != 0 && rate > 0;
	s->source_rate = s->source_active ? (unsigned)rate : 0;
}

/* A stream source (an S/PDIF receiver) says nothing of its rate: the
 * capture keeps delivering the source's rate whatever it was opened at.
 * Its real rate is the capture's frames over the playback's, times the
 * playback rate, both positions read by the RT thread (eng_positions)
 * within one run of both streams.  Over 100 ms or more, a rate 2% away
 * from the capture's and within 1% of one of source.rates is the new rate.
 * A capture at twice its rate overruns after a buffer (85 ms here), so a
 * run that ended after 30 ms counts too, for a rate 20% away and within
 * 3% of an allowed one (real devices report positions a millisecond or a
 * period at a time: short windows are coarse). */
static unsigned judge_rate(struct ctl_source *s, const struct dspd_config *cfg,
                           const struct eng_status *st, uint64_t captured,
                           uint64_t played, double min_off, double tol)
{
	double best = 0.0;
	unsigned pick = 0;

	if (!played)
		return 0;
	s->measured = (double)captured / (double)played * st->rate;
	if (fabs(s->measured / st->capture_rate - 1.0) < min_off)
		return 0;
	for (unsigned i = 0; i < cfg->source.n_rates; i++) {
		double off = fabs(s->measured / cfg->source.rates[i] - 1.0);

		if (off < tol && (!pick || off < best)) {
			pick = cfg->source.rates[i];
			best = off;
		}
	}
	return pick;
}

/* The window first..newest, if it holds together (the positions only grow
 * within a run). */
static bool window(const struct ctl_source *s, uint64_t *captured, uint64_t *played,
                   uint64_t *ns)
{
	const struct eng_positions *a = &s->first, *b = &s->newest;

	if (!a->valid || b->epoch != a->epoch || b->ns < a->ns ||
	    b->capture < a->capture || b->playback < a->playback)
		return false;
	*captured = b->capture - a->capture;
	*played = b->playback - a->playback;
	*ns = b->ns - a->ns;
	return true;
}

static unsigned measure_stream_rate(struct ctl_source *s, const struct dspd_config *cfg,
                                    const struct engine *engine,
                                    const struct eng_status *st)
{
	const struct eng_positions *now = &st->positions;   /* newest valid */
	const bool now_current = now->valid && now->epoch == st->positions_epoch;
	uint64_t captured, played, ns;
	unsigned pick = 0;

	if (s->measuring != engine || s->short_rate != st->capture_rate) {
		/* another engine or capture: start over */
		s->measuring = engine;
		s->short_rate = st->capture_rate;
		s->short_captured = s->short_played = s->short_ns = 0;
		s->first = s->newest = *now;
		s->first.valid = now_current;
		return 0;
	}
	if (now->valid && now->epoch == s->first.epoch && now->ns >= s->newest.ns)
		s->newest = *now;       /* perhaps where the run ended */
	if (st->positions_epoch != s->first.epoch) {
		/* the run ended (an xrun, a park): what it showed adds up with
		 * the runs before it at this capture rate */
		if (window(s, &captured, &played, &ns)) {
			s->short_captured += captured;
			s->short_played += played;
			s->short_ns += ns;
		}
		if (s->short_ns >= 30000000u) {
			pick = judge_rate(s, cfg, st, s->short_captured, s->short_played, 0.2, 0.03);
			s->short_captured = s->short_played = s->short_ns = 0;
		}
		s->first = s->newest = *now;
		s->first.valid = now_current;
		return pick;
	}
	if (!window(s, &captured, &played, &ns) || ns < 100000000u)
		return 0;
	pick = judge_rate(s, cfg, st, captured, played, 0.02, 0.01);
	s->short_captured = s->short_played = s->short_ns = 0;
	s->first = s->newest;
	return pick;
}

static bool rate_allowed(const struct dspd_config *cfg, unsigned rate)
{
	for (unsigned i = 0; i < cfg->source.n_rates; i++)
		if (cfg->source.rates[i] == rate)
			return true;
	return cfg->source.n_rates == 0;
}

static json_object *switch_json(struct ctl_source *s, const char *mode)
{
	json_object *o = json_object_new_object();
	char utc[40];

	json_object_object_add(o, "event", json_object_new_string("switch"));
	json_object_object_add(o, "mode", json_object_new_string(mode));
	json_object_object_add(o, "from", json_object_new_int((int)s->last.from));
	json_object_object_add(o, "to", json_object_new_int((int)s->last.to));
	json_object_object_add(o, "duration_ms", json_number(s->last.ms, 0.01));
	json_object_object_add(o, "frames_dropped", json_object_new_int64((int64_t)s->last.dropped));
	format_utc(s->last.realtime_ns, utc, sizeof(utc));
	json_object_object_add(o, "at", json_object_new_string(utc));
	return o;
}

static void notify_simple(struct ctl_context *ctx, const char *what, unsigned rate,
                          const char *detail)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string(what));
	json_object_object_add(o, "rate", json_object_new_int((int)rate));
	if (detail)
		json_object_object_add(o, "detail", json_object_new_string(detail));
	ctl_notify(ctx, PROTO_TOPIC_SOURCE, "source", o);
}

static void finish_switch(struct ctl_context *ctx, struct ctl_source *s,
                          uint64_t done_ns)
{
	const struct dspd_config *cfg = ctx->running;

	double ms = done_ns > s->change_ns ? (done_ns - s->change_ns) / 1e6 : 0.0;

	s->phase = SRC_STEADY;
	if (s->from_rate == s->to_rate) {
		s->reopens++;
		log_info("source: capture back at %u Hz after %.1f ms", s->to_rate, ms);
		notify_simple(ctx, "resumed", s->to_rate, NULL);
		return;
	}
	s->last.from = s->from_rate;
	s->last.to = s->to_rate;
	s->last.ms = ms;
	s->last.dropped = s->dropped;
	s->last.realtime_ns = (int64_t)realtime_ns();
	s->last.valid = true;
	s->switches++;
	log_info("source: %u Hz -> %u Hz (%s) in %.1f ms, %llu frames dropped",
	         s->from_rate, s->to_rate, mode_name(cfg), s->last.ms,
	         (unsigned long long)s->dropped);
	sd_notifyf(0, "STATUS=source %u Hz -> %u Hz (%s, %.0f ms)", s->from_rate,
	           s->to_rate, mode_name(cfg), s->last.ms);
	ctl_notify(ctx, PROTO_TOPIC_SOURCE, "source", switch_json(s, mode_name(cfg)));
}

static void begin_switch(struct ctl_source *s, unsigned from, unsigned to, uint64_t now)
{
	s->phase = SRC_PARKING;
	s->from_rate = from;
	s->to_rate = to;
	s->change_ns = now;
	s->dropped = 0;
}

/* Mode "reopen" at another rate: the whole engine restarts at it. */
static void restart_at(struct ctl_context *ctx, struct ctl_source *s, unsigned rate)
{
	struct dspd_config *next = malloc(sizeof(*next));
	struct eng_status st;
	int r;

	if (!next)
		return;
	engine_status(ctx->engine, &st);
	s->dropped = st.latency_frames;     /* the queued output, let go of */
	*next = *ctx->running;
	next->rate = rate;
	next->capture.rate = 0;
	r = ctx->ops.restart(ctx, next);
	free(next);
	if (r < 0) {
		set_error(s, "cannot restart at %s Hz: %s", "the source's", r);
		s->phase = SRC_STEADY;
		return;
	}
	s->phase = SRC_RESTARTED;
}

static void step_switch(struct ctl_context *ctx, struct ctl_source *s, uint64_t now)
{
	struct eng_stream_state cap;
	char err[256];
	int r;

	engine_stream_state(ctx->engine, 0, &cap);
	switch (s->phase) {
	case SRC_STEADY:
		return;
	case SRC_PARKING:
		if (cap.state != ENG_STREAM_PARKED) {
			engine_park(ctx->engine, 0);
			return;
		}
		s->dropped += cap.dropped;
		s->phase = SRC_OPENING;
		/* fall through */
	case SRC_OPENING:
		if (!backoff_due(&s->retry, now))
			return;
		r = engine_reopen_capture(ctx->engine, s->to_rate, err, sizeof(err));
		if (r == 0)
			r = engine_resume(ctx->engine, 0);
		if (r < 0) {
			if (strcmp(err, s->error) != 0) {
				log_warning("source: cannot open the capture at %u Hz: %s "
				            "(retrying)", s->to_rate, err);
				snprintf(s->error, sizeof(s->error), "%s", err);
				s->error_fresh = true;
			}
			backoff_failed(&s->retry, now, RETRY_FIRST_MS, RETRY_MAX_MS);
			return;
		}
		backoff_reset(&s->retry);
		s->error[0] = '\0';
		s->phase = SRC_RESTARTED;
		return;
	case SRC_RESTARTED:
		if (cap.state == 0 && cap.resumed_ns > s->change_ns)
			finish_switch(ctx, s, cap.resumed_ns);
		else if (cap.state == ENG_STREAM_PARKED)
			s->phase = SRC_OPENING;         /* it failed to start */
		return;
	}
}

void ctl_source_tick(struct ctl_context *ctx)
{
	const struct dspd_config *cfg = ctx->running;
	struct ctl_source *s = ctx->source;
	struct eng_stream_state cap;
	struct eng_status st;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	unsigned running, want, measured = 0;

	if (!cfg || !following(cfg) || !ctx->engine) {
		if (s && s->ctl)
			close_ctl(s);
		return;
	}
	if (!s && !(s = ctx->source = calloc(1, sizeof(*s))))
		return;
	if (s->error_fresh) {
		/* what went wrong on the last tick, once per new error */
		s->error_fresh = false;
		notify_simple(ctx, "error", s->to_rate, s->error);
	}
	engine_status(ctx->engine, &st);
	if (st.state != ENG_RUNNING && st.state != ENG_RECOVERING)
		return;
	if (s->ctl && strcmp(s->device, cfg->source.control) != 0)
		close_ctl(s);
	if (cfg->source.kind != CFG_SOURCE_STREAM && cfg->source.control[0])
		read_source(s, cfg, now);
	if (cfg->source.kind == CFG_SOURCE_STREAM &&
	    (measured = measure_stream_rate(s, cfg, ctx->engine, &st)))
		log_info("source: the capture delivers %.0f frames/s against the "
		         "playback clock, not %u: the source plays at %u Hz",
		         s->measured, st.capture_rate, measured);
	if (s->phase == SRC_PARKING || s->phase == SRC_OPENING || s->phase == SRC_RESTARTED) {
		/* the source moved on while the capture was being reopened */
		unsigned now_playing = cfg->source.kind == CFG_SOURCE_STREAM ? measured
		                       : !s->have_rate ? 0 : s->source_rate;

		if (now_playing && now_playing != s->to_rate && rate_allowed(cfg, now_playing)) {
			s->to_rate = now_playing;
			backoff_reset(&s->retry);
		}
		if (cfg->rate_follow && s->to_rate != st.rate) {
			restart_at(ctx, s, s->to_rate);
			return;
		}
		if (s->phase == SRC_RESTARTED && s->to_rate != st.capture_rate)
			s->phase = SRC_PARKING;     /* again, at the newer rate */
	}
	if (s->phase != SRC_STEADY) {
		step_switch(ctx, s, now);
		return;
	}
	running = st.capture_rate;
	engine_stream_state(ctx->engine, 0, &cap);
	want = cfg->source.kind == CFG_SOURCE_STREAM || !s->have_rate ? running
	       : s->source_rate;
	if (measured)
		want = measured;
	if (want == 0) {
		/* nothing plays: a gadget's capture stalls, park it; a
		 * Loopback capture delivers silence, leave it running */
		if (cfg->source.kind == CFG_SOURCE_GADGET && cap.state == 0) {
			engine_park(ctx->engine, 0);
			s->stops++;
			log_info("source: the host stopped playing");
			notify_simple(ctx, "stopped", running, NULL);
		}
		return;
	}
	if (want != running && !rate_allowed(cfg, want)) {
		if (s->refused_rate != want) {
			s->refused_rate = want;
			s->refused++;
			log_warning("source: %u Hz is not in source.rates; staying at %u Hz",
			            want, running);
			notify_simple(ctx, "refused", want, "not in source.rates");
		}
		return;
	}
	s->refused_rate = 0;
	if (want != running && cfg->rate_follow) {
		begin_switch(s, running, want, now);
		restart_at(ctx, s, want);
		return;
	}
	if (want != running || cap.state == ENG_STREAM_PARKED) {
		if (cap.state == ENG_STREAM_PARKED && cap.error < 0 && want == running)
			log_info("source: the capture stopped (%s); opening it again",
			         strerror(-cap.error));
		begin_switch(s, running, want, now);
		step_switch(ctx, s, now);
	}
}

json_object *ctl_source_json(struct ctl_context *ctx)
{
	const struct dspd_config *cfg = ctx->running;
	struct ctl_source *s = ctx->source;
	json_object *o = json_object_new_object();
	struct eng_status st;

	if (!cfg || !following(cfg)) {
		json_object_object_add(o, "follow", json_object_new_boolean(false));
		return o;
	}
	engine_status(ctx->engine, &st);
	json_object_object_add(o, "follow", json_object_new_string(mode_name(cfg)));
	json_object_object_add(o, "kind", json_object_new_string(kind_names[cfg->source.kind]));
	json_object_object_add(o, "control", json_object_new_string(cfg->source.control));
	json_object_object_add(o, "capture_rate", json_object_new_int((int)st.capture_rate));
	if (!s)
		return o;
	json_object_object_add(o, "linked", json_object_new_boolean(s->ctl != NULL));
	json_object_object_add(o, "playing", json_object_new_boolean(
	        cfg->source.kind == CFG_SOURCE_STREAM || s->source_active));
	json_object_object_add(o, "rate", json_object_new_int((int)(
	        cfg->source.kind == CFG_SOURCE_STREAM ? st.capture_rate : s->source_rate)));
	json_object_object_add(o, "switching", json_object_new_boolean(s->phase != SRC_STEADY));
	if (cfg->source.kind == CFG_SOURCE_STREAM && s->measured > 0)
		json_object_object_add(o, "measured_rate", json_number(s->measured, 0.1));
	json_object_object_add(o, "switches", json_object_new_int64((int64_t)s->switches));
	json_object_object_add(o, "reopens", json_object_new_int64((int64_t)s->reopens));
	json_object_object_add(o, "stops", json_object_new_int64((int64_t)s->stops));
	json_object_object_add(o, "refused", json_object_new_int64((int64_t)s->refused));
	if (s->last.valid)
		json_object_object_add(o, "last_switch", switch_json(s, mode_name(cfg)));
	if (s->error[0])
		json_object_object_add(o, "error", json_object_new_string(s->error));
	return o;
}

void ctl_source_free(struct ctl_context *ctx)
{
	if (!ctx->source)
		return;
	close_ctl(ctx->source);
	free(ctx->source);
	ctx->source = NULL;
}
