/* clock_trim.c - rate_adjust.method "pitch" (control thread).
 *
 * Instead of resampling, the clocks' control loop (rate_ctl.h, run by the
 * RT thread on the capture -> playback latency) steers the capture clock
 * itself through a clock-trim element: snd-aloop's "PCM Rate Shift
 * 100000", the UAC2 gadget's "Capture Pitch 1000000" (which moves the
 * feedback the host follows), or any integer element named in
 * rate_adjust.element with its scale (the value meaning 1.0).  The samples
 * are never touched: the output is the input, bit for bit.
 *
 * The loop's correction delta is the capture clock's excess over the
 * playback's; the capture must run 1 - delta times as fast.  An element
 * whose larger value speeds the clock up (u_audio's pitch: the host sends
 * rate * pitch / 1e6) gets scale * (1 - delta); one whose larger value
 * slows it (aloop's rate shift: the cable runs at 100000 / V of its rate)
 * gets scale / (1 - delta) (rate_adjust.larger).
 * The RT thread publishes delta (engine_pitch_adjust); it is written here
 * at most once a tick and only when it moved by a step of the element,
 * so a steady loop makes no writes at all.  A missing or unwritable
 * element is an error in status.clocks and the journal, retried with
 * backoff; audio plays on (the latency then drifts with the clocks). */
#include "clock_trim.h"
#include "subscriptions.h"
#include "views.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alsa_ctl.h"
#include "backoff.h"
#include "clock.h"
#include "log.h"

#define RETRY_FIRST_MS 100
#define RETRY_MAX_MS 5000

struct ctl_clock_trim {
	struct actl *ctl;
	struct actl_elem elem;
	char device[CFG_DEVICE_MAX];
	long written;
	bool have_written;
	uint64_t writes;
	struct backoff retry;
	char error[256];
	bool error_fresh;               /* a new error, not yet an event */
};

static const char *trim_device(const struct dspd_config *cfg)
{
	return cfg->rate_adjust.control[0] ? cfg->rate_adjust.control : cfg->source.control;
}

static void fail(struct ctl_clock_trim *t, uint64_t now, const char *fmt,
                 const char *a, const char *b)
{
	char msg[sizeof(t->error)];

	snprintf(msg, sizeof(msg), fmt, a, b);
	if (strcmp(msg, t->error) != 0) {
		log_warning("clock trim: %s (retrying)", msg);
		snprintf(t->error, sizeof(t->error), "%s", msg);
		t->error_fresh = true;
	}
	actl_close(t->ctl);
	t->ctl = NULL;
	backoff_failed(&t->retry, now, RETRY_FIRST_MS, RETRY_MAX_MS);
}

static int open_trim(struct ctl_clock_trim *t, const struct dspd_config *cfg, uint64_t now)
{
	const char *dev = trim_device(cfg);
	int r;

	if ((r = actl_open(&t->ctl, dev)) < 0) {
		fail(t, now, "cannot open control device %s: %s", dev, strerror(-r));
		return r;
	}
	/* aloop has a rate shift per cable end: the capture's own subdevice */
	if (cfg->source.kind == CFG_SOURCE_LOOPBACK && strcmp(dev, cfg->source.control) == 0)
		r = actl_find(t->ctl, cfg->rate_adjust.element, ACTL_IFACE_ANY,
		              (int)cfg->source.device, (int)cfg->source.subdevice, &t->elem);
	else
		r = actl_find(t->ctl, cfg->rate_adjust.element, ACTL_IFACE_ANY,
		              ACTL_ANY, ACTL_ANY, &t->elem);
	if (r < 0) {
		fail(t, now, "no element \"%s\" on %s", cfg->rate_adjust.element, dev);
		return r;
	}
	if (!t->elem.writable) {
		fail(t, now, "element \"%s\" on %s is not writable", cfg->rate_adjust.element, dev);
		return -EACCES;
	}
	snprintf(t->device, sizeof(t->device), "%s", dev);
	backoff_reset(&t->retry);
	t->error[0] = '\0';
	t->have_written = false;
	log_info("clock trim: steering the capture clock through \"%s\" on %s "
	         "(%ld = 1.0, range %ld..%ld)", cfg->rate_adjust.element, dev,
	         cfg->rate_adjust.scale, t->elem.min, t->elem.max);
	return 0;
}

void ctl_clock_trim_tick(struct ctl_context *ctx)
{
	const struct dspd_config *cfg = ctx->running;
	struct ctl_clock_trim *t = ctx->clock_trim;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	double value;
	long v;
	int r;

	if (!cfg || !cfg->rate_adjust.enabled || cfg->rate_adjust.method != CFG_ADJUST_PITCH ||
	    !ctx->engine) {
		if (t && t->ctl) {
			actl_close(t->ctl);
			t->ctl = NULL;
		}
		return;
	}
	if (!t && !(t = ctx->clock_trim = calloc(1, sizeof(*t))))
		return;
	if (t->error_fresh) {
		json_object *o = json_object_new_object();

		t->error_fresh = false;
		json_object_object_add(o, "event", json_object_new_string("error"));
		json_object_object_add(o, "what", json_object_new_string("clock trim"));
		json_object_object_add(o, "detail", json_object_new_string(t->error));
		ctl_notify(ctx, PROTO_TOPIC_SOURCE, "source", o);
	}
	if (t->ctl && strcmp(t->device, trim_device(cfg)) != 0) {
		actl_close(t->ctl);
		t->ctl = NULL;
	}
	if (!t->ctl && (!backoff_due(&t->retry, now) || open_trim(t, cfg, now) < 0))
		return;
	value = cfg->rate_adjust.larger == CFG_TRIM_SLOWER
	        ? (double)cfg->rate_adjust.scale / (1.0 - engine_pitch_adjust(ctx->engine))
	        : (double)cfg->rate_adjust.scale * (1.0 - engine_pitch_adjust(ctx->engine));
	v = lround(value);
	if (v < t->elem.min)
		v = t->elem.min;
	if (v > t->elem.max)
		v = t->elem.max;
	if (t->have_written && v == t->written)
		return;
	if ((r = actl_write(t->ctl, &t->elem, v)) < 0) {
		fail(t, now, "cannot write \"%s\": %s", cfg->rate_adjust.element, strerror(-r));
		return;
	}
	t->written = v;
	t->have_written = true;
	t->writes++;
}

void ctl_clock_trim_json(struct ctl_context *ctx, json_object *clocks)
{
	const struct dspd_config *cfg = ctx->running;
	struct ctl_clock_trim *t = ctx->clock_trim;

	if (!cfg)
		return;
	json_object_object_add(clocks, "method", json_object_new_string(
	        cfg->rate_adjust.method == CFG_ADJUST_PITCH ? "pitch" : "resample"));
	if (cfg->rate_adjust.method != CFG_ADJUST_PITCH)
		return;
	json_object_object_add(clocks, "control", json_object_new_string(trim_device(cfg)));
	json_object_object_add(clocks, "element", json_object_new_string(cfg->rate_adjust.element));
	json_object_object_add(clocks, "scale", json_object_new_int64(cfg->rate_adjust.scale));
	if (!t)
		return;
	json_object_object_add(clocks, "linked", json_object_new_boolean(t->ctl != NULL));
	if (t->have_written) {
		json_object_object_add(clocks, "value", json_object_new_int64(t->written));
		double speed = (double)t->written / cfg->rate_adjust.scale;

		if (cfg->rate_adjust.larger == CFG_TRIM_SLOWER)
			speed = 1.0 / speed;
		/* how much faster the trimmed capture clock runs */
		json_object_object_add(clocks, "trim_ppm", json_number(1e6 * (speed - 1.0), 0.001));
	}
	json_object_object_add(clocks, "writes", json_object_new_int64((int64_t)t->writes));
	if (t->error[0])
		json_object_object_add(clocks, "error", json_object_new_string(t->error));
}

void ctl_clock_trim_free(struct ctl_context *ctx)
{
	if (!ctx->clock_trim)
		return;
	actl_close(ctx->clock_trim->ctl);
	free(ctx->clock_trim);
	ctx->clock_trim = NULL;
}
