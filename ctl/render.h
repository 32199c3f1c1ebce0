/* render.h - dspctl's human-readable output of daemon answers.
 *
 * Each renderer takes the "result" member of a reply as documented in
 * docs/protocol.md and prints what it finds; a field the daemon left out is
 * skipped rather than invented.  Single-threaded (dspctl's main thread). */
#ifndef DSPCTL_RENDER_H
#define DSPCTL_RENDER_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#define RENDER_SILENCE_DBFS (-199.0)  /* at or below: printed as -inf */
#define RENDER_BAR_CELLS 30
#define RENDER_BAR_FLOOR_DBFS (-60.0)

void render_status(FILE *out, json_object *status);
void render_stats(FILE *out, json_object *stats);
/* "on" or "off"; for mute.get, mute.set and mute.toggle results. */
void render_mute(FILE *out, json_object *mute);
/* One row per block: index, type, name, channels, then its settings. */
void render_pipeline(FILE *out, json_object *pipeline);
/* "-6.0", or "-inf" at or below RENDER_SILENCE_DBFS. */
void render_db(char *buf, size_t size, double db);
/* "-6.0 dB" or "-6.0 dB (muted)"; for gain.get and gain.set results. */
void render_gain(FILE *out, json_object *gain);
/* bars: append a meter bar to each channel row (for terminals). */
void render_levels(FILE *out, json_object *levels, bool bars);
void render_xruns(FILE *out, json_object *xruns);
void render_loudness(FILE *out, json_object *loudness);
/* One line of plain JSON, or indented JSON when pretty. */
void render_json(FILE *out, json_object *value, bool pretty);

#endif
