/* cli.h - what dspctl's command files share: exit statuses, the global
 * options, argument parsing, and connections and calls that report their
 * own failures on stderr and return an exit status.
 *
 * Single-threaded (dspctl's main thread). */
#ifndef DSPCTL_CLI_H
#define DSPCTL_CLI_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "proto.h"
#include "rpc_client.h"

enum exit_status {
	EXIT_OK = 0,
	EXIT_DAEMON_ERROR = 1,   /* error reply, or a reply dspctl cannot read */
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,    /* no socket, nobody listening, timeout, hang-up */
	EXIT_PERMISSION = 4,     /* socket permissions, or RPC_PERMISSION_DENIED */
	EXIT_CONFIG_REJECTED = 5, /* RPC_CONFIG_REJECTED; config check: invalid */
};

#define DEFAULT_SOCKET "/run/dspd/control.sock"
#define DEFAULT_TIMEOUT_MS 5000
#define MAX_TIMEOUT_S 86400.0

struct options {
	const char *socket_path;
	bool json;
	int timeout_ms;
	bool tty;  /* stdout is a terminal */
};

int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A plain decimal ("-6", "+3", "-6.5", ".5") optionally followed by suffix
 * (any case, spaces allowed before it).  No exponents, hex, inf or nan. */
bool parse_decimal(const char *text, const char *suffix, double *ret);

/* A command's own options: "--name VALUE", "--name=VALUE" or a flag; "--"
 * ends them.  Every other word is positional, so "-6" is an argument. */
struct arg_option {
	const char *name;      /* "--ramp" */
	bool takes_value;
	const char *value;     /* set by parse_args() */
	bool seen;
};

int parse_args(const char *command, int argc, char **argv,
	       struct arg_option *opts, size_t n_opts,
	       const char **positional, size_t max_positional, size_t *ret_n);

/* The value of opt, a decimal with an optional suffix, within min..max. */
int parse_option_number(const char *command, const struct arg_option *opt,
			const char *suffix, double min, double max, double *ret);

/* A value word: JSON when it parses as JSON, else the word as a string. */
json_object *cli_value(const char *text);

/* The most dspctl reads of one input: a batch file, config load|patch -. */
#define INPUT_MAX_BYTES (4u << 20)
/* All of in, at most max bytes, NUL-terminated; -EFBIG when longer. */
int read_all(FILE *in, size_t max, char **ret_text, size_t *ret_len);

/* Connect to o->socket_path; on failure prints why and returns the status. */
int ctl_connect(const struct options *o, struct rpc_conn *c);
/* One request and its answer; on EXIT_OK *ret holds a result to free. */
int ctl_call(const struct options *o, struct rpc_conn *c, const char *method,
	     json_object *params, struct rpc_reply *ret);
int ctl_call_notify(const struct options *o, struct rpc_conn *c,
		    const char *method, json_object *params,
		    rpc_notify_fn on_notify, void *ctx, struct rpc_reply *ret);
/* Prints a failed rpc_* call (negative errno) and returns the status. */
int ctl_report_call_error(const struct options *o, const struct rpc_conn *c,
			  const char *method, int err);
/* Prints an error reply, every data.errors entry included, and returns the
 * status for its code. */
int ctl_report_error_reply(const char *method, json_object *error);

/* Connect, call, print the result with show (or as JSON with --json), close.
 * params is borrowed. */
typedef void (*show_fn)(FILE *out, json_object *result);
int ctl_simple(const struct options *o, const char *method, json_object *params,
	       show_fn show);

/* Writes text to stdout and flushes it; for streaming commands. */
void ctl_print_json_line(json_object *value);

#endif
