/* dspctl.c - the command line client of dspd: options, commands, exit codes.
 *
 * A run is: parse the global options (stopping at the command, so negative
 * numbers after it are arguments), turn the command and its arguments into a
 * JSON-RPC request - rejecting bad arguments before touching the socket -,
 * send it (rpc_client.c) and print the result, as text (render.c) or, with
 * --json, as one JSON document on one line.  Every failure ends in one
 * message on stderr and a documented exit status (see usage()).
 *
 * Single-threaded. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "render.h"
#include "rpc_client.h"

#ifndef DSPD_VERSION
#error "DSPD_VERSION must be defined by the build"
#endif

enum exit_status {
	EXIT_OK = 0,
	EXIT_DAEMON_ERROR = 1,  /* error reply, or a reply dspctl cannot read */
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,   /* no socket, nobody listening, timeout, hang-up */
	EXIT_PERMISSION = 4,
};

#define KEEP_GOING (-1)  /* parse_options(): options fine, run the command */
#define DEFAULT_SOCKET "/run/dspd/control.sock"
#define DEFAULT_TIMEOUT_MS 5000
#define MAX_TIMEOUT_S 86400.0

struct options {
	const char *socket_path;
	bool json;
	int timeout_ms;
	bool tty;  /* stdout is a terminal */
};

/* How a successful result is printed without --json. */
enum show {
	SHOW_STATUS,
	SHOW_GAIN,
	SHOW_GAIN_ON_TTY,  /* setters: print the new value on a terminal only */
	SHOW_LEVELS,
	SHOW_XRUNS,
	SHOW_JSON,
};

struct request {
	const char *method;
	json_object *params;  /* owned; NULL: no params member */
	enum show show;
	bool toggle_mute;     /* ask gain.get first, send the opposite mute */
};

static void usage(FILE *out)
{
	fprintf(out,
"Usage: dspctl [OPTIONS] COMMAND [ARGS...]\n"
"Control and monitor the dspd audio DSP daemon.\n"
"\n"
"Commands:\n"
"  status                      engine state, devices, latency, counters, load\n"
"  get gain                    the master gain, e.g. \"-6.0 dB (muted)\"\n"
"  set gain DB [--ramp MS]     set the master gain: -6, -6.5, +3 or -6dB\n"
"  set mute on|off|toggle [--ramp MS]\n"
"                              mute or unmute the master gain\n"
"  levels                      peak/RMS/clip meters per channel, capture and\n"
"                              playback\n"
"  xruns                       xrun counters and the most recent xruns\n"
"  call METHOD [PARAMS]        send any JSON-RPC request (PARAMS: a JSON\n"
"                              object or array) and print its result\n"
"Setters print the new value only when stdout is a terminal (always with\n"
"--json).  Arguments after the command are not options: dspctl set gain -6.\n"
"\n"
"Options (before the command):\n"
"  -s, --socket PATH      control socket (default: $DSPD_SOCKET, else\n"
"                         " DEFAULT_SOCKET ")\n"
"  -j, --json             print each result as one JSON document on one line\n"
"  -t, --timeout SECONDS  wait at most this long for each answer (default 5)\n"
"  -h, --help             print this help and exit\n"
"  -V, --version          print the version and exit\n"
"\n"
"Exit status:\n"
"  0  success\n"
"  1  dspd answered with an error, or with a reply dspctl cannot read\n"
"  2  usage error\n"
"  3  dspd unreachable (no socket, not running, hung up) or no answer in time\n"
"  4  permission denied on the control socket\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("dspctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'dspctl --help' for more information.\n", stderr);
	return EXIT_USAGE;
}

/* A plain decimal ("-6", "+3", "-6.5", ".5") optionally followed by suffix
 * (any case, spaces allowed before it).  No exponents, hex, inf or nan. */
static bool parse_decimal(const char *text, const char *suffix, double *ret)
{
	const char *p = text, *number_end;
	size_t digits = 0;
	char *end;

	if (*p == '+' || *p == '-')
		p++;
	for (; isdigit((unsigned char)*p); p++)
		digits++;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			digits++;
	if (digits == 0)
		return false;
	number_end = p;
	p += strspn(p, " ");
	if (*p != '\0' && strcasecmp(p, suffix) != 0)
		return false;
	*ret = strtod(text, &end);
	return end == number_end && isfinite(*ret);
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv("DSPD_SOCKET");
	double seconds;
	int c;

	o->socket_path = env && *env ? env : DEFAULT_SOCKET;
	o->json = false;
	o->timeout_ms = DEFAULT_TIMEOUT_MS;
	o->tty = isatty(STDOUT_FILENO);
	/* '+': stop at the first non-option, the command; ':': report a
	 * missing value as ':' and let us word the messages. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:s:jt:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->socket_path = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 't':
			if (!parse_decimal(optarg, "s", &seconds) || seconds <= 0 ||
			    seconds > MAX_TIMEOUT_S || lround(seconds * 1000) < 1)
				return usage_error("--timeout: \"%s\" is not a number of "
						   "seconds between 0.001 and %.0f",
						   optarg, MAX_TIMEOUT_S);
			o->timeout_ms = (int)lround(seconds * 1000);
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("dspctl %s\n", DSPD_VERSION);
			return EXIT_OK;
		case ':':
			return usage_error("option \"%s\" needs a value",
					   argv[optind - 1]);
		default:
			if (optopt && !strchr("sjthV", optopt))
				return usage_error("unknown option \"-%c\"", optopt);
			return usage_error("unknown or malformed option \"%s\"",
					   argv[optind - 1]);
		}
	}
	if (*o->socket_path == '\0')
		return usage_error("--socket: the path is empty");
	if (strlen(o->socket_path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return usage_error("socket path \"%s\" is too long (at most %zu bytes)",
				   o->socket_path,
				   sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	return KEEP_GOING;
}

/* "status", "levels", "xruns": the method of the same name, no arguments. */
static int parse_no_args(const char *command, int argc, char **argv,
			 struct request *req)
{
	if (argc > 0)
		return usage_error("%s: unexpected argument \"%s\"%s", command,
				   argv[0], argv[0][0] == '-' ?
				   " (options go before the command)" : "");
	req->method = command;
	return EXIT_OK;
}

static int parse_get(int argc, char **argv, struct request *req)
{
	if (argc == 0)
		return usage_error("get: missing what to get (gain)");
	if (strcmp(argv[0], "gain") != 0)
		return usage_error("get: unknown setting \"%s\" (expected gain)",
				   argv[0]);
	if (argc > 1)
		return usage_error("get gain: unexpected argument \"%s\"", argv[1]);
	req->method = "gain.get";
	req->show = SHOW_GAIN;
	return EXIT_OK;
}

/* ARGS of "set gain|mute": one value plus an optional --ramp MS anywhere;
 * "--" makes every later word a value. */
static int parse_set_args(const char *what, int argc, char **argv,
			  const char **ret_value, json_object *params)
{
	bool options_done = false;
	double ms;

	*ret_value = NULL;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *ramp;

		if (!options_done && strcmp(arg, "--") == 0) {
			options_done = true;
			continue;
		}
		if (options_done || strncmp(arg, "--ramp", 6) != 0 ||
		    (arg[6] != '\0' && arg[6] != '=')) {
			if (*ret_value)
				return usage_error("set %s: unexpected argument \"%s\"",
						   what, arg);
			*ret_value = arg;
			continue;
		}
		ramp = arg[6] == '=' ? arg + 7 : i + 1 < argc ? argv[++i] : NULL;
		if (!ramp)
			return usage_error("set %s: --ramp needs a duration in ms", what);
		if (!parse_decimal(ramp, "ms", &ms) || ms < 0)
			return usage_error("set %s: --ramp: \"%s\" is not a duration "
					   "in ms", what, ramp);
		json_object_object_add(params, "ramp_ms", json_object_new_double(ms));
	}
	if (!*ret_value)
		return usage_error("set %s: missing %s", what,
				   strcmp(what, "gain") == 0 ? "DB" : "on|off|toggle");
	return EXIT_OK;
}

static int parse_set(int argc, char **argv, struct request *req)
{
	const char *value;
	double db;
	int r;

	if (argc == 0)
		return usage_error("set: missing what to set (gain or mute)");
	if (strcmp(argv[0], "gain") != 0 && strcmp(argv[0], "mute") != 0)
		return usage_error("set: unknown setting \"%s\" (expected gain or "
				   "mute)", argv[0]);
	req->params = json_object_new_object();
	r = parse_set_args(argv[0], argc - 1, argv + 1, &value, req->params);
	if (r != EXIT_OK)
		return r;
	req->method = "gain.set";
	req->show = SHOW_GAIN_ON_TTY;
	if (strcmp(argv[0], "gain") == 0) {
		if (!parse_decimal(value, "dB", &db))
			return usage_error("set gain: \"%s\" is not a number of dB",
					   value);
		json_object_object_add(req->params, "db", json_object_new_double(db));
	} else if (strcmp(value, "on") == 0 || strcmp(value, "off") == 0) {
		json_object_object_add(req->params, "mute",
				       json_object_new_boolean(value[1] == 'n'));
	} else if (strcmp(value, "toggle") == 0) {
		req->toggle_mute = true;
	} else {
		return usage_error("set mute: \"%s\" is not on, off or toggle", value);
	}
	return EXIT_OK;
}

static int parse_call(int argc, char **argv, struct request *req)
{
	const char *why;

	if (argc == 0 || argv[0][0] == '\0')
		return usage_error("call: missing METHOD");
	if (argc > 2)
		return usage_error("call: unexpected argument \"%s\" (quote PARAMS "
				   "as one argument)", argv[2]);
	req->method = argv[0];
	req->show = SHOW_JSON;
	if (argc < 2)
		return EXIT_OK;
	req->params = rpc_parse_json(argv[1], strlen(argv[1]), &why);
	if (!req->params)
		return usage_error("call: PARAMS is not valid JSON: %s", why);
	if (!json_object_is_type(req->params, json_type_object) &&
	    !json_object_is_type(req->params, json_type_array))
		return usage_error("call: PARAMS must be a JSON object or array");
	return EXIT_OK;
}

static int parse_command(int argc, char **argv, struct request *req)
{
	const char *command = argv[0];

	memset(req, 0, sizeof(*req));
	if (argc == 0)
		return usage_error("missing command");
	if (strcmp(command, "status") == 0) {
		req->show = SHOW_STATUS;
		return parse_no_args(command, argc - 1, argv + 1, req);
	}
	if (strcmp(command, "levels") == 0) {
		req->show = SHOW_LEVELS;
		return parse_no_args(command, argc - 1, argv + 1, req);
	}
	if (strcmp(command, "xruns") == 0) {
		req->show = SHOW_XRUNS;
		return parse_no_args(command, argc - 1, argv + 1, req);
	}
	if (strcmp(command, "get") == 0)
		return parse_get(argc - 1, argv + 1, req);
	if (strcmp(command, "set") == 0)
		return parse_set(argc - 1, argv + 1, req);
	if (strcmp(command, "call") == 0)
		return parse_call(argc - 1, argv + 1, req);
	return usage_error("unknown command \"%s\"", command);
}

/* "are you in the audio group?", naming the socket's real group if we can. */
static void print_group_hint(const char *path)
{
	struct stat st;
	struct group *gr;

	if (stat(path, &st) == 0 && (gr = getgrgid(st.st_gid)) && gr->gr_gid != 0)
		fprintf(stderr, " (are you in the %s group?)\n", gr->gr_name);
	else
		fputs(" (are you in the audio group?)\n", stderr);
}

static int report_connect_error(const struct options *o, int err)
{
	fprintf(stderr, "dspctl: cannot connect to %s: ", o->socket_path);
	switch (err) {
	case -EACCES:
	case -EPERM:
		fputs(strerror(-err), stderr);
		print_group_hint(o->socket_path);
		return EXIT_PERMISSION;
	case -ETIMEDOUT:
		fprintf(stderr, "dspd did not accept the connection within %g s "
			"(is dspd stuck or overloaded?)\n", o->timeout_ms / 1000.0);
		return EXIT_UNREACHABLE;
	case -ENOENT:
	case -ECONNREFUSED:
		fprintf(stderr, "%s (is dspd running?)\n", strerror(-err));
		return EXIT_UNREACHABLE;
	default:
		fprintf(stderr, "%s\n", strerror(-err));
		return EXIT_UNREACHABLE;
	}
}

static int report_call_error(const struct options *o, const struct rpc_conn *c,
			     const char *method, int err)
{
	fprintf(stderr, "dspctl: %s: ", method);
	switch (err) {
	case -ETIMEDOUT:
		fprintf(stderr, "no answer from dspd at %s within %g s (is dspd "
			"stuck or overloaded?)\n", o->socket_path,
			o->timeout_ms / 1000.0);
		return EXIT_UNREACHABLE;
	case -ECONNRESET:
		fprintf(stderr, "dspd at %s closed the connection without "
			"answering (did it stop?)\n", o->socket_path);
		return EXIT_UNREACHABLE;
	case -EBADMSG:
		fprintf(stderr, "invalid reply from dspd at %s: %s\n",
			o->socket_path, c->bad_reply);
		return EXIT_DAEMON_ERROR;
	case -EMSGSIZE:
		fprintf(stderr, "reply from dspd at %s is longer than %u bytes\n",
			o->socket_path, RPC_MAX_REPLY_BYTES);
		return EXIT_DAEMON_ERROR;
	default:
		fprintf(stderr, "%s (socket %s)\n", strerror(-err), o->socket_path);
		return err == -ENOMEM ? EXIT_DAEMON_ERROR : EXIT_UNREACHABLE;
	}
}

/* "dspctl: METHOD: MESSAGE (field: reason)", whatever shape data has. */
static int report_error_reply(const char *method, json_object *error)
{
	json_object *message, *data = NULL, *field = NULL, *reason = NULL;

	json_object_object_get_ex(error, "message", &message);
	fprintf(stderr, "dspctl: %s: %s", method, json_object_get_string(message));
	json_object_object_get_ex(error, "data", &data);
	if (json_object_is_type(data, json_type_object)) {
		json_object_object_get_ex(data, "field", &field);
		json_object_object_get_ex(data, "reason", &reason);
	}
	if (json_object_is_type(data, json_type_string))
		fprintf(stderr, " (%s)", json_object_get_string(data));
	else if (json_object_is_type(field, json_type_string) &&
		 json_object_is_type(reason, json_type_string))
		fprintf(stderr, " (%s: %s)", json_object_get_string(field),
			json_object_get_string(reason));
	else if (json_object_is_type(reason, json_type_string))
		fprintf(stderr, " (%s)", json_object_get_string(reason));
	else if (data)
		fprintf(stderr, " (%s)", json_object_to_json_string_ext(data,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	fputc('\n', stderr);
	return EXIT_DAEMON_ERROR;
}

/* One request/answer; on EXIT_OK *ret holds a result the caller frees. */
static int call(const struct options *o, struct rpc_conn *c, const char *method,
		json_object *params, struct rpc_reply *ret)
{
	int r = rpc_call(c, method, params, ret);

	if (r < 0)
		return report_call_error(o, c, method, r);
	if (ret->error) {
		r = report_error_reply(method, ret->error);
		rpc_reply_free(ret);
		return r;
	}
	return EXIT_OK;
}

/* gain.get, then the opposite of its mute into req->params. */
static int add_toggled_mute(const struct options *o, struct rpc_conn *c,
			    struct request *req)
{
	struct rpc_reply reply;
	json_object *mute = NULL;
	int r = call(o, c, "gain.get", NULL, &reply);

	if (r != EXIT_OK)
		return r;
	if (!json_object_object_get_ex(reply.result, "mute", &mute) ||
	    !json_object_is_type(mute, json_type_boolean)) {
		fprintf(stderr, "dspctl: gain.get: invalid reply from dspd at %s: "
			"no boolean \"mute\" in the result\n", o->socket_path);
		rpc_reply_free(&reply);
		return EXIT_DAEMON_ERROR;
	}
	json_object_object_add(req->params, "mute",
			       json_object_new_boolean(!json_object_get_boolean(mute)));
	rpc_reply_free(&reply);
	return EXIT_OK;
}

static void show_result(const struct options *o, const struct request *req,
			json_object *result)
{
	if (o->json) {
		render_json(stdout, result, false);
		return;
	}
	switch (req->show) {
	case SHOW_STATUS:
		render_status(stdout, result);
		break;
	case SHOW_GAIN_ON_TTY:
		if (!o->tty)
			break;
		/* fall through */
	case SHOW_GAIN:
		render_gain(stdout, result);
		break;
	case SHOW_LEVELS:
		render_levels(stdout, result, o->tty);
		break;
	case SHOW_XRUNS:
		render_xruns(stdout, result);
		break;
	case SHOW_JSON:
		render_json(stdout, result, true);
		break;
	}
}

static int run_request(const struct options *o, struct request *req)
{
	struct rpc_conn conn;
	struct rpc_reply reply;
	int r = rpc_connect(&conn, o->socket_path, o->timeout_ms);

	if (r < 0)
		return report_connect_error(o, r);
	r = req->toggle_mute ? add_toggled_mute(o, &conn, req) : EXIT_OK;
	if (r == EXIT_OK)
		r = call(o, &conn, req->method, req->params, &reply);
	if (r == EXIT_OK) {
		show_result(o, req, reply.result);
		rpc_reply_free(&reply);
	}
	rpc_close(&conn);
	return r;
}

int main(int argc, char **argv)
{
	struct options opts;
	struct request req;
	int r = parse_options(argc, argv, &opts);

	if (r != KEEP_GOING)
		return r;
	r = parse_command(argc - optind, argv + optind, &req);
	if (r == EXIT_OK)
		r = run_request(&opts, &req);
	json_object_put(req.params);
	if ((fflush(stdout) == EOF || ferror(stdout)) && r == EXIT_OK) {
		fprintf(stderr, "dspctl: cannot write the output: %s\n",
			strerror(errno));
		r = EXIT_DAEMON_ERROR;
	}
	return r;
}
