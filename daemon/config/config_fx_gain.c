/* config_fx_gain.c - the key tables of the gain block family: gain, meter
 * and loudness_comp (values in struct cfg_block, config.h; keys documented
 * in dspd.conf(5)).  Control thread only. */
#include "config_block_fields.h"

static void gain_defaults(struct cfg_block *block)
{
	block->db = 0.0;
	block->mute = false;
	block->invert = false;
	block->channel_mask = UINT32_MAX;
}

static const struct field gain_fields[] = {
	CFG_BLOCK_COMMON_FIELDS,
	{ .key = "db", .parse = cfg_parse_number,
	  .offset = offsetof(struct cfg_block, db), .min = -150, .max = 40 },
	{ .key = "mute", .parse = cfg_parse_bool,
	  .offset = offsetof(struct cfg_block, mute) },
	{ .key = "invert", .parse = cfg_parse_bool,
	  .offset = offsetof(struct cfg_block, invert) },
	{ 0 }
};

static void meter_defaults(struct cfg_block *block)
{
	block->channel_mask = UINT32_MAX;
	block->u.meter.window_ms = 300.0;
}

static const struct field meter_fields[] = {
	CFG_BLOCK_COMMON_FIELDS,
	{ .key = "window_ms", .parse = cfg_parse_number,
	  .offset = offsetof(struct cfg_block, u.meter.window_ms), .min = 1, .max = 10000 },
	{ 0 }
};

static void loudcomp_defaults(struct cfg_block *block)
{
	block->channel_mask = UINT32_MAX;
	block->u.loudcomp.reference_db = -25.0;
	block->u.loudcomp.low_boost_db = 7.0;
	block->u.loudcomp.high_boost_db = 7.0;
}

static const struct field loudcomp_fields[] = {
	CFG_BLOCK_COMMON_FIELDS,
	{ .key = "reference_db", .parse = cfg_parse_number,
	  .offset = offsetof(struct cfg_block, u.loudcomp.reference_db), .min = -100, .max = 20 },
	{ .key = "low_boost_db", .parse = cfg_parse_number,
	  .offset = offsetof(struct cfg_block, u.loudcomp.low_boost_db), .min = 0, .max = 20 },
	{ .key = "high_boost_db", .parse = cfg_parse_number,
	  .offset = offsetof(struct cfg_block, u.loudcomp.high_boost_db), .min = 0, .max = 20 },
	{ 0 }
};

const struct cfg_block_type_desc cfg_block_types_gain[] = {
	{ "gain", CFG_BLOCK_GAIN, gain_defaults, gain_fields },
	{ "meter", CFG_BLOCK_METER, meter_defaults, meter_fields },
	{ "loudness_comp", CFG_BLOCK_LOUDNESS_COMP, loudcomp_defaults, loudcomp_fields },
	{ .name = NULL },
};
