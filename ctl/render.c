/* render.c - turns status/gain/levels/xruns results into aligned text.
 *
 * Status and xruns are "key: value" lines with the values in one column;
 * levels is a table with one row per channel and tap point.  Numbers get the
 * precision a person can use: dB to 0.1, milliseconds to 0.01, load to 0.1 %.
 * Single-threaded (dspctl's main thread). */
#include "render.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#define KEY_WIDTH 18  /* "frames processed:" plus one space */

static json_object *field(json_object *obj, const char *key)
{
	json_object *value = NULL;

	if (!obj || !json_object_is_type(obj, json_type_object))
		return NULL;
	json_object_object_get_ex(obj, key, &value);
	return value;
}

static bool number(json_object *value, double *ret)
{
	if (!json_object_is_type(value, json_type_double) &&
	    !json_object_is_type(value, json_type_int))
		return false;
	*ret = json_object_get_double(value);
	return isfinite(*ret);
}

static const char *string(json_object *value)
{
	return json_object_is_type(value, json_type_string) ?
	       json_object_get_string(value) : NULL;
}

static bool boolean(json_object *value, bool *ret)
{
	if (!json_object_is_type(value, json_type_boolean))
		return false;
	*ret = json_object_get_boolean(value);
	return true;
}

/* Integer counters as integers, whatever JSON number type carried them. */
static bool count(json_object *value, char *buf, size_t size)
{
	double d;

	if (json_object_is_type(value, json_type_int)) {
		snprintf(buf, size, "%" PRId64, json_object_get_int64(value));
		return true;
	}
	if (!number(value, &d))
		return false;
	snprintf(buf, size, "%.0f", d);
	return true;
}

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

static void format_db(char *buf, size_t size, double db)
{
	if (db <= RENDER_SILENCE_DBFS)
		snprintf(buf, size, "-inf");
	else
		snprintf(buf, size, "%.1f", fabs(db) < 0.05 ? 0.0 : db);
}

static void put_string(FILE *out, const char *key, json_object *value)
{
	const char *s = string(value);

	if (s)
		key_value(out, key, "%s", s);
}

static void put_count(FILE *out, const char *key, json_object *value)
{
	char n[32];

	if (count(value, n, sizeof(n)))
		key_value(out, key, "%s", n);
}

static void put_yes_no(FILE *out, const char *key, json_object *value)
{
	bool b;

	if (boolean(value, &b))
		key_value(out, key, "%s", b ? "yes" : "no");
}

static void put_uptime(FILE *out, json_object *value)
{
	double s;

	if (!number(value, &s))
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

	if (!count(frames, n, sizeof(n)))
		return;
	if (number(ms, &m))
		key_value(out, key, "%s frames (%.2f ms)", n, m);
	else if (rate > 0 && number(frames, &f))
		key_value(out, key, "%s frames (%.2f ms)", n, f * 1000.0 / rate);
	else
		key_value(out, key, "%s frames", n);
}

static void put_buffer(FILE *out, json_object *status, double rate)
{
	json_object *cap = field(field(status, "capture"), "buffer_frames");
	json_object *play = field(field(status, "playback"), "buffer_frames");
	double c, p;

	if (!number(cap, &c) || (number(play, &p) && p != c)) {
		put_frames(out, "capture buffer", cap, NULL, rate);
		put_frames(out, "playback buffer", play, NULL, rate);
	} else {
		put_frames(out, "buffer", cap, NULL, rate);
	}
}

static void put_device(FILE *out, const char *key, json_object *dev)
{
	const char *name = string(field(dev, "device"));
	const char *format = string(field(dev, "format"));
	char channels[32];

	if (!name)
		return;
	if (!count(field(dev, "channels"), channels, sizeof(channels)))
		snprintf(channels, sizeof(channels), "?");
	key_value(out, key, "%s, %s, %s channels", name, format ? format : "?",
		  channels);
}

static void put_xrun_counts(FILE *out, json_object *xruns)
{
	char c[32], p[32];

	if (count(field(xruns, "capture"), c, sizeof(c)) &&
	    count(field(xruns, "playback"), p, sizeof(p)))
		key_value(out, "xruns", "%s capture, %s playback", c, p);
}

static void put_realtime(FILE *out, json_object *status)
{
	char prio[32];
	bool rt;

	if (!boolean(field(status, "rt"), &rt))
		return;
	if (rt && count(field(status, "rt_priority"), prio, sizeof(prio)))
		key_value(out, "realtime", "yes (SCHED_FIFO priority %s)", prio);
	else
		key_value(out, "realtime", "%s", rt ? "yes" : "no");
}

static void put_load(FILE *out, json_object *load)
{
	double avg, max, last;

	if (!number(field(load, "avg"), &avg) || !number(field(load, "max"), &max))
		return;
	if (number(field(load, "last"), &last))
		key_value(out, "load", "%.1f%% avg, %.1f%% max, %.1f%% last",
			  avg * 100, max * 100, last * 100);
	else
		key_value(out, "load", "%.1f%% avg, %.1f%% max", avg * 100, max * 100);
}

static bool gain_text(json_object *gain, char *buf, size_t size)
{
	char db[16];
	double v;
	bool mute = false;

	if (!number(field(gain, "db"), &v))
		return false;
	format_db(db, sizeof(db), v);
	boolean(field(gain, "mute"), &mute);
	snprintf(buf, size, "%s dB%s", db, mute ? " (muted)" : "");
	return true;
}

void render_status(FILE *out, json_object *st)
{
	json_object *frames = field(st, "frames");
	char gain[48];
	double rate = 0;

	put_string(out, "state", field(st, "state"));
	put_string(out, "version", field(st, "version"));
	put_uptime(out, field(st, "uptime_s"));
	if (number(field(st, "rate"), &rate))
		key_value(out, "rate", "%.0f Hz", rate);
	put_frames(out, "period", field(st, "period_frames"),
		   field(st, "period_ms"), rate);
	put_count(out, "periods", field(st, "periods"));
	put_buffer(out, st, rate);
	put_device(out, "capture", field(st, "capture"));
	put_device(out, "playback", field(st, "playback"));
	put_frames(out, "latency", field(st, "latency_frames"),
		   field(st, "latency_ms"), rate);
	put_count(out, "frames captured", field(frames, "captured"));
	put_count(out, "frames processed", field(frames, "processed"));
	put_count(out, "frames played", field(frames, "played"));
	put_count(out, "frames dropped", field(frames, "dropped"));
	put_xrun_counts(out, field(st, "xruns"));
	put_realtime(out, st);
	put_yes_no(out, "memory locked", field(st, "mlock"));
	put_load(out, field(st, "load"));
	if (gain_text(field(st, "gain"), gain, sizeof(gain)))
		key_value(out, "gain", "%s", gain);
	put_string(out, "config", field(field(st, "config"), "path"));
}

void render_gain(FILE *out, json_object *gain)
{
	char text[48];

	if (gain_text(gain, text, sizeof(text)))
		fprintf(out, "%s\n", text);
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

static void put_tap_rows(FILE *out, const char *tap, json_object *channels,
			 bool bars)
{
	size_t n = json_object_is_type(channels, json_type_array) ?
		   json_object_array_length(channels) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *ch = json_object_array_get_idx(channels, i);
		char index[32], clipped[32], peak_text[16], rms_text[16];
		double peak, rms;

		if (!number(field(ch, "peak_dbfs"), &peak) ||
		    !number(field(ch, "rms_dbfs"), &rms))
			continue;
		if (!count(field(ch, "channel"), index, sizeof(index)))
			snprintf(index, sizeof(index), "%zu", i);
		if (!count(field(ch, "clipped"), clipped, sizeof(clipped)))
			snprintf(clipped, sizeof(clipped), "?");
		format_db(peak_text, sizeof(peak_text), peak);
		format_db(rms_text, sizeof(rms_text), rms);
		fprintf(out, "%-9s %3s %9s %9s %8s", tap, index, peak_text,
			rms_text, clipped);
		if (bars)
			put_bar(out, peak, rms);
		fputc('\n', out);
	}
}

void render_levels(FILE *out, json_object *levels, bool bars)
{
	double window;

	fprintf(out, "%-9s %3s %9s %9s %8s\n", "tap", "ch", "peak dBFS",
		"rms dBFS", "clipped");
	put_tap_rows(out, "capture", field(levels, "capture"), bars);
	put_tap_rows(out, "playback", field(levels, "playback"), bars);
	if (number(field(levels, "window_ms"), &window))
		fprintf(out, "window: %.0f ms\n", window);
}

static void put_xrun_event(FILE *out, json_object *event)
{
	const char *time = string(field(event, "time"));
	const char *direction = string(field(event, "direction"));
	char lost[32];
	double mono;

	if (!count(field(event, "frames_lost"), lost, sizeof(lost)))
		snprintf(lost, sizeof(lost), "?");
	fprintf(out, "  %-24s  %-9s  %11s", time ? time : "?",
		direction ? direction : "?", lost);
	if (number(field(event, "monotonic_s"), &mono))
		fprintf(out, "  %12.3f", mono);
	fputc('\n', out);
}

void render_xruns(FILE *out, json_object *xruns)
{
	json_object *recent = field(xruns, "recent");
	size_t n = json_object_is_type(recent, json_type_array) ?
		   json_object_array_length(recent) : 0;

	put_count(out, "capture", field(xruns, "capture"));
	put_count(out, "playback", field(xruns, "playback"));
	if (n == 0) {
		key_value(out, "recent", "none");
		return;
	}
	key_value(out, "recent", "%zu (oldest first)", n);
	fprintf(out, "  %-24s  %-9s  %11s  %12s\n", "time", "direction",
		"frames lost", "monotonic s");
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
