/* config_fx_filters.c - the key tables of the filters block family (see
 * fx_filters_cfg.h for the values).  Control thread only. */
#include "config_internal.h"

const struct cfg_block_type_desc cfg_block_types_filters[] = {
	{ NULL },
};
