/* render.c - turns status/stats/gain/levels/xruns/pipeline results into
 * aligned text.
 *
 * Status, stats and xruns are "key: value" lines with the values in one
 * column; levels and pipeline are tables with one row per channel or block.  Numbers get the
 * precision a person can use: dB to 0.1, milliseconds to 0.01, load to 0.1 %.
 * Single-threaded (dspctl's main thread). */
#include "render.h"
#include "jvalue.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#define KEY_WIDTH 18  /* "frames processed:" plus one space */

static void key_value(FILE *out, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void key_value(FILE *out, const char *key, const char *fmt, ...)
{
	va_list ap;

	fprintf(out, "%s:%*s", key, (int)(KEY_WIDTH - 1 - strlen(key)), "");
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

void render_db(char *buf, size_t size, double db)
{
	if (db <= RENDER_SILENCE_DBFS)
		snprintf(buf, size, "-inf");
	else
		snprintf(buf, size, "%.1f", fabs(db) < 0.05 ? 0.0 : db);
}

static void put_string(FILE *out, const char *key, json_object *value)
{
	const char *s = jv_string(value);

	if (s)
		key_value(out, key, "%s", s);
}

static void put_count(FILE *out, const char *key, json_object *value)
{
	char n[32];

	if (jv_count(value, n, sizeof(n)))
		key_value(out, key, "%s", n);
}

static void put_yes_no(FILE *out, const char *key, json_object *value)
{
	bool b;

	if (jv_bool(value, &b))
		key_value(out, key, "%s", b ? "yes" : "no");
}

static void put_uptime(FILE *out, json_object *value)
{
	double s;

	if (!jv_number(value, &s))
		return;
	if (s < 60) {
		key_value(out, "uptime", "%.1f s", s);
		return;
	}
	uint64_t t = (uint64_t)s;
	unsigned hours = (unsigned)(t / 3600 % 24), minutes = (unsigned)(t / 60 % 60);

	if (t >= 86400)
		key_value(out, "uptime", "%" PRIu64 " days %02u:%02u:%02u",
			  t / 86400, hours, minutes, (unsigned)(t % 60));
	else
		key_value(out, "uptime", "%02u:%02u:%02u", hours, minutes,
			  (unsigned)(t % 60));
}

/* "256 frames (5.33 ms)"; ms from the rate when the daemon gave none. */
static void put_frames(FILE *out, const char *key, json_object *frames,
		       json_object *ms, double rate)
{
	char n[32];
	double f, m;

	if (!jv_count(frames, n, sizeof(n)))
		return;
	if (jv_number(ms, &m))
		key_value(out, key, "%s frames (%.2f ms)", n, m);
	else if (rate > 0 && jv_number(frames, &f))
		key_value(out, key, "%s frames (%.2f ms)", n, f * 1000.0 / rate);
	else
		key_value(out, key, "%s frames", n);
}

static void put_buffer(FILE *out, json_object *status, double rate)
{
	json_object *cap = jv_field(jv_field(status, "capture"), "buffer_frames");
	json_object *play = jv_field(jv_field(status, "playback"), "buffer_frames");
	double c, p;

	if (!jv_number(cap, &c) || (jv_number(play, &p) && p != c)) {
		put_frames(out, "capture buffer", cap, NULL, rate);
		put_frames(out, "playback buffer", play, NULL, rate);
	} else {
		put_frames(out, "buffer", cap, NULL, rate);
	}
}

static void put_device(FILE *out, const char *key, json_object *dev)
{
	const char *name = jv_string(jv_field(dev, "device"));
	const char *format = jv_string(jv_field(dev, "format"));
	char channels[32];

	if (!name)
		return;
	if (!jv_count(jv_field(dev, "channels"), channels, sizeof(channels)))
		snprintf(channels, sizeof(channels), "?");
	key_value(out, key, "%s, %s, %s channels", name, format ? format : "?",
		  channels);
}

static void put_xrun_counts(FILE *out, json_object *xruns)
{
	char c[32], p[32];

	if (jv_count(jv_field(xruns, "capture"), c, sizeof(c)) &&
	    jv_count(jv_field(xruns, "playback"), p, sizeof(p)))
		key_value(out, "xruns", "%s capture, %s playback", c, p);
}

static void put_realtime(FILE *out, json_object *status)
{
	char prio[32];
	bool rt;

	if (!jv_bool(jv_field(status, "rt"), &rt))
		return;
	if (rt && jv_count(jv_field(status, "rt_priority"), prio, sizeof(prio)))
		key_value(out, "realtime", "yes (SCHED_FIFO priority %s)", prio);
	else
		key_value(out, "realtime", "%s", rt ? "yes" : "no");
}

static void put_load(FILE *out, json_object *load)
{
	double avg, max, last;

	if (!jv_number(jv_field(load, "avg"), &avg) ||
	    !jv_number(jv_field(load, "max"), &max))
		return;
	if (jv_number(jv_field(load, "last"), &last))
		key_value(out, "load", "%.1f%% avg, %.1f%% max, %.1f%% last",
			  avg * 100, max * 100, last * 100);
	else
		key_value(out, "load", "%.1f%% avg, %.1f%% max", avg * 100, max * 100);
}

/* The resampler between two clocks, when there is one. */
static void put_clocks(FILE *out, json_object *clocks)
{
	double in, outr, ratio, drift, level, target, lo, hi;
	const char *quality = jv_string(jv_field(clocks, "quality"));
	const char *method = jv_string(jv_field(clocks, "method"));
	bool adjust = false, clamped = false;

	if (!jv_number(jv_field(clocks, "capture_rate"), &in) ||
	    !jv_number(jv_field(clocks, "playback_rate"), &outr))
		return;
	jv_bool(jv_field(clocks, "rate_adjust"), &adjust);
	jv_bool(jv_field(clocks, "clamped"), &clamped);
	if (method && strcmp(method, "pitch") == 0)
		key_value(out, "clocks", "%.0f Hz, no resampler: the source's clock "
			  "is trimmed (pitch)", in);
	else
		key_value(out, "resampler", "%.0f Hz -> %.0f Hz, %s quality, rate adjust %s",
			  in, outr, quality ? quality : "?", adjust ? "on" : "off");
	if (jv_number(jv_field(clocks, "drift_ppm"), &drift) &&
	    jv_number(jv_field(clocks, "ratio"), &ratio) && adjust)
		key_value(out, "clock drift", "%+.3f ppm (ratio %.9f)%s", drift, ratio,
			  clamped ? ", at rate_adjust.max_ppm" : "");
	if (jv_number(jv_field(clocks, "level_frames"), &level) &&
	    jv_number(jv_field(clocks, "target_frames"), &target) &&
	    jv_number(jv_field(clocks, "level_min_frames"), &lo) &&
	    jv_number(jv_field(clocks, "level_max_frames"), &hi))
		key_value(out, "buffer level", "%.1f frames (target %.1f, %.1f..%.1f "
			  "since start)", level, target, lo, hi);
}

/* rate_adjust.method "pitch": the clock-trim element and what it holds. */
static void put_pitch(FILE *out, json_object *clocks)
{
	const char *method = jv_string(jv_field(clocks, "method"));
	const char *element = jv_string(jv_field(clocks, "element"));
	const char *error = jv_string(jv_field(clocks, "error"));
	double value, trim;

	if (!method || strcmp(method, "pitch") != 0 || !element)
		return;
	if (jv_number(jv_field(clocks, "value"), &value) &&
	    jv_number(jv_field(clocks, "trim_ppm"), &trim))
		key_value(out, "clock trim", "\"%s\" = %.0f (%+.1f ppm)", element, value, trim);
	else
		key_value(out, "clock trim", "\"%s\" (nothing written yet)", element);
	if (error)
		key_value(out, "clock trim error", "%s", error);
}

/* Following the source: what it plays, the last switch. */
static void put_source(FILE *out, json_object *src)
{
	const char *follow = jv_string(jv_field(src, "follow"));
	const char *kind = jv_string(jv_field(src, "kind"));
	const char *error = jv_string(jv_field(src, "error"));
	json_object *last = jv_field(src, "last_switch");
	double rate = 0, switches = 0, from, to, ms;

	if (!follow)
		return;
	jv_number(jv_field(src, "rate"), &rate);
	jv_number(jv_field(src, "switches"), &switches);
	key_value(out, "source", "%s, following (%s): %s, %.0f switches", kind ? kind : "?",
		  follow, rate > 0 ? "playing" : "nothing playing", switches);
	if (rate > 0)
		key_value(out, "source rate", "%.0f Hz", rate);
	if (jv_number(jv_field(last, "from"), &from) && jv_number(jv_field(last, "to"), &to) &&
	    jv_number(jv_field(last, "duration_ms"), &ms))
		key_value(out, "last switch", "%.0f -> %.0f Hz in %.1f ms", from, to, ms);
	if (error)
		key_value(out, "source error", "%s", error);
}

static void put_silence(FILE *out, json_object *sil)
{
	const char *state = jv_string(jv_field(sil, "state"));
	bool released = false;

	if (!state)
		return;
	jv_bool(jv_field(sil, "playback_released"), &released);
	key_value(out, "silence", "%s%s", state, released ? ", playback released" : "");
}

/* The per-period processing time's distribution (last 10 s). */
static void put_busy(FILE *out, json_object *busy)
{
	double p50, p99, max, p50_us, p99_us, max_us;

	if (!jv_number(jv_field(busy, "p50"), &p50) ||
	    !jv_number(jv_field(busy, "p99"), &p99) ||
	    !jv_number(jv_field(busy, "max"), &max) ||
	    !jv_number(jv_field(busy, "p50_us"), &p50_us) ||
	    !jv_number(jv_field(busy, "p99_us"), &p99_us) ||
	    !jv_number(jv_field(busy, "max_us"), &max_us))
		return;
	key_value(out, "period time", "p50 %.0f us (%.1f%%), p99 %.0f us (%.1f%%), "
		  "max %.0f us (%.1f%%), last 10 s", p50_us, p50 * 100, p99_us,
		  p99 * 100, max_us, max * 100);
}

/* threads > 1: the workers' busy p99 in one line, and the late periods. */
static void put_workers(FILE *out, json_object *st)
{
	json_object *workers = jv_field(st, "workers");
	size_t n = jv_length(workers);
	char line[256];
	int len = 0;

	if (n == 0)
		return;
	for (size_t i = 0; i < n && len >= 0 && (size_t)len < sizeof(line); i++) {
		double p99;

		if (!jv_number(jv_field(json_object_array_get_idx(workers, i), "p99"), &p99))
			return;
		len += snprintf(line + len, sizeof(line) - (size_t)len, "%s%zu: %.1f%%",
		                i ? ", " : "", i, p99 * 100);
	}
	key_value(out, "threads", "%zu (%s), busy p99 per worker %s", n,
		  json_object_get_boolean(jv_field(st, "workers_rt")) ? "SCHED_FIFO"
		  : "not realtime", line);
	put_count(out, "late periods", jv_field(st, "late_periods"));
}

static bool gain_text(json_object *gain, char *buf, size_t size)
{
	char db[16];
	double v;
	bool mute = false;

	if (!jv_number(jv_field(gain, "db"), &v))
		return false;
	render_db(db, sizeof(db), v);
	jv_bool(jv_field(gain, "mute"), &mute);
	snprintf(buf, size, "%s dB%s", db, mute ? " (muted)" : "");
	return true;
}

void render_status(FILE *out, json_object *st)
{
	json_object *frames = jv_field(st, "frames");
	char gain[48];
	double rate = 0;

	put_string(out, "state", jv_field(st, "state"));
	put_string(out, "version", jv_field(st, "version"));
	put_uptime(out, jv_field(st, "uptime_s"));
	if (jv_number(jv_field(st, "rate"), &rate))
		key_value(out, "rate", "%.0f Hz", rate);
	put_frames(out, "period", jv_field(st, "period_frames"),
		   jv_field(st, "period_ms"), rate);
	put_count(out, "periods", jv_field(st, "periods"));
	put_buffer(out, st, rate);
	put_device(out, "capture", jv_field(st, "capture"));
	put_device(out, "playback", jv_field(st, "playback"));
	put_frames(out, "latency", jv_field(st, "latency_frames"),
		   jv_field(st, "latency_ms"), rate);
	put_clocks(out, jv_field(st, "clocks"));
	put_pitch(out, jv_field(st, "clocks"));
	put_source(out, jv_field(st, "source"));
	put_silence(out, jv_field(st, "silence"));
	put_count(out, "frames captured", jv_field(frames, "captured"));
	put_count(out, "frames processed", jv_field(frames, "processed"));
	put_count(out, "frames played", jv_field(frames, "played"));
	put_count(out, "frames dropped", jv_field(frames, "dropped"));
	put_xrun_counts(out, jv_field(st, "xruns"));
	put_realtime(out, st);
	put_yes_no(out, "memory locked", jv_field(st, "mlock"));
	put_load(out, jv_field(st, "load"));
	put_busy(out, jv_field(st, "busy"));
	put_workers(out, st);
	if (gain_text(jv_field(st, "gain"), gain, sizeof(gain)))
		key_value(out, "gain", "%s", gain);
	put_string(out, "config", jv_field(jv_field(st, "config"), "path"));
}

void render_gain(FILE *out, json_object *gain)
{
	const char *block = json_object_get_string(jv_field(gain, "block"));
	char text[48];

	if (!gain_text(gain, text, sizeof(text)))
		return;
	if (json_object_is_type(jv_field(gain, "block"), json_type_string))
		fprintf(out, "%s: %s\n", block, text);
	else
		fprintf(out, "%s\n", text);
}

void render_mute(FILE *out, json_object *mute)
{
	bool on;

	if (jv_bool(jv_field(mute, "mute"), &on))
		fprintf(out, "%s\n", on ? "on" : "off");
}

static void put_pair(FILE *out, const char *key, json_object *obj,
		     const char *first, const char *second)
{
	char a[32], b[32];

	if (jv_count(jv_field(obj, first), a, sizeof(a)) &&
	    jv_count(jv_field(obj, second), b, sizeof(b)))
		key_value(out, key, "%s %s, %s %s", a, first, b, second);
}

void render_stats(FILE *out, json_object *st)
{
	json_object *frames = jv_field(st, "frames");
	double rate = 0;

	put_string(out, "state", jv_field(st, "state"));
	put_uptime(out, jv_field(st, "uptime_s"));
	if (jv_number(jv_field(st, "rate"), &rate))
		key_value(out, "rate", "%.0f Hz", rate);
	put_frames(out, "latency", jv_field(st, "latency_frames"), NULL, rate);
	put_count(out, "frames captured", jv_field(frames, "captured"));
	put_count(out, "frames processed", jv_field(frames, "processed"));
	put_count(out, "frames played", jv_field(frames, "played"));
	put_count(out, "frames dropped", jv_field(frames, "dropped"));
	put_pair(out, "xruns", jv_field(st, "xruns"), "capture", "playback");
	put_count(out, "recoveries", jv_field(st, "recoveries"));
	put_count(out, "reopens", jv_field(st, "reopens"));
	put_pair(out, "clipped", jv_field(st, "clipped"), "capture", "playback");
	put_load(out, jv_field(st, "load"));
	put_count(out, "clients", jv_field(st, "clients"));
	put_count(out, "events lost", jv_field(st, "events_lost"));
	put_count(out, "levels skipped", jv_field(st, "levels_skipped"));
}

static int bar_cells(double dbfs)
{
	double cells = (dbfs - RENDER_BAR_FLOOR_DBFS) / -RENDER_BAR_FLOOR_DBFS *
		       RENDER_BAR_CELLS;

	if (!(cells > 0))
		return 0;
	return cells >= RENDER_BAR_CELLS ? RENDER_BAR_CELLS : (int)lround(cells);
}

/* '#' up to the RMS level, '=' on to the peak, blank above. */
static void put_bar(FILE *out, double peak, double rms)
{
	int rms_cells = bar_cells(rms), peak_cells = bar_cells(peak);

	fputs("  [", out);
	for (int i = 0; i < RENDER_BAR_CELLS; i++)
		fputc(i < rms_cells ? '#' : i < peak_cells ? '=' : ' ', out);
	fputc(']', out);
}

/* The hold column appears only when the daemon reports peak_hold_dbfs. */
static bool has_hold(json_object *levels)
{
	json_object *first = json_object_array_get_idx(jv_field(levels, "capture"), 0);

	if (!first)
		first = json_object_array_get_idx(jv_field(levels, "playback"), 0);
	return jv_field(first, "peak_hold_dbfs") != NULL;
}

static void put_tap_rows(FILE *out, const char *tap, json_object *channels,
			 bool hold, bool bars)
{
	size_t n = jv_length(channels);

	for (size_t i = 0; i < n; i++) {
		json_object *ch = json_object_array_get_idx(channels, i);
		char index[32], clipped[32], peak_text[16], rms_text[16];
		char hold_text[16] = "?";
		double peak, rms, peak_hold;

		if (!jv_number(jv_field(ch, "peak_dbfs"), &peak) ||
		    !jv_number(jv_field(ch, "rms_dbfs"), &rms))
			continue;
		if (!jv_count(jv_field(ch, "channel"), index, sizeof(index)))
			snprintf(index, sizeof(index), "%zu", i);
		if (!jv_count(jv_field(ch, "clipped"), clipped, sizeof(clipped)))
			snprintf(clipped, sizeof(clipped), "?");
		render_db(peak_text, sizeof(peak_text), peak);
		render_db(rms_text, sizeof(rms_text), rms);
		fprintf(out, "%-9s %3s %9s %9s", tap, index, peak_text, rms_text);
		if (hold) {
			if (jv_number(jv_field(ch, "peak_hold_dbfs"), &peak_hold))
				render_db(hold_text, sizeof(hold_text), peak_hold);
			fprintf(out, " %9s", hold_text);
		}
		fprintf(out, " %8s", clipped);
		if (bars)
			put_bar(out, peak, rms);
		fputc('\n', out);
	}
}

void render_levels(FILE *out, json_object *levels, bool bars)
{
	bool hold = has_hold(levels);
	double window;

	fprintf(out, "%-9s %3s %9s %9s", "tap", "ch", "peak dBFS", "rms dBFS");
	if (hold)
		fprintf(out, " %9s", "hold dBFS");
	fprintf(out, " %8s\n", "clipped");
	put_tap_rows(out, "capture", jv_field(levels, "capture"), hold, bars);
	put_tap_rows(out, "playback", jv_field(levels, "playback"), hold, bars);
	if (jv_number(jv_field(levels, "window_ms"), &window))
		fprintf(out, "window: %.0f ms\n", window);
}

static void put_xrun_event(FILE *out, json_object *event)
{
	const char *time = jv_string(jv_field(event, "time"));
	const char *direction = jv_string(jv_field(event, "direction"));
	char lost[32];
	double mono;

	if (!jv_count(jv_field(event, "frames_lost"), lost, sizeof(lost)))
		snprintf(lost, sizeof(lost), "?");
	const char *cause = jv_string(jv_field(event, "cause"));
	const char *block = jv_string(jv_field(event, "block"));

	fprintf(out, "  %-24s  %-9s  %-11s  %11s", time ? time : "?",
		direction ? direction : "?", cause ? cause : "?", lost);
	if (jv_number(jv_field(event, "monotonic_s"), &mono))
		fprintf(out, "  %12.3f", mono);
	if (block)
		fprintf(out, "  (in block \"%s\")", block);
	fputc('\n', out);
}

void render_xruns(FILE *out, json_object *xruns)
{
	json_object *recent = jv_field(xruns, "recent");
	size_t n = jv_length(recent);

	put_count(out, "capture", jv_field(xruns, "capture"));
	put_count(out, "playback", jv_field(xruns, "playback"));
	put_count(out, "late periods", jv_field(xruns, "late_periods"));
	if (n == 0) {
		key_value(out, "recent", "none");
		return;
	}
	key_value(out, "recent", "%zu (oldest first)", n);
	fprintf(out, "  %-24s  %-9s  %-11s  %11s  %12s\n", "time", "direction",
		"cause", "frames lost", "monotonic s");
	for (size_t i = 0; i < n; i++)
		put_xrun_event(out, json_object_array_get_idx(recent, i));
}

void render_json(FILE *out, json_object *value, bool pretty)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
		    (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
			    : JSON_C_TO_STRING_PLAIN);

	fprintf(out, "%s\n", json_object_to_json_string_ext(value, flags));
}

/* Loudness in LUFS; the daemon's -200 floor reads as "-inf". */
static void put_lufs(FILE *out, const char *label, json_object *v, const char *unit)
{
	double d;

	if (!jv_number(v, &d))
		return;
	if (d <= -199.0)
		fprintf(out, "%-16s   -inf %s\n", label, unit);
	else
		fprintf(out, "%-16s %6.1f %s\n", label, d, unit);
}

void render_loudness(FILE *out, json_object *l)
{
	json_object *peaks = jv_field(l, "sample_peak_dbfs");
	double d;

	fprintf(out, "%-16s %s\n", "tap:", jv_string(jv_field(l, "tap")) ? jv_string(jv_field(l, "tap")) : "-");
	put_lufs(out, "momentary:", jv_field(l, "momentary_lufs"), "LUFS");
	put_lufs(out, "short-term:", jv_field(l, "short_term_lufs"), "LUFS");
	put_lufs(out, "integrated:", jv_field(l, "integrated_lufs"), "LUFS");
	if (jv_number(jv_field(l, "range_lu"), &d))
		fprintf(out, "%-16s %6.1f LU\n", "range:", d);
	for (size_t i = 0; i < jv_length(peaks); i++) {
		char label[32];

		snprintf(label, sizeof(label), "peak ch %zu:", i);
		put_lufs(out, label, json_object_array_get_idx(peaks, i), "dBFS");
	}
	if (jv_number(jv_field(l, "seconds"), &d))
		fprintf(out, "%-16s %6.1f s\n", "measured:", d);
}
