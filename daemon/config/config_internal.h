/* config_internal.h - what the parts of the config parser share beyond the
 * parser state and error reporting (config_errors.h): the field-table
 * types.  Not for use outside daemon/config*.c.  Control thread only
 * (startup, SIGHUP, --check-config).
 *
 * The parts, in the order a load runs them:
 *   config.c         public API, file reading
 *   config_errors.c  error messages, line:column, JSON pointers
 *   config_syntax.c  pass 1 (json-c tokener, line:column, unclosed things)
 *                    and pass 2 (duplicate keys, a lexical walk)
 *   config_schema.c  pass 3: key tables, field parsers, cross-field checks
 *   config_blocks.c  pass 3 for "pipeline": the block-type table
 *   config_derived.c what a config implies (capture rate, target level) */
#ifndef DSPD_CONFIG_INTERNAL_H
#define DSPD_CONFIG_INTERNAL_H

#include "config_errors.h"

#define CFG_JSON_DEPTH 64               /* nesting limit handed to json-c */

/* Field flags. */
#define FIELD_REQUIRED    0x1u
#define TAINTS_PERIOD     0x2u /* failure disables the buffer-size check */
#define TAINTS_CHANNELS   0x4u /* failure disables the block channel check */
#define TAINTS_SOCKETS    0x8u /* failure disables the socket paths check */
#define TAINTS_RATES      0x10u /* failure disables the resampler checks */

struct field;
typedef int field_parse_fn(struct parser *p, struct json_object *val,
                           const struct field *f, void *dst);

struct field {
	const char *key;
	field_parse_fn *parse;
	size_t offset;                  /* of the destination within the base */
	double min, max;                /* numeric range */
	size_t size;                    /* string destination buffer size */
	const char *hint;               /* appended to a too-long message */
	const struct field *fields;     /* parse_object: the nested keys */
	const char *const *choices;     /* cfg_parse_choice: NULL-terminated */
	unsigned flags;
};

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

/* Field parsers the block tables share with the top level. */
int cfg_get_integer(struct parser *p, struct json_object *val,
                    double min, double max, int64_t *ret);
int cfg_get_string(struct parser *p, struct json_object *val, size_t size,
                   const char *hint, const char **ret);
/* 0 when s uses only letters, digits, '_', '.' and '-'; else reports an
 * "invalid <what> ..." error and returns -EINVAL. */
int cfg_check_name_chars(struct parser *p, const char *s, const char *what);
field_parse_fn cfg_parse_number;
/* A string that must be one of f->choices; stores its index as an int. */
field_parse_fn cfg_parse_choice;
/* A non-empty string of at most f->size - 1 bytes, copied to dst. */
field_parse_fn cfg_parse_string;
field_parse_fn cfg_parse_bool;
/* Walk an object against its key table, writing into base. */
int cfg_parse_fields(struct parser *p, struct json_object *obj,
                     const struct field *fields, void *base);

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
