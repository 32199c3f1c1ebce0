/* config_schema.h - pass 3 of a config load, the meaning of the tree
 * (config_schema.c).  Not for use outside daemon/config/config*.c.
 * Control thread only. */
#ifndef DSPD_CONFIG_SCHEMA_H
#define DSPD_CONFIG_SCHEMA_H

#include "config_errors.h"

/* Pass 3: fill cfg (holding the defaults) from root, reporting every error. */
void cfg_validate(struct parser *p, struct json_object *root,
                  struct dspd_config *cfg);

#endif
