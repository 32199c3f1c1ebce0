/* cmd_basic.c - dspctl's one-request commands: status, stats, levels, xruns,
 * pipeline, get/set/adjust gain, get/set mute, call.
 *
 * Setters print the new value only on a terminal (always with --json), so
 * scripts that call them stay quiet.  Single-threaded (dspctl's main
 * thread). */
#include "proto.h"
#include "cmds.h"
#include "jvalue.h"
#include "render.h"

#include <string.h>

#define MAX_RAMP_MS 10000.0

/* A command without arguments or options. */
static int no_args(const char *command, int argc, char **argv)
{
	size_t n;

	return parse_args(command, argc, argv, NULL, 0, NULL, 0, &n);
}

int cmd_status(const struct options *o, int argc, char **argv)
{
	int r = no_args("status", argc, argv);

	return r != EXIT_OK ? r : ctl_simple(o, PROTO_METHOD_STATUS, NULL, render_status);
}

int cmd_stats(const struct options *o, int argc, char **argv)
{
	struct arg_option prometheus = { .name = "--prometheus" };
	size_t n;
	int r = parse_args("stats", argc, argv, &prometheus, 1, NULL, 0, &n);

	if (r != EXIT_OK)
		return r;
	if (prometheus.seen)
		return stats_prometheus(o);
	return ctl_simple(o, PROTO_METHOD_STATS, NULL, render_stats);
}

static void show_levels_with_bars(FILE *out, json_object *levels)
{
	render_levels(out, levels, true);
}

static void show_levels(FILE *out, json_object *levels)
{
	render_levels(out, levels, false);
}

int cmd_levels(const struct options *o, int argc, char **argv)
{
	struct arg_option opts[] = {
		{ .name = "--follow" },
		{ .name = "--interval", .takes_value = true },
		{ .name = "--window", .takes_value = true },
	};
	double interval = 100, window;
	json_object *params;
	size_t n;
	int r = parse_args("levels", argc, argv, opts, 3, NULL, 0, &n);

	if (r == EXIT_OK && opts[1].seen && !opts[0].seen)
		return usage_error("levels: --interval needs --follow");
	if (r == EXIT_OK && opts[2].seen && opts[0].seen)
		return usage_error("levels: --window and --follow exclude each other");
	if (r == EXIT_OK && opts[1].seen)
		r = parse_option_number("levels", &opts[1], "ms", 10, 10000, &interval);
	if (r != EXIT_OK)
		return r;
	if (opts[0].seen)
		return levels_follow(o, (int)interval);
	if (!opts[2].seen)
		return ctl_simple(o, PROTO_METHOD_LEVELS, NULL, o->tty ? show_levels_with_bars
							   : show_levels);
	r = parse_option_number("levels", &opts[2], "ms", 10, 10000, &window);
	if (r != EXIT_OK)
		return r;
	params = json_object_new_object();
	json_object_object_add(params, "window_ms", json_object_new_double(window));
	r = ctl_simple(o, PROTO_METHOD_LEVELS, params, o->tty ? show_levels_with_bars
						   : show_levels);
	json_object_put(params);
	return r;
}

int cmd_xruns(const struct options *o, int argc, char **argv)
{
	int r = no_args("xruns", argc, argv);

	return r != EXIT_OK ? r : ctl_simple(o, PROTO_METHOD_XRUNS, NULL, render_xruns);
}

int cmd_pipeline(const struct options *o, int argc, char **argv)
{
	int r = no_args("pipeline", argc, argv);

	return r != EXIT_OK ? r : ctl_simple(o, PROTO_METHOD_PIPELINE_LIST, NULL,
					     render_pipeline);
}

int cmd_loudness(const struct options *o, int argc, char **argv)
{
	struct arg_option reset = { .name = "--reset" };
	size_t n;
	int r = parse_args("loudness", argc, argv, &reset, 1, NULL, 0, &n);

	if (r != EXIT_OK)
		return r;
	return ctl_simple(o, reset.seen ? PROTO_METHOD_LOUDNESS_RESET : PROTO_METHOD_LOUDNESS, NULL,
			  render_loudness);
}

/* get gain [NAME]: the master gain, or the gain block NAME's. */
int cmd_get_gain(const struct options *o, int argc, char **argv)
{
	const char *name = NULL;
	json_object *params;
	size_t n;
	int r = parse_args("get gain", argc, argv, NULL, 0, &name, 1, &n);

	if (r != EXIT_OK)
		return r;
	if (n == 0)
		return ctl_simple(o, PROTO_METHOD_GAIN_GET, NULL, render_gain);
	params = json_object_new_object();
	json_object_object_add(params, "block", json_object_new_string(name));
	r = ctl_simple(o, PROTO_METHOD_GAIN_GET, params, render_gain);
	json_object_put(params);
	return r;
}

int cmd_get_mute(const struct options *o, int argc, char **argv)
{
	int r = no_args("get mute", argc, argv);

	return r != EXIT_OK ? r : ctl_simple(o, PROTO_METHOD_MUTE_GET, NULL, render_mute);
}

/* [NAME] VALUE [--ramp MS]: the value in *ret_value, a NAME (when
 * ret_name is given) into *ret_name, ramp_ms into params. */
static int parse_named_setter(const char *command, const char *missing, int argc,
			      char **argv, const char **ret_name,
			      const char **ret_value, json_object *params)
{
	struct arg_option ramp = { .name = "--ramp", .takes_value = true };
	const char *words[2] = { NULL, NULL };
	double ms;
	size_t n;
	int r = parse_args(command, argc, argv, &ramp, 1, words, ret_name ? 2 : 1, &n);

	if (r != EXIT_OK)
		return r;
	if (n == 0)
		return usage_error("%s: missing %s", command, missing);
	*ret_value = words[n - 1];
	if (ret_name)
		*ret_name = n == 2 ? words[0] : NULL;
	if (ret_name && *ret_name && ramp.seen)
		return usage_error("%s: --ramp is for the master gain; a gain block "
				   "changes with the pipeline's crossfade", command);
	if (ramp.seen) {
		r = parse_option_number(command, &ramp, "ms", 0, MAX_RAMP_MS, &ms);
		if (r != EXIT_OK)
			return r;
		json_object_object_add(params, "ramp_ms", json_object_new_double(ms));
	}
	return EXIT_OK;
}

/* VALUE [--ramp MS]. */
static int parse_setter(const char *command, const char *missing, int argc,
			char **argv, const char **ret_value, json_object *params)
{
	return parse_named_setter(command, missing, argc, argv, NULL, ret_value, params);
}

/* gain.set: [NAME] DB [--ramp MS]; gain.adjust: DB [--ramp MS]. */
static int gain_setter(const struct options *o, const char *command,
		       const char *method, bool named, int argc, char **argv)
{
	json_object *params = json_object_new_object();
	const char *value, *name = NULL;
	double db;
	int r = parse_named_setter(command, "DB", argc, argv, named ? &name : NULL,
				   &value, params);

	if (r == EXIT_OK && !parse_decimal(value, "dB", &db))
		r = usage_error("%s: \"%s\" is not a number of dB", command, value);
	if (r == EXIT_OK) {
		if (name)
			json_object_object_add(params, "block", json_object_new_string(name));
		json_object_object_add(params, "db", json_object_new_double(db));
		r = ctl_simple(o, method, params, o->tty ? render_gain : NULL);
	}
	json_object_put(params);
	return r;
}

int cmd_set_gain(const struct options *o, int argc, char **argv)
{
	return gain_setter(o, "set gain", PROTO_METHOD_GAIN_SET, true, argc, argv);
}

int cmd_adjust_gain(const struct options *o, int argc, char **argv)
{
	return gain_setter(o, "adjust gain", PROTO_METHOD_GAIN_ADJUST, false, argc, argv);
}

/* A daemon without mute.*: gain.get for toggle, then gain.set. */
static int set_mute_by_gain(const struct options *o, struct rpc_conn *c,
			    int mute, json_object *params, struct rpc_reply *ret)
{
	bool current;
	int r;

	if (mute < 0) {
		r = ctl_call(o, c, PROTO_METHOD_GAIN_GET, NULL, ret);
		if (r != EXIT_OK)
			return r;
		if (!jv_bool(jv_field(ret->result, "mute"), &current)) {
			fprintf(stderr, "dspctl: gain.get: invalid reply from dspd at "
				"%s: no boolean \"mute\" in the result\n",
				o->socket_path);
			rpc_reply_free(ret);
			return EXIT_DAEMON_ERROR;
		}
		rpc_reply_free(ret);
		mute = !current;
	}
	json_object_object_add(params, "mute", json_object_new_boolean(mute));
	return ctl_call(o, c, PROTO_METHOD_GAIN_SET, params, ret);
}

/* mute: 1 on, 0 off, -1 toggle. */
static int send_mute(const struct options *o, struct rpc_conn *c, int mute,
		     json_object *params, struct rpc_reply *ret)
{
	const char *method = mute < 0 ? PROTO_METHOD_MUTE_TOGGLE : PROTO_METHOD_MUTE_SET;
	json_object *code;
	int r;

	if (mute >= 0)
		json_object_object_add(params, "mute", json_object_new_boolean(mute));
	r = rpc_call(c, method, params, ret);
	if (r < 0)
		return ctl_report_call_error(o, c, method, r);
	if (!ret->error)
		return EXIT_OK;
	code = jv_field(ret->error, "code");
	if (json_object_get_int64(code) == RPC_METHOD_NOT_FOUND) {
		rpc_reply_free(ret);
		json_object_object_del(params, "mute");
		return set_mute_by_gain(o, c, mute, params, ret);
	}
	r = ctl_report_error_reply(method, ret->error);
	rpc_reply_free(ret);
	return r;
}

int cmd_set_mute(const struct options *o, int argc, char **argv)
{
	json_object *params = json_object_new_object();
	struct rpc_reply reply;
	struct rpc_conn conn;
	const char *value;
	int mute = 0;
	int r = parse_setter("set mute", "on|off|toggle", argc, argv, &value,
			     params);

	if (r == EXIT_OK) {
		if (strcmp(value, "on") == 0 || strcmp(value, "off") == 0)
			mute = value[1] == 'n';
		else if (strcmp(value, "toggle") == 0)
			mute = -1;
		else
			r = usage_error("set mute: \"%s\" is not on, off or toggle",
					value);
	}
	if (r == EXIT_OK)
		r = ctl_connect(o, &conn);
	if (r != EXIT_OK) {
		json_object_put(params);
		return r;
	}
	r = send_mute(o, &conn, mute, params, &reply);
	if (r == EXIT_OK) {
		if (o->json)
			render_json(stdout, reply.result, false);
		else if (o->tty)
			render_mute(stdout, reply.result);
		rpc_reply_free(&reply);
	}
	rpc_close(&conn);
	json_object_put(params);
	return r;
}

static void show_pretty(FILE *out, json_object *result)
{
	render_json(out, result, true);
}

int cmd_call(const struct options *o, int argc, char **argv)
{
	json_object *params = NULL;
	const char *why;
	int r;

	if (argc == 0 || argv[0][0] == '\0')
		return usage_error("call: missing METHOD");
	if (argc > 2)
		return usage_error("call: unexpected argument \"%s\" (quote PARAMS "
				   "as one argument)", argv[2]);
	if (argc == 2) {
		params = rpc_parse_json(argv[1], strlen(argv[1]), &why);
		if (!params)
			return usage_error("call: PARAMS is not valid JSON: %s", why);
		if (!json_object_is_type(params, json_type_object) &&
		    !json_object_is_type(params, json_type_array)) {
			json_object_put(params);
			return usage_error("call: PARAMS must be a JSON object or "
					   "array");
		}
	}
	r = ctl_simple(o, argv[0], params, show_pretty);
	json_object_put(params);
	return r;
}
