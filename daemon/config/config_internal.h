/* config_internal.h - what the parts of the config parser share beyond the
 * parser state and error reporting (config_errors.h) and the key tables
 * (config_fields.h, config_block_fields.h): the passes.  Not for use outside
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
 *   config_block_fields.c  the keys every block type has
 *   config_fx_*.c    the block families' key tables
 *   config_derived.c what a config implies (capture rate, target level) */
#ifndef DSPD_CONFIG_INTERNAL_H
#define DSPD_CONFIG_INTERNAL_H

#include "config_block_fields.h"

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

/* Cross-field: every channel a block names exists on the wider PCM. */
void cfg_check_block_channels(struct parser *p, const struct dspd_config *cfg);

#endif
