/* cmd_plugins.c - `dspctl plugins [LABEL]`: the LADSPA plugins dspd can
 * host, one line each, or one plugin's ports with their ranges and
 * defaults.  Single-threaded. */
#include <json-c/json.h>
#include <stdio.h>

#include "proto.h"
#include "cli.h"
#include "cmds.h"
#include "jvalue.h"

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

static void put_bound(FILE *out, json_object *control, const char *key)
{
	double v;

	if (jv_number(jv_field(control, key), &v))
		fprintf(out, "%g", v);
	else
		fputs("...", out);
}

static void put_controls(FILE *out, json_object *plugin)
{
	json_object *controls = jv_field(plugin, "controls");

	for (size_t i = 0; i < jv_length(controls); i++) {
		json_object *c = json_object_array_get_idx(controls, i);
		bool flag;
		double v;

		fprintf(out, "    %-6s \"%s\" ", or_dash(jv_string(jv_field(c, "direction"))),
			or_dash(jv_string(jv_field(c, "name"))));
		put_bound(out, c, "lower");
		fputs(" to ", out);
		put_bound(out, c, "upper");
		if (jv_number(jv_field(c, "default"), &v))
			fprintf(out, ", default %g", v);
		if (jv_bool(jv_field(c, "toggled"), &flag) && flag)
			fputs(", toggle", out);
		if (jv_bool(jv_field(c, "integer"), &flag) && flag)
			fputs(", integer", out);
		if (jv_bool(jv_field(c, "logarithmic"), &flag) && flag)
			fputs(", logarithmic", out);
		fputc('\n', out);
	}
}

static void render_plugins(FILE *out, json_object *result)
{
	json_object *plugins = jv_field(result, "plugins");
	size_t n = jv_length(plugins);
	bool one = n == 1, flag;

	if (n == 0) {
		fprintf(out, "no plugins in the search path\n");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(plugins, i);
		char in[16] = "?", outs[16] = "?";

		jv_count(jv_field(p, "audio_inputs"), in, sizeof(in));
		jv_count(jv_field(p, "audio_outputs"), outs, sizeof(outs));
		fprintf(out, "%-22s %-28s %s->%s %s  %s\n", or_dash(jv_string(jv_field(p, "label"))),
			or_dash(jv_string(jv_field(p, "library"))), in, outs,
			jv_bool(jv_field(p, "hard_rt"), &flag) && flag ? "rt    " : "non-rt",
			or_dash(jv_string(jv_field(p, "name"))));
		if (one)
			put_controls(out, p);
	}
	if (jv_bool(jv_field(result, "truncated"), &flag) && flag)
		fprintf(out, "(list truncated)\n");
}

int cmd_plugins(const struct options *o, int argc, char **argv)
{
	const char *label = NULL;
	json_object *params = NULL;
	size_t n;
	int r = parse_args("plugins", argc, argv, NULL, 0, &label, 1, &n);

	if (r != EXIT_OK)
		return r;
	if (label) {
		params = json_object_new_object();
		json_object_object_add(params, "label", json_object_new_string(label));
	}
	r = ctl_simple(o, PROTO_METHOD_PLUGINS, params, render_plugins);
	json_object_put(params);
	return r;
}
