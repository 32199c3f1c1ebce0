/* config_block_fields.h - what every block family (config_fx_*.c) builds
 * on and exports: the keys every block type's key table starts with
 * (config_block_fields.c), and the description of a block type that
 * config_blocks.c looks a block's "type" up in.  Not for use outside
 * daemon/config/config*.c.  Control thread only. */
#ifndef DSPD_CONFIG_BLOCK_FIELDS_H
#define DSPD_CONFIG_BLOCK_FIELDS_H

#include "config_fields.h"

/* ---- what every block type's key table starts with ---------------------- */
field_parse_fn cfg_parse_block_type_key;
field_parse_fn cfg_parse_block_name;
field_parse_fn cfg_parse_channels;      /* "channels": [..] -> uint32_t mask */
/* A file path string of at most size - 1 bytes once made absolute (a
 * relative one is taken from the config file's directory), into out
 * (config_fx_fir.c: the fir block's "path", the peq block's "file"). */
int cfg_get_path(struct parser *p, struct json_object *val, size_t size,
                 char *out);

#define CFG_BLOCK_COMMON_FIELDS                                               \
	{ .key = "type", .parse = cfg_parse_block_type_key,                   \
	  .flags = FIELD_REQUIRED },                                          \
	{ .key = "name", .parse = cfg_parse_block_name,                       \
	  .offset = offsetof(struct cfg_block, name), .flags = FIELD_REQUIRED }, \
	{ .key = "channels", .parse = cfg_parse_channels,                     \
	  .offset = offsetof(struct cfg_block, channel_mask) },               \
	{ .key = "bypass", .parse = cfg_parse_bool,                           \
	  .offset = offsetof(struct cfg_block, bypass) }

/* ---- block types ------------------------------------------------------ */

/* A block type: its name in the file, its key table and its defaults.
 * Each family of blocks (config_fx_<family>.c) exports a table of them
 * ending with { NULL }. */
struct cfg_block_type_desc {
	const char *name;
	enum cfg_block_type type;
	void (*defaults)(struct cfg_block *block);
	const struct field *fields;     /* every key the block may have */
};

extern const struct cfg_block_type_desc cfg_block_types_gain[];
extern const struct cfg_block_type_desc cfg_block_types_filters[];
extern const struct cfg_block_type_desc cfg_block_types_fir[];
extern const struct cfg_block_type_desc cfg_block_types_basic[];
extern const struct cfg_block_type_desc cfg_block_types_ladspa[];

#endif
