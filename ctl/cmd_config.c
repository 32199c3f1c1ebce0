/* cmd_config.c - dspctl config check|reload|show and wait-ready.
 *
 * The daemon reads configuration files itself, so file names are made
 * absolute here (relative to dspctl's working directory, not dspd's).
 * A rejected configuration exits 5 with every error printed.
 * Single-threaded (dspctl's main thread). */
#include "cmds.h"
#include "jvalue.h"
#include "render.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
		r = call_once(o, "config.validate", params, &reply);
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

static void show_reload(FILE *out, json_object *result)
{
	const char *path = jv_string(jv_field(result, "path"));
	bool changed = false;

	jv_bool(jv_field(result, "changed"), &changed);
	fprintf(out, "%s %s\n", changed ? "reloaded" : "unchanged",
		path ? path : "");
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
		r = ctl_simple(o, "config.reload", file ? params : NULL,
			       o->tty ? show_reload : NULL);
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

	return r != EXIT_OK ? r : ctl_simple(o, "config.get", NULL, show_config);
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
	r = rpc_call(&conn, "status", NULL, &reply);
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
