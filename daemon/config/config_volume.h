/* config_volume.h - the "silence" object and the volume link's keys
 * (config_volume.c): their tables and cross-field checks.  Not for use
 * outside daemon/config/config*.c.  Control thread only. */
#ifndef DSPD_CONFIG_VOLUME_H
#define DSPD_CONFIG_VOLUME_H

#include "config_fields.h"

/* The "silence" object's keys (top-level offsets). */
extern const struct field cfg_silence_fields[];
/* The "volume" object's keys (top-level offsets): db, mute, ramp_ms, the
 * ceiling and the link to an ALSA element. */
extern const struct field cfg_volume_fields[];

/* Once every key is read: the volume below its ceiling (volume.db when not
 * given starts at max_db when that is below 0 dB), the link's element named
 * when the link is on, the created element's range. */
void cfg_check_volume(struct parser *p, struct json_object *root,
                      struct dspd_config *cfg);

#endif
