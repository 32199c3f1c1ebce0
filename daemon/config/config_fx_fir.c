/* config_fx_fir.c - the key table of the "fir" block (values in
 * fx_fir_cfg.h, keys documented in dspd.conf(5)).  "path", "values" and
 * "graphic_eq" exclude each other, whichever comes first; "path" is one file (which
 * may hold a "{rate}" placeholder) or an object mapping rates to files
 * (config_fir_path() in config_derived.c resolves either).  That one of
 * them is given, and everything about the file itself (existence, rate,
 * length), is checked by the constructor in fx_fir.c, at every rate the
 * configuration allows (ctl_check_pipeline).  Control thread only. */
#include "config_block_fields.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define FIR_OFFSET(member) offsetof(struct cfg_block, u.fir.member)

static const char *const fir_formats[] = {
	"auto", "f32le", "f64le", "s16le", "s24le", "s32le", NULL
};

static const char *const fir_partitionings[] = {
	"non_uniform", "uniform", NULL
};

static struct cfg_fir *fir_of(void *member, size_t member_offset)
{
	return (struct cfg_fir *)((char *)member - member_offset);
}

static int parse_count(struct parser *p, struct json_object *val,
                       const struct field *f, void *dst)
{
	int64_t v;

	if (cfg_get_integer(p, val, f->min, f->max, &v) < 0)
		return -EINVAL;
	*(unsigned *)dst = (unsigned)v;
	return 0;
}

/* A path of at most size - 1 bytes once made absolute, into out: a
 * relative one is taken from the config file's directory (p->dir), as in
 * CamillaDSP.  A "{rate}" placeholder is replaced by at most as many
 * digits, so the resolved path fits too. */
int cfg_get_path(struct parser *p, struct json_object *val, size_t size,
                 char *out)
{
	const char *s;

	if (cfg_get_string(p, val, size, NULL, &s) < 0)
		return -EINVAL;
	if (s[0] == '/') {
		memcpy(out, s, strlen(s) + 1);
		return 0;
	}
	if (!p->dir) {
		cfg_error_here(p, "a relative path needs a config file to be "
		               "relative to: give an absolute path");
		return -EINVAL;
	}
	if ((size_t)snprintf(out, size, "%s%s%s", p->dir,
	                     p->dir[strlen(p->dir) - 1] == '/' ? "" : "/",
	                     s) >= size) {
		cfg_error_here(p, "is longer than %zu bytes once taken from the "
		               "config's directory %s", size - 1, p->dir);
		out[0] = '\0';
		return -EINVAL;
	}
	return 0;
}

/* A rate as a map key: decimal digits, 8000..768000, no leading zero. */
static int parse_rate_key(struct parser *p, const char *key, unsigned *ret)
{
	char quoted[CFG_SHOWN_VALUE_MAX + 8];
	unsigned long v = 0;
	size_t n = strlen(key);
	bool digits = n > 0 && n <= 6 && key[0] != '0';

	for (size_t i = 0; digits && i < n; i++) {
		digits = key[i] >= '0' && key[i] <= '9';
		v = v * 10 + (unsigned long)(key[i] - '0');
	}
	if (!digits || v < 8000 || v > 768000) {
		cfg_quote(key, n, quoted, sizeof(quoted));
		cfg_error_here(p, "the key %s is not a rate: use a rate in Hz "
		               "between 8000 and 768000 in decimal, e.g. \"48000\"",
		               quoted);
		return -EINVAL;
	}
	*ret = (unsigned)v;
	return 0;
}

/* "path" as an object: {"44100": "/x/a.wav", "48000": "/x/b.wav"}. */
static int parse_path_map(struct parser *p, struct json_object *val,
                          struct cfg_fir *fir)
{
	size_t n = (size_t)json_object_object_length(val);
	int r = 0;

	if (n == 0 || n > CFG_FIR_MAX_RATE_PATHS) {
		cfg_error_here(p, "maps %zu rates to files, 1 to %d are allowed "
		               "(a \"{rate}\" placeholder in one path has no "
		               "limit)", n, CFG_FIR_MAX_RATE_PATHS);
		return -EINVAL;
	}
	fir->n_rate_paths = 0;
	json_object_object_foreach(val, key, v) {
		size_t mark = cfg_pointer_push(p, key, strlen(key));
		struct cfg_fir_rate_path *e = &fir->rate_paths[fir->n_rate_paths];
		if (parse_rate_key(p, key, &e->rate) < 0 ||
		    cfg_get_path(p, v, sizeof(e->path), e->path) < 0) {
			r = -EINVAL;
		} else if (strstr(e->path, CFG_FIR_RATE_PLACEHOLDER)) {
			cfg_error_here(p, "a map's paths name one rate each: "
			               "\"{rate}\" is for a single path string");
			r = -EINVAL;
		} else {
			fir->n_rate_paths++;
		}
		cfg_pointer_pop(p, mark);
	}
	if (r < 0)
		fir->n_rate_paths = 0;
	return r;
}

static int parse_path(struct parser *p, struct json_object *val,
                      const struct field *f, void *dst)
{
	struct cfg_fir *fir = fir_of(dst, offsetof(struct cfg_fir, path));

	if (fir->n_geq_points > 0 || fir->geq_file[0]) {
		cfg_error_here(p, "give one of \"path\", \"values\" and "
		               "\"graphic_eq\"");
		return -EINVAL;
	}
	if (fir->n_values > 0) {
		cfg_error_here(p, "give either \"path\" or \"values\", not both");
		return -EINVAL;
	}
	if (json_object_is_type(val, json_type_object))
		return parse_path_map(p, val, fir);
	if (!json_object_is_type(val, json_type_string)) {
		cfg_error_here(p, "must be a path string (\"{rate}\" stands for "
		               "the rate) or an object mapping rates to paths, "
		               "got %s", cfg_kind_name(val));
		return -EINVAL;
	}
	return cfg_get_path(p, val, f->size, dst);
}

static int parse_values(struct parser *p, struct json_object *val,
                        const struct field *f, void *dst)
{
	struct cfg_fir *fir = fir_of(dst, offsetof(struct cfg_fir, values));
	size_t n;
	int r = 0;

	(void)f;
	if (!json_object_is_type(val, json_type_array)) {
		cfg_error_here(p, "must be an array of numbers, got %s",
		               cfg_kind_name(val));
		return -EINVAL;
	}
	n = json_object_array_length(val);
	if (n == 0 || n > CFG_FIR_MAX_VALUES) {
		cfg_error_here(p, "has %zu coefficients, 1 to %d are allowed "
		               "(use \"path\" for longer filters)", n,
		               CFG_FIR_MAX_VALUES);
		return -EINVAL;
	}
	if (fir->path[0] || fir->n_rate_paths) {
		cfg_error_here(p, "give either \"path\" or \"values\", not both");
		return -EINVAL;
	}
	if (fir->n_geq_points || fir->geq_file[0]) {
		cfg_error_here(p, "give one of \"path\", \"values\" and "
		               "\"graphic_eq\"");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(val, i);
		size_t mark = cfg_pointer_push_index(p, i);
		double d = json_object_get_double(v);

		if (!json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_double)) {
			cfg_error_here(p, "must be a number, got %s",
			               cfg_kind_name(v));
			r = -EINVAL;
		} else if (!isfinite(d) || fabs(d) > 1e6) {
			cfg_error_here(p, "must be a finite number between -1e6 "
			               "and 1e6");
			r = -EINVAL;
		} else {
			fir->values[i] = (float)d;
		}
		cfg_pointer_pop(p, mark);
	}
	fir->n_values = r == 0 ? (unsigned)n : 0;
	return r;
}

/* One [freq, gain_db] point of "graphic_eq", above the previous one. */
static int parse_geq_point(struct parser *p, struct json_object *v,
                           const float *prev, float *out)
{
	double f, g;

	if (!json_object_is_type(v, json_type_array) ||
	    json_object_array_length(v) != 2) {
		cfg_error_here(p, "must be a [frequency in Hz, gain in dB] pair");
		return -EINVAL;
	}
	f = json_object_get_double(json_object_array_get_idx(v, 0));
	g = json_object_get_double(json_object_array_get_idx(v, 1));
	for (int k = 0; k < 2; k++) {
		struct json_object *x = json_object_array_get_idx(v, (size_t)k);

		if (!json_object_is_type(x, json_type_int) &&
		    !json_object_is_type(x, json_type_double)) {
			cfg_error_here(p, "must be a [frequency in Hz, gain in dB] "
			               "pair of numbers");
			return -EINVAL;
		}
	}
	if (!isfinite(f) || f <= 0 || f > 384000 || (prev && f <= prev[0])) {
		cfg_error_here(p, "frequency %g Hz must be above 0 and above the "
		               "previous point's, at most 384000", f);
		return -EINVAL;
	}
	if (!isfinite(g) || g < -100 || g > 40) {
		cfg_error_here(p, "gain %g dB must be between -100 and 40", g);
		return -EINVAL;
	}
	out[0] = (float)f;
	out[1] = (float)g;
	return 0;
}

static int parse_graphic_eq(struct parser *p, struct json_object *val,
                            const struct field *f, void *dst)
{
	struct cfg_fir *fir = fir_of(dst, offsetof(struct cfg_fir, geq_points));
	size_t n;

	(void)f;
	if (fir->path[0] || fir->n_rate_paths || fir->n_values) {
		cfg_error_here(p, "give one of \"path\", \"values\" and "
		               "\"graphic_eq\"");
		return -EINVAL;
	}
	if (json_object_is_type(val, json_type_string))
		return cfg_get_path(p, val, sizeof(fir->geq_file), fir->geq_file);
	if (!json_object_is_type(val, json_type_array)) {
		cfg_error_here(p, "must be an array of [frequency, gain_db] "
		               "points or the path of a GraphicEQ file, got %s",
		               cfg_kind_name(val));
		return -EINVAL;
	}
	n = json_object_array_length(val);
	if (n < 2 || n > CFG_FIR_MAX_GEQ_POINTS) {
		cfg_error_here(p, "has %zu points, 2 to %d are allowed", n,
		               CFG_FIR_MAX_GEQ_POINTS);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		size_t mark = cfg_pointer_push_index(p, i);
		int r = parse_geq_point(p, json_object_array_get_idx(val, i),
		                        i ? fir->geq_points[i - 1] : NULL,
		                        fir->geq_points[i]);

		cfg_pointer_pop(p, mark);
		if (r < 0)
			return r;
	}
	fir->n_geq_points = (unsigned)n;
	return 0;
}

static void fir_defaults(struct cfg_block *block)
{
	memset(&block->u, 0, sizeof(block->u));
	block->channel_mask = UINT32_MAX;
	block->u.fir.format = CFG_FIR_FORMAT_AUTO;
	block->u.fir.partitioning = CFG_FIR_NON_UNIFORM;
	block->u.fir.max_taps = CFG_FIR_DEFAULT_MAX_TAPS;
}

static const struct field fir_fields[] = {
	CFG_BLOCK_COMMON_FIELDS,
	{ .key = "path", .parse = parse_path, .offset = FIR_OFFSET(path),
	  .size = CFG_FIR_PATH_MAX },
	{ .key = "values", .parse = parse_values, .offset = FIR_OFFSET(values) },
	{ .key = "graphic_eq", .parse = parse_graphic_eq,
	  .offset = FIR_OFFSET(geq_points) },
	{ .key = "format", .parse = cfg_parse_choice,
	  .offset = FIR_OFFSET(format), .choices = fir_formats },
	{ .key = "channel", .parse = parse_count, .offset = FIR_OFFSET(channel),
	  .min = 0, .max = 1023 },
	{ .key = "gain_db", .parse = cfg_parse_number,
	  .offset = FIR_OFFSET(gain_db), .min = -150, .max = 40 },
	{ .key = "partition", .parse = parse_count,
	  .offset = FIR_OFFSET(partition), .min = 16, .max = 65536 },
	{ .key = "partitioning", .parse = cfg_parse_choice,
	  .offset = FIR_OFFSET(partitioning), .choices = fir_partitionings },
	{ .key = "max_taps", .parse = parse_count,
	  .offset = FIR_OFFSET(max_taps), .min = 1,
	  .max = CFG_FIR_MAX_TAPS_LIMIT },
	{ 0 }
};

const struct cfg_block_type_desc cfg_block_types_fir[] = {
	{ "fir", CFG_BLOCK_FIR, fir_defaults, fir_fields },
	{ .name = NULL },
};
