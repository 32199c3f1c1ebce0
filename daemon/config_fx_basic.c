/* config_fx_basic.c - the key tables of the basic block family (see
 * fx_basic_cfg.h for the values).  Control thread only. */
#include "config_internal.h"

const struct cfg_block_type_desc cfg_block_types_basic[] = {
	{ NULL },
};
