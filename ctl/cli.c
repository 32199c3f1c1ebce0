/* cli.c - argument parsing, input reading and error reporting shared by
 * dspctl's commands.
 *
 * Every failure ends here in one message on stderr and an exit status from
 * enum exit_status: usage errors (2) before the socket is touched, connect
 * failures (3, or 4 for permissions), error replies (1, 4 for
 * RPC_PERMISSION_DENIED, 5 for RPC_CONFIG_REJECTED), replies dspctl cannot
 * read (1).
 *
 * Single-threaded (dspctl's main thread). */
#include "cli.h"
#include "jvalue.h"
#include "render.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("dspctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'dspctl --help' for more information.\n", stderr);
	return EXIT_USAGE;
}

bool parse_decimal(const char *text, const char *suffix, double *ret)
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

static struct arg_option *find_option(struct arg_option *opts, size_t n_opts,
				      const char *arg, size_t name_len)
{
	for (size_t i = 0; i < n_opts; i++)
		if (strlen(opts[i].name) == name_len &&
		    strncmp(opts[i].name, arg, name_len) == 0)
			return &opts[i];
	return NULL;
}

int parse_args(const char *command, int argc, char **argv,
	       struct arg_option *opts, size_t n_opts,
	       const char **positional, size_t max_positional, size_t *ret_n)
{
	bool options_done = false;

	*ret_n = 0;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *eq = strchr(arg, '=');
		struct arg_option *opt;

		if (!options_done && strcmp(arg, "--") == 0) {
			options_done = true;
			continue;
		}
		if (options_done || strncmp(arg, "--", 2) != 0) {
			if (*ret_n == max_positional)
				return usage_error("%s: unexpected argument \"%s\"%s",
						   command, arg, arg[0] == '-' ?
						   " (global options go before the "
						   "command)" : "");
			positional[(*ret_n)++] = arg;
			continue;
		}
		opt = find_option(opts, n_opts, arg, eq ? (size_t)(eq - arg)
							: strlen(arg));
		if (!opt)
			return usage_error("%s: unknown option \"%s\"", command, arg);
		if (opt->seen)
			return usage_error("%s: %s given twice", command, opt->name);
		opt->seen = true;
		if (!opt->takes_value) {
			if (eq)
				return usage_error("%s: %s takes no value", command,
						   opt->name);
			continue;
		}
		opt->value = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
		if (!opt->value)
			return usage_error("%s: %s needs a value", command, opt->name);
	}
	return EXIT_OK;
}

int parse_option_number(const char *command, const struct arg_option *opt,
			const char *suffix, double min, double max, double *ret)
{
	if (!parse_decimal(opt->value, suffix, ret) || *ret < min || *ret > max)
		return usage_error("%s: %s: \"%s\" is not a number between %g and "
				   "%g%s%s", command, opt->name, opt->value, min,
				   max, *suffix ? " " : "", suffix);
	return EXIT_OK;
}

json_object *cli_value(const char *text)
{
	const char *why = NULL;
	json_object *value = rpc_parse_json(text, strlen(text), &why);

	/* NULL without a reason is the JSON literal null */
	if (!value && why)
		value = json_object_new_string(text);
	return value;
}

int read_all(FILE *in, size_t max, char **ret_text, size_t *ret_len)
{
	size_t len = 0, cap = 0;
	char *text = NULL;

	errno = 0;
	for (;;) {
		size_t n;

		if (cap - len < 2) {
			size_t grown = cap ? cap * 2 : 65536;
			char *bigger = realloc(text, grown);

			if (!bigger) {
				free(text);
				return -ENOMEM;
			}
			text = bigger;
			cap = grown;
		}
		n = fread(text + len, 1, cap - len - 1, in);
		len += n;
		if (len > max) {
			free(text);
			return -EFBIG;
		}
		if (n == 0)
			break;
	}
	if (ferror(in)) {
		int err = errno ? errno : EIO;

		free(text);
		return -err;
	}
	text[len] = '\0';
	*ret_text = text;
	*ret_len = len;
	return 0;
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

int ctl_connect(const struct options *o, struct rpc_conn *c)
{
	int r = rpc_connect(c, o->socket_path, o->timeout_ms);

	return r < 0 ? report_connect_error(o, r) : EXIT_OK;
}

int ctl_report_call_error(const struct options *o, const struct rpc_conn *c,
			  const char *method, int err)
{
	fprintf(stderr, "dspctl: %s: ", method);
	switch (err) {
	case -ETIMEDOUT:
		fprintf(stderr, "no answer from dspd at %s within %g s (is dspd "
			"stuck or overloaded?)\n", o->socket_path,
			c->timeout_ms / 1000.0);
		return EXIT_UNREACHABLE;
	case -ECONNRESET:
		fprintf(stderr, "dspd at %s closed the connection (did it "
			"stop?)\n", o->socket_path);
		return EXIT_UNREACHABLE;
	case -EBADMSG:
		fprintf(stderr, "invalid reply from dspd at %s: %s\n",
			o->socket_path, c->bad_reply);
		return EXIT_DAEMON_ERROR;
	case -EMSGSIZE:
		fprintf(stderr, "reply from dspd at %s is longer than %u bytes\n",
			o->socket_path, RPC_MAX_REPLY_BYTES);
		return EXIT_DAEMON_ERROR;
	case -E2BIG:
		fprintf(stderr, "the request is longer than the %u bytes dspd "
			"takes in one line\n", PROTO_MAX_LARGE_LINE);
		return EXIT_USAGE;
	default:
		fprintf(stderr, "%s (socket %s)\n", strerror(-err), o->socket_path);
		return err == -ENOMEM || err == -EIO ? EXIT_DAEMON_ERROR
						     : EXIT_UNREACHABLE;
	}
}

/* " (field: reason)", " (data)" or nothing, whatever shape data has. */
static void print_error_data(json_object *data)
{
	const char *field = jv_string(jv_field(data, "field"));
	const char *reason = jv_string(jv_field(data, "reason"));

	if (jv_string(data))
		fprintf(stderr, " (%s)", jv_string(data));
	else if (field && reason)
		fprintf(stderr, " (%s: %s)", field, reason);
	else if (reason)
		fprintf(stderr, " (%s)", reason);
	else if (data && !jv_field(data, "errors"))
		fprintf(stderr, " (%s)", json_object_to_json_string_ext(data,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* Each entry of a configuration error list on its own line. */
static void print_error_list(json_object *errors)
{
	for (size_t i = 0; i < jv_length(errors); i++) {
		json_object *e = json_object_array_get_idx(errors, i);

		fprintf(stderr, "  %s\n", jv_string(e) ? jv_string(e) :
			json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN |
				JSON_C_TO_STRING_NOSLASHESCAPE));
	}
}

int ctl_report_error_reply(const char *method, json_object *error)
{
	json_object *data = jv_field(error, "data");
	json_object *code = jv_field(error, "code");
	int64_t number = json_object_get_int64(code);

	fprintf(stderr, "dspctl: %s: %s", method,
		json_object_get_string(jv_field(error, "message")));
	print_error_data(data);
	fputc('\n', stderr);
	print_error_list(jv_field(data, "errors"));
	if (number == RPC_PERMISSION_DENIED)
		return EXIT_PERMISSION;
	if (number == RPC_CONFIG_REJECTED)
		return EXIT_CONFIG_REJECTED;
	return EXIT_DAEMON_ERROR;
}

int ctl_call_notify(const struct options *o, struct rpc_conn *c,
		    const char *method, json_object *params,
		    rpc_notify_fn on_notify, void *ctx, struct rpc_reply *ret)
{
	int r = rpc_call_notify(c, method, params, on_notify, ctx, ret);

	if (r < 0)
		return ctl_report_call_error(o, c, method, r);
	if (ret->error) {
		r = ctl_report_error_reply(method, ret->error);
		rpc_reply_free(ret);
		return r;
	}
	return EXIT_OK;
}

int ctl_call(const struct options *o, struct rpc_conn *c, const char *method,
	     json_object *params, struct rpc_reply *ret)
{
	return ctl_call_notify(o, c, method, params, NULL, NULL, ret);
}

int ctl_simple(const struct options *o, const char *method, json_object *params,
	       show_fn show)
{
	struct rpc_conn conn;
	struct rpc_reply reply;
	int r = ctl_connect(o, &conn);

	if (r != EXIT_OK)
		return r;
	r = ctl_call(o, &conn, method, params, &reply);
	if (r == EXIT_OK) {
		if (o->json)
			render_json(stdout, reply.result, false);
		else if (show)
			show(stdout, reply.result);
		rpc_reply_free(&reply);
	}
	rpc_close(&conn);
	return r;
}

void ctl_print_json_line(json_object *value)
{
	render_json(stdout, value, false);
	fflush(stdout);
}
