/* config_source.h - the keys of a configuration that follows its source
 * (config_source.c): "rate": "follow", capture.rate "follow", "source",
 * rate_adjust's pitch method; their defaults and cross-field checks.  Not
 * for use outside daemon/config/config*.c.  Control thread only. */
#ifndef DSPD_CONFIG_SOURCE_H
#define DSPD_CONFIG_SOURCE_H

#include "config_fields.h"

#define CFG_MAX_RATE_RATIO 16           /* rate / capture rate, either way */

/* "rate" (top level, dst &cfg->rate) and capture.rate (dst &pcm->rate): an
 * integer 8000..768000 or "follow". */
field_parse_fn cfg_parse_top_rate;
field_parse_fn cfg_parse_capture_rate;
/* An ALSA device name, or "" for none. */
field_parse_fn cfg_parse_device_or_none;
/* An ALSA control element name (at most CFG_ELEMENT_NAME_MAX - 1 bytes);
 * the _or_none variant also takes "". */
field_parse_fn cfg_parse_element;
field_parse_fn cfg_parse_element_or_none;

/* The "source" object's keys (top-level offsets). */
extern const struct field cfg_source_fields[];
/* rate_adjust's keys of the pitch method: method, control, element, scale. */
#define CFG_RATE_ADJUST_PITCH_FIELDS \
	{ .key = "method", .parse = cfg_parse_choice, \
	  .offset = offsetof(struct dspd_config, rate_adjust.method), \
	  .choices = cfg_adjust_methods, .flags = TAINTS_FOLLOW }, \
	{ .key = "control", .parse = cfg_parse_device_or_none, \
	  .offset = offsetof(struct dspd_config, rate_adjust.control), \
	  .size = CFG_DEVICE_MAX, .flags = TAINTS_FOLLOW }, \
	{ .key = "element", .parse = cfg_parse_element, \
	  .offset = offsetof(struct dspd_config, rate_adjust.element), \
	  .flags = TAINTS_FOLLOW }, \
	{ .key = "scale", .parse = cfg_parse_scale, \
	  .offset = offsetof(struct dspd_config, rate_adjust.scale), \
	  .min = 1, .max = 1000000000, .flags = TAINTS_FOLLOW }, \
	{ .key = "larger", .parse = cfg_parse_choice, \
	  .offset = offsetof(struct dspd_config, rate_adjust.larger), \
	  .choices = cfg_trim_senses, .flags = TAINTS_FOLLOW }
extern const char *const cfg_adjust_methods[];
/* rate_adjust.larger: enum cfg_trim_sense */
extern const char *const cfg_trim_senses[];
field_parse_fn cfg_parse_scale;

/* An error at /key or /key/sub (sub may be NULL), from a cross-field check. */
void cfg_error_key(struct parser *p, const char *key, const char *sub,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Once every key is read: resolve the follow modes' rates (cfg->rate from
 * source.initial_rate in mode a, capture.rate in mode b) and the pitch
 * method's defaults, and report what does not fit together.  Skipped where
 * a field it depends on already failed. */
void cfg_check_source(struct parser *p, struct json_object *root,
                      struct dspd_config *cfg);

#endif
