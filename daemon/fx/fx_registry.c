/* fx_registry.c - the registry of blocks: the table from configured block
 * type to constructor, one row set per block family, and fx_create().  A
 * new block family adds its row set here.  Control thread only. */
#include "fx.h"
#include "fx_meter.h"

#include <errno.h>
#include <stdio.h>

static const struct fx_constructor gain_constructors[] = {
	{ CFG_BLOCK_GAIN, fx_gain_create },
	{ CFG_BLOCK_METER, fx_meter_create },
	{ CFG_BLOCK_LOUDNESS_COMP, fx_loudcomp_create },
	{ .create = NULL },
};

static const struct fx_constructor *const families[] = {
	gain_constructors, fx_constructors_filters, fx_constructors_fir,
	fx_constructors_basic, fx_constructors_ladspa,
};

int fx_create(const struct cfg_block *cfg, const struct fx_env *env,
              struct fx **ret, char *err, size_t err_len)
{
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
		for (const struct fx_constructor *c = families[f]; c->create; c++)
			if (c->type == cfg->type)
				return c->create(cfg, env, ret, err, err_len);
	snprintf(err, err_len, "block \"%s\": no implementation for its type", cfg->name);
	return -ENOSYS;
}
