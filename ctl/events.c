/* events.c - monitor's text and JSON forms of notifications (events.h).
 *
 * Known methods (xrun, state, gain, config, source, levels) get a short summary;
 * any other notification is shown with its params as JSON, so a topic added
 * to the daemon is visible without a dspctl change.
 * Single-threaded (dspctl's main thread). */
#include "events.h"
#include "jvalue.h"
#include "render.h"

#include <string.h>
#include <sys/time.h>
#include <time.h>

static void put_timestamp(FILE *out)
{
	struct timeval tv;
	struct tm tm;
	char text[32];

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(out, "%s.%03ld ", text, (long)(tv.tv_usec / 1000));
}

static const char *or_unknown(const char *s)
{
	return s ? s : "?";
}

static void put_xrun(FILE *out, json_object *p)
{
	char lost[32];

	fputs(or_unknown(jv_string(jv_field(p, "direction"))), out);
	if (jv_count(jv_field(p, "frames_lost"), lost, sizeof(lost)))
		fprintf(out, ", %s frames lost", lost);
}

static void put_state(FILE *out, json_object *p)
{
	const char *previous = jv_string(jv_field(p, "previous"));

	if (previous)
		fprintf(out, "%s -> ", previous);
	fputs(or_unknown(jv_string(jv_field(p, "state"))), out);
}

static void put_gain(FILE *out, json_object *p)
{
	json_object *by = jv_field(p, "by");
	char db[16], pid[32], uid[32];
	double v, ramp;
	bool mute = false;

	if (jv_number(jv_field(p, "db"), &v)) {
		render_db(db, sizeof(db), v);
		fprintf(out, "%s dB", db);
	}
	if (jv_bool(jv_field(p, "mute"), &mute) && mute)
		fputs(" (muted)", out);
	if (jv_number(jv_field(p, "ramp_ms"), &v) && (ramp = v) > 0)
		fprintf(out, ", ramp %g ms", ramp);
	if (jv_count(jv_field(by, "pid"), pid, sizeof(pid)) &&
	    jv_count(jv_field(by, "uid"), uid, sizeof(uid)))
		fprintf(out, ", by pid %s uid %s", pid, uid);
}

/* "applied parameters: effect.set eq1 (generation 7) by pid 12 uid 0",
 * "active generation 7", "rejected: SIGHUP reload: <errors>" */
static void put_config(FILE *out, json_object *p)
{
	json_object *errors = jv_field(p, "errors"), *by = jv_field(p, "by");
	const char *path = jv_string(jv_field(p, "path"));
	const char *what = jv_string(jv_field(p, "what"));
	const char *class = jv_string(jv_field(p, "class"));
	char generation[24], pid[24], uid[24];

	fputs(or_unknown(jv_string(jv_field(p, "outcome"))), out);
	if (class)
		fprintf(out, " %s", class);
	if (what)
		fprintf(out, ": %s", what);
	else if (path)
		fprintf(out, " %s", path);
	if (jv_count(jv_field(p, "generation"), generation, sizeof(generation)))
		fprintf(out, " (generation %s)", generation);
	if (jv_count(jv_field(by, "pid"), pid, sizeof(pid)) &&
	    jv_count(jv_field(by, "uid"), uid, sizeof(uid)))
		fprintf(out, " by pid %s uid %s", pid, uid);
	for (size_t i = 0; i < jv_length(errors); i++)
		fprintf(out, "%s%s", i ? "; " : ": ", or_unknown(jv_string(
			json_object_array_get_idx(errors, i))));
}

/* "capture -6.0/-9.0 -6.1/-9.2" peak/rms per channel. */
static void put_tap_levels(FILE *out, const char *tap, json_object *channels)
{
	fputs(tap, out);
	for (size_t i = 0; i < jv_length(channels); i++) {
		json_object *ch = json_object_array_get_idx(channels, i);
		char peak[16] = "?", rms[16] = "?";
		double v;

		if (jv_number(jv_field(ch, "peak_dbfs"), &v))
			render_db(peak, sizeof(peak), v);
		if (jv_number(jv_field(ch, "rms_dbfs"), &v))
			render_db(rms, sizeof(rms), v);
		fprintf(out, " %s/%s", peak, rms);
	}
}

/* "switch 48000 -> 44100 Hz (resample) in 31.2 ms, 1130 frames dropped",
 * "resumed 48000 Hz", "idle", "active (output back in 41.5 ms)" */
static void put_source(FILE *out, json_object *p)
{
	const char *event = or_unknown(jv_string(jv_field(p, "event")));
	char from[24], to[24], rate[24], dropped[24];
	double v;

	fputs(event, out);
	if (jv_count(jv_field(p, "from"), from, sizeof(from)) &&
	    jv_count(jv_field(p, "to"), to, sizeof(to)))
		fprintf(out, " %s -> %s Hz", from, to);
	else if (jv_count(jv_field(p, "rate"), rate, sizeof(rate)))
		fprintf(out, " %s Hz", rate);
	if (jv_string(jv_field(p, "mode")))
		fprintf(out, " (%s)", jv_string(jv_field(p, "mode")));
	if (jv_number(jv_field(p, "duration_ms"), &v))
		fprintf(out, " in %.1f ms", v);
	if (jv_count(jv_field(p, "frames_dropped"), dropped, sizeof(dropped)))
		fprintf(out, ", %s frames dropped", dropped);
	if (jv_number(jv_field(p, "resume_ms"), &v) && v > 0)
		fprintf(out, " (output back in %.1f ms)", v);
	if (jv_string(jv_field(p, "detail")))
		fprintf(out, ": %s", jv_string(jv_field(p, "detail")));
}

static void put_levels(FILE *out, json_object *p)
{
	put_tap_levels(out, "capture", jv_field(p, "capture"));
	fputs("  ", out);
	put_tap_levels(out, "playback", jv_field(p, "playback"));
	fputs(" (peak/rms dBFS)", out);
}

void event_print_line(FILE *out, const char *method, json_object *params)
{
	put_timestamp(out);
	fprintf(out, "%-8s ", method);
	if (strcmp(method, "xrun") == 0)
		put_xrun(out, params);
	else if (strcmp(method, "state") == 0)
		put_state(out, params);
	else if (strcmp(method, "gain") == 0)
		put_gain(out, params);
	else if (strcmp(method, "config") == 0)
		put_config(out, params);
	else if (strcmp(method, "source") == 0)
		put_source(out, params);
	else if (strcmp(method, "levels") == 0)
		put_levels(out, params);
	else if (params)
		fputs(json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN |
			JSON_C_TO_STRING_NOSLASHESCAPE), out);
	fputc('\n', out);
}

json_object *event_json(const char *method, json_object *params)
{
	json_object *out = json_object_new_object();

	if (!out)
		return NULL;
	json_object_object_add(out, "event", json_object_new_string(method));
	if (!json_object_is_type(params, json_type_object)) {
		if (params)
			json_object_object_add(out, "params", json_object_get(params));
		return out;
	}
	json_object_object_foreach(params, key, value) {
		json_object_object_add(out, key, json_object_get(value));
	}
	return out;
}
