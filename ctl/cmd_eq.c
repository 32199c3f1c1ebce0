/* cmd_eq.c - dspctl eq import|export: EqualizerAPO / AutoEq / REW EQ text
 * files to and from the running pipeline.
 *
 * import reads the file here (dspd never opens a client's file for it),
 * parses it with lib/eq_text.c and sends one change: a config.patch that
 * replaces the peq block's "bands" and "preamp_db" (and drops its "file")
 * when the block exists, guarded by a "test" of its name and type, else an
 * effect.add of a new peq block at the end of the pipeline.  A GraphicEQ
 * becomes a fir block with the points inline ("graphic_eq": a
 * minimum-phase FIR designed by dspd at its rate).  export reads
 * config.get and writes the EqualizerAPO ParametricEQ form.
 * Single-threaded (dspctl's main thread). */
#include "proto.h"
#include "change.h"
#include "cmds.h"
#include "eq_text.h"
#include "jvalue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BLOCK "eq"
#define EXPORT_MAX (64 * 1024)

static double config_rate(json_object *cfg)
{
	double rate;

	return jv_number(jv_field(cfg, "rate"), &rate) && rate > 0 ? rate
	                                                           : 48000.0;
}

/* The running configuration document (config.get's "config"), to put,
 * and the rate the pipeline runs at (status; that of the configuration
 * when status has none), for ret_rate when not NULL. */
static int get_config(const struct options *o, json_object **ret,
                      double *ret_rate)
{
	struct rpc_conn conn;
	struct rpc_reply reply;
	int r = ctl_connect(o, &conn);

	if (r != EXIT_OK)
		return r;
	if (ret_rate) {
		r = ctl_call(o, &conn, PROTO_METHOD_STATUS, NULL, &reply);
		if (r != EXIT_OK) {
			rpc_close(&conn);
			return r;
		}
		if (!jv_number(jv_field(reply.result, "rate"), ret_rate))
			*ret_rate = 0;
		rpc_reply_free(&reply);
	}
	r = ctl_call(o, &conn, PROTO_METHOD_CONFIG_GET, NULL, &reply);
	if (r == EXIT_OK) {
		json_object *cfg = jv_field(reply.result, "config");

		if (json_object_is_type(cfg, json_type_object)) {
			*ret = json_object_get(cfg);
			if (ret_rate && !(*ret_rate > 0))
				*ret_rate = config_rate(cfg);
		} else {
			fprintf(stderr, "dspctl: config.get: no \"config\" in the "
			        "answer\n");
			r = EXIT_DAEMON_ERROR;
		}
		rpc_reply_free(&reply);
	}
	rpc_close(&conn);
	return r;
}

/* The index of the block named name in cfg's pipeline, or -1. */
static int find_block(json_object *cfg, const char *name, json_object **ret)
{
	json_object *pipe = jv_field(cfg, "pipeline");
	size_t n = jv_length(pipe);

	for (size_t i = 0; i < n; i++) {
		json_object *b = json_object_array_get_idx(pipe, i);
		const char *bn = jv_string(jv_field(b, "name"));

		if (bn && strcmp(bn, name) == 0) {
			*ret = b;
			return (int)i;
		}
	}
	return -1;
}

/* ---- import ------------------------------------------------------------- */

static int read_eq_file(const char *path, struct eq_text *t)
{
	char err[EQ_TEXT_ERR_MAX], *text = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "rb");
	int r;

	if (!f) {
		fprintf(stderr, "dspctl: eq import: %s: %s\n", path, strerror(errno));
		return EXIT_USAGE;
	}
	r = read_all(f, EQ_TEXT_MAX_BYTES, &text, &len);
	fclose(f);
	if (r < 0) {
		fprintf(stderr, "dspctl: eq import: %s: %s\n", path,
		        r == -EFBIG ? "larger than 256 KiB" : strerror(-r));
		return EXIT_USAGE;
	}
	r = eq_text_parse(text, len, t, err, sizeof(err));
	free(text);
	if (r < 0) {
		fprintf(stderr, "dspctl: eq import: %s: %s\n", path, err);
		return EXIT_USAGE;
	}
	if (t->n_points && t->n_filters) {
		fprintf(stderr, "dspctl: eq import: %s: has both a GraphicEQ (line "
		        "%u) and filters: import them from two files\n", path,
		        t->graphic_line);
		return EXIT_USAGE;
	}
	if (!t->n_points && !t->n_filters) {
		fprintf(stderr, "dspctl: eq import: %s: no filter is ON (a peq "
		        "block needs at least one band)\n", path);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static json_object *band_json(const struct eq_band *b)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "kind", json_object_new_string(b->kind));
	json_object_object_add(o, "freq", json_object_new_double(b->freq));
	if (b->has_gain)
		json_object_object_add(o, "gain_db",
		                       json_object_new_double(b->gain_db));
	if (b->slope_db)
		json_object_object_add(o, "slope",
		                       json_object_new_double(b->slope_db));
	else
		json_object_object_add(o, "q", json_object_new_double(b->q));
	return o;
}

/* The bands of t at rate as a JSON array. */
static int bands_json(const char *path, const struct eq_text *t, double rate,
                      json_object **ret)
{
	json_object *arr = json_object_new_array();
	char err[EQ_TEXT_ERR_MAX];
	struct eq_band b;

	for (unsigned i = 0; i < t->n_filters; i++) {
		if (eq_filter_band(&t->filters[i], rate, &b, err, sizeof(err)) < 0) {
			fprintf(stderr, "dspctl: eq import: %s: %s\n", path, err);
			json_object_put(arr);
			return EXIT_USAGE;
		}
		json_object_array_add(arr, band_json(&b));
	}
	*ret = arr;
	return EXIT_OK;
}

static json_object *points_json(const struct eq_text *t)
{
	json_object *arr = json_object_new_array();

	for (unsigned i = 0; i < t->n_points; i++) {
		json_object *pt = json_object_new_array();

		json_object_array_add(pt, json_object_new_double(t->points[i].freq));
		json_object_array_add(pt, json_object_new_double(t->points[i].gain_db));
		json_object_array_add(arr, pt);
	}
	return arr;
}

static json_object *patch_op(const char *op, int index, const char *member,
                             json_object *value)
{
	json_object *o = json_object_new_object();
	char path[160];

	snprintf(path, sizeof(path), "/pipeline/%d/%s", index, member);
	json_object_object_add(o, "op", json_object_new_string(op));
	json_object_object_add(o, "path", json_object_new_string(path));
	if (value)
		json_object_object_add(o, "value", value);
	return o;
}

/* The keys the file sets, in members (key, value pairs). */
struct member {
	const char *key;
	json_object *value;
};

/* Replace the keys of the existing block at index (its name and type
 * tested first, so a pipeline changed meanwhile is not edited blindly);
 * drop the keys in drop[] it has. */
static json_object *replace_params(int index, json_object *block,
                                   const char *name, const char *type,
                                   struct member *set, size_t n_set,
                                   const char *const *drop)
{
	json_object *ops = json_object_new_array(), *params;

	json_object_array_add(ops, patch_op("test", index, "name",
	                                    json_object_new_string(name)));
	json_object_array_add(ops, patch_op("test", index, "type",
	                                    json_object_new_string(type)));
	for (; *drop; drop++)
		if (jv_field(block, *drop))
			json_object_array_add(ops, patch_op("remove", index, *drop,
			                                    NULL));
	for (size_t i = 0; i < n_set; i++)
		json_object_array_add(ops, patch_op("add", index, set[i].key,
		                                    json_object_get(set[i].value)));
	params = json_object_new_object();
	json_object_object_add(params, "ops", ops);
	return params;
}

static json_object *add_params(const char *name, const char *type,
                               struct member *set, size_t n_set)
{
	json_object *block = json_object_new_object(), *params;

	json_object_object_add(block, "type", json_object_new_string(type));
	json_object_object_add(block, "name", json_object_new_string(name));
	for (size_t i = 0; i < n_set; i++)
		json_object_object_add(block, set[i].key,
		                       json_object_get(set[i].value));
	params = json_object_new_object();
	json_object_object_add(params, "block", block);
	return params;
}

/* The change that puts t into block name of cfg. */
static int import_change(const struct options *o, const char *path,
                         const char *name, const struct eq_text *t,
                         json_object *cfg, double rate)
{
	static const char *const peq_drop[] = { "file", NULL };
	static const char *const fir_drop[] = { "path", "values", "format",
	                                        "channel", NULL };
	bool graphic = t->n_points > 0;
	const char *type = graphic ? "fir" : "peq";
	json_object *block = NULL, *params, *bands = NULL;
	struct member set[2];
	size_t n_set = 0;
	int index, r;
	const char *have;

	if (graphic) {
		set[n_set++] = (struct member){ "graphic_eq", points_json(t) };
		set[n_set++] = (struct member){ "gain_db",
		        json_object_new_double(t->preamp_db) };
	} else {
		if ((r = bands_json(path, t, rate, &bands)) != EXIT_OK)
			return r;
		set[n_set++] = (struct member){ "bands", bands };
		set[n_set++] = (struct member){ "preamp_db",
		        json_object_new_double(t->preamp_db) };
	}
	index = find_block(cfg, name, &block);
	have = index >= 0 ? jv_string(jv_field(block, "type")) : NULL;
	if (index >= 0 && (!have || strcmp(have, type) != 0)) {
		fprintf(stderr, "dspctl: eq import: block \"%s\" is a %s block, "
		        "not a %s (give another --block)\n", name,
		        have ? have : "typeless", type);
		r = EXIT_USAGE;
	} else {
		params = index >= 0
		         ? replace_params(index, block, name, type, set, n_set,
		                          graphic ? fir_drop : peq_drop)
		         : add_params(name, type, set, n_set);
		r = ctl_change(o, index >= 0 ? PROTO_METHOD_CONFIG_PATCH
		                             : PROTO_METHOD_EFFECT_ADD, params);
		json_object_put(params);
	}
	for (size_t i = 0; i < n_set; i++)
		json_object_put(set[i].value);
	return r;
}

int cmd_eq_import(const struct options *o, int argc, char **argv)
{
	struct arg_option opts[] = { { .name = "--block", .takes_value = true } };
	const char *words[1] = { NULL };
	const char *name;
	struct eq_text *t;
	json_object *cfg = NULL;
	double rate = 0;
	size_t n;
	int r = parse_args("eq import", argc, argv, opts, 1, words, 1, &n);

	if (r != EXIT_OK)
		return r;
	if (n == 0)
		return usage_error("eq import: missing FILE");
	name = opts[0].seen ? opts[0].value : DEFAULT_BLOCK;
	if (*name == '\0')
		return usage_error("eq import: --block: the name is empty");
	if (!(t = malloc(sizeof(*t))))
		return usage_error("eq import: out of memory");
	r = read_eq_file(words[0], t);
	if (r == EXIT_OK)
		r = get_config(o, &cfg, &rate);
	if (r == EXIT_OK)
		r = import_change(o, words[0], name, t, cfg, rate);
	json_object_put(cfg);
	free(t);
	return r;
}

/* ---- export ------------------------------------------------------------- */

/* The peq block to export: name, or the only peq of the pipeline. */
static int export_block(json_object *cfg, const char *name, json_object **ret)
{
	json_object *pipe = jv_field(cfg, "pipeline"), *found = NULL;
	size_t n = jv_length(pipe), count = 0;

	for (size_t i = 0; i < n; i++) {
		json_object *b = json_object_array_get_idx(pipe, i);
		const char *bn = jv_string(jv_field(b, "name"));
		const char *type = jv_string(jv_field(b, "type"));

		if (name ? bn && strcmp(bn, name) == 0
		         : type && strcmp(type, "peq") == 0) {
			found = b;
			count++;
		}
	}
	if (!found || count > 1) {
		fprintf(stderr, "dspctl: eq export: %s\n", name
		        ? "no block of that name in the pipeline"
		        : count ? "the pipeline has several peq blocks: give --block"
		                : "the pipeline has no peq block");
		return EXIT_USAGE;
	}
	*ret = found;
	return EXIT_OK;
}

/* A band of the configuration as an eq_band; kind stays NULL for a band
 * without one. */
static void band_of(json_object *b, struct eq_band *ret)
{
	const char *kind = jv_string(jv_field(b, "kind"));

	*ret = (struct eq_band){ .kind = kind };
	jv_number(jv_field(b, "freq"), &ret->freq);
	ret->has_gain = jv_number(jv_field(b, "gain_db"), &ret->gain_db) ||
	                (kind && (strcmp(kind, "peaking") == 0 ||
	                          strcmp(kind, "lowshelf") == 0 ||
	                          strcmp(kind, "highshelf") == 0));
	jv_number(jv_field(b, "q"), &ret->q);
	jv_number(jv_field(b, "slope"), &ret->slope_db);
}

static int write_export(const char *out_path, const char *text)
{
	FILE *f = out_path ? fopen(out_path, "w") : stdout;

	if (!f) {
		fprintf(stderr, "dspctl: eq export: %s: %s\n", out_path,
		        strerror(errno));
		return EXIT_USAGE;
	}
	fputs(text, f);
	if ((out_path ? fclose(f) : fflush(f)) != 0) {
		fprintf(stderr, "dspctl: eq export: %s: %s\n",
		        out_path ? out_path : "stdout", strerror(errno));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int export_text(json_object *block, char *buf, size_t size)
{
	struct eq_band bands[EQ_TEXT_MAX_FILTERS];
	json_object *arr = jv_field(block, "bands");
	const char *type = jv_string(jv_field(block, "type"));
	const char *name = jv_string(jv_field(block, "name"));
	size_t n = jv_length(arr);
	char err[EQ_TEXT_ERR_MAX];
	double preamp = 0.0;
	int r;

	if (!type || strcmp(type, "peq") != 0 || jv_field(block, "file") ||
	    n > EQ_TEXT_MAX_FILTERS) {
		fprintf(stderr, "dspctl: eq export: block \"%s\" %s\n", name,
		        type && strcmp(type, "peq") != 0 ? "is not a peq block"
		        : jv_field(block, "file") ? "reads its bands from its "
		          "\"file\": that file is its EqualizerAPO form"
		        : "has more bands than a peq may");
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < n; i++)
		band_of(json_object_array_get_idx(arr, i), &bands[i]);
	jv_number(jv_field(block, "preamp_db"), &preamp);
	r = eq_text_format(preamp, bands, (unsigned)n, buf, size, err,
	                   sizeof(err));
	if (r < 0) {
		fprintf(stderr, "dspctl: eq export: block \"%s\": %s\n", name,
		        r == -ENOSPC ? "too long" : err);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int cmd_eq_export(const struct options *o, int argc, char **argv)
{
	struct arg_option opts[] = {
		{ .name = "--block", .takes_value = true },
		{ .name = "--output", .takes_value = true },
	};
	json_object *cfg = NULL, *block = NULL;
	char **args = calloc((size_t)argc + 1, sizeof(*args)), *buf;
	size_t n;
	int r;

	if (!args)
		return usage_error("eq export: out of memory");
	/* -o is --output (not after "--", nor as an option's value) */
	for (int i = 0, done = 0; i < argc; i++) {
		args[i] = argv[i];
		if (!done && strcmp(argv[i], "--") == 0) {
			done = 1;
		} else if (!done && strcmp(argv[i], "-o") == 0) {
			args[i] = (char *)"--output";
			if (i + 1 < argc) {
				i++;
				args[i] = argv[i];
			}
		} else if (!done && strcmp(argv[i], "--block") == 0 && i + 1 < argc) {
			i++;
			args[i] = argv[i];
		}
	}
	r = parse_args("eq export", argc, args, opts, 2, NULL, 0, &n);
	free(args);
	if (r != EXIT_OK)
		return r;
	if (!(buf = malloc(EXPORT_MAX)))
		return usage_error("eq export: out of memory");
	r = get_config(o, &cfg, NULL);
	if (r == EXIT_OK)
		r = export_block(cfg, opts[0].seen ? opts[0].value : NULL, &block);
	if (r == EXIT_OK)
		r = export_text(block, buf, EXPORT_MAX);
	if (r == EXIT_OK)
		r = write_export(opts[1].seen ? opts[1].value : NULL, buf);
	json_object_put(cfg);
	free(buf);
	return r;
}
