/* config_fx_filters.c - the key tables of the filters block family (see
 * fx_filters_cfg.h for the values).  Control thread only.
 *
 * A biquad (and a peq band) takes only the keys of its kind
 * (biquad_design.h).  Keys are read in file order, so the check runs from
 * both sides: a key read after "kind" is checked against it, and "kind"
 * checks the keys read before it; either way the error points at the key.
 * Missing keys of a peq band are reported once its object is read; those
 * of a biquad block, like everything that needs the rate (frequencies below
 * rate/2, stability of free coefficients), when the block is built
 * (fx_filters.c). */
#include "config_block_fields.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "biquad_design.h"

#define KEY_BIT(k) (1u << (k))
#define FREQ_MAX 384000.0               /* half the highest rate */
#define Q_MIN 0.05
#define Q_MAX 100.0
#define GAIN_DB_MAX 40.0
#define GAIN_DB_MIN -60.0
#define GEQ_GAIN_DB_MAX 30.0
#define FREE_COEF_MAX 1e6

static int key_index(const char *key)
{
	for (int k = 0; k < BQK_N; k++)
		if (strcmp(biquad_key_names[k], key) == 0)
			return k;
	return -1;      /* not reached: the tables only name known keys */
}

/* An error at a sibling of the current key (the pointer ends in /kind). */
static void error_at_sibling(struct parser *p, const char *current,
                             const char *sibling, const char *what)
{
	size_t mark = p->pointer_len - strlen(current) - 1;

	cfg_pointer_pop(p, mark);
	cfg_pointer_push(p, sibling, strlen(sibling));
	cfg_error_here(p, "%s", what);
	cfg_pointer_pop(p, mark);
	cfg_pointer_push(p, current, strlen(current));
}

static void report_foreign_key(struct parser *p, int kind, const char *key)
{
	char keys[160], msg[240];

	biquad_key_list(biquad_kinds[kind].keys, keys, sizeof(keys));
	snprintf(msg, sizeof(msg), "does not apply to kind %s (its keys: %s)",
	         biquad_kind_names[kind], keys);
	if (key)
		error_at_sibling(p, "kind", key, msg);
	else
		cfg_error_here(p, "%s", msg);
}

/* A numeric key of a biquad or band: range, then fit with the kind. */
static int parse_param(struct parser *p, struct json_object *val,
                       const struct field *f, int kind, unsigned *given,
                       double *param)
{
	int k = key_index(f->key);

	if (k < 0 || cfg_parse_number(p, val, f, &param[k]) < 0)
		return -EINVAL;
	*given |= KEY_BIT(k);
	if (kind >= 0 && !(biquad_kinds[kind].keys & KEY_BIT(k))) {
		report_foreign_key(p, kind, NULL);
		return -EINVAL;
	}
	if ((*given & KEY_BIT(BQK_Q)) && (*given & KEY_BIT(BQK_SLOPE))) {
		cfg_error_here(p, "give either q or slope, not both");
		return -EINVAL;
	}
	return 0;
}

/* "kind", then the keys read before it. */
static int parse_kind(struct parser *p, struct json_object *val,
                      const struct field *f, int *kind, unsigned given,
                      int n_kinds)
{
	unsigned foreign;
	int r = 0;

	if (cfg_parse_choice(p, val, f, kind) < 0)
		return -EINVAL;
	if (*kind >= n_kinds) {
		cfg_error_here(p, "kind %s is not available in a peq band (use a "
		               "biquad block)", biquad_kind_names[*kind]);
		*kind = BQ_KIND_NONE;
		return -EINVAL;
	}
	foreign = given & ~biquad_kinds[*kind].keys;
	for (int k = 0; k < BQK_N; k++)
		if (foreign & KEY_BIT(k)) {
			report_foreign_key(p, *kind, biquad_key_names[k]);
			r = -EINVAL;
		}
	return r;
}

/* ---- biquad ------------------------------------------------------------ */

static int parse_biquad_param(struct parser *p, struct json_object *val,
                              const struct field *f, void *dst)
{
	struct cfg_biquad *bq = dst;

	return parse_param(p, val, f, bq->kind, &bq->given, bq->param);
}

static int parse_biquad_kind(struct parser *p, struct json_object *val,
                             const struct field *f, void *dst)
{
	struct cfg_biquad *bq = dst;

	return parse_kind(p, val, f, &bq->kind, bq->given, BQ_N_KINDS);
}

static void biquad_defaults(struct cfg_block *block)
{
	block->channel_mask = UINT32_MAX;
	block->u.biquad.kind = BQ_KIND_NONE;
	block->u.biquad.given = 0;
	memcpy(block->u.biquad.param, biquad_key_defaults,
	       sizeof(block->u.biquad.param));
}

#define BIQUAD_OFFSET offsetof(struct cfg_block, u.biquad)
#define BIQUAD_PARAM(key_, min_, max_)                                        \
	{ .key = key_, .parse = parse_biquad_param, .offset = BIQUAD_OFFSET,  \
	  .min = min_, .max = max_ }

static const struct field biquad_fields[] = {
	CFG_BLOCK_COMMON_FIELDS,
	{ .key = "kind", .parse = parse_biquad_kind, .offset = BIQUAD_OFFSET,
	  .choices = biquad_kind_names, .flags = FIELD_REQUIRED },
	BIQUAD_PARAM("freq", 1, FREQ_MAX),
	BIQUAD_PARAM("q", Q_MIN, Q_MAX),
	BIQUAD_PARAM("gain_db", GAIN_DB_MIN, GAIN_DB_MAX),
	BIQUAD_PARAM("slope", 0.1, 12),
	BIQUAD_PARAM("freq_act", 1, FREQ_MAX),
	BIQUAD_PARAM("q_act", Q_MIN, Q_MAX),
	BIQUAD_PARAM("freq_target", 1, FREQ_MAX),
	BIQUAD_PARAM("q_target", Q_MIN, Q_MAX),
	BIQUAD_PARAM("b0", -FREE_COEF_MAX, FREE_COEF_MAX),
	BIQUAD_PARAM("b1", -FREE_COEF_MAX, FREE_COEF_MAX),
	BIQUAD_PARAM("b2", -FREE_COEF_MAX, FREE_COEF_MAX),
	BIQUAD_PARAM("a1", -FREE_COEF_MAX, FREE_COEF_MAX),
	BIQUAD_PARAM("a2", -FREE_COEF_MAX, FREE_COEF_MAX),
	{ 0 }
};

/* ---- butterworth, linkwitz_riley --------------------------------------- */

static const char *const xover_kinds[] = { "lowpass", "highpass", NULL };

static int parse_order(struct parser *p, struct json_object *val,
                       const struct field *f, void *dst, bool even)
{
	char shown[CFG_SHOWN_VALUE_MAX + 4];
	int64_t order;

	if (cfg_get_integer(p, val, f->min, f->max, &order) < 0)
		return -EINVAL;
	if (even && order % 2) {
		cfg_show_value(val, shown, sizeof(shown));
		cfg_error_here(p, "must be even (2, 4, 6 or 8: a Linkwitz-Riley "
		               "filter is a squared Butterworth), got %s", shown);
		return -EINVAL;
	}
	*(int *)dst = (int)order;
	return 0;
}

static int parse_butterworth_order(struct parser *p, struct json_object *val,
                                   const struct field *f, void *dst)
{
	return parse_order(p, val, f, dst, false);
}

static int parse_linkwitz_riley_order(struct parser *p,
                                      struct json_object *val,
                                      const struct field *f, void *dst)
{
	return parse_order(p, val, f, dst, true);
}

static void xover_defaults(struct cfg_block *block)
{
	block->channel_mask = UINT32_MAX;
	block->u.xover.kind = BQ_LOWPASS;
	block->u.xover.freq = 0.0;
	block->u.xover.order = 0;
}

#define XOVER_FIELDS(order_parse, order_min)                                  \
	CFG_BLOCK_COMMON_FIELDS,                                              \
	{ .key = "kind", .parse = cfg_parse_choice, .choices = xover_kinds,   \
	  .offset = offsetof(struct cfg_block, u.xover.kind),                 \
	  .flags = FIELD_REQUIRED },                                          \
	{ .key = "freq", .parse = cfg_parse_number, .min = 1, .max = FREQ_MAX, \
	  .offset = offsetof(struct cfg_block, u.xover.freq),                 \
	  .flags = FIELD_REQUIRED },                                          \
	{ .key = "order", .parse = order_parse, .min = order_min,             \
	  .max = BIQUAD_MAX_ORDER,                                            \
	  .offset = offsetof(struct cfg_block, u.xover.order),                \
	  .flags = FIELD_REQUIRED },                                          \
	{ 0 }

static const struct field butterworth_fields[] = {
	XOVER_FIELDS(parse_butterworth_order, 1)
};

static const struct field linkwitz_riley_fields[] = {
	XOVER_FIELDS(parse_linkwitz_riley_order, 2)
};

/* ---- peq ---------------------------------------------------------------- */

static int parse_band_param(struct parser *p, struct json_object *val,
                            const struct field *f, void *dst)
{
	struct cfg_peq_band *b = dst;

	return parse_param(p, val, f, b->kind, &b->given, b->param);
}

static int parse_band_kind(struct parser *p, struct json_object *val,
                           const struct field *f, void *dst)
{
	struct cfg_peq_band *b = dst;

	return parse_kind(p, val, f, &b->kind, b->given, BQ_N_SHAPE_KINDS);
}

#define BAND_PARAM(key_, min_, max_)                                          \
	{ .key = key_, .parse = parse_band_param, .min = min_, .max = max_ }

static const struct field band_fields[] = {
	{ .key = "kind", .parse = parse_band_kind, .choices = biquad_kind_names,
	  .flags = FIELD_REQUIRED },
	BAND_PARAM("freq", 1, FREQ_MAX),
	BAND_PARAM("q", Q_MIN, Q_MAX),
	BAND_PARAM("gain_db", GAIN_DB_MIN, GAIN_DB_MAX),
	BAND_PARAM("slope", 0.1, 12),
	{ 0 }
};

static int parse_band(struct parser *p, struct json_object *obj,
                      struct cfg_peq_band *b)
{
	unsigned missing;
	char keys[80];

	*b = (struct cfg_peq_band){ .kind = BQ_KIND_NONE };
	for (int k = 0; k < BQK_N_SHAPE; k++)
		b->param[k] = biquad_key_defaults[k];
	if (cfg_parse_fields(p, obj, band_fields, b) < 0)
		return -EINVAL;
	missing = biquad_kinds[b->kind].required & ~b->given;
	if (!missing)
		return 0;
	biquad_key_list(missing, keys, sizeof(keys));
	cfg_error_here(p, "kind %s needs %s", biquad_kind_names[b->kind], keys);
	return -EINVAL;
}

static int parse_peq_bands(struct parser *p, struct json_object *val,
                           const struct field *f, void *dst)
{
	struct cfg_peq *peq = dst;
	size_t n;
	int r = 0;

	(void)f;
	if (peq->file[0]) {
		cfg_error_here(p, "give either \"bands\" or \"file\", not both");
		return -EINVAL;
	}
	if (!json_object_is_type(val, json_type_array)) {
		cfg_error_here(p, "must be an array of band objects, got %s",
		               cfg_kind_name(val));
		return -EINVAL;
	}
	n = json_object_array_length(val);
	if (n < 1 || n > CFG_PEQ_MAX_BANDS) {
		cfg_error_here(p, "has %zu bands, must have 1 to %d", n,
		               CFG_PEQ_MAX_BANDS);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		size_t mark = cfg_pointer_push_index(p, i);

		if (parse_band(p, json_object_array_get_idx(val, i),
		               &peq->bands[i]) < 0)
			r = -EINVAL;
		cfg_pointer_pop(p, mark);
	}
	peq->n_bands = (unsigned)n;
	return r;
}

/* "file": the EQ text file, read when the block is built (fx/eq_file.c);
 * whether one of "bands" and "file" is given is checked there too. */
static int parse_peq_file(struct parser *p, struct json_object *val,
                          const struct field *f, void *dst)
{
	struct cfg_peq *peq = dst;

	if (peq->n_bands) {
		cfg_error_here(p, "give either \"bands\" or \"file\", not both");
		return -EINVAL;
	}
	if (!json_object_is_type(val, json_type_string)) {
		cfg_error_here(p, "must be a path string (an EqualizerAPO, AutoEq "
		               "or REW EQ text file), got %s", cfg_kind_name(val));
		return -EINVAL;
	}
	return cfg_get_path(p, val, f->size, peq->file);
}

static void peq_defaults(struct cfg_block *block)
{
	block->channel_mask = UINT32_MAX;
	block->u.peq.n_bands = 0;
	block->u.peq.preamp_db = 0.0;
	block->u.peq.file[0] = '\0';
}

static const struct field peq_fields[] = {
	CFG_BLOCK_COMMON_FIELDS,
	{ .key = "bands", .parse = parse_peq_bands,
	  .offset = offsetof(struct cfg_block, u.peq) },
	{ .key = "file", .parse = parse_peq_file,
	  .offset = offsetof(struct cfg_block, u.peq), .size = CFG_PEQ_FILE_MAX },
	{ .key = "preamp_db", .parse = cfg_parse_number,
	  .offset = offsetof(struct cfg_block, u.peq.preamp_db), .min = -150,
	  .max = 40 },
	{ 0 }
};

/* ---- geq ---------------------------------------------------------------- */

static const char *const geq_resolutions[] = { "third", "octave", NULL };

static void geq_count_mismatch(struct parser *p, unsigned n, int resolution)
{
	cfg_error_here(p, "\"resolution\" %s has %u bands, \"bands\" has %u",
	               geq_resolutions[resolution], geq_band_count(resolution), n);
}

/* The gains, 31 (third) or 10 (octave); the count gives the resolution
 * unless "resolution" says it. */
static int parse_geq_bands(struct parser *p, struct json_object *val,
                           const struct field *f, void *dst)
{
	struct cfg_geq *geq = dst;
	struct field gain = { .min = -GEQ_GAIN_DB_MAX, .max = GEQ_GAIN_DB_MAX };
	size_t n;
	int r = 0;

	(void)f;
	if (!json_object_is_type(val, json_type_array)) {
		cfg_error_here(p, "must be an array of gains in dB, got %s",
		               cfg_kind_name(val));
		return -EINVAL;
	}
	n = json_object_array_length(val);
	if (n != geq_band_count(GEQ_THIRD) && n != geq_band_count(GEQ_OCTAVE)) {
		cfg_error_here(p, "has %zu gains, must have 31 (1/3 octave, 20 Hz "
		               "to 20 kHz) or 10 (octave, 31.5 Hz to 16 kHz)", n);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		size_t mark = cfg_pointer_push_index(p, i);

		if (cfg_parse_number(p, json_object_array_get_idx(val, i), &gain,
		                     &geq->gain_db[i]) < 0)
			r = -EINVAL;
		cfg_pointer_pop(p, mark);
	}
	geq->n_bands = (unsigned)n;
	if (geq->resolution < 0) {
		geq->resolution = n == geq_band_count(GEQ_OCTAVE) ? GEQ_OCTAVE
		                                                   : GEQ_THIRD;
	} else if (geq_band_count(geq->resolution) != n) {
		geq_count_mismatch(p, (unsigned)n, geq->resolution);
		r = -EINVAL;
	}
	return r;
}

static int parse_geq_resolution(struct parser *p, struct json_object *val,
                                const struct field *f, void *dst)
{
	struct cfg_geq *geq = dst;
	int resolution;

	if (cfg_parse_choice(p, val, f, &resolution) < 0)
		return -EINVAL;
	if (geq->n_bands && geq_band_count(resolution) != geq->n_bands) {
		geq_count_mismatch(p, geq->n_bands, resolution);
		return -EINVAL;
	}
	geq->resolution = resolution;
	return 0;
}

static void geq_defaults(struct cfg_block *block)
{
	block->channel_mask = UINT32_MAX;
	block->u.geq.resolution = -1;   /* from the number of bands */
	block->u.geq.n_bands = 0;
}

static const struct field geq_fields[] = {
	CFG_BLOCK_COMMON_FIELDS,
	{ .key = "bands", .parse = parse_geq_bands,
	  .offset = offsetof(struct cfg_block, u.geq), .flags = FIELD_REQUIRED },
	{ .key = "resolution", .parse = parse_geq_resolution,
	  .choices = geq_resolutions,
	  .offset = offsetof(struct cfg_block, u.geq) },
	{ 0 }
};

const struct cfg_block_type_desc cfg_block_types_filters[] = {
	{ "biquad", CFG_BLOCK_BIQUAD, biquad_defaults, biquad_fields },
	{ "butterworth", CFG_BLOCK_BUTTERWORTH, xover_defaults,
	  butterworth_fields },
	{ "linkwitz_riley", CFG_BLOCK_LINKWITZ_RILEY, xover_defaults,
	  linkwitz_riley_fields },
	{ "peq", CFG_BLOCK_PEQ, peq_defaults, peq_fields },
	{ "geq", CFG_BLOCK_GEQ, geq_defaults, geq_fields },
	{ .name = NULL },
};
