/* config_fx_basic.c - the key tables of the basic block family: delay,
 * mixer, compressor, limiter, gate and dither (values in fx_basic_cfg.h,
 * keys documented in dspd.conf(5)).  A mixer's routes are checked against
 * its channel counts here, whichever order the keys come in; what needs the
 * sample rate or the channels reaching a block is checked by the block's
 * constructor.  Control thread only. */
#include "config_block_fields.h"

#include <errno.h>
#include <string.h>

#define BLOCK_OFFSET(member) offsetof(struct cfg_block, u.member)

/* An integer in [f->min, f->max] stored as unsigned. */
static int parse_count(struct parser *p, struct json_object *val,
                       const struct field *f, void *dst)
{
	int64_t v;

	if (cfg_get_integer(p, val, f->min, f->max, &v) < 0)
		return -EINVAL;
	*(unsigned *)dst = (unsigned)v;
	return 0;
}

/* ---- delay ------------------------------------------------------------ */

static const char *const delay_units[] = { "samples", "ms", "mm", NULL };

static void delay_defaults(struct cfg_block *block)
{
	memset(&block->u, 0, sizeof(block->u));
	block->channel_mask = UINT32_MAX;
	block->u.delay.unit = CFG_DELAY_MS;
	block->u.delay.speed_of_sound = 343.0;
}

static const struct field delay_fields[] = {
	CFG_BLOCK_COMMON_FIELDS,
	{ .key = "value", .parse = cfg_parse_number,
	  .offset = BLOCK_OFFSET(delay.value), .min = 0, .max = 1e7,
	  .flags = FIELD_REQUIRED },
	{ .key = "unit", .parse = cfg_parse_choice,
	  .offset = BLOCK_OFFSET(delay.unit), .choices = delay_units },
	{ .key = "speed_of_sound", .parse = cfg_parse_number,
	  .offset = BLOCK_OFFSET(delay.speed_of_sound), .min = 100, .max = 2000 },
	{ 0 }
};

/* ---- mixer ------------------------------------------------------------ */

/* One route as written; copied into struct cfg_mixer_route. */
struct route_value {
	unsigned out, in;
	double gain_db;
	bool invert;
};

static const struct field route_fields[] = {
	{ .key = "out", .parse = parse_count,
	  .offset = offsetof(struct route_value, out),
	  .min = 0, .max = CFG_MAX_CHANNELS - 1, .flags = FIELD_REQUIRED },
	{ .key = "in", .parse = parse_count,
	  .offset = offsetof(struct route_value, in),
	  .min = 0, .max = CFG_MAX_CHANNELS - 1, .flags = FIELD_REQUIRED },
	{ .key = "gain_db", .parse = cfg_parse_number,
	  .offset = offsetof(struct route_value, gain_db), .min = -150, .max = 40 },
	{ .key = "invert", .parse = cfg_parse_bool,
	  .offset = offsetof(struct route_value, invert) },
	{ 0 }
};

static struct cfg_mixer *mixer_of(void *member, size_t member_offset)
{
	return (struct cfg_mixer *)((char *)member - member_offset);
}

/* A count given after the routes: every route must fit in it. */
static int check_routes_fit(struct parser *p, const struct cfg_mixer *m,
                            bool outputs, unsigned count)
{
	for (unsigned i = 0; i < m->n_routes; i++) {
		unsigned ch = outputs ? m->routes[i].out : m->routes[i].in;

		if (ch < count)
			continue;
		cfg_error_here(p, "is %u, but routes/%u uses %s %u (channels "
		               "are numbered from 0)", count, i,
		               outputs ? "output" : "input", ch);
		return -EINVAL;
	}
	return 0;
}

static int parse_mixer_channels_in(struct parser *p, struct json_object *val,
                                   const struct field *f, void *dst)
{
	struct cfg_mixer *m = mixer_of(dst, offsetof(struct cfg_mixer, channels_in));

	if (parse_count(p, val, f, dst) < 0)
		return -EINVAL;
	return check_routes_fit(p, m, false, m->channels_in);
}

static int parse_mixer_channels_out(struct parser *p, struct json_object *val,
                                    const struct field *f, void *dst)
{
	struct cfg_mixer *m = mixer_of(dst, offsetof(struct cfg_mixer, channels_out));

	if (parse_count(p, val, f, dst) < 0)
		return -EINVAL;
	return check_routes_fit(p, m, true, m->channels_out);
}

/* A route must name channels that exist (when the counts are known yet)
 * and a pair of channels only once. */
static int check_route(struct parser *p, const struct cfg_mixer *m,
                       unsigned index)
{
	const struct cfg_mixer_route *r = &m->routes[index];

	if (m->channels_out && r->out >= m->channels_out) {
		size_t mark = cfg_pointer_push(p, "out", 3);

		cfg_error_here(p, "output %u does not exist: channels_out is %u "
		               "(numbered from 0)", r->out, m->channels_out);
		cfg_pointer_pop(p, mark);
		return -EINVAL;
	}
	if (m->channels_in && r->in >= m->channels_in) {
		size_t mark = cfg_pointer_push(p, "in", 2);

		cfg_error_here(p, "input %u does not exist: channels_in is %u "
		               "(numbered from 0)", r->in, m->channels_in);
		cfg_pointer_pop(p, mark);
		return -EINVAL;
	}
	for (unsigned j = 0; j < index; j++)
		if (m->routes[j].out == r->out && m->routes[j].in == r->in) {
			cfg_error_here(p, "route from input %u to output %u is "
			               "given twice (first at routes/%u)", r->in,
			               r->out, j);
			return -EINVAL;
		}
	return 0;
}

static int parse_one_route(struct parser *p, struct json_object *obj,
                           struct cfg_mixer *m)
{
	struct route_value v = { .gain_db = 0.0, .invert = false };
	struct cfg_mixer_route *r = &m->routes[m->n_routes];

	if (cfg_parse_fields(p, obj, route_fields, &v) < 0)
		return -EINVAL;
	r->out = (uint8_t)v.out;
	r->in = (uint8_t)v.in;
	r->gain_db = (float)v.gain_db;
	r->invert = v.invert;
	if (check_route(p, m, m->n_routes) < 0)
		return -EINVAL;
	m->n_routes++;
	return 0;
}

static int parse_mixer_routes(struct parser *p, struct json_object *val,
                              const struct field *f, void *dst)
{
	struct cfg_mixer *m = mixer_of(dst, offsetof(struct cfg_mixer, n_routes));
	size_t n;
	int r = 0;

	(void)f;
	if (!json_object_is_type(val, json_type_array)) {
		cfg_error_here(p, "must be an array of routes {\"out\", \"in\", "
		               "\"gain_db\", \"invert\"}, got %s",
		               cfg_kind_name(val));
		return -EINVAL;
	}
	n = json_object_array_length(val);
	if (n == 0 || n > CFG_MIXER_MAX_ROUTES) {
		cfg_error_here(p, "has %zu routes, 1 to %d are allowed", n,
		               CFG_MIXER_MAX_ROUTES);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		size_t mark = cfg_pointer_push_index(p, i);

		if (parse_one_route(p, json_object_array_get_idx(val, i), m) < 0)
			r = -EINVAL;
		cfg_pointer_pop(p, mark);
	}
	return r;
}

static void mixer_defaults(struct cfg_block *block)
{
	memset(&block->u, 0, sizeof(block->u));
	block->channel_mask = UINT32_MAX;
}

/* No "channels": a mixer reads and writes whole channel sets. */
static const struct field mixer_fields[] = {
	{ .key = "type", .parse = cfg_parse_block_type_key,
	  .flags = FIELD_REQUIRED },
	{ .key = "name", .parse = cfg_parse_block_name,
	  .offset = offsetof(struct cfg_block, name), .flags = FIELD_REQUIRED },
	{ .key = "channels_in", .parse = parse_mixer_channels_in,
	  .offset = BLOCK_OFFSET(mixer.channels_in),
	  .min = 1, .max = CFG_MAX_CHANNELS, .flags = FIELD_REQUIRED },
	{ .key = "channels_out", .parse = parse_mixer_channels_out,
	  .offset = BLOCK_OFFSET(mixer.channels_out),
	  .min = 1, .max = CFG_MAX_CHANNELS, .flags = FIELD_REQUIRED },
	{ .key = "routes", .parse = parse_mixer_routes,
	  .offset = BLOCK_OFFSET(mixer.n_routes), .flags = FIELD_REQUIRED },
	{ 0 }
};

/* ---- compressor, limiter, gate ----------------------------------------- */

static const char *const detections[] = { "peak", "rms", NULL };

static void dynamics_defaults(struct cfg_block *block)
{
	struct cfg_dynamics *d = &block->u.dynamics;

	memset(&block->u, 0, sizeof(block->u));
	block->channel_mask = UINT32_MAX;
	d->release_ms = 100.0;
	d->detection = CFG_DETECT_PEAK;
	d->link = true;
	d->ratio = 4.0;
	d->rms_ms = 10.0;
}

static void compressor_defaults(struct cfg_block *block)
{
	dynamics_defaults(block);
	block->u.dynamics.threshold_db = -20.0;
	block->u.dynamics.attack_ms = 5.0;
	block->u.dynamics.knee_db = 6.0;
}

static void limiter_defaults(struct cfg_block *block)
{
	dynamics_defaults(block);
	block->u.dynamics.ceiling_db = -1.0;
	block->u.dynamics.lookahead_ms = 5.0;
	block->u.dynamics.release_ms = 50.0;
}

static void gate_defaults(struct cfg_block *block)
{
	dynamics_defaults(block);
	block->u.dynamics.threshold_db = -60.0;
	block->u.dynamics.attack_ms = 1.0;
	block->u.dynamics.hold_ms = 50.0;
	block->u.dynamics.range_db = 80.0;
}

#define DYN_NUMBER(name, member, lo, hi)                                      \
	{ .key = name, .parse = cfg_parse_number,                             \
	  .offset = BLOCK_OFFSET(dynamics.member), .min = lo, .max = hi }

static const struct field compressor_fields[] = {
	CFG_BLOCK_COMMON_FIELDS,
	DYN_NUMBER("threshold_db", threshold_db, -150, 0),
	DYN_NUMBER("ratio", ratio, 1, 100),
	DYN_NUMBER("attack_ms", attack_ms, 0, 1000),
	DYN_NUMBER("release_ms", release_ms, 1, 10000),
	DYN_NUMBER("knee_db", knee_db, 0, 48),
	DYN_NUMBER("makeup_gain_db", makeup_gain_db, -40, 40),
	{ .key = "detection", .parse = cfg_parse_choice,
	  .offset = BLOCK_OFFSET(dynamics.detection), .choices = detections },
	DYN_NUMBER("rms_ms", rms_ms, 0.1, 1000),
	{ .key = "link", .parse = cfg_parse_bool,
	  .offset = BLOCK_OFFSET(dynamics.link) },
	{ 0 }
};

static const struct field limiter_fields[] = {
	CFG_BLOCK_COMMON_FIELDS,
	DYN_NUMBER("ceiling_db", ceiling_db, -150, 0),
	DYN_NUMBER("lookahead_ms", lookahead_ms, 0.1, 20),
	DYN_NUMBER("release_ms", release_ms, 1, 10000),
	{ 0 }
};

static const struct field gate_fields[] = {
	CFG_BLOCK_COMMON_FIELDS,
	DYN_NUMBER("threshold_db", threshold_db, -150, 0),
	DYN_NUMBER("attack_ms", attack_ms, 0, 1000),
	DYN_NUMBER("hold_ms", hold_ms, 0, 10000),
	DYN_NUMBER("release_ms", release_ms, 1, 10000),
	DYN_NUMBER("range_db", range_db, 0, 150),
	{ 0 }
};

/* ---- dither ----------------------------------------------------------- */

static const char *const dither_kinds[] = { "tpdf", "shaped", NULL };

static void dither_defaults(struct cfg_block *block)
{
	memset(&block->u, 0, sizeof(block->u));
	block->channel_mask = UINT32_MAX;
	block->u.dither.kind = CFG_DITHER_TPDF;
	block->u.dither.bits = 16;
}

static const struct field dither_fields[] = {
	CFG_BLOCK_COMMON_FIELDS,
	{ .key = "kind", .parse = cfg_parse_choice,
	  .offset = BLOCK_OFFSET(dither.kind), .choices = dither_kinds },
	{ .key = "bits", .parse = parse_count,
	  .offset = BLOCK_OFFSET(dither.bits), .min = 8, .max = 24 },
	{ 0 }
};

const struct cfg_block_type_desc cfg_block_types_basic[] = {
	{ "delay", CFG_BLOCK_DELAY, delay_defaults, delay_fields },
	{ "mixer", CFG_BLOCK_MIXER, mixer_defaults, mixer_fields },
	{ "compressor", CFG_BLOCK_COMPRESSOR, compressor_defaults,
	  compressor_fields },
	{ "limiter", CFG_BLOCK_LIMITER, limiter_defaults, limiter_fields },
	{ "gate", CFG_BLOCK_GATE, gate_defaults, gate_fields },
	{ "dither", CFG_BLOCK_DITHER, dither_defaults, dither_fields },
	{ .name = NULL },
};
