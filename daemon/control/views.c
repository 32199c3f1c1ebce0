/* views.c - the JSON the control plane shows, built from what the engine
 * and the configuration report: numbers and times as the protocol writes
 * them, xruns, the master gain, the configuration's identity and the answer
 * to a change.  Pure builders: they read, never change.  Control thread
 * only.  The levels are view_levels.c's, the plugins view_plugins.c's. */
#include "views.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config_diff.h"
#include "transition.h"

json_object *json_number(double v, double resolution)
{
	if (!isfinite(v))
		v = 0.0;
	return json_object_new_double(round(v / resolution) * resolution);
}

void format_utc(int64_t realtime_ns, char *out, size_t len)
{
	time_t secs = (time_t)(realtime_ns / 1000000000);
	struct tm tm;
	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, len - n, ".%03dZ", (int)(realtime_ns / 1000000 % 1000));
}

json_object *gain_json(const struct eng_status *st)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "db", json_number(st->gain_db, 0.01));
	json_object_object_add(o, "mute", json_object_new_boolean(st->mute));
	json_object_object_add(o, "ramp_ms", json_number(st->ramp_ms, 0.01));
	json_object_object_add(o, "max_db", json_number(st->max_db, 0.01));
	return o;
}

static const char *direction_name(uint32_t directions)
{
	switch (directions) {
	case 1: return "capture";
	case 2: return "playback";
	default: return "both";
	}
}

static const char *cause_name(int cause)
{
	switch (cause) {
	case ENG_XRUN_PIPE: return "xrun";
	case ENG_XRUN_SUSPEND: return "suspend";
	case ENG_XRUN_TIMEOUT: return "timeout";
	case ENG_XRUN_LOST: return "device_lost";
	case ENG_XRUN_LATE: return "late";
	default: return "error";
	}
}

json_object *xrun_json(const struct eng_xrun *x)
{
	json_object *o = json_object_new_object();
	char when[64];

	format_utc(x->realtime_ns, when, sizeof(when));
	json_object_object_add(o, "direction", json_object_new_string(direction_name(x->directions)));
	json_object_object_add(o, "cause", json_object_new_string(cause_name(x->cause)));
	json_object_object_add(o, "error", json_object_new_string(strerror(-x->error)));
	json_object_object_add(o, "time", json_object_new_string(when));
	json_object_object_add(o, "monotonic_s", json_number(x->monotonic_ns / 1e9, 0.001));
	json_object_object_add(o, "frames_lost", json_object_new_int64((int64_t)x->frames_lost));
	if (x->cause == ENG_XRUN_LATE)
		json_object_object_add(o, "block", json_object_new_string(x->block));
	return o;
}

void config_identity_add(struct ctl_context *ctx, json_object *o)
{
	const struct ctl_config_identity *id = &ctx->config;
	struct transition_status ts;
	char when[64];

	engine_transition_status(ctx->engine, &ts);
	json_object_object_add(o, "path", json_object_new_string(id->path));
	json_object_object_add(o, "sha256", json_object_new_string(id->sha256));
	format_utc(id->loaded_at * 1000000000, when, sizeof(when));
	json_object_object_add(o, "loaded_at", json_object_new_string(when));
	format_utc(id->changed_at_ns, when, sizeof(when));
	json_object_object_add(o, "changed_at", json_object_new_string(when));
	json_object_object_add(o, "source", json_object_new_string(id->source ? id->source : "file"));
	json_object_object_add(o, "edits", json_object_new_int64(id->edits));
	json_object_object_add(o, "generation", json_object_new_int64((int64_t)ts.latest_generation));
	json_object_object_add(o, "active_generation",
	                       json_object_new_int64((int64_t)ts.active_generation));
}

json_object *change_result_json(struct ctl_context *ctx,
                                const struct ctl_change_result *res)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "changed", json_object_new_boolean(res->changes != 0));
	json_object_object_add(o, "class", json_object_new_string(config_change_name(res->changes)));
	json_object_object_add(o, "path", json_object_new_string(ctx->config.path));
	json_object_object_add(o, "sha256", json_object_new_string(ctx->config.sha256));
	json_object_object_add(o, "source", json_object_new_string(ctx->config.source));
	json_object_object_add(o, "edits", json_object_new_int64(ctx->config.edits));
	json_object_object_add(o, "generation", json_object_new_int64((int64_t)res->generation));
	json_object_object_add(o, "warmup_ms", json_number(res->warmup_ms, 0.1));
	json_object_object_add(o, "crossfade_ms", json_number(res->crossfade_ms, 0.1));
	return o;
}

json_object *loudness_json(const struct loudness_reading *m)
{
	json_object *o = json_object_new_object(), *peaks = json_object_new_array();

	json_object_object_add(o, "tap", json_object_new_string(
		m->tap == METER_TAP_CAPTURE ? "capture" : "playback"));
	json_object_object_add(o, "momentary_lufs", json_object_new_double(
		round(m->momentary_lufs * 100.0) / 100.0));
	json_object_object_add(o, "short_term_lufs", json_object_new_double(
		round(m->short_term_lufs * 100.0) / 100.0));
	json_object_object_add(o, "integrated_lufs", json_object_new_double(
		round(m->integrated_lufs * 100.0) / 100.0));
	json_object_object_add(o, "range_lu", json_object_new_double(
		round(m->range_lu * 100.0) / 100.0));
	for (unsigned ch = 0; ch < m->channels; ch++)
		json_object_array_add(peaks, json_object_new_double(
			round(m->sample_peak_dbfs[ch] * 100.0) / 100.0));
	json_object_object_add(o, "sample_peak_dbfs", peaks);
	json_object_object_add(o, "seconds", json_object_new_double(
		round(m->seconds * 1000.0) / 1000.0));
	return o;
}
