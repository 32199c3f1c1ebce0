/* meter_view.c - in-place terminal level meters (see meter_view.h).
 *
 * Escape sequences used: CSI n A (cursor up), CSI K (erase to end of line),
 * CSI J (erase below), CSI ?25l/h (hide/show cursor), SGR colors.  Rows are
 * cut to the terminal's width so none wraps, and to its height so the
 * cursor-up count stays right.  Single-threaded (dspctl's main thread). */
#include "meter_view.h"
#include "clock.h"
#include "jvalue.h"
#include "proto.h"
#include "render.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MIN_BAR 10
#define MAX_BAR 60
#define ROW_OVERHEAD 44  /* everything on a row but the bar */

#define SGR_RESET "\033[0m"
#define SGR_GREEN "\033[32m"
#define SGR_YELLOW "\033[33m"
#define SGR_RED "\033[31m"
#define SGR_CLIP "\033[1;37;41m"

struct clip_state {
	int64_t clipped;
	int64_t risen_at_ms;
	bool known;
};

struct meter_view {
	FILE *out;
	bool color;
	int rows_drawn;
	struct clip_state *clips[PROTO_TAPS];
	size_t n_clips[PROTO_TAPS];
};

struct meter_view *meter_view_new(FILE *out, bool color)
{
	struct meter_view *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->out = out;
	v->color = color;
	fputs("\033[?25l", out);
	return v;
}

void meter_view_finish(struct meter_view *v)
{
	if (!v)
		return;
	fputs(v->color ? SGR_RESET "\033[?25h" : "\033[?25h", v->out);
	fflush(v->out);
	for (int t = 0; t < PROTO_TAPS; t++)
		free(v->clips[t]);
	free(v);
}

/* Cells lit for a level: 0 at the floor or below, width at 0 dBFS. */
static int level_cells(double dbfs, int width)
{
	double cells = (dbfs - METER_FLOOR_DBFS) / -METER_FLOOR_DBFS * width;

	if (!(cells > 0))
		return 0;
	return cells >= width ? width : (int)lround(cells);
}

static const char *zone_color(int cell, int width)
{
	double db = METER_FLOOR_DBFS * (1.0 - (cell + 1.0) / width);

	return db > -6 ? SGR_RED : db > -18 ? SGR_YELLOW : SGR_GREEN;
}

/* '#' up to the RMS, '|' at the peak, '!' at the peak hold, '.' elsewhere. */
static void put_bar(struct meter_view *v, int width, double rms, double peak,
		    double hold, bool has_hold)
{
	int rms_cells = level_cells(rms, width), peak_cell = level_cells(peak, width) - 1;
	int hold_cell = has_hold ? level_cells(hold, width) - 1 : -1;
	const char *current = NULL;

	fputc('[', v->out);
	for (int i = 0; i < width; i++) {
		char c = i == peak_cell ? '|' : i == hold_cell ? '!' :
			 i < rms_cells ? '#' : '.';
		const char *color = c == '.' ? SGR_RESET : zone_color(i, width);

		if (v->color && color != current) {
			fputs(color, v->out);
			current = color;
		}
		fputc(c, v->out);
	}
	if (v->color && current != NULL)
		fputs(SGR_RESET, v->out);
	fputc(']', v->out);
}

/* The clip state of channel index of tap t, grown as channels appear. */
static struct clip_state *clip_state(struct meter_view *v, int t, size_t index)
{
	if (index >= v->n_clips[t]) {
		size_t n = index + 1;
		struct clip_state *grown = realloc(v->clips[t], n * sizeof(*grown));

		if (!grown)
			return NULL;
		memset(grown + v->n_clips[t], 0, (n - v->n_clips[t]) * sizeof(*grown));
		v->clips[t] = grown;
		v->n_clips[t] = n;
	}
	return &v->clips[t][index];
}

/* True while the clipped count has risen within METER_CLIP_HOLD_MS. */
static bool clip_lit(struct clip_state *s, json_object *clipped, int64_t now)
{
	int64_t count;

	if (!s || !json_object_is_type(clipped, json_type_int))
		return false;
	count = json_object_get_int64(clipped);
	if (s->known && count > s->clipped)
		s->risen_at_ms = now;
	s->clipped = count;
	s->known = true;
	return s->risen_at_ms && now - s->risen_at_ms < METER_CLIP_HOLD_MS;
}

static void put_row(struct meter_view *v, int t, size_t i, json_object *ch,
		    int width, int64_t now)
{
	char peak_text[16], rms_text[16], hold_text[16] = "", index[32];
	double peak = -200, rms = -200, hold = -200;
	bool has_hold = jv_number(jv_field(ch, "peak_hold_dbfs"), &hold);
	bool clip;

	jv_number(jv_field(ch, "peak_dbfs"), &peak);
	jv_number(jv_field(ch, "rms_dbfs"), &rms);
	clip = clip_lit(clip_state(v, t, i), jv_field(ch, "clipped"), now);
	if (!jv_count(jv_field(ch, "channel"), index, sizeof(index)))
		snprintf(index, sizeof(index), "%zu", i);
	render_db(peak_text, sizeof(peak_text), peak);
	render_db(rms_text, sizeof(rms_text), rms);
	if (has_hold)
		render_db(hold_text, sizeof(hold_text), hold);
	fprintf(v->out, "%-8s %3.3s ", proto_tap_names[t], index);
	put_bar(v, width, rms, peak, hold, has_hold);
	fprintf(v->out, " %6s %6s %6s ", peak_text, rms_text, hold_text);
	if (clip)
		fputs(v->color ? SGR_CLIP "CLIP" SGR_RESET : "CLIP", v->out);
	fputs("\033[K\n", v->out);
}

/* "-60" under the bar's left end, "0" under its right end, marks between. */
static void put_scale(struct meter_view *v, int width)
{
	char scale[MAX_BAR + 8];

	memset(scale, ' ', sizeof(scale));
	for (int db = -60; db <= 0; db += 12) {
		char label[8];
		int len = snprintf(label, sizeof(label), "%d", db);
		int at = 1 + level_cells(db, width) - (db == 0 ? len : db == -60 ? 0 : len / 2);

		if (at >= 0 && at + len <= width + 2)
			memcpy(scale + at, label, (size_t)len);
	}
	scale[width + 2] = '\0';
	fprintf(v->out, "%-8s %3s %s %6s %6s %6s\033[K\n", "tap", "ch", scale,
		"peak", "rms", "hold");
}

static int bar_width(int columns)
{
	int width = columns > 0 ? columns - ROW_OVERHEAD : MAX_BAR;

	return width < MIN_BAR ? MIN_BAR : width > MAX_BAR ? MAX_BAR : width;
}

void meter_view_draw(struct meter_view *v, json_object *levels, int columns,
		     int rows)
{
	int width = bar_width(columns), drawn = 0;
	int max_rows = rows > 3 ? rows - 1 : INT32_MAX;
	size_t hidden = 0;
	int64_t now = monotonic_ms();
	char footer[96] = "";
	double window;

	if (v->rows_drawn > 0)
		fprintf(v->out, "\033[%dA\r", v->rows_drawn);
	put_scale(v, width);
	drawn++;
	for (int t = 0; t < PROTO_TAPS; t++) {
		json_object *channels = jv_field(levels, proto_tap_names[t]);

		for (size_t i = 0; i < jv_length(channels); i++) {
			if (drawn >= max_rows - 1) {
				hidden++;
				continue;
			}
			put_row(v, t, i, json_object_array_get_idx(channels, i),
				width, now);
			drawn++;
		}
	}
	if (hidden)
		snprintf(footer, sizeof(footer), "(%zu more channels do not fit)",
			 hidden);
	else if (jv_number(jv_field(levels, "window_ms"), &window))
		snprintf(footer, sizeof(footer), "window %.0f ms; '#' rms, '|' "
			 "peak, '!' 2 s peak hold; Ctrl-C quits", window);
	fprintf(v->out, "%.*s\033[K\n\033[J", columns > 1 ? columns - 1 : 80,
		footer);
	v->rows_drawn = drawn + 1;
	fflush(v->out);
}
