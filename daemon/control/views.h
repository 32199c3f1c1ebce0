/* views.h - the JSON the control plane shows (views.c, view_levels.c,
 * view_plugins.c, view_limits.c): pure builders from what the engine, the
 * configuration, the plugin host and the control sockets report.  They
 * read, never change, and call nothing else of the control plane, so
 * every other file may use them.
 * Control thread only. */
#ifndef DSPD_VIEWS_H
#define DSPD_VIEWS_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "loudness.h"

/* A double rounded to resolution (finite always). */
json_object *json_number(double v, double resolution);
/* "2026-11-25T12:00:00.123Z" */
void format_utc(int64_t realtime_ns, char *out, size_t len);

json_object *xrun_json(const struct eng_xrun *x);
json_object *gain_json(const struct eng_status *st);
/* Levels over window_ms (view_levels.c); *since is the caller's cursor. */
json_object *levels_json(struct ctl_context *ctx, uint64_t *since, double window_ms);
struct fx;
/* A meter block's channels: [{channel, peak_dbfs, rms_dbfs}] */
json_object *meter_tap_json(const struct fx *fx);
/* {"tap","momentary_lufs","short_term_lufs","integrated_lufs","range_lu",
 *  "sample_peak_dbfs":[...], "seconds"}; silence is the finite floor. */
json_object *loudness_json(const struct loudness_reading *m);

/* status.limits: memory_bound_bytes, clients, output, filters. */
void limits_json_add(const struct ctl_context *ctx, json_object *limits);

/* path, sha256, loaded_at, changed_at, source, edits, generations */
void config_identity_add(struct ctl_context *ctx, json_object *o);
/* The answer to a change that was applied. */
json_object *change_result_json(struct ctl_context *ctx,
                                const struct ctl_change_result *res);

/* Every plugin of the LADSPA search path (only those of label_or_NULL when
 * given), at most 4096 (view_plugins.c):
 *   {"path": [dirs], "truncated": bool, "plugins": [{"library", "label",
 *    "name", "maker", "unique_id", "hard_rt", "inplace_broken",
 *    "audio_inputs", "audio_outputs", "controls": [{"name", "direction",
 *    "lower"?, "upper"?, "default"?, "toggled", "integer",
 *    "logarithmic"}]}]}
 * Bounds and defaults are at `rate`; "lower"/"upper" are absent when not
 * bounded, "default" is the value dspd gives an input port the
 * configuration leaves out.  NULL when out of memory. */
json_object *plugins_json(unsigned rate, const char *label_or_NULL);

#endif
