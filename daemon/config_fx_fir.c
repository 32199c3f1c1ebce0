/* config_fx_fir.c - the key tables of the fir block family (see
 * fx_fir_cfg.h for the values).  Control thread only. */
#include "config_internal.h"

const struct cfg_block_type_desc cfg_block_types_fir[] = {
	{ NULL },
};
