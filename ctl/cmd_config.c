/* cmd_config.c - dspctl config check|reload|load|patch|show and wait-ready.
 *
 * The daemon reads configuration files itself, so file names are made
 * absolute here (relative to dspctl's working directory, not dspd's).
 * A rejected configuration exits 5 with every error printed; an applied
 * one prints its change result (change.c) on a terminal.
 * Single-threaded (dspctl's main thread). */
#include "proto.h"
#include "change.h"
#include "clock.h"
#include "cmds.h"
#include "jvalue.h"
#include "render.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAIT_READY_DEFAULT_S 30.0
#define WAIT_READY_POLL_MS 100

/* path made absolute; the caller frees it. */
static char *absolute_path(const char *path)
{
	char *cwd, *abs;

	if (path[0] == '/')
		return strdup(path);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	if (asprintf(&abs, "%s/%s", cwd, path) < 0)
		abs = NULL;
	free(cwd);
	return abs;
}

/* {"path": FILE made absolute}, or {} without a file. */
static int path_params(const char *command, const char *file,
		       json_object **ret_params)
{
	char *abs;

	*ret_params = json_object_new_object();
	if (!file)
		return EXIT_OK;
	if (*file == '\0')
		return usage_error("%s: the file name is empty", command);
	abs = absolute_path(file);
	if (!abs) {
		fprintf(stderr, "dspctl: %s: %s: %s\n", command, file,
			strerror(errno));
		return EXIT_DAEMON_ERROR;
	}
	json_object_object_add(*ret_params, "path", json_object_new_string(abs));
	free(abs);
	return EXIT_OK;
}

/* Connect and call; *ret is valid on EXIT_OK. */
static int call_once(const struct options *o, const char *method,
		     json_object *params, struct rpc_reply *ret)
{
	struct rpc_conn conn;
	int r = ctl_connect(o, &conn);

	if (r != EXIT_OK)
		return r;
	r = ctl_call(o, &conn, method, params, ret);
	rpc_close(&conn);
	return r;
}

static void print_validation(const char *path, json_object *result, bool valid)
{
	json_object *errors = jv_field(result, "errors");

	if (valid) {
		printf("%s: valid\n", path);
		return;
	}
	fprintf(stderr, "dspctl: %s: configuration rejected\n", path);
	for (size_t i = 0; i < jv_length(errors); i++) {
		const char *e = jv_string(json_object_array_get_idx(errors, i));

		fprintf(stderr, "  %s\n", e ? e : "?");
	}
}

int cmd_config_check(const struct options *o, int argc, char **argv)
{
	struct rpc_reply reply;
	json_object *params = NULL;
	const char *file = NULL;
	bool valid;
	size_t n;
	int r = parse_args("config check", argc, argv, NULL, 0, &file, 1, &n);

	if (r == EXIT_OK && n == 0)
		r = usage_error("config check: missing FILE");
	if (r == EXIT_OK)
		r = path_params("config check", file, &params);
	if (r == EXIT_OK)
		r = call_once(o, PROTO_METHOD_CONFIG_VALIDATE, params, &reply);
	if (r == EXIT_OK) {
		if (!jv_bool(jv_field(reply.result, "valid"), &valid)) {
			fprintf(stderr, "dspctl: config.validate: invalid reply from "
				"dspd at %s: no boolean \"valid\"\n", o->socket_path);
			r = EXIT_DAEMON_ERROR;
		} else {
			if (o->json)
				render_json(stdout, reply.result, false);
			else
				print_validation(json_object_get_string(
					jv_field(params, "path")), reply.result, valid);
			r = valid ? EXIT_OK : EXIT_CONFIG_REJECTED;
		}
		rpc_reply_free(&reply);
	}
	json_object_put(params);
	return r;
}

int cmd_config_reload(const struct options *o, int argc, char **argv)
{
	json_object *params = NULL;
	const char *file = NULL;
	size_t n;
	int r = parse_args("config reload", argc, argv, NULL, 0, &file, 1, &n);

	if (r == EXIT_OK)
		r = path_params("config reload", file, &params);
	if (r == EXIT_OK)
		r = ctl_change(o, PROTO_METHOD_CONFIG_RELOAD, file ? params : NULL);
	json_object_put(params);
	return r;
}

/* All of stdin as text without NUL bytes; the caller frees it. */
static int read_stdin(const char *command, char **ret_text, size_t *ret_len)
{
	int r = read_all(stdin, INPUT_MAX_BYTES, ret_text, ret_len);

	if (r == -EFBIG)
		return usage_error("%s: standard input is larger than %u MiB",
				   command, INPUT_MAX_BYTES >> 20);
	if (r < 0) {
		fprintf(stderr, "dspctl: %s: cannot read standard input: %s\n",
			command, strerror(-r));
		return EXIT_USAGE;
	}
	if (strlen(*ret_text) != *ret_len) {
		free(*ret_text);
		return usage_error("%s: standard input contains a NUL byte",
				   command);
	}
	return EXIT_OK;
}

/* {"path": FILE resolved} or, for "-", {"text": stdin}. */
static int load_params(const char *file, json_object **ret_params)
{
	char *text;
	size_t len;
	int r;

	if (*file == '\0')
		return usage_error("config load: the file name is empty");
	if (strcmp(file, "-") == 0) {
		r = read_stdin("config load", &text, &len);
		if (r != EXIT_OK)
			return r;
		*ret_params = json_object_new_object();
		json_object_object_add(*ret_params, "text",
				       json_object_new_string_len(text, (int)len));
		free(text);
		return EXIT_OK;
	}
	text = realpath(file, NULL);
	if (!text) {
		fprintf(stderr, "dspctl: config load: %s: %s\n", file,
			strerror(errno));
		return EXIT_USAGE;
	}
	*ret_params = json_object_new_object();
	json_object_object_add(*ret_params, "path", json_object_new_string(text));
	free(text);
	return EXIT_OK;
}

int cmd_config_load(const struct options *o, int argc, char **argv)
{
	json_object *params = NULL;
	const char *file = NULL;
	size_t n;
	int r = parse_args("config load", argc, argv, NULL, 0, &file, 1, &n);

	if (r == EXIT_OK && n == 0)
		r = usage_error("config load: missing FILE (or - for standard "
				"input)");
	if (r == EXIT_OK)
		r = load_params(file, &params);
	if (r == EXIT_OK)
		r = ctl_change(o, PROTO_METHOD_CONFIG_LOAD, params);
	json_object_put(params);
	return r;
}

/* A JSON pointer: empty (the whole document) or starting with "/". */
static int check_pointer(const char *command, const char *what,
			 const char *pointer)
{
	if (*pointer != '\0' && *pointer != '/')
		return usage_error("%s: %s \"%s\" is not a JSON pointer (it "
				   "starts with /, as in /pipeline/0/db)", command,
				   what, pointer);
	return EXIT_OK;
}

/* How many words each operation takes after its name. */
static int patch_op_words(const char *op)
{
	static const struct { const char *op; int words; } ops[] = {
		{ "add", 2 }, { "replace", 2 }, { "test", 2 },
		{ "remove", 1 }, { "move", 2 }, { "copy", 2 },
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(op, ops[i].op) == 0)
			return ops[i].words;
	return -1;
}

/* OP PATH [VALUE] / move|copy FROM PATH as one JSON Patch operation. */
static int config_patch_op(const char *command, int argc, char **argv,
			   json_object **ret_op)
{
	const char *words[3];
	bool from_first;
	size_t n;
	int want, r = parse_args(command, argc, argv, NULL, 0, words, 3, &n);

	if (r != EXIT_OK)
		return r;
	if (n == 0)
		return usage_error("%s: missing OP (add, remove, replace, move, "
				   "copy or test)", command);
	want = patch_op_words(words[0]);
	if (want < 0)
		return usage_error("%s: \"%s\" is not add, remove, replace, "
				   "move, copy or test", command, words[0]);
	from_first = strcmp(words[0], "move") == 0 || strcmp(words[0], "copy") == 0;
	if ((int)n - 1 != want)
		return usage_error("%s: %s takes %s", command, words[0],
				   from_first ? "FROM PATH" :
				   want == 1 ? "PATH only" : "PATH VALUE");
	r = check_pointer(command, from_first ? "FROM" : "PATH", words[1]);
	if (r == EXIT_OK && from_first)
		r = check_pointer(command, "PATH", words[2]);
	if (r != EXIT_OK)
		return r;
	*ret_op = json_object_new_object();
	json_object_object_add(*ret_op, "op", json_object_new_string(words[0]));
	if (from_first)
		json_object_object_add(*ret_op, "from",
				       json_object_new_string(words[1]));
	json_object_object_add(*ret_op, "path", json_object_new_string(
		words[from_first ? 2 : 1]));
	if (want == 2 && !from_first)
		json_object_object_add(*ret_op, "value", cli_value(words[2]));
	return EXIT_OK;
}

int config_patch_params(const char *command, int argc, char **argv,
			json_object **ret_params)
{
	json_object *op = NULL, *ops;
	int r = config_patch_op(command, argc, argv, &op);

	if (r != EXIT_OK)
		return r;
	ops = json_object_new_array();
	json_object_array_add(ops, op);
	*ret_params = json_object_new_object();
	json_object_object_add(*ret_params, "ops", ops);
	return EXIT_OK;
}

/* A JSON array of operation objects from stdin. */
static int stdin_patch(json_object **ret_ops)
{
	const char *why = "not an array";
	json_object *ops;
	char *text;
	size_t len;
	int r = read_stdin("config patch", &text, &len);

	if (r != EXIT_OK)
		return r;
	ops = rpc_parse_json(text, len, &why);
	free(text);
	if (!json_object_is_type(ops, json_type_array) ||
	    json_object_array_length(ops) == 0) {
		json_object_put(ops);
		return usage_error("config patch: standard input is not a JSON "
				   "array of operations: %s", ops ? "empty" : why);
	}
	for (size_t i = 0; i < json_object_array_length(ops); i++) {
		if (!jv_string(jv_field(json_object_array_get_idx(ops, i), "op"))) {
			json_object_put(ops);
			return usage_error("config patch: operation %zu of standard "
					   "input is not an object with an \"op\"", i);
		}
	}
	*ret_ops = ops;
	return EXIT_OK;
}

int cmd_config_patch(const struct options *o, int argc, char **argv)
{
	json_object *ops = NULL, *params = NULL;
	int r;

	if (argc == 1 && strcmp(argv[0], "-") == 0) {
		r = stdin_patch(&ops);
		if (r == EXIT_OK) {
			params = json_object_new_object();
			json_object_object_add(params, "ops", ops);
		}
	} else {
		r = config_patch_params("config patch", argc, argv, &params);
	}
	if (r != EXIT_OK)
		return r;
	r = ctl_change(o, PROTO_METHOD_CONFIG_PATCH, params);
	json_object_put(params);
	return r;
}

static void show_config(FILE *out, json_object *result)
{
	render_json(out, result, true);
}

int cmd_config_show(const struct options *o, int argc, char **argv)
{
	size_t n;
	int r = parse_args("config show", argc, argv, NULL, 0, NULL, 0, &n);

	return r != EXIT_OK ? r : ctl_simple(o, PROTO_METHOD_CONFIG_GET, NULL, show_config);
}

/* One quiet attempt: 0 when running, else a negative errno and, in why,
 * what is in the way. */
static int probe_ready(const char *socket_path, int timeout_ms, char *why,
		       size_t size)
{
	struct rpc_conn conn;
	struct rpc_reply reply;
	const char *state;
	int r = rpc_connect(&conn, socket_path, timeout_ms);

	if (r < 0) {
		snprintf(why, size, "cannot connect: %s", strerror(-r));
		return r;
	}
	r = rpc_call(&conn, PROTO_METHOD_STATUS, NULL, &reply);
	rpc_close(&conn);
	if (r < 0) {
		snprintf(why, size, "status: %s", strerror(-r));
		return r;
	}
	state = jv_string(jv_field(reply.result, "state"));
	r = state && strcmp(state, "running") == 0 ? 0 : -EAGAIN;
	snprintf(why, size, "state is %s", state ? state :
		 reply.error ? "unknown (status failed)" : "unknown");
	rpc_reply_free(&reply);
	return r;
}

int cmd_wait_ready(const struct options *o, int argc, char **argv)
{
	struct arg_option timeout = { .name = "--timeout", .takes_value = true };
	double seconds = WAIT_READY_DEFAULT_S;
	char why[256] = "not tried";
	int64_t deadline;
	size_t n;
	int r = parse_args("wait-ready", argc, argv, &timeout, 1, NULL, 0, &n);

	if (r == EXIT_OK && timeout.seen)
		r = parse_option_number("wait-ready", &timeout, "s", 0,
					MAX_TIMEOUT_S, &seconds);
	if (r != EXIT_OK)
		return r;
	deadline = monotonic_ms() + (int64_t)(seconds * 1000);
	for (;;) {
		int64_t left = deadline - monotonic_ms();
		int attempt_ms = left < o->timeout_ms ? (int)left : o->timeout_ms;

		if (probe_ready(o->socket_path, attempt_ms > 0 ? attempt_ms : 1,
				why, sizeof(why)) == 0)
			return EXIT_OK;
		left = deadline - monotonic_ms();
		if (left <= 0)
			break;
		usleep((useconds_t)(left < WAIT_READY_POLL_MS ? left
							      : WAIT_READY_POLL_MS) * 1000);
	}
	fprintf(stderr, "dspctl: wait-ready: dspd at %s not ready within %g s "
		"(%s)\n", o->socket_path, seconds, why);
	return EXIT_UNREACHABLE;
}
