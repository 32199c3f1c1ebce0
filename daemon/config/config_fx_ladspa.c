/* config_fx_ladspa.c - the key table of the "ladspa" block (values in
 * fx_ladspa_cfg.h, keys documented in dspd.conf(5)).  Only the form is
 * checked here: that a label and library file name are plain names (never a
 * path: a configuration or a client picks among the plugins the
 * administrator installed in the LADSPA search path) and that control
 * values are finite numbers.  Whether the plugin exists, its port names and
 * value ranges are checked by the block's constructor (fx_ladspa.c), which
 * loads it.  Control thread only. */
#include "config_block_fields.h"

#include <errno.h>
#include <float.h>
#include <string.h>

#define LADSPA_OFFSET(member) offsetof(struct cfg_block, u.ladspa.member)

extern const struct cfg_block_type_desc cfg_block_types_ladspa[];

/* A label: LADSPA labels are case-sensitive and free of white space. */
static int parse_label(struct parser *p, struct json_object *val,
                       const struct field *f, void *dst)
{
	const char *s;

	if (cfg_get_string(p, val, f->size, NULL, &s) < 0)
		return -EINVAL;
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f) {
			cfg_error_here(p, "must not contain white space or "
			               "control characters (a LADSPA label "
			               "such as \"amp_mono\")");
			return -EINVAL;
		}
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* A library: a file name ending in ".so" looked up in the LADSPA search
 * path, never a path. */
static int parse_library(struct parser *p, struct json_object *val,
                         const struct field *f, void *dst)
{
	const char *s;
	size_t len;

	if (cfg_get_string(p, val, f->size, NULL, &s) < 0)
		return -EINVAL;
	if (strchr(s, '/')) {
		cfg_error_here(p, "must be a library file name such as "
		               "\"amp.so\", not a path: plugins are loaded only "
		               "from the LADSPA search path (LADSPA_PATH)");
		return -EINVAL;
	}
	if (cfg_check_name_chars(p, s, "library file name") < 0)
		return -EINVAL;
	len = strlen(s);
	if (len < 4 || strcmp(s + len - 3, ".so") != 0 || s[0] == '.') {
		cfg_error_here(p, "must be a library file name ending in \".so\" "
		               "such as \"amp.so\"");
		return -EINVAL;
	}
	memcpy(dst, s, len + 1);
	return 0;
}

/* One control value: a number within float range, or a boolean (1 or 0)
 * for toggled ports. */
static int parse_control_value(struct parser *p, struct json_object *val,
                               double *ret)
{
	static const struct field float_range = {
		.key = "value", .min = -FLT_MAX, .max = FLT_MAX,
	};

	if (json_object_is_type(val, json_type_boolean)) {
		*ret = json_object_get_boolean(val) ? 1.0 : 0.0;
		return 0;
	}
	return cfg_parse_number(p, val, &float_range, ret);
}

static int parse_one_control(struct parser *p, const char *port,
                             struct json_object *val, struct cfg_ladspa *l)
{
	struct cfg_ladspa_control *c = &l->controls[l->n_controls];
	size_t len = strlen(port);

	if (len == 0 || len >= sizeof(c->port)) {
		cfg_error_here(p, "is not a control port name of 1 to %zu "
		               "bytes", sizeof(c->port) - 1);
		return -EINVAL;
	}
	if (l->n_controls == CFG_LADSPA_MAX_CONTROLS) {
		cfg_error_here(p, "is one control too many: a block sets at "
		               "most %d (the others keep the plugin's "
		               "defaults)", CFG_LADSPA_MAX_CONTROLS);
		return -EINVAL;
	}
	if (parse_control_value(p, val, &c->value) < 0)
		return -EINVAL;
	memcpy(c->port, port, len + 1);
	l->n_controls++;
	return 0;
}

/* "controls": {"port name": value, ...} */
static int parse_controls(struct parser *p, struct json_object *val,
                          const struct field *f, void *dst)
{
	struct cfg_ladspa *l = dst;
	int r = 0;

	(void)f;
	if (!json_object_is_type(val, json_type_object)) {
		cfg_error_here(p, "must be an object of control port names and "
		               "values, e.g. {\"Gain\": 0.5}, got %s",
		               cfg_kind_name(val));
		return -EINVAL;
	}
	l->n_controls = 0;
	json_object_object_foreach(val, port, value) {
		size_t mark = cfg_pointer_push(p, port, strlen(port));

		if (parse_one_control(p, port, value, l) < 0)
			r = -EINVAL;
		cfg_pointer_pop(p, mark);
	}
	return r;
}

static void ladspa_defaults(struct cfg_block *block)
{
	memset(&block->u, 0, sizeof(block->u));
	block->channel_mask = UINT32_MAX;
}

static const struct field ladspa_fields[] = {
	CFG_BLOCK_COMMON_FIELDS,
	{ .key = "label", .parse = parse_label, .offset = LADSPA_OFFSET(label),
	  .size = CFG_LADSPA_LABEL_MAX, .flags = FIELD_REQUIRED },
	{ .key = "library", .parse = parse_library,
	  .offset = LADSPA_OFFSET(library), .size = CFG_LADSPA_LIBRARY_MAX },
	{ .key = "controls", .parse = parse_controls,
	  .offset = offsetof(struct cfg_block, u.ladspa) },
	{ .key = "allow_non_realtime", .parse = cfg_parse_bool,
	  .offset = LADSPA_OFFSET(allow_non_realtime) },
	{ .key = NULL }
};

const struct cfg_block_type_desc cfg_block_types_ladspa[] = {
	{ "ladspa", CFG_BLOCK_LADSPA, ladspa_defaults, ladspa_fields },
	{ .name = NULL },
};
