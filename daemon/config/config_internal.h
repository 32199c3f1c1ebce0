/* config_internal.h - what the parts of the config parser share beyond the
 * parser state and error reporting (config_errors.h) and the key tables
 * (config_fields.h): the passes and the block types.  Not for use outside
 * daemon/config*.c.  Control thread only (startup, SIGHUP, --check-config).
 *
 * The parts, in the order a load runs them:
 *   config.c         public API, file reading
 *   config_errors.c  error messages, line:column, JSON pointers
 *   config_syntax.c  pass 1 (json-c tokener, line:column, unclosed things)
 *                    and pass 2 (duplicate keys, a lexical walk)
 *   config_fields.c  pass 3: the generic field parsers, the key-table walk
 *   config_schema.c  pass 3: the top-level key tables, cross-field checks
 *   config_blocks.c  pass 3 for "pipeline": the block-type table
 *   config_derived.c what a config implies (capture rate, target level) */
#ifndef DSPD_CONFIG_INTERNAL_H
#define DSPD_CONFIG_INTERNAL_H

#include "config_fields.h"

#define CFG_JSON_DEPTH 64               /* nesting limit handed to json-c */

/* ---- config_syntax.c -------------------------------------------------- */

/* Pass 1: parse p->text into *ret_root, *ret_end being where the top-level
 * object ends.  Returns 0, -EINVAL (one error reported) or -ENOMEM. */
int cfg_parse_syntax(struct parser *p, struct json_object **ret_root,
                     size_t *ret_end);
/* Pass 2: report keys given twice in one object, in text accepted by
 * cfg_parse_syntax() up to end. */
void cfg_check_duplicate_keys(struct parser *p, size_t end);

/* ---- config_schema.c -------------------------------------------------- */

/* Pass 3: fill cfg (holding the defaults) from root, reporting every error. */
void cfg_validate(struct parser *p, struct json_object *root,
                  struct dspd_config *cfg);

/* ---- config_blocks.c -------------------------------------------------- */

/* "pipeline": dst is the struct dspd_config. */
field_parse_fn cfg_parse_pipeline;

/* ---- config_blocks.c: what every block type's key table starts with ---- */
field_parse_fn cfg_parse_block_type_key;
field_parse_fn cfg_parse_block_name;
field_parse_fn cfg_parse_channels;      /* "channels": [..] -> uint32_t mask */

/* A block type: its name in the file, its key table and its defaults.
 * Each family of blocks (config_fx_<family>.c) exports a table of them
 * ending with { NULL }. */
struct cfg_block_type_desc {
	const char *name;
	enum cfg_block_type type;
	void (*defaults)(struct cfg_block *block);
	const struct field *fields;     /* every key the block may have */
};

extern const struct cfg_block_type_desc cfg_block_types_filters[];
extern const struct cfg_block_type_desc cfg_block_types_fir[];
extern const struct cfg_block_type_desc cfg_block_types_basic[];
extern const struct cfg_block_type_desc cfg_block_types_ladspa[];

#define CFG_BLOCK_COMMON_FIELDS                                               \
	{ .key = "type", .parse = cfg_parse_block_type_key,                   \
	  .flags = FIELD_REQUIRED },                                          \
	{ .key = "name", .parse = cfg_parse_block_name,                       \
	  .offset = offsetof(struct cfg_block, name), .flags = FIELD_REQUIRED }, \
	{ .key = "channels", .parse = cfg_parse_channels,                     \
	  .offset = offsetof(struct cfg_block, channel_mask) },               \
	{ .key = "bypass", .parse = cfg_parse_bool,                           \
	  .offset = offsetof(struct cfg_block, bypass) }
/* Cross-field: every channel a block names exists on the wider PCM. */
void cfg_check_block_channels(struct parser *p, const struct dspd_config *cfg);

#endif
