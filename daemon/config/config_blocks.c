/* config_blocks.c - pass 3 for "pipeline": the array of blocks.  A table of
 * block types, each with its own key table (the families, config_fx_*.c),
 * so a new block type only adds a table entry.  Also the pipeline's checks
 * across blocks (unique names) and against the PCMs (channel indexes).
 * Control thread only. */
#include "config_blocks.h"
#include "config_block_fields.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Every family of block types, each table ending with { NULL }. */
static const struct cfg_block_type_desc *const families[] = {
	cfg_block_types_gain, cfg_block_types_filters, cfg_block_types_fir,
	cfg_block_types_basic, cfg_block_types_ladspa,
};

#define N_FAMILIES (sizeof(families) / sizeof(families[0]))

static const struct cfg_block_type_desc *find_block_type(const char *name)
{
	for (size_t f = 0; f < N_FAMILIES; f++)
		for (const struct cfg_block_type_desc *t = families[f]; t->name; t++)
			if (strcmp(t->name, name) == 0)
				return t;
	return NULL;
}

/* Resolve the block's "type"; the type's key table does the rest. */
static const struct cfg_block_type_desc *get_block_type(struct parser *p,
                                               struct json_object *obj)
{
	const struct cfg_block_type_desc *bt;
	struct json_object *val;
	char quoted[CFG_SHOWN_VALUE_MAX + 8], known[320];
	size_t len = 0, mark;

	if (!json_object_object_get_ex(obj, "type", &val)) {
		cfg_error_here(p, "missing required key \"type\"");
		return NULL;
	}
	mark = cfg_pointer_push(p, "type", 4);
	if (!json_object_is_type(val, json_type_string)) {
		cfg_error_here(p, "must be a string naming a block type, got %s",
		               cfg_kind_name(val));
		cfg_pointer_pop(p, mark);
		return NULL;
	}
	bt = find_block_type(json_object_get_string(val));
	if (!bt) {
		known[0] = '\0';
		for (size_t f = 0; f < N_FAMILIES; f++)
			for (const struct cfg_block_type_desc *t = families[f]; t->name; t++)
				cfg_msg_append(known, sizeof(known), &len, "%s%s",
				               known[0] ? ", " : "", t->name);
		cfg_quote(json_object_get_string(val),
		          (size_t)json_object_get_string_len(val), quoted,
		          sizeof(quoted));
		cfg_error_here(p, "unknown block type %s (known: %s)", quoted, known);
	}
	cfg_pointer_pop(p, mark);
	return bt;
}

static int parse_block(struct parser *p, struct json_object *obj,
                       struct cfg_block *block)
{
	const struct cfg_block_type_desc *bt;

	if (!json_object_is_type(obj, json_type_object)) {
		cfg_error_here(p, "must be an object (a pipeline block), got %s",
		               cfg_kind_name(obj));
		return -EINVAL;
	}
	bt = get_block_type(p, obj);
	if (!bt)
		return -EINVAL;
	block->type = bt->type;
	bt->defaults(block);
	return cfg_parse_fields(p, obj, bt->fields, block);
}

static void check_duplicate_name(struct parser *p,
                                 const struct dspd_config *cfg, unsigned i)
{
	char quoted[CFG_SHOWN_VALUE_MAX + 8];
	const char *name = cfg->blocks[i].name;

	if (!name[0])
		return;
	for (unsigned j = 0; j < i; j++)
		if (strcmp(cfg->blocks[j].name, name) == 0) {
			size_t mark = cfg_pointer_push(p, "name", 4);

			cfg_quote(name, strlen(name), quoted, sizeof(quoted));
			cfg_error_here(p, "duplicate name %s (first at /pipeline/%u)",
			               quoted, j);
			cfg_pointer_pop(p, mark);
			return;
		}
}

int cfg_parse_pipeline(struct parser *p, struct json_object *val,
                       const struct field *f, void *dst)
{
	struct dspd_config *cfg = dst;
	size_t n;
	int r = 0;

	(void)f;
	if (!json_object_is_type(val, json_type_array)) {
		cfg_error_here(p, "must be an array of blocks, got %s",
		               cfg_kind_name(val));
		return -EINVAL;
	}
	n = json_object_array_length(val);
	if (n > CFG_MAX_BLOCKS) {
		cfg_error_here(p, "has %zu blocks, at most %d are allowed (only the "
		               "first %d were checked)", n, CFG_MAX_BLOCKS,
		               CFG_MAX_BLOCKS);
		n = CFG_MAX_BLOCKS;
		r = -EINVAL;
	}
	for (unsigned i = 0; i < n; i++) {
		size_t mark = cfg_pointer_push_index(p, i);

		p->block_index = i;
		if (parse_block(p, json_object_array_get_idx(val, i),
		                &cfg->blocks[i]) < 0)
			r = -EINVAL;
		check_duplicate_name(p, cfg, i);
		cfg_pointer_pop(p, mark);
	}
	cfg->n_blocks = (unsigned)n;
	return r;
}
/* Every channel a block names must exist on the wider of the two PCMs. */
void cfg_check_block_channels(struct parser *p,
                              const struct dspd_config *cfg)
{
	unsigned channels = cfg->capture.channels > cfg->playback.channels ?
	                    cfg->capture.channels : cfg->playback.channels;

	if (p->tainted & TAINTS_CHANNELS)
		return;
	for (unsigned i = 0; i < cfg->n_blocks; i++) {
		uint32_t mask = cfg->blocks[i].channel_mask;

		if (mask == UINT32_MAX)
			continue;
		for (unsigned ch = channels; ch < CFG_MAX_CHANNELS; ch++) {
			char seg[48];
			size_t mark;

			if (!(mask & (1u << ch)))
				continue;
			snprintf(seg, sizeof(seg), "pipeline/%u/channels/%u", i,
			         p->channel_pos[i][ch]);
			mark = p->pointer_len;
			cfg_msg_append(p->pointer, sizeof(p->pointer),
			               &p->pointer_len, "/%s", seg);
			cfg_error_here(p, "channel %u does not exist: the "
			               "pipeline has %u channels (the larger of "
			               "capture and playback channels), numbered "
			               "from 0", ch, channels);
			cfg_pointer_pop(p, mark);
		}
	}
}
