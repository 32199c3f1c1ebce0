/* config_volume.c - the keys of the master volume and of silence: "volume"
 * (db, mute, ramp_ms, the ceiling max_db, and the link to a player's ALSA
 * mixer element: control, element, mute_element, create and the created
 * element's dB range) and "silence" (threshold, time, releasing the
 * playback, the fade back in).  Keys documented in dspd.conf(5).  Control
 * thread only. */
#include "config_volume.h"
#include "config_source.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define CFG_OFFSET(member) offsetof(struct dspd_config, member)
#define VOLUME_DB_MIN -150.0
#define CREATE_STEP_DB 0.5              /* the created element's step */

/* silence.seconds: 0 (off) or 0.1..86400. */
static int parse_silence_seconds(struct parser *p, struct json_object *val,
                                 const struct field *f, void *dst)
{
	double d = 0;

	if (json_object_is_type(val, json_type_int) &&
	    json_object_get_int64(val) == 0) {
		*(double *)dst = 0;
		return 0;
	}
	if (cfg_parse_number(p, val, f, &d) < 0)
		return -EINVAL;
	*(double *)dst = d;
	return 0;
}

const struct field cfg_silence_fields[] = {
	{ .key = "threshold_db", .parse = cfg_parse_number,
	  .offset = CFG_OFFSET(silence.threshold_db), .min = -200, .max = 0 },
	{ .key = "seconds", .parse = parse_silence_seconds,
	  .offset = CFG_OFFSET(silence.seconds), .min = 0.1, .max = 86400 },
	{ .key = "release_playback", .parse = cfg_parse_bool,
	  .offset = CFG_OFFSET(silence.release_playback) },
	{ .key = "fade_in_ms", .parse = cfg_parse_number,
	  .offset = CFG_OFFSET(silence.fade_in_ms), .min = 0, .max = 5000 },
	{ 0 }
};

const struct field cfg_volume_fields[] = {
	{ .key = "db", .parse = cfg_parse_number,
	  .offset = CFG_OFFSET(volume.db), .min = VOLUME_DB_MIN,
	  .max = CFG_VOLUME_DB_MAX, .flags = TAINTS_VOLUME },
	{ .key = "mute", .parse = cfg_parse_bool,
	  .offset = CFG_OFFSET(volume.mute) },
	{ .key = "ramp_ms", .parse = cfg_parse_number,
	  .offset = CFG_OFFSET(volume.ramp_ms), .min = 0, .max = 10000 },
	{ .key = "max_db", .parse = cfg_parse_number,
	  .offset = CFG_OFFSET(volume.max_db), .min = VOLUME_DB_MIN,
	  .max = CFG_VOLUME_DB_MAX, .flags = TAINTS_VOLUME },
	{ .key = "control", .parse = cfg_parse_device_or_none,
	  .offset = CFG_OFFSET(volume.control), .size = CFG_DEVICE_MAX,
	  .flags = TAINTS_VOLUME },
	{ .key = "element", .parse = cfg_parse_element,
	  .offset = CFG_OFFSET(volume.element), .flags = TAINTS_VOLUME },
	{ .key = "mute_element", .parse = cfg_parse_element_or_none,
	  .offset = CFG_OFFSET(volume.mute_element), .flags = TAINTS_VOLUME },
	{ .key = "create", .parse = cfg_parse_bool,
	  .offset = CFG_OFFSET(volume.create) },
	{ .key = "create_min_db", .parse = cfg_parse_number,
	  .offset = CFG_OFFSET(volume.create_min_db), .min = VOLUME_DB_MIN,
	  .max = CFG_VOLUME_DB_MAX, .flags = TAINTS_VOLUME },
	{ .key = "create_max_db", .parse = cfg_parse_number,
	  .offset = CFG_OFFSET(volume.create_max_db), .min = VOLUME_DB_MIN,
	  .max = CFG_VOLUME_DB_MAX, .flags = TAINTS_VOLUME },
	{ 0 }
};

void cfg_check_volume(struct parser *p, struct json_object *root,
                      struct dspd_config *cfg)
{
	typeof(cfg->volume) *v = &cfg->volume;
	struct json_object *obj;
	bool db_given = json_object_object_get_ex(root, "volume", &obj) &&
	                json_object_object_get_ex(obj, "db", NULL);

	if (p->tainted & TAINTS_VOLUME)
		return;
	if (v->db > v->max_db && !db_given)
		v->db = v->max_db;      /* the default volume under a ceiling */
	else if (v->db > v->max_db)
		cfg_error_key(p, "volume", "db", "%g dB is above volume.max_db "
		              "%g dB, the ceiling no volume may exceed", v->db,
		              v->max_db);
	if (v->control[0] && !v->element[0])
		cfg_error_key(p, "volume", NULL, "missing required key "
		              "\"element\": the link to volume.control needs the "
		              "mixer element's name (e.g. \"Master Playback "
		              "Volume\")");
	if (!v->control[0] && (v->element[0] || v->mute_element[0]))
		cfg_error_key(p, "volume", "control", "is needed by "
		              "volume.element and volume.mute_element: the ALSA "
		              "control device holding them (e.g. \"hw:Loopback\")");
	if (v->create_max_db - v->create_min_db < CREATE_STEP_DB)
		cfg_error_key(p, "volume", "create_max_db", "%g dB must be at "
		              "least 0.5 dB above volume.create_min_db %g dB",
		              v->create_max_db, v->create_min_db);
}
