/* config_blocks.h - pass 3 for "pipeline" (config_blocks.c), as the top
 * level's key table (config_schema.c) uses it.  Not for use outside
 * daemon/config/config*.c.  Control thread only. */
#ifndef DSPD_CONFIG_BLOCKS_H
#define DSPD_CONFIG_BLOCKS_H

#include "config_fields.h"

/* "pipeline": dst is the struct dspd_config. */
field_parse_fn cfg_parse_pipeline;

/* Cross-field: every channel a block names exists on the wider PCM. */
void cfg_check_block_channels(struct parser *p, const struct dspd_config *cfg);

#endif
