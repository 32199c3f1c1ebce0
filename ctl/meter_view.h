/* meter_view.h - live level meters drawn in place on a terminal, for
 * dspctl levels --follow.
 *
 * One row per tap and channel: a bar from -60 to 0 dBFS filled up to the
 * RMS level, a marker at the peak and one at the peak hold, the numbers, and
 * a red CLIP while the channel's clipped count has risen in the last 2 s.
 * Each draw moves the cursor back over the previous rows and overwrites
 * them.  Single-threaded (dspctl's main thread). */
#ifndef DSPCTL_METER_VIEW_H
#define DSPCTL_METER_VIEW_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#define METER_FLOOR_DBFS (-60.0)
#define METER_CLIP_HOLD_MS 2000

struct meter_view;

/* color: ANSI colors for the bar zones and CLIP (cursor movement is always
 * used).  Hides the cursor. NULL when out of memory. */
struct meter_view *meter_view_new(FILE *out, bool color);
/* Draws one levels result (or notification params) over the previous one;
 * columns and rows: the terminal's size (0: unknown). */
void meter_view_draw(struct meter_view *v, json_object *levels, int columns,
		     int rows);
/* Leaves the cursor below the last drawing, visible again, and frees v. */
void meter_view_finish(struct meter_view *v);

#endif
