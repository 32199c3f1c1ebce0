/* config_block_fields.c - the parsers of the keys every block type's key
 * table starts with (CFG_BLOCK_COMMON_FIELDS): "type", "name" and
 * "channels" ("bypass" is a plain boolean).  "channels" also notes where
 * each channel was listed, for the pipeline's channel check
 * (config_blocks.c).  Used by each block family (config_fx_*.c).  Control
 * thread only. */
#include "config_block_fields.h"

#include <errno.h>
#include <string.h>

int cfg_parse_block_type_key(struct parser *p, struct json_object *val,
                                const struct field *f, void *dst)
{
	(void)p, (void)val, (void)f, (void)dst;
	return 0;  /* already resolved by parse_block() */
}

int cfg_parse_block_name(struct parser *p, struct json_object *val,
                            const struct field *f, void *dst)
{
	const char *s;

	(void)f;
	if (cfg_get_string(p, val, CFG_NAME_MAX, NULL, &s) < 0 ||
	    cfg_check_name_chars(p, s, "name") < 0)
		return -EINVAL;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

int cfg_parse_channels(struct parser *p, struct json_object *val,
                          const struct field *f, void *dst)
{
	uint32_t mask = 0;
	size_t n;
	int r = 0;

	(void)f;
	if (!json_object_is_type(val, json_type_array)) {
		cfg_error_here(p, "must be an array of channel indexes, got %s",
		               cfg_kind_name(val));
		return -EINVAL;
	}
	n = json_object_array_length(val);
	if (n == 0) {
		cfg_error_here(p, "must list at least one channel (omit the key "
		               "for all channels)");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		size_t mark = cfg_pointer_push_index(p, i);
		int64_t ch;

		if (cfg_get_integer(p, json_object_array_get_idx(val, i), 0,
		                    CFG_MAX_CHANNELS - 1, &ch) < 0) {
			r = -EINVAL;
		} else if (mask & (1u << ch)) {
			cfg_error_here(p, "channel %d is listed twice (first at "
			               "index %u)", (int)ch,
			               p->channel_pos[p->block_index][ch]);
			r = -EINVAL;
		} else {
			mask |= 1u << ch;
			p->channel_pos[p->block_index][ch] = (uint32_t)i;
		}
		cfg_pointer_pop(p, mark);
	}
	*(uint32_t *)dst = mask;
	return r;
}
